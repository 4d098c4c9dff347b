"""The SQLite store: eventsourcing's recorder with the ledger's guarantees added.

- WAL and ``synchronous=FULL`` are set on every connection and checked on open;
- writes start with ``BEGIN IMMEDIATE``, so a writer takes the write lock
  before it inserts and waits (up to the lock timeout) instead of failing;
- triggers refuse UPDATE and DELETE on the events table, even by raw SQL;
- a ``perfledger_chain`` table keeps each event's hash by sequence number,
  written in the same transaction, so ``verify`` names the first altered event;
- a ``perfledger_meta`` table records the schema version.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteFactory,
)

SCHEMA_VERSION = 1
# The ledger aggregate's id (ledger.aggregate.LEDGER_ID), the originator of every stored event.
LEDGER_KEY = uuid5(NAMESPACE_URL, "perfledger:ledger")
IMMUTABLE = "perfledger: events are immutable; record a correcting event instead"


class _Pool(SQLiteConnectionPool):
    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        # Durability over speed: every commit is fsynced, in WAL mode too.
        connection._sqlite_conn.execute("PRAGMA synchronous=FULL")
        return connection


class LedgerSQLiteRecorder(SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> list[str]:
        table = self.events_table_name
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS perfledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS perfledger_chain (seq INTEGER PRIMARY KEY, hash TEXT NOT NULL)",
            *(
                f"CREATE TRIGGER IF NOT EXISTS {name}_no_{verb} BEFORE {verb.upper()} ON {name} "
                f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END"
                for name in (table, "perfledger_chain")
                for verb in ("update", "delete")
            ),
            f"INSERT OR IGNORE INTO perfledger_meta VALUES ('schema_version', '{SCHEMA_VERSION}')",
        ]

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        self.insert_pages([stored_events])
        return None

    def insert_pages(self, pages: Iterable[Sequence[StoredEvent]]) -> None:
        """Insert pages of events and their chain rows in one transaction, taking each page as it comes.

        The write lock is taken first (``BEGIN IMMEDIATE``); an exception
        raised while the pages are made (a broken rule) rolls everything back.
        """
        with self.datastore.get_connection(commit=True) as connection:
            raw = connection._sqlite_conn
            try:
                raw.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:
                raise OperationalError(e) from e
            try:
                cursor = connection.cursor()
                for page in pages:
                    self._insert_events(cursor, page)
                    cursor.executemany(
                        "INSERT INTO perfledger_chain VALUES (?, ?)",
                        [(s.originator_version, hashlib.sha256(s.state).hexdigest()) for s in page],
                    )
                raw.commit()
            except sqlite3.IntegrityError as e:
                raw.rollback()
                raise IntegrityError(e) from e
            except sqlite3.OperationalError as e:
                raw.rollback()
                raise OperationalError(e) from e
            except BaseException:
                raw.rollback()
                raise

    def rows(self, after: int, limit: int, *, chain: bool = False) -> list[tuple[Any, ...]]:
        """Up to ``limit`` events after ``after``, in order, as (seq, topic, state), plus the chain's hash."""
        table = self.events_table_name
        if chain:
            statement = (
                f"SELECT e.originator_version, e.topic, e.state, c.hash FROM {table} e"
                " LEFT JOIN perfledger_chain c ON c.seq = e.originator_version"
                " WHERE e.originator_id = ? AND e.originator_version > ? ORDER BY e.originator_version LIMIT ?"
            )
        else:
            statement = (
                f"SELECT originator_version, topic, state FROM {table}"
                " WHERE originator_id = ? AND originator_version > ? ORDER BY originator_version LIMIT ?"
            )
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, (LEDGER_KEY.hex, after, limit))
            return [tuple(row) for row in c.fetchall()]

    def pragmas(self) -> dict[str, Any]:
        """The settings the ledger relies on, read back from a live connection."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("PRAGMA journal_mode")
            journal = c.fetchone()[0]
            c.execute("PRAGMA synchronous")
            synchronous = c.fetchone()[0]
        return {"journal_mode": journal, "synchronous": synchronous}

    def chain_hashes(self, after: int, upto: int) -> dict[int, str]:
        """The recorded hash of each event with after < seq <= upto."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT seq, hash FROM perfledger_chain WHERE seq > ? AND seq <= ?", (after, upto))
            return {row[0]: row[1] for row in c.fetchall()}

    def chain_length(self) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT COALESCE(MAX(seq), 0) FROM perfledger_chain")
            return int(c.fetchone()[0])

    def schema_version(self) -> int | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT value FROM perfledger_meta WHERE key='schema_version'")
            row = c.fetchone()
        return None if row is None else int(row[0])


class LedgerSQLiteFactory(SQLiteFactory):
    application_recorder_class = LedgerSQLiteRecorder

    def __init__(self, env: Any):
        super().__init__(env)
        # Same settings, but connections that also set synchronous=FULL.
        default_pool = self.datastore.pool
        self.datastore.pool = _Pool(db_name=default_pool.db_name, lock_timeout=default_pool.lock_timeout)
        default_pool.close()
