"""Many writers at once, with real processes, on each store: nothing lost, nothing out of order."""

from __future__ import annotations

import base64
import functools
import itertools
import multiprocessing
from decimal import Decimal

from events import parse_submission
from ledger import Store, proofs
from ledger.verify import verify
from projections.budget import budget
from tests.conftest import ev, small_plan

WRITERS = 8
EACH = 10


def _write(location: str, writer: int) -> list[str]:
    """Even writers import batches of five, odd ones append one event at a time; return the ids
    acknowledged."""
    acknowledged: list[str] = []
    objs = [
        ev("BudgetVaried", f"w{writer}-{n}", item="A1/04/02", amount=f"{writer + 1}.{n:02d}")
        for n in range(EACH)
    ]
    batches = [objs[i : i + 5] for i in range(0, EACH, 5)] if writer % 2 == 0 else [[o] for o in objs]
    with Store.open(location) as store:
        for batch in batches:
            result = store.append([parse_submission(o) for o in batch])
            acknowledged += [e.event_id for e in result.written]
    return acknowledged


def test_concurrent_imports_and_appends_give_a_gap_free_verified_chain_with_every_acknowledged_event(
    store: Store, ledger_url: str
) -> None:
    start = store.length()
    with multiprocessing.get_context("fork").Pool(WRITERS) as pool:
        acknowledged = pool.starmap(_write, [(ledger_url, w) for w in range(WRITERS)])
    events = list(store.events())
    written = events[start:]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert sorted(e.event_id for e in written) == sorted(itertools.chain.from_iterable(acknowledged))
    assert len(written) == WRITERS * EACH
    assert all(a.recorded_at <= b.recorded_at for a, b in itertools.pairwise(events))
    assert verify(store).ok
    expected = sum(Decimal(f"{w + 1}.{n:02d}") for w in range(WRITERS) for n in range(EACH))
    assert budget(events).row("A1/04/02").amounts.variations == expected


def test_a_reader_replaying_during_appends_always_sees_a_prefix_of_the_chain(
    store: Store, ledger_url: str
) -> None:
    with multiprocessing.get_context("fork").Pool(WRITERS) as pool:
        pending = pool.starmap_async(_write, [(ledger_url, w) for w in range(WRITERS)])
        looks = 0
        while not pending.ready() or looks < 3:
            events = list(store.events())
            assert [e.seq for e in events] == list(range(1, len(events) + 1))
            for before, after in itertools.pairwise(events):
                assert after.prev == before.hash
            budget(events)  # every figure is that of some sequence number
            looks += 1
        pending.get()
    assert looks >= 3 and verify(store).ok


def _write_signed(location: str, writer: int, private: bytes) -> int:
    """Append five events one at a time, each signed as it is written; return how many were written."""
    signer = functools.partial(proofs.sign, private)
    written = 0
    with Store.open(location) as store:
        for n in range(5):
            sub = parse_submission(ev("BudgetVaried", f"s{writer}-{n}", item="A1/04/02", amount="1.00"))
            written += len(store.append([sub.signed_by(signer)]).written)
    return written


def test_concurrent_signed_writers_sign_each_event_at_the_place_it_takes(ledger_url: str) -> None:
    # Writers race for the head: whoever loses is checked again on the new head and signs again,
    # so every stored signature holds for the origin, sequence number and prev the event has.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    secret = Ed25519PrivateKey.generate()
    private = secret.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption())
    public = secret.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    signer = functools.partial(proofs.sign, private)
    register = parse_submission(ev("ActorRegistered", "reg-cdg", name="cdg", role="controller",
                                   public_key=base64.b64encode(public).decode()))
    with Store.open(ledger_url, create=True) as store:
        store.init("CCIAA", actor="cdg", first=[register.signed_by(signer)])
        store.append([parse_submission(o).signed_by(signer) for o in small_plan()])
        with multiprocessing.get_context("fork").Pool(4) as pool:
            written = pool.starmap(_write_signed, [(ledger_url, w, private) for w in range(4)])
        assert sum(written) == 20
        report = verify(store)
        assert report.ok, report.problem
        assert report.section("signatures").detail == f"{store.length() - 1} signatures verified with the" \
            " registered keys"
