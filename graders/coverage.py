"""The coverage grader: the candidate's own tests, measured with the grader's coverage settings.

A trusted driver (`grader/coverage/run.py`) runs `coverage run -m pytest` in `/work/src` (the
candidate's pytest configuration applies to their own tests), then `coverage json` in isolated
mode. Both pass `--rcfile` explicitly, so coverage reads no `.coveragerc`, `setup.cfg`, `tox.ini`
or `pyproject.toml` of the candidate; and the grader's rcfile replaces the default exclusion
regexes, so `# pragma: no cover` and `# pragma: no branch` exclude nothing.

What is measured is the production code of `graders._codeset` (decided by the import graph, not by
file names): the rcfile's `omit` lists the candidate's test files by exact path (only paths made of
plain characters, so no name can read as a glob, an environment variable or an INI line), and
`grade()` counts only production files, subtracting any other file the report carries from the
totals. A helper moved under `tests/` and imported by production code is therefore measured.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from graders import _junit
from graders._codeset import code_set
from graders._steps import (
    READ_ONLY,
    ToolOutputError,
    as_dict,
    as_float,
    as_int,
    as_list,
    flag_verdicts,
    make_spec,
    output_file,
    parse_json,
    parse_xml,
    relative_path,
    require,
    run_check,
    zero_result,
)
from graders.base import GRADER_DIR, SRC_DIR, TOOLS_PYTHON, GradingInput
from graders.model import CategoryResult, Finding, Severity, TestOutcome, Verdict, VerdictKind
from sandbox import Execution, RunSpec, Sandbox
from sandbox.pins import tool_label

__all__ = [
    "COVERAGERC",
    "LOW_COVERAGE_PERCENT",
    "STEP",
    "CoverageGrader",
]

STEP = "coverage.candidate"
#: Files measured below this percentage become `low-coverage` findings.
LOW_COVERAGE_PERCENT = 50.0
_REPORT = "out/coverage.json"
_META = "out/coverage-meta.json"
_JUNIT = "out/candidate-junit.xml"
_NO_TESTS_COLLECTED = 5
# The driver stops the candidate's tests this long before the container's deadline, so the
# coverage report can still be written.
_REPORT_MARGIN_SECONDS = 15.0
#: The grader's rcfile (`_rcfile` adds `omit` per run). `exclude_lines` REPLACES coverage's
#: defaults: the pragma regex is dropped (so `# pragma: no cover` excludes nothing) and only
#: the two semantic defaults are kept: stub bodies (`...`) and `if TYPE_CHECKING:` blocks, which
#: never run. `partial_branches` never matches, so `# pragma: no branch` hides no partial branch.
#: `include_namespace_packages` counts never-imported files in folders without `__init__.py`, so
#: code cannot hide from the total.
COVERAGERC = b"""\
[run]
branch = True
source = /work/src
data_file = /tmp/.coverage
sigterm = True

