"""A ledger's checkpoints (C2SP tlog-checkpoint over its RFC 9162 tree) and the bundle an evaluator
checks without the database."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from ledger import proofs
from ledger.errors import FileNotWritten, LedgerError
from ledger.files import write_new, write_new_chunks

if TYPE_CHECKING:
    from ledger.application import Store


NO_TRUSTED_KEYS = "give the signers' keys (--vkey): a checkpoint's own signature lines prove nothing"


def leaves(store: Store) -> list[bytes]:
    """The Merkle leaf hash of every event, in sequence order."""
    return [proofs.leaf_hash(state) for _, _, state in store.rows()]


def merkle_tree(store: Store) -> proofs.MerkleTree:
    """The ledger's RFC 9162 tree as it is now: one to check any number of checkpoints against."""
    return proofs.MerkleTree(leaves(store))


def origin(store: Store) -> str:
    """The ledger's origin, as its first event names it (``proofs.ledger_origin``)."""
    first = list(store.rows(0, 1))
    if not first:
        raise LedgerError(f"{store.location} holds no ledger yet")
    return proofs.ledger_origin(orjson.loads(first[0][2]), bytes(first[0][2]))


def checkpoint(store: Store, private_pem: bytes, name: str) -> proofs.Checkpoint:
    """The ledger's checkpoint as it is now (origin, size, tree head), signed by its key ``name``."""
    tree = merkle_tree(store)
    return proofs.new_checkpoint(origin(store), len(tree), tree.root()).signed(private_pem, name)


def check_checkpoint(
    store: Store, checkpoint: proofs.AnyCheckpoint, verifiers: Sequence[proofs.Verifier],
    tree: proofs.MerkleTree | None = None,
) -> list[str]:
    """Check a checkpoint's signatures and ledger, then prove the ledger (its ``tree``, made if not
    given) extends it (RFC 9162 consistency proof)."""
    if not verifiers:
        raise proofs.ProofError(NO_TRUSTED_KEYS)
    found = ["signed by " + ", ".join(checkpoint.check_signatures(verifiers))]
    here = origin(store)
    if isinstance(checkpoint, proofs.Checkpoint) and checkpoint.origin != here:
        raise proofs.ProofError(f"it is a checkpoint of {checkpoint.origin!r}, not of this ledger ({here})")
    if tree is None:
        tree = merkle_tree(store)
    if checkpoint.size > len(tree):
        raise proofs.ProofError(
            f"the ledger has {len(tree)} events, fewer than the {checkpoint.size} of the checkpoint:"
            " it was rolled back or events were removed"
        )
    head, proof = tree.root(), tree.consistency(checkpoint.size) if checkpoint.size else []
    if checkpoint.size:
        proofs.verify_consistency(checkpoint.size, len(tree), checkpoint.root, head, proof)
    extends = (
        f"the ledger ({len(tree)} events) extends the checkpoint of {checkpoint.size} events"
        f" ({len(proof)}-hash consistency proof)"
    )
    return [extends, *found]


def export(store: Store, directory: Path, checkpoints: Sequence[Path], keys: Sequence[Path],
           progress: Callable[[int], None] | None = None) -> int:
    """Write a bundle (data only: events, checkpoints, keys, a manifest of their SHA-256), made aside
    and renamed into place; return the number of events. ``progress`` is told the events written so far."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise LedgerError(f"{directory} is not empty: a bundle goes to a new directory")
    _refuse_names_given_twice("checkpoint", checkpoints)
    _refuse_names_given_twice("key", keys)
    for path in checkpoints:
        proofs.read_checkpoint(path)  # a checkpoint, not any file
    verifiers = [(path, proofs.read_verifier(path)) for path in keys]
    directory.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        count = _write_bundle(store, work, checkpoints, verifiers, progress)
        if directory.exists():
            directory.rmdir()  # empty, checked above
        work.rename(directory)
    except FileNotWritten as e:  # named by the bundle's path, not the directory it was made in
        shutil.rmtree(work, ignore_errors=True)
        raise FileNotWritten(str(e).replace(str(work), str(directory))) from None
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return count


def _write_bundle(store: Store, work: Path, checkpoints: Sequence[Path],
                  keys: Sequence[tuple[Path, proofs.Verifier]],
                  progress: Callable[[int], None] | None) -> int:
    (work / "checkpoints").mkdir()
    (work / "keys").mkdir()
    count = 0

    def lines() -> Iterator[bytes]:
        nonlocal count
        for _, _, state in store.rows():
            count += 1
            if progress is not None:
                progress(count)
            yield bytes(state) + b"\n"

    write_new_chunks(work / "events.jsonl", lines())
    for path in checkpoints:
        write_new(work / "checkpoints" / f"{path.stem}.txt", path.read_bytes())
    for path, verifier in keys:  # as verifier keys: only public keys ever leave
        write_new(work / "keys" / f"{path.stem}.vkey", (verifier.text() + "\n").encode())
    manifest = {"format": proofs.BUNDLE_FORMAT, "files": proofs.file_hashes(work)}
    listing = orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    write_new(work / proofs.MANIFEST, listing)
    return count


def _refuse_names_given_twice(kind: str, paths: Sequence[Path]) -> None:
    """A bundle keeps each checkpoint and key by its file's name: of two of one name, one would be lost."""
    names = [path.stem for path in paths]
    twice = sorted(name for name in set(names) if names.count(name) > 1)
    if twice:
        raise LedgerError(f"two {kind}s are named {twice[0]}: a bundle holds one file of each name")
