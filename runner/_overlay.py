"""Variants as overlays on the reference: compose, check, apply patches, measure the difference.

A variant folder holds only the files that differ from `reference/` (changed or added) and a
`variant.toml` whose `remove = [...]` lists the reference's files or folders the variant does not
have. A changed file is either the whole file or a patch: `X.patch` is a unified diff
(`diff -u`, `runner._patch`) applied to `reference/X`, and the result keeps the reference's exec
bit. Every `*.patch` file is a patch, except those `variant.toml` lists in `literal = [...]`,
which are shipped as they are. The variant's tree is the reference, minus `remove`, with the
overlay's files (patches applied) laid on top (bytes and exec bits).

Each of these is a `ManifestError` naming the file and the field (or the patch's line), so a
variant never carries a copy that can drift: an overlay file identical to the reference's; a
`remove` entry that names nothing of the reference, or a file the overlay also holds or patches;
a `literal` entry that names no `.patch` file of the overlay; a patch whose target is not a file
of `reference/`, that the overlay also holds whole, that is executable, malformed, does not apply
exactly, or leaves the file unchanged.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from runner._manifest import ManifestError
from runner._patch import PatchError, apply_patch
from runner.intake import Snapshot

__all__ = [
    "PATCH_SUFFIX",
    "DiffStat",
    "apply_patches",
    "check_overlay",
    "compose",
    "diffstat",
    "write_tree",
]

PATCH_SUFFIX = ".patch"
"""An overlay file named `X.patch` is a unified diff of `reference/X` (unless listed `literal`)."""


@dataclass(frozen=True)
class DiffStat:
    """How one tree differs from another: files changed (added, removed or edited) and lines."""

    files: int
    added: int
    removed: int

    def __str__(self) -> str:
        return f"{self.files} file{'' if self.files == 1 else 's'} +{self.added} -{self.removed}"


def _matches(entry: str, path: str) -> bool:
    return path == entry or path.startswith(entry + "/")


def compose(reference: Snapshot, overlay: Snapshot, remove: tuple[str, ...]) -> Snapshot:
    """The reference minus the `remove` entries (files or folders), with `overlay` on top."""
    kept = {
        path: data
        for path, data in reference.files.items()
        if not any(_matches(entry, path) for entry in remove)
    }
    executable = {path for path in reference.executable if path in kept}
    executable -= overlay.files.keys()
    files = {**kept, **overlay.files}
    return Snapshot(files=files, executable=frozenset(executable | overlay.executable))


def _writes(path: str, literal: tuple[str, ...]) -> str:
    """The path of the variant's tree an overlay file sets: a patch's target, or its own."""
    if path.endswith(PATCH_SUFFIX) and path not in literal:
        return path.removesuffix(PATCH_SUFFIX)
    return path


def check_overlay(
    folder: Path,
    manifest: Path,
    reference: Snapshot,
    overlay: Snapshot,
    remove: tuple[str, ...],
    *,
    literal: tuple[str, ...] = (),
) -> None:
    """Raise `ManifestError` for a redundant overlay file, or a `remove` or `literal` entry that
    is wrong (`overlay` as the folder holds it, patches not applied yet)."""
    for path, data in overlay.files.items():
        same_mode = (path in overlay.executable) == (path in reference.executable)
        if reference.files.get(path) == data and same_mode:
            raise ManifestError(
                folder / path,
                "",
                f"identical to reference/{path}: an overlay holds only the files that differ"
                " (delete this copy)",
            )
    for index, entry in enumerate(literal):
        if entry not in overlay.files or not entry.endswith(PATCH_SUFFIX):
            raise ManifestError(
                manifest, f"literal[{index}]", f"{entry!r} is not a .patch file of this variant"
            )
    writes = sorted(_writes(path, literal) for path in overlay.files)
    for index, entry in enumerate(remove):
        _check_remove(manifest, f"remove[{index}]", entry, reference, writes)


def _check_remove(
    manifest: Path, field: str, entry: str, reference: Snapshot, writes: list[str]
) -> None:
    if not any(_matches(entry, path) for path in reference.files):
        raise ManifestError(manifest, field, f"{entry!r} is not a file or folder of reference/")
    if clash := [path for path in writes if _matches(entry, path)]:
        raise ManifestError(
            manifest, field, f"{entry!r} removes {clash[0]!r}, which the overlay also holds"
        )


def apply_patches(
    folder: Path, reference: Snapshot, overlay: Snapshot, literal: tuple[str, ...]
) -> Snapshot:
    """The overlay with each patch `X.patch` replaced by `X`: `reference/X` patched, with the
    reference's exec bit. A patch that cannot stand is a `ManifestError` naming it."""
    files, executable = dict(overlay.files), set(overlay.executable)
    for path in sorted(overlay.files):
        target = _writes(path, literal)
        if target == path:
            continue
        _check_patch(folder, path, reference, overlay)
        files[target] = _patched(folder / path, target, reference.files[target], files.pop(path))
        executable.discard(target)
        executable |= {target} & reference.executable
    return Snapshot(files=files, executable=frozenset(executable))


def _check_patch(folder: Path, path: str, reference: Snapshot, overlay: Snapshot) -> None:
    target = path.removesuffix(PATCH_SUFFIX)
    if target not in reference.files:
        raise ManifestError(
            folder / path,
            "",
            f"patches {target!r}, which is not a file of reference/ (ship a new file whole;"
            " list a file that really ends in .patch in variant.toml's `literal`)",
        )
    if target in overlay.files:
        raise ManifestError(
            folder / path, "", f"the overlay also holds {target!r} whole: keep one of the two"
        )
    if path in overlay.executable:
        raise ManifestError(
            folder / path,
            "",
            "a patch keeps the reference's exec bit: make the .patch file non-executable"
            " (ship the whole file to change the bit)",
        )


def _patched(patch_file: Path, target: str, original: bytes, patch: bytes) -> bytes:
    try:
        data = apply_patch(target, original, patch)
    except PatchError as exc:
        raise ManifestError(patch_file, f"line {exc.line}", exc.message) from None
    if data == original:
        raise ManifestError(
            patch_file, "", f"leaves reference/{target} unchanged (delete the patch)"
        )
    return data


def _lines(data: bytes | None) -> list[str] | None:
    if data is None:
        return []
    try:
        return data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return None  # binary: counted as a changed file, without lines


def diffstat(before: Snapshot, after: Snapshot) -> DiffStat:
    """Files that differ between the trees (content or exec bit) and the lines added/removed."""
    files = added = removed = 0
    for path in sorted(before.files.keys() | after.files.keys()):
        old, new = before.files.get(path), after.files.get(path)
        mode_changed = (path in before.executable) != (path in after.executable)
        if old == new and not mode_changed:
            continue
        files += 1
        old_lines, new_lines = _lines(old), _lines(new)
        if old_lines is None or new_lines is None:
            continue
        matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "equal":
                removed, added = removed + i2 - i1, added + j2 - j1
    return DiffStat(files, added, removed)


def write_tree(snapshot: Snapshot, folder: Path) -> None:
    """Write `snapshot`'s files under `folder` (created), exec bits as 0o755, the rest 0o644."""
    for path, data in snapshot.files.items():
        target = folder.joinpath(*path.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(0o755 if path in snapshot.executable else 0o644)
