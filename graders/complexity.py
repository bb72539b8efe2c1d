"""The complexity grader: radon cyclomatic complexity per block and maintainability index per file.

radon reads `radon.cfg`, `setup.cfg` and `pyproject.toml` from its working directory at import
time, so both steps run in `/work/out` (empty, grader-owned) and a candidate config cannot change
what is measured. radon is given the production files of `graders._codeset` one by one (the
candidate's tests are left out, decided by the import graph, not by file names; no `-e` glob, and
radon's default skipping of dot-folders does not apply to named files). Only functions and methods
count as blocks: a class's own complexity aggregates its methods and would count them twice.

Score: start at 100; per block ranked C -5, D -10, E -15, F -20; if the average block complexity
exceeds 5, -5 * (average - 5); per file with maintainability rank B -3, rank C -10; clamped to
[0, 100].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from graders._codeset import code_set
from graders._steps import (
    ToolOutputError,
    analysis_limits,
    as_dict,
    as_float,
    as_int,
    as_list,
    as_str,
    clamp,
    flag_verdicts,
    make_spec,
    output_file,
    parse_json,
    relative_path,
    require,
    run_check,
    zero_result,
)
from graders.base import OUT_DIR, SRC_DIR, GradingInput
from graders.model import CategoryResult, Finding, Severity, Verdict
from sandbox import Execution, RunSpec, Sandbox
from sandbox.pins import tool_label

__all__ = ["CC_STEP", "MI_STEP", "Block", "ComplexityGrader"]

CC_STEP = "complexity.cc"
MI_STEP = "complexity.mi"
_CC_OUT = "out/radon-cc.json"
_MI_OUT = "out/radon-mi.json"
_CC_RANKS = ("A", "B", "C", "D", "E", "F")
_CC_PENALTY = {"C": 5.0, "D": 10.0, "E": 15.0, "F": 20.0}
_CC_SEVERITY = {"C": Severity.LOW, "D": Severity.MEDIUM, "E": Severity.HIGH, "F": Severity.HIGH}
_MI_PENALTY = {"B": 3.0, "C": 10.0}
_AVERAGE_THRESHOLD = 5.0


@dataclass(frozen=True)
class Block:
    """One function or method as radon measured it."""

    name: str
    file: str
    line: int
    complexity: int
    rank: str


class ComplexityGrader:
    """Grades the candidate by radon complexity ranks and maintainability (0-100)."""

    name = "complexity"

    def steps(self, inp: GradingInput) -> list[RunSpec]:
        """`radon cc` and `radon mi`, JSON to `out/`, run from the empty `/work/out`."""
        radon = "/opt/takehome/bin/radon"
        limits = analysis_limits(inp.limits)
        # No production file: the empty `/work/out` as the target, so radon measures nothing.
        targets = [f"{SRC_DIR}/{path}" for path in code_set(inp.sources).production] or [OUT_DIR]
        cc = (radon, "cc", "-j", "-s", "-O", f"{OUT_DIR}/radon-cc.json", *targets)
        mi = (radon, "mi", "-j", "-O", f"{OUT_DIR}/radon-mi.json", *targets)
        return [
            make_spec(
                inp,
                CC_STEP,
                cc,
                files_out=(_CC_OUT,),
                workdir=OUT_DIR,
                limits=limits,
                trusted=True,
            ),
            make_spec(
                inp,
                MI_STEP,
                mi,
                files_out=(_MI_OUT,),
                workdir=OUT_DIR,
                limits=limits,
                trusted=True,
            ),
        ]

    def grade(self, inp: GradingInput, executions: Mapping[str, Execution]) -> CategoryResult:  # noqa: ARG002
        """Score by the documented formula; never raises on bad output."""
        verdicts: list[Verdict] = []
        for label in (CC_STEP, MI_STEP):
            if label in executions:
                verdicts += flag_verdicts(label, executions[label])
        tool = tool_label("radon")
        step = CC_STEP
        try:
            cc = as_dict(parse_json(output_file(executions, CC_STEP, _CC_OUT), _CC_OUT), "cc")
            step = MI_STEP
            mi = as_dict(parse_json(output_file(executions, MI_STEP, _MI_OUT), _MI_OUT), "mi")
            findings: list[Finding] = []
            blocks = _blocks(cc, findings)
            ranks = _mi_ranks(mi, findings)
        except ToolOutputError as exc:
            return zero_result(self.name, tool, verdicts, exc, step)
        return _result(
            cc, blocks=blocks, mi=ranks, findings=findings, verdicts=verdicts, tool=tool
        )

    def check(self, sandbox: Sandbox, image: str) -> None:
        """A function of complexity 11 must be one block ranked C at its line."""
        body = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(10))
        sources = {"mod.py": f"def branchy(x):\n{body}    return -1\n".encode()}
        result = run_check(self, sandbox, GradingInput("check-complexity", image, sources))
        require(
            result,
            lambda r: (
                [(f.rule, f.file, f.line) for f in r.findings] == [("CC-C", "mod.py", 1)]
                and r.metrics.get("rank_C") == 1.0
            ),
            "exactly one finding CC-C at mod.py:1",
        )


def _blocks(report: dict[str, object], findings: list[Finding]) -> list[Block]:
    blocks: list[Block] = []
    for path in sorted(report):
        entry = report[path]
        if isinstance(entry, dict):
            findings.append(_parse_error(path, entry))
            continue
        for item in as_list(entry, path):
            data = as_dict(item, path)
            kind = data.get("type")
            if kind not in ("function", "method"):
                continue
            name = as_str(data.get("name"), "name")
            owner = data.get("classname")
            rank = as_str(data.get("rank"), "rank")
            if rank not in _CC_RANKS:
                raise ToolOutputError(f"{path}: unknown rank {rank!r}")
            blocks.append(
                Block(
                    name=f"{owner}.{name}" if isinstance(owner, str) else name,
                    file=relative_path(path),
                    line=as_int(data.get("lineno"), "lineno"),
                    complexity=as_int(data.get("complexity"), "complexity"),
                    rank=rank,
                )
            )
    findings.extend(_block_finding(b) for b in blocks if b.rank in _CC_PENALTY)
    return blocks


def _mi_ranks(report: dict[str, object], findings: list[Finding]) -> dict[str, tuple[float, str]]:
    scores: dict[str, tuple[float, str]] = {}
    for path in sorted(report):
        data = as_dict(report[path], path)
        if "error" in data:
            # radon cc already reported the same unparsable file.
            if not any(
                f.rule == "parse-error" and f.file == relative_path(path) for f in findings
            ):
                findings.append(_parse_error(path, data))
            continue
        value = as_float(data.get("mi"), f"{path} mi")
        rank = as_str(data.get("rank"), f"{path} rank")
        if rank not in ("A", "B", "C"):
            raise ToolOutputError(f"{path}: unknown maintainability rank {rank!r}")
        scores[path] = (value, rank)
        if rank in _MI_PENALTY:
            findings.append(
                Finding(
                    rule=f"MI-{rank}",
                    message=f"maintainability index {value:.1f} (rank {rank})",
                    severity=Severity.LOW if rank == "B" else Severity.MEDIUM,
                    file=relative_path(path),
                    extra={"mi": f"{value:.2f}", "rank": rank},
                )
            )
    return scores


def _block_finding(block: Block) -> Finding:
    return Finding(
        rule=f"CC-{block.rank}",
        message=f"{block.name} has cyclomatic complexity {block.complexity} (rank {block.rank})",
        severity=_CC_SEVERITY[block.rank],
        file=block.file,
        line=block.line,
        extra={"complexity": str(block.complexity), "rank": block.rank},
    )


def _parse_error(path: str, entry: dict[str, object]) -> Finding:
    message = entry.get("error")
    text = message if isinstance(message, str) else "radon could not analyse this file"
    return Finding(
        rule="parse-error", message=text[:500], severity=Severity.INFO, file=relative_path(path)
    )


def _result(
    cc: dict[str, object],
    *,
    blocks: list[Block],
    mi: dict[str, tuple[float, str]],
    findings: list[Finding],
    verdicts: list[Verdict],
    tool: str,
) -> CategoryResult:
    if not cc:
        findings.append(Finding(rule="no-python", message="no non-test Python files to measure"))
    metrics = _metrics(blocks, mi)
    average = metrics["average_complexity"]
    penalty = sum(_CC_PENALTY.get(b.rank, 0.0) for b in blocks)
    penalty += 5.0 * max(0.0, average - _AVERAGE_THRESHOLD)
    penalty += sum(_MI_PENALTY.get(rank, 0.0) for _, rank in mi.values())
    summary = f"{len(blocks)} blocks, average complexity {average:.2f}"
    worst = max(blocks, key=lambda b: b.complexity, default=None)
    if worst is not None:
        summary += f"; worst {worst.name} at {worst.file}:{worst.line}"
        summary += f" ({worst.complexity}, rank {worst.rank})"
    return CategoryResult(
        name="complexity",
        score=clamp(100.0 - penalty) if cc else 0.0,
        summary=summary,
        findings=tuple(findings),
        verdicts=tuple(verdicts),
        metrics=metrics,
        tool=tool,
    )


def _metrics(blocks: list[Block], mi: dict[str, tuple[float, str]]) -> dict[str, float]:
    metrics = {f"rank_{rank}": float(sum(b.rank == rank for b in blocks)) for rank in _CC_RANKS}
    complexities = [b.complexity for b in blocks]
    metrics["blocks"] = float(len(blocks))
    metrics["average_complexity"] = sum(complexities) / len(blocks) if blocks else 0.0
    metrics["worst_complexity"] = float(max(complexities, default=0))
    metrics["mean_mi"] = sum(value for value, _ in mi.values()) / len(mi) if mi else 0.0
    return metrics
