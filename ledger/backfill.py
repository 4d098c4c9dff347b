"""A migrated history: events with their own recorded_at, imported into a new ledger, closed by
HistoryMigrated."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date

from events import HistoryMigrated, Submission, parse_submission
from ledger.errors import BackfillRefused


def is_migration(batch: Sequence[Submission]) -> bool:
    """Does the batch give recorded_at (a migrated history, allowed into a new ledger only)?"""
    return any(sub.recorded_at is not None for sub in batch)


def closed(batch: Sequence[Submission], actor: str, day: date) -> Sequence[Submission]:
    """A migrated history that creates its ledger, with the HistoryMigrated that closes it if it lacks one."""
    if is_migration(batch) and batch[-1].cls is not HistoryMigrated:
        return [*batch, history_migrated(batch, "", actor, day)]
    return batch


def check_migration(batch: Sequence[Submission], version: int) -> None:
    """A batch that gives recorded_at is a migration: it creates the ledger and ends with HistoryMigrated."""
    migrated = [sub for sub in batch if sub.cls is HistoryMigrated]
    if not is_migration(batch) and not migrated:
        return
    if version != 1 or not migrated or batch[-1].cls is not HistoryMigrated or len(migrated) > 1:
        raise BackfillRefused(
            "a migrated history (events with recorded_at) is imported into a new ledger and closed by one"
            " HistoryMigrated event, its last (perfledger import --backfill does both); nothing was written"
        )
    if batch[-1].recorded_at is not None:
        raise BackfillRefused("HistoryMigrated is recorded at the store's clock: give it no recorded_at")


def refuse_into_existing(location: str) -> BackfillRefused:
    return BackfillRefused(
        f"{location} already holds a ledger: recorded_at may be given only when a history is"
        " migrated into a new ledger (import --backfill into a path with no ledger yet); nothing was"
        " written"
    )


def history_migrated(batch: Sequence[Submission], source: str, actor: str, day: date) -> Submission:
    """The event that closes a migrated history imported into a new ledger (events 1 to len(batch) + 1).

    ``sha256`` is the hash of the migrated events' canonical contents, one per line, so that anyone
    can recompute it from the ledger itself.
    """
    digest = hashlib.sha256(b"\n".join(sub.content_bytes for sub in batch)).hexdigest()
    return parse_submission({
        "type": HistoryMigrated.TYPE, "id": f"history-migrated-{digest[:16]}",
        "effective_date": day.isoformat(), "actor": actor, "upto": len(batch) + 1,
        "source": source, "sha256": digest,
    })
