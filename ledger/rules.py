"""The append-time rules: one check per fact type, a pure function of the book and the candidate fact.

``check_rules`` dispatches a fact to its check in ``CHECKS``; each check raises a named
``RuleViolation`` carrying the ids involved. ``replacing`` is True when the fact is the corrected
version of one already in the book (a correction's trial): it may then define what already exists.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, timedelta
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
from ledger.corrections import DATED, apply_changes
from ledger.errors import (
    ActRequired,
    AdjustmentInvalid,
    ApprovalExceedsReservation,
    DuplicateDefinition,
    EffectiveDateOutsidePlan,
    InvalidCorrection,
    MeasuredTwice,
    NotInTheTree,
    OverReservation,
    PlanParametersInvalid,
    ReportedBeforeCollected,
    StrikeNotInForce,
    UnknownReference,
    ValueDoesNotFitIndicator,
    VariationBelowReserved,
    WeightOutOfRange,
    YearIsClosed,
    YearNotClosed,
)
from ledger.references import (
    check_exists_by_its_date,
    check_within_the_plan,
    in_its_plan,
    indicator,
    line,
    objective,
    reservation,
    tree_plan,
    under_tree_rules,
    window,
    year_of,
)

if TYPE_CHECKING:
    from ledger.book import Book, Closure

# Objectives, indicators, items and reservations are keyed by their code across the ledger's years.
UNIQUE_CODES = " (codes are unique across the ledger's years: give another year's its own, e.g. 2013/01)"
HUNDRED = Decimal(100)
PERCENT_BOUND = Decimal(10)  # a % value or target is a fraction of magnitude up to 10 (1000%)
BALANCES = (OverReservation, ApprovalExceedsReservation, AdjustmentInvalid, VariationBelowReserved)


def check(book: Book, fact: LedgerEvent) -> None:
    """Raise a RuleViolation if ``fact`` may not be appended to ``book`` now (its signature too)."""
    check_rules(book, fact, signature=True)


def check_rules(book: Book, fact: LedgerEvent, *, signature: bool = False) -> None:
    """The rules of ``check``; the signature's only if asked (verify checks signatures on the chain)."""
    try:
        if signature:
            signers.check_signed_by_a_registered_controller(book, fact)
        check_year_is_open(book, fact)
        check_fact(book, fact, False)
    except UnknownReference as e:
        raise e.located(event_id=fact.event_id) from None


def check_fact(book: Book, fact: LedgerEvent, replacing: bool) -> None:
    """A fact's own rules (``CHECKS``), then the one rule of every fact: it is effective on or after
    the day each thing it refers to exists from (``check_exists_by_its_date``)."""
    CHECKS.get(type(fact), check_belongs_to_a_plan)(book, fact, replacing)
    check_exists_by_its_date(book, fact)


# -- every fact: its year is open -------------------------------------------------
def check_year_is_open(book: Book, fact: LedgerEvent) -> None:
    """A fact recorded after the YearClosed of its plan's year is refused while the year stays closed,
    whatever its effective date; so is a correction of such a fact (it would change the year's figures).

    A fact's year is its plan's (``references.year_of``). Closings and reopenings have rules of their
    own (``check_year_closed_by_an_act``, ``check_year_reopened_by_an_act``), and a correction of one
    changes no figure (a closing's validation, a reopening's reason). Facts of no year (the ledger's,
    its actors') and facts whose references are missing (their own check names what they lack) pass.
    """
    if not book.closings:
        return
    subject = book.fact(fact.corrects) if isinstance(fact, EventCorrected) else fact
    if subject is None or isinstance(subject, (YearClosed, YearReopened)):
        return
    try:
        year = year_of(book, subject)
    except UnknownReference:
        return
    closure = book.closings.get(year)
    if closure is not None and closure.reopened_by is None:
        raise YearIsClosed(
            f"the year {year} is closed by {closed_by(book, closure)}: a fact of its plan is refused;"
            f" record a YearReopened of {year}, with an act and a reason, first",
            event_id=fact.event_id,
        )


def closed_by(book: Book, closure: Closure) -> str:
    """``YearClosed 'close-2012' (Delibera di Giunta n. 75 del 28/06/2013)``."""
    closing = book.fact(closure.closed_by)
    act = "" if closing is None or closing.act is None else f" ({closing.act})"
    return f"YearClosed {closure.closed_by!r}{act}"


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
    if tree_plan(fact):
        check_plan_horizon(fact)
        check_plan_levels(book, fact, replacing)


