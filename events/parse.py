"""From a controller's JSON to a checked submission.

JSON is read strictly: duplicate keys, NaN and Infinity are refused, and
amounts must be strings (a JSON number would pass through a float).

Bytes are read one way for ``append --json``, ``import FILE`` and ``import -``
(``decode_json``, ``parse_jsonl``): UTF-8 only, one leading byte-order mark
ignored, JSON Lines split on ``\\n`` alone (a ``\\r`` before it is dropped), so
that a line separator inside a string (U+2028, U+0085) is the field's business.
"""

from __future__ import annotations

import difflib
import json
import mmap
from collections.abc import Iterator
from typing import Any, BinaryIO

from events.actors import ActorRegistered, ActorRevoked
from events.base import LedgerEvent, Submission, check_is_object, parse_fields
from events.budget import (
    BudgetItemOpened,
    BudgetVaried,
    ReservationAdjusted,
    ReservationApproved,
    ReservationMade,
)
from events.corrections import EventCorrected
from events.errors import InvalidEvent, UnknownEventType
from events.measures import IndicatorMeasured
from events.migration import HistoryMigrated
from events.plan import (
    IndicatorDefined,
    IndicatorStruck,
    LedgerOpened,
    ObjectiveChanged,
    ObjectiveDefined,
    ObjectiveStruck,
    PlanOpened,
    PolicyLineDefined,
    StrikeRevoked,
    YearClosed,
    YearReopened,
)
from events.sources import SourceImported

# Every fact type a controller may submit (LedgerOpened is written by `init` only).
SUBMITTABLE: tuple[type[LedgerEvent], ...] = (
    PlanOpened,
    PolicyLineDefined,
    ObjectiveDefined,
    IndicatorDefined,
    ObjectiveChanged,
    ObjectiveStruck,
    IndicatorStruck,
    StrikeRevoked,
    YearClosed,
    YearReopened,
    BudgetItemOpened,
    BudgetVaried,
    ReservationMade,
    ReservationApproved,
    ReservationAdjusted,
    IndicatorMeasured,
    EventCorrected,
    ActorRegistered,
    ActorRevoked,
    HistoryMigrated,
    SourceImported,
)
_EVERY: tuple[type[LedgerEvent], ...] = (LedgerOpened, *SUBMITTABLE)
ALL_TYPES: dict[str, type[LedgerEvent]] = {cls.TYPE: cls for cls in _EVERY}
_BY_SPELLING = {cls.TYPE.lower(): cls for cls in SUBMITTABLE}


def event_type(name: Any) -> type[LedgerEvent]:
    """The submittable type named ``name``: ``ReservationMade``, ``reservation-made`` or
    ``reservation_made``."""
    if not isinstance(name, str):
        raise UnknownEventType(f'"type" must be a string naming an event type, not {name!r}')
    spelling = name.replace("-", "").replace("_", "").lower()
    cls = _BY_SPELLING.get(spelling)
    if cls is None:
        near = difflib.get_close_matches(spelling, _BY_SPELLING, n=1)
        if near:
            raise UnknownEventType(f"unknown event type {name!r}; did you mean {_BY_SPELLING[near[0]].TYPE}?"
                                   " (perfledger types lists them)")
        known = ", ".join(c.TYPE for c in SUBMITTABLE)
        raise UnknownEventType(f"unknown event type {name!r}; known types: {known}")
    return cls


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise InvalidEvent(f"duplicate key {key!r} in the JSON object")
        seen[key] = value
    return seen


def _no_constant(name: str) -> Any:
    raise InvalidEvent(f"{name} is not a number perfledger accepts")


_STRICT = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constant)


def loads_strict(text: str) -> Any:
    """Parse JSON refusing duplicate keys, NaN and Infinity."""
    try:
        return _STRICT.decode(text)
    except json.JSONDecodeError as e:
        raise InvalidEvent(f"malformed JSON: {e.msg} at column {e.colno}") from None
    except ValueError as e:  # e.g. an integer too long to convert
        raise InvalidEvent(f"malformed JSON: {e}") from None
    except RecursionError:
        raise InvalidEvent("malformed JSON: nested too deeply") from None


