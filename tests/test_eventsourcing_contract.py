"""perfledger uses eventsourcing through its public names only, but for the uses
ledger/es_adapter.py confines.

(a) Every module of events/, ledger/, projections/ and cli/ (but the adapter) is parsed: it may not
import a name starting with ``_`` from eventsourcing, nor reach an attribute starting with ``_``
that eventsourcing's classes have. (b) Each use the adapter makes is pinned as the installed
library has it, so that an upgrade that changes one fails here, and not as a wrong ledger.
"""

from __future__ import annotations

import ast
import functools
import inspect
import sqlite3
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, AggregateEvent, CanInitAggregate, Snapshot
from eventsourcing.persistence import Mapper
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore, PostgresFactory
from eventsourcing.sqlite import (
    SQLiteAggregateRecorder,
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
)

from ledger import es_adapter

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("events", "ledger", "projections", "cli")
ADAPTER = ROOT / "ledger" / "es_adapter.py"
LIBRARY_CLASSES = (
    Aggregate, AggregateEvent, CanInitAggregate, Snapshot, Mapper, Application,
    SQLiteDatastore, SQLiteConnection, SQLiteConnectionPool, SQLiteCursor, SQLiteAggregateRecorder,
    SQLiteApplicationRecorder, SQLiteFactory, PostgresDatastore, PostgresApplicationRecorder, PostgresFactory,
)
# Python's own hooks, which every class has or a dataclass calls: not eventsourcing's to change.
PYTHON_HOOKS = frozenset(dir(object)) | frozenset(dir(type)) | {
    "__dict__", "__weakref__", "__post_init__", "__enter__", "__exit__", "__dataclass_fields__", "__call__",
    "__iter__", "__getitem__", "__len__", "__annotations__", "__wrapped__"}


def instance_attributes(cls: type) -> set[str]:
    """The attributes eventsourcing's own code sets on ``self`` in ``cls`` and its library bases."""
    names = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("eventsourcing"):
            continue
        for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(klass)))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
            ):
                names.add(node.attr)
    return names


@functools.cache
def library_private_names() -> frozenset[str]:
    """The names starting with ``_`` that eventsourcing's classes or their instances have, less
    Python's own hooks."""
    return frozenset(name for cls in LIBRARY_CLASSES for name in {*dir(cls), *instance_attributes(cls)}
                     if name.startswith("_") and name not in PYTHON_HOOKS)


def modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py") if path != ADAPTER)


def library_imports(tree: ast.Module) -> set[str]:
    """The names a module imports from eventsourcing."""
    return {a.asname or a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and (node.module or "").split(".")[0] == "eventsourcing" for a in node.names}


def own_private_names(tree: ast.Module) -> set[str]:
    """The private names a module's own classes define (methods, or attributes set on self), where the class
    derives from nothing imported from eventsourcing: a ``._id`` there is its own, not the library's."""
    library = library_imports(tree)
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef) or any(
            isinstance(b, ast.Name) and b.id in library for b in node.bases
        ):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(inner.name)
            elif (isinstance(inner, ast.Attribute) and isinstance(inner.ctx, ast.Store)
                  and isinstance(inner.value, ast.Name) and inner.value.id == "self"):
                names.add(inner.attr)
    return names


def private_uses(source: str, private: frozenset[str]) -> list[str]:
    """Where a module imports a private name of eventsourcing, or reaches a private attribute its
    classes have."""
    found = []
    tree = ast.parse(source)
    private = private - own_private_names(tree)
    library = library_imports(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(
            isinstance(b, ast.Name) and b.id in library for b in node.bases
        ):
            found += [f"line {item.lineno}: def {item.name} (overrides eventsourcing's)" for item in node.body
                      if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name in private]
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "eventsourcing":
            found += [f"line {node.lineno}: from {node.module} import {a.name}" for a in node.names
                      if a.name.startswith("_")
                      or any(part.startswith("_") for part in (node.module or "").split("."))]
        elif isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names
                      if a.name.split(".")[0] == "eventsourcing"
                      and any(p.startswith("_") for p in a.name.split("."))]
        elif isinstance(node, ast.Attribute) and node.attr in private:
            found.append(f"line {node.lineno}: .{node.attr}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "setattr")
              and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)
              and node.args[1].value in private):
            found.append(f"line {node.lineno}: {node.func.id}(..., {node.args[1].value!r})")
    return found


def test_no_module_but_the_adapter_uses_a_private_name_of_eventsourcing() -> None:
    private = library_private_names()
    assert {"_create", "_pending_events", "_sqlite_conn", "_create_connection", "_insert_events"} <= private
    found = {str(path.relative_to(ROOT)): uses for path in modules()
             if (uses := private_uses(path.read_text(encoding="utf-8"), private))}
    assert found == {}, f"private eventsourcing names outside ledger/es_adapter.py: {found}"


@pytest.mark.parametrize("source", [
    "from eventsourcing.domain import _check_explicit_topic_is_registered",
    "import eventsourcing._private",
    "ledger._pending_events.append(event)",
    "connection._sqlite_conn.execute('PRAGMA synchronous=FULL')",
    "SQLiteAggregateRecorder._insert_events(recorder, cursor, events)",
    "getattr(pool, '_create_connection')()",
    "Ledger._create(LedgerOpened)",
    "agg.__base_init__(id, 1, now)",
    ("from eventsourcing.sqlite import SQLiteConnectionPool\nclass P(SQLiteConnectionPool):\n"
     "    def _create_connection(self):\n        return None\n"),
])
def test_the_check_finds_each_kind_of_private_use(source: str) -> None:
    assert private_uses(source, library_private_names())


