"""Merkle tree heads, signed checkpoints and the offline verifier of a perfledger bundle.

This file depends on the Python standard library and, for signatures only,
the ``cryptography`` package. It runs on its own, without perfledger or a
database, so an evaluator (the OIV) can read it and run it on an exported
bundle:

    python verify.py BUNDLE_DIR --pubkey cdg.pub [--pubkey oiv.pub] [--checkpoint mine.txt]

The tree is RFC 9162's (Certificate Transparency v2), section 2.1: the leaves
are the events' canonical bytes in sequence order,

    leaf hash  = SHA-256(0x00 || canonical bytes of the event)
    node hash  = SHA-256(0x01 || left || right)
    MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of 2 below n

A checkpoint is a small text note: a body naming the ledger's entity, its
size, the tree head and the time, and one line per Ed25519 signature (the
body's bytes are what is signed):

    perfledger checkpoint v1
    entity: Camera di Commercio di Massa Carrara
    size: 398
    root: 3f5c...
    time: 2013-07-05T10:00:00Z

    — controllo-di-gestione 1a2b3c4d <base64 signature>
    — oiv 9f8e7d6c <base64 signature>
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HEADER = "perfledger checkpoint v1"
GENESIS = "0" * 64


class ProofError(Exception):
    """A proof, checkpoint, signature or bundle that does not hold; the message says why."""


# -- the tree (RFC 9162, 2.1) -------------------------------------------------------------------
def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """RFC 9162's Merkle tree over leaf hashes, with every perfect subtree's hash kept level by level.

    Each node is hashed once, when the tree is built; a tree head, an audit path or a consistency
    proof then follows the RFC's recursive definitions over ranges of leaves, and takes each
    perfect subtree (a power-of-two range starting at a multiple of its size, which is what those
    definitions split into) from its level instead of hashing it again.
    """

    def __init__(self, leaves: Sequence[bytes]):
        level = list(leaves)
        self.levels = [level]
        while len(level) > 1:
            level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            self.levels.append(level)

    def __len__(self) -> int:
        return len(self.levels[0])

    def root(self, start: int = 0, end: int | None = None) -> bytes:
        """MTH(D[start:end]), the hash of the leaves in that range (all of them by default)."""
        end = len(self) if end is None else end
        n = end - start
        if n <= 0:
            return hashlib.sha256(b"").digest()
        if n & (n - 1) == 0 and start % n == 0:  # a perfect subtree
            height = n.bit_length() - 1
            return self.levels[height][start >> height]
        k = _split(n)
        return node_hash(self.root(start, start + k), self.root(start + k, end))

    def path(self, index: int, start: int = 0, end: int | None = None) -> list[bytes]:
        """PATH(m, D[start:end]): the audit path of leaf ``index`` of that range."""
        end = len(self) if end is None else end
        if not 0 <= index < end - start:
            raise ProofError(f"leaf {index} is not in a tree of {end - start}")
        if end - start == 1:
            return []
        k = _split(end - start)
        if index < k:
            return [*self.path(index, start, start + k), self.root(start + k, end)]
        return [*self.path(index - k, start + k, end), self.root(start, start + k)]

    def consistency(self, first: int) -> list[bytes]:
        """PROOF(m, D[n]): what proves the tree of the first ``first`` leaves is a prefix of this one."""
        if not 0 < first <= len(self):
            raise ProofError(f"no consistency proof from {first} to {len(self)}")
        return self._subproof(first, 0, len(self), True)

    def _subproof(self, m: int, start: int, end: int, whole: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if whole else [self.root(start, end)]
        k = _split(n)
        if m <= k:
            return [*self._subproof(m, start, start + k, whole), self.root(start + k, end)]
        return [*self._subproof(m - k, start + k, end, False), self.root(start, start + k)]


def tree_head(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes."""
    return MerkleTree(leaves).root()


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]): the audit path of leaf ``index``."""
    return MerkleTree(leaves).path(index)


def _up_to_right_child(fn: int, sn: int) -> tuple[int, int]:
    """RFC 9162: right-shift both until LSB(fn) is set or fn is 0."""
    while not fn & 1 and fn != 0:
        fn >>= 1
        sn >>= 1
    return fn, sn


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162, 2.1.3.2; raises ProofError unless ``leaf`` is leaf ``index`` of the tree ``root``."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} cannot be in a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            fn, sn = _up_to_right_child(fn, sn)
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        raise ProofError(f"inclusion proof of leaf {index} does not lead to the tree head")


def consistency_proof(first: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]): what proves the tree of the first ``first`` leaves is a prefix of this one."""
    return MerkleTree(leaves).consistency(first)


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162, 2.1.4.2; raises ProofError unless tree ``first_root`` is a prefix of tree ``second_root``."""
    if first < 1 or second < first:
        raise ProofError(f"a tree of {second} cannot extend a tree of {first}")
    if first == second:
        if proof or first_root != second_root:
            raise ProofError("same size, different tree heads: history was rewritten")
        return
    path = list(proof)
    if first & (first - 1) == 0:
        path = [first_root, *path]
    if not path:
        raise ProofError("empty consistency proof")
    fr, sr = _consistency_roots(first, second, path)
    if fr != first_root:
        raise ProofError(f"the first {first} events are not those of the checkpoint: history was altered")
    if sr != second_root:
        raise ProofError("consistency proof does not lead to the current tree head")


def _consistency_roots(first: int, second: int, path: Sequence[bytes]) -> tuple[bytes, bytes]:
    """The two tree heads a consistency proof's path leads to (RFC 9162, 2.1.4.2, steps 3 to 6)."""
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            fn, sn = _up_to_right_child(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    return fr, sr


# -- keys and signatures -----------------------------------------------------------------------
def key_id(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:8]


def public_key_b64(pem: bytes) -> str:
    """The base64 of an Ed25519 public key's 32 raw bytes, from its PEM file."""
    return base64.b64encode(_raw(load_public_key(pem))).decode()


def sign(private_pem: bytes, message: bytes) -> str:
    """An Ed25519 signature of ``message``, base64."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(private_pem, password=None)
    except (ValueError, TypeError):
        raise ProofError("not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ProofError("the key is not an Ed25519 private key")
    return base64.b64encode(key.sign(message)).decode()


def signature_valid(public_b64: str, message: bytes, signature_b64: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64))
        key.verify(base64.b64decode(signature_b64), message)
    except (InvalidSignature, ValueError):
        return False
    return True


# -- checkpoints ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Signature:
    name: str
    key_id: str
    signature: bytes


@dataclass(frozen=True)
class Checkpoint:
    entity: str
    size: int
    root: str
    time: str
    signatures: tuple[Signature, ...] = field(default=())

    def body(self) -> bytes:
        return (
            f"{HEADER}\nentity: {self.entity}\nsize: {self.size}\nroot: {self.root}\ntime: {self.time}\n"
        ).encode()

    def text(self) -> str:
        lines = [f"— {s.name} {s.key_id} {base64.b64encode(s.signature).decode()}" for s in self.signatures]
        return self.body().decode() + "\n" + "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Read a checkpoint; its body must be exactly as this program writes it (that is what was signed)."""
        body, _, tail = text.partition("\n\n")
        lines = body.split("\n")
        if not lines or lines[0] != HEADER:
            raise ProofError(f"not a perfledger checkpoint (first line should be {HEADER!r})")
        fields: dict[str, str] = {}
        for line in lines[1:]:
            key, sep, value = line.partition(": ")
            if not sep or key not in ("entity", "size", "root", "time") or key in fields:
                raise ProofError(f"checkpoint line {line!r} is not understood")
            fields[key] = value
        if set(fields) != {"entity", "size", "root", "time"} or not re.fullmatch(
            r"0|[1-9][0-9]{0,15}", fields["size"]
        ):
            raise ProofError("checkpoint lacks entity, size (digits, no leading zeros), root or time")
        signatures = []
        for line in tail.splitlines():
            parts = line.split(" ")
            if len(parts) != 4 or parts[0] != "—":
                raise ProofError(f"signature line {line!r} is not understood")
            try:
                signatures.append(Signature(parts[1], parts[2], base64.b64decode(parts[3], validate=True)))
            except ValueError:
                raise ProofError(f"signature of {parts[1]} is not base64") from None
        checkpoint = cls(
            fields["entity"], int(fields["size"]), fields["root"], fields["time"], tuple(signatures)
        )
        if checkpoint.body() != (body + "\n").encode():
            raise ProofError("the checkpoint's text is not in the form that is signed")
        return checkpoint

    @classmethod
    def read(cls, path: Path) -> Checkpoint:
        try:
            return cls.parse(path.read_bytes().decode("utf-8"))
        except UnicodeDecodeError:
            raise ProofError(f"{path.name} is not UTF-8 text") from None

    def signed(self, private_pem: bytes, name: str) -> Checkpoint:
        """This checkpoint with one more signature (a co-signature when it is not the first)."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        if not re.fullmatch(r"[A-Za-z0-9._@-]{1,64}", name):
            raise ProofError(f"signer name {name!r}: use letters, digits and . _ @ - only, no spaces")
        try:
            key = serialization.load_pem_private_key(private_pem, password=None)
        except (ValueError, TypeError):
            raise ProofError("not an unencrypted PEM private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ProofError("the key is not an Ed25519 private key")
        raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        signature = Signature(name, key_id(raw), key.sign(self.body()))
        return Checkpoint(self.entity, self.size, self.root, self.time, (*self.signatures, signature))

    def check_signatures(self, public_keys: Iterable[tuple[str, bytes]]) -> list[str]:
        """Require a valid signature by every key given (label, PEM); return who signed, by the given labels.

        Signatures by keys not given are listed as not checked. The name on a
        signature line is not signed: signers are named by the keys you trust.
        """
        from cryptography.exceptions import InvalidSignature

        required = [(label, load_public_key(pem, label)) for label, pem in public_keys]
        if not required:
            raise ProofError("give the public keys you trust: a checkpoint's own lines prove nothing")
        by_id: dict[str, Signature] = {}
        for line in self.signatures:
            by_id.setdefault(line.key_id, line)
        found = []
        for label, key in required:
            kid = key_id(_raw(key))
            if kid not in by_id:
                raise ProofError(f"the checkpoint is not signed by {label} (key {kid})")
            s = by_id.pop(kid)
            try:
                key.verify(s.signature, self.body())
            except InvalidSignature:
                raise ProofError(
                    f"the signature by {label} (key {kid}) does not match the checkpoint"
                ) from None
            found.append(f"{label} ({kid})")
        return found + [f"{s.name} ({kid}): key not given, not checked" for kid, s in by_id.items()]


def _raw(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def load_public_key(pem: bytes, label: str = "key") -> Any:
    """An Ed25519 public key from PEM, or a ProofError naming what it is instead."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError):
        raise ProofError(f"{label} is not a PEM public key (a private key is never shared)") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ProofError(f"{label} is not an Ed25519 public key")
    return key


# -- the chain of events, as exported ---------------------------------------------------------
# The event types this verifier knows (tests keep the list equal to perfledger's).
EVENT_TYPES = frozenset({
    "LedgerOpened", "PlanOpened", "PolicyLineDefined", "ObjectiveDefined", "IndicatorDefined",
    "ObjectiveChanged", "ObjectiveStruck", "BudgetItemOpened", "BudgetVaried", "ReservationMade",
    "ReservationApproved",
    "ReservationAdjusted", "IndicatorMeasured", "EventCorrected", "ActorRegistered", "ActorRevoked",
    "HistoryMigrated",
})
ROLES = frozenset({"controller", "auditor", "oiv"})
# A signed ledger's first actor is registered with the ledger itself, as event 2 (LedgerOpened is 1).
# Earlier versions registered it with `actor add` right after `init`: event 2 too, so those verify.
FIRST_ACTOR_SEQ = 2


def _no_float(text: str) -> Any:
    raise ValueError(f"a JSON number {text} (amounts are decimal strings)")


def canonical_json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# -- canonical form ----------------------------------------------------------------------------
# An event line is canonical when it is exactly what orjson.dumps(body, OPT_SORT_KEYS) writes,
# perfledger's encoder, and holds no float: UTF-8 without a byte-order mark, one JSON object, keys
# sorted by code point, no whitespace, strings as json.dumps(ensure_ascii=False) writes them too
# (raw UTF-8, `"` `\` and control characters escaped, `\u00XX` in lower case: both encoders agree
# on every code point), integers within ±(2^53 − 1), which every JSON implementation reads as the
# same number (IEEE doubles hold them exactly), "v" and "seq" integers (not 1.0, not true), "type"
# and "id" strings. Length and depth are checked on the bytes, before anything parses them.
MAX_LINE = 1_000_000  # bytes; a real event is under 1 KB, and its texts hold at most 10,000 characters each
MAX_DEPTH = 32  # objects and arrays in one another; a real event has 2 (its body and its act or changes)
MAX_INT = 2**53 - 1
ENVELOPE_TYPES = (("v", int, "a JSON integer"), ("seq", int, "a JSON integer"),
                  ("type", str, "a string"), ("id", str, "a string"))
# A string (to its closing quote, or to the end of an unterminated one), or a bracket.
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)


