"""The append-time rules: one check per fact type, a pure function of the book and the candidate fact.

``check_rules`` dispatches a fact to its check in ``CHECKS``; each check raises a named
``RuleViolation`` carrying the ids involved. ``replacing`` is True when the fact is the corrected
version of one already in the book (a correction's trial): it may then define what already exists.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

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
from ledger import availability, signers
from ledger.amounts import euro
from ledger.corrections import apply_changes
from ledger.errors import (
    AdjustmentInvalid,
    ApprovalExceedsReservation,
    DuplicateDefinition,
    EffectiveDateOutsidePlan,
    InvalidCorrection,
    OverReservation,
    PlanParametersInvalid,
    UnknownReference,
    ValueDoesNotFitIndicator,
    VariationBelowReserved,
    WeightOutOfRange,
)
from ledger.references import (
    check_exists_by_its_date,
    check_within_the_plan,
    in_its_plan,
    indicator,
    line,
    objective,
    reservation,
    under_tree_rules,
    window,
    year_of,
)

if TYPE_CHECKING:
    from ledger.book import Book

# Objectives, indicators, items and reservations are keyed by their code across the ledger's years.
UNIQUE_CODES = " (codes are unique across the ledger's years: give another year's its own, e.g. 2013/01)"
HUNDRED = Decimal(100)
BALANCES = (OverReservation, ApprovalExceedsReservation, AdjustmentInvalid, VariationBelowReserved)


def check(book: Book, fact: LedgerEvent) -> None:
    """Raise a RuleViolation if ``fact`` may not be appended to ``book`` now (its signature too)."""
    check_rules(book, fact, signature=True)


def check_rules(book: Book, fact: LedgerEvent, *, signature: bool = False) -> None:
    """The rules of ``check``; the signature's only if asked (verify checks signatures on the chain)."""
    try:
        if signature:
            signers.check_signed_by_a_registered_controller(book, fact)
        check_fact(book, fact, False)
    except UnknownReference as e:
        raise e.located(event_id=fact.event_id) from None


def check_fact(book: Book, fact: LedgerEvent, replacing: bool) -> None:
    """A fact's own rules (``CHECKS``), then the one rule of every fact: it is effective on or after
    the day each thing it refers to exists from (``check_exists_by_its_date``)."""
    CHECKS.get(type(fact), check_belongs_to_a_plan)(book, fact, replacing)
    check_exists_by_its_date(book, fact)


# -- the ledger, its actors, its history --------------------------------------
def check_ledger_opened_only_as_event_1(book: Book, fact: LedgerOpened, replacing: bool) -> None:
    raise DuplicateDefinition(
        "the ledger is already open: LedgerOpened is event 1 only", event_id=fact.event_id
    )


def check_actor_not_registered_yet(book: Book, fact: ActorRegistered, replacing: bool) -> None:
    """A new actor, with a sound key (a weak one would let a fixed signature verify on anything)."""
    signers.sound_key(fact)
    current = book.actors.get(fact.name)
    if current is not None and not current.revoked:
        raise DuplicateDefinition(f"actor {fact.name!r} is already registered", event_id=fact.event_id)


def check_revoked_actor_is_registered(book: Book, fact: ActorRevoked, replacing: bool) -> None:
    current = book.actors.get(fact.name)
    if current is None or current.revoked:
        raise UnknownReference(f"no registered key of actor {fact.name!r} to revoke", event_id=fact.event_id)


def check_migration_declared_once_after_its_events(
    book: Book, fact: HistoryMigrated, replacing: bool
) -> None:
    """A migration is declared once, right after the events it covers (all of them, from event 1)."""
    if book.migrated is not None:
        raise DuplicateDefinition(f"events 1 to {book.migrated} were already declared migrated",
                                  event_id=fact.event_id)
    if fact.upto != fact.seq - 1:
        raise InvalidCorrection(
            f"HistoryMigrated as event {fact.seq} must cover events 1 to {fact.seq - 1}, not to {fact.upto}",
            event_id=fact.event_id,
        )


# -- corrections -----------------------------------------------------------
def check_correction_keeps_the_balances(book: Book, fact: EventCorrected, replacing: bool) -> None:
    """The corrected fact passes its own rules in place of the original, and breaks no balance.

    A trial: the original's effects are taken back, the corrected fact's checked and applied,
    the balances compared, and everything put back as it was (no derived rows meanwhile).
    """
    original = book.fact(fact.corrects)
    if original is None:
        raise UnknownReference(f"corrects unknown event {fact.corrects!r}", event_id=fact.event_id)
    if isinstance(original, (LedgerOpened, EventCorrected, ActorRegistered, ActorRevoked)):
        raise InvalidCorrection(
            f"{original.TYPE} {fact.corrects!r} cannot be corrected; correct the original fact",
            event_id=fact.event_id,
        )
    corrected = apply_changes(original, fact.changes, fact.event_id)
    check_within_the_plan(book, fact, year_of(book, original))
    items, reservations = touched(book, original)
    before = {code: book.items[code].amounts.available for code in items}
    derived, book.derived = book.derived, None  # a trial: no derived rows
    book.effect(original, -1)
    try:
        check_fact(book, corrected, True)
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


