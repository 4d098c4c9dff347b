"""Write the checkpoint vectors: one NAME.txt note each, and vectors.json saying how each must be read.

Run from the repository's root, after changing a vector (the output is the same on every run, so
an unchanged script rewrites the same bytes; tests/test_checkpoint_vectors.py checks that):

    python -m tests.vectors.checkpoints.make_vectors

The notes are written from the C2SP specs by tests/interop/c2sp_notes.py, which uses only
``cryptography``; the keys come from fixed test seeds, and only their public vkeys are in
vectors.json. Each entry there is

    file            the note, read as bytes (CRLF and trailing spaces are part of some vectors)
    log_vkeys       the logs' vkeys (type 0x01) to open the note with
    cosigner_vkeys  the cosigners' vkeys (type 0x04) whose cosignatures are required
    valid           the verdict: true only if a log's signature and every cosignature verify and
                    the text is a checkpoint
    reason          why, in a few words
    checkpoint      for a valid note, its origin, size and root (base64)
    cosignatures    for a valid note, each cosigner's name and timestamp
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from tests.interop.c2sp_notes import (
    COSIGNATURE,
    ED25519,
    checkpoint_text,
    cosignature_line,
    fixed_key,
    key_id,
    public_raw,
    signature_line,
    signed_note,
    vkey,
)

HERE = Path(__file__).resolve().parent

ORIGIN = "perfledger.example/cciaa-test"
SIZE = 398
ROOT = hashlib.sha256(b"perfledger test vector root").digest()
TIME = 1373018400  # 2013-07-05T10:00:00Z

LOG = fixed_key("log")
OIV = fixed_key("oiv")
AUDITOR = fixed_key("auditor")
STRANGER = fixed_key("stranger")
OIV_NAME = "witness.example/oiv"
AUDITOR_NAME = "witness.example/auditor"

LOG_VKEY = vkey(ORIGIN, public_raw(LOG), ED25519)
OIV_VKEY = vkey(OIV_NAME, public_raw(OIV), COSIGNATURE)
AUDITOR_VKEY = vkey(AUDITOR_NAME, public_raw(AUDITOR), COSIGNATURE)


def _log(text: str) -> str:
    return signature_line(text, LOG, ORIGIN)


def _oiv(text: str, timestamp: int = TIME) -> str:
    return cosignature_line(text, OIV, OIV_NAME, timestamp)


def _valid(note: str, reason: str, cosigners: dict[str, int] | None = None) -> dict[str, Any]:
    lines = note.split("\n")
    return {
        "note": note, "valid": True, "reason": reason,
        "checkpoint": {"origin": lines[0], "size": int(lines[1]), "root": lines[2]},
        "cosignatures": cosigners or {},
    }


def _invalid(note: str, reason: str) -> dict[str, Any]:
    return {"note": note, "valid": False, "reason": reason}


def _only_log_signed(text: str, reason: str) -> dict[str, Any]:
    """A text the log signed properly that is not a checkpoint."""
    return _invalid(signed_note(text, _log(text)), reason)


def _cases() -> dict[str, dict[str, Any]]:
    """Each vector's note and verdict, by name; the cosigners are those whose lines the note should have."""
    text = checkpoint_text(ORIGIN, SIZE, ROOT)
    root = base64.b64encode(ROOT).decode()
    log = _log(text)
    empty = checkpoint_text(ORIGIN, 0, hashlib.sha256(b"").digest())
    extended = text + "perfledger entity: Camera di Commercio di Massa Carrara\n"
    later = bytearray(base64.b64decode(_oiv(text).split(" ")[2]))
    later[4 + 7] ^= 1  # the timestamp's last byte: one second later than what was signed
    wrong_id = bytearray(base64.b64decode(log.split(" ")[2]))
    wrong_id[0] ^= 0xFF
    unheaded = (
        key_id(OIV_NAME, public_raw(OIV), COSIGNATURE) + TIME.to_bytes(8, "big") + OIV.sign(text.encode())
    )
    return {
        "log-signature": _valid(signed_note(text, log), "one signature by the log's key"),
        "log-and-two-cosigners": _valid(
            signed_note(text, log, _oiv(text), cosignature_line(text, AUDITOR, AUDITOR_NAME, TIME + 60)),
            "the log's signature and two cosignatures", {OIV_NAME: TIME, AUDITOR_NAME: TIME + 60},
        ),
        "cosignature-before-log-signature": _valid(
            signed_note(text, _oiv(text), log), "signature lines may come in any order", {OIV_NAME: TIME}
        ),
        "unknown-extra-signer": _valid(
            signed_note(text, log, signature_line(text, STRANGER, "other.example/stranger")),
            "a signature by a key not given is ignored",
        ),
        "empty-tree": _valid(signed_note(empty, _log(empty)), "a tree of size 0 has the empty hash as root"),
        "extension-line": _valid(
            signed_note(extended, _log(extended)), "a non-empty extension line after the root is allowed"
        ),
        "missing-origin": _only_log_signed(f"{SIZE}\n{root}\n", "two lines: no origin before the size"),
        "empty-origin": _only_log_signed(f"\n{SIZE}\n{root}\n", "the origin line is empty"),
        "missing-size": _only_log_signed(f"{ORIGIN}\n{root}\n", "two lines: no size between origin and root"),
        "missing-root": _only_log_signed(f"{ORIGIN}\n{SIZE}\n", "two lines: no root after the size"),
        "size-leading-zero": _only_log_signed(f"{ORIGIN}\n0{SIZE}\n{root}\n", "the size has a leading zero"),
        "root-not-32-bytes": _only_log_signed(
            checkpoint_text(ORIGIN, SIZE, ROOT[:31]), "the root is the base64 of 31 bytes"
        ),
        "root-trailing-spaces": _only_log_signed(
            f"{ORIGIN}\n{SIZE}\n{root}  \n", "two spaces after the root's base64"
        ),
        "signature-line-trailing-space": _invalid(
            signed_note(text, log[:-1] + " \n"), "a space after the signature's base64"
        ),
        "crlf-line-endings": _invalid(
            signed_note(text, log).replace("\n", "\r\n"),
            "CR LF line endings (signed before they were converted): CR is a control character",
        ),
        "no-blank-line-before-signatures": _invalid(
            text + log, "no blank line between the text and the signatures"
        ),
        "right-name-wrong-key-id": _invalid(
            signed_note(text, f"— {ORIGIN} {base64.b64encode(wrong_id).decode()}\n"),
            "the log's name with another key ID is an unknown key, and it was the only signature",
        ),
        "body-modified-after-signing": _invalid(
            signed_note(checkpoint_text(ORIGIN, SIZE + 1, ROOT), log), "the size was changed after signing"
        ),
        "cosignature-timestamp-tampered": _invalid(
            signed_note(text, log, f"— {OIV_NAME} {base64.b64encode(later).decode()}\n"),
            "the cosignature's timestamp is not the one signed",
        ),
        "cosignature-missing": _invalid(signed_note(text, log), "no line by a required cosigner"),
        "cosignature-without-header": _invalid(
            signed_note(text, log, f"— {OIV_NAME} {base64.b64encode(unheaded).decode()}\n"),
            "the cosigner signed the text alone, not cosignature/v1 and time lines before it",
        ),
        "only-cosigned": _invalid(signed_note(text, _oiv(text)), "a cosignature but no signature by the log"),
    }


