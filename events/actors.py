"""Facts about who may write: actors and their signing keys (a signed ledger)."""

from __future__ import annotations

from typing import Annotated

from events.base import LedgerEvent
from events.fields import Choice, Code, PublicKeyKind, Text

ROLES = ("controller", "auditor", "oiv")


class ActorRegistered(LedgerEvent):
    """An actor and the Ed25519 public key that signs their events.

    The first registration makes the ledger a signed ledger: from then on every
    event must be signed by its actor's registered key, and only controllers
    append. The first actor registers themselves (signed by the key
    registered); later ones are registered by a controller.
    """

    KEYS = ("name", "role", "public_key")
    name: Annotated[str, Code("name")]
    role: Annotated[str, Choice("role", choices=ROLES)]
    public_key: Annotated[str, PublicKeyKind("public_key")]


class ActorRevoked(LedgerEvent):
    """An actor's key is revoked: their later events are refused, their earlier ones stay."""

    KEYS = ("name",)
    name: Annotated[str, Code("name")]
    reason: Annotated[str, Text("reason")]
