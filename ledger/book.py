"""The ledger's state: what the rules need to know to check the next fact, folded from the events.

``Book`` folds stored facts (``apply``) without re-checking them — history was
checked under the rules in force when it was written — and checks a candidate
fact (``check``, the rules of ``ledger.rules``) against the current state
before it is appended. As it folds, it derives the read model's rows
(``ledger.readmodel``) when asked to (``record_derived``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

import orjson

from events import (
    ActorRegistered,
    ActorRevoked,
    BudgetItemOpened,
    BudgetVaried,
    EventCorrected,
    HistoryMigrated,
    IndicatorDefined,
    IndicatorMeasured,
    IndicatorStruck,
    LedgerEvent,
    LedgerOpened,
    ObjectiveDefined,
    ObjectiveStruck,
    PlanOpened,
    PolicyLineDefined,
    ReservationAdjusted,
    ReservationApproved,
    ReservationMade,
    StrikeRevoked,
    Submission,
    YearClosed,
    YearReopened,
)
from events.errors import PerfledgerError
from ledger import proofs
from ledger.amounts import BASE, Amounts
from ledger.book_lookups import Lookup, LookupsMixin
from ledger.corrections import apply_changes
from ledger.errors import IdConflict, UnknownReference
from ledger.readmodel import Derived, IdRow
from ledger.references import under_tree_rules, year_of
from ledger.state import ActorState, ItemState, ReservationState, Timeline

UNBOUNDED = 2**62


class Closure(NamedTuple):
    """A year's closing as the rules know it: the YearClosed in force, and the YearReopened after it
    (None while the year stays closed)."""

    closed_by: str
    reopened_by: str | None = None


class Book(LookupsMixin):
    """What the ledger must know to check the next fact.

    Built by folding every event, it holds everything. Restored from a
    snapshot (``restore``), it holds the small state (plans, lines,
    objectives, indicators, items, actors) and looks up in the store, through
    ``lookup``, the events, corrections and reservations a check asks about
    (``recorded_event``, ``fact``, ``reservation``: the dicts of the same names
    hold what is known so far).
    """

    def __init__(self, lookup: Lookup | None = None) -> None:
        self.lookup = lookup
        self.known = 0  # the sequence number of the last event folded in
        # Look-ups see the store as it was when the book was loaded: events after that are in memory,
        # and rows another writer commits meanwhile must not leak in (that writer wins the race instead).
        # While the book is loaded, each look-up is bounded by the event being folded in (``known``).
        self.stored = UNBOUNDED
        self.entity: str | None = None
        self.origin: str | None = None  # what the ledger's signatures and checkpoints name (event 1's)
        self.plans: dict[int, PlanOpened] = {}
        self.lines: dict[tuple[int, str], PolicyLineDefined] = {}
        self.objectives: dict[str, ObjectiveDefined] = {}
        # What is struck now, in recording order: objective or indicator code -> its strike's event id;
        # and each revoked strike's id -> the StrikeRevoked's. A revoked code may be struck again.
        self.struck: dict[str, str] = {}
        self.struck_indicators: dict[str, str] = {}
        self.revoked: dict[str, str] = {}
        # Each measured (indicator, period_end) -> the measurement's event id (one a period, tree rules).
        self.measured: dict[tuple[str, date], str] = {}
        self.indicators: dict[str, IndicatorDefined] = {}
        self.items: dict[str, ItemState] = {}
        self.actors: dict[str, ActorState] = {}
        self.closings: dict[int, Closure] = {}  # year -> its latest closing (YearClosed, YearReopened)
        # year -> the latest effective date a fact of that year has carried (closings and reopenings aside)
        self.latest: dict[int, date] = {}
        # What is known so far of the reservations, of the current (corrected) version of each fact,
        # and of each event as it was recorded; and the keys the store was asked about and lacks.
        self.reservations: dict[str, ReservationState] = {}
        self.facts: dict[str, LedgerEvent] = {}
        self.recorded: dict[str, LedgerEvent] = {}
        self._no_reservation: set[str] = set()
        self._no_fact: set[str] = set()
        self._unrecorded: set[str] = set()
        self.derived: Derived | None = None
        self.migrated: int | None = None  # events 1 to this were migrated (HistoryMigrated)
        self.passed_over: list[int] = []  # events folded in that could change nothing (see ``apply``)
        self._seq = 0
        # True only for a ledger being created by the batch now checked (Ledger.open): the one
        # batch in which a signed ledger's first controller may be registered.
        self.opening = False

    # -- idempotency -------------------------------------------------------
    def already_recorded(self, submission: Submission) -> bool:
        """True when the same event is already stored; IdConflict when the id holds other content."""
        event_id = submission.event_id
        stored = self.recorded_event(event_id)
        if stored is None:
            return False
        if stored.content_bytes != submission.content_bytes:
            raise IdConflict(
                "this id is already stored with different content; corrections need a new id"
                " and an EventCorrected event",
                event_id=event_id,
            )
        return True

    # -- folding stored facts ---------------------------------------------
    def apply(self, event: LedgerEvent) -> None:
        """Fold in a stored event, which the rules were checked against when it was written.

        An event written around the rules (by someone with the database in hand) may refer to what
        does not exist: it stays in the record but changes nothing it cannot, so that the ledger
        still opens, appends and reports; ``perfledger verify`` names it (``passed_over`` lists it).
        """
        self._seq = event.seq
        try:
            if isinstance(event, EventCorrected):
                self._apply_correction(event)
                self._date(self.facts[event.corrects])
            else:
                self.effect(event, +1)
                self._date(event)
                self._close(event)
                self._label(event, event.seq)
                reason = getattr(event, "override_reason", None)
                if reason is not None:
                    self._override(event, event.seq, event, reason)
        except (KeyError, PerfledgerError):
            self.passed_over.append(event.seq)
        corrects = event.corrects if isinstance(event, EventCorrected) else None
        original = self.fact(corrects) if corrects is not None else event
        self._id(event, corrects, getattr(original, "reservation", None))
        self.recorded[event.event_id] = event
        self.facts[event.event_id] = event
        self.known = event.seq

    def _apply_correction(self, event: EventCorrected) -> None:
        original = self.fact(event.corrects)
        if original is None:
            raise KeyError(event.corrects)
        corrected = apply_changes(original, event.changes, event.event_id, strict=False)
        self.effect(original, -1)
        try:
            self.effect(corrected, +1)
        except (KeyError, PerfledgerError):
            self.effect(original, +1)  # the correction refers to nothing: the original stands
            raise
        self.facts[event.corrects] = corrected
        self._label(corrected, original.seq)
        was, reason = getattr(original, "override_reason", None), getattr(corrected, "override_reason", None)
        if (was, original.effective_date) != (reason, corrected.effective_date) and (was or reason):
            self._override(original, original.seq, corrected, reason or "")  # "": withdrawn
        self._override(event, event.seq, corrected, event.override_reason)

    def _close(self, event: LedgerEvent) -> None:
        """A closing or reopening of a year, as recorded. Not an ``EFFECTS`` entry: a correction
        (which changes a closing's validation or a reopening's reason, never its year) is folded as
        the original taken back and the corrected put in, which must leave the closings as they are."""
        if isinstance(event, YearClosed):
            self.closings[event.year] = Closure(event.event_id)
        elif isinstance(event, YearReopened):
            self.closings[event.year] = self.closings[event.year]._replace(reopened_by=event.event_id)

    def _date(self, fact: LedgerEvent) -> None:
        """The latest effective date of the fact's year, as this fact leaves it (facts of no year pass)."""
        if isinstance(fact, (YearClosed, YearReopened)):
            return
        try:
            year = year_of(self, fact)
        except UnknownReference:
            return
        if fact.effective_date > self.latest.get(year, date.min):
            self.latest[year] = fact.effective_date

    def _id(self, event: LedgerEvent, corrects: str | None, reservation: str | None) -> None:
        if self.derived is not None and self._seq > self.derived.after:
            self.derived.identify(event, corrects, reservation)

    def _label(self, fact: LedgerEvent, origin: int) -> None:
        """What the budget table shows of a plan, line, objective or item, as this event leaves it."""
        if self.derived is not None and self._seq > self.derived.after:
            self.derived.label(self._seq, origin, fact, self.items)

    def _override(self, granted_by: LedgerEvent, origin: int, fact: LedgerEvent, reason: str | None) -> None:
        """The override ``granted_by`` an event (``reason``; "" withdrawn) on the item of budget ``fact``,
        for the read model: under the tree's rules only (a ledger of an earlier version keeps its rows)."""
        if reason is None or self.derived is None or self._seq <= self.derived.after:
            return
        change = budget_change(self, fact)
        item = None if change is None else self.items[change.item]
        if item is not None and under_tree_rules(self, item.year):
            self.derived.override(self._seq, origin, item, granted_by.event_id, reason, fact.effective_date)

    def effect(self, fact: LedgerEvent, sign: int) -> None:
        """Add (sign +1) or take back (sign -1) a fact's contribution to the state (see ``EFFECTS``)."""
        effect = EFFECTS.get(type(fact))
        if effect is not None:
            effect(self, fact, sign)

    def add(self, item: ItemState, column: str, amount: Decimal, day: date) -> None:
        """Add to an item's column from ``day`` on (or from the item's opening, if later): its sums, its
        availability along the effective dates, and its derived row."""
        item.add(column, amount, day)
        if self.derived is not None and self._seq > self.derived.after:
            self.derived.change(self._seq, item.item, column, max(day, item.day), amount)

    # -- snapshots ---------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The small state, as JSON-ready data: what ``restore`` needs besides the stored events."""
        definitions = (
            *self.plans.values(), *self.lines.values(), *self.objectives.values(), *self.indicators.values()
        )
        return {
            "entity": self.entity,
            "known": self.known,
            "definitions": [orjson.loads(fact.canonical_bytes) for fact in definitions],
            "struck": sorted(self.struck.items()),
            "struck_indicators": sorted(self.struck_indicators.items()),
            "revoked": sorted(self.revoked.items()),
            "measured": sorted([code, end.isoformat(), eid] for (code, end), eid in self.measured.items()),
            "items": [
                [
                    i.item, i.year, i.line, i.objective, i.day.isoformat(),
                    *(f"{getattr(i.amounts, c):f}" for c in BASE), i.origin, *i.timeline.rows(),
                ]
                for i in self.items.values()
            ],
            "actors": [[a.name, a.role, a.public_key, a.revoked] for a in self.actors.values()],
            "closings": [[year, *closure] for year, closure in self.closings.items()],
            "latest": sorted([year, day.isoformat()] for year, day in self.latest.items()),
            **({} if self.migrated is None else {"migrated": self.migrated}),
        }

    @classmethod
    def restore(
        cls, state: dict[str, Any], lookup: Lookup, decode: Callable[[dict[str, Any]], LedgerEvent]
    ) -> Book:
        book = cls(lookup)
        book.entity = state["entity"]
        book.known = state["known"]
        for body in state["definitions"]:
            book.effect(decode(body), +1)
        book.struck = dict(state["struck"])
        book.struck_indicators = dict(state["struck_indicators"])
        book.revoked = dict(state["revoked"])
        book.measured = {(code, date.fromisoformat(end)): eid for code, end, eid in state["measured"]}
        for item, year, line, objective, day, *sums, origin, days, changes in state["items"]:
            amounts = Amounts(*(Decimal(v) for v in sums))
            opened, timeline = date.fromisoformat(day), Timeline.of(days, changes)
            book.items[item] = ItemState(item, year, line, objective, amounts, opened, origin, timeline)
        for name, role, key, revoked in state["actors"]:
            book.actors[name] = ActorState(name, role, key, revoked)
        for year, closed_by, reopened_by in state["closings"]:
            book.closings[year] = Closure(closed_by, reopened_by)
        book.latest = {year: date.fromisoformat(day) for year, day in state["latest"]}
        book.migrated = state.get("migrated")
        return book

    def record_derived(self, after: int) -> None:
        """From now on, keep the derived rows (see ``Derived``) of the events after sequence number ``after``.

        Events already folded in (the ledger's opening, applied as the ledger is
        made) get their id rows now; they have no other derived rows.
        """
        self.derived = Derived(after)
        for event in self.recorded.values():
            if event.seq > after:
                self.derived.ids.append(IdRow(event.event_id, event.seq, None, None))


