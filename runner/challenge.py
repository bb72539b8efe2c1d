"""Challenge packs: one folder per challenge, a validated manifest, hidden tests and solutions.

Layout of a challenge folder::

    challenge.toml       the manifest (`Manifest`), validated strictly: unknown fields fail
    README.md            the brief the candidate reads
    starter/             the repository handed to candidates
    tests/               the hidden tests (never shown to candidates)
    reference/           a solution that must score high
    variants/<name>/     optional flawed solutions, each an overlay on reference/: the files that
                         differ (whole, or `X.patch`: a unified diff of reference/X) and a
                         `variant.toml` (`VariantManifest`, `remove` for deletions)

`starter/` and `tests/` are read once, through the same safe walk as a submission
(`runner.intake.snapshot_path`: no symlinks, no special files, caches and `*.pyc` skipped), so the
version hash and the hidden tests handed out always describe the same bytes.

Exception tree::

    ChallengeError                       a challenge pack is unusable (names the file or folder)
    ├── ManifestError                    challenge.toml / variant.toml: `<file>: <field>: <why>`
    │                                    (also an overlay file identical to the reference's,
    │                                    and a patch that is malformed or does not apply:
    │                                    `<file>.patch: line N: hunk H: <why>`)
    ├── UnknownChallenge (LookupError)   no challenge has that id; lists the known ids
    └── UnknownVariant (LookupError)     the challenge has no variant of that name; lists them
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from runner._manifest import (
    CATEGORIES,
    ChallengeError,
    Manifest,
    ManifestError,
    VariantManifest,
    parse_manifest,
    read_manifest,
)
from runner._overlay import (
    DiffStat,
    apply_patches,
    check_overlay,
    compose,
    diffstat,
    write_tree,
)
from runner.intake import IntakeError, Snapshot, snapshot_path
from sandbox.spec import Limits

__all__ = [
    "CATEGORIES",
    "Challenge",
    "ChallengeError",
    "ChallengeRegistry",
    "DiffStat",
    "Manifest",
    "ManifestError",
    "UnknownChallenge",
    "UnknownVariant",
    "Variant",
    "VariantManifest",
    "find_challenges",
    "get_challenge",
    "load_challenge",
    "write_tree",
]

MANIFEST = "challenge.toml"
VARIANT_MANIFEST = "variant.toml"
_REQUIRED_DIRS = ("starter", "tests", "reference")
_MiB = 1024 * 1024


class UnknownChallenge(ChallengeError, LookupError):
    """No challenge with the requested id is known."""


class UnknownVariant(ChallengeError, LookupError):
    """The challenge has no variant of that name."""


@dataclass(frozen=True)
class Variant:
    """A flawed solution under `variants/<name>/` and the expectation it must meet.

    The folder is an overlay on the reference (`runner._overlay`): `overlay` holds its files
    (`variant.toml` excluded) with each patch `X.patch` applied (it holds `X`, patched),
    `snapshot()` the composed tree.
    """

    name: str
    root: Path
    manifest: VariantManifest
    reference: Snapshot = field(repr=False, compare=False)
    overlay: Snapshot = field(repr=False, compare=False)

    def snapshot(self) -> Snapshot:
        """The variant's full source tree: the reference minus `remove`, the overlay on top."""
        return compose(self.reference, self.overlay, self.manifest.remove)

    def diffstat(self) -> DiffStat:
        """How the variant differs from the reference."""
        return diffstat(self.reference, self.snapshot())


def _variant(folder: Path, reference: Snapshot) -> Variant:
    path = folder / VARIANT_MANIFEST
    manifest = read_manifest(path, VariantManifest)
    snap = _folder(folder)
    files = {name: data for name, data in snap.files.items() if name != VARIANT_MANIFEST}
    overlay = Snapshot(files=files, executable=snap.executable & files.keys())
    check_overlay(folder, path, reference, overlay, manifest.remove, literal=manifest.literal)
    overlay = apply_patches(folder, reference, overlay, manifest.literal)
    variant = Variant(folder.name, folder, manifest, reference, overlay)
    try:
        variant.snapshot()
    except IntakeError as exc:  # e.g. an overlay file where the reference has a folder
        raise ChallengeError(f"{folder}: does not compose with reference/: {exc}") from None
    return variant


