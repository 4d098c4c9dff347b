"""What a candidate fact refers to, looked up in the book: each missing thing is an ``UnknownReference``.

Also the plan year a fact belongs to and its window of effective dates.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

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
from ledger.errors import EffectiveDateOutsidePlan, UnknownReference

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
    return plan is not None and getattr(plan, "stored_version", plan.class_version) >= 2
