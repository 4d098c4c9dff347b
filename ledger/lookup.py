"""What a book restored from a snapshot looks up in the store (ledger.book.Lookup), through the recorder."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from events import EventCorrected, LedgerEvent
from ledger.codec import decode
from ledger.recorders import LedgerRecorder

# A read of the ledger's tables, written as for SQLite (``?`` marks parameters, ``{events}`` names the
# events table and ``{ledger}`` the ledger's id): a recorder's ``query``, or a writer's (ledger.recorders).
Query = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]

CHUNK = 500  # ids per query: well below SQLite's limit of bound parameters


class StoreLookup:
    """The stored events a restored book needs, found by the ``perfledger_ids`` index.

    Read through ``source``: a recorder (its committed rows, over a connection of its own) or a
    query function, such as a writer's ``query``, which also sees the rows its transaction wrote.
    """

    def __init__(self, source: LedgerRecorder | Query):
        self.query: Query = source if callable(source) else source.query

    def _events(self, where: str, params: Sequence[Any]) -> list[LedgerEvent]:
        rows = self.query(
            "SELECT e.originator_version, e.topic, e.state FROM perfledger_ids i JOIN {events} e"
            " ON e.originator_id = {ledger} AND e.originator_version = i.seq"
            " WHERE " + where + " ORDER BY i.seq",
            params,
        )
        return [decode(seq, topic, bytes(state)) for seq, topic, state in rows]

    def recorded(self, event_ids: Sequence[str], upto: int) -> dict[str, LedgerEvent]:
        found: dict[str, LedgerEvent] = {}
        for start in range(0, len(event_ids), CHUNK):
            chunk = list(event_ids[start : start + CHUNK])
            marks = ", ".join("?" * len(chunk))
            for event in self._events(f"i.event_id IN ({marks}) AND i.seq <= ?", [*chunk, upto]):
                found[event.event_id] = event
        return found

    def corrections(self, event_id: str, upto: int) -> list[EventCorrected]:
        return self._events("i.corrects = ? AND i.seq <= ?", (event_id, upto))  # type: ignore[return-value]

    def reservation_facts(self, reservation: str, upto: int) -> list[str]:
        rows = self.query(
            "SELECT event_id FROM perfledger_ids"
            " WHERE reservation = ? AND corrects IS NULL AND seq <= ? ORDER BY seq",
            (reservation, upto),
        )
        return [row[0] for row in rows]

    def reservations_known(self, reservations: Sequence[str], upto: int) -> set[str]:
        """Which of these reservation codes have facts stored by ``upto``."""
        found: set[str] = set()
        for start in range(0, len(reservations), CHUNK):
            chunk = list(reservations[start : start + CHUNK])
            marks = ", ".join("?" * len(chunk))
            rows = self.query(
                f"SELECT DISTINCT reservation FROM perfledger_ids WHERE reservation IN ({marks})"
                " AND corrects IS NULL AND seq <= ?",
                [*chunk, upto],
            )
            found.update(row[0] for row in rows)
        return found

    def seq_of(self, event_id: str) -> int | None:
        """The sequence number of the event with this id, as the index knows it."""
        rows = self.query("SELECT seq FROM perfledger_ids WHERE event_id = ?", (event_id,))
        return int(rows[0][0]) if rows else None