# -- the plan -----------------------------------------------------------------
def check_plan_parameters(book: Book, fact: PlanOpened, replacing: bool) -> None:
    eid = fact.event_id
    if fact.year in book.plans and not replacing:
        raise DuplicateDefinition(f"the plan of {fact.year} is already open", event_id=eid)
    check_within_the_plan(book, fact, fact.year, plan=fact)
    for name in ("band_achieved", "band_partly"):
        check_percent(getattr(fact, name), name, eid)
    if fact.band_partly > fact.band_achieved:
        raise PlanParametersInvalid(
            f"band_partly {fact.band_partly} is above band_achieved {fact.band_achieved}", event_id=eid
        )
    if not 0 <= fact.deadline_penalty <= 1:
        raise PlanParametersInvalid(
            f"deadline_penalty {fact.deadline_penalty} must lie between 0 and 1 (0.02 = 2% a day)",
            event_id=eid,
        )


def check_belongs_to_a_plan(book: Book, fact: LedgerEvent, replacing: bool) -> None:
    in_its_plan(book, fact)


def check_policy_line_is_new(book: Book, fact: PolicyLineDefined, replacing: bool) -> None:
    year = in_its_plan(book, fact)
    if (year, fact.line) in book.lines and not replacing:
        raise DuplicateDefinition(
            f"policy line {fact.line!r} of {year} already exists", event_id=fact.event_id
        )


def check_objective_is_new_and_placed(book: Book, fact: ObjectiveDefined, replacing: bool) -> None:
    """A new objective, under a parent objective and on a policy line of its own year, if it names them."""
    eid = fact.event_id
    year = in_its_plan(book, fact)
    if fact.objective in book.objectives and not replacing:
        raise DuplicateDefinition(f"objective {fact.objective!r} already exists{UNIQUE_CODES}", event_id=eid)
    if fact.parent is not None:
        objective(book, fact.parent, eid, year)
    if fact.line is not None:
        line(book, year, fact.line, eid)


def check_indicator_is_new_and_fits(book: Book, fact: IndicatorDefined, replacing: bool) -> None:
    eid = fact.event_id
    in_its_plan(book, fact)
    if fact.indicator in book.indicators and not replacing:
        raise DuplicateDefinition(f"indicator {fact.indicator!r} already exists{UNIQUE_CODES}", event_id=eid)
    check_percent(fact.weight, "weight", eid)
    check_value_kind(fact.direction, fact.target, "target", fact.indicator, eid)


def check_change_fits_the_objectives_indicator(book: Book, fact: ObjectiveChanged, replacing: bool) -> None:
    """A new weight or target names an indicator of the objective, and fits it."""
    eid = fact.event_id
    in_its_plan(book, fact)
    if fact.indicator is None:
        if fact.weight is not None or fact.target is not None:
            raise UnknownReference("a change of weight or target must name its indicator", event_id=eid)
        return
    found = indicator(book, fact.indicator, eid)
    if found.objective != fact.objective:
        raise UnknownReference(
            f"indicator {fact.indicator!r} belongs to objective {found.objective!r}, not {fact.objective!r}",
            event_id=eid,
        )
    if fact.weight is not None:
        check_percent(fact.weight, "weight", eid)
    if fact.target is not None:
        check_value_kind(found.direction, fact.target, "target", fact.indicator, eid)


def check_objective_struck_once(book: Book, fact: ObjectiveStruck, replacing: bool) -> None:
    in_its_plan(book, fact)
    if fact.objective in book.struck and not replacing:
        raise DuplicateDefinition(f"objective {fact.objective!r} is already struck", event_id=fact.event_id)


def check_measurement_fits_indicator(book: Book, fact: IndicatorMeasured, replacing: bool) -> None:
    """A measured indicator, a value of its kind, for a period ending within the plan."""
    eid = fact.event_id
    year = in_its_plan(book, fact)
    found = book.indicators[fact.indicator]
    if found.source != "measured":
        raise ValueDoesNotFitIndicator(
            f"indicator {fact.indicator!r} is {found.source}: the ledger computes it, it is not measured",
            event_id=eid,
        )
    check_value_kind(found.direction, fact.value, "value", fact.indicator, eid)
    low, high = window(book.plans[year])
    if not low <= fact.period_end <= high:
        raise EffectiveDateOutsidePlan(
            f"period_end {fact.period_end} is outside the plan of {year} ({low} to {high})", event_id=eid
        )


