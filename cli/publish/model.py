"""One cut's document: its figures, each with its derivation, and the events they rest on with proofs.

Every format (HTML, PDF, XLSX, the OIV's kit) renders this one model, so a figure printed in any of
them is the figure ``report --format json`` gives at the same cut (``figures``, embedded as is) and
``explain`` derives. Each figure has a key, the ``explain`` arguments that reproduce it, and its
derivation with every event's audit path in the anchor's tree attached.
"""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from cli.header import CutHeader, header_of_events
from cli.labels import tr
from cli.output import day, money, percent, ratio_places
from cli.publish.anchor import Anchor
from cli.views import report_folds, report_json
from events import LedgerEvent
from projections.achievement import Achievement, achievement, band
from projections.budget import COLUMNS, Budget, Group, explain_group, explain_ratio, explain_row
from projections.closing import Closing, closing
from projections.explain import Derivation, EventRef, SourceRef, sources, with_proofs
from projections.facts import Cut, Known, known_facts, plan_of
from projections.timeliness import period_ends
from projections.tree import Tree, tree
from projections.variations import Variations


@dataclass(frozen=True)
class Figure:
    """A published figure: ``key`` its anchor in the page (``f-`` and 10 hex digits of its explain
    arguments and cut), ``explain`` the arguments of ``perfledger explain`` that derive it, ``shown``
    the figure as the document prints it (Italian, rounded half-up), ``band`` its traffic light."""

    key: str
    explain: tuple[str, ...]
    as_of: date | None
    value: Decimal | None
    shown: str
    band: str | None
    derivation: Derivation

    @property
    def command(self) -> str:
        """The command that derives it, as a reader would type it."""
        as_of = "" if self.as_of is None else f" --as-of {self.as_of.isoformat()}"
        return "perfledger explain " + " ".join(_quoted(a) for a in self.explain) + as_of

    def seqs(self) -> set[int]:
        return set(_seqs(self.derivation))


@dataclass(frozen=True)
class Evidence:
    """One event a figure rests on: its reference (sequence, id, type, dates, actor, act, hash), its
    stored canonical bytes (``line``, the tree's leaf) and its audit path in the anchor's tree (None:
    recorded after the anchor, resting on the ledger's word), and its spreadsheet, if it came from one."""

    ref: EventRef
    line: str
    proof: tuple[str, ...] | None
    source: SourceRef | None
    note: str

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.ref.seq, "line": self.line, "index": self.ref.seq - 1,
                "path": None if self.proof is None else list(self.proof)}


@dataclass(frozen=True)
class TrendPoint:
    """The entity's level at a four-monthly cut of the year (as known at the document's cut)."""

    as_of: date
    figure: Figure


@dataclass(frozen=True)
class Deviation:
    """An indicator that did not reach its target (or has no value), with the reasons recorded."""

    objective: str
    indicator: str
    title: str
    target: str
    value: str | None
    figure: Figure
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Document:
    """A cut's document (``kind``: the Relazione or the OIV's validation kit) and everything it shows."""

    kind: str
    header: CutHeader
    cut: Cut
    anchor: Anchor
    figures_json: dict[str, Any]
    scores: Achievement
    table: Budget
    changes: Variations
    tree: Tree
    closing: Closing | None
    figures: dict[str, Figure]
    evidence: dict[int, Evidence]
    trend: tuple[TrendPoint, ...]
    deviations: tuple[Deviation, ...]
    events: list[LedgerEvent] = field(repr=False, compare=False, default_factory=list)  # read from

    @property
    def year_end(self) -> bool:
        """Is it the year-end Relazione, not a four-monthly report? (``year_end``)"""
        return year_end(self.cut, self.scores.year)

    @property
    def title(self) -> str:
        """``Relazione sulla Performance 2012``, or the four-monthly report's ``Report di monitoraggio al
        31/08/2012``: the document the figures are of (the OIV's kit validates it)."""
        as_of = self.cut.as_of
        if as_of is None or self.year_end:
            return f"Relazione sulla Performance {self.scores.year}"
        return f"Report di monitoraggio al {day(as_of, 'it')}"

    @property
    def name(self) -> str:
        """What the file written is: the title, or for the kit ``Kit di validazione dell'OIV 2012``."""
        return f"Kit di validazione dell'OIV {self.scores.year}" if self.kind == "validation" else self.title

    def figure(self, *explain: str) -> Figure:
        """The figure ``explain`` derives at the document's own as-of date (KeyError if not published)."""
        return self.figures[figure_key(explain, self.cut.as_of)]

    def find(self, *explain: str) -> Figure | None:
        return self.figures.get(figure_key(explain, self.cut.as_of))

    def key_of(self, derivation: Derivation) -> str | None:
        """The key of the published figure whose derivation this very one is (a part linked, not
        repeated); None for any other, such as a part of another cut's figure (the trend's) that
        bears a published figure's name."""
        key = self._by_name().get(derivation.figure)
        return key if key is not None and self.figures[key].derivation == derivation else None

    def _by_name(self) -> dict[str, str]:
        found = self.__dict__.get("_names")
        if found is None:
            found = {f.derivation.figure: f.key for f in self.figures.values() if f.as_of == self.cut.as_of}
            object.__setattr__(self, "_names", found)
        return found

    def evidence_json(self) -> dict[str, Any]:
        """What the page's script checks: the anchor, every event's line and audit path, and the events
        each figure rests on (its derivation's and its parts', in order)."""
        return {"anchor": self.anchor.to_json(),
                "events": {str(seq): e.to_json() for seq, e in sorted(self.evidence.items())},
                "figures": {key: sorted(f.seqs()) for key, f in self.figures.items()}}


