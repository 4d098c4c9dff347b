"""Budget availability: per product, per objective, per line and in total.

Columns (euros, Decimal):

- Budget: the initial amount of the item (BudgetItemOpened);
- Variazioni: the sum of its signed variations (BudgetVaried);
- Totale = Budget + Variazioni;
- Prenotato: the sum of its reservations (ReservationMade);
- Approvato: the sum of approvals of those reservations (ReservationApproved);
- Rettificato: the sum of signed adjustments of those reservations
  (ReservationAdjusted). A positive rettifica releases reserved money;
- Disponibile = Totale - (Prenotato - Rettificato). Approvato plays no part:
  the unapproved part of a reservation stays locked.

Subtotals are sums of their rows; the ratio Disponibile / Totale per objective
is the seed's "ICT_" summary. An item belongs to one objective of the tree, on any level; the table
counts it under that objective's ancestor on the plan's scored level (an operational objective's
item under its strategic objective). Items on no policy line are grouped apart (``off_line``), out
of the seed's table: its "Totale complessivo" stays the policy lines'; ``overall`` adds both. A row
lists the overrides granted on it (a fact's or a correction's ``override_reason``, which let
Disponibile fall below zero), for a plan under the tree's rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from events import (
    BudgetItemOpened,
    BudgetVaried,
    EventCorrected,
    LedgerEvent,
    ObjectiveDefined,
    PlanOpened,
    PolicyLineDefined,
    ReservationAdjusted,
    ReservationApproved,
    ReservationMade,
)
from ledger.amounts import BASE, COLUMNS, ZERO, Amounts

if TYPE_CHECKING:
    from ledger.application import Store
    from ledger.budget_query import Sum
    from ledger.readmodel import LabelRow
from ledger.references import tree_plan
from projections.explain import Derivation, EventRef, refs
from projections.facts import EVERYTHING, Cut, Events, Fact, in_force, known_facts, plan_of, plan_year

LABELS = {
    "budget": "Budget",
    "variations": "Variazioni",
    "total": "Totale",
    "reserved": "Prenotato",
    "approved": "Approvato",
    "adjusted": "Rettificato",
    "available": "Disponibile",
}


class Entry(NamedTuple):
    """One event's contribution to one column of one item."""

    column: str
    amount: Decimal
    fact: Fact


class Override(NamedTuple):
    """An override of availability granted on an item: by event ``event`` (sequence number ``seq``),
    for ``reason``. The fact it came with may leave Disponibile below zero (``ledger.availability``)."""

    seq: int
    event: str
    reason: str


@dataclass
class Row:
    item: str
    line: str | None  # None: not on a policy line
    objective: str
    product: str
    sums: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BASE, ZERO))
    entries: list[Entry] = field(default_factory=list)
    overrides: list[Override] = field(default_factory=list)  # in recording order

    @property
    def amounts(self) -> Amounts:
        return Amounts(**self.sums)

    def add(self, column: str, amount: Decimal, fact: Fact) -> None:
        self.sums[column] += amount
        self.entries.append(Entry(column, amount, fact))


@dataclass(frozen=True)
class Group:
    """A subtotal: an objective within a line, or a line."""

    key: str
    title: str
    rows: tuple[Row, ...]

    @property
    def amounts(self) -> Amounts:
        return sum((row.amounts for row in self.rows), Amounts())

    @property
    def ratio(self) -> Decimal | None:
        """Disponibile / Totale (None when Totale is 0)."""
        total = self.amounts.total
        return None if total == 0 else self.amounts.available / total


OFF_LINE = "not on a policy line"