def canonical_body(line: bytes, seq: int) -> dict[str, Any]:
    """The body of event ``seq`` if ``line`` is in canonical form; else a ProofError naming why."""
    if not line:
        raise ProofError(f"event {seq} is empty")
    if len(line) > MAX_LINE:
        raise ProofError(f"event {seq} is {len(line):,} bytes long (at most {MAX_LINE:,})")
    if line.count(b"[") + line.count(b"{") > MAX_DEPTH and (depth := nesting_depth(line)) > MAX_DEPTH:
        raise ProofError(f"event {seq} is nested {depth} deep (at most {MAX_DEPTH})")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ProofError(f"event {seq} is not UTF-8: byte {e.start + 1} is 0x{line[e.start]:02x}") from None
    if text.startswith("\ufeff"):
        raise ProofError(f"event {seq} starts with a byte-order mark")
    try:
        body = json.loads(text, parse_float=_no_float, parse_constant=_no_constant, parse_int=_exact_int,
                          object_pairs_hook=_no_duplicate_keys)
    except ValueError as e:  # json.JSONDecodeError is one
        raise ProofError(f"event {seq} is not valid perfledger JSON: {e}") from None
    if not isinstance(body, dict):
        raise ProofError(f"event {seq} is not a JSON object")
    _check_canonical_bytes(body, line, seq)
    for name, kind, what in ENVELOPE_TYPES:
        if name not in body:
            raise ProofError(f'event {seq} has no "{name}"')
        if type(body[name]) is not kind:
            raise ProofError(f'event {seq} has "{name}": {_spelt(body[name])}, not {what}')
    return body


