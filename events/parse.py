"""From a controller's JSON to a checked submission.

JSON is read strictly: duplicate keys, NaN and Infinity are refused, and
amounts must be strings (a JSON number would pass through a float).
"""

from __future__ import annotations

import json
from typing import Any

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
    LedgerOpened,
    ObjectiveChanged,
    ObjectiveDefined,
    ObjectiveStruck,
    PlanOpened,
    PolicyLineDefined,
)

# Every fact type a controller may submit (LedgerOpened is written by `init` only).
SUBMITTABLE: tuple[type[LedgerEvent], ...] = (
    PlanOpened,
    PolicyLineDefined,
    ObjectiveDefined,
    IndicatorDefined,
    ObjectiveChanged,
    ObjectiveStruck,
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
)
_EVERY: tuple[type[LedgerEvent], ...] = (LedgerOpened, *SUBMITTABLE)
ALL_TYPES: dict[str, type[LedgerEvent]] = {cls.TYPE: cls for cls in _EVERY}
_BY_SPELLING = {cls.TYPE.lower(): cls for cls in SUBMITTABLE}


def event_type(name: Any) -> type[LedgerEvent]:
    """The submittable type named ``name``: ``ReservationMade``, ``reservation-made`` or ``reservation_made``."""
    if not isinstance(name, str):
        raise UnknownEventType(f'"type" must be a string naming an event type, not {name!r}')
    cls = _BY_SPELLING.get(name.replace("-", "").replace("_", "").lower())
    if cls is None:
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


def parse_submission(obj: Any, *, allow_recorded_at: bool = False) -> Submission:
    """Check one submitted event's form; rules against the ledger come later."""
    body = check_is_object(obj)
    if "type" not in body:
        raise InvalidEvent('the event has no "type"')
    event_id = body.get("id") if isinstance(body.get("id"), str) else None
    try:
        return parse_fields(event_type(body["type"]), body, allow_recorded_at=allow_recorded_at)
    except InvalidEvent as e:
        raise e.located(event_id=event_id) from None
