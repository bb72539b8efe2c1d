"""Rows from a CSV export, as `fit_predict` takes them: empty cells None, numbers as numbers."""

from __future__ import annotations

import csv
from pathlib import Path

INTEGER = {"tenure_months", "support_tickets_90d", "churned"}
FLOAT = {"monthly_fee", "days_since_last_login"}


def _value(column: str, text: str) -> object:
    if text.strip() == "":
        return None
    if column in INTEGER:
        return int(text)
    if column in FLOAT:
        return float(text)
    return text


def read_rows(path: str | Path) -> list[dict[str, object]]:
    """Every row of the CSV file at `path`."""
    with open(path, newline="") as handle:
        return [
            {column: _value(column, text) for column, text in row.items()}
            for row in csv.DictReader(handle)
        ]
