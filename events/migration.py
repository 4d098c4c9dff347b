"""Migrating a history kept elsewhere into a new ledger."""

from __future__ import annotations

from typing import Annotated

from events.base import LedgerEvent
from events.fields import Count, Text


class HistoryMigrated(LedgerEvent):
    """Events 1 to ``upto`` were migrated: their ``recorded_at`` is the source's, not this ledger's clock.

    Written once, as the last event of the batch that creates the ledger
    (``perfledger import --backfill`` into a path with no ledger yet); its
    own recorded-at is the store's clock at the migration. ``source`` names
    what was migrated (a file name), ``sha256`` is the SHA-256 (hex) of the migrated events'
    canonical contents joined by new lines, so anyone can recompute it from the ledger itself.
    """

    KEYS = ("upto",)
    upto: Annotated[int, Count("upto", 1, 10**15)]
    source: Annotated[str, Text("source")]
    sha256: Annotated[str, Text("sha256")]
