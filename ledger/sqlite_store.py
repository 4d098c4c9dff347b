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
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteFactory,
)

from ledger.budget_rollups import budget_checkpoint
from ledger.errors import LedgerError
from ledger.location import is_read_only, sqlite_database
from ledger.recorders import Page

SCHEMA_VERSION = 1


# The ledger aggregate's id (ledger.aggregate.LEDGER_ID), the originator of every stored event.
LEDGER_KEY = uuid5(NAMESPACE_URL, "perfledger:ledger")
IMMUTABLE = "perfledger: events are immutable; record a correcting event instead"


# The budget read model: rows derived from the events by the writer, in the same transaction (see
# ledger.readmodel.Derived). A cache: a query falls back to replaying the events when they are missing or
# behind, and dropping these tables changes no figure.
DERIVED_TABLES = (
    (
        "CREATE TABLE IF NOT EXISTS perfledger_budget"
        " (seq INTEGER NOT NULL, item TEXT NOT NULL, col TEXT NOT NULL, day TEXT NOT NULL,"
        " cents INTEGER NOT NULL)"
    ),
    (
        "CREATE TABLE IF NOT EXISTS perfledger_labels (seq INTEGER NOT NULL, origin INTEGER NOT NULL,"
        " kind TEXT NOT NULL, code TEXT NOT NULL, day TEXT NOT NULL, year INTEGER NOT NULL,"
        " line TEXT NOT NULL, objective TEXT NOT NULL, title TEXT NOT NULL)"
    ),
    # Sums of a few days, or of the events known in a range of sequence numbers (since a checkpoint,
    # or all of them), read a range of one of these indexes alone.
    "CREATE INDEX IF NOT EXISTS perfledger_budget_days ON perfledger_budget (day, seq, item, col, cents)",
    "CREATE INDEX IF NOT EXISTS perfledger_budget_seqs ON perfledger_budget (seq, day, item, col, cents)",
    # Checkpoints of the budget: at sequence number n, each item's column summed up to each quarter-month.
    (
        "CREATE TABLE IF NOT EXISTS perfledger_budget_checkpoints (n INTEGER NOT NULL, upto TEXT NOT NULL,"
        " item TEXT NOT NULL, col TEXT NOT NULL, cents INTEGER NOT NULL, PRIMARY KEY (n, upto, item, col))"
        " WITHOUT ROWID"  # stored in key order: a query reads one checkpoint's bound as one range
    ),
    # Each event's id, and what a book restored from a snapshot looks events up by.
    (
        "CREATE TABLE IF NOT EXISTS perfledger_ids"
        " (event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, corrects TEXT, reservation TEXT)"
    ),
    # Only corrections have a "corrects": the index holds them alone.
    (
        "CREATE INDEX IF NOT EXISTS perfledger_ids_corrects ON perfledger_ids (corrects, seq)"
        " WHERE corrects IS NOT NULL"
    ),
    "CREATE INDEX IF NOT EXISTS perfledger_ids_reservation ON perfledger_ids (reservation, seq)",
    # The rules' small state at a sequence number (ledger.book.Book.snapshot), with that event's hash.
    (
        "CREATE TABLE IF NOT EXISTS perfledger_snapshots"
        " (seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, state BLOB NOT NULL)"
    ),
    # Each write records the sequence number its derived rows reach.
    "CREATE TABLE IF NOT EXISTS perfledger_derived (seq INTEGER PRIMARY KEY)",
)
DERIVED_NAMES = ("perfledger_budget", "perfledger_labels", "perfledger_ids", "perfledger_snapshots",
                 "perfledger_budget_checkpoints", "perfledger_derived")
