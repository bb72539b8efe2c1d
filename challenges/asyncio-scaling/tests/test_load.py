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
  brief's hard budget for every request), and never more than the sustained-rate factor: 1
  when the server kept up with at least 95% of the offered rate over the middle half of the
  stage, 0 at 85% or less (`Stage.sustained`). A server that falls behind builds a backlog, and
  its p99 then measures the stage's length times its shortfall, which a few percent of CPU
  moves across the whole ramp; its sustained rate moves by those few percent only;
- upstream caps: 1 with no violation during the stage, 0 at 5 (counted by the mock upstreams).
  A server that exceeds the caps under load gets no load credit: in production its answers
  would be rate-limited away.

A stage short of full credit is measured again, up to three attempts in all, each with new users
(so no cache carries over), and earns its best attempt's credit. On a grading host, contention
only ever slows a server down, so the best of a few attempts is the closest figure to what it does
on a machine of its own; one unlucky slice of CPU no longer costs a borderline server a stage.
No further attempt is made after one with full credit, one where at least half the answers were
wrong or missing while the probes were not starved (far past the floor: not a borderline server),
or once two attempts in a row agree within 0.05. Each attempt has new, unpredictable user ids,
mapped to the same slots of the schedule, so every attempt sees the same realistic latencies
(upstreams.py): attempts differ only in what the host and the server did, not in luck of the draw.
Every attempt's credit, the best attempt's factors and figures, the probes' own loop lag and the
host's CPU stall during the stage are in the test's detail in the report.
"""

import secrets

import pytest

from probe import harness, run_stage

FULL_P99, ZERO_P99 = 0.5, 1.0
ZERO_ERROR_SHARE = 0.05
ZERO_VIOLATIONS = 5
FULL_SUSTAINED, ZERO_SUSTAINED = 0.95, 0.85
POOL = 50  # distinct users per ideal stage: a cache or coalescing helps, but is not needed
OPENING_BURST = 16
BURST_COPIES = (3, 3, 2, 1, 1)  # 5 users, 10 requests per realistic burst
ATTEMPTS = 3
AGREE = 0.05
STARVED = 0.1  # seconds: probe loop lag past which an attempt's errors may be the host's


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


def _ideal_schedule(rate: int, count: int) -> list[tuple[float, str]]:
    """(offset, slot) per request; a slot is one user of the stage."""
    steady = [(0.25 + i / rate, f"load{rate}-{i % POOL}") for i in range(count)]
    return _opening(f"load{rate}") + steady


def _realistic_schedule(rate: int, count: int) -> list[tuple[float, str]]:
    size = sum(BURST_COPIES)
    schedule = []
    for burst in range(count // size):
        offset = 0.25 + burst * size / rate
        for user, copies in enumerate(BURST_COPIES):
            schedule += [(offset, f"real{rate}-{burst}-{user}")] * copies
    return _opening(f"real{rate}") + schedule


def _attempt(schedule: list[tuple[float, str]]) -> tuple[list[tuple[float, str]], dict[str, str]]:
    """One attempt's requests: every slot gets a user id no one can predict (so an app can
    neither prefetch an attempt nor tell attempts apart by their ids), and the slot map that
    gives each id its slot's realistic latencies (the same in every attempt)."""
    token = secrets.token_hex(6)
    users: dict[str, str] = {}
    for _, slot in schedule:
        users.setdefault(slot, f"{token}-{len(users)}")
    return [(offset, users[slot]) for offset, slot in schedule], {u: s for s, u in users.items()}


def _factors(stage) -> dict[str, float]:
    held = _linear(stage.sustained(), FULL_SUSTAINED, ZERO_SUSTAINED)
    return {
        "correct": _linear(len(stage.errors) / stage.count, 0.0, ZERO_ERROR_SHARE),
        "p99": min(held, _linear(stage.percentile(99), FULL_P99, ZERO_P99)),
        "caps": _linear(sum(stage.violations.values()), 0, ZERO_VIOLATIONS),
    }


def _credit(factors: dict[str, float]) -> float:
    return factors["correct"] * factors["p99"] * factors["caps"]


def _settled(credits: list[float], stage) -> bool:
    """Whether another attempt is pointless: full credit; at least half the answers wrong or
    missing while the probes themselves were not starved (their loop never STARVED late: such a
    server is far past the floor, not borderline, and its timeouts would cost the run minutes);
    or the last two attempts earned the same credit, within AGREE."""
    if credits[-1] >= 1.0:
        return True
    if len(stage.errors) >= stage.count / 2 and stage.lag < STARVED:
        return True
    return len(credits) >= 2 and abs(credits[-1] - credits[-2]) <= AGREE


Attempt = tuple[float, dict[str, float], object]  # credit, its factors, the stage


def _attempts(rate: int, count: int, model: str) -> list[Attempt]:
    """(credit, factors, stage) of each attempt made, in order (module docstring: when one is
    made)."""
    schedule = (_realistic_schedule if model == "realistic" else _ideal_schedule)(rate, count)
    attempts: list[Attempt] = []
    for _ in range(ATTEMPTS):
        requests, slots = _attempt(schedule)
        stage = run_stage(rate, requests, model=model, slots=slots)
        factors = _factors(stage)
        attempts.append((_credit(factors), factors, stage))
        if _settled([credit for credit, _, _ in attempts], stage):
            break
    return attempts


def _best(attempts: list[Attempt]) -> tuple[int, Attempt]:
    """The best attempt's number (1-based) and the attempt; a tie goes to the earlier one."""
    index = max(range(len(attempts)), key=lambda i: (attempts[i][0], -i))
    return index + 1, attempts[index]


def _measure(rate: int, count: int, record_property, model: str = "ideal") -> None:
    """Run the stage in up to ATTEMPTS attempts; it earns its best attempt's credit. The
    detail (the test's message in the report) leads with what decided the credit."""
    attempts = _attempts(rate, count, model)
    best, (credit, factors, stage) = _best(attempts)
    p99 = stage.percentile(99)
    record_property("p50_ms", round(stage.percentile(50) * 1000))
    record_property("p99_ms", round(p99 * 1000) if p99 < float("inf") else -1)
    record_property("errors", len(stage.errors))
    record_property("cap_violations", sum(stage.violations.values()))
    shown = ", ".join(f"{name} {value:.2f}" for name, value in factors.items())
    tried = ", ".join(f"{c:.2f}" for c, _, _ in attempts)
    detail = f"attempt {best} of {len(attempts)} (credits {tried}; factors {shown}): "
    record_property("detail", f"{detail}{stage.summary()}")
    if credit <= 0.0:
        zero = ", ".join(name for name, value in factors.items() if value <= 0.0)
        pytest.fail(f"no credit ({zero} at the floor), {detail}{stage.summary()}", pytrace=False)
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