@dataclass(frozen=True)
class Budget:
    """The seed's table (``rows``: the items on a policy line, their ``objectives`` and ``lines``, and
    their ``total``, "Totale complessivo"), and apart from it the items on no policy line (``off_line``,
    grouped by objective in ``off_line_objectives``); ``overall`` adds both."""

    rows: tuple[Row, ...]
    objectives: tuple[Group, ...]
    lines: tuple[Group, ...]
    cut: Cut
    off_line: Group = Group("-", OFF_LINE, ())
    off_line_objectives: tuple[Group, ...] = ()

    @property
    def total(self) -> Group:
        """The policy lines' grand total: the seed's "Totale complessivo"."""
        return Group("total", "Totale complessivo", self.rows)

    @property
    def overall(self) -> Group:
        """Every item: on a policy line or not."""
        title = "Totale generale" if self.off_line.rows else "Totale complessivo"
        return Group("overall", title, self.every_row)

    @property
    def every_row(self) -> tuple[Row, ...]:
        return (*self.rows, *self.off_line.rows)

    @property
    def ratio(self) -> Decimal | None:
        return self.total.ratio

    def row(self, item: str) -> Row:
        for row in self.every_row:
            if row.item == item:
                return row
        raise KeyError(item)

    def objective(self, code: str) -> Group:
        for group in self.objectives:
            if group.key == code:
                return group
        raise KeyError(code)

    def line(self, code: str) -> Group:
        for group in self.lines:
            if group.key == code:
                return group
        raise KeyError(code)


def budget(events: Events, cut: Cut = EVERYTHING, year: int | None = None) -> Budget:
    """Fold the events into the budget table of ``year`` (default: the latest plan) as it stood at ``cut``."""
    facts = known_facts(events, cut)
    plan = plan_of(facts, cut, year)
    year = plan.year
    titles: dict[str, str] = {}
    years: dict[str, int] = {}
    for fact in facts:
        if isinstance(fact.current, ObjectiveDefined):
            titles[f"objective:{fact.objective}"] = fact.title
            years[fact.objective] = fact.year
        elif isinstance(fact.current, PolicyLineDefined):
            titles[f"line:{fact.line}"] = fact.title
    rows: dict[str, Row] = {}
    reservations: dict[str, str] = {}
    for fact in in_force(facts, cut):
        event = fact.current
        if isinstance(event, BudgetItemOpened):
            if years.get(event.objective) != year:
                continue
            row = rows[event.item] = Row(event.item, event.line, event.objective, event.product)
            row.add("budget", event.amount, fact)
        elif isinstance(event, BudgetVaried) and event.item in rows:
            rows[event.item].add("variations", event.amount, fact)
        elif isinstance(event, ReservationMade) and event.item in rows:
            reservations[event.reservation] = event.item
            rows[event.item].add("reserved", event.amount, fact)
        elif isinstance(event, ReservationApproved) and event.reservation in reservations:
            rows[reservations[event.reservation]].add("approved", event.amount, fact)
        elif isinstance(event, ReservationAdjusted) and event.reservation in reservations:
            rows[reservations[event.reservation]].add("adjusted", event.amount, fact)
    # A plan of an earlier version shows none, as its read model holds none.
    if isinstance(plan.current, PlanOpened) and tree_plan(plan.current):
        for row in rows.values():
            row.overrides = overrides_of(row.entries)
    return _table(tuple(rows.values()), titles, cut, scored_ancestors(facts))


def overrides_of(entries: Sequence[Entry]) -> list[Override]:
    """The overrides granted with the facts of these entries or their corrections, by sequence number."""
    found = []
    for entry in entries:
        fact = entry.fact
        reason = getattr(fact.current, "override_reason", None)
        if reason is not None:
            found.append(Override(fact.original.seq, fact.original.event_id, reason))
        found += [Override(c.seq, c.event_id, c.override_reason) for c in fact.corrections
                  if c.override_reason is not None]
    return sorted(found)


def scored_ancestors(facts: Iterable[Fact]) -> dict[str, str]:
    """Each objective's ancestor on its plan's scored level: the objective the table groups its items
    under (itself when it is on that level, above it, or has no ancestor there)."""
    plans: dict[int, PlanOpened] = {}
    objectives: dict[str, ObjectiveDefined] = {}
    for fact in facts:
        if isinstance(fact.current, PlanOpened):
            plans[fact.current.year] = fact.current
        elif isinstance(fact.current, ObjectiveDefined):
            objectives[fact.current.objective] = fact.current
    under: dict[str, str] = {}
    for code, found in objectives.items():
        plan = plans.get(found.year)
        level = "strategic" if plan is None else plan.scored_level
        seen = {code}
        while found.level != level and found.parent in objectives and found.parent not in seen:
            found = objectives[found.parent]
            seen.add(found.objective)
        under[code] = found.objective if found.level == level else code
    return under


