"""RFC 9162 tree heads and proofs, signed checkpoints, bundles: and the attacks they must catch."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result
from eventsourcing.persistence import StoredEvent
from hypothesis import given
from hypothesis import strategies as st

from cli.main import main
from ledger import Store
from ledger import proofs as proofs_module
from ledger.aggregate import LEDGER_ID
from ledger.proofs import (
    Checkpoint,
    MerkleTree,
    ProofError,
    Verifier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    new_checkpoint,
    node_hash,
    read_verifier,
    tree_head,
    verify_bundle,
    verify_consistency,
    verify_inclusion,
)
from tests.backends import raw
from tests.conftest import EXAMPLE_DIR

# The example ledger's size: LedgerOpened, the example's events, and the HistoryMigrated closing them.
SIZE = len((EXAMPLE_DIR / "events.jsonl").read_bytes().splitlines()) + 2
CHECKPOINT = f"checkpoint-{SIZE}.txt"  # what `perfledger checkpoint` writes for it
ARABIC = "".join(chr(0x0660 + int(digit)) for digit in str(SIZE))  # the same number in Arabic-Indic digits

LEAVES = [leaf_hash(f"event {i}".encode()) for i in range(40)]


def test_tree_heads_follow_rfc_9162() -> None:
    a, b, c = LEAVES[:3]
    assert tree_head([]) == hashlib.sha256(b"").digest()
    assert tree_head([a]) == a
    assert tree_head([a, b, c]) == node_hash(node_hash(a, b), c)
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162's definition, word for word: the tree kept level by level must agree with it."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def test_the_tree_kept_level_by_level_gives_the_definitions_hash_of_every_range() -> None:
    tree = MerkleTree(LEAVES)
    for start in range(len(LEAVES) + 1):
        for end in range(start, len(LEAVES) + 1):
            assert tree.root(start, end) == mth(LEAVES[start:end]), (start, end)


def test_every_inclusion_and_consistency_proof_verifies() -> None:
    for n in range(1, len(LEAVES) + 1):
        leaves = LEAVES[:n]
        root = tree_head(leaves)
        for i in range(n):
            verify_inclusion(i, n, leaves[i], inclusion_proof(i, leaves), root)
        for m in range(1, n + 1):
            verify_consistency(m, n, tree_head(leaves[:m]), root, consistency_proof(m, leaves))


@given(st.integers(1, 39), st.integers(2, 40), st.data())
def test_forged_consistency_proofs_are_rejected(m: int, n: int, data: st.DataObject) -> None:
    m = min(m, n - 1)
    leaves = LEAVES[:n]
    proof = consistency_proof(m, leaves)
    first, second = tree_head(leaves[:m]), tree_head(leaves)
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        forged = [*proof[:k], bytes([proof[k][0] ^ 1]) + proof[k][1:], *proof[k + 1 :]]
        with pytest.raises(ProofError):
            verify_consistency(m, n, first, second, forged)
    altered = [*leaves[: m - 1], leaf_hash(b"altered"), *leaves[m:]]
    with pytest.raises(ProofError):
        verify_consistency(m, n, tree_head(altered[:m]), second, proof)
    with pytest.raises(ProofError):
        verify_consistency(m, n, first, second, [*proof, second])


@given(st.integers(0, 39), st.data())
def test_forged_inclusion_proofs_are_rejected(i: int, data: st.DataObject) -> None:
    n = data.draw(st.integers(i + 1, 40))
    leaves = LEAVES[:n]
    proof = inclusion_proof(i, leaves)
    with pytest.raises(ProofError):
        verify_inclusion(i, n, leaf_hash(b"not this one"), proof, tree_head(leaves))
    if proof:
        with pytest.raises(ProofError):
            verify_inclusion(i, n, leaves[i], proof[:-1], tree_head(leaves))


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def oiv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The 2012 ledger, the controller's and the OIV's keys, a co-signed checkpoint, a report and a bundle."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PERFLEDGER_LEDGER", str(tmp_path / "cciaa.db"))
    assert run("import", str(EXAMPLE_DIR / "events.jsonl"), "--backfill", "--entity", "CCIAA").exit_code == 0
    for name in ("cdg", "intruder"):
        assert run("key", "new", name).exit_code == 0
    assert run("key", "new", "oiv", "--witness").exit_code == 0
    assert f"{SIZE} events, signed by cdg" in run("checkpoint", "--key", "cdg.key").output
    assert run("checkpoint", "cosign", CHECKPOINT, "--key", "oiv.key", "--log-vkey", "cdg.vkey",
               "--state", "oiv-state.json").exit_code == 0
    Path("report.json").write_text(run("report", "--format", "json").output)
    assert run("export", "--bundle", "bundle", "--checkpoint", CHECKPOINT,
               "--vkey", "cdg.vkey", "--vkey", "oiv.vkey").exit_code == 0
    yield tmp_path


def test_the_walkthrough_verifies_online_and_offline(oiv: Path) -> None:
    online = run("verify", "--checkpoint", CHECKPOINT, "--vkey", "cdg.vkey", "--vkey", "oiv.vkey")
    assert online.exit_code == 0 and f"extends the checkpoint of {SIZE} events" in online.output
    assert "signed by cdg" in online.output and "oiv" in online.output
    offline = run("verify", "--bundle", "bundle", "--vkey", "cdg.vkey", "--vkey", "oiv.vkey",
                  "--expect", "report.json")
    assert offline.exit_code == 0 and "replay matches report.json" in offline.output
    import subprocess
    import sys

    script = subprocess.run([sys.executable, "-I", str(Path(proofs_module.__file__)), "bundle",
                             "--vkey", "oiv.vkey", "--vkey", "cdg.vkey", "--last", "oiv-state.json"],
                            check=False, capture_output=True, text=True)
    assert script.returncode == 0 and script.stdout.endswith("OK\n"), script.stderr
    assert not (oiv / "bundle" / "verify.py").exists()


def test_a_later_ledger_still_extends_the_checkpoint(oiv: Path) -> None:
    obj = {"type": "ReservationMade", "id": "late", "effective_date": "2012-12-20", "actor": "cdg",
           "reservation": "late", "item": "A1/04/10", "amount": "100.00"}
    assert run("append", "--json", json.dumps(obj)).exit_code == 0
    result = run("verify", "--checkpoint", CHECKPOINT, "--vkey", "cdg.vkey", "--vkey", "oiv.vkey")
    extends = f"({SIZE + 1} events) extends the checkpoint of {SIZE} events"
    assert result.exit_code == 0 and extends in result.output


def test_a_ledger_rolled_back_to_an_older_copy_is_caught(oiv: Path) -> None:
    obj = {"type": "ReservationMade", "id": "late", "effective_date": "2012-12-20", "actor": "cdg",
           "reservation": "late", "item": "A1/04/10", "amount": "100.00"}
    run("append", "--json", json.dumps(obj))
    run("checkpoint", "--key", "cdg.key")
    # The body restores a copy of the ledger taken before the last event.
    rolled = oiv / "rolled.db"
    with Store.open(str(oiv / "cciaa.db")) as store, Store.open(str(rolled), create=True) as copy:
        copy.recorder.insert_events([StoredEvent(LEDGER_ID, *row) for row in store.rows()][:-1])
    result = run("--ledger", str(rolled), "verify", "--checkpoint", f"checkpoint-{SIZE + 1}.txt",
                 "--vkey", "cdg.vkey")
    assert (
        result.exit_code == 1
        and f"fewer than the {SIZE + 1} of the checkpoint: it was rolled back" in result.output
    )


def test_history_rewritten_with_every_hash_recomputed_is_caught(oiv: Path) -> None:
    db = raw(str(oiv / "cciaa.db"))
    db.drop_triggers()
    prev = "0" * 64
    for seq in range(1, SIZE + 1):
        body = orjson.loads(db.state_of(seq))
        if body["id"] == "res-A1/04/09-1":
            body["amount"] = "1.00"  # the forger lowers a reservation
        body["prev"] = prev
        state = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
        db.set_state(seq, state)
        prev = hashlib.sha256(state).hexdigest()
        db.set_chain_hash(seq, prev)
    assert run("verify", "--quick").exit_code == 0  # the chain alone is fooled
    result = run("verify", "--checkpoint", CHECKPOINT, "--vkey", "cdg.vkey")
    assert result.exit_code == 1 and "history was" in result.output


def test_a_checkpoint_signed_by_another_key_or_edited_is_rejected(oiv: Path) -> None:
    forged = Checkpoint.parse(Path(CHECKPOINT).read_text())
    unsigned = new_checkpoint(forged.origin, forged.size, forged.root)
    Path("intruder.txt").write_text(unsigned.signed(Path("intruder.key").read_bytes(), "cdg").text())
    result = run("verify", "--checkpoint", "intruder.txt", "--vkey", "cdg.vkey")
    assert result.exit_code == 1 and "it is not signed by cdg (key ID" in result.output
    edited = Path(CHECKPOINT).read_text().replace(f"\n{SIZE}\n", f"\n{SIZE - 1}\n")
    Path("edited.txt").write_text(edited)
    result = run("verify", "--checkpoint", "edited.txt", "--vkey", "cdg.vkey", "--vkey", "oiv.vkey")
    assert result.exit_code == 1 and "does not match the checkpoint" in result.output


def TRUSTED() -> list[Verifier]:
    """The controller's key as the OIV holds it, apart from the bundle (the tests run in the
    fixture's directory)."""
    return [read_verifier(Path("cdg.vkey"))]


