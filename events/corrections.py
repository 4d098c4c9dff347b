"""Correcting facts: history is never edited, a mistake is fixed by a new event."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from events.base import LedgerEvent
from events.errors import InvalidField
from events.fields import Changes, Code, Text
from ledger.errors import InvalidCorrection


class EventCorrected(LedgerEvent):
    """An earlier event (``corrects``, its id) is corrected: ``changes`` gives new field values.

    The corrected fact keeps its own effective date; the correction counts
    from the moment it was recorded (``--known-at``). Identity and reference
    fields (the corrected type's KEYS) cannot be changed: record a new fact.
    """

    KEYS = ("corrects",)
    corrects: Annotated[str, Code("corrects")]
    reason: Annotated[str, Text("reason")]
    changes: Annotated[dict[str, Any], Changes("changes")]


def apply_changes(original: LedgerEvent, changes: dict[str, Any], correction_id: str, *,
                  strict: bool = True) -> LedgerEvent:
    """The original fact with a correction's new field values (checked by the original's kinds).

    ``strict=False`` folds a stored correction: a value the kinds of this version refuse but an
    earlier version accepted (the rules of input have tightened) is taken as it was stored.
    """
    kinds = original.payload_kinds()
    typed: dict[str, Any] = {}
    for name, raw in changes.items():
        if name not in kinds:
            raise InvalidCorrection(
                f"{original.TYPE} {original.event_id!r} has no field {name!r} to correct",
                event_id=correction_id,
            )
        if name in original.KEYS:
            raise InvalidCorrection(
                f"field {name!r} identifies {original.TYPE} {original.event_id!r} and cannot be corrected;"
                " record a new fact instead",
                event_id=correction_id,
            )
        try:
            typed[name] = kinds[name].parse(raw, name)
        except InvalidField as e:
            if strict:
                raise InvalidCorrection(f"changes.{e.message}", event_id=correction_id) from None
            typed[name] = kinds[name].decode(raw, name)
    return dataclasses.replace(original, **typed)
