"""From a ledger's location to eventsourcing's settings, refusing what is not a ledger
(nothing is changed)."""

from __future__ import annotations

import getpass
import os
import re
import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from ledger.errors import LedgerError, LedgerNotFound
from ledger.location import DEFAULT_LEDGER, is_postgres, sqlite_database, sqlite_path

SQLITE_HEADER = b"SQLite format 3\x00"


def location_of(location: str | None) -> str:
    """The ledger asked for: the given location, else PERFLEDGER_LEDGER, else the default file."""
    return location or os.environ.get("PERFLEDGER_LEDGER") or DEFAULT_LEDGER


def store_env(location: str, *, create: bool) -> tuple[dict[str, str], str]:
    """eventsourcing's settings for the ledger at ``location``, and the location as shown to a person."""
    lock_timeout = os.environ.get("PERFLEDGER_LOCK_TIMEOUT", "10")
    if is_postgres(location):
        env, shown = postgres_env(location, lock_timeout), location
    else:
        path = sqlite_path(location)
        check_sqlite_path(path, create=create)
        env, shown = sqlite_env(path, lock_timeout), str(path)
    env["CREATE_TABLE"] = "y" if create else "n"
    return env, shown


def check_sqlite_path(path: Path, *, create: bool) -> None:
    """Refuse a missing file (unless created), a directory, and a file that is another's."""
    if not create and not path.exists():
        raise LedgerNotFound(f"no ledger at {path}; create one with `perfledger init`")
    if path.is_dir():
        raise LedgerError(f"{path} is a directory, not a ledger file")
    if path.exists() and (path.stat().st_size > 0 or not create) and not is_sqlite_ledger(path):
        raise not_a_ledger(path)  # create=True makes a new file, or fills an empty one: never another's


def sqlite_env(path: Path, lock_timeout: str) -> dict[str, str]:
    return {
        "PERSISTENCE_MODULE": "ledger.sqlite_store:LedgerSQLiteFactory",
        "SQLITE_DBNAME": str(path),
        "SQLITE_LOCK_TIMEOUT": lock_timeout,
    }


def not_a_ledger(path: Path) -> LedgerNotFound:
    """Why an existing file is refused as a ledger: it is never taken over, nor changed."""
    try:
        with path.open("rb") as file:
            header = file.read(16)
    except OSError:
        header = b""
    if header == SQLITE_HEADER:
        return LedgerNotFound(f"{path} is a SQLite database but not a perfledger ledger; nothing was changed")
    if not header:
        return LedgerNotFound(
            f"{path} is an empty file, not a perfledger ledger; remove it or choose another path"
        )
    return LedgerNotFound(f"{path} is not a perfledger ledger, nor a SQLite database; nothing was changed")


def is_sqlite_ledger(path: Path) -> bool:
    """Does the file hold a perfledger ledger? Asked without changing it (eventsourcing would
    switch it to WAL)."""
    try:
        with path.open("rb") as file:
            if file.read(16) != SQLITE_HEADER:
                return False
        db = sqlite3.connect(sqlite_database(path), uri=True)  # read-only where the user may not write
        try:
            return (
                db.execute("SELECT 1 FROM sqlite_master WHERE name='perfledger_meta'").fetchone()
                is not None
            )
        finally:
            db.close()
    except sqlite3.DatabaseError as e:
        if "not a database" in str(e):
            return False
        raise LedgerError(f"cannot open {path}: {e} (is its directory read-only?)") from None


def postgres_env(url: str, lock_timeout: str) -> dict[str, str]:
    """eventsourcing's settings for a PostgreSQL URL, with libpq's usual PG* fallbacks."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise LedgerError(f"{url}: the port must be a number") from None
    if parts.password:
        raise LedgerError(
            "put the PostgreSQL password in PGPASSWORD or ~/.pgpass, not in the URL (it would end up in logs)"
        )
    query = parse_qs(parts.query)
    schema = query.get("schema", ["public"])[0]
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", schema):
        raise LedgerError(
            f"{url}: the schema name must be letters, digits and underscores (not starting with a digit)"
        )
    user = parts.username or os.environ.get("PGUSER") or getpass.getuser()
    return {
        "PERSISTENCE_MODULE": "ledger.postgres_store:LedgerPostgresFactory",
        "POSTGRES_DBNAME": parts.path.lstrip("/") or os.environ.get("PGDATABASE") or user,
        "POSTGRES_HOST": parts.hostname or os.environ.get("PGHOST") or "localhost",
        "POSTGRES_PORT": str(port or os.environ.get("PGPORT") or 5432),
        "POSTGRES_USER": user,
        # Empty means "not given": libpq then reads PGPASSWORD or ~/.pgpass itself.
        "POSTGRES_PASSWORD": "",
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_LOCK_TIMEOUT": lock_timeout,
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_POOL_SIZE": "2",
        "POSTGRES_MAX_OVERFLOW": "4",
    }
