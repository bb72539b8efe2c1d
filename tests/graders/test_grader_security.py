"""The security grader: real bandit output, `# nosec` and a candidate `.bandit` ignored."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from graders.base import GradingInput
from graders.model import CategoryResult, Severity, VerdictKind
from graders.security import SecurityGrader, penalty
from sandbox import Execution, Sandbox

Repo = Callable[[str], dict[str, bytes]]
STEP = "security.bandit"


def _run(sandbox: Sandbox, sources: dict[str, bytes]) -> CategoryResult:
    grader = SecurityGrader()
    inp = GradingInput("r", "img", sources)
    return grader.grade(inp, {s.label: sandbox.run(s) for s in grader.steps(inp)})


def test_nosec_and_candidate_bandit_config_are_ignored(host_sandbox: Sandbox, repo: Repo) -> None:
    # .bandit skips every test id below and excludes "/"; pyproject [tool.bandit] does the same.
    result = _run(host_sandbox, repo("security/repo"))

    assert [
        (f.rule, f.file, f.line, f.severity, f.extra["confidence"]) for f in result.findings
    ] == [
        ("B403", "app/run.py", 2, Severity.LOW, "HIGH"),
        ("B404", "app/run.py", 3, Severity.LOW, "HIGH"),
        ("B105", "app/run.py", 5, Severity.LOW, "MEDIUM"),
        ("B602", "app/run.py", 9, Severity.HIGH, "HIGH"),  # `# nosec`
        ("B324", "app/run.py", 13, Severity.HIGH, "HIGH"),  # `# nosec B324`
        ("B301", "app/run.py", 17, Severity.MEDIUM, "HIGH"),
        ("B101", "app/run.py", 21, Severity.LOW, "HIGH"),
        ("B307", "app/run.py", 22, Severity.MEDIUM, "HIGH"),  # `# nosec: B307`
    ]
    b602 = result.findings[3]
    assert b602.extra == {
        "confidence": "HIGH",
        "cwe": "CWE-78",
        "test_name": "subprocess_popen_with_shell_equals_true",
    }
    assert b602.url == (
        "https://bandit.readthedocs.io/en/1.9.4/plugins/"
        "b602_subprocess_popen_with_shell_equals_true.html"
    )
    # tests/test_run.py is excluded. 1 + 1 + 0.6 + 25 + 25 + 10 + 1 + 10 = 73.6
    assert result.metrics["penalty"] == pytest.approx(73.6)
    assert result.score == pytest.approx(26.4)
    assert result.tool == "bandit 1.9.4"
    assert result.verdicts == ()


def test_clean_code_scores_100(host_sandbox: Sandbox) -> None:
    result = _run(host_sandbox, {"ok.py": b"def f(x):\n    return x + 1\n"})
    assert result.score == 100.0
    assert result.findings == ()


def _grade(execution: Execution) -> CategoryResult:
    return SecurityGrader().grade(GradingInput("r", "img", {}), {STEP: execution})


def test_exit_code_two_is_a_tool_error() -> None:
    result = _grade(Execution(2, b"", b"usage", 1.0, files_out={"out/bandit.json": b"{}"}))
    assert [v.kind for v in result.verdicts] == [VerdictKind.TOOL_ERROR]
    assert result.score == 0.0


@pytest.mark.parametrize(
    "report",
    [b"", b'{"results": 3}', b'{"results": [{"test_id": 5}]}', b'{"results": [], "errors": {}}'],
)
def test_garbled_report(report: bytes) -> None:
    result = _grade(Execution(1, b"", b"", 1.0, files_out={"out/bandit.json": report}))
    assert result.score == 0.0
    assert [v.kind for v in result.verdicts] == [VerdictKind.TOOL_ERROR]


def test_scan_errors_are_info_findings() -> None:
    report = b'{"results": [], "errors": [{"filename": "/work/src/x.py", "reason": "syntax"}]}'
    result = _grade(Execution(0, b"", b"", 1.0, files_out={"out/bandit.json": report}))
    assert [(f.rule, f.file, f.severity) for f in result.findings] == [
        ("scan-error", "x.py", Severity.INFO)
    ]
    assert result.score == 100.0


def test_penalty_table() -> None:
    assert penalty("HIGH", "HIGH") == 25.0
    assert penalty("MEDIUM", "MEDIUM") == pytest.approx(6.0)
    assert penalty("LOW", "LOW") == pytest.approx(0.3)
    assert penalty("WEIRD", "WEIRD") == pytest.approx(0.3)


def test_steps_use_grader_configs() -> None:
    sources = {"app/b.py": b"", "app/a.py": b"", "tests/test_a.py": b"import app.a\n"}
    (spec,) = SecurityGrader().steps(GradingInput("r", "img", sources))
    # The production files by name; `-x` replaces bandit's default substring excludes (`.git`,
    # `CVS`, ...) with a path no target can contain.
    assert spec.argv == (
        *("/opt/takehome/bin/bandit", "-r", "-f", "json", "-o", "/work/out/bandit.json"),
        *("--ignore-nosec", "--ini", "/work/grader/security/bandit.ini"),
        *("-c", "/work/grader/security/bandit.yaml"),
        *("-x", "//none", "/work/src/app/a.py", "/work/src/app/b.py"),
    )
    (empty,) = SecurityGrader().steps(GradingInput("r", "img", {}))
    assert empty.argv[-1] == "/work/out"  # nothing to scan: the empty out dir
    assert set(spec.files_in) - {f"src/{path}" for path in sources} == {
        "grader/security/bandit.ini",
        "grader/security/bandit.yaml",
    }
