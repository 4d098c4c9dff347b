"""The chain checked row by row: sequence, links, hashes, canonical form, fields and signatures.

Pure functions over stored rows ``(seq, topic, bytes, the chain table's hash)``: they never build
a domain object, so they run at the speed of hashing and parsing, in one process or in parts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache
from typing import Any, Self

import orjson
from eventsourcing.utils import get_topic

from events import LedgerEvent
from events.parse import ALL_TYPES
from ledger import proofs

TOPICS = {get_topic(cls): cls for cls in ALL_TYPES.values()}
Actors = dict[str, tuple[str, str, bool]]


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
    rows: Iterable[tuple[Any, ...]], seq: int, prev: str, actors: Actors
) -> tuple[str | None, int, str]:
    """Check rows (seq, topic, bytes, chain hash) that follow event ``seq``, whose hash is ``prev``.

    Returns the first problem (None if every row is sound) with the sequence number it is at (else
    of the last row) and the hash of the event before it (else of the last row). The loop does the
    checks of ``check_row`` inline, for a row that passes them all; a row that fails any of them
    goes through ``check_row`` for its message.
    """
    sha256, loads, dumps, sort = hashlib.sha256, orjson.loads, orjson.dumps, orjson.OPT_SORT_KEYS
    kinds = kinds_by_topic()
    signatures: SignatureProblem | None = None  # the first: the chain is checked on past it
    for version, topic, state, recorded_hash in rows:
        seq += 1
        try:
            digest = sha256(state).hexdigest()
            body = loads(state)
            kind, class_version, fields, signed_fields = kinds[topic]
            keys = body.keys()
            sound = (
                version == seq and digest == recorded_hash and type(state) is bytes
                and (keys == fields or keys == signed_fields) and body["seq"] == seq and body["prev"] == prev
                and body["type"] == kind and body["v"] == class_version and dumps(body, option=sort) == state
            )
        except (TypeError, KeyError, AttributeError, orjson.JSONDecodeError):
            sound = False
        if sound and (actors or "signature" in body or kind == "ActorRegistered"):  # a signed ledger
            try:
                proofs.check_event_signature(seq, body, actors)
            except proofs.ProofError as e:
                signatures = signatures or SignatureProblem(e, seq)
        elif not sound:
            problem, digest = check_row(version, topic, state, seq, prev, recorded_hash, actors)
            if isinstance(problem, SignatureProblem):
                signatures = signatures or problem
            elif problem:
                return problem, seq, prev
        prev = digest
    return signatures, seq, prev


@cache
def kinds_by_topic() -> dict[str, tuple[str, int, frozenset[str], frozenset[str]]]:
    """Each stored topic's type name, version and body fields, without a signature and with one."""
    return {topic: (cls.TYPE, cls.class_version, fields_of(cls), fields_of(cls) | {"signature"})
            for topic, cls in TOPICS.items()}


@cache
def fields_of(cls: type[LedgerEvent]) -> frozenset[str]:
    """The fields a type's body holds (a signature may be added). Computed when first needed: the type
    hints it reads cost about a millisecond a type, and most commands never verify."""
    return frozenset({"type", "v", "seq", "id", "effective_date", "recorded_at", "actor", "act", "note", "prev",
                      *cls.payload_kinds()})


def check_row(
    version: int, topic: str, state: Any, seq: int, prev: str, recorded_hash: str | None,
    actors: Actors,
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
        return f"event {seq} was altered: its bytes hash to {digest[:12]}…, the chain recorded {recorded_hash[:12]}…", digest
    try:
        body = orjson.loads(state)
    except orjson.JSONDecodeError:
        return f"event {seq} is not valid JSON", digest
    if not isinstance(body, dict) or orjson.dumps(body, option=orjson.OPT_SORT_KEYS) != state:
        return f"event {seq} is not in canonical form", digest
    if body.get("seq") != seq:
        return f"event {seq} says it is event {body.get('seq')}: events were swapped or moved", digest
    if body.get("prev") != prev:
        return f"event {seq} does not link to event {seq - 1}: an event before it was altered, removed or inserted", digest
    cls = TOPICS.get(topic)
    if cls is None:
        return f"event {seq} has unknown type {topic!r}", digest
    if body.get("type") != cls.TYPE or body.get("v") != cls.class_version:
        return f"event {seq} is stored as {cls.TYPE} but its hashed body says {body.get('type')!r}", digest
    fields = fields_of(cls)
    if len(body) - ("signature" in body) != len(fields) or not fields <= body.keys():
        return f"event {seq} does not decode: its fields are not those of {cls.TYPE}", digest
    try:  # in a signed ledger, the same signature rules as when appending
        proofs.check_event_signature(seq, body, actors)
    except proofs.ProofError as e:
        return SignatureProblem(e, seq), digest
    return None, digest
