"""Roll-ups of the tree: each objective's own achievement and the roll-up of its children, by the
plan's rule, as the seed's area x strategic tables of section 2.3 print them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from projections.achievement import achievement, rounded_percent
from projections.facts import Cut
from projections.tree import tree
from tests.conftest import ev
from tests.tree_helpers import (
    events_of,
    indicator,
    measured,
    objective,
    only_individual_children,
    plan,
    seed_measurements,
    seed_tree,
)


def seed(*extra: dict[str, Any], rule: str = "pooled") -> Any:
    objs = [*seed_tree(), *seed_measurements(), *extra]
    objs[0] = {**objs[0], "rollup": rule}
    return tree(achievement(events_of(*objs)))


def test_a_strategic_objective_keeps_its_own_figure_beside_the_roll_up_of_its_children() -> None:
    t = seed()
    assert rounded_percent(t.own("16")) == 82  # its own five indicators in the seed, two here
    assert t.own("16") != t.rollup("16")


def test_the_area_amministrativa_rolls_up_strategic_16_pooled_as_the_seed_prints_98() -> None:
    t = seed()
    assert t.rollup("16", area="AMM") == Decimal("0.98")  # (100 + 94 + 100) / 3
    assert rounded_percent(t.rollup("16", area="AMM")) == 98  # the mean of 100% and 97% would print 99%
    assert t.areas("16") == ("AMM", "AAGG")
    assert t.rollup("16", area="AAGG") == Decimal("0.11")


def test_the_area_anagrafica_rolls_up_strategic_12_pooled_as_the_seed_prints_67() -> None:
    assert rounded_percent(seed().rollup("12", area="ANA")) == 67
    assert rounded_percent(seed(rule="mean").rollup("12", area="ANA")) == 75  # what the seed does not print


def test_a_roll_up_of_every_area_pools_every_operational_child() -> None:
    t = seed()
    expected = (Decimal("33.33") * 3 * Decimal("0.98") + 100 * Decimal("0.11")) / (Decimal("33.33") * 3 + 100)
    assert t.rollup("16") == expected


def test_individual_objectives_under_a_strategic_one_are_its_children_but_not_in_its_roll_up() -> None:
    t = seed()
    assert t.children("16") == ("AMM/16.1", "AMM/16.2", "AAGG/16.4", "DIR-ANA/16-1")
    assert t.rollup_level("16") == "operational"
    assert "not rolled up (another level): DIR-ANA/16-1" in t.rollup_derivation("16").formula
    assert t.rollup("16", level="individual") == t.own("DIR-ANA/16-1")
    assert t.rollup("AMM/16.1") is None and t.children("AMM/16.1") == ()
    assert t.rollup_derivation("AMM/16.1").formula == "objective AMM/16.1 has no children: no roll-up"


def test_a_roll_up_takes_the_next_level_only_and_an_objective_without_children_there_has_none() -> None:
    t = seed(*only_individual_children())
    assert t.children("02") == ("DIR-AAGG/1",)
    assert t.rollup_level("02") == "operational"
    assert t.rolled("02") == () and t.rollup("02") is None and t.areas("02") == ()
    assert not t.rolls_up("02") and t.rolls_up("16") and not t.rolls_up("16", area="ANA")
    assert t.rollup_derivation("02").formula == ("objective 02 has no children on level operational: no"
                                                 " roll-up; not rolled up (another level): DIR-AAGG/1")
    assert t.rollup("02", level="individual") == Decimal(1)  # asked for: the individual objectives
    assert t.rollup_level("DIR-AAGG/1") is None  # the lowest level rolls nothing up


def test_a_roll_up_is_explained_with_its_numbers_and_its_childrens_derivations() -> None:
    d = seed().rollup_derivation("16", area="AMM")
    assert d.figure == "roll-up of objective 16 (Migliorare la riscossione delle entrate) in area AMM"
    assert d.formula.startswith("pooled over the children's indicators: sum(w x r) / sum(w) = (33.33 x 1 +"
                                " 33.33 x 0.94 + 33.33 x 1) / 99.99 = 0.98")
    assert d.formula.endswith("children (operational): AMM/16.1, AMM/16.2")
    assert [p.figure.split(" (")[0] for p in d.parts] == ["achievement of objective AMM/16.1",
                                                         "achievement of objective AMM/16.2"]
    mean = seed(rule="mean").rollup_derivation("12", area="ANA")
    assert mean.formula.startswith("mean of the children's own achievements = (1 + 0.5) / 2 = 0.75")


def test_a_struck_child_is_out_of_the_roll_up() -> None:
    t = seed(ev("ObjectiveStruck", "strike-16.4", "2012-12-31", objective="AAGG/16.4", cause="external",
                reason="r"))
    assert t.rollup("16") == Decimal("0.98")
    assert "left out (struck): AAGG/16.4" in t.rollup_derivation("16").formula


def test_the_tree_orders_objectives_under_their_parents_and_ranks_them_by_level() -> None:
    t = seed()
    order = [n.code for n in t.walk()]
    assert order[:6] == ["12", "ANA/12.1", "ANA/12.3", "15", "AMM/15.1", "DIR-AMM/15-1"]
    assert [t.node(c).rank for c in ("15", "AMM/15.1", "DIR-AMM/15-1")] == [0, 1, 2]
    assert t.node("DIR-AMM/15-1").owner.startswith("Dirigente Area Amministrativa")  # type: ignore[union-attr]
    assert t.descendants("15") == ("AMM/15.1", "DIR-AMM/15-1")


# -- the entity level and the plan's levels -----------------------------------------------------------
def test_the_entity_level_is_the_mean_of_the_plans_scored_level() -> None:
    ach = achievement(events_of(*seed_tree(), *seed_measurements()))
    strategic = [ach.objective(c).achievement for c in ("12", "15", "16")]
    assert ach.entity == sum(strategic, Decimal(0)) / 3  # type: ignore[arg-type]
    assert list(ach.by_level()) == ["strategic", "operational", "individual"]
    piao = achievement(events_of(
        plan(levels="public_value,strategic,operational", entity_level="public_value"),
        objective("VP1", "public_value"), indicator("VP1.1", "VP1", "100", "higher", "1.00"),
        objective("01", "strategic", "VP1", area="SG"), indicator("01.1", "01", "100", "higher", "1.00"),
        measured("VP1.1", "0.5"), measured("01.1", "1.00"),
    ))
    assert piao.entity == Decimal("0.5")
    assert list(piao.by_level()) == ["public_value", "strategic", "operational"]
    assert piao.entity_derivation().formula.startswith("mean of 1 public_value objectives")


# -- individual objectives by reference --------------------------------------------------------------
def test_an_individual_objective_reuses_an_organisational_indicator_with_its_own_weight_and_target() -> None:
    ach = achievement(events_of(*seed_tree(), *seed_measurements()))
    used = ach.indicator("DIR-ANA/16-1-1")
    assert used.value == "0.0107" and rounded_percent(used.achievement) == 11  # type: ignore[arg-type]
    assert used.weight == 100 and ach.indicator("16.2").weight == 20  # the seed's 2.4: 1,07% vs 10% -> 11%
    text = "\n".join(used.derivation().lines())
    assert "value of indicator 16.2 (Finanziamenti da terzi" in text and "used by reference" in text
    assert "IndicatorMeasured 'm-16.2-2012-12-31'" in text


def test_a_correction_of_the_organisational_measurement_reaches_every_objective_that_uses_it() -> None:
    fix = ev("EventCorrected", "fix-16.2", "2012-12-31", corrects="m-16.2-2012-12-31", reason="re-counted",
             changes={"value": "0.02"})
    events = events_of(*seed_tree(), *seed_measurements(), fix)
    after, before = achievement(events), achievement(events, Cut(known_at=len(events) - 1))
    assert rounded_percent(before.indicator("DIR-ANA/16-1-1").achievement) == 11  # type: ignore[arg-type]
    assert rounded_percent(after.indicator("DIR-ANA/16-1-1").achievement) == 20  # type: ignore[arg-type]
    assert rounded_percent(after.indicator("16.2").achievement) == 20  # type: ignore[arg-type]
    assert "corrects m-16.2-2012-12-31: re-counted" in "\n".join(after.indicator("DIR-ANA/16-1-1")
                                                                   .derivation().lines())


def test_a_reference_follows_the_used_indicator_at_every_cut() -> None:
    events = events_of(*seed_tree(), measured("16.2", "0.05", "2012-04-30"), measured("16.2", "0.0107"))
    april = achievement(events, Cut(as_of=date(2012, 5, 1)))
    assert april.indicator("DIR-ANA/16-1-1").value == "0.05"
    assert achievement(events).indicator("DIR-ANA/16-1-1").value == "0.0107"
    march = achievement(events, Cut(as_of=date(2012, 4, 1)))
    assert march.indicator("DIR-ANA/16-1-1").excluded == "not measured"


# -- year on year --------------------------------------------------------------------------------------
def year_on_year(*extra: dict[str, Any]) -> list[Any]:
    return events_of(
        plan(), plan(2013), objective("17", "strategic"),
        indicator("17.q", "17", "0", "lower", "ND", unit="€", title="Spese postali 2012"),
        objective("2013/17", "strategic", year=2013, day="2013-01-27", predecessor="17"),
        indicator("2013/17.q", "2013/17", "0", "lower", "ND", day="2013-01-27", unit="€",
                  title="Spese postali 2013"),
        indicator("2013/17.2", "2013/17", "100", "lower", "1.00", day="2013-01-27", unit="ratio",
                  source="derived:year_ratio", uses="2013/17.q", compared_with="17.q"),
        *extra,
    )


def test_a_year_ratio_divides_this_years_measurement_by_last_years() -> None:
    events = year_on_year(measured("17.q", "25000.00"), measured("2013/17.q", "24000.00", "2013-12-31"))
    ach = achievement(events, year=2013)
    ratio = ach.indicator("2013/17.2")
    assert ratio.value == "0.96" and rounded_percent(ratio.achievement) == 100  # type: ignore[arg-type]
    text = "\n".join(ratio.derivation().lines())
    assert "2013/17.q / 17.q = 24000.00 / 25000.00 = 0.96" in text
    assert "m-17.q-2012-12-31" in text and "m-2013/17.q-2013-12-31" in text
    assert ach.objective("2013/17").definition.predecessor == "17"


def test_a_year_ratio_without_either_measurement_is_not_measured() -> None:
    ach = achievement(year_on_year(measured("2013/17.q", "24000.00", "2013-12-31")), year=2013)
    assert ach.indicator("2013/17.2").excluded == "not measured"
    assert "17.q is not measured" in ach.indicator("2013/17.2").derivation().parts[0].formula


# -- the property: a roll-up equals the stated mean of its children at every cut ---------------------------
AREAS = ["AMM", "ANA", "AAGG"]
PERIODS = ["2012-04-30", "2012-08-31", "2012-12-31"]
CUTS = [date(2012, 3, 1), date(2012, 5, 15), date(2012, 8, 31), None]

indicator_spec = st.tuples(st.integers(0, 100), st.integers(1, 50),
                           st.lists(st.tuples(st.sampled_from(PERIODS), st.integers(0, 80)), max_size=3))
child_spec = st.tuples(st.sampled_from(AREAS), st.lists(indicator_spec, min_size=1, max_size=3))
strategic_spec = st.lists(child_spec, max_size=4)


def generated(rule: str, strategics: list[list[Any]]) -> list[dict[str, Any]]:
    objs = [{**plan(), "rollup": rule}]
    for s, children in enumerate(strategics):
        objs.append(objective(f"S{s}", "strategic"))
        for c, (area, indicators) in enumerate(children):
            code = f"{area}/S{s}.{c}"
            objs.append(objective(code, "operational", f"S{s}", area=area))
            for i, (weight, target, measurements) in enumerate(indicators):
                objs.append(indicator(f"{code}-{i}", code, str(weight), "higher", str(target)))
                for period, value in dict(measurements).items():  # one measurement per period
                    objs.append(measured(f"{code}-{i}", str(value), period))
    return objs


def expected(rule: str, children: list[Any], cut: date | None, area: str | None) -> Decimal | None:
    """The stated rule, computed from the generated numbers (not from the projection's scores)."""
    pooled: list[tuple[Decimal, Decimal]] = []
    means: list[Decimal] = []
    for child_area, indicators in children:
        if area is not None and child_area != area:
            continue
        terms = []
        for weight, target, measurements in indicators:
            seen = {p: v for p, v in dict(measurements).items()
                    if cut is None or date.fromisoformat(p) <= cut}
            if weight > 0 and seen:
                value = Decimal(seen[max(seen)])
                terms.append((Decimal(weight), min(Decimal(1), value / Decimal(target))))
        pooled += terms
        weights = sum((w for w, _ in terms), Decimal(0))
        if weights:
            means.append(sum((w * r for w, r in terms), Decimal(0)) / weights)
    if rule == "mean":
        return sum(means, Decimal(0)) / len(means) if means else None
    weights = sum((w for w, _ in pooled), Decimal(0))
    return sum((w * r for w, r in pooled), Decimal(0)) / weights if weights else None


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["pooled", "mean"]), st.lists(strategic_spec, min_size=1, max_size=3))
def test_a_roll_up_equals_the_stated_mean_of_its_children_at_every_cut(
    rule: str, strategics: list[Any]
) -> None:
    events = events_of(*generated(rule, strategics))
    for cut in CUTS:
        t = tree(achievement(events, Cut(as_of=cut)))
        for s, children in enumerate(strategics):
            for area in (None, *AREAS):
                want, got = expected(rule, children, cut, area), t.rollup(f"S{s}", area=area)
                assert (want is None) == (got is None), (rule, cut, area)
                if want is not None and got is not None:
                    assert abs(want - got) < Decimal("1e-20"), (rule, cut, area, want, got)