def check_plan_horizon(fact: PlanOpened) -> None:
    """Tree rules: a plan's window ends by 31 December of the next year (``horizon_days`` at most 365,
    or 366 when the next year is a leap year): the facts of a year never take effect in the year after
    next, where they would reach that year's figures (a four-month period's end of the next year is the
    last day a measurement of this year may be for)."""
    last = date(fact.year + 1, 12, 31)
    most = (last - date(fact.year, 12, 31)).days
    if fact.horizon_days > most:
        reach = date(fact.year, 12, 31) + timedelta(days=fact.horizon_days)
        raise PlanParametersInvalid(
            f"horizon_days {fact.horizon_days} would take the plan of {fact.year} to {reach}, past the end of"
            f" the next year: a plan's facts are effective by 31 December {fact.year + 1}"
            f" (horizon_days at most {most})",
            event_id=fact.event_id,
        )


def check_plan_levels(book: Book, fact: PlanOpened, replacing: bool) -> None:
    """The entity level is one of the plan's levels; a corrected plan keeps its objectives in its tree."""
    if fact.entity_level is not None and fact.entity_level not in fact.tree:
        raise PlanParametersInvalid(
            f"entity_level {fact.entity_level!r} is not one of the plan's levels ({', '.join(fact.tree)})",
            event_id=fact.event_id,
        )
    if replacing:
        for found in [o for o in book.objectives.values() if o.year == fact.year]:
            check_objective_fits_the_tree(book, found, fact, fact.event_id)


def check_belongs_to_a_plan(book: Book, fact: LedgerEvent, replacing: bool) -> None:
    in_its_plan(book, fact)


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


def check_year_of_a_plan(book: Book, fact: LedgerEvent, year: int) -> None:
    """The plan of ``year`` is open, and ``fact`` is effective once the year has begun (a Relazione is
    approved in the year after its own, so the plan's horizon does not bound it)."""
    if year not in book.plans:
        raise UnknownReference(f"no plan is open for {year}; record PlanOpened first", event_id=fact.event_id)
    if fact.effective_date < date(year, 1, 1):
        raise EffectiveDateOutsidePlan(
            f"effective_date {fact.effective_date} is before the year {year} begins", event_id=fact.event_id
        )


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
    if under_tree_rules(book, year):
        check_objective_fits_the_tree(book, fact, book.plans[year], eid)
        if replacing:
            for child in [o for o in book.objectives.values() if o.parent == fact.objective]:
                check_objective_fits_the_tree(book, child, book.plans[year], eid, parent=fact)


INDIVIDUAL = "individual"  # the level whose objectives are a manager's (the seed's 2.4)


def check_objective_fits_the_tree(book: Book, fact: ObjectiveDefined, plan: PlanOpened, eid: str,
                                  parent: ObjectiveDefined | None = None) -> None:
    """On one of the plan's levels; on the top level without a parent, below it under a parent on a
    higher level (the one directly above or higher: the seed's 2.4 lists the managers' individual
    objectives under strategic objectives). Who answers for it goes by its level's name, not its place:
    on a level named ``individual`` it names its ``owner`` (the manager; an area is optional); on any
    other level below the entity level it names its ``area`` (an owner may be given too). A predecessor
    is an objective of an earlier year."""
    code, levels = fact.objective, plan.tree
    if fact.level not in levels:
        raise NotInTheTree(f"objective {code!r}: level {fact.level!r} is not one of the levels of the plan"
                           f" of {fact.year} ({', '.join(levels)})", event_id=eid)
    rank = levels.index(fact.level)
    if rank == 0 and fact.parent is not None:
        raise NotInTheTree(f"objective {code!r} is on the top level {fact.level!r}: it has no parent"
                           f" (not {fact.parent!r})", event_id=eid)
    if rank > 0:
        if fact.parent is None:
            raise NotInTheTree(f"objective {code!r} on level {fact.level!r} needs a parent on a level above"
                               f" it ({', '.join(levels[:rank])})", event_id=eid)
        above = parent or book.objectives[fact.parent]
        if above.level not in levels[:rank]:
            moved = " would no longer sit below it" if parent is not None else ""
            raise NotInTheTree(f"objective {code!r}: parent {above.objective!r} is on level {above.level!r},"
                               f" not above {fact.level!r} ({', '.join(levels[:rank])}){moved}", event_id=eid)
    entity = levels.index(plan.scored_level) if plan.scored_level in levels else 0
    if fact.level == INDIVIDUAL and fact.owner is None:
        raise NotInTheTree(f"objective {code!r} on level {fact.level!r} names its owner (the manager who"
                           f" answers for it): an objective on a level named {INDIVIDUAL!r} names its owner,"
                           " its area is optional", event_id=eid)
    if fact.level != INDIVIDUAL and rank > entity and fact.area is None:
        raise NotInTheTree(f"objective {code!r} on level {fact.level!r} names its area (the organisational"
                           f" area or unit that answers for it): every objective below the entity level"
                           f" {plan.scored_level!r} does; only a level named {INDIVIDUAL!r} names its owner"
                           " instead", event_id=eid)
    if fact.line is not None and fact.parent is not None:
        planned = line_above(book, fact.parent)
        if planned is not None and planned != fact.line:
            raise NotInTheTree(f"objective {code!r} is on policy line {fact.line!r}, but the objectives above"
                               f" it are on {planned!r}", event_id=eid)
    if fact.predecessor is not None:
        before = objective(book, fact.predecessor, eid)
        if before.year >= fact.year:
            raise NotInTheTree(f"objective {code!r}: predecessor {fact.predecessor!r} is an objective of"
                               f" {before.year}, not of a year before {fact.year}", event_id=eid)


