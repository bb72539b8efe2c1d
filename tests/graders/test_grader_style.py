"""The style grader against real ruff output (HostSandbox) and hand-made executions."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from graders.base import GradingInput
from graders.model import CategoryResult, Severity, VerdictKind
from graders.style import StyleGrader, count_loc, style_score
from sandbox import Execution, Sandbox

Repo = Callable[[str], dict[str, bytes]]


def _grade(sandbox: Sandbox, inp: GradingInput) -> CategoryResult:
    grader = StyleGrader()
    executions = {s.label: sandbox.run(s) for s in grader.steps(inp)}
    return grader.grade(inp, executions)


def test_noqa_and_candidate_config_silence_nothing(host_sandbox: Sandbox, repo: Repo) -> None:
    sources = repo("style/repo")  # ruff.toml + pyproject.toml ignore ALL and exclude **
    # Hidden in a folder ruff excludes by default, and in a .gitignore: still linted.
    sources |= {"venv/hidden.py": b"import json\n", ".gitignore": b"*.py\napp/\n"}
    result = _grade(host_sandbox, GradingInput("r", "img", sources))

    assert [(f.rule, f.file, f.line, f.column) for f in result.findings] == [
        ("F401", "app/core.py", 2, 8),  # a file-level and a line noqa: ignored
        ("F401", "app/core.py", 3, 8),
        ("N802", "app/core.py", 6, 5),  # a bare noqa: ignored
        ("E741", "app/core.py", 7, 5),
        ("E501", "app/core.py", 12, 100),  # default line length 99, not the candidate's 500
        ("F401", "venv/hidden.py", 1, 8),
    ]
    assert [f.severity for f in result.findings] == [
        *(Severity.MEDIUM, Severity.MEDIUM, Severity.LOW, Severity.LOW, Severity.LOW),
        Severity.MEDIUM,
    ]
    assert result.findings[0].url == "https://docs.astral.sh/ruff/rules/unused-import"
    # Logical lines: the file-level noqa comment line is not one.
    assert result.metrics == {"violations": 6.0, "loc": 8.0, "per_100_loc": 600 / 8}
    assert result.score == 0.0
    assert result.tool == "ruff 0.17.5"
    assert result.verdicts == ()


def test_density_score_and_options(host_sandbox: Sandbox) -> None:
    body = "".join(f"def f{i}():\n    return {i}\n\n\n" for i in range(10)).rstrip() + "\n"
    sources = {"mod.py": b"import os\n" + body.encode()}  # 1 violation in 21 lines
    result = _grade(host_sandbox, GradingInput("r", "img", sources))
    assert [f.rule for f in result.findings] == ["F401"]
    assert result.score == pytest.approx(100 - 10 * 100 / 21)

    narrow = GradingInput("r", "img", sources, options={"select": ["E"], "line_length": 10})
    result = _grade(host_sandbox, narrow)
    assert {f.rule for f in result.findings} == {"E501"}
    assert len(result.findings) == 10  # the ten `    return N` lines (12 columns); defs are 9


def test_empty_repository_scores_zero() -> None:
    result = StyleGrader().grade(GradingInput("r", "img", {"README.md": b"hi\n"}), {})
    assert result.score == 0.0
    assert [f.rule for f in result.findings] == ["no-python"]


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (None, VerdictKind.NO_RESULTS),
        (b"{not json", VerdictKind.TOOL_ERROR),
        (b'{"a": 1}', VerdictKind.TOOL_ERROR),
        (b'[{"code": "F401"}]', VerdictKind.TOOL_ERROR),
    ],
)
def test_bad_report_is_a_verdict(content: bytes | None, kind: VerdictKind) -> None:
    files = {} if content is None else {"out/ruff.json": content}
    execution = Execution(0, b"", b"", 1.0, files_out=files, oom_killed=True)
    result = StyleGrader().grade(
        GradingInput("r", "img", {"a.py": b"x = 1\n"}), {"style.ruff": execution}
    )
    assert result.score == 0.0
    assert [(v.kind, v.step) for v in result.verdicts] == [
        (VerdictKind.OOM_KILLED, "style.ruff"),
        (kind, "style.ruff"),
    ]


def test_steps_argv() -> None:
    (spec,) = StyleGrader().steps(GradingInput("run-1", "img", {"a.py": b"x = 1\n"}))
    assert spec.label == "style.ruff"
    assert spec.argv[:3] == ("/opt/takehome/bin/ruff", "check", "--isolated")
    assert "--ignore-noqa" in spec.argv
    assert spec.argv[-1] == "/work/src"
    assert spec.files_in == {"src/a.py": (b"x = 1\n", 0o444)}
    assert spec.files_out == ("out/ruff.json",)
    assert spec.env == {"HOME": "/tmp", "PYTHONDONTWRITEBYTECODE": "1"}


def test_loc_and_score_helpers() -> None:
    assert count_loc({"a.py": b"x = 1\n\n   \ny = 2\n", "b.txt": b"z\n"}) == 2
    assert style_score(1, 100) == 90.0
    assert style_score(10, 100) == 0.0
    assert style_score(50, 100) == 0.0
    assert style_score(0, 0) == 0.0
