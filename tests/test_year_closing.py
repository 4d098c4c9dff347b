"""A year is closed by an act: YearClosed locks its plan's facts until a YearReopened, and reports say so.

The rule is about recording order: a fact recorded after the YearClosed of its plan's year is refused
while the year stays closed, whatever its effective date; a YearReopened (an act and a reason) opens it
again, a new YearClosed locks it again. Facts of other years go on.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from ledger import Store
from ledger.aggregate import Ledger
from ledger.errors import (
    ActRequired,
    EffectiveDateOutsidePlan,
    PlanParametersInvalid,
    UnknownReference,
    YearIsClosed,
    YearNotClosed,
)
from projections.closing import closing
from projections.facts import Cut
from tests.conftest import ev, in_memory_ledger, small_plan, submissions, write_jsonl
from tests.test_written_around import forge

NOW = datetime(2013, 7, 1, 9, 0, tzinfo=UTC)
GIUNTA = {"kind": "Delibera di Giunta", "number": "75", "date": "2013-06-28"}
OIV = {"kind": "Documento di validazione OIV", "number": "1", "date": "2013-06-30"}
REOPENING = {"kind": "Delibera di Giunta", "number": "80", "date": "2013-07-10"}
CLOSED_AGAIN = {"kind": "Delibera di Giunta", "number": "84", "date": "2013-07-20"}


def closed(id: str = "close-2012", act: dict[str, str] | None = GIUNTA, **fields: Any) -> dict[str, Any]:
    return ev("YearClosed", id, "2013-06-28", year=2012, **({"act": act} if act else {}), **fields)


def reopened(id: str = "reopen-2012", act: dict[str, str] | None = REOPENING,
             reason: str = "a measurement of 04.1 was typed wrong") -> dict[str, Any]:
    return ev("YearReopened", id, "2013-07-10", year=2012, reason=reason, **({"act": act} if act else {}))


def measured(id: str, value: str = "25", day: str = "2012-05-10") -> dict[str, Any]:
    return ev("IndicatorMeasured", id, day, indicator="04.1", value=value, period_end="2012-04-30")


def plan_2013() -> list[dict[str, Any]]:
    return [
        ev("PlanOpened", "plan-2013", "2013-01-25", year=2013, title="Piano 2013"),
        ev("PolicyLineDefined", "line-2013-A1", "2013-01-25", year=2013, line="A1", title="Territorio"),
        ev("ObjectiveDefined", "obj-2013-04", "2013-01-25", year=2013, objective="2013/04",
           level="strategic", title="Valorizzazione", line="A1"),
    ]


def ledger_with(*extra: dict[str, Any], now: datetime = NOW) -> Ledger:
    return in_memory_ledger([*small_plan(), *extra], now)


def append(ledger: Ledger, *objs: dict[str, Any], now: datetime = NOW) -> list[bool]:
    return ledger.extend(submissions(list(objs)), now=now)


# -- the rule -------------------------------------------------------------------------------
def test_a_fact_of_a_closed_year_is_refused_naming_the_closing_event_and_act() -> None:
    ledger = ledger_with(closed())
    # Effective early in the year: what counts is that it is recorded after the closing.
    with pytest.raises(YearIsClosed) as caught:
        append(ledger, measured("m-late", day="2012-05-10"))
    assert caught.value.event_id == "m-late"
    assert caught.value.message == (
        "the year 2012 is closed by YearClosed 'close-2012' (Delibera di Giunta n. 75 del 28/06/2013):"
        " a fact of its plan is refused; record a YearReopened of 2012, with an act and a reason, first"
    )
    with pytest.raises(YearIsClosed):
        append(ledger, ev("BudgetVaried", "v-late", "2012-12-20", item="A1/04/01", amount="5.00"))
    with pytest.raises(YearIsClosed):
        append(ledger, ev("ObjectiveDefined", "obj-99", "2012-12-20", year=2012, objective="99",
                          level="strategic", title="Nuovo"))


def test_facts_recorded_before_the_closing_stand_and_the_book_knows_the_closing() -> None:
    ledger = ledger_with(measured("m1"), closed())
    assert ledger.book.closings[2012].closed_by == "close-2012"
    assert ledger.book.closings[2012].reopened_by is None
    assert "m1" in ledger.book.facts


def test_after_a_year_is_reopened_its_facts_are_accepted() -> None:
    ledger = ledger_with(closed(), reopened())
    assert append(ledger, measured("m-fixed")) == [True]
    assert ledger.book.closings[2012].reopened_by == "reopen-2012"


def test_closing_the_year_again_locks_it_again() -> None:
    ledger = ledger_with(closed(), reopened(), measured("m-fixed"),
                         closed("close-2012-bis", CLOSED_AGAIN))
    with pytest.raises(YearIsClosed, match="closed by YearClosed 'close-2012-bis' .Delibera di Giunta n. 84"):
        append(ledger, measured("m-again"))


def test_facts_of_another_year_go_on_while_a_year_is_closed() -> None:
    ledger = ledger_with(closed())
    assert append(ledger, *plan_2013()) == [True, True, True]
    assert append(ledger, ev("IndicatorDefined", "ind-2013-04.1", "2013-01-25", indicator="2013/04.1",
                             objective="2013/04", title="Partecipanti", weight="100", direction="higher",
                             target="30")) == [True]
    with pytest.raises(YearIsClosed):
        append(ledger, measured("m-2012"))


def test_a_correction_of_a_fact_of_a_closed_year_is_refused() -> None:
    ledger = ledger_with(measured("m1"), closed())
    with pytest.raises(YearIsClosed) as caught:
        append(ledger, ev("EventCorrected", "c1", "2012-05-10", corrects="m1", reason="typo",
                          changes={"value": "27"}))
    assert caught.value.event_id == "c1"
    ledger = ledger_with(measured("m1"), closed(), reopened())
    assert append(ledger, ev("EventCorrected", "c1", "2012-05-10", corrects="m1", reason="typo",
                             changes={"value": "27"})) == [True]


def test_the_closing_may_be_corrected_to_add_the_oivs_validation_while_the_year_is_closed() -> None:
    # The Giunta approves the Relazione; the OIV validates it days later: the figures do not change.
    ledger = ledger_with(closed())
    assert append(ledger, ev("EventCorrected", "c-oiv", "2013-06-28", corrects="close-2012",
                             reason="the OIV validated the Relazione", changes={"validation": OIV})) == [True]
    with pytest.raises(YearIsClosed):
        append(ledger, measured("m-late"))


def test_a_year_is_not_closed_without_the_act_approving_its_relazione() -> None:
    ledger = ledger_with()
    with pytest.raises(ActRequired) as caught:
        append(ledger, closed(act=None))
    assert caught.value.event_id == "close-2012"
    assert "YearClosed needs the act approving the Relazione of 2012" in caught.value.message


def test_a_year_is_not_reopened_without_an_act_or_a_reason() -> None:
    ledger = ledger_with(closed())
    with pytest.raises(ActRequired, match="YearReopened needs the act that reopens 2012"):
        append(ledger, reopened(act=None))
    with pytest.raises(ActRequired, match="YearReopened needs a reason"):
        append(ledger, reopened(reason=""))


def test_a_year_that_is_not_closed_cannot_be_reopened() -> None:
    with pytest.raises(YearNotClosed, match="the year 2012 is not closed: there is nothing to reopen"):
        append(ledger_with(), reopened())
    ledger = ledger_with(closed(), reopened())
    with pytest.raises(YearNotClosed, match="already reopened by YearReopened 'reopen-2012'"):
        append(ledger, reopened("reopen-2012-bis"))


def test_a_closed_year_cannot_be_closed_again() -> None:
    ledger = ledger_with(closed())
    with pytest.raises(YearIsClosed, match="the year 2012 is already closed by YearClosed 'close-2012'"):
        append(ledger, closed("close-2012-bis", CLOSED_AGAIN))


def test_a_year_without_a_plan_cannot_be_closed() -> None:
    ledger = ledger_with()
    with pytest.raises(UnknownReference, match="no plan is open for 2011"):
        append(ledger, ev("YearClosed", "close-2011", "2012-06-28", year=2011, act=GIUNTA))


def test_a_year_is_not_closed_before_it_begins() -> None:
    ledger = ledger_with()
    with pytest.raises(EffectiveDateOutsidePlan, match="before the year 2012 begins"):
        append(ledger, ev("YearClosed", "close-early", "2011-12-31", year=2012, act=GIUNTA))


# -- the projection ---------------------------------------------------------------------------
def test_the_closing_of_a_year_says_when_and_by_which_acts_it_was_closed_and_reopened() -> None:
    ledger = ledger_with(closed(validation=OIV))
    append(ledger, reopened(), now=NOW + timedelta(days=9))
    append(ledger, closed("close-2012-bis", CLOSED_AGAIN), now=NOW + timedelta(days=19))
    events = list(ledger.collect_events())
    last = closing(events, Cut(), 2012)
    assert last is not None and last.event_id == "close-2012-bis" and last.is_closed
    assert last.closed_at == NOW + timedelta(days=19)
    assert str(last.act) == "Delibera di Giunta n. 84 del 20/07/2013"
    first, = last.earlier
    assert (first.event_id, str(first.validation), first.is_closed) == (
        "close-2012", "Documento di validazione OIV n. 1 del 30/06/2013", False)
    (when, act, reason), = [(r.recorded_at, str(r.act), r.reason) for r in first.reopened]
    assert (when, act, reason) == (NOW + timedelta(days=9), "Delibera di Giunta n. 80 del 10/07/2013",
                                   "a measurement of 04.1 was typed wrong")
    # Known before the second closing: the year stands reopened.
    reopened_then = closing(events, Cut(known_at=NOW + timedelta(days=10)), 2012)
    assert reopened_then is not None and reopened_then.event_id == "close-2012"
    assert not reopened_then.is_closed and reopened_then.earlier == ()
    assert closing(events, Cut(known_at=NOW - timedelta(seconds=1)), 2012) is None
    assert closing(events, Cut(as_of=date(2013, 6, 27)), 2012) is None  # not yet in force
    assert closing(events, Cut(), 2013) is None


# -- on a store, by the command line ----------------------------------------------------------
def run(ledger: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--ledger", ledger, *args])


@pytest.fixture
def planned(ledger_url: str, tmp_path: Path) -> str:
    """The small plan (9 events), imported."""
    assert run(ledger_url, "import", str(write_jsonl(tmp_path / "plan.jsonl", small_plan()))).exit_code == 0
    return ledger_url


def appended(ledger: str, obj: dict[str, Any]) -> Result:
    return run(ledger, "append", "--json", json.dumps(obj))


def test_append_refuses_a_fact_of_a_closed_year_and_accepts_it_once_reopened(planned: str) -> None:
    assert appended(planned, closed()).exit_code == 0
    refused = appended(planned, measured("m-late"))
    assert refused.exit_code == 1
    assert "the year 2012 is closed by YearClosed 'close-2012'" in refused.output
    assert appended(planned, reopened()).exit_code == 0
    assert appended(planned, measured("m-late")).exit_code == 0
    assert run(planned, "verify").exit_code == 0


def test_a_closed_year_stays_closed_when_the_rules_state_is_restored_from_a_snapshot(
    planned: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ledger.application.SNAPSHOT_EVERY", 1)  # a snapshot after every write
    assert appended(planned, closed()).exit_code == 0
    assert appended(planned, plan_2013()[0]).exit_code == 0
    with Store.open(planned) as store:
        (count,), = store.recorder.query("SELECT count(*) FROM perfledger_snapshots", ())
    assert count >= 1
    refused = appended(planned, measured("m-late"))
    assert refused.exit_code == 1
    assert "closed by YearClosed 'close-2012' (Delibera di Giunta n. 75 del 28/06/2013)" in refused.output
    assert appended(planned, reopened()).exit_code == 0
    assert appended(planned, measured("m-late")).exit_code == 0
    assert run(planned, "verify").exit_code == 0  # the snapshots rebuilt by verify are the stored ones


def test_verify_names_a_fact_of_a_closed_year_written_around_the_rules(planned: str) -> None:
    assert appended(planned, closed()).exit_code == 0
    assert forge(planned, measured("m-forged")) == 11
    result = run(planned, "verify")
    assert result.exit_code == 1
    message = ("event 11 IndicatorMeasured 'm-forged' breaks a rule: the year 2012 is closed by YearClosed"
               " 'close-2012' (Delibera di Giunta n. 75 del 28/06/2013)")
    assert f"  rules:      FAILED: {message}" in result.output
    assert run(planned, "report").exit_code == 0  # the ledger still reports


def test_report_budget_and_achievement_state_when_the_year_was_closed_and_reopened(planned: str) -> None:
    before = run(planned, "report").output
    assert "closed on" not in before
    assert "closing" not in json.loads(run(planned, "report", "--format", "json").output)  # as it was
    assert appended(planned, closed(validation=OIV)).exit_code == 0
    assert appended(planned, reopened()).exit_code == 0
    data = json.loads(run(planned, "report", "--format", "json").output)
    shut = data["closing"]
    assert shut["year"] == 2012 and shut["closed"] is False and shut["event"] == "close-2012"
    assert shut["act"] == GIUNTA and shut["validation"] == OIV and shut["effective_date"] == "2013-06-28"
    reopening, = shut["reopened"]
    assert reopening["event"] == "reopen-2012" and reopening["act"] == REOPENING
    assert reopening["reason"] == "a measurement of 04.1 was typed wrong" and shut["earlier"] == []
    closed_on = date.fromisoformat(shut["closed_at"][:10])
    reopened_on = date.fromisoformat(reopening["recorded_at"][:10])
    line = (f"Year 2012 closed on {closed_on} by Delibera di Giunta n. 75 del 28/06/2013"
            " (validated by Documento di validazione OIV n. 1 del 30/06/2013);"
            f" reopened on {reopened_on} by Delibera di Giunta n. 80 del 10/07/2013:"
            " a measurement of 04.1 was typed wrong")
    assert below_cut(run(planned, "report").output).startswith(line + "\n")
    for figure in ("budget", "achievement"):
        assert below_cut(run(planned, figure).output).startswith(line + "\n"), figure
        assert json.loads(run(planned, figure, "--format", "json").output)["closing"] == shut, figure
        assert line not in run(planned, figure, "--format", "csv").output
    italian = (f"Anno 2012 chiuso il {closed_on:%d/%m/%Y} con Delibera di Giunta n. 75 del 28/06/2013"
               " (validazione: Documento di validazione OIV n. 1 del 30/06/2013);"
               f" riaperto il {reopened_on:%d/%m/%Y} con Delibera di Giunta n. 80 del 10/07/2013:"
               " a measurement of 04.1 was typed wrong")
    assert below_cut(run(planned, "budget", "--locale", "it").output).startswith(italian + "\n")


def below_cut(output: str) -> str:
    """A figure's table after the two lines stating its cut (and the blank line below them)."""
    return output.split("\n\n", 1)[1]