def test_the_check_passes_public_names_and_our_own_private_ones() -> None:
    source = "ledger.pending_events.append(e)\nself._snapshot_seq = 0\nsuper().__init__()\nx.__post_init__()"
    assert private_uses(source, library_private_names()) == []
    own = "class Book:\n    def _id(self):\n        pass\n    def f(self):\n        self._id()\n"
    assert private_uses(own, library_private_names()) == []
    subclass = ("from eventsourcing.domain import Aggregate\nclass Ledger(Aggregate):\n"
                "    def resume(self):\n        self._id = 1\n")
    assert private_uses(subclass, library_private_names()) == ["line 4: ._id"]


# -- (b) what ledger/es_adapter.py relies on, as the installed eventsourcing has it ---------------------

class Thing(Aggregate):
    def __init__(self, name: str) -> None:
        self.name = name


def test_an_aggregates_own_state_keeps_its_times_under_the_names_the_adapter_gives() -> None:
    """es_adapter.resumed: ``Snapshot.take`` copies vars(aggregate), created and modified times included,
    under CREATED_ON and MODIFIED_ON; ``Snapshot.mutate`` puts them back."""
    thing = Thing(name="a")
    state = Snapshot.take(thing).state
    assert {es_adapter.CREATED_ON, es_adapter.MODIFIED_ON} <= set(state)
    assert (
        state[es_adapter.CREATED_ON] == thing.created_on
        and state[es_adapter.MODIFIED_ON] == thing.modified_on
    )
    assert list(inspect.signature(Snapshot.mutate).parameters) == ["self", "_"]
    assert {"originator_id", "originator_version", "timestamp", "topic", "state"} <= set(
        inspect.signature(Snapshot).parameters)


def test_resumed_makes_the_aggregate_at_its_version_with_its_times_and_nothing_pending() -> None:
    created, at = datetime(2012, 1, 1, tzinfo=UTC), datetime(2012, 6, 30, tzinfo=UTC)
    originator = uuid4()
    thing = es_adapter.resumed(Thing, originator, 42, at, {"name": "b"})
    assert type(thing) is Thing and thing.name == "b"
    assert (thing.id, thing.version, thing.created_on, thing.modified_on) == (originator, 42, at, at)
    assert thing.pending_events == [] and created < thing.created_on
    thing.trigger_event(Thing.Event)  # it goes on as any aggregate does
    assert thing.version == 43 and len(thing.collect_events()) == 1


# -- public but undocumented attributes the stores rely on (pinned, so that a change is noticed) ---------

def test_the_sqlite_recorders_insert_statement_and_cursor_are_as_the_stores_use_them(tmp_path: Path) -> None:
    datastore = SQLiteDatastore(str(tmp_path / "pin.db"))
    try:
        recorder = SQLiteApplicationRecorder(datastore, events_table_name="pinned")
        assert recorder.insert_events_statement == "INSERT INTO pinned VALUES (?,?,?,?)"
        with datastore.get_connection(commit=False) as connection:
            wrapped = connection.cursor()
            assert isinstance(wrapped, SQLiteCursor)
            with wrapped as raw:  # ledger.sqlite_store: the SQLiteCursor's own sqlite3.Cursor
                assert isinstance(raw, sqlite3.Cursor)
            assert callable(connection.commit) and callable(connection.rollback)
        assert isinstance(datastore.pool, SQLiteConnectionPool)
        assert {"db_name", "lock_timeout"} <= set(vars(datastore.pool))
        parameters: dict[str, Any] = dict(inspect.signature(SQLiteConnectionPool.get_connection).parameters)
        assert list(parameters) == ["self", "timeout", "is_writer"]
    finally:
        datastore.close()


def test_the_postgres_recorder_keeps_its_lock_statements_in_a_public_list() -> None:
    source = inspect.getsource(PostgresApplicationRecorder.__init__)
    assert "self.lock_table_statements" in source


# -- the drivers' errors, wrapped or not by eventsourcing, are told apart by their type first ----------

def test_driver_errors_are_classified_by_type_before_message() -> None:
    import psycopg.errors
    from eventsourcing.persistence import OperationalError

    from ledger.errors import LedgerLocked, LedgerNotFound
    from ledger.store_errors import store_error

    # As eventsourcing raises it: its own error, from the driver's.
    def wrapped(error: Exception) -> Exception:
        try:
            raise OperationalError(error) from error
        except OperationalError as e:
            return e

    locked = psycopg.errors.LockNotAvailable("canceling statement")  # no word of a lock in the message
    assert isinstance(store_error(locked, "db"), LedgerLocked)
    assert isinstance(store_error(wrapped(locked), "db"), LedgerLocked)
    assert isinstance(store_error(psycopg.errors.UndefinedTable("relation x"), "db"), LedgerNotFound)
    denied = store_error(psycopg.errors.InsufficientPrivilege("no"), "db")
    assert "this role may only read" in str(denied)
    busy = sqlite3.OperationalError("the file is busy elsewhere")
    busy.sqlite_errorname = "SQLITE_BUSY_SNAPSHOT"
    assert isinstance(store_error(busy, "db"), LedgerLocked)
    readonly = sqlite3.OperationalError("attempt to write")
    readonly.sqlite_errorname = "SQLITE_READONLY_DBMOVED"
    assert "read-only" in str(store_error(readonly, "db"))
    # The fallback:
    assert isinstance(store_error(sqlite3.OperationalError("database is locked"), "db"), LedgerLocked)