def line_above(book: Book, code: str) -> str | None:
    """The policy line of an objective or of its nearest ancestor that names one."""
    seen: set[str] = set()
    found = book.objectives.get(code)
    while found is not None and found.objective not in seen:
        if found.line is not None:
            return found.line
        seen.add(found.objective)
        found = book.objectives.get(found.parent) if found.parent is not None else None
    return None


def check_indicator_is_new_and_fits(book: Book, fact: IndicatorDefined, replacing: bool) -> None:
    """A new indicator, its weight a percentage, its target of its direction's kind (tree rules: one its
    rule is defined for, a percentage as a fraction)."""
    eid = fact.event_id
    year = in_its_plan(book, fact)
    if fact.indicator in book.indicators and not replacing:
        raise DuplicateDefinition(f"indicator {fact.indicator!r} already exists{UNIQUE_CODES}", event_id=eid)
    check_percent(fact.weight, "weight", eid)
    check_value_kind(fact.direction, fact.target, "target", fact.indicator, eid)
    if under_tree_rules(book, year):
        check_scorable(fact, fact.target, "target", eid)
        check_indicator_reuses_fit(book, fact, year)
        if replacing:
            check_unit_is_kept(book, fact)


def check_unit_is_kept(book: Book, fact: IndicatorDefined) -> None:
    """A correction keeps an indicator's unit: its target, its measurements and the references that use
    it were checked against that unit, and would mean something else in another one."""
    held = book.indicators.get(fact.indicator)
    if held is not None and held.unit != fact.unit:
        raise InvalidCorrection(f"indicator {fact.indicator!r} is in {held.unit!r}: its unit is not corrected"
                                f" to {fact.unit!r}, since its values and targets were checked against it;"
                                " strike it and define a new indicator in the new unit",
                                event_id=fact.event_id)


