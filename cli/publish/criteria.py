"""The OIV's validation kit as data: for one cut, the facts of each validation criterion.

The OIV validates the Relazione sulla Performance (d.lgs. 150/2009, art. 14, comma 4, lettera c) by
the criteria of the DFP's guidance (Linee guida n. 3/2018, after CiVIT delibera 6/2012): coherence
with the plan, deviations between planned and actual results with their reasons, the changes to
objectives during the year (art. 6), the reliability of the data and their sources, and figures
that can be checked. ``kit(doc, events)`` gathers what each criterion needs from a Document and the
events it was read from (the same list): pure, no store, no clock. It states facts and counts
them; every judgement is left to the OIV, as blanks of the draft (``BLANKS``). Criteria 4 and 5 have
modules of their own (``cli.publish.reliability``, ``cli.publish.recomputation``).
Shown values and dates are Italian (``cli.output``: the one rounding, half-up).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from cli.labels import tr
from cli.output import day
from cli.publish.html import cut_words
from cli.publish.model import Document, Figure
from cli.publish.prose import Text, blank, counted, joined, plain, quoted, said
from cli.publish.recomputation import CHECKED, Recomputation, recomputation
from cli.publish.reliability import Reliability, reliability
from cli.publish.words import excluded, source_parts
from cli.views import shown
from events import LedgerEvent
from events.fields import Act
from projections.achievement import IndicatorScore, ObjectiveScore
from projections.facts import Fact

# The blanks the OIV fills in: the tool never judges.
JUDGEMENT = "[giudizio dell'OIV]"
VERDICT = "[validata / non validata]"
PLACE = "[luogo]"
DATE = "[data]"
SIGNATURES = "[firme dei componenti dell'OIV]"
APPROVAL = "[atto di approvazione della Relazione: tipo, numero e data]"
RECEIVED = "[data di trasmissione all'OIV]"
BLANKS = (JUDGEMENT, VERDICT, PLACE, DATE, SIGNATURES, APPROVAL, RECEIVED, CHECKED)

# An indicator's status in the Relazione: a value, or the reason it has none.
VALUED, ND, UNMEASURED, WITHDRAWN = "valued", "nd", "unmeasured", "withdrawn"
WITHOUT = {ND: ("ND", "ND"), UNMEASURED: ("non misurato", "non misurati"),
           WITHDRAWN: ("ritirato", "ritirati")}
"""The statuses without a value, in Italian (singular, plural)."""

LEVELS = {"strategic": ("obiettivo strategico", "obiettivi strategici"),
          "operational": ("obiettivo operativo", "obiettivi operativi"),
          "individual": ("obiettivo individuale", "obiettivi individuali")}


def _objectives(n: int, level: str) -> Text:
    """``18 obiettivi strategici``; a level of the plan's own, by its code: ``2 obiettivi di livello X``."""
    found = LEVELS.get(level)
    if found is not None:
        return said(counted(n, *found))
    return said(counted(n, "obiettivo", "obiettivi"), " di livello ", quoted(level))


def act_text(act: Act | None) -> str:
    return "senza atto" if act is None else str(act)


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
    reason: Text
    how: Text
    figure: Figure | None


@dataclass(frozen=True)
class ObjectiveStatus:
    """An objective of the plan: ``withdrawn`` the reason it is out of every mean (None: it counts)."""

    code: str
    title: str
    level: str
    figure: Figure | None
    withdrawn: Text | None
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

    def sentence(self) -> Text:
        """``18 obiettivi strategici, 68 indicatori: 64 con valore, 4 senza (2 ND, 2 non misurati)``."""
        head = _objectives(self.objectives, self.level)
        if self.withdrawn:
            head = said(head, f" ({counted(self.withdrawn, 'ritirato', 'ritirati')})")
        indicators = counted(self.indicators, "indicatore", "indicatori")
        missing = sum(self.without.values())
        if not self.indicators:
            return said(head, ", nessun indicatore")
        if not missing:
            every = "tutti con valore" if self.indicators > 1 else "con valore"
            return said(head, f", {indicators}: {every}")
        reasons = ", ".join(counted(n, *WITHOUT[status]) for status, n in self.without.items() if n)
        return said(head, f", {indicators}: {self.valued} con valore, {missing} senza ({reasons})")


@dataclass(frozen=True)
class Coherence:
    objectives: tuple[ObjectiveStatus, ...]
    levels: tuple[LevelCount, ...]

    def sentence(self) -> Text:
        return joined((level.sentence() for level in self.levels), "; ")


def _strike_text(strike: Fact) -> Text:
    return said(f"ritirato (causa {tr(strike.cause, 'it')}): ", quoted(strike.reason))


