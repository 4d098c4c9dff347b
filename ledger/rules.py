"""The append-time rules: one check per fact type, a pure function of the book and the candidate fact.

``check_rules`` dispatches a fact to its check in ``CHECKS``; each check raises a named
``RuleViolation`` carrying the ids involved. ``replacing`` is True when the fact is the corrected
version of one already in the book (a correction's trial): it may then define what already exists.

This module holds the entry points, the dispatch and the rules every fact goes through (its
signature, its year open, its references existing by its date); each fact's own rules live with
their concern: ``rules_ledger`` (the ledger, its actors, its history), ``rules_plan`` (the plan, its
policy lines, objectives and tree), ``rules_indicators``, ``rules_measures``, ``rules_strikes``,
``rules_years`` (closing and reopening), ``rules_budget``, ``rules_corrections`` (the correction's
trial, which is given ``check_fact`` so that it needs no import of this module), and
``rules_values`` (what several of them check alike).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
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
    SourceImported,
    StrikeRevoked,
    YearClosed,
    YearReopened,
)
from ledger import (
    rules_budget,
    rules_corrections,
    rules_indicators,
    rules_ledger,
    rules_measures,
    rules_plan,
    rules_strikes,
    rules_years,
    signers,
)
from ledger.errors import UnknownReference, YearIsClosed
from ledger.references import check_exists_by_its_date, in_its_plan, year_of
from ledger.rules_years import closed_by

if TYPE_CHECKING:
    from ledger.book import Book


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


def check_belongs_to_a_plan(book: Book, fact: LedgerEvent, replacing: bool) -> None:
    in_its_plan(book, fact)


Check = Callable[["Book", Any, bool], None]  # (book, fact, replacing)

CHECKS: dict[type[LedgerEvent], Check] = {
    LedgerOpened: rules_ledger.check_ledger_opened_only_as_event_1,
    ActorRegistered: rules_ledger.check_actor_not_registered_yet,
    ActorRevoked: rules_ledger.check_revoked_actor_is_registered,
    HistoryMigrated: rules_ledger.check_migration_declared_once_after_its_events,
    SourceImported: rules_ledger.check_source_rows_name_recorded_events,
    EventCorrected: partial(rules_corrections.check_correction_keeps_the_balances, check_fact=check_fact),
    PlanOpened: rules_plan.check_plan_parameters,
    PolicyLineDefined: rules_plan.check_policy_line_is_new,
    ObjectiveDefined: rules_plan.check_objective_is_new_and_placed,
    IndicatorDefined: rules_indicators.check_indicator_is_new_and_fits,
    ObjectiveChanged: rules_indicators.check_change_fits_the_objectives_indicator,
    ObjectiveStruck: rules_strikes.check_objective_struck_once,
    IndicatorStruck: rules_strikes.check_indicator_struck_once,
    StrikeRevoked: rules_strikes.check_strike_in_force_is_revoked,
    YearClosed: rules_years.check_year_closed_by_an_act,
    YearReopened: rules_years.check_year_reopened_by_an_act,
    IndicatorMeasured: rules_measures.check_measurement_fits_indicator,
    BudgetItemOpened: rules_budget.check_item_is_new_on_its_objectives_line,
    BudgetVaried: rules_budget.check_variation_keeps_reserved,
    ReservationMade: rules_budget.check_reservation_fits_availability,
    ReservationApproved: rules_budget.check_approval_within_reservation,
    ReservationAdjusted: rules_budget.check_adjustment_keeps_approved,
}
