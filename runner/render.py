"""Reports for people: a terminal summary (rich) and a standalone HTML page (Jinja2, escaped)."""

from __future__ import annotations

from importlib import resources

from jinja2 import Environment, select_autoescape
from rich.console import Console
from rich.table import Table

from graders.model import CATEGORIES, Report

__all__ = ["print_report", "render_html", "summary_table"]


def summary_table(report: Report, title: str = "") -> Table:
    """Score per category with weight, finding count and verdicts."""
    table = Table(title=title or f"score {report.score:.1f} / 100", show_lines=False)
    for column in ("category", "score", "weight", "findings", "summary"):
        table.add_column(
            column, justify="right" if column in ("score", "weight", "findings") else "left"
        )
    for name in CATEGORIES:
        result = report.categories.get(name)
        if result is None:
            continue
        table.add_row(
            name,
            f"{result.score:.1f}",
            f"{result.weight:g}",
            str(len(result.findings)),
            result.summary,
        )
    return table


def print_report(console: Console, report: Report, title: str = "") -> None:
    """The summary table, then the verdicts, one line each."""
    console.print(summary_table(report, title))
    for verdict in report.verdicts:
        console.print(
            f"  [yellow]verdict[/] {verdict.kind.value} in {verdict.step}: {verdict.detail}"
        )


_ENV = Environment(
    autoescape=select_autoescape(default=True, default_for_string=True), auto_reload=False
)


def render_html(report: Report) -> str:
    """A standalone HTML report; every value is escaped (findings carry candidate-chosen text)."""
    template = resources.files("runner").joinpath("templates/report.html").read_text()
    return _ENV.from_string(template).render(report=report, categories=CATEGORIES)
