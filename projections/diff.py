"""What changed between two reports: every figure whose value differs at two cuts, and the events why.

A report at a cut is read as a flat mapping of its figures, ``{figure: Figure(value, events)}``, where
a figure's name is the one ``perfledger explain`` takes (``budget item A1/04/09 available``,
``achievement objective 04``, ``achievement entity``) and its events are the ids of every event its
derivation (the one ``explain`` prints) rests on. The difference of two such mappings lists each
figure whose value differs, with the events that contribute to it at one cut and not at the other:
``added`` (they count at the second cut only: recorded or in force since, or corrections that came
after) and ``dropped`` (they counted at the first cut only: an earlier measurement replaced by a later
one, a fact whose correction moved it out).

Values are those the reports print, unrounded: money in euros (Decimal, two places), achievements and
ratios as fractions (0.94 is 94%), band counts as integers. A figure one report lacks (an item opened
between the cuts) has no value there (None), as has a figure without one (an objective not measured).

The figures, per cut (the report's tables, ``report --format json``):

- ``budget item ITEM COLUMN`` for every item and column (budget, variations, total, reserved, approved,
  adjusted, available); ``budget objective CODE COLUMN|ratio``, ``budget line CODE COLUMN``, ``budget
  total COLUMN|ratio``; for items on no policy line, ``budget off_line objective CODE COLUMN``,
  ``budget off_line COLUMN`` and ``budget overall COLUMN``;
- ``achievement indicator CODE``, ``achievement objective CODE`` (its own achievement), and in a plan
  that declares its tree, ``achievement rollup CODE`` and ``achievement rollup CODE AREA``;
- ``achievement entity``, ``achievement bands achieved|partly|not_achieved`` (counts; their events are
  the entity level's), ``variations`` (the variations indicator).

A subtotal's events are the union of its rows' (its derivation's parts are its rows' derivations), so
each row's derivation is built once per column and the subtotals are unions of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ledger.references import tree_plan
from projections.achievement import Achievement, achievement
from projections.budget import COLUMNS, Budget, Group, Row, budget, explain_row
from projections.explain import Derivation, EventRef
from projections.facts import Cut, Events, known_facts
from projections.tree import Tree, tree
from projections.variations import variations

Value = Decimal | int | None

MONEY, FRACTION, COUNT = "money", "fraction", "count"


@dataclass(frozen=True)
class Figure:
    """One figure of a report: its value (unrounded), its kind (money, fraction or count) and the ids of
    the events its derivation rests on."""

    value: Value
    kind: str
    events: frozenset[str]


@dataclass(frozen=True)
class Figures:
    """A report's figures at one cut, in the report's order, and every event they rest on (by id)."""

    cut: Cut
    year: int
    figures: dict[str, Figure]
    events: dict[str, EventRef]


@dataclass(frozen=True)
class Change:
    """A figure whose value differs between two cuts, and the events that count at one only (by
    sequence number)."""

    figure: str
    kind: str
    old: Value
    new: Value
    added: tuple[EventRef, ...]  # contribute at the second cut only
    dropped: tuple[EventRef, ...]  # contributed at the first cut only


def event_ids(derivation: Derivation, found: dict[str, EventRef],
              entity_inputs: frozenset[str] = frozenset()) -> frozenset[str]:
    """The ids of every event of a derivation and of its parts; each event is kept in ``found``.

    The entity level an indicator reads (``derived:entity_level``, or a reference to one) is a part
    without parts of its own (``explain`` keeps it short): its events are ``entity_inputs``, those of
    the objectives its mean is of.
    """
    ids: set[str] = set()
    todo = [derivation]
    while todo:
        d = todo.pop()
        for ref in d.events:
            ids.add(ref.id)
            found.setdefault(ref.id, ref)
        if d.figure.endswith(WITHOUT_THEM) and not d.parts:
            ids |= entity_inputs
        todo += d.parts
    return frozenset(ids)


# How ``projections.achievement`` names the entity level an indicator reads (its own objective left out).
WITHOUT_THEM = " without the objectives that measure it"


def figures(events: Events, cut: Cut, year: int | None = None) -> Figures:
    """Every figure of the report of ``year`` (default: the latest plan) at ``cut``."""
    known = known_facts(events, cut)  # folded once for every table
    scores = achievement(known, cut, year)
    table = budget(known, cut, scores.year)
    found: dict[str, EventRef] = {}
    out: dict[str, Figure] = {}
    _budget_figures(table, found, out)
    _achievement_figures(scores, found, out)
    ratio = variations(known, cut, scores.year).derivation()
    out["variations"] = Figure(_number(ratio.value), FRACTION, event_ids(ratio, found))
    return Figures(cut, scores.year, out, found)


def _budget_figures(table: Budget, found: dict[str, EventRef], out: dict[str, Figure]) -> None:
    cells: dict[tuple[str, str], frozenset[str]] = {}  # (item, column): the events of its derivation
    for row in table.every_row:
        amounts = row.amounts
        for column in COLUMNS:
            events = cells[row.item, column] = event_ids(explain_row(row, column), found)
            out[f"budget item {row.item} {column}"] = Figure(amounts.get(column), MONEY, events)

    def group(name: str, g: Group, ratio: bool) -> None:
        amounts = g.amounts  # summed over the rows at each call: once per group
        for column in COLUMNS:
            out[f"{name} {column}"] = Figure(amounts.get(column), MONEY, _union(cells, g.rows, column))
        if ratio:  # its derivation's parts: the group's available and total
            events = _union(cells, g.rows, "available") | _union(cells, g.rows, "total")
            out[f"{name} ratio"] = Figure(g.ratio, FRACTION, events)

    for g in table.objectives:
        group(f"budget objective {g.key}", g, True)
    for g in table.lines:
        group(f"budget line {g.key}", g, False)
    group("budget total", table.total, True)
    if table.off_line.rows:
        for g in table.off_line_objectives:
            group(f"budget off_line objective {g.key}", g, False)
        group("budget off_line", table.off_line, False)
        group("budget overall", table.overall, False)


def _union(cells: dict[tuple[str, str], frozenset[str]], rows: Iterable[Row], column: str) -> frozenset[str]:
    return frozenset().union(*(cells[row.item, column] for row in rows))


def _achievement_figures(scores: Achievement, found: dict[str, EventRef], out: dict[str, Figure]) -> None:
    t = tree(scores)
    owns = {o.code: o.derivation() for o in scores.objectives}
    inputs = _entity_inputs(scores, owns, found)
    for node in t.walk():
        o = node.score
        own = owns[o.code]
        out[f"achievement objective {o.code}"] = Figure(o.achievement, FRACTION,
                                                        event_ids(own, found, inputs))
        for i, part in zip(o.indicators, own.parts, strict=True):  # its parts: its indicators'
            out[f"achievement indicator {i.code}"] = Figure(i.achievement, FRACTION,
                                                            event_ids(part, found, inputs))
        if _declares_its_tree(scores) and t.rolls_up(node.code):
            _rollups(t, node.code, found, out, inputs)
    entity = event_ids(scores.entity_derivation(), found, inputs)
    out["achievement entity"] = Figure(scores.entity, FRACTION, entity)
    for name, count in scores.bands.items():
        out[f"achievement bands {name}"] = Figure(count, COUNT, entity)


def _entity_inputs(scores: Achievement, owns: dict[str, Derivation],
                   found: dict[str, EventRef]) -> frozenset[str]:
    """The events of the entity level an indicator reads: those of the scored objectives that do not
    read it themselves (``achievement`` leaves them out of that mean)."""
    inputs: set[str] = set()
    for o in scores.scored():
        if not _reads_entity_level(owns[o.code]):
            inputs |= event_ids(owns[o.code], found)
    return frozenset(inputs)


def _reads_entity_level(derivation: Derivation) -> bool:
    return derivation.figure.endswith(WITHOUT_THEM) or any(_reads_entity_level(p) for p in derivation.parts)


def _rollups(t: Tree, code: str, found: dict[str, EventRef], out: dict[str, Figure],
             inputs: frozenset[str]) -> None:
    """The roll-ups the report's tree prints of an objective with children on the next level: of all
    of them, and per area."""
    for area in (None, *t.areas(code)):
        rollup = t.rollup_derivation(code, area)
        name = f"achievement rollup {code}" + ("" if area is None else f" {area}")
        out[name] = Figure(_number(rollup.value), FRACTION, event_ids(rollup, found, inputs))


def _declares_its_tree(scores: Achievement) -> bool:
    """Was the plan opened with its tree declared? Only then does its report print roll-ups
    (``cli.tree_views.declares_its_tree``)."""
    return tree_plan(scores.plan.original)  # type: ignore[arg-type]


def _number(value: Decimal | str | None) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


def diff(before: Figures, after: Figures) -> tuple[Change, ...]:
    """The figures whose value differs from ``before`` to ``after``, in the order of ``after``'s report
    (then those only ``before`` has), each with the events that count at one cut and not the other."""
    names = [*after.figures, *(name for name in before.figures if name not in after.figures)]
    changes = []
    for name in names:
        old, new = before.figures.get(name), after.figures.get(name)
        old_value, new_value = _value(old), _value(new)
        if old_value == new_value:
            continue
        old_events = frozenset() if old is None else old.events
        new_events = frozenset() if new is None else new.events
        kind = (new or old).kind  # type: ignore[union-attr]
        changes.append(Change(
            name, kind, old_value, new_value,
            _refs(new_events - old_events, after.events), _refs(old_events - new_events, before.events),
        ))
    return tuple(changes)


def _value(figure: Figure | None) -> Value:
    return None if figure is None else figure.value


def _refs(ids: Iterable[str], found: dict[str, EventRef]) -> tuple[EventRef, ...]:
    return tuple(sorted((found[i] for i in ids), key=lambda ref: ref.seq))


__all__ = ["COUNT", "FRACTION", "MONEY", "Change", "Figure", "Figures", "diff", "event_ids", "figures"]
