"""The offline verifier of a perfledger bundle: RFC 9162 trees, C2SP checkpoints, signed events.

This file depends on the Python standard library and, for signatures only, the ``cryptography``
package. It runs on its own, without perfledger or a database, so an evaluator (the OIV) can read
it and run it on an exported bundle (``perfledger-verify`` is this file's ``main``):

    python3 proofs.py BUNDLE --vkey cdg.vkey --vkey oiv.vkey [--checkpoint mine.txt] [--last state.json]

The tree is RFC 9162's (Certificate Transparency v2), section 2.1: the leaves are the events'
canonical bytes in sequence order,

    leaf hash  = SHA-256(0x00 || canonical bytes of the event)
    node hash  = SHA-256(0x01 || left || right)
    MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of 2 below n

A checkpoint is a C2SP signed note (c2sp.org/signed-note, tlog-checkpoint): the ledger's origin,
its size and the base64 tree head, a blank line, then one line per signature, the ledger's own
(Ed25519, type 0x01) and each witness's (cosignature/v1, type 0x04, with its time):

    cciaa-ms.example/perfledger
    398
    P1wr...=

    — cciaa-ms.example/perfledger Az3g...=
    — oiv.cciaa-ms.example jWbP...=

In a signed ledger each event's signature covers the ledger's origin, the event's sequence number
and prev, and its canonical content (``event_message``). The sections below: the tree; keys (weak
ones refused); notes and checkpoints; checkpoints of earlier versions; the chain of events and its
canonical form; a witness's state; the bundle; ``main``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Sequence
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

    def consistency(self, first: int, end: int | None = None) -> list[bytes]:
        """PROOF(m, D[n]): what proves the tree of the first ``first`` leaves is a prefix of the tree
        of the first ``end`` (all of them by default)."""
        end = len(self) if end is None else end
        if not 0 < first <= end <= len(self):
            raise ProofError(f"no consistency proof from {first} to {end}")
        return self._subproof(first, 0, end, True)

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


# -- keys: Ed25519, refused when weak (RFC 8032) ------------------------------------------------
_P = 2**255 - 19
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _point(raw: bytes) -> tuple[int, int] | None:
    """The curve point a canonical 32-byte encoding names (RFC 8032, 5.1.3); None if it names none."""
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    sign = raw[31] >> 7
    if y >= _P:
        return None  # y not reduced: a second spelling of another key
    u, v = (y * y - 1) % _P, (_D * y * y + 1) % _P
    x = u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P) % _P
    if v * x * x % _P == -u % _P:
        x = x * _SQRT_M1 % _P
    if v * x * x % _P != u:
        return None  # not on the curve
    if x == 0 and sign:
        return None  # "negative zero": a second spelling
    return (_P - x if x & 1 != sign else x), y


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    """Twisted Edwards addition (a = -1), complete on this curve."""
    (x1, y1), (x2, y2) = a, b
    t = _D * x1 * x2 * y1 * y2 % _P
    return ((x1 * y2 + y1 * x2) * pow(1 + t, _P - 2, _P) % _P,
            (y1 * y2 + x1 * x2) * pow(1 - t, _P - 2, _P) % _P)


def check_public_key(raw: bytes, label: str = "the key") -> bytes:
    """``raw`` if it is a sound Ed25519 public key: 32 bytes, canonically encoded, on the curve and not
    of small order (a small-order key lets one fixed signature verify on many messages)."""
    problem = _key_problem(raw)
    if problem is not None:
        raise ProofError(f"{label} {problem}")
    return raw


@functools.lru_cache(maxsize=1024)
def _key_problem(raw: bytes) -> str | None:
    """What is wrong with a public key (None: nothing); a ledger has few keys, each checked once."""
    if len(raw) != 32:
        return f"is not an Ed25519 public key: {len(raw)} bytes, not 32"
    point = _point(raw)
    if point is None:
        return "is not a canonical Ed25519 public key (not a point of the curve, or a second spelling of one)"
    for _ in range(3):
        point = _add(point, point)
    if point == (0, 1):
        return "is a weak Ed25519 public key (a point of small order): refused"
    return None


def public_key_b64(pem: bytes) -> str:
    """The base64 of an Ed25519 public key's 32 raw bytes, from its PEM file."""
    return base64.b64encode(_raw(load_public_key(pem))).decode()


