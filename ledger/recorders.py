"""What the ledger needs of a store's recorder and of its write transactions (SQLite and PostgreSQL).

The recorders (ledger.sqlite_store, ledger.postgres_store) implement these; the application
(ledger.application) and the queries (ledger.budget_query, ledger.lookup) use only these.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, NamedTuple, Protocol
from uuid import UUID

from eventsourcing.persistence import StoredEvent

# A stored event as the recorders' ``rows`` read it: (seq, topic, canonical bytes[, the chain's hash]).
Row = tuple[Any, ...]


class Page(NamedTuple):
    """What one page of a write inserts: events, and the derived rows when the ledger keeps them."""

    events: Sequence[StoredEvent]
    budget: Sequence[tuple[Any, ...]] = ()
    labels: Sequence[tuple[Any, ...]] = ()
    ids: Sequence[tuple[Any, ...]] = ()
    derived_upto: int | None = None  # the sequence number the derived rows now reach; None: none kept
    snapshot: tuple[int, str, bytes] | None = None  # (seq, hash of event seq, the book's state)
    checkpoint: int | None = None  # take a checkpoint of the budget at this sequence number
    # How far the read model reached when the ledger was loaded: a writer that finds it moved since
    # (another writer wrote those rows) gives way, as for a moved head, instead of writing them twice.
    derived_from: int | None = None


class Writer(Protocol):
    """One write transaction of a store: the head it found under the lock, its clock, and pages."""

    # (seq, hash) read under the writers' lock; None: the key catches a moved head.
    head: tuple[int, str] | None
    now: datetime  # the store's clock
    server_clock: bool  # True: the store's clock stands whatever a caller asks
    caches: bool  # may this writer write the read model, checkpoints and snapshots?

    def write(self, page: Page) -> None: ...

    def query(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """A read in this transaction, which sees the pages written so far (written as for the
        recorder's ``query``)."""
        ...

    def clear_caches(self) -> None: ...


class LedgerRecorder(Protocol):
    """What the ledger needs of a store's recorder, beyond eventsourcing's (SQLite and PostgreSQL)."""

    def select_events(
        self, originator_id: UUID, *, gt: int | None = None, lte: int | None = None, desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]: ...

    def rows(
        self, after: int, limit: int, *, chain: bool = False, topics: Sequence[str] = (),
        upto: int | None = None,
    ) -> list[Row]: ...

    def insert_pages(self, pages: Iterable[Page]) -> None: ...

    def writer(self) -> AbstractContextManager[Writer]: ...

    def derived_upto(self) -> int | None: ...

    def query(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]: ...

    def pragmas(self) -> dict[str, Any]: ...

    def chain_hashes(self, after: int, upto: int) -> dict[int, str]: ...

    def chain_length(self) -> int: ...

    def schema_version(self) -> int | None: ...

    SCHEMA_VERSION: int
