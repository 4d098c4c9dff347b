"""Availability along the effective-date timeline: no budget fact leaves a day below zero without an override.

The small plan's items: A1/04/01 opens with 10.000,00 and A1/04/02 with 0,00, both on 27/01/2012.
Facts are offered in recording order; their effective dates may run in any order.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.main import main
from ledger import Store
from ledger.aggregate import Ledger
from ledger.errors import (
    AdjustmentInvalid,
    ApprovalExceedsReservation,
    OverReservation,
    RuleViolation,
    VariationBelowReserved,
)
from ledger.verify import verify
from projections.budget import budget, budget_of, explain_row
from projections.facts import Cut
from tests.backends import raw
from tests.conftest import ev, in_memory_ledger, small_plan, submissions, write_jsonl

FIXTURES = Path(__file__).resolve().parent / "fixtures"

NOW = datetime(2012, 12, 1, 12, 0, tzinfo=UTC)
FUNDED = "A1/04/01"  # 10.000,00 from 27/01
EMPTY = "A1/04/02"  # 0,00 from 27/01


def ledger_with(*extra: dict[str, Any]) -> Ledger:
    return in_memory_ledger([*small_plan(), *extra], NOW)


def append(ledger: Ledger, *objs: dict[str, Any]) -> list[bool]:
    return ledger.extend(submissions(list(objs)), now=NOW)


def reserve(rid: str, amount: str, day: str, item: str = FUNDED, **kw: Any) -> dict[str, Any]:
    return ev("ReservationMade", rid, day, reservation=rid, item=item, amount=amount, **kw)


def vary(vid: str, amount: str, day: str, item: str = FUNDED, **kw: Any) -> dict[str, Any]:
    return ev("BudgetVaried", vid, day, item=item, amount=amount, **kw)


def available(ledger: Ledger, day: str, item: str = FUNDED) -> Decimal:
    return budget(events_of(ledger), Cut(date.fromisoformat(day))).row(item).amounts.available


def events_of(ledger: Ledger) -> list[Any]:
    """Every event of an in-memory ledger (none is saved)."""
    return list(ledger.pending_events)


# -- the findings -----------------------------------------------------------------------------
def test_a_reservation_in_may_funded_by_a_variation_of_september_is_refused_for_the_days_between() -> None:
    ledger = ledger_with(vary("v-sep", "6000.00", "2012-09-15", item=EMPTY))
    with pytest.raises(OverReservation) as caught:
        append(ledger, reserve("r-may", "6000.00", "2012-05-10", item=EMPTY))
    assert caught.value.event_id == "r-may"
    assert str(caught.value) == (
        "event 'r-may': item 'A1/04/02' has 0,00 available from 2012-05-10 to 2012-09-14; cannot reserve"
        " 6.000,00 effective 2012-05-10 (give override_reason to reserve beyond availability)"
    )
    assert ledger.book.items[EMPTY].amounts.available == Decimal("6000.00")  # nothing was written


def test_the_same_reservation_with_an_override_goes_through_and_the_budget_at_30_06_shows_it() -> None:
    ledger = ledger_with(vary("v-sep", "6000.00", "2012-09-15", item=EMPTY))
    append(ledger, reserve("r-may", "6000.00", "2012-05-10", item=EMPTY, override_reason="Giunta n. 75"))
    assert available(ledger, "2012-06-30", EMPTY) == Decimal("-6000.00")
    assert available(ledger, "2012-09-15", EMPTY) == Decimal("0.00")


def test_a_reservation_effective_once_the_variation_funds_it_is_accepted() -> None:
    ledger = ledger_with(vary("v-sep", "6000.00", "2012-09-15", item=EMPTY))
    assert append(ledger, reserve("r-oct", "6000.00", "2012-10-01", item=EMPTY)) == [True]


def test_a_reservation_recorded_before_its_funding_but_effective_after_it_is_accepted() -> None:
    ledger = ledger_with(reserve("r1", "10000.00", "2012-03-01"))
    assert append(ledger, vary("v1", "5000.00", "2012-06-01"), reserve("r2", "5000.00", "2012-07-01")) == [
        True, True]
    with pytest.raises(OverReservation, match="has 0,00 available from 2012-03-01 to 2012-05-31"):
        append(ledger, reserve("r3", "1.00", "2012-03-01"))


def test_a_negative_variation_before_a_later_funding_is_refused_although_the_sums_would_hold() -> None:
    ledger = ledger_with(reserve("r1", "10000.00", "2012-03-01"), vary("v-jun", "5000.00", "2012-06-01"))
    with pytest.raises(VariationBelowReserved) as caught:
        append(ledger, vary("v-feb", "-5000.00", "2012-02-01"))
    assert str(caught.value) == (
        "event 'v-feb': item 'A1/04/01': a variation of -5.000,00 would leave -5.000,00 available from"
        " 2012-03-01 to 2012-05-31 (effective 2012-02-01); give override_reason to vary beyond availability"
    )
    assert append(ledger, vary("v-feb", "-5000.00", "2012-02-01", override_reason="taglio Giunta")) == [True]


def test_an_adjustment_reserving_more_before_the_funding_arrives_is_refused() -> None:
    ledger = ledger_with(reserve("r1", "5000.00", "2012-03-01"), vary("v-sep", "5000.00", "2012-09-01"))
    adjust = ev("ReservationAdjusted", "adj", "2012-04-01", reservation="r1", amount="-8000.00")
    with pytest.raises(OverReservation, match="has 5.000,00 available from 2012-04-01 to 2012-08-31; an"
                                              " adjustment cannot reserve 8.000,00 more"):
        append(ledger, adjust)
    assert append(ledger, {**adjust, "override_reason": "impegno urgente"}) == [True]


def test_a_correction_raising_a_reservation_before_its_funding_needs_an_override_of_its_own() -> None:
    ledger = ledger_with(reserve("r1", "6000.00", "2012-03-01"), vary("v-sep", "5000.00", "2012-09-01"))
    correction = ev("EventCorrected", "c1", "2012-03-01", corrects="r1", reason="importo",
                    changes={"amount": "14000.00"})
    with pytest.raises(OverReservation) as caught:
        append(ledger, correction)
    assert str(caught.value) == (
        "event 'c1': the correction would break a rule: item 'A1/04/01' would have -4.000,00 available"
        " from 2012-03-01 to 2012-08-31 (give override_reason to correct beyond availability)"
    )
    assert append(ledger, {**correction, "override_reason": "Giunta n. 80"}) == [True]


def test_a_correction_lowering_an_over_reserved_reservation_is_accepted_without_an_override() -> None:
    ledger = ledger_with(reserve("r1", "6000.00", "2012-02-01"),
                         reserve("r2", "6000.00", "2012-02-01", override_reason="alluvione"))
    assert ledger.book.items[FUNDED].amounts.available == Decimal("-2000.00")
    lower = ev("EventCorrected", "c1", "2012-02-01", corrects="r1", reason="meno",
               changes={"amount": "5000.00"})
    assert append(ledger, lower) == [True]
    assert ledger.book.items[FUNDED].amounts.available == Decimal("-1000.00")
    higher = ev("EventCorrected", "c2", "2012-02-01", corrects="r1", reason="più",
                changes={"amount": "5000.01"})
    with pytest.raises(OverReservation, match="would have -1.000,01 available"):
        append(ledger, higher)


def test_a_day_below_zero_by_an_earlier_override_blocks_only_facts_that_lower_it_further() -> None:
    ledger = ledger_with(reserve("r1", "12000.00", "2012-03-01", override_reason="alluvione"))
    # Raising the availability, or lowering days that stay at or above zero, passes.
    assert append(ledger, vary("v1", "500.00", "2012-04-01"),
                  reserve("r-other", "0.00", "2012-04-01", item=EMPTY),
                  ev("ReservationApproved", "a1", "2012-04-01", reservation="r1", amount="12000.00"),
                  vary("v-feb", "-100.00", "2012-02-01", item=EMPTY, override_reason="x")) == [True] * 4
    with pytest.raises(VariationBelowReserved, match="would leave -2.100,00 available from 2012-03-01 on"):
        append(ledger, vary("v2", "-100.00", "2012-02-01"))  # 9.900,00 in February, but March on go lower
    with pytest.raises(OverReservation, match="has -1.500,00 available; cannot reserve 0,01"):
        append(ledger, reserve("r2", "0.01", "2012-06-01"))


def test_an_approval_is_checked_only_for_its_own_rules_since_it_leaves_disponibile_as_it_is() -> None:
    ledger = ledger_with(reserve("r1", "12000.00", "2012-03-01", override_reason="alluvione"))
    approval = ev("ReservationApproved", "a1", "2012-03-02", reservation="r1", amount="12000.00")
    assert append(ledger, approval) == [True]


def test_an_approval_above_what_its_reservation_holds_on_some_day_is_refused_naming_the_day() -> None:
    ledger = ledger_with(reserve("r1", "1000.00", "2012-03-01"),
                         ev("ReservationAdjusted", "adj", "2012-06-01", reservation="r1", amount="-500.00"))
    approval = ev("ReservationApproved", "a1", "2012-04-01", reservation="r1", amount="1500.00")
    with pytest.raises(ApprovalExceedsReservation, match="from 2012-04-01 to 2012-05-31"):
        append(ledger, approval)
    assert append(ledger, {**approval, "effective_date": "2012-06-01"}) == [True]


def test_a_release_that_leaves_a_day_approved_above_reserved_is_refused_naming_the_day() -> None:
    ledger = ledger_with(reserve("r1", "1000.00", "2012-03-01"),
                         ev("ReservationApproved", "a1", "2012-04-01", reservation="r1", amount="800.00"),
                         ev("ReservationAdjusted", "adj", "2012-09-01", reservation="r1", amount="-600.00"))
    release = ev("ReservationAdjusted", "adj2", "2012-05-01", reservation="r1", amount="500.00")
    with pytest.raises(AdjustmentInvalid, match="from 2012-05-01 to 2012-08-31"):
        append(ledger, release)  # the sums hold (1.100,00 reserved, 800,00 approved): not every day does
    assert append(ledger, {**release, "effective_date": "2012-09-01"}) == [True]


def test_a_correction_leaving_a_day_approved_above_reserved_is_refused_naming_the_day() -> None:
    ledger = ledger_with(reserve("r1", "1000.00", "2012-03-01"),
                         ev("ReservationAdjusted", "adj", "2012-06-01", reservation="r1", amount="-500.00"),
                         ev("ReservationApproved", "a1", "2012-04-01", reservation="r1", amount="800.00"))
    lower = ev("EventCorrected", "c1", "2012-03-01", corrects="r1", reason="importo",
               changes={"amount": "700.00"})
    with pytest.raises(ApprovalExceedsReservation, match="100,00 more approved .* 2012-04-01 to 2012-05-31"):
        append(ledger, lower)  # the sums hold: 1.200,00 reserved, 800,00 approved
    higher = ev("EventCorrected", "c2", "2012-04-01", corrects="a1", reason="importo",
                changes={"amount": "1100.00"})
    with pytest.raises(ApprovalExceedsReservation, match="from 2012-04-01 to 2012-05-31"):
        append(ledger, higher)
    assert append(ledger, {**lower, "changes": {"amount": "800.00"}}) == [True]


def test_a_correction_withdrawing_an_override_is_refused_while_the_item_stays_below_zero() -> None:
    ledger = ledger_with(reserve("r1", "12000.00", "2012-03-01", override_reason="Giunta n. 5"))
    withdraw = ev("EventCorrected", "c1", "2012-03-01", corrects="r1", reason="no override",
                  changes={"override_reason": None})
    with pytest.raises(OverReservation, match="would have -2.000,00 available"):
        append(ledger, withdraw)
    assert append(ledger, {**withdraw, "override_reason": "Giunta n. 9"}) == [True]
    assert append(ledger, vary("v1", "2000.00", "2012-01-27"),
                  ev("EventCorrected", "c2", "2012-03-01", corrects="r1", reason="no override",
                     changes={"override_reason": None})) == [True, True]


def test_a_plan_kept_under_its_earlier_rules_checks_the_sums_in_recording_order_only(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    shutil.copy(FIXTURES / "v1-example-2012.db", path)
    with Store.open(str(path)) as store:
        june = budget_of(store, Cut(date(2012, 6, 30))).row("A1/04/02").amounts.available
        amount = f"{june + 1:.2f}"  # one euro more than June has, funded in September only
        store.append(submissions([vary("v-sep", amount, "2012-09-15", item="A1/04/02"),
                                  reserve("r-may", amount, "2012-05-10", item="A1/04/02")]))
        assert budget_of(store, Cut(date(2012, 6, 30))).row("A1/04/02").amounts.available == -1
        assert verify(store).ok


def test_an_earlier_plan_takes_a_release_and_a_raise_on_an_over_reserved_item(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    shutil.copy(FIXTURES / "v1-example-2012.db", path)
    with Store.open(str(path)) as store:
        left = budget_of(store).row("A1/04/02").amounts.available
        store.append(submissions([
            reserve("r-over", f"{left + 1000:.2f}", "2012-12-01", item="A1/04/02", override_reason="urgente"),
            ev("ReservationAdjusted", "j-back", "2012-12-02", reservation="r-over", amount="500.00"),
            vary("v-up", "100.00", "2012-12-02", item="A1/04/02"),
        ]))
        assert budget_of(store).row("A1/04/02").amounts.available == Decimal("-400.00")
        assert verify(store).ok


# -- the override, shown ------------------------------------------------------------------------
def overridden(ledger_url: str, tmp_path: Path) -> list[dict[str, Any]]:
    objs = [vary("v-sep", "6000.00", "2012-09-15", item=EMPTY),
            reserve("r-may", "6000.00", "2012-05-10", item=EMPTY, override_reason="Giunta n. 75 del 5.7.12"),
            reserve("r1", "6000.00", "2012-02-01"),
            reserve("r2", "6000.00", "2012-02-01", override_reason="alluvione"),
            ev("EventCorrected", "c1", "2012-02-01", corrects="r1", reason="più",
               changes={"amount": "7000.00"}, override_reason="delibera 12/2012")]
    run(ledger_url, "import", str(write_jsonl(tmp_path / "plan.jsonl", [*small_plan(), *objs])))
    return objs


def run(url: str, *args: str) -> Any:
    result = CliRunner().invoke(main, ["--ledger", url, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_a_granted_override_is_listed_on_its_row_in_the_budget_table_and_json(
        ledger_url: str, tmp_path: Path) -> None:
    overridden(ledger_url, tmp_path)
    data = json.loads(run(ledger_url, "budget", "--format", "json").output)
    rows = {row["item"]: row for row in data["rows"]}
    assert rows[EMPTY]["overrides"] == [{"event": "r-may", "reason": "Giunta n. 75 del 5.7.12"}]
    assert rows[FUNDED]["overrides"] == [{"event": "r2", "reason": "alluvione"},
                                         {"event": "c1", "reason": "delibera 12/2012"}]
    text = run(ledger_url, "budget").output
    assert ("Overrides (availability allowed below zero):\n"
            "  A1/04/01 Accordo di programma: alluvione (event r2)\n"
            "  A1/04/01 Accordo di programma: delibera 12/2012 (event c1)\n"
            "  A1/04/02 Protocollo IAT: Giunta n. 75 del 5.7.12 (event r-may)") in text
    csv = [line for line in run(ledger_url, "budget", "--format", "csv").output.splitlines()
           if not line.startswith("# ")]  # the cut's comment lines
    assert csv[0].endswith(",available,override")
    assert csv[2].endswith(",Giunta n. 75 del 5.7.12 (event r-may)") and csv[3].endswith(",")
    # As of a day before an override was effective, it is not shown.
    early = json.loads(run(ledger_url, "budget", "--as-of", "2012-03-01", "--format", "json").output)
    assert [row.get("overrides") for row in early["rows"]] == [
        [{"event": "r2", "reason": "alluvione"}, {"event": "c1", "reason": "delibera 12/2012"}], None]


def test_the_read_model_lists_the_overrides_the_replay_lists(ledger_url: str, tmp_path: Path) -> None:
    overridden(ledger_url, tmp_path)
    with Store.open(ledger_url) as store:
        for cut in (Cut(), Cut(date(2012, 3, 1)), Cut(date(2012, 6, 30)), Cut(known_at=12), Cut(known_at=13)):
            replayed = budget(store.events(), cut)
            modelled = budget_of(store, cut)
            assert [r.overrides for r in modelled.rows] == [r.overrides for r in replayed.rows], cut
        assert verify(store).ok


def test_explain_of_an_overridden_row_lists_the_reason() -> None:
    ledger = ledger_with(
        vary("v-sep", "6000.00", "2012-09-15", item=EMPTY),
        reserve("r-may", "6000.00", "2012-05-10", item=EMPTY, override_reason="Giunta n. 75"))
    row = budget(events_of(ledger), Cut(date(2012, 6, 30))).row(EMPTY)
    lines = "\n".join(explain_row(row, "available").lines())
    assert "override granted by r-may: Giunta n. 75" in lines
    assert "ReservationMade 'r-may'" in lines and "+6000.00 (override: Giunta n. 75)" in lines


def test_an_item_off_the_policy_lines_reads_none_from_the_read_model_of_either_store(
        ledger_url: str, tmp_path: Path) -> None:
    off = ev("BudgetItemOpened", "item-off", "2012-02-01", item="AMM/3.1/01", objective="08",
             product="Risorse proprie", amount="500.00")
    run(ledger_url, "import", str(write_jsonl(tmp_path / "plan.jsonl", [*small_plan(), off])))
    with Store.open(ledger_url) as store:
        assert store.budget_model(None, None) is not None
        assert budget_of(store).row("AMM/3.1/01").line is None
        assert budget(store.events()).row("AMM/3.1/01").line is None
    data = json.loads(run(ledger_url, "budget", "--format", "json").output)
    # the seed's table holds the items on a policy line; the one on none is apart, in off_line
    assert [row["line"] for row in data["rows"]] == ["A1", "A1"]
    assert [row["line"] for row in data["off_line"]["rows"]] == [None]


# -- the book: snapshots and verify ------------------------------------------------------------
def test_a_book_restored_from_a_snapshot_refuses_what_the_full_replay_refuses(ledger_url: str) -> None:
    from ledger import application

    application.SNAPSHOT_EVERY = 1
    try:
        with Store.open(ledger_url, create=True) as store:
            store.append(submissions(small_plan()), create=("Test", "cdg"))
            store.append(submissions([vary("v-mar", "6000.00", "2012-03-01", item=EMPTY)]))
            store.append(submissions([reserve("r-oct", "1000.00", "2012-10-01", item=EMPTY)]))
        with Store.open(ledger_url) as store:  # from the snapshot after r-oct
            refused = "has 5.000,00 available from 2012-10-01 on; cannot reserve 5.000,01 effective 2012-05"
            with pytest.raises(OverReservation, match=refused):
                store.append(submissions([reserve("r-may", "5000.01", "2012-05-10", item=EMPTY)]))
            store.append(submissions([reserve("r-may", "5000.00", "2012-05-10", item=EMPTY)]))
            assert verify(store).ok
    finally:
        application.SNAPSHOT_EVERY = 10_000


def test_a_snapshot_an_earlier_version_wrote_is_passed_over_by_loads_and_by_verify(ledger_url: str) -> None:
    from ledger import application

    application.SNAPSHOT_EVERY = 1
    try:
        with Store.open(ledger_url, create=True) as store:
            store.append(submissions(small_plan()), create=("Test", "cdg"))
            store.append(submissions([vary("v-mar", "6000.00", "2012-03-01", item=EMPTY)]))
        db = raw(ledger_url)
        seq, state = db.execute("SELECT seq, state FROM perfledger_snapshots ORDER BY seq DESC LIMIT 1")[0]
        old = json.loads(bytes(state))
        old["format"] = 1  # as the previous release wrote it: items without their opening and timeline
        old["items"] = [row[:10] for row in old["items"]]
        db.execute(db.q("UPDATE perfledger_snapshots SET state = ? WHERE seq = ?"),
                   (json.dumps(old).encode(), seq))
        with Store.open(ledger_url) as store:
            assert verify(store).ok
            with pytest.raises(OverReservation, match="from 2012-02-01 to 2012-02-29"):
                store.append(submissions([reserve("r-feb", "1.00", "2012-02-01", item=EMPTY)]))
    finally:
        application.SNAPSHOT_EVERY = 10_000


# -- the invariant -------------------------------------------------------------------------------
START = date(2012, 1, 27)
DAYS = st.integers(0, 330).map(lambda n: (START + timedelta(days=n)).isoformat())
EUROS = st.integers(0, 12_000).map(lambda n: f"{n}.00")
KINDS = ("reserve", "vary", "adjust", "approve", "correct", "correct-opening", "correct-override")
OPS = st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 30), EUROS, st.booleans(), DAYS,
                         st.integers(0, 9)), min_size=4, max_size=24)
SIGN = {"budget": 1, "variations": 1, "reserved": -1, "adjusted": 1, "approved": 0}


def moves(events: list[Any]) -> dict[str, dict[date, Decimal]]:
    """How each item's Disponibile moves on each day, read from the budget projection's entries."""
    found: dict[str, dict[date, Decimal]] = {}
    for row in budget(events).rows:
        days = found.setdefault(row.item, {})
        for entry in row.entries:
            day = entry.fact.effective_date
            days[day] = days.get(day, Decimal(0)) + SIGN[entry.column] * entry.amount
    return found


LEFT = {"reserved": 1, "adjusted": -1, "approved": -1}


def left(events: list[Any]) -> dict[str, dict[date, Decimal]]:
    """How what is left to approve of each reservation (Prenotato - Rettificato - Approvato) moves on each
    day, read from the budget projection's entries."""
    found: dict[str, dict[date, Decimal]] = {}
    for row in budget(events).rows:
        for entry in row.entries:
            if entry.column in LEFT:
                days = found.setdefault(entry.fact.current.reservation, {})
                day = entry.fact.effective_date
                days[day] = days.get(day, Decimal(0)) + LEFT[entry.column] * entry.amount
    return found


