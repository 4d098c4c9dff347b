"""Reading a spreadsheet or a CSV file for `import`: the bytes, their sheets, then the one batch.

Workbooks (``.xlsx``, ``.xlsm``, ``.xls``, ``.ods``) are read with python-calamine, each sheet by its
name. A CSV file holds one sheet, whose layout its header row tells (or ``--layout``); it is
decoded as UTF-8, with or without a byte-order mark, else as Windows-1252 (or as ``--encoding``
says), and split at ``;`` unless its first line has none and has a tab or a comma (or as
``--delimiter`` says). The file's SHA-256 is of its bytes as read.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from events.spreadsheets import Batch, Sheet

WORKBOOKS = (".xlsx", ".xlsm", ".xls", ".ods")
SUFFIXES = (".csv", *WORKBOOKS)


def is_spreadsheet(name: str) -> bool:
    """True for a file `import` reads as a spreadsheet (by its suffix), not as JSON Lines."""
    return os.path.splitext(name)[1].lower() in SUFFIXES


def read_batch(data: bytes, name: str, *, actor: str | None, layout: str | None = None,
               delimiter: str | None = None, encoding: str | None = None) -> Batch:
    """The submissions of a spreadsheet's bytes (``name`` is the file's name, without folders): a
    workbook by its suffix, else CSV (standard input with ``--layout``, say)."""
    from events.errors import PerfledgerError
    from events.spreadsheets import read_sheets

    if not name.lower().endswith(WORKBOOKS):
        sheets = [csv_sheet(data, name, layout=layout, delimiter=delimiter, encoding=encoding)]
    else:
        if layout is not None or delimiter is not None or encoding is not None:
            raise PerfledgerError("--layout, --delimiter and --encoding are for CSV files: a workbook's"
                                  " sheets are known by their names")
        sheets = workbook_sheets(data, name)
    return read_sheets(sheets, source=name, sha256=hashlib.sha256(data).hexdigest(), actor=actor)


# -- workbooks ---------------------------------------------------------------------------------
def workbook_sheets(data: bytes, name: str) -> list[Sheet]:
    """Each sheet perfledger reads (``events.spreadsheets.layout_named``) with its rows, numbered as
    the spreadsheet numbers them."""
    from python_calamine import CalamineError, CalamineWorkbook

    from events.errors import PerfledgerError
    from events.sheet_cells import SheetError, blank
    from events.spreadsheets import Sheet, layout_named

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except CalamineError as e:
        raise PerfledgerError(f"{name} is not a workbook that can be read ({e})") from None
    sheets = []
    with book:
        for sheet_name in book.sheet_names:
            sheet = book.get_sheet_by_name(sheet_name)
            rows = list(sheet.iter_rows())
            try:
                if layout_named(sheet_name) is None:
                    continue
            except SheetError:
                if all(blank(cell) for cells in rows for cell in cells):
                    continue  # an empty sheet of another name (the "Foglio2" a new workbook has)
                raise
            end = sheet.end
            first = 0 if end is None else end[0] + 1 - len(rows)  # the row of rows[0], 0-based
            sheets.append(Sheet(sheet_name, [(first + n + 1, cells) for n, cells in enumerate(rows)]))
    return sheets


# -- CSV -------------------------------------------------------------------------------------
def csv_text(data: bytes, name: str, encoding: str | None = None) -> str:
    """The text of a CSV file: as ``encoding``, else UTF-8 (a byte-order mark dropped), else
    Windows-1252; an error names the first byte that none of them reads."""
    from events.errors import PerfledgerError

    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise PerfledgerError(f"--encoding {encoding!r} is not an encoding Python knows") from None
        tried = [encoding]
    else:
        tried = ["utf-8", "cp1252"]
    for candidate in tried:
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError as e:
            failure = e
            continue
        return text.removeprefix("\ufeff")
    raise PerfledgerError(f"{name}: byte {failure.start + 1} (0x{data[failure.start]:02x}) is not"
                          f" {' nor '.join(tried)}: save the file as UTF-8, or give --encoding")


def csv_delimiter(text: str) -> str:
    """``;``, unless the first non-empty line has none and has a tab or a comma."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    if ";" in first:
        return ";"
    for other in ("\t", ","):
        if other in first:
            return other
    return ";"


def csv_sheet(data: bytes, name: str, *, layout: str | None = None, delimiter: str | None = None,
              encoding: str | None = None) -> Sheet:
    """A CSV file as one sheet, named as its layout's sheet (``Indicatori``...)."""
    from events.errors import PerfledgerError
    from events.sheet_layouts import BY_KEY
    from events.spreadsheets import Sheet, detect_layout

    text = csv_text(data, name, encoding)
    if delimiter is not None and len(delimiter) != 1:
        raise PerfledgerError(f"--delimiter must be one character, not {delimiter!r}")
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or csv_delimiter(text),
                            strict=True)
        rows: list[tuple[int, Any]] = list(enumerate(reader, 1))
    except csv.Error as e:
        raise PerfledgerError(f"{name}: not a CSV file that can be read ({e})") from None
    if layout is not None:
        found = BY_KEY[layout]
    else:
        header: list[str] = next((cells for _, cells in rows if any(c.strip() for c in cells)), [])
        found = detect_layout(header, name)
    return Sheet(found.name, rows, found)
