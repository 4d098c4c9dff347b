"""The envelope every fact carries, and its canonical bytes.

A fact is a frozen ``eventsourcing`` aggregate event. Besides its own fields it
carries an envelope: the event id (the idempotency key), the effective date
(when the fact holds in the domain), the recorded-at instant (the event's
``timestamp``, set by the ledger, UTC), the actor, an optional act, a note, and
the hash of the previous event (``prev``).

Canonical form (what is stored, byte for byte, and hashed)::

    JSON object, UTF-8, no insignificant whitespace, keys sorted by code point,
    envelope keys  type, v, seq, id, effective_date, recorded_at, actor, act,
                   note, prev, and signature when the event is signed
    plus the fact's own fields; amounts and numbers as decimal strings
    ("1306000.00", "0.344444"), dates "YYYY-MM-DD", recorded_at
    "YYYY-MM-DDTHH:MM:SS.ffffffZ", seq and v as JSON integers, no floats.

    hash(event) = SHA-256(canonical bytes), hex; the canonical bytes contain
    prev = hash(previous event) (64 zeros for the first), so each hash covers
    the previous event's hash and the event's own content.

What a stored line must be to count as canonical (integers within ±(2^53 − 1), at most
1,000,000 bytes and 32 levels deep, …) is defined once, for both verifiers, by
``ledger.proofs.canonical_body``.
"""

from __future__ import annotations

import difflib
import hashlib
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Annotated, Any, ClassVar
from uuid import UUID

import orjson
from eventsourcing.domain import AggregateEvent

from events.errors import InvalidEvent, InvalidField, MissingField, UnknownField
from events.fields import (
    Act,
    ActKind,
    Code,
    Day,
    Kind,
    Optional,
    SignatureKind,
    Text,
    format_timestamp,
    parse_timestamp,
)

GENESIS = "0" * 64
LEDGER_SET = frozenset({"seq", "prev", "hash"})


def dumps(body: dict[str, Any]) -> bytes:
    """Canonical JSON bytes of a body made of str, int, None, bool and dicts."""
    # Copied: orjson's result keeps a 4 KiB allocation, which adds up when a million are held.
    return bytes(memoryview(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)))


