"""The PostgreSQL store: the shared ledger of a body with several offices.

eventsourcing's PostgreSQL recorder, with the ledger's guarantees added, as
on SQLite:

- every event goes through ``perfledger_append`` and its trigger
  (ledger.postgres_guards), which check it and write its chain row and id;
- triggers refuse UPDATE, DELETE and TRUNCATE of events, chain and ids, even
  by the tables' owner;
- ``perfledger_meta`` records the schema version.

The ledger does not read by the library's notification id: its order is the
chain's sequence number, the aggregate's version, which the guard keeps gap
free under the writers' lock. A controller role holds SELECT and EXECUTE on
the guard's functions only, never INSERT or UPDATE, which is what lets the
database refuse edits by privilege as well as by trigger.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import psycopg
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier, Literal

from ledger.budget_rollups import CHECKPOINT_COLUMNS, budget_checkpoint
from ledger.errors import LedgerError
from ledger.postgres_guards import EVENT_IDS, guard_statements
from ledger.recorders import Page
from ledger.sqlite_store import DERIVED_NAMES, IMMUTABLE, LEDGER_KEY

# 2: the guards of ledger.postgres_guards (writes through perfledger_append only); 1 had none.
# 3: the guards know this release's event types and versions (the tree's); `db upgrade` reinstalls them.
# 4: the guards know SourceImported (an import's spreadsheet); `db upgrade` from 3 reinstalls them.
SCHEMA_VERSION = 4

CHAIN = "perfledger_chain"
# The derived tables' columns, in the order of the rows ledger.readmodel.Derived makes.
_COLUMNS = {
    "perfledger_budget": ("seq", "item", "col", "day", "cents"),
    "perfledger_labels": ("seq", "origin", "kind", "code", "day", "year", "line", "objective", "title"),
    "perfledger_ids": ("event_id", "seq", "corrects", "reservation"),
}
META = "perfledger_meta"
# The read model's tables: emptied together (see perfledger_reset_read_model); snapshots stand alone.
READ_MODEL = ("perfledger_budget", "perfledger_labels", "perfledger_ids", "perfledger_budget_checkpoints",
              "perfledger_derived")


class LedgerPostgresRecorder(PostgresApplicationRecorder):
    SCHEMA_VERSION = SCHEMA_VERSION

    def __init__(self, datastore: Any, *, events_table_name: str = "perfledger_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(self.datastore.schema)
        # Keep the lock timeout, drop the table lock (see the module's docstring).
        self.lock_table_statements = self.lock_table_statements[:1]
        guard = Identifier("perfledger_refuse_change")
        self.create_schema_statement = SQL("CREATE SCHEMA IF NOT EXISTS {0}").format(schema)
        statements = [
            SQL("CREATE TABLE IF NOT EXISTS {0}.{1} (seq bigint PRIMARY KEY, hash text NOT NULL)").format(
                schema, Identifier(CHAIN)
            ),
            SQL("CREATE TABLE IF NOT EXISTS {0}.{1} (key text PRIMARY KEY, value text NOT NULL)").format(
                schema, Identifier(META)
            ),
            SQL(
                "CREATE OR REPLACE FUNCTION {0}.{1}() RETURNS trigger LANGUAGE plpgsql AS "
                "$$BEGIN RAISE EXCEPTION '{2}'; END$$"
            ).format(schema, guard, SQL(IMMUTABLE)),
        ]
        statements += guard_statements(self.datastore.schema, self.events_table_name, str(LEDGER_KEY))
        for table in (self.events_table_name, CHAIN, EVENT_IDS):
            statements += [
                SQL("DROP TRIGGER IF EXISTS {0} ON {1}.{2}").format(
                    Identifier(f"{table}_immutable"), schema, Identifier(table)
                ),
                SQL(
                    "CREATE TRIGGER {0} BEFORE UPDATE OR DELETE ON {1}.{2}"
                    " FOR EACH ROW EXECUTE FUNCTION {1}.{3}()"
                ).format(Identifier(f"{table}_immutable"), schema, Identifier(table), guard),
                SQL("DROP TRIGGER IF EXISTS {0} ON {1}.{2}").format(
                    Identifier(f"{table}_no_truncate"), schema, Identifier(table)
                ),
                SQL(
                    "CREATE TRIGGER {0} BEFORE TRUNCATE ON {1}.{2}"
                    " FOR EACH STATEMENT EXECUTE FUNCTION {1}.{3}()"
                ).format(Identifier(f"{table}_no_truncate"), schema, Identifier(table), guard),
            ]
        statements += [
            SQL("CREATE TABLE IF NOT EXISTS {0}.perfledger_budget (seq bigint NOT NULL, item text NOT NULL,"
                " col text NOT NULL, day text NOT NULL, cents bigint NOT NULL)").format(schema),
            SQL("CREATE TABLE IF NOT EXISTS {0}.perfledger_labels (seq bigint NOT NULL,"
                " origin bigint NOT NULL, kind text NOT NULL, code text NOT NULL, day text NOT NULL,"
                " year integer NOT NULL, line text NOT NULL, objective text NOT NULL,"
                " title text NOT NULL)").format(schema),
            SQL("CREATE INDEX IF NOT EXISTS perfledger_budget_days ON {0}.perfledger_budget"
                " (day, seq, item, col, cents)").format(schema),
            SQL("CREATE INDEX IF NOT EXISTS perfledger_budget_seqs ON {0}.perfledger_budget"
                " (seq, day, item, col, cents)").format(schema),
            SQL("CREATE TABLE IF NOT EXISTS {0}.perfledger_budget_checkpoints (n bigint NOT NULL,"
                " upto text NOT NULL, item text NOT NULL, col text NOT NULL, cents bigint NOT NULL,"
                " PRIMARY KEY (n, upto, item, col))").format(schema),
            SQL("CREATE TABLE IF NOT EXISTS {0}.perfledger_ids (event_id text PRIMARY KEY,"
                " seq bigint NOT NULL, corrects text, reservation text)").format(schema),
            SQL("CREATE INDEX IF NOT EXISTS perfledger_ids_corrects ON {0}.perfledger_ids (corrects, seq)"
                " WHERE corrects IS NOT NULL").format(schema),
            SQL("CREATE INDEX IF NOT EXISTS perfledger_ids_reservation"
                " ON {0}.perfledger_ids (reservation, seq)").format(schema),
            SQL("CREATE TABLE IF NOT EXISTS {0}.perfledger_snapshots (seq bigint PRIMARY KEY,"
                " hash text NOT NULL, state bytea NOT NULL)").format(schema),
            SQL("CREATE TABLE IF NOT EXISTS {0}.perfledger_derived (seq bigint PRIMARY KEY)").format(schema),
            # The read model is whole or empty: rows deleted from any of its tables (a cache the owner
            # may clear) empty all of them, so that queries fold the events and the owner's next
            # append rebuilds it, instead of summing what is left or colliding with the ids left.
            SQL(
                "CREATE OR REPLACE FUNCTION {0}.perfledger_reset_read_model()"
                " RETURNS trigger LANGUAGE plpgsql"
                " SET search_path = pg_catalog, pg_temp AS $$BEGIN IF pg_trigger_depth() = 1 THEN"
                " {1} END IF; RETURN NULL; END$$"
            ).format(schema, SQL(" ").join(SQL("DELETE FROM {0}.{1};").format(schema, Identifier(t))
                                           for t in READ_MODEL)),
        ]
        for table in READ_MODEL:
            trigger = Identifier(f"{table}_reset")
            statements += [
                SQL("DROP TRIGGER IF EXISTS {0} ON {1}.{2}").format(trigger, schema, Identifier(table)),
                SQL("CREATE TRIGGER {0} AFTER DELETE OR TRUNCATE ON {1}.{2}"
                    " FOR EACH STATEMENT EXECUTE FUNCTION {1}.perfledger_reset_read_model()"
                    ).format(trigger, schema, Identifier(table)),
            ]
        statements.append(
            SQL("INSERT INTO {0}.{1} VALUES ('schema_version', {2}) ON CONFLICT DO NOTHING").format(
                schema, Identifier(META), Literal(str(SCHEMA_VERSION))
            )
        )
        self.sql_create_statements += statements

    def create_table(self) -> None:
        # The schema must exist before the library creates its types and tables in it.
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.create_schema_statement)
        super().create_table()

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        self.insert_pages([Page(stored_events)])
        return None

    def insert_pages(self, pages: Iterable[Page]) -> None:
        """Insert pages of events (and, for the owner, their derived rows) in one transaction."""
        with self.writer() as writer:
            for page in pages:
                writer.write(page)

    @contextmanager
    def writer(self) -> Iterator[PostgresWriter]:
        """One write transaction: the writers' lock, the head and the server's clock, then pages;
        commit on exit.

        Events go through ``perfledger_append`` (see ledger.postgres_guards), whose trigger checks
        each one and writes its chain row; a writer that lost the race fails on "not the next
        event", reported as an IntegrityError, which perfledger retries. The caches are written
        only by a role that may insert into them (the owner's): a controller's append leaves them
        behind. An exception raised while the pages are made (a broken rule) rolls everything back.
        """
        schema = Identifier(self.datastore.schema)
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor(row_factory=tuple_row) as curs,
        ):
            curs.execute(
                SQL("SET LOCAL lock_timeout = {0}").format(Literal(f"{self.datastore.lock_timeout}s"))
            )
            curs.execute(SQL("SELECT seq, hash, now FROM {0}.perfledger_begin()").format(schema))
            seq, digest, now = curs.fetchone()  # type: ignore[misc]
            curs.execute(
                SQL("SELECT coalesce(has_table_privilege(to_regclass({0}), 'INSERT'), false)").format(
                    Literal(f'"{self.datastore.schema}".perfledger_budget')
                )
            )
            caches = bool(curs.fetchone()[0])  # type: ignore[index]
            yield PostgresWriter(self, conn, curs, (int(seq), str(digest)), now, caches)

    def _copy(self, curs: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        statement = SQL("COPY {0}.{1} ({2}) FROM STDIN").format(
            Identifier(self.datastore.schema), Identifier(table), SQL(", ").join(map(Identifier, columns))
        )
        with curs.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def derived_upto(self) -> int | None:
        rows = self._query(
            SQL("SELECT COUNT(*) AS n FROM pg_tables WHERE schemaname = %s AND tablename = ANY(%s)"),
            (self.datastore.schema, list(DERIVED_NAMES)),
        )
        if rows[0]["n"] != len(DERIVED_NAMES):
            return None
        rows = self._query(SQL("SELECT COALESCE(MAX(seq), 0) AS n FROM {0}.perfledger_derived").format(
            Identifier(self.datastore.schema)))
        return int(rows[0]["n"])

    def _qualified(self, statement: str) -> bytes:
        """A statement written for both stores, for this one: ``?`` marks parameters, the ledger's
        tables are named in its schema, ``{events}`` names the events table and ``{ledger}`` the
        ledger's id as stored in it. (Schema names are plain identifiers: see postgres_env.)"""
        schema = self.datastore.schema
        text = statement.replace("?", "%s").replace("perfledger_", f'"{schema}".perfledger_').format(
            events=f'"{schema}"."{self.events_table_name}"', ledger=f"'{LEDGER_KEY}'::uuid"
        )
        return text.encode()

    def query(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """A read of the ledger's own tables, written as for SQLite (see ``_qualified``)."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(self._qualified(statement), params)
            return curs.fetchall()

    def _query(self, statement: Any, params: Sequence[Any] = ()) -> list[Any]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params)
            return list(curs.fetchall())

    def rows(
        self, after: int, limit: int, *, chain: bool = False, topics: Sequence[str] = (),
        upto: int | None = None,
    ) -> list[tuple[Any, ...]]:
        """Up to ``limit`` events after ``after`` (and up to ``upto``; of these ``topics`` only, if
        given), in order, as (seq, topic, state), plus the chain's hash.

        Read in windows of ``limit`` sequence numbers, so that each query touches no more rows than
        it returns, whatever plan the statistics of a freshly loaded table lead to (with ``LIMIT``
        alone, PostgreSQL may sort every later row for each page).
        """
        schema, table = Identifier(self.datastore.schema), Identifier(self.events_table_name)
        only = SQL(" AND e.topic = ANY(%s)") if topics else SQL("")
        statement = SQL(
            "SELECT e.originator_version, e.topic, e.state{3} FROM {0}.{1} e{4}"
            " WHERE e.originator_id = %s AND e.originator_version > %s AND e.originator_version <= %s{2}"
            " ORDER BY e.originator_version LIMIT %s"
        ).format(schema, table, only, SQL(", c.hash") if chain else SQL(""),
                 SQL(" LEFT JOIN {0}.{1} c ON c.seq = e.originator_version").format(schema, Identifier(CHAIN))
                 if chain else SQL(""))
        found: list[tuple[Any, ...]] = []
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(
                SQL("SELECT MAX(originator_version) FROM {0}.{1} WHERE originator_id = %s").format(
                    schema, table
                ),
                (LEDGER_KEY,),
            )
            last = curs.fetchone()[0] or 0  # type: ignore[index]
            if upto is not None:
                last = min(last, upto)
            low = after
            while len(found) < limit and low < last:
                curs.execute(statement, (LEDGER_KEY, low, low + limit, *([list(topics)] if topics else []),
                                         limit - len(found)))
                found += curs.fetchall()
                low += limit
        return found

    def pragmas(self) -> dict[str, Any]:
        return {}

    def chain_hashes(self, after: int, upto: int) -> dict[int, str]:
        rows = self._query(
            SQL("SELECT seq, hash FROM {0}.{1} WHERE seq > %s AND seq <= %s").format(
                Identifier(self.datastore.schema), Identifier(CHAIN)
            ),
            (after, upto),
        )
        return {row["seq"]: row["hash"] for row in rows}

    def chain_length(self) -> int:
        rows = self._query(
            SQL("SELECT COALESCE(MAX(seq), 0) AS n FROM {0}.{1}").format(
                Identifier(self.datastore.schema), Identifier(CHAIN)
            )
        )
        return int(rows[0]["n"])

    def schema_version(self) -> int | None:
        rows = self._query(
            SQL("SELECT value FROM {0}.{1} WHERE key = 'schema_version'").format(
                Identifier(self.datastore.schema), Identifier(META)
            )
        )
        return int(rows[0]["value"]) if rows else None


class PostgresWriter:
    """The pages of one write transaction on PostgreSQL (see ``LedgerPostgresRecorder.writer``)."""

    server_clock = True  # recorded-at is the server's clock, whatever a caller asks

    def __init__(self, recorder: LedgerPostgresRecorder, conn: Any, curs: Any, head: tuple[int, str],
                 now: datetime, caches: bool):
        self.recorder, self.conn, self.curs = recorder, conn, curs
        self.head = head  # (sequence number, hash) of the head, read under the writers' lock
        self.now = now  # the server's clock: what the events of this transaction are recorded at
        self.caches = caches  # may this role write the read model, checkpoints and snapshots?
        self.mark_checked = False  # has this transaction checked the read model's mark? (Page.derived_from)

    def clear_caches(self) -> None:
        """Empty every cache table (the owner's): the next write makes them again from the events."""
        if not self.caches:
            raise LedgerError("only the ledger's owner may write the caches (this role may not)")
        schema = Identifier(self.recorder.datastore.schema)
        for table in DERIVED_NAMES:
            self.curs.execute(SQL("DELETE FROM {0}.{1}").format(schema, Identifier(table)))

    def query(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """A read in this transaction, which sees the rows written so far (see
        ``LedgerPostgresRecorder.query``)."""
        with self.conn.cursor(row_factory=tuple_row) as rows:
            rows.execute(self.recorder._qualified(statement), params)
            return rows.fetchall()  # type: ignore[no-any-return]

    def write(self, page: Page) -> None:
        recorder, curs = self.recorder, self.curs
        schema = Identifier(recorder.datastore.schema)
        events = page.events
        if events:
            curs.execute(SQL("SELECT {0}.perfledger_append(%s, %s, %s)").format(schema), (
                [s.originator_version for s in events], [s.topic for s in events], [s.state for s in events]))
        if not self.caches:
            return
        if page.derived_from is not None and not self.mark_checked:
            self.mark_checked = True
            curs.execute(SQL("SELECT COALESCE(MAX(seq), 0) FROM {0}.perfledger_derived").format(schema))
            if curs.fetchone()[0] != page.derived_from:
                raise IntegrityError("the read model moved since the ledger was read: another writer came"
                                     " first")
        if page.derived_upto is not None:
            for table, rows in (("perfledger_budget", page.budget), ("perfledger_labels", page.labels),
                                ("perfledger_ids", page.ids)):
                recorder._copy(curs, table, _COLUMNS[table], rows)
            curs.execute(
                SQL("INSERT INTO {0}.perfledger_derived VALUES (%s) ON CONFLICT DO NOTHING").format(schema),
                (page.derived_upto,),
            )
        if page.snapshot is not None:
            curs.execute(
                SQL("INSERT INTO {0}.perfledger_snapshots VALUES (%s, %s, %s)"
                    " ON CONFLICT DO NOTHING").format(schema),
                page.snapshot,
            )
        if page.checkpoint is not None:
            conn = self.conn

            def read(statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
                with conn.cursor(row_factory=tuple_row) as rows:  # in this transaction
                    rows.execute(recorder._qualified(statement), params)
                    return rows.fetchall()  # type: ignore[no-any-return]

            recorder._copy(curs, "perfledger_budget_checkpoints", CHECKPOINT_COLUMNS,
                           budget_checkpoint(page.checkpoint, read))



class LedgerPostgresFactory(PostgresFactory):
    application_recorder_class = LedgerPostgresRecorder

    def __init__(self, env: Any):
        super().__init__(env)
        settings = self.datastore.pool.kwargs
        assert isinstance(settings, dict)  # eventsourcing gives the pool a dict (PostgresDatastore)
        # libpq's own limit on each connection's start too, so that a host that never answers is
        # given up on (the pool's timeout is how long it waits for a connection, not why none came).
        settings["connect_timeout"] = max(2, round(float(self.env.get(self.POSTGRES_CONNECT_TIMEOUT) or 5)))
        check_connection(settings)


def check_connection(settings: dict[str, Any]) -> None:
    """Connect once, directly, before the pool does: a server that refuses (no such database or
    role, a failed authentication, nobody on that port) is named with its own reason, at once,
    instead of the pool's "couldn't get a connection" after its timeout."""
    given = {k: v for k, v in settings.items() if k != "row_factory"}
    try:
        psycopg.connect(**given).close()
    except psycopg.OperationalError as e:
        where = f"postgresql://{given['user']}@{given['host']}:{given['port']}/{given['dbname']}"
        raise LedgerError(f"cannot connect to {where}: {server_reason(e)}") from None


def server_reason(error: Exception) -> str:
    """libpq's message on one line, without the address it already repeats and the severity:
    'database "x" does not exist', 'Connection refused (is the server running ...?)'."""
    text = str(error).strip().removeprefix("connection failed: ")
    text = re.sub(r'^connection to server at "[^"]*"(?: \([^)]*\))?, port \d+ failed: ', "", text)
    first, *more = [line.strip() for line in text.splitlines() if line.strip()]
    first = re.sub(r"^(?:FATAL|ERROR):\s+", "", first)
    if more:
        hint = " ".join(more)
        first += f" ({hint[0].lower()}{hint[1:]})"
    return first