# -- each fact's effect on the state (sign +1: added, -1: taken back) --------
def _open_ledger(book: Book, fact: LedgerOpened, sign: int) -> None:
    if book.entity is None:  # event 1; another LedgerOpened breaks a rule and names nothing
        book.entity = fact.entity
        book.origin = origin_of(fact)


def origin_of(opened: LedgerOpened) -> str:
    """A ledger's origin, from its first event (named by its hash in a ledger made before origins)."""
    return proofs.ledger_origin({} if opened.origin is None else {"origin": opened.origin},
                                opened.canonical_bytes)


def _register_actor(book: Book, fact: ActorRegistered, sign: int) -> None:
    book.actors[fact.name] = ActorState(fact.name, fact.role, fact.public_key)


def _revoke_actor(book: Book, fact: ActorRevoked, sign: int) -> None:
    book.actors[fact.name].revoked = sign > 0


def _migrate(book: Book, fact: HistoryMigrated, sign: int) -> None:
    book.migrated = fact.upto if sign > 0 else None


def _open_plan(book: Book, fact: PlanOpened, sign: int) -> None:
    book.plans[fact.year] = fact


def _define_line(book: Book, fact: PolicyLineDefined, sign: int) -> None:
    book.lines[fact.year, fact.line] = fact


def _define_objective(book: Book, fact: ObjectiveDefined, sign: int) -> None:
    book.objectives[fact.objective] = fact


