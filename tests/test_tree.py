"""The rules of the tree: a plan declares its levels, each objective sits on one under a parent above
it and names who answers for it; indicators reuse others by reference or compare two years.

Refusals apply to plans that declare their tree (PlanOpened version 2); a plan of an earlier version
keeps the rules its facts were written under.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli.main import main
from ledger.errors import (
    InvalidCorrection,
    NotInTheTree,
    PlanParametersInvalid,
    UnknownReference,
    ValueDoesNotFitIndicator,
)
from tests.conftest import ev
from tests.tree_helpers import (
    DAY,
    append,
    indicator,
    ledger_of,
    measured,
    objective,
    plan,
    seed_measurements,
    seed_tree,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
OWNER = "Dirigente Area Amministrativa"


def test_the_seeds_tree_is_accepted_with_its_individual_objectives_under_strategic_ones() -> None:
    # Section 2.4 lists the managers' individual objectives under strategic objectives ("15.
    # Implementazione del sistema di Pianificazione e Controllo" -> its actions), skipping the
    # operational level: a parent may sit on any level above its child.
    ledger = ledger_of(*seed_tree(), *seed_measurements())
    assert ledger.book.objectives["DIR-AMM/15-1"].parent == "15"


def test_an_objectives_level_is_one_of_its_plans_levels() -> None:
    ledger = ledger_of(plan())
    with pytest.raises(NotInTheTree, match=r"level 'operativo' is not one of the levels of the plan of 2012"
                                           r" \(strategic, operational, individual\)"):
        append(ledger, objective("01", "operativo"))


def test_a_plan_may_name_other_levels_and_they_are_the_ones_objectives_use() -> None:
    ledger = ledger_of(plan(levels="public_value,strategic,operational,individual"),
                       objective("VP1", "public_value"), objective("01", "strategic", "VP1"))
    assert ledger.book.objectives["01"].level == "strategic"
    with pytest.raises(NotInTheTree, match="level 'strategic' needs a parent on a level above it"
                                           r" \(public_value\)"):
        append(ledger, objective("02", "strategic"))


def test_an_objective_on_the_top_level_has_no_parent() -> None:
    ledger = ledger_of(plan(), objective("01", "strategic"))
    with pytest.raises(NotInTheTree, match="objective '02' is on the top level 'strategic': it has no"
                                           " parent"):
        append(ledger, objective("02", "strategic", "01"))


def test_an_objective_below_the_top_needs_a_parent() -> None:
    ledger = ledger_of(plan())
    with pytest.raises(NotInTheTree, match="objective 'AMM/1.1' on level 'operational' needs a parent"):
        append(ledger, objective("AMM/1.1", "operational", area="AMM"))


def test_a_parent_sits_on_a_higher_level_of_the_same_plan() -> None:
    ledger = ledger_of(plan(), objective("01", "strategic"),
                       objective("AMM/1.1", "operational", "01", area="AMM"))
    with pytest.raises(NotInTheTree, match="parent 'AMM/1.1' is on level 'operational', not above"
                                           " 'operational'"):
        append(ledger, objective("AMM/1.2", "operational", "AMM/1.1", area="AMM"))
    ledger = ledger_of(plan(), plan(2013), objective("01", "strategic"))
    with pytest.raises(UnknownReference, match="unknown objective '01'"):
        append(ledger, objective("2013/AMM/1.1", "operational", "01", year=2013, day="2013-01-27",
                                 area="AMM"))


def test_an_objective_below_the_entity_level_names_its_area() -> None:
    ledger = ledger_of(plan(), objective("01", "strategic"))
    with pytest.raises(NotInTheTree, match="objective 'AMM/1.1' on level 'operational' names its area"):
        append(ledger, objective("AMM/1.1", "operational", "01"))
    # the entity level and those above it answer for the whole body: no area needed
    ledger = ledger_of(plan(levels="public_value,strategic,operational,individual"),
                       objective("VP1", "public_value"))
    assert append(ledger, objective("01", "strategic", "VP1")) == [True]


def test_an_individual_objective_names_its_owner_and_its_area_is_optional() -> None:
    ledger = ledger_of(plan(), objective("01", "strategic"))
    with pytest.raises(NotInTheTree, match="objective 'DIR/1' on level 'individual' names its owner"):
        append(ledger, objective("DIR/1", "individual", "01", area="AMM"))
    assert append(ledger, objective("DIR/1", "individual", "01", owner=OWNER)) == [True]


def test_an_objective_below_another_stays_on_the_policy_line_of_the_objectives_above_it() -> None:
    ledger = ledger_of(plan(), ev("PolicyLineDefined", "line-A1", DAY, year=2012, line="A1", title="A1"),
                       ev("PolicyLineDefined", "line-A2", DAY, year=2012, line="A2", title="A2"),
                       objective("04", "strategic", line="A1"))
    with pytest.raises(NotInTheTree, match="objective 'AMM/4.1' is on policy line 'A2', but the objectives"
                                           " above it are on 'A1'"):
        append(ledger, objective("AMM/4.1", "operational", "04", area="AMM", line="A2"))
    assert append(ledger, objective("AMM/4.2", "operational", "04", area="AMM", line="A1")) == [True]


def test_a_predecessor_is_an_objective_of_an_earlier_year() -> None:
    ledger = ledger_of(plan(), plan(2013), objective("01", "strategic"),
                       objective("2013/01", "strategic", year=2013, day="2013-01-27", predecessor="01"))
    assert ledger.book.objectives["2013/01"].predecessor == "01"
    with pytest.raises(NotInTheTree, match="predecessor '2013/01' is an objective of 2013, not of a year"
                                           " before 2013"):
        append(ledger, objective("2013/02", "strategic", year=2013, day="2013-01-27", predecessor="2013/01"))
    with pytest.raises(UnknownReference, match="unknown objective '99'"):
        append(ledger, objective("2013/03", "strategic", year=2013, day="2013-01-27", predecessor="99"))


def test_a_plans_entity_level_is_one_of_its_levels() -> None:
    ledger = ledger_of()
    with pytest.raises(PlanParametersInvalid, match="entity_level 'ente' is not one of the plan's levels"):
        append(ledger, plan(entity_level="ente"))
    assert append(ledger, plan(levels="public_value,strategic,operational", entity_level="public_value"))


def test_a_corrected_level_keeps_its_children_below_it() -> None:
    ledger = ledger_of(plan(levels="strategic,operational,action,individual"), objective("01", "strategic"),
                       objective("AMM/1.1", "operational", "01", area="AMM"),
                       objective("AMM/1.1.a", "action", "AMM/1.1", area="AMM"))
    with pytest.raises(NotInTheTree, match="objective 'AMM/1.1.a': parent 'AMM/1.1' is on level 'action', not"
                                           " above 'action' .* would no longer sit below it"):
        append(ledger, _correction("objective-AMM/1.1", level="action"))


def _correction(event: str, **changes: Any) -> dict[str, Any]:
    return {"type": "EventCorrected", "id": f"fix-{event}", "effective_date": "2012-01-27", "actor": "cdg",
            "corrects": event, "reason": "typo", "changes": changes}


# -- indicators that reuse others ------------------------------------------------------------------
def test_a_reference_uses_an_existing_indicator_of_its_year() -> None:
    ledger = ledger_of(*seed_tree())
    with pytest.raises(UnknownReference, match="unknown indicator 'nope'"):
        append(ledger, indicator("DIR-AMM/15-1-9", "DIR-AMM/15-1", "10", "higher", "1", source="reference",
                                 uses="nope"))
    with pytest.raises(NotInTheTree, match="a reference indicator names the indicator it uses"):
        append(ledger, indicator("DIR-AMM/15-1-9", "DIR-AMM/15-1", "10", "higher", "1", source="reference"))
    ledger = ledger_of(*seed_tree(), plan(2013),
                       objective("2013/15", "strategic", year=2013, day="2013-01-27"))
    with pytest.raises(NotInTheTree, match="uses indicator '15.x' of 2012: a reference uses an indicator of"
                                           " its own year, 2013"):
        append(ledger, indicator("2013/15.1", "2013/15", "10", "higher", "1", day="2013-01-27",
                                 source="reference", uses="15.x"))


def test_a_reference_does_not_use_another_reference() -> None:
    ledger = ledger_of(*seed_tree())
    with pytest.raises(NotInTheTree, match="indicator 'DIR-ANA/16-1-1' is itself a reference \\(to '16.2'\\):"
                                           " use '16.2'"):
        append(ledger, indicator("DIR-AMM/15-1-9", "DIR-AMM/15-1", "10", "higher", "1", source="reference",
                                 uses="DIR-ANA/16-1-1"))


def test_a_reference_fits_the_kind_of_the_indicator_it_uses() -> None:
    ledger = ledger_of(*seed_tree())
    with pytest.raises(ValueDoesNotFitIndicator, match="'AMM/15.1-3' is a deadline"):
        append(ledger, indicator("DIR-AMM/15-1-9", "DIR-AMM/15-1", "10", "higher", "1", source="reference",
                                 uses="AMM/15.1-3"))


def test_a_reference_is_not_measured_itself() -> None:
    ledger = ledger_of(*seed_tree())
    with pytest.raises(ValueDoesNotFitIndicator, match="is reference: the ledger computes it"):
        append(ledger, measured("DIR-ANA/16-1-1", "0.02"))


def test_a_year_ratio_divides_a_measured_quantity_by_the_same_of_the_year_before() -> None:
    ledger = ledger_of(*_two_years())
    assert append(ledger, _ratio("2013/17.2", uses="2013/17.q", compared_with="17.q")) == [True]
    with pytest.raises(NotInTheTree, match="names both uses .* and compared_with"):
        append(ledger, _ratio("2013/17.3", uses="2013/17.q"))
    with pytest.raises(NotInTheTree, match="compared_with '2013/17.q' is of 2013, not of 2012, the year"
                                           " before"):
        append(ledger, _ratio("2013/17.3", uses="2013/17.q", compared_with="2013/17.q"))
    with pytest.raises(NotInTheTree, match="uses '17.q' is of 2012: the ratio of 2013 divides a quantity"
                                           " of 2013"):
        append(ledger, _ratio("2013/17.3", uses="17.q", compared_with="17.q"))
    with pytest.raises(ValueDoesNotFitIndicator, match="compared_with '17.x' is derived:variations: a year"
                                                       " ratio divides two measured quantities"):
        append(ledger, _ratio("2013/17.3", uses="2013/17.q", compared_with="17.x"))


def test_uses_and_compared_with_belong_to_references_and_year_ratios_only() -> None:
    ledger = ledger_of(*_two_years())
    with pytest.raises(NotInTheTree, match="only a reference or a derived:year_ratio indicator names uses or"
                                           " compared_with; '2013/17.9' is measured"):
        append(ledger, indicator("2013/17.9", "2013/17", "0", "lower", "1", day="2013-01-27",
                                 uses="2013/17.q"))
    with pytest.raises(NotInTheTree, match="only a derived:year_ratio indicator is compared_with another"):
        append(ledger, indicator("2013/17.9", "2013/17", "0", "lower", "1", day="2013-01-27",
                                 source="reference", uses="2013/17.q", compared_with="17.q"))


def _two_years() -> list[dict[str, Any]]:
    return [
        plan(), plan(2013), objective("17", "strategic"),
        indicator("17.q", "17", "0", "lower", "ND", unit="€", title="Spese postali 2012"),
        indicator("17.x", "17", "0", "lower", "0.10", unit="%", source="derived:variations"),
        objective("2013/17", "strategic", year=2013, day="2013-01-27", predecessor="17"),
        indicator("2013/17.q", "2013/17", "0", "lower", "ND", day="2013-01-27", unit="€",
                  title="Spese postali 2013"),
    ]


def _ratio(code: str, **fields: Any) -> dict[str, Any]:
    return indicator(code, "2013/17", "50", "lower", "1.00", day="2013-01-27", unit="ratio",
                     source="derived:year_ratio", title="Spese postali anno x / anno x-1", **fields)


# -- plans of the earlier version keep their rules ---------------------------------------------------
def test_a_plan_of_the_earlier_version_keeps_the_rules_its_facts_were_written_under() -> None:
    ledger = ledger_of(plan(), objective("01", "strategic"))
    ledger.book.plans[2012].__dict__["stored_version"] = 1  # as a stored PlanOpened version 1 reads
    assert append(ledger, objective("AA/1.1", "operational", "01"), objective("X", "livello")) == [True, True]


def test_a_ledger_of_the_previous_release_still_takes_an_operational_objective_without_area(
    tmp_path: Path,
) -> None:
    ledger = tmp_path / "v1.db"
    shutil.copyfile(FIXTURES / "v1-example-2012.db", ledger)
    event = {"type": "ObjectiveDefined", "id": "objective-AA/9.2", "effective_date": "2012-01-27",
             "actor": "cdg", "year": 2012, "objective": "AA/9.2", "level": "operational", "title": "t",
             "parent": "09"}
    result = CliRunner().invoke(main, ["--ledger", str(ledger), "append", "--json", json.dumps(event)])
    assert result.exit_code == 0, result.output
    assert CliRunner().invoke(main, ["--ledger", str(ledger), "verify"]).exit_code == 0


def test_a_corrected_plan_keeps_the_levels_its_objectives_use() -> None:
    ledger = ledger_of(plan(), objective("01", "strategic"),
                       objective("AMM/1.1", "operational", "01", area="AMM"))
    with pytest.raises(NotInTheTree, match="level 'operational' is not one of the levels of the plan of 2012"
                                           r" \(strategic, individual\)"):
        append(ledger, _correction("plan-2012", levels="strategic,individual"))


# -- who answers for an objective: by its level's name, not its position ----------------------------------
def test_an_objective_below_the_entity_level_names_its_area_even_on_the_plans_lowest_level() -> None:
    ledger = ledger_of(plan(levels="public_value,strategic,operational", entity_level="strategic"),
                       objective("VP1", "public_value"), objective("01", "strategic", "VP1"))
    assert append(ledger, objective("AMM/1.1", "operational", "01", area="AMM")) == [True]
    with pytest.raises(NotInTheTree, match="objective 'AMM/1.2' on level 'operational' names its area .*"
                                           " only a level named 'individual' names its owner instead"):
        append(ledger, objective("AMM/1.2", "operational", "01", owner=OWNER))
    ledger = ledger_of(plan(levels="strategic,operational"), objective("01", "strategic"))
    assert append(ledger, objective("AMM/1.1", "operational", "01", area="AMM")) == [True]
    assert append(ledger, objective("AMM/1.2", "operational", "01", area="AMM", owner=OWNER)) == [True]


def test_an_objective_on_a_level_named_individual_names_its_owner_wherever_the_level_sits() -> None:
    ledger = ledger_of(plan(levels="strategic,operational,individual,action"), objective("01", "strategic"))
    with pytest.raises(NotInTheTree, match="objective 'DIR/1' on level 'individual' names its owner .* a"
                                           " level named 'individual'"):
        append(ledger, objective("DIR/1", "individual", "01", area="AMM"))
    assert append(ledger, objective("DIR/1", "individual", "01", owner=OWNER)) == [True]
    with pytest.raises(NotInTheTree, match="objective 'AMM/1.a' on level 'action' names its area"):
        append(ledger, objective("AMM/1.a", "action", "DIR/1", owner=OWNER))
    assert append(ledger, objective("AMM/1.a", "action", "DIR/1", area="AMM")) == [True]


# -- the unit of a reference -----------------------------------------------------------------------------
def test_a_reference_has_the_unit_of_the_indicator_it_uses() -> None:
    ledger = ledger_of(*seed_tree())
    with pytest.raises(ValueDoesNotFitIndicator, match="'DIR-AMM/15-1-9' is in '%' but '16.x', which it uses,"
                                                       " is in 'ratio': a reference has the unit"):
        append(ledger, indicator("DIR-AMM/15-1-9", "DIR-AMM/15-1", "10", "higher", "0.5", unit="%",
                                 source="reference", uses="16.x"))
    assert append(ledger, indicator("DIR-AMM/15-1-9", "DIR-AMM/15-1", "10", "higher", "0.5", unit="ratio",
                                    source="reference", uses="16.x")) == [True]


def test_a_correction_of_an_indicators_unit_is_refused_with_a_pointer_to_a_new_indicator() -> None:
    ledger = ledger_of(*seed_tree(), *seed_measurements())
    with pytest.raises(InvalidCorrection, match="indicator '16.x' is in 'ratio': its unit is not corrected"
                                                " .* define a new indicator"):
        append(ledger, _correction("indicator-16.x", unit="%"))
    assert append(ledger, _correction("indicator-16.x", title="Riscossione")) == [True]
