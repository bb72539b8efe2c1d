"""Result forgery: hostile submissions that try to raise their own score, graded for real.

Every case is the calculator's starter (a wrong solution: only `add` works, 1 of 16 points, tests
score 6.25) plus one trick, packed as a .tar.gz, read by the real intake and graded by the real
pipeline in containers, twice: against the calculator, whose hidden tests run *isolated* (a
trusted container calls the candidate's code over a shared loopback and gets plain data back),
and against an *in-process* copy of it (same hidden tests, run in the candidate's process, with
the grader's canary tests and consistency checks). The starter alone is graded the same two ways
as the baseline. A forgery must never score more on tests than the starter alone, except where
the table says "residual" (asserted, so the gap stays documented and visible).

Expected outcomes (I = the isolated calculator, P = the in-process copy; "= starter" means tests
score 6.25 with the starter's exact outcomes and no verdict):

- conftest-hook (conftest.py at the root, in tests/ and in the package, forcing passes):
  I = starter (no candidate file in the tests' container); P = starter (confcutdir and rootdir
  pinned to the grader's folder).
- ini-addopts-plugin (`-p calc.forge` in pytest.ini, pyproject, setup.cfg, tox.ini):
  I = starter; P = starter (`-c` grader ini, `-o addopts=`).
- entry-point-plugin (a `*.dist-info` with a `pytest11` entry point on sys.path):
  I = starter; P = starter (plugin autoload off).
- import-time-report-patch (the package patches `_pytest.reports.TestReport` and `junitxml`):
  I = starter (the patch lands in the call server's own pytest copy); P = `forgery_detected`,
  tests 0 (the must-fail canary passed, pytest exited 0).
- sitecustomize-and-pth (sitecustomize.py, usercustomize.py, *.pth with the same patch):
  I = starter; P = starter (`python -I`; the sources are no site directory).
- os-exit-0-mid-run (`os._exit(0)` in `evaluate`):
  I <= starter with `service_exited` (every later call fails); P = `forgery_detected` (exit 0
  with a must-fail canary in the run) and `no_results`, tests 0.
- junit-rewrite-then-exit (an all-pass JUnit file written, then `os._exit(0)`):
  I <= starter with `service_exited` (the file lands in the candidate's own container);
  P = `forgery_detected` (no canaries in the forged file, exit 0), tests 0.
- background-rewriter (a double-forked daemon rewriting junit/coverage/result files in
  /work/out, /tmp, /work/src and /work/grader every 10 ms):
  I = starter (another container); P <= starter: `forgery_detected` and 0 whenever a rewrite
  lands before the freeze, else the honest result.
- fake-passed-lines (PASSED lines, a pytest summary and a testcase element on stdout/stderr):
  I = starter; P = starter (output is never parsed for results).
- read-hidden-tests (the package searches the filesystem for a hidden test file, prints it and
  puts it into exception messages): I = starter, the search of the candidate's container finds
  nothing; P <= starter, the search finds them (same container: residual, documented); in
  neither mode does any of it reach the candidate's view (api/feedback.py, every policy).
- always-equal-object (`evaluate` returns an object whose `__eq__` is always true):
  I = starter (not plain data: the call fails in the trusted process); P > starter: residual,
  asserted so that the reason to choose isolation stays visible (no report is forged, only
  the asserts are fooled, so no canary can see it).
- coverage/style/security gaming (.coveragerc, setup.cfg, pyproject, ruff.toml, .bandit,
  `# pragma: no cover`, `# noqa`, `# nosec` on every line of the same code): the gamed copy
  scores no more than the honest one in each category (and the honest one is below 100).

All runs are graded concurrently in one module fixture (measured: about a minute on 2 cores);
nothing labelled with their run ids may remain afterwards.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import docker
import pytest

from api.feedback import candidate_view
from api.views import SubmissionView
from graders.base import Grader
from graders.coverage import CoverageGrader
from graders.model import Report, VerdictKind
from graders.security import SecurityGrader
from graders.style import StyleGrader
from graders.tests import TestsGrader
from runner.challenge import Challenge, load_challenge
from runner.intake import Snapshot
from runner.pipeline import Pipeline
from sandbox.docker import DockerSandbox
from sandbox.reaper import reap
from tests.hostile._forgery import (
    CALCULATOR,
    FORGERIES,
    HIDDEN_NEEDLE,
    in_process_copy,
    static_pair,
    submission,
)
from tests.leaks import labelled

pytestmark = pytest.mark.docker

MODES = ("isolated", "in-process")
STARTER_TESTS = 100 / 16
FORGED = VerdictKind.FORGERY_DETECTED


@dataclass(frozen=True)
class Graded:
    """Every report of the module, by (mode, case)."""

    reports: dict[tuple[str, str], Report]

    def tests(self, mode: str, case: str) -> float:
        return self.reports[mode, case].categories["tests"].score

    def kinds(self, mode: str, case: str) -> set[VerdictKind]:
        return {v.kind for v in self.reports[mode, case].verdicts}


@pytest.fixture(scope="module")
def graded(
    docker_client: docker.DockerClient, tools_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Graded]:
    sandbox = DockerSandbox(docker_client)
    challenges: dict[str, Challenge] = {
        "isolated": load_challenge(CALCULATOR),
        "in-process": in_process_copy(tmp_path_factory.mktemp("forgery")),
    }

    def pipeline(*graders: Grader) -> Pipeline:
        return Pipeline(sandbox, lambda _c: tools_image, graders=list(graders), concurrency=2)

    tests_only = pipeline(TestsGrader())
    static = pipeline(CoverageGrader(), StyleGrader(), SecurityGrader())
    jobs: list[tuple[tuple[str, str], Pipeline, Challenge, Snapshot]] = []
    for mode, challenge in challenges.items():
        jobs.append(((mode, "starter"), tests_only, challenge, challenge.starter()))
        jobs.extend(
            ((mode, name), tests_only, challenge, submission(files))
            for name, files in FORGERIES.items()
        )
    honest, gamed = static_pair()
    jobs.append((("static", "honest"), static, challenges["in-process"], honest))
    jobs.append((("static", "gamed"), static, challenges["in-process"], gamed))
    run_ids = [f"t-forge-{uuid.uuid4().hex[:8]}" for _ in jobs]

    def grade(index: int) -> Report:
        _key, pipe, challenge, snapshot = jobs[index]
        return pipe.grade(challenge, snapshot, run_id=run_ids[index])

    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            reports = list(pool.map(grade, range(len(jobs))))
        yield Graded({job[0]: report for job, report in zip(jobs, reports, strict=True)})
    finally:
        leftovers = labelled(docker_client, *run_ids)
        for run_id in run_ids:
            reap(docker_client, run_id=run_id)
    assert not leftovers, f"forgery runs left objects behind: {leftovers}"


def test_baseline_the_starter_alone(graded: Graded) -> None:
    for mode in MODES:
        assert graded.tests(mode, "starter") == pytest.approx(STARTER_TESTS)
        assert graded.kinds(mode, "starter") == set()
    # The in-process baseline ran the grader's canaries and passed them: no false alarm.
    assert graded.reports["in-process", "starter"].categories["tests"].metrics["passed"] == 1


NO_EFFECT = (
    "conftest-hook",
    "ini-addopts-plugin",
    "entry-point-plugin",
    "sitecustomize-and-pth",
    "fake-passed-lines",
)


@pytest.mark.parametrize("case", NO_EFFECT)
@pytest.mark.parametrize("mode", MODES)
def test_configs_plugins_and_printed_results_change_nothing(
    graded: Graded, mode: str, case: str
) -> None:
    report = graded.reports[mode, case]
    starter = graded.reports[mode, "starter"]
    outcomes = {t.id: t.outcome for t in report.categories["tests"].tests}
    assert outcomes == {t.id: t.outcome for t in starter.categories["tests"].tests}
    assert graded.tests(mode, case) == pytest.approx(STARTER_TESTS)
    assert graded.kinds(mode, case) == set()


def test_import_time_report_patch(graded: Graded) -> None:
    assert graded.tests("isolated", "import-time-report-patch") == pytest.approx(STARTER_TESTS)
    assert graded.kinds("isolated", "import-time-report-patch") == set()
    assert graded.tests("in-process", "import-time-report-patch") == 0.0
    (verdict,) = [
        v
        for v in graded.reports["in-process", "import-time-report-patch"].verdicts
        if v.kind is FORGED
    ]
    assert "must-fail canary test was reported passed" in verdict.detail
    assert "pytest exited 0" in verdict.detail


@pytest.mark.parametrize("case", ["os-exit-0-mid-run", "junit-rewrite-then-exit"])
def test_forced_exit_mid_run(graded: Graded, case: str) -> None:
    # Isolated: the call server is gone after the first call; every later test fails.
    assert graded.tests("isolated", case) <= STARTER_TESTS
    assert VerdictKind.SERVICE_EXITED in graded.kinds("isolated", case)
    assert FORGED not in graded.kinds("isolated", case)
    # In-process: pytest cannot exit 0 with a must-fail canary in the run.
    assert graded.tests("in-process", case) == 0.0
    assert FORGED in graded.kinds("in-process", case)
    forged = next(v for v in graded.reports["in-process", case].verdicts if v.kind is FORGED)
    assert "pytest exited 0" in forged.detail


def test_background_rewriter_of_result_files(graded: Graded) -> None:
    assert graded.tests("isolated", "background-rewriter") == pytest.approx(STARTER_TESTS)
    assert graded.kinds("isolated", "background-rewriter") == set()
    # In-process the daemon races pytest's own write and the freeze at the end of the step;
    # whichever wins, the score cannot rise: an honest file scores as the starter, a forged one
    # lacks the canaries.
    score = graded.tests("in-process", "background-rewriter")
    kinds = graded.kinds("in-process", "background-rewriter")
    assert (score == pytest.approx(STARTER_TESTS) and kinds == set()) or (
        score == 0.0 and FORGED in kinds
    )


def _candidate_json(report: Report, policy: str) -> str:
    view = SubmissionView(
        id="s1",
        challenge_id="calculator",
        candidate="Eve",
        filename="submission.tar.gz",
        source_kind="upload",
        snapshot_digest="sha256:x",
        created_at=datetime.now(UTC).replace(tzinfo=None),
        invite_id=None,
        state="done",
        attempts=1,
        error=None,
        score=report.score,
        report_json=report.to_json(),
    )
    return json.dumps(candidate_view(view, policy))


def test_hidden_tests_never_reach_the_candidate(graded: Graded) -> None:
    isolated = graded.reports["isolated", "read-hidden-tests"]
    # The candidate's code searched its whole container and printed what it found to its log.
    log = isolated.logs["app"]
    searched = int(log.split(" found in ", 1)[1].split(" files", 1)[0])
    assert "hidden-test search: 0 found" in log
    assert searched > 100
    assert HIDDEN_NEEDLE not in log
    assert graded.tests("isolated", "read-hidden-tests") == pytest.approx(STARTER_TESTS)
    # In-process the same code finds them (same container: the documented residual risk)...
    in_process = graded.reports["in-process", "read-hidden-tests"]
    messages = " ".join(t.message for t in in_process.categories["tests"].tests)
    assert HIDDEN_NEEDLE in messages
    assert graded.tests("in-process", "read-hidden-tests") <= STARTER_TESTS
    # ...yet in neither mode does anything of it reach what the candidate may see.
    for report in (isolated, in_process):
        for policy in ("status", "visible_tests", "scores"):
            seen = _candidate_json(report, policy)
            assert HIDDEN_NEEDLE not in seen
            assert "LEAKED" not in seen


def test_always_equal_object(graded: Graded) -> None:
    # Isolated: an object is not plain data; the call fails in the trusted process.
    report = graded.reports["isolated", "always-equal-object"]
    assert graded.tests("isolated", "always-equal-object") <= STARTER_TESTS
    messages = " ".join(t.message for t in report.categories["tests"].tests)
    assert "not plain data" in messages
    # In-process: the residual risk that makes isolation the mode to choose. The trick earns
    # points no canary can see, because no report was forged, only the asserts fooled.
    assert graded.tests("in-process", "always-equal-object") > STARTER_TESTS


@pytest.mark.parametrize("category", ["coverage", "style", "security"])
def test_static_gaming_changes_no_score(graded: Graded, category: str) -> None:
    honest = graded.reports["static", "honest"].categories[category].score
    gamed = graded.reports["static", "gamed"].categories[category].score
    assert honest < 100.0  # there was something to hide
    assert gamed <= honest
