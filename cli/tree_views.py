"""What the achievement and budget commands print of the tree: the objectives indented by level with
their own figure and the roll-up of their children, the roll-ups by area (the seed's 2.3 tables), the
tree as JSON, and the budget by objective or by area."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import click

from cli.labels import tr
from cli.output import abbreviate, fit, number, percent, render, to_json
from cli.overrides import override_column, override_footnote, override_notes, overrides_json
from projections.achievement import Achievement, IndicatorScore, rounded_percent
from projections.budget import COLUMNS, Budget
from projections.budget_views import View, area_of, links, resources
from projections.facts import Fact
from projections.tree import Node, Tree

INDENT = "· "  # one per level below the top (a table's cells lose leading spaces)
BULLET = "- "  # an indicator, under its objective
LEGEND = {
    "pooled": "pooled: sum(w r) / sum(w) over their indicators",
    "mean": "mean: the mean of their own figures",
}


def legend(t: Tree, with_resources: bool, area: str | None = None, locale: str = "en") -> str:
    """What the figures are, wrapped for a terminal."""
    text = tr("own: the objective's figure from its own indicators, sum(w r) / sum(w). roll-up: its"
              " children's on the level below ({rule}; the plan's rule). The entity level is the"
              " mean of the {level} objectives' own figures.", locale).format(
        rule=tr(LEGEND[t.rule], locale), level=tr(t.achievement.scored_level, locale))
    if with_resources:
        text += " " + tr("preventivo / consuntivo: the Budget / Prenotato of the budget items of the"
                         " objective and of its descendants.", locale)
    if area is not None:
        text += " " + tr("Above the objectives of area {area}, roll-up and resources count theirs only.",
                         locale).format(area=area)
    return "\n".join(textwrap.wrap(text, 100))


def chosen(t: Tree, level: str | None, area: str | None) -> list[Node]:
    """The nodes shown: all in tree order; of one level; of one area with the ancestors above them."""
    if level is not None and level not in t.levels:
        raise click.UsageError(f"no level {level!r} in the plan of {t.achievement.year}"
                               f" (levels: {', '.join(t.levels)})")
    nodes = [n for n in t.walk() if level is None or n.level == level]
    if area is None:
        return nodes
    keep: set[str] = set()
    for n in nodes:
        if n.area == area:
            keep.add(n.code)
            up = n.parent
            while up is not None and up in t.nodes and up not in keep:
                keep.add(up)
                up = t.nodes[up].parent
    if not keep:
        areas = sorted({n.area for n in t.walk() if n.area is not None})
        raise click.UsageError(f"no objective of area {area!r} (areas: {', '.join(areas) or 'none'})")
    return [n for n in t.walk() if n.code in keep]


def _scope(n: Node, area: str | None) -> str | None:
    """The area whose children a node's roll-up counts: ``area``'s above its objectives, all in it."""
    return area if n.area != area else None


def _reused(i: IndicatorScore) -> str:
    d = i.definition
    if d.source == "reference":
        return f" (= {d.uses})"
    if d.source == "derived:year_ratio":
        return f" ({d.uses} / {d.compared_with})"
    return ""


Formats = tuple[Callable[[str | None, str, str], str], Callable[[Fact, str], str]]
"""How people read a value (value, unit, locale) and a strike in force: ``cli.views`` gives them."""


def tree_rows(t: Tree, table: Budget | None, locale: str, formats: Formats, level: str | None = None,
              area: str | None = None) -> list[dict[str, Any]]:
    """The objectives in tree order, each followed by its indicators (full titles)."""
    shown, withdrawn = formats
    rows: list[dict[str, Any]] = []
    for n in chosen(t, level, area):
        o, pad = n.score, "" if level is not None else INDENT * n.rank
        own = withdrawn(o.withdrawn, locale) if o.withdrawn is not None else percent(o.achievement, 0, locale)
        row: dict[str, Any] = {
            "id": f"{pad}{n.code}", "title": n.title, "level": tr(n.level, locale), "area": n.area or "",
            "weight": "", "value": "", "target": "", "own": own, "roll-up": "",
            "band": tr(o.band, locale) if o.band else "",
        }
        if t.rolls_up(n.code, _scope(n, area)):  # no children on the next level: no roll-up at all
            rollup = t.rollup(n.code, area=_scope(n, area))
            row["roll-up"] = "-" if rollup is None else percent(rollup, 0, locale)
        if table is not None:
            planned, reserved = resources(table, t, n.code, _scope(n, area))
            has_any = planned or reserved
            row["preventivo"], row["consuntivo"] = (planned, reserved) if has_any else (None, None)
        rows.append(row)
        for i in o.indicators:
            unit, extra = i.definition.unit, _reused(i)
            measured = i.achievement is not None or i.value == "ND"
            rows.append({"id": f"{pad}{BULLET}{i.code}", "title": f"{i.definition.title}{extra}", "level": "",
                         "area": "", "weight": _weight(i.weight, locale),
                         "value": shown(i.value, unit, locale), "target": shown(i.target, unit, locale),
                         "own": (withdrawn(i.withdrawn, locale) if i.withdrawn is not None
                                 else percent(i.achievement, 0, locale) if measured else "-"), "roll-up": "",
                         "band": "" if i.counts else _excluded(i, withdrawn, locale)})
    return rows


def _excluded(i: IndicatorScore, withdrawn: Callable[[Fact, str], str], locale: str) -> str:
    """Why an indicator does not count: its strike in force, or the reason the projection gives."""
    return withdrawn(i.withdrawn, locale) if i.withdrawn is not None else tr(i.excluded or "", locale)


NARROW = ("objective", "weight", "value", "target", "own", "roll-up", "band")
"""The tree's columns in 120: code and title in one (abbreviated), level and area left to --wide, the
resources in a table of their own."""


BAND = 22  # characters of the band column: "parzialmente raggiunto"; longer reasons are abbreviated


def narrow_rows(rows: list[dict[str, Any]], locale: str) -> list[dict[str, Any]]:
    """The tree's rows in the columns of ``NARROW``, the title abbreviated to what is left of 120; a strike
    in force is "withdrawn" in the figure's column, its cause in the band's."""
    withdrawn = tr("withdrawn ({cause})", locale).split(" (")[0]
    found = [{"objective": f"{r['id']} {r['title']}", **{k: r[k] for k in NARROW[1:]}} for r in rows]
    for r in found:
        if r["own"].startswith(withdrawn + " ("):
            r["band"] = r["band"] or r["own"]
            r["own"] = withdrawn
        r["band"] = abbreviate(r["band"], BAND)
    return fit(found, "objective", locale=locale)


def resource_rows(rows: list[dict[str, Any]], locale: str) -> list[dict[str, Any]]:
    """The objectives with resources: code, title (abbreviated), preventivo and consuntivo."""
    found = [{"objective": r["id"].replace(INDENT, ""), "title": r["title"], "preventivo": r["preventivo"],
              "consuntivo": r["consuntivo"]} for r in rows if r.get("preventivo") is not None]
    return fit(found, "title", locale=locale)


def _weight(weight: Decimal, locale: str) -> str:
    """A weight in percentage points with the places it was given: 33.33%, 50%."""
    places = max(0, -int(weight.as_tuple().exponent))
    return number(weight, places, locale) + "%"


def area_rows(t: Tree, locale: str, area: str | None = None) -> list[dict[str, Any]]:
    """Each objective's roll-up per area of its children: the seed's area x strategic tables."""
    rows = []
    for n in t.walk():
        for a in t.areas(n.code):
            if area is None or a == area:
                rollup = t.rollup(n.code, area=a)
                band = t.rollup_band(n.code, area=a)
                rows.append({"objective": n.code, "own": percent(n.score.achievement, 0, locale), "area": a,
                             "children": len(t.rolled(n.code, area=a)),
                             "roll-up": "-" if rollup is None else percent(rollup, 0, locale),
                             "band": tr(band, locale) if band else ""})
    return rows


def show_tree(t: Tree, table: Budget | None, fmt: str, locale: str, formats: Formats,
              level: str | None = None, area: str | None = None, wide: bool = False) -> list[str]:
    """The tree table, its legend, the resources (unless wide: columns of the tree) and the roll-ups by
    area, as text parts."""
    with_resources = table is not None and bool(table.every_row)
    rows = tree_rows(t, table if with_resources else None, locale, formats, level, area)
    if wide:
        parts = [render(rows, fmt, locale=locale)]
    else:
        parts = [render(narrow_rows(rows, locale), fmt, locale=locale)]
        if with_resources:
            parts.append(render(resource_rows(rows, locale), fmt, locale=locale))
    parts.append(legend(t, with_resources, area, locale))
    by_area = area_rows(t, locale, area)
    if by_area:
        parts.append(render(by_area, fmt, locale=locale))
    return parts


def tree_json(t: Tree, table: Budget | None, level: str | None = None,
              area: str | None = None) -> list[dict[str, Any]]:
    """Each node: its place, its own figure, the roll-up of its children (also per area), its resources."""
    nodes = []
    for n in chosen(t, level, area):
        own, rollup = n.score.achievement, t.rollup(n.code)
        planned, reserved = resources(table, t, n.code) if table is not None else (None, None)
        nodes.append({
            "code": n.code, "title": n.title, "level": n.level, "area": n.area, "owner": n.owner,
            "parent": n.parent, "predecessor": n.predecessor, "children": list(n.children),
            "own": own, "own_percent": None if own is None else rounded_percent(own), "band": n.score.band,
            "rollup": rollup, "rollup_percent": None if rollup is None else rounded_percent(rollup),
            "rollup_rule": t.rule, "rollup_level": t.rollup_level(n.code) if t.rolls_up(n.code) else None,
            "rollup_by_area": {a: t.rollup(n.code, area=a) for a in t.areas(n.code)},
            "resources": {"budget": planned, "reserved": reserved},
            "struck": n.score.struck is not None,
        })
    return nodes


def achievement_with_tree(data: dict[str, Any], t: Tree, table: Budget | None, level: str | None = None,
                          area: str | None = None) -> dict[str, Any]:
    """The achievement's JSON with its tree (``objectives`` filtered as the tree is)."""
    nodes = tree_json(t, table, level, area)
    shown = {n["code"] for n in nodes}
    return {**data, "objectives": [o for o in data["objectives"] if o["id"] in shown], "tree": nodes}