def check_indicator_reuses_fit(book: Book, fact: IndicatorDefined, year: int) -> None:
    """A ``reference`` uses an indicator of its own year that is no reference itself, of its kind
    (a date or a number) and of its unit (it takes that indicator's value as it is); a
    ``derived:year_ratio`` divides a measured quantity of its year (``uses``) by a measured quantity
    of the year before (``compared_with``); no other source names either."""
    eid, code = fact.event_id, fact.indicator
    if fact.source == "reference":
        if fact.uses is None:
            raise NotInTheTree(f"a reference indicator names the indicator it uses (uses); {code!r} names"
                               " none",
                               event_id=eid)
        if fact.compared_with is not None:
            raise NotInTheTree("only a derived:year_ratio indicator is compared_with another", event_id=eid)
        used = indicator(book, fact.uses, eid)
        if used.indicator == code:
            raise NotInTheTree(f"indicator {code!r} cannot use itself", event_id=eid)
        if used.source == "reference":
            raise NotInTheTree(f"indicator {used.indicator!r} is itself a reference (to {used.uses!r}):"
                               f" use {used.uses!r}", event_id=eid)
        used_year = book.objectives[used.objective].year
        if used_year != year:
            raise NotInTheTree(f"{code!r} uses indicator {used.indicator!r} of {used_year}: a reference uses"
                               f" an indicator of its own year, {year}", event_id=eid)
        if (used.direction == "deadline") != (fact.direction == "deadline"):
            raise ValueDoesNotFitIndicator(
                f"{code!r} is {fact.direction} but {used.indicator!r} is a {used.direction} indicator: a"
                " reference takes the value of the indicator it uses, a date for a deadline, else a number",
                event_id=eid,
            )
        if used.unit != fact.unit:
            raise ValueDoesNotFitIndicator(
                f"{code!r} is in {fact.unit!r} but {used.indicator!r}, which it uses, is in {used.unit!r}: a"
                f" reference has the unit of the indicator it uses (unit {used.unit!r})", event_id=eid)
    elif fact.source == "derived:year_ratio":
        if fact.uses is None or fact.compared_with is None:
            raise NotInTheTree(f"the year ratio {code!r} names both uses (the quantity of {year}) and"
                               f" compared_with (the same of {year - 1})", event_id=eid)
        for name, wanted in (("uses", year), ("compared_with", year - 1)):
            found = indicator(book, getattr(fact, name), eid)
            if found.source != "measured" or found.direction == "deadline":
                kind = found.source if found.source != "measured" else "a deadline"
                raise ValueDoesNotFitIndicator(f"{name} {found.indicator!r} is {kind}: a year ratio divides"
                                               " two measured quantities", event_id=eid)
            found_year = book.objectives[found.objective].year
            if found_year != wanted and name == "uses":
                raise NotInTheTree(f"uses {found.indicator!r} is of {found_year}: the ratio of {year} divides"
                                   f" a quantity of {year}", event_id=eid)
            if found_year != wanted:
                raise NotInTheTree(f"compared_with {found.indicator!r} is of {found_year}, not of {wanted},"
                                   f" the year before {fact.uses!r}'s", event_id=eid)
        if fact.direction == "deadline":
            raise ValueDoesNotFitIndicator(f"the year ratio {code!r} is a number, not a deadline",
                                           event_id=eid)
    elif fact.uses is not None or fact.compared_with is not None:
        raise NotInTheTree("only a reference or a derived:year_ratio indicator names uses or compared_with;"
                           f" {code!r} is {fact.source}", event_id=eid)


def check_change_fits_the_objectives_indicator(book: Book, fact: ObjectiveChanged, replacing: bool) -> None:
    """A new weight or target names an indicator of the objective, and fits it."""
    eid = fact.event_id
    year = in_its_plan(book, fact)
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
        if under_tree_rules(book, year):
            check_scorable(found, fact.target, "target", eid)


def check_objective_struck_once(book: Book, fact: ObjectiveStruck, replacing: bool) -> None:
    """An objective is struck once while its strike is in force; again once that strike is revoked."""
    in_its_plan(book, fact)
    held = book.struck.get(fact.objective)
    if held is not None and not replacing:
        raise DuplicateDefinition(
            f"objective {fact.objective!r} is already struck (by {held!r}); to change that strike record an"
            " EventCorrected of it, to undo it a StrikeRevoked", event_id=fact.event_id)
    check_struck_before_its_revocation(book, fact, replacing)
    check_no_other_strike_holds_meanwhile(book, fact, fact.effective_date, revoked_on(book, fact.event_id))


def check_indicator_struck_once(book: Book, fact: IndicatorStruck, replacing: bool) -> None:
    """An indicator that exists, struck within its plan, once while its strike is in force."""
    in_its_plan(book, fact)
    held = book.struck_indicators.get(fact.indicator)
    if held is not None and not replacing:
        raise DuplicateDefinition(
            f"indicator {fact.indicator!r} is already struck (by {held!r}); to change that strike record an"
            " EventCorrected of it, to undo it a StrikeRevoked", event_id=fact.event_id)
    check_struck_before_its_revocation(book, fact, replacing)
    check_no_other_strike_holds_meanwhile(book, fact, fact.effective_date, revoked_on(book, fact.event_id))


def check_struck_before_its_revocation(book: Book, fact: ObjectiveStruck | IndicatorStruck,
                                       replacing: bool) -> None:
    """A corrected strike that was revoked still takes effect on or before its revocation."""
    revocation = book.fact(book.revoked.get(fact.event_id, "")) if replacing else None
    if revocation is not None and fact.effective_date > revocation.effective_date:
        raise StrikeNotInForce(
            f"strike {fact.event_id!r} was revoked by {revocation.event_id!r} effective"
            f" {revocation.effective_date}; it cannot take effect later, on {fact.effective_date}",
            event_id=fact.event_id,
        )