BOM = b"\xef\xbb\xbf"
Buffer = bytes | mmap.mmap  # what a JSON Lines file is read from


def decode_utf8(data: bytes, *, of: str = "") -> str:
    """The text of ``data``, strict UTF-8; InvalidEvent naming the first bad byte (1-based) otherwise."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidEvent(
            f"not UTF-8 at byte {e.start + 1}{of} (0x{data[e.start]:02x}): save the file as UTF-8"
        ) from None


def decode_json(data: bytes, *, of: str = "") -> Any:
    """One JSON value from bytes: strict UTF-8, without a byte-order mark, then ``loads_strict``."""
    if data.startswith(BOM):
        raise InvalidEvent(
            "a byte-order mark (BOM) where a JSON value should start: were files joined? remove it"
        )
    return loads_strict(decode_utf8(data, of=of))


def parse_json(data: bytes) -> Any:
    """One JSON value (``append --json``), read as a line of ``parse_jsonl`` is, but it may span lines."""
    return decode_json(data.removeprefix(BOM))


def jsonl_lines(data: Buffer | BinaryIO) -> Iterator[tuple[int, bytes]]:
    """Each line of a JSON Lines file as (its 1-based line number, its bytes), blank ones too.

    ``data`` is bytes, a buffer (a memory-mapped file) or a binary file read from where it
    stands, line by line, so that a file is never held whole. One leading UTF-8 byte-order mark
    is skipped; lines end at ``\\n`` only, a trailing ``\\r`` (Windows) is dropped.
    """
    if not isinstance(data, (bytes, mmap.mmap)):
        number = 0
        for number, line in enumerate(data, 1):  # a binary file's lines end at b"\n" alone
            if number == 1:
                line = line.removeprefix(BOM)
            yield number, line.removesuffix(b"\n").removesuffix(b"\r")
        if number == 0 or line.endswith(b"\n"):
            yield number + 1, b""  # what follows the last "\n", as bytes.split gives it
        return
    size = len(data)
    start = len(BOM) if data[: len(BOM)] == BOM else 0
    number = 0
    while start <= size:
        end = data.find(b"\n", start)
        if end < 0:
            end = size
        number += 1
        yield number, bytes(data[start:end]).removesuffix(b"\r")
        start = end + 1


def parse_jsonl(data: Buffer | BinaryIO) -> Iterator[tuple[int, Any]]:
    """Each non-blank line of a JSON Lines file as (its 1-based line number, its JSON value).

    Read as ``jsonl_lines`` reads it (bytes, a memory-mapped file, a binary file). An error names
    its line.
    """
    for number, line in jsonl_lines(data):
        if not line.strip():
            continue
        try:
            yield number, decode_json(line, of=" of the line")
        except InvalidEvent as e:
            raise e.located(line=number) from None


def line_count(data: Buffer) -> int:
    """How many lines ``parse_jsonl`` reads in ``data`` (blank ones included): for a progress bar."""
    if isinstance(data, bytes):
        return data.count(b"\n") + (not data.endswith(b"\n"))
    count, size, chunk = 0, len(data), 1 << 24
    for start in range(0, size, chunk):
        count += bytes(data[start : start + chunk]).count(b"\n")
    return count + (size == 0 or data[size - 1 : size] != b"\n")


def parse_submission(obj: Any, *, allow_recorded_at: bool = False, stored: bool = False) -> Submission:
    """Check one submitted event's form; rules against the ledger come later. ``stored``: the content
    of an event already in a ledger, which may be of an earlier version of its type."""
    body = check_is_object(obj)
    if "type" not in body:
        raise InvalidEvent('the event has no "type"')
    event_id = body.get("id") if isinstance(body.get("id"), str) else None
    try:
        cls = event_type(body["type"])
        return parse_fields(cls, body, allow_recorded_at=allow_recorded_at, stored=stored)
    except InvalidEvent as e:
        raise e.located(event_id=event_id) from None
