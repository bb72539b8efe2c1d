"""Differential tests on exports generated for each grading, with the answer known by
construction (see `_generated.py`): one test per rule of the brief, each checking exactly the
rows that rule decides, and end-to-end checks of every function on whole exports, from one row
of each kind to the performance test's size. A failure names the seed (`TAKEHOME_SEED`)."""

import math

import pandas as pd
import pytest
from _generated import KINDS, OUTPUT_COLUMNS, SEED, generate, rng_for
from _large import generate_large
from _support import RE_EXPORTS, ROWS

from pipeline import clean_orders, convert_to_eur, daily_revenue

#: The mixed export the per-rule tests of `clean_orders` and `convert_to_eur` read: every kind
#: of row at least `COPIES` times.
MIXED_ORDERS = 3000
COPIES = 6
#: The whole export of the performance test's size (275,000 rows: 250,000 orders and 25,000
#: re-exports there), of which a core of `LARGE_CORE` orders holds every kind of row `COPIES`
#: times and more by weight, the rest drawn column-wise (`_large.py`).
LARGE_ROWS = ROWS + RE_EXPORTS
LARGE_CORE = 30_000
SHOWN = 4


@pytest.fixture(scope="module")
def mixed():
    return generate(rng_for("mixed"), MIXED_ORDERS, copies=COPIES)


@pytest.fixture(scope="module")
def mixed_clean(mixed):
    """The candidate's `clean_orders` of the mixed export, once for every rule's test."""
    return clean_orders(mixed.orders_frame())


@pytest.fixture(scope="module")
def mixed_eur(mixed):
    """The candidate's `convert_to_eur` of the mixed export's correct clean orders."""
    return convert_to_eur(mixed.clean_frame(), mixed.fx_frame())


def _fail(what, problems):
    shown = "; ".join(problems[:SHOWN])
    more = f" (and {len(problems) - SHOWN} more)" if len(problems) > SHOWN else ""
    pytest.fail(f"{what}: {len(problems)} wrong: {shown}{more} [TAKEHOME_SEED={SEED}]")


def _missing(value):
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA \
        or value is pd.NaT or (isinstance(value, str) and not value.strip())


# -- clean_orders ---------------------------------------------------------------------------

def _by_id(frame):
    rows = {}
    for row in frame.to_dict("records"):
        rows.setdefault(row["order_id"], []).append(row)
    return rows


def _clean_problems(result, ex, ids):
    got = _by_id(result)
    problems = []
    for order_id in ids:
        rows = got.get(order_id, [])
        fact = ex.facts.get(order_id)
        if fact is None:
            if rows:
                problems.append(f"{order_id} must be dropped")
            continue
        if len(rows) != 1:
            problems.append(f"{order_id}: {len(rows)} rows, not 1")
            continue
        row = rows[0]
        want = {"customer_id": fact.customer_id, "ordered_at": fact.ordered_at,
                "amount": fact.amount, "currency": fact.currency, "status": fact.status,
                "source": fact.source}
        for column, expected in want.items():
            value = row.get(column)
            if expected is None:
                same = _missing(value)
            elif column == "amount":
                same = isinstance(value, float) and math.isclose(value, expected, rel_tol=1e-12)
            elif column == "ordered_at":
                same = isinstance(value, pd.Timestamp) and value.tzinfo is not None \
                    and value == expected
            else:
                same = value == expected
            if not same:
                problems.append(f"{order_id} {column}: {value!r}, expected {expected!r}")
    return problems


def _check_clean(result, ex, kinds, what):
    ids = [i for kind in kinds for i in ex.kinds.get(kind, [])]
    assert ids, f"no rows of {kinds}"
    problems = _clean_problems(result, ex, ids)
    if problems:
        _fail(what, problems)


def test_rows_without_order_id_are_dropped(mixed_clean):
    blank = [v for v in mixed_clean["order_id"] if _missing(v)]
    if blank:
        _fail("rows without an order id", [f"{len(blank)} kept"])


def test_last_version_of_a_repeated_order_wins(mixed, mixed_clean):
    _check_clean(mixed_clean, mixed, ["duplicate_last_wins"], "re-exported orders (the last row wins)")


