"""The OIV's validation kit as data: for one cut, the facts of each validation criterion.

The OIV validates the Relazione sulla Performance (d.lgs. 150/2009, art. 14, comma 4, lettera c) by
the criteria of the DFP's guidance (Linee guida n. 3/2018, after CiVIT delibera 6/2012): coherence
with the plan, deviations between planned and actual results with their reasons, the changes to
objectives during the year (art. 6), the reliability of the data and their sources, and figures
that can be checked. ``kit(doc, events)`` gathers what each criterion needs from a Document and the
events it was read from (the same list): pure, no store, no clock. It states facts and counts
them; every judgement is left to the OIV, as blanks of the draft (``BLANKS``).

Lateness is ``projections.timeliness``'s: the days from a measurement's period end to the
collection of its data (*rilevazione*), against the target of the plan's own
``derived:reporting_delay`` indicator (no such indicator: no limit, nothing called late).
Shown values and dates are Italian (``cli.output``: the one rounding, half-up).
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cli.audit import diff
from cli.header import known_at_json
from cli.labels import tr
from cli.output import day, to_json
from cli.publish.anchor import Anchor, Signer
from cli.publish.model import Document, Figure
from cli.views import report_data, shown
from events import EventCorrected, IndicatorMeasured, LedgerEvent
from events.fields import Act
from events.parse import loads_strict
from projections.achievement import IndicatorScore, ObjectiveScore
from projections.explain import SourceRef, sources
from projections.facts import Fact, in_force, known_facts, of_type
from projections.timeliness import Period, collected, indicators_of

# The blanks the OIV fills in: the tool never judges.
JUDGEMENT = "[giudizio dell'OIV]"
VERDICT = "[validata / non validata]"
PLACE = "[luogo]"
DATE = "[data]"
SIGNATURES = "[firme dei componenti dell'OIV]"
APPROVAL = "[atto di approvazione della Relazione: tipo, numero e data]"
RECEIVED = "[data di trasmissione all'OIV]"
BLANKS = (JUDGEMENT, VERDICT, PLACE, DATE, SIGNATURES, APPROVAL, RECEIVED)

# An indicator's status in the Relazione: a value, or the reason it has none.
VALUED, ND, UNMEASURED, WITHDRAWN = "valued", "nd", "unmeasured", "withdrawn"
WITHOUT = {ND: ("ND", "ND"), UNMEASURED: ("non misurato", "non misurati"),
           WITHDRAWN: ("ritirato", "ritirati")}
"""The statuses without a value, in Italian (singular, plural)."""

EXCLUDED = {"weight 0": "peso 0"}  # the exclusions cli.labels does not already translate
LEVELS = {"strategic": ("obiettivo strategico", "obiettivi strategici"),
          "operational": ("obiettivo operativo", "obiettivi operativi"),
          "individual": ("obiettivo individuale", "obiettivi individuali")}
DERIVED = {"derived:variations": "calcolato dal registro: variazioni agli obiettivi",
           "derived:reporting_delay": "calcolato dal registro: giorni dalla fine del periodo alla"
                                      " rilevazione",
           "derived:entity_level": "calcolato dal registro: livello medio dell'ente"}


def counted(n: int, singular: str, plural: str) -> str:
    """``1 indicatore``, ``3 indicatori``, ``3.812 cifre``."""
    return f"{whole(n)} {singular if n == 1 else plural}"


def whole(n: int) -> str:
    """A count with Italian thousands: ``3.812``."""
    return f"{n:,}".replace(",", ".")


def _level_words(level: str) -> tuple[str, str]:
    found = LEVELS.get(level)
    if found is not None:
        return found
    return f"obiettivo di livello {level}", f"obiettivi di livello {level}"


def act_text(act: Act | None) -> str:
    return "senza atto" if act is None else str(act)


def instant(moment: datetime) -> str:
    """``15/01/2013 11:00 UTC``."""
    return f"{day(moment.date(), 'it')} {moment.strftime('%H:%M')} UTC"


def weight(value: Decimal) -> str:
    """A weight in percentage points as the plan gives it: ``33,33``, ``50``."""
    return f"{value.normalize():f}".replace(".", ",")


def _unique(figures: Iterator[Figure | None]) -> list[Figure]:
    seen: dict[str, Figure] = {}
    for figure in figures:
        if figure is not None:
            seen.setdefault(figure.key, figure)
    return list(seen.values())


# -- 1. Coerenza con il Piano -------------------------------------------------------------------
@dataclass(frozen=True)
class IndicatorStatus:
    """An indicator of the plan as the Relazione gives it: ``value`` and ``target`` shown in Italian
    (``value`` empty when there is none), ``status`` (``VALUED`` or the reason for having no value),
    ``reason`` why it has none or is left out of its objective's mean (empty when it counts), ``how``
    where its value comes from, ``figure`` its achievement as published."""

    objective: str
    code: str
    title: str
    weight: Decimal
    target: str
    value: str
    status: str
    reason: str
    how: str
    figure: Figure | None


@dataclass(frozen=True)
class ObjectiveStatus:
    """An objective of the plan: ``withdrawn`` the reason it is out of every mean (None: it counts)."""

    code: str
    title: str
    level: str
    figure: Figure | None
    withdrawn: str | None
    indicators: tuple[IndicatorStatus, ...]


@dataclass(frozen=True)
class LevelCount:
    """The objectives of one level of the plan and their indicators, counted by status."""

    level: str
    objectives: int
    withdrawn: int
    indicators: int
    without: dict[str, int]

    @property
    def valued(self) -> int:
        return self.indicators - sum(self.without.values())

    def sentence(self) -> str:
        """``18 obiettivi strategici, 68 indicatori: 64 con valore, 4 senza (2 ND, 2 non misurati)``."""
        singular, plural = _level_words(self.level)
        head = counted(self.objectives, singular, plural)
        if self.withdrawn:
            head += f" ({counted(self.withdrawn, 'ritirato', 'ritirati')})"
        indicators = counted(self.indicators, "indicatore", "indicatori")
        missing = sum(self.without.values())
        if not self.indicators:
            return f"{head}, nessun indicatore"
        if not missing:
            return f"{head}, {indicators}: {'tutti con valore' if self.indicators > 1 else 'con valore'}"
        reasons = ", ".join(counted(n, *WITHOUT[status]) for status, n in self.without.items() if n)
        return f"{head}, {indicators}: {self.valued} con valore, {missing} senza ({reasons})"


@dataclass(frozen=True)
class Coherence:
    objectives: tuple[ObjectiveStatus, ...]
    levels: tuple[LevelCount, ...]

    def sentence(self) -> str:
        return "; ".join(level.sentence() for level in self.levels)


def _strike_text(strike: Fact) -> str:
    return f"ritirato (causa {tr(strike.cause, 'it')}): {strike.reason}"


def _how(i: IndicatorScore) -> str:
    d = i.definition
    if d.source == "measured":
        return "misurato"
    if d.source == "reference":
        return f"per riferimento all'indicatore {d.uses}"
    if d.source == "derived:year_ratio":
        return f"rapporto tra anni: {d.uses} / {d.compared_with}"
    return str(DERIVED.get(d.source, f"calcolato dal registro ({d.source})"))


def indicator_status(doc: Document, objective: ObjectiveScore, i: IndicatorScore) -> IndicatorStatus:
    d = i.definition
    unit = str(d.unit)
    if i.withdrawn is not None:
        status, reason = WITHDRAWN, _strike_text(i.withdrawn)
    elif i.value is None:
        status = UNMEASURED
        reason = (f"nessuna misurazione per un periodo concluso entro il {day(doc.cut.as_of, 'it')}"
                  if doc.cut.as_of is not None else "nessuna misurazione registrata")
        if d.source == "reference":
            reason = f"l'indicatore {d.uses}, di cui usa il valore, non ha misurazione"
        elif d.source != "measured":
            reason = "non calcolabile alla data: manca un dato da cui si ricava"
    elif i.value == "ND":
        status, reason = ND, "ND (non disponibile)"
        if i.measurement is not None and i.measurement.note:
            reason += f": {i.measurement.note}"
    else:
        status = VALUED
        reason = "" if i.excluded is None else (
            "escluso dalla media: " + EXCLUDED.get(i.excluded, tr(i.excluded, "it")))
    return IndicatorStatus(
        objective=objective.code, code=i.code, title=str(d.title), weight=i.weight,
        target=shown(i.target, unit, "it"), value="" if i.value is None else shown(i.value, unit, "it"),
        status=status, reason=reason, how=_how(i), figure=doc.find("achievement", "indicator", i.code))


def coherence(doc: Document) -> Coherence:
    """Every objective and indicator of the plan in force at the cut, with its value or the reason it has
    none, counted by level (in the plan's order of levels)."""
    objectives = tuple(
        ObjectiveStatus(
            code=o.code, title=str(o.definition.title), level=str(o.definition.level),
            figure=doc.find("achievement", "objective", o.code),
            withdrawn=None if o.struck is None else _strike_text(o.struck),
            indicators=tuple(indicator_status(doc, o, i) for i in o.indicators))
        for o in doc.scores.objectives)
    order = [*doc.scores.rules.tree, *(o.level for o in objectives)]
    levels = []
    for level in dict.fromkeys(order):
        mine = [o for o in objectives if o.level == level]
        if not mine:
            continue
        statuses = [i.status for o in mine for i in o.indicators]
        levels.append(LevelCount(level, len(mine), sum(1 for o in mine if o.withdrawn is not None),
                                 len(statuses), {s: statuses.count(s) for s in WITHOUT}))
    return Coherence(objectives, tuple(levels))


# -- 2. Scostamenti -----------------------------------------------------------------------------
@dataclass(frozen=True)
class DeviationEntry:
    """An indicator below its target or without a value, with the reasons recorded for it."""

    objective: str
    indicator: str
    title: str
    target: str
    value: str
    figure: Figure
    reasons: tuple[str, ...]

    @property
    def unexplained(self) -> bool:
        """Recorded with no reason at all (the OIV asks for one)."""
        return not self.reasons


@dataclass(frozen=True)
class Unused:
    """Availability not used by the cut: a policy line's (``items`` its items with some left) or an item's."""

    key: str
    title: str
    available: Figure | None
    total: Figure | None
    ratio: Figure | None
    items: tuple[Unused, ...] = ()


@dataclass(frozen=True)
class Deviations:
    indicators: tuple[DeviationEntry, ...]
    lines: tuple[Unused, ...]
    available: Figure
    ratio: Figure

    @property
    def unexplained(self) -> int:
        return sum(1 for d in self.indicators if d.unexplained)

    def sentence(self) -> str:
        text = (f"{counted(len(self.indicators), 'indicatore', 'indicatori')} sotto il valore atteso o senza"
                f" valore, {self.unexplained} senza motivazione registrata")
        lines = [u for u in self.lines if u.available is not None]
        return (text + f"; disponibilità di budget non utilizzata {self.available.shown}"
                f" ({self.ratio.shown} del Totale), su {counted(len(lines), 'linea', 'linee')}")


def deviations(doc: Document) -> Deviations:
    """``doc.deviations`` with their reasons, and the budget's availability left at the cut by line."""
    entries = []
    for d in doc.deviations:
        unit = str(doc.scores.indicator(d.indicator).definition.unit)
        entries.append(DeviationEntry(d.objective, d.indicator, d.title, shown(d.target, unit, "it"),
                                      "" if d.value is None else shown(d.value, unit, "it"), d.figure,
                                      d.reasons))
    table = doc.table

    def item(row: Any) -> Unused:
        return Unused(row.item, row.product, doc.find("budget", "item", row.item, "available"),
                      doc.find("budget", "item", row.item, "total"), None)

    lines = []
    for group in table.lines:
        if group.amounts.available > 0:
            lines.append(Unused(group.key, group.title, doc.find("budget", "line", group.key, "available"),
                                doc.find("budget", "line", group.key, "total"),
                                doc.find("budget", "line", group.key, "ratio"),
                                tuple(item(r) for r in group.rows if r.amounts.available > 0)))
    off_line = tuple(item(r) for r in table.off_line.rows if r.amounts.available > 0)
    if off_line:
        lines.append(Unused("-", tr("not on a policy line", "it"), None, None, None, off_line))
    return Deviations(tuple(entries), tuple(lines), doc.figure("budget", "total", "available"),
                      doc.figure("budget", "total", "ratio"))


# -- 3. Variazioni ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChangeEntry:
    """A change to the plan during the year: ``kind`` ``variazione`` (an ObjectiveChanged) or a strike
    (``obiettivo ritirato``, ``indicatore ritirato``); ``counts``: in the variations indicator."""

    kind: str
    seq: int
    event: str
    objective: str
    indicator: str | None
    cause: str
    effective_date: date
    reason: str
    what: str
    act: Act | None
    counts: bool

    @property
    def act_text(self) -> str:
        return act_text(self.act)


@dataclass(frozen=True)
class Changes:
    entries: tuple[ChangeEntry, ...]
    figure: Figure
    objectives: int

    @property
    def without_act(self) -> tuple[ChangeEntry, ...]:
        return tuple(c for c in self.entries if c.act is None)

    def sentence(self) -> str:
        changes = [c for c in self.entries if c.kind == "variazione"]
        strikes = len(self.entries) - len(changes)
        causes = ", ".join(f"{n} {tr(cause, 'it')}" for cause, n in _by_cause(changes).items() if n)
        counts = sum(1 for c in changes if c.counts)
        text = counted(len(changes), "variazione agli obiettivi", "variazioni agli obiettivi")
        if changes:
            text += f" ({causes})"
        text += (f", {counted(counts, 'conteggiata', 'conteggiate')} nell'indicatore delle variazioni"
                 f" ({counts} su {self.objectives} obiettivi = {self.figure.shown})")
        text += f"; {counted(strikes, 'stralcio', 'stralci')} di obiettivi o indicatori"
        missing = len(self.without_act)
        return text + ("; tutte con atto" if not missing else f"; {missing} senza atto")


def _by_cause(changes: Sequence[ChangeEntry]) -> dict[str, int]:
    found: dict[str, int] = {}
    for c in changes:
        found[c.cause] = found.get(c.cause, 0) + 1
    return found


def changes(doc: Document) -> Changes:
    """Every change to an objective in force at the cut (cause, act, whether it counts), then the strikes in
    force of objectives and indicators (they do not count in the indicator: their objectives were planned)."""
    found = [ChangeEntry("variazione", c.original.seq, c.original.event_id, str(c.objective), c.indicator,
                         str(c.cause), c.effective_date, str(c.reason), str(c.what), c.act,
                         c.cause == "internal")
             for c in doc.changes.changes]
    strikes: dict[str, ChangeEntry] = {}
    for o in doc.scores.objectives:
        if o.struck is not None:
            strike = _strike(o.struck, "obiettivo ritirato", o.code, None)
            strikes.setdefault(strike.event, strike)
        for i in o.indicators:
            if i.withdrawn is not None:
                strikes.setdefault(i.withdrawn.original.event_id,
                                   _strike(i.withdrawn, "indicatore ritirato", o.code, i.withdrawn.indicator))
    found += sorted(strikes.values(), key=lambda c: c.seq)
    return Changes(tuple(found), doc.figure("variations"), len(doc.changes.objectives))


def _strike(strike: Fact, kind: str, objective: str, indicator: str | None) -> ChangeEntry:
    return ChangeEntry(kind, strike.original.seq, strike.original.event_id, objective, indicator,
                       str(strike.cause), strike.effective_date, str(strike.reason), "", strike.act, False)


# -- 4. Attendibilità dei dati ------------------------------------------------------------------
@dataclass(frozen=True)
class CorrectionEntry:
    """An EventCorrected of a measurement: by whom, when, why, what it changed; ``known``: at the cut (a
    correction recorded after the cut's known-at is not in the Relazione)."""

    seq: int
    event: str
    actor: str
    recorded_at: datetime
    reason: str
    changes: str
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

    def sentence(self) -> str:
        n = len(self.measurements)
        sheets = self.from_spreadsheets
        text = (f"{counted(n, 'misurazione', 'misurazioni')}, registrate da {', '.join(self.actors) or '-'};"
                f" {sheets} da fogli di calcolo"
                + (f" ({', '.join(self.files)})" if self.files else "")
                + f", {n - sheets} registrate a mano o da JSON Lines;"
                f" {counted(self.corrected, 'corretta', 'corrette')}")
        if self.corrected_after:
            later = counted(self.corrected_after, "correzione", "correzioni")
            text += f" ({later} registrate dopo il taglio)"
        if self.limit is None:
            return text + "; il Piano non fissa un termine per la rilevazione dei dati"
        return text + (f"; {counted(self.late, 'rilevata', 'rilevate')} oltre il termine di {self.limit}"
                       f" giorni dalla fine del periodo (indicatore {self.limit_indicator})")


def _limit(doc: Document) -> tuple[int | None, str | None]:
    """The plan's limit on the days from a period's end to the collection of its data: the target of its
    ``derived:reporting_delay`` indicator (of the scored level first), as revised at the cut."""
    found = [(o.definition.level != doc.scores.scored_level, i) for o in doc.scores.objectives
             for i in o.indicators if i.definition.source == "derived:reporting_delay" and i.target != "ND"]
    if not found:
        return None, None
    _, indicator = min(found, key=lambda pair: pair[0])
    return int(Decimal(indicator.target)), indicator.code


def _changes_text(changes: dict[str, Any]) -> str:
    return ", ".join(f"{tr(k, 'it')} {v}" for k, v in changes.items())


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


# -- 5. Ricalcolo delle cifre -------------------------------------------------------------------
@dataclass(frozen=True)
class Command:
    """A command the OIV (or the body, ``who``) runs, and what it checks."""

    who: str
    purpose: str
    line: str


@dataclass(frozen=True)
class Recomputation:
    """The published figures (``doc.figures_json``: ``report --format json`` at the cut) against a fresh
    replay of the events at the same cut: ``compared`` values, the ``differences`` (path, published,
    recomputed); the anchor the proofs end at, and the commands that check the same elsewhere."""

    compared: int
    differences: tuple[tuple[str, Any, Any], ...]
    figures: int
    anchor: Anchor
    keys: tuple[tuple[str, Signer], ...]
    commands: tuple[Command, ...]

    @property
    def equal(self) -> bool:
        return not self.differences

    def sentence(self) -> str:
        figures = counted(self.compared, "cifra ricalcolata", "cifre ricalcolate")
        if self.equal:
            return f"{figures} dagli eventi: {'tutte uguali' if self.compared > 1 else 'uguale'}"
        return f"{figures} dagli eventi: {counted(len(self.differences), 'differenza', 'differenze')}"

    def anchor_sentence(self) -> str:
        return anchor_sentence(self.anchor)


def anchor_sentence(anchor: Anchor) -> str:
    """``checkpoint 516 di ORIGIN firmato da cdg, cosottoscritto da oiv (il 2013-06-20T10:00:00Z)``."""
    if anchor.kind == "head":
        return (f"testa del registro (evento {anchor.size}, origine {anchor.origin}), non cosottoscritta:"
                " nessun checkpoint firmato")
    logs = ", ".join(s.name for s in anchor.signers if s.role == "log") or "nessuno"
    text = f"checkpoint {anchor.size} di {anchor.origin} firmato da {logs}"
    cosigners = [f"{s.name} (il {s.cosigned_at})" for s in anchor.cosigners]
    return text + (", cosottoscritto da " + ", ".join(cosigners) if cosigners else ", non cosottoscritto")


def leaves(data: Any) -> int:
    """The scalar values of a JSON document."""
    if isinstance(data, dict):
        return sum(leaves(v) for v in data.values())
    if isinstance(data, list):
        return sum(leaves(v) for v in data)
    return 1


def recomputation(doc: Document, events: Sequence[LedgerEvent]) -> Recomputation:
    """Replay the events afresh at the document's cut (``views.report_data``) and compare every value with
    the published figures, key by key (``audit.diff``), as JSON reads them."""
    fresh = report_data(list(events), doc.cut, doc.scores.year)
    published, recomputed = (loads_strict(to_json(d)) for d in (doc.figures_json, fresh))
    differences = tuple(diff(published, recomputed))
    return Recomputation(leaves(published), differences, len(doc.figures), doc.anchor, _keys(doc.anchor),
                         _commands(doc))


KEY_FILES = {"log": "REGISTRO", "cosigner": "OIV"}


def _keys(anchor: Anchor) -> tuple[tuple[str, Signer], ...]:
    """The signers of the anchor, each with the file name the commands give its verifier key."""
    found = []
    counts: dict[str, int] = {}
    for signer in anchor.signers:
        stem = KEY_FILES.get(signer.role, "CHIAVE")
        counts[stem] = counts.get(stem, 0) + 1
        found.append((f"{stem}{'' if counts[stem] == 1 else counts[stem]}.vkey", signer))
    return tuple(found)


def _commands(doc: Document) -> tuple[Command, ...]:
    from cli.publish.command import default_name

    year = doc.scores.year
    bundle = f"bundle-{year}"
    checkpoint = f"checkpoint-{doc.anchor.size}.txt"
    relazione = default_name(dataclasses.replace(doc, kind="relazione"), "pdf")
    names = [name for name, _ in _keys(doc.anchor)] or ["REGISTRO.vkey", "OIV.vkey"]
    if "OIV.vkey" not in names:
        names.append("OIV.vkey")
    vkeys = " ".join(f"--vkey {shlex.quote(n)}" for n in names)
    log_vkey = next((n for n in names if n.startswith("REGISTRO")), "REGISTRO.vkey")
    found = []
    if doc.anchor.kind == "head":
        found += [
            Command("Ente", "firma un checkpoint del registro: questo documento poggia sulla sola testa del"
                    " registro, che nessuno ha firmato", f"perfledger checkpoint --key REGISTRO.key --out"
                    f" {checkpoint}"),
            Command("OIV", "cosottoscrive il checkpoint, dopo averne verificato la coerenza con quelli già"
                    " cosottoscritti", f"perfledger checkpoint cosign {checkpoint} --key OIV.key --log-vkey"
                    f" {log_vkey} --state oiv-state.json --bundle {bundle}"),
        ]
    cut = _cut_flags(doc)
    found += [
        Command("Ente", "consegna all'OIV il pacchetto dei dati (eventi, checkpoint, manifesto; nessun"
                " codice)",
                f"perfledger export --bundle {bundle} --checkpoint {checkpoint} --vkey {log_vkey}"),
        Command("OIV", "verifica il pacchetto con il proprio verificatore, sulla propria macchina: catena,"
                " firme, checkpoint, e che estenda quanto già cosottoscritto",
                f"perfledger-verify {bundle} {vkeys} --checkpoint {checkpoint} --last oiv-state.json"),
        Command("OIV", "ricalcola dagli eventi del pacchetto le cifre della Relazione pubblicata, al suo"
                " stesso taglio, e le confronta una per una",
                f"perfledger verify --bundle {bundle} {vkeys} --checkpoint {checkpoint}"
                f" --expect {relazione}"),
        Command("OIV", "deriva una cifra (qui il livello dell'ente) con gli eventi e le loro prove di"
                " inclusione",
                f"perfledger explain achievement entity{cut} --prove {checkpoint} {vkeys}"),
    ]
    return tuple(found)


def _cut_flags(doc: Document) -> str:
    flags = ""
    if doc.cut.as_of is not None:
        flags += f" --as-of {doc.cut.as_of.isoformat()}"
    known = known_at_json(doc.cut.known_at)
    if known is not None:
        flags += f" --known-at {shlex.quote(str(known))}"
    return flags


# -- 6. Bozza di documento di validazione -------------------------------------------------------
@dataclass(frozen=True)
class Segment:
    """A piece of the draft's text: ``blank`` marks what the OIV fills in."""

    text: str
    blank: bool = False


Paragraph = tuple[Segment, ...]


@dataclass(frozen=True)
class Finding:
    """What the kit found for one criterion, as the draft states it."""

    criterion: str
    text: str


@dataclass(frozen=True)
class Draft:
    """The documento di validazione with the facts filled in and the judgement blank: ``opening``
    paragraphs, the ``findings`` by criterion, then the ``closing`` paragraphs with the OIV's blanks."""

    title: str
    opening: tuple[Paragraph, ...]
    findings: tuple[Finding, ...]
    closing: tuple[Paragraph, ...]

    def text(self) -> str:
        """The draft as plain text (one paragraph a line)."""
        lines = [self.title, *("".join(s.text for s in p) for p in self.opening)]
        lines += [f"- {f.criterion}: {f.text}." for f in self.findings]
        lines += ["".join(s.text for s in p) for p in self.closing]
        return "\n".join(lines)


def _t(text: str) -> Segment:
    return Segment(text)


def _blank(text: str) -> Segment:
    return Segment(text, blank=True)


CRITERIA = ("Coerenza con il Piano", "Scostamenti", "Variazioni", "Attendibilità dei dati",
            "Ricalcolo delle cifre", "Bozza di documento di validazione")
"""The kit's sections, in order: the validation criteria, then the draft."""


def draft(doc: Document, found: tuple[Coherence, Deviations, Changes, Reliability, Recomputation]) -> Draft:
    coherent, deviated, changed, reliable, recomputed = found
    entity = doc.header.entity or "[ente]"
    approval = (_blank(APPROVAL) if doc.closing is None or doc.closing.act is None
                else _t(str(doc.closing.act)))
    cut, size = doc.header.lines("it")
    opening: tuple[Paragraph, ...] = (
        (_t(f"L'Organismo Indipendente di Valutazione (OIV) di {entity}, ai sensi dell'art. 14, comma 4,"
            f" lettera c), del d.lgs. 150/2009, ha preso in esame la {doc.title}, approvata con "), approval,
         _t(" e trasmessa all'OIV il "), _blank(RECEIVED),
         _t(f"; le cifre sono lette dal registro alla situazione: {cut} ({size}).")),
        (_t("L'OIV ha svolto il lavoro di validazione sulla base degli accertamenti ritenuti opportuni,"
            " secondo le Linee guida n. 3/2018 del Dipartimento della Funzione Pubblica, e ha esaminato, per"
            " ciascun criterio, gli elementi del kit di validazione allegato:"),),
    )
    findings = (
        Finding(CRITERIA[0], coherent.sentence()),
        Finding(CRITERIA[1], deviated.sentence()),
        Finding(CRITERIA[2], changed.sentence()),
        Finding(CRITERIA[3], reliable.sentence()),
        Finding(CRITERIA[4], f"{recomputed.sentence()}; le prove di inclusione degli eventi poggiano su"
                             f" {recomputed.anchor_sentence()}"),
    )
    closing: tuple[Paragraph, ...] = (
        (_t("Valutazioni dell'OIV sui criteri esaminati: "), _blank(JUDGEMENT)),
        (_t(f"Alla luce dell'analisi svolta, la {doc.title} è "), _blank(VERDICT), _t(".")),
        (_blank(PLACE), _t(", "), _blank(DATE)),
        (_t("L'OIV: "), _blank(SIGNATURES)),
    )
    return Draft(f"Documento di validazione della {doc.title} (bozza)", opening, findings, closing)


# -- the kit --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kit:
    """The kit of one cut, by criterion (``CRITERIA``), and its draft."""

    coherence: Coherence
    deviations: Deviations
    changes: Changes
    reliability: Reliability
    recomputation: Recomputation
    draft: Draft

    def linked(self) -> list[Figure]:
        """Every figure the kit links to, once, in the order it first appears: their derivations go on the
        page."""
        def every() -> Iterator[Figure | None]:
            for o in self.coherence.objectives:
                yield o.figure
                yield from (i.figure for i in o.indicators)
            for d in self.deviations.indicators:
                yield d.figure
            for line in self.deviations.lines:
                yield from (line.available, line.total, line.ratio)
                for item in line.items:
                    yield from (item.available, item.total)
            yield from (self.deviations.available, self.deviations.ratio, self.changes.figure)
            yield from (m.figure for m in self.reliability.measurements)
        return _unique(every())


def kit(doc: Document, events: Sequence[LedgerEvent]) -> Kit:
    """The validation kit of ``doc``, read with the events it was made from (the same list, in order)."""
    found = (coherence(doc), deviations(doc), changes(doc), reliability(doc, events),
             recomputation(doc, events))
    return Kit(*found, draft(doc, found))

