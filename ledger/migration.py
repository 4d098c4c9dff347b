"""Where a ledger's migrated history ends (HistoryMigrated), for verify, log and the figures' notes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from events import HistoryMigrated, LedgerEvent

if TYPE_CHECKING:
    from ledger.application import Store


def migration_of(store: Store) -> tuple[int, datetime] | None:
    """(the last migrated event, when the migration was recorded), None if nothing was migrated.

    HistoryMigrated closes the batch that creates a ledger, so it is found by the id index when the
    read model keeps one, else among the first events.
    """
    seq = _indexed(store)
    candidates = [store.event_at(seq)] if seq is not None else []
    if not any(isinstance(event, HistoryMigrated) for event in candidates):
        candidates = _first_events(store)  # no index, or an id that only looks like the migration's
    for event in candidates:
        if isinstance(event, HistoryMigrated):
            return event.upto, event.recorded_at
    return None


def _indexed(store: Store) -> int | None:
    if store.recorder.derived_upto() is None:
        return None
    found = store.recorder.query(
        "SELECT seq FROM perfledger_ids WHERE event_id LIKE ? ORDER BY seq LIMIT 1", ("history-migrated%",))
    return int(found[0][0]) if found else None


def _first_events(store: Store) -> list[LedgerEvent]:
    """Without the index: a HistoryMigrated among the events (read by type, the store's own filter)."""
    for event in store.events(types=[HistoryMigrated]):
        return [event]
    return []
