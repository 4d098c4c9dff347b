"""Measurement rules (plans under the tree rules): one measurement a period, effective once its period
has ended, and a reporting delay measured from the day the data were collected, never negative."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cli.write import read_batch
from events import LedgerEvent, parse_submission
from ledger.aggregate import Ledger
from ledger.errors import (
    EffectiveDateOutsidePlan,
    InvalidCorrection,
    MeasuredTwice,
    ReportedBeforeCollected,
)
from projections.achievement import achievement, rounded_percent
from projections.facts import Cut
from projections.timeliness import timeliness
from tests.conftest import EXAMPLE_DIR, ev, in_memory_ledger, small_plan, submissions

NOW = datetime(2013, 1, 15, 12, 0, tzinfo=UTC)


def ledger_with(*extra: dict[str, Any], now: datetime = NOW) -> Ledger:
    return in_memory_ledger([*small_plan(), *extra], now, opened=datetime(2012, 1, 27, tzinfo=UTC))


def append(ledger: Ledger, *objs: dict[str, Any], now: datetime = NOW) -> list[bool]:
    return ledger.extend(submissions(list(objs)), now=now)


def measured(eid: str, value: str, end: str = "2012-04-30", day: str | None = None,
             indicator: str = "04.1", **fields: Any) -> dict[str, Any]:
    return ev("IndicatorMeasured", eid, day or end, indicator=indicator, period_end=end, value=value,
              **fields)


def events_of(ledger: Ledger) -> list[LedgerEvent]:
    return list(ledger.pending_events)  # type: ignore[arg-type]


def correct(eid: str, corrects: str, day: str, **changes: Any) -> dict[str, Any]:
    return ev("EventCorrected", eid, day, corrects=corrects, reason="ricontato", changes=changes)


# -- one measurement a period -----------------------------------------------------------------------
def test_a_second_measurement_of_the_same_period_is_refused_with_a_pointer_to_EventCorrected() -> None:
    ledger = ledger_with(measured("m-04.1-0430", "27"))
    with pytest.raises(MeasuredTwice) as caught:
        append(ledger, measured("m-04.1-0430-bis", "12"))
    assert str(caught.value) == (
        "event 'm-04.1-0430-bis': indicator '04.1' is already measured for the period ending 2012-04-30 by"
        " event 'm-04.1-0430'; to change its value record an EventCorrected of it")
    assert append(ledger, measured("m-04.1-0831", "12", "2012-08-31")) == [True]  # another period


def test_a_correction_of_a_measurement_may_keep_its_period_but_not_move_onto_a_measured_one() -> None:
    ledger = ledger_with(measured("m1", "27"), measured("m2", "12", "2012-08-31"))
    assert append(ledger, correct("c1", "m1", "2012-04-30", value="28")) == [True]
    assert achievement(ledger.pending_events).indicator("04.1").value == "12"  # type: ignore[arg-type]
    with pytest.raises(MeasuredTwice, match="the period ending 2012-08-31 by event 'm2'"):
        append(ledger, correct("c2", "m1", "2012-04-30", period_end="2012-08-31"))
    assert ledger.book.measured == {("04.1", date(2012, 4, 30)): "m1", ("04.1", date(2012, 8, 31)): "m2"}


def test_a_measurement_moved_to_another_period_frees_the_first() -> None:
    ledger = ledger_with(measured("m1", "27", day="2012-08-31"))
    append(ledger, correct("c1", "m1", "2012-08-31", period_end="2012-08-31"))
    assert append(ledger, measured("m3", "20")) == [True]
    assert ledger.book.measured == {("04.1", date(2012, 4, 30)): "m3", ("04.1", date(2012, 8, 31)): "m1"}


# -- effective once the period has ended ---------------------------------------------------------
def test_a_measurement_effective_before_its_periods_end_is_refused() -> None:
    ledger = ledger_with(measured("m-0430", "27"))
    with pytest.raises(EffectiveDateOutsidePlan, match="give effective_date 2012-08-31 or later"):
        append(ledger, measured("m-0831", "12", "2012-08-31", day="2012-07-31"))


def test_at_31_july_a_value_of_the_period_ending_31_august_does_not_replace_the_april_value() -> None:
    """A ledger of an earlier version may hold such a measurement: it counts from its period's end."""
    events = events_of(ledger_with(measured("m-0430", "27")))
    early: Any = events[-1]
    events.append(replace(early, event_id="m-0831", period_end=date(2012, 8, 31), value="12",
                          effective_date=date(2012, 7, 31)))
    july = achievement(events, Cut(as_of=date(2012, 7, 31))).indicator("04.1")
    assert (july.value, rounded_percent(july.achievement)) == ("27", 90)  # type: ignore[arg-type]
    august = achievement(events, Cut(as_of=date(2012, 8, 31))).indicator("04.1")
    assert (august.value, rounded_percent(august.achievement)) == ("12", 40)  # type: ignore[arg-type]


