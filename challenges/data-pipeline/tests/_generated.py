"""Generated exports with a known answer, for the differential hidden tests.

Oracle by construction: every order is first drawn as a *fact* (its id, source, the UTC instant
it happened, amount in cents, currency, status, customer), and only then written out the messy
way the brief describes (padding, case, naive local times per source zone, offsets, missing
values, re-exports, invalid rows). What `clean_orders`, `convert_to_eur` and `daily_revenue`
must return follows from the facts and the brief's rules, without running any pipeline code:
the expected instant of a naive time is the fact's instant (an ambiguous wall time is drawn
from its first, daylight occurrence; a wall time in a spring-forward gap expects the instant
the gap ends), the rate is a look-up in the drawn table, the day's sum is exact (`Decimal`).

Every export holds at least one row of every *kind* (the catalogue in `KINDS`), and the
remaining rows are drawn from the kinds by weight, so whatever the seed, every messy case the
brief lists is there. The seed comes from the grading (`TAKEHOME_SEED`, set by the grader from
the run id and the repeat number; see docs/grading.md) and is named in every failure message,
so a failing dataset can be regenerated exactly.
"""

import bisect
import datetime as dt
import os
import random
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

SEED = os.environ.get("TAKEHOME_SEED", "local")
UTC = dt.timezone.utc
ZONES = {"eu": ZoneInfo("Europe/Berlin"), "uk": ZoneInfo("Europe/London"),
         "us": ZoneInfo("America/New_York")}
HOME = {"eu": "EUR", "uk": "GBP", "us": "USD"}
RATED = ("GBP", "USD", "CHF")
UNRATED = ("CAD", "JPY", "SEK")
COUNTRIES = ("DE", "FR", "GB", "US", "AT", "NL", "IT", "NA", "CH", "IE")
ORDER_COLUMNS = ["order_id", "customer_id", "ordered_at", "amount", "currency", "status", "source"]
EXTRA_COLUMNS = ["channel", "coupon"]
OUTPUT_COLUMNS = ["date", "country", "orders", "revenue_eur"]
FIRST_YEAR, LAST_YEAR = 2023, 2025


def rng_for(*parts):
    """A random generator for one test and size, reproducible from the seed."""
    return random.Random("/".join([SEED, *map(str, parts)]))


# ---------------------------------------------------------------------------------------------
# Daylight-saving transitions, found with zoneinfo (the IANA rules, not pandas).

def _transitions(zone):
    """(instant, offset before, offset after) of every change of UTC offset in the years."""
    found = []
    t = dt.datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
    end = dt.datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC)
    step = dt.timedelta(hours=1)
    before = t.astimezone(zone).utcoffset()
    while t < end:
        after = (t + step).astimezone(zone).utcoffset()
        if after != before:
            lo, hi = t, t + step
            while hi - lo > dt.timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(zone).utcoffset() == before:
                    lo = mid
                else:
                    hi = mid
            found.append((hi.replace(microsecond=0), before, after))
            before = after
        t += step
    return found


TRANSITIONS = {source: _transitions(zone) for source, zone in ZONES.items()}


def is_ambiguous(wall, zone):
    """A naive wall time that happens twice, or never, in `zone`."""
    first = wall.replace(tzinfo=zone, fold=0).utcoffset()
    second = wall.replace(tzinfo=zone, fold=1).utcoffset()
    return first != second


# ---------------------------------------------------------------------------------------------
# Writing values out the messy way.

def pad(rng, text, chance=0.3):
    if rng.random() >= chance:
        return text
    return rng.choice([" ", "  ", "\t", ""]) + text + rng.choice([" ", "   ", "\t", ""])


def recase(rng, text):
    return rng.choice([text.lower(), text.upper(), text.title(), text])


def missing(rng):
    return rng.choice([None, "", "  ", "\t"])


def amount_text(rng, cents):
    whole, part = divmod(cents, 100)
    forms = [f"{whole}.{part:02d}"]
    if part % 10 == 0:
        forms.append(f"{whole}.{part // 10}")
    if part == 0:
        forms.append(f"{whole}")
    return pad(rng, rng.choice(forms))


