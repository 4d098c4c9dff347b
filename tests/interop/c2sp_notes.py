"""C2SP signed notes written straight from the specs, with ``cryptography``'s Ed25519 and no perfledger.

This is the independent writer the interoperability tests and the checkpoint vectors use, next to
Go's reader (``notecheck``): a checkpoint that both it and perfledger agree on is read the same way
by three programs. The specs are c2sp.org/signed-note, c2sp.org/tlog-checkpoint and
c2sp.org/tlog-cosignature:

    key ID      = SHA-256(name || 0x0A || type || 32-byte public key)[:4]
    vkey        = name "+" hex(key ID) "+" base64(type || public key)
    log line    = "— " name " " base64(key ID || Ed25519(note text))                      (type 0x01)
    cosignature = "— " name " " base64(key ID || u64 timestamp || Ed25519(message))       (type 0x04)
    message     = "cosignature/v1\\ntime " timestamp "\\n" || note text

The note text is everything up to and including its final newline; a blank line separates it from
the signature lines.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ED25519 = 0x01
COSIGNATURE = 0x04


def fixed_key(label: str) -> Ed25519PrivateKey:
    """A fixed test key: its seed is SHA-256 of the label, so every run writes the same notes."""
    seed = hashlib.sha256(f"perfledger test key {label}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_raw(key: Ed25519PrivateKey) -> bytes:
    """The 32 bytes of the key's public half (RFC 8032)."""
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def private_pem(key: Ed25519PrivateKey) -> bytes:
    """The key as an unencrypted PKCS#8 PEM, the form perfledger reads private keys in."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def key_id(name: str, public: bytes, kind: int) -> bytes:
    """The 4-byte key ID of a key of signature type ``kind`` (0x01 log, 0x04 cosigner) under ``name``."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public).digest()[:4]


def vkey(name: str, public: bytes, kind: int) -> str:
    """The verifier key text, ``name+hex8+base64(type || public key)``."""
    return f"{name}+{key_id(name, public, kind).hex()}+{base64.b64encode(bytes([kind]) + public).decode()}"


def checkpoint_text(origin: str, size: int, root: bytes) -> str:
    """A checkpoint's note text: origin, tree size, base64 root hash, one line each."""
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def signature_line(text: str, key: Ed25519PrivateKey, name: str) -> str:
    """A log's signature line (type 0x01) over the note text, newline included."""
    signature = key_id(name, public_raw(key), ED25519) + key.sign(text.encode())
    return f"— {name} {base64.b64encode(signature).decode()}\n"


def cosignature_message(text: str, timestamp: int) -> bytes:
    """What an Ed25519 cosigner signs: two header lines, then the whole note text."""
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def cosignature_line(text: str, key: Ed25519PrivateKey, name: str, timestamp: int) -> str:
    """A cosigner's signature line (type 0x04): key ID, big-endian u64 timestamp, Ed25519 signature."""
    signature = (
        key_id(name, public_raw(key), COSIGNATURE)
        + timestamp.to_bytes(8, "big")
        + key.sign(cosignature_message(text, timestamp))
    )
    return f"— {name} {base64.b64encode(signature).decode()}\n"


def signed_note(text: str, *lines: str) -> str:
    """The note text, the blank line, then the signature lines in the order given."""
    return text + "\n" + "".join(lines)
