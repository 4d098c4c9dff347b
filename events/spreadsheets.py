"""From the sheets of a spreadsheet (or a CSV file) to checked submissions, as ``events.parse`` does
for JSON Lines.

A sheet's first non-empty row is its header; each later non-empty row becomes one fact, by its
sheet's layout (``events.sheet_layouts``): cells are read by the Italian conventions of
``events.sheet_cells``, the row becomes the JSON object of a fact and goes through
``parse_submission``, like a line of JSON. Every error is a ``SheetError`` naming the sheet, the
row (numbered as the spreadsheet numbers it) and, when one cell is at fault, its column and value.

Rows are written in the order of the layouts (the plan, its lines, objectives, indicators and
items, then movements, then measurements), each sheet in its rows' order, except that an objective
comes after its parent and an indicator after the indicators it uses, when both are in the file.
The batch ends with the ``SourceImported`` (or its parts) naming each event's sheet and row.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from events.base import Submission
from events.errors import InvalidEvent, InvalidField, MissingField, PerfledgerError
from events.parse import event_type, parse_submission
from events.sheet_cells import Cell, CellProblem, SheetError, blank, shown
from events.sheet_layouts import BY_KEY, MOVEMENTS, SHEETS, SKIPPED, Column, SheetLayout
from events.sources import MAX_ROWS, SourceImported, SourceRow

_LABELS = {value: label for label, value in MOVEMENTS.items()}  # a movement's type -> its Italian name


@dataclass(frozen=True)
class Sheet:
    """A sheet as read from a file: its name and its rows as (row number, cells), the header among
    them; ``layout`` is given for a CSV file (detected from its header, or named by ``--layout``),
    and found by the sheet's name in a workbook."""

    name: str
    rows: Sequence[tuple[int, Sequence[Cell]]]
    layout: SheetLayout | None = None


@dataclass
class Batch:
    """What a file gives: its submissions in writing order (the SourceImported last) and, for each
    event id, the sheet and row it came from."""

    submissions: list[Submission] = field(default_factory=list)
    origins: dict[str, SourceRow] = field(default_factory=dict)

    def where(self, event_id: str | None) -> SourceRow | None:
        return None if event_id is None else self.origins.get(event_id)


def normalised(header: Any) -> str:
    return " ".join(str(header).split()).casefold()


def layout_named(name: str) -> SheetLayout | None:
    """The layout of a workbook's sheet of this name (None: an instructions sheet, or one whose
    name starts with #); a SheetError for any other name (which its reader forgives an empty sheet)."""
    if name.strip().startswith("#") or normalised(name) in {normalised(s) for s in SKIPPED}:
        return None
    found = {normalised(s.name): s for s in SHEETS}.get(normalised(name))
    if found is not None:
        return found
    names = [s.name for s in SHEETS]
    near = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
    guess = f'did you mean "{near[0]}"? ' if near else ""
    raise SheetError(name, None, None, f"is not a sheet perfledger reads; {guess}(its sheets:"
                     f" {', '.join(names)}; a sheet whose name starts with #, or an empty one, is left out)")


def detect_layout(header: Sequence[Cell], sheet: str) -> SheetLayout:
    """The layout a CSV file's header row fits: every header one of its columns, its required
    columns all there; a SheetError naming the candidates when none or several fit."""
    given = {normalised(cell) for cell in header if not blank(cell)}
    fits = [s for s in SHEETS if given <= {normalised(c.header) for c in s.columns}
            and all(normalised(c.header) in given for c in s.required)]
    if len(fits) == 1:
        return fits[0]
    keys = ", ".join(s.key for s in (fits or SHEETS))
    problem = "fits several layouts" if fits else "fits no layout"
    raise SheetError(sheet, 1, None, f"the header row {problem}: name one with --layout ({keys})")