def _define_indicator(book: Book, fact: IndicatorDefined, sign: int) -> None:
    book.indicators[fact.indicator] = fact


def _strike(book: Book, fact: ObjectiveStruck | IndicatorStruck, sign: int) -> None:
    """A strike holds its code until revoked; taken back (a correction's trial), it lets it go."""
    struck, code = _struck_of(book, fact)
    if sign > 0 and fact.event_id not in book.revoked:
        struck[code] = fact.event_id
    elif sign < 0 and struck.get(code) == fact.event_id:
        del struck[code]


def _revoke_strike(book: Book, fact: StrikeRevoked, sign: int) -> None:
    strike = book.fact(fact.strike)
    if not isinstance(strike, (ObjectiveStruck, IndicatorStruck)):
        raise KeyError(fact.strike)
    struck, code = _struck_of(book, strike)
    if sign > 0:
        book.revoked[fact.strike] = fact.event_id
        if struck.get(code) == fact.strike:
            del struck[code]
    elif book.revoked.get(fact.strike) == fact.event_id:
        del book.revoked[fact.strike]
        struck.setdefault(code, fact.strike)


def _struck_of(book: Book, fact: ObjectiveStruck | IndicatorStruck) -> tuple[dict[str, str], str]:
    if isinstance(fact, ObjectiveStruck):
        return book.struck, fact.objective
    return book.struck_indicators, fact.indicator


