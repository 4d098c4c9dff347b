"""What the figure commands print: the rows, JSON and tables of budget, achievement, variations, report.

Each command replays the events through one projection and hands the result here;
explain prints the derivation the same projection built alongside the figure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.budget_table import budget_table
from cli.header import known_at_json as cut_known_at
from cli.labels import tr
from cli.options import open_store
from cli.output import day, fit, money, number, percent, ratio_places, render, to_json, yes_no
from cli.overrides import override_column, override_footnote, override_notes, overrides_json
from events import LedgerEvent
from events.fields import Act, format_timestamp
from ledger import Store, proofs
from projections.achievement import (
    PLAN_FACTS,
    Achievement,
    IndicatorScore,
    ObjectiveScore,
    achievement,
    rounded_percent,
)
from projections.budget import (
    COLUMNS,
    Budget,
    Group,
    Row,
    budget,
    budget_of,
    explain_group,
    explain_ratio,
    explain_row,
)
from projections.closing import Closing, closing, closing_of
from projections.explain import Derivation, with_proofs, with_sources
from projections.facts import Cut, Fact, Known, known_facts
from projections.tree import Tree, tree
from projections.variations import Variations, variations

if TYPE_CHECKING:
    from cli.header import CutHeader

known_at_json = cut_known_at  # where cli.audit (and earlier callers) read it

# The 2012 example, installed with the package (pyproject.toml's package-data): a copy of
# examples/cciaa-massa-carrara-2012/events.jsonl, which its build.py writes too.
EXAMPLE = files("cli") / "example" / "events.jsonl"


@contextmanager
def replay(ctx: click.Context) -> Iterator[list[LedgerEvent]]:
    """Every event of the ledger (a bar on a terminal's stderr while a long ledger is read)."""
    from cli.options import progress_of_events

    with open_store(ctx) as store:
        head = store.length()
        with progress_of_events(store.events(upto=head), head, "Reading the ledger") as events:
            read = list(events)
        yield read


@contextmanager
def plan_replay(ctx: click.Context, cut: Cut) -> Iterator[tuple[Store, Known, int]]:
    """The store, the facts achievement and variations read (not the budget's) known at the cut, and
    the head they were read to (so the budget of the same report is read to it too). A bar on a
    terminal's stderr while a long ledger is read."""
    from cli.options import progress_of_events

    with open_store(ctx) as store:
        head = store.length()
        facts = store.events(upto=head, types=PLAN_FACTS)
        with progress_of_events(facts, head, "Reading the ledger") as events:
            known = known_facts(events, cut, partial=True)
        yield store, known, head


def plan_year_and_closing(store: Store, head: int, cut: Cut, year: int | None) -> tuple[int, Closing | None]:
    """The plan year figures read at ``cut`` are of (``year`` if its plan is in force, else the latest),
    and its closing: from one read of the plans, closings and corrections up to ``head``."""
    from projections.closing import CLOSING_FACTS
    from projections.facts import plan_of

    events = list(store.events(upto=head, types=CLOSING_FACTS))
    found: int = plan_of(known_facts(events, cut, partial=True), cut, year).year
    return found, closing(events, cut, found)


# -- budget ----------------------------------------------------------------------------------
def _amounts(group_amounts: Any) -> dict[str, Decimal]:
    return {c: group_amounts.get(c) for c in COLUMNS}


def budget_rows(table: Budget) -> list[dict[str, Any]]:
    """Products with their subtotals in the seed's order: rows, objective, line, grand total. Items on no
    policy line follow it, with their objectives' subtotals, their own and the overall total."""
    rows: list[dict[str, Any]] = []
    for line in table.lines:
        for objective in table.objectives:
            rows += _objective_rows(Group(objective.key, objective.title,
                                          tuple(r for r in objective.rows if r.line == line.key)), line.key)
        rows.append({"level": "line", "line": line.key, "objective": None, "item": None,
                     "product": f"{line.key} - {line.title} Totale", **_amounts(line.amounts)})
    rows.append({"level": "total", "line": None, "objective": None, "item": None,
                 "product": "Totale complessivo", **_amounts(table.total.amounts)})
    if table.off_line.rows:
        for objective in table.off_line_objectives:
            rows += _objective_rows(objective, None)
        rows.append({"level": "off_line", "line": None, "objective": None, "item": None,
                     "product": f"{table.off_line.title} Totale", **_amounts(table.off_line.amounts)})
        rows.append({"level": "overall", "line": None, "objective": None, "item": None,
                     "product": table.overall.title, **_amounts(table.overall.amounts)})
    return rows


def _objective_rows(objective: Group, line: str | None) -> list[dict[str, Any]]:
    if not objective.rows:
        return []
    rows = [{"level": "product", "line": row.line, "objective": row.objective, "item": row.item,
             "product": row.product, **_amounts(row.amounts)} for row in objective.rows]
    rows.append({"level": "objective", "line": line, "objective": objective.key, "item": None,
                 "product": f"{objective.key}. {objective.title} Somma", **_amounts(objective.amounts)})
    return rows


def ratio_rows(table: Budget, locale: str) -> list[dict[str, Any]]:
    groups = [*table.objectives, table.total]
    return [
        {"objective": g.key, "title": g.title, "total": g.amounts.total, "reserved": g.amounts.reserved,
         "available": g.amounts.available, "ratio": percent(g.ratio, ratio_places(g.ratio), locale)}
        for g in groups
    ]


def budget_json(table: Budget) -> dict[str, Any]:
    def group(g: Group, kind: str) -> dict[str, Any]:
        return {kind: g.key, "title": g.title, **_amounts(g.amounts), "ratio": g.ratio}

    def rows(found: tuple[Row, ...]) -> list[dict[str, Any]]:
        return [{"line": r.line, "objective": r.objective, "item": r.item, "product": r.product,
                 **_amounts(r.amounts), **overrides_json(r)} for r in found]

    return {
        "rows": rows(table.rows),
        "objectives": [group(g, "objective") for g in table.objectives],
        "lines": [group(g, "line") for g in table.lines],
        "total": {**_amounts(table.total.amounts), "ratio": table.ratio},
        **({} if not table.off_line.rows else {  # only then: a table with none prints as it did
            "off_line": {"title": table.off_line.title, **_amounts(table.off_line.amounts),
                         "rows": rows(table.off_line.rows),
                         "objectives": [group(g, "objective") for g in table.off_line_objectives]},
            "overall": _amounts(table.overall.amounts),
        }),
    }


def show_budget(table: Budget, fmt: str, locale: str, by: str = "line", t: Tree | None = None,
                wide: bool = False) -> str:
    """The budget by policy line (the seed's table, with its ratios), or by objective or area of the tree."""
    if by != "line":
        from cli.tree_views import show_view
        from projections.budget_views import view

        assert t is not None
        return show_view(view(table, by, t), t, fmt, locale, wide)
    if fmt == "json":
        return to_json(budget_json(table))
    rows = budget_rows(table)
    notes = override_notes(table.every_row, locale)
    if fmt == "csv":
        if notes:  # a column of its own, only when some row has an override
            reasons = override_column(table.every_row)
            rows = [{**row, "override": reasons.get(row["item"], "") if row["level"] == "product" else ""}
                    for row in rows]
        return render(rows, fmt, locale=locale)
    total = table.total.key
    ratios = [{"Obiettivo": tr(r["objective"], locale) if r["objective"] == total else r["objective"],
               "Totale": r["total"], "Prenotato": r["reserved"], "Disponibile": r["available"],
               "Disponibile/Totale": r["ratio"]} for r in ratio_rows(table, locale)]
    return (budget_table(rows, locale, wide) + override_footnote(notes, locale)
            + "\n\n" + render(ratios, fmt, locale=locale))


# -- achievement -----------------------------------------------------------------------------
def withdrawn_json(strike: Fact | None) -> dict[str, Any] | None:
    """A strike in force as JSON: its cause, reason and event id."""
    if strike is None:
        return None
    return {"cause": strike.cause, "reason": strike.reason, "event": strike.original.event_id}


def withdrawn_text(strike: Fact, locale: str = "en") -> str:
    return tr("withdrawn ({cause})", locale).format(cause=tr(strike.cause, locale))


def indicator_json(i: IndicatorScore) -> dict[str, Any]:
    d = i.definition
    return {
        "id": i.code, "title": d.title, "weight": i.weight, "direction": d.direction, "target": i.target,
        "unit": d.unit, "source": d.source, "value": i.value, "achievement": i.achievement,
        "percent": None if i.achievement is None else rounded_percent(i.achievement), "rule": i.rule,
        "counts": i.counts, "excluded": i.excluded, "withdrawn": withdrawn_json(i.withdrawn),
    }


def objective_json(o: ObjectiveScore) -> dict[str, Any]:
    d = o.definition
    return {
        "id": o.code, "title": d.title, "level": d.level, "perspective": d.perspective, "parent": d.parent,
        "struck": None if o.struck is None else {"cause": o.struck.cause, "reason": o.struck.reason},
        "withdrawn": withdrawn_json(o.withdrawn),
        "achievement": o.achievement,
        "percent": None if o.achievement is None else rounded_percent(o.achievement),
        "band": o.band, "indicators": [indicator_json(i) for i in o.indicators],
    }


def achievement_json(a: Achievement) -> dict[str, Any]:
    entity = a.entity
    return {
        "year": a.year,
        "entity": {"achievement": entity, "percent": None if entity is None else rounded_percent(entity)},
        "bands": a.bands,
        "by_level": a.by_level(),
        "by_perspective": a.by_perspective(),
        "objectives": [objective_json(o) for o in a.objectives],
    }


def shown(raw: str | None, unit: str, locale: str) -> str:
    """A value or target as people read it: 94%, 0,91, 31/12/2012, ND."""
    if raw is None:
        return ""
    if raw == "ND":
        return "ND"
    if "-" in raw[1:]:
        return day(date.fromisoformat(raw), locale)
    if unit == "%":
        return percent(Decimal(raw), 0, locale)
    return number(Decimal(raw), 2, locale)


ACHIEVEMENT_CSV = ("objective", "indicator", "title", "weight", "direction", "unit", "source", "value",
                   "target", "achievement", "percent", "counts", "excluded", "band", "level", "area",
                   "parent", "rollup")


def achievement_csv_rows(a: Achievement, t: Tree | None = None, level: str | None = None,
                         area: str | None = None) -> list[dict[str, Any]]:
    """One row per objective and per indicator, with the data unformatted (decimal strings, ISO dates);
    objectives in tree order, with their level, area, parent and the roll-up of their children."""
    from cli.tree_views import chosen

    t = t or tree(a)
    rows: list[dict[str, Any]] = []
    for n in chosen(t, level, area):
        o = n.score
        rows.append({"objective": o.code, "indicator": None, "title": o.definition.title,
                     "achievement": o.achievement,
                     "percent": None if o.achievement is None else rounded_percent(o.achievement),
                     "band": o.band,
                     "excluded": None if o.withdrawn is None else withdrawn_text(o.withdrawn),
                     "level": n.level, "area": n.area, "parent": n.parent,
                     "rollup": t.rollup(n.code) if n.children else None})
        for i in o.indicators:
            rows.append({**indicator_json(i), "objective": o.code, "indicator": i.code})
    return rows


def show_achievement(a: Achievement, fmt: str, locale: str, table: Budget | None = None,
                     level: str | None = None, area: str | None = None, wide: bool = False) -> str:
    """The tree of objectives (own figure, roll-up, resources) with their indicators, the roll-ups by
    area, the entity level and the means; ``level`` / ``area``: only the objectives of one."""
    from cli.tree_views import achievement_with_tree, show_tree

    t = tree(a)
    if fmt == "json":
        return to_json(achievement_with_tree(achievement_json(a), t, table, level, area))
    if fmt == "csv":
        return render(achievement_csv_rows(a, t, level, area), fmt, columns=ACHIEVEMENT_CSV, locale=locale,
                      raw_numbers=("value", "target"))
    summary = [{"entity level": percent(a.entity, 0, locale),
                **{tr(band, locale): n for band, n in a.bands.items()}}]
    means = [{"mean of": tr("perspective {name}", locale).format(name=name),
              "achievement": percent(value, 0, locale)} for name, value in a.by_perspective().items()]
    means += [{"mean of": objectives_of(level, locale), "achievement": percent(value, 0, locale)}
              for level, value in a.by_level().items() if value is not None]
    parts = [*show_tree(t, table, fmt, locale, (shown, withdrawn_text), level, area, wide),
             render(summary, fmt, locale=locale),
             render(means, fmt, locale=locale)]
    return "\n\n".join(parts)


def objectives_of(level: str, locale: str) -> str:
    """``strategic objectives``: the objectives of a level of the plan's tree."""
    from cli.labels import ITALIAN

    key = f"{level} objectives"
    return tr(key, locale) if locale != "it" or key in ITALIAN else tr("{level} objectives", locale).format(
        level=level)


# -- variations ------------------------------------------------------------------------------
def variations_json(v: Variations, target: str | None) -> dict[str, Any]:
    return {
        "year": v.year,
        "count": v.count,
        "objectives": len(v.objectives),
        "ratio": v.ratio,
        "target": target,
        "by_cause": v.by_cause,
        "changes": [
            {"id": c.event_id, "objective": c.objective, "cause": c.cause,
             "effective_date": c.effective_date.isoformat(),
             "reason": c.reason, "what": c.what, "counts": c.cause == "internal"}
            for c in v.changes
        ],
        "struck": [{"objective": s.objective, "cause": s.cause, "reason": s.reason} for s in v.struck],
    }


def variations_target(a: Achievement | None) -> str | None:
    if a is None:
        return None
    for o in a.objectives:
        for i in o.indicators:
            if i.definition.source == "derived:variations":
                return i.target
    return None


CHANGES_CSV = ("id", "objective", "cause", "effective_date", "reason", "what", "counts")


def show_variations(v: Variations, target: str | None, fmt: str, locale: str, wide: bool = False) -> str:
    data = variations_json(v, target)
    if fmt == "json":
        return to_json(data)
    if fmt == "csv":
        return render(data["changes"], fmt, columns=CHANGES_CSV, locale=locale)
    changes = [{"effective_date": day(c.effective_date, locale), "objective": c.objective,
                "cause": tr(c.cause, locale), "counts": yes_no(c.cause == "internal", locale), "what": c.what}
               for c in v.changes]
    shown_changes = changes if wide else fit(changes, "what", locale=locale)
    summary = {"changes counted (internal)": v.count, "strategic objectives": len(v.objectives),
               "ratio": percent(v.ratio, 1, locale),
               "target value": percent(Decimal(target), 0, locale) if target and target != "ND" else "",
               **{tr("cause {cause}", locale).format(cause=tr(k, locale)): n for k, n in v.by_cause.items()}}
    listed = [{"figure": tr(k, locale), "value": v} for k, v in summary.items()]  # one a line: fits 120
    return render(shown_changes, fmt, locale=locale) + "\n\n" + render(listed, fmt, locale=locale)


def report_data(events: list[LedgerEvent], cut: Cut | None, year: int | None) -> dict[str, Any]:
    """The report's three tables as JSON-ready data (what `report --format json` prints), from events."""
    from cli.header import header_of_events

    cut = cut or Cut()
    scores, table, changes, closed = report_folds(known_facts(events, cut), cut, year)
    return report_json(cut, scores, table, changes, closed, header_of_events(events, cut, scores.year))


def report_folds(known: Known, cut: Cut, year: int | None) -> tuple[Achievement, Budget, Variations,
                                                                     Closing | None]:
    """The report's folds of facts known at ``cut`` (folded once for the three tables): achievement,
    budget, variations and the year's closing, of ``year`` (default: the latest plan's)."""
    scores = achievement(known, cut, year)
    return (scores, budget(known, cut, scores.year), variations(known, cut, scores.year),
            closing(known, cut, scores.year))


def report_json(cut: Cut, scores: Achievement, table: Budget, changes: Variations,
                closed: Closing | None = None, header: CutHeader | None = None) -> dict[str, Any]:
    """The report's JSON: ``schema`` and ``cut`` (when the header is known), then the figures' keys."""
    from cli.header import with_json_header
    from cli.tree_views import achievement_with_tree, declares_its_tree

    shown = achievement_json(scores)
    if declares_its_tree(scores):  # a plan opened by an earlier version reports byte for byte as it did
        shown = achievement_with_tree(shown, tree(scores), table)
    data = {
        "year": scores.year,
        "as_of": None if cut.as_of is None else cut.as_of.isoformat(),
        "known_at": known_at_json(cut.known_at),
        "budget": budget_json(table),
        "achievement": shown,
        "variations": variations_json(changes, variations_target(scores)),
        **closing_key(closed),
    }
    return data if header is None else with_json_header(data, header)


def report_text(ctx: click.Context, cut: Cut, year: int | None, fmt: str, locale: str,
                wide: bool = False) -> str:
    from cli.header import header_of_store, with_header

    with plan_replay(ctx, cut) as (store, known, head):
        scores = achievement(known, cut, year)
        table = budget_of(store, cut, scores.year, upto=head)  # the budget's read model, or a replay
        changes = variations(known, cut, scores.year)
        closed = closing_of(store, cut, scores.year, upto=head)
        header = header_of_store(store, head, cut, scores.year)
    if fmt == "json":
        return to_json(report_json(cut, scores, table, changes, closed, header))
    target = variations_target(scores)
    parts = [
        *([] if closed is None else [closing_line(closed, locale), ""]),
        tr("Budget {year}", locale).format(year=scores.year),
        show_budget(table, fmt, locale, wide=wide),
        "\n" + tr("Achievement {year}", locale).format(year=scores.year),
        show_achievement(scores, fmt, locale, table, wide=wide),
        "\n" + tr("Variations to objectives {year}", locale).format(year=scores.year),
        show_variations(changes, target, fmt, locale, wide),
    ]
    return with_header("\n".join(parts), header, fmt, locale)


# -- the year's closing: a line under each figure command's header, a key of its JSON ------------
CLOSING_WORDS = {
    "en": ("Year", "closed on", "closed again on", "by", "validated by", "reopened on"),
    "it": ("Anno", "chiuso il", "richiuso il", "con", "validazione:", "riaperto il"),
}


def closing_line(c: Closing, locale: str) -> str:
    """``Year 2012 closed on 2013-06-28 by Delibera di Giunta n. 75 del 28/06/2013 (validated by ...);
    reopened on ... by ...: reason``: the year's closings and reopenings in recording order."""
    year, closed, again, by, validated, reopened = CLOSING_WORDS[locale]

    def done(moment: datetime, act: Act | None) -> str:
        return day(moment.date(), locale) + ("" if act is None else f" {by} {act}")

    parts = []
    for n, cycle in enumerate((*c.earlier, c)):
        validation = "" if cycle.validation is None else f" ({validated} {cycle.validation})"
        parts.append(f"{again if n else closed} {done(cycle.closed_at, cycle.act)}{validation}")
        parts += [f"{reopened} {done(r.recorded_at, r.act)}: {r.reason}" for r in cycle.reopened]
    return f"{year} {c.year} " + "; ".join(parts)


def act_json(act: Act | None) -> dict[str, str] | None:
    return None if act is None else {"kind": act.kind, "number": act.number, "date": act.date.isoformat()}


def closing_key(closed: Closing | None) -> dict[str, Any]:
    """The ``closing`` key of a figure's JSON, there only when its year was closed (as known at the cut):
    the JSON of a year never closed stays byte for byte what earlier releases printed."""
    return {} if closed is None else {"closing": closing_json(closed)}


def closing_json(c: Closing) -> dict[str, Any]:
    return {
        "year": c.year, "closed": c.is_closed, "event": c.event_id,
        "effective_date": c.effective_date.isoformat(), "closed_at": format_timestamp(c.closed_at),
        "act": act_json(c.act), "validation": act_json(c.validation),
        "reopened": [{"event": r.event_id, "recorded_at": format_timestamp(r.recorded_at),
                      "act": act_json(r.act), "reason": r.reason} for r in c.reopened],
        "earlier": [closing_json(e) for e in c.earlier],
    }


def with_closing(shown: str, closed: Closing | None, fmt: str, locale: str) -> str:
    """A table under the line saying when its year was closed (csv stays rows only)."""
    return shown if closed is None or fmt != "table" else f"{closing_line(closed, locale)}\n\n{shown}"


def budget_output(table: Budget, closed: Closing | None, fmt: str, locale: str, by: str = "line",
                  t: Tree | None = None, header: CutHeader | None = None, wide: bool = False) -> str:
    """What ``perfledger budget`` prints: ``show_budget`` (by line, objective or area), with the year's
    closing, under the header of its cut."""
    from cli.header import with_header, with_json_header

    if fmt == "json":
        if by != "line":
            from cli.tree_views import view_json
            from projections.budget_views import view

            assert t is not None
            data = {**view_json(view(table, by, t), t), **closing_key(closed)}
        else:
            data = {**budget_json(table), **closing_key(closed)}
        return to_json(data if header is None else with_json_header(data, header))
    shown = with_closing(show_budget(table, fmt, locale, by, t, wide), closed, fmt, locale)
    return shown if header is None else with_header(shown, header, fmt, locale)


def achievement_output(a: Achievement, closed: Closing | None, fmt: str, locale: str,
                       table: Budget | None = None, level: str | None = None, area: str | None = None,
                       header: CutHeader | None = None, wide: bool = False) -> str:
    """What ``perfledger achievement`` prints: ``show_achievement``, with the year's closing, under the
    header of its cut."""
    from cli.header import with_header, with_json_header

    if fmt == "json":
        from cli.tree_views import achievement_with_tree

        shown = {**achievement_with_tree(achievement_json(a), tree(a), table, level, area),
                 **closing_key(closed)}
        return to_json(shown if header is None else with_json_header(shown, header))
    text = with_closing(show_achievement(a, fmt, locale, table, level, area, wide), closed, fmt, locale)
    return text if header is None else with_header(text, header, fmt, locale)


def variations_output(v: Variations, target: str | None, fmt: str, locale: str, header: CutHeader,
                      wide: bool = False) -> str:
    """What ``perfledger variations`` prints, under the header of its cut."""
    from cli.header import with_header, with_json_header

    if fmt == "json":
        return to_json(with_json_header(variations_json(v, target), header))
    return with_header(show_variations(v, target, fmt, locale, wide), header, fmt, locale)


def prove(derivation: Derivation, events: list[LedgerEvent], checkpoint_file: Path,
          trusted: list[proofs.Verifier]) -> Derivation:
    """Attach verified RFC 9162 inclusion proofs, against a signed checkpoint, to every event of a derivation.
    """
    checkpoint = proofs.read_checkpoint(checkpoint_file)
    checkpoint.check_signatures(trusted)
    leaves = [proofs.leaf_hash(e.canonical_bytes) for e in events][: checkpoint.size]
    tree = proofs.MerkleTree(leaves)  # each node hashed once, for every event's audit path
    root = tree.root()
    if len(leaves) < checkpoint.size or root != checkpoint.root:
        raise proofs.ProofError(f"the ledger does not extend {checkpoint_file.name}: run verify --checkpoint")

    def path(seq: int) -> tuple[str, ...] | None:
        if seq > checkpoint.size:
            return None  # recorded after the checkpoint: nothing to prove against it
        audit = tree.path(seq - 1)
        proofs.verify_inclusion(seq - 1, checkpoint.size, leaves[seq - 1], audit, root)
        return tuple(node.hex() for node in audit)

    return with_proofs(derivation, path)


def explain(events: list[LedgerEvent], figure: list[str], cut: Cut, year: int | None) -> Derivation:
    """Find the figure asked for and return the derivation its projection built."""
    usage = "see `perfledger explain --help` for the figures that can be explained"
    try:
        derivation = _derivation(events, figure, cut, year)
    except KeyError as e:
        what = figure[1] if len(figure) > 1 else "figure"
        raise click.ClickException(f"{' '.join(figure)}: no such {what} {e}") from None
    except IndexError:
        derivation = None
    if derivation is None:
        raise click.UsageError(f"cannot explain {' '.join(figure)!r}: {usage}")
    return with_sources(derivation, events)


def explain_output(derivation: Derivation, events: list[LedgerEvent], figure: list[str], cut: Cut,
                   year: int | None, fmt: str, locale: str) -> str:
    """What ``perfledger explain`` prints: the cut's header, then the derivation; as text, with the figure
    as reports print it (rounded half-up) and its band after its first formula."""
    from cli.header import header_of_events, with_header, with_json_header

    scores = achievement(events, cut, year)
    header = header_of_events(events, cut, scores.year)
    if fmt == "json":
        return to_json(with_json_header(derivation.to_dict(), header))
    words = {k: tr(k, locale) for k in ("eff", "rec", "by")}
    words["proof"] = tr("[included: {n}-hash audit path verified]", locale)
    words["source"] = tr("from {file}, sheet {sheet}, row {row}", locale)
    words["date"] = lambda iso: day(date.fromisoformat(iso), locale)  # type: ignore[assignment]
    lines = derivation.lines(words=words)
    lines.insert(2, "  " + rounding_line(derivation, figure, scores, locale))
    return with_header("\n".join(lines), header, "table", locale)


def rounding_line(derivation: Derivation, figure: list[str], scores: Achievement, locale: str) -> str:
    """``→ 94% (rounded half-up) · band: achieved``: the figure as reports print it."""
    from projections.achievement import band

    value = derivation.value
    try:
        amount = None if value is None else Decimal(value)
    except ArithmeticError:
        amount = None
    if amount is None:
        return "→ " + (str(value) if value is not None else "ND")
    found: str | None = None
    if figure[0] == "budget" and figure[-1] != "ratio":
        shown = money(amount, locale)
    elif figure[0] == "budget":
        shown = percent(amount, 1 if amount < Decimal("0.01") else 0, locale)
    elif figure[0] == "variations":
        shown = percent(amount, 1, locale)
    else:
        shown = percent(amount, 0, locale)
        if figure[1] != "indicator":
            found = band(amount, scores.rules)
    text = "→ " + tr("rounded half-up: {shown}", locale).format(shown=shown)
    return text if found is None else text + " · " + tr("band: {band}", locale).format(band=tr(found, locale))


def _derivation(events: list[LedgerEvent], figure: list[str], cut: Cut,
                year: int | None) -> Derivation | None:
    """The derivation of the figure named, or None if no figure has that name (IndexError if cut short)."""
    if figure[0] == "budget":
        table = budget(events, cut, year)
        return _budget_derivation(table, figure[1], figure[2:],
                                  lambda: tree(achievement(events, cut, year)))
    if figure[0] == "achievement":
        scores = achievement(events, cut, year)
        if figure[1:2] == ["entity"]:
            return scores.entity_derivation()
        if figure[1] == "indicator" and len(figure) == 3:
            return scores.indicator(figure[2]).derivation()
        if figure[1] == "objective" and len(figure) == 3:
            return scores.objective(figure[2]).derivation()
        if figure[1] == "rollup" and len(figure) in (3, 4):
            found = tree(scores)
            found.node(figure[2])
            area = figure[3] if len(figure) == 4 else None
            if area is not None and area not in found.areas(figure[2]):
                areas = ", ".join(found.areas(figure[2])) or "none"
                raise click.ClickException(f"objective {figure[2]} has no children of area {area!r}"
                                           f" (their areas: {areas})")
            return found.rollup_derivation(figure[2], area)
    elif figure == ["variations"]:
        scores = achievement(events, cut, year)
        return variations(events, cut, scores.year).derivation()
    return None


def _budget_derivation(table: Budget, scope: str, rest: list[str],
                       objectives: Callable[[], Tree] | None = None) -> Derivation | None:
    if scope == "resources" and len(rest) == 2 and objectives is not None:
        from projections.budget_views import resources_group

        t = objectives()
        t.node(rest[0])
        if rest[1] not in ("budget", "reserved"):
            raise click.UsageError("resources are explained as budget (preventivo) or reserved (consuntivo)")
        return explain_group(resources_group(table, t, rest[0]), rest[1], "objective and descendants")
    if scope == "item" and len(rest) == 2:
        return explain_row(table.row(rest[0]), _column(rest[1]))
    if scope in ("objective", "line") and len(rest) == 2:
        group = table.objective(rest[0]) if scope == "objective" else table.line(rest[0])
        if rest[1] == "ratio":
            return explain_ratio(group, scope)
        return explain_group(group, _column(rest[1]), scope)
    if scope == "total" and len(rest) == 1:
        if rest[0] == "ratio":
            return explain_ratio(table.total, "the")
        return explain_group(table.total, _column(rest[0]), "the")
    return None


def _column(name: str) -> str:
    if name not in COLUMNS:
        raise click.UsageError(f"unknown budget column {name!r}; one of {', '.join(COLUMNS)}")
    return name