def _table(ordered: tuple[Row, ...], titles: dict[str, str], cut: Cut,
           under: Mapping[str, str] | None = None) -> Budget:
    """Rows grouped by objective (the one on the scored level each row's objective sits ``under``) and
    by policy line, in the order of their first row; rows on no line apart, grouped by objective too."""
    under = under or {}
    objectives: dict[str, list[Row]] = {}
    lines: dict[str, list[Row]] = {}
    off: dict[str, list[Row]] = {}
    for row in ordered:
        grouped = off if row.line is None else objectives
        grouped.setdefault(under.get(row.objective, row.objective), []).append(row)
        if row.line is not None:
            lines.setdefault(row.line, []).append(row)

    def groups(kind: str, found: dict[str, list[Row]]) -> tuple[Group, ...]:
        return tuple(Group(code, titles.get(f"{kind}:{code}", code), tuple(rows))
                     for code, rows in found.items())

    return Budget(
        rows=tuple(row for row in ordered if row.line is not None),
        objectives=groups("objective", objectives),
        lines=groups("line", lines),
        cut=cut,
        off_line=Group("-", OFF_LINE, tuple(row for row in ordered if row.line is None)),
        off_line_objectives=groups("objective", off),
    )


def budget_of(
    store: Store, cut: Cut = EVERYTHING, year: int | None = None, upto: int | None = None
) -> Budget:
    """The budget table at ``cut``: from the store's read model when it can answer, else by replaying.

    Both give the same figures (the tests compare them on random ledgers);
    the read model's rows carry no entries, so ``explain`` always replays.
    ``upto``: read no event after this sequence number (another table of
    the same report was read to it).
    """
    known_at = cut.known_at
    if upto is not None and not isinstance(known_at, datetime):
        known_at = upto if known_at is None else min(known_at, upto)
    model = None if isinstance(known_at, datetime) else store.budget_model(known_at, cut.as_of)
    if model is None:
        return budget(store.events(upto=upto), cut, year)
    return model_budget(store, model, cut, year)


def model_budget(store: Store, model: tuple[Sequence[LabelRow], Sequence[Sum]], cut: Cut,
                 year: int | None) -> Budget:
    """The budget table from the store's read model (``store.budget_model``), each item counted under
    its objective's ancestor on the scored level (read from the objectives' own events)."""
    labels, sums = model
    return budget_from_model(labels, sums, cut, year, scored_ancestors(_tree_facts(store, labels, cut)))


def _tree_facts(store: Store, labels: Sequence[LabelRow], cut: Cut) -> list[Fact]:
    """The plans and objectives the labels name, as corrected: their events read by sequence number,
    in runs of near numbers (a plan's objectives are defined together), not by scanning the chain."""
    kinds = ("plan", "objective")
    seqs = sorted({n for label in labels if label.kind in kinds for n in (label.seq, label.origin)})
    events: list[LedgerEvent] = []
    for low, high in _runs(seqs):
        events += store.events(after=low - 1, upto=high, types=(PlanOpened, ObjectiveDefined, EventCorrected))
    return known_facts(events, cut, partial=True)


def _runs(seqs: list[int], gap: int = 256) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for seq in seqs:
        if runs and seq - runs[-1][1] <= gap:
            runs[-1] = (runs[-1][0], seq)
        else:
            runs.append((seq, seq))
    return runs