def _private_key(private_pem: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(private_pem, password=None)
    except (ValueError, TypeError):
        raise ProofError("not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ProofError("the key is not an Ed25519 private key")
    return key


def sign(private_pem: bytes, message: bytes) -> str:
    """An Ed25519 signature of ``message``, base64."""
    return signer(private_pem)(message)


def signer(private_pem: bytes) -> Callable[[bytes], str]:
    """What signs messages (base64 Ed25519 signatures) with a private key, read once."""
    key = _private_key(private_pem)
    return lambda message: base64.b64encode(key.sign(message)).decode()


def signature_valid(public_b64: str, message: bytes, signature_b64: str) -> bool:
    """Whether a sound key (see ``check_public_key``) signed ``message``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        raw = check_public_key(base64.b64decode(public_b64, validate=True))
        signature = base64.b64decode(signature_b64, validate=True)
        Ed25519PublicKey.from_public_bytes(raw).verify(signature, message)
    except (InvalidSignature, ValueError, ProofError):
        return False
    return True


def _raw(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def load_public_key(pem: bytes, label: str = "key") -> Any:
    """A sound Ed25519 public key from PEM, or a ProofError naming what it is instead."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError):
        raise ProofError(f"{label} is not a PEM public key (a private key is never shared)") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ProofError(f"{label} is not an Ed25519 public key")
    check_public_key(_raw(key), label)
    return key


# -- verifier keys and signed notes (C2SP signed-note) ------------------------------------------
ED25519, COSIGNATURE = 0x01, 0x04  # the note signature types: a log's signature, a witness's
_KINDS = {ED25519: "Ed25519", COSIGNATURE: "cosignature/v1"}
MAX_NOTE = 1 << 20  # bytes; a checkpoint is a few hundred
MAX_SIGNATURES = 100  # the spec asks verifiers to accept at least 16


def check_key_name(name: str) -> str:
    if not name or any(c.isspace() or c == "+" or ord(c) < 0x20 for c in name):
        raise ProofError(f"key name {name!r}: it must be non-empty, without spaces or '+'")
    return name


def note_key_id(name: str, kind: int, public: bytes) -> bytes:
    """SHA-256(key name || 0x0A || signature type || public key)[:4], per c2sp.org/signed-note."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public).digest()[:4]


def vkey_text(name: str, public_raw: bytes, kind: int) -> str:
    """A verifier key: ``name+hex(key ID)+base64(type || public key)``."""
    check_key_name(name)
    key = base64.b64encode(bytes([kind]) + public_raw).decode()
    return f"{name}+{note_key_id(name, kind, public_raw).hex()}+{key}"


@dataclass(frozen=True)
class Verifier:
    """A key the evaluator trusts: its name, its signature type (None: a PEM key, of either type) and
    its 32 bytes."""

    name: str
    kind: int | None
    public: bytes

    def key_ids(self) -> dict[int, bytes]:
        kinds = (ED25519, COSIGNATURE) if self.kind is None else (self.kind,)
        return {kind: note_key_id(self.name, kind, self.public) for kind in kinds}

    def text(self) -> str:
        return vkey_text(self.name, self.public, self.kind or ED25519)


def parse_vkey(text: str, label: str = "vkey") -> Verifier:
    """A verifier key's text as a Verifier; its key ID and key are checked."""
    parts = text.strip("\n").split("+", 2)
    if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise ProofError(f"{label} is not a verifier key (name+hex8+base64)")
    name = check_key_name(parts[0])
    try:
        data = base64.b64decode(parts[2], validate=True)
    except ValueError:
        raise ProofError(f"{label}: its key is not base64") from None
    if len(data) != 33 or data[0] not in _KINDS:
        raise ProofError(f"{label}: not an Ed25519 (0x01) or cosignature/v1 (0x04) key")
    kind, public = data[0], check_public_key(data[1:], label)
    if note_key_id(name, kind, public).hex() != parts[1]:
        raise ProofError(f"{label}: its key ID does not match its name and key")
    return Verifier(name, kind, public)


def read_verifier(path: Path) -> Verifier:
    """A trusted key from a file: a verifier key (NAME.vkey), or a PEM public key named by its file's stem."""
    data = path.read_bytes()
    if data.startswith(b"-----BEGIN"):
        return Verifier(path.stem, None, _raw(load_public_key(data, path.name)))
    try:
        return parse_vkey(data.decode("utf-8"), path.name)
    except UnicodeDecodeError:
        raise ProofError(f"{path.name} is not a verifier key") from None


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: ``— name base64(key ID || signature)``."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"— {self.name} {base64.b64encode(self.key_id + self.signature).decode()}"


def split_note(text: str) -> tuple[str, list[NoteSignature]]:
    """A signed note's text and signatures, read as c2sp.org/signed-note says, or a ProofError."""
    if "\r" in text:
        raise ProofError("it has Windows line endings (CR LF): a checkpoint's lines end in LF only, as it"
                         " was written, because its text is what is signed; restore the original file")
    if len(text.encode()) > MAX_NOTE:
        raise ProofError(f"it is longer than {MAX_NOTE} bytes: not a checkpoint")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise ProofError("it holds control characters: not a signed note")
    cut = text.rfind("\n\n")
    if cut < 0 or not text.endswith("\n"):
        raise ProofError("it is not a signed note: no blank line before its signature lines")
    lines = text[cut + 2:].split("\n")[:-1]
    if not lines or len(lines) > MAX_SIGNATURES:
        raise ProofError(f"it has {len(lines)} signature lines (1 to {MAX_SIGNATURES})")
    return text[: cut + 1], [_signature_line(line) for line in lines]


def _signature_line(line: str) -> NoteSignature:
    head, _, rest = line.partition(" ")
    name, _, encoded = rest.partition(" ")
    try:
        data = base64.b64decode(encoded, validate=True)
    except ValueError:
        data = b""
    canonical = base64.b64encode(data).decode() == encoded
    if head != "—" or not name or " " in encoded or len(data) < 5 or not canonical:
        raise ProofError(f"signature line {line!r} is not '— NAME base64(key ID || signature)'")
    return NoteSignature(check_key_name(name), data[:4], data[4:])


def cosignature_message(body: bytes, timestamp: int) -> bytes:
    """What a cosignature/v1 signs (c2sp.org/tlog-cosignature)."""
    return b"cosignature/v1\ntime " + str(timestamp).encode() + b"\n" + body


def note_signature(body: bytes, private_pem: bytes, name: str, kind: int,
                   timestamp: int = 0) -> NoteSignature:
    """A signature line over a note's text: the log's Ed25519 (0x01) or a witness's cosignature (0x04)."""
    key = _private_key(private_pem)
    key_id = note_key_id(check_key_name(name), kind, _raw(key.public_key()))
    if kind == ED25519:
        return NoteSignature(name, key_id, key.sign(body))
    if not 0 <= timestamp < 2**63:
        raise ProofError(f"cosignature time {timestamp} is out of range")
    stamp = timestamp.to_bytes(8, "big")
    return NoteSignature(name, key_id, stamp + key.sign(cosignature_message(body, timestamp)))


def verified_by(body: bytes, signatures: Sequence[NoteSignature], verifier: Verifier) -> int | None:
    """Check ``verifier``'s signature of a note: its cosignature's time, None for an Ed25519 one.

    Lines of other keys are ignored, as the spec says; a line of this key that does not verify,
    or no line of it, is a ProofError.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = Ed25519PublicKey.from_public_bytes(verifier.public)
    for kind, key_id in verifier.key_ids().items():
        for line in (s for s in signatures if s.name == verifier.name and s.key_id == key_id):
            stamp = None
            try:
                if kind == ED25519:
                    key.verify(line.signature, body)
                else:
                    stamp = int.from_bytes(line.signature[:8], "big")
                    if len(line.signature) != 72 or stamp >= 2**63:
                        raise InvalidSignature
                    key.verify(line.signature[8:], cosignature_message(body, stamp))
            except InvalidSignature:
                raise ProofError(f"the {_KINDS[kind]} signature by {verifier.name} does not match the"
                                 " checkpoint: it was altered") from None
            return stamp
    ids = "/".join(key_id.hex() for key_id in verifier.key_ids().values())
    pem = verifier.kind is None
    hint = "; a PEM key is named by its file's name: give the signer's NAME.vkey" if pem else ""
    raise ProofError(f"it is not signed by {verifier.name} (key ID {ids}){hint}")


# -- checkpoints (C2SP tlog-checkpoint, tlog-cosignature) -----------------------------------------
@dataclass(frozen=True)
class Checkpoint:
    """A log's signed tree head: origin, size, RFC 6962 root, and the signatures of the note."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()
    signatures: tuple[NoteSignature, ...] = field(default=())

    def body(self) -> bytes:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(), *self.extensions]
        return "".join(line + "\n" for line in lines).encode()

    def text(self) -> str:
        return self.body().decode() + "\n" + "".join(s.line() + "\n" for s in self.signatures)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Read a checkpoint note strictly: its text must be exactly what was signed."""
        body, signatures = split_note(text)
        lines = body.split("\n")[:-1]
        if len(lines) < 3 or not lines[0] or any(not line for line in lines[3:]):
            raise ProofError("it is not a checkpoint: it needs an origin, a size and a root, each on its"
                             " own non-empty line")
        if not re.fullmatch(r"0|[1-9][0-9]{0,18}", lines[1]):
            raise ProofError(f"its size {lines[1]!r} is not a decimal number without leading zeros")
        try:
            root = base64.b64decode(lines[2], validate=True)
        except ValueError:
            root = b""
        if len(root) != 32 or base64.b64encode(root).decode() != lines[2]:
            raise ProofError(f"its root {lines[2]!r} is not the base64 of a 32-byte hash")
        if lines[1] == "0" and root != hashlib.sha256(b"").digest():
            raise ProofError("its size is 0 but its root is not the empty tree's")
        return cls(lines[0], int(lines[1]), root, tuple(lines[3:]), tuple(signatures))

    @classmethod
    def read(cls, path: Path) -> Checkpoint:
        try:
            return cls.parse(path.read_bytes().decode("utf-8"))
        except UnicodeDecodeError:
            raise ProofError(f"{path.name} is not UTF-8 text") from None
        except ProofError as e:
            raise ProofError(f"{path.name}: {e}") from None

    def signed(self, private_pem: bytes, name: str) -> Checkpoint:
        """This checkpoint with the log's Ed25519 signature added (key name ``name``)."""
        return self._with(note_signature(self.body(), private_pem, name, ED25519))

    def cosigned(self, private_pem: bytes, name: str, timestamp: int) -> Checkpoint:
        """This checkpoint with a witness's cosignature/v1 added, made at ``timestamp`` (POSIX seconds)."""
        return self._with(note_signature(self.body(), private_pem, name, COSIGNATURE, timestamp))

    def _with(self, line: NoteSignature) -> Checkpoint:
        kept = tuple(s for s in self.signatures if (s.name, s.key_id) != (line.name, line.key_id))
        return Checkpoint(self.origin, self.size, self.root, self.extensions, (*kept, line))

    def check_signatures(self, verifiers: Iterable[Verifier]) -> list[str]:
        """Require a valid signature by every key given; say who signed (and when, for a cosignature)."""
        required = list(verifiers)
        if not required:
            raise ProofError("give the keys you trust (--vkey): a checkpoint's own lines prove nothing")
        found = []
        for verifier in required:
            stamp = verified_by(self.body(), self.signatures, verifier)
            found.append(verifier.name if stamp is None else f"{verifier.name} (cosigned {_utc(stamp)})")
        return found


def new_checkpoint(origin: str, size: int, root: bytes) -> Checkpoint:
    """An unsigned checkpoint of a log's tree head."""
    return Checkpoint(origin, size, root)


def _utc(stamp: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def verify_note(text: str, log_vkeys: Sequence[str], cosigner_vkeys: Sequence[str] = ()) -> Checkpoint:
    """A checkpoint read from ``text`` and signed by every key given (vkey texts)."""
    checkpoint = Checkpoint.parse(text)
    checkpoint.check_signatures([parse_vkey(v) for v in (*log_vkeys, *cosigner_vkeys)])
    return checkpoint


# -- checkpoints of earlier versions ("perfledger checkpoint v1"), still verified -------------------
LEGACY_HEADER = "perfledger checkpoint v1"


@dataclass(frozen=True)
class LegacyCheckpoint:
    """A checkpoint written before the C2SP format: read and verified, never written."""

    origin: str  # the ledger's entity: that format named no origin
    size: int
    root: bytes
    time: str
    lines: tuple[tuple[str, str, bytes], ...]  # (name, key id, signature)

    def body(self) -> bytes:
        return (f"{LEGACY_HEADER}\nentity: {self.origin}\nsize: {self.size}\nroot: {self.root.hex()}\n"
                f"time: {self.time}\n").encode()

    @classmethod
    def parse(cls, text: str) -> LegacyCheckpoint:
        if "\r" in text:
            raise ProofError("it has Windows line endings (CR LF): restore the original file")
        body, _, tail = text.partition("\n\n")
        fields = dict(line.partition(": ")[::2] for line in body.split("\n")[1:])
        lines = []
        for line in tail.splitlines():
            parts = line.split(" ")
            try:
                lines.append((parts[1], parts[2], base64.b64decode(parts[3], validate=True)))
            except (IndexError, ValueError):
                raise ProofError(f"signature line {line!r} is not understood") from None
        try:
            found = cls(fields["entity"], int(fields["size"]), bytes.fromhex(fields["root"]), fields["time"],
                        tuple(lines))
        except (KeyError, ValueError):
            raise ProofError("it lacks the entity, size, root or time of a perfledger checkpoint v1") \
                from None
        if found.body() != (body + "\n").encode() or not re.fullmatch(r"0|[1-9][0-9]*", fields["size"]):
            raise ProofError("its text is not in the form that is signed")
        return found

    def check_signatures(self, verifiers: Iterable[Verifier]) -> list[str]:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        found = []
        for verifier in verifiers:
            kid = hashlib.sha256(verifier.public).hexdigest()[:8]
            line = next((s for _, k, s in self.lines if k == kid), None)
            if line is None:
                raise ProofError(f"it is not signed by {verifier.name} (key {kid})")
            try:
                Ed25519PublicKey.from_public_bytes(verifier.public).verify(line, self.body())
            except InvalidSignature:
                raise ProofError(f"the signature by {verifier.name} does not match the checkpoint") from None
            found.append(f"{verifier.name} (a checkpoint v1)")
        if not found:
            raise ProofError("give the keys you trust (--vkey): a checkpoint's own lines prove nothing")
        return found


AnyCheckpoint = Checkpoint | LegacyCheckpoint


def read_checkpoint(path: Path) -> AnyCheckpoint:
    """A checkpoint file of either format: C2SP, or an earlier perfledger's (verified, never written)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ProofError(f"{path.name} is not UTF-8 text") from None
    try:
        if text.startswith(LEGACY_HEADER + "\n"):
            return LegacyCheckpoint.parse(text)
        return Checkpoint.parse(text)
    except ProofError as e:
        raise ProofError(f"{path.name}: {e}") from None


# -- the chain of events, as exported ---------------------------------------------------------
# The event types this verifier knows (tests keep the list equal to perfledger's).
# Each type's own fields, by version (a test keeps them equal to perfledger's); every event also has
# the envelope's, and may have a signature.
FIELDS: dict[str, dict[int, tuple[str, ...]]] = {
    "LedgerOpened": {1: ("entity", "originator_topic"), 2: ("entity", "origin", "originator_topic")},
    "PlanOpened": {
        1: ("band_achieved", "band_partly", "deadline_penalty", "horizon_days", "title", "year"),
        2: (
            "band_achieved", "band_partly", "deadline_penalty", "entity_level", "horizon_days", "levels",
            "rollup", "title", "year",
        ),
    },
    "PolicyLineDefined": {1: ("line", "title", "year")},
    "ObjectiveDefined": {
        1: ("level", "line", "objective", "parent", "perspective", "title", "year"),
        2: (
            "area", "level", "line", "objective", "owner", "parent", "perspective", "predecessor", "title",
            "year",
        ),
    },
    "IndicatorDefined": {
        1: ("direction", "indicator", "objective", "source", "target", "title", "unit", "weight"),
        2: (
            "compared_with", "direction", "indicator", "objective", "source", "target", "title", "unit",
            "uses", "weight",
        ),
    },
    "ObjectiveChanged": {1: ("cause", "indicator", "objective", "reason", "target", "weight", "what")},
    "ObjectiveStruck": {1: ("cause", "objective", "reason")},
    "IndicatorStruck": {1: ("cause", "indicator", "reason")},
    "StrikeRevoked": {1: ("reason", "strike")},
    "YearClosed": {1: ("validation", "year")},
    "YearReopened": {1: ("reason", "year")},
    "BudgetItemOpened": {
        1: ("amount", "item", "line", "objective", "product"),
        2: ("amount", "item", "line", "objective", "product"),
    },
    "BudgetVaried": {1: ("amount", "item"), 2: ("amount", "item", "override_reason")},
    "ReservationMade": {1: ("amount", "item", "override_reason", "reservation")},
    "ReservationApproved": {1: ("amount", "reservation")},
    "ReservationAdjusted": {1: ("amount", "reservation"), 2: ("amount", "override_reason", "reservation")},
    "IndicatorMeasured": {
        1: ("denominator", "indicator", "numerator", "period_end", "value"),
        2: ("collected_on", "denominator", "indicator", "numerator", "period_end", "value"),
    },
    "EventCorrected": {
        1: ("changes", "corrects", "reason"),
        2: ("changes", "corrects", "override_reason", "reason"),
    },
    "ActorRegistered": {1: ("name", "public_key", "role")},
    "ActorRevoked": {1: ("name", "reason")},
    "HistoryMigrated": {1: ("sha256", "source", "upto")},
    "SourceImported": {1: ("part", "parts", "rows", "sha256", "source")},
}
ENVELOPE = frozenset({"type", "v", "seq", "id", "effective_date", "recorded_at", "actor", "act", "note",
                      "prev"})
EVENT_TYPES = frozenset(FIELDS)
ROLES = frozenset({"controller", "auditor", "oiv"})
# A signed ledger's first actor is registered with the ledger itself, as event 2 (LedgerOpened is 1).
# Earlier versions registered it with `actor add` right after `init`: event 2 too, so those verify.
FIRST_ACTOR_SEQ = 2
# recorded_at as perfledger spells it: UTC, microseconds, "Z"; so its order is the strings' order.
INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
# What the ledger adds to a submitted event (the signature besides): not its content.
SET_BY_THE_LEDGER = frozenset({"signature", "seq", "recorded_at", "prev"})
# The origin of a ledger made before origins were stored: named by the hash of its first event.
LEGACY_ORIGIN = "perfledger.invalid/legacy/"


def _no_float(text: str) -> Any:
    raise ValueError(f"a JSON number {text} (amounts are decimal strings)")


def canonical_json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_message(origin: str, seq: int, prev: str, content: bytes) -> bytes:
    """What an event's signature signs: the ledger's origin, the event's place in it (its sequence
    number and the hash of the event before it) and its canonical content."""
    return b"perfledger/event-signature/v2\n" + f"{origin}\n{seq}\n{prev}\n".encode() + content


def ledger_origin(first: dict[str, Any], line: bytes) -> str:
    """The origin of a ledger, from its first event: stored there, or (a ledger made before origins
    were stored) named by that event's hash."""
    origin = first.get("origin")
    return origin if isinstance(origin, str) else LEGACY_ORIGIN + hashlib.sha256(line).hexdigest()[:16]


@dataclass
class Signers:
    """A ledger's signers as its events go by: its origin, its actors (name -> role, key, revoked).

    ``legacy``: the ledger was made by a version whose signatures covered the content alone; those
    are still accepted there (and counted), never in a ledger made since.
    """

    origin: str = ""
    legacy: bool = False
    actors: dict[str, tuple[str, str, bool]] = field(default_factory=dict)
    legacy_signatures: int = 0
    bound: bool = False  # a signature of an event's place was met: content-only ones no longer hold

    @classmethod
    def of(cls, first: dict[str, Any], line: bytes) -> Signers:
        signers = cls()
        signers.open(first, line)
        return signers

    def open(self, first: dict[str, Any], line: bytes) -> None:
        """Take the ledger's origin and version from its first event."""
        self.origin, self.legacy = ledger_origin(first, line), is_legacy(first)


def is_legacy(first: dict[str, Any]) -> bool:
    """Whether event 1 is a LedgerOpened of version 1: a ledger made before origins and signatures
    of an event's place."""
    return first.get("type") == "LedgerOpened" and first.get("v") == 1


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
    """What checking an exported chain found: its leaves, its origin, its signatures and instants."""

    leaves: list[bytes] = field(default_factory=list)
    signed: int = 0
    signers: Signers = field(default_factory=Signers)
    instants: list[str] = field(default_factory=list)


def check_chain(lines: Iterable[bytes]) -> Chain:
    """Check exported events (canonical JSON, one per line): form, order, links, ids, instants, signatures.

    Once an actor is registered (the ledger is signed), every later event must
    carry a valid signature by its actor's registered, unrevoked controller key
    of its content and its place (the ledger's origin, its sequence number and
    prev), with the same rules the ledger applies when appending.
    """
    chain = Chain()
    prev = GENESIS
    ids: set[str] = set()
    for seq, line in enumerate(lines, 1):
        body = canonical_body(line, seq)
        _check_place(seq, body, prev, ids, chain.instants[-1] if chain.instants else "")
        if seq == 1:
            chain.signers = Signers.of(body, line)
        chain.signed += check_event_signature(seq, body, chain.signers)
        prev = hashlib.sha256(line).hexdigest()
        chain.leaves.append(leaf_hash(line))
        chain.instants.append(body["recorded_at"])
    return chain


def _check_place(seq: int, body: dict[str, Any], prev: str, ids: set[str], last_instant: str) -> None:
    """An event's sequence number, link, type, id and recording instant, against the events before it."""
    if body.get("seq") != seq or type(body.get("seq")) is not int:
        raise ProofError(
            f"event {seq} says it is event {body.get('seq')}: events were dropped, added or swapped"
        )
    if body.get("prev") != prev:
        raise ProofError(f"event {seq} does not link to event {seq - 1}: an event before it was altered")
    if body.get("type") not in EVENT_TYPES:
        raise ProofError(f"event {seq} has an unknown type {body.get('type')!r}")
    _check_fields(seq, body)
    if not isinstance(body.get("id"), str) or body["id"] in ids:
        raise ProofError(f"event {seq} repeats the id {body.get('id')!r}")
    ids.add(body["id"])
    instant = body.get("recorded_at")
    if not isinstance(instant, str) or INSTANT.fullmatch(instant) is None:
        raise ProofError(f"event {seq} has no recorded_at spelt YYYY-MM-DDTHH:MM:SS.ffffffZ")
    if instant < last_instant:
        raise ProofError(f"event {seq} is recorded at {instant}, before the event before it"
                         f" ({last_instant}): recording time never goes backwards")


def _check_fields(seq: int, body: dict[str, Any]) -> None:
    """The fields of the event's type in its version: the envelope's and its own, and a signature."""
    kind = body["type"]
    fields = FIELDS[kind].get(body["v"])
    if fields is None:
        raise ProofError(f"event {seq} is version {body['v']!r} of {kind}, which this perfledger does"
                         " not know")
    if body.keys() - {"signature"} != ENVELOPE | set(fields):
        raise ProofError(f"event {seq} does not decode: its fields are not those of {kind}")


def check_event_signature(seq: int, body: dict[str, Any], signers: Signers) -> int:
    """Apply a signed ledger's rules to one stored event; update ``signers``; 1 if a signature was
    verified."""
    kind, actor, actors = body.get("type"), str(body.get("actor")), signers.actors
    if not actors and kind != "ActorRegistered":
        if "signature" in body:
            raise ProofError(f"event {seq} is signed, but no actor is registered before it")
        return 0  # an unsigned ledger (so far)
    role, key, revoked = _first_signer(seq, body, actor) if not actors else _signer(seq, actor, actors)
    if revoked or role != "controller":
        raise ProofError(f"event {seq}: actor {actor!r} may not append ({'revoked' if revoked else role})")
    _check_signature(seq, body, key, signers)
    if kind == "ActorRegistered":
        _register(seq, body, actors)
    elif kind == "ActorRevoked":
        _revoke(seq, str(body.get("name")), actors)
    return 1


def _check_signature(seq: int, body: dict[str, Any], key: str, signers: Signers) -> None:
    """The event's signature, of its content and place; in a ledger of an earlier version, of its content."""
    signature = body.get("signature")
    content = canonical_json({k: v for k, v in body.items() if k not in SET_BY_THE_LEDGER})
    if isinstance(signature, str):
        place = event_message(signers.origin, seq, str(body.get("prev")), content)
        if signature_valid(key, place, signature):
            signers.bound = True
            return
        if signers.legacy and not signers.bound and signature_valid(key, content, signature):
            signers.legacy_signatures += 1
            return
    raise ProofError(f"event {seq}: missing or bad signature of actor {body.get('actor')!r} (a signature"
                     " covers the event, the ledger's origin, its sequence number and the event before it)")


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
    return role, _sound_key(seq, body), False


def _sound_key(seq: int, body: dict[str, Any]) -> str:
    key = str(body.get("public_key"))
    try:
        label = f"event {seq}: the key of {body.get('name')!r}"
        check_public_key(base64.b64decode(key, validate=True), label)
    except ValueError:
        raise ProofError(f"event {seq}: the key of {body.get('name')!r} is not base64") from None
    return key


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
    actors[name] = (str(body["role"]), _sound_key(seq, body), False)


def _revoke(seq: int, name: str, actors: dict[str, tuple[str, str, bool]]) -> None:
    if name not in actors or actors[name][2]:
        raise ProofError(f"event {seq}: no registered key of actor {name!r} to revoke")
    actors[name] = (*actors[name][:2], True)


def read_events(path: Path) -> list[bytes]:
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        raise ProofError(f"{path.name} is truncated: its last line is incomplete")
    return data.splitlines()


# -- a witness's state, and the coverage of checkpoints ----------------------------------------
WITNESS_FORMAT = "perfledger-witness-state/1"


def read_witness_state(path: Path) -> dict[str, tuple[int, bytes]]:
    """A witness's state file: for each origin, the size and root it last cosigned."""
    try:
        state = json.loads(path.read_bytes(), parse_float=_no_float, parse_constant=_no_float)
        if state.get("format") != WITNESS_FORMAT:
            raise ValueError("not a witness state")
        logs = {origin: (log["size"], base64.b64decode(log["root"], validate=True))
                for origin, log in state["logs"].items()}
        if any(type(size) is not int or size < 0 or len(root) != 32 for size, root in logs.values()):
            raise ValueError("a size that is not a count, or a root that is not a hash")
        return logs
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeError, RecursionError):
        raise ProofError(f"{path.name} is not a witness state file ({WITNESS_FORMAT})") from None


