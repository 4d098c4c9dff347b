"""The owner's administration of a ledger: PostgreSQL roles, schema upgrades, and the caches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import PersistenceError

from ledger.errors import LedgerError
from ledger.location import is_postgres
from ledger.store_errors import is_driver_error, store_error

if TYPE_CHECKING:
    from ledger.application import Store
    from ledger.postgres_store import LedgerPostgresRecorder


def postgres_recorder(store: Store) -> LedgerPostgresRecorder | None:
    from ledger.postgres_store import LedgerPostgresRecorder  # only here: a SQLite ledger never loads psycopg

    recorder = store.recorder
    return recorder if isinstance(recorder, LedgerPostgresRecorder) else None


def grant(store: Store, role: str, name: str) -> None:
    """Create (if needed) the PostgreSQL role ``name`` with a controller's or an auditor's rights."""
    from ledger.postgres_admin import grant_statements

    recorder = postgres_recorder(store)
    if recorder is None:
        raise LedgerError(
            "database roles exist only on PostgreSQL; protect a SQLite ledger with file permissions"
        )
    statements = grant_statements(recorder.datastore.schema, recorder.events_table_name, role, name)
    try:
        with recorder.datastore.transaction(commit=True) as curs:
            for statement in statements:
                curs.execute(statement)
    except PersistenceError as e:
        raise store_error(e, store.location) from None


def upgrade(store: Store) -> str:
    """Bring a ledger of an older schema to this program's, in one transaction (its owner runs it).

    On PostgreSQL, from schema version 1: the recorder's create statements (idempotent: they
    add the write guards of ledger.postgres_guards), the ids of the events already stored,
    the new version, and no INSERT left to any role but the owner (a controller keeps SELECT
    and may append through ``perfledger_append``). Says what it did.
    """
    if not is_postgres(store.location):
        return (f"{store.location} is a SQLite ledger at schema version {store.schema_version},"
                " the current one: nothing to upgrade.")
    recorder = postgres_recorder(store)
    assert recorder is not None
    current = recorder.SCHEMA_VERSION
    if store.schema_version >= current:
        return f"{store.location} is at schema version {store.schema_version} already: nothing to upgrade."
    try:
        holders, indexed = upgrade_postgres(recorder)
    except PersistenceError as e:
        raise store_error(e, store.location) from None
    old, store.schema_version = store.schema_version, current
    revoked = [name or "PUBLIC" for name, inserts, _, _ in holders if inserts]
    return (f"Upgraded {store.location} from schema version {old} to {current}: installed the write guards,"
            f" indexed {indexed} event ids, revoked INSERT from {len(revoked)} role(s)"
            + (f" ({', '.join(revoked)})" if revoked else "") + ".")


def upgrade_postgres(recorder: LedgerPostgresRecorder) -> tuple[list[tuple[Any, ...]], int]:
    """The upgrade's one transaction: the roles that held privileges, and how many event ids are indexed."""
    from psycopg.sql import SQL, Identifier

    from ledger.postgres_admin import privilege_holders, upgrade_statements
    from ledger.postgres_guards import EVENT_IDS

    schema, table = recorder.datastore.schema, recorder.events_table_name
    with recorder.datastore.transaction(commit=True) as curs:
        curs.execute(privilege_holders(schema, table))
        holders = [(row["name"], row["inserts"], row["controller"], row["reads"]) for row in curs.fetchall()]
        for statement in upgrade_statements(recorder.sql_create_statements, schema, table, holders):
            curs.execute(statement, prepare=False)
        curs.execute(
            SQL("SELECT count(*) AS n FROM {0}.{1}").format(Identifier(schema), Identifier(EVENT_IDS))
        )
        row = curs.fetchone()
        assert row is not None
        return holders, int(row["n"])


def refresh(store: Store, *, rebuild: bool = False) -> str:
    """Bring the caches (read model, budget checkpoints, snapshots) up to the head: an empty
    append by the owner.

    A controller's appends on PostgreSQL leave the caches behind (only the owner may write
    them); a query then replays the events, and this writes what the caches lack. ``rebuild``
    first empties every cache (what ``perfledger verify`` advises when one differs from the
    events), so all of it is made again from the events. Says how far they now reach.
    """
    if rebuild:
        clear_caches(store)
    store.append([])
    head, upto = store.length(), store.recorder.derived_upto()
    if upto is None:
        return f"{store.location} keeps no read model (made by an older version): queries fold every event."
    if upto < head:
        raise LedgerError(
            f"{store.location}: the caches reach event {upto} of {head}; only the ledger's owner may write"
            " them (this role may not): run `perfledger db refresh` as the owner"
        )
    snapshot = store.recorder.query("SELECT MAX(seq) FROM perfledger_snapshots", ())[0][0]
    checkpoint = store.recorder.query("SELECT MAX(n) FROM perfledger_budget_checkpoints", ())[0][0]

    def at(seq: int | None) -> str:
        return f"event {seq}" if seq else "none yet"

    return (f"The caches of {store.location} reach the head: read model up to event {upto} of {head};"
            f" latest budget checkpoint: {at(checkpoint)}; latest snapshot: {at(snapshot)}.")


def clear_caches(store: Store) -> None:
    """Empty every cache, in one write transaction: the next append makes them again from the events."""
    store.check_writable()
    try:
        with store.recorder.writer() as writer:
            writer.clear_caches()
    except Exception as e:
        if not is_driver_error(e):
            raise
        raise store_error(e, store.location) from None