def level(days: dict[date, Decimal], on: date) -> Decimal:
    return sum((amount for day, amount in days.items() if day <= on), Decimal(0))


def offer(ledger: Ledger, op: tuple[str, int, str, bool, str, int], n: int,
          items: dict[str, str]) -> dict[str, Any] | None:
    """The op as a fact on what the ledger holds (None: nothing to offer); ``items``: each fact's item."""
    kind, pick, amount, negative, day, reason = op
    item = (FUNDED, EMPTY)[pick % 2]
    override = {"override_reason": "urgente"} if reason == 0 else {}
    signed = ("-" if negative and amount != "0.00" else "") + amount
    reservations = [code for code in items if code.startswith("r")]
    amounts = [code for code in items if not code.startswith("a")]
    if kind == "reserve":
        return reserve(f"r{n}", amount, day, item=item, **override)
    if kind == "vary":
        return vary(f"v{n}", signed, day, item=item, **override)
    if kind == "adjust" and reservations:
        res = reservations[pick % len(reservations)]
        return ev("ReservationAdjusted", f"j{n}", day, reservation=res, amount=signed, **override)
    if kind == "approve" and reservations:
        return ev("ReservationApproved", f"a{n}", day, reservation=reservations[pick % len(reservations)],
                  amount=amount)
    if kind == "correct" and amounts:
        target = ledger.book.fact(amounts[pick % len(amounts)])
        assert target is not None
        new = signed if target.TYPE in ("BudgetVaried", "ReservationAdjusted") else amount
        return ev("EventCorrected", f"c{n}", target.effective_date.isoformat(), corrects=target.event_id,
                  reason="rettifica", changes={"amount": new}, **override)
    if kind == "correct-override" and amounts:
        target = ledger.book.fact(amounts[pick % len(amounts)])
        assert target is not None
        if target.TYPE in ("BudgetItemOpened", "ReservationApproved"):
            return None
        given = {"override_reason": None if negative else "revisione"}
        return ev("EventCorrected", f"c{n}", target.effective_date.isoformat(), corrects=target.event_id,
                  reason="rettifica", changes=given, **override)
    if kind == "correct-opening":
        return ev("EventCorrected", f"c{n}", "2012-01-27", corrects=("item-1", "item-2")[pick % 2],
                  reason="rettifica", changes={"amount": amount}, **override)
    return None