class DurablePool(SQLiteConnectionPool):
    """eventsourcing's pool, whose connections also fsync every commit (``synchronous=FULL``), in WAL
    mode too.

    The setting is per connection: it is made the first time the pool hands a connection out.
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.durable: weakref.WeakSet[SQLiteConnection] = weakref.WeakSet()

    def get_connection(
        self, timeout: float | None = None, *, is_writer: bool | None = None
    ) -> SQLiteConnection:
        connection = super().get_connection(timeout, is_writer=is_writer)
        if connection not in self.durable:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=FULL")
            self.durable.add(connection)
        return connection


class LedgerSQLiteRecorder(SQLiteApplicationRecorder):
    SCHEMA_VERSION = SCHEMA_VERSION

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
            *DERIVED_TABLES,
        ]

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        self.insert_pages([Page(stored_events)])
        return None

    def insert_pages(self, pages: Iterable[Page]) -> None:
        """Insert pages of events, their chain rows and derived rows in one transaction."""
        with self.writer() as writer:
            for page in pages:
                writer.write(page)

    @contextmanager
    def writer(self) -> Iterator[SQLiteWriter]:
        """One write transaction: the write lock first (``BEGIN IMMEDIATE``), then pages; commit on exit.

        An exception raised while the pages are made (a broken rule) rolls everything back; a
        key conflict (another writer extended the chain first) is an IntegrityError.
        """
        with self.datastore.get_connection(commit=True) as connection, connection.cursor() as cursor:
            try:
                cursor.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:
                raise OperationalError(e) from e
            try:
                yield SQLiteWriter(self, connection, cursor)
                connection.commit()
            except sqlite3.IntegrityError as e:
                connection.rollback()
                if self.events_table_name not in str(e):  # not another writer's event at our sequence number
                    raise LedgerError(f"a row could not be written ({e}); run `perfledger verify`") from e
                raise IntegrityError(e) from e
            except sqlite3.OperationalError as e:
                connection.rollback()
                raise OperationalError(e) from e
            except BaseException:
                connection.rollback()
                raise

    def derived_upto(self) -> int | None:
        """How far the derived rows reach (0: none yet); None when the ledger lacks a derived table."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name IN {DERIVED_NAMES}")
            if c.fetchone()[0] != len(DERIVED_NAMES):
                return None
            c.execute("SELECT COALESCE(MAX(seq), 0) FROM perfledger_derived")
            return int(c.fetchone()[0])

    def query(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """A read of the ledger's own tables (``{events}`` names the events table, ``{ledger}`` the
        ledger's id as stored in it; ``?`` marks parameters)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement.format(events=self.events_table_name, ledger=f"'{LEDGER_KEY.hex}'"), params)
            return [tuple(row) for row in c.fetchall()]

    def rows(
        self, after: int, limit: int, *, chain: bool = False, topics: Sequence[str] = (),
        upto: int | None = None,
    ) -> list[tuple[Any, ...]]:
        """Up to ``limit`` events after ``after`` (and up to ``upto``; of these ``topics`` only, if
        given), in order, as (seq, topic, state), plus the chain's hash."""
        table = self.events_table_name
        columns = "e.originator_version, e.topic, e.state" + (", c.hash" if chain else "")
        joined = f"{table} e" + (
            " LEFT JOIN perfledger_chain c ON c.seq = e.originator_version" if chain else ""
        )
        with self.datastore.transaction(commit=False) as c, c as cursor:  # the SQLiteCursor's sqlite3.Cursor
            cursor.row_factory = None  # plain tuples: a replay reads millions of rows
            if not topics:
                page = _rows_in_table_order(cursor, table, columns, joined, after, limit)
                if page is not None:
                    return page
            only = f" AND e.topic IN ({', '.join('?' * len(topics))})" if topics else ""
            bound = "" if upto is None else f" AND e.originator_version <= {int(upto)}"
            cursor.execute(
                f"SELECT {columns} FROM {joined} WHERE e.originator_id = ? AND e.originator_version > ?{only}"
                f"{bound} ORDER BY e.originator_version LIMIT ?",
                (LEDGER_KEY.hex, after, *topics, limit),
            )
            return cursor.fetchall()

    def pragmas(self) -> dict[str, Any]:
        """The settings the ledger relies on, read back from a live connection; none when it is
        opened read-only (they make writes durable, and it writes nothing; an immutable reading
        reports no WAL)."""
        if is_read_only(self.datastore.pool.db_name):
            return {}
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


class SQLiteWriter:
    """The pages of one write transaction on SQLite (see ``LedgerSQLiteRecorder.writer``)."""

    head: tuple[int, str] | None = None  # SQLite's key conflict catches a moved head: nothing to compare
    caches = True  # whoever may write the file writes its caches
    server_clock = False  # a caller may give the clock (tests, replays of a history)

    def __init__(self, recorder: LedgerSQLiteRecorder, connection: SQLiteConnection, cursor: sqlite3.Cursor):
        self.recorder, self.connection, self.cursor = recorder, connection, cursor
        self.mark_checked = False  # has this transaction checked the read model's mark? (Page.derived_from)
        self.now = datetime.now(UTC)  # the writer's clock (the ledger keeps recorded-at from going backwards)

    def clear_caches(self) -> None:
        """Empty every cache table: the next write makes them again from the events."""
        for table in DERIVED_NAMES:
            self.cursor.execute(f"DELETE FROM {table}")

    def query(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """A read in this transaction: the same connection sees the rows written so far, not yet
        committed (see ``LedgerSQLiteRecorder.query``)."""
        table = self.recorder.events_table_name
        with self.connection.cursor() as reading:
            reading.execute(statement.format(events=table, ledger=f"'{LEDGER_KEY.hex}'"), params)
            return [tuple(row) for row in reading.fetchall()]

    def write(self, page: Page) -> None:
        cursor, connection = self.cursor, self.connection
        if page.derived_from is not None and not self.mark_checked:
            self.mark_checked = True
            (mark,) = cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM perfledger_derived").fetchone()
            if mark != page.derived_from:
                raise IntegrityError("the read model moved since the ledger was read: another writer came"
                                     " first")
        # One executemany of the recorder's insert statement, as an aggregate recorder does: the
        # application recorder's own inserts row by row to learn notification ids, which perfledger
        # never reads.
        cursor.executemany(self.recorder.insert_events_statement, [
            (
                s.originator_id.hex if isinstance(s.originator_id, UUID) else s.originator_id,
                s.originator_version,
                s.topic,
                s.state,
            )
            for s in page.events])
        cursor.executemany(
            "INSERT INTO perfledger_chain VALUES (?, ?)",
            [(s.originator_version, hashlib.sha256(s.state).hexdigest()) for s in page.events],
        )
        if page.derived_upto is not None:
            cursor.executemany("INSERT INTO perfledger_budget VALUES (?, ?, ?, ?, ?)", page.budget)
            cursor.executemany(
                "INSERT INTO perfledger_labels VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", page.labels
            )
            # OR IGNORE: an id written twice around the writer (verify names it) must not stop appends.
            cursor.executemany("INSERT OR IGNORE INTO perfledger_ids VALUES (?, ?, ?, ?)", page.ids)
            cursor.execute("INSERT OR IGNORE INTO perfledger_derived VALUES (?)", (page.derived_upto,))
        if page.snapshot is not None:
            cursor.execute("INSERT OR IGNORE INTO perfledger_snapshots VALUES (?, ?, ?)", page.snapshot)
        if page.checkpoint is not None:
            def read(statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
                with connection.cursor() as reading:  # in this transaction
                    reading.execute(statement, params)
                    return reading.fetchall()

            cursor.executemany("INSERT INTO perfledger_budget_checkpoints VALUES (?, ?, ?, ?, ?)",
                               budget_checkpoint(page.checkpoint, read))


def _rows_in_table_order(
    cursor: sqlite3.Cursor, table: str, columns: str, joined: str, after: int, limit: int
) -> list[tuple[Any, ...]] | None:
    """The events after ``after`` read in the table's own (rowid) order, or None if they are not
    exactly the next ``after + 1, after + 2, ...`` in that order.

    An append-only table stores the events in the order they were inserted, which is their sequence
    order; reading it so is about four times faster than through the key's index, which costs a
    look-up in the table for each row. The check makes the result the same as the index's: where it
    fails (an event missing, or rows inserted behind the ledger's back), the caller reads by the index.
    """
    start = 0
    if after:
        cursor.execute(f"SELECT rowid FROM {table} WHERE originator_id = ? AND originator_version = ?",
                       (LEDGER_KEY.hex, after))
        found = cursor.fetchone()
        if found is None:
            return None
        start = found[0]
    cursor.execute(
        # "+" keeps the planner off the key's index: the range of rowids is the plan.
        f"SELECT {columns} FROM {joined} WHERE e.rowid > ? AND +e.originator_id = ? ORDER BY e.rowid LIMIT ?",
        (start, LEDGER_KEY.hex, limit),
    )
    page = cursor.fetchall()
    seq = after
    for row in page:
        seq += 1
        if row[0] != seq:
            return None
    if len(page) < limit:  # the table's end: unless the key knows of a later event, placed before it
        cursor.execute(f"SELECT 1 FROM {table} WHERE originator_id = ? AND originator_version > ? LIMIT 1",
                       (LEDGER_KEY.hex, seq))
        if cursor.fetchone() is not None:
            return None
    return page


class LedgerSQLiteFactory(SQLiteFactory):
    application_recorder_class = LedgerSQLiteRecorder

    def __init__(self, env: Any):
        super().__init__(env)
        # Same settings, but connections that also set synchronous=FULL.
        # A ledger this user may not write is opened read-only (ledger.location.sqlite_database).
        default_pool = self.datastore.pool
        self.datastore.pool = DurablePool(
            db_name=sqlite_database(Path(default_pool.db_name)), lock_timeout=default_pool.lock_timeout
        )
        default_pool.close()
