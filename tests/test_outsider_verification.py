"""What an outsider (the OIV) can rely on: its own verifier, its own keys, its own witness state.

Each test is an attack a hostile body can mount on its own ledger or bundle, with every hash
recomputed: it must be refused by the verifier the OIV runs, with one clear line.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result

from cli.main import main
from ledger import proofs
from tests.conftest import ev, small_plan, write_jsonl
from tests.test_proofs import remanifest

ORIGIN = "cciaa-ms.example/perfledger"
ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def reserve(eid: str, amount: str) -> dict[str, object]:
    return ev("ReservationMade", eid, "2012-03-01", reservation=eid, item="A1/04/01", amount=amount)


@pytest.fixture
def signed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A signed ledger of 2012 whose first 11 events the OIV cosigned, then 3 more reservations
    (events 12-14, in no checkpoint), exported as a bundle with the cosigned checkpoint."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PERFLEDGER_LEDGER", str(tmp_path / "l.db"))
    assert run("key", "new", "cdg", "--key-name", ORIGIN).exit_code == 0
    assert run("key", "new", "oiv", "--key-name", "oiv.example", "--witness").exit_code == 0
    assert run("init", "--entity", "CCIAA", "--origin", ORIGIN, "--signed", "--controller", "cdg",
               "--pubkey", "cdg.pub", "--key", "cdg.key").exit_code == 0
    plan = write_jsonl(tmp_path / "plan.jsonl", [*small_plan(), reserve("r1", "5000.00")])
    assert run("import", str(plan), "--actor", "cdg", "--key", "cdg.key").exit_code == 0
    assert run("checkpoint", "--key", "cdg.key").output.startswith("Wrote checkpoint-11.txt")
    cosign = run("checkpoint", "cosign", "checkpoint-11.txt", "--key", "oiv.key", "--log-vkey", "cdg.vkey",
                 "--state", "oiv-state.json")
    assert cosign.exit_code == 0 and "the first checkpoint of" in cosign.output
    tail = write_jsonl(tmp_path / "tail.jsonl", [reserve("r2", "4000.00"), reserve("r3", "500.00"),
                                                 reserve("r4", "250.00")])
    assert run("import", str(tail), "--actor", "cdg", "--key", "cdg.key").exit_code == 0
    assert run("export", "--bundle", "bundle", "--checkpoint", "checkpoint-11.txt").exit_code == 0
    yield tmp_path


def oiv_verify(*args: str) -> subprocess.CompletedProcess[str]:
    """The OIV's own verifier, as the README tells it to run it: the published package's command."""
    command = [sys.executable, "-c", "import sys; from ledger.proofs import main; sys.exit(main())"]
    return subprocess.run([*command, *args], check=False, capture_output=True, text=True)


def relinked(lines: list[bytes]) -> list[bytes]:
    """The lines numbered and linked again, as a forger recomputes every hash."""
    out: list[bytes] = []
    prev = "0" * 64
    for seq, line in enumerate(lines, 1):
        body = orjson.loads(line) | {"seq": seq, "prev": prev}
        out.append(orjson.dumps(body, option=orjson.OPT_SORT_KEYS))
        prev = hashlib.sha256(out[-1]).hexdigest()
    return out


def rewrite(bundle: Path, edit: object) -> None:
    lines = (bundle / "events.jsonl").read_bytes().splitlines()
    (bundle / "events.jsonl").write_bytes(b"\n".join(relinked(edit(lines))) + b"\n")  # type: ignore[operator]
    remanifest(bundle)


def test_a_genuine_bundle_verifies_and_names_the_events_no_checkpoint_covers(signed: Path) -> None:
    result = oiv_verify("bundle", "--vkey", "cdg.vkey", "--vkey", "oiv.vkey", "--last", "oiv-state.json")
    assert result.returncode == 0, result.stderr
    assert ("events 12–14 are covered by no checkpoint: their order and presence rest on the ledger's"
            " own word") in result.stdout
    assert f"events: 14 of {ORIGIN}" in result.stdout and result.stdout.endswith("OK\n")


@pytest.mark.parametrize("edit", [
    lambda ls: [*ls[:11], ls[12], ls[13]],  # r2 (4.000 reserved) dropped: 5.000 more available
    lambda ls: [*ls[:11], ls[12], ls[11], ls[13]],  # reordered
], ids=["dropped", "reordered"])
def test_a_signed_tail_dropped_or_reordered_breaks_a_signature(signed: Path, edit: object) -> None:
    rewrite(signed / "bundle", edit)
    result = oiv_verify("bundle", "--vkey", "cdg.vkey", "--vkey", "oiv.vkey")
    assert result.returncode == 1
    assert result.stderr.startswith("FAILED: event 12: missing or bad signature of actor 'cdg'")
    again = run("verify", "--bundle", "bundle", "--vkey", "cdg.vkey", "--vkey", "oiv.vkey")
    assert again.exit_code == 1 and "event 12: missing or bad signature" in again.output


def test_a_tail_event_re_timed_backwards_is_refused(signed: Path) -> None:
    def retimed(lines: list[bytes]) -> list[bytes]:
        body = orjson.loads(lines[12]) | {"recorded_at": "2012-01-01T00:00:00.000000Z"}
        return [*lines[:12], orjson.dumps(body, option=orjson.OPT_SORT_KEYS), lines[13]]

    rewrite(signed / "bundle", retimed)
    result = oiv_verify("bundle", "--vkey", "cdg.vkey")
    assert result.returncode == 1
    assert "event 13 is recorded at 2012-01-01T00:00:00.000000Z, before the event" in result.stderr


def test_an_event_signed_for_another_ledger_is_refused_in_the_bundle(signed: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    assert run("--ledger", str(other), "init", "--entity", "CCIAA", "--origin", "cciaa-ms.example/other",
               "--signed", "--controller", "cdg", "--pubkey", "cdg.pub", "--key", "cdg.key").exit_code == 0
    plan = write_jsonl(tmp_path / "plan2.jsonl", [*small_plan(), reserve("r1", "5000.00"),
                                                  reserve("r9", "1.00")])
    imported = run("--ledger", str(other), "import", str(plan), "--actor", "cdg", "--key", "cdg.key")
    assert imported.exit_code == 0
    assert run("--ledger", str(other), "export", "--bundle", "b2").exit_code == 0
    foreign = (tmp_path / "b2" / "events.jsonl").read_bytes().splitlines()[11]  # r9, at event 12 there
    rewrite(signed / "bundle", lambda ls: [*ls[:11], foreign])
    result = oiv_verify("bundle", "--vkey", "cdg.vkey")
    assert result.returncode == 1 and "event 12: missing or bad signature" in result.stderr


def test_the_witness_refuses_a_second_history_of_the_same_size(signed: Path) -> None:
    genuine = proofs.Checkpoint.read(Path("checkpoint-11.txt"))
    forked = proofs.new_checkpoint(genuine.origin, genuine.size, bytes(32)).signed(
        Path("cdg.key").read_bytes(), ORIGIN)
    Path("forked.txt").write_text(forked.text())
    result = run("checkpoint", "cosign", "forked.txt", "--key", "oiv.key", "--log-vkey", "cdg.vkey",
                 "--state", "oiv-state.json")
    assert result.exit_code == 1 and "the log shows two histories (a split view); refused" in result.output
    assert "oiv.example" not in Path("forked.txt").read_text()  # not cosigned


def test_the_witness_cosigns_a_later_checkpoint_only_with_a_consistency_proof(signed: Path) -> None:
    assert run("checkpoint", "--key", "cdg.key").exit_code == 0  # checkpoint-14.txt
    args = ["checkpoint", "cosign", "checkpoint-14.txt", "--key", "oiv.key", "--log-vkey", "cdg.vkey",
            "--state", "oiv-state.json"]
    unproved = run(*args)
    assert unproved.exit_code == 1 and "give the consistency proof from 11 to 14" in unproved.output
    Path("proof.txt").write_text(run("checkpoint", "prove", "--from", "11", "--to", "14").output)
    assert "extends the 11 events" in run(*args, "--proof", "proof.txt").output
    state = json.loads(Path("oiv-state.json").read_text())
    assert state["logs"][ORIGIN]["size"] == 14
    shrunk = run(*args[:2], "checkpoint-11.txt", *args[3:])
    assert shrunk.exit_code == 1 and "a log never shrinks" in shrunk.output


def test_a_rewritten_history_fails_against_the_oivs_own_keys_and_state(signed: Path) -> None:
    # The body drops event 11 (the first reservation) and what follows, and signs a checkpoint of the
    # new history with the ledger's key. The OIV never cosigned it.
    rewrite(signed / "bundle", lambda ls: ls[:10])
    tree = proofs.MerkleTree([proofs.leaf_hash(line) for line in
                              (signed / "bundle" / "events.jsonl").read_bytes().splitlines()])
    fake = proofs.new_checkpoint(ORIGIN, len(tree), tree.root()).signed(Path("cdg.key").read_bytes(), ORIGIN)
    for old in (signed / "bundle" / "checkpoints").iterdir():
        old.unlink()
    (signed / "bundle" / "checkpoints" / "checkpoint-10.txt").write_text(fake.text())
    remanifest(signed / "bundle")
    result = oiv_verify("bundle", "--vkey", "cdg.vkey", "--vkey", "oiv.vkey")
    assert result.returncode == 1 and "it is not signed by oiv.example" in result.stderr
    result = oiv_verify("bundle", "--vkey", "cdg.vkey", "--last", "oiv-state.json")
    assert result.returncode == 1 and "you last cosigned 11 events" in result.stderr


def test_a_bundle_that_carries_code_is_refused_even_with_its_manifest_made_again(signed: Path) -> None:
    (signed / "bundle" / "verify.py").write_text('print("OK")\n')
    result = oiv_verify("bundle", "--vkey", "cdg.vkey")
    assert result.returncode == 1 and "manifest does not list" in result.stderr
    remanifest(signed / "bundle")
    result = oiv_verify("bundle", "--vkey", "cdg.vkey")
    assert result.returncode == 1 and "never code to run" in result.stderr


def test_the_verifier_runs_alone_with_only_the_standard_library_and_cryptography(signed: Path) -> None:
    blocked = "import sys\nfor m in ('orjson', 'eventsourcing', 'click', 'tabulate', 'events', 'cli'):\n" \
              "    sys.modules[m] = None\n"
    script = blocked + "import runpy\nsys.argv = ['verify', *sys.argv[1:]]\n" \
        f"runpy.run_path({str(ROOT / 'ledger' / 'proofs.py')!r}, run_name='__main__')\n"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-I", "-c", script, "bundle", "--vkey", "cdg.vkey", "--vkey",
                             "oiv.vkey"], check=False, capture_output=True, text=True, env=env)
    assert result.returncode == 0 and result.stdout.endswith("OK\n"), result.stderr


def test_the_readme_prints_the_sha256_of_the_verifier_as_it_is() -> None:
    digest = hashlib.sha256((ROOT / "ledger" / "proofs.py").read_bytes()).hexdigest()
    assert f"{digest}  ledger/proofs.py" in (ROOT / "README.md").read_text(encoding="utf-8")


IDENTITY = base64.b64encode(bytes([1]) + bytes(31)).decode()
ANY_MESSAGE_SIGNATURE = base64.b64encode(bytes([1]) + bytes(63)).decode()  # R = identity, S = 0


def test_a_small_order_key_verifies_nothing_and_is_refused_everywhere() -> None:
    assert not proofs.signature_valid(IDENTITY, b"anything", ANY_MESSAGE_SIGNATURE)
    with pytest.raises(proofs.ProofError, match="weak Ed25519 public key"):
        proofs.parse_vkey(proofs.vkey_text("weak", bytes([1]) + bytes(31), proofs.ED25519))
    with pytest.raises(proofs.ProofError, match="not a canonical Ed25519 public key"):
        proofs.check_public_key(bytes([0xED]) + bytes([0xFF]) * 30 + bytes([0x7F]))  # y = p: unreduced
    first = {"type": "ActorRegistered", "name": "weak", "public_key": IDENTITY, "role": "controller",
             "actor": "weak"}
    with pytest.raises(proofs.ProofError, match="weak Ed25519 public key"):
        proofs.check_event_signature(2, first | {"signature": ANY_MESSAGE_SIGNATURE, "prev": "0" * 64},
                                     proofs.Signers("o"))


def test_a_checkpoint_saved_with_windows_line_endings_is_named_so(signed: Path) -> None:
    Path("crlf.txt").write_bytes(Path("checkpoint-11.txt").read_bytes().replace(b"\n", b"\r\n"))
    result = run("verify", "--checkpoint", "crlf.txt", "--vkey", "cdg.vkey")
    assert result.exit_code == 1 and "Windows line endings (CR LF)" in result.output


def test_verify_checkpoint_without_keys_fails_with_a_clear_line(signed: Path) -> None:
    result = run("verify", "--checkpoint", "checkpoint-11.txt")
    assert result.exit_code == 1 and "give the signers' keys (--vkey)" in result.output


def test_a_checkpoint_of_the_format_before_c2sp_still_verifies(signed: Path) -> None:
    with proofs_store() as store:
        from ledger import audit

        tree = audit.merkle_tree(store)
    legacy = proofs.LegacyCheckpoint("CCIAA", len(tree), tree.root(), "2012-12-31T10:00:00Z", ())
    signature = base64.b64decode(proofs.sign(Path("cdg.key").read_bytes(), legacy.body()))
    key_id = hashlib.sha256(proofs.read_verifier(Path("cdg.pub")).public).hexdigest()[:8]
    Path("old.txt").write_text(legacy.body().decode() + f"\n— cdg {key_id} "
                               f"{base64.b64encode(signature).decode()}\n")
    result = run("verify", "--checkpoint", "old.txt", "--pubkey", "cdg.pub")
    assert result.exit_code == 0 and "extends the checkpoint of 14 events" in result.output
    assert "cdg (a checkpoint v1)" in result.output


def proofs_store():  # type: ignore[no-untyped-def]
    from ledger import Store

    return Store.open(os.environ["PERFLEDGER_LEDGER"])


def readme_block(heading: str) -> list[str]:
    """The shell commands of the README's block under ``heading``, continuation lines joined."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split(heading + "\n", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.replace("\\\n", " ").splitlines() if line and not line.startswith("#")]


