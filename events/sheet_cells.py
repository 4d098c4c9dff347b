"""Spreadsheet cells as a controller writes them, read into the values a fact's fields take.

Italian conventions are the default:

- numbers with a decimal comma and, optionally, a thousands dot: ``1.500,00``, ``1500,5``,
  ``0,344``; a dot followed by other than three digits is a decimal point (``1500.00``, ``0.5``),
  while ``1.500`` is one thousand five hundred; spaces, no-break spaces and a ``€`` are ignored;
  ``%`` is refused (a weight is a number from 0 to 100; a value of a ``%`` indicator is a
  fraction, ``0,65`` for 65%);
- dates ``31/12/2012`` (day first) or ISO ``2012-12-31``; a cell formatted as a date is read as one;
- ``ND`` (or ``n.d.``) is *not available* where a measured value or a target may be.

A cell of a workbook holding a number comes as a binary float (that is how XLSX and ODS store
numbers). It is read through its shortest decimal spelling (``repr``: ``0.1`` is ``"0.1"``), never
through float arithmetic; an amount must then have at most two decimals (an amount of at most
999.999.999.999,99 has at most 14 significant digits, which a float holds and gives back exactly),
a number at most twelve. A cell holding text is read as the text.

Each converter returns the JSON value the field's kind parses (``events.fields``), or None for a
blank cell, and raises ``CellProblem`` saying what is wrong; the reader of a sheet turns it into a
``SheetError`` naming the sheet, row, column and value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from events.errors import InvalidEvent

Cell = str | int | float | bool | date | datetime | time | timedelta | None
Convert = Callable[[Cell], Any]

_ITALIAN = re.compile(r"[-+]?(?:[1-9][0-9]{0,2}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?")
_POINT = re.compile(r"[-+]?[0-9]+\.[0-9]+")
_IGNORED = str.maketrans("", "", " \u00a0\u202f€")
_DAY_FIRST = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
QUOTED = 80  # characters of a cell an error quotes (a longer one is shortened with an ellipsis)
NOT_AVAILABLE = frozenset({"nd", "n.d.", "n.d"})


class CellProblem(Exception):
    """What is wrong with a cell's value (the sheet, row and column are added by its reader)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class SheetError(InvalidEvent):
    """A cell (or a row, or a sheet) of an imported file that cannot become a fact.

    ``sheet "Indicatori", row 14, column "Peso": "33,3%" is not a weight between 0 and 100``.
    """

    def __init__(self, sheet: str, row: int | None, column: str | None, problem: str) -> None:
        where = [f'sheet "{sheet}"']
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f'column "{column}"')
        super().__init__(f"{', '.join(where)}: {problem}")
        self.sheet, self.row, self.column = sheet, row, column


def blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def shown(cell: Cell) -> str:
    """A cell's value as an error quotes it: its text, or a number or date as a person reads it."""
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float):
        text = repr(cell)
        return f'"{text.removesuffix(".0")}"'
    if isinstance(cell, datetime):
        return f'"{cell:%d/%m/%Y %H:%M}"'
    if isinstance(cell, date):
        return f'"{cell:%d/%m/%Y}"'
    text = "" if cell is None else str(cell)
    return f'"{text if len(text) <= QUOTED else text[:QUOTED - 1] + "…"}"'


# -- text --------------------------------------------------------------------------------
def text(cell: Cell) -> str | None:
    """Free text or a name: the cell's text with surrounding spaces removed (a number as written)."""
    if blank(cell):
        return None
    if isinstance(cell, (date, time, timedelta, bool)):
        raise CellProblem(f"{shown(cell)} is not text: format the cell as text")
    if isinstance(cell, float):
        return _float_text(cell)
    return str(cell).strip()


def _float_text(number: float) -> str:
    """A number typed where a code or a name goes (``4`` for ``4``, ``3.1`` for ``3.1``)."""
    if not math.isfinite(number):
        raise CellProblem(f"{shown(number)} is not a value")
    return str(int(number)) if number.is_integer() else repr(number)


# -- numbers -----------------------------------------------------------------------------
def decimal_of(cell: Cell, what: str) -> Decimal | None:
    """The exact decimal a cell holds (None: blank), by the conventions of this module's docstring."""
    if blank(cell):
        return None
    if isinstance(cell, (bool, date, time, timedelta)):
        raise CellProblem(f"{shown(cell)} is not {what}")
    if isinstance(cell, int):
        return Decimal(cell)
    if isinstance(cell, float):
        if not math.isfinite(cell):
            raise CellProblem(f"{shown(cell)} is not {what}")
        return Decimal(repr(cell))  # the shortest spelling that reads back as this float: no arithmetic
    spelt = str(cell).translate(_IGNORED)
    if "%" in spelt:
        raise CellProblem(f"{shown(cell)} is not {what}: write it without %")
    if _ITALIAN.fullmatch(spelt):
        spelt = spelt.replace(".", "").replace(",", ".")
    elif not _POINT.fullmatch(spelt):
        raise CellProblem(f"{shown(cell)} is not {what} (write it as 1.500,00)")
    return Decimal(spelt)


