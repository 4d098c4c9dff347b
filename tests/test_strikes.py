"""Striking an objective or one indicator, revoking a strike, and correcting a strike's date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest

from events import LedgerEvent
from ledger.aggregate import Ledger
from ledger.book import Book
from ledger.codec import decode_body_dict
from ledger.errors import (
    DuplicateDefinition,
    EffectiveDateOutsidePlan,
    InvalidCorrection,
    StrikeNotInForce,
    UnknownReference,
)
from projections.achievement import Achievement, achievement
from projections.facts import Cut
from tests.conftest import ev, in_memory_ledger, small_plan, submissions

NOW = datetime(2013, 1, 15, 12, 0, tzinfo=UTC)
CONSULTA = ("in 2012 the Consulta dei professionisti could not be set up in time;"
            " it was set up in January 2013")


def ledger_with(*extra: dict[str, Any]) -> Ledger:
    return in_memory_ledger([*small_plan(), *OBJECTIVE_08, *extra], NOW)


def append(ledger: Ledger, *objs: dict[str, Any]) -> list[bool]:
    return ledger.extend(submissions(list(objs)), now=NOW)


def scores(ledger: Ledger, as_of: str | None = None, known_at: int | None = None) -> Achievement:
    events: list[LedgerEvent] = list(ledger.pending_events)  # type: ignore[arg-type]
    return achievement(events, Cut(None if as_of is None else date.fromisoformat(as_of), known_at))


# Objective 08 scores 72%: one indicator measured 72 against 100.
OBJECTIVE_08 = [
    ev("IndicatorDefined", "ind-08.1", "2012-01-27", indicator="08.1", objective="08", title="Pratiche",
       weight="100", direction="higher", target="100", unit="n."),
    ev("IndicatorMeasured", "m-08.1", "2012-12-31", indicator="08.1", period_end="2012-12-31", value="72"),
]


def strike(eid: str, day: str, objective: str = "08", cause: str = "external") -> dict[str, Any]:
    return ev("ObjectiveStruck", eid, day, objective=objective, cause=cause, reason="the law was repealed")


def revoke(eid: str, day: str, strike: str) -> dict[str, Any]:
    return ev("StrikeRevoked", eid, day, strike=strike, reason="struck by mistake")


# -- the seed's operational 10.6: only the Consulta indicator is struck ------------------------------
SG_10_6 = [
    ev("ObjectiveDefined", "objective-SG/10.6", "2012-01-27", year=2012, objective="SG/10.6",
       level="operational", title="Rinnovo della CCIAA a seguito della riforma della 580", parent="08",
       area="SG"),
    ev("IndicatorDefined", "indicator-SG/10.6-1", "2012-01-27", indicator="SG/10.6-1", objective="SG/10.6",
       title="Costituzione della Consulta dei professionisti con relativo insediamento", weight="50",
       direction="deadline", target="2012-12-31", unit="date"),
    ev("IndicatorDefined", "indicator-SG/10.6-2", "2012-01-27", indicator="SG/10.6-2", objective="SG/10.6",
       title="Rinnovo del Consiglio camerale", weight="50", direction="deadline", target="2012-10-31",
       unit="date"),
    ev("IndicatorMeasured", "m-SG/10.6-2", "2012-12-31", indicator="SG/10.6-2", period_end="2012-12-31",
       value="2012-11-05"),  # 5 days late: 90%
    ev("IndicatorMeasured", "m-SG/10.6-1", "2012-12-31", indicator="SG/10.6-1", period_end="2012-12-31",
       value="2013-01-20"),  # 20 days late: 60%
]
STRIKE_CONSULTA = ev("IndicatorStruck", "struck-SG/10.6-1", "2012-12-31", indicator="SG/10.6-1",
                     cause="external", reason=CONSULTA)


def test_in_10_6_only_the_consulta_indicator_is_struck_and_the_objectives_other_one_still_counts() -> None:
    before = scores(ledger_with(*SG_10_6)).objective("SG/10.6")
    assert before.achievement == Decimal("0.75")  # (60% + 90%) / 2
    result = scores(ledger_with(*SG_10_6, STRIKE_CONSULTA))
    objective, consulta = result.objective("SG/10.6"), result.indicator("SG/10.6-1")
    assert objective.achievement == Decimal("0.90") and objective.withdrawn is None
    assert consulta.achievement is None and not consulta.counts
    assert consulta.withdrawn is not None and consulta.withdrawn.reason == CONSULTA
    assert consulta.excluded == "withdrawn (external)"
    assert any(ref.id == "struck-SG/10.6-1" for ref in consulta.derivation().events)
    assert result.indicator("SG/10.6-2").counts


def test_a_struck_indicator_reads_withdrawn_in_the_table_and_json() -> None:
    from cli.views import indicator_json, show_achievement

    result = scores(ledger_with(*SG_10_6, STRIKE_CONSULTA))
    data = indicator_json(result.indicator("SG/10.6-1"))
    assert data["withdrawn"] == {"cause": "external", "reason": CONSULTA, "event": "struck-SG/10.6-1"}
    assert data["achievement"] is None and data["counts"] is False
    row = next(line for line in show_achievement(result, "table", "en").splitlines() if "SG/10.6-1" in line)
    assert "withdrawn (external)" in row


def test_an_indicator_is_struck_when_it_exists_within_its_plan_and_once_while_struck() -> None:
    ledger = ledger_with(*SG_10_6, STRIKE_CONSULTA)
    with pytest.raises(DuplicateDefinition, match="indicator 'SG/10.6-1' is already struck .*StrikeRevoked"):
        append(ledger, {**STRIKE_CONSULTA, "id": "again"})
    with pytest.raises(UnknownReference, match="unknown indicator '99.9'"):
        append(ledger, {**STRIKE_CONSULTA, "id": "s9", "indicator": "99.9"})
    with pytest.raises(EffectiveDateOutsidePlan, match="outside the plan of 2012"):
        append(ledger, {**STRIKE_CONSULTA, "id": "s10", "indicator": "SG/10.6-2",
                        "effective_date": "2014-01-01"})


# -- a strike revoked --------------------------------------------------------------------------
def test_a_revoked_strike_counts_again_from_the_revocations_effective_date() -> None:
    ledger = ledger_with(strike("s1", "2012-06-30"), revoke("r1", "2012-09-30", "s1"))
    assert scores(ledger, "2012-06-29").objective("08").withdrawn is None
    assert scores(ledger, "2012-07-31").objective("08").withdrawn is not None
    assert scores(ledger, "2012-09-30").objective("08").withdrawn is None
    assert scores(ledger).objective("08").achievement == Decimal("0.72")
    assert "08" not in ledger.book.struck and ledger.book.revoked == {"s1": "r1"}


def test_a_second_strike_of_a_struck_objective_is_refused_but_allowed_after_a_revocation() -> None:
    ledger = ledger_with(strike("s1", "2012-06-30"))
    with pytest.raises(DuplicateDefinition, match="objective '08' is already struck \\(by 's1'\\)"):
        append(ledger, strike("s2", "2012-12-31"))
    append(ledger, revoke("r1", "2012-06-30", "s1"), strike("s2", "2012-12-31", cause="normative"))
    assert ledger.book.struck == {"08": "s2"}
    assert scores(ledger).objective("08").withdrawn.cause == "normative"  # type: ignore[union-attr]


def test_an_indicator_strike_revoked_lets_the_indicator_count_again() -> None:
    ledger = ledger_with(*SG_10_6, STRIKE_CONSULTA, revoke("r1", "2013-01-10", "struck-SG/10.6-1"))
    assert scores(ledger, "2013-01-09").indicator("SG/10.6-1").withdrawn is not None
    assert scores(ledger).indicator("SG/10.6-1").counts and ledger.book.struck_indicators == {}


@pytest.mark.parametrize(
    "revocation, error, message",
    [
        (revoke("r9", "2012-12-31", "m-08.1"), UnknownReference, "'m-08.1' is not a strike"),
        (revoke("r9", "2012-12-31", "ghost"), UnknownReference, "'ghost' is not a strike"),
        (revoke("r9", "2012-05-31", "s1"), StrikeNotInForce,
         "strike 's1' takes effect on 2012-06-30: its revocation cannot take effect before, on 2012-05-31"),
    ],
)
def test_a_revocation_names_a_strike_and_takes_effect_once_it_does(
    revocation: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        append(ledger_with(strike("s1", "2012-06-30")), revocation)


def test_a_strike_is_revoked_once() -> None:
    ledger = ledger_with(strike("s1", "2012-06-30"), revoke("r1", "2012-07-31", "s1"))
    with pytest.raises(StrikeNotInForce, match="strike 's1' was already revoked by 'r1'"):
        append(ledger, revoke("r2", "2012-08-31", "s1"))


# -- a strike with a wrong date ----------------------------------------------------------------------
def test_a_strike_with_a_wrong_date_is_fixed_by_a_correction_of_its_effective_date() -> None:
    ledger = ledger_with(strike("s1", "2012-03-31"))  # should have been 31/12
    known = ledger.version
    wanted = "give effective_date 2012-12-31 \\(that of ObjectiveStruck 's1', as corrected\\), not 2012-03-31"
    with pytest.raises(InvalidCorrection, match=wanted):
        append(ledger, ev("EventCorrected", "c1", "2012-03-31", corrects="s1", reason="wrong date",
                          changes={"effective_date": "2012-12-31"}))
    append(ledger, ev("EventCorrected", "c1", "2012-12-31", corrects="s1", reason="wrong date",
                      changes={"effective_date": "2012-12-31"}))
    assert scores(ledger, "2012-06-30").objective("08").withdrawn is None
    assert scores(ledger, "2012-12-31").objective("08").withdrawn is not None
    assert scores(ledger, "2012-06-30", known_at=known).objective("08").withdrawn is not None  # as known


def test_a_strike_with_a_wrong_date_is_fixed_by_a_revocation_and_a_new_strike() -> None:
    ledger = ledger_with(strike("s1", "2012-03-31"))
    append(ledger, revoke("r1", "2012-03-31", "s1"), strike("s2", "2012-12-31"))  # s1 never holds
    assert scores(ledger, "2012-06-30").objective("08").withdrawn is None
    assert scores(ledger, "2012-12-31").objective("08").withdrawn.original.event_id == "s2"  # type: ignore[union-attr]


def test_a_correction_of_a_revocation_leaves_the_later_strike_in_force() -> None:
    ledger = ledger_with(strike("s1", "2012-03-31"), revoke("r1", "2012-03-31", "s1"),
                         strike("s2", "2012-12-31"))
    append(ledger, ev("EventCorrected", "c1", "2012-03-31", corrects="r1", reason="clearer",
                      changes={"reason": "dated 31/03 by mistake: the strike is of 31/12"}))
    assert ledger.book.struck == {"08": "s2"} and ledger.book.revoked == {"s1": "r1"}
    append(ledger, ev("EventCorrected", "c2", "2012-03-31", corrects="s1", reason="cause",
                      changes={"cause": "normative"}))
    assert ledger.book.struck == {"08": "s2"}
    assert scores(ledger).objective("08").withdrawn.original.event_id == "s2"  # type: ignore[union-attr]


def test_a_revoked_strike_cannot_be_moved_after_its_revocation() -> None:
    ledger = ledger_with(strike("s1", "2012-06-30"), revoke("r1", "2012-07-31", "s1"))
    with pytest.raises(StrikeNotInForce, match="it cannot take effect later, on 2012-08-31"):
        append(ledger, ev("EventCorrected", "c1", "2012-08-31", corrects="s1", reason="date",
                          changes={"effective_date": "2012-08-31"}))


@pytest.mark.parametrize(
    "corrects, day, message",
    [
        ("item-1", "2012-01-27", "correct its amount to 0 and record it again with the right date"),
        ("plan", "2012-01-27", "only a measurement, a change of an objective, a strike and a revocation"),
        ("obj-08", "2012-01-27", "the facts that refer to it were checked against it"),
    ],
)
def test_the_effective_date_of_a_definition_or_a_budget_fact_cannot_be_corrected(
    corrects: str, day: str, message: str
) -> None:
    with pytest.raises(InvalidCorrection, match=f"cannot be corrected: .*{message}"):
        append(ledger_with(), ev("EventCorrected", "c1", day, corrects=corrects, reason="date",
                                 changes={"effective_date": "2012-02-15"}))


# -- the book's state survives a snapshot ------------------------------------------------------------
def test_strikes_revocations_and_measured_periods_survive_a_snapshot() -> None:
    ledger = ledger_with(*SG_10_6, STRIKE_CONSULTA, strike("s1", "2012-06-30"),
                         revoke("r1", "2012-07-31", "s1"), strike("s2", "2012-12-31"))
    state = orjson.loads(orjson.dumps(ledger.book.snapshot()))
    restored = Book.restore(state, lookup=None, decode=decode_body_dict)  # type: ignore[arg-type]
    for name in ("struck", "struck_indicators", "revoked", "measured"):
        assert getattr(restored, name) == getattr(ledger.book, name), name
    assert restored.struck == {"08": "s2"} and restored.struck_indicators == {"SG/10.6-1": "struck-SG/10.6-1"}


def test_a_store_snapshots_strikes_and_passes_over_a_snapshot_of_the_earlier_format(ledger_url: str) -> None:
    from ledger import Store, application
    from ledger.verify import verify
    from tests.backends import raw

    application.SNAPSHOT_EVERY = 1  # a snapshot after every write: every later check starts from one
    try:
        with Store.open(ledger_url, create=True) as store:
            store.append(submissions([*small_plan(), *OBJECTIVE_08, *SG_10_6]), now=NOW,
                         create=("Test", "cdg"))
            store.append(submissions([strike("s1", "2012-06-30"), STRIKE_CONSULTA]), now=NOW)
            with pytest.raises(DuplicateDefinition, match="already struck \\(by 's1'\\)"):
                store.append(submissions([strike("s2", "2012-12-31")]), now=NOW)
            store.append(submissions([revoke("r1", "2012-06-30", "s1")]), now=NOW)
            db = raw(ledger_url)
            seq, state = db.execute("SELECT seq, state FROM perfledger_snapshots ORDER BY seq DESC")[0]
            assert orjson.loads(bytes(state))["revoked"] == [["s1", "r1"]]
            earlier = {**orjson.loads(bytes(state)), "format": 1, "struck": []}  # the shape before strikes
            db.execute(db.q("UPDATE perfledger_snapshots SET state = ? WHERE seq = ?"),
                       (orjson.dumps(earlier), seq))
        with Store.open(ledger_url) as store:
            assert verify(store).ok
            with pytest.raises(StrikeNotInForce, match="already revoked by 'r1'"):
                store.append(submissions([revoke("r2", "2012-07-31", "s1")]), now=NOW)
            with pytest.raises(DuplicateDefinition, match="indicator 'SG/10.6-1' is already struck"):
                store.append(submissions([{**STRIKE_CONSULTA, "id": "again"}]), now=NOW)
            with pytest.raises(Exception, match="already measured for the period ending 2012-12-31"):
                store.append(submissions([{**OBJECTIVE_08[1], "id": "m-08.1-bis"}]), now=NOW)
            store.append(submissions([strike("s2", "2012-12-31")]), now=NOW)
            assert verify(store).ok
    finally:
        application.SNAPSHOT_EVERY = 10_000


def test_moving_a_strikes_date_so_that_two_strikes_of_one_objective_hold_at_once_is_refused() -> None:
    ledger = ledger_with(strike("s1", "2012-06-30"), revoke("r1", "2012-09-30", "s1"),
                         strike("s2", "2012-11-30"))
    move = ev("EventCorrected", "c1", "2012-05-15", corrects="s2", reason="date",
              changes={"effective_date": "2012-05-15"})
    with pytest.raises(StrikeNotInForce) as caught:
        append(ledger, move)
    assert caught.value.message == (
        "strike 's2' would hold objective '08' from 2012-05-15 on, while strike 's1' holds it from"
        " 2012-06-30 until its revocation 'r1' effective 2012-09-30: two strikes of one objective"
        " would be in force at once")
    assert append(ledger, {**move, "effective_date": "2012-10-15",
                           "changes": {"effective_date": "2012-10-15"}}) == [True]
    later = ev("EventCorrected", "c2", "2012-09-30", corrects="r1", reason="date",
               changes={"effective_date": "2012-12-15"})  # s1 would then hold past s2's 15/10
    with pytest.raises(StrikeNotInForce, match="strike 's2' holds it from 2012-10-15 on"):
        append(ledger, {**later, "effective_date": "2012-12-15"})
    assert scores(ledger, "2012-08-31").objective("08").withdrawn.original.event_id == "s1"  # type: ignore[union-attr]


def test_a_new_strike_effective_while_an_earlier_revoked_one_held_is_refused() -> None:
    ledger = ledger_with(strike("s1", "2012-06-30"), revoke("r1", "2012-09-30", "s1"))
    with pytest.raises(StrikeNotInForce, match="two strikes of one objective would be in force at once"):
        append(ledger, strike("s2", "2012-07-31"))
    assert append(ledger, strike("s2", "2012-09-30")) == [True]  # from the day the first ends
