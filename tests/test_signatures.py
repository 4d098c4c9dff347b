"""A signed ledger: registered actors, every event signed by its actor's key, revocation."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events import Submission, parse_submission
from ledger import Store, proofs
from ledger.aggregate import Ledger
from ledger.errors import DuplicateDefinition, InvalidCorrection, SignatureRefused
from ledger.proofs import ProofError, verify_bundle
from ledger.verify import verify
from tests.conftest import ev, small_plan, write_jsonl
from tests.test_proofs import remanifest

NOW = datetime(2012, 6, 1, tzinfo=UTC)


def keypair() -> tuple[bytes, bytes]:
    secret = Ed25519PrivateKey.generate()
    private = secret.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption())
    public = secret.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


CDG, OIV, EVE = keypair(), keypair(), keypair()


def signed(obj: dict[str, Any], key: bytes) -> Submission:
    """Signed with ``key`` as it is written, at its place in the ledger."""
    return parse_submission(obj).signed_by(functools.partial(proofs.sign, key))


def register(name: str, role: str, public: bytes, by: str, key: bytes, eid: str | None = None) -> Submission:
    return signed(ev("ActorRegistered", eid or f"reg-{name}", "2012-02-01", name=name, role=role,
                     public_key=proofs.public_key_b64(public)) | {"actor": by}, key)


def vary(eid: str, actor: str = "cdg") -> dict[str, Any]:
    return ev("BudgetVaried", eid, item="A1/04/02", amount="1.00") | {"actor": actor}


@pytest.fixture
def ledger() -> Ledger:
    """A ledger with the small plan, made signed by the controller cdg."""
    book = Ledger.open(entity="CCIAA", actor="cdg", note="", now=NOW)
    book.extend([register("cdg", "controller", CDG[1], "cdg", CDG[0])], now=NOW)  # with the ledger: event 2
    book.extend([signed(o, CDG[0]) for o in small_plan()], now=NOW)
    return book


def test_an_unsigned_ledger_takes_unsigned_events_and_refuses_signatures() -> None:
    book = Ledger.open(entity="CCIAA", actor="cdg", note="", now=NOW)
    book.extend([parse_submission(o) for o in small_plan()], now=NOW)
    assert book.extend([parse_submission(vary("v0"))], now=NOW) == [True]
    with pytest.raises(SignatureRefused, match="no actor is registered"):
        book.extend([signed(vary("v1"), CDG[0])], now=NOW)


def test_the_first_actor_must_register_themselves_as_a_controller() -> None:
    book = Ledger.open(entity="CCIAA", actor="cdg", note="", now=NOW)
    with pytest.raises(SignatureRefused, match="registers themselves"):
        book.extend([register("oiv", "oiv", OIV[1], "oiv", OIV[0])], now=NOW)
    with pytest.raises(SignatureRefused, match="does not match"):
        book.extend([register("cdg", "controller", CDG[1], "cdg", EVE[0])], now=NOW)


def test_a_signed_ledger_takes_only_events_signed_by_their_actors_key(ledger: Ledger) -> None:
    assert ledger.extend([signed(vary("v1"), CDG[0])], now=NOW) == [True]
    with pytest.raises(SignatureRefused, match="sign the event with your key"):
        ledger.extend([parse_submission(vary("v2"))], now=NOW)
    with pytest.raises(SignatureRefused, match="does not match actor 'cdg'"):
        ledger.extend([signed(vary("v3"), EVE[0])], now=NOW)
    with pytest.raises(SignatureRefused, match="'eve' is not registered"):
        ledger.extend([signed(vary("v4", actor="eve"), EVE[0])], now=NOW)


def signed_for_next(ledger: Ledger, obj: dict[str, Any], key: bytes) -> Submission:
    """Signed beforehand, for the place it would take next in ``ledger``."""
    sub = parse_submission(obj)
    place = proofs.event_message(str(ledger.book.origin), ledger.version + 1, ledger.head, sub.content_bytes)
    return sub.signed(proofs.sign(key, place))


def test_a_signature_covers_every_field(ledger: Ledger) -> None:
    sub = signed_for_next(ledger, vary("v1"), CDG[0])
    tampered = Submission(sub.cls, {**sub.fields, "amount": sub.fields["amount"] * 100}, sub.recorded_at)
    with pytest.raises(SignatureRefused, match="does not match"):
        ledger.extend([tampered], now=NOW)
    assert ledger.extend([sub], now=NOW) == [True]


def test_a_signature_made_for_one_place_does_not_hold_at_another(ledger: Ledger) -> None:
    early = signed_for_next(ledger, vary("v1"), CDG[0])
    ledger.extend([signed(vary("v0"), CDG[0])], now=NOW)  # the place it was signed for is taken
    with pytest.raises(SignatureRefused, match="for this event at its place"):
        ledger.extend([early], now=NOW)


def test_an_event_signed_for_one_ledger_is_refused_by_another(ledger: Ledger) -> None:
    other = Ledger.open(entity="CCIAA", actor="cdg", note="", now=NOW, origin="cciaa.example/other")
    other.extend([register("cdg", "controller", CDG[1], "cdg", CDG[0])], now=NOW)
    other.extend([signed(o, CDG[0]) for o in small_plan()], now=NOW)
    assert other.version == ledger.version and other.book.origin != ledger.book.origin
    stolen = signed_for_next(ledger, vary("v1"), CDG[0])  # what cdg signed for the first ledger
    with pytest.raises(SignatureRefused, match="another place or ledger"):
        other.extend([stolen], now=NOW)


def test_a_weak_key_is_refused_at_registration(ledger: Ledger) -> None:
    identity = base64.b64encode(bytes([1]) + bytes(31)).decode()
    obj = ev("ActorRegistered", "reg-weak", "2012-02-01", name="weak", role="controller",
             public_key=identity) | {"actor": "cdg"}
    with pytest.raises(SignatureRefused, match="weak Ed25519 public key"):
        ledger.extend([signed(obj, CDG[0])], now=NOW)


def test_only_controllers_append_and_revoked_keys_are_refused(ledger: Ledger) -> None:
    ledger.extend([register("oiv", "oiv", OIV[1], "cdg", CDG[0])], now=NOW)
    with pytest.raises(SignatureRefused, match="registered oiv: only controllers append"):
        ledger.extend([signed(vary("v1", actor="oiv"), OIV[0])], now=NOW)
    with pytest.raises(DuplicateDefinition, match="already registered"):
        ledger.extend([register("oiv", "oiv", EVE[1], "cdg", CDG[0], eid="reg-oiv-2")], now=NOW)
    ledger.extend([register("mrossi", "controller", EVE[1], "cdg", CDG[0])], now=NOW)
    revoke = ev("ActorRevoked", "rev-mrossi", name="mrossi", reason="left") | {"actor": "cdg"}
    ledger.extend([signed(revoke, CDG[0])], now=NOW)
    with pytest.raises(SignatureRefused, match="the key of actor 'mrossi' is revoked"):
        ledger.extend([signed(vary("v5", actor="mrossi"), EVE[0])], now=NOW)
    with pytest.raises(InvalidCorrection, match="cannot be corrected"):
        fix = ev("EventCorrected", "c", corrects="reg-oiv", reason="x", changes={"role": "controller"})
        ledger.extend([signed(fix | {"actor": "cdg"}, CDG[0])], now=NOW)


def run(*args: str) -> Result:
    return CliRunner().invoke(main_cli(), list(args))


def main_cli() -> Any:
    from cli.main import main

    return main


def test_the_cli_signs_with_key_and_the_bundle_verifier_checks_signatures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PERFLEDGER_LEDGER", str(tmp_path / "l.db"))
    for name in ("cdg", "oiv"):
        assert run("key", "new", name).exit_code == 0
    assert run(
        "init", "--signed", "--controller", "cdg", "--pubkey", "cdg.pub", "--key", "cdg.key"
    ).exit_code == 0
    plan = write_jsonl(tmp_path / "plan.jsonl", small_plan())
    assert run("import", str(plan), "--actor", "cdg", "--key", "cdg.key").exit_code == 0
    assert run("actor", "add", "oiv", "--role", "oiv", "--pubkey", "oiv.pub", "--key", "cdg.key",
               "--actor", "cdg").exit_code == 0
    unsigned = run("append", "--json", json.dumps(vary("v1")))
    assert unsigned.exit_code == 1 and "this ledger is signed" in unsigned.output
    batch = write_jsonl(tmp_path / "b.jsonl", [vary("v1"), vary("v2")])
    assert run("import", str(batch), "--key", "cdg.key").output.startswith("Imported 2 new event(s)")
    listed = json.loads(run("actor", "list", "--format", "json").output)
    assert [(a["name"], a["role"]) for a in listed] == [("cdg", "controller"), ("oiv", "oiv")]
    assert run("checkpoint", "--key", "cdg.key").exit_code == 0
    trusted = [proofs.read_verifier(tmp_path / "cdg.vkey")]
    assert run("export", "--bundle", "b", "--checkpoint", "checkpoint-13.txt").exit_code == 0
    assert "12 signatures of registered actors verified" in "\n".join(verify_bundle(tmp_path / "b", trusted))
    # A forger changes a signed event and recomputes every hash after it: the signature gives it away.
    lines = (tmp_path / "b" / "events.jsonl").read_bytes().splitlines()
    prev = hashlib.sha256(lines[-2]).hexdigest()
    body = orjson.loads(lines[-1])
    body.update(amount="1000.00", prev=prev)
    lines[-1] = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    (tmp_path / "b" / "events.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    remanifest(tmp_path / "b")
    with pytest.raises(ProofError, match=f"event {len(lines)}: missing or bad signature of actor 'cdg'"):
        verify_bundle(tmp_path / "b", trusted)
    # The ledger's own verify applies the same rules: an unsigned row slipped in with raw SQL is named.
    from tests.backends import raw

    db = raw(str(tmp_path / "l.db"))
    last = len(lines)
    forged = dict(orjson.loads(db.state_of(last)), seq=last + 1, id="slipped-in", actor="cdg")
    forged.pop("signature")
    with Store.open(str(tmp_path / "l.db")) as store:
        forged["prev"] = list(store.events())[-1].hash
        state = orjson.dumps(forged, option=orjson.OPT_SORT_KEYS)
        db.insert_like(last + 1, state, last)
        db.execute(
            "INSERT INTO perfledger_chain VALUES (?, ?)", (last + 1, hashlib.sha256(state).hexdigest())
        )
        report = verify(store)
    assert not report.ok and report.bad_seq == last + 1 and "missing or bad signature" in str(report.problem)


def test_the_offline_verifier_knows_every_event_type() -> None:
    from events.parse import ALL_TYPES
    from ledger.chain_check import ENVELOPE, TOPICS, fields_of

    assert set(ALL_TYPES) == proofs.EVENT_TYPES
    assert proofs.ENVELOPE == set(ENVELOPE)
    for cls in TOPICS.values():  # each type's own fields in each version, as perfledger reads them
        assert {v: set(f) for v, f in proofs.FIELDS[cls.TYPE].items()} == {
            v: fields_of(cls, v) - set(ENVELOPE) for v in cls.versions()}
