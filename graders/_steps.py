"""Mechanics every grader shares: building specs, reading tool output, verdicts, self-checks.

Tool output is read as hostile data: a candidate controls the process that writes some of it. The
readers here never trust a type or a size; they raise `ToolOutputError`, which each grader turns
into a zero score and a verdict (never an exception out of `grade()`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Protocol, overload

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError as XmlParseError
from defusedxml.ElementTree import fromstring as defused_fromstring

from graders.base import SRC_DIR, Grader, GraderCheckFailed, GradingInput
from graders.caps import MAX_FINDINGS, cap_findings
from graders.model import CategoryResult, Verdict, VerdictKind
from sandbox import (
    BACKGROUND_CPU_SHARES,
    SCRATCH_DIR,
    WORKDIR,
    Execution,
    Limits,
    RunSpec,
    Sandbox,
)

__all__ = [
    "BASE_ENV",
    "MAX_FINDINGS",
    "READ_ONLY",
    "ToolOutputError",
    "XmlElement",
    "analysis_limits",
    "as_dict",
    "as_float",
    "as_int",
    "as_list",
    "as_str",
    "cap_findings",
    "clamp",
    "flag_verdicts",
    "make_spec",
    "output_file",
    "parse_json",
    "parse_xml",
    "relative_path",
    "require",
    "run_check",
    "source_files",
    "zero_result",
]

#: The environment of every step (`/tmp` is the container's private tmpfs).
BASE_ENV: Mapping[str, str] = {"HOME": SCRATCH_DIR, "PYTHONDONTWRITEBYTECODE": "1"}
#: Mode of every file a grader puts in: no owner-write bit, so the sandbox makes it root's.
READ_ONLY = 0o444
_MAX_PARSE_BYTES = 32 * 1024 * 1024
_SRC_PREFIX = SRC_DIR + "/"
_FORBIDDEN_XML = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class ToolOutputError(ValueError):
    """A tool's output is missing or unreadable; `kind` says which verdict it becomes."""

    def __init__(self, detail: str, kind: VerdictKind = VerdictKind.TOOL_ERROR) -> None:
        super().__init__(detail)
        self.kind = kind


def source_files(inp: GradingInput) -> dict[str, tuple[bytes, int]]:
    """The candidate snapshot as `files_in` entries under `src/`, read-only."""
    return {f"src/{path}": (content, READ_ONLY) for path, content in inp.sources.items()}


def make_spec(
    inp: GradingInput,
    label: str,
    argv: Sequence[str],
    *,
    files_in: Mapping[str, tuple[bytes, int]] | None = None,
    files_out: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    workdir: str = WORKDIR,
    limits: Limits | None = None,
    trusted: bool = False,
) -> RunSpec:
    """A spec with the candidate sources, the base environment and `out/` as the writable dir."""
    return RunSpec(
        image=inp.image,
        argv=tuple(argv),
        run_id=inp.run_id,
        files_in={**source_files(inp), **(files_in or {})},
        files_out=tuple(files_out),
        writable_dirs=("out",),
        env={**BASE_ENV, **(env or {})},
        workdir=workdir,
        limits=limits or inp.limits,
        label=label,
        trusted=trusted,
    )


def analysis_limits(limits: Limits) -> Limits:
    """Limits for a static-analysis step: its report may be larger than a test run's output,
    and nothing in it depends on time, so it takes a background share of a contended host's
    CPUs (`sandbox.BACKGROUND_CPU_SHARES`)."""
    return dataclasses.replace(
        limits,
        cpu_shares=BACKGROUND_CPU_SHARES,
        output_bytes=max(limits.output_bytes, 4 * 1024 * 1024),
        files_out_bytes=max(limits.files_out_bytes, 32 * 1024 * 1024),
    )


def flag_verdicts(label: str, execution: Execution) -> list[Verdict]:
    """The verdicts that an execution's limit flags stand for."""
    flags = (
        (execution.timed_out, VerdictKind.TIMED_OUT, "the step hit its wall-clock limit"),
        (execution.oom_killed, VerdictKind.OOM_KILLED, "the step ran out of memory"),
        (execution.output_truncated, VerdictKind.OUTPUT_TRUNCATED, "stdout/stderr were capped"),
        (execution.files_truncated, VerdictKind.FILES_TRUNCATED, "some output files were dropped"),
        (
            execution.unfrozen,
            VerdictKind.TAMPER_SUSPECTED,
            "processes left running after the command kept forking and could not be frozen;"
            " the container was killed and its outputs discarded",
        ),
    )
    return [Verdict(kind=kind, step=label, detail=detail) for hit, kind, detail in flags if hit]