def _places(number: Decimal) -> int:
    """How many decimals ``number`` needs (trailing zeros aside); exact, never rounded to a context."""
    spelt = f"{number:f}"
    return len(spelt.partition(".")[2].rstrip("0"))


def _decimal_text(number: Decimal) -> str:
    """The plain decimal spelling of ``number`` without trailing zeros (``"0.5"``, ``"1500"``, ``"0"``)."""
    spelt = f"{number:f}"
    if "." in spelt:
        spelt = spelt.rstrip("0").rstrip(".")
    return "0" if spelt in ("-0", "") else spelt


def money(cell: Cell) -> str | None:
    """An amount in euros: the decimal string ``events.fields.Money`` takes (``"1500.00"``)."""
    amount = decimal_of(cell, "an amount")
    if amount is None:
        return None
    if _places(amount) > 2:
        raise CellProblem(f"{shown(cell)} is not an amount in euros: it has more than two decimals")
    try:
        return "0.00" if amount == 0 else f"{amount.quantize(Decimal('0.01')):f}"
    except InvalidOperation:
        raise CellProblem(f"{shown(cell)} is too large to be an amount") from None


def number(cell: Cell) -> str | None:
    """An exact number (a measured value, a numerator, a plan's parameter), at most twelve decimals."""
    found = decimal_of(cell, "a number")
    if found is None:
        return None
    if _places(found) > 12:
        raise CellProblem(f"{shown(cell)} has more than twelve decimals")
    return _decimal_text(found)


def weight(cell: Cell) -> str | None:
    """An indicator's weight, in %: a number from 0 to 100 (``33,33``)."""
    try:
        found = decimal_of(cell, "a weight between 0 and 100")
    except CellProblem:
        raise CellProblem(f"{shown(cell)} is not a weight between 0 and 100") from None
    if found is None:
        return None
    if not 0 <= found <= 100 or _places(found) > 12:
        raise CellProblem(f"{shown(cell)} is not a weight between 0 and 100")
    return _decimal_text(found)


def count(cell: Cell) -> int | None:
    """A whole number (a year, a number of days), without thousands separators."""
    if blank(cell):
        return None
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    if isinstance(cell, int) and not isinstance(cell, bool):
        return cell
    if isinstance(cell, str) and cell.strip().isdigit():
        return int(cell.strip())
    raise CellProblem(f"{shown(cell)} is not a whole number")


# -- dates -------------------------------------------------------------------------------
def day(cell: Cell) -> str | None:
    """A date, as ISO ``YYYY-MM-DD``: a date cell, ``31/12/2012`` or ``2012-12-31``."""
    if blank(cell):
        return None
    if isinstance(cell, datetime):
        if cell.time() != time():
            raise CellProblem(f"{shown(cell)} is a date and time: give the date alone")
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        raise CellProblem(f"{shown(cell)} is a number, not a date: format the cell as a date, or write"
                          " the date as 31/12/2012")
    spelt = str(cell).strip()
    found = _DAY_FIRST.fullmatch(spelt)
    try:
        if found:
            return date(int(found[3]), int(found[2]), int(found[1])).isoformat()
        if _ISO_DAY.fullmatch(spelt):
            return date.fromisoformat(spelt).isoformat()
    except ValueError:
        raise CellProblem(f"{shown(cell)} is not a calendar date") from None
    raise CellProblem(f"{shown(cell)} is not a date (write it as 31/12/2012)")


# -- what may be a number, a date or ND --------------------------------------------------
def measured(cell: Cell) -> str | None:
    """A measured value or a target: a number, a date (deadlines), or ``ND`` (not available)."""
    if blank(cell):
        return None
    if isinstance(cell, str):
        spelt = cell.strip()
        if spelt.casefold() in NOT_AVAILABLE:
            return "ND"
        if _DAY_FIRST.fullmatch(spelt) or _ISO_DAY.fullmatch(spelt):
            return day(spelt)
    if isinstance(cell, date):
        return day(cell)
    try:
        return number(cell)
    except CellProblem:
        raise CellProblem(f"{shown(cell)} is not a number, a date or ND") from None


# -- words -------------------------------------------------------------------------------
def choice(words: Mapping[str, str], *, others: bool = False) -> Convert:
    """One of ``words`` (the Italian label people write, or the value itself), read as its value;
    with ``others``, any other code passes as it is (a plan's own level names)."""
    accepted = {label.casefold(): value for label, value in words.items()}
    accepted.update({value.casefold(): value for value in words.values()})

    def convert(cell: Cell) -> str | None:
        spelt = text(cell)
        if spelt is None:
            return None
        found = accepted.get(" ".join(spelt.split()).casefold())
        if found is not None:
            return found
        if others:
            return spelt
        raise CellProblem(f"{shown(cell)} is not one of: {', '.join(words)}")

    return convert


def words_list(words: Mapping[str, str], *, others: bool = False) -> Convert:
    """Codes separated by commas (a plan's levels, from the top), each read as ``choice`` reads it."""
    one = choice(words, others=others)

    def convert(cell: Cell) -> str | None:
        spelt = text(cell)
        if spelt is None:
            return None
        found = [one(part.strip()) for part in spelt.split(",")]
        return ",".join(str(f) for f in found if f is not None)

    return convert
