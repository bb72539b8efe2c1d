"""The style grader: ruff violations per 100 logical lines of candidate Python.

ruff runs `--isolated` (no candidate `ruff.toml`/`.ruff.toml`/`pyproject.toml` is read) with
`--ignore-noqa` (no `# noqa` or `# ruff: noqa` silences anything), and with `exclude = []` and
`respect-gitignore = false` so no file can be hidden in `venv/`, `build/` or a `.gitignore`d path.
Only `*.py` is linted, matching the lines counted for the density: the `python` files of
`graders._codeset`, production and tests alike (style applies to all of the candidate's code, so
moving code under a test path changes nothing here).

Lines are logical lines of code as Python's tokenizer ends them (each `NEWLINE` token): a
statement over several physical lines is one, and comments, blank lines, docstrings and other
lines holding nothing but a string literal are none. Padding a file with comments, blank lines or
string literals therefore adds no lines and cannot dilute the violations.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Mapping

from graders._codeset import code_set
from graders._steps import (
    ToolOutputError,
    analysis_limits,
    as_dict,
    as_int,
    as_list,
    as_str,
    cap_findings,
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

__all__ = ["DEFAULT_SELECT", "STEP", "StyleGrader", "count_loc", "style_score"]

STEP = "style.ruff"
DEFAULT_SELECT = ("E", "W", "F", "N")
_DEFAULT_LINE_LENGTH = 99
_REPORT = "out/ruff.json"
_RULE_CODE = re.compile(r"^[A-Z]{1,4}[0-9]{0,4}$")
_ERROR_PREFIXES = ("F", "invalid-syntax")
_NOT_CODE = frozenset(
    {
        *(tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.STRING),
        *(tokenize.ENCODING, tokenize.ENDMARKER, tokenize.NEWLINE),
    }
)


def count_loc(sources: Mapping[str, bytes]) -> int:
    """Logical lines of code of the candidate's `.py` files (see the module docstring)."""
    return sum(_logical_lines(sources[path]) for path in code_set(sources).python)


def _logical_lines(source: bytes) -> int:
    """`NEWLINE`-ended lines holding a token other than a string; a file the tokenizer gives up
    on counts the lines read until then."""
    count = 0
    code = False
    try:
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            if token.type == tokenize.NEWLINE:
                count += code
                code = False
            elif token.type not in _NOT_CODE:
                code = True
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        pass
    return count + code


def style_score(violations: int, loc: int) -> float:
    """`100 - 10 * violations per 100 logical lines`, floored at 0 (0 when there is no code)."""
    if loc <= 0:
        return 0.0
    return max(0.0, 100.0 - 10.0 * (100.0 * violations / loc))


class StyleGrader:
    """Grades the candidate by ruff violation density (0-100)."""

    name = "style"

    def steps(self, inp: GradingInput) -> list[RunSpec]:
        """One ruff run over `/work/src` writing JSON to `out/ruff.json`."""
        argv = (
            *("/opt/takehome/bin/ruff", "check", "--isolated"),
            *("--config", "exclude = []", "--config", "respect-gitignore = false"),
            *("--config", 'include = ["*.py"]', "--no-cache", "--ignore-noqa"),
            *("--output-format", "json", "--output-file", f"{OUT_DIR}/ruff.json", "--exit-zero"),
            *("--line-length", str(_line_length(inp)), "--select", ",".join(_select(inp))),
            *("--target-version", "py311", SRC_DIR),
        )
        limits = analysis_limits(inp.limits)
        return [make_spec(inp, STEP, argv, files_out=(_REPORT,), limits=limits, trusted=True)]

    def grade(self, inp: GradingInput, executions: Mapping[str, Execution]) -> CategoryResult:
        """Score from the violation density; never raises on bad output."""
        execution = executions.get(STEP)
        verdicts = flag_verdicts(STEP, execution) if execution else []
        tool = tool_label("ruff")
        loc = count_loc(inp.sources)
        if loc == 0:
            finding = Finding(rule="no-python", message="no logical lines of Python to lint")
            return CategoryResult(
                name=self.name,
                score=0.0,
                summary="no Python code",
                findings=(finding,),
                verdicts=tuple(verdicts),
                tool=tool,
            )
        try:
            report = parse_json(output_file(executions, STEP, _REPORT), _REPORT)
            findings = [_finding(item) for item in as_list(report, "ruff report")]
        except ToolOutputError as exc:
            return zero_result(self.name, tool, verdicts, exc, STEP)
        return _result(findings, loc, verdicts, tool)

    def check(self, sandbox: Sandbox, image: str) -> None:
        """An unused import on line 1 must be reported as F401 at line 1, and nothing else."""
        sources = {"mod.py": b"import os\n\n\ndef f():\n    return 1\n"}
        result = run_check(self, sandbox, GradingInput("check-style", image, sources))
        require(
            result,
            lambda r: [(f.rule, f.file, f.line) for f in r.findings] == [("F401", "mod.py", 1)],
            "exactly one finding F401 at mod.py:1",
        )


def _line_length(inp: GradingInput) -> int:
    value = inp.options.get("line_length", _DEFAULT_LINE_LENGTH)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 320:
        return _DEFAULT_LINE_LENGTH
    return value


def _select(inp: GradingInput) -> tuple[str, ...]:
    value = inp.options.get("select", list(DEFAULT_SELECT))
    codes = value.split(",") if isinstance(value, str) else value
    if not isinstance(codes, list) or not codes:
        return DEFAULT_SELECT
    # Rule codes only: the value lands in argv, so nothing that could read as an option.
    clean = tuple(c.strip() for c in codes if isinstance(c, str) and _RULE_CODE.match(c.strip()))
    return clean or DEFAULT_SELECT


def _finding(item: object) -> Finding:
    data = as_dict(item, "ruff violation")
    code = data.get("code")
    rule = as_str(code, "code") if code is not None else "invalid-syntax"
    location = as_dict(data.get("location"), "location")
    url = data.get("url")
    return Finding(
        rule=rule[:64],
        message=as_str(data.get("message"), "message")[:500],
        severity=Severity.MEDIUM if rule.startswith(_ERROR_PREFIXES) else Severity.LOW,
        file=relative_path(as_str(data.get("filename"), "filename")),
        line=as_int(location.get("row"), "row"),
        column=as_int(location.get("column"), "column"),
        url=url if isinstance(url, str) else None,
    )


def _result(
    findings: list[Finding], loc: int, verdicts: list[Verdict], tool: str
) -> CategoryResult:
    findings.sort(key=lambda f: (f.file or "", f.line or 0, f.column or 0, f.rule))
    density = 100.0 * len(findings) / loc
    return CategoryResult(
        name="style",
        score=style_score(len(findings), loc),
        summary=(
            f"{len(findings)} ruff violations in {loc} logical lines ({density:.2f} per 100 lines)"
        ),
        findings=cap_findings(findings),
        verdicts=tuple(verdicts),
        metrics={"violations": float(len(findings)), "loc": float(loc), "per_100_loc": density},
        tool=tool,
    )
