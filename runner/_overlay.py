"""Variants as overlays on the reference: compose, check, and measure the difference.

A variant folder holds only the files that differ from `reference/` (changed or added) and a
`variant.toml` whose `remove = [...]` lists the reference's files or folders the variant does not
have. The variant's tree is the reference, minus `remove`, with the overlay's files laid on top
(bytes and exec bits). An overlay file identical to the reference's, a `remove` entry that names
nothing of the reference, or one that names a file the overlay also holds, is a `ManifestError`
naming the file and the field, so a variant never carries a copy that can drift.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from runner._manifest import ManifestError
from runner.intake import Snapshot

__all__ = ["DiffStat", "check_overlay", "compose", "diffstat", "write_tree"]


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


def check_overlay(
    folder: Path, manifest: Path, reference: Snapshot, overlay: Snapshot, remove: tuple[str, ...]
) -> None:
    """Raise `ManifestError` for a redundant overlay file or a `remove` entry that is wrong."""
    for path, data in overlay.files.items():
        same_mode = (path in overlay.executable) == (path in reference.executable)
        if reference.files.get(path) == data and same_mode:
            raise ManifestError(
                folder / path,
                "",
                f"identical to reference/{path}: an overlay holds only the files that differ"
                " (delete this copy)",
            )
    for index, entry in enumerate(remove):
        named = [path for path in reference.files if _matches(entry, path)]
        if not named:
            raise ManifestError(
                manifest, f"remove[{index}]", f"{entry!r} is not a file or folder of reference/"
            )
        if clash := sorted(path for path in overlay.files if _matches(entry, path)):
            raise ManifestError(
                manifest,
                f"remove[{index}]",
                f"{entry!r} removes {clash[0]!r}, which the overlay also holds",
            )


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