def _offset_text(minutes):
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def _fraction(rng):
    return rng.choice([(".250", 250_000), (".5", 500_000), (".123456", 123_456), (".000", 0)])


def naive_text(rng, wall, fraction=""):
    sep = rng.choice([" ", "T"])
    return wall.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + fraction


OFFSETS = (-480, -300, -210, 0, 60, 120, 330, 540, 825)
#: The malformed shapes the brief names: a date without a time, a time without seconds, another
#: date order, free text, a date or time that does not exist.
MALFORMED = ("{d}", "{d} {hm}", "{d}T{hm}", "{dmy} {hm}", "{dmy} {hms}", "{d} {hms} CET",
             "yesterday", "n/a", "{bad_day} {hms}", "{d} 25:{ms}", "{d}T{h}:61:00")


def malformed_text(rng, wall):
    pattern = rng.choice(MALFORMED)
    return pattern.format(
        d=wall.strftime("%Y-%m-%d"), hm=wall.strftime("%H:%M"), hms=wall.strftime("%H:%M:%S"),
        ms=wall.strftime("%M:%S"), dmy=wall.strftime("%d/%m/%Y"), h=wall.strftime("%H"),
        bad_day=rng.choice(["2023-02-29", "2024-02-30", "2024-04-31", "2025-13-01"]),
    )


# ---------------------------------------------------------------------------------------------
# The facts and the export being built.

#: "draw a valid value" (None is a missing cell)
DRAW = object()

@dataclass
class Fact:
    """The truth about one order, as the brief's rules make it (valid orders only)."""

    order_id: str
    customer_id: object  # str or None
    ordered_at: pd.Timestamp
    amount: float
    amount_text: str
    currency: str
    status: str
    source: str