def test_duplicates_are_resolved_before_validation(mixed, mixed_clean):
    _check_clean(mixed_clean, mixed, ["duplicate_invalid_last"], "orders whose last version is invalid")


def test_invalid_rows_are_dropped(mixed, mixed_clean):
    _check_clean(mixed_clean, mixed, ["bad_source", "bad_amount", "bad_timestamp", "zero_amount"],
                 "unknown sources, bad amounts, malformed timestamps, zero amounts")


def test_text_is_trimmed_and_normalised(mixed, mixed_clean):
    _check_clean(mixed_clean, mixed, ["plain"], "plain orders (trimmed, case-normalised values)")


def test_missing_values_are_filled(mixed, mixed_clean):
    _check_clean(mixed_clean, mixed, ["missing_currency", "missing_status", "missing_customer"],
                 "missing currency, status and customer")


def test_explicit_offsets(mixed, mixed_clean):
    _check_clean(mixed_clean, mixed, ["explicit_offset"], "timestamps with Z or an offset")


def test_naive_times_are_local_time_of_the_source(mixed, mixed_clean):
    _check_clean(mixed_clean, mixed, ["naive_local", "utc_day_boundary"],
                 "naive timestamps in standard and summer time")


def test_dst_fall_back_is_the_daylight_time(mixed, mixed_clean):
    _check_clean(mixed_clean, mixed, ["dst_fall_back"], "naive times that happen twice (clocks going back)")


def test_dst_spring_forward_moves_forward(mixed, mixed_clean):
    _check_clean(mixed_clean, mixed, ["dst_spring_forward"], "naive times in the gap (clocks going forward)")


# -- convert_to_eur (given the correct clean orders) ----------------------------------------

def _check_eur(result, ex, ids, what):
    assert ids, f"no rows for {what}"
    got = _by_id(result)
    expected = ex.expected_eur()
    problems = []
    for order_id in ids:
        rows = got.get(order_id, [])
        if order_id not in expected:
            if rows:
                problems.append(f"{order_id} must be dropped (no rate)")
        elif len(rows) != 1:
            problems.append(f"{order_id}: {len(rows)} rows, not 1")
        elif not math.isclose(rows[0]["amount_eur"], expected[order_id], rel_tol=1e-9):
            problems.append(f"{order_id} ({ex.facts[order_id].currency} at "
                            f"{ex.facts[order_id].ordered_at}): amount_eur "
                            f"{rows[0]['amount_eur']!r}, expected {expected[order_id]!r}")
    if problems:
        _fail(what, problems)


def test_eur_needs_no_rate(mixed, mixed_eur):
    ids = [i for i, f in mixed.facts.items() if f.currency == "EUR"]
    _check_eur(mixed_eur, mixed, ids, "EUR orders (any day, rate 1)")


def test_rate_of_the_utc_day(mixed, mixed_eur):
    ids = mixed.kinds["fx_business_day"] + mixed.kinds.get("utc_day_boundary", [])
    _check_eur(mixed_eur, mixed, ids, "orders on a day with a rate")


def test_non_business_days_use_the_latest_earlier_rate(mixed, mixed_eur):
    _check_eur(mixed_eur, mixed, mixed.kinds["fx_weekend_or_holiday"],
               "orders on weekends and holidays")


def test_orders_after_the_last_rate_use_it(mixed, mixed_eur):
    _check_eur(mixed_eur, mixed, mixed.kinds["fx_after_last_date"], "orders after the table's last date")


def test_orders_without_a_rate_are_dropped(mixed, mixed_eur):
    _check_eur(mixed_eur, mixed, mixed.kinds["fx_no_rate"],
               "orders before the first rate or in a currency without rates")


# -- daily_revenue ----------------------------------------------------------------------------