def test_closing_again_is_told_after_the_earlier_closing_and_reopening(planned: str) -> None:
    for obj in (closed(), reopened(), closed("close-2012-bis", CLOSED_AGAIN)):
        assert appended(planned, obj).exit_code == 0
    shut = json.loads(run(planned, "achievement", "--format", "json").output)["closing"]
    assert shut["closed"] is True and shut["event"] == "close-2012-bis" and shut["reopened"] == []
    assert [e["event"] for e in shut["earlier"]] == ["close-2012"]
    first = below_cut(run(planned, "achievement").output).splitlines()[0]
    assert first.startswith("Year 2012 closed on ")
    assert "; reopened on " in first and "; closed again on " in first
    assert first.endswith("by Delibera di Giunta n. 84 del 20/07/2013")


def test_a_report_known_before_the_closing_shows_no_closing(planned: str) -> None:
    assert appended(planned, closed()).exit_code == 0  # event 10
    for figure in ("report", "budget", "achievement"):
        unknown = json.loads(run(planned, figure, "--known-at", "9", "--format", "json").output)
        assert "closing" not in unknown
        assert "closed on" not in run(planned, figure, "--known-at", "9").output
        shown = json.loads(run(planned, figure, "--known-at", "10", "--format", "json").output)
        assert shown["closing"]["event"] == "close-2012"


