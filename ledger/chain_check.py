"""The chain checked row by row: sequence, links, hashes, canonical form, fields and signatures.

Pure functions over stored rows ``(seq, topic, bytes, the chain table's hash)``: they never build
a domain object, so they run at the speed of hashing and parsing, in one process or in parts.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import cache
from typing import Any, Self

import orjson
from eventsourcing.utils import get_topic

from events import LedgerEvent
from events.parse import ALL_TYPES
from ledger import proofs

# recorded_at as events.fields.format_timestamp spells it: UTC, microseconds, "Z".
INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
# The same test, a third of the time: its UTF-8 with every ASCII digit made 0 is this shape.
DIGITS_AS_0 = bytes.maketrans(b"0123456789", b"0" * 10)
INSTANT_SHAPE = b"0000-00-00T00:00:00.000000Z"
TOPICS = {get_topic(cls): cls for cls in ALL_TYPES.values()}
Signers = proofs.Signers
Shapes = dict[int, tuple[frozenset[str], frozenset[str]]]  # by version: the fields, unsigned and signed
# The canonical form is ledger.proofs' (canonical_body); orjson re-encodes with its integers held
# to ±(2^53 − 1), as that form requires.
CANONICAL = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER
# Top-level values that need a closer look: a float is never canonical, a boolean may not be "v" or
# "seq", and what an object or array holds is looked into (nested_plain).
CLOSER_LOOK = frozenset({float, bool, dict, list})


class SignatureProblem(str):
    """A problem of a signed ledger's signatures, at event ``at``: the chain itself is sound there."""

    at: int

    def __new__(cls, text: object, at: int) -> Self:
        problem = super().__new__(cls, str(text))
        problem.at = at
        return problem

    def __getnewargs__(self) -> tuple[str, int]:  # type: ignore[override]
        return str(self), self.at


def check_rows(
    rows: Iterable[tuple[Any, ...]], seq: int, prev: str, signers: Signers
) -> tuple[str | None, int, str]:
    """Check rows (seq, topic, bytes, chain hash) that follow event ``seq``, whose hash is ``prev``.

    Returns the first problem of the chain with the sequence number it is at and the hash of the
    event before it; else the first problem of the signatures (None if none: the chain is checked
    on past it) with the last row's sequence number and hash. A row that passes ``is_sound``, the
    checks made inline for speed, needs no more; one that fails goes through ``check_row`` for its
    message.
    """
    kinds = kinds_by_topic()
    signatures: SignatureProblem | None = None  # the first: the chain is checked on past it
    for version, topic, state, recorded_hash in rows:
        seq += 1
        digest, body = is_sound(version, topic, state, recorded_hash, seq, prev, kinds)
        if body is None:
            problem, digest = check_row(version, topic, state, seq, prev, recorded_hash, signers)
            if problem is not None and not isinstance(problem, SignatureProblem):
                return problem, seq, prev
            signatures = signatures or problem
        elif signers.actors or "signature" in body or body["type"] == "ActorRegistered":  # a signed ledger
            signatures = signatures or signature_problem(seq, body, signers)
        elif seq == 1:
            signers.open(body, state)
        prev = digest
    return signatures, seq, prev


def is_sound(
    version: int, topic: str, state: Any, recorded_hash: str | None, seq: int, prev: str,
    kinds: dict[str, tuple[str, Shapes]],
) -> tuple[str, dict[str, Any] | None]:
    """The row's hash, and its body if every check of the chain holds (None if one does not)."""
    try:
        digest = hashlib.sha256(state).hexdigest()
        body = orjson.loads(state)
        kind, shapes = kinds[topic]
        fields, signed_fields = shapes[body["v"]]
        keys = body.keys()
        sound = (
            version == seq and digest == recorded_hash and type(state) is bytes
            and (keys == fields or keys == signed_fields) and body["seq"] == seq and body["prev"] == prev
            and body["type"] == kind and plain(body, state)
            and orjson.dumps(body, option=CANONICAL) == state
            and body["recorded_at"].encode().translate(DIGITS_AS_0) == INSTANT_SHAPE  # INSTANT, faster
        )
    except (TypeError, KeyError, AttributeError, orjson.JSONDecodeError):  # an unhashable v: TypeError
        return "", None
    return digest, body if sound else None


def plain(body: dict[str, Any], state: bytes) -> bool:
    """The canonical form's rules that orjson's re-encoding does not check: the line's length, an id
    that is a string, and (nested_plain) no float, no boolean for "v" or "seq", no deep nesting."""
    return (len(state) <= proofs.MAX_LINE and type(body["id"]) is str
            and (CLOSER_LOOK.isdisjoint(map(type, body.values())) or nested_plain(body)))