def nesting_depth(line: bytes) -> int:
    """How deep objects and arrays nest in ``line``, brackets inside strings aside (it need not parse)."""
    depth = deepest = 0
    for token in _TOKEN.findall(line):
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth = max(depth - 1, 0)
    return deepest


def _check_canonical_bytes(body: dict[str, Any], line: bytes, seq: int) -> None:
    try:
        canonical = canonical_json(body)
    except UnicodeEncodeError as e:
        raise ProofError(
            f"event {seq} holds a lone surrogate U+{ord(e.object[e.start]):04X} (not Unicode text)"
        ) from None
    if canonical != line:
        differs = next((i for i, (a, b) in enumerate(zip(canonical, line)) if a != b),
                       min(len(canonical), len(line)))
        raise ProofError(f"event {seq} is not in canonical form (from byte {differs + 1}): it was edited")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _exact_int(text: str) -> int:
    # Measured on the text: int() of thousands of digits is itself refused, and slow.
    digits = len(text.lstrip("-"))
    if digits > len(str(MAX_INT)) or abs(value := int(text)) > MAX_INT:
        shown = text if digits <= 20 else f"{text[:12]}… ({digits} digits)"
        raise ValueError(f"the integer {shown} is beyond ±(2^53 − 1), where JSON implementations disagree")
    if text == "-0":
        raise ValueError("-0 is not an integer perfledger writes (0 is)")
    return value


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    body = dict(pairs)
    if len(body) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key {key!r} appears twice")
            seen.add(key)
    return body


