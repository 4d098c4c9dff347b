"""A correction applied: the original fact with the corrected fields (the ledger's rule for
EventCorrected)."""

from __future__ import annotations

import dataclasses
from typing import Any

from events import LedgerEvent
from events.errors import InvalidField
from ledger.errors import InvalidCorrection


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
    corrected = dataclasses.replace(original, **typed)
    if "stored_version" in original.__dict__:  # a fact of an earlier version stays of that version
        object.__setattr__(corrected, "stored_version", original.__dict__["stored_version"])
    return corrected
