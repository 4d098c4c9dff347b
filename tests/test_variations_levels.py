"""The variations indicator's denominator is the objectives on the plan's entity level, whatever the
plan names its levels (a PIAO's "strategic" under "public value", or levels of its own)."""

from __future__ import annotations

from projections.variations import variations
from tests.tree_helpers import events_of, objective, plan


def test_the_variations_ratio_counts_the_objectives_of_the_plans_entity_level() -> None:
    events = events_of(
        plan(levels="public_value,strategic,operational"),
        objective("VP1", "public_value"),
        objective("S1", "strategic", "VP1"), objective("S2", "strategic", "VP1"),
        objective("S3", "strategic", "VP1"),
        objective("AMM/S1.1", "operational", "S1", area="AMM"),
    )
    assert [o.objective for o in variations(events, year=2012).objectives] == ["S1", "S2", "S3"]


def test_a_plan_whose_levels_name_no_strategic_level_counts_its_top_level() -> None:
    events = events_of(
        plan(levels="obiettivo,azione"),
        objective("O1", "obiettivo"), objective("O2", "obiettivo"),
        objective("AMM/O1.1", "azione", "O1", area="AMM"),
    )
    assert [o.objective for o in variations(events, year=2012).objectives] == ["O1", "O2"]