def _spelt(value: Any) -> str:
    """A JSON value as JSON spells it, cut short."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


@dataclass
class Chain:
    """What checking an exported chain found: its leaves, and how many signatures were verified."""

    leaves: list[bytes] = field(default_factory=list)
    signed: int = 0


def check_chain(lines: Iterable[bytes]) -> Chain:
    """Check exported events (canonical JSON, one per line): form, order, links, ids, signatures.

    Once an actor is registered (the ledger is signed), every later event must
    carry a valid signature of its content by its actor's registered, unrevoked
    controller key, with the same rules the ledger applies when appending.
    """
    chain = Chain()
    prev = GENESIS
    ids: set[str] = set()
    actors: dict[str, tuple[str, str, bool]] = {}  # name -> (role, public key, revoked)
    for seq, line in enumerate(lines, 1):
        body = canonical_body(line, seq)
        if body.get("seq") != seq:
            raise ProofError(
                f"event {seq} says it is event {body.get('seq')}: events were dropped, added or swapped"
            )
        if body.get("prev") != prev:
            raise ProofError(f"event {seq} does not link to event {seq - 1}: an event before it was altered")
        if body.get("type") not in EVENT_TYPES:
            raise ProofError(f"event {seq} has an unknown type {body.get('type')!r}")
        if not isinstance(body.get("id"), str) or body["id"] in ids:
            raise ProofError(f"event {seq} repeats the id {body.get('id')!r}")
        ids.add(body["id"])
        chain.signed += check_event_signature(seq, body, actors)
        prev = hashlib.sha256(line).hexdigest()
        chain.leaves.append(leaf_hash(line))
    return chain


def check_event_signature(seq: int, body: dict[str, Any], actors: dict[str, tuple[str, str, bool]]) -> int:
    """Apply a signed ledger's rules to one stored event; update ``actors``; 1 if a signature was verified."""
    kind, actor = body.get("type"), str(body.get("actor"))
    if not actors and kind != "ActorRegistered":
        if "signature" in body:
            raise ProofError(f"event {seq} is signed, but no actor is registered before it")
        return 0  # an unsigned ledger (so far)
    role, key, revoked = _first_signer(seq, body, actor) if not actors else _signer(seq, actor, actors)
    if revoked or role != "controller":
        raise ProofError(f"event {seq}: actor {actor!r} may not append ({'revoked' if revoked else role})")
    signature = body.get("signature")
    content = {k: v for k, v in body.items() if k not in ("signature", "seq", "recorded_at", "prev")}
    if not isinstance(signature, str) or not signature_valid(key, canonical_json(content), signature):
        raise ProofError(f"event {seq}: missing or bad signature of actor {actor!r}")
    if kind == "ActorRegistered":
        _register(seq, body, actors)
    elif kind == "ActorRevoked":
        _revoke(seq, str(body.get("name")), actors)
    return 1


