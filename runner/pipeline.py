"""The grading pipeline: one snapshot of a submission, one challenge, one `Report`.

Every grader's steps run in fresh sandbox containers, concurrently up to the machine's cores
(longest steps first), and each grader then interprets its own executions. Verdicts about the
candidate's run end up in the report; infrastructure faults (`sandbox.SandboxError`) propagate, so
a caller can retry the run instead of recording a wrong score.

Service mode, and unit mode with `[tests] isolation = "isolated"`, first start an app next to
which the hidden tests run: the candidate's own app, or the grader's call server that runs the
candidate's code (`runner/oracle.py`).

A repeated grading (`repeat=K`, `takehome grade --repeat K`) runs only the hidden tests K times:
in unit mode as K steps, each in its own fresh container; next to an app, each later run starts
a fresh app of its own (`_probe_again`), so nothing one run stored reaches the next. The tests
grader merges the runs (graders/_repeat.py).
"""

from __future__ import annotations

import dataclasses
import os
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from graders import MAX_REPEAT, all_graders, combine, discover_test_ids
from graders.base import Grader, GradingInput
from graders.model import CategoryResult, Report, Verdict
from runner.challenge import Challenge
from runner.intake import Snapshot
from runner.oracle import call_server, is_isolated
from runner.requirements import undeclared_verdicts
from runner.service import AppUnderTest
from sandbox import Execution, RunSpec, Sandbox

__all__ = ["ImageResolver", "Pipeline", "Progress"]

#: Maps a challenge to the sandbox image its steps run in.
ImageResolver = Callable[[Challenge], str]
#: Called as (step label, "started" | "finished") while a run progresses.
Progress = Callable[[str, str], None]

# The tests, then the other steps that run candidate code, take longest; start them first (in
# this order) so analysis fills the gaps.
_PRIORITY = ("tests.", "coverage.")
#: The grader whose steps a repeated grading runs again (the others are deterministic).
_TESTS = "tests"


