"""Where a ledger lives: a SQLite file or a PostgreSQL URL (no database driver is imported here)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

DEFAULT_LEDGER = "perfledger.db"


def is_postgres(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))


def sqlite_path(location: str) -> Path:
    return Path(location.removeprefix("sqlite:///") if location.startswith("sqlite:///") else location)


def sqlite_database(path: Path) -> str:
    """What SQLite is asked to open for the ledger file at ``path`` (a path, or a URI to open as one).

    Where this user may write both the file and its folder: the path itself. Else the ledger is
    opened read-only (``mode=ro``), so that its figures can still be read and a write is refused
    as such. A WAL ledger needs its ``-shm`` file, which a folder the user cannot write cannot
    hold: there, unless another process has the ledger open (its ``-wal`` file is then present,
    and read), the file is read as ``immutable``, without locks, as it stands when opened. A
    writer that starts and finishes meanwhile (someone who may write the folder) is not seen.
    """
    folder = path.parent if str(path.parent) else Path(".")
    if not path.exists() or (os.access(path, os.W_OK) and os.access(folder, os.W_OK)):
        return str(path)
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    if not os.access(folder, os.W_OK) and not Path(f"{path}-wal").exists():
        uri += "&immutable=1"
    return uri


def is_read_only(database: str) -> bool:
    """Is ``database`` (what ``sqlite_database`` gave) opened read-only?"""
    return database.startswith("file:") and "mode=ro" in database
