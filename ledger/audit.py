"""RFC 9162 checkpoints of a ledger and the bundle an evaluator checks without the database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ledger import proofs
from ledger.aggregate import utcnow
from ledger.errors import LedgerError
from ledger.files import write_new, write_new_chunks, write_new_text

if TYPE_CHECKING:
    from ledger.application import Store

NO_TRUSTED_KEYS = "give the signers' public keys (--pubkey): a checkpoint's own signature lines prove nothing"


def leaves(store: Store) -> list[bytes]:
    """The Merkle leaf hash of every event, in sequence order."""
    return [proofs.leaf_hash(state) for _, _, state in store.rows()]


def merkle_tree(store: Store) -> proofs.MerkleTree:
    """The ledger's RFC 9162 tree as it is now: one to check any number of checkpoints against."""
    return proofs.MerkleTree(leaves(store))


def checkpoint(
    store: Store, private_pem: bytes, signer: str, *, now: datetime | None = None
) -> proofs.Checkpoint:
    """A signed checkpoint of the ledger as it is now: its size and tree head."""
    hashes = leaves(store)
    moment = (now or utcnow()).strftime("%Y-%m-%dT%H:%M:%SZ")
    unsigned = proofs.Checkpoint(store.entity(), len(hashes), proofs.tree_head(hashes).hex(), moment)
    return unsigned.signed(private_pem, signer)


def check_checkpoint(
    store: Store, checkpoint: proofs.Checkpoint, trusted: Sequence[tuple[str, bytes]],
    tree: proofs.MerkleTree | None = None,
) -> list[str]:
    """Check a checkpoint's signatures by the ``trusted`` keys (at least one), then prove the ledger (its
    ``tree``, made if not given) extends it (RFC 9162 consistency proof)."""
    if not trusted:
        raise proofs.ProofError(NO_TRUSTED_KEYS)
    found = ["signed by " + ", ".join(checkpoint.check_signatures(trusted))]
    if tree is None:
        tree = merkle_tree(store)
    if checkpoint.size > len(tree):
        raise proofs.ProofError(
            f"the ledger has {len(tree)} events, fewer than the {checkpoint.size} of the checkpoint:"
            " it was rolled back or events were removed"
        )
    try:
        first_root = bytes.fromhex(checkpoint.root)
    except ValueError:
        raise proofs.ProofError("the checkpoint's root is not a hex hash") from None
    head, proof = tree.root(), tree.consistency(checkpoint.size)
    proofs.verify_consistency(checkpoint.size, len(tree), first_root, head, proof)
    extends = (
        f"the ledger ({len(tree)} events) extends the checkpoint of {checkpoint.size} events"
        f" ({len(proof)}-hash consistency proof)"
    )
    return [extends, *found]


def export(store: Store, directory: Path, checkpoints: Sequence[Path], public_keys: Sequence[Path]) -> int:
    """Write a bundle an evaluator can check without the database; return the number of events."""
    if directory.exists() and any(directory.iterdir()):
        raise LedgerError(f"{directory} is not empty: a bundle goes to a new directory")
    _refuse_names_given_twice("checkpoint", checkpoints)
    _refuse_names_given_twice("key", public_keys)
    keys = [(path.name, proofs.load_public_key(path.read_bytes(), path.name)) for path in public_keys]
    parsed = [proofs.Checkpoint.read(path) for path in checkpoints]
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "checkpoints").mkdir(exist_ok=True)
    (directory / "keys").mkdir(exist_ok=True)
    count = 0

    def lines() -> Iterator[bytes]:
        nonlocal count
        for _, _, state in store.rows():
            count += 1
            yield bytes(state) + b"\n"

    write_new_chunks(directory / "events.jsonl", lines())
    for path, parsed_checkpoint in zip(checkpoints, parsed):
        write_new_text(directory / "checkpoints" / path.name, parsed_checkpoint.text())
    from cryptography.hazmat.primitives import serialization  # only here: keeps start-up light

    for name, key in keys:  # re-serialised: only public keys ever leave
        pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        write_new(directory / "keys" / name, pem)
    write_new(directory / "verify.py", Path(proofs.__file__).read_bytes())
    return count


def _refuse_names_given_twice(kind: str, paths: Sequence[Path]) -> None:
    """A bundle keeps each checkpoint and key by its file name: of two of one name, one would be lost."""
    names = [path.name for path in paths]
    twice = sorted(name for name in set(names) if names.count(name) > 1)
    if twice:
        raise LedgerError(f"two {kind}s are named {twice[0]}: a bundle holds one file of each name")
