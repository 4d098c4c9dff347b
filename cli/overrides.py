"""The overrides granted on the budget's rows, as every view of the budget prints them: on the JSON rows
that have some, as a CSV column and as a section under the table (only when some row has one)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cli.labels import tr
from projections.budget import Row


def overrides_json(row: Row) -> dict[str, Any]:
    """A row's overrides, for JSON: only on a row that has some."""
    if not row.overrides:
        return {}
    return {"overrides": [{"event": o.event, "reason": o.reason} for o in row.overrides]}


def override_notes(rows: Iterable[Row], locale: str = "en") -> list[str]:
    """One line per override granted on a row: the item, the reason and the event that gave it."""
    event = tr("event", locale)
    return [f"{row.item} {row.product}: {o.reason} ({event} {o.event})"
            for row in rows for o in row.overrides]


def override_column(rows: Iterable[Row]) -> dict[str, str]:
    """Each row's overrides as a CSV cell: the reasons and the events that gave them."""
    return {r.item: "; ".join(f"{o.reason} (event {o.event})" for o in r.overrides) for r in rows}


def override_footnote(notes: list[str], locale: str = "en") -> str:
    """The overrides under a table: a section of their own, only when some row has one."""
    return "" if not notes else "\n\n" + tr("Overrides (availability allowed below zero):", locale) + "".join(
        f"\n  {note}" for note in notes)
