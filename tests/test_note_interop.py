"""C2SP checkpoints read by Go's golang.org/x/mod/sumdb/note (notecheck), written by perfledger and apart.

Two writers and two readers. tests/interop/c2sp_notes.py writes notes straight from the specs with
``cryptography``; Go's note package, through tests/interop/notecheck, reads them. Once the two agree
on genuine and broken notes and on every vector in tests/vectors/checkpoints, they judge
perfledger's own checkpoints (ledger.proofs), and perfledger must read the independent ones.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger import proofs
from tests.interop import go_notecheck
from tests.interop.c2sp_notes import (
    COSIGNATURE,
    ED25519,
    checkpoint_text,
    cosignature_line,
    fixed_key,
    key_id,
    private_pem,
    public_raw,
    signature_line,
    signed_note,
    vkey,
)
from tests.vectors.checkpoints.make_vectors import read_vectors

ORIGIN = "perfledger.example/interop"
SIZE = 1234
ROOT = hashlib.sha256(b"an interop root").digest()
TIME = 1373018400  # 2013-07-05T10:00:00Z
LOG, OIV = fixed_key("interop log"), fixed_key("interop oiv")
OIV_NAME = "witness.example/oiv"
LOG_VKEY = vkey(ORIGIN, public_raw(LOG), ED25519)
OIV_VKEY = vkey(OIV_NAME, public_raw(OIV), COSIGNATURE)

# signed-note.md's own example, which Go's note package opens.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n— example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

awaiting_c2sp = pytest.mark.skipif(not hasattr(proofs, "vkey_text"), reason="awaiting proofs C2SP API")


@pytest.fixture(scope="session")
def notecheck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Go checker, built once per session (a missing go fails under CI, skips elsewhere)."""
    return go_notecheck.build(tmp_path_factory.mktemp("notecheck"))


def genuine() -> str:
    text = checkpoint_text(ORIGIN, SIZE, ROOT)
    return signed_note(text, signature_line(text, LOG, ORIGIN))


def with_one_byte_changed(note: str, line: int, at: int) -> str:
    """The note with byte ``at`` of body line ``line`` XOR 1 (ASCII stays ASCII; the signatures stay)."""
    lines = note.split("\n")
    changed = bytearray(lines[line].encode())
    changed[at] ^= 1
    lines[line] = changed.decode()
    return "\n".join(lines)


def one_byte_changes() -> list[Any]:
    """Every byte of the size line and of the root line, as test parameters."""
    size, root = str(SIZE), base64.b64encode(ROOT).decode()
    return [pytest.param(1, i, id=f"size-{i}") for i in range(len(size))] + [
        pytest.param(2, i, id=f"root-{i}") for i in range(len(root))
    ]


# -- the helper and Go, against the specs ------------------------------------------------------
def test_the_helper_writes_the_vkey_of_the_signed_note_specs_example() -> None:
    material = base64.b64decode(SPEC_VKEY.split("+", 2)[2])
    assert material[0] == ED25519
    assert vkey("example.com/foo", material[1:], ED25519) == SPEC_VKEY
    assert key_id("example.com/foo", material[1:], ED25519).hex() == "530d903a"
    signature = base64.b64decode(SPEC_NOTE.split(" ")[-1])
    Ed25519PublicKey.from_public_bytes(material[1:]).verify(signature[4:], b"This is an example message.\n")


def test_go_verifies_the_specs_example_note_and_then_finds_it_is_no_checkpoint(notecheck: Path) -> None:
    done = go_notecheck.run(notecheck, SPEC_NOTE, [SPEC_VKEY])
    assert done.returncode == 1
    assert done.stderr == (
        "notecheck: not a checkpoint: 1 lines, a checkpoint has at least 3 (origin, size, root)\n"
    )


def test_go_note_opens_a_checkpoint_signed_by_an_independent_ed25519_key(notecheck: Path) -> None:
    done = go_notecheck.run(notecheck, genuine(), [LOG_VKEY])
    assert (done.returncode, done.stdout, done.stderr) == (0, f"signed by {ORIGIN}\n", "")


