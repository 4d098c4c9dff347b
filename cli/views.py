"""What the figure commands print: the rows, JSON and tables of budget, achievement, variations, report.

Each command replays the events through one projection and hands the result here;
explain prints the derivation the same projection built alongside the figure.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from cli.options import open_store
from cli.output import cell, percent, render, to_json
from events import LedgerEvent
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
    LABELS,
    Budget,
    Group,
    Row,
    budget,
    budget_of,
    explain_group,
    explain_ratio,
    explain_row,
)
from projections.explain import Derivation, with_proofs
from projections.facts import Cut, Known, known_facts
from projections.variations import Variations, variations

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "cciaa-massa-carrara-2012" / "events.jsonl"


@contextmanager
def replay(ctx: click.Context) -> Iterator[list[LedgerEvent]]:
    with open_store(ctx) as store:
        yield list(store.events())


@contextmanager
def plan_replay(ctx: click.Context, cut: Cut) -> Iterator[tuple[Store, Known, int]]:
    """The store, the facts achievement and variations read (not the budget's) known at the cut, and
    the head they were read to (so the budget of the same report is read to it too)."""
    with open_store(ctx) as store:
        head = store.length()
        yield store, known_facts(store.events(upto=head, types=PLAN_FACTS), cut, partial=True), head


# -- budget ----------------------------------------------------------------------------------
def _amounts(group_amounts: Any) -> dict[str, Decimal]:
    return {c: group_amounts.get(c) for c in COLUMNS}


def budget_rows(table: Budget) -> list[dict[str, Any]]:
    """Products with their subtotals in the seed's order: rows, objective, line, grand total."""
    rows: list[dict[str, Any]] = []
    for line in table.lines:
        for objective in (g for g in table.objectives if g.rows[0].line == line.key):
            for row in objective.rows:
                rows.append({"level": "product", "line": row.line, "objective": row.objective,
                             "item": row.item, "product": row.product, **_amounts(row.amounts)})
            rows.append({"level": "objective", "line": line.key, "objective": objective.key, "item": None,
                         "product": f"{objective.key}. {objective.title} Somma",
                         **_amounts(objective.amounts)})
        rows.append({"level": "line", "line": line.key, "objective": None, "item": None,
                     "product": f"{line.key} - {line.title} Totale", **_amounts(line.amounts)})
    rows.append({"level": "total", "line": None, "objective": None, "item": None,
                 "product": "Totale complessivo", **_amounts(table.total.amounts)})
    return rows


def ratio_rows(table: Budget, locale: str) -> list[dict[str, Any]]:
    groups = [*table.objectives, table.total]

    def places(ratio: Decimal | None) -> int:
        return 1 if ratio is not None and ratio < Decimal("0.01") else 0

    return [
        {"objective": g.key, "title": g.title, "total": g.amounts.total, "reserved": g.amounts.reserved,
         "available": g.amounts.available, "ratio": percent(g.ratio, places(g.ratio), locale)}
        for g in groups
    ]


def budget_json(table: Budget) -> dict[str, Any]:
    def group(g: Group, kind: str) -> dict[str, Any]:
        return {kind: g.key, "title": g.title, **_amounts(g.amounts), "ratio": g.ratio}

    return {
        "rows": [{"line": r.line, "objective": r.objective, "item": r.item, "product": r.product,
                  **_amounts(r.amounts), **_overrides(r)}
                 for r in table.rows],
        "objectives": [group(g, "objective") for g in table.objectives],
        "lines": [group(g, "line") for g in table.lines],
        "total": {**_amounts(table.total.amounts), "ratio": table.ratio},
    }


def _overrides(row: Row) -> dict[str, Any]:
    """A row's overrides, for JSON: only on a row that has some."""
    if not row.overrides:
        return {}
    return {"overrides": [{"event": o.event, "reason": o.reason} for o in row.overrides]}


def override_notes(table: Budget) -> list[str]:
    """One line per override granted on a row: the item, the reason and the event that gave it."""
    return [f"{row.item} {row.product}: {o.reason} (event {o.event})"
            for row in table.rows for o in row.overrides]


def show_budget(table: Budget, fmt: str, locale: str) -> str:
    if fmt == "json":
        return to_json(budget_json(table))
    rows = budget_rows(table)
    notes = override_notes(table)
    if fmt == "csv":
        if notes:  # a column of its own, only when some row has an override
            reasons = {r.item: "; ".join(f"{o.reason} (event {o.event})" for o in r.overrides)
                       for r in table.rows}
            rows = [{**row, "override": reasons.get(row["item"], "") if row["level"] == "product" else ""}
                    for row in rows]
        return render(rows, fmt)
    headers = {"line": "Linea", "objective": "Obiettivo", "product": "Prodotto", **LABELS}
    shown = [{headers[k]: v for k, v in row.items() if k in headers} for row in rows]
    ratios = [{"Obiettivo": r["objective"], "Totale": r["total"], "Prenotato": r["reserved"],
               "Disponibile": r["available"], "Disponibile/Totale": r["ratio"]}
              for r in ratio_rows(table, locale)]
    footnote = "".join(f"\n  {note}" for note in notes)
    if notes:
        footnote = "\n\nOverrides (availability allowed below zero):" + footnote
    return render(shown, fmt, locale=locale) + footnote + "\n\n" + render(ratios, fmt, locale=locale)


# -- achievement -----------------------------------------------------------------------------
def indicator_json(i: IndicatorScore) -> dict[str, Any]:
    d = i.definition
    return {
        "id": i.code, "title": d.title, "weight": i.weight, "direction": d.direction, "target": i.target,
        "unit": d.unit, "source": d.source, "value": i.value, "achievement": i.achievement,
        "percent": None if i.achievement is None else rounded_percent(i.achievement), "rule": i.rule,
        "counts": i.counts, "excluded": i.excluded,
    }


def objective_json(o: ObjectiveScore) -> dict[str, Any]:
    d = o.definition
    return {
        "id": o.code, "title": d.title, "level": d.level, "perspective": d.perspective, "parent": d.parent,
        "struck": None if o.struck is None else {"cause": o.struck.cause, "reason": o.struck.reason},
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
        return str(cell(date.fromisoformat(raw), locale))
    number = Decimal(raw)
    if unit == "%":
        return percent(number, 0, locale)
    text = f"{number:,.2f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".") if locale == "it" else text


ACHIEVEMENT_CSV = ("objective", "indicator", "title", "weight", "direction", "unit", "source", "value",
                   "target", "achievement", "percent", "counts", "excluded", "band")


def achievement_csv_rows(a: Achievement) -> list[dict[str, Any]]:
    """One row per objective and per indicator, with the data unformatted (decimal strings, ISO dates)."""
    rows: list[dict[str, Any]] = []
    for o in a.objectives:
        rows.append({"objective": o.code, "indicator": None, "title": o.definition.title,
                     "achievement": o.achievement,
                     "percent": None if o.achievement is None else rounded_percent(o.achievement),
                     "band": o.band,
                     "excluded": "struck" if o.struck is not None else None})
        for i in o.indicators:
            rows.append({**indicator_json(i), "objective": o.code, "indicator": i.code})
    return rows


def _weight(weight: Decimal, locale: str) -> str:
    text = f"{weight:f}%"
    return text.replace(".", ",") if locale == "it" else text


def show_achievement(a: Achievement, fmt: str, locale: str) -> str:
    if fmt == "json":
        return to_json(achievement_json(a))
    if fmt == "csv":
        return render(achievement_csv_rows(a), fmt, columns=ACHIEVEMENT_CSV)
    rows: list[dict[str, Any]] = []
    for o in a.objectives:
        struck = " (struck)" if o.struck is not None else ""
        rows.append({"id": o.code, "title": f"{o.definition.title[:70]}{struck}", "level": o.definition.level,
                     "weight": "", "value": "", "target": "",
                     "achievement": percent(o.achievement, 0, locale),
                     "band": o.band or ""})
        for i in o.indicators:
            unit = i.definition.unit
            measured = i.achievement is not None or i.value == "ND"
            rows.append({"id": f"  {i.code}", "title": f"  {i.definition.title[:68]}", "level": "",
                         "weight": _weight(i.weight, locale), "value": shown(i.value, unit, locale),
                         "target": shown(i.target, unit, locale),
                         "achievement": percent(i.achievement, 0, locale) if measured else "-",
                         "band": "" if i.counts else (i.excluded or "")})
    summary = [{"entity level": percent(a.entity, 0, locale), **a.bands}]
    means = [{"mean of": f"perspective {name}", "achievement": percent(value, 0, locale)}
             for name, value in a.by_perspective().items()]
    means += [{"mean of": f"{level} objectives", "achievement": percent(value, 0, locale)}
              for level, value in a.by_level().items() if value is not None]
    return "\n\n".join(render(part, fmt, locale=locale) for part in (rows, summary, means))


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


def show_variations(v: Variations, target: str | None, fmt: str, locale: str) -> str:
    data = variations_json(v, target)
    if fmt == "json":
        return to_json(data)
    if fmt == "csv":
        return render(data["changes"], fmt, columns=CHANGES_CSV)
    shown_changes = [dict(c, effective_date=date.fromisoformat(c["effective_date"])) for c in data["changes"]]
    columns = ["effective_date", "objective", "cause", "counts", "what"]
    changes = render(shown_changes, fmt, locale=locale, columns=columns)
    summary = {"changes counted (internal)": v.count, "strategic objectives": len(v.objectives),
               "ratio": percent(v.ratio, 1, locale),
               "target": percent(Decimal(target), 0, locale) if target and target != "ND" else "",
               **{f"cause {k}": n for k, n in v.by_cause.items()}}
    return changes + "\n\n" + render([summary], fmt, locale=locale)


def report_data(events: list[LedgerEvent], cut: Cut | None, year: int | None) -> dict[str, Any]:
    """The report's three tables as JSON-ready data (what `report --format json` prints), from events."""
    cut = cut or Cut()
    known = known_facts(events, cut)  # folded once for the three tables
    scores = achievement(known, cut, year)
    return report_json(cut, scores, budget(known, cut, scores.year), variations(known, cut, scores.year))


def report_json(cut: Cut, scores: Achievement, table: Budget, changes: Variations) -> dict[str, Any]:
    return {
        "year": scores.year,
        "as_of": None if cut.as_of is None else cut.as_of.isoformat(),
        "known_at": known_at_json(cut.known_at),
        "budget": budget_json(table),
        "achievement": achievement_json(scores),
        "variations": variations_json(changes, variations_target(scores)),
    }


def report_text(ctx: click.Context, cut: Cut, year: int | None, fmt: str, locale: str) -> str:
    with plan_replay(ctx, cut) as (store, known, head):
        scores = achievement(known, cut, year)
        table = budget_of(store, cut, scores.year, upto=head)  # the budget's read model, or a replay
        changes = variations(known, cut, scores.year)
    if fmt == "json":
        return to_json(report_json(cut, scores, table, changes))
    target = variations_target(scores)
    parts = [
        f"Budget {scores.year}" + (f" as of {cell(cut.as_of, locale)}" if cut.as_of else ""),
        show_budget(table, fmt, locale),
        f"\nAchievement {scores.year}",
        show_achievement(scores, fmt, locale),
        f"\nVariations to objectives {scores.year}",
        show_variations(changes, target, fmt, locale),
    ]
    return "\n".join(parts)


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


def known_at_json(known_at: int | datetime | None) -> int | str | None:
    if isinstance(known_at, datetime):
        return known_at.isoformat().replace("+00:00", "Z")
    return known_at


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
    return derivation


def _derivation(events: list[LedgerEvent], figure: list[str], cut: Cut,
                year: int | None) -> Derivation | None:
    """The derivation of the figure named, or None if no figure has that name (IndexError if cut short)."""
    if figure[0] == "budget":
        return _budget_derivation(budget(events, cut, year), figure[1], figure[2:])
    if figure[0] == "achievement":
        scores = achievement(events, cut, year)
        if figure[1:2] == ["entity"]:
            return scores.entity_derivation()
        if figure[1] == "indicator" and len(figure) == 3:
            return scores.indicator(figure[2]).derivation()
        if figure[1] == "objective" and len(figure) == 3:
            return scores.objective(figure[2]).derivation()
    elif figure == ["variations"]:
        scores = achievement(events, cut, year)
        return variations(events, cut, scores.year).derivation()
    return None


def _budget_derivation(table: Budget, scope: str, rest: list[str]) -> Derivation | None:
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
