"""Where a ledger lives: a SQLite file or a PostgreSQL URL (no database driver is imported here)."""

from __future__ import annotations

from pathlib import Path

DEFAULT_LEDGER = "perfledger.db"


def is_postgres(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))


def sqlite_path(location: str) -> Path:
    return Path(location.removeprefix("sqlite:///") if location.startswith("sqlite:///") else location)