def test_a_year_is_not_closed_before_it_ends() -> None:
    ledger = ledger_with()
    with pytest.raises(EffectiveDateOutsidePlan) as caught:
        append(ledger, ev("YearClosed", "close-early", "2012-03-01", year=2012, act=GIUNTA))
    assert caught.value.message == (
        "YearClosed of 2012 is effective on 2012-03-01: a year is closed once it has ended, after"
        " 31 December 2012 (the Relazione is approved in the following year)")
    with pytest.raises(EffectiveDateOutsidePlan, match="a year is closed once it has ended"):
        append(ledger, ev("YearClosed", "close-early", "2012-12-31", year=2012, act=GIUNTA))
    assert append(ledger, ev("YearClosed", "close-2012", "2013-01-01", year=2012, act=GIUNTA)) == [True]


def test_a_reopening_effective_before_the_closing_it_reopens_is_refused() -> None:
    ledger = ledger_with(closed())
    early = ev("YearReopened", "reopen-2012", "2013-06-27", year=2012, reason="un errore", act=REOPENING)
    with pytest.raises(EffectiveDateOutsidePlan, match="before 2013-06-28, the effective date of YearClosed"):
        append(ledger, early)
    assert append(ledger, {**early, "effective_date": "2013-06-28"}) == [True]


