"""Projection rules on small, hand-made ledgers: scoring, points in time, timeliness."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from events import LedgerEvent, parse_submission
from ledger.aggregate import Ledger
from projections.achievement import achievement, rounded_percent, score
from projections.facts import Cut
from projections.timeliness import timeliness
from tests.conftest import ev, small_plan

NOW = datetime(2013, 1, 15, tzinfo=UTC)


def events_of(*extra: dict[str, Any]) -> list[LedgerEvent]:
    ledger = Ledger.open(entity="Test", actor="cdg", note="", now=NOW)
    ledger.extend([parse_submission(o) for o in (*small_plan(), *extra)], now=NOW)
    return list(ledger.pending_events)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "direction, value, target, percent",
    [
        ("higher", "0.76", "0.80", 95),        # the seed: 76% vs 80% -> 95%
        ("higher", "23.17", "30", 77),
        ("lower", "67", "51", 69),             # 2 - 67/51 = 68.6%
        ("lower", "1.02", "1.00", 98),
        ("lower", "0.44", "0.55", 100),        # capped
        ("lower", "0", "0", 100),              # target 0, nothing found
        ("lower", "1", "0", 0),
        ("at_least", "-170845.57", "0", 0),
        ("at_least", "0", "0", 100),
        ("deadline", "2012-05-13", "2012-05-12", 98),
        ("deadline", "2012-08-22", "2012-02-28", 0),
        ("deadline", "2012-03-01", "2012-03-30", 100),
    ],
)
def test_scoring_rules_reproduce_the_seeds_examples(
    direction: str, value: str, target: str, percent: int
) -> None:
    achieved, rule = score(direction, value, target, Decimal("0.02"))
    assert rounded_percent(achieved) == percent and rule


def test_nd_is_not_zero_and_weight_zero_is_left_out() -> None:
    events = events_of(
        ev("IndicatorMeasured", "m1", "2012-12-31", indicator="04.1", period_end="2012-12-31", value="ND"),
        ev("IndicatorMeasured", "m2", "2012-12-31", indicator="04.2", period_end="2012-12-31",
           value="2012-03-30"),
    )
    result = achievement(events)
    assert result.objective("04").achievement == 1 and not result.indicator("04.1").counts
    zero = events_of(
        ev("IndicatorMeasured", "m1", "2012-12-31", indicator="04.1", period_end="2012-12-31", value="0"),
        ev("IndicatorMeasured", "m2", "2012-12-31", indicator="04.2", period_end="2012-12-31",
           value="2012-03-30"),
    )
    assert achievement(zero).objective("04").achievement == Decimal("0.5")


def test_the_deadline_penalty_is_the_plans() -> None:
    events = events_of(
        ev("EventCorrected", "c", "2012-01-27", corrects="plan", reason="tolerance",
           changes={"deadline_penalty": "0.05"}),
        ev("IndicatorMeasured", "m", "2012-12-31", indicator="04.2", period_end="2012-12-31",
           value="2012-04-01"),
    )
    assert achievement(events).indicator("04.2").achievement == Decimal("0.90")  # 2 days late x 5%


def test_timeliness_counts_only_measurements_in_force_at_as_of() -> None:
    events = events_of(
        ev("IndicatorMeasured", "m", "2012-06-01", indicator="04.1", period_end="2012-04-30", value="3"),
    )
    assert timeliness(events, Cut(as_of=date(2012, 5, 15)), 2012).periods == ()
    assert len(timeliness(events, Cut(as_of=date(2012, 6, 1)), 2012).periods) == 1


def test_a_revision_counts_from_its_effective_date() -> None:
    events = events_of(
        ev("IndicatorMeasured", "m", "2012-04-30", indicator="04.1", period_end="2012-04-30", value="24"),
        ev("ObjectiveChanged", "ch", "2012-05-22", objective="04", cause="internal", reason="r",
           what="target 30 -> 24", indicator="04.1", target="24"),
    )
    assert achievement(events, Cut(as_of=date(2012, 5, 1))).indicator("04.1").achievement == Decimal("0.8")
    assert achievement(events, Cut(as_of=date(2012, 5, 22))).indicator("04.1").achievement == 1


def test_a_replay_of_the_plan_facts_only_serves_achievement_but_not_the_budget() -> None:
    from projections.achievement import PLAN_FACTS, achievement
    from projections.budget import budget
    from projections.facts import EVERYTHING, known_facts

    events = events_of(
        ev("IndicatorMeasured", "m1", "2012-04-30", indicator="04.1", period_end="2012-04-30", value="25"),
        ev("ReservationMade", "r1", reservation="r1", item="A1/04/01", amount="10.00"),
        ev("EventCorrected", "c1", corrects="r1", reason="meno", changes={"amount": "5.00"}),  # passed over
    )
    partial = known_facts([e for e in events if isinstance(e, PLAN_FACTS)], EVERYTHING, partial=True)
    assert achievement(partial).entity == achievement(events).entity is not None
    with pytest.raises(ValueError, match="some types only"):
        budget(partial)