def test_go_refuses_a_checkpoint_opened_with_another_log_key(notecheck: Path) -> None:
    other = vkey(ORIGIN, public_raw(fixed_key("another log")), ED25519)
    done = go_notecheck.run(notecheck, genuine(), [other])
    assert done.returncode == 1
    assert done.stderr == "notecheck: note not verified: note has no verifiable signatures\n"


@pytest.mark.parametrize(("line", "at"), one_byte_changes())
def test_go_rejects_a_checkpoint_after_one_byte_of_its_size_or_root_changes(
    notecheck: Path, line: int, at: int
) -> None:
    done = go_notecheck.run(notecheck, with_one_byte_changed(genuine(), line, at), [LOG_VKEY])
    assert done.returncode == 1
    assert done.stderr.startswith("notecheck: note not verified: invalid signature for key ")


def test_go_verifies_an_independent_cosignature_and_reports_its_timestamp(notecheck: Path) -> None:
    text = checkpoint_text(ORIGIN, SIZE, ROOT)
    note = signed_note(text, signature_line(text, LOG, ORIGIN), cosignature_line(text, OIV, OIV_NAME, TIME))
    done = go_notecheck.run(notecheck, note, [LOG_VKEY], [OIV_VKEY])
    assert (done.returncode, done.stdout) == (0, f"signed by {ORIGIN}\ncosigned by {OIV_NAME} at {TIME}\n")


@pytest.mark.parametrize("delta", [1, -1, 1 << 32])
def test_go_rejects_a_cosignature_whose_timestamp_was_changed(notecheck: Path, delta: int) -> None:
    text = checkpoint_text(ORIGIN, SIZE, ROOT)
    line = cosignature_line(text, OIV, OIV_NAME, TIME)
    raw = base64.b64decode(line.split(" ")[2])
    moved = raw[:4] + (TIME + delta).to_bytes(8, "big") + raw[12:]
    note = signed_note(
        text, signature_line(text, LOG, ORIGIN), f"— {OIV_NAME} {base64.b64encode(moved).decode()}\n"
    )
    done = go_notecheck.run(notecheck, note, [LOG_VKEY], [OIV_VKEY])
    assert done.returncode == 1
    assert done.stderr == f"notecheck: cosignature by {OIV_NAME} at {TIME + delta} does not verify\n"


def test_go_rejects_a_checkpoint_without_a_required_cosignature(notecheck: Path) -> None:
    done = go_notecheck.run(notecheck, genuine(), [LOG_VKEY], [OIV_VKEY])
    assert done.returncode == 1
    oiv_id = key_id(OIV_NAME, public_raw(OIV), COSIGNATURE).hex()
    assert done.stderr == f"notecheck: no cosignature by {OIV_NAME}+{oiv_id}\n"


def test_go_refuses_a_cosigner_vkey_as_a_log_key_and_a_log_vkey_as_a_cosigner(notecheck: Path) -> None:
    as_log = go_notecheck.run(notecheck, genuine(), [OIV_VKEY])
    as_cosigner = go_notecheck.run(notecheck, genuine(), [LOG_VKEY], [LOG_VKEY])
    assert (as_log.returncode, as_cosigner.returncode) == (2, 2)
    assert "unknown verifier algorithm" in as_log.stderr
    assert "signature type 0x01, not 0x04" in as_cosigner.stderr


@pytest.mark.parametrize("vector", read_vectors(), ids=lambda v: v["file"].removesuffix(".txt"))
def test_go_notecheck_agrees_with_every_checkpoint_vector(notecheck: Path, vector: dict[str, Any]) -> None:
    done = go_notecheck.run(notecheck, vector["path"], vector["log_vkeys"], vector["cosigner_vkeys"])
    if not vector["valid"]:
        assert done.returncode == 1, f"{vector['reason']}: notecheck said {done.stdout}{done.stderr}"
        return
    assert done.returncode == 0, f"{vector['reason']}: notecheck said {done.stderr}"
    cosigned = [f"cosigned by {name} at {ts}" for name, ts in vector["cosignatures"].items()]
    assert done.stdout.splitlines() == [f"signed by {vector['checkpoint']['origin']}", *cosigned]