def test_a_closing_effective_before_a_fact_of_its_year_already_recorded_is_refused() -> None:
    late = ev("IndicatorMeasured", "m-late", "2013-02-20", indicator="04.1", value="30",
              period_end="2012-12-31")
    ledger = ledger_with(late)
    early = ev("YearClosed", "close-2012", "2013-02-01", year=2012, act=GIUNTA)
    with pytest.raises(EffectiveDateOutsidePlan, match="before 2013-02-20, the latest effective date"):
        append(ledger, early)
    assert ledger.book.latest[2012] == date(2013, 2, 20)
    assert append(ledger, {**early, "effective_date": "2013-02-20"}) == [True]


def test_a_book_restored_from_a_snapshot_knows_the_latest_date_of_each_year(ledger_url: str) -> None:
    from ledger import application

    application.SNAPSHOT_EVERY = 5
    try:
        with Store.open(ledger_url, create=True) as store:
            store.init("CCIAA", actor="cdg")
            store.append(submissions([*small_plan(), ev(
                "IndicatorMeasured", "m-late", "2013-02-20", indicator="04.1", value="30",
                period_end="2012-12-31")]), now=NOW)
        early = ev("YearClosed", "close-2012", "2013-02-01", year=2012, act=GIUNTA)
        with Store.open(ledger_url) as store, pytest.raises(EffectiveDateOutsidePlan, match="2013-02-20"):
            store.append(submissions([early]), now=NOW)
    finally:
        application.SNAPSHOT_EVERY = 10_000


# -- years follow each other ----------------------------------------------------------------
def test_a_plan_whose_window_reaches_past_the_next_years_end_is_refused() -> None:
    ledger = ledger_with(closed())
    plan = ev("PlanOpened", "plan-2011", "2011-01-27", year=2011, title="Piano 2011", horizon_days=800)
    with pytest.raises(PlanParametersInvalid) as caught:
        append(ledger, plan)
    assert caught.value.message == (
        "horizon_days 800 would take the plan of 2011 to 2014-03-10, past the end of the next year:"
        " a plan's facts are effective by 31 December 2012 (horizon_days at most 366)")
    with pytest.raises(PlanParametersInvalid, match="horizon_days at most 365"):
        append(ledger, {**plan_2013()[0], "horizon_days": 366})
    assert append(ledger, {**plan, "horizon_days": 366}) == [True]  # to 31/12/2012: 2012 is a leap year
