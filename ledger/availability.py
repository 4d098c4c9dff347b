"""Availability along the effective dates: what budget facts would leave of each item's Disponibile on
every day from their effective dates on, as of everything recorded so far.

The rule (for plans under the rules of the tree, ``ledger.references.under_tree_rules``): a fact
may not leave any day's availability below zero lower than it was. A fact that raises the
availability, or lowers it only where it stays at or above zero, passes; one that lowers a day below
zero, or lowers further a day already below zero (by an override granted before), needs its own
``override_reason``. Approvals leave Disponibile as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from events import LedgerEvent
from ledger.amounts import ZERO
from ledger.book import budget_change
from ledger.state import AVAILABILITY_SIGN, LEFT_SIGN, Breach

if TYPE_CHECKING:
    from ledger.book import Book


class ItemBreach(NamedTuple):
    item: str
    breach: Breach


def moves(book: Book, facts: Iterable[tuple[LedgerEvent, int]]) -> dict[str, dict[date, Decimal]]:
    """How the facts, each added (+1) or taken back (-1), would move each item's availability, by day
    (the day each counts from, as the book folds it in: ``ledger.book.budget_change``)."""
    found: dict[str, dict[date, Decimal]] = {}
    for fact, sign in facts:
        change = budget_change(book, fact)
        if change is None:
            continue
        item = book.items.get(change.item)
        day = change.day if item is None else max(change.day, item.day)
        days = found.setdefault(change.item, {})
        days[day] = days.get(day, ZERO) + sign * AVAILABILITY_SIGN[change.column] * change.amount
    return found


def breach(book: Book, facts: Iterable[tuple[LedgerEvent, int]]) -> ItemBreach | None:
    """The first item on which the facts would leave a day's availability below zero and lower than it
    was (None: on none). Costs the days each item's availability changes on from the facts' days on."""
    for code, days in moves(book, facts).items():
        item = book.items.get(code)
        found = None if item is None else item.timeline.breach(days)  # a new item: its opening only adds
        if found is not None:
            return ItemBreach(code, found)
    return None


class Shortfall(NamedTuple):
    """A new budget fact's breach, as a message names it: the item, the days (``where``: "" when from
    the fact's own day on), its availability on the first of them before the fact and after it."""

    item: str
    where: str
    before: Decimal
    after: Decimal


def shortfall(book: Book, fact: LedgerEvent, along_the_dates: bool) -> Shortfall | None:
    """Where one new budget fact would leave its item short (None: nowhere). ``along_the_dates`` (the
    tree's rules): on any day from the day it counts from, O(1) when it is recorded in date order;
    else as the sums stand, in recording order (the rule of a plan of an earlier version)."""
    change = budget_change(book, fact)
    item = None if change is None else book.items.get(change.item)
    if change is None or item is None:
        return None
    move = AVAILABILITY_SIGN[change.column] * change.amount
    if not along_the_dates:  # only what lowers availability is refused, as along the dates
        has = item.amounts.available
        return Shortfall(item.item, "", has, has + move) if move < 0 and has + move < 0 else None
    day = max(change.day, item.day)
    found = item.timeline.lowered(day, move)
    return None if found is None else Shortfall(item.item, stretch(found, day), found.before, found.available)


def stretch(found: Breach, day: date) -> str:
    """The days of a breach, as a message says them: nothing when it runs from ``day`` (the fact's) on."""
    if found.until is None:
        return "" if found.since <= day else f" from {found.since} on"
    if found.until == found.since:
        return f" on {found.since}"
    return f" from {found.since} to {found.until}"


# -- what is left of a reservation to approve, along the dates (the tree's rules) ---------------------
class ReservationBreach(NamedTuple):
    reservation: str
    breach: Breach


def left_moves(book: Book, facts: Iterable[tuple[LedgerEvent, int]]) -> dict[str, dict[date, Decimal]]:
    """How the facts, each added (+1) or taken back (-1), would move what is left to approve of each
    reservation (Prenotato - Rettificato - Approvato), by day (the day each counts from, as the book
    folds it in: ``ReservationState.day_of``)."""
    found: dict[str, dict[date, Decimal]] = {}
    for fact, sign in facts:
        change = budget_change(book, fact)
        res = None if change is None else book.reservation(getattr(fact, "reservation", ""))
        if change is None or res is None or change.column not in LEFT_SIGN:
            continue
        item = book.items.get(res.item)
        day = res.day_of(change.column, fact.effective_date, date.min if item is None else item.day)
        days = found.setdefault(res.reservation, {})
        days[day] = days.get(day, ZERO) + sign * LEFT_SIGN[change.column] * change.amount
    return found


def overdrawn(book: Book, facts: Iterable[tuple[LedgerEvent, int]]) -> ReservationBreach | None:
    """The first reservation on which the facts would leave a day with more approved than stays reserved,
    and more so than before (None: on none)."""
    for code, days in left_moves(book, facts).items():
        res = book.reservation(code)
        found = None if res is None else res.left.breach(days)
        if found is not None:
            return ReservationBreach(code, found)
    return None
