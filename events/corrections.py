"""Correcting facts: history is never edited, a mistake is fixed by a new event."""

from __future__ import annotations

from typing import Annotated, Any

from events.base import LedgerEvent
from events.fields import Changes, Code, Text


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
