"""An export of the performance test's size with every messy case, generated cheaply.

Drawing 275,000 rows one at a time with `_generated` costs about 11 s of CPU, more than the
performance test's whole limit (5 s) and eight times what the vectorised reference needs to
process them (1.3 s, `test_performance.py`). So a large export is two parts, shuffled together:

- a *core* drawn by `_generated.generate` with every kind of row (`_generated.KINDS`) `copies`
  times (the caller's argument) and the rest by weight: the rare, hand-built cases
  (daylight-saving nights, the day's sum rounded, every kind of re-export and invalid row) with
  their facts;
- a *bulk* drawn column-wise with numpy up to the row count, on the core's FX table and
  customers, with the common messy cases at scale: padding and case, naive local times of the
  source zone (standard and summer time, the first of two fall-back hours), `Z` and offsets,
  fractional seconds, missing currency, status and customer, unknown customers, zero amounts,
  orders written up to four times (one to three re-exports; the last version decides, valid or
  not), invalid sources, amounts and timestamps, rows without an id, FX on non-business days,
  before the first rate, after the last one and in currencies without rates.

The oracle is by construction, as in `_generated`: each bulk order is drawn as its facts (UTC
instant, amount in cents, currency, status, customer) and then written out; the local wall time
of an instant comes from the zone's offsets found with zoneinfo (`TRANSITIONS`), the rate is a
look-up in the drawn table, and each day's sum is exact in integer micro-euros (cents times the
rate's four decimals).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from _generated import (
    EXTRA_COLUMNS,
    HOME,
    OFFSETS,
    ORDER_COLUMNS,
    RATED,
    TRANSITIONS,
    UNRATED,
    ZONES,
    generate,
    malformed_text,
)

SOURCES = list(ZONES)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
DAY = 86_400
PAD_LEFT = np.array([" ", "  ", "\t", ""], dtype=object)
PAD_RIGHT = np.array([" ", "   ", "\t", ""], dtype=object)
MISSING = np.array([None, "", "  ", "\t"], dtype=object)
FRACTIONS = np.array(["", ".250", ".5", ".123456", ".000"], dtype=object)
STATUSES = ["completed", "cancelled", "refunded", "pending"]
CURRENCIES = ["EUR", *RATED, *UNRATED]
BAD_SOURCES = np.array([None, "", "  ", "apac", "e u", "eu-west", "usa", "gb"], dtype=object)
BAD_AMOUNTS = np.array([None, "", "   ", "twelve", "-3.50", "1,50", "EUR 10", "10 EUR",
                        "12.5.1", "--3", "n/a", "oops", "-1.00"], dtype=object)
ZERO_AMOUNTS = np.array(["0", "0.00", "0.0"], dtype=object)
#: Share of bulk rows (or orders) of each case.
EXTRA_VERSIONS = (0.88, 0.08, 0.03, 0.01)  # an order written 1, 2, 3 or 4 times
BAD_SOURCE, BAD_AMOUNT, BAD_TIMESTAMP, NO_ID = 0.006, 0.006, 0.006, 0.004
ZERO = 0.003
NAIVE, ZULU = 0.4, 0.25  # the rest: an offset
FRACTION = 0.15
NO_CUSTOMER, UNKNOWN_CUSTOMER = 0.05, 0.04
MISSING_CURRENCY, MISSING_STATUS = 0.06, 0.04
FOREIGN, UNRATED_SHARE = 0.27, 0.02  # the rest: the source's home currency


@dataclass
class Large:
    """A large export's frames and what `daily_revenue` must return for them."""

    orders: pd.DataFrame
    customers: pd.DataFrame
    fx: pd.DataFrame
    expected: list  # (date, country, orders, Decimal revenue), sorted


