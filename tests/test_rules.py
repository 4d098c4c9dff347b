"""The ledger's rules, checked on the aggregate in memory (no store involved)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from ledger.aggregate import Ledger
from ledger.errors import (
    AdjustmentInvalid,
    ApprovalExceedsReservation,
    DuplicateDefinition,
    DuplicateId,
    EffectiveDateOutsidePlan,
    IdConflict,
    InvalidCorrection,
    OverReservation,
    PlanParametersInvalid,
    RecordedAtOutOfOrder,
    UnknownReference,
    ValueDoesNotFitIndicator,
    VariationBelowReserved,
    WeightOutOfRange,
)
from tests.conftest import ev, in_memory_ledger, small_plan, submissions

NOW = datetime(2012, 6, 1, 12, 0, tzinfo=UTC)


def ledger_with(*extra: dict[str, Any]) -> Ledger:
    return in_memory_ledger([*small_plan(), *extra], NOW)


def append(ledger: Ledger, *objs: dict[str, Any]) -> list[bool]:
    return ledger.extend(submissions(list(objs)), now=NOW)


def reserve(rid: str, amount: str, item: str = "A1/04/01", **kw: Any) -> dict[str, Any]:
    return ev("ReservationMade", rid, reservation=rid, item=item, amount=amount, **kw)


def test_a_reservation_may_use_exactly_what_is_available() -> None:
    ledger = ledger_with(reserve("r1", "6000.00"))
    assert append(ledger, reserve("r2", "4000.00")) == [True]
    assert ledger.book.items["A1/04/01"].amounts.available == Decimal("0.00")


def test_a_reservation_beyond_availability_is_refused_with_the_amounts() -> None:
    ledger = ledger_with(reserve("r1", "6000.00"))
    with pytest.raises(OverReservation) as caught:
        append(ledger, reserve("r2", "4000.01"))
    assert caught.value.event_id == "r2"
    assert "has 4.000,00 available; cannot reserve 4.000,01" in str(caught.value)


def test_an_override_with_a_reason_allows_reserving_beyond_availability() -> None:
    ledger = ledger_with()
    append(ledger, reserve("r1", "12000.00", override_reason="urgent flood grants, Giunta 12/2012"))
    assert ledger.book.items["A1/04/01"].amounts.available == Decimal("-2000.00")


def test_an_approval_may_not_exceed_what_is_left_of_its_reservation() -> None:
    ledger = ledger_with(reserve("r1", "1000.00"),
                         ev("ReservationApproved", "a1", reservation="r1", amount="900.00"))
    with pytest.raises(ApprovalExceedsReservation, match="has 100,00 left to approve"):
        append(ledger, ev("ReservationApproved", "a2", reservation="r1", amount="100.01"))


def test_a_rettifica_releases_reserved_money_but_not_below_what_was_approved() -> None:
    ledger = ledger_with(reserve("r1", "1000.00"),
                         ev("ReservationApproved", "a1", reservation="r1", amount="600.00"))
    append(ledger, ev("ReservationAdjusted", "adj1", reservation="r1", amount="300.00"))
    assert ledger.book.items["A1/04/01"].amounts.available == Decimal("9300.00")
    with pytest.raises(AdjustmentInvalid, match="below the 600,00 approved"):
        append(ledger, ev("ReservationAdjusted", "adj2", reservation="r1", amount="100.01"))


def test_a_negative_variation_may_not_leave_less_than_is_reserved() -> None:
    ledger = ledger_with(reserve("r1", "9000.00"))
    with pytest.raises(VariationBelowReserved):
        append(ledger, ev("BudgetVaried", "v1", item="A1/04/01", amount="-1000.01"))
    assert append(ledger, ev("BudgetVaried", "v2", item="A1/04/01", amount="-1000.00")) == [True]


@pytest.mark.parametrize(
    "obj, reference",
    [
        (reserve("r1", "1.00", item="A9/99/99"), "unknown budget item 'A9/99/99'"),
        (ev("ReservationApproved", "a1", reservation="nope", amount="1.00"), "unknown reservation 'nope'"),
        (ev("IndicatorMeasured", "m1", "2012-04-30", indicator="99.9", period_end="2012-04-30", value="1"),
         "unknown indicator '99.9'"),
        (ev("ObjectiveStruck", "s1", objective="77", cause="external", reason="x"), "unknown objective '77'"),
        (ev("BudgetItemOpened", "i9", item="A2/04/01", line="A2", objective="04", product="p", amount="1.00"),
         "unknown policy line 'A2'"),
        (ev("EventCorrected", "c1", corrects="ghost", reason="x", changes={"amount": "1.00"}),
         "corrects unknown event 'ghost'"),
    ],
)
def test_unknown_references_are_named(obj: dict[str, Any], reference: str) -> None:
    with pytest.raises(UnknownReference, match=reference) as caught:
        append(ledger_with(), obj)
    assert caught.value.event_id == obj["id"]


@pytest.mark.parametrize("weight", ["100.01", "-1", "250"])
def test_weights_must_lie_between_0_and_100(weight: str) -> None:
    obj = ev("IndicatorDefined", "i9", indicator="04.9", objective="04", title="t", weight=weight,
             direction="higher", target="1", unit="n.", source="measured")
    with pytest.raises(WeightOutOfRange, match=f"weight {weight} is outside 0-100"):
        append(ledger_with(), obj)


@pytest.mark.parametrize("day", ["2011-12-31", "2013-03-02"])
def test_effective_dates_must_fall_in_the_plan_year_plus_its_horizon(day: str) -> None:
    with pytest.raises(EffectiveDateOutsidePlan, match="outside the plan of 2012"):
        append(ledger_with(), reserve("r1", "1.00", effective_date=day) | {"effective_date": day})


def test_the_horizon_admits_dates_just_after_the_year() -> None:
    assert append(ledger_with(), reserve("r1", "1.00") | {"effective_date": "2013-03-01"}) == [True]


def test_values_must_fit_the_indicator_direction() -> None:
    ledger = ledger_with()
    with pytest.raises(ValueDoesNotFitIndicator, match="expected a date"):
        append(ledger, ev("IndicatorMeasured", "m1", "2012-04-30", indicator="04.2", period_end="2012-04-30",
                          value="3"))
    with pytest.raises(ValueDoesNotFitIndicator, match="expected a decimal number"):
        append(ledger, ev("IndicatorMeasured", "m2", "2012-04-30", indicator="04.1", period_end="2012-04-30",
                          value="2012-03-01"))


def test_derived_indicators_cannot_be_typed_in() -> None:
    derived = ev("IndicatorDefined", "i-var", indicator="04.3", objective="04", title="variazioni",
                 weight="0", direction="lower", target="0.10", unit="%", source="derived:variations")
    with pytest.raises(ValueDoesNotFitIndicator, match="derived:variations"):
        append(ledger_with(derived), ev("IndicatorMeasured", "m", "2012-04-30", indicator="04.3",
                                        period_end="2012-04-30", value="0.05"))


def test_definitions_cannot_be_repeated() -> None:
    with pytest.raises(DuplicateDefinition, match="objective '04' already exists"):
        append(ledger_with(), ev("ObjectiveDefined", "o-again", year=2012, objective="04", level="strategic",
                                 title="x"))


def test_the_same_id_twice_in_a_batch_is_refused() -> None:
    with pytest.raises(DuplicateId):
        append(ledger_with(), reserve("r1", "1.00"), reserve("r1", "1.00"))


def test_an_identical_resubmission_is_a_no_op_and_a_different_one_a_conflict() -> None:
    ledger = ledger_with(reserve("r1", "1.00"))
    version = ledger.version
    assert append(ledger, reserve("r1", "1.00")) == [False]
    assert ledger.version == version
    with pytest.raises(IdConflict):
        append(ledger, reserve("r1", "2.00"))


def test_a_correction_replaces_fields_and_is_checked_against_the_rules() -> None:
    ledger = ledger_with(reserve("r1", "1000.00"))
    append(ledger, ev("EventCorrected", "c1", corrects="r1", reason="typo", changes={"amount": "100.00"}))
    assert ledger.book.items["A1/04/01"].amounts.reserved == Decimal("100.00")
    with pytest.raises(OverReservation, match="the correction would break a rule"):
        append(ledger, ev("EventCorrected", "c2", corrects="r1", reason="x", changes={"amount": "10000.01"}))
    with pytest.raises(InvalidCorrection, match="identifies"):
        append(ledger, ev("EventCorrected", "c3", corrects="r1", reason="x", changes={"item": "A1/04/02"}))
    with pytest.raises(InvalidCorrection, match="no field 'colour'"):
        append(ledger, ev("EventCorrected", "c4", corrects="r1", reason="x", changes={"colour": "red"}))


def test_a_failed_rule_leaves_the_aggregate_without_pending_events_from_that_fact() -> None:
    ledger = ledger_with()
    pending = len(ledger.pending_events)
    with pytest.raises(OverReservation):
        append(ledger, reserve("r1", "99999.00"))
    assert len(ledger.pending_events) == pending


def test_backfilled_recording_times_must_not_go_backwards() -> None:
    ledger = ledger_with()
    late = submissions([reserve("r1", "1.00")])[0]
    early = type(late)(late.cls, late.fields, recorded_at=datetime(2012, 1, 1, tzinfo=UTC))
    with pytest.raises(RecordedAtOutOfOrder, match="earlier than the ledger's last event"):
        ledger.extend([early], now=NOW)


def test_a_correction_may_not_leave_an_approval_above_its_reservation() -> None:
    ledger = ledger_with(reserve("r1", "800.00"),
                         ev("ReservationApproved", "a1", reservation="r1", amount="800.00"))
    with pytest.raises(ApprovalExceedsReservation, match="the correction would break a rule"):
        append(ledger, ev("EventCorrected", "c1", corrects="r1", reason="x", changes={"amount": "100.00"}))


def test_a_correction_of_a_budget_may_not_leave_less_than_is_reserved() -> None:
    ledger = ledger_with(reserve("r1", "800.00"))
    with pytest.raises(OverReservation, match="would have -800,00 available"):
        append(ledger, ev("EventCorrected", "c1", "2012-01-27", corrects="item-1", reason="x",
                          changes={"amount": "0.00"}))
    assert append(ledger, ev("EventCorrected", "c2", "2012-01-27", corrects="item-1", reason="x",
                             changes={"amount": "800.00"})) == [True]


@pytest.mark.parametrize("field, value", [("direction", "deadline"), ("source", "derived:variations")])
def test_an_indicators_direction_and_source_cannot_be_corrected(field: str, value: str) -> None:
    with pytest.raises(InvalidCorrection, match=f"field '{field}' identifies"):
        append(ledger_with(), ev("EventCorrected", "c1", corrects="ind-04.1", reason="x",
                                 changes={field: value}))


@pytest.mark.parametrize(
    "fields, problem",
    [({"deadline_penalty": "-0.02"}, "deadline_penalty -0.02 must lie between 0 and 1"),
     ({"band_achieved": "80", "band_partly": "90"}, "band_partly 90 is above band_achieved 80")],
)
def test_plan_parameters_must_make_sense(fields: dict[str, str], problem: str) -> None:
    ledger = Ledger.open(entity="CCIAA", actor="cdg", note="", now=NOW)
    with pytest.raises(PlanParametersInvalid, match=problem):
        append(ledger, ev("PlanOpened", "plan", "2012-01-27", year=2012, title="P", **fields))


def test_codes_are_unique_across_years_and_the_error_says_so() -> None:
    ledger = ledger_with(ev("PlanOpened", "plan-13", "2013-01-20", year=2013, title="P13"))
    with pytest.raises(DuplicateDefinition, match="unique across the ledger's years"):
        append(ledger, ev("ObjectiveDefined", "o13", "2013-01-20", year=2013, objective="04",
                          level="strategic", title="x"))
    assert append(ledger, ev("ObjectiveDefined", "o13b", "2013-01-20", year=2013, objective="2013/04",
                             level="strategic", title="x")) == [True]


def test_an_item_must_sit_under_its_objectives_line() -> None:
    ledger = ledger_with(
        ev("PolicyLineDefined", "line-A2", "2012-01-27", year=2012, line="A2", title="Altro")
    )
    with pytest.raises(UnknownReference, match="objective '04' belongs to policy line 'A1', not 'A2'"):
        append(ledger, ev("BudgetItemOpened", "i9", item="A2/04/01", line="A2", objective="04", product="p",
                          amount="1.00"))


# -- each rule of ledger.rules_*, called directly on a book folded in memory ------------------------
def candidate(ledger: Ledger, obj: dict[str, Any]) -> Any:
    """The fact ``obj`` as the ledger would append it next, not appended."""
    sub = submissions([obj])[0]
    return sub.cls(originator_id=ledger.id, originator_version=ledger.version + 1, timestamp=NOW,
                   prev=ledger.head, **sub.fields)


def test_every_fact_type_has_its_rule() -> None:
    from events.parse import ALL_TYPES
    from ledger.rules import CHECKS

    assert set(CHECKS) == set(ALL_TYPES.values())


def test_a_struck_objective_is_struck_once() -> None:
    from ledger.rules_strikes import check_objective_struck_once

    strike = ev("ObjectiveStruck", "s1", objective="08", cause="external", reason="x")
    ledger = ledger_with(strike)
    again = candidate(ledger, {**strike, "id": "s2"})
    with pytest.raises(DuplicateDefinition, match="objective '08' is already struck"):
        check_objective_struck_once(ledger.book, again, False)
    check_objective_struck_once(ledger.book, candidate(ledger, strike), True)  # the first, corrected


def test_a_policy_line_is_defined_once_a_year() -> None:
    from ledger.rules_plan import check_policy_line_is_new

    ledger = ledger_with()
    again = candidate(ledger,
                      ev("PolicyLineDefined", "line-A1b", "2012-01-27", year=2012, line="A1", title="T"))
    with pytest.raises(DuplicateDefinition, match="policy line 'A1' of 2012 already exists"):
        check_policy_line_is_new(ledger.book, again, False)


def test_a_change_of_weight_names_an_indicator_of_its_objective() -> None:
    from ledger.rules_indicators import check_change_fits_the_objectives_indicator

    ledger = ledger_with()
    change = ev("ObjectiveChanged", "c1", objective="08", cause="internal", reason="r", what="w", weight="10")
    with pytest.raises(UnknownReference, match="a change of weight or target must name its indicator"):
        check_change_fits_the_objectives_indicator(ledger.book, candidate(ledger, change), False)
    other = candidate(ledger, {**change, "indicator": "04.1"})
    with pytest.raises(UnknownReference, match="indicator '04.1' belongs to objective '04', not '08'"):
        check_change_fits_the_objectives_indicator(ledger.book, other, False)


def test_a_computed_indicator_is_not_measured() -> None:
    from ledger.rules_measures import check_measurement_fits_indicator

    ledger = ledger_with(ev("IndicatorDefined", "ind-08.1", "2012-01-27", indicator="08.1", objective="08",
                            title="Variazioni", weight="50", direction="lower", target="2", unit="n.",
                            source="derived:variations"))
    measured = candidate(ledger, ev("IndicatorMeasured", "m1", indicator="08.1", value="1",
                                    period_end="2012-12-31"))
    with pytest.raises(ValueDoesNotFitIndicator, match="is derived:variations: the ledger computes it"):
        check_measurement_fits_indicator(ledger.book, measured, False)


def test_the_ledger_is_opened_once_and_an_unknown_actor_is_not_revoked() -> None:
    from ledger.rules_ledger import check_ledger_opened_only_as_event_1, check_revoked_actor_is_registered

    ledger = ledger_with()
    opened = ledger.book.recorded_event("ledger-opened")  # not submittable: event 1 offered again
    with pytest.raises(DuplicateDefinition, match="LedgerOpened is event 1 only"):
        check_ledger_opened_only_as_event_1(ledger.book, opened, False)
    revoke = candidate(ledger, ev("ActorRevoked", "rv", name="nobody", reason="r"))
    with pytest.raises(UnknownReference, match="no registered key of actor 'nobody' to revoke"):
        check_revoked_actor_is_registered(ledger.book, revoke, False)


def test_a_migration_covers_every_event_before_it_once() -> None:
    from ledger.rules_ledger import check_migration_declared_once_after_its_events

    ledger = ledger_with()
    late = candidate(ledger, ev("HistoryMigrated", "mig", upto=3, source="s", sha256="0" * 64))
    with pytest.raises(InvalidCorrection, match=f"must cover events 1 to {ledger.version}, not to 3"):
        check_migration_declared_once_after_its_events(ledger.book, late, False)
    ledger.book.migrated = 3
    with pytest.raises(DuplicateDefinition, match="events 1 to 3 were already declared migrated"):
        check_migration_declared_once_after_its_events(ledger.book, late, False)