def _how(i: IndicatorScore) -> Text:
    """Where an indicator's value comes from, in ``words.source``'s words, the ledger's codes quoted."""
    return said(*(quoted(text) if ledger else text for text, ledger in source_parts(i.definition)))


def indicator_status(doc: Document, objective: ObjectiveScore, i: IndicatorScore) -> IndicatorStatus:
    d = i.definition
    unit = str(d.unit)
    reason: Text
    if i.withdrawn is not None:
        status, reason = WITHDRAWN, _strike_text(i.withdrawn)
    elif i.value is None:
        status = UNMEASURED
        reason = said(f"nessuna misurazione per un periodo concluso entro il {day(doc.cut.as_of, 'it')}"
                      if doc.cut.as_of is not None else "nessuna misurazione registrata")
        if d.source == "reference":
            reason = said("l'indicatore ", quoted(d.uses), ", di cui usa il valore, non ha misurazione")
        elif d.source != "measured":
            reason = said("non calcolabile alla data: manca un dato da cui si ricava")
    elif i.value == "ND":
        status, reason = ND, said("ND (non disponibile)")
        if i.measurement is not None and i.measurement.note:
            reason = said(reason, ": ", quoted(i.measurement.note))
    else:
        status = VALUED
        reason = () if i.excluded is None else said("escluso dalla media: " + excluded(i))
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

    def sentence(self) -> Text:
        text = (f"{counted(len(self.indicators), 'indicatore', 'indicatori')} sotto il valore atteso o senza"
                f" valore, {self.unexplained} senza motivazione registrata")
        lines = [u for u in self.lines if u.available is not None]
        return said(text + f"; disponibilità di budget non utilizzata {self.available.shown}"
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

    def sentence(self) -> Text:
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
        return said(text + ("; tutte con atto" if not missing else f"; {missing} senza atto"))


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


# -- 6. Bozza di documento di validazione -------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    """What the kit found for one criterion, as the draft states it."""

    criterion: str
    text: Text


@dataclass(frozen=True)
class Draft:
    """The documento di validazione with the facts filled in and the judgement blank: ``opening``
    paragraphs, the ``findings`` by criterion, then the ``closing`` paragraphs with the OIV's blanks."""

    title: str
    opening: tuple[Text, ...]
    findings: tuple[Finding, ...]
    closing: tuple[Text, ...]

    def text(self) -> str:
        """The draft as plain text (one paragraph a line)."""
        lines = [self.title, *(plain(p) for p in self.opening)]
        lines += [f"- {f.criterion}: {plain(f.text)}." for f in self.findings]
        lines += [plain(p) for p in self.closing]
        return "\n".join(lines)


CRITERIA = ("Coerenza con il Piano", "Scostamenti", "Variazioni", "Attendibilità dei dati",
            "Ricalcolo delle cifre", "Bozza di documento di validazione")
"""The kit's sections, in order: the validation criteria, then the draft."""


def draft(doc: Document, found: tuple[Coherence, Deviations, Changes, Reliability, Recomputation]) -> Draft:
    coherent, deviated, changed, reliable, recomputed = found
    entity = quoted(doc.header.entity) if doc.header.entity else blank("[ente]")
    approval = (blank(APPROVAL) if doc.closing is None or doc.closing.act is None
                else quoted(doc.closing.act))
    opening = (
        said("L'Organismo Indipendente di Valutazione (OIV) di ", entity, ", ai sensi dell'art. 14, comma 4,"
             f" lettera c), del d.lgs. 150/2009, ha preso in esame la {doc.title}, approvata con ", approval,
             " e trasmessa all'OIV il ", blank(RECEIVED),
             f"; le cifre sono lette dal registro alla situazione: {cut_words(doc)}"
             f" ({doc.header.size_line('it')})."),
        said("L'OIV ha svolto il lavoro di validazione sulla base degli accertamenti ritenuti opportuni,"
             " secondo le Linee guida n. 3/2018 del Dipartimento della Funzione Pubblica, e ha esaminato, per"
             " ciascun criterio, gli elementi del kit di validazione allegato:"),
    )
    findings = (
        Finding(CRITERIA[0], coherent.sentence()),
        Finding(CRITERIA[1], deviated.sentence()),
        Finding(CRITERIA[2], changed.sentence()),
        Finding(CRITERIA[3], reliable.sentence()),
        Finding(CRITERIA[4], recomputed.finding()),
    )
    closing = (
        said("Valutazioni dell'OIV sui criteri esaminati: ", blank(JUDGEMENT)),
        said(f"Alla luce dell'analisi svolta, la {doc.title} è ", blank(VERDICT), "."),
        said(blank(PLACE), ", ", blank(DATE)),
        said("L'OIV: ", blank(SIGNATURES)),
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

