"""Metrics the hidden tests compute themselves, from labels and true probabilities they hold.

Nothing here reads a number the candidate's code computed about itself: the candidate sends
probabilities and decisions, these functions judge them.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

CALL_COST = 10.0
LOST_CUSTOMER_COST = 50.0
BEST_THRESHOLD = CALL_COST / LOST_CUSTOMER_COST


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC (Mann-Whitney, ties counted half)."""
    ranks = rankdata(score)
    positives = y == 1
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def average_precision(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the precision-recall curve, as a step function over distinct scores."""
    order = np.argsort(-score, kind="mergesort")
    y_sorted, s_sorted = y[order], score[order]
    last = np.r_[np.nonzero(np.diff(s_sorted))[0], len(s_sorted) - 1]  # end of each tie group
    tp = np.cumsum(y_sorted)[last]
    precision = tp / (last + 1)
    recall_gain = np.diff(np.r_[0, tp]) / max(int(y.sum()), 1)
    return float(np.sum(precision * recall_gain))


def expected_cost(contact: np.ndarray, true_prob: np.ndarray) -> float:
    """Expected cost per customer of these call decisions, under the true churn probabilities."""
    called = CALL_COST * contact
    missed = LOST_CUSTOMER_COST * true_prob * ~contact
    return float(np.mean(called + missed))


def calibration_error(prob: np.ndarray, true_prob: np.ndarray, bins: int = 10) -> float:
    """Mean gap between predicted and true probability, in deciles of the prediction
    (weighted by the decile's size): what an expected calibration error measures, with the
    truth instead of noisy outcomes."""
    order = np.argsort(prob, kind="mergesort")
    gaps = [
        abs(float(prob[part].mean() - true_prob[part].mean())) * len(part)
        for part in np.array_split(order, bins)
    ]
    return float(sum(gaps) / len(prob))


def ramp(value: float, zero_at: float, full_at: float) -> float:
    """A linear credit from 0 (at `zero_at`) to 1 (at `full_at`), clipped; either direction."""
    share = (value - zero_at) / (full_at - zero_at)
    return float(min(1.0, max(0.0, share)))
