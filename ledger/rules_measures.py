"""The rules of measurements (IndicatorMeasured): a measured indicator, a value of its kind, for a period
ending within the plan; under the tree rules also a value its unit allows, one measurement a period,
effective on or after the period's end, and data collected (``collected_on``) between the period's end
and the day they are recorded.
"""

from __future__ import annotations

from datetime import UTC, date
from typing import TYPE_CHECKING

from events import IndicatorMeasured, LedgerEvent
from ledger.errors import (
    EffectiveDateOutsidePlan,
    MeasuredTwice,
    ReportedBeforeCollected,
    ValueDoesNotFitIndicator,
)
from ledger.references import in_its_plan, under_tree_rules, window
from ledger.rules_values import check_scorable, check_value_kind

if TYPE_CHECKING:
    from ledger.book import Book


def check_measurement_fits_indicator(book: Book, fact: IndicatorMeasured, replacing: bool) -> None:
    """A measured indicator, a value of its kind, for a period ending within the plan.

    Under the tree rules also: a value its unit allows (a percentage as a fraction), one
    measurement a period (``replacing``: the corrected version of one may hold its own period),
    effective on or after the period's end, and data collected (``collected_on``, else the day
    it is recorded) on or after it: a reporting delay is never negative; and collected by the day
    it is recorded (a correction's ``collected_on``: by the day the correction is recorded).
    """
    eid = fact.event_id
    year = in_its_plan(book, fact)
    found = book.indicators[fact.indicator]
    if found.source != "measured":
        raise ValueDoesNotFitIndicator(
            f"indicator {fact.indicator!r} is {found.source}: the ledger computes it, it is not measured",
            event_id=eid,
        )
    check_value_kind(found.direction, fact.value, "value", fact.indicator, eid)
    low, high = window(book.plans[year])
    if not low <= fact.period_end <= high:
        raise EffectiveDateOutsidePlan(
            f"period_end {fact.period_end} is outside the plan of {year} ({low} to {high})", event_id=eid
        )
    if under_tree_rules(book, year):
        check_scorable(found, fact.value, "value", eid)
        check_measured_once(book, fact)
        check_measured_after_its_period(fact)
        if not replacing:  # a correction's collected_on is checked against its own day
            check_collected_by(fact, recorded_day(fact), "measurement")


def check_measured_once(book: Book, fact: IndicatorMeasured) -> None:
    held = book.measured.get((fact.indicator, fact.period_end))
    if held is not None and held != fact.event_id:
        raise MeasuredTwice(
            f"indicator {fact.indicator!r} is already measured for the period ending {fact.period_end}"
            f" by event {held!r}; to change its value record an EventCorrected of it",
            event_id=fact.event_id,
        )


def check_measured_after_its_period(fact: IndicatorMeasured) -> None:
    """Effective, collected and (without a collection date) recorded on or after the period's end."""
    end, eid = fact.period_end, fact.event_id
    if fact.effective_date < end:
        raise EffectiveDateOutsidePlan(
            f"a measurement of the period ending {end} cannot take effect before it, on"
            f" {fact.effective_date}; give effective_date {end} or later", event_id=eid)
    if fact.collected_on is not None and fact.collected_on < end:
        raise ReportedBeforeCollected(
            f"collected_on {fact.collected_on} is before the end of the period it measures ({end}):"
            " the reporting delay would be negative", event_id=eid)
    recorded = recorded_day(fact)
    if fact.collected_on is None and recorded < end:
        raise ReportedBeforeCollected(
            f"recorded on {recorded}, before the end of the period it measures ({end}), and without"
            " collected_on: the reporting delay would be negative; give collected_on (the day its data"
            " were collected) or record it once the period has ended", event_id=eid)


def check_collected_by(fact: IndicatorMeasured, day: date, recorded: str, eid: str | None = None) -> None:
    """Data are collected by the day they are recorded: ``collected_on`` is not after ``day``, the day
    the measurement (or the correction that sets it) is recorded, the UTC date of its recorded-at (the
    ledger's clock at append; a backfilled history's own recorded_at)."""
    if fact.collected_on is not None and fact.collected_on > day:
        raise ReportedBeforeCollected(
            f"collected_on {fact.collected_on} is after the day the {recorded} is recorded ({day}): data are"
            " collected by the day they are recorded; give the day its data were collected",
            event_id=eid or fact.event_id)


def recorded_day(event: LedgerEvent) -> date:
    """The day an event is recorded: the UTC date of its recorded-at."""
    return event.recorded_at.astimezone(UTC).date()
