"""`takehome challenges new`: write a small, valid challenge pack from the bundled templates.

The templates are data, one whole pack per kind under `templates/<kind>/` (`unit`, `service`).
Every template file is named `<name>.tmpl`, so that none of this project's tools (ruff, mypy,
pytest, the self-grade) takes the candidate-style Python inside for the project's own code; the
suffix is dropped on writing. A template holds three placeholders and nothing else:
`{{id}}`, `{{title}}` and `{{isolation}}` (`in-process` or `isolated`, unit mode).

A pack is written into a hidden temporary folder beside its target, loaded with the real loader
(`runner.challenge.load_challenge`, every variant's overlay checked), and only then renamed into
place: an id refused, or a pack that would not load, leaves nothing behind. The unit pack's hidden
tests reach the candidate's code through `takehome_oracle.candidate(...)`, which imports the
module in-process and calls it over loopback when isolated, so both unit modes share one file.

Exception tree::

    ChallengeError (runner.challenge)
    └── ScaffoldError        the id is invalid or taken, or the options do not fit the mode
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import Literal

from runner._manifest import CHALLENGE_ID, ChallengeError
from runner.challenge import Challenge, load_challenge

__all__ = ["MODES", "TEMPLATES", "Mode", "ScaffoldError", "new_challenge", "render"]

Mode = Literal["unit", "service"]
MODES: tuple[Mode, ...] = ("unit", "service")
TEMPLATES = Path(__file__).resolve().parent / "templates"
_SUFFIX = ".tmpl"
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


class ScaffoldError(ChallengeError):
    """A pack cannot be written as asked (invalid or taken id, isolation in service mode)."""


def render(text: str, values: dict[str, str]) -> str:
    """`text` with each `{{name}}` replaced by `values[name]`; an unknown name is an error."""

    def _value(match: re.Match[str]) -> str:
        try:
            return values[match.group(1)]
        except KeyError:
            raise ScaffoldError(f"template placeholder {match.group(0)} has no value") from None

    return _PLACEHOLDER.sub(_value, text)


def _title(challenge_id: str) -> str:
    return challenge_id.replace("-", " ").capitalize()


def _check(challenge_id: str, mode: str, target: Path, taken: Collection[str]) -> None:
    if re.fullmatch(CHALLENGE_ID, challenge_id) is None:
        raise ScaffoldError(
            f"invalid challenge id {challenge_id!r}: use 2 to 41 lowercase letters, digits"
            " and '-', starting with a letter or digit"
        )
    if mode not in MODES:
        raise ScaffoldError(f"unknown mode {mode!r} (known: {', '.join(MODES)})")
    if challenge_id in taken:
        raise ScaffoldError(f"a challenge with id {challenge_id!r} already exists")
    if target.exists() or target.is_symlink():
        raise ScaffoldError(f"{target}: already exists; choose another id or folder")


def _write(source: Path, folder: Path, values: dict[str, str]) -> None:
    for template in sorted(source.rglob(f"*{_SUFFIX}")):
        relative = template.relative_to(source)
        target = folder / relative.with_name(relative.name.removesuffix(_SUFFIX))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(template.read_text(encoding="utf-8"), values), encoding="utf-8")


def new_challenge(
    challenge_id: str,
    mode: Mode,
    root: Path,
    *,
    isolated: bool = False,
    taken: Collection[str] = (),
) -> Challenge:
    """Write the `mode` pack as `root/<challenge_id>/` and return it, loaded.

    `isolated` (unit mode only) sets `[tests] isolation = "isolated"`; `taken` are ids already
    in use elsewhere (the CLI passes the challenges it knows). Raises `ScaffoldError` before
    writing anything, and `ChallengeError` (nothing left behind) if the written pack does not load.
    """
    target = Path(root) / challenge_id
    _check(challenge_id, mode, target, taken)
    if isolated and mode != "unit":
        raise ScaffoldError("isolation applies to unit mode (service probes are always isolated)")
    values = {
        "id": challenge_id,
        "title": _title(challenge_id),
        "isolation": "isolated" if isolated else "in-process",
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".new-{challenge_id}-", dir=target.parent))
    try:
        _write(TEMPLATES / mode, staging, values)
        load_challenge(staging).variants()
        staging.chmod(0o755)  # mkdtemp makes it 0o700; the pack is shared like any other folder
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return load_challenge(target)