@pytest.mark.parametrize("rule", ["pooled", "mean"])
def test_a_plan_of_the_earlier_version_rolls_up_by_the_pooled_rule(rule: str) -> None:
    t = seed(rule=rule)
    assert t.rule == rule


def test_a_reference_to_a_struck_indicator_is_withdrawn_with_the_same_strike() -> None:
    strike = ev("IndicatorStruck", "struck-16.2", "2012-12-31", indicator="16.2", cause="external",
                reason="the third-party funding was not collected")
    events = events_of(*seed_tree(), *seed_measurements(), strike)
    ach = achievement(events)
    used = ach.indicator("DIR-ANA/16-1-1")
    assert used.withdrawn is not None and used.withdrawn.event_id == "struck-16.2"
    assert used.excluded == "withdrawn (external)" and not used.counts and used.achievement is None
    assert ach.objective("DIR-ANA/16-1").achievement is None  # its only indicator is out of its mean
    text = "\n".join(used.derivation().lines())
    assert "withdrawn (external): 16.2, which it uses by reference, is struck:" in text
    assert "struck-16.2" in text
    before = achievement(events, Cut(known_at=len(events) - 1)).indicator("DIR-ANA/16-1-1")
    assert before.withdrawn is None and rounded_percent(before.achievement) == 11  # type: ignore[arg-type]
