"""The checkpoint vectors in tests/vectors/checkpoints, as perfledger reads them (Go: test_note_interop).

Each vector is a note and a verdict: a valid one names its origin, size and root, an invalid one why
it must be refused. perfledger's reader must come to the same verdict as Go's golang.org/x/mod note.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from ledger import proofs
from tests.interop.c2sp_notes import key_id
from tests.vectors.checkpoints import make_vectors
from tests.vectors.checkpoints.make_vectors import read_vectors

VECTORS = read_vectors()
awaiting_c2sp = pytest.mark.skipif(not hasattr(proofs, "verify_note"), reason="awaiting proofs C2SP API")


def by_name(vector: dict[str, Any]) -> str:
    return str(vector["file"]).removesuffix(".txt")


def test_make_vectors_writes_exactly_the_committed_vectors() -> None:
    files, listing = make_vectors.build()
    assert (make_vectors.HERE / "vectors.json").read_bytes() == listing
    assert {path.name for path in make_vectors.HERE.glob("*.txt")} == set(files)
    for name, data in files.items():
        assert (make_vectors.HERE / name).read_bytes() == data, f"{name} is not what make_vectors writes"


def test_the_vectors_hold_public_vkeys_of_the_right_signature_types_only() -> None:
    for vector in VECTORS:
        for keys, kind in ((vector["log_vkeys"], 0x01), (vector["cosigner_vkeys"], 0x04)):
            for vkey in keys:
                name, hex_id, material = vkey.split("+", 2)
                raw = base64.b64decode(material, validate=True)
                assert (len(raw), raw[0]) == (33, kind), f"{by_name(vector)}: {vkey}"
                assert hex_id == key_id(name, raw[1:], kind).hex()


def test_the_vectors_include_valid_and_invalid_notes_each_with_a_reason() -> None:
    verdicts = {by_name(v): v["valid"] for v in VECTORS if v["reason"]}
    assert len(verdicts) == len(VECTORS) >= 16
    assert {"log-signature", "log-and-two-cosigners", "unknown-extra-signer"} <= {
        name for name, valid in verdicts.items() if valid
    }
    assert {"crlf-line-endings", "right-name-wrong-key-id", "body-modified-after-signing"} <= {
        name for name, valid in verdicts.items() if not valid
    }


@awaiting_c2sp
@pytest.mark.parametrize("vector", VECTORS, ids=by_name)
def test_perfledger_agrees_with_every_checkpoint_vector(vector: dict[str, Any]) -> None:
    # Bytes, then UTF-8: read_text would turn the CRLF vector's line endings into LF.
    text = vector["path"].read_bytes().decode("utf-8")
    if not vector["valid"]:
        with pytest.raises(proofs.ProofError):
            proofs.verify_note(text, vector["log_vkeys"], vector["cosigner_vkeys"])
        return
    expected = vector["checkpoint"]
    expected = (expected["origin"], expected["size"], base64.b64decode(expected["root"]))
    checkpoint = proofs.verify_note(text, vector["log_vkeys"], vector["cosigner_vkeys"])
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == expected, vector["reason"]
    parsed = proofs.Checkpoint.parse(text)
    assert (parsed.origin, parsed.size, parsed.root) == expected
