"""One place that turns rows into text: a table for people, JSON and CSV for tools.

Nothing below the CLI prints; commands build rows (dicts of plain values) and hand them here.

Numbers for people are formatted here and only here, by Babel, under one rounding policy:
``half_up`` quantizes a Decimal with ROUND_HALF_UP *before* Babel sees it (Babel itself would round
half to even: 0.125 -> 0.12), so 0.5 of the last place shown always rounds away from zero.

- ``en``: amounts ``1,306,000.00``, percentages ``94%``, dates ISO ``2012-12-31``, booleans yes / no;
- ``it``: amounts ``€ 1.306.000,00`` (negatives ``-€ 9.916,67``: the seed's look, not CLDR's
  ``1.306.000,00 €``), percentages ``94%`` / ``5,6%``, dates ``31/12/2012``, booleans sì / no.

CSV stays data: under ``en`` as ever (``,``, decimal point, ISO dates); under ``it`` as an Italian
spreadsheet reads it (``;``, decimal comma without thousands separator, dates ``31/12/2012``, a UTF-8
byte order mark). Both may start with ``# `` comment lines: the cut the figures were read at.
"""

from __future__ import annotations

import csv
import io
import re
import textwrap
import unicodedata
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import orjson

FORMATS = ("table", "json", "csv")
WIDTH = 120  # columns a table fits by default (--wide: no limit)
ELLIPSIS = "…"
BOM = "\ufeff"
BABEL_LOCALES = {"en": "en_US", "it": "it_IT"}
CSV_DELIMITERS = {"en": ",", "it": ";"}


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:f}"
    raise TypeError(f"cannot encode {type(value).__name__}")


def to_json(data: Any) -> str:
    return orjson.dumps(data, default=_json_default, option=orjson.OPT_INDENT_2).decode()


# -- numbers, dates and booleans for people ------------------------------------------------------------
def half_up(value: Decimal, places: int) -> Decimal:
    """``value`` rounded half-up (away from zero) to ``places`` decimals: the one rounding of display."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _pattern(places: int) -> str:
    return "#,##0" + ("." + "0" * places if places > 0 else "")


def number(value: Decimal, places: int, locale: str) -> str:
    """A decimal number with ``places`` decimals and thousands separators: 1,500.25 / 1.500,25."""
    from babel.numbers import format_decimal

    return format_decimal(half_up(value, places), format=_pattern(places), locale=BABEL_LOCALES[locale],
                          decimal_quantization=False)


def money(amount: Decimal, locale: str) -> str:
    """An amount in euro to the cent: ``1,306,000.00`` (en), ``€ 1.306.000,00`` / ``-€ 9.916,67`` (it)."""
    if locale != "it":
        return number(amount, 2, locale)
    from babel.numbers import format_currency

    return format_currency(half_up(amount, 2), "EUR", format="¤ #,##0.00", locale="it_IT",
                           currency_digits=False, decimal_quantization=False)


def percent(value: Decimal | None, places: int = 0, locale: str = "en") -> str:
    """A fraction (0.937) shown as a percentage rounded half-up (94%); None is ND (not available)."""
    if value is None:
        return "ND"
    from babel.numbers import format_percent

    shown = half_up(value * 100, places) / 100  # exact: Babel multiplies back by 100
    return format_percent(shown, format=_pattern(places) + "%", locale=BABEL_LOCALES[locale],
                          decimal_quantization=False)


def ratio_places(value: Decimal | None) -> int:
    """The decimals a ratio (Disponibile/Totale) is shown with: a tenth below 1% (0,4%), else none (94%)."""
    return 1 if value is not None and value < Decimal("0.01") else 0


def day(value: date, locale: str) -> str:
    """A date: ISO 2012-12-31 (en), 31/12/2012 (it)."""
    if locale != "it":
        return value.isoformat()
    from babel.dates import format_date

    return format_date(value, "dd/MM/yyyy", locale="it_IT")


def yes_no(value: bool, locale: str) -> str:
    return ("sì" if value else "no") if locale == "it" else ("yes" if value else "no")


def cell(value: Any, locale: str) -> Any:
    """How one value shows in a table (en keeps booleans as True / False for the listings)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no(value, locale) if locale == "it" else value
    if isinstance(value, Decimal):
        return money(value, locale)
    if isinstance(value, date) and locale == "it":
        return day(value, locale)
    return value


# -- CSV -----------------------------------------------------------------------------------------------
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+([.,][0-9]+)?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _csv_text(value: str, locale: str, raw_number: bool) -> str:
    """A text cell; in a column of raw figures (``raw_number``), an Italian number or date."""
    if raw_number and locale == "it":
        if _NUMBER.fullmatch(value):
            return value.replace(".", ",")
        if _ISO_DATE.fullmatch(value):
            return day(date.fromisoformat(value), locale)
    if value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        # A spreadsheet would run "=HYPERLINK(...)" as a formula: keep it text.
        return "'" + value
    return value