def test_a_missing_go_fails_under_ci_and_skips_elsewhere() -> None:
    with pytest.raises(pytest.fail.Exception, match="CI must run the Go interoperability tests"):
        go_notecheck.on_missing_go({"CI": "true"})
    for environ in ({}, {"CI": ""}):
        with pytest.raises(pytest.skip.Exception, match="go is not installed"):
            go_notecheck.on_missing_go(environ)


# -- perfledger's checkpoints, against Go and the helper ---------------------------------------
def ledger_checkpoint() -> Any:
    return proofs.new_checkpoint(ORIGIN, SIZE, ROOT).signed(private_pem(LOG), ORIGIN)


@awaiting_c2sp
def test_perfledger_writes_the_same_vkeys_as_the_helper() -> None:
    assert proofs.vkey_text(ORIGIN, public_raw(LOG), 1) == LOG_VKEY
    assert proofs.vkey_text(OIV_NAME, public_raw(OIV), 4) == OIV_VKEY


@awaiting_c2sp
def test_go_note_opens_a_checkpoint_signed_by_the_ledger_key(notecheck: Path) -> None:
    log_vkey = proofs.vkey_text(ORIGIN, public_raw(LOG), 1)
    done = go_notecheck.run(notecheck, ledger_checkpoint().text(), [log_vkey])
    assert (done.returncode, done.stdout, done.stderr) == (0, f"signed by {ORIGIN}\n", "")


@awaiting_c2sp
def test_the_ledgers_signed_checkpoint_is_byte_for_byte_the_helpers() -> None:
    # Ed25519 is deterministic, so one key, name and body make one note.
    assert ledger_checkpoint().text() == genuine()


@awaiting_c2sp
@pytest.mark.parametrize(("line", "at"), one_byte_changes())
def test_go_rejects_the_ledgers_checkpoint_after_one_byte_of_its_size_or_root_changes(
    notecheck: Path, line: int, at: int
) -> None:
    note = with_one_byte_changed(ledger_checkpoint().text(), line, at)
    done = go_notecheck.run(notecheck, note, [LOG_VKEY])
    assert done.returncode == 1
    assert done.stderr.startswith("notecheck: note not verified: invalid signature for key ")


@awaiting_c2sp
def test_go_verifies_the_ledgers_cosignature(notecheck: Path) -> None:
    note = ledger_checkpoint().cosigned(private_pem(OIV), OIV_NAME, TIME).text()
    done = go_notecheck.run(notecheck, note, [LOG_VKEY], [proofs.vkey_text(OIV_NAME, public_raw(OIV), 4)])
    assert (done.returncode, done.stdout) == (0, f"signed by {ORIGIN}\ncosigned by {OIV_NAME} at {TIME}\n")
    text = checkpoint_text(ORIGIN, SIZE, ROOT)
    assert note.endswith(cosignature_line(text, OIV, OIV_NAME, TIME))


@awaiting_c2sp
def test_go_rejects_the_ledgers_cosignature_once_its_timestamp_is_changed(notecheck: Path) -> None:
    note = ledger_checkpoint().cosigned(private_pem(OIV), OIV_NAME, TIME).text()
    head, line = note.rstrip("\n").rsplit("\n", 1)
    raw = base64.b64decode(line.split(" ")[2])
    moved = raw[:4] + (TIME + 1).to_bytes(8, "big") + raw[12:]
    tampered = f"{head}\n— {OIV_NAME} {base64.b64encode(moved).decode()}\n"
    done = go_notecheck.run(notecheck, tampered, [LOG_VKEY], [OIV_VKEY])
    assert done.returncode == 1
    assert done.stderr == f"notecheck: cosignature by {OIV_NAME} at {TIME + 1} does not verify\n"


@awaiting_c2sp
def test_perfledger_reads_a_checkpoint_written_by_the_independent_helper() -> None:
    text = checkpoint_text(ORIGIN, SIZE, ROOT)
    note = signed_note(text, signature_line(text, LOG, ORIGIN), cosignature_line(text, OIV, OIV_NAME, TIME))
    checkpoint = proofs.Checkpoint.parse(note)
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == (ORIGIN, SIZE, ROOT)
