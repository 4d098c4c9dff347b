"""What a candidate fact refers to, looked up in the book: each missing thing is an ``UnknownReference``.

Also the plan year a fact belongs to and its window of effective dates.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from events import (
    BudgetItemOpened,
    BudgetVaried,
    IndicatorDefined,
    IndicatorMeasured,
    IndicatorStruck,
    LedgerEvent,
    ObjectiveChanged,
    ObjectiveDefined,
    ObjectiveStruck,
    PlanOpened,
    PolicyLineDefined,
    ReservationAdjusted,
    ReservationApproved,
    ReservationMade,
    StrikeRevoked,
    YearClosed,
    YearReopened,
)
from ledger.errors import EffectiveBeforeExistence, EffectiveDateOutsidePlan, UnknownReference

if TYPE_CHECKING:
    from ledger.book import Book
    from ledger.state import ItemState, ReservationState


def window(plan: PlanOpened) -> tuple[date, date]:
    """The effective dates a year's facts may carry: 1 January to 31 December plus the horizon."""
    return date(plan.year, 1, 1), date(plan.year, 12, 31) + timedelta(days=plan.horizon_days)


def year_of(book: Book, fact: LedgerEvent) -> int:
    """The plan year a fact belongs to, found through its references (which must exist)."""
    eid = fact.event_id
    if isinstance(fact, (PlanOpened, PolicyLineDefined, ObjectiveDefined, YearClosed, YearReopened)):
        return fact.year
    if isinstance(fact, (IndicatorDefined, ObjectiveChanged, ObjectiveStruck, BudgetItemOpened)):
        return objective(book, fact.objective, eid).year
    if isinstance(fact, (BudgetVaried, ReservationMade)):
        return item(book, fact.item, eid).year
    if isinstance(fact, (ReservationApproved, ReservationAdjusted)):
        return book.items[reservation(book, fact.reservation, eid).item].year
    if isinstance(fact, (IndicatorMeasured, IndicatorStruck)):
        return objective(book, indicator(book, fact.indicator, eid).objective, eid).year
    if isinstance(fact, StrikeRevoked):
        strike = book.fact(fact.strike)
        if not isinstance(strike, (ObjectiveStruck, IndicatorStruck)):
            raise UnknownReference(f"{fact.strike!r} is not a strike (ObjectiveStruck or IndicatorStruck)",
                                   event_id=eid)
        return year_of(book, strike)
    raise UnknownReference(f"{fact.TYPE} belongs to no plan year", event_id=eid)


def check_within_the_plan(book: Book, fact: LedgerEvent, year: int, plan: PlanOpened | None = None) -> None:
    """The fact's effective date lies in the window of the plan of ``year`` (which must be open)."""
    plan = plan or book.plans.get(year)
    if plan is None:
        raise UnknownReference(f"no plan is open for {year}; record PlanOpened first", event_id=fact.event_id)
    low, high = window(plan)
    if not low <= fact.effective_date <= high:
        raise EffectiveDateOutsidePlan(
            f"effective_date {fact.effective_date} is outside the plan of {year}"
            f" ({low} to {high}; the plan's horizon_days is {plan.horizon_days})",
            event_id=fact.event_id,
        )


def in_its_plan(book: Book, fact: LedgerEvent) -> int:
    """The plan year of a fact whose effective date has been checked to lie within that plan."""
    year = year_of(book, fact)
    check_within_the_plan(book, fact, year)
    return year


def objective(book: Book, code: str, eid: str, year: int | None = None) -> ObjectiveDefined:
    found = book.objectives.get(code)
    if found is None or (year is not None and found.year != year):
        raise UnknownReference(f"unknown objective {code!r}", event_id=eid)
    return found


def line(book: Book, year: int, code: str, eid: str) -> None:
    if (year, code) not in book.lines:
        raise UnknownReference(f"unknown policy line {code!r} in the plan of {year}", event_id=eid)


def item(book: Book, code: str, eid: str) -> ItemState:
    found = book.items.get(code)
    if found is None:
        raise UnknownReference(f"unknown budget item {code!r}", event_id=eid)
    return found


def indicator(book: Book, code: str, eid: str) -> IndicatorDefined:
    found = book.indicators.get(code)
    if found is None:
        raise UnknownReference(f"unknown indicator {code!r}", event_id=eid)
    return found


def reservation(book: Book, code: str, eid: str) -> ReservationState:
    found = book.reservation(code)
    if found is None:
        raise UnknownReference(f"unknown reservation {code!r}", event_id=eid)
    return found


def under_tree_rules(book: Book, year: int) -> bool:
    """Is the plan of ``year`` kept under the rules of the tree? True for a plan opened by this version
    (PlanOpened version 2, which declares its levels); a plan opened before keeps the rules its facts
    were written under, so a ledger made by an earlier version keeps verifying."""
    plan = book.plans.get(year)
    return plan is not None and tree_plan(plan)


