"""The summary `takehome challenges validate` prints: one row per graded solution.

Columns: the solution, its overall score, each category's score, what it was expected to meet
(band or category rule), PASS/FAIL, and a variant's diffstat against the reference (files
changed, lines added and removed). Below the table, each failure's problems and the verdicts of
its report, so a broken expectation can be diagnosed from the output alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from graders.model import CATEGORIES
from runner.validate import Outcome

__all__ = ["outcome_table", "print_outcomes"]

_PIPED_WIDTH = 180


def _row(outcome: Outcome) -> list[str]:
    report = outcome.report
    cells = [escape(outcome.name), f"{report.score:.1f}"]
    for category in CATEGORIES:
        result = report.categories.get(category)
        cells.append("-" if result is None else f"{result.score:.1f}")
    cells.append(escape(outcome.expectation))
    cells.append("[green]PASS[/]" if outcome.ok else "[red]FAIL[/]")
    cells.append("-" if outcome.diffstat is None else str(outcome.diffstat))
    return cells


def outcome_table(outcomes: Sequence[Outcome]) -> Table:
    """The summary table of a challenge's outcomes, in the order given."""
    passed = sum(outcome.ok for outcome in outcomes)
    table = Table(title=f"{passed} of {len(outcomes)} expectations hold", title_justify="left")
    table.add_column("solution")
    table.add_column("overall", justify="right")
    for category in CATEGORIES:
        table.add_column(category, justify="right")
    table.add_column("expected")
    table.add_column("result")
    table.add_column("diff vs reference", justify="right")
    for outcome in outcomes:
        table.add_row(*_row(outcome))
    return table


def print_outcomes(console: Console, outcomes: Sequence[Outcome]) -> None:
    """Print the table, then why each failing solution failed."""
    table = outcome_table(outcomes)
    if console.is_terminal or console.width >= _PIPED_WIDTH:
        console.print(table)
    else:  # piped (a CI log): not squeezed into 80 columns, one line a solution
        narrow, console.width = console.width, _PIPED_WIDTH
        try:
            console.print(table)
        finally:
            console.width = narrow
    for outcome in outcomes:
        if outcome.ok:
            continue
        console.print(
            f"[red]FAIL[/] {escape(outcome.name)}: {escape('; '.join(outcome.problems))}"
        )
        for verdict in outcome.report.verdicts:
            console.print(
                f"    verdict {verdict.kind.value} in {verdict.step}: {escape(verdict.detail)}",
                highlight=False,
            )
