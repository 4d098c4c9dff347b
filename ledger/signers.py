"""Who may append to a signed ledger: every event signed by a registered controller's key.

A ledger is signed from its creation: its first controller registers themselves as event 2, in the
batch that creates the ledger (``Book.opening``). An unsigned ledger stays unsigned.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from events import ActorRegistered, LedgerEvent
from ledger import proofs
from ledger.errors import SignatureRefused

if TYPE_CHECKING:
    from ledger.book import Book

FIRST_ACTOR_SEQ = proofs.FIRST_ACTOR_SEQ


def check_signed_by_a_registered_controller(book: Book, fact: LedgerEvent) -> None:
    """In a signed ledger (one with registered actors), every event is signed by its actor's key."""
    eid = fact.event_id
    if not book.actors and not isinstance(fact, ActorRegistered):
        if fact.signature is not None:
            raise SignatureRefused(
                "no actor is registered in this ledger, so no signature can be checked;"
                " register the signers first (perfledger actor add)",
                event_id=eid,
            )
        return
    key = first_controller_key(book, fact) if isinstance(fact, ActorRegistered) and not book.actors \
        else signer_key(book, fact)
    if fact.signature is None:
        raise SignatureRefused("this ledger is signed: sign the event with your key (--key)", event_id=eid)
    place = proofs.event_message(str(book.origin), fact.seq, fact.prev, fact.content_bytes)
    if not proofs.signature_valid(key, place, fact.signature):
        raise SignatureRefused(
            f"the signature does not match actor {fact.actor!r}'s key for this event at its place"
            f" (event {fact.seq} of {book.origin}, after {fact.prev[:12]}…): a signature made for"
            " another place or ledger does not hold here; sign with --key as it is written",
            event_id=eid,
        )


def first_controller_key(book: Book, fact: ActorRegistered) -> str:
    """The key of a signed ledger's first controller: registered by themselves, as the ledger is created."""
    if not (book.opening and fact.seq == FIRST_ACTOR_SEQ):
        raise SignatureRefused(
            "this ledger is unsigned, and stays so: a signed ledger's first controller is named"
            " when the ledger is created (perfledger init --signed --controller NAME"
            " --pubkey NAME.pub --key NAME.key)",
            event_id=fact.event_id,
        )
    if fact.actor != fact.name or fact.role != "controller":
        raise SignatureRefused(
            "the first actor of a signed ledger is a controller who registers themselves",
            event_id=fact.event_id,
        )
    return sound_key(fact)


def sound_key(fact: ActorRegistered) -> str:
    """The key a registration names, unless it is weak or not canonical (``proofs.check_public_key``)."""
    try:
        proofs.check_public_key(base64.b64decode(fact.public_key), f"the key of {fact.name!r}")
    except proofs.ProofError as e:
        raise SignatureRefused(str(e), event_id=fact.event_id) from None
    return fact.public_key


def signer_key(book: Book, fact: LedgerEvent) -> str:
    """The key of the fact's actor, a registered controller whose key is not revoked."""
    eid = fact.event_id
    signer = book.actors.get(fact.actor)
    if signer is None:
        raise SignatureRefused(f"actor {fact.actor!r} is not registered in this signed ledger", event_id=eid)
    if signer.revoked:
        raise SignatureRefused(f"the key of actor {fact.actor!r} is revoked", event_id=eid)
    if signer.role != "controller":
        raise SignatureRefused(
            f"actor {fact.actor!r} is a registered {signer.role}: only controllers append events",
            event_id=eid,
        )
    return signer.public_key