@dataclass
class Export:
    rng: random.Random
    fx_first: dt.date
    fx_last: dt.date
    rows: list = field(default_factory=list)
    keys: list = field(default_factory=list)  # the order id of each row (None: none)
    facts: dict = field(default_factory=dict)  # order id -> Fact (valid orders only)
    dropped: set = field(default_factory=set)  # order ids that must not come out
    kinds: dict = field(default_factory=dict)  # kind -> order ids
    rates: dict = field(default_factory=dict)  # currency -> (sorted dates, rate texts)
    fx_rows: list = field(default_factory=list)
    customer_rows: list = field(default_factory=list)
    countries: dict = field(default_factory=dict)  # customer id -> expected country
    customer_ids: list = field(default_factory=list)
    counter: int = 0

    # -- building blocks -----------------------------------------------------------------
    def new_id(self, source):
        self.counter += 1
        return f"{source.upper()}-{self.counter:07d}"

    def customer(self):
        rng = self.rng
        roll = rng.random()
        if roll < 0.05:
            return None
        if roll < 0.09:
            return f"X{rng.randrange(10**6):06d}"  # not in the customer table: ZZ
        return rng.choice(self.customer_ids)

    def instant(self, first=None, last=None):
        first = first or self.fx_first
        last = last or self.fx_last
        span = (last - first).days + 1
        day = first + dt.timedelta(days=self.rng.randrange(span))
        seconds = self.rng.randrange(86_400)
        return dt.datetime.combine(day, dt.time(), tzinfo=UTC) + dt.timedelta(seconds=seconds)

    def rated_instant(self, currency):
        """An instant on a day the table has a rate for `currency`."""
        dates = self.rates[currency][0]
        day = dates[self.rng.randrange(len(dates))]
        return dt.datetime.combine(day, dt.time(), tzinfo=UTC) + dt.timedelta(
            seconds=self.rng.randrange(86_400))

    def explicit_text(self, moment):
        """`moment` (UTC) written with `Z` or an offset, maybe with fractional seconds."""
        rng = self.rng
        frac, micros = _fraction(rng) if rng.random() < 0.2 else ("", 0)
        moment = moment.replace(microsecond=micros)
        if rng.random() < 0.4:
            return moment, moment.strftime(rng.choice(["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"])) \
                + frac + "Z"
        minutes = rng.choice(OFFSETS)
        local = moment + dt.timedelta(minutes=minutes)
        return moment, naive_text(rng, local, frac) + _offset_text(minutes)

    def local_text(self, source, moment):
        """`moment` written as the naive wall time of the source's zone (None: ambiguous)."""
        wall = moment.astimezone(ZONES[source]).replace(tzinfo=None)
        if is_ambiguous(wall, ZONES[source]):
            return None
        frac, micros = _fraction(self.rng) if self.rng.random() < 0.1 else ("", 0)
        return naive_text(self.rng, wall, frac), micros

    def add(self, kind, order_id, fact, raw):
        self.rows.append(raw)
        self.keys.append(order_id)
        if kind is not None:
            self.kinds.setdefault(kind, []).append(order_id)
        if fact is None:
            self.dropped.add(order_id)
            self.facts.pop(order_id, None)
        else:
            self.dropped.discard(order_id)
            self.facts[order_id] = fact

    def order(self, kind, *, source=None, moment=None, text=DRAW, currency=None,
              currency_text=DRAW, status=None, status_text=DRAW, customer=DRAW, cents=None,
              amount_raw=DRAW, source_raw=DRAW, order_id=None, valid=True):
        """Write one order row and record its fact (or that it must be dropped)."""
        rng = self.rng
        source = source or rng.choice(list(ZONES))
        order_id = order_id or self.new_id(source)
        currency = currency or (HOME[source] if rng.random() < 0.7 else rng.choice(RATED))
        if moment is None:
            moment = self.instant() if currency == "EUR" else self.rated_instant(currency)
        if text is DRAW:
            moment, text = self.explicit_text(moment)
        status = status or ("completed" if rng.random() < 0.85 else rng.choice(
            ["cancelled", "refunded", "pending"]))
        customer = self.customer() if customer is DRAW else customer
        cents = rng.randrange(100, 50_000) if cents is None else cents
        amount = amount_text(rng, cents) if amount_raw is DRAW else amount_raw
        raw = {
            "order_id": pad(rng, order_id),
            "customer_id": missing(rng) if customer is None else pad(rng, customer),
            "ordered_at": pad(rng, text, 0.15) if isinstance(text, str) else text,
            "amount": amount,
            "currency": currency_text if currency_text is not DRAW else pad(
                rng, recase(rng, currency) if rng.random() < 0.2 else currency),
            "status": status_text if status_text is not DRAW else pad(
                rng, recase(rng, status) if rng.random() < 0.2 else status),
            "source": source_raw if source_raw is not DRAW else pad(rng, recase(rng, source)),
            "channel": rng.choice(["web", "app", "phone"]),
            "coupon": rng.choice(["", "SPRING10", None]),
        }
        fact = None
        if valid:
            fact = Fact(order_id, customer, pd.Timestamp(moment).tz_convert("UTC"),
                        cents / 100, amount.strip(), currency, status, source)
        self.add(kind, order_id, fact, raw)
        return order_id

    # -- the FX table and the customers ---------------------------------------------------
    def build_fx(self):
        rng = self.rng
        day = self.fx_first
        for currency in RATED:
            self.rates[currency] = ([], [])
        level = {"GBP": 1.17, "USD": 0.92, "CHF": 1.04}
        while day <= self.fx_last:
            holiday = rng.random() < 0.04
            if day.weekday() < 5 and not holiday:
                for currency in RATED:
                    if currency == "CHF" and rng.random() < 0.1:
                        continue  # a currency missing on some days: its own latest rate counts
                    level[currency] *= 1 + rng.uniform(-0.004, 0.004)
                    text = f"{level[currency]:.4f}"
                    self.rates[currency][0].append(day)
                    self.rates[currency][1].append(text)
                    self.fx_rows.append((day.isoformat(), currency, text))
                if rng.random() < 0.05:
                    # whatever the table says about EUR, EUR needs no rate
                    self.fx_rows.append((day.isoformat(), "EUR", f"{rng.uniform(0.5, 2):.4f}"))
            day += dt.timedelta(days=1)
        rng.shuffle(self.fx_rows)

    def build_customers(self, count):
        rng = self.rng
        earlier, final = [], []
        for number in range(count):
            customer_id = f"C{number:06d}"
            self.customer_ids.append(customer_id)
            country = rng.choice(COUNTRIES)
            roll = rng.random()
            shown = missing(rng) if roll < 0.06 else pad(rng, recase(rng, country))
            self.countries[customer_id] = "ZZ" if roll < 0.06 else country
            final.append((pad(rng, customer_id), shown))
            if rng.random() < 0.15:  # repeated: an earlier row with another country
                earlier.append((pad(rng, customer_id), rng.choice(COUNTRIES + (None,))))
        earlier += [(missing(rng), rng.choice(COUNTRIES)) for _ in range(max(1, count // 50))]
        rng.shuffle(earlier)
        rng.shuffle(final)
        self.customer_rows = earlier + final

    # -- frames -----------------------------------------------------------------------------
    def orders_frame(self):
        return _text_frame(ORDER_COLUMNS + EXTRA_COLUMNS, [
            [row[c] for c in ORDER_COLUMNS + EXTRA_COLUMNS] for row in self.rows])

    def customers_frame(self):
        return _text_frame(["customer_id", "country"], self.customer_rows)

    def fx_frame(self):
        rng = self.rng
        rows = [(pad(rng, d, 0.05), c, pad(rng, r, 0.05)) for d, c, r in self.fx_rows]
        return _text_frame(["date", "currency", "eur_per_unit"], rows)

    def clean_frame(self):
        """What `clean_orders` must return, as the input `convert_to_eur` is given."""
        facts = list(self.facts.values())
        self.rng.shuffle(facts)
        frame = pd.DataFrame({
            "order_id": pd.Series([f.order_id for f in facts], dtype=object),
            "customer_id": pd.Series([f.customer_id if f.customer_id else np.nan
                                      for f in facts], dtype=object),
            "ordered_at": pd.Series([f.ordered_at for f in facts],
                                    dtype="datetime64[ns, UTC]"),
            "amount": pd.Series([f.amount for f in facts], dtype="float64"),
            "currency": pd.Series([f.currency for f in facts], dtype=object),
            "status": pd.Series([f.status for f in facts], dtype=object),
            "source": pd.Series([f.source for f in facts], dtype=object),
        })
        return frame

    # -- the expected results ----------------------------------------------------------------
    def rate(self, fact):
        """The rate text for a valid order, or None when it has no rate (dropped)."""
        if fact.currency == "EUR":
            return "1"
        if fact.currency not in self.rates:
            return None
        dates, texts = self.rates[fact.currency]
        index = bisect.bisect_right(dates, fact.ordered_at.date()) - 1
        return texts[index] if index >= 0 else None

    def expected_eur(self):
        """order id -> amount_eur for every order `convert_to_eur` keeps."""
        out = {}
        for order_id, fact in self.facts.items():
            rate = self.rate(fact)
            if rate is not None:
                out[order_id] = fact.amount * float(rate)
        return out

    def expected_daily(self):
        sums = {}
        for fact in self.facts.values():
            rate = self.rate(fact)
            if rate is None or fact.status != "completed":
                continue
            country = self.countries.get(fact.customer_id, "ZZ") if fact.customer_id else "ZZ"
            key = (fact.ordered_at.strftime("%Y-%m-%d"), country)
            count, total = sums.get(key, (0, Decimal(0)))
            sums[key] = (count + 1, total + Decimal(fact.amount_text) * Decimal(rate))
        return [(d, c, n, total) for (d, c), (n, total) in sorted(sums.items())]


def _text_frame(columns, rows):
    frame = pd.DataFrame(list(rows), columns=columns, dtype=object)
    return frame.where(frame.notna(), np.nan).astype(object)


# ---------------------------------------------------------------------------------------------
# The kinds of rows: one function per messy case of the brief.

def plain(ex):
    ex.order("plain")


def missing_id(ex):
    raw = dict(order_id=missing(ex.rng), customer_id="C000000", ordered_at="2024-03-04T10:00:00Z",
               amount="10.00", currency="EUR", status="completed", source="eu", channel="web",
               coupon=None)
    ex.rows.append(raw)
    ex.keys.append(None)
    ex.kinds.setdefault("missing_id", []).append(None)


def duplicate_last_wins(ex):
    rng = ex.rng
    source = rng.choice(list(ZONES))
    order_id = ex.new_id(source)
    for _ in range(rng.randint(1, 3)):  # earlier versions, valid or not: all discarded
        bad = rng.random() < 0.3
        ex.order(None, source=source, order_id=order_id, valid=not bad,
                 status=rng.choice(["completed", "cancelled", "pending"]),
                 amount_raw="oops" if bad else DRAW)
    ex.order("duplicate_last_wins", source=source, order_id=order_id)


def duplicate_invalid_last(ex):
    rng = ex.rng
    source = rng.choice(list(ZONES))
    order_id = ex.new_id(source)
    ex.order(None, source=source, order_id=order_id)
    broken = rng.choice(["amount", "timestamp", "source"])
    ex.order("duplicate_invalid_last", source=source, order_id=order_id, valid=False,
             amount_raw=rng.choice(["oops", "-1.00", None]) if broken == "amount" else DRAW,
             text=malformed_text(rng, dt.datetime(2024, 3, 4, 12)) if broken == "timestamp"
             else DRAW,
             source_raw=rng.choice(["apac", None]) if broken == "source" else DRAW)


def duplicate_valid_last(ex):
    rng = ex.rng
    source = rng.choice(list(ZONES))
    order_id = ex.new_id(source)
    ex.order(None, source=source, order_id=order_id, valid=False, amount_raw="n/a")
    ex.order("duplicate_last_wins", source=source, order_id=order_id)


def bad_source(ex):
    rng = ex.rng
    raw = rng.choice([None, "", "  ", "apac", "e u", "eu-west", "usa", "gb"])
    ex.order("bad_source", source_raw=raw, valid=False)


def bad_amount(ex):
    rng = ex.rng
    cents = rng.randrange(1, 5000)
    raw = rng.choice([None, "", "   ", "twelve", f"-{cents // 100}.{cents % 100:02d}", "1,50",
                      "EUR 10", "10 EUR", "12.5.1", "--3", "n/a"])
    ex.order("bad_amount", amount_raw=raw, valid=False)


def zero_amount(ex):
    ex.order("zero_amount", cents=0, amount_raw=pad(ex.rng, ex.rng.choice(["0", "0.00", "0.0"])))


def bad_timestamp(ex):
    rng = ex.rng
    wall = ex.instant().replace(tzinfo=None)
    text = rng.choice([None, "", "  ", malformed_text(rng, wall), malformed_text(rng, wall)])
    ex.order("bad_timestamp", text=text, valid=False)


def missing_currency(ex):
    rng = ex.rng
    source = rng.choice(list(ZONES))
    ex.order("missing_currency", source=source, currency=HOME[source],
             currency_text=missing(rng))


def missing_status(ex):
    ex.order("missing_status", status="completed", status_text=missing(ex.rng))


def missing_customer(ex):
    ex.order("missing_customer", customer=None)


def explicit_offset(ex):
    ex.order("explicit_offset")  # every plain order has an offset too; this kind is checked


def naive_local(ex):
    rng = ex.rng
    source = rng.choice(list(ZONES))
    currency = HOME[source]
    for _ in range(20):
        moment = ex.instant() if currency == "EUR" else ex.rated_instant(currency)
        written = ex.local_text(source, moment)
        if written:
            text, micros = written
            ex.order("naive_local", source=source, currency=currency,
                     moment=moment.replace(microsecond=micros), text=text)
            return


def utc_day_boundary(ex):
    """A naive local time whose UTC calendar day is not its local day."""
    rng = ex.rng
    source = rng.choice(["eu", "us"])
    currency = rng.choice(RATED)
    for _ in range(50):
        moment = ex.rated_instant(currency)
        moment = moment.replace(hour=rng.choice([0, 23] if source == "eu" else [0, 1, 2, 3]))
        wall = moment.astimezone(ZONES[source])
        if wall.date() != moment.date() and not is_ambiguous(wall.replace(tzinfo=None),
                                                              ZONES[source]):
            ex.order("utc_day_boundary", source=source, currency=currency, moment=moment,
                     text=naive_text(rng, wall.replace(tzinfo=None)))
            return


def _transition(ex, source, fall):
    choices = [t for t in TRANSITIONS[source]
               if (t[2] < t[1]) == fall and ex.fx_first <= t[0].date() <= ex.fx_last]
    return ex.rng.choice(choices)


def dst_fall_back(ex):
    """A wall time that happens twice: the first (daylight) one is meant."""
    rng = ex.rng
    source = rng.choice(list(ZONES))
    instant, before, after = _transition(ex, source, fall=True)
    width = int((before - after).total_seconds())
    moment = instant - dt.timedelta(seconds=rng.randrange(1, width + 1))
    wall = (moment + before).replace(tzinfo=None)
    ex.order("dst_fall_back", source=source, moment=moment, text=naive_text(rng, wall),
             currency=rng.choice([HOME[source], "EUR"]))


def dst_spring_forward(ex):
    """A wall time in the gap: it moves forward to the instant the gap ends."""
    rng = ex.rng
    source = rng.choice(list(ZONES))
    instant, before, after = _transition(ex, source, fall=False)
    width = int((after - before).total_seconds())
    wall = (instant + before + dt.timedelta(seconds=rng.randrange(0, width))).replace(tzinfo=None)
    ex.order("dst_spring_forward", source=source, moment=instant, text=naive_text(rng, wall),
             currency=rng.choice([HOME[source], "EUR"]))


def _off_table_instant(ex, currency):
    """An instant on a UTC day without a rate for `currency`, between two of its rates (never
    after its last one: that is `fx_after_last_date`, a rule of its own)."""
    dates = set(ex.rates[currency][0])
    last = ex.rates[currency][0][-1] - dt.timedelta(days=1)
    for _ in range(200):
        moment = ex.instant(ex.fx_first + dt.timedelta(days=1), last)
        if moment.date() not in dates:
            return moment
    raise AssertionError("no day without a rate")


def fx_weekend_or_holiday(ex):
    currency = ex.rng.choice(RATED)
    ex.order("fx_weekend_or_holiday", currency=currency, moment=_off_table_instant(ex, currency))


def fx_after_last_date(ex):
    currency = ex.rng.choice(RATED)
    last = ex.rates[currency][0][-1]
    first = last + dt.timedelta(days=1)
    moment = ex.instant(first, first + dt.timedelta(days=40))
    ex.order("fx_after_last_date", currency=currency, moment=moment)


def fx_business_day(ex):
    ex.order("fx_business_day", currency=ex.rng.choice(RATED))


def fx_before_first_rate(ex):
    currency = ex.rng.choice(RATED)
    first = ex.rates[currency][0][0]
    moment = ex.instant(first - dt.timedelta(days=60), first - dt.timedelta(days=1))
    ex.order("fx_no_rate", currency=currency, moment=moment)


def fx_unknown_currency(ex):
    ex.order("fx_no_rate", currency=ex.rng.choice(UNRATED), moment=ex.instant())


def eur_without_rate(ex):
    first = ex.fx_first
    moment = ex.instant(first - dt.timedelta(days=60), first - dt.timedelta(days=1))
    ex.order("eur_without_rate", currency="EUR", moment=moment)


def day_sum_rounding(ex):
    """Three equal orders of one customer on one day whose EUR amounts each end in 0.34 to
    0.45 of a cent: rounding each order loses a cent that rounding the day's sum keeps."""
    rng = ex.rng
    dates, texts = ex.rates["GBP"]
    for _ in range(1000):
        index, cents = rng.randrange(len(dates)), rng.randrange(1, 3000)
        if Decimal("0.34") <= (cents * Decimal(texts[index])) % 1 <= Decimal("0.45"):
            break
    customer = rng.choice(ex.customer_ids)
    start = dt.datetime.combine(dates[index], dt.time(), tzinfo=UTC)
    for _ in range(3):
        moment = start + dt.timedelta(seconds=rng.randrange(86_400))
        ex.order("day_sum_rounding", currency="GBP", moment=moment, cents=cents,
                 customer=customer, status="completed")


def other_status(ex):
    ex.order("other_status", status=ex.rng.choice(["cancelled", "refunded", "pending"]))


#: kind -> (function, weight when filling up an export)
KINDS = {
    "plain": (plain, 30),
    "missing_id": (missing_id, 1),
    "duplicate_last_wins": (duplicate_last_wins, 3),
    "duplicate_invalid_last": (duplicate_invalid_last, 2),
    "duplicate_valid_last": (duplicate_valid_last, 1),
    "bad_source": (bad_source, 1),
    "bad_amount": (bad_amount, 1),
    "zero_amount": (zero_amount, 1),
    "bad_timestamp": (bad_timestamp, 1),
    "missing_currency": (missing_currency, 3),
    "missing_status": (missing_status, 3),
    "missing_customer": (missing_customer, 1),
    "explicit_offset": (explicit_offset, 3),
    "naive_local": (naive_local, 12),
    "utc_day_boundary": (utc_day_boundary, 2),
    "dst_fall_back": (dst_fall_back, 1),
    "dst_spring_forward": (dst_spring_forward, 1),
    "fx_weekend_or_holiday": (fx_weekend_or_holiday, 4),
    "fx_after_last_date": (fx_after_last_date, 1),
    "fx_business_day": (fx_business_day, 3),
    "fx_before_first_rate": (fx_before_first_rate, 1),
    "fx_unknown_currency": (fx_unknown_currency, 1),
    "eur_without_rate": (eur_without_rate, 1),
    "other_status": (other_status, 3),
    "day_sum_rounding": (day_sum_rounding, 1),
}


def generate(rng, orders, kinds=None, copies=1, fill=None, customers=None):
    """An export of about `orders` order rows: `copies` rows of each kind (all of `KINDS`, or
    just `kinds`), the rest drawn by weight from them (or from `fill`), in shuffled order;
    `customers` customers (default: one per five orders, at least 12)."""
    chosen = kinds or list(KINDS)
    first = dt.date(FIRST_YEAR, 2, 1) + dt.timedelta(days=rng.randrange(60))
    last = dt.date(LAST_YEAR, 11, 10) + dt.timedelta(days=rng.randrange(30))
    ex = Export(rng, first, last)
    ex.build_fx()
    ex.build_customers(customers or max(12, orders // 5))
    plan = [kind for kind in chosen for _ in range(copies)]
    filling = fill or chosen
    weights = [KINDS[kind][1] for kind in filling]
    plan += rng.choices(filling, weights=weights, k=max(0, orders - len(plan)))
    rng.shuffle(plan)
    for kind in plan:
        KINDS[kind][0](ex)
    _spread(ex)
    return ex


def _spread(ex):
    """Shuffle the rows, keeping the rows of one order in their order (re-exports come later
    than what they replace, anywhere later)."""
    slots = list(range(len(ex.rows)))
    ex.rng.shuffle(slots)
    groups = {}
    for row, key in enumerate(ex.keys):
        groups.setdefault(row if key is None else key, []).append(row)
    placed = [None] * len(ex.rows)
    for rows in groups.values():
        for row, slot in zip(rows, sorted(slots[r] for r in rows)):
            placed[slot] = ex.rows[row]
    ex.rows = placed
    ex.keys = []