def lines_of(bundle: Path) -> list[bytes]:
    return (bundle / "events.jsonl").read_bytes().splitlines()


def write(bundle: Path, lines: list[bytes], tail: bytes = b"\n") -> None:
    """Tamper with a bundle's events as its hostile maker would: with its manifest made again."""
    (bundle / "events.jsonl").write_bytes(b"\n".join(lines) + tail)
    remanifest(bundle)


def remanifest(bundle: Path) -> None:
    manifest = {"format": proofs_module.BUNDLE_FORMAT, "files": proofs_module.file_hashes(bundle)}
    (bundle / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    "tamper, reason",
    [
        (lambda ls: ls[:100] + ls[101:], "event 101 says it is event 102"),
        (lambda ls: ls[:100] + [ls[101], ls[100]] + ls[102:], "event 101 says it is event 102"),
        (lambda ls: ls[:100]
         + [ls[100].replace(b'"actor":"controllo-di-gestione"', b'"actor":"someone"')]
         + ls[101:],
         "event 102 does not link to event 101"),
        (lambda ls: ls[:100] + [ls[100].replace(b":", b": ", 1)] + ls[101:],
         "event 101 is not in canonical form"),
        (lambda ls: ls[:-3], f"covers {SIZE} events but there are {SIZE - 3}"),
    ],
    ids=["dropped", "swapped", "altered", "reformatted", "truncated-tail"],
)
def test_a_tampered_bundle_is_rejected_with_the_reason(oiv: Path, tamper: object, reason: str) -> None:
    bundle = oiv / "bundle"
    write(bundle, tamper(lines_of(bundle)))  # type: ignore[operator]
    with pytest.raises(ProofError, match=reason):
        verify_bundle(bundle, TRUSTED())
    result = run("verify", "--bundle", str(bundle), "--vkey", "cdg.vkey")
    assert result.exit_code == 1 and result.output.startswith("Error: ")


