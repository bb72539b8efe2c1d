"""What every hostile case shares: grade a submission through the real pipeline, read it back.

A hostile submission is a `solution.py` (and sometimes more files) for the `hostile-tiny`
challenge (`challenges/hostile-tiny`): one hidden test calls `solution.answer()` and fails with
whatever it returned in its message. A hostile `answer()` does its damage and returns
`evidence(...)`: a JSON object between markers, which the hidden test's failure message carries
into the report. So the report alone says what the submission could and could not do, and the
test never has to trust anything but the report and the engine.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from graders.model import Report, VerdictKind
from runner.challenge import Challenge, load_challenge
from runner.intake import Snapshot
from runner.pipeline import Pipeline
from sandbox.docker import DockerSandbox
from tests.leaks import labelled

__all__ = [
    "EVIDENCE_HELPER",
    "TINY",
    "Grade",
    "candidate_kinds",
    "challenge",
    "evidence_of",
    "grade",
    "host_addresses",
    "labelled",
    "solution",
    "strings_of",
]

TINY = Path(__file__).resolve().parent / "challenges" / "hostile-tiny"
#: The `graded` fixture: files (or `snapshot=`) in, the report out.
Grade = Callable[..., Report]
#: Prepended to every hostile `solution.py`: `evidence(obj)` is what `answer()` returns.
EVIDENCE_HELPER = """\
import json as _json


def evidence(obj):
    return "EVIDENCE:" + _json.dumps(obj, sort_keys=True).replace("'", "") + ":END"

"""
_EVIDENCE = re.compile(r"EVIDENCE:(\{.*?\}):END")
#: Verdict steps that ran no candidate code (the static analysers share one container).
_TRUSTED_PREFIXES = ("style.", "complexity.", "security.")


def challenge(**limits: int) -> Challenge:
    """hostile-tiny as shipped, or a copy of it whose `[limits]` lines named in `limits` (such as
    `memory_mb=192`) have those values."""
    if not limits:
        return load_challenge(TINY)
    copy = Path(tempfile.mkdtemp(prefix="hostile-tiny-")) / TINY.name
    shutil.copytree(TINY, copy)
    manifest = copy / "challenge.toml"
    text = manifest.read_text()
    for key, value in limits.items():
        text, count = re.subn(rf"(?m)^{key} = \d+$", f"{key} = {value}", text)
        assert count == 1, f"hostile-tiny's challenge.toml has one {key} line"
    manifest.write_text(text)
    try:
        return load_challenge(copy)  # everything it needs is read here
    finally:
        shutil.rmtree(copy.parent)


def grade(
    sandbox: DockerSandbox,
    image: str,
    run_id: str,
    files: Mapping[str, str | bytes],
    *,
    snapshot: Snapshot | None = None,
    limits: Mapping[str, int] | None = None,
) -> Report:
    """Grade `files` (or `snapshot`) against hostile-tiny in real containers (with the
    `[limits]` values in `limits`, when given)."""
    snap = snapshot or Snapshot(
        files={k: v.encode() if isinstance(v, str) else v for k, v in files.items()}
    )
    pipeline = Pipeline(sandbox, lambda _c: image, concurrency=2)
    return pipeline.grade(challenge(**(limits or {})), snap, run_id=run_id)


def solution(body: str, **extra: str) -> dict[str, str]:
    """A submission whose `solution.py` is the evidence helper followed by `body`."""
    return {"solution.py": EVIDENCE_HELPER + body, **extra}


def strings_of(value: object) -> list[str]:
    """Every string anywhere in a (dumped) report."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for k, v in value.items() for s in (*strings_of(k), *strings_of(v))]
    if isinstance(value, list | tuple):
        return [s for v in value for s in strings_of(v)]
    return []


def evidence_of(report: Report) -> dict[str, Any]:
    """The evidence object the submission returned, found in the hidden test's message."""
    for text in strings_of(report.model_dump(mode="json")):
        if match := _EVIDENCE.search(text):
            found: dict[str, Any] = json.loads(match.group(1))
            return found
    raise AssertionError(f"no evidence in the report: {report.categories['tests']}")


def candidate_kinds(report: Report) -> set[VerdictKind]:
    """The verdict kinds of steps that ran candidate code (not the static analysers)."""
    return {v.kind for v in report.verdicts if not v.step.startswith(_TRUSTED_PREFIXES)}


def host_addresses() -> list[str]:
    """This machine's own IPv4 addresses (loopback excluded), from its interfaces."""
    import fcntl  # noqa: PLC0415 - POSIX only, like the Docker tests
    import struct  # noqa: PLC0415

    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _index, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[:15])
            try:
                answer = fcntl.ioctl(probe.fileno(), 0x8915, request)  # SIOCGIFADDR
            except OSError:
                continue  # no IPv4 address on this interface
            address = socket.inet_ntoa(answer[20:24])
            if not address.startswith("127."):
                found.append(address)
    return sorted(set(found))
