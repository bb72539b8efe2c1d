"""Every container one grading starts, by label, in one table: its CPU share, whether it is a
trusted step, and its network. A new step fails here until it is classified, so no container
reaches the engine with a share or a network nobody chose (docs/grading.md "CPU shares")."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.challenge import load_challenge
from runner.pipeline import Pipeline
from sandbox import BACKGROUND_CPU_SHARES, TIMED_CPU_SHARES, Execution, FakeSandbox, RunSpec

CHALLENGES = Path(__file__).resolve().parents[1] / "challenges"
DEFAULT = 1024  # Docker's own share: nothing times the step, nothing should yield to it
NEXT_TO_APP = "container:fake-service"  # the app's (or call server's) loopback, nothing else

# label: (CPU share, trusted, network), per challenge mode.
SERVICE_MODE = {  # kv-service: an app under load-sensitive probes
    "service.app": (TIMED_CPU_SHARES, False, None),
    "service.ready": (TIMED_CPU_SHARES, True, NEXT_TO_APP),
    "tests.hidden": (TIMED_CPU_SHARES, True, NEXT_TO_APP),
    "coverage.candidate": (DEFAULT, False, None),
    "style.ruff": (BACKGROUND_CPU_SHARES, True, None),
    "complexity.cc": (BACKGROUND_CPU_SHARES, True, None),
    "complexity.mi": (BACKGROUND_CPU_SHARES, True, None),
    "security.bandit": (BACKGROUND_CPU_SHARES, True, None),
}
ISOLATED = {  # calculator: hidden tests call the candidate's code through a call server
    **SERVICE_MODE,
    "service.app": (DEFAULT, False, None),
    "service.ready": (DEFAULT, True, NEXT_TO_APP),
    "tests.hidden": (DEFAULT, True, NEXT_TO_APP),
}


def _answer(spec: RunSpec) -> Execution:
    if spec.label == "service.app":  # still running when stopped
        return Execution(exit_code=-1, stdout=b"", stderr=b"", wall_seconds=1.0)
    return Execution(exit_code=0, stdout=b"", stderr=b"", wall_seconds=0.1)


@pytest.mark.parametrize(
    ("name", "expected"), [("kv-service", SERVICE_MODE), ("calculator", ISOLATED)]
)
def test_every_container_of_a_grading_is_classified(
    name: str, expected: dict[str, tuple[int, bool, str | None]]
) -> None:
    challenge = load_challenge(CHALLENGES / name)
    fake = FakeSandbox(_answer)
    Pipeline(fake, images=lambda _c: "img").grade(challenge, challenge.reference(), repeat=2)
    seen: dict[str, set[tuple[int, bool, str | None]]] = {}
    for spec in fake.specs:
        label = spec.label.removesuffix(".2")  # the second run of a repeated grading
        seen.setdefault(label, set()).add((spec.limits.cpu_shares, spec.trusted, spec.network))
    assert seen == {label: {row} for label, row in expected.items()}
    # `repeat=2` starts the app, its readiness check and the hidden tests afresh, each run
    # classified as the first.
    labels = [s.label for s in fake.specs]
    assert {"service.ready.2", "tests.hidden.2"} <= set(labels)
    assert labels.count("service.app") == 2
    assert BACKGROUND_CPU_SHARES < DEFAULT < TIMED_CPU_SHARES