def test_a_bundle_cut_mid_line_is_called_truncated(oiv: Path) -> None:
    bundle = oiv / "bundle"
    data = (bundle / "events.jsonl").read_bytes()
    (bundle / "events.jsonl").write_bytes(data[:-40])
    remanifest(bundle)
    with pytest.raises(ProofError, match="truncated"):
        verify_bundle(bundle, TRUSTED())


def test_a_report_that_disagrees_with_the_replay_is_listed(oiv: Path) -> None:
    report = json.loads(Path("report.json").read_text())
    report["achievement"]["entity"]["percent"] = 96
    report["budget"]["total"]["available"] = "136406.00"
    Path("claimed.json").write_text(json.dumps(report))
    result = run("verify", "--bundle", "bundle", "--vkey", "cdg.vkey", "--expect", "claimed.json")
    assert result.exit_code == 1 and "differs from claimed.json in 2 place(s)" in result.output
    assert "achievement.entity.percent: report says 96, replay gives 94" in result.output


def test_explain_prove_attaches_a_verifiable_inclusion_proof_to_every_event(oiv: Path) -> None:
    tree = json.loads(run("explain", "budget", "item", "A1/04/09", "available",
                          "--prove", CHECKPOINT, "--vkey", "cdg.vkey", "--format", "json").output)
    checkpoint = Checkpoint.parse(Path(CHECKPOINT).read_text())
    with Store.open(str(oiv / "cciaa.db")) as store:
        states = {seq: bytes(state) for seq, _, state in store.rows()}

    def refs(node: dict[str, object]) -> list[dict[str, object]]:
        return [*node["events"], *(r for part in node["parts"] for r in refs(part))]  # type: ignore[attr-defined]

    found = refs(tree)
    assert len(found) == 3
    for ref in found:
        seq = int(ref["seq"])  # type: ignore[arg-type]
        path = [bytes.fromhex(h) for h in ref["proof"]]  # type: ignore[union-attr]
        verify_inclusion(seq - 1, checkpoint.size, leaf_hash(states[seq]), path, checkpoint.root)


