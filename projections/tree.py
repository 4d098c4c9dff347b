"""The plan's tree: each objective under its parent, its own achievement and the roll-up of its children.

Every objective keeps its **own** achievement, from its own indicators (the seed measures a
strategic objective by its own indicators: objective 08 is 50% strategic while its operational
objectives are 89% and 100%). An objective with children also has a **roll-up** of them, by the
plan's rule (``PlanOpened.rollup``):

- ``pooled``: sum(w r) / sum(w) over every counted indicator of the children, with the weights the
  children's indicators carry. The seed's area x strategic tables of section 2.3 print it: in the
  Area Amministrativa, strategic 16 prints 98% over 16.1 (one indicator, 100%) and 16.2 (94%,
  100%): (100 + 94 + 100) / 3 = 98%, where the mean of the two objectives would give 98.5% -> 99%;
  in the Area Anagrafica, strategic 12 prints 67% over 12.1 (100%) and 12.3 (0%, 100%), where the
  mean would give 75%.
- ``mean``: the unweighted mean of the children's own achievements.

A roll-up takes the children on the **next** level of the plan's levels only: a strategic
objective rolls up its operational objectives, never skipping to a lower level (``level=`` asks
for another level). The managers' individual objectives the seed's 2.4 lists under strategic
objectives have a table of their own and print no roll-up: they stand beside the roll-up, not in
it, and a strategic objective whose only children are individual objectives has no roll-up (and
no row in the tables by area). An objective on the plan's last level rolls nothing up. A roll-up
may be restricted to the children of one area, as each area's table is. Struck objectives and
indicators that do not count are out of every roll-up. Values stay unrounded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from projections.achievement import Achievement, IndicatorScore, ObjectiveScore, band
from projections.explain import Derivation

ZERO = Decimal(0)


@dataclass(frozen=True)
class Node:
    """One objective in the tree: its score, its place and its children's codes (in definition order)."""

    score: ObjectiveScore
    children: tuple[str, ...]
    rank: int  # the index of its level in the plan's levels (its indentation)

    @property
    def code(self) -> str:
        return self.score.code

    @property
    def level(self) -> str:
        return str(self.score.definition.level)

    @property
    def parent(self) -> str | None:
        parent: str | None = self.score.definition.parent
        return parent

    @property
    def area(self) -> str | None:
        area: str | None = self.score.definition.area
        return area

    @property
    def owner(self) -> str | None:
        owner: str | None = self.score.definition.owner
        return owner

    @property
    def predecessor(self) -> str | None:
        predecessor: str | None = self.score.definition.predecessor
        return predecessor

    @property
    def title(self) -> str:
        return str(self.score.definition.title)


