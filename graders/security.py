"""The security grader: bandit findings weighted by severity and confidence.

bandit runs with grader-owned configuration only: `--ini` names the grader's (empty) `.bandit`
file, which stops bandit searching the target tree for a candidate `.bandit` (that search is the
only way it finds one); `-c` names the grader's YAML profile, so no `pyproject.toml [tool.bandit]`
is read; `--ignore-nosec` makes `# nosec` comments silence nothing. bandit is given the production
files of `graders._codeset` one by one (the candidate's tests are what is left out, decided by the
import graph, not by file names), and `-x` names a path no target can contain, which replaces
bandit's default excludes (matched as substrings: `.git`, `CVS`, `__pycache__`, ...).

Penalty per finding = severity weight (HIGH 25, MEDIUM 10, LOW 3) * confidence factor (HIGH 1.0,
MEDIUM 0.6, LOW 0.3); score = max(0, 100 - sum of penalties).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from graders._codeset import code_set
from graders._steps import (
    READ_ONLY,
    ToolOutputError,
    analysis_limits,
    as_dict,
    as_int,
    as_list,
    as_str,
    cap_findings,
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
from graders.base import GRADER_DIR, OUT_DIR, SRC_DIR, GradingInput
from graders.model import CategoryResult, Finding, Severity, Verdict
from sandbox import Execution, RunSpec, Sandbox
from sandbox.pins import TOOL_VERSIONS, tool_label

__all__ = [
    "CONFIDENCE_FACTOR",
    "SEVERITY_WEIGHT",
    "STEP",
    "SecurityGrader",
    "penalty",
]

STEP = "security.bandit"
# LOW findings are bandit's "consider the implications" notes (importing subprocess, a literal
# /tmp path): they cost a point, not a grade; MEDIUM and HIGH are real weaknesses.
SEVERITY_WEIGHT = {"HIGH": 25.0, "MEDIUM": 10.0, "LOW": 1.0}
CONFIDENCE_FACTOR = {"HIGH": 1.0, "MEDIUM": 0.6, "LOW": 0.3}
_REPORT = "out/bandit.json"
# Snapshot paths have no empty component, so no target contains this: nothing is excluded.
_EXCLUDE_NOTHING = "//none"
# An empty [bandit] section: bandit reads no option from it, and never looks for another.
_INI = b"# grader-owned: its presence stops bandit reading a candidate .bandit\n[bandit]\n"
_PROFILE = b"# grader-owned profile: every test, nothing skipped\nskips: []\n"
_SEVERITY = {"HIGH": Severity.HIGH, "MEDIUM": Severity.MEDIUM, "LOW": Severity.LOW}
_VERSION_IN_URL = re.compile(r"/en/(\d+\.\d+\.\d+)/")
_OK_EXITS = (0, 1)  # 1 means "issues found", not a tool error


def penalty(severity: str, confidence: str) -> float:
    """Points one finding costs; unknown levels cost as LOW."""
    return SEVERITY_WEIGHT.get(severity, SEVERITY_WEIGHT["LOW"]) * CONFIDENCE_FACTOR.get(
        confidence, 0.3
    )


class SecurityGrader:
    """Grades the candidate by weighted bandit findings (0-100)."""

    name = "security"

    def steps(self, inp: GradingInput) -> list[RunSpec]:
        """One bandit run over the production files writing JSON to `out/bandit.json`."""
        # No production file: the empty `/work/out` as the target, so bandit scans nothing.
        targets = [f"{SRC_DIR}/{path}" for path in code_set(inp.sources).production] or [OUT_DIR]
        argv = (
            *("/opt/takehome/bin/bandit", "-r", "-f", "json", "-o", f"{OUT_DIR}/bandit.json"),
            *("--ignore-nosec", "--ini", f"{GRADER_DIR}/security/bandit.ini"),
            *("-c", f"{GRADER_DIR}/security/bandit.yaml", "-x", _EXCLUDE_NOTHING, *targets),
        )
        files = {
            "grader/security/bandit.ini": (_INI, READ_ONLY),
            "grader/security/bandit.yaml": (_PROFILE, READ_ONLY),
        }
        limits = analysis_limits(inp.limits)
        return [
            make_spec(
                inp,
                STEP,
                argv,
                files_in=files,
                files_out=(_REPORT,),
                workdir=OUT_DIR,
                limits=limits,
                trusted=True,
            )
        ]

    def grade(self, inp: GradingInput, executions: Mapping[str, Execution]) -> CategoryResult:  # noqa: ARG002
        """Score by weighted findings; never raises on bad output."""
        execution = executions.get(STEP)
        verdicts = flag_verdicts(STEP, execution) if execution else []
        tool = tool_label("bandit")
        try:
            if execution is not None and execution.exit_code not in _OK_EXITS:
                raise ToolOutputError(f"bandit exited with code {execution.exit_code}")
            report = as_dict(parse_json(output_file(executions, STEP, _REPORT), _REPORT), "report")
            findings, errors = _findings(report)
        except ToolOutputError as exc:
            return zero_result(self.name, tool, verdicts, exc, STEP)
        return _result(findings, errors, verdicts)

    def check(self, sandbox: Sandbox, image: str) -> None:
        """`subprocess.call(x, shell=True)` must be found as B602 at its line."""
        sources = {
            "mod.py": b"import subprocess\n\n\ndef run(x):\n    subprocess.call(x, shell=True)\n"
        }
        result = run_check(self, sandbox, GradingInput("check-security", image, sources))
        want = {("B404", "mod.py", 1), ("B602", "mod.py", 5)}
        require(
            result,
            lambda r: {(f.rule, f.file, f.line) for f in r.findings} == want,
            "exactly B404 at mod.py:1 and B602 at mod.py:5",
        )


def _findings(report: dict[str, object]) -> tuple[list[Finding], list[Finding]]:
    results = [as_dict(r, "result") for r in as_list(report.get("results"), "results")]
    findings = sorted(
        (_finding(r) for r in results), key=lambda f: (f.file or "", f.line or 0, f.rule)
    )
    return findings, [_error(e) for e in as_list(report.get("errors", []), "errors")]


def _finding(data: dict[str, object]) -> Finding:
    severity = as_str(data.get("issue_severity"), "issue_severity").upper()
    confidence = as_str(data.get("issue_confidence"), "issue_confidence").upper()
    cwe = data.get("issue_cwe")
    cwe_id = cwe.get("id") if isinstance(cwe, dict) else None
    url = data.get("more_info")
    extra = {
        "confidence": confidence if confidence in CONFIDENCE_FACTOR else "LOW",
        "test_name": as_str(data.get("test_name", ""), "test_name")[:100],
    }
    if isinstance(cwe_id, int) and not isinstance(cwe_id, bool):
        extra["cwe"] = f"CWE-{cwe_id}"
    column = data.get("col_offset")
    return Finding(
        rule=as_str(data.get("test_id"), "test_id")[:16],
        message=as_str(data.get("issue_text"), "issue_text")[:500],
        severity=_SEVERITY.get(severity, Severity.LOW),
        file=relative_path(as_str(data.get("filename"), "filename")),
        line=as_int(data.get("line_number"), "line_number"),
        column=column if isinstance(column, int) and not isinstance(column, bool) else None,
        url=url if isinstance(url, str) else None,
        extra=extra,
    )


def _error(item: object) -> Finding:
    data = as_dict(item, "error")
    filename = data.get("filename")
    reason = data.get("reason")
    return Finding(
        rule="scan-error",
        message=(reason if isinstance(reason, str) else "bandit could not scan this file")[:500],
        severity=Severity.INFO,
        file=relative_path(filename) if isinstance(filename, str) else None,
    )


def _result(
    findings: list[Finding], errors: list[Finding], verdicts: list[Verdict]
) -> CategoryResult:
    cost = sum(penalty(f.severity.name, f.extra["confidence"]) for f in findings)
    # bandit's JSON has no version field; its documentation links carry it.
    urls = [f.url for f in findings if f.url]
    found = _VERSION_IN_URL.search(urls[0]) if urls else None
    version = found[1] if found else TOOL_VERSIONS["bandit"]
    by_severity = {
        s.value: float(sum(f.severity is s for f in findings)) for s in _SEVERITY.values()
    }
    return CategoryResult(
        name="security",
        score=clamp(100.0 - cost),
        summary=f"{len(findings)} bandit findings costing {cost:.1f} points",
        findings=cap_findings([*findings, *errors]),
        verdicts=tuple(verdicts),
        metrics={"findings": float(len(findings)), "penalty": cost, **by_severity},
        tool=f"bandit {version}",
    )
