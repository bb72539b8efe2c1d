"""Churn prediction: `fit_predict(train_rows, score_rows, seed)`, see the README."""

from __future__ import annotations

from threadpoolctl import threadpool_limits

from churn.api import fit_predict

__all__ = ["fit_predict"]

# One CPU: BLAS threads beyond it only contend (measured: 3x the CPU time of one thread), and
# idle ones keep spinning in the process that serves the calls.
threadpool_limits(limits=1)
