"""Helpers shared by the pipeline steps."""

import pandas as pd


def clean_text(values: pd.Series) -> pd.Series:
    """Strip surrounding whitespace; missing and blank cells become NaN."""
    stripped = values.astype(object).str.strip()
    return stripped.mask(stripped.eq(""))