def year_end(cut: Cut, year: int) -> bool:
    """Is a document of ``year`` at ``cut`` the year-end Relazione (its cut on or after 31/12), not a
    four-monthly report?"""
    return cut.as_of is None or cut.as_of >= date(year, 12, 31)


def figure_key(explain: tuple[str, ...], as_of: date | None) -> str:
    spelt = "\x1f".join((*explain, "" if as_of is None else as_of.isoformat()))
    return "f-" + hashlib.sha256(spelt.encode()).hexdigest()[:10]


def document(events: list[LedgerEvent], cut: Cut, year: int | None, anchor: Anchor,
             kind: str = "relazione") -> Document:
    """Fold ``events`` once at ``cut`` into the document: figures, derivations, evidence. A cut without
    an as-of date is the year-end Relazione's: 31/12 of the plan's year (``year``, or the latest plan
    known at ``known_at``), so that nothing effective the next year counts and the figures' JSON names
    the day ``verify --expect`` replays at. The year-end Relazione's ``closing`` is its approval, as known
    (``approved``): it is no figure, and it comes after the year."""
    known = known_facts(events, cut)
    if cut.as_of is None:
        year = int(plan_of(known, cut, year).year)
        cut = Cut(date(year, 12, 31), cut.known_at)
    scores, table, changes, closed = report_folds(known, cut, year)
    shape = tree(scores)
    header = header_of_events(events, cut, scores.year)
    figures_json = report_json(cut, scores, table, changes, closed, header)
    if year_end(cut, scores.year):
        closed = approved(known, cut, scores.year)
    published = [*_achievement_figures(scores, shape, cut), _variations_figure(changes, cut),
                 *_budget_figures(table, cut)]
    trend = tuple(_trend(events, cut, scores))
    published += [point.figure for point in trend if point.as_of != cut.as_of]
    figures = {f.key: f for f in published}
    evidence = _evidence(events, figures.values(), anchor)
    figures = {key: _proved(f, anchor) for key, f in figures.items()}
    trend = tuple(TrendPoint(p.as_of, figures[p.figure.key]) for p in trend)
    return Document(kind, header, cut, anchor, figures_json, scores, table, changes, shape, closed,
                    figures, evidence, trend, _deviations(scores, figures, cut), events)


def approved(known: Known, cut: Cut, year: int) -> Closing | None:
    """The closing of ``year`` as known at the cut, whatever its effective date: the act approving the
    Relazione comes after the year (by 30 June), so a closing effective then, outside the figures' cut
    (the report at 31/12 knows none), is still what the year-end Relazione states of its approval."""
    return closing(known, Cut(None, cut.known_at), year)


# -- the figures --------------------------------------------------------------------------------
def _figure(explain: tuple[str, ...], as_of: date | None, derivation: Derivation, shown: str,
            found_band: str | None = None) -> Figure:
    value = derivation.value if isinstance(derivation.value, Decimal) else None
    return Figure(figure_key(explain, as_of), explain, as_of, value, shown, found_band, derivation)


def _achievement_figures(scores: Achievement, shape: Tree, cut: Cut) -> Iterator[Figure]:
    entity = scores.entity
    yield _figure(("achievement", "entity"), cut.as_of, scores.entity_derivation(), percent(entity, 0, "it"),
                  band(entity, scores.rules))
    for objective in scores.objectives:
        yield _figure(("achievement", "objective", objective.code), cut.as_of, objective.derivation(),
                      percent(objective.achievement, 0, "it"), objective.band)
        for indicator in objective.indicators:
            yield _figure(("achievement", "indicator", indicator.code), cut.as_of, indicator.derivation(),
                          percent(indicator.achievement, 0, "it"))
        if shape.children(objective.code):
            rolled = shape.rollup(objective.code)
            yield _figure(("achievement", "rollup", objective.code), cut.as_of,
                          shape.rollup_derivation(objective.code), percent(rolled, 0, "it"),
                          shape.rollup_band(objective.code))