def _daily_problems(result, expected):
    if list(result.columns) != OUTPUT_COLUMNS:
        return [f"columns {list(result.columns)}, expected {OUTPUT_COLUMNS}"]
    problems = []
    if list(result.index) != list(range(len(result))):
        problems.append("the index is not 0..n-1")
    for column, dtype in (("orders", "int64"), ("revenue_eur", "float64")):
        if str(result[column].dtype) != dtype:
            problems.append(f"{column} is {result[column].dtype}, not {dtype}")
    got = list(result.itertuples(index=False, name=None))
    if len(got) != len(expected):
        problems.append(f"{len(got)} rows, expected {len(expected)}")
    for row, (day, country, count, total) in zip(got, expected):
        revenue = float(row[3])
        if (row[0], row[1], row[2]) != (day, country, count):
            problems.append(f"row {row[:3]}, expected {(day, country, count)}")
        elif abs(revenue - float(total)) > 0.005 + 1e-9 or abs(revenue * 100 - round(
                revenue * 100)) > 1e-6:
            problems.append(f"{day} {country}: revenue {revenue!r}, expected "
                            f"{total:.4f} rounded to cents")
    return problems


def _check_daily(ex, what):
    problems = _daily_problems(daily_revenue(
        ex.orders_frame(), ex.customers_frame(), ex.fx_frame()), ex.expected_daily())
    if problems:
        _fail(what, problems)


#: The rows every export carries whatever it focuses on: the brief's rows to drop and its
#: re-exports (only the focused kinds fill the rest).
NOISE = ["missing_id", "bad_source", "bad_amount", "bad_timestamp", "duplicate_last_wins",
         "duplicate_invalid_last", "duplicate_valid_last"]


def _focused(name, kinds, orders=300):
    ex = generate(rng_for(name), orders, kinds=kinds + NOISE, copies=COPIES, fill=kinds)
    return ex


def test_only_completed_orders_count():
    _check_daily(_focused("status", ["plain", "other_status", "missing_status"]),
                 "revenue of completed orders only")


def test_country_of_the_customer():
    _check_daily(_focused("country", ["plain", "missing_customer"]),
                 "countries (last customer row wins, ZZ when unknown)")


def test_days_are_utc_days():
    _check_daily(_focused("utc-day", ["plain", "utc_day_boundary"]),
                 "revenue per UTC calendar day")


def test_day_sum_is_rounded_not_each_order():
    _check_daily(_focused("rounding", ["day_sum_rounding"], orders=60),
                 "the day's sum rounded to cents")


# -- whole exports ------------------------------------------------------------------------------

@pytest.mark.parametrize("orders", [len(KINDS), 400, 4000])
def test_generated_export_end_to_end(orders):
    """Every kind of row in one export: every function's output exactly as the brief says."""
    ex = generate(rng_for("export", orders), orders)
    raw = ex.orders_frame()
    result = clean_orders(raw)
    problems = _clean_problems(result, ex, list(ex.facts) + sorted(ex.dropped))
    if len(result) != len(ex.facts):
        problems.append(f"clean_orders: {len(result)} rows, expected {len(ex.facts)}")
    problems += [f"convert_to_eur: {p}" for p in _eur_problems(ex)]
    problems += [f"daily_revenue: {p}" for p in _daily_problems(
        daily_revenue(raw, ex.customers_frame(), ex.fx_frame()), ex.expected_daily())]
    if problems:
        _fail(f"a generated export of {len(raw)} rows", problems)


def _eur_problems(ex):
    result = convert_to_eur(ex.clean_frame(), ex.fx_frame())
    expected = ex.expected_eur()
    got = {r["order_id"]: r["amount_eur"] for r in result.to_dict("records")}
    problems = [] if len(result) == len(expected) else [
        f"{len(result)} rows, expected {len(expected)}"]
    for order_id, amount in expected.items():
        if order_id not in got or not math.isclose(got[order_id], amount, rel_tol=1e-9):
            problems.append(f"{order_id}: {got.get(order_id)!r}, expected {amount!r}")
    return problems


def test_large_generated_export():
    """The performance test's size, with every messy case: the daily report exactly."""
    large = generate_large(rng_for("large"), LARGE_ROWS, LARGE_CORE, COPIES)
    problems = _daily_problems(daily_revenue(large.orders, large.customers, large.fx),
                               large.expected)
    if problems:
        _fail(f"a generated export of {len(large.orders)} rows", problems)
