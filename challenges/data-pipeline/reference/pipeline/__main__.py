"""`python -m pipeline ORDERS CUSTOMERS FX [OUT]`: write the daily revenue report as CSV."""

import sys

from pipeline.io import read_export
from pipeline.revenue import daily_revenue


def main(argv: list[str]) -> int:
    """Run the pipeline on three CSV exports; print the report or write it to OUT."""
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    orders, customers, fx = (read_export(path) for path in argv[:3])
    report = daily_revenue(orders, customers, fx)
    target = argv[3] if len(argv) == 4 else sys.stdout
    report.to_csv(target, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
