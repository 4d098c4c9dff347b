"""When a year was closed, by which acts, and whether it was reopened: what reports print under their header.

A year is closed by a YearClosed (its envelope's act approves the Relazione; ``validation`` is the
OIV's) and reopened by a YearReopened (an act and a reason). The closing shown is the year's latest
YearClosed, with the reopening recorded after it if any (the year then stands open again) and the
closings before it, each with its reopening (``earlier``). A closing or reopening counts at a cut if
it was known at ``known_at`` and is in force at ``as_of`` (the one rule of ``projections.facts``), so
a report as known before the closing shows none. Times are recorded-at instants (UTC).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from events import EventCorrected, PlanOpened, YearClosed, YearReopened
from events.fields import Act
from projections.facts import EVERYTHING, Cut, Events, Fact, NoPlan, in_force, known_facts, of_type, plan_year

if TYPE_CHECKING:
    from ledger.application import Store

CLOSING_FACTS = (PlanOpened, YearClosed, YearReopened, EventCorrected)
"""The facts ``closing`` reads (the plans, for the latest plan's year when none is asked)."""


@dataclass(frozen=True)
class Reopening:
    """A YearReopened: when it was recorded, the act that decided it, and why."""

    recorded_at: datetime
    act: Act | None
    reason: str
    event_id: str


@dataclass(frozen=True)
class Closing:
    """A YearClosed of ``year``: ``closed_at`` is when it was recorded, ``act`` the act approving the
    Relazione, ``validation`` the OIV's (None: not given); ``reopened`` the YearReopened recorded after it
    (at most one: a second needs a closing in between); ``earlier`` the year's closings before this one."""

    year: int
    event_id: str
    effective_date: date
    closed_at: datetime
    act: Act | None
    validation: Act | None
    reopened: tuple[Reopening, ...] = ()
    earlier: tuple[Closing, ...] = ()

    @property
    def is_closed(self) -> bool:
        """Does the year stand closed (not reopened since this closing)?"""
        return not self.reopened


def closing(events: Events, cut: Cut = EVERYTHING, year: int | None = None) -> Closing | None:
    """The closing of ``year`` (without one, of the latest plan's) at the cut; None if it was never closed."""
    known = known_facts(events, cut, partial=True)  # it reads CLOSING_FACTS only
    if year is None:
        try:
            year = plan_year((f.year for f in in_force(of_type(known, PlanOpened), cut)), cut, None)
        except NoPlan:
            return None
    cycles: list[Closing] = []
    for fact in in_force(of_type(known, YearClosed, YearReopened), cut):
        if fact.year != year:
            continue
        if isinstance(fact.current, YearClosed):
            cycles.append(_closing(fact))
        elif cycles:  # a reopening of nothing (written around the rules) is not shown
            cycles[-1] = dataclasses.replace(cycles[-1], reopened=(*cycles[-1].reopened, _reopening(fact)))
    if not cycles:
        return None
    return dataclasses.replace(cycles[-1], earlier=tuple(cycles[:-1]))


def closing_of(store: Store, cut: Cut = EVERYTHING, year: int | None = None,
               upto: int | None = None) -> Closing | None:
    """``closing`` read from a store (no event after ``upto``: another table of the same report was read
    to it)."""
    return closing(store.events(upto=upto, types=CLOSING_FACTS), cut, year)


def _closing(fact: Fact) -> Closing:
    return Closing(fact.year, fact.original.event_id, fact.effective_date, fact.original.recorded_at,
                   fact.current.act, fact.validation)


def _reopening(fact: Fact) -> Reopening:
    return Reopening(fact.original.recorded_at, fact.current.act, fact.reason, fact.original.event_id)
