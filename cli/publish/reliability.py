"""The OIV's validation kit, criterion 4 (*attendibilità dei dati*): every measurement a published figure
rests on, who recorded it, when and from where, the corrections of it, and how late its data were
collected.

Lateness is ``projections.timeliness``'s: the days from a measurement's period end to the collection of
its data (*rilevazione*), against the target of the plan's own ``derived:reporting_delay`` indicator (no
such indicator: no limit, nothing called late).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cli.labels import tr
from cli.publish.model import Document, Figure
from cli.publish.prose import Text, counted, joined, listed, quoted, said
from cli.views import shown
from events import EventCorrected, IndicatorMeasured, LedgerEvent
from projections.explain import SourceRef, sources
from projections.facts import in_force, known_facts, of_type
from projections.timeliness import Period, collected, indicators_of


@dataclass(frozen=True)
class CorrectionEntry:
    """An EventCorrected of a measurement: by whom, when, why, what it changed; ``known``: at the cut (a
    correction recorded after the cut's known-at is not in the Relazione)."""

    seq: int
    event: str
    actor: str
    recorded_at: datetime
    reason: str
    changes: Text
    known: bool
    source: SourceRef | None


@dataclass(frozen=True)
class MeasurementEntry:
    """A measurement a published figure rests on (or of the year's indicators, in force at the cut):
    who recorded it and when, its effective date and period, the day its data were collected and the
    days from the period's end to it (``projections.timeliness``), whether that is ``late`` against the
    plan's limit (None: no limit), where it came from and the corrections of it. ``figure``: the
    indicator's achievement, when this is the value the Relazione shows."""

    seq: int
    event: str
    indicator: str
    period_end: date
    value: str
    actor: str
    recorded_at: datetime
    effective_date: date
    collected: date
    collected_given: bool
    days: int
    late: bool | None
    source: SourceRef | None
    signed: bool
    corrections: tuple[CorrectionEntry, ...]
    figure: Figure | None

    @property
    def corrected(self) -> bool:
        """Corrected as known at the cut."""
        return any(c.known for c in self.corrections)

    @property
    def typed_in_after(self) -> int:
        """Days from the collection of its data to its recording (0: recorded the day they were collected)."""
        return max(0, (self.recorded_at.date() - self.collected).days)


@dataclass(frozen=True)
class Reliability:
    measurements: tuple[MeasurementEntry, ...]
    limit: int | None
    limit_indicator: str | None

    @property
    def from_spreadsheets(self) -> int:
        return sum(1 for m in self.measurements if m.source is not None)

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.source.file for m in self.measurements if m.source is not None))

    @property
    def actors(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.actor for m in self.measurements))

    @property
    def late(self) -> int:
        return sum(1 for m in self.measurements if m.late)

    @property
    def corrected(self) -> int:
        return sum(1 for m in self.measurements if m.corrected)

    @property
    def corrected_after(self) -> int:
        return sum(1 for m in self.measurements for c in m.corrections if not c.known)

    def sentence(self) -> Text:
        n = len(self.measurements)
        sheets = self.from_spreadsheets
        files = said(" (", listed(self.files), ")") if self.files else ""
        text = said(f"{counted(n, 'misurazione', 'misurazioni')}, registrate da ", listed(self.actors) or "-",
                    f"; {sheets} da fogli di calcolo", files,
                    f", {n - sheets} registrate a mano o da JSON Lines;"
                    f" {counted(self.corrected, 'corretta', 'corrette')}")
        if self.corrected_after:
            later = counted(self.corrected_after, "correzione", "correzioni")
            text = said(text, f" ({later} registrate dopo il taglio)")
        if self.limit is None:
            return said(text, "; il Piano non fissa un termine per la rilevazione dei dati")
        return said(text, f"; {counted(self.late, 'rilevata', 'rilevate')} oltre il termine di {self.limit}"
                    " giorni dalla fine del periodo (indicatore ", quoted(self.limit_indicator), ")")


def _limit(doc: Document) -> tuple[int | None, str | None]:
    """The plan's limit on the days from a period's end to the collection of its data: the target of its
    ``derived:reporting_delay`` indicator (of the scored level first), as revised at the cut."""
    found = [(o.definition.level != doc.scores.scored_level, i) for o in doc.scores.objectives
             for i in o.indicators if i.definition.source == "derived:reporting_delay" and i.target != "ND"]
    if not found:
        return None, None
    _, indicator = min(found, key=lambda pair: pair[0])
    return int(Decimal(indicator.target)), indicator.code


def _changes_text(changes: dict[str, Any]) -> Text:
    """``valore 67, nota …``: each field a correction changes, in Italian, and its new value."""
    return joined((said(f"{tr(k, 'it')} ", quoted(v)) for k, v in changes.items()), ", ")


def reliability(doc: Document, events: Sequence[LedgerEvent]) -> Reliability:
    """Each measurement of the year's indicators in force at the cut (its period ended by then), and any
    other a published figure rests on (a year ratio's year before), in recording order."""
    events = list(events)
    cut = doc.cut
    known = known_facts(events, cut)
    own = indicators_of(known, doc.scores.year)
    measured = [m for m in in_force(of_type(known, IndicatorMeasured), cut)
                if cut.holds(m.period_end) and (m.indicator in own or m.original.seq in doc.evidence)]
    by_source = sources(events)
    later: dict[str, list[EventCorrected]] = {}
    for event in events:
        if isinstance(event, EventCorrected) and not cut.knows(event):
            later.setdefault(event.corrects, []).append(event)
    published = {}
    for o in doc.scores.objectives:
        for i in o.indicators:
            if i.measurement is not None and i.definition.source == "measured":
                published[i.measurement.original.event_id] = doc.find("achievement", "indicator", i.code)
    limit, limit_indicator = _limit(doc)
    entries = []
    for m in measured:
        first = m.original
        days = Period(m.period_end, (m,)).days  # timeliness's own measure, for this measurement alone
        corrections = [_correction(c, True, by_source) for c in m.corrections]
        corrections += [_correction(c, False, by_source) for c in later.get(first.event_id, [])]
        unit = _unit(doc, str(m.indicator))
        entries.append(MeasurementEntry(
            seq=first.seq, event=first.event_id, indicator=str(m.indicator), period_end=m.period_end,
            value=shown(str(m.value), unit, "it"), actor=first.actor, recorded_at=first.recorded_at,
            effective_date=m.effective_date, collected=collected(m),
            collected_given=m.collected_on is not None,
            days=days, late=None if limit is None else days > limit, source=by_source.get(first.event_id),
            signed=first.signature is not None, corrections=tuple(corrections),
            figure=published.get(first.event_id)))
    return Reliability(tuple(entries), limit, limit_indicator)


def _unit(doc: Document, indicator: str) -> str:
    try:
        return str(doc.scores.indicator(indicator).definition.unit)
    except KeyError:  # an indicator of another year, which a year ratio reads
        return ""


def _correction(c: EventCorrected, known: bool, by_source: dict[str, SourceRef]) -> CorrectionEntry:
    return CorrectionEntry(c.seq, c.event_id, c.actor, c.recorded_at, c.reason, _changes_text(c.changes),
                           known, by_source.get(c.event_id))
