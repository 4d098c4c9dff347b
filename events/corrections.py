"""Correcting facts: history is never edited, a mistake is fixed by a new event."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from events.base import LedgerEvent
from events.fields import Changes, Code, Optional, Text


class EventCorrected(LedgerEvent):
    """An earlier event (``corrects``, its id) is corrected: ``changes`` gives new field values.

    The correction counts from the moment it was recorded (``--known-at``); the corrected fact
    holds from its own effective date, which ``changes`` may move (``{"effective_date": ...}``),
    and the correction's ``effective_date`` must be the corrected fact's (as corrected). Identity
    and reference fields (the corrected type's KEYS) cannot be changed: record a new fact.
    ``override_reason`` (version 2) lets a correction leave an item's availability below zero.
    """

    class_version = 2
    earlier_versions: ClassVar[dict[int, tuple[str, ...]]] = {1: ("corrects", "reason", "changes")}
    KEYS = ("corrects",)
    corrects: Annotated[str, Code("corrects")]
    reason: Annotated[str, Text("reason")]
    changes: Annotated[dict[str, Any], Changes("changes")]
    override_reason: Annotated[str | None, Optional("override_reason", Text("override_reason"))]
