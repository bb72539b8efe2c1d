"""Reading the exports: every column as text, exactly as the systems wrote it."""

from pathlib import Path

import pandas as pd

from pipeline.helpers import fetch_export, status_label

__all__ = ["fetch_export", "read_export", "status_label"]


def read_export(path: str | Path) -> pd.DataFrame:
    """A CSV export with every column as text (`dtype=str`); empty cells are NaN."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