def last_cosigned(path: Path, origin: str) -> tuple[int, bytes] | None:
    """The evaluator's last cosigned tree head of ``origin``: from its state file or a checkpoint file."""
    if path.read_bytes().lstrip().startswith(b"{"):
        return read_witness_state(path).get(origin)
    checkpoint = read_checkpoint(path)
    if checkpoint.origin != origin:
        raise ProofError(f"{path.name} is a checkpoint of {checkpoint.origin!r}, not of this ledger"
                         f" ({origin})")
    return checkpoint.size, checkpoint.root


def uncovered(size: int, covered: int) -> str | None:
    """The line naming the events no checkpoint covers (None if every one is)."""
    if covered >= size:
        return None
    span = f"event {size}" if covered + 1 == size else f"events {covered + 1}–{size}"
    verb = "is" if covered + 1 == size else "are"
    return f"{span} {verb} covered by no checkpoint: their order and presence rest on the ledger's own word"


# -- the bundle ----------------------------------------------------------------------------------
MANIFEST = "manifest.json"
BUNDLE_FORMAT = "perfledger-bundle/2"
BUNDLE_FILE = re.compile(r"events\.jsonl|checkpoints/[^/]+\.txt|keys/[^/]+\.vkey")


def file_hashes(directory: Path) -> dict[str, str]:
    """The SHA-256 of every file under ``directory`` but its manifest, by its path from there; a
    ProofError for anything that is not a regular file or a directory (a link, a pipe, a device)."""
    found = {}
    for root, dirs, files in os.walk(directory, followlinks=False):
        for name in sorted(dirs + files):
            path = Path(root) / name
            mode = path.lstat().st_mode
            relative = path.relative_to(directory).as_posix()
            if stat.S_ISDIR(mode) and name in dirs:
                continue
            if not stat.S_ISREG(mode):
                raise ProofError(f"the bundle holds {relative}, which is not a plain file: a bundle is"
                                 " data only")
            if relative != MANIFEST:
                found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return dict(sorted(found.items()))