def nested_plain(body: dict[str, Any]) -> bool:
    """Whether a body whose values include a float, a boolean, an object or an array is canonical
    there: no float at any depth, no deeper than proofs.MAX_DEPTH, "v" and "seq" integers."""
    return type(body["v"]) is int and type(body["seq"]) is int and _no_float_within(body, 1)


def _no_float_within(value: Any, depth: int) -> bool:
    if depth > proofs.MAX_DEPTH:
        return False
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, list):
        return True
    return all(type(item) is not float and _no_float_within(item, depth + 1) for item in value)


def signature_problem(seq: int, body: dict[str, Any], signers: Signers) -> SignatureProblem | None:
    """In a signed ledger, the same signature rules as when appending (ledger.proofs)."""
    try:
        proofs.check_event_signature(seq, body, signers)
    except proofs.ProofError as e:
        return SignatureProblem(e, seq)
    return None


@cache
def kinds_by_topic() -> dict[str, tuple[str, Shapes]]:
    """Each stored topic's type name and, for each version a ledger may hold, its body fields without
    a signature and with one."""
    return {topic: (cls.TYPE, {v: (fields_of(cls, v), fields_of(cls, v) | {"signature"})
                               for v in cls.versions()})
            for topic, cls in TOPICS.items()}


ENVELOPE = ("type", "v", "seq", "id", "effective_date", "recorded_at", "actor", "act", "note", "prev")


@cache
def fields_of(cls: type[LedgerEvent], version: int | None = None) -> frozenset[str]:
    """The fields a type's body holds in a version (the current one by default; a signature may be
    added). Computed when first needed: the type hints it reads cost about a millisecond a type, and
    most commands never verify."""
    return frozenset({*ENVELOPE, *cls.versions()[cls.class_version if version is None else version]})


def check_row(
    version: int, topic: str, state: Any, seq: int, prev: str, recorded_hash: str | None,
    signers: Signers,
) -> tuple[str | None, str]:
    """The first problem of one stored row (None if it is sound), and its hash."""
    if version != seq:
        return f"event {seq} is missing (the next stored event is {version})", ""
    if not isinstance(state, bytes):
        return f"event {seq} was altered: its stored bytes were replaced by {type(state).__name__}", ""
    digest = hashlib.sha256(state).hexdigest()
    if recorded_hash is None:
        return f"event {seq} is not in the chain table: it was inserted behind the ledger's back", digest
    if digest != recorded_hash:
        return (f"event {seq} was altered: its bytes hash to {digest[:12]}…, the chain recorded"
                f" {recorded_hash[:12]}…"), digest
    try:
        body = proofs.canonical_body(state, seq)
    except proofs.ProofError as e:
        return str(e), digest
    problem = body_problem(body, topic, seq, prev)
    if problem is not None:
        return problem, digest
    if seq == 1:
        signers.open(body, state)
    return signature_problem(seq, body, signers), digest


def body_problem(body: dict[str, Any], topic: str, seq: int, prev: str) -> str | None:
    """What is wrong with a canonical body that hashes as the chain says: place, link, type, fields."""
    if body.get("seq") != seq:
        return f"event {seq} says it is event {body.get('seq')}: events were swapped or moved"
    if body.get("prev") != prev:
        return (
            f"event {seq} does not link to event {seq - 1}:"
            " an event before it was altered, removed or inserted"
        )
    cls = TOPICS.get(topic)
    if cls is None:
        return f"event {seq} has unknown type {topic!r}"
    if body.get("type") != cls.TYPE:
        return f"event {seq} is stored as {cls.TYPE} but its hashed body says {body.get('type')!r}"
    if type(body.get("v")) is not int or body["v"] not in cls.versions():
        return f"event {seq} is version {body.get('v')!r} of {cls.TYPE}, which this perfledger does not know"
    fields = fields_of(cls, body["v"])
    if len(body) - ("signature" in body) != len(fields) or not fields <= body.keys():
        return f"event {seq} does not decode: its fields are not those of {cls.TYPE}"
    if not isinstance(body["recorded_at"], str) or INSTANT.fullmatch(body["recorded_at"]) is None:
        return f"event {seq} has a recorded_at not spelt YYYY-MM-DDTHH:MM:SS.ffffffZ: {body['recorded_at']!r}"
    return None