def read_sheets(sheets: Sequence[Sheet], *, source: str, sha256: str, actor: str | None) -> Batch:
    """The submissions of a file's sheets, in writing order, closed by its SourceImported parts."""
    found: dict[str, tuple[Sheet, SheetLayout]] = {}
    for sheet in sheets:
        layout = sheet.layout or layout_named(sheet.name)
        if layout is None:
            continue
        if layout.key in found:
            raise SheetError(sheet.name, None, None, f'the file holds two sheets "{layout.name}"')
        found[layout.key] = (sheet, layout)
    if not found:
        given = ", ".join(s.name for s in sheets) or "none"
        raise InvalidEvent(f"{source} holds no sheet to import (its sheets: {given}; perfledger reads"
                           f" {', '.join(s.name for s in SHEETS)})")
    batch = Batch()
    plan: dict[str, Any] = {}
    for layout in SHEETS:
        if layout.key not in found:
            continue
        sheet = found[layout.key][0]
        rows = list(_objects(sheet, layout, plan, actor))
        if layout.key == "plan-year":
            if len(rows) > 1:
                raise SheetError(sheet.name, rows[1][0], None, "the sheet holds one plan: one row")
            if rows:
                plan = {"plan.year": rows[0][1].get("year"), "plan.effective_date": rows[0][1].get(
                    "effective_date")}
        for number, obj in _parents_first(layout, rows):
            _add(batch, sheet.name, number, obj, layout)
    if not batch.submissions:
        raise InvalidEvent(f"{source} holds no rows to import: fill the rows below each sheet's header")
    batch.submissions += source_parts(batch, source=source, sha256=sha256, actor=actor)
    return batch


def _add(batch: Batch, sheet: str, number: int, obj: dict[str, Any], layout: SheetLayout) -> None:
    submission = _submission(sheet, number, obj, layout)
    earlier = batch.origins.get(submission.event_id)
    if earlier is not None:
        raise SheetError(sheet, number, None, f"the event id {submission.event_id!r} is given already by"
                         f' sheet "{earlier.sheet}", row {earlier.row}')
    batch.origins[submission.event_id] = SourceRow(submission.event_id, sheet, number)
    batch.submissions.append(submission)


def source_parts(batch: Batch, *, source: str, sha256: str, actor: str | None) -> list[Submission]:
    """The SourceImported events that name each event's sheet and row (``MAX_ROWS`` a part), effective
    on the latest of the file's effective dates, with ids derived from the file's digest."""
    rows = list(batch.origins.values())
    latest = max(s.fields["effective_date"] for s in batch.submissions).isoformat()
    chunks = [rows[start:start + MAX_ROWS] for start in range(0, len(rows), MAX_ROWS)]
    parts = []
    for part, chunk in enumerate(chunks, 1):
        obj: dict[str, Any] = {
            "type": SourceImported.TYPE, "id": f"source-{sha256[:16]}-{part}", "effective_date": latest,
            "source": source, "sha256": sha256, "part": part, "parts": len(chunks),
            "rows": [row._asdict() for row in chunk],
        }
        if actor is not None:
            obj["actor"] = actor
        parts.append(parse_submission(obj))
    return parts


# -- one sheet ---------------------------------------------------------------------------
def _objects(sheet: Sheet, layout: SheetLayout, plan: Mapping[str, Any],
             actor: str | None) -> list[tuple[int, dict[str, Any]]]:
    """Each non-empty row of the sheet after its header as (row number, the fact's JSON object)."""
    rows = iter(sheet.rows)
    header: tuple[int, Sequence[Cell]] | None = next(((n, cells) for n, cells in rows
                                                      if not all(blank(c) for c in cells)), None)
    if header is None:
        return []
    columns = _columns(sheet.name, layout, header)
    found = []
    for number, cells in rows:
        obj = _row(sheet.name, layout, columns, number, cells, plan)
        if obj is not None:
            if actor is not None:
                obj.setdefault("actor", actor)
            found.append((number, obj))
    return found


def _columns(sheet: str, layout: SheetLayout, header: tuple[int, Sequence[Cell]]) -> list[Column | None]:
    """The layout's column under each header cell (None: a blank header); unknown, repeated or
    missing required headers are SheetErrors."""
    number, cells = header
    known = {normalised(c.header): c for c in layout.columns}
    columns: list[Column | None] = []
    for cell in cells:
        if blank(cell):
            columns.append(None)
            continue
        column = known.get(normalised(cell))
        if column is None:
            near = difflib.get_close_matches(str(cell), [c.header for c in layout.columns], n=1, cutoff=0.6)
            guess = f'did you mean "{near[0]}"? ' if near else ""
            raise SheetError(sheet, number, str(cell), f"is not a column of {layout.name}; {guess}"
                             f"(its columns: {', '.join(c.header for c in layout.columns)})")
        if column in columns:
            raise SheetError(sheet, number, str(cell), "is given twice")
        columns.append(column)
    for column in layout.required:
        if column not in columns:
            raise SheetError(sheet, number, column.header, "is missing: the sheet needs it")
    return columns


