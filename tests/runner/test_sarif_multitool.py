"""The SARIF export against the real consumer's validator: Microsoft's SARIF multitool with
GitHub's ingestion rules (`validate --rule-kind "Sarif;Gh"`), the validator GitHub's
code-scanning docs point to, and the OASIS 2.1.0 JSON schema it ships (checked with
jsonschema_rs, which schemathesis brings).

The multitool is the npm package `@microsoft/sarif-multitool`, installed by scripts/test.sh into
the git-ignored tests/.tools. Without it this test skips locally and fails in CI (`CI=true`).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from graders.model import (
    CategoryResult,
    Finding,
    Report,
    Severity,
    TestCase,
    TestOutcome,
    Verdict,
    VerdictKind,
)
from runner.sarif import report_sarif

pytestmark = pytest.mark.slow

TOOLS = Path(__file__).resolve().parents[1] / ".tools"
V1_REPORT = Path(__file__).resolve().parents[1] / "fixtures" / "reports" / "report-v1.json"
HIDDEN = "HIDDEN-TEST-SECRET"


def _multitool() -> str:
    """The native multitool binary the npm package resolves to (its `index.js`)."""
    try:
        found = subprocess.run(
            ["node", "-p", "require('@microsoft/sarif-multitool')"],
            cwd=TOOLS,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as exc:
        message = f"the SARIF multitool is missing (scripts/test.sh installs it): {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def _many_findings() -> Report:
    cases = tuple(
        TestCase(
            id=f"tests/test_hidden.py::test_{n}",
            outcome=outcome,
            message=f"assert {n} == 0 {HIDDEN}" if outcome is not TestOutcome.PASSED else "",
        )
        for n, outcome in enumerate([*TestOutcome] * 3)
    )
    tests = CategoryResult(
        name="tests",
        score=20,
        summary="some failed",
        tests=cases,
        findings=(Finding(rule="collection-error", message=f"tests/test_hidden.py: {HIDDEN}"),),
        verdicts=(
            Verdict(kind=VerdictKind.FORGERY_DETECTED, step="tests.hidden", detail=HIDDEN),
            Verdict(kind=VerdictKind.TESTS_INCOMPLETE, step="tests.hidden", detail=HIDDEN),
        ),
    )
    ruff = tuple(
        Finding(
            rule=code,
            message=f"{name} at {n}",
            file=f"pkg/mod_{n % 4}.py",
            line=n + 1,
            column=1 + n % 7,
            url=f"https://docs.astral.sh/ruff/rules/{name}",
        )
        for n, (code, name) in enumerate(
            [("F401", "unused-import"), ("E501", "line-too-long"), ("S307", "suspicious-eval")]
            * 10
        )
    )
    style = CategoryResult(
        name="style",
        score=40,
        summary="many",
        findings=(
            *ruff,
            Finding(rule="invalid-syntax", message="bad", file="pkg/broken.py", line=2),
            Finding(rule="truncated", message="12 more findings not listed"),
        ),
    )
    bandit = tuple(
        Finding(
            rule=rule,
            message=text,
            severity=severity,
            file="pkg/run.py",
            line=line,
            column=4,
            url=url,
            extra={"test_name": name, "cwe": "CWE-78", "confidence": "HIGH"},
        )
        for rule, name, text, severity, line, url in [
            ("B307", "blacklist", "eval", Severity.MEDIUM, 3, _BANDIT_B307),
            ("B602", "subprocess_popen_with_shell_equals_true", "shell", Severity.HIGH, 5, None),
            ("B602", "subprocess_popen_with_shell_equals_true", "shell", Severity.HIGH, 5, None),
            ("B101", "assert_used", "assert", Severity.LOW, 9, None),
        ]
    )
    security = CategoryResult(
        name="security",
        score=30,
        summary="bandit",
        findings=(*bandit, Finding(rule="scan-error", message="no file", severity=Severity.INFO)),
    )
    complexity = CategoryResult(
        name="complexity",
        score=70,
        summary="radon",
        findings=(
            Finding(rule="CC-D", message="f has complexity 25", file="pkg/mod_1.py", line=40),
            Finding(rule="MI-C", message="maintainability 3.0", file="pkg/mod_2.py"),
        ),
        verdicts=(Verdict(kind=VerdictKind.TIMED_OUT, step="complexity.cc", detail="slow"),),
    )
    coverage = CategoryResult(
        name="coverage",
        score=10,
        summary="low",
        findings=(
            Finding(rule="low-coverage", message="10% covered", file="pkg/mod_3.py", line=7),
            Finding(rule="candidate-tests-failing", message="2 failed"),
        ),
    )
    return Report(
        score=25,
        categories={
            "tests": tests,
            "coverage": coverage,
            "style": style,
            "complexity": complexity,
            "security": security,
        },
        verdicts=(Verdict(kind=VerdictKind.OUTPUT_TRUNCATED, step="style.ruff", detail="cut"),),
    )


_BANDIT_B307 = "https://bandit.readthedocs.io/en/1.9.4/blacklists/blacklist_calls.html#b307-eval"


def _validate(tmp_path: Path, name: str, sarif: dict[str, Any]) -> list[dict[str, Any]]:
    """The multitool's results (errors and warnings) for one SARIF document."""
    target, log = tmp_path / f"{name}.sarif", tmp_path / f"{name}.validation.sarif"
    target.write_text(json.dumps(sarif, indent=2))
    done = subprocess.run(
        [_multitool(), "validate", str(target), "--rule-kind", "Sarif;Gh", "--output", str(log)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1"},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results: list[dict[str, Any]] = json.loads(log.read_text())["runs"][0]["results"]
    return results


def _schema_errors(multitool: str, sarif: dict[str, Any]) -> list[str]:
    """Errors against the OASIS SARIF 2.1.0 JSON schema the multitool ships beside its binary."""
    schema = json.loads((Path(multitool).parent / "sarif-2.1.0.json").read_text())
    return [e.message for e in jsonschema_rs.validator_for(schema).iter_errors(sarif)]


def _problems(results: list[dict[str, Any]]) -> list[str]:
    return [
        f"{r.get('level', 'warning')} {r['ruleId']}: {r['message']}"
        for r in results
        if r.get("level", "warning") in ("error", "warning")
    ]


def test_the_multitool_still_finds_what_github_refuses(tmp_path: Path) -> None:
    # The validator is live: a result without location and a rule without metadata are errors.
    bad = report_sarif(_many_findings())
    run = bad["runs"][0]
    run["results"][0]["locations"] = []
    del run["tool"]["driver"]["rules"][0]["shortDescription"]
    rules = {r["ruleId"] for r in _validate(tmp_path, "bad", bad) if r.get("level") == "error"}
    assert {"GH1015", "GH2012"} <= rules
    run["results"][0]["level"] = "fatal"
    assert _schema_errors(_multitool(), bad)


def test_many_findings_verdicts_and_failed_tests_pass_githubs_rules(tmp_path: Path) -> None:
    report = _many_findings()
    sarif = report_sarif(report, information_uri="https://takehome.example/", version="0.1.0")
    assert _problems(_validate(tmp_path, "many", sarif)) == []
    assert _schema_errors(_multitool(), sarif) == []
    text = json.dumps(sarif)
    assert HIDDEN not in text
    assert "test_hidden" not in text
    (run,) = sarif["runs"]
    assert run["invocations"][0]["executionSuccessful"] is False
    located = sum(bool(f.file) for c in report.categories.values() for f in c.findings)
    hidden_located = sum(bool(f.file) for f in report.categories["tests"].findings)
    assert len(run["results"]) == located - hidden_located


def test_a_clean_and_a_stored_v1_report_pass_githubs_rules(tmp_path: Path) -> None:
    clean = Report(
        score=100, categories={"tests": CategoryResult(name="tests", score=100, summary="")}
    )
    sarif = report_sarif(clean, information_uri="https://takehome.example/", version="0.1.0")
    assert _problems(_validate(tmp_path, "clean", sarif)) == []
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is True
    stored = Report.from_stored(V1_REPORT.read_text())
    sarif = report_sarif(stored, information_uri="https://takehome.example/", version="0.1.0")
    assert _problems(_validate(tmp_path, "v1", sarif)) == []
    assert _schema_errors(_multitool(), sarif) == []
    assert sarif["runs"][0]["results"]
