"""The rules of the ledger's own facts: it is opened once, as event 1; an actor is registered with a
sound key and revoked while registered; a migrated history is declared once, right after its events;
an imported file's rows name events recorded before it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from events import ActorRegistered, ActorRevoked, HistoryMigrated, LedgerOpened, SourceImported
from ledger import signers
from ledger.errors import DuplicateDefinition, InvalidCorrection, UnknownReference

if TYPE_CHECKING:
    from ledger.book import Book


def check_ledger_opened_only_as_event_1(book: Book, fact: LedgerOpened, replacing: bool) -> None:
    raise DuplicateDefinition(
        "the ledger is already open: LedgerOpened is event 1 only", event_id=fact.event_id
    )


def check_actor_not_registered_yet(book: Book, fact: ActorRegistered, replacing: bool) -> None:
    """A new actor, with a sound key (a weak one would let a fixed signature verify on anything)."""
    signers.sound_key(fact)
    current = book.actors.get(fact.name)
    if current is not None and not current.revoked:
        raise DuplicateDefinition(f"actor {fact.name!r} is already registered", event_id=fact.event_id)


def check_revoked_actor_is_registered(book: Book, fact: ActorRevoked, replacing: bool) -> None:
    current = book.actors.get(fact.name)
    if current is None or current.revoked:
        raise UnknownReference(f"no registered key of actor {fact.name!r} to revoke", event_id=fact.event_id)


def check_migration_declared_once_after_its_events(
    book: Book, fact: HistoryMigrated, replacing: bool
) -> None:
    """A migration is declared once, right after the events it covers (all of them, from event 1)."""
    if book.migrated is not None:
        raise DuplicateDefinition(f"events 1 to {book.migrated} were already declared migrated",
                                  event_id=fact.event_id)
    if fact.upto != fact.seq - 1:
        raise InvalidCorrection(
            f"HistoryMigrated as event {fact.seq} must cover events 1 to {fact.seq - 1}, not to {fact.upto}",
            event_id=fact.event_id,
        )


def check_source_rows_name_recorded_events(book: Book, fact: SourceImported, replacing: bool) -> None:
    """Each row of an imported file names an event recorded before this one: written by the same
    import, or by an earlier one when the file was imported again with rows added (a measurements
    workbook that grows each four months). Not another SourceImported, and a part within its parts."""
    if fact.part > fact.parts:
        raise UnknownReference(f"SourceImported says it is part {fact.part} of {fact.parts}",
                               event_id=fact.event_id)
    ids = [row.id for row in fact.rows]
    book.prefetch(ids)
    for row in fact.rows:
        event = book.recorded_event(row.id)
        if event is None:
            raise UnknownReference(f"{fact.source}, sheet {row.sheet!r}, row {row.row}: no event {row.id!r}"
                                   " is recorded before this SourceImported", event_id=fact.event_id)
        if isinstance(event, SourceImported):
            raise UnknownReference(f"{fact.source}, sheet {row.sheet!r}, row {row.row}: {row.id!r} is itself"
                                   " a SourceImported, not an event read from a file", event_id=fact.event_id)