def check_manifest(directory: Path) -> None:
    """A bundle holds data only: exactly the files its manifest lists, each with its SHA-256."""
    try:
        manifest = json.loads((directory / MANIFEST).read_bytes())
        listed = dict(manifest["files"]) if manifest.get("format") == BUNDLE_FORMAT else None
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        listed = None
    if listed is None:
        raise ProofError(f"{directory} has no {MANIFEST} of a {BUNDLE_FORMAT}: it is not a bundle of this"
                         " version (export it again)")
    found = file_hashes(directory)
    for name in sorted(set(found) - set(listed)):
        raise ProofError(f"the bundle holds {name}, which its manifest does not list: a bundle is data only")
    for name in sorted(listed):
        if not BUNDLE_FILE.fullmatch(name):
            raise ProofError(f"the bundle holds {name}: a bundle is data only (events.jsonl, checkpoints/,"
                             " keys/*.vkey), never code to run")
    for name, digest in sorted(listed.items()):
        if found.get(name) != digest:
            state = "missing" if name not in found else "not the file"
            raise ProofError(f"{name} is {state} the manifest lists")


def verify_bundle(directory: Path, verifiers: Sequence[Verifier], checkpoints: Sequence[Path] = (),
                  last: Path | None = None) -> list[str]:
    """Check an exported bundle with no database, against keys and checkpoints the evaluator trusts.

    ``verifiers`` are keys obtained independently of the bundle: every checkpoint must be signed by
    each of them. ``checkpoints`` are the evaluator's own copies; the bundle's are checked too.
    ``last`` is the evaluator's last cosigned tree head of this ledger (its witness state, or a
    checkpoint): the bundle's events must extend it.
    """
    if not verifiers:
        raise ProofError("give the keys you trust (--vkey): the bundle's own keys prove nothing")
    check_manifest(directory)
    chain = check_chain(read_events(directory / "events.jsonl"))
    tree = MerkleTree(chain.leaves)
    legacy = chain.signers.legacy_signatures
    earlier = f" ({legacy} of an earlier version, content only)" if legacy else ""
    head = base64.b64encode(tree.root()).decode()
    report = [(f"events: {len(tree)} of {chain.signers.origin}, chain intact, {chain.signed} signatures"
               f" of registered actors verified{earlier}, tree head {head}")]
    merged = merge_copies([*sorted((directory / "checkpoints").glob("*")), *checkpoints])
    if not merged:
        raise ProofError("no checkpoint to check the events against: a bundle is only as good as its"
                         " checkpoints")
    for name, checkpoint in merged:
        report.append(f"{name}: {check_checkpoint_against(checkpoint, tree, chain, verifiers)}")
    covered = max(checkpoint.size for _, checkpoint in merged)
    if last is not None:
        report.append(_check_last(last, tree, chain.signers.origin))
    return report + [uncovered(len(tree), covered) or "every event is covered by a checkpoint"]