def _row(sheet: str, layout: SheetLayout, columns: Sequence[Column | None], number: int,
         cells: Sequence[Cell], plan: Mapping[str, Any]) -> dict[str, Any] | None:
    """A row's fact as the JSON object a line of an import file would hold (None: a blank row)."""
    values: dict[str, Any] = {}
    for index, cell in enumerate(cells):
        column = columns[index] if index < len(columns) else None
        if column is None:
            if not blank(cell):
                raise SheetError(sheet, number, f"#{index + 1}", f"{shown(cell)} is under no header")
            continue
        try:
            value = column.convert(cell)
        except CellProblem as e:
            raise SheetError(sheet, number, column.header, e.problem) from None
        if value is not None:
            values[column.field] = value
    if not values:
        return None
    for name, origin in layout.defaults:
        if name not in values:
            default = plan.get(origin) if origin.startswith("plan.") else values.get(origin)
            if default is not None:
                values[name] = default
    for column in layout.columns:
        if column.field not in values and (column.required or column.field in dict(layout.defaults)):
            why = "" if column.required or layout.key == "measurements" else (
                " (and the file has no Piano sheet)")
            raise SheetError(sheet, number, column.header, f"is empty{why}: a value is required")
    return _object(sheet, layout, number, values)


def _object(sheet: str, layout: SheetLayout, number: int, values: dict[str, Any]) -> dict[str, Any]:
    kind = layout.type or values.pop("type")
    cls = event_type(kind)
    act = {key: values.pop(f"act.{key}") for key in ("kind", "number", "date") if f"act.{key}" in values}
    obj: dict[str, Any] = {"type": kind}
    if act:
        for key, header in (("kind", "Atto"), ("number", "Numero atto"), ("date", "Data atto")):
            if key not in act:
                raise SheetError(sheet, number, header, "is empty: an act needs its kind, number and date")
        obj["act"] = act
    envelope = {"id", "effective_date", "note"}
    fields = cls.payload_kinds()
    for name, value in values.items():
        if name not in envelope and name not in fields:
            column = layout.column(name)
            header = column.header if column is not None else name
            raise SheetError(sheet, number, header,
                             f'"{value}" is not used by {_label(kind)}: leave it blank')
        obj[name] = value
    if "id" not in obj:
        assert layout.derive_id is not None  # a layout without one requires its Id column
        obj["id"] = layout.derive_id(obj)
    return obj


def _label(kind: str) -> str:
    return f"a movement of kind {_LABELS[kind]}" if kind in _LABELS else kind


def _submission(sheet: str, number: int, obj: dict[str, Any], layout: SheetLayout) -> Submission:
    """``parse_submission`` of the row's object; a field's error names the column it came from."""
    try:
        return parse_submission(obj)
    except InvalidField as e:
        column = layout.column(e.field) or layout.column(e.field.split(".")[0])
        problem = e.message.removeprefix(f'field "{e.field}": ')
        if isinstance(e, MissingField):
            problem = f"is empty: {_label(obj['type'])} needs it"
        if column is None:
            raise SheetError(sheet, number, None, e.message) from None
        value = obj.get(column.field, "")
        if column.field.startswith("act."):
            value = obj.get("act", {}).get(column.field[4:], "")
        named = isinstance(e, MissingField) or problem[:1] in "\"'" or str(value) in problem
        shown_value = "" if named else f"{shown(value)}: "
        raise SheetError(sheet, number, column.header, f"{shown_value}{problem}") from None
    except PerfledgerError as e:
        raise SheetError(sheet, number, None, e.message) from None


def _parents_first(layout: SheetLayout,
                   rows: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, dict[str, Any]]]:
    """The rows in their order, except that an objective's parent (an indicator's indicators used)
    in the same sheet comes just before it if it is a later row: each row is preceded by what it
    refers to, the rest of the order kept. A cycle is left as it is, for the rules to name."""
    refs = {"plan-objectives": ("objective", ("parent", "predecessor")),
            "plan-indicators": ("indicator", ("uses", "compared_with"))}.get(layout.key)
    if refs is None:
        return rows
    key, pointers = refs
    by_code = {obj.get(key): (number, obj) for number, obj in rows}
    placed: set[int] = set()
    ordered: list[tuple[int, dict[str, Any]]] = []

    def place(number: int, obj: dict[str, Any], path: frozenset[int]) -> None:
        if number in placed or number in path:
            return
        for pointer in pointers:
            referred = by_code.get(obj.get(pointer))
            if referred is not None:
                place(*referred, path | {number})
        if number not in placed:
            placed.add(number)
            ordered.append((number, obj))

    for number, obj in rows:
        place(number, obj, frozenset())
    return ordered


__all__ = ["BY_KEY", "Batch", "Sheet", "detect_layout", "layout_named", "read_sheets"]