# -- the collection date and the reporting delay --------------------------------------------------
def test_data_recorded_before_its_period_ends_without_a_collection_date_is_refused() -> None:
    april = datetime(2012, 4, 20, tzinfo=UTC)
    ledger = ledger_with(now=april)
    with pytest.raises(ReportedBeforeCollected, match="recorded on 2012-04-20, before the end of the period"):
        append(ledger, measured("m1", "27"), now=april)
    with pytest.raises(ReportedBeforeCollected, match="collected_on 2012-04-29 is before the end"):
        append(ledger, measured("m1", "27", collected_on="2012-04-29"))
    assert append(ledger, measured("m1", "27", collected_on="2012-04-30")) == [True]


def test_the_reporting_delay_runs_from_the_periods_end_to_the_collection_date() -> None:
    ledger = ledger_with(measured("m1", "27", collected_on="2012-05-15"),
                         measured("m2", "ND", indicator="04.2"))  # recorded 15/01/2013, no collected_on
    delay = timeliness(events_of(ledger), Cut(), 2012)
    assert [p.days for p in delay.periods] == [260]  # the last collected: m2, recorded 2013-01-15
    ledger = ledger_with(measured("m1", "27", collected_on="2012-05-15"),
                         measured("m2", "ND", indicator="04.2", collected_on="2012-05-10"))
    delay = timeliness(events_of(ledger), Cut(), 2012)
    assert delay.mean_days == 15 and delay.periods[0].last.original.event_id == "m1"
    assert "collected on 2012-05-15" in delay.derivation().parts[0].formula


def test_a_correction_moving_period_end_or_collected_on_is_checked_again() -> None:
    late = measured("m1", "27")  # the April data, recorded 60 days after the period's end
    ledger = ledger_with(late, now=datetime(2012, 6, 29, 9, tzinfo=UTC))
    assert timeliness(events_of(ledger), Cut(), 2012).mean_days == 60
    with pytest.raises(ReportedBeforeCollected, match="recorded on 2012-06-29, before the end of the period"):
        append(ledger, correct("c1", "m1", "2012-08-31", period_end="2012-08-31",
                               effective_date="2012-08-31"))
    with pytest.raises(ReportedBeforeCollected, match="collected_on 2012-04-01 is before the end"):
        append(ledger, correct("c2", "m1", "2012-04-30", collected_on="2012-04-01"))
    assert append(ledger, correct("c3", "m1", "2012-04-30", collected_on="2012-05-20")) == [True]
    assert timeliness(events_of(ledger), Cut(), 2012).mean_days == 20


def test_a_correction_is_effective_when_the_measurement_it_corrects_is() -> None:
    ledger = ledger_with(measured("m1", "27"))
    with pytest.raises(InvalidCorrection, match="give effective_date 2012-04-30 .*not 2012-06-30"):
        append(ledger, correct("c1", "m1", "2012-06-30", value="28"))


# -- history typed in after the fact ------------------------------------------------------------
def example() -> Ledger:
    """The 2012 example, imported with its historical recorded_at (``import --backfill``)."""
    with (EXAMPLE_DIR / "events.jsonl").open(encoding="utf-8") as stream:
        batch, _ = read_batch(stream, backfill=True, actor=None)
    ledger = Ledger.open(entity="CCIAA Massa Carrara", actor="test", note="",
                         now=datetime(2012, 1, 27, tzinfo=UTC))
    ledger.extend(batch, now=datetime(2013, 2, 28, tzinfo=UTC))
    return ledger


def transcribed_later(delays: dict[date, int], collected: bool) -> list[dict[str, Any]]:
    """An operational objective's values typed in on 01/03/2013, collected (if said) when the
    other data of each period were."""
    facts: list[dict[str, Any]] = [
        ev("ObjectiveDefined", "o-CDG/15.9", "2012-01-27", year=2012, objective="CDG/15.9",
           level="operational", title="Monitoraggio quadrimestrale", parent="15", area="CDG"),
        ev("IndicatorDefined", "i-CDG/15.9-1", "2012-01-27", indicator="CDG/15.9-1", objective="CDG/15.9",
           title="n. report", weight="100", direction="higher", target="3", unit="n."),
    ]
    for end, days in delays.items():
        when = {"collected_on": (end + timedelta(days=days)).isoformat()} if collected else {}
        facts.append(measured(f"m-CDG/15.9-{end}", "1", end.isoformat(), indicator="CDG/15.9-1", **when))
    return facts


