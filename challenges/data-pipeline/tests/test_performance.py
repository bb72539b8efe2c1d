"""A large, realistic export must be processed with vectorised pandas, not row by row."""

import resource
import signal
import time

import numpy as np
import pandas as pd
import pytest
from _support import RE_EXPORTS, ROWS

from pipeline import daily_revenue

CUSTOMERS = 40_000
# The limit is on CPU time, not wall time: a busy machine (other gradings on the same cores)
# stretches wall time two- or threefold, but barely changes the CPU time a computation needs.
# Measured in the challenge image under `--cpus 1`: the vectorised reference needs 1.3 s of CPU
# (2 s on an older machine); the row-by-row variant (iterrows, per-row parsing) 10.5 s (22 s
# on the older machine). 5 s leaves a factor of two on either side. CPU time of child processes
# counts too, so farming the loop out to a process pool does not hide it; the wall-clock alarm is
# only a backstop against a hang. A CPU-time timer stops the call once its own CPU time reaches
# the limit: the verdict is decided there, and a row loop's remaining seconds would only lengthen
# every run (the generated export of this size, tests/test_generated.py, runs it once more).
LIMIT_CPU_SECONDS = 5.0
WALL_BACKSTOP_SECONDS = 120.0

_SOURCES = np.array(["eu", "uk", "us"])
_CURRENCIES = np.array(["EUR", "GBP", "USD"])
_OFFSETS = np.array([60, 0, -300])  # winter offsets in minutes, used for written-out offsets
_OFFSET_TEXT = np.array(["+01:00", "+00:00", "-05:00"])


def _timestamps(rng: np.random.Generator, source: np.ndarray) -> np.ndarray:
    """Text timestamps in the three shapes the systems write: naive local, Z, and +hh:mm."""
    start = np.datetime64("2024-01-02T00:00:00")
    seconds = rng.integers(0, 60 * 86_400, size=len(source))  # January and February: no DST
    utc = start + seconds.astype("timedelta64[s]")
    shape = rng.integers(0, 3, size=len(source))
    offset = _OFFSETS[source].astype("timedelta64[m]")
    local = np.datetime_as_string(utc + offset, unit="s")
    zulu = np.char.add(np.datetime_as_string(utc, unit="s"), "Z")
    naive = np.char.replace(local, "T", " ")
    with_offset = np.char.add(local, _OFFSET_TEXT[source])
    text = np.where(shape == 0, naive, np.where(shape == 1, zulu, with_offset))
    return text.astype(object)