@dataclass(frozen=True)
class Challenge:
    """A loaded, validated challenge pack.

    `version_hash` is `"sha256:" + sha256(text)` where `text` is the three lines
    `challenge.toml sha256:<hex of the manifest file's bytes>`, `starter <digest>`,
    `tests <digest>` (each ending in a newline), and each digest is the `Snapshot.digest` of that
    folder: the canonical tar of its files, paths sorted, exec bits included. It covers exactly
    what changes grading; README.md, reference/ and variants/ are not part of it.
    """

    root: Path
    manifest: Manifest = field(compare=False)
    brief: str = field(repr=False, compare=False)
    version_hash: str
    _starter: Snapshot = field(repr=False, compare=False)
    _tests: Snapshot = field(repr=False, compare=False)

    @property
    def id(self) -> str:
        """The manifest's id."""
        return self.manifest.id

    def hidden_tests(self) -> dict[str, bytes]:
        """Files under `tests/`, keyed by path relative to `tests/` (caches skipped)."""
        return dict(self._tests.files)

    def starter(self) -> Snapshot:
        """The repository handed to candidates."""
        return self._starter

    def reference(self) -> Snapshot:
        """The reference solution (read on each call)."""
        return _folder(self.root / "reference")

    def limits(self) -> Limits:
        """The sandbox limits: the manifest's `[limits]` over the sandbox defaults."""
        spec, base = self.manifest.limits, Limits()
        return dataclasses.replace(
            base,
            wall_seconds=base.wall_seconds if spec.wall_seconds is None else spec.wall_seconds,
            memory_bytes=base.memory_bytes if spec.memory_mb is None else spec.memory_mb * _MiB,
            cpus=base.cpus if spec.cpus is None else spec.cpus,
            pids=base.pids if spec.pids is None else spec.pids,
        )

    def variants(self) -> list[Variant]:
        """The flawed solutions, sorted by folder name (each overlay checked as it loads)."""
        folder = self.root / "variants"
        if not folder.is_dir():
            return []
        children = [
            child
            for child in sorted(folder.iterdir())
            if child.is_dir() and not child.is_symlink() and not child.name.startswith(".")
        ]
        reference = self.reference() if children else Snapshot(files={})
        return [_variant(child, reference) for child in children]

    def variant(self, name: str) -> Variant:
        """The variant in `variants/<name>/`, or `UnknownVariant` listing the known names."""
        found = {variant.name: variant for variant in self.variants()}
        try:
            return found[name]
        except KeyError:
            known = ", ".join(found) or "none"
            raise UnknownVariant(f"{self.id}: unknown variant {name!r} (known: {known})") from None


def _folder(path: Path) -> Snapshot:
    try:
        return snapshot_path(path)
    except IntakeError as exc:
        raise ChallengeError(f"{path}: {exc}") from None


def load_challenge(path: Path) -> Challenge:
    """Load and validate the challenge in folder `path` (or the folder of a `challenge.toml`)."""
    root = Path(path)
    if root.name == MANIFEST and root.is_file():
        root = root.parent
    if not root.is_dir():
        raise ChallengeError(f"{root}: not a challenge folder")
    try:
        raw = (root / MANIFEST).read_bytes()
    except FileNotFoundError:
        raise ChallengeError(f"{root}: {MANIFEST} is missing") from None
    manifest = parse_manifest(root / MANIFEST, raw, Manifest)
    for name in _REQUIRED_DIRS:
        if not (root / name).is_dir():
            raise ChallengeError(f"{root}: required folder {name}/ is missing")
    try:
        brief = (root / "README.md").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChallengeError(f"{root / 'README.md'}: cannot read the brief: {exc}") from None
    starter, tests = _folder(root / "starter"), _folder(root / "tests")
    manifest_hex = hashlib.sha256(raw).hexdigest()
    text = f"{MANIFEST} sha256:{manifest_hex}\nstarter {starter.digest}\ntests {tests.digest}\n"
    version_hash = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return Challenge(root, manifest, brief, version_hash, starter, tests)


class ChallengeRegistry:
    """Challenges by id: `register()` refuses duplicates, `get()` raises `UnknownChallenge`."""

    def __init__(self) -> None:
        self._by_id: dict[str, Challenge] = {}

    @classmethod
    def from_roots(cls, *roots: Path) -> ChallengeRegistry:
        """Register every challenge folder found under `roots` (a root may be one itself)."""
        registry = cls()
        for root in roots:
            for folder in _challenge_folders(Path(root)):
                registry.register(load_challenge(folder))
        return registry

    def register(self, challenge: Challenge) -> None:
        """Add a challenge; an id already registered from another folder is an error."""
        if (known := self._by_id.get(challenge.id)) is not None:
            raise ChallengeError(
                f"duplicate challenge id {challenge.id!r}: {known.root} and {challenge.root}"
            )
        self._by_id[challenge.id] = challenge

    def get(self, challenge_id: str) -> Challenge:
        """The challenge with `challenge_id`."""
        try:
            return self._by_id[challenge_id]
        except KeyError:
            known = ", ".join(sorted(self._by_id)) or "none"
            raise UnknownChallenge(
                f"unknown challenge {challenge_id!r} (known: {known})"
            ) from None

    def as_dict(self) -> dict[str, Challenge]:
        """A copy of the id to challenge mapping, sorted by id."""
        return dict(sorted(self._by_id.items()))

    def __iter__(self) -> Iterator[Challenge]:
        return iter(self.as_dict().values())

    def __len__(self) -> int:
        return len(self._by_id)


def _challenge_folders(root: Path) -> list[Path]:
    if not root.is_dir():
        raise ChallengeError(f"{root}: challenge root is not a directory")
    found = []
    for current, dirs, files in os.walk(root):  # symlinked folders are not followed
        if MANIFEST in files:
            found.append(Path(current))
            dirs.clear()  # a challenge's own folders are never searched for more challenges
        else:
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
    return sorted(found)


def find_challenges(*roots: Path) -> dict[str, Challenge]:
    """Every challenge under `roots`, by id. Duplicate ids raise `ChallengeError`."""
    return ChallengeRegistry.from_roots(*roots).as_dict()


def get_challenge(challenge_id: str, roots: Iterable[Path]) -> Challenge:
    """The challenge with `challenge_id` under `roots`, or `UnknownChallenge`."""
    return ChallengeRegistry.from_roots(*roots).get(challenge_id)
