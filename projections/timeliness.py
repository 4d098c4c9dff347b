"""Timeliness of monitoring: days from a four-month period's end to the collection of its data.

For each period end (30 April, 31 August, 31 December) of the year that is on or before
``as_of`` and has measurements in force at ``as_of`` of the year's own indicators (indicator ->
objective -> year: a measurement of another year's indicator for the same day does not count),
the delay is the number of days from the
period's end to the day the data of its last measurement were collected (*rilevazione*): the
measurement's ``collected_on`` (as corrected), else the day it was recorded (its recorded-at's
date, UTC; a correction recorded later is not data collection). The indicator is the mean
delay over those periods. A figure so made does not move when history is typed in later, as
long as each measurement says when its data were collected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from events import IndicatorDefined, IndicatorMeasured, ObjectiveDefined
from projections.explain import Derivation, refs
from projections.facts import Cut, Events, Fact, Known, in_force, known_facts, of_type


def indicators_of(known: Known, year: int) -> set[str]:
    """The codes of the indicators of ``year``'s objectives."""
    years = {f.objective: f.year for f in of_type(known, ObjectiveDefined)}
    return {f.indicator for f in of_type(known, IndicatorDefined) if years.get(f.objective) == year}


def period_ends(year: int) -> tuple[date, date, date]:
    return date(year, 4, 30), date(year, 8, 31), date(year, 12, 31)


def collected(measurement: Fact) -> date:
    """The day a measurement's data were collected: ``collected_on``, else the day it was recorded."""
    day: date | None = measurement.collected_on
    return measurement.original.recorded_at.date() if day is None else day


@dataclass(frozen=True)
class Period:
    end: date
    measurements: tuple[Fact, ...]

    @property
    def last(self) -> Fact:
        """The measurement whose data were collected last (of one day's, the last recorded)."""
        return max(self.measurements, key=lambda f: (collected(f), f.original.seq))

    @property
    def days(self) -> int:
        return (collected(self.last) - self.end).days


@dataclass(frozen=True)
class Timeliness:
    year: int
    periods: tuple[Period, ...]

    @property
    def mean_days(self) -> Decimal | None:
        if not self.periods:
            return None
        return Decimal(sum(p.days for p in self.periods)) / Decimal(len(self.periods))

    def derivation(self) -> Derivation:
        parts = tuple(
            Derivation(
                f"period ending {p.end}",
                Decimal(p.days),
                f"{collected(p.last)} - {p.end} = {p.days} days"
                f" (the last collected of {len(p.measurements)} measurements; {how(p.last)})",
                tuple(refs(p.last, "last measurement of the period")),
            )
            for p in self.periods
        )
        days = " + ".join(str(p.days) for p in self.periods) or "0"
        mean = self.mean_days
        return Derivation(
            f"days from period end to collection of its data, {self.year}",
            mean,
            f"mean over {len(self.periods)} period(s) = ({days}) / {len(self.periods)}"
            f" = {'ND' if mean is None else f'{mean:f}'}",
            parts=parts,
        )


def how(measurement: Fact) -> str:
    if measurement.collected_on is not None:
        return f"collected on {measurement.collected_on}"
    return f"no collected_on: the day it was recorded, {measurement.original.recorded_at.date()}"


def timeliness(events: Events, cut: Cut, year: int) -> Timeliness:
    known = known_facts(events, cut, partial=True)
    own = indicators_of(known, year)
    measurements = [m for m in in_force(of_type(known, IndicatorMeasured), cut) if m.indicator in own]
    periods = []
    for end in period_ends(year):
        if not cut.holds(end):
            continue
        found = tuple(m for m in measurements if m.period_end == end)
        if found:
            periods.append(Period(end, found))
    return Timeliness(year, tuple(periods))