def _first_signer(seq: int, body: dict[str, Any], actor: str) -> tuple[str, str, bool]:
    """The first actor is a controller registering themselves, with the key registered, as event 2."""
    if seq != FIRST_ACTOR_SEQ:
        raise ProofError(
            f"event {seq} registers the first actor of a signed ledger after the ledger was made:"
            f" only event {FIRST_ACTOR_SEQ}, written with the ledger, may (a later one takes the ledger over)"
        )
    role = str(body.get("role"))
    if body.get("name") != actor or role != "controller":
        raise ProofError(
            f"event {seq}: the first actor of a signed ledger must be a controller registering themselves"
        )
    return role, str(body.get("public_key")), False


def _signer(seq: int, actor: str, actors: dict[str, tuple[str, str, bool]]) -> tuple[str, str, bool]:
    if actor not in actors:
        raise ProofError(f"event {seq}: actor {actor!r} is not registered")
    return actors[actor]


def _register(seq: int, body: dict[str, Any], actors: dict[str, tuple[str, str, bool]]) -> None:
    name = str(body.get("name"))
    if name in actors and not actors[name][2]:
        raise ProofError(f"event {seq}: actor {name!r} is already registered")
    if body.get("role") not in ROLES:
        raise ProofError(f"event {seq}: unknown role {body.get('role')!r}")
    actors[name] = (str(body["role"]), str(body.get("public_key")), False)


