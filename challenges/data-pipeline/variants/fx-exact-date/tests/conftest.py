import numpy as np
import pandas as pd
import pytest

ORDER_COLUMNS = ["order_id", "customer_id", "ordered_at", "amount", "currency", "status", "source"]


def text_frame(columns, rows):
    frame = pd.DataFrame(list(rows), columns=columns, dtype=object)
    return frame.where(frame.notna(), np.nan).astype(object)


@pytest.fixture
def make_orders():
    def build(*rows):
        full = [
            dict(
                zip(
                    ORDER_COLUMNS,
                    ("EU-1", "C1", "2024-03-04 12:00:00", "10", "EUR", "completed", "eu"),
                ),
                **row,
            )
            for row in rows
        ]
        return text_frame(ORDER_COLUMNS, [[r[c] for c in ORDER_COLUMNS] for r in full])

    return build


@pytest.fixture
def fx():
    return text_frame(
        ["date", "currency", "eur_per_unit"],
        [
            ("2024-03-01", "GBP", "1.20"),
            ("2024-03-04", "GBP", "1.10"),
            ("2024-03-01", "USD", "0.90"),
            ("bad", "USD", "0.50"),
            ("2024-03-02", "USD", "-1"),
        ],
    )


@pytest.fixture
def customers():
    return text_frame(
        ["customer_id", "country"],
        [("C1", "de"), ("C2", None), ("C1", " at "), (None, "FR")],
    )