def merge_copies(paths: Sequence[Path]) -> list[tuple[str, AnyCheckpoint]]:
    """The checkpoints read from ``paths``, copies of one tree head (the bundle's, the evaluator's
    cosigned one) taken as one note with the signature lines of all."""
    merged: dict[tuple[object, ...], tuple[str, AnyCheckpoint]] = {}
    for path in paths:
        found = read_checkpoint(path)
        key: tuple[object, ...] = (found.origin, found.size, found.root)
        if key in merged and isinstance(found, Checkpoint):
            name, earlier = merged[key]
            if isinstance(earlier, Checkpoint) and earlier.extensions == found.extensions:
                lines = (*earlier.signatures, *(s for s in found.signatures if s not in earlier.signatures))
                found = Checkpoint(found.origin, found.size, found.root, found.extensions, lines)
                merged[key] = (name if path.name == name else f"{name} + {path.name}", found)
                continue
        while key in merged:  # not one note: each is checked on its own
            key = (*key, path.name)
        merged[key] = (path.name, found)
    return list(merged.values())


def check_checkpoint_against(checkpoint: AnyCheckpoint, tree: MerkleTree, chain: Chain,
                             verifiers: Sequence[Verifier]) -> str:
    """A checkpoint's signatures, its ledger, and that the events give its tree head."""
    signers = checkpoint.check_signatures(verifiers)
    if isinstance(checkpoint, Checkpoint) and checkpoint.origin != chain.signers.origin:
        raise ProofError(f"the checkpoint is of {checkpoint.origin!r}, not of this ledger"
                         f" ({chain.signers.origin})")
    if checkpoint.size > len(tree):
        raise ProofError(f"the checkpoint covers {checkpoint.size} events but there are {len(tree)}:"
                         " events were removed")
    if tree.root(0, checkpoint.size) != checkpoint.root:
        raise ProofError(f"the first {checkpoint.size} events do not give the checkpoint's tree head:"
                         " history was rewritten")
    return f"{checkpoint.size} events match its tree head; signed by {', '.join(signers)}"