def _measure(book: Book, fact: IndicatorMeasured, sign: int) -> None:
    key = (fact.indicator, fact.period_end)
    if sign > 0:
        book.measured.setdefault(key, fact.event_id)
    elif book.measured.get(key) == fact.event_id:
        del book.measured[key]


def _open_item(book: Book, fact: BudgetItemOpened, sign: int) -> None:
    if fact.item not in book.items:
        year = book.objectives[fact.objective].year
        book.items[fact.item] = ItemState(fact.item, year, fact.line, fact.objective, day=fact.effective_date,
                                          origin=fact.event_id)
    _add(book, fact, sign)


def _reserve(book: Book, fact: ReservationMade, sign: int) -> None:
    item = book.items[fact.item]
    res = book.reservation(fact.reservation)
    if res is None:
        res = ReservationState(fact.reservation, fact.item, day=max(fact.effective_date, item.day),
                               origin=fact.event_id)
        book.reservations[fact.reservation] = res
    _count(book, res, "reserved", fact, sign)
    _add(book, fact, sign)


def _approve(book: Book, fact: ReservationApproved, sign: int) -> None:
    _count(book, _known_reservation(book, fact.reservation), "approved", fact, sign)
    _add(book, fact, sign)


def _adjust(book: Book, fact: ReservationAdjusted, sign: int) -> None:
    _count(book, _known_reservation(book, fact.reservation), "adjusted", fact, sign)
    _add(book, fact, sign)


