"""A table of figures: what a dashboard widget shows, draws and exports.

Every widget builds one ``Table``: the page renders it as the chart's accessible
fallback, the chart script reads it as JSON, and the exports write its rows.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

Cell = str | int | float | None


@dataclass
class Table:
    name: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    # Per row, the ticket list URL that shows the tickets counted (or "").
    links: list[str] = field(default_factory=list)
    # "bar", "line", "doughnut" or "" (a table only); stacked bars take several series.
    chart: str = "bar"
    # The help text for the figures' source (a tooltip).
    source: str = ""
    # Chart options the script reads: {"stacked": True, "horizontal": True, ...}.
    options: dict[str, Any] = field(default_factory=dict)

    def entries(self) -> list[tuple[str, Cell, list[Cell]]]:
        """Rows for a template: (list URL or "", label, the figures)."""
        return [
            (self.links[index] if index < len(self.links) else "", row[0], row[1:])
            for index, row in enumerate(self.rows)
        ]

    def as_chart(self) -> dict[str, Any]:
        """Labels (first column) and one series per other numeric column."""
        labels = [str(row[0]) for row in self.rows]
        series = [
            {"label": header, "data": [_number(row[index]) for row in self.rows]}
            for index, header in enumerate(self.headers[1:], start=1)
        ]
        return {
            "name": self.name,
            "type": self.chart,
            "labels": labels,
            "series": series,
            "options": self.options,
        }


def _number(value: Cell) -> float | int | None:
    return value if isinstance(value, (int, float)) else None


# Spreadsheet programs run a cell starting with these as a formula (CSV/XLSX injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet cell that cannot run: text that would start a formula
    gets a leading apostrophe; numbers, dates and empty cells stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def safe_row(values: Sequence[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]
