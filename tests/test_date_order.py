"""Dates that contradict each other: no fact is effective before the thing it refers to exists.

Each thing exists from the effective date of the event that made it: an objective from its
ObjectiveDefined, an indicator from its IndicatorDefined, a budget item from its BudgetItemOpened,
a reservation from its ReservationMade, a strike from its ObjectiveStruck or IndicatorStruck. The
small plan makes everything on 27/01/2012; the facts below add things later in the year.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ledger import Store
from ledger.aggregate import Ledger
from ledger.errors import EffectiveBeforeExistence, StrikeNotInForce
from ledger.verify import verify
from tests.conftest import ev, in_memory_ledger, small_plan, submissions

NOW = datetime(2012, 12, 1, 12, 0, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parent / "fixtures"

LATER = [  # things made after the plan: an objective, its indicator, an item, a reservation
    ev("ObjectiveDefined", "obj-09", "2012-05-22", year=2012, objective="09", level="strategic",
       title="Nuovo obiettivo", perspective="Imprese", line="A1"),
    ev("IndicatorDefined", "ind-09.1", "2012-05-22", indicator="09.1", objective="09", title="Pratiche",
       weight="100", direction="higher", target="10", unit="n.", source="measured"),
    ev("BudgetItemOpened", "item-3", "2012-05-22", item="A1/09/01", line="A1", objective="09",
       product="Nuovo prodotto", amount="5000.00"),
    ev("ReservationMade", "res-1", "2012-06-01", reservation="r1", item="A1/09/01", amount="1000.00"),
    ev("IndicatorDefined", "ind-04.3", "2012-06-15", indicator="04.3", objective="04", title="Nuovo",
       weight="0", direction="higher", target="10", unit="n.", source="measured"),
]


def ledger_with(*extra: dict[str, Any]) -> Ledger:
    return in_memory_ledger([*small_plan(), *LATER, *extra], NOW)


def append(ledger: Ledger, *objs: dict[str, Any]) -> list[bool]:
    return ledger.extend(submissions(list(objs)), now=NOW)


def test_an_approval_effective_before_its_reservation_is_refused_naming_both_dates() -> None:
    ledger = ledger_with()
    with pytest.raises(EffectiveBeforeExistence) as caught:
        append(ledger, ev("ReservationApproved", "a1", "2012-05-31", reservation="r1", amount="100.00"))
    assert caught.value.event_id == "a1"
    assert str(caught.value) == (
        "event 'a1': ReservationApproved is effective 2012-05-31, before reservation 'r1' exists:"
        " ReservationMade 'res-1' makes it from 2012-06-01"
    )


def change(day: str, objective: str, **kw: Any) -> dict[str, Any]:
    return ev("ObjectiveChanged", "ch", day, objective=objective, cause="internal", reason="r", what="target",
              **kw)


EARLY = {
    "an objective change before its objective": (
        change("2012-04-30", "09"),
        ("ObjectiveChanged is effective 2012-04-30, before objective '09' exists:"
         " ObjectiveDefined 'obj-09' makes it from 2012-05-22")),
    "an objective change before the indicator it revises": (
        change("2012-06-01", "04", indicator="04.3", target="12"),
        ("ObjectiveChanged is effective 2012-06-01, before indicator '04.3' exists:"
         " IndicatorDefined 'ind-04.3' makes it from 2012-06-15")),
    "an indicator before its objective": (
        ev("IndicatorDefined", "ind-09.2", "2012-03-01", indicator="09.2", objective="09", title="t",
           weight="0", direction="higher", target="1", unit="n.", source="measured"),
        "IndicatorDefined is effective 2012-03-01, before objective '09' exists"),
    "an indicator reusing one not yet defined": (
        ev("IndicatorDefined", "ind-04.4", "2012-03-01", indicator="04.4", objective="04", title="t",
           weight="0", direction="higher", target="1", unit="n.", source="reference", uses="09.1"),
        ("IndicatorDefined is effective 2012-03-01, before indicator '09.1' exists:"
         " IndicatorDefined 'ind-09.1' makes it from 2012-05-22")),
    "a measurement before its indicator": (
        ev("IndicatorMeasured", "m1", "2012-04-30", indicator="09.1", period_end="2012-04-30", value="3"),
        "IndicatorMeasured is effective 2012-04-30, before indicator '09.1' exists"),
    "an objective under a parent not yet defined": (
        ev("ObjectiveDefined", "obj-09.1", "2012-03-01", year=2012, objective="9.1", level="operational",
           title="Operativo", parent="09", area="AMM"),
        "ObjectiveDefined is effective 2012-03-01, before objective '09' exists"),
    "a variation before its item's opening": (
        ev("BudgetVaried", "v1", "2012-05-21", item="A1/09/01", amount="100.00"),
        ("BudgetVaried is effective 2012-05-21, before budget item 'A1/09/01' exists:"
         " BudgetItemOpened 'item-3' makes it from 2012-05-22")),
    "a reservation before its item's opening": (
        ev("ReservationMade", "r2", "2012-02-01", reservation="r2", item="A1/09/01", amount="100.00"),
        "ReservationMade is effective 2012-02-01, before budget item 'A1/09/01' exists"),
    "an adjustment before its reservation": (
        ev("ReservationAdjusted", "j1", "2012-05-31", reservation="r1", amount="100.00"),
        "ReservationAdjusted is effective 2012-05-31, before reservation 'r1' exists"),
    "a strike before its objective": (
        ev("ObjectiveStruck", "s1", "2012-05-01", objective="09", cause="external", reason="impossibile"),
        "ObjectiveStruck is effective 2012-05-01, before objective '09' exists"),
    "a strike before its indicator": (
        ev("IndicatorStruck", "s2", "2012-05-01", indicator="09.1", cause="external", reason="impossibile"),
        "IndicatorStruck is effective 2012-05-01, before indicator '09.1' exists"),
}


@pytest.mark.parametrize("case", EARLY, ids=list(EARLY))
def test_a_fact_effective_before_what_it_refers_to_exists_is_refused(case: str) -> None:
    obj, message = EARLY[case]
    ledger = ledger_with()
    with pytest.raises(EffectiveBeforeExistence, match=message) as caught:
        append(ledger, obj)
    assert caught.value.event_id == obj["id"]
    assert len(ledger.pending_events) == 1 + len(small_plan()) + len(LATER)  # nothing was written


def test_a_revocation_before_its_strike_is_refused() -> None:
    ledger = ledger_with(ev("ObjectiveStruck", "s1", "2012-07-01", objective="09", cause="external",
                            reason="impossibile"))
    with pytest.raises(StrikeNotInForce, match="strike 's1' takes effect on 2012-07-01: its revocation cannot"
                                               " take effect before"):
        append(ledger, ev("StrikeRevoked", "u1", "2012-06-30", strike="s1", reason="errore"))


def test_facts_on_the_day_their_things_are_made_are_accepted() -> None:
    ledger = ledger_with()
    assert append(
        ledger,
        change("2012-05-22", "09", indicator="09.1", target="12"),
        ev("BudgetVaried", "v1", "2012-05-22", item="A1/09/01", amount="100.00"),
        ev("ReservationApproved", "a1", "2012-06-01", reservation="r1", amount="100.00"),
        ev("ReservationAdjusted", "j1", "2012-06-01", reservation="r1", amount="100.00"),
    ) == [True] * 4


def test_a_budget_item_may_open_on_1_january_before_the_plan_names_its_objective() -> None:
    # The seed: the 2012 budget is in force from 01/01, the plan naming its objectives from 27/01/2012.
    early = ev("BudgetItemOpened", "item-4", "2012-01-01", item="A1/09/02", line="A1", objective="09",
               product="Dal bilancio", amount="1.00")
    assert append(ledger_with(), early) == [True]


def test_a_correction_is_checked_as_the_fact_it_makes() -> None:
    ledger = ledger_with(ev("ReservationApproved", "a1", "2012-06-01", reservation="r1", amount="100.00"))
    assert append(ledger, ev("EventCorrected", "c1", "2012-06-01", corrects="a1", reason="importo",
                             changes={"amount": "200.00"})) == [True]


def test_a_ledger_of_an_earlier_version_keeps_its_contradictory_dates_and_verifies(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    shutil.copy(FIXTURES / "v1-example-2012.db", path)
    with Store.open(str(path)) as store:
        store.append(submissions([
            # Objective 04 is defined effective 27/01/2012.
            ev("ObjectiveChanged", "ch-early", "2012-01-10", objective="04", cause="normative",
               reason="legge", what="titolo"),
        ]))
        assert verify(store).ok