def generate_large(rng, rows, core_orders, copies):
    """`rows` order rows: a core of `core_orders` orders from `_generated.generate` (every kind
    `copies` times), the rest drawn column-wise; `rng` is a `random.Random` of the seed."""
    ex = generate(rng, core_orders, copies=copies, customers=rows // 5)
    bulk = _Bulk(np.random.default_rng(rng.getrandbits(128)), ex, rows - len(ex.rows))
    orders = _interleave(bulk.g, ex.orders_frame(), bulk.frame())
    expected = _merge(ex.expected_daily(), bulk.expected())
    return Large(orders, ex.customers_frame(), ex.fx_frame(), expected)


def _interleave(g, core, bulk):
    """Both frames' rows in one random order that keeps each frame's own order (so every
    re-export stays after the versions it replaces), with a fresh index."""
    from_core = np.zeros(len(core) + len(bulk), dtype=bool)
    from_core[g.choice(len(from_core), size=len(core), replace=False)] = True
    position = np.empty(len(from_core), dtype=np.int64)
    position[from_core] = np.arange(len(core))
    position[~from_core] = len(core) + np.arange(len(bulk))
    return pd.concat([core, bulk], ignore_index=True).iloc[position].reset_index(drop=True)


def _merge(core, bulk):
    sums = {(d, c): (n, total) for d, c, n, total in core}
    for d, c, n, total in bulk:
        count, before = sums.get((d, c), (0, Decimal(0)))
        sums[(d, c)] = (count + n, before + total)
    return [(d, c, n, total) for (d, c), (n, total) in sorted(sums.items())]


def _pad(g, text, chance=0.3):
    size = len(text)
    padded = PAD_LEFT[g.integers(0, 4, size)] + text + PAD_RIGHT[g.integers(0, 4, size)]
    return np.where(g.random(size) < chance, padded, text)


def _recase(g, index, vocabulary, chance):
    """`vocabulary[index]`, some of it lower, upper or title case."""
    forms = np.array([[v.lower(), v.upper(), v.title(), v] for v in vocabulary], dtype=object)
    size = len(index)
    form = np.where(g.random(size) < chance, g.integers(0, 4, size), 3)
    return forms[index, form]


def _amount_text(g, cents):
    whole, part = cents // 100, cents % 100
    forms = 1 + (part % 10 == 0) + (part == 0)  # 12.30 may be 12.3; 12.00 may be 12.0 or 12
    form = (g.random(len(cents)) * forms).astype(np.int64)
    rows = zip(whole.tolist(), part.tolist(), form.tolist(), strict=True)
    return np.array([f"{w}.{p:02d}" if f == 0 else f"{w}.{p // 10}" if f == 1 else f"{w}"
                     for w, p, f in rows], dtype=object)


def _offset_text(minutes):
    sign = np.where(minutes < 0, "-", "+").astype(object)
    hours, mins = np.divmod(np.abs(minutes), 60)
    return sign + np.char.zfill(hours.astype(str), 2).astype(object) + ":" + np.char.zfill(
        mins.astype(str), 2).astype(object)


def _seconds(moment):
    return int((moment - EPOCH).total_seconds())


def _zone_offsets(source, t):
    """The UTC offset (seconds) of each instant `t` in its source's zone, and whether its wall
    time is the second of a fall-back night's two (meant as the first: not this instant)."""
    offset = np.zeros(len(t), dtype=np.int64)
    second = np.zeros(len(t), dtype=bool)
    for number, name in enumerate(SOURCES):
        changes = TRANSITIONS[name]
        at = np.array([_seconds(c[0]) for c in changes])
        before = np.array([c[1].total_seconds() for c in changes], dtype=np.int64)
        after = np.array([c[2].total_seconds() for c in changes], dtype=np.int64)
        mine = source == number
        index = np.searchsorted(at, t[mine], side="right") - 1
        offset[mine] = np.where(index >= 0, after[index], before[0])
        width = np.maximum(before - after, 0)[index]  # fall-back: how long the hour repeats
        second[mine] = (index >= 0) & (t[mine] < at[index] + width)
    return offset, second


class _Bulk:
    """The bulk rows, drawn column by column: each order's facts, then its text."""

    def __init__(self, g, ex, rows):
        self.g, self.ex = g, ex
        versions = 1 + g.choice(len(EXTRA_VERSIONS), size=rows, p=EXTRA_VERSIONS)
        ends = np.cumsum(versions)
        orders = int(np.searchsorted(ends, rows, side="right"))
        versions = np.concatenate([versions[:orders],
                                   np.ones(rows - int(ends[orders - 1]), dtype=np.int64)])
        self.order = np.repeat(np.arange(len(versions)), versions)  # order number of each row
        self.last = np.cumsum(versions) - 1  # the row of each order's final version
        self.rows = rows
        self._draw_facts()
        self._draw_defects()

    # -- facts, one per row (only the last of an order's rows is its fact) ---------------------
    def _draw_facts(self):
        g, ex, rows = self.g, self.ex, self.rows
        self.source = g.integers(0, 3, len(self.last))[self.order]
        home = np.array([CURRENCIES.index(HOME[s]) for s in SOURCES])[self.source]
        roll = g.random(rows)
        self.currency = np.where(roll < FOREIGN, g.integers(1, 1 + len(RATED), rows), np.where(
            roll < FOREIGN + UNRATED_SHARE, g.integers(1 + len(RATED), len(CURRENCIES), rows),
            home))
        self.home = self.currency == home
        first = _seconds(dt.datetime.combine(ex.fx_first, dt.time(), tzinfo=dt.timezone.utc))
        last = _seconds(dt.datetime.combine(ex.fx_last, dt.time(), tzinfo=dt.timezone.utc))
        # from 30 days before the table's first rate to 40 days after its last
        self.t = g.integers(first - 30 * DAY, last + 41 * DAY, rows)
        fraction = np.where(g.random(rows) < FRACTION, g.integers(1, len(FRACTIONS), rows), 0)
        self.fraction = fraction
        self.status = np.where(g.random(rows) < 0.85, 0, g.integers(1, len(STATUSES), rows))
        self.cents = g.integers(100, 50_000, rows)
        self.zero = g.random(rows) < ZERO
        self.cents[self.zero] = 0
        roll = g.random(rows)
        self.customer = np.where(roll < NO_CUSTOMER, -1, np.where(
            roll < NO_CUSTOMER + UNKNOWN_CUSTOMER, -2, g.integers(0, len(ex.customer_ids), rows)))

    def _draw_defects(self):
        g, rows = self.g, self.rows
        roll = g.random(rows)
        self.bad = np.select(
            [roll < BAD_SOURCE, roll < BAD_SOURCE + BAD_AMOUNT,
             roll < BAD_SOURCE + BAD_AMOUNT + BAD_TIMESTAMP], [1, 2, 3], 0)
        single = np.bincount(self.order) == 1
        self.no_id = single[self.order] & (g.random(rows) < NO_ID)
        form = g.random(rows)
        offsets, second = _zone_offsets(self.source, self.t)
        self.zone_offset = offsets
        # naive (0), Z (1) or an offset (2); a repeated fall-back hour is written with an offset
        self.form = np.where(form < NAIVE, 0, np.where(form < NAIVE + ZULU, 1, 2))
        self.form[(self.form == 0) & second] = 2
        self.missing_currency = self.home & (g.random(rows) < MISSING_CURRENCY)
        self.missing_status = (self.status == 0) & (g.random(rows) < MISSING_STATUS)

    # -- the text -------------------------------------------------------------------------------
    def frame(self):
        g, rows = self.g, self.rows
        columns = {
            "order_id": self._order_ids(),
            "customer_id": self._customers(),
            "ordered_at": self._timestamps(),
            "amount": self._amounts(),
            "currency": self._currencies(),
            "status": self._statuses(),
            "source": self._sources(),
            "channel": np.array(["web", "app", "phone"], dtype=object)[g.integers(0, 3, rows)],
            "coupon": np.array(["", "SPRING10", None], dtype=object)[g.integers(0, 3, rows)],
        }
        frame = pd.DataFrame(columns)[ORDER_COLUMNS + EXTRA_COLUMNS]
        return frame.where(frame.notna(), np.nan).astype(object).iloc[self._spread()]

    def _spread(self):
        """A random order of the rows that keeps each order's versions in order."""
        slots = self.g.permutation(self.rows)
        return np.argsort(slots[np.lexsort((slots, self.order))])

    def _order_ids(self):
        prefix = np.array([s.upper() + "-" for s in SOURCES], dtype=object)[self.source]
        number = self.ex.counter + 1 + self.order
        ids = prefix + np.char.zfill(number.astype(str), 7).astype(object)
        ids = _pad(self.g, ids)
        ids[self.no_id] = MISSING[self.g.integers(0, len(MISSING), int(self.no_id.sum()))]
        return ids

    def _customers(self):
        g, ex = self.g, self.ex
        known = np.array(ex.customer_ids, dtype=object)[np.maximum(self.customer, 0)]
        unknown = ("X" + np.char.zfill(g.integers(0, 10**6, self.rows).astype(str), 6)).astype(
            object)
        text = _pad(g, np.where(self.customer == -2, unknown, known))
        absent = self.customer == -1
        text[absent] = MISSING[g.integers(0, len(MISSING), int(absent.sum()))]
        return text

    def _timestamps(self):
        g = self.g
        minutes = np.array(OFFSETS)[g.integers(0, len(OFFSETS), self.rows)]
        shift = np.select([self.form == 0, self.form == 1], [self.zone_offset, 0], minutes * 60)
        wall = np.datetime_as_string((self.t + shift).astype("datetime64[s]"), unit="s")
        wall = np.where(g.random(self.rows) < 0.5, np.char.replace(wall, "T", " "), wall)
        suffix = np.where(self.form == 0, "", np.where(self.form == 1, "Z", _offset_text(
            minutes))).astype(object)
        text = _pad(g, wall.astype(object) + FRACTIONS[self.fraction] + suffix, 0.15)
        for row in np.flatnonzero(self.bad == 3):
            wall = dt.datetime.fromtimestamp(int(self.t[row]), dt.timezone.utc)
            forms = [None, "", "  ", malformed_text(self.ex.rng, wall.replace(tzinfo=None))]
            text[row] = forms[g.integers(0, len(forms))]
        return text

    def _amounts(self):
        g = self.g
        text = _pad(g, _amount_text(g, self.cents))
        text[self.zero] = _pad(g, ZERO_AMOUNTS[g.integers(0, 3, int(self.zero.sum()))])
        bad = self.bad == 2
        text[bad] = BAD_AMOUNTS[g.integers(0, len(BAD_AMOUNTS), int(bad.sum()))]
        return text

    def _currencies(self):
        g = self.g
        text = _pad(g, _recase(g, self.currency, CURRENCIES, 0.2))
        text[self.missing_currency] = MISSING[g.integers(0, 4, int(self.missing_currency.sum()))]
        return text

    def _statuses(self):
        g = self.g
        text = _pad(g, _recase(g, self.status, STATUSES, 0.2))
        text[self.missing_status] = MISSING[g.integers(0, 4, int(self.missing_status.sum()))]
        return text

    def _sources(self):
        g = self.g
        text = _pad(g, _recase(g, self.source, SOURCES, 1.0))
        bad = self.bad == 1
        text[bad] = BAD_SOURCES[g.integers(0, len(BAD_SOURCES), int(bad.sum()))]
        return text

    # -- the answer -----------------------------------------------------------------------------
    def expected(self):
        """(date, country, orders, Decimal revenue) of the bulk's counted orders."""
        final = self.last
        final = final[(self.bad[final] == 0) & ~self.no_id[final] & (self.status[final] == 0)]
        rate = self._rates(final)
        final, rate = final[rate > 0], rate[rate > 0]
        countries = np.array([self.ex.countries[c] for c in self.ex.customer_ids] + ["ZZ", "ZZ"],
                             dtype=object)  # -2: unknown, -1: none
        micros = self.cents[final] * rate  # cents x (rate x 10^4) = micro-euros, exactly
        frame = pd.DataFrame({  # a fraction of a second never changes the UTC day
            "date": np.datetime_as_string(self.t[final].astype("datetime64[s]"), unit="D"),
            "country": countries[self.customer[final]],
            "micros": micros,
        })
        sums = frame.groupby(["date", "country"], sort=True)["micros"].agg(["size", "sum"])
        return [(d, c, int(n), Decimal(int(total)).scaleb(-6))
                for (d, c), n, total in zip(sums.index, sums["size"], sums["sum"], strict=True)]

    def _rates(self, final):
        """The rate of each order (x 10^4: the table's four decimals), 0 when it has none."""
        day = self.t[final] // DAY
        currency = self.currency[final]
        rate = np.where(currency == 0, 10_000, 0)
        for number, name in enumerate(RATED, start=1):
            dates, texts = self.ex.rates[name]
            days = np.array([(d - EPOCH.date()).days for d in dates])
            values = np.array([int(t.replace(".", "")) for t in texts])
            mine = currency == number
            index = np.searchsorted(days, day[mine], side="right") - 1
            rate[mine] = np.where(index >= 0, values[np.maximum(index, 0)], 0)
        return rate