@pytest.mark.parametrize("collected", [True, False])
def test_values_typed_in_after_the_fact_with_their_collection_date_keep_the_published_figures(
    collected: bool
) -> None:
    ledger = example()
    before = achievement(events_of(ledger))
    periods = timeliness(events_of(ledger), Cut(), 2012).periods
    assert (before.indicator("15.2").value, rounded_percent(before.entity)) == ("15", 94)  # type: ignore[arg-type]
    ledger.extend(submissions(transcribed_later({p.end: p.days for p in periods}, collected)),
                  now=datetime(2013, 3, 1, 10, tzinfo=UTC))
    after = achievement(events_of(ledger))
    if not collected:  # the finding: the figure moved with the day of the transcription
        assert after.indicator("15.2").value != "15" and after.entity != before.entity
        return
    assert after.indicator("15.2").value == "15"
    assert after.objective("15").achievement == before.objective("15").achievement
    assert (after.entity, after.bands) == (before.entity, before.bands)
    assert after.objective("CDG/15.9").achievement == Decimal(1) / 3


def test_the_example_states_each_measurements_collection_date_which_the_delay_runs_to() -> None:
    ledger = example()
    last = timeliness(events_of(ledger), Cut(), 2012).periods[-1].last
    assert last.collected_on == date(2013, 1, 15) == last.original.recorded_at.date()


# -- a year's figures are its own --------------------------------------------------------------
def plan_2011(horizon_days: int = 366) -> list[dict[str, Any]]:
    """A plan of 2011 whose horizon reaches 31/12/2012, with an indicator measured for that day."""
    return [
        ev("PlanOpened", "plan-2011", "2011-01-27", year=2011, title="Piano 2011", horizon_days=horizon_days,
           levels=["strategic", "operational", "individual"], entity_level="strategic"),
        ev("ObjectiveDefined", "o-2011/01", "2011-01-27", year=2011, objective="2011/01", level="strategic",
           title="Obiettivo 2011"),
        ev("IndicatorDefined", "i-2011/01.1", "2011-01-27", indicator="2011/01.1", objective="2011/01",
           title="n. report", weight="100", direction="higher", target="3", unit="n."),
        measured("m-2011/01.1", "3", "2012-12-31", indicator="2011/01.1", collected_on="2013-12-31"),
    ]


def test_the_reporting_delay_of_a_year_counts_only_the_measurements_of_that_years_indicators() -> None:
    ledger = example()
    before = achievement(events_of(ledger))
    ledger.extend(submissions(plan_2011()), now=datetime(2014, 1, 10, tzinfo=UTC))
    assert ledger.book.indicators["2011/01.1"].objective == "2011/01"  # accepted: its plan reaches 2012-12-31
    after = achievement(events_of(ledger), year=2012)
    assert after.indicator("15.2").value == before.indicator("15.2").value == "15"
    assert after.objective("15").achievement == before.objective("15").achievement
    assert (after.entity, after.bands) == (before.entity, before.bands)
    assert [p.days for p in timeliness(events_of(ledger), Cut(), 2011).periods] == []


# -- collected by the day it is recorded -------------------------------------------------------
def test_data_collected_after_the_day_the_measurement_is_recorded_is_refused() -> None:
    ledger = ledger_with()
    with pytest.raises(ReportedBeforeCollected) as caught:
        append(ledger, measured("m1", "27", collected_on="2099-12-31"))
    assert caught.value.message == (
        "collected_on 2099-12-31 is after the day the measurement is recorded (2013-01-15): data are"
        " collected by the day they are recorded; give the day its data were collected")
    assert append(ledger, measured("m1", "27", collected_on="2013-01-15")) == [True]  # the same day


def test_a_backfilled_measurement_is_collected_by_its_historical_recording_day() -> None:
    ledger = ledger_with(now=datetime(2012, 5, 10, tzinfo=UTC))
    late = {**measured("m1", "27", collected_on="2012-05-20"), "recorded_at": "2012-05-15T10:00:00Z"}
    with pytest.raises(ReportedBeforeCollected, match="the measurement is recorded \\(2012-05-15\\)"):
        ledger.extend([parse_submission(late, allow_recorded_at=True)], now=NOW)
    on_time = {**late, "collected_on": "2012-05-15"}
    assert ledger.extend([parse_submission(on_time, allow_recorded_at=True)], now=NOW) == [True]


def test_a_correction_of_collected_on_is_checked_against_the_corrections_recording_day() -> None:
    ledger = ledger_with(measured("m1", "27", collected_on="2012-05-15"),
                         now=datetime(2012, 5, 15, tzinfo=UTC))
    with pytest.raises(ReportedBeforeCollected, match="the correction is recorded \\(2012-06-01\\)"):
        append(ledger, correct("c1", "m1", "2012-04-30", collected_on="2012-06-02"),
               now=datetime(2012, 6, 1, 9, tzinfo=UTC))
    # Later than the measurement's own recording day, but not than the correction's: accepted.
    assert append(ledger, correct("c2", "m1", "2012-04-30", collected_on="2012-05-20"),
                  now=datetime(2012, 6, 1, 9, tzinfo=UTC)) == [True]
    assert timeliness(events_of(ledger), Cut(), 2012).mean_days == 20
    assert append(ledger, correct("c3", "m1", "2012-04-30", value="28"),
                  now=datetime(2012, 6, 2, 9, tzinfo=UTC)) == [True]
