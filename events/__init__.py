"""The facts of the performance cycle: one immutable, versioned type per fact.

This package defines facts only; the ledger stores and checks them, the
projections fold them into figures.
"""

from __future__ import annotations

from events.actors import ActorRegistered, ActorRevoked
from events.base import GENESIS, LedgerEvent, Submission, dumps
from events.budget import (
    BudgetItemOpened,
    BudgetVaried,
    ReservationAdjusted,
    ReservationApproved,
    ReservationMade,
)
from events.corrections import EventCorrected
from events.errors import InvalidEvent, InvalidField, PerfledgerError, UnknownEventType
from events.measures import IndicatorMeasured
from events.migration import HistoryMigrated
from events.parse import event_type, parse_submission
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

__all__ = [
    "GENESIS",
    "ActorRegistered",
    "ActorRevoked",
    "BudgetItemOpened",
    "BudgetVaried",
    "EventCorrected",
    "HistoryMigrated",
    "IndicatorDefined",
    "IndicatorMeasured",
    "IndicatorStruck",
    "InvalidEvent",
    "InvalidField",
    "LedgerEvent",
    "LedgerOpened",
    "ObjectiveChanged",
    "ObjectiveDefined",
    "ObjectiveStruck",
    "PerfledgerError",
    "PlanOpened",
    "PolicyLineDefined",
    "ReservationAdjusted",
    "ReservationApproved",
    "ReservationMade",
    "SourceImported",
    "StrikeRevoked",
    "Submission",
    "UnknownEventType",
    "YearClosed",
    "YearReopened",
    "dumps",
    "event_type",
    "parse_submission",
]
