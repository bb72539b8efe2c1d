"""Score hiding: moving code under a test-looking path, or padding it with comments, never raises
a score, and the hidden code's findings stay in the report with their file and line.

The base submission is the calculator reference plus a helper, imported by production code, with
`shell=True`, `pickle.loads`, MD5 and a rank-F function (and one unused import, so style has a
violation to dilute). Each trick is graded against it by the real analysers: through the host
sandbox (real pinned bandit, radon, ruff and coverage) in the fast lane, and once end to end
through the pipeline in Docker.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from graders.base import GradingInput
from graders.complexity import ComplexityGrader
from graders.coverage import CoverageGrader
from graders.model import CategoryResult, Report
from graders.scoring import combine
from graders.security import SecurityGrader
from graders.style import StyleGrader
from runner.challenge import load_challenge
from runner.intake import Snapshot
from runner.pipeline import Pipeline
from sandbox import Sandbox
from sandbox.docker import DockerSandbox
from tests.hostsandbox import HostSandbox

CALCULATOR = Path(__file__).resolve().parents[1] / "challenges" / "calculator"
_BRANCHES = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(45))
HELPER = (
    "import hashlib\nimport os\nimport pickle\nimport subprocess\n\n\n"
    "def run(command):\n    return subprocess.call(command, shell=True)\n\n\n"
    "def load(blob):\n    return pickle.loads(blob)\n\n\n"
    "def digest(data):\n    return hashlib.md5(data).hexdigest()\n\n\n"
    f"def branchy(x):\n{_BRANCHES}    return -1\n"
)
#: (rule, line in HELPER) of the helper's findings every report must keep.
HELPER_FINDINGS = {
    "security": {("B602", 8), ("B301", 12), ("B324", 16)},
    "complexity": {("CC-F", 19)},
}
_GRADERS = (StyleGrader(), SecurityGrader(), ComplexityGrader(), CoverageGrader())
#: The calculator's weights without the hidden tests (the tricks do not touch what they call).
_WEIGHTS = {"coverage": 15.0, "style": 10.0, "complexity": 10.0, "security": 15.0}


def _reference() -> dict[str, bytes]:
    root = CALCULATOR / "reference"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*.py")}


def _with_helper(path: str, import_line: str, **extra: str) -> dict[str, bytes]:
    files = _reference()
    exported = '\n__all__ += ["digest", "load", "run"]\n'
    files["calc/__init__.py"] = (
        files["calc/__init__.py"] + import_line.encode() + exported.encode()
    )
    files[path] = HELPER.encode()
    files.update({k.replace("__", "/"): v.encode() for k, v in extra.items()})
    return files


def _padded(lines: Callable[[int], str]) -> dict[str, bytes]:
    files = base()
    pad = "".join(lines(i) for i in range(5000))
    files["calc/ops.py"] = pad.encode() + files["calc/ops.py"] + pad.encode()
    return files


def base() -> dict[str, bytes]:
    """The honest layout: the helper is production code and lives with it."""
    return _with_helper("calc/helpers.py", "from calc.helpers import digest, load, run\n")


#: trick name -> (the tricked submission, where the helper went or None).
TRICKS: dict[str, tuple[Callable[[], dict[str, bytes]], str | None]] = {
    "tests-folder": (
        lambda: _with_helper(
            "calc/tests/helpers.py",
            "from calc.tests.helpers import digest, load, run\n",
            calc__tests__init__py="",
        ),
        "calc/tests/helpers.py",
    ),
    "tests-namespace-folder": (
        lambda: _with_helper(
            "calc/tests/helpers.py", "from .tests.helpers import digest, load, run\n"
        ),
        "calc/tests/helpers.py",
    ),
    "test-prefix": (
        lambda: _with_helper(
            "calc/test_helpers.py", "from calc.test_helpers import digest, load, run\n"
        ),
        "calc/test_helpers.py",
    ),
    "conftest": (
        lambda: _with_helper("calc/conftest.py", "from .conftest import digest, load, run\n"),
        "calc/conftest.py",
    ),
    "root-conftest": (
        lambda: _with_helper("conftest.py", "from conftest import digest, load, run\n"),
        "conftest.py",
    ),
    "comment-padding": (lambda: _padded(lambda i: f"# padding line {i}\n"), "calc/helpers.py"),
    "comment-and-blank-padding": (
        lambda: _padded(lambda i: f"\n    # padding {i}\n\n"),
        "calc/helpers.py",
    ),
}


def _grade(sandbox: Sandbox, sources: dict[str, bytes]) -> dict[str, CategoryResult]:
    inp = GradingInput("hiding", "img", sources)
    results = {}
    for grader in _GRADERS:
        results[grader.name] = grader.grade(
            inp, {s.label: sandbox.run(s) for s in grader.steps(inp)}
        )
    return results


def _located(result: CategoryResult, file: str) -> set[tuple[str, int]]:
    return {(f.rule, f.line) for f in result.findings if f.file == file and f.line is not None}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> HostSandbox:
    return HostSandbox(tmp_path_factory.mktemp("hostsandbox"))


@pytest.fixture(scope="module")
def base_results(sandbox: HostSandbox) -> dict[str, CategoryResult]:
    return _grade(sandbox, base())


def test_base_carries_the_helper_findings(base_results: dict[str, CategoryResult]) -> None:
    for category, expected in HELPER_FINDINGS.items():
        assert expected <= _located(base_results[category], "calc/helpers.py")
    assert ("F401", 2) in _located(base_results["style"], "calc/helpers.py")
    assert base_results["style"].score < 100.0  # a violation that padding could dilute


@pytest.mark.parametrize("trick", sorted(TRICKS))
def test_trick_raises_no_score(
    trick: str, sandbox: HostSandbox, base_results: dict[str, CategoryResult]
) -> None:
    make, helper = TRICKS[trick]
    tricked = _grade(sandbox, make())

    for name, result in tricked.items():
        assert result.score <= base_results[name].score + 1e-9, (name, result.summary)
    overall, _ = combine(tricked, _WEIGHTS)
    assert overall <= combine(base_results, _WEIGHTS)[0] + 1e-9
    assert helper is not None
    for category, expected in HELPER_FINDINGS.items():
        assert expected <= _located(tricked[category], helper), category
    coverage_files = {f.file for f in tricked["coverage"].findings}
    assert helper in coverage_files  # measured (and poorly covered), not omitted


@pytest.mark.docker
def test_trick_raises_no_score_through_the_pipeline(
    docker_sandbox: DockerSandbox, tools_image: str, new_run_id: Callable[[], str]
) -> None:
    challenge = load_challenge(CALCULATOR)
    pipeline = Pipeline(docker_sandbox, lambda _c: tools_image, concurrency=2)

    def grade(files: dict[str, bytes]) -> Report:
        return pipeline.grade(challenge, Snapshot(files=files), run_id=new_run_id())

    honest = grade(base())
    tricked = grade(TRICKS["tests-folder"][0]())

    assert tricked.score <= honest.score + 1e-9
    for name, result in tricked.categories.items():
        assert result.score <= honest.categories[name].score + 1e-9, name
    for category, expected in HELPER_FINDINGS.items():
        assert expected <= _located(tricked.categories[category], "calc/tests/helpers.py")


def _code_padded() -> dict[str, bytes]:
    """The base with a production module of 10,000 do-nothing statements, imported."""
    files = base()
    files["calc/_pad.py"] = "".join(f"PAD_{i} = {i}\n" for i in range(10_000)).encode()
    files["calc/__init__.py"] += b"from calc import _pad as _pad\n"  # a re-export: no F401
    return files


@pytest.mark.xfail(
    reason="known, not closed: padding with code raises coverage and dilutes style "
    "(docs/scoring.md, 'Not closed: padding with code'); strict, so a fix shows here",
)
def test_code_padding_raises_no_score(
    sandbox: HostSandbox, base_results: dict[str, CategoryResult]
) -> None:
    padded = _grade(sandbox, _code_padded())
    assert padded["coverage"].score <= base_results["coverage"].score + 1e-9
    assert padded["style"].score <= base_results["style"].score + 1e-9
    overall, _ = combine(padded, _WEIGHTS)
    assert overall <= combine(base_results, _WEIGHTS)[0] + 1e-9