class Pipeline:
    """Grades snapshots against challenges in a `Sandbox`."""

    def __init__(
        self,
        sandbox: Sandbox,
        images: ImageResolver,
        graders: Sequence[Grader] | None = None,
        concurrency: int | None = None,
    ) -> None:
        self._sandbox = sandbox
        self._images = images
        self._graders = list(graders) if graders is not None else list(all_graders().values())
        self._concurrency = concurrency or max(1, os.cpu_count() or 1)

    def grade(
        self,
        challenge: Challenge,
        snapshot: Snapshot,
        run_id: str | None = None,
        progress: Progress | None = None,
        *,
        repeat: int = 1,
    ) -> Report:
        """Grade `snapshot` against `challenge`, running the hidden tests `repeat` times (1 to
        `MAX_REPEAT`; see graders/_repeat.py). Raises `SandboxError` on infrastructure faults
        and `ValueError` for a `repeat` out of range."""
        if not 1 <= repeat <= MAX_REPEAT:
            raise ValueError(f"repeat must be 1 to {MAX_REPEAT}, got {repeat}")
        run_id = run_id or uuid.uuid4().hex[:16]
        started = time.monotonic()
        image = self._images(challenge)
        base = dataclasses.replace(self._input(challenge, snapshot, run_id, image), repeat=repeat)
        verdicts = undeclared_verdicts(snapshot.files, challenge.manifest.dependencies.allowed)
        app = self._app(challenge, snapshot, run_id, image)
        if app is not None:
            inputs, labels, executions = self._run_with_app(
                challenge, snapshot, base, app, progress=progress, verdicts=verdicts
            )
        else:
            inputs, labels, executions = self._run_steps(challenge, base, progress, None, None)
        results = self._conclude(inputs, labels, executions)
        score, weighted = combine(results, challenge.manifest.weights.as_dict())
        verdicts.extend(v for r in weighted.values() for v in r.verdicts)
        timings = _timings(started, executions)
        provenance = self._provenance(
            challenge,
            snapshot=snapshot,
            run_id=run_id,
            image=image,
            results=weighted,
            timings=timings,
        )
        provenance.update({"repeat": repeat} if repeat > 1 else {})
        return Report(
            score=round(score, 2),
            categories=weighted,
            verdicts=tuple(verdicts),
            logs={"app": app.log} if app else {},
            provenance=provenance,
        )

    def _conclude(
        self,
        inputs: dict[str, GradingInput],
        labels: dict[str, set[str]],
        executions: dict[str, Execution],
    ) -> dict[str, CategoryResult]:
        """Each grader's result from the executions of its own steps (every run's)."""
        return {
            g.name: g.grade(
                inputs[g.name], {k: e for k, e in executions.items() if k in labels[g.name]}
            )
            for g in self._graders
        }

    def _run_with_app(
        self,
        challenge: Challenge,
        snapshot: Snapshot,
        base: GradingInput,
        app: AppUnderTest,
        *,
        progress: Progress | None,
        verdicts: list[Verdict],
    ) -> tuple[dict[str, GradingInput], dict[str, set[str]], dict[str, Execution]]:
        """`_run_steps` next to `app` (the hidden tests' first run only, when they repeat), then
        each later run next to an app of its own; the apps' verdicts go to `verdicts`."""
        with app:
            base = dataclasses.replace(
                base, service_network=app.network, service_url=app.url, timed_probes=app.timed
            )
            ready = app.ready_check(base.limits)
            first = 1 if base.repeat > 1 else None
            inputs, labels, executions = self._run_steps(challenge, base, progress, ready, first)
            app.readiness(executions.get(ready.label))
        verdicts.extend(app.verdicts)
        for run in range(2, base.repeat + 1):
            again = self._probe_again(
                challenge, snapshot, inputs, run=run, progress=progress, verdicts=verdicts
            )
            labels.setdefault(_TESTS, set()).update(again)
            executions.update(again)
        return inputs, labels, executions

    def _probe_again(
        self,
        challenge: Challenge,
        snapshot: Snapshot,
        inputs: dict[str, GradingInput],
        *,
        run: int,
        progress: Progress | None,
        verdicts: list[Verdict],
    ) -> dict[str, Execution]:
        """Hidden-test run `run` of a repeated grading next to an app of its own, started afresh
        from the same snapshot (nothing the app kept from an earlier run leaks into this one);
        the app's verdicts go to `verdicts`."""
        grader = next((g for g in self._graders if g.name == _TESTS), None)
        inp = inputs.get(_TESTS)
        if grader is None or inp is None:
            return {}
        app = self._app(challenge, snapshot, inp.run_id, inp.image)
        if app is None:
            return {}
        with app:
            inp = dataclasses.replace(
                inp,
                service_network=app.network,
                service_url=app.url,
                timed_probes=app.timed,
                only_run=run,
            )
            ready = app.ready_check(inp.limits)
            ready = dataclasses.replace(ready, label=f"{ready.label}.{run}")
            executions = self._run_all([ready, *grader.steps(inp)], progress)
            app.readiness(executions.get(ready.label))
        verdicts.extend(app.verdicts)
        return executions

    def _app(
        self, challenge: Challenge, snapshot: Snapshot, run_id: str, image: str
    ) -> AppUnderTest | None:
        """The app the hidden tests run next to, not started yet; None if they need none.

        Isolated unit mode: the grader's call server. Service mode: the candidate's app.
        """
        if is_isolated(challenge):
            return call_server(self._sandbox, challenge, snapshot, run_id, image)
        if challenge.manifest.mode == "service":
            return AppUnderTest(self._sandbox, challenge, snapshot, run_id, image)
        return None

    def _provenance(
        self,
        challenge: Challenge,
        *,
        snapshot: Snapshot,
        run_id: str,
        image: str,
        results: dict[str, CategoryResult],
        timings: dict[str, object],
    ) -> dict[str, object]:
        """Where the report comes from: challenge version, snapshot, image, tools, timings."""
        return {
            "run_id": run_id,
            "challenge": {
                "id": challenge.manifest.id,
                "version": challenge.manifest.version,
                "version_hash": challenge.version_hash,
            },
            "snapshot": snapshot.digest,
            "image": {"name": image, "id": self._sandbox.image_id(image)},
            "tools": {name: r.tool for name, r in results.items() if r.tool},
            "timings": timings,
            "graded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }

    def _run_steps(
        self,
        challenge: Challenge,
        base: GradingInput,
        progress: Progress | None,
        gate: RunSpec | None,
        tests_run: int | None,
    ) -> tuple[dict[str, GradingInput], dict[str, set[str]], dict[str, Execution]]:
        """Plan every grader's steps (the hidden tests' run `tests_run` only, if given), run them
        (after `gate`, the app's readiness check, in the probes' container); each grader's input
        and step labels, and every execution."""
        inputs = {g.name: self._for_grader(base, challenge, g.name) for g in self._graders}
        planned = {
            g.name: g.steps(
                dataclasses.replace(inputs[g.name], only_run=tests_run)
                if g.name == _TESTS
                else inputs[g.name]
            )
            for g in self._graders
        }
        specs = [spec for g in self._graders for spec in planned[g.name]]
        executions = self._run_all([gate, *specs] if gate else specs, progress)
        labels = {name: {s.label for s in steps} for name, steps in planned.items()}
        return inputs, labels, executions

    def _input(
        self, challenge: Challenge, snapshot: Snapshot, run_id: str, image: str
    ) -> GradingInput:
        hidden = challenge.hidden_tests()
        tests = challenge.manifest.tests
        return GradingInput(
            run_id=run_id,
            image=image,
            sources=snapshot.files,
            hidden_tests=hidden,
            expected_tests=tuple(tests.expected) or discover_test_ids(hidden),
            test_points=dict(tests.points),
            limits=challenge.limits(),
        )

    @staticmethod
    def _for_grader(base: GradingInput, challenge: Challenge, name: str) -> GradingInput:
        options = challenge.manifest.graders.get(name, {})
        return dataclasses.replace(base, options=dict(options))

    def _run_all(self, specs: list[RunSpec], progress: Progress | None) -> dict[str, Execution]:
        """Run every spec: each one that runs candidate code alone in a fresh container, the
        trusted ones together in one per network (the analysers in one, an app's readiness gate
        and its probes in another: the container set-up is paid once), the tests and the
        candidate-code steps first since they take longest."""
        units = _units(specs)

        def run(unit: list[RunSpec]) -> list[Execution]:
            _announce(progress, unit, "started")
            executions = self._sandbox.run_group(unit)
            _announce(progress, unit, "finished")
            return executions

        with ThreadPoolExecutor(max_workers=self._concurrency, thread_name_prefix="step") as pool:
            results = list(pool.map(run, units))
        return {
            spec.label: execution
            for unit, executions in zip(units, results, strict=True)
            # A failed gate ends its unit: the specs after it have no execution.
            for spec, execution in zip(unit, executions, strict=False)
        }


def _units(specs: list[RunSpec]) -> list[list[RunSpec]]:
    """The specs grouped into containers (see `Pipeline._run_all`), in run order."""
    labels = [s.label for s in specs]
    if len(set(labels)) != len(labels):
        raise ValueError(f"step labels must be unique in a run: {labels}")
    alone = [[s] for s in specs if not s.trusted]
    return sorted(alone + _by_network([s for s in specs if s.trusted]), key=_rank)


def _by_network(specs: list[RunSpec]) -> list[list[RunSpec]]:
    """The specs grouped by network, in the order each network first appears."""
    networks = dict.fromkeys(s.network for s in specs)
    return [[s for s in specs if s.network == network] for network in networks]


def _announce(progress: Progress | None, unit: list[RunSpec], event: str) -> None:
    """Tell `progress` (if any) that each step of a unit has `event` ("started", "finished")."""
    if progress:
        for spec in unit:
            progress(spec.label, event)


def _timings(started: float, executions: dict[str, Execution]) -> dict[str, object]:
    """The run's wall time since `started` and each step's, for the provenance."""
    return {
        "total_seconds": round(time.monotonic() - started, 3),
        "steps": {k: round(e.wall_seconds, 3) for k, e in sorted(executions.items())},
    }


def _rank(unit: list[RunSpec]) -> int:
    """A unit's place in the run order: by its first label's prefix in `_PRIORITY`."""
    ranks = (i for s in unit for i, p in enumerate(_PRIORITY) if s.label.startswith(p))
    return min(ranks, default=len(_PRIORITY))