def _revoke(seq: int, name: str, actors: dict[str, tuple[str, str, bool]]) -> None:
    if name not in actors or actors[name][2]:
        raise ProofError(f"event {seq}: no registered key of actor {name!r} to revoke")
    actors[name] = (*actors[name][:2], True)


def read_events(path: Path) -> list[bytes]:
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        raise ProofError(f"{path.name} is truncated: its last line is incomplete")
    return data.splitlines()


def verify_bundle(directory: Path, trusted: Sequence[tuple[str, bytes]],
                  checkpoints: Sequence[Path] = ()) -> list[str]:
    """Check an exported bundle with no database, against keys and checkpoints the evaluator trusts.

    ``trusted`` are (label, PEM) public keys obtained independently of the
    bundle: every checkpoint must be signed by each of them. ``checkpoints``
    are the evaluator's own copies; the bundle's are checked too.
    """
    events = directory / "events.jsonl"
    if not events.exists():
        raise ProofError(f"{directory} holds no events.jsonl")
    if not trusted:
        raise ProofError("give the public keys you trust (--pubkey): the bundle's own keys prove nothing")
    chain = check_chain(read_events(events))
    leaves = chain.leaves
    tree = MerkleTree(leaves)
    summary = (f"events: {len(leaves)}, chain intact, {chain.signed} signatures of registered actors"
               f" verified, tree head {tree.root().hex()}")
    report = [summary]
    paths = [*sorted((directory / "checkpoints").glob("*.txt")), *checkpoints]
    if not paths:
        raise ProofError(
            "no checkpoint to check the events against: a bundle is only as good as its checkpoints"
        )
    for path in paths:
        checkpoint = Checkpoint.read(path)
        signers = checkpoint.check_signatures(trusted)
        if checkpoint.size > len(leaves):
            raise ProofError(
                f"{path.name}: the checkpoint covers {checkpoint.size} events"
                f" but the bundle holds {len(leaves)}: events were removed"
            )
        if tree.root(0, checkpoint.size).hex() != checkpoint.root:
            raise ProofError(
                f"{path.name}: the first {checkpoint.size} events do not give the checkpoint's tree head"
            )
        report.append(
            f"{path.name}: {checkpoint.size} events match its tree head; signed by {', '.join(signers)}"
        )
    return report


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Check a perfledger bundle without its database.")
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--pubkey", action="append", default=[], type=Path, required=True,
                        help="a public key you trust, obtained apart from the bundle (repeat for co-signers)")
    parser.add_argument("--checkpoint", action="append", default=[], type=Path,
                        help="your own copy of a checkpoint (repeatable)")
    args = parser.parse_args(argv)
    try:
        trusted = [(p.stem, p.read_bytes()) for p in args.pubkey]
        for line in verify_bundle(args.bundle, trusted, args.checkpoint):
            print(line)
    except (ProofError, OSError) as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
