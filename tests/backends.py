"""The two stores the suite runs against, and raw access to them (the attacker's view).

PostgreSQL tests use the server in ``PERFLEDGER_TEST_POSTGRES`` (default
``postgresql://postgres@127.0.0.1:5432/test``), each in a schema of its own that
is dropped afterwards. Where no server answers they are skipped with the reason,
except under CI (``CI=true``), where they must run and a missing server fails.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

POSTGRES = os.environ.get("PERFLEDGER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
_reachable: bool | None = None


def postgres_reachable() -> bool:
    global _reachable
    if _reachable is None:
        try:
            import psycopg

            psycopg.connect(POSTGRES, connect_timeout=3).close()
            _reachable = True
        except Exception:  # noqa: BLE001 - any failure means "not here"
            _reachable = False
    return _reachable


def require_postgres() -> None:
    if postgres_reachable():
        return
    message = f"no PostgreSQL server answers at {POSTGRES} (set PERFLEDGER_TEST_POSTGRES to use another)"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the PostgreSQL tests: {message}")
    pytest.skip(message)


@contextmanager
def postgres_ledger_url() -> Iterator[str]:
    """A URL to a fresh schema of its own, dropped afterwards."""
    require_postgres()
    import psycopg

    schema = f"pl_{uuid.uuid4().hex[:12]}"
    try:
        yield f"{POSTGRES}?schema={schema}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def as_role(url: str, role: str) -> str:
    """The same ledger's URL, connecting as another role."""
    return url.replace("postgresql://postgres@", f"postgresql://{role}@", 1)


def schema_of(url: str) -> str:
    return url.split("schema=", 1)[1]


class Raw:
    """Direct SQL on a ledger's tables, as someone with the database in hand."""

    placeholder = "?"
    events = "stored_events"

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        raise NotImplementedError

    def q(self, sql: str) -> str:
        return sql.replace("{events}", self.events).replace("?", self.placeholder)

    def drop_triggers(self) -> None:
        raise NotImplementedError

    def state_of(self, seq: int) -> bytes:
        rows = self.execute(self.q("SELECT state FROM {events} WHERE originator_version=?"), (seq,))
        return bytes(rows[0][0])

    def set_state(self, seq: int, state: bytes) -> None:
        self.execute(self.q("UPDATE {events} SET state=? WHERE originator_version=?"), (state, seq))

    def delete(self, seq: int) -> None:
        self.execute(self.q("DELETE FROM {events} WHERE originator_version=?"), (seq,))

    def insert_like(self, seq: int, state: bytes, like: int) -> None:
        self.execute(
            self.q("INSERT INTO {events} (originator_id, originator_version, topic, state) "
                   "SELECT originator_id, ?, topic, ? FROM {events} WHERE originator_version=?"),
            (seq, state, like),
        )

    def set_chain_hash(self, seq: int, digest: str) -> None:
        self.execute(self.q("UPDATE perfledger_chain SET hash=? WHERE seq=?"), (digest, seq))

    def set_schema_version(self, version: int) -> None:
        self.execute(self.q("UPDATE perfledger_meta SET value=? WHERE key='schema_version'"), (str(version),))


class SQLiteRaw(Raw):
    def __init__(self, path: str):
        self.db = sqlite3.connect(path, isolation_level=None)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        return self.db.execute(sql, params).fetchall()

    def drop_triggers(self) -> None:
        for (name,) in self.execute("SELECT name FROM sqlite_master WHERE type='trigger'"):
            self.execute(f"DROP TRIGGER {name}")

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        self.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            self.execute("ROLLBACK")


class PostgresRaw(Raw):
    placeholder = "%s"
    events = "perfledger_events"

    def __init__(self, url: str):
        import psycopg

        self.schema = schema_of(url)
        self.conn = psycopg.connect(url.split("?", 1)[0], autocommit=True)
        self.conn.execute(f'SET search_path TO "{self.schema}"')

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        cursor = self.conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []

    def drop_triggers(self) -> None:
        for table in (self.events, "perfledger_chain", "perfledger_event_ids"):
            self.execute(f"DROP TRIGGER {table}_immutable ON {table}")
            self.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        # The owner's power over the guards.
        self.execute(f"DROP TRIGGER {self.events}_checked ON {self.events}")

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        with self.conn.transaction():
            self.execute("LOCK TABLE perfledger_chain IN EXCLUSIVE MODE")
            yield


def raw(url: str) -> Raw:
    return PostgresRaw(url) if url.startswith("postgresql://") else SQLiteRaw(str(Path(url)))
