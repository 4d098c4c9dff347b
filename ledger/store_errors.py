"""What the database drivers raise, as the ledger's errors: one clear line each.

An error is classified by its type first (and, for SQLite, by its result code), walking the
chain of causes, since eventsourcing wraps a driver's error in its own; the message is read
only when no type says what happened. psycopg is looked at only if it is loaded: a SQLite
ledger never imports it.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from eventsourcing.persistence import PersistenceError

from ledger.errors import LedgerError, LedgerLocked, LedgerNotFound

LOCKED, READ_ONLY, DENIED, NOT_A_LEDGER, CANNOT_OPEN = (
    "locked", "read-only", "denied", "not a ledger", "cannot open"
)
# SQLite's primary result codes (sqlite3.Error.sqlite_errorname without its extended part).
SQLITE_KINDS = {
    "SQLITE_BUSY": LOCKED, "SQLITE_LOCKED": LOCKED, "SQLITE_READONLY": READ_ONLY, "SQLITE_PERM": DENIED,
    "SQLITE_NOTADB": NOT_A_LEDGER, "SQLITE_CANTOPEN": CANNOT_OPEN,
}
# psycopg's error classes (psycopg.errors), by name.
PSYCOPG_KINDS = {
    "LockNotAvailable": LOCKED, "ReadOnlySqlTransaction": READ_ONLY, "InsufficientPrivilege": DENIED,
    "UndefinedTable": NOT_A_LEDGER, "InvalidSchemaName": NOT_A_LEDGER, "InvalidCatalogName": NOT_A_LEDGER,
}


def causes(error: BaseException) -> Iterator[BaseException]:
    """The error, then what caused it (eventsourcing raises its own errors ``from`` the driver's)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or (
            current.args[0] if current.args and isinstance(current.args[0], BaseException) else None
        )


def kind_of(error: BaseException) -> str | None:
    """What happened, by the type of the error or of one of its causes; None if no type says."""
    psycopg_errors = sys.modules.get("psycopg.errors")
    for cause in causes(error):
        if isinstance(cause, sqlite3.Error):
            parts = str(getattr(cause, "sqlite_errorname", "") or "").split("_", 2)
            found = SQLITE_KINDS.get("_".join(parts[:2]))
            if found is not None:
                return found
        if psycopg_errors is not None:
            for name, kind in PSYCOPG_KINDS.items():
                if isinstance(cause, getattr(psycopg_errors, name)):
                    return kind
    return None


def kind_from_message(text: str) -> str | None:
    """The fallback: what the message says happened."""
    if "locked" in text or "busy" in text or "lock timeout" in text:
        return LOCKED
    if "readonly" in text or "read-only" in text:
        return READ_ONLY
    if "permission denied" in text:
        return DENIED
    if "not a database" in text or "does not exist" in text:
        return NOT_A_LEDGER
    if "unable to open" in text or "connect" in text or "Connection" in text:
        return CANNOT_OPEN
    return None


def store_error(error: Exception, where: str | Path) -> LedgerError:
    """One clear line for what the database drivers raise."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    kind = kind_of(error) or kind_from_message(text)
    if kind == LOCKED:
        return LedgerLocked(
            f"{where} is locked by another writer; try again (PERFLEDGER_LOCK_TIMEOUT sets the wait)"
        )
    if kind == READ_ONLY:
        return LedgerError(f"{where} is read-only: nothing was written")
    if kind == DENIED:
        return LedgerError(f"{where}: {text} (this role may only read; nothing was written)")
    if kind == NOT_A_LEDGER:
        return LedgerNotFound(f"{where} is not a perfledger ledger; create one with `perfledger init`")
    if kind == CANNOT_OPEN:
        return LedgerError(f"cannot open {where}: {text}")
    return LedgerError(f"{where}: {text}")


def is_driver_error(error: BaseException) -> bool:
    """An error of the store (eventsourcing's, SQLite's, psycopg's), as opposed to a bug."""
    if isinstance(error, (PersistenceError, sqlite3.Error)):
        return True
    return type(error).__module__.startswith(("psycopg", "psycopg_pool"))


def is_missing_table(error: BaseException) -> bool:
    """Does the error say a table the ledger keeps is missing (not a perfledger ledger)?"""
    return kind_of(error) == NOT_A_LEDGER or "no such table" in str(error)


def is_overflow(error: BaseException) -> bool:
    """Did the store refuse a sum beyond its integers?"""
    psycopg_errors = sys.modules.get("psycopg.errors")
    if psycopg_errors is not None and any(
        isinstance(c, psycopg_errors.NumericValueOutOfRange) for c in causes(error)
    ):
        return True
    return is_driver_error(error) and "overflow" in str(error).lower()


@contextmanager
def driver_errors(
    where: str | Path, *, keep: type[BaseException] | tuple[type[BaseException], ...] = ()
) -> Iterator[None]:
    """Raise what the drivers raise in the block as the ledger's errors (``store_error``);
    ``keep``: as it is."""
    try:
        yield
    except keep:
        raise
    except Exception as e:
        if not is_driver_error(e):
            raise
        raise store_error(e, where) from None