# -- the budget by objective or by area -------------------------------------------------------------------
def view_rows(v: View, t: Tree) -> list[dict[str, Any]]:
    family = links(t)
    rows: list[dict[str, Any]] = []
    for g in v.groups:
        for r in g.rows:
            rows.append({"level": "product", "area": area_of(family, r.objective), "line": r.line,
                         "objective": r.objective, "item": r.item, "product": r.product,
                         **_amounts(r.amounts), **overrides_json(r)})
        rows.append({"level": v.by, "area": g.key if v.by == "area" else area_of(family, g.key), "line": None,
                     "objective": g.key if v.by == "objective" else None, "item": None,
                     "product": f"{g.key}. {g.title} Somma" if v.by == "objective" else f"{g.title} Somma",
                     **_amounts(g.amounts)})
    rows.append({"level": "total", "area": None, "line": None, "objective": None, "item": None,
                 "product": v.total.title, **_amounts(v.total.amounts)})
    return rows


def _amounts(amounts: Any) -> dict[str, Decimal]:
    return {c: amounts.get(c) for c in COLUMNS}


def view_json(v: View, t: Tree) -> dict[str, Any]:
    return {
        "by": v.by,
        "rows": [r for r in view_rows(v, t) if r["level"] == "product"],
        "groups": [{v.by: g.key, "title": g.title, **_amounts(g.amounts)} for g in v.groups],
        "total": _amounts(v.total.amounts),
    }


def show_view(v: View, t: Tree, fmt: str, locale: str, wide: bool = False) -> str:
    """A view as the line view prints the budget: the overrides granted on its rows in JSON (on the rows
    that have some), as a CSV column and under the table (only when some row has one)."""
    if fmt == "json":
        return to_json(view_json(v, t))
    rows = [{k: val for k, val in row.items() if k != "overrides"} for row in view_rows(v, t)]
    notes = override_notes(v.rows, locale)
    if fmt == "csv":
        if notes:
            reasons = override_column(v.rows)
            rows = [{**row, "override": reasons.get(row["item"], "") if row["level"] == "product" else ""}
                    for row in rows]
        return render(rows, fmt, locale=locale)
    from cli.budget_table import budget_table

    return budget_table(rows, locale, wide, first=("area",)) + override_footnote(notes, locale)


def declares_its_tree(a: Achievement) -> bool:
    """Was the plan opened with its tree declared (PlanOpened version 2)? The report of a plan opened by an
    earlier version keeps the form it had, byte for byte (tests/test_postgres_upgrade.py)."""
    plan = a.plan.original
    return int(getattr(plan, "stored_version", plan.class_version)) >= 2