def output_file(executions: Mapping[str, Execution], label: str, path: str) -> bytes:
    """The content of `path` brought back by step `label`, or `ToolOutputError(NO_RESULTS)`."""
    execution = executions.get(label)
    if execution is None:
        raise ToolOutputError(f"step {label} did not run", VerdictKind.NO_RESULTS)
    data = execution.files_out.get(path)
    if data is None:
        raise ToolOutputError(
            f"{path} was not produced (exit code {execution.exit_code})", VerdictKind.NO_RESULTS
        )
    return data


def parse_json(data: bytes, what: str) -> object:
    """Decode a JSON document of bounded size."""
    if len(data) > _MAX_PARSE_BYTES:
        raise ToolOutputError(f"{what} is too large ({len(data)} bytes)")
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ToolOutputError(f"{what} is not valid JSON: {exc}") from None


class XmlElement(Protocol):
    """What the graders read of a parsed XML element. Parsing is only ever defusedxml's
    (`parse_xml`), so the standard library's unsafe parser module is never imported here."""

    text: str | None

    @overload
    def get(self, key: str) -> str | None: ...
    @overload
    def get(self, key: str, default: str) -> str: ...
    def iter(self, tag: str | None = None) -> Iterator[XmlElement]:
        """Every element below (and including) this one, optionally only those named `tag`."""
        ...

    def find(self, path: str) -> XmlElement | None:
        """The first matching child."""
        ...


def parse_xml(data: bytes, what: str) -> XmlElement:
    """Parse XML of bounded size; refuse any DTD (entity expansion, external entities)."""
    if len(data) > _MAX_PARSE_BYTES:
        raise ToolOutputError(f"{what} is too large ({len(data)} bytes)")
    try:
        # Parsing the decoded text makes expat ignore any declared encoding, so the DTD check
        # below sees exactly what the parser sees.
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ToolOutputError(f"{what} is not UTF-8") from None
    if _FORBIDDEN_XML.search(text):
        raise ToolOutputError(f"{what} declares a DOCTYPE or ENTITY; refused")
    try:
        # defusedxml on top of the check: belt and braces against entity tricks.
        return defused_fromstring(text, forbid_dtd=True)
    except (XmlParseError, DefusedXmlException, RecursionError) as exc:
        raise ToolOutputError(f"{what} is not well-formed XML: {exc}") from None


def as_dict(value: object, what: str) -> dict[str, object]:
    """`value` as a JSON object, else `ToolOutputError`."""
    if not isinstance(value, dict):
        raise ToolOutputError(f"{what}: expected an object")
    return {str(k): v for k, v in value.items()}


def as_list(value: object, what: str) -> list[object]:
    """`value` as a JSON array, else `ToolOutputError`."""
    if not isinstance(value, list):
        raise ToolOutputError(f"{what}: expected an array")
    return value


def as_str(value: object, what: str) -> str:
    """`value` as a string, else `ToolOutputError`."""
    if not isinstance(value, str):
        raise ToolOutputError(f"{what}: expected a string")
    return value


def as_int(value: object, what: str) -> int:
    """`value` as an integer (not a bool), else `ToolOutputError`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ToolOutputError(f"{what}: expected an integer")
    return value


def as_float(value: object, what: str) -> float:
    """`value` as a finite number, else `ToolOutputError`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ToolOutputError(f"{what}: expected a number")
    number = float(value)
    if not math.isfinite(number):
        raise ToolOutputError(f"{what}: not a finite number")
    return number


def relative_path(path: str) -> str:
    """A tool's file path relative to the candidate's repository root."""
    return path[len(_SRC_PREFIX) :] if path.startswith(_SRC_PREFIX) else path


def clamp(score: float) -> float:
    """A score bounded to [0, 100]."""
    return max(0.0, min(100.0, score))


def zero_result(
    name: str, tool: str, verdicts: Sequence[Verdict], error: ToolOutputError, step: str
) -> CategoryResult:
    """The result of a category whose tool output could not be used: score 0 and why."""
    verdict = Verdict(kind=error.kind, step=step, detail=str(error))
    return CategoryResult(
        name=name,
        score=0.0,
        summary=f"no usable results: {error}",
        verdicts=(*verdicts, verdict),
        tool=tool,
    )


def run_check(grader: Grader, sandbox: Sandbox, inp: GradingInput) -> CategoryResult:
    """Run every step of `grader` through `sandbox` and grade the executions."""
    executions = {spec.label: sandbox.run(spec) for spec in grader.steps(inp)}
    return grader.grade(inp, executions)


def require(result: CategoryResult, ok: Callable[[CategoryResult], bool], expected: str) -> None:
    """Raise `GraderCheckFailed` naming `expected` and what was seen when `ok(result)` is false."""
    if not ok(result):
        seen = [(f.rule, f.file, f.line) for f in result.findings]
        raise GraderCheckFailed(
            f"{result.name} self-check: expected {expected}; got score {result.score:.2f}, "
            f"findings {seen}, verdicts {[v.kind.value for v in result.verdicts]}"
        )
