"""A signed ledger's first controller is named by whoever creates the ledger, never by whoever comes first."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from ledger import Store
from ledger.errors import SignatureRefused
from ledger.verify import verify
from tests.conftest import small_plan, submissions, write_jsonl
from tests.test_signatures import CDG, EVE, register, signed, vary


def run(ledger: Path | str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--ledger", str(ledger), *args])


@pytest.fixture
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("cdg", "eve", "oiv"):
        assert run(tmp_path / "unused.db", "key", "new", name).exit_code == 0
    return tmp_path


def test_init_signed_writes_the_ledger_and_its_first_controller_in_one_batch(
    keys: Path, ledger_url: str
) -> None:
    result = run(ledger_url, "init", "--entity", "CCIAA Test", "--actor", "owner", "--signed",
                 "--controller", "cdg", "--pubkey", "cdg.pub", "--key", "cdg.key")
    assert result.exit_code == 0, result.output
    assert "Created signed ledger" in result.output and "events 1-2, first controller cdg" in result.output
    with Store.open(ledger_url) as store:
        opened, registered = list(store.events())
    assert (opened.TYPE, registered.TYPE, registered.seq) == ("LedgerOpened", "ActorRegistered", 2)
    assert registered.recorded_at == opened.recorded_at  # one transaction, one moment
    assert (registered.name, registered.role, registered.actor) == ("cdg", "controller", "cdg")  # type: ignore[attr-defined]
    unsigned = run(ledger_url, "import", str(write_jsonl(keys / "plan.jsonl", small_plan())))
    assert unsigned.exit_code == 1 and "this ledger is signed" in unsigned.output
    imported = run(ledger_url, "import", str(keys / "plan.jsonl"), "--key", "cdg.key")
    assert imported.exit_code == 0 and "events 3-10" in imported.output, imported.output
    added = run(ledger_url, "actor", "add", "oiv", "--role", "oiv", "--pubkey", "oiv.pub", "--key", "cdg.key",
                "--actor", "cdg")
    assert added.exit_code == 0, added.output
    assert run(ledger_url, "verify").output.startswith("OK: 11 events")


def test_self_registration_on_an_unsigned_shared_ledger_is_refused_and_says_how_a_signed_one_is_made(
    keys: Path, ledger_url: str
) -> None:
    assert run(ledger_url, "init", "--entity", "Shared", "--actor", "owner").exit_code == 0
    result = run(ledger_url, "actor", "add", "eve", "--role", "controller", "--pubkey", "eve.pub",
                 "--key", "eve.key")
    assert result.exit_code == 1
    assert "this ledger is unsigned, and stays so" in result.output
    assert "perfledger init --signed --controller NAME" in result.output
    with Store.open(ledger_url) as store:
        assert store.length() == 1
    # Everyone can still write unsigned events: nobody was locked out.
    plan = run(ledger_url, "import", str(write_jsonl(keys / "plan.jsonl", small_plan())), "--actor", "cdg")
    assert plan.exit_code == 0, plan.output


def test_a_first_registration_later_in_the_chain_is_refused_at_append_time(store: Store) -> None:
    with pytest.raises(SignatureRefused, match="unsigned, and stays so"):
        store.append([register("eve", "controller", EVE[1], "eve", EVE[0])])


def test_the_first_registration_may_come_only_with_the_batch_that_creates_the_ledger(tmp_path: Path) -> None:
    with Store.open(str(tmp_path / "a.db"), create=True) as store:
        store.append([register("cdg", "controller", CDG[1], "cdg", CDG[0])], create=("CCIAA", "owner"))
        assert verify(store).ok and store.length() == 2
    with Store.open(str(tmp_path / "b.db"), create=True) as store:
        store.init("CCIAA", actor="owner")
        with pytest.raises(SignatureRefused, match="unsigned, and stays so"):
            # event 2, but a batch of its own
            store.append([register("cdg", "controller", CDG[1], "cdg", CDG[0])])


def test_init_signed_needs_the_controller_and_both_keys(keys: Path) -> None:
    result = run(keys / "l.db", "init", "--signed", "--controller", "cdg")
    assert result.exit_code == 2 and "--pubkey, --key" in result.output
    assert not (keys / "l.db").exists()
    wrong = run(keys / "l.db", "init", "--controller", "cdg", "--pubkey", "cdg.pub", "--key", "eve.key")
    assert wrong.exit_code == 1 and "does not match" in wrong.output
    assert not (keys / "l.db").exists()


def verify_bundle(path: Path, tmp_path: Path, signer: str, keypair: tuple[bytes, bytes]) -> Result:
    """Export the ledger with a checkpoint signed by ``signer`` and verify the bundle offline."""
    (tmp_path / f"{signer}.key").write_bytes(keypair[0])
    (tmp_path / f"{signer}.pub").write_bytes(keypair[1])
    checkpoint = tmp_path / "checkpoint.txt"
    assert run(path, "checkpoint", "--key", str(tmp_path / f"{signer}.key"),
               "--out", str(checkpoint)).exit_code == 0
    exported = run(path, "export", "--bundle", str(tmp_path / "b"), "--checkpoint", str(checkpoint))
    assert exported.exit_code == 0, exported.output
    return run(path, "verify", "--bundle", str(tmp_path / "b"), "--pubkey", str(tmp_path / f"{signer}.pub"))


@pytest.fixture
def earlier_version(monkeypatch: pytest.MonkeyPatch) -> None:
    """The append rule of earlier versions: the first ActorRegistered, a self-registration, at any point."""
    import ledger.book
    import ledger.signers
    from events import ActorRegistered

    check = ledger.signers.check_signed_by_a_registered_controller

    def anywhere(book: ledger.book.Book, fact: object) -> None:
        if not book.actors and isinstance(fact, ActorRegistered):
            book.opening = True
            monkeypatch.setattr(ledger.signers, "FIRST_ACTOR_SEQ", fact.seq)
        check(book, fact)  # type: ignore[arg-type]

    monkeypatch.setattr(ledger.signers, "check_signed_by_a_registered_controller", anywhere)


def test_a_ledger_signed_the_old_way_at_event_2_still_verifies(tmp_path: Path, earlier_version: None) -> None:
    """Earlier versions ran `init`, then `actor add` for the first controller: event 2, a batch of its own."""
    path = tmp_path / "old.db"
    with Store.open(str(path), create=True) as store:
        store.init("CCIAA", actor="cdg")
        store.append([register("cdg", "controller", CDG[1], "cdg", CDG[0])])
        store.append([signed(o, CDG[0]) for o in small_plan()])
    assert run(path, "verify").output.startswith("OK: 10 events")
    # ... and in the exported bundle, whose verifier applies the same rule.
    result = verify_bundle(path, tmp_path, "cdg", CDG)
    assert result.exit_code == 0 and "9 signatures" in result.output, result.output


def test_a_first_registration_after_event_2_is_named_by_verify_and_by_the_bundle(
    tmp_path: Path, earlier_version: None
) -> None:
    """A takeover as earlier versions let it happen: eve registers herself on a shared unsigned ledger."""
    path = tmp_path / "taken.db"
    with Store.open(str(path), create=True) as store:
        store.init("CCIAA", actor="owner")
        store.append(submissions(small_plan()))
        store.append([register("eve", "controller", EVE[1], "eve", EVE[0])])
        store.append([signed(vary("v1", actor="eve"), EVE[0])])
    result = run(path, "verify")
    assert result.exit_code == 1
    assert ("\nError: signatures: event 10 registers the first actor of a signed ledger"
            " after the ledger was made" in result.output), result.output
    bundle = verify_bundle(path, tmp_path, "eve", EVE)
    assert bundle.exit_code == 1 and "event 10 registers the first actor" in bundle.output