[report]
include_namespace_packages = True
exclude_lines =
    ^\\s*(((async )?def .*?)?[\\])]+(\\s*->.*?)?:\\s*)?\\.\\.\\.\\s*(#|$)
    ^\\s*if (typing\\.)?TYPE_CHECKING:
partial_branches = (?!x)x
"""
# Characters a path may have to be written into the rcfile's `omit` as itself: no glob (`*?[`),
# no `$` (coverage expands environment variables), no whitespace or `;`/`#` (INI syntax).
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_./-]+")
_TOTALS = ("num_statements", "covered_lines", "num_branches", "covered_branches")


class CoverageGrader:
    """Grades the candidate by the line+branch coverage of their own tests (0-100)."""

    name = "coverage"

    def steps(self, inp: GradingInput) -> list[RunSpec]:
        """One driver run: the candidate's tests under coverage, then the JSON report."""
        budget = max(1.0, inp.limits.wall_seconds - _REPORT_MARGIN_SECONDS)
        paths = inp.options.get("test_paths", [])
        extra = [str(p) for p in paths] if isinstance(paths, list) else [str(paths)]
        argv = (TOOLS_PYTHON, f"{GRADER_DIR}/coverage/run.py", f"{budget:g}", *extra)
        files = {
            "grader/coverage/run.py": (_driver(), READ_ONLY),
            "grader/coverage/coveragerc": (_rcfile(code_set(inp.sources).tests), READ_ONLY),
        }
        outs = (_REPORT, _META, _JUNIT)
        return [make_spec(inp, STEP, argv, files_in=files, files_out=outs, workdir="/work/src")]

    def grade(self, inp: GradingInput, executions: Mapping[str, Execution]) -> CategoryResult:
        """Score = `totals.percent_covered`; never raises on bad output."""
        execution = executions.get(STEP)
        verdicts = flag_verdicts(STEP, execution) if execution else []
        tool = tool_label("coverage")
        meta = _meta(executions)
        findings = _candidate_test_findings(executions)
        if meta.get("tests_timed_out") is True:
            detail = "the candidate's tests were stopped before the container deadline"
            verdicts.append(Verdict(kind=VerdictKind.TIMED_OUT, step=STEP, detail=detail))
        if meta.get("tests_exit") == _NO_TESTS_COLLECTED:
            findings.append(
                Finding(rule="no-tests", message="pytest collected no candidate tests")
            )
            return CategoryResult(
                name=self.name,
                score=0.0,
                summary="no candidate tests were collected",
                findings=tuple(findings),
                verdicts=tuple(verdicts),
                tool=tool,
            )
        try:
            report = as_dict(parse_json(output_file(executions, STEP, _REPORT), _REPORT), "report")
            return _result(report, set(code_set(inp.sources).production), findings, verdicts)
        except ToolOutputError as exc:
            return zero_result(self.name, tool, verdicts, exc, STEP).model_copy(
                update={"findings": tuple(findings)}
            )

    def check(self, sandbox: Sandbox, image: str) -> None:
        """A module half covered by its one test must measure exactly 50%."""
        sources = {
            "mod.py": b"def a():\n    return 1\n\n\ndef b():\n    x = 2\n    y = 3\n"
            b"    return x + y\n",
            "tests/test_mod.py": b"from mod import a\n\n\ndef test_a():\n    assert a() == 1\n",
        }
        inp = GradingInput(run_id="check-coverage", image=image, sources=sources)
        result = run_check(self, sandbox, inp)
        require(
            result,
            lambda r: r.score == 50.0 and [(f.rule, f.file) for f in r.findings] == [],
            "score 50.0 and no findings (mod.py is exactly 50%)",
        )


def _rcfile(tests: Sequence[str]) -> bytes:
    """`COVERAGERC` with `omit` naming the candidate's plain-named test files exactly."""
    omit = [f"    {SRC_DIR}/{path}\n" for path in tests if _PLAIN_PATH.fullmatch(path)]
    if not omit:
        return COVERAGERC
    return COVERAGERC.replace(
        b"sigterm = True\n", f"sigterm = True\nomit =\n{''.join(omit)}".encode()
    )


def _driver() -> bytes:
    # The driver is a real module of this package, so it is linted and type-checked like the rest.
    return Path(__file__).with_name("_coverage_run.py").read_bytes()


def _meta(executions: Mapping[str, Execution]) -> dict[str, object]:
    try:
        return as_dict(parse_json(output_file(executions, STEP, _META), _META), "meta")
    except ToolOutputError:
        return {}


def _candidate_test_findings(executions: Mapping[str, Execution]) -> list[Finding]:
    # Advisory only: the candidate's process wrote this file, so it never affects the score.
    try:
        cases = _junit.read_cases(parse_xml(output_file(executions, STEP, _JUNIT), _JUNIT))
    except ToolOutputError:
        return []
    counts = _junit.outcome_counts(cases)
    failed = counts[TestOutcome.FAILED] + counts[TestOutcome.ERROR]
    if not failed:
        return []
    message = (
        f"{failed} of {len(cases)} candidate tests failed or errored "
        f"({counts[TestOutcome.PASSED]} passed, {counts[TestOutcome.SKIPPED]} skipped)"
    )
    return [Finding(rule="candidate-tests-failing", message=message, severity=Severity.INFO)]


def _result(
    report: dict[str, object],
    production: set[str],
    findings: list[Finding],
    verdicts: list[Verdict],
) -> CategoryResult:
    meta = as_dict(report.get("meta", {}), "meta")
    files = as_dict(report.get("files", {}), "files")
    totals = _production_totals(as_dict(report.get("totals"), "totals"), files, production)
    measurable = as_int(totals.get("num_statements"), "num_statements") + as_int(
        totals.get("num_branches", 0), "num_branches"
    )
    percent = as_float(totals.get("percent_covered"), "percent_covered") if measurable else 0.0
    for path in sorted(files):
        if relative_path(path) in production:
            findings.extend(_low_coverage(relative_path(path), as_dict(files[path], path)))
    if not measurable:
        findings.append(Finding(rule="no-code", message="no measurable candidate code"))
    metrics = {
        key: as_float(totals.get(key, 0), key)
        for key in (
            *("percent_covered", "percent_statements_covered", "percent_branches_covered"),
            *("num_statements", "covered_lines", "num_branches", "covered_branches"),
        )
    }
    version = meta.get("version")
    return CategoryResult(
        name="coverage",
        score=max(0.0, min(100.0, percent)),
        summary=f"{percent:.1f}% of lines and branches covered by the candidate's own tests",
        findings=tuple(findings),
        verdicts=tuple(verdicts),
        metrics=metrics,
        tool=f"coverage {version}"[:64] if isinstance(version, str) else tool_label("coverage"),
    )


def _production_totals(
    totals: dict[str, object], files: dict[str, object], production: set[str]
) -> dict[str, object]:
    """Coverage's totals without the files that are not production code (the candidate's tests
    whose names could not be written into `omit`, or anything else the report carries)."""
    others = [as_dict(files[p], p) for p in files if relative_path(p) not in production]
    if not others:
        return totals
    counts = {key: as_int(totals.get(key, 0), key) for key in _TOTALS}
    for data in others:
        summary = as_dict(data.get("summary"), "summary")
        for key in _TOTALS:
            counts[key] -= as_int(summary.get(key, 0), key)
    if min(counts.values()) < 0:
        raise ToolOutputError("coverage totals are smaller than the sum of their files")
    lines, branches = counts["num_statements"], counts["num_branches"]
    covered_lines, covered_branches = counts["covered_lines"], counts["covered_branches"]
    return {
        **counts,
        "percent_covered": _percent(covered_lines + covered_branches, lines + branches),
        "percent_statements_covered": _percent(covered_lines, lines),
        "percent_branches_covered": _percent(covered_branches, branches),
    }


def _percent(part: int, whole: int) -> float:
    """Coverage's convention: nothing to cover is 100% covered."""
    return 100.0 * part / whole if whole else 100.0


def _low_coverage(path: str, data: dict[str, object]) -> list[Finding]:
    summary = as_dict(data.get("summary"), f"{path} summary")
    percent = as_float(summary.get("percent_covered"), f"{path} percent_covered")
    if percent >= LOW_COVERAGE_PERCENT:
        return []
    missing = sorted(
        as_int(n, f"{path} line") for n in as_list(data.get("missing_lines", []), path)
    )
    ranges = _ranges(missing)
    return [
        Finding(
            rule="low-coverage",
            message=f"{percent:.1f}% covered; missing lines {ranges}"
            if ranges
            else f"{percent:.1f}% covered",
            severity=Severity.LOW,
            file=path,
            line=missing[0] if missing else None,
            extra={"percent_covered": f"{percent:.2f}", "missing_lines": ranges},
        )
    ]


def _ranges(lines: list[int]) -> str:
    """`[1, 2, 3, 7]` → `"1-3, 7"`."""
    spans: list[list[int]] = []
    for line in lines:
        if spans and line == spans[-1][1] + 1:
            spans[-1][1] = line
        else:
            spans.append([line, line])
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans)
