"""A first check of the sample export; add your own tests here."""

import csv
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "churn_sample.csv"


def test_sample_has_labels():
    with open(SAMPLE, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2000
    assert {row["churned"] for row in rows} == {"0", "1"}