def check_strike_in_force_is_revoked(book: Book, fact: StrikeRevoked, replacing: bool) -> None:
    """A revocation names a strike in force, and takes effect on or after the strike does."""
    eid = fact.event_id
    in_its_plan(book, fact)  # the strike exists and is a strike (references.year_of)
    strike = book.fact(fact.strike)
    assert isinstance(strike, (ObjectiveStruck, IndicatorStruck))
    revoked = book.revoked.get(fact.strike)
    if revoked is not None and not replacing:
        raise StrikeNotInForce(f"strike {fact.strike!r} was already revoked by {revoked!r}", event_id=eid)
    if fact.effective_date < strike.effective_date:
        raise StrikeNotInForce(
            f"strike {fact.strike!r} takes effect on {strike.effective_date}: its revocation cannot take"
            f" effect before, on {fact.effective_date}; give effective_date {strike.effective_date} or"
            " later (on that day the strike never holds)",
            event_id=eid,
        )
    if replacing:  # a revocation moved later keeps its strike from holding with a later one
        check_no_other_strike_holds_meanwhile(book, strike, strike.effective_date, (fact.event_id,
                                              fact.effective_date), eid)


Held = tuple[str, date] | None  # a strike's revocation (its event id and effective date), or None


def revoked_on(book: Book, strike: str) -> Held:
    revocation = book.fact(book.revoked.get(strike, ""))
    return None if revocation is None else (revocation.event_id, revocation.effective_date)


def check_no_other_strike_holds_meanwhile(book: Book, strike: ObjectiveStruck | IndicatorStruck, start: date,
                                          end: Held, eid: str | None = None) -> None:
    """Tree rules: a strike holds its code from its effective date until the day its revocation takes
    effect (``end``; None: for good), and no other strike of that code holds on any of those days (a
    new strike, a strike's date or a revocation's moved by a correction)."""
    kind, code = strike_code(strike)
    if not under_tree_rules(book, year_of(book, strike)):
        return
    held = book.struck if isinstance(strike, ObjectiveStruck) else book.struck_indicators
    for other_id in {*book.revoked, held.get(code, "")} - {strike.event_id}:
        other = book.fact(other_id)
        if not isinstance(other, type(strike)) or strike_code(other)[1] != code:
            continue
        other_end = revoked_on(book, other_id)
        if (other_end is None or start < other_end[1]) and (end is None or other.effective_date < end[1]):
            raise StrikeNotInForce(
                f"strike {strike.event_id!r} would hold {kind} {code!r} from {start}{until(end)}, while"
                f" strike {other_id!r} holds it from {other.effective_date}{until(other_end)}: two strikes"
                f" of one {kind} would be in force at once", event_id=eid or strike.event_id)


def strike_code(strike: ObjectiveStruck | IndicatorStruck) -> tuple[str, str]:
    if isinstance(strike, ObjectiveStruck):
        return "objective", strike.objective
    return "indicator", strike.indicator


def until(end: Held) -> str:
    return " on" if end is None else f" until its revocation {end[0]!r} effective {end[1]}"


def check_measurement_fits_indicator(book: Book, fact: IndicatorMeasured, replacing: bool) -> None:
    """A measured indicator, a value of its kind, for a period ending within the plan.

    Under the tree rules also: a value its unit allows (a percentage as a fraction), one
    measurement a period (``replacing``: the corrected version of one may hold its own period),
    effective on or after the period's end, and data collected (``collected_on``, else the day
    it is recorded) on or after it: a reporting delay is never negative; and collected by the day
    it is recorded (a correction's ``collected_on``: by the day the correction is recorded).
    """
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
    if under_tree_rules(book, year):
        check_scorable(found, fact.value, "value", eid)
        check_measured_once(book, fact)
        check_measured_after_its_period(fact)
        if not replacing:  # a correction's collected_on is checked against its own day
            check_collected_by(fact, recorded_day(fact), "measurement")


def check_measured_once(book: Book, fact: IndicatorMeasured) -> None:
    held = book.measured.get((fact.indicator, fact.period_end))
    if held is not None and held != fact.event_id:
        raise MeasuredTwice(
            f"indicator {fact.indicator!r} is already measured for the period ending {fact.period_end}"
            f" by event {held!r}; to change its value record an EventCorrected of it",
            event_id=fact.event_id,
        )


