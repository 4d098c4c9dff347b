"""The rules of the budget: an item opened once, on its objective's policy line; variations,
reservations and adjustments within what the item has available (on every day from their effective
date on under the tree rules, ``ledger.availability``), unless an ``override_reason`` is given;
approvals within what is left of their reservation.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from events import (
    BudgetItemOpened,
    BudgetVaried,
    LedgerEvent,
    ReservationAdjusted,
    ReservationApproved,
    ReservationMade,
)
from ledger import availability
from ledger.amounts import euro
from ledger.errors import (
    AdjustmentInvalid,
    ApprovalExceedsReservation,
    DuplicateDefinition,
    OverReservation,
    RuleViolation,
    UnknownReference,
    VariationBelowReserved,
)
from ledger.references import in_its_plan, line, reservation, under_tree_rules
from ledger.rules_values import check_code_is_new

if TYPE_CHECKING:
    from ledger.book import Book


def check_item_is_new_on_its_objectives_line(book: Book, fact: BudgetItemOpened, replacing: bool) -> None:
    eid = fact.event_id
    year = in_its_plan(book, fact)
    check_code_is_new("budget item", fact.item, book.items, replacing, eid)
    if fact.line is not None:
        line(book, year, fact.line, eid)
    planned = book.objectives[fact.objective].line
    if planned is not None and planned != fact.line:
        raise UnknownReference(
            f"objective {fact.objective!r} belongs to policy line {planned!r}, not {fact.line!r}",
            event_id=eid,
        )


def check_variation_keeps_reserved(book: Book, fact: BudgetVaried, replacing: bool) -> None:
    """A variation leaves its item no less available than is reserved on it, unless an override
    reason is given: on any day from its effective date on, under the tree's rules
    (``ledger.availability``); as the sums stand, before."""
    year = in_its_plan(book, fact)
    found = unexcused_shortfall(book, fact, year, replacing)
    if found is not None:
        item = book.items[fact.item].amounts
        raise VariationBelowReserved(
            f"item {fact.item!r}: a variation of {euro(fact.amount)} would leave {euro(found.after)}"
            f" available{found.where}"
            + (f" (effective {fact.effective_date})" if found.where else
               f" (total {euro(item.total)}, net reserved {euro(item.reserved - item.adjusted)})")
            + "; give override_reason to vary beyond availability",
            event_id=fact.event_id,
        )


def check_reservation_fits_availability(book: Book, fact: ReservationMade, replacing: bool) -> None:
    """A new reservation within what its item has available, unless an override reason is given: on
    any day from its effective date on, under the tree's rules; as the sums stand, before."""
    eid = fact.event_id
    year = in_its_plan(book, fact)
    if book.reservation(fact.reservation) is not None and not replacing:
        raise DuplicateDefinition(f"reservation {fact.reservation!r} already exists", event_id=eid)
    found = unexcused_shortfall(book, fact, year, replacing)
    if found is not None:
        raise OverReservation(
            f"item {fact.item!r} has {euro(found.before)} available{found.where}; cannot reserve"
            f" {euro(fact.amount)}" + (f" effective {fact.effective_date}" if found.where else "")
            + " (give override_reason to reserve beyond availability)",
            event_id=eid,
        )


def check_approval_within_reservation(book: Book, fact: ReservationApproved, replacing: bool) -> None:
    """An approval within what is left of its reservation (it leaves Disponibile as it is): under the
    tree's rules, on every day from the day it counts from on."""
    year = in_its_plan(book, fact)
    res = reservation(book, fact.reservation, fact.event_id)
    left = res.net - res.approved
    if fact.amount > left:
        raise ApprovalExceedsReservation(
            f"reservation {fact.reservation!r} has {euro(left)} left to approve"
            f" (reserved {euro(res.amount)}, adjusted {euro(res.adjusted)},"
            f" approved {euro(res.approved)}); cannot approve {euro(fact.amount)}",
            event_id=fact.event_id,
        )
    if under_tree_rules(book, year):
        check_left_on_every_day(book, [(fact, +1)], ApprovalExceedsReservation, fact.event_id)


def check_adjustment_keeps_approved(book: Book, fact: ReservationAdjusted, replacing: bool) -> None:
    """A rettifica releases no more than is reserved and not approved (under the tree's rules, on every
    day from its effective date on), and reserves no more than
    is available (on any day from its effective date on, under the tree's rules)."""
    eid = fact.event_id
    year = in_its_plan(book, fact)
    res = reservation(book, fact.reservation, eid)
    net = res.net - fact.amount
    if net < res.approved:
        raise AdjustmentInvalid(
            f"reservation {fact.reservation!r}: releasing {euro(fact.amount)} would leave"
            f" {euro(net)} reserved, below the {euro(res.approved)} approved",
            event_id=eid,
        )
    if under_tree_rules(book, year):
        check_left_on_every_day(book, [(fact, +1)], AdjustmentInvalid, eid)
    found = unexcused_shortfall(book, fact, year, replacing)
    if found is not None:
        raise OverReservation(
            f"item {res.item!r} has {euro(found.before)} available{found.where}; an adjustment cannot"
            f" reserve {euro(-fact.amount)} more (give override_reason to reserve beyond availability)",
            event_id=eid,
        )


def unexcused_shortfall(book: Book, fact: BudgetVaried | ReservationMade | ReservationAdjusted, year: int,
                        replacing: bool) -> availability.Shortfall | None:
    """Where a new budget fact without an override reason would leave its item short (None: nowhere,
    or it gives a reason). In a correction's trial (``replacing``) nothing is asked here:
    ``check_correction_keeps_the_balances`` compares the balances before and after."""
    if replacing or fact.override_reason is not None:
        return None
    return availability.shortfall(book, fact, under_tree_rules(book, year))


def check_left_on_every_day(book: Book, facts: list[tuple[LedgerEvent, int]], error: type[RuleViolation],
                            eid: str, prefix: str = "") -> None:
    """Under the tree's rules: the facts (added +1, taken back -1) leave no day of a reservation with
    more approved than stays reserved (Prenotato - Rettificato), or more so than before."""
    found = availability.overdrawn(book, facts)
    if found is not None:
        days = availability.stretch(found.breach, date.min)
        raise error(
            f"{prefix}reservation {found.reservation!r} would have {euro(-found.breach.available)} more"
            f" approved than stays reserved (Prenotato - Rettificato){days}",
            event_id=eid,
        )
