"""Invariants of the projections, for random valid event streams (hypothesis)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from events import LedgerEvent, ReservationAdjusted, ReservationApproved, parse_submission
from ledger.aggregate import Ledger
from ledger.errors import RuleViolation
from projections.achievement import score
from projections.budget import COLUMNS, Amounts, budget
from projections.facts import Cut
from tests.conftest import ev, small_plan

NOW = datetime(2013, 1, 1, tzinfo=UTC)
ITEMS = ["A1/04/01", "A1/04/02"]
days = st.integers(0, 330).map(lambda n: (date(2012, 1, 27) + timedelta(days=n)).isoformat())
money = st.integers(1, 800_000).map(lambda c: f"{Decimal(c) / 100:.2f}")
op = st.one_of(
    st.tuples(st.just("vary"), st.sampled_from(ITEMS), money, st.booleans(), days),
    st.tuples(st.just("reserve"), st.sampled_from(ITEMS), money, st.booleans(), days),
    st.tuples(st.just("approve"), st.integers(0, 20), money, st.booleans(), days),
    st.tuples(st.just("adjust"), st.integers(0, 20), money, st.booleans(), days),
)


def stream(ops: list[tuple[Any, ...]]) -> list[LedgerEvent]:
    """Append the ops to a small plan, keeping those the rules accept."""
    ledger = Ledger.open(entity="Test", actor="cdg", note="", now=NOW)
    ledger.extend([parse_submission(o) for o in small_plan()], now=NOW)
    reservations: list[str] = []
    for n, (kind, target, amount, negative, day) in enumerate(ops):
        eid = f"e{n}"
        if kind == "vary":
            obj = ev("BudgetVaried", eid, day, item=target, amount=("-" if negative else "") + amount)
        elif kind == "reserve":
            obj = ev("ReservationMade", eid, day, reservation=eid, item=target, amount=amount)
        elif not reservations:
            continue
        elif kind == "approve":
            obj = ev("ReservationApproved", eid, day, reservation=reservations[target % len(reservations)],
                     amount=amount)
        else:
            obj = ev("ReservationAdjusted", eid, day, reservation=reservations[target % len(reservations)],
                     amount=("-" if negative else "") + amount)
        try:
            ledger.extend([parse_submission(obj)], now=NOW)
        except RuleViolation:
            continue
        if kind == "reserve":
            reservations.append(eid)
    return list(ledger.pending_events)  # type: ignore[arg-type]


def figures(table: Any) -> dict[str, dict[str, Decimal]]:
    found = {row.item: {c: row.amounts.get(c) for c in COLUMNS} for row in table.rows}
    found["total"] = {c: table.total.amounts.get(c) for c in COLUMNS}
    return found


@settings(max_examples=60, deadline=None)
@given(st.lists(op, max_size=25))
def test_available_is_total_minus_net_reserved_and_subtotals_are_sums(ops: list[tuple[Any, ...]]) -> None:
    table = budget(stream(ops))
    for row in table.rows:
        a = row.amounts
        assert a.total == a.budget + a.variations
        assert a.available == a.total - (a.reserved - a.adjusted)
        assert a.approved <= a.reserved - a.adjusted
    for group in (*table.objectives, *table.lines, table.total):
        summed = sum((row.amounts for row in group.rows), Amounts())
        assert all(group.amounts.get(c) == summed.get(c) for c in COLUMNS)


@settings(max_examples=60, deadline=None)
@given(st.lists(op, max_size=25), days)
def test_replaying_as_of_a_date_equals_replaying_only_the_facts_effective_by_then(
    ops: list[tuple[Any, ...]], as_of: str
) -> None:
    events = stream(ops)
    cut = date.fromisoformat(as_of)
    effective = [e for e in events if e.effective_date <= cut]
    assert figures(budget(events, Cut(as_of=cut))) == figures(budget(effective))


@settings(max_examples=60, deadline=None)
@given(st.lists(op, max_size=25), st.randoms(use_true_random=False))
def test_figures_do_not_depend_on_the_order_independent_events_were_recorded(
    ops: list[tuple[Any, ...]], rnd: Any
) -> None:
    events = stream(ops)
    plan, moves = events[:9], events[9:]
    shuffled = moves[:]
    rnd.shuffle(shuffled)
    # Approvals and adjustments stay after their reservation; everything else is free.
    position = {e.event_id: i for i, e in enumerate(shuffled)}

    def key(e: LedgerEvent) -> tuple[int, bool, int]:
        dependent = isinstance(e, (ReservationApproved, ReservationAdjusted))
        anchor = position[e.reservation] if dependent else position[e.event_id]  # type: ignore[attr-defined]
        return anchor, dependent, position[e.event_id]

    ordered = sorted(shuffled, key=key)
    assert figures(budget(plan + ordered)) == figures(budget(events))


@given(
    st.sampled_from(["higher", "lower", "at_least"]),
    st.decimals(-1000, 1000, places=3),
    st.decimals(-1000, 1000, places=3),
)
def test_an_indicator_scores_between_0_and_100_percent(
    direction: str, value: Decimal, target: Decimal
) -> None:
    achieved, rule = score(direction, f"{value:f}", f"{target:f}", Decimal("0.02"))
    assert Decimal(0) <= achieved <= Decimal(1) and rule


@given(st.integers(-30, 90))
def test_a_deadline_costs_the_plans_penalty_per_day_late(late: int) -> None:
    due = date(2012, 5, 12)
    achieved, _ = score(
        "deadline", (due + timedelta(days=late)).isoformat(), due.isoformat(), Decimal("0.02")
    )
    assert achieved == (1 if late <= 0 else max(Decimal(0), 1 - Decimal("0.02") * late))
