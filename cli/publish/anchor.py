"""What a published document's proofs are checked against: a signed checkpoint, or the ledger's head.

A checkpoint given with ``--checkpoint`` is checked with the keys given (``--vkey``) before anything
rests on it, and the ledger must extend it; every event it covers gets its RFC 9162 audit path.
Without one, the document rests on the tree head of the ledger as read: the page can still check
each event's inclusion, but nobody outside has signed that head, and the document says so.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from events import LedgerEvent
from ledger import proofs


@dataclass(frozen=True)
class Signer:
    """A key that signed the checkpoint, as verified: its name, its role (``log``: the ledger's key,
    ``cosigner``: a witness such as the OIV), its verifier key's text and, for a cosignature, when."""

    name: str
    role: str
    vkey: str
    key_id: str
    cosigned_at: str | None = None


@dataclass(frozen=True)
class Anchor:
    """The tree head the document's proofs end at: ``kind`` is ``checkpoint`` (a signed note, ``note``
    its exact text) or ``head`` (the ledger's own tree head, signed by nobody)."""

    kind: str
    origin: str
    size: int
    root: bytes
    note: str | None
    signers: tuple[Signer, ...]
    tree: proofs.MerkleTree

    @property
    def root_b64(self) -> str:
        return base64.b64encode(self.root).decode()

    @property
    def cosigners(self) -> tuple[Signer, ...]:
        return tuple(s for s in self.signers if s.role == "cosigner")

    def path(self, seq: int) -> tuple[str, ...] | None:
        """The audit path (hex) of event ``seq`` in the anchor's tree; None after it (not covered)."""
        if seq > self.size:
            return None
        return tuple(node.hex() for node in self.tree.path(seq - 1, 0, self.size))

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "origin": self.origin, "size": self.size, "root": self.root_b64,
                "note": self.note,
                "keys": [{"name": s.name, "role": s.role, "vkey": s.vkey, "key_id": s.key_id,
                          "cosigned_at": s.cosigned_at} for s in self.signers]}


def origin_of(events: Sequence[LedgerEvent]) -> str:
    """The ledger's origin, as its first event names it."""
    first = events[0].canonical_bytes
    return proofs.ledger_origin(orjson.loads(first), first)


def anchor_of(events: Sequence[LedgerEvent], checkpoint_file: Path | None,
              trusted: Sequence[proofs.Verifier]) -> Anchor:
    """The anchor of a document read from ``events``: the checkpoint, verified, or the head."""
    origin = origin_of(events)
    tree = proofs.MerkleTree([proofs.leaf_hash(e.canonical_bytes) for e in events])
    if checkpoint_file is None:
        return Anchor("head", origin, len(events), tree.root(), None, (), tree)
    checkpoint = proofs.read_checkpoint(checkpoint_file)
    if not isinstance(checkpoint, proofs.Checkpoint):
        raise proofs.ProofError(f"{checkpoint_file.name} is a checkpoint of an earlier format: cosign a new"
                                " one (perfledger checkpoint) for a published document")
    checkpoint.check_signatures(trusted)  # every key given must have signed it
    if checkpoint.origin != origin:
        raise proofs.ProofError(f"{checkpoint_file.name} is of {checkpoint.origin!r}, not of this ledger"
                                f" ({origin!r})")
    if checkpoint.size > len(events) or tree.root(0, checkpoint.size) != checkpoint.root:
        raise proofs.ProofError(f"the ledger does not extend {checkpoint_file.name}: run verify --checkpoint")
    return Anchor("checkpoint", origin, checkpoint.size, checkpoint.root, checkpoint.text(),
                  tuple(_signer(checkpoint, v) for v in trusted), tree)


def _signer(checkpoint: proofs.Checkpoint, verifier: proofs.Verifier) -> Signer:
    stamp = proofs.verified_by(checkpoint.body(), checkpoint.signatures, verifier)
    kind = proofs.ED25519 if stamp is None else proofs.COSIGNATURE
    key_id = proofs.note_key_id(verifier.name, kind, verifier.public).hex()
    vkey = proofs.vkey_text(verifier.name, verifier.public, kind)
    when = None if stamp is None else datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Signer(verifier.name, "log" if stamp is None else "cosigner", vkey, key_id, when)