def check_percent(value: Decimal, name: str, eid: str) -> None:
    if not 0 <= value <= HUNDRED:
        raise WeightOutOfRange(f"{name} {value} is outside 0-100 (%)", event_id=eid)


def check_value_kind(direction: str, value: str, name: str, indicator: str, eid: str) -> None:
    """A deadline indicator's value is a date, any other's a number; ND (not available) fits all."""
    if value == "ND":
        return
    is_date = "-" in value[1:]
    if (direction == "deadline") != is_date:
        wanted = "a date (YYYY-MM-DD)" if direction == "deadline" else "a decimal number"
        raise ValueDoesNotFitIndicator(
            f"{name} {value!r} does not fit {direction} indicator {indicator!r}: expected {wanted} or ND",
            event_id=eid,
        )


# -- the budget ---------------------------------------------------------------
def check_item_is_new_on_its_objectives_line(book: Book, fact: BudgetItemOpened, replacing: bool) -> None:
    eid = fact.event_id
    year = in_its_plan(book, fact)
    if fact.item in book.items and not replacing:
        raise DuplicateDefinition(f"budget item {fact.item!r} already exists{UNIQUE_CODES}", event_id=eid)
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
    if replacing or fact.override_reason is not None:
        return  # a correction's trial: ``check_correction_keeps_the_balances`` compares
    found = availability.shortfall(book, fact, under_tree_rules(book, year))
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
    if replacing or fact.override_reason is not None:
        return
    found = availability.shortfall(book, fact, under_tree_rules(book, year))
    if found is not None:
        raise OverReservation(
            f"item {fact.item!r} has {euro(found.before)} available{found.where}; cannot reserve"
            f" {euro(fact.amount)}" + (f" effective {fact.effective_date}" if found.where else "")
            + " (give override_reason to reserve beyond availability)",
            event_id=eid,
        )


def check_approval_within_reservation(book: Book, fact: ReservationApproved, replacing: bool) -> None:
    """An approval within what is left of its reservation (it leaves Disponibile as it is)."""
    in_its_plan(book, fact)
    res = reservation(book, fact.reservation, fact.event_id)
    left = res.net - res.approved
    if fact.amount > left:
        raise ApprovalExceedsReservation(
            f"reservation {fact.reservation!r} has {euro(left)} left to approve"
            f" (reserved {euro(res.amount)}, adjusted {euro(res.adjusted)},"
            f" approved {euro(res.approved)}); cannot approve {euro(fact.amount)}",
            event_id=fact.event_id,
        )


def check_adjustment_keeps_approved(book: Book, fact: ReservationAdjusted, replacing: bool) -> None:
    """A rettifica releases no more than is reserved and not approved, and reserves no more than
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
    if replacing or fact.override_reason is not None:
        return
    found = availability.shortfall(book, fact, under_tree_rules(book, year))
    if found is not None:
        raise OverReservation(
            f"item {res.item!r} has {euro(found.before)} available{found.where}; an adjustment cannot"
            f" reserve {euro(-fact.amount)} more (give override_reason to reserve beyond availability)",
            event_id=eid,
        )


Check = Callable[["Book", Any, bool], None]  # (book, fact, replacing)

CHECKS: dict[type[LedgerEvent], Check] = {
    LedgerOpened: check_ledger_opened_only_as_event_1,
    ActorRegistered: check_actor_not_registered_yet,
    ActorRevoked: check_revoked_actor_is_registered,
    HistoryMigrated: check_migration_declared_once_after_its_events,
    EventCorrected: check_correction_keeps_the_balances,
    PlanOpened: check_plan_parameters,
    PolicyLineDefined: check_policy_line_is_new,
    ObjectiveDefined: check_objective_is_new_and_placed,
    IndicatorDefined: check_indicator_is_new_and_fits,
    ObjectiveChanged: check_change_fits_the_objectives_indicator,
    ObjectiveStruck: check_objective_struck_once,
    IndicatorStruck: check_belongs_to_a_plan,
    StrikeRevoked: check_belongs_to_a_plan,
    YearClosed: check_belongs_to_a_plan,
    YearReopened: check_belongs_to_a_plan,
    IndicatorMeasured: check_measurement_fits_indicator,
    BudgetItemOpened: check_item_is_new_on_its_objectives_line,
    BudgetVaried: check_variation_keeps_reserved,
    ReservationMade: check_reservation_fits_availability,
    ReservationApproved: check_approval_within_reservation,
    ReservationAdjusted: check_adjustment_keeps_approved,
}