class LedgerEvent(AggregateEvent):
    """Base of every fact in the ledger. Subclasses are named in the past tense."""

    TYPE: ClassVar[str]
    class_version: ClassVar[int] = 1
    # The earlier versions still read, each with its payload fields: a field added since is None.
    earlier_versions: ClassVar[dict[int, tuple[str, ...]]] = {}
    # Fields a correction may not change: the identity and references of the fact.
    KEYS: ClassVar[tuple[str, ...]] = ()
    PAYLOAD: ClassVar[dict[str, Kind]]

    event_id: Annotated[str, Code("id")]
    effective_date: Annotated[date, Day("effective_date")]
    actor: Annotated[str, Code("actor")]
    act: Annotated[Act | None, Optional("act", ActKind("act"))]
    note: Annotated[str, Text("note")]
    # Ed25519 signature (base64) of the content by the actor's registered key; None in an unsigned ledger.
    signature: str | None
    prev: str

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls.TYPE = cls.__name__

    def apply(self, aggregate: Any) -> None:
        aggregate.record(self)

    @classmethod
    def payload_kinds(cls) -> dict[str, Kind]:
        """The fact's own fields (not the envelope) with their kinds, in declaration order."""
        found = cls.__dict__.get("_payload_kinds")
        if found is None:
            hints = typing.get_type_hints(cls, include_extras=True)
            found = {}
            for name, hint in hints.items():
                if name in _ENVELOPE_FIELDS:
                    continue
                for meta in getattr(hint, "__metadata__", ()):
                    if isinstance(meta, Kind):
                        found[name] = meta
            cls._payload_kinds = found  # type: ignore[attr-defined]
        return found

    @classmethod
    def versions(cls) -> dict[int, tuple[str, ...]]:
        """Every version of this type a ledger may hold, with its payload fields."""
        return {**cls.earlier_versions, cls.class_version: tuple(cls.payload_kinds())}

    # -- canonical form ---------------------------------------------------
    def content(self) -> dict[str, Any]:
        """The fact as submitted: envelope and payload, without what the ledger adds (nor the signature)."""
        return dict(self._content)

    @cached_property
    def _content(self) -> dict[str, Any]:
        return content_of(type(self), self.__dict__)

    @cached_property
    def content_bytes(self) -> bytes:
        """Canonical bytes of the content: what a signature signs, and what an identical re-submission
        repeats."""
        return dumps(self._content)

    def body(self) -> dict[str, Any]:
        """The canonical body: the content plus seq, recorded_at and prev."""
        body = self.content()
        if self.signature is not None:
            body["signature"] = self.signature
        body["seq"] = self.originator_version
        body["recorded_at"] = format_timestamp(self.timestamp)
        body["prev"] = self.prev
        return body

    @cached_property
    def canonical_bytes(self) -> bytes:
        return dumps(self.body())

    @cached_property
    def hash(self) -> str:
        return hashlib.sha256(self.canonical_bytes).hexdigest()

    @property
    def seq(self) -> int:
        return self.originator_version

    @property
    def recorded_at(self) -> datetime:
        return self.timestamp

    @classmethod
    def from_body(cls, body: dict[str, Any], originator_id: UUID, state: bytes | None = None) -> LedgerEvent:
        """Rebuild a stored event from its canonical body (and, if given, the stored bytes it was parsed
        from)."""
        # Stored bodies were checked when submitted and are protected by the hash chain:
        # decode them without re-validating (verify checks canonical form and links), and
        # without the dataclass constructor, whose per-field checks a replay of millions cannot afford.
        decoders = cls.__dict__.get("_decoders")
        if decoders is None:
            decoders = cls._decoders = tuple(  # type: ignore[attr-defined]
                (name, None if type(kind).decode is Kind.decode else kind.decode)
                for name, kind in cls.payload_kinds().items()
            )
        act = body.get("act")
        fields: dict[str, Any] = {
            "originator_id": originator_id,
            "originator_version": body["seq"],
            "timestamp": datetime.fromisoformat(body["recorded_at"]),
            "event_id": body["id"],
            "effective_date": date.fromisoformat(body["effective_date"]),
            "actor": body["actor"],
            "act": None if act is None else _ACT.decode(act, "act"),
            "note": body["note"],
            "signature": body.get("signature"),
            "prev": body["prev"],
        }
        for name, decode in decoders:
            value = body.get(name)
            fields[name] = value if decode is None else decode(value, name)
        if body["v"] != cls.class_version:
            fields["stored_version"] = body["v"]  # re-encoded as written (``content_of``)
        if state is not None:
            fields["canonical_bytes"] = state  # the stored bytes are the canonical form: no need to re-encode
        event = object.__new__(cls)
        event.__dict__.update(fields)
        return event


_ACT = ActKind("act")
_ENCODINGS = ("_content", "content_bytes", "canonical_bytes", "hash")  # the cached_property values


def forget_encodings(event: LedgerEvent) -> None:
    """Drop an event's cached encodings (they are recomputed, identical, when next asked for): what
    a long import keeps of each event it has written is then its fields alone."""
    cached = event.__dict__
    for name in _ENCODINGS:
        cached.pop(name, None)


_ENVELOPE_FIELDS = frozenset({
    "originator_id", "originator_version", "timestamp", "event_id", "effective_date", "actor", "act", "note",
    "signature", "prev",
})