def tree_plan(plan: PlanOpened) -> bool:
    """Is this plan kept under the rules of the tree? (see ``under_tree_rules``)"""
    return getattr(plan, "stored_version", plan.class_version) >= 2


class Existing(NamedTuple):
    """A thing a fact refers to, as it exists: from ``day``, made by event ``made_by`` (``made_as``,
    its type)."""

    kind: str
    code: str
    day: date
    made_by: str
    made_as: str


def check_exists_by_its_date(book: Book, fact: LedgerEvent) -> None:
    """Under the tree's rules, a fact is effective on or after the day each thing it refers to exists
    from: an objective, indicator, budget item, reservation or strike, from the effective date of
    the event that made it. (Things not found are left to the fact's own rule, which names them.)"""
    pick = REFERENCES.get(type(fact))
    for kind, code in () if pick is None else pick(fact):
        day = None if code is None else SINCE[kind](book, code)
        if day is None or fact.effective_date >= day:
            continue
        thing = existing(book, kind, str(code))
        if thing is not None and under_tree_rules(book, year_of(book, fact)):
            raise EffectiveBeforeExistence(
                f"{fact.TYPE} is effective {fact.effective_date}, before {thing.kind} {thing.code!r} exists:"
                f" {thing.made_as} {thing.made_by!r} makes it from {thing.day}",
                event_id=fact.event_id,
            )


def _objective_since(book: Book, code: str) -> date | None:
    found = book.objectives.get(code)
    return None if found is None else found.effective_date


def _indicator_since(book: Book, code: str) -> date | None:
    found = book.indicators.get(code)
    return None if found is None else found.effective_date


def _item_since(book: Book, code: str) -> date | None:
    found = book.items.get(code)
    return None if found is None else found.day


def _reservation_since(book: Book, code: str) -> date | None:
    found = book.reservation(code)
    return None if found is None else found.day


def _strike_since(book: Book, code: str) -> date | None:
    found = book.fact(code)
    return found.effective_date if isinstance(found, (ObjectiveStruck, IndicatorStruck)) else None


# The day each kind of thing exists from (None: the book holds no such thing), looked up cheaply:
# every fact asks, and only a fact dated before it needs the whole ``Existing``.
SINCE: dict[str, Callable[[Book, str], date | None]] = {
    "objective": _objective_since,
    "indicator": _indicator_since,
    "budget item": _item_since,
    "reservation": _reservation_since,
    "strike": _strike_since,
}


# What each type of fact refers to, as (kind, code) pairs (None: it names none), whose dates it must not
# precede. Not a budget item's objective: the budget is in force from 1 January, before the plan that
# names its objectives is approved (the seed: the 2012 budget from 01/01, the plan of 27/01/2012).
Refs = tuple[tuple[str, str | None], ...]
REFERENCES: dict[type[LedgerEvent], Callable[[Any], Refs]] = {
    ObjectiveDefined: lambda f: (("objective", f.parent), ("objective", f.predecessor)),
    IndicatorDefined: lambda f: (
        ("objective", f.objective), ("indicator", f.uses), ("indicator", f.compared_with)),
    ObjectiveChanged: lambda f: (("objective", f.objective), ("indicator", f.indicator)),
    ObjectiveStruck: lambda f: (("objective", f.objective),),
    IndicatorMeasured: lambda f: (("indicator", f.indicator),),
    IndicatorStruck: lambda f: (("indicator", f.indicator),),
    BudgetVaried: lambda f: (("budget item", f.item),),
    ReservationMade: lambda f: (("budget item", f.item),),
    ReservationApproved: lambda f: (("reservation", f.reservation),),
    ReservationAdjusted: lambda f: (("reservation", f.reservation),),
    StrikeRevoked: lambda f: (("strike", f.strike),),
}


def existing(book: Book, kind: str, code: str) -> Existing | None:
    """The thing of this kind and code as the book holds it (None: it holds none)."""
    made: tuple[date, str, str] | None = None
    if kind == "objective" or kind == "indicator":
        defined = (book.objectives if kind == "objective" else book.indicators).get(code)
        made = None if defined is None else (defined.effective_date, defined.event_id, defined.TYPE)
    elif kind == "budget item":
        held = book.items.get(code)
        made = None if held is None else (held.day, held.origin, "BudgetItemOpened")
    elif kind == "reservation":
        res = book.reservation(code)
        made = None if res is None else (res.day, res.origin, "ReservationMade")
    else:
        strike = book.fact(code)
        if isinstance(strike, (ObjectiveStruck, IndicatorStruck)):
            made = (strike.effective_date, strike.event_id, strike.TYPE)
    return None if made is None else Existing(kind, code, *made)