def item_of(obj: dict[str, Any], items: dict[str, str]) -> str:
    if "item" in obj:
        return str(obj["item"])
    if "reservation" in obj:
        return items[obj["reservation"]]
    return items.get(obj["corrects"], {"item-1": FUNDED, "item-2": EMPTY}.get(obj["corrects"], ""))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_after_every_accepted_fact_no_day_is_below_zero_unless_an_override_was_granted(
        ops: list[tuple[str, int, str, bool, str, int]]) -> None:
    ledger = ledger_with()
    items: dict[str, str] = {}  # each accepted budget fact's item
    overridden: set[str] = set()  # the items an override was granted on
    before = moves(events_of(ledger))
    for n, op in enumerate(ops):
        obj = offer(ledger, op, n, items)
        if obj is None:
            continue
        item = item_of(obj, items)
        length, sums = len(ledger.pending_events), {c: i.amounts for c, i in ledger.book.items.items()}
        try:
            append(ledger, obj)
        except RuleViolation:  # a refused fact leaves the ledger as it was
            assert len(ledger.pending_events) == length
            assert {c: i.amounts for c, i in ledger.book.items.items()} == sums
            assert moves(events_of(ledger)) == before
            continue
        if obj["type"] != "EventCorrected":
            items[obj["id"]] = item
        if "override_reason" in obj or obj.get("changes", {}).get("override_reason"):
            overridden.add(item)
        for code, days in left(events_of(ledger)).items():  # no day approves more than stays reserved
            assert all(level(days, day) >= 0 for day in days), (obj, code)
        after = moves(events_of(ledger))
        for code, days in after.items():
            for day in {*days, *before.get(code, {})}:
                now, was = level(days, day), level(before.get(code, {}), day)
                if "override_reason" not in obj:  # the rule: no day lowered below zero, or further below
                    assert not (now < 0 and now < was), (obj, code, day, now, was)
                if code not in overridden:
                    assert now >= 0, (obj, code, day, now)
        shown = budget(events_of(ledger))  # a day below zero shows the override that let it be
        for code, days in after.items():
            assert shown.row(code).overrides or all(level(days, day) >= 0 for day in days), (obj, code)
        probe = date.fromisoformat(op[4])  # the book's timeline and the projection at a cut agree
        table = budget(events_of(ledger), Cut(probe))
        for code, state in ledger.book.items.items():
            assert table.row(code).amounts.available == level(after[code], probe)
            assert state.amounts.available == level(after[code], date.max)
        before = after


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(ops=OPS, cuts=st.lists(st.tuples(st.one_of(st.none(), DAYS), st.one_of(st.none(), st.integers(9, 40))),
                              min_size=1, max_size=5))
