"""Cosigning as a witness does (c2sp.org/tlog-witness): a checkpoint is cosigned only if it is
consistent with the last one its cosigner cosigned of the same ledger.

The witness's state is a small file its holder (the OIV) keeps: for each origin, the size and root
it last cosigned and the log's key. A checkpoint of the same size must have the same root (else the
log showed two histories: a split view); a larger one needs a consistency proof from that size; a
smaller one is refused; a new origin signed by a log key already followed under another is refused
unless the witness says it knows of the new ledger. So two checkpoints of one ledger cosigned by
one witness never disagree.
"""

from __future__ import annotations

import base64
import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson

from ledger import proofs

PROOF_HEADER = "perfledger consistency proof"


@dataclass(frozen=True)
class Cosigned:
    """What cosigning did: the checkpoint with the cosignature, and what was checked to allow it."""

    checkpoint: proofs.Checkpoint
    reason: str
    state: bytes  # the cosigner's new state file


def read_state(path: Path) -> dict[str, tuple[int, bytes]]:
    """A witness's state (empty if its file does not exist yet)."""
    return proofs.read_witness_state(path) if path.exists() else {}


def state_bytes(logs: dict[str, dict[str, object]]) -> bytes:
    body = {"format": proofs.WITNESS_FORMAT, "logs": dict(sorted(logs.items()))}
    return orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n"


def _raw_logs(state: Path) -> dict[str, dict[str, object]]:
    """The state's entries as stored (checked by ``read_state`` first): size, root, time, log key."""
    if not state.exists():
        return {}
    return dict(orjson.loads(state.read_bytes())["logs"])


def cosign(checkpoint: proofs.Checkpoint, private_pem: bytes, name: str, log: proofs.Verifier,
           state: Path, proof: list[bytes] | None, *, new_log: bool = False, now: int | None = None
           ) -> Cosigned:
    """Cosign ``checkpoint`` if the log signed it and it is consistent with ``state``'s last head.

    ``proof`` is the consistency proof from the last cosigned size to this checkpoint's (None if
    none was given). A first checkpoint of an origin whose log key already signs another origin in
    the state is refused unless ``new_log`` (a second origin is a second history). Nothing is
    written here: the caller saves the state, then the checkpoint.
    """
    if log.kind != proofs.ED25519:
        raise proofs.ProofError("the log's key must be its Ed25519 verifier key (a .vkey of type 0x01),"
                                " not a cosigner's or a PEM key")
    checkpoint.check_signatures([log])
    previous = read_state(state).get(checkpoint.origin)
    logs = _raw_logs(state)
    if previous is None:
        _first_of_origin(logs, checkpoint.origin, log, new_log)
    reason = _consistent(previous, checkpoint, proof)
    stamp = int(time.time()) if now is None else now
    logs[checkpoint.origin] = {"size": checkpoint.size, "root": base64.b64encode(checkpoint.root).decode(),
                               "cosigned_at": stamp, "log": log.text()}
    return Cosigned(checkpoint.cosigned(private_pem, name, stamp), reason, state_bytes(logs))


def _first_of_origin(logs: dict[str, dict[str, object]], origin: str, log: proofs.Verifier,
                     new_log: bool) -> None:
    """Refuse a new origin for a log key the witness already follows under another, unless told."""
    others = sorted(o for o, entry in logs.items() if entry.get("log") == log.text())
    if others and not new_log:
        raise proofs.ProofError(
            f"the log key {log.name} already signs {others[0]!r}, which you cosign; a checkpoint of a new"
            f" origin {origin!r} by the same key may be a second history of it: refused (give --new-log"
            " if the body opened another ledger, and you know it)")


def _consistent(previous: tuple[int, bytes] | None, checkpoint: proofs.Checkpoint,
                proof: list[bytes] | None) -> str:
    """Why ``checkpoint`` may be cosigned after ``previous``; a ProofError if it may not."""
    origin, size = checkpoint.origin, checkpoint.size
    if previous is None:
        return f"the first checkpoint of {origin} you cosign: later ones must extend it"
    old, old_root = previous
    if size < old:
        raise proofs.ProofError(f"you already cosigned {old} events of {origin}; this checkpoint has {size}:"
                                " a log never shrinks (a rollback, or a second history)")
    if size == old:
        if checkpoint.root != old_root:
            raise proofs.ProofError(f"you already cosigned {old} events of {origin} with another root:"
                                    " the log shows two histories (a split view); refused")
        return f"the same tree head of {origin} you cosigned before"
    if old == 0:
        return f"it extends the empty tree of {origin} you cosigned"
    if proof is None:
        raise proofs.ProofError(f"you last cosigned {old} events of {origin}: give the consistency proof"
                                f" from {old} to {size} (--proof, from `perfledger checkpoint prove"
                                f" --from {old}`, or --bundle)")
    proofs.verify_consistency(old, size, old_root, checkpoint.root, proof)
    return f"it extends the {old} events of {origin} you last cosigned ({len(proof)}-hash consistency proof)"


def proof_text(old: int, new: int, hashes: list[bytes]) -> str:
    """A consistency proof as a file: a header, the two sizes, then each hash in base64 on its line."""
    lines = [PROOF_HEADER, f"old {old}", f"new {new}", *(base64.b64encode(h).decode() for h in hashes)]
    return "".join(line + "\n" for line in lines)


def read_proof(path: Path, old: int, new: int) -> list[bytes]:
    """The hashes of a proof file, if it proves ``old`` to ``new``."""
    lines = path.read_bytes().decode("utf-8", errors="replace").split("\n")
    if lines[:1] != [PROOF_HEADER] or lines[-1] != "":
        raise proofs.ProofError(f"{path.name} is not a perfledger consistency proof")
    if lines[1:3] != [f"old {old}", f"new {new}"]:
        raise proofs.ProofError(f"{path.name} proves {lines[1:3]}, not old {old} to new {new}")
    try:
        return [base64.b64decode(line, validate=True) for line in lines[3:-1]]
    except ValueError:
        raise proofs.ProofError(f"{path.name}: a hash is not base64") from None


def proof_from_bundle(bundle: Path, checkpoint: proofs.Checkpoint, old: int) -> list[bytes]:
    """The consistency proof from ``old`` to the checkpoint, from a bundle's events (whose first
    ``checkpoint.size`` must give its root)."""
    chain = proofs.check_chain(proofs.read_events(bundle / "events.jsonl"))
    tree = proofs.MerkleTree(chain.leaves[: checkpoint.size])
    if len(tree) < checkpoint.size or tree.root() != checkpoint.root:
        raise proofs.ProofError(f"the bundle's events do not give the tree head of the checkpoint of"
                                f" {checkpoint.size}")
    return tree.consistency(old) if old else []


def proof_needed(state: Path, checkpoint: proofs.Checkpoint) -> int | None:
    """The size from which a consistency proof is needed (None: none is: a first checkpoint, the same
    size, a smaller one that ``cosign`` refuses, or an empty tree before)."""
    previous = read_state(state).get(checkpoint.origin)
    if previous is None or not 0 < previous[0] < checkpoint.size:
        return None
    return previous[0]


@contextmanager
def locked(state: Path) -> Iterator[None]:
    """Hold the witness's lock (``STATE.lock``, beside it) while a cosign reads, decides and saves."""
    lock = state.with_name(state.name + ".lock")
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