def check_measured_after_its_period(fact: IndicatorMeasured) -> None:
    """Effective, collected and (without a collection date) recorded on or after the period's end."""
    end, eid = fact.period_end, fact.event_id
    if fact.effective_date < end:
        raise EffectiveDateOutsidePlan(
            f"a measurement of the period ending {end} cannot take effect before it, on"
            f" {fact.effective_date}; give effective_date {end} or later", event_id=eid)
    if fact.collected_on is not None and fact.collected_on < end:
        raise ReportedBeforeCollected(
            f"collected_on {fact.collected_on} is before the end of the period it measures ({end}):"
            " the reporting delay would be negative", event_id=eid)
    recorded = recorded_day(fact)
    if fact.collected_on is None and recorded < end:
        raise ReportedBeforeCollected(
            f"recorded on {recorded}, before the end of the period it measures ({end}), and without"
            " collected_on: the reporting delay would be negative; give collected_on (the day its data"
            " were collected) or record it once the period has ended", event_id=eid)


def check_collected_by(fact: IndicatorMeasured, day: date, recorded: str, eid: str | None = None) -> None:
    """Data are collected by the day they are recorded: ``collected_on`` is not after ``day``, the day
    the measurement (or the correction that sets it) is recorded, the UTC date of its recorded-at (the
    ledger's clock at append; a backfilled history's own recorded_at)."""
    if fact.collected_on is not None and fact.collected_on > day:
        raise ReportedBeforeCollected(
            f"collected_on {fact.collected_on} is after the day the {recorded} is recorded ({day}): data are"
            " collected by the day they are recorded; give the day its data were collected",
            event_id=eid or fact.event_id)


def recorded_day(event: LedgerEvent) -> date:
    """The day an event is recorded: the UTC date of its recorded-at."""
    return event.recorded_at.astimezone(UTC).date()


def check_percent(value: Decimal, name: str, eid: str) -> None:
    if not 0 <= value <= HUNDRED:
        raise WeightOutOfRange(f"{name} {value} is outside 0-100 (%)", event_id=eid)


def check_scorable(definition: IndicatorDefined, value: str, name: str, eid: str) -> None:
    """Tree rules: a target its direction's rule is defined for, and a percentage as a fraction.

    ``higher`` and ``lower`` divide by |t|; for a target of 0 ``at_least`` or ``at_most`` fits.
    An indicator of unit ``%`` holds fractions (0.65 for 65%, as the seed's and Excel's percent
    cells). A percentage may pass 100% (the seed's ISR 8.4 prints 105% of surveys done against 100%:
    1.05), so the bound is 1000%: a value or target of magnitude above 10 is refused, which catches
    65 written for 65%; a quantity that may exceed 1000% is a ``ratio``.
    """
    if value == "ND" or definition.direction == "deadline":
        return
    number, code, direction = Decimal(value), definition.indicator, definition.direction
    if name == "target" and number == 0 and direction in ("higher", "lower"):
        fits, rule = ("at_least", ">=") if direction == "higher" else ("at_most", "<=")
        raise ValueDoesNotFitIndicator(
            f"target {value} of {direction} indicator {code!r}: {direction} is better divides by |t|, which"
            f" is undefined for a target of 0; use {fits} (100% if v {rule} t, else 0%)",
            event_id=eid,
        )
    if definition.unit == "%" and not -PERCENT_BOUND <= number <= PERCENT_BOUND:
        raise ValueDoesNotFitIndicator(
            f"{name} {value} of indicator {code!r} (unit %) is outside -10..10: percentages are fractions:"
            f" write {number / 100} for {number}%; for a quantity that may exceed 1000% use unit ratio",
            event_id=eid,
        )


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
    IndicatorStruck: check_indicator_struck_once,
    StrikeRevoked: check_strike_in_force_is_revoked,
    YearClosed: check_year_closed_by_an_act,
    YearReopened: check_year_reopened_by_an_act,
    IndicatorMeasured: check_measurement_fits_indicator,
    BudgetItemOpened: check_item_is_new_on_its_objectives_line,
    BudgetVaried: check_variation_keeps_reserved,
    ReservationMade: check_reservation_fits_availability,
    ReservationApproved: check_approval_within_reservation,
    ReservationAdjusted: check_adjustment_keeps_approved,
}
