"""One place that turns rows into text: a table for people, JSON and CSV for tools.

Nothing below the CLI prints; commands build rows (dicts of plain values) and
hand them here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import orjson

FORMATS = ("table", "json", "csv")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:f}"
    raise TypeError(f"cannot encode {type(value).__name__}")


def to_json(data: Any) -> str:
    return orjson.dumps(data, default=_json_default, option=orjson.OPT_INDENT_2).decode()


def euro_it(amount: Decimal) -> str:
    """``€ 1.306.000,00``; negatives as ``-€ 9.916,67`` like the seed."""
    text = f"{abs(amount):,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"-€ {text}" if amount < 0 else f"€ {text}"


def percent(value: Decimal | None, places: int = 0, locale: str = "en") -> str:
    """A fraction (0.937) shown as a percentage rounded half-up (94%)."""
    if value is None:
        return "ND"
    quantum = Decimal(1).scaleb(-places)
    text = f"{(value * 100).quantize(quantum, rounding=ROUND_HALF_UP):f}"
    if locale == "it":
        text = text.replace(".", ",")
    return f"{text}%"


def cell(value: Any, locale: str) -> Any:
    """How one value shows in a table."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return euro_it(value) if locale == "it" else f"{value:,.2f}"
    if isinstance(value, date) and locale == "it":
        return value.strftime("%d/%m/%Y")
    return value


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        # A spreadsheet would run "=HYPERLINK(...)" as a formula: keep it text.
        return "'" + value
    return value


def render(rows: Sequence[dict[str, Any]], fmt: str, *, locale: str = "en",
           columns: Sequence[str] | None = None) -> str:
    columns = list(columns or (rows[0].keys() if rows else []))
    if fmt == "json":
        return to_json([{k: row.get(k) for k in columns} for row in rows])
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_cell(row.get(k)) for k in columns])
        return buffer.getvalue().rstrip("\n")
    if not rows:
        return "(nothing)"
    table = [[cell(row.get(k), locale) for k in columns] for row in rows]
    from tabulate import tabulate  # here, not at the top: keeps --help quick

    text: str = tabulate(table, headers=columns, disable_numparse=True)
    return text