def _count(book: Book, res: ReservationState, column: str,
           fact: ReservationMade | ReservationApproved | ReservationAdjusted, sign: int) -> None:
    """A reservation's fact, added to its sums and to what is left of it along the dates."""
    res.add(column, sign * fact.amount, res.day_of(column, fact.effective_date, book.items[res.item].day))


def _add(book: Book, fact: LedgerEvent, sign: int) -> None:
    change = budget_change(book, fact)
    if change is not None:
        item, column, amount, day = change
        book.add(book.items[item], column, sign * amount, day)


class Change(NamedTuple):
    """What a budget fact adds to one column of one item, from ``day`` on (or from the item's opening,
    if later)."""

    item: str
    column: str
    amount: Decimal
    day: date


def budget_change(book: Book, fact: LedgerEvent) -> Change | None:
    """The column a budget fact adds to (None for other facts): the one statement of what each budget
    fact does to the sums, which the book folds in and the rules try out (``ledger.availability``).
    Approvals and adjustments count from their reservation's day, if later than their own."""
    if isinstance(fact, BudgetItemOpened):
        return Change(fact.item, "budget", fact.amount, fact.effective_date)
    if isinstance(fact, BudgetVaried):
        return Change(fact.item, "variations", fact.amount, fact.effective_date)
    if isinstance(fact, ReservationMade):
        return Change(fact.item, "reserved", fact.amount, fact.effective_date)
    if isinstance(fact, (ReservationApproved, ReservationAdjusted)):
        res = _known_reservation(book, fact.reservation)
        column = "approved" if isinstance(fact, ReservationApproved) else "adjusted"
        return Change(res.item, column, fact.amount, max(fact.effective_date, res.day))
    return None


def _known_reservation(book: Book, code: str) -> ReservationState:
    """The reservation a stored fact refers to; KeyError (the fact is passed over) if there is none."""
    res = book.reservation(code)
    if res is None:
        raise KeyError(code)
    return res


EFFECTS: dict[type[LedgerEvent], Callable[[Book, Any, int], None]] = {
    LedgerOpened: _open_ledger,
    ActorRegistered: _register_actor,
    ActorRevoked: _revoke_actor,
    HistoryMigrated: _migrate,
    PlanOpened: _open_plan,
    PolicyLineDefined: _define_line,
    ObjectiveDefined: _define_objective,
    IndicatorDefined: _define_indicator,
    ObjectiveStruck: _strike,
    IndicatorStruck: _strike,
    StrikeRevoked: _revoke_strike,
    IndicatorMeasured: _measure,
    BudgetItemOpened: _open_item,
    BudgetVaried: _add,
    ReservationMade: _reserve,
    ReservationApproved: _approve,
    ReservationAdjusted: _adjust,
}
