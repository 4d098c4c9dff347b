"""The read model the book derives as it folds events: budget rows, labels and the id index.

The stores insert these rows positionally and ``perfledger verify`` compares them with the stored
ones, so each row's fields keep the order of the tables' columns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from events import BudgetItemOpened, LedgerEvent, ObjectiveDefined, PlanOpened, PolicyLineDefined

if TYPE_CHECKING:
    from ledger.state import ItemState


class BudgetRow(NamedTuple):
    """A change of an item's column, counted from ``day`` (ISO), in cents."""

    seq: int
    item: str
    column: str
    day: str
    cents: int


class LabelRow(NamedTuple):
    """What the budget table shows of a plan, line, objective or item; ``origin`` is its defining event.

    Kind ``override``: an override of availability granted on item ``code`` by the event ``objective``
    names (``origin``, its sequence number), for the reason ``title`` ("" once a correction withdraws it).
    """

    seq: int
    origin: int
    kind: str
    code: str
    day: str
    year: int
    line: str
    objective: str
    title: str


class IdRow(NamedTuple):
    """An event's id, sequence number, the id it corrects and the reservation it concerns."""

    event_id: str
    seq: int
    corrects: str | None
    reservation: str | None


@dataclass
class Derived:
    """Rows derived from the events after ``after``: the budget's read model and the id index.

    ``budget``: one row per change of an item's column, counted from ``day``
    (the latest of the fact's, its reservation's and its item's effective
    dates: a fact counts as of a date only when what it refers to does). A
    correction gives two rows at its own sequence number: the original's
    amount taken back, the corrected one added. ``labels``: plans, lines,
    objectives and items, as defined or corrected, and the overrides granted
    (under the tree's rules). ``ids``: every event, what
    a book restored from a snapshot looks events up by.
    """

    after: int
    budget: list[BudgetRow] = dataclasses.field(default_factory=list)
    labels: list[LabelRow] = dataclasses.field(default_factory=list)
    ids: list[IdRow] = dataclasses.field(default_factory=list)

    def drain(self) -> tuple[list[BudgetRow], list[LabelRow], list[IdRow]]:
        found = self.budget, self.labels, self.ids
        self.budget, self.labels, self.ids = [], [], []
        return found

    def change(self, seq: int, item: str, column: str, day: date, amount: Decimal) -> None:
        """An item's column changed by ``amount`` at event ``seq``, counted from ``day``."""
        self.budget.append(BudgetRow(seq, item, column, day.isoformat(), int(amount * 100)))

    def label(self, seq: int, origin: int, fact: LedgerEvent, items: Mapping[str, ItemState]) -> None:
        """The label ``fact`` leaves at event ``seq``, if it is a plan, line, objective or item."""
        shown = LABELS.get(type(fact))
        if shown is not None:
            kind, code, year, line, objective, title = shown(fact, items)
            self.labels.append(
                LabelRow(
                    seq, origin, kind, code, fact.effective_date.isoformat(), year, line, objective, title
                )
            )

    def override(self, seq: int, origin: int, item: ItemState, event_id: str, reason: str, day: date) -> None:
        """An override granted (``reason``; "" withdraws it) on ``item`` by ``event_id`` (``origin``)."""
        self.labels.append(
            LabelRow(seq, origin, "override", item.item, day.isoformat(), item.year, "", event_id, reason)
        )

    def identify(self, event: LedgerEvent, corrects: str | None, reservation: str | None) -> None:
        self.ids.append(IdRow(event.event_id, event.seq, corrects, reservation))


Label = tuple[str, str, int, str, str, str]  # kind, code, year, line, objective, title


def plan_label(fact: PlanOpened, items: Mapping[str, ItemState]) -> Label:
    return "plan", str(fact.year), fact.year, "", "", ""


def line_label(fact: PolicyLineDefined, items: Mapping[str, ItemState]) -> Label:
    return "line", fact.line, fact.year, "", "", fact.title


def objective_label(fact: ObjectiveDefined, items: Mapping[str, ItemState]) -> Label:
    return "objective", fact.objective, fact.year, "", "", fact.title


def item_label(fact: BudgetItemOpened, items: Mapping[str, ItemState]) -> Label:
    return "item", fact.item, items[fact.item].year, fact.line or "", fact.objective, fact.product


LABELS: dict[type[LedgerEvent], Callable[[Any, Mapping[str, ItemState]], Label]] = {
    PlanOpened: plan_label,
    PolicyLineDefined: line_label,
    ObjectiveDefined: objective_label,
    BudgetItemOpened: item_label,
}
