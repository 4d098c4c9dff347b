"""Scoring rules for every real indicator: any sign of target, targets of 0, percentages, withdrawals.

Higher is better: r = 1 + (v - t) / |t| (v / t for t > 0); lower is better: r = 1 - (v - t) / |t|
(2 - v / t for t > 0); at most: 100% if v <= t; clamped to 0..100%.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events import LedgerEvent
from ledger.aggregate import Ledger
from ledger.errors import ValueDoesNotFitIndicator
from projections.achievement import achievement, rounded_percent, score
from tests.conftest import ev, in_memory_ledger, small_plan, submissions

NOW = datetime(2013, 1, 15, 12, 0, tzinfo=UTC)
PENALTY = Decimal("0.02")


def ledger_with(*extra: dict[str, Any]) -> Ledger:
    return in_memory_ledger([*small_plan(), *extra], NOW)


def events_of(*extra: dict[str, Any]) -> list[LedgerEvent]:
    return list(ledger_with(*extra).pending_events)  # type: ignore[arg-type]


def indicator(code: str, direction: str, target: str, unit: str = "n.", objective: str = "08",
              weight: str = "100") -> dict[str, Any]:
    return ev("IndicatorDefined", f"ind-{code}", "2012-01-27", indicator=code, objective=objective,
              title=f"indicatore {code}", weight=weight, direction=direction, target=target, unit=unit)


def measured(code: str, value: str, end: str = "2012-12-31", eid: str | None = None) -> dict[str, Any]:
    return ev("IndicatorMeasured", eid or f"m-{code}-{end}", end, indicator=code, period_end=end, value=value)


# -- any sign of target ---------------------------------------------------------------------------
def test_payment_timeliness_of_minus_3_days_against_minus_5_scores_60_percent_lower_is_better() -> None:
    achieved, rule = score("lower", "-3", "-5", PENALTY)
    assert achieved == Decimal("0.6")
    assert rule == "lower is better: 1 - (v - t) / |t| = 1 - (-3 - -5) / 5 = 0.6"


def test_a_margin_of_minus_5000_against_minus_10000_is_better_than_its_target_higher_is_better() -> None:
    achieved, rule = score("higher", "-5000.00", "-10000.00", PENALTY)
    assert achieved == 1  # 1 + (-5000 + 10000) / 10000 = 1.5, capped
    assert rule.endswith("= 1.5, capped at 100%")
    assert score("higher", "-15000.00", "-10000.00", PENALTY)[0] == Decimal("0.5")


def test_a_negative_value_against_a_positive_target() -> None:
    assert score("higher", "-5", "10", PENALTY)[0] == 0  # -0.5, floored
    assert score("lower", "-5", "10", PENALTY)[0] == 1  # 2.5, capped
    assert score("lower", "15", "10", PENALTY)[0] == Decimal("0.5")


def test_positive_targets_keep_the_seeds_formulas_and_rule_texts() -> None:
    assert score("higher", "23.17", "30", PENALTY) == (
        Decimal("23.17") / 30, f"higher is better: v / t = 23.17 / 30 = {Decimal('23.17') / 30}")
    lower = score("lower", "67", "51", PENALTY)[1]
    assert lower == f"lower is better: 2 - v / t = 2 - 67 / 51 = {2 - Decimal(67) / 51}"


decimals = st.decimals(min_value=-10**6, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(v=decimals, w=decimals, t=decimals.filter(lambda t: t != 0))
def test_higher_never_falls_and_lower_never_rises_as_the_value_grows_whatever_the_targets_sign(
    v: Decimal, w: Decimal, t: Decimal
) -> None:
    low, high = min(v, w), max(v, w)
    assert score("higher", str(low), str(t), PENALTY)[0] <= score("higher", str(high), str(t), PENALTY)[0]
    assert score("lower", str(low), str(t), PENALTY)[0] >= score("lower", str(high), str(t), PENALTY)[0]
    assert score("higher", str(t), str(t), PENALTY)[0] == score("lower", str(t), str(t), PENALTY)[0] == 1


# -- a target of 0 --------------------------------------------------------------------------------
def test_at_most_scores_100_percent_up_to_its_target_and_0_above() -> None:
    assert score("at_most", "0", "0", PENALTY)[0] == 1  # the seed's non-conformities: 0 vs 0
    assert score("at_most", "1", "0", PENALTY)[0] == 0
    assert score("at_most", "-2", "-1", PENALTY)[0] == 1


@pytest.mark.parametrize("direction, fits", [("higher", "use at_least"), ("lower", "use at_most")])
def test_a_target_of_0_for_higher_or_lower_is_refused_naming_the_rule_that_fits(direction: str,
                                                                               fits: str) -> None:
    with pytest.raises(ValueDoesNotFitIndicator, match=f"target 0.00 .*{direction}.*{fits}"):
        ledger_with(indicator("08.1", direction, "0.00"))
    ledger = ledger_with(indicator("08.1", direction, "5"))
    change = ev("ObjectiveChanged", "ch", "2012-05-22", objective="08", cause="internal", reason="r",
                what="target to 0", indicator="08.1", target="0")
    with pytest.raises(ValueDoesNotFitIndicator, match=fits):
        ledger.extend(submissions([change]), now=NOW)
    correction = ev("EventCorrected", "c", "2012-01-27", corrects="ind-08.1", reason="r",
                    changes={"target": "0"})
    with pytest.raises(ValueDoesNotFitIndicator, match=fits):
        ledger.extend(submissions([correction]), now=NOW)


def test_a_plan_of_an_earlier_version_keeps_scoring_a_target_of_0_as_it_did() -> None:
    assert score("lower", "0", "0", PENALTY)[0] == 1
    assert score("lower", "1", "0", PENALTY)[0] == 0
    assert score("higher", "0", "0", PENALTY)[0] == 1
    assert score("higher", "-1", "0", PENALTY)[0] == 0


# -- percentages ----------------------------------------------------------------------------------
def test_a_percent_target_of_65_is_refused_percentages_are_fractions() -> None:
    with pytest.raises(ValueDoesNotFitIndicator, match="percentages are fractions: write 0.65 for 65%"):
        ledger_with(indicator("08.1", "higher", "65", unit="%"))
    ledger = ledger_with(indicator("08.1", "higher", "0.65", unit="%"))
    assert ledger.book.indicators["08.1"].target == "0.65"


def test_a_percent_value_or_revised_target_beyond_1000_percent_is_refused_ratio_is_the_unit_beyond() -> None:
    ledger = ledger_with(indicator("08.1", "higher", "0.65", unit="%"))
    with pytest.raises(ValueDoesNotFitIndicator, match="for a quantity that may exceed 1000% use unit ratio"):
        ledger.extend(submissions([measured("08.1", "72")]), now=NOW)
    change = ev("ObjectiveChanged", "ch", "2012-05-22", objective="08", cause="internal", reason="r",
                what="target", indicator="08.1", target="-15")
    with pytest.raises(ValueDoesNotFitIndicator, match="percentages are fractions: write -0.15 for -15%"):
        ledger.extend(submissions([change]), now=NOW)
    assert ledger.extend(submissions([measured("08.1", "0.72")]), now=NOW) == [True]
    ratio = ledger_with(indicator("08.1", "higher", "1.10", unit="ratio"), measured("08.1", "1.32"))
    assert ratio.book.indicators["08.1"].unit == "ratio"


def test_a_percent_above_100_as_the_seed_prints_it_is_accepted_isr_8_4_105_percent_scores_100() -> None:
    """Seed 2.3, Azienda Speciale ISR, 8.4 "n. indagini realizzate/n. indagini previste": 105% against
    100%, scored 100%. Up to 1000% (magnitude 10) a percentage is taken as a fraction."""
    scores = achievement(events_of(indicator("08.4", "higher", "1", unit="%"), measured("08.4", "1.05")))
    assert rounded_percent(scores.indicator("08.4").achievement) == 100  # type: ignore[arg-type]
    assert ledger_with(indicator("08.5", "lower", "-10", unit="%")).book.indicators["08.5"].target == "-10"
    with pytest.raises(ValueDoesNotFitIndicator, match="outside -10..10"):
        ledger_with(indicator("08.6", "higher", "10.01", unit="%"))


# -- a struck objective ---------------------------------------------------------------------------
STRIKE_08 = ev("ObjectiveStruck", "s-08", "2012-12-31", objective="08", cause="external",
               reason="the regional law was repealed")


def test_a_struck_objective_shows_no_score_but_withdrawn_with_its_cause() -> None:
    events = events_of(indicator("08.1", "higher", "100"), measured("08.1", "72"))
    assert rounded_percent(achievement(events).objective("08").achievement) == 72  # type: ignore[arg-type]
    scored = achievement(events_of(indicator("08.1", "higher", "100"), measured("08.1", "72"), STRIKE_08))
    struck = scored.objective("08")
    assert struck.achievement is None and struck.band is None
    assert struck.withdrawn is not None and struck.withdrawn.cause == "external"
    assert struck.withdrawn.original.event_id == "s-08"
    assert "08" not in [o.code for o in scored.scored()]


def test_a_struck_objective_reads_withdrawn_in_the_table_and_json() -> None:
    from cli.views import objective_json, show_achievement

    scored = achievement(events_of(indicator("08.1", "higher", "100"), measured("08.1", "72"), STRIKE_08))
    data = objective_json(scored.objective("08"))
    assert data["withdrawn"] == {"cause": "external", "reason": "the regional law was repealed",
                                 "event": "s-08"}
    assert data["achievement"] is None and data["band"] is None
    table = show_achievement(scored, "table", "en").splitlines()
    row = next(line for line in table if line.startswith("08 "))
    assert "withdrawn (external)" in row and "72%" not in row and "not_achieved" not in row
    assert json.loads(show_achievement(scored, "json", "en"))["objectives"][1]["withdrawn"]["event"] == "s-08"