def test_the_readme_walkthrough_for_the_oiv_works_as_written(tmp_path: Path) -> None:
    # The body's commands, then the OIV's, run as the README prints them: only the package's
    # installation is the test's own (this checkout's commands stand for the published package's).
    write_jsonl(tmp_path / "year-2012.jsonl", [*small_plan(), reserve("r1", "5000.00")])
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "PERFLEDGER_LEDGER": str(tmp_path / "cciaa.db")}
    commands = [*readme_block("### What the body does"),
                *readme_block("### What the OIV does, on its own machine")]
    output = ""
    for command in commands:
        if "pip install" in command:
            continue
        done = subprocess.run(command.replace("oiv-env/bin/", ""), shell=True, cwd=tmp_path, env=env,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, (command, done.stderr)
        output = done.stdout
    assert "replay matches report-2012.json" in output and output.endswith("OK\n")


def test_the_witness_refuses_a_new_origin_signed_by_a_log_key_it_already_follows(signed: Path) -> None:
    # The body makes a second ledger, with other events, under an origin one character away, and
    # signs its checkpoint with the same ledger key: a second history the OIV would cosign as new.
    twin = signed / "twin.db"
    assert run("--ledger", str(twin), "init", "--entity", "CCIAA", "--origin", ORIGIN + "/",
               "--signed", "--controller", "cdg", "--pubkey", "cdg.pub", "--key", "cdg.key").exit_code == 0
    assert run("--ledger", str(twin), "checkpoint", "--key", "cdg.key", "--out", "twin.txt").exit_code == 0
    args = ["checkpoint", "cosign", "twin.txt", "--key", "oiv.key", "--log-vkey", "cdg.vkey",
            "--state", "oiv-state.json"]
    result = run(*args)
    assert result.exit_code == 1 and "may be a second history of it: refused" in result.output
    assert "extends" not in result.output and "the first checkpoint" in run(*args, "--new-log").output


def test_the_witness_takes_only_the_logs_ed25519_key_as_the_logs(signed: Path) -> None:
    result = run("checkpoint", "cosign", "checkpoint-11.txt", "--key", "oiv.key", "--log-vkey", "oiv.vkey",
                 "--state", "other-state.json")
    assert result.exit_code == 1 and "must be its Ed25519 verifier key" in result.output


def test_a_bundle_with_a_link_or_a_pipe_is_refused(signed: Path) -> None:
    (signed / "bundle" / "checkpoints" / "extra.txt").symlink_to(signed / "checkpoint-11.txt")
    result = oiv_verify("bundle", "--vkey", "cdg.vkey")
    assert result.returncode == 1 and "checkpoints/extra.txt, which is not a plain file" in result.stderr


def test_a_checkpoint_of_the_empty_tree_must_carry_the_empty_root() -> None:
    text = proofs.new_checkpoint("o.example", 0, bytes(32)).text().split("\n\n")[0] + "\n\n— x AAAAAAAA\n"
    with pytest.raises(proofs.ProofError, match="its size is 0 but its root is not the empty tree's"):
        proofs.Checkpoint.parse(text)


def test_a_witness_state_of_other_kinds_of_values_is_refused(tmp_path: Path) -> None:
    for size, root in ((True, bytes(32)), (-5, bytes(32)), ("32", bytes(32)), (3, b"x")):
        state = {"format": proofs.WITNESS_FORMAT,
                 "logs": {"o": {"size": size, "root": base64.b64encode(root).decode()}}}
        (tmp_path / "s.json").write_text(json.dumps(state))
        with pytest.raises(proofs.ProofError, match="is not a witness state file"):
            proofs.read_witness_state(tmp_path / "s.json")


def test_in_a_ledger_of_an_earlier_version_content_only_signatures_end_at_the_first_bound_one() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    secret = Ed25519PrivateKey.generate()
    pem = secret.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption())
    public = base64.b64encode(secret.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()
    signers = proofs.Signers.of({"type": "LedgerOpened", "v": 1}, b"{}")
    assert signers.legacy
    signers.actors["cdg"] = ("controller", public, False)

    def event(seq: int, bound: bool) -> dict[str, object]:
        body: dict[str, object] = {"type": "BudgetVaried", "actor": "cdg", "id": f"e{seq}", "prev": "ab"}
        content = proofs.canonical_json({k: v for k, v in body.items() if k != "prev"})
        message = proofs.event_message(signers.origin, seq, "ab", content) if bound else content
        return body | {"seq": seq, "signature": proofs.sign(pem, message)}

    assert proofs.check_event_signature(3, event(3, bound=False), signers) == 1  # as earlier versions signed
    assert proofs.check_event_signature(4, event(4, bound=True), signers) == 1
    with pytest.raises(proofs.ProofError, match="event 5: missing or bad signature"):
        proofs.check_event_signature(5, event(5, bound=False), signers)
    assert signers.legacy_signatures == 1