def test_on_random_histories_the_read_model_shows_the_overrides_the_replay_shows(
        tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, int, str, bool, str, int]],
        cuts: list[tuple[str | None, int | None]]) -> None:
    ledger = ledger_with()
    items: dict[str, str] = {}
    accepted: list[dict[str, Any]] = []
    for n, op in enumerate(ops):
        obj = offer(ledger, op, n, items)
        if obj is None:
            continue
        try:
            append(ledger, obj)
        except RuleViolation:
            continue
        accepted.append(obj)
        if obj["type"] != "EventCorrected":
            items[obj["id"]] = item_of(obj, items)
    path = tmp_path_factory.mktemp("overrides") / "ledger.db"
    with Store.open(str(path), create=True) as store:
        store.init("Test", actor="cdg")
        store.append(submissions(small_plan()), now=NOW)
        half = len(accepted) // 2
        for part in (accepted[:half], accepted[half:]):
            if part:
                store.append(submissions(part), now=NOW)
        for day, known in cuts:
            cut = Cut(None if day is None else date.fromisoformat(day), known)
            replayed = budget(store.events(), cut)
            modelled = budget_of(store, cut)
            assert [(r.item, r.line, r.overrides, r.amounts) for r in modelled.rows] == [
                (r.item, r.line, r.overrides, r.amounts) for r in replayed.rows], cut
        assert verify(store).ok
