"""A new SQLite ledger appears whole, or not at all, and never over another's file.

A ledger made in place can be seen half-made, and a failure would have to
delete it, perhaps after another process had written to it and been told
its events were stored. So a new ledger is built in a temporary file beside
the ledger's path, its write-ahead log checkpointed into it and closed (the
main file then holds everything: a live database is never moved without its
-wal), and published with ``os.link``, which fails if the path exists: no
file is ever clobbered. The temporary name is removed whatever happens;
the path itself is only ever created by that link, and never removed.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ledger.application import Store
from ledger.errors import LedgerError
from ledger.files import sync_directory

T = TypeVar("T")
_SIDE_FILES = ("", "-wal", "-shm", "-journal")


def temporary_beside(path: Path) -> Path:
    """A hidden name in the ledger's directory (a link cannot cross file systems)."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.new")


def create_ledger_file(path: Path, build: Callable[[Store], T]) -> T | None:
    """Build a new ledger with ``build`` in a temporary file and publish it at ``path``.

    Returns what ``build`` returned; None, publishing nothing, if a ledger (or any
    file) appeared at ``path`` meanwhile: the caller then opens it as it is.
    """
    temp = temporary_beside(path)
    try:
        store = Store.open(str(temp), create=True)
        try:
            store.location = str(path)  # what its messages name: the ledger the user asked for
            result = build(store)
        finally:
            store.close()
        _checkpoint(temp)
        try:
            os.link(temp, path)
        except FileExistsError:
            return None
        sync_directory(path.parent)
        return result
    finally:
        for suffix in _SIDE_FILES:
            Path(f"{temp}{suffix}").unlink(missing_ok=True)


def _checkpoint(temp: Path) -> None:
    """Move the write-ahead log into the main file, so the file alone is the whole ledger."""
    db = sqlite3.connect(str(temp))
    try:
        busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        db.close()
    wal = Path(f"{temp}-wal")
    if busy or (wal.exists() and wal.stat().st_size > 0):
        raise LedgerError(f"could not complete the new ledger's file {temp}; nothing was written")
