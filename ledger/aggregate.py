"""The ledger aggregate: one chain of facts per ledger, its version is the sequence number."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from events import GENESIS, LedgerEvent, LedgerOpened, Submission
from ledger import proofs, rules
from ledger.book import Book
from ledger.errors import DuplicateId, RecordedAtOutOfOrder
from ledger.es_adapter import resumed
from ledger.sqlite_store import LEDGER_KEY

LEDGER_ID: UUID = LEDGER_KEY


class Ledger(Aggregate):
    """The chain of every fact of one ledger, in recording order.

    Its version is the gap-free sequence number of its last event: the store's
    unique key on (ledger id, version) lets only one writer extend the chain
    from a given head; the other gets an integrity error and retries on the
    new head.
    """

    @staticmethod
    def create_id(**_: Any) -> UUID:
        return LEDGER_ID

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self.book = Book()
        self.head = GENESIS
        self.head_recorded_at: datetime | None = None

    @classmethod
    def open(cls, *, entity: str, actor: str, note: str, now: datetime, origin: str | None = None) -> Ledger:
        """A new ledger: its book knows the batch it is written with creates it (``Book.opening``).

        ``origin`` names it in its checkpoints and signatures; by default a new name of its own
        (``new_origin``)."""
        fields: dict[str, Any] = {
            "originator_id": LEDGER_ID, "originator_version": cls.INITIAL_VERSION,
            "originator_topic": get_topic(cls), "entity": entity, "origin": origin or new_origin(entity, now),
            "event_id": "ledger-opened",
            "effective_date": now.date(), "actor": actor, "act": None, "note": note,
            "signature": None, "prev": GENESIS, "timestamp": now,
        }
        event = LedgerOpened(**fields)
        # What Aggregate's constructor does with its created event: mutate(None) makes the aggregate.
        ledger = event.mutate(None)
        assert isinstance(ledger, cls)
        ledger.pending_events.append(event)
        ledger.book.opening = True
        return ledger

    @classmethod
    def resume(cls, book: Book, head: LedgerEvent) -> Ledger:
        """The ledger as it stood after ``head``, its rules' state restored from a snapshot (``book``)."""
        state = {
            "entity": str(book.entity), "book": book, "head": head.hash, "head_recorded_at": head.timestamp
        }
        return resumed(cls, LEDGER_ID, head.seq, head.timestamp, state)

    def record(self, event: LedgerEvent) -> None:
        """Called by every event's ``apply``: fold it into the book and move the head."""
        self.book.apply(event)
        self.head = event.hash
        self.head_recorded_at = event.timestamp

    def extend(
        self, batch: Sequence[Submission], *, now: datetime, seen: set[str] | None = None
    ) -> list[bool]:
        """Append each new submission after checking the rules; return which were new.

        An event already stored with identical content is skipped (idempotent
        re-import); any failed rule raises and the whole batch is discarded by
        the caller.
        """
        seen = set() if seen is None else seen  # the ids met so far in this batch
        new: list[bool] = []
        for sub in batch:
            if sub.event_id in seen:
                raise DuplicateId("the same id appears twice in this batch", event_id=sub.event_id)
            seen.add(sub.event_id)
            if self.book.already_recorded(sub):
                new.append(False)
                continue
            kwargs = dict(sub.fields, timestamp=self._recorded_at(sub, now), prev=self.head)
            if sub.signer is not None:  # signed at its place: signed again if a retry moves it
                place = (str(self.book.origin), self.version + 1, self.head)
                kwargs["signature"] = sub.signer(proofs.event_message(*place, sub.content_bytes))
            event = sub.cls(originator_id=self.id, originator_version=self.version + 1, **kwargs)
            rules.check(self.book, event)
            # What trigger_event does, with the event already built and checked.
            event.mutate(self)
            self.pending_events.append(event)
            new.append(True)
        return new

    def _recorded_at(self, sub: Submission, now: datetime) -> datetime:
        """Recorded-at never goes backwards along the chain, so "known at T" is always a prefix."""
        last = self.head_recorded_at or now
        if sub.recorded_at is None:
            return max(now, last)
        if sub.recorded_at < last:
            hint = (
                "; a history is backfilled into a new ledger: import it into a path with no ledger yet,"
                " and the ledger's first event takes the history's first recording time"
                if self.version == 1 else "; backfilled events must come in recording order"
            )
            raise RecordedAtOutOfOrder(
                f"recorded_at {sub.recorded_at.isoformat()} is earlier than the ledger's last event"
                f" ({last.isoformat()}){hint}",
                event_id=sub.event_id,
            )
        if sub.recorded_at > now:
            raise RecordedAtOutOfOrder(
                f"recorded_at {sub.recorded_at.isoformat()} is in the future", event_id=sub.event_id
            )
        return sub.recorded_at


def new_origin(entity: str, now: datetime) -> str:
    """A new ledger's default origin: ``perfledger.invalid/`` (a name that is no address), a slug of
    its entity and a hash of its entity and creation instant (to the microsecond), so two ledgers
    share one only if made for the same entity at the same instant."""
    slug = "-".join(re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKD", entity).lower()))[:60] or "ledger"
    digest = hashlib.sha256(f"{entity}\n{now.isoformat()}".encode()).hexdigest()[:8]
    return f"perfledger.invalid/{slug}/{digest}"


def utcnow() -> datetime:
    return datetime.now(UTC)