def _check_last(path: Path, tree: MerkleTree, origin: str) -> str:
    found = last_cosigned(path, origin)
    if found is None:
        raise ProofError(f"{path.name} holds no tree head of {origin}: you never cosigned this ledger")
    size, root = found
    if size > len(tree):
        raise ProofError(f"you last cosigned {size} events of {origin}; the bundle holds {len(tree)}:"
                         " events were removed or the history was rolled back")
    if tree.root(0, size) != root:
        raise ProofError(f"the bundle's first {size} events are not those you last cosigned: a split view"
                         " or a rewritten history")
    return f"{path.name}: the bundle extends the {size} events you last cosigned"


def main(argv: Sequence[str] | None = None) -> int:
    """perfledger-verify: check a bundle with the evaluator's own keys and checkpoints."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="perfledger-verify", description="Check a perfledger bundle without its database.")
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--vkey", action="append", default=[], type=Path,
                        help="a key you trust, obtained apart from the bundle: the ledger's and each"
                        " witness's verifier key (NAME.vkey), or a PEM public key (repeat)")
    parser.add_argument("--pubkey", action="append", default=[], type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--checkpoint", action="append", default=[], type=Path,
                        help="your own copy of a checkpoint (repeatable)")
    parser.add_argument("--last", type=Path,
                        help="your witness state file, or the checkpoint you last cosigned")
    args = parser.parse_args(argv)
    try:
        verifiers = [read_verifier(p) for p in (*args.vkey, *args.pubkey)]
        for line in verify_bundle(args.bundle, verifiers, args.checkpoint, args.last):
            print(line)
    except (ProofError, OSError) as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
