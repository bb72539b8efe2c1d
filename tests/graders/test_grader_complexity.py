"""The complexity grader: real radon output over fixture repos, and the score formula."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from graders.base import GradingInput
from graders.complexity import ComplexityGrader
from graders.model import CategoryResult, Severity, VerdictKind
from sandbox import Execution, Sandbox

Repo = Callable[[str], dict[str, bytes]]


def _run(sandbox: Sandbox, sources: dict[str, bytes]) -> CategoryResult:
    grader = ComplexityGrader()
    inp = GradingInput("r", "img", sources)
    return grader.grade(inp, {s.label: sandbox.run(s) for s in grader.steps(inp)})


def test_ranks_mi_and_parse_errors(host_sandbox: Sandbox, repo: Repo) -> None:
    # radon.cfg and setup.cfg try to exclude everything: radon runs in /work/out, so they can't.
    result = _run(host_sandbox, repo("complexity/repo"))

    assert [(f.rule, f.file, f.line, f.severity) for f in result.findings] == [
        ("parse-error", "pkg/broken.py", None, Severity.INFO),
        ("CC-F", "pkg/mi_b.py", 1, Severity.HIGH),
        ("CC-F", "pkg/mi_c.py", 1, Severity.HIGH),
        ("CC-E", "pkg/ranks.py", 13, Severity.HIGH),
        ("CC-D", "pkg/ranks.py", 9, Severity.MEDIUM),
        ("CC-C", "pkg/ranks.py", 5, Severity.LOW),
        ("MI-B", "pkg/mi_b.py", None, Severity.LOW),
        ("MI-C", "pkg/mi_c.py", None, Severity.MEDIUM),
    ]
    assert result.findings[3].message == "rank_e has cyclomatic complexity 31 (rank E)"
    # tests/test_ranks.py (complexity 45) is excluded; Box (a class) is not a block.
    ranks = {k: v for k, v in result.metrics.items() if k.startswith("rank_")}
    assert ranks == {f"rank_{r}": 1.0 for r in "ABCDE"} | {"rank_F": 2.0}
    assert result.metrics["blocks"] == 7.0
    assert result.metrics["worst_complexity"] == 121.0
    assert result.score == 0.0
    assert result.tool == "radon 6.0.1"


def test_score_formula_on_real_output(host_sandbox: Sandbox, repo: Repo) -> None:
    sources = {"ranks.py": repo("complexity/repo")["pkg/ranks.py"]}
    result = _run(host_sandbox, sources)
    # Blocks: simple 1 (A), Box.method 6 (B), rank_c 11 (C), rank_d 21 (D), rank_e 31 (E).
    # 100 - (5 + 10 + 15) - 5 * (70 / 5 - 5) = 25; ranks.py has MI rank A.
    assert result.metrics["average_complexity"] == 14.0
    assert result.score == 25.0
    assert result.summary.endswith("worst rank_e at ranks.py:13 (31, rank E)")


def _grade(cc: object, mi: object) -> CategoryResult:
    executions = {
        "complexity.cc": Execution(0, b"", b"", 1.0, files_out={"out/radon-cc.json": cc})
        if isinstance(cc, bytes)
        else Execution(0, b"", b"", 1.0, oom_killed=True),
        "complexity.mi": Execution(0, b"", b"", 1.0, files_out={"out/radon-mi.json": mi})
        if isinstance(mi, bytes)
        else Execution(0, b"", b"", 1.0),
    }
    return ComplexityGrader().grade(GradingInput("r", "img", {}), executions)


def test_mi_penalties_and_average() -> None:
    block = {"type": "function", "rank": "B", "lineno": 1, "name": "f", "complexity": 7}
    cc = json.dumps({"/work/src/a.py": [block], "/work/src/b.py": []}).encode()
    mi = json.dumps(
        {"/work/src/a.py": {"mi": 15.0, "rank": "B"}, "/work/src/b.py": {"mi": 5.0, "rank": "C"}}
    ).encode()
    result = _grade(cc, mi)
    # 100 - 5 * (7 - 5) - 3 - 10
    assert result.score == 77.0
    assert [f.rule for f in result.findings] == ["MI-B", "MI-C"]


def test_missing_and_garbled_outputs() -> None:
    result = _grade(None, b"{}")
    assert result.score == 0.0
    assert [(v.kind, v.step) for v in result.verdicts] == [
        (VerdictKind.OOM_KILLED, "complexity.cc"),
        (VerdictKind.NO_RESULTS, "complexity.cc"),
    ]
    result = _grade(b"{}", b'{"/work/src/a.py": {"mi": "high", "rank": "A"}}')
    assert [(v.kind, v.step) for v in result.verdicts] == [
        (VerdictKind.TOOL_ERROR, "complexity.mi")
    ]
    bad_rank = b'{"/work/src/a.py": [{"type": "function", "rank": "Z", "name": "f"}]}'
    assert _grade(bad_rank, b"{}").verdicts[0].kind is VerdictKind.TOOL_ERROR


def test_no_python_files_scores_zero() -> None:
    result = _grade(b"{}", b"{}")
    assert result.score == 0.0
    assert [f.rule for f in result.findings] == ["no-python"]


@pytest.mark.parametrize("label", ["complexity.cc", "complexity.mi"])
def test_steps_run_in_out_dir(label: str) -> None:
    sources = {"b.py": b"", "a.py": b"", "tests/test_a.py": b"import a\n", "notes.txt": b""}
    specs = {s.label: s for s in ComplexityGrader().steps(GradingInput("r", "img", sources))}
    assert specs[label].workdir == "/work/out"
    # The production files, named one by one; no exclusion glob.
    assert specs[label].argv[-2:] == ("/work/src/a.py", "/work/src/b.py")
    assert "-e" not in specs[label].argv
    empty = {s.label: s for s in ComplexityGrader().steps(GradingInput("r", "img", {}))}
    assert empty[label].argv[-1] == "/work/out"  # nothing to measure: the empty out dir


def test_helper_under_a_test_path_or_a_dot_folder_is_measured(host_sandbox: Sandbox) -> None:
    # Production imports it, so it is production code wherever it lives; radon's own directory
    # walk would skip `.hidden/` and the old exclusion globs skipped `pkg/tests/`.
    body = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(10))
    branchy = f"def branchy(x):\n{body}    return -1\n".encode()
    sources = {
        "pkg/__init__.py": b"from pkg.tests.helpers import branchy\n",
        "pkg/tests/__init__.py": b"",
        "pkg/tests/helpers.py": branchy,
        "pkg/tests/test_pkg.py": branchy,  # the candidate's test: not measured
        ".hidden/tool.py": branchy,
    }
    result = _run(host_sandbox, sources)
    assert [(f.rule, f.file, f.line) for f in result.findings] == [
        ("CC-C", ".hidden/tool.py", 1),
        ("CC-C", "pkg/tests/helpers.py", 1),
    ]