def budget_from_model(labels: Sequence[LabelRow], sums: Sequence[Sum], cut: Cut, year: int | None,
                      under: Mapping[str, str] | None = None) -> Budget:
    """The budget table from the read model: labels as known at the cut, sums (cents) known and in force."""
    current: dict[tuple[str, int], LabelRow] = {}  # each defining event's latest version
    for label in labels:  # ordered by origin, then sequence number
        current[label.kind, label.origin] = label
    plans, items, titles, overrides = [], [], {}, []
    for label in current.values():
        in_force = cut.holds(date.fromisoformat(label.day))
        if label.kind == "plan" and in_force:
            plans.append(label.year)
        elif label.kind == "item":
            if in_force:
                items.append(label)
        elif label.kind == "override":
            if in_force and label.title:
                overrides.append(label)
        else:
            titles[f"{label.kind}:{label.code}"] = label.title  # the latest defined wins, as in the replay
    chosen = plan_year(plans, cut, year)
    rows = {item.code: Row(item.code, item.line or None, item.objective, item.title)  # "": on no line
            for item in items if item.year == chosen}
    for total in sums:
        if total.item in rows:
            rows[total.item].sums[total.column] = Decimal(total.cents).scaleb(-2)
    for label in sorted(overrides, key=lambda label: label.origin):
        if label.code in rows:
            rows[label.code].overrides.append(Override(label.origin, label.objective, label.title))
    return _table(tuple(rows.values()), titles, cut, under)


def _money(value: Decimal) -> str:
    return f"{value:f}"


def explain_row(row: Row, column: str) -> Derivation:
    """How one product's column was reached, event by event."""
    figure = f"{LABELS[column]} of item {row.item} ({row.product})"
    value = row.amounts.get(column)
    if column == "total":
        return Derivation(
            figure,
            value,
            f"Budget + Variazioni = {_money(row.amounts.budget)} + {_money(row.amounts.variations)}"
            f" = {_money(value)}",
            parts=(explain_row(row, "budget"), explain_row(row, "variations")),
        )
    if column == "available":
        a = row.amounts
        return Derivation(
            figure,
            value,
            f"Totale - (Prenotato - Rettificato) = {_money(a.total)}"
            f" - ({_money(a.reserved)} - {_money(a.adjusted)}) = {_money(value)}",
            parts=(*(explain_row(row, c) for c in ("total", "reserved", "adjusted")),
                   *(_granted(row, o) for o in row.overrides)),
        )
    entries = [e for e in row.entries if e.column == column]
    terms = " + ".join(_money(e.amount) for e in entries) or "0"
    events: list[EventRef] = []
    reasons = {o.event: o.reason for o in row.overrides}
    for entry in entries:
        granted = reasons.get(entry.fact.original.event_id)
        events += refs(entry.fact, f"{'+' if entry.amount >= 0 else ''}{_money(entry.amount)}"
                       + ("" if granted is None else f" (override: {granted})"))
    return Derivation(
        figure, value, f"sum of {len(entries)} event(s) = {terms} = {_money(value)}", tuple(events)
    )


def _granted(row: Row, override: Override) -> Derivation:
    """An override on a row's availability, for explain: who granted it, and why."""
    return Derivation(
        f"Override of item {row.item} ({row.product})",
        override.reason,
        f"override granted by {override.event}: {override.reason}; Disponibile may fall below zero",
        tuple(ref for entry in row.entries for ref in refs(entry.fact, "grants the override")
              if ref.id == override.event),
    )


def explain_group(group: Group, column: str, kind: str) -> Derivation:
    """A subtotal is the sum of its rows; each row explains itself."""
    value = group.amounts.get(column)
    terms = " + ".join(_money(row.amounts.get(column)) for row in group.rows) or "0"
    return Derivation(
        f"{LABELS[column]} of {kind} {group.key} ({group.title})",
        value,
        f"sum of {len(group.rows)} product(s) = {terms} = {_money(value)}",
        parts=tuple(explain_row(row, column) for row in group.rows),
    )


def explain_ratio(group: Group, kind: str) -> Derivation:
    a = group.amounts
    ratio = group.ratio
    return Derivation(
        f"Disponibile / Totale of {kind} {group.key} ({group.title})",
        ratio,
        f"{_money(a.available)} / {_money(a.total)} = {'ND' if ratio is None else f'{ratio:.6f}'}",
        parts=(explain_group(group, "available", kind), explain_group(group, "total", kind)),
    )


__all__ = ["COLUMNS", "LABELS", "OFF_LINE", "Amounts", "Budget", "Group", "Override", "Row", "budget",
           "explain_group", "explain_ratio", "explain_row", "scored_ancestors"]
