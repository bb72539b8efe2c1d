"""The known process behind the churn data: customers, their true churn probability, the outcome.

The hidden tests draw a training set and a separate held-out set from this process (the seed is
`run_seed`: the same for every grading and for every run of `--repeat K`, so repeats test the
candidate's determinism, not the data), so every metric is computed here, on labels and true
probabilities the candidate's code never sees. The starter's sample CSV was written by
this module too (`python tests/_data.py OUT.csv`, seed 7, 2,000 rows).

What the process plants:
- class imbalance: about 14% of customers churn;
- missing values in most columns; a missing `days_since_last_login` (the customer never logged
  in to the app) is itself a churn signal;
- categorical columns, and categories the training data never had (`plan = "enterprise"`,
  `region = "islands"`) in the held-out data only;
- the leak: `account_closed_at` is filled for every churned training customer (it is written
  when the account is closed, i.e. after the outcome) and empty for everyone else, and empty
  for every held-out customer, as it would be at prediction time;
- noise columns (`customer_id`, `region`) with no effect on churn.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import sys

import numpy as np

COLUMNS = [
    "customer_id",
    "tenure_months",
    "plan",
    "contract",
    "payment_method",
    "autopay",
    "region",
    "monthly_fee",
    "support_tickets_90d",
    "days_since_last_login",
    "account_closed_at",
]
LABEL = "churned"
SNAPSHOT = dt.date(2026, 6, 30)

_CONTRACT = {"month-to-month": 1.1, "one-year": 0.0, "two-year": -1.1}
_PLAN = {"basic": 0.25, "standard": 0.0, "premium": -0.35, "enterprise": -0.6}
_PAYMENT = {"card": 0.0, "bank_transfer": -0.25, "paypal": 0.1, "invoice": 0.55}
_REGIONS = ["north", "south", "east", "west", "central"]
_INTERCEPT = -2.55


#: The data seed of every grading. Fixed, not taken from `TAKEHOME_SEED` or `TAKEHOME_RUN`
#: (both change per run): every candidate and every regrade sees the same data, and with
#: `--repeat K` every run does too, so a test whose outcome differs between runs is flaky
#: because of the candidate's code, not because a model near a threshold met another sample.
DATA_SEED = 20261


def run_seed() -> int:
    """The data seed of this hidden-test run: `DATA_SEED`, for every run and every repeat."""
    return DATA_SEED


def _choice(rng: np.random.Generator, values: list[str], p: list[float], n: int) -> np.ndarray:
    return rng.choice(np.array(values, dtype=object), size=n, p=p)


def _logit(cols: dict[str, np.ndarray]) -> np.ndarray:
    n = len(cols["tenure_months"])
    z = np.full(n, _INTERCEPT)
    z += np.array([_CONTRACT[c] for c in cols["contract"]])
    z += np.array([_PLAN[p] for p in cols["plan_true"]])
    z += np.array([_PAYMENT.get(p, 0.0) for p in cols["payment_true"]])
    z += np.where(cols["autopay_true"] == "yes", -0.45, 0.0)
    z += -0.9 * np.log1p(cols["tenure_months"] / 12.0)
    z += 0.018 * (cols["fee_true"] - 50.0)
    z += 0.38 * cols["tickets_true"]
    login = cols["login_true"]
    z += np.where(np.isnan(login), 1.0, 0.025 * np.nan_to_num(login))
    return z


def draw(
    n: int, seed: int, *, held_out: bool = False
) -> tuple[list[dict], np.ndarray, np.ndarray]:
    """`n` customers: their rows (plain dicts, None for missing), true probabilities, outcomes.

    Training rows carry `churned` (0/1) and the leaking `account_closed_at`; held-out rows
    carry neither the label nor a close date, and have categories training never saw. Their
    ids start with `H` instead of `C`, so no held-out id is ever a training id.
    """
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 73, size=n).astype(float)
    contract = _choice(rng, list(_CONTRACT), [0.55, 0.25, 0.20], n)
    plans = ["basic", "standard", "premium", "enterprise"]
    plan_p = [0.45, 0.35, 0.17, 0.03] if held_out else [0.47, 0.36, 0.17, 0.0]
    plan = _choice(rng, plans, plan_p, n)
    payment = _choice(rng, list(_PAYMENT), [0.45, 0.25, 0.15, 0.15], n)
    autopay = _choice(rng, ["yes", "no"], [0.6, 0.4], n)
    regions = [*_REGIONS, "islands"]
    region_p = [0.2, 0.2, 0.2, 0.18, 0.18, 0.04] if held_out else [0.2, 0.2, 0.2, 0.2, 0.2, 0.0]
    region = _choice(rng, regions, region_p, n)
    fee = np.round(rng.normal(55, 18, size=n).clip(10, 140), 2)
    fee += np.array(
        [{"basic": -10, "standard": 0, "premium": 25, "enterprise": 40}[p] for p in plan]
    )
    tickets = rng.poisson(1.0, size=n).astype(float)
    login = rng.exponential(15.0, size=n).clip(0, 180).round(0)
    login[rng.random(n) < 0.12] = np.nan  # never logged in to the app: a signal, not noise
    cols = {
        "tenure_months": tenure,
        "contract": contract,
        "plan_true": plan,
        "payment_true": payment,
        "autopay_true": autopay,
        "fee_true": fee,
        "tickets_true": tickets,
        "login_true": login,
    }
    prob = 1.0 / (1.0 + np.exp(-_logit(cols)))
    churned = (rng.random(n) < prob).astype(int)
    rows = []
    missing = {name: rng.random(n) for name in ("plan", "payment", "autopay", "fee", "tickets")}
    close_days = rng.integers(1, 60, size=n)
    for i in range(n):
        row: dict[str, object] = {
            "customer_id": f"{'H' if held_out else 'C'}{seed % 1000:03d}{i:06d}",
            "tenure_months": int(tenure[i]),
            "plan": None if missing["plan"][i] < 0.03 else str(plan[i]),
            "contract": str(contract[i]),
            "payment_method": None if missing["payment"][i] < 0.06 else str(payment[i]),
            "autopay": None if missing["autopay"][i] < 0.08 else str(autopay[i]),
            "region": str(region[i]),
            "monthly_fee": None if missing["fee"][i] < 0.05 else float(fee[i]),
            "support_tickets_90d": None if missing["tickets"][i] < 0.07 else int(tickets[i]),
            "days_since_last_login": None if math.isnan(login[i]) else float(login[i]),
            "account_closed_at": None,
        }
        if not held_out:
            if churned[i]:
                closed = SNAPSHOT + dt.timedelta(days=int(close_days[i]))
                row["account_closed_at"] = closed.isoformat()
            row[LABEL] = int(churned[i])
        rows.append(row)
    return rows, prob, churned


def _write_sample(path: str) -> None:
    rows, _, _ = draw(2000, seed=7)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*COLUMNS, LABEL])
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})


if __name__ == "__main__":
    _write_sample(sys.argv[1])
