"""The rules of a year's closing and reopening: an act closes a year of an open plan once it has ended
(YearClosed), and an act with a reason reopens a closed one (YearReopened). That the facts of a closed
year are refused is every fact's rule (``ledger.rules.check_year_is_open``).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from events import LedgerEvent, YearClosed, YearReopened
from ledger.errors import ActRequired, EffectiveDateOutsidePlan, UnknownReference, YearIsClosed, YearNotClosed
from ledger.references import under_tree_rules

if TYPE_CHECKING:
    from ledger.book import Book, Closure


def closed_by(book: Book, closure: Closure) -> str:
    """``YearClosed 'close-2012' (Delibera di Giunta n. 75 del 28/06/2013)``."""
    closing = book.fact(closure.closed_by)
    act = "" if closing is None or closing.act is None else f" ({closing.act})"
    return f"YearClosed {closure.closed_by!r}{act}"


def check_year_closed_by_an_act(book: Book, fact: YearClosed, replacing: bool) -> None:
    """The act approving the Relazione closes a year whose plan is open and which is not closed; under
    the tree rules, once the year has ended (effective after its 31 December)."""
    if fact.act is None:
        raise ActRequired(
            f"YearClosed needs the act approving the Relazione of {fact.year}: give its act"
            " (kind, number, date)", event_id=fact.event_id,
        )
    check_year_of_a_plan(book, fact, fact.year)
    if fact.effective_date <= date(fact.year, 12, 31) and under_tree_rules(book, fact.year):
        raise EffectiveDateOutsidePlan(
            f"YearClosed of {fact.year} is effective on {fact.effective_date}: a year is closed once it has"
            f" ended, after 31 December {fact.year} (the Relazione is approved in the following year)",
            event_id=fact.event_id,
        )
    closure = book.closings.get(fact.year)
    if closure is not None and closure.reopened_by is None and not replacing:
        raise YearIsClosed(
            f"the year {fact.year} is already closed by {closed_by(book, closure)}", event_id=fact.event_id
        )
    if not replacing and under_tree_rules(book, fact.year):
        check_closed_after_its_facts(book, fact)


def check_year_reopened_by_an_act(book: Book, fact: YearReopened, replacing: bool) -> None:
    """An act, with its reason, reopens a closed year (until a YearClosed closes it again)."""
    eid = fact.event_id
    if fact.act is None:
        raise ActRequired(f"YearReopened needs the act that reopens {fact.year}: give its act"
                          " (kind, number, date)", event_id=eid)
    if not fact.reason.strip():
        raise ActRequired(f"YearReopened needs a reason: why {fact.year} is reopened", event_id=eid)
    check_year_of_a_plan(book, fact, fact.year)
    closure = book.closings.get(fact.year)
    if replacing:
        return
    if closure is None:
        raise YearNotClosed(f"the year {fact.year} is not closed: there is nothing to reopen", event_id=eid)
    if closure.reopened_by is not None:
        raise YearNotClosed(
            f"the year {fact.year} is not closed: {closed_by(book, closure)} was already reopened by"
            f" YearReopened {closure.reopened_by!r}", event_id=eid,
        )
    if under_tree_rules(book, fact.year):
        check_reopened_after_its_closing(book, fact, closure)


def check_closed_after_its_facts(book: Book, fact: YearClosed) -> None:
    """A closing is effective on or after every fact of its year already recorded (``Book.latest``): no
    figure of the year moves after the day it was closed on."""
    latest = book.latest.get(fact.year)
    if latest is not None and fact.effective_date < latest:
        raise EffectiveDateOutsidePlan(
            f"YearClosed of {fact.year} is effective on {fact.effective_date}, before {latest}, the latest"
            f" effective date of a fact of {fact.year} already recorded: a year is closed on or after"
            " every fact of it", event_id=fact.event_id,
        )


def check_reopened_after_its_closing(book: Book, fact: YearReopened, closure: Closure) -> None:
    """A reopening is effective on or after the closing it reopens."""
    closing = book.fact(closure.closed_by)
    if closing is not None and fact.effective_date < closing.effective_date:
        raise EffectiveDateOutsidePlan(
            f"YearReopened of {fact.year} is effective on {fact.effective_date}, before"
            f" {closing.effective_date}, the effective date of {closed_by(book, closure)}: a year is"
            " reopened on or after the closing it reopens", event_id=fact.event_id,
        )


def check_year_of_a_plan(book: Book, fact: LedgerEvent, year: int) -> None:
    """The plan of ``year`` is open, and ``fact`` is effective once the year has begun (a Relazione is
    approved in the year after its own, so the plan's horizon does not bound it)."""
    if year not in book.plans:
        raise UnknownReference(f"no plan is open for {year}; record PlanOpened first", event_id=fact.event_id)
    if fact.effective_date < date(year, 1, 1):
        raise EffectiveDateOutsidePlan(
            f"effective_date {fact.effective_date} is before the year {year} begins", event_id=fact.event_id
        )
