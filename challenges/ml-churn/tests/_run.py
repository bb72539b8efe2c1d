"""One run's data and the candidate's answers, shared by every hidden test of the run.

The candidate is called twice with the same training rows and seed (the second call only for
the reproducibility test). The second call gets the same score rows in another order (a fixed
permutation, `SECOND_CALL_ORDER_SEED`), and its answer is put back in the first call's order
before the two are compared: every row is scored on its own, so the order must not change any
row's answer, and a cache keyed on the inputs cannot hand the first answer back. The call server
is one process for the whole run, so without the permutation a memo cache would pass. Everything the tests judge is computed here or in `_metrics`, from the
rows, true probabilities and outcomes `_data` drew; the candidate's own `estimated_auc` is only
compared with the held-out figure computed here, never used as a score.
"""

from __future__ import annotations

import copy
import functools
import os
import time
from dataclasses import dataclass

import numpy as np

import _data
from takehome_oracle import candidate

TRAIN_ROWS = 4000
HELD_OUT_ROWS = 4000
LEAK_PROBES = 300
SECOND_CALL_ORDER_SEED = 4242
# A call may take long on a loaded grading host: the tests' own budget (test_reproducible.py)
# decides, not the proxy's default timeout.
os.environ.setdefault("TAKEHOME_ORACLE_TIMEOUT", "150")

churn = candidate("churn")


@dataclass(frozen=True)
class Case:
    """One run's inputs: what the candidate gets, and the truth it does not."""

    seed: int
    train: list[dict]
    score: list[dict]
    true_prob: np.ndarray  # of the held-out rows
    churned: np.ndarray  # of the held-out rows
    all_missing: int  # index in `score` of a row whose every feature is missing
    leak_pairs: list[tuple[int, int]]  # (held-out row, the same row with a close date)


@dataclass(frozen=True)
class Answer:
    raw: object
    seconds: float

    @property
    def probability(self) -> np.ndarray:
        return np.asarray(self.raw["churn_probability"], dtype=float)  # type: ignore[index]

    @property
    def contact(self) -> list:
        return list(self.raw["contact"])  # type: ignore[index]


def _all_missing_row() -> dict:
    row = {column: None for column in _data.COLUMNS}
    row["customer_id"] = "C-ALL-MISSING"
    return row


@functools.cache
def case() -> Case:
    seed = _data.run_seed()
    train, _, _ = _data.draw(TRAIN_ROWS, seed)
    held_out, true_prob, churned = _data.draw(HELD_OUT_ROWS, seed + 100_000, held_out=True)
    score = [*held_out, _all_missing_row()]
    pairs = []
    for i in range(LEAK_PROBES):
        dated = copy.deepcopy(held_out[i])
        dated["account_closed_at"] = "2026-07-15"
        pairs.append((i, len(score)))
        score.append(dated)
    return Case(seed, train, score, true_prob, churned, HELD_OUT_ROWS, pairs)


def _call(score: list[dict]) -> Answer:
    data = case()
    started = time.perf_counter()
    raw = churn.fit_predict(data.train, score, data.seed)
    return Answer(raw, time.perf_counter() - started)


@functools.cache
def answer() -> Answer:
    """The candidate's answer on this run's data (its first call)."""
    return _call(case().score)


def second_call_order() -> np.ndarray:
    """The order of the score rows in the second call: `order[k]` is the row sent k-th."""
    n = len(case().score)
    return np.random.default_rng(SECOND_CALL_ORDER_SEED).permutation(n)


def _in_first_order(raw: object, order: np.ndarray) -> object:
    """`raw` with its per-row lists put back in the first call's row order (others as they are)."""
    if not isinstance(raw, dict):
        return raw
    back = dict(raw)
    for key, value in raw.items():
        if isinstance(value, list) and len(value) == len(order):
            unpermuted = [None] * len(order)
            for k, i in enumerate(order):
                unpermuted[i] = value[k]
            back[key] = unpermuted
    return back


@functools.cache
def second_answer() -> Answer:
    """The same call again, same training rows and seed, the score rows in another order; the
    answer put back in the first call's order: it must be the same."""
    answer()
    order = second_call_order()
    score = case().score
    got = _call([score[i] for i in order])
    return Answer(_in_first_order(got.raw, order), got.seconds)


def held_out() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Predicted probabilities, contact decisions, true probabilities and outcomes of the
    held-out customers (the extra probe rows left out)."""
    data, got = case(), answer()
    n = len(data.true_prob)
    prob = got.probability[:n]
    contact = np.array([bool(c) for c in got.contact[:n]])
    return prob, contact, data.true_prob, data.churned
