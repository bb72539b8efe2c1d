"""The login throttle's policy (`api.throttle`) on a controlled clock: free failures, doubling
lockouts that always end, a capped lockout, reset on success, forgetting, bounded memory."""

from __future__ import annotations

from api.throttle import LoginThrottle, ThrottlePolicy

POLICY = ThrottlePolicy(
    free_failures=3, free_failures_per_address=10, lockout_seconds=2.0, max_seconds=60.0
)


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_free_failures_then_doubling_lockouts() -> None:
    clock = _Clock()
    throttle = LoginThrottle(POLICY, clock)
    for _ in range(2):
        throttle.failed("a@x", "1.1.1.1")
        assert throttle.retry_after("a@x", "1.1.1.1") == 0
    waits = []
    for _ in range(4):
        throttle.failed("a@x", "1.1.1.1")
        waits.append(throttle.retry_after("A@X ", "2.2.2.2"))  # the account, any address
        clock.now += waits[-1]
        assert throttle.retry_after("a@x", "1.1.1.1") == 0  # every lockout ends
    assert waits == [2.0, 4.0, 8.0, 16.0]


def test_a_lockout_never_exceeds_the_maximum_and_a_success_resets() -> None:
    clock = _Clock()
    throttle = LoginThrottle(POLICY, clock)
    for _ in range(200):  # an attacker retrying at every lockout's end
        throttle.failed("a@x", f"10.0.0.{clock.now % 200:.0f}")
        wait = throttle.retry_after("a@x", "9.9.9.9")
        assert wait <= POLICY.max_seconds
        clock.now += wait
    throttle.failed("a@x", "9.9.9.9")
    assert throttle.retry_after("a@x", "9.9.9.9") == POLICY.max_seconds
    clock.now += POLICY.max_seconds
    throttle.succeeded("a@x")  # the reviewer waited it out and logged in
    throttle.failed("a@x", "9.9.9.9")
    assert throttle.retry_after("a@x", "9.9.9.9") == 0  # one typo is free again


def test_an_address_is_throttled_across_accounts_and_only_that_address() -> None:
    throttle = LoginThrottle(POLICY, _Clock())
    for n in range(10):
        throttle.failed(f"user{n}@x", "6.6.6.6")  # spraying: one try per account
    assert throttle.retry_after("someone@x", "6.6.6.6") == 2.0
    assert throttle.retry_after("someone@x", "7.7.7.7") == 0


def test_quiet_keys_are_forgotten_and_memory_is_bounded() -> None:
    clock = _Clock()
    throttle = LoginThrottle(POLICY, clock, max_keys=50)
    for _ in range(3):
        throttle.failed("a@x", "1.1.1.1")
    assert throttle.retry_after("a@x", "1.1.1.1") > 0
    for n in range(500):  # many one-off accounts: the table stays at most max_keys long
        throttle.failed(f"u{n}@x", f"10.1.{n // 250}.{n % 250}")
    assert throttle.retry_after("a@x", "1.1.1.1") > 0  # the locked key outlived the spray
    clock.now += POLICY.max_seconds + 1
    throttle.failed("a@x", "1.1.1.1")
    assert throttle.retry_after("a@x", "1.1.1.1") == 0  # the old failures were forgotten
