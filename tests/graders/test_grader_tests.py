"""The hidden-tests grader: real pytest runs (HostSandbox) and hand-made JUnit reports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from graders._canary import canary_for
from graders._junit import junit_key
from graders.base import GradingInput
from graders.model import CategoryResult, TestOutcome, VerdictKind
from graders.tests import ORACLE_SOURCE, TestsGrader, discover_test_ids
from sandbox import Execution, FakeSandbox, RunSpec, Sandbox

Repo = Callable[[str], dict[str, bytes]]
JUNIT_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "graders" / "tests" / "junit"
STEP = "tests.hidden"


def _run(sandbox: Sandbox, inp: GradingInput) -> CategoryResult:
    grader = TestsGrader()
    return grader.grade(inp, {s.label: sandbox.run(s) for s in grader.steps(inp)})


def _junit(*cases: str) -> bytes:
    body = "".join(cases)
    return f'<?xml version="1.0"?><testsuites><testsuite>{body}</testsuite></testsuites>'.encode()


def _grade_junit(
    data: bytes | None, expected: tuple[str, ...], code: int = 1, **kw: object
) -> CategoryResult:
    """Grade a hand-made report; the canary checks are off unless `canaries=True` is passed."""
    files = {} if data is None else {"out/junit.xml": data}
    kw.setdefault("canaries", False)
    inp = GradingInput("r", "img", {}, expected_tests=expected, **kw)  # type: ignore[arg-type]
    return TestsGrader().grade(inp, {STEP: Execution(code, b"", b"", 1.0, files_out=files)})


def test_real_run_with_hostile_candidate_config(host_sandbox: Sandbox, repo: Repo) -> None:
    # The candidate ships a conftest.py that forces every report to "passed", and pytest.ini /
    # pyproject.toml / setup.cfg / tox.ini deselecting everything: none may have any effect.
    inp = GradingInput("r", "img", repo("tests/solution"), hidden_tests=repo("tests/hidden"))
    result = _run(host_sandbox, inp)

    outcomes = {t.id: t.outcome for t in result.tests}
    assert outcomes == {
        "tests/sub/test_more.py::TestNested::test_in_subdir": TestOutcome.PASSED,
        "tests/sub/test_more.py::test_extra_unexpected": TestOutcome.PASSED,
        "tests/test_calc.py::test_add": TestOutcome.PASSED,
        "tests/test_calc.py::test_add_wrong": TestOutcome.FAILED,
        "tests/test_calc.py::test_div": TestOutcome.FAILED,
        "tests/test_calc.py::test_skipped": TestOutcome.SKIPPED,
        "tests/test_calc.py::test_errors": TestOutcome.ERROR,
        "tests/test_calc.py::TestCalc::test_method": TestOutcome.PASSED,
        "tests/test_calc.py::test_async_never_runs": TestOutcome.FAILED,
    }
    # 4 passed + 3/4 of the parametrised test_div, out of 9 points.
    assert result.score == pytest.approx(100 * 4.75 / 9)
    assert [(f.rule, f.message) for f in result.findings] == [
        ("tests/test_calc.py::test_add_wrong", "failed: AssertionError: two and two"),
        (
            "tests/test_calc.py::test_div",
            "failed: 3/4 cases passed; test_div[1-0-0]: ZeroDivisionError: integer division or "
            "modulo by zero",
        ),
        (
            "tests/test_calc.py::test_errors",
            'error: failed on setup with "RuntimeError: fixture exploded"',
        ),
        (
            "tests/test_calc.py::test_async_never_runs",
            "failed: Failed: async def functions are not natively supported.",
        ),
    ]
    assert result.verdicts == ()
    assert result.metrics["points_earned"] == 4.75
    assert result.tool == "pytest 9.2.0"


def test_points_missing_and_unexpected_ids(host_sandbox: Sandbox, repo: Repo) -> None:
    expected = (
        "tests/test_calc.py::test_add",
        "tests/test_calc.py::test_div",
        "tests/test_calc.py::test_not_written",
        "tests/sub/test_more.py::TestNested::test_in_subdir",
    )
    points = {"tests/test_calc.py::test_add": 3.0, "tests/test_calc.py::test_div": 4.0}
    inp = GradingInput(
        "r",
        "img",
        repo("tests/solution"),
        hidden_tests=repo("tests/hidden"),
        expected_tests=expected,
        test_points=points,
    )
    result = _run(host_sandbox, inp)

    assert [(t.id, t.outcome, t.points) for t in result.tests] == [
        ("tests/test_calc.py::test_add", TestOutcome.PASSED, 3.0),
        ("tests/test_calc.py::test_div", TestOutcome.FAILED, 4.0),
        ("tests/test_calc.py::test_not_written", TestOutcome.MISSING, 1.0),
        ("tests/sub/test_more.py::TestNested::test_in_subdir", TestOutcome.PASSED, 1.0),
    ]
    assert result.score == pytest.approx(100 * (3 + 4 * 0.75 + 1) / 9)
    assert [(v.kind, v.detail) for v in result.verdicts] == [
        (VerdictKind.TESTS_INCOMPLETE, "1 of 4 expected tests never reported")
    ]
    unexpected = [f for f in result.findings if f.rule == "unexpected-test"]
    assert len(unexpected) == 1
    assert unexpected[0].message.startswith("6 reported tests were not expected (ignored)")


def test_junit_mapping_of_params_classes_and_errors() -> None:
    data = _junit(
        '<testcase classname="tests.test_a" name="test_p[1]" time="0.5"/>',
        '<testcase classname="tests.test_a" name="test_p[2]" time="0.5">'
        '<failure message="boom">trace</failure></testcase>',
        '<testcase classname="tests.pkg.test_b.TestX" name="test_m"/>',
        '<testcase classname="" name="tests.test_c"><error message="collection failure"/>'
        "</testcase>",
    )
    expected = (
        "tests/test_a.py::test_p",
        "tests/pkg/test_b.py::TestX::test_m",
        "tests/test_c.py::test_z",
    )
    result = _grade_junit(data, expected, test_points={"tests/test_a.py::test_p": 2.0})
    assert [(t.id, t.outcome, t.seconds) for t in result.tests] == [
        ("tests/test_a.py::test_p", TestOutcome.FAILED, 1.0),
        ("tests/pkg/test_b.py::TestX::test_m", TestOutcome.PASSED, 0.0),
        ("tests/test_c.py::test_z", TestOutcome.MISSING, 0.0),
    ]
    assert result.score == pytest.approx(100 * (2 * 0.5 + 1) / 4)
    assert [f.rule for f in result.findings] == ["tests/test_a.py::test_p", "collection-error"]


def test_a_probes_detail_property_is_the_passed_cases_message() -> None:
    data = _junit(
        '<testcase classname="tests.test_a" name="test_load"><properties>'
        '<property name="detail" value="p99 740 ms, 0 errors"/>'
        '<property name="score" value="0.5"/></properties></testcase>',
        '<testcase classname="tests.test_a" name="test_full"><properties>'
        f'<property name="detail" value="{"x" * 900}"/></properties></testcase>',
        '<testcase classname="tests.test_a" name="test_plain"/>',
    )
    expected = (
        "tests/test_a.py::test_load",
        "tests/test_a.py::test_full",
        "tests/test_a.py::test_plain",
    )
    result = _grade_junit(data, expected, service_network="container:app", service_url="u")
    messages = {t.id.split("::")[1]: t.message for t in result.tests}
    assert messages["test_load"] == "partial credit 0.50: p99 740 ms, 0 errors"
    assert messages["test_full"] == "x" * 500  # a detail is capped
    assert messages["test_plain"] == ""
    assert result.score == pytest.approx(100 * 2.5 / 3)
    # In-process, candidate code shares the pytest process: no detail is taken from it.
    unit = _grade_junit(data, expected)
    assert [t.message for t in unit.tests] == ["partial credit 0.50", "", ""]
    assert unit.score == result.score


def test_exact_parametrised_id_is_matched_exactly() -> None:
    data = _junit(
        '<testcase classname="tests.test_a" name="test_p[1]"/>',
        '<testcase classname="tests.test_a" name="test_p[2]"><failure message="x"/></testcase>',
    )
    result = _grade_junit(data, ("tests/test_a.py::test_p[1]",))
    assert [(t.id, t.outcome) for t in result.tests] == [
        ("tests/test_a.py::test_p[1]", TestOutcome.PASSED)
    ]
    assert result.score == 100.0


def test_failure_message_is_capped() -> None:
    data = _junit(
        f'<testcase classname="tests.test_a" name="test_x"><failure message="{"m" * 5000}"/>'
        "</testcase>"
    )
    (test,) = _grade_junit(data, ("tests/test_a.py::test_x",)).tests
    assert len(test.message) == 2000


@pytest.mark.parametrize(
    ("name", "kind"),
    [("garbled.xml", VerdictKind.TOOL_ERROR), ("doctype.xml", VerdictKind.TOOL_ERROR)],
)
def test_bad_junit_files(name: str, kind: VerdictKind) -> None:
    result = _grade_junit((JUNIT_DIR / name).read_bytes(), ("tests/test_calc.py::test_add",))
    assert result.score == 0.0
    assert [t.outcome for t in result.tests] == [TestOutcome.MISSING]
    assert [v.kind for v in result.verdicts] == [kind, VerdictKind.TESTS_INCOMPLETE]
    if name == "doctype.xml":
        assert "DOCTYPE" in result.verdicts[0].detail


def test_absent_junit_and_limit_flags() -> None:
    execution = Execution(-9, b"", b"", 60.0, timed_out=True, output_truncated=True)
    # With the canary checks on: a run killed at its limit is no sign of forgery.
    inp = GradingInput("r", "img", {}, expected_tests=("tests/test_a.py::test_x",))
    result = TestsGrader().grade(inp, {STEP: execution})
    assert [v.kind for v in result.verdicts] == [
        VerdictKind.TIMED_OUT,
        VerdictKind.OUTPUT_TRUNCATED,
        VerdictKind.NO_RESULTS,
        VerdictKind.TESTS_INCOMPLETE,
    ]
    assert all(v.step == STEP for v in result.verdicts)
    assert result.score == 0.0


def test_no_expected_tests_and_none_reported() -> None:
    result = _grade_junit(_junit(), ())
    assert result.score == 0.0
    assert [v.kind for v in result.verdicts] == [VerdictKind.NO_RESULTS]


def test_steps_layout() -> None:
    inp = GradingInput("run-1", "img", {"calc.py": b"x"}, hidden_tests={"test_a.py": b"y"})
    (spec,) = TestsGrader().steps(inp)
    canary = canary_for("run-1")
    assert spec.argv == (
        *("/opt/takehome/bin/python", "-I", "-m", "pytest", "-c", "/work/grader/tests.ini"),
        *("--rootdir", "/work/grader", "-p", "no:cacheprovider", "--confcutdir", "/work/grader"),
        *("-o", "addopts=", "--junitxml", "/work/out/junit.xml", "-q", "/work/grader/tests"),
    )
    assert spec.files_in == {
        "src/calc.py": (b"x", 0o444),
        "grader/tests.ini": (
            b"[pytest]\njunit_family = xunit2\npythonpath = /work/grader/lib /work/src\n",
            0o444,
        ),
        "grader/lib/takehome_oracle.py": (ORACLE_SOURCE, 0o444),
        "grader/tests/test_a.py": (b"y", 0o444),
        f"grader/tests/{canary.path}": (canary.source, 0o444),
    }
    assert spec.env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] == "1"
    assert "PYTHONPATH" not in spec.env  # -I ignores it anyway; the ini's pythonpath is used


def test_discover_test_ids() -> None:
    files = {
        "test_a.py": b"def test_x(): pass\nasync def test_y(): pass\ndef helper(): pass\n"
        b"class TestK:\n    def test_m(self): pass\n    class TestInner:\n"
        b"        def test_n(self): pass\n"
        b"class TestInit:\n    def __init__(self): pass\n    def test_no(self): pass\n"
        b"class Other:\n    def test_no(self): pass\n",
        "pkg/b_test.py": b"def test_z(): pass\n",
        "helpers.py": b"def test_not_a_test_file(): pass\n",
        "conftest.py": b"def test_no(): pass\n",
    }
    assert discover_test_ids(files) == (
        "tests/pkg/b_test.py::test_z",
        "tests/test_a.py::test_x",
        "tests/test_a.py::test_y",
        "tests/test_a.py::TestK::test_m",
        "tests/test_a.py::TestK::TestInner::test_n",
    )
    with pytest.raises(ValueError, match=r"test_bad\.py"):
        discover_test_ids({"test_bad.py": b"def (:\n"})


def test_unparsable_hidden_tests_are_a_tool_error() -> None:
    inp = GradingInput("r", "img", {}, hidden_tests={"test_bad.py": b"def (:\n"})
    result = TestsGrader().grade(inp, {})
    assert [v.kind for v in result.verdicts] == [VerdictKind.TOOL_ERROR]
    assert result.score == 0.0


def test_junit_key() -> None:
    assert junit_key("tests/a/test_b.py::TestC::test_d") == ("tests.a.test_b.TestC", "test_d")
    assert junit_key("tests/test_b.py::test_d[x]") == ("tests.test_b", "test_d[x]")


def test_fake_sandbox_sees_one_spec() -> None:
    sandbox = FakeSandbox(lambda _spec: Execution(0, b"", b"", 0.1, files_out={}))
    inp = GradingInput("r", "img", {}, expected_tests=("tests/test_a.py::test_x",))
    grader = TestsGrader()
    specs: list[RunSpec] = grader.steps(inp)
    grader.grade(inp, {s.label: sandbox.run(s) for s in specs})
    assert [s.label for s in sandbox.specs] == [STEP]


def _canary_cases(run_id: str, good: str = "", bad: str = '<failure message="x"/>') -> list[str]:
    canary = canary_for(run_id)
    cls = canary.classname
    return [
        f'<testcase classname="{cls}" name="{canary.must_pass}">{good}</testcase>',
        f'<testcase classname="{cls}" name="{canary.must_fail}">{bad}</testcase>',
    ]


def test_canaries_are_per_run_and_secret() -> None:
    one, two = canary_for("run-a"), canary_for("run-b")
    assert one == canary_for("run-a")  # steps() and grade() agree
    assert len({one.module, two.module, one.must_pass, one.must_fail}) == 4
    namespace: dict[str, object] = {}
    exec(compile(one.source, one.path, "exec"), namespace)  # noqa: S102 - our own canary
    good, bad = namespace[one.must_pass], namespace[one.must_fail]
    assert callable(good)
    assert callable(bad)
    good()
    with pytest.raises(AssertionError):
        bad()


HONEST = '<testcase classname="tests.test_a" name="test_x"/>'


def test_honest_in_process_report_passes_the_canary_checks() -> None:
    data = _junit(HONEST, *_canary_cases("r"))
    result = _grade_junit(data, ("tests/test_a.py::test_x",), canaries=True)
    assert result.score == 100.0
    assert result.verdicts == ()
    assert result.findings == ()  # the canaries are neither expected nor "unexpected"


@pytest.mark.parametrize(
    ("cases", "code", "sign"),
    [
        ([HONEST, *_canary_cases("r", bad="")], 1, "must-fail canary test was reported passed"),
        ([HONEST], 1, "must-pass canary test was never reported"),
        ([HONEST, *_canary_cases("r")], 0, "pytest exited 0"),
        ([HONEST, HONEST, *_canary_cases("r")], 1, "reported more than once"),
        ([], 0, "pytest exited 0"),
    ],
    ids=["failure-turned-pass", "rewritten-junit", "forced-exit", "duplicates", "exit-0-no-junit"],
)
def test_forged_in_process_reports_score_zero(cases: list[str], code: int, sign: str) -> None:
    data = _junit(*cases) if cases else None
    result = _grade_junit(data, ("tests/test_a.py::test_x",), code=code, canaries=True)
    assert result.score == 0.0
    forged = [v for v in result.verdicts if v.kind is VerdictKind.FORGERY_DETECTED]
    assert len(forged) == 1
    assert sign in forged[0].detail
