"""The event codec: how an event is stored (its canonical bytes, its topic) and rebuilt from them.

eventsourcing's ``Mapper`` is the extension point: ``CanonicalMapper`` stores each event as
exactly the bytes that are hashed, so the stored ``state`` column is the canonical form.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from events import LedgerEvent
from events.parse import ALL_TYPES
from ledger.aggregate import LEDGER_ID
from ledger.errors import LedgerError, UndecodableEvent

# Each event type by its stored topic ("module:Class").
TOPICS: dict[str, type[LedgerEvent]] = {get_topic(cls): cls for cls in ALL_TYPES.values()}


class CanonicalMapper(Mapper[UUID]):
    """Stores each event as its canonical bytes, so what is hashed is exactly what is stored."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(domain_event)),
            state=domain_event.canonical_bytes,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return decode(stored_event.originator_version, stored_event.topic, stored_event.state)


def decode(seq: int, topic: str, state: bytes) -> LedgerEvent:
    """Rebuild a stored event, refusing one whose type column disagrees with its hashed body."""
    cls = TOPICS.get(topic)
    if cls is None:
        raise LedgerError(f"event {seq} has unknown type {topic!r}")
    try:
        event = decode_body(state, keep=True)
    except UndecodableEvent:
        raise
    except LedgerError:
        event = None
    if type(event) is not cls:
        found = event.TYPE if event is not None else "something else"
        raise LedgerError(f"event {seq} is stored as {cls.TYPE} but its hashed body says {found!r}")
    return event


def decode_body(state: bytes, originator_id: UUID = LEDGER_ID, *, keep: bool = False) -> LedgerEvent:
    """An event's canonical bytes as a typed event: the type and version are the hashed body's own.

    ``keep`` says the bytes are a stored event's, so they are its canonical bytes as they are.
    """
    body = orjson.loads(state)
    cls = ALL_TYPES.get(str(body.get("type"))) if isinstance(body, dict) else None
    if cls is None or type(body.get("v")) is not int or body["v"] not in cls.versions():
        raise LedgerError(f"unknown event type or version in {bytes(state)[:60]!r}")
    try:
        return cls.from_body(body, originator_id, bytes(state) if keep else None)
    except (KeyError, TypeError, ValueError, ArithmeticError) as e:  # written around the writer
        raise UndecodableEvent(f"event {body.get('seq')} does not decode as {cls.TYPE}"
                               f" ({type(e).__name__}: {e}); run `perfledger verify`") from None


def decode_body_dict(body: dict[str, Any]) -> LedgerEvent:
    """A canonical body, already parsed, as a typed event."""
    cls = ALL_TYPES[str(body["type"])]
    return cls.from_body(body, LEDGER_ID)