def test_explain_prove_refuses_a_checkpoint_the_ledger_does_not_extend(oiv: Path) -> None:
    forged = Checkpoint.parse(Path(CHECKPOINT).read_text())
    unsigned = new_checkpoint(forged.origin, forged.size, bytes(32))
    Path("other.txt").write_text(unsigned.signed(Path("cdg.key").read_bytes(), "cdg").text())
    result = run("explain", "achievement", "entity", "--prove", "other.txt", "--vkey", "cdg.vkey")
    assert result.exit_code == 1 and "does not extend other.txt" in result.output


def test_a_copied_signature_line_cannot_fake_a_co_signer(oiv: Path) -> None:
    text = Path(CHECKPOINT).read_text()
    body, _, lines = text.partition("\n\n")
    cdg_line = lines.splitlines()[0]
    Path("faked.txt").write_text(
        body + "\n\n" + cdg_line + "\n" + cdg_line.replace("— cdg ", "— oiv ") + "\n"
    )
    result = run("verify", "--checkpoint", "faked.txt", "--vkey", "cdg.vkey", "--vkey", "oiv.vkey")
    assert result.exit_code == 1 and "not signed by oiv" in result.output


@pytest.mark.parametrize("edit", [(f"\n{SIZE}\n", f"\n0{SIZE}\n"), (f"\n{SIZE}\n", f"\n{ARABIC}\n"),
                                  (f"\n{SIZE}\n", "\n\u00b2\n")])
def test_a_checkpoint_must_read_exactly_as_it_was_signed(oiv: Path, edit: tuple[str, str]) -> None:
    Path("edited.txt").write_text(Path(CHECKPOINT).read_text().replace(*edit))
    result = run("verify", "--checkpoint", "edited.txt", "--vkey", "cdg.vkey")
    assert result.exit_code == 1 and "is not a decimal number without leading zeros" in result.output


def test_keys_and_bundles_are_handled_safely(oiv: Path) -> None:
    assert "without spaces" in run("checkpoint", "--key", "cdg.key", "--name", "Mario Rossi").output
    assert "not an unencrypted PEM private key" in run("checkpoint", "--key", "cdg.pub").output
    private = run("export", "--bundle", "fresh", "--pubkey", "cdg.key")
    assert (
        private.exit_code == 1
        and "not a PEM public key" in private.output
        and not Path("fresh/keys/cdg.key").exists()
    )
    again = run("export", "--bundle", "bundle")
    assert again.exit_code == 1 and "is not empty" in again.output
    unproved = CliRunner().invoke(main, ["explain", "achievement", "entity", "--prove", CHECKPOINT])
    assert unproved.exit_code == 2 and "--prove needs --vkey" in unproved.output


def test_the_offline_verifier_needs_trusted_keys_and_a_checkpoint(oiv: Path) -> None:
    with pytest.raises(ProofError, match="give the keys you trust"):
        verify_bundle(oiv / "bundle", [])
    assert run("export", "--bundle", "bare").exit_code == 0
    with pytest.raises(ProofError, match="no checkpoint"):
        verify_bundle(oiv / "bare", TRUSTED())
    assert verify_bundle(oiv / "bare", TRUSTED(), [Path(CHECKPOINT)])[1].startswith(
        f"checkpoint-{SIZE}.txt: {SIZE} events match its tree head"
    )


def test_a_bundle_replaying_an_event_under_its_id_is_rejected(oiv: Path) -> None:
    bundle = oiv / "bundle"
    lines = lines_of(bundle)
    body = orjson.loads(lines[-1])
    copy = dict(orjson.loads(lines[-2]), seq=len(lines), prev=hashlib.sha256(lines[-2]).hexdigest())
    assert copy["id"] != body["id"]
    copy["id"] = orjson.loads(lines[-3])["id"]
    write(bundle, [*lines[:-1], orjson.dumps(copy, option=orjson.OPT_SORT_KEYS)])
    with pytest.raises(ProofError, match="repeats the id"):
        verify_bundle(bundle, TRUSTED())


def test_a_consistency_proof_between_two_prefixes_is_that_of_the_smaller_tree() -> None:
    tree = MerkleTree(LEAVES)
    for end in range(1, len(LEAVES) + 1):
        for first in range(1, end + 1):
            proof = tree.consistency(first, end)
            verify_consistency(first, end, mth(LEAVES[:first]), mth(LEAVES[:end]), proof)
            assert proof == MerkleTree(LEAVES[:end]).consistency(first), (first, end)
