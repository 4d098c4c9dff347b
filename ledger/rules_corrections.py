"""The rules of a correction (EventCorrected): a trial of the corrected fact in place of the original.

The corrected fact passes its own rules (the dispatch's ``check_fact``, passed in by ``ledger.rules``),
is dated as the fact it corrects, and breaks no balance: approvals within reservations, and no day's
availability lowered below zero (``ledger.availability``) without an ``override_reason``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from events import (
    ActorRegistered,
    ActorRevoked,
    BudgetItemOpened,
    BudgetVaried,
    EventCorrected,
    IndicatorMeasured,
    LedgerEvent,
    LedgerOpened,
    ReservationAdjusted,
    ReservationApproved,
    ReservationMade,
    SourceImported,
    YearClosed,
    YearReopened,
)
from ledger import availability
from ledger.amounts import euro
from ledger.corrections import DATED, apply_changes
from ledger.errors import (
    AdjustmentInvalid,
    ApprovalExceedsReservation,
    InvalidCorrection,
    OverReservation,
    UnknownReference,
    VariationBelowReserved,
)
from ledger.references import check_within_the_plan, reservation, under_tree_rules, year_of
from ledger.rules_budget import check_left_on_every_day
from ledger.rules_measures import check_collected_by, recorded_day

if TYPE_CHECKING:
    from ledger.book import Book

# The refusals of the budget's balances that a correction's trial rewords as the correction's own.
BALANCES = (OverReservation, ApprovalExceedsReservation, AdjustmentInvalid, VariationBelowReserved)


def check_correction_keeps_the_balances(book: Book, fact: EventCorrected, replacing: bool, *,
                                       check_fact: Callable[[Book, LedgerEvent, bool], None]) -> None:
    """The corrected fact passes its own rules in place of the original, and breaks no balance.

    A trial: the original's effects are taken back, the corrected fact's checked and applied,
    the balances compared, and everything put back as it was (no derived rows meanwhile).
    ``check_fact`` is the dispatch's (``ledger.rules.check_fact``): a fact's own rules.
    """
    original = book.fact(fact.corrects)
    if original is None:
        raise UnknownReference(f"corrects unknown event {fact.corrects!r}", event_id=fact.event_id)
    if isinstance(original, (LedgerOpened, EventCorrected, ActorRegistered, ActorRevoked, SourceImported)):
        raise InvalidCorrection(
            f"{original.TYPE} {fact.corrects!r} cannot be corrected; correct the original fact",
            event_id=fact.event_id,
        )
    corrected = apply_changes(original, fact.changes, fact.event_id)
    if not isinstance(original, (YearClosed, YearReopened)):  # a year is closed after its plan's window
        check_within_the_plan(book, fact, year_of(book, original))
    check_correction_dated_as_its_fact(book, fact, original, corrected)
    if isinstance(corrected, IndicatorMeasured) and under_tree_rules(book, year_of(book, original)):
        check_collected_by(corrected, recorded_day(fact), "correction", fact.event_id)
    items, reservations = touched(book, original)
    before = {code: book.items[code].amounts.available for code in items}
    derived, book.derived = book.derived, None  # a trial: no derived rows
    book.effect(original, -1)
    try:
        check_fact(book, corrected, True)
        check_override_kept(book, fact, original, corrected)
        book.effect(corrected, +1)
        try:
            check_balances(book, fact, corrected, items, reservations, before)
        finally:
            book.effect(corrected, -1)
    except BALANCES as e:
        raise type(e)(f"the correction would break a rule: {e.message}", event_id=fact.event_id) from None
    finally:
        book.effect(original, +1)
        book.derived = derived
    check_correction_keeps_availability(book, fact, original, corrected)
    if under_tree_rules(book, year_of(book, original)):
        check_left_on_every_day(book, [(original, -1), (corrected, +1)], ApprovalExceedsReservation,
                                fact.event_id, "the correction would break a rule: ")


def check_override_kept(book: Book, correction: EventCorrected, original: LedgerEvent,
                        corrected: LedgerEvent) -> None:
    """Under the tree's rules, a correction that withdraws a budget fact's ``override_reason`` is checked
    as if the corrected fact were new (the book holds the original taken back): it may not leave a day
    below zero, or further below, unless the correction gives an ``override_reason`` of its own."""
    if (getattr(original, "override_reason", None) is None or getattr(corrected, "override_reason", None)
            is not None or correction.override_reason is not None):
        return
    if not under_tree_rules(book, year_of(book, original)):
        return
    found = availability.breach(book, [(corrected, +1)])
    if found is not None:
        where = availability.stretch(found.breach, corrected.effective_date)
        raise OverReservation(
            f"without the override of {original.TYPE} {original.event_id!r}, item {found.item!r} would have"
            f" {euro(found.breach.available)} available{where} (give override_reason to keep it)"
        )


def check_correction_dated_as_its_fact(book: Book, fact: EventCorrected, original: LedgerEvent,
                                       corrected: LedgerEvent) -> None:
    """Under the tree rules a correction is effective when the fact it corrects is (as corrected):
    its own date is not a second, silently ignored date of the fact."""
    if fact.effective_date == corrected.effective_date or not under_tree_rules(book, year_of(book, original)):
        return
    moved = ", as corrected" if corrected.effective_date != original.effective_date else ""
    movable = isinstance(original, DATED)
    hint = "; to move the fact's own date, put effective_date in changes" if movable else ""
    raise InvalidCorrection(
        f"a correction is effective when the fact it corrects is: give effective_date"
        f" {corrected.effective_date} (that of {original.TYPE} {original.event_id!r}{moved}), not"
        f" {fact.effective_date}{hint}",
        event_id=fact.event_id,
    )


def touched(book: Book, fact: LedgerEvent) -> tuple[set[str], set[str]]:
    """The items and reservations whose sums a budget fact feeds."""
    if isinstance(fact, (BudgetItemOpened, BudgetVaried)):
        return {fact.item}, set()
    if isinstance(fact, ReservationMade):
        return {fact.item}, {fact.reservation}
    if isinstance(fact, (ReservationApproved, ReservationAdjusted)):
        return {reservation(book, fact.reservation, fact.event_id).item}, {fact.reservation}
    return set(), set()


def check_balances(book: Book, correction: EventCorrected, fact: LedgerEvent, items: set[str],
                   reservations: set[str], before: dict[str, Decimal]) -> None:
    """After a corrected fact: approvals within reservations; and, for a plan kept under its earlier
    rules, no availability lost below zero as the sums stand (the tree's rules look at every day:
    ``check_correction_keeps_availability``)."""
    for code in reservations:
        res = reservation(book, code, fact.event_id)
        if res.approved > res.net:
            raise ApprovalExceedsReservation(
                f"reservation {code!r} would hold {euro(res.net)} with {euro(res.approved)} already approved"
            )
    override = correction.override_reason is not None or getattr(fact, "override_reason", None) is not None
    for code in items:
        if override or under_tree_rules(book, book.items[code].year):
            continue
        now = book.items[code].amounts.available
        if now < 0 and now < before[code]:
            raise OverReservation(f"item {code!r} would have {euro(now)} available")


def check_correction_keeps_availability(book: Book, correction: EventCorrected, original: LedgerEvent,
                                        corrected: LedgerEvent) -> None:
    """Under the tree's rules, a correction lowers no day's availability below zero, or further below
    it, unless it gives its own ``override_reason`` (the corrected fact's reason was given for it as
    it stood). Lowering an over-reserved reservation raises availability: it passes."""
    if correction.override_reason is not None or not under_tree_rules(book, year_of(book, original)):
        return
    found = availability.breach(book, [(original, -1), (corrected, +1)])
    if found is not None:
        where = availability.stretch(found.breach, corrected.effective_date)
        raise OverReservation(
            f"the correction would break a rule: item {found.item!r} would have"
            f" {euro(found.breach.available)} available{where}"
            " (give override_reason to correct beyond availability)",
            event_id=correction.event_id,
        )