@dataclass(frozen=True)
class Tree:
    """The objectives of one year's plan as a tree, with their own achievements and roll-ups."""

    achievement: Achievement
    nodes: dict[str, Node]  # in tree order: each objective, then its children
    levels: tuple[str, ...]
    rule: str  # "pooled" or "mean"

    def node(self, code: str) -> Node:
        return self.nodes[code]

    def walk(self) -> Iterator[Node]:
        """Every objective in tree order: a root, then its descendants, then the next root."""
        return iter(self.nodes.values())

    def children(self, code: str) -> tuple[str, ...]:
        return self.nodes[code].children

    def own(self, code: str) -> Decimal | None:
        """The objective's own achievement, from its own indicators."""
        return self.nodes[code].score.achievement

    def descendants(self, code: str) -> tuple[str, ...]:
        found: list[str] = []
        for child in self.children(code):
            found += [child, *self.descendants(child)]
        return tuple(found)

    def rollup_level(self, parent: str) -> str | None:
        """The level a roll-up of ``parent`` takes its children from: the plan's next level below
        ``parent``'s; None on the last level (or on a level the plan lacks)."""
        rank = self.nodes[parent].rank
        return self.levels[rank + 1] if rank + 1 < len(self.levels) else None

    def rolls_up(self, parent: str, area: str | None = None) -> bool:
        """Has ``parent`` a roll-up (of ``area``'s children): any child on the next level?"""
        return bool(self.rolled(parent, area))

    def rolled(self, parent: str, area: str | None = None, level: str | None = None) -> tuple[Node, ...]:
        """The children a roll-up of ``parent`` reads (struck ones included: they show as left out)."""
        level = level or self.rollup_level(parent)
        return tuple(
            self.nodes[c] for c in self.children(parent)
            if level is not None and self.nodes[c].level == level
            and (area is None or self.nodes[c].area == area)
        )

    def areas(self, parent: str) -> tuple[str, ...]:
        """The areas of the children a roll-up of ``parent`` reads, in order of first appearance."""
        return tuple(dict.fromkeys(n.area for n in self.rolled(parent) if n.area is not None))

    def rollup(self, parent: str, area: str | None = None, level: str | None = None) -> Decimal | None:
        """The roll-up of ``parent``'s children (of ``area`` only, if given) by the plan's rule; None when
        no child has a figure."""
        return self.rollup_derivation(parent, area, level).value  # type: ignore[return-value]

    def rollup_band(self, parent: str, area: str | None = None) -> str | None:
        return band(self.rollup(parent, area), self.achievement.rules)

    def rollup_derivation(self, parent: str, area: str | None = None, level: str | None = None) -> Derivation:
        node = self.nodes[parent]
        rolled = self.rolled(parent, area, level)
        counted = [n.score for n in rolled if n.score.struck is None]
        figure = f"roll-up of objective {parent} ({node.title})" + (f" in area {area}" if area else "")
        beside = [c for c in self.children(parent) if self.nodes[c] not in rolled
                  and (area is None or self.nodes[c].area == area)]
        not_rolled = f"; not rolled up (another level): {', '.join(beside)}" if beside else ""
        if not rolled:
            where = " of area " + area if area else ""
            on = level or self.rollup_level(parent)
            where += f" on level {on}" if beside and on is not None else ""
            return Derivation(figure, None,
                              f"objective {parent} has no children{where}: no roll-up{not_rolled}")
        if self.rule == "mean":
            value, formula = _mean_of(counted)
        else:
            value, formula = _pooled(counted)
        formula = f"{formula}; children ({rolled[0].level}): {', '.join(n.code for n in rolled)}"
        struck = [n.code for n in rolled if n.score.struck is not None]
        if struck:
            formula += f"; left out (struck): {', '.join(struck)}"
        return Derivation(figure, value, formula + not_rolled, parts=tuple(s.derivation() for s in counted))


def _pooled(children: list[ObjectiveScore]) -> tuple[Decimal | None, str]:
    counted: list[IndicatorScore] = [i for o in children for i in o.indicators if i.counts]
    weights = sum((i.weight for i in counted), ZERO)
    if weights == 0:
        return None, "pooled: no indicator of the children counts: no roll-up"
    value = sum((i.weight * i.achievement for i in counted), ZERO) / weights  # type: ignore[operator]
    terms = " + ".join(f"{i.weight} x {i.achievement}" for i in counted)
    return value, (f"pooled over the children's indicators: sum(w x r) / sum(w) = ({terms}) / {weights}"
                   f" = {value}")


def _mean_of(children: list[ObjectiveScore]) -> tuple[Decimal | None, str]:
    values = [o.achievement for o in children if o.achievement is not None]
    if not values:
        return None, "mean: no child has an achievement: no roll-up"
    value = sum(values, ZERO) / len(values)
    terms = " + ".join(str(v) for v in values)
    return value, f"mean of the children's own achievements = ({terms}) / {len(values)} = {value}"


def tree(ach: Achievement) -> Tree:
    """The tree of ``ach``'s objectives, by their parents: an objective whose parent is not of the year
    is a root. Each node is ranked by its level's place in the plan's levels."""
    rules = ach.rules
    levels = rules.tree
    by_code = {o.code: o for o in ach.objectives}
    kids: dict[str | None, list[str]] = {}
    for o in ach.objectives:
        parent = o.definition.parent if o.definition.parent in by_code else None
        kids.setdefault(parent, []).append(o.code)
    nodes: dict[str, Node] = {}

    def place(code: str) -> None:
        if code in nodes:  # a cycle only a ledger written around the rules could hold
            return
        score = by_code[code]
        rank = levels.index(score.definition.level) if score.definition.level in levels else len(levels)
        nodes[code] = Node(score, tuple(kids.get(code, [])), rank)
        for child in kids.get(code, []):
            place(child)

    for root in kids.get(None, []):
        place(root)
    for code in by_code:  # what no root reaches (a cycle) is shown too
        place(code)
    return Tree(ach, nodes, levels, rules.rollup_rule)


__all__ = ["Node", "Tree", "tree"]
