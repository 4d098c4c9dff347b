"""Where a batch of facts came from: the spreadsheet (or CSV file) an import read them from."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, NamedTuple

from events.base import LedgerEvent
from events.errors import InvalidField
from events.fields import Code, Count, Kind, Name
from events.text import json_type

_HEX64 = re.compile(r"[0-9a-f]{64}")
MAX_ROWS = 5_000
"""The most rows one SourceImported lists: a file of more is described by several, its parts (each
event's canonical body stays well under the million bytes a stored event may have)."""


class SourceRow(NamedTuple):
    """One event of the batch and the row it was read from: ``sheet`` (a workbook's sheet, or the
    layout's sheet name for a CSV file) and ``row``, 1-based as a spreadsheet numbers them."""

    id: str
    sheet: str
    row: int


@dataclass(frozen=True)
class SourceRows(Kind):
    """A non-empty list of ``{"id": ..., "sheet": ..., "row": n}``, each id once; read back as a
    tuple of ``SourceRow``."""

    described: ClassVar[str] = "rows (a JSON list of objects: id, sheet, row)"
    example: ClassVar[list[dict[str, Any]]] = [{"id": "line-2012-A1", "sheet": "Linee", "row": 2}]

    def parse(self, value: Any, field: str) -> tuple[SourceRow, ...]:
        if isinstance(value, str):  # `append SourceImported --rows '[...]'`: the list as JSON text
            from events.parse import loads_strict

            value = loads_strict(value)
        if not isinstance(value, list | tuple) or not value:
            raise InvalidField(field, "must be a non-empty list of {id, sheet, row};"
                               f" got {json_type(value)}")
        rows, seen = [], set()
        for entry in value:
            if isinstance(entry, SourceRow):
                entry = entry._asdict()
            if not isinstance(entry, dict) or set(entry) != {"id", "sheet", "row"}:
                raise InvalidField(field, "each entry must be an object of id, sheet and row")
            row = SourceRow(Code("id").parse(entry["id"], f"{field}.id"),
                            Name("sheet").parse(entry["sheet"], f"{field}.sheet"),
                            Count("row", 1, 10**7).parse(entry["row"], f"{field}.row"))
            if row.id in seen:
                raise InvalidField(field, f"names the event {row.id!r} twice")
            seen.add(row.id)
            rows.append(row)
        return tuple(rows)

    def encode(self, value: tuple[SourceRow, ...]) -> list[dict[str, Any]]:
        return [row._asdict() for row in value]

    def decode(self, value: Any, field: str) -> tuple[SourceRow, ...]:
        return tuple(SourceRow(entry["id"], entry["sheet"], entry["row"]) for entry in value)


@dataclass(frozen=True)
class Sha256(Kind):
    """A SHA-256 digest, 64 lower-case hexadecimal digits."""

    described: ClassVar[str] = "SHA-256 (64 hexadecimal digits)"
    example: ClassVar[str] = "0" * 64

    def parse(self, value: Any, field: str) -> str:
        if not isinstance(value, str) or not _HEX64.fullmatch(value):
            raise InvalidField(field, "must be a SHA-256 digest: 64 lower-case hexadecimal digits")
        return value


class SourceImported(LedgerEvent):
    """Events were read from a spreadsheet: its name, its SHA-256, each event's sheet and row.

    The events named in ``rows`` were read from the file ``source`` (its name, without folders),
    whose bytes have the SHA-256 ``sha256``: each from a sheet and row of it.

    Written by ``perfledger import`` of a spreadsheet or CSV file, after the file's events, in
    the same batch; its id is derived from the digest (``source-<first 16 hex digits>-<part>``), so
    importing the same file again writes nothing. A file of more than ``MAX_ROWS`` events is
    described by several, ``part`` 1 to ``parts``. Its effective date is the latest of the file's
    events. ``explain`` names, for each event of a derivation, the file, sheet and row it came from.
    """

    KEYS = ("sha256", "part")
    source: Annotated[str, Name("source")]
    sha256: Annotated[str, Sha256("sha256")]
    part: Annotated[int, Count("part", 1, 10**6)]
    parts: Annotated[int, Count("parts", 1, 10**6)]
    rows: Annotated[tuple[SourceRow, ...], SourceRows("rows")]