# Whose cosignatures each vector requires; all others require none.
COSIGNERS = {
    "log-and-two-cosigners": [OIV_VKEY, AUDITOR_VKEY],
    "cosignature-before-log-signature": [OIV_VKEY],
    "cosignature-timestamp-tampered": [OIV_VKEY],
    "cosignature-missing": [OIV_VKEY],
    "cosignature-without-header": [OIV_VKEY],
    "only-cosigned": [OIV_VKEY],
}


def build() -> tuple[dict[str, bytes], bytes]:
    """The vectors' files (name to bytes) and vectors.json's bytes."""
    files: dict[str, bytes] = {}
    entries = []
    for name, case in _cases().items():
        file = f"{name}.txt"
        files[file] = case.pop("note").encode()
        entries.append({
            "file": file, "log_vkeys": [LOG_VKEY], "cosigner_vkeys": COSIGNERS.get(name, []), **case
        })
    listing = {
        "about": "C2SP signed-note checkpoints; see make_vectors.py for the fields",
        "vectors": entries,
    }
    return files, (json.dumps(listing, indent=2, ensure_ascii=False) + "\n").encode()


def read_vectors() -> list[dict[str, Any]]:
    """vectors.json's entries as committed, each with ``path``, its note's file, added."""
    listing = json.loads((HERE / "vectors.json").read_bytes())
    return [{**entry, "path": HERE / entry["file"]} for entry in listing["vectors"]]


def main() -> None:
    files, listing = build()
    for file, data in files.items():
        (HERE / file).write_bytes(data)
    (HERE / "vectors.json").write_bytes(listing)
    print(f"wrote {len(files)} vectors to {HERE}")


if __name__ == "__main__":
    main()