def _csv_cell(value: Any, locale: str = "en", raw_number: bool = False) -> Any:
    """One CSV value: unrounded decimals (a comma under it, no thousands separator), dates."""
    if isinstance(value, Decimal):
        text = f"{value:f}"
        return text.replace(".", ",") if locale == "it" else text
    if isinstance(value, date):
        return day(value, locale) if locale == "it" else value.isoformat()
    if isinstance(value, bool) and locale == "it":
        return yes_no(value, locale)
    if isinstance(value, str):
        return _csv_text(value, locale, raw_number)
    return value


def csv_text(rows: Sequence[dict[str, Any]], columns: Sequence[str], locale: str = "en",
             comments: Sequence[str] = (), raw_numbers: Sequence[str] = ()) -> str:
    """CSV of the rows: ``comments`` first as ``# `` lines; under ``it`` with ``;``, a decimal comma and
    a byte order mark. ``raw_numbers``: columns whose text values are numbers or dates as recorded."""
    buffer = io.StringIO()
    for line in comments:
        buffer.write(f"# {line}\n")
    writer = csv.writer(buffer, lineterminator="\n", delimiter=CSV_DELIMITERS[locale])
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(k), locale, k in raw_numbers) for k in columns])
    text = buffer.getvalue().rstrip("\n")
    return BOM + text if locale == "it" else text


# -- tables ----------------------------------------------------------------------------------------------
def width(text: str) -> int:
    """Columns a line takes on a terminal (wide East Asian characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def abbreviate(text: str, most: int) -> str:
    """``text`` cut to ``most`` characters, ending in an ellipsis when it was longer."""
    if len(text) <= most:
        return text
    return text[: max(most - 1, 0)].rstrip() + ELLIPSIS


def wrap(text: str, most: int) -> list[str]:
    return textwrap.wrap(text, most) or [""]


def fit(rows: list[dict[str, Any]], flexible: str, *, locale: str, room: int = WIDTH,
        least: int = 12) -> list[dict[str, Any]]:
    """The rows with their ``flexible`` column abbreviated so the table is at most ``room`` wide (a column
    is as wide as its widest cell, and its header and two more: tabulate's padding)."""
    from cli.labels import tr

    if not rows:
        return rows
    columns = list(rows[0])
    others = sum(max(len(tr(str(k), locale)) + 2, *(len(str(cell(r.get(k), locale))) for r in rows))
                 for k in columns if k != flexible)
    most = max(room - others - 2 * (len(columns) - 1), least, len(tr(flexible, locale)) + 2)
    return [{k: abbreviate(str(v), most) if k == flexible and v is not None else v for k, v in r.items()}
            for r in rows]


def table(rows: Sequence[dict[str, Any]], locale: str, columns: Sequence[str],
          headers: Sequence[str] | None = None, nothing: str = "(nothing)") -> str:
    if not rows:
        return nothing
    shown = [[cell(row.get(k), locale) for k in columns] for row in rows]
    from tabulate import tabulate  # here, not at the top: keeps --help quick

    text: str = tabulate(shown, headers=list(headers or columns), disable_numparse=True)
    return text


def render(rows: Sequence[dict[str, Any]], fmt: str, *, locale: str = "en",
           columns: Sequence[str] | None = None, comments: Sequence[str] = (),
           raw_numbers: Sequence[str] = ()) -> str:
    """Rows as JSON, CSV (``comments`` as ``# `` lines first) or a table (under ``locale``)."""
    columns = list(columns or (rows[0].keys() if rows else []))
    if fmt == "json":
        return to_json([{k: row.get(k) for k in columns} for row in rows])
    if fmt == "csv":
        return csv_text(rows, columns, locale, comments, raw_numbers)
    from cli.labels import tr

    return table(rows, locale, columns, [tr(str(k), locale) for k in columns], tr("(nothing)", locale))


def captioned(rows: Sequence[Sequence[str]], headers: Sequence[str], captions: Sequence[str],
              indent: str = "    ", room: int = WIDTH) -> str:
    """A table of figures (right-aligned) with each row's caption on the line above it: the layout of a
    table whose text would not fit beside its figures. Captions are abbreviated to ``room``."""
    from tabulate import tabulate

    text: str = tabulate(rows, headers=list(headers), disable_numparse=True,
                         colalign=["right"] * len(headers))
    lines = text.splitlines()
    out = [indent + lines[0], indent + lines[1]]
    for caption, line in zip(captions, lines[2:], strict=True):
        out += [abbreviate(caption, room), indent + line]
    return "\n".join(out)
