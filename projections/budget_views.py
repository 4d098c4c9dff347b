"""The budget table seen through the tree: by policy line, by the objective an item belongs to, by area;
and an objective's resources as the seed's section 2.3 prints them.

Each item belongs to exactly one objective (a node of the tree, on any level), so every view's groups
partition the items: their subtotals add up to the same grand total (``Budget.overall``). By area, an
item counts in the area of its objective, or of the nearest ancestor that names one ("-" when none).

An objective's resources (*risorse a preventivo / a consuntivo*) are those of the items of that
objective and of its descendants: preventivo = their Totale (Budget + Variazioni), consuntivo = their
Approvato. They are read from the items, never typed in as numbers of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from projections.achievement import Achievement
from projections.budget import Budget, Group, Row
from projections.tree import Tree

VIEWS = ("line", "objective", "area")
NO_AREA = "-"

Objectives = Tree | Achievement | Iterable[Any]
"""The tree, an achievement, or objective definitions (anything with ``objective``, ``parent``, ``area``)."""


@dataclass(frozen=True)
class Link:
    parent: str | None
    area: str | None
    title: str


@dataclass(frozen=True)
class View:
    """The items grouped one way; the groups partition the items."""

    by: str
    groups: tuple[Group, ...]
    total: Group

    @property
    def rows(self) -> tuple[Row, ...]:
        """Every item's row, group by group; each carries the overrides granted on it (``Row.overrides``)."""
        return tuple(r for g in self.groups for r in g.rows)


def links(objectives: Objectives) -> dict[str, Link]:
    """Each objective's parent, area and title, in tree order when given a tree."""
    if isinstance(objectives, Tree):
        return {n.code: Link(n.parent, n.area, n.title) for n in objectives.walk()}
    found: Iterable[Any] = objectives.objectives if isinstance(objectives, Achievement) else objectives
    out: dict[str, Link] = {}
    for o in found:
        d: Any = getattr(o, "definition", o)  # an ObjectiveScore, a Fact or an ObjectiveDefined
        out[str(d.objective)] = Link(d.parent, getattr(d, "area", None), str(d.title))
    return out


def descendants(family: dict[str, Link], code: str) -> set[str]:
    children: dict[str | None, list[str]] = {}
    for child, link in family.items():
        children.setdefault(link.parent, []).append(child)
    found, todo = set(), [code]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def area_of(family: dict[str, Link], code: str) -> str:
    """The area of an objective, or of its nearest ancestor that names one; "-" when none does."""
    seen: set[str] = set()
    current: str | None = code
    while current is not None and current in family and current not in seen:
        if family[current].area is not None:
            return str(family[current].area)
        seen.add(current)
        current = family[current].parent
    return NO_AREA


def by_line(table: Budget) -> View:
    """The policy lines, then the items on none (if any)."""
    groups = (*table.lines, table.off_line) if table.off_line.rows else table.lines
    return View("line", tuple(groups), table.overall)


def by_objective(table: Budget, objectives: Objectives) -> View:
    """One group per objective holding items (the node each item belongs to), in tree order."""
    family = links(objectives)
    rows: dict[str, list[Row]] = {}
    for row in table.every_row:
        rows.setdefault(row.objective, []).append(row)
    order = [c for c in family if c in rows] + [c for c in rows if c not in family]
    groups = tuple(Group(c, family[c].title if c in family else c, tuple(rows[c])) for c in order)
    return View("objective", groups, table.overall)


def by_area(table: Budget, objectives: Objectives) -> View:
    """One group per area (of each item's objective or its nearest ancestor with one), "-" last."""
    family = links(objectives)
    rows: dict[str, list[Row]] = {}
    for row in table.every_row:
        rows.setdefault(area_of(family, row.objective), []).append(row)
    order = sorted(rows, key=lambda a: (a == NO_AREA, list(rows).index(a)))
    groups = tuple(Group(a, "no area" if a == NO_AREA else a, tuple(rows[a])) for a in order)
    return View("area", groups, table.overall)


def view(table: Budget, by: str, objectives: Objectives = ()) -> View:
    if by == "line":
        return by_line(table)
    if by == "objective":
        return by_objective(table, objectives)
    if by == "area":
        return by_area(table, objectives)
    raise ValueError(f"no budget view by {by!r}; one of {', '.join(VIEWS)}")


def resources(table: Budget, objectives: Objectives, code: str,
              area: str | None = None) -> tuple[Decimal, Decimal]:
    """(preventivo, consuntivo) of an objective: the Budget (initial allocation) and the Prenotato of
    the items of the objective and of its descendants (of those in ``area`` only, if given).

    The seed's evidence: the Area Anagrafica's operational 6.1 prints € 95.000,00 / € 66.870,04, the
    Budget (35.000 + 60.000) and the Prenotato (15.457,41 + 51.412,63) of its two products of the
    budget table (their Totale is 76.236,33, their Approvato the same as the Prenotato); its 6.2
    prints € 25.000,00 / € 23.422,06, the Budget and Prenotato of "Erogazione Alta Formazione"
    (Approvato 21.372,06); section 2.2's "Risorse distribuite" are the objectives' Prenotato."""
    amounts = resources_group(table, objectives, code, area).amounts
    return amounts.budget, amounts.reserved


def resources_group(table: Budget, objectives: Objectives, code: str, area: str | None = None) -> Group:
    """The items behind an objective's resources, as a group (explain shows them row by row)."""
    family = links(objectives)
    codes = {c for c in {code} | descendants(family, code) if area is None or area_of(family, c) == area}
    title = family[code].title if code in family else code
    return Group(code, title, tuple(r for r in table.every_row if r.objective in codes))


__all__ = ["VIEWS", "View", "area_of", "by_area", "by_line", "by_objective", "resources", "resources_group",
           "view"]