def content_of(cls: type[LedgerEvent], fields: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical content of a fact of type ``cls`` (its envelope and payload): what a signature signs."""
    version = fields.get("stored_version", cls.class_version)
    body: dict[str, Any] = {
        "type": cls.TYPE,
        "v": version,
        "id": fields["event_id"],
        "effective_date": fields["effective_date"].isoformat(),
        "actor": fields["actor"],
        "act": None if fields["act"] is None else _ACT.encode(fields["act"]),
        "note": fields["note"],
    }
    kinds = cls.payload_kinds()
    for name in kinds if version == cls.class_version else cls.earlier_versions[version]:
        body[name] = kinds[name].encode(fields[name])
    return body


_ID, _DAY, _ACTOR = Code("id"), Day("effective_date"), Code("actor")
_OPTIONAL_ACT, _NOTE = Optional("act", _ACT), Text("note")
_SIGNATURE = Optional("signature", SignatureKind("signature"))


def envelope_kwargs(obj: dict[str, Any]) -> dict[str, Any]:
    """Parse the envelope fields a submitter supplies (id, dates, actor, act, note)."""
    if "id" not in obj:
        raise MissingField("id", "is required")
    kwargs: dict[str, Any] = {"event_id": _ID.parse(obj["id"], "id")}
    if "effective_date" not in obj:
        raise MissingField("effective_date", "is required (YYYY-MM-DD: when the fact holds)")
    kwargs["effective_date"] = _DAY.parse(obj["effective_date"], "effective_date")
    if "actor" not in obj:
        raise MissingField("actor", "is required (who records the fact)")
    kwargs["actor"] = _ACTOR.parse(obj["actor"], "actor")
    kwargs["act"] = _OPTIONAL_ACT.parse(obj.get("act"), "act")
    kwargs["note"] = _NOTE.parse(obj.get("note", ""), "note")
    kwargs["signature"] = _SIGNATURE.parse(obj.get("signature"), "signature")
    return kwargs


@dataclass(frozen=True)
class Submission:
    """A fact as a controller submitted it, checked for form but not yet for the rules."""

    cls: type[LedgerEvent]
    fields: dict[str, Any]
    recorded_at: datetime | None = None
    # Signs the event once its place is known: given what a signature covers (the ledger's origin, the
    # event's sequence number and prev, its content: ``ledger.proofs.event_message``), the signature.
    signer: Callable[[bytes], str] | None = field(default=None, compare=False)

    @property
    def event_id(self) -> str:
        return str(self.fields["event_id"])

    @cached_property
    def content_bytes(self) -> bytes:
        """Canonical bytes of the submitted content, comparable with a stored event's; what is signed."""
        return dumps(content_of(self.cls, self.fields))

    def signed(self, signature: str) -> Submission:
        """With a signature made beforehand (it holds only at the place it was made for)."""
        return Submission(self.cls, {**self.fields, "signature": signature}, self.recorded_at)

    def signed_by(self, signer: Callable[[bytes], str]) -> Submission:
        """Signed, when it is written, by ``signer`` (see ``signer``)."""
        return Submission(self.cls, self.fields, self.recorded_at, signer)


def parse_fields(
    cls: type[LedgerEvent], obj: dict[str, Any], *, allow_recorded_at: bool, stored: bool = False
) -> Submission:
    """Check a submission's form against its type: required fields, kinds, no unknown fields.

    ``stored``: the content of a stored event, which may be of an earlier version of the type (one
    this program still reads, with that version's fields; the fields added since are None).
    """
    version = obj.get("v", cls.class_version)
    earlier = cls.earlier_versions.get(version) if stored else None
    kinds = cls.payload_kinds()
    if earlier is not None:
        kinds = {name: kinds[name] for name in earlier}
    known = {"type", "v", "id", "effective_date", "actor", "act", "note", "signature", *kinds}
    if allow_recorded_at:
        known.add("recorded_at")
    for name in obj:
        if name in LEDGER_SET:
            raise UnknownField(name, "is set by the ledger and cannot be submitted")
        if name == "recorded_at" and not allow_recorded_at:
            raise UnknownField(
                name, "is set by the ledger; only `import --backfill` accepts historical recording times"
            )
        if name not in known:
            expected = ", ".join(sorted(kinds)) or "no fields of its own"
            near = difflib.get_close_matches(name, sorted(known - {"type", "v"}), n=1)
            guess = f"; did you mean {near[0]}?" if near else ""
            raise UnknownField(name, f"is not a field of {cls.TYPE}{guess} (its fields: {expected})")
    if version != cls.class_version and earlier is None:
        raise InvalidEvent(
            f"{cls.TYPE} version {version!r} is not supported"
            f" (this program writes version {cls.class_version})"
        )
    fields = envelope_kwargs(obj)
    for name, kind in kinds.items():
        if name not in obj:
            if kind.default is not None:
                fields[name] = kind.parse(kind.default, name)
            elif kind.required:
                raise MissingField(name, f"is required by {cls.TYPE}")
            else:
                fields[name] = None
        else:
            fields[name] = kind.parse(obj[name], name)
    if earlier is not None:
        fields.update({name: None for name in cls.payload_kinds() if name not in kinds})
        fields["stored_version"] = version
    recorded_at = None
    if allow_recorded_at and "recorded_at" in obj:
        recorded_at = parse_timestamp(obj["recorded_at"], "recorded_at")
    return Submission(cls=cls, fields=fields, recorded_at=recorded_at)


def check_is_object(obj: Any) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise InvalidEvent(f"an event must be a JSON object, not {type(obj).__name__}")
    return obj


__all__ = ["GENESIS", "InvalidField", "LedgerEvent", "Submission", "dumps", "parse_fields"]
