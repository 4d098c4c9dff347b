"""Which facts count at a point in time: the one rule for ``--as-of`` and ``--known-at``.

``as_of`` is an effective date: a fact counts if it is effective **on or
before** that day (``--as-of 2012-08-31`` includes everything effective on
31 August). ``known_at`` is a sequence number or a recorded-at instant: an
event counts if it was recorded **at or before** it. Recorded-at never goes
backwards along the chain, so "known at" always selects a prefix of the chain.

A correction (EventCorrected) replaces the corrected fact's fields as soon as
it is known, its effective date too when the correction moves it (``ledger.corrections``): a fact
holds from its current (corrected) effective date.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from events import EventCorrected, LedgerEvent, PlanOpened
from events.errors import PerfledgerError
from ledger.corrections import apply_changes


@dataclass(frozen=True)
class Cut:
    """A point in time for a replay: effective ``as_of`` and recorded ``known_at``."""

    as_of: date | None = None
    known_at: int | datetime | None = None

    def knows(self, event: LedgerEvent) -> bool:
        """Was ``event`` recorded by ``known_at``?"""
        if self.known_at is None:
            return True
        if isinstance(self.known_at, datetime):
            return event.recorded_at <= self.known_at
        return event.seq <= self.known_at

    def holds(self, day: date) -> bool:
        """Is a fact effective on ``day`` in force on ``as_of``? (on or before: inclusive)"""
        return self.as_of is None or day <= self.as_of


EVERYTHING = Cut()
"""The cut that counts every fact ever recorded: the year as it stands now."""


@dataclass(frozen=True, slots=True)
class Fact:
    """A fact as it stands at a cut: the current version and the events that made it."""

    current: LedgerEvent
    original: LedgerEvent
    corrections: tuple[EventCorrected, ...] = ()

    @property
    def sources(self) -> tuple[LedgerEvent, ...]:
        return (self.original, *self.corrections)

    @property
    def effective_date(self) -> date:
        """The day the fact holds from, as corrected (a correction may move it)."""
        return self.current.effective_date

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current, name)


class Known(list["Fact"]):
    """The facts known at ``known_at``, folded once and shared by the projections of one replay.

    A projection given a ``Known`` of the same ``known_at`` uses it as it is;
    of another, it folds its events again.
    """

    def __init__(
        self,
        facts: Iterable[Fact],
        known_at: int | datetime | None,
        events: list[LedgerEvent],
        partial: bool = False,
    ):
        super().__init__(facts)
        self.known_at = known_at
        self.events = events
        self.partial = partial  # folded from events of some types only
        self._by_type: dict[type[LedgerEvent], list[Fact]] | None = None

    def of_type(self, types: tuple[type[LedgerEvent], ...]) -> list[Fact]:
        """The facts of these types, in recording order (indexed by type on first use)."""
        if self._by_type is None:
            self._by_type = {}
            for fact in self:
                self._by_type.setdefault(type(fact.current), []).append(fact)
        found = [facts for cls, facts in self._by_type.items() if issubclass(cls, types)]
        if len(found) == 1:
            return found[0]
        return sorted((fact for facts in found for fact in facts), key=lambda fact: fact.original.seq)


Events = Iterable[LedgerEvent] | Known
"""What a projection folds: the events, or the facts another projection of the same replay already knew."""


def known_facts(events: Events, cut: Cut, *, partial: bool = False) -> Known:
    """Facts recorded by ``known_at``, with their corrections applied, in recording order.

    Facts are not yet filtered by ``as_of``: each projection asks
    ``cut.holds(fact.effective_date)`` where it needs to, so that explain can
    show what was left out and why. ``partial``: the projection asking reads
    some types of facts only (``PLAN_FACTS``), so the events may be of those
    types only: corrections of facts of other types are passed over, and the
    facts are marked partial, which a projection needing every fact refuses.
    """
    source: list[LedgerEvent]
    if isinstance(events, Known):
        if events.partial and not partial:
            raise ValueError(
                "these facts were folded from events of some types only; this projection needs all"
            )
        if events.known_at == cut.known_at:
            return events
        source = events.events
    else:
        source = list(events)
    facts: dict[str, Fact] = {}
    for event in source:
        if not cut.knows(event):
            break
        if isinstance(event, EventCorrected):
            if partial and event.corrects not in facts:
                continue
            fact = facts[event.corrects]
            corrected = apply_changes(fact.current, event.changes, event.event_id)
            facts[event.corrects] = dataclasses.replace(
                fact, current=corrected, corrections=(*fact.corrections, event)
            )
        else:
            facts[event.event_id] = Fact(event, event)
    return Known(facts.values(), cut.known_at, source, partial)


def in_force(facts: Iterable[Fact], cut: Cut) -> Iterator[Fact]:
    """The facts effective on or before ``as_of``."""
    return (fact for fact in facts if cut.holds(fact.effective_date))


def of_type(facts: Iterable[Fact], *types: type[LedgerEvent]) -> Iterator[Fact]:
    if isinstance(facts, Known):
        return iter(facts.of_type(types))
    return (fact for fact in facts if isinstance(fact.current, types))


class NoPlan(PerfledgerError):
    """No plan is open for the year asked (at the point in time asked)."""


def plan_of(facts: Iterable[Fact], cut: Cut, year: int | None) -> Fact:
    """The plan of ``year`` in force at the cut; without a year, the latest plan."""
    plans = {f.year: f for f in of_type(facts, PlanOpened) if cut.holds(f.effective_date)}
    return plans[plan_year(plans, cut, year)]


def plan_year(years: Iterable[int], cut: Cut, year: int | None) -> int:
    """``year`` if its plan is in force at the cut (of the plans in force, ``years``); without a year, the
    latest."""
    found = sorted(set(years))
    when = f" as of {cut.as_of}" if cut.as_of else ""
    if not found:
        raise NoPlan(f"the ledger holds no plan{when}; record a PlanOpened event first")
    chosen = found[-1] if year is None else year
    if chosen not in found:
        raise NoPlan(f"no plan is open for {chosen}{when}; plans: {', '.join(map(str, found))}")
    return chosen