def _export(seed: int = 20240301) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
    rng = np.random.default_rng(seed)
    source = rng.integers(0, 3, size=ROWS)
    prefix = np.char.upper(_SOURCES[source])
    order_id = np.char.add(np.char.add(prefix, "-"), np.char.zfill(np.arange(ROWS).astype(str), 7))
    customer = np.char.add("C", np.char.zfill(rng.integers(0, CUSTOMERS, ROWS).astype(str), 6))
    customer = customer.astype(object)
    customer[rng.random(ROWS) < 0.03] = np.nan
    ordered_at = _timestamps(rng, source)
    broken = rng.random(ROWS) < 0.01
    ordered_at[broken] = "n/a"
    currency = _CURRENCIES[source].astype(object)
    currency[rng.random(ROWS) < 0.2] = np.nan
    completed = rng.random(ROWS) < 0.9
    status = np.where(completed, "completed", "cancelled").astype(object)
    status[completed & (rng.random(ROWS) < 0.1)] = " Completed "
    status[completed & (rng.random(ROWS) < 0.1)] = np.nan
    amount = np.round(rng.uniform(1, 500, ROWS), 2).astype(str).astype(object)
    # Re-exports: a later row for an existing order replaces it (some get cancelled).
    again = rng.choice(ROWS, size=RE_EXPORTS, replace=False)
    final_completed = completed.copy()
    final_completed[again] = rng.random(RE_EXPORTS) < 0.5
    frame = pd.DataFrame(
        {
            "order_id": order_id.astype(object),
            "customer_id": customer,
            "ordered_at": ordered_at,
            "amount": amount,
            "currency": currency,
            "status": status,
            "source": _SOURCES[source].astype(object),
        }
    )
    tail = frame.iloc[again].copy()
    tail["status"] = np.where(final_completed[again], "completed", "cancelled")
    tail["amount"] = np.round(rng.uniform(1, 500, RE_EXPORTS), 2).astype(str)
    orders = pd.concat([frame, tail], ignore_index=True)
    # Real exports carry many more columns than the pipeline needs.
    extra = {
        "channel": np.array(["web", "app", "phone", "marketplace"], dtype=object),
        "shipping_country": np.array(["DE", "GB", "US", "FR", "NL", ""], dtype=object),
        "items": np.arange(1, 9).astype(str).astype(object),
        "coupon": np.array(["", "", "", "SPRING10", "WELCOME5"], dtype=object),
        "warehouse": np.array(["BER-1", "LON-2", "NYC-1", "NYC-3"], dtype=object),
        "exported_by": np.array(["batch", "batch", "manual"], dtype=object),
    }
    for name, values in extra.items():
        orders[name] = values[rng.integers(0, len(values), len(orders))]
    expected_orders = int(np.sum(final_completed & ~broken))

    countries = np.array(["DE", "fr", " GB", "US", "AT ", "NL", "", "IT"], dtype=object)
    customers = pd.DataFrame(
        {
            "customer_id": np.char.add("C", np.char.zfill(np.arange(CUSTOMERS).astype(str), 6)),
            "country": countries[rng.integers(0, len(countries), CUSTOMERS)],
        }
    ).astype(object)
    customers.loc[customers["country"] == "", "country"] = np.nan

    days = pd.bdate_range("2023-12-01", "2024-03-31")
    fx = pd.DataFrame(
        {
            "date": np.repeat(days.strftime("%Y-%m-%d").to_numpy(), 2),
            "currency": np.tile(["GBP", "USD"], len(days)),
            "eur_per_unit": np.round(rng.uniform(0.8, 1.2, 2 * len(days)), 4).astype(str),
        }
    ).astype(object)
    return orders, customers, fx, expected_orders


class _TooSlow(BaseException):
    """Not an `Exception`: a candidate's `except Exception` around a row must not swallow it."""


def _alarm(signum, frame):
    raise _TooSlow(f"daily_revenue did not finish within {WALL_BACKSTOP_SECONDS:g} s")


def _over_budget(signum, frame):
    raise _TooSlow(f"daily_revenue used {LIMIT_CPU_SECONDS:g} s of CPU time (the limit) and was "
                   "stopped there")


def _cpu_seconds():
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.fixture(scope="module")
def export():
    return _export()


def test_large_export_is_fast(export):
    orders, customers, fx, expected_orders = export
    previous = signal.signal(signal.SIGALRM, _alarm)
    previous_cpu = signal.signal(signal.SIGPROF, _over_budget)
    signal.setitimer(signal.ITIMER_REAL, WALL_BACKSTOP_SECONDS)
    signal.setitimer(signal.ITIMER_PROF, LIMIT_CPU_SECONDS)
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    try:
        result = daily_revenue(orders, customers, fx)
    except _TooSlow as exc:
        pytest.fail(f"{exc} ({time.perf_counter() - started:.1f} s wall)")
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGPROF, previous_cpu)
        signal.signal(signal.SIGALRM, previous)
    cpu = _cpu_seconds() - cpu_started
    wall = time.perf_counter() - started
    assert cpu < LIMIT_CPU_SECONDS, (
        f"took {cpu:.1f} s of CPU time ({wall:.1f} s wall; limit {LIMIT_CPU_SECONDS:g} s of CPU)"
    )
    assert list(result.columns) == ["date", "country", "orders", "revenue_eur"]
    assert int(result["orders"].sum()) == expected_orders
    assert set(result["country"]) == {"DE", "FR", "GB", "US", "AT", "NL", "IT", "ZZ"}
    assert result["revenue_eur"].gt(0).all()