def _variations_figure(changes: Variations, cut: Cut) -> Figure:
    return _figure(("variations",), cut.as_of, changes.derivation(), percent(changes.ratio, 1, "it"))


def _budget_figures(table: Budget, cut: Cut) -> Iterator[Figure]:
    for row in table.every_row:
        for column in COLUMNS:
            yield _money_figure(("budget", "item", row.item, column), cut, explain_row(row, column))
    groups: list[tuple[str, Group]] = [("objective", g) for g in table.objectives]
    groups += [("line", g) for g in table.lines]
    for scope, group in groups:
        for column in COLUMNS:
            derivation = explain_group(group, column, scope)
            yield _money_figure(("budget", scope, group.key, column), cut, derivation)
        yield _ratio_figure(("budget", scope, group.key, "ratio"), cut, explain_ratio(group, scope))
    for column in COLUMNS:
        yield _money_figure(("budget", "total", column), cut, explain_group(table.total, column, "the"))
    yield _ratio_figure(("budget", "total", "ratio"), cut, explain_ratio(table.total, "the"))


def _money_figure(explain: tuple[str, ...], cut: Cut, derivation: Derivation) -> Figure:
    value = derivation.value if isinstance(derivation.value, Decimal) else None
    return _figure(explain, cut.as_of, derivation, "" if value is None else money(value, "it"))


def _ratio_figure(explain: tuple[str, ...], cut: Cut, derivation: Derivation) -> Figure:
    value = derivation.value if isinstance(derivation.value, Decimal) else None
    return _figure(explain, cut.as_of, derivation, percent(value, ratio_places(value), "it"))


def _trend(events: list[LedgerEvent], cut: Cut, scores: Achievement) -> Iterator[TrendPoint]:
    """The entity's level at each four-monthly cut of the year up to the document's as-of date, and at
    that date if it falls between two (not past the year), as known at the document's cut."""
    year_end = date(scores.year, 12, 31)
    last = cut.as_of or year_end
    for end in period_ends(scores.year):
        if end > last:
            break
        at = Cut(end, cut.known_at)
        found = scores if at == cut else achievement(known_facts(events, at), at, scores.year)
        level = found.entity
        yield TrendPoint(end, _figure(("achievement", "entity"), end, found.entity_derivation(),
                                      percent(level, 0, "it"), band(level, found.rules)))
    if cut.as_of is not None and cut.as_of not in period_ends(scores.year) and cut.as_of < year_end:
        level = scores.entity
        yield TrendPoint(cut.as_of, _figure(("achievement", "entity"), cut.as_of, scores.entity_derivation(),
                                            percent(level, 0, "it"), band(level, scores.rules)))


def _deviations(scores: Achievement, figures: dict[str, Figure], cut: Cut) -> tuple[Deviation, ...]:
    """Indicators of objectives that count, below their target or without a value, with the notes of
    their measurement, revisions and exclusion."""
    found = []
    for objective in scores.objectives:
        if objective.struck is not None:
            continue
        for i in objective.indicators:
            if i.withdrawn is not None or (i.achievement is not None and i.achievement >= 1):
                continue
            measured = i.measurement
            reasons = [f"misurazione: {measured.note}"] if measured is not None and measured.note else []
            reasons += [f"revisione (causa {tr(r.cause, 'it')}): {r.reason}" for r in i.revisions
                        if getattr(r, "reason", "")]
            if i.excluded:
                reasons.append(f"escluso: {tr(i.excluded, 'it')}")
            if i.value is None:
                reasons.append("nessun valore registrato alla data")
            key = figure_key(("achievement", "indicator", i.code), cut.as_of)
            found.append(Deviation(objective.code, i.code, str(i.definition.title), i.target, i.value,
                                   figures[key], tuple(reasons)))
    return tuple(found)


# -- the evidence -------------------------------------------------------------------------------
def _seqs(derivation: Derivation) -> Iterator[int]:
    for ref in derivation.events:
        yield ref.seq
    for part in derivation.parts:
        yield from _seqs(part)


def _evidence(events: list[LedgerEvent], figures: Any, anchor: Anchor) -> dict[int, Evidence]:
    wanted = sorted({seq for f in figures for seq in f.seqs()})
    by_source = sources(events)
    found = {}
    for seq in wanted:
        event = events[seq - 1]
        ref = EventRef.of(event, "")
        found[seq] = Evidence(ref, event.canonical_bytes.decode("utf-8"), anchor.path(seq),
                              by_source.get(ref.id), event.note)
    return found


def _proved(figure: Figure, anchor: Anchor) -> Figure:
    proved = with_proofs(figure.derivation, anchor.path)
    return Figure(figure.key, figure.explain, figure.as_of, figure.value, figure.shown, figure.band, proved)


def _quoted(arg: str) -> str:
    return shlex.quote(arg)
