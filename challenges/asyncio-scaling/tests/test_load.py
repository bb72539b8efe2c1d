"""Probes: load at rising rates (open loop, fixed request counts), every answer checked.

A stage is a fixed schedule of requests; a request's latency runs from when it was due. Every
stage opens with a burst of 16 different users at once (the caps must hold "at any load"), then:

- ideal stages (25, 50, 100 req/s): requests evenly spaced, users cycling through a pool of 50,
  upstreams at their fixed default latencies (20/30/25 ms);
- realistic stages (50, 100 req/s): the upstreams take the brief's 20-300 ms (20-60 ms, with a
  5% tail at 100-250 ms) and traffic comes in bursts of 12 requests at once, 8 users of which
  5 once, 3 several times (a user opening the dashboard on several devices), all new users.

A stage scores continuously, as the product of three factors, each 1 at its target and 0 at its
floor, linear in between (so a borderline solution moves by a fraction of a stage, not a stage):

- correct answers: 1 when every answer is exactly right, 0 at 5% wrong or missing;
- p99 latency of the correct answers: 1 at <= 500 ms (the brief's target), 0 at >= 1 s (the
  brief's hard budget for every request);
- upstream caps: 1 with no violation during the stage, 0 at 5 (counted by the mock upstreams).
  A server that exceeds the caps under load gets no load credit: in production its answers
  would be rate-limited away.

A stage short of full credit is measured again, up to three attempts in all, each with new users
(so no cache carries over), and earns its best attempt's credit. On a grading host, contention
only ever slows a server down, so the best of a few attempts is the closest figure to what it does
on a machine of its own; one unlucky slice of CPU no longer costs a borderline server a stage.
No further attempt is made after one with full credit, one where at least half the answers were
wrong or missing (far past the floor: not a borderline server), or once two attempts in a row
agree within 0.05. The best attempt's figures, every attempt's credit, the probes' own loop lag
and the host's CPU stall during the stage are in the test's detail in the report.
"""

import pytest

from probe import harness, run_stage

FULL_P99, ZERO_P99 = 0.5, 1.0
ZERO_ERROR_SHARE = 0.05
ZERO_VIOLATIONS = 5
POOL = 50  # distinct users per ideal stage: a cache or coalescing helps, but is not needed
OPENING_BURST = 16
BURST_COPIES = (3, 3, 2, 1, 1)  # 5 users, 10 requests per realistic burst
ATTEMPTS = 3
AGREE = 0.05


@pytest.fixture(scope="module", autouse=True)
def warm_up():
    harness()
    run_stage(20, [(i / 20, f"warm-{i}") for i in range(20)])


def _linear(value: float, target: float, floor: float) -> float:
    """1 at `target`, 0 at `floor`, linear in between (either direction)."""
    share = (floor - value) / (floor - target)
    return min(1.0, max(0.0, share))


def _opening(prefix: str) -> list[tuple[float, str]]:
    return [(0.0, f"{prefix}-open-{k}") for k in range(OPENING_BURST)]


def _ideal_schedule(rate: int, count: int, tag: str) -> list[tuple[float, str]]:
    steady = [(0.25 + i / rate, f"load{rate}{tag}-{i % POOL}") for i in range(count)]
    return _opening(f"load{rate}{tag}") + steady


def _realistic_schedule(rate: int, count: int, tag: str) -> list[tuple[float, str]]:
    size = sum(BURST_COPIES)
    schedule = []
    for burst in range(count // size):
        offset = 0.25 + burst * size / rate
        for user, copies in enumerate(BURST_COPIES):
            schedule += [(offset, f"real{rate}{tag}-{burst}-{user}")] * copies
    return _opening(f"real{rate}{tag}") + schedule


def _factors(stage) -> dict[str, float]:
    return {
        "correct": _linear(len(stage.errors) / stage.count, 0.0, ZERO_ERROR_SHARE),
        "p99": _linear(stage.percentile(99), FULL_P99, ZERO_P99),
        "caps": _linear(sum(stage.violations.values()), 0, ZERO_VIOLATIONS),
    }


def _credit(factors: dict[str, float]) -> float:
    return factors["correct"] * factors["p99"] * factors["caps"]


def _settled(credits: list[float], stage) -> bool:
    """Whether another attempt is pointless: full credit; at least half the answers wrong or
    missing (no share of the CPU makes that server borderline); or the last two attempts
    earned the same credit, within AGREE."""
    if credits[-1] >= 1.0 or len(stage.errors) >= stage.count / 2:
        return True
    return len(credits) >= 2 and abs(credits[-1] - credits[-2]) <= AGREE


def _measure(rate: int, count: int, record_property, model: str = "ideal") -> None:
    """Run the stage up to ATTEMPTS times, new users each time; the stage earns its best
    attempt's credit (module docstring: when another attempt is made)."""
    schedule = _realistic_schedule if model == "realistic" else _ideal_schedule
    attempts = []
    for attempt in range(1, ATTEMPTS + 1):
        stage = run_stage(rate, schedule(rate, count, f"a{attempt}"), model=model)
        attempts.append((_credit(_factors(stage)), attempt, stage))
        if _settled([credit for credit, _, _ in attempts], stage):
            break
    credit, best, stage = max(attempts, key=lambda item: (item[0], -item[1]))
    factors = _factors(stage)
    p99 = stage.percentile(99)
    record_property("p50_ms", round(stage.percentile(50) * 1000))
    record_property("p99_ms", round(p99 * 1000) if p99 < float("inf") else -1)
    record_property("errors", len(stage.errors))
    record_property("cap_violations", sum(stage.violations.values()))
    shown = ", ".join(f"{name} {value:.2f}" for name, value in factors.items())
    tried = ", ".join(f"{c:.2f}" for c, _, _ in attempts)
    detail = f"best of {len(attempts)} attempts (credits {tried}): attempt {best}: "
    record_property("detail", f"{detail}{stage.summary()}; factors {shown}")
    if credit <= 0.0:
        zero = ", ".join(name for name, value in factors.items() if value <= 0.0)
        pytest.fail(f"no credit ({zero} at the floor) in {detail}{stage.summary()}", pytrace=False)
    record_property("score", round(credit, 4))


def test_load_25_per_second(record_property):
    _measure(25, 100, record_property)


def test_load_50_per_second(record_property):
    _measure(50, 200, record_property)


def test_load_100_per_second(record_property):
    """The target: ten times today's peak of 10 dashboards/s."""
    _measure(100, 400, record_property)


def test_load_realistic_50_per_second(record_property):
    _measure(50, 200, record_property, model="realistic")


def test_load_realistic_100_per_second(record_property):
    """The target again, with the upstreams' real latency spread and bursty traffic."""
    _measure(100, 400, record_property, model="realistic")
