"""A correction applied: the original fact with the corrected fields (the ledger's rule for
EventCorrected).

A correction may move a fact's effective date (``changes`` holding ``effective_date``) when the fact
happens on a day and nothing is kept by that day but the fact itself: a measurement, a change of
an objective, a strike or its revocation. The date of a definition (plan, line, objective,
indicator), of a budget fact (its amounts are kept by day in the budget's read model and
timeline) or of a year's closing cannot be moved: record the fact again instead.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from events import (
    IndicatorMeasured,
    IndicatorStruck,
    LedgerEvent,
    ObjectiveChanged,
    ObjectiveStruck,
    StrikeRevoked,
)
from events.errors import InvalidField
from events.fields import Day
from ledger.errors import InvalidCorrection


def apply_changes(original: LedgerEvent, changes: dict[str, Any], correction_id: str, *,
                  strict: bool = True) -> LedgerEvent:
    """The original fact with a correction's new field values (checked by the original's kinds).

    ``strict=False`` folds a stored correction: a value the kinds of this version refuse but an
    earlier version accepted (the rules of input have tightened) is taken as it was stored.
    """
    kinds = original.payload_kinds()
    if isinstance(original, DATED):
        kinds = {**kinds, **MOVABLE}
    typed: dict[str, Any] = {}
    for name, raw in changes.items():
        if name in MOVABLE and name not in kinds:
            raise InvalidCorrection(
                f"the effective date of {original.TYPE} {original.event_id!r} cannot be corrected:"
                f" {why_not_movable(original)}",
                event_id=correction_id,
            )
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


# The facts whose effective date a correction may move, and the field it is moved by.
DATED = (IndicatorMeasured, ObjectiveChanged, ObjectiveStruck, IndicatorStruck, StrikeRevoked)
MOVABLE = {"effective_date": Day("effective_date")}
BUDGET_TYPES = frozenset({"BudgetItemOpened", "BudgetVaried", "ReservationMade", "ReservationApproved",
                          "ReservationAdjusted"})


def why_not_movable(fact: LedgerEvent) -> str:
    if fact.TYPE in BUDGET_TYPES:
        return ("the budget keeps its amounts by that day; correct its amount to 0 and record it again"
                " with the right date")
    return ("the facts that refer to it were checked against it; only a measurement, a change of an"
            " objective, a strike and a revocation may be moved")
