"""Checkpoints, cosignatures, keys and bundles: written whole or not at all, never over a file by accident.

A full disk is simulated by making ``os.write`` (or ``os.fsync``) fail with ENOSPC, as the kernel
would, after part of the file went out; and for real, in another process, by a file-size limit.
"""

from __future__ import annotations

import errno
import os
import re
import resource
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from ledger import files
from ledger.errors import FileNotWritten, LedgerError
from ledger.proofs import Checkpoint
from tests.conftest import small_plan, write_jsonl

PERFLEDGER = [sys.executable, "-c", "from cli.main import main; main()"]
NO_SPACE = "No space left on device"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def leftovers(directory: Path) -> list[str]:
    """Temporary files a write left behind (hidden names beside the target)."""
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def disk_full_after(monkeypatch: pytest.MonkeyPatch, good_bytes: int) -> None:
    """``os.write`` writes ``good_bytes`` at most, then fails as a full disk does."""
    real_write = os.write
    left = [good_bytes]

    def write(fd: int, data: bytes | memoryview) -> int:
        if left[0] <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = real_write(fd, bytes(data[: left[0]]))
        left[0] -= written
        return written

    monkeypatch.setattr(files.os, "write", write)


# -- the function --------------------------------------------------------------------------------


def test_a_new_file_is_written_whole_with_the_mode_asked_and_nothing_beside_it(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        files.write_new(tmp_path / "cdg.key", b"secret\n", mode=0o600)
        files.write_new_text(tmp_path / "note.txt", "perché\r\n")
    finally:
        os.umask(old_umask)
    assert (tmp_path / "cdg.key").read_bytes() == b"secret\n"
    assert (tmp_path / "cdg.key").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "note.txt").read_bytes() == "perché\r\n".encode()  # UTF-8, newlines as given
    assert (tmp_path / "note.txt").stat().st_mode & 0o777 == 0o644
    assert leftovers(tmp_path) == []


def test_an_existing_file_is_not_overwritten_without_force(tmp_path: Path) -> None:
    target = tmp_path / "checkpoint-398.txt"
    target.write_bytes(b"the OIV's copy\n")
    with pytest.raises(FileExistsError) as refused:
        files.write_new(target, b"another\n")
    assert str(refused.value) == f"{target} exists: give --force to replace it"
    assert isinstance(refused.value, FileNotWritten)
    with pytest.raises(FileExistsError, match="give --replace to replace it"):
        files.write_new(target, b"another\n", option="--replace")
    assert target.read_bytes() == b"the OIV's copy\n"
    assert leftovers(tmp_path) == []


def test_force_replaces_an_existing_file_with_a_new_one(tmp_path: Path) -> None:
    target = tmp_path / "checkpoint-398.txt"
    target.write_bytes(b"old\n")
    old_inode = target.stat().st_ino
    files.write_new(target, b"new\n", force=True)
    assert target.read_bytes() == b"new\n"
    assert target.stat().st_ino != old_inode  # a new file put in place, not the old one rewritten
    assert leftovers(tmp_path) == []


def test_a_file_that_appears_while_writing_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "checkpoint-398.txt"
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if not target.exists():
            target.write_bytes(b"written by someone else meanwhile\n")  # the race
        real_fsync(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)
    with pytest.raises(FileExistsError, match="exists: give --force"):
        files.write_new(target, b"mine\n")
    assert target.read_bytes() == b"written by someone else meanwhile\n"
    assert leftovers(tmp_path) == []


def test_a_full_disk_leaves_the_file_already_there_unchanged_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "checkpoint-398.txt"
    target.write_bytes(b"the checkpoint as it was\n")
    disk_full_after(monkeypatch, 10)
    with pytest.raises(FileNotWritten) as failed:
        files.write_new(target, b"a longer checkpoint with a co-signature\n", force=True)
    assert str(failed.value) == f"{target} was not written ({NO_SPACE}); the file already there is unchanged"
    assert isinstance(failed.value, LedgerError)
    assert target.read_bytes() == b"the checkpoint as it was\n"
    assert leftovers(tmp_path) == []


def test_a_full_disk_at_fsync_writes_nothing_at_a_new_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, NO_SPACE)

    monkeypatch.setattr(files.os, "fsync", fsync)
    target = tmp_path / "cdg.pub"
    with pytest.raises(FileNotWritten, match=r"cdg.pub was not written \(No space left on device\); nothing"
                                             r" was written$"):
        files.write_new(target, b"key\n")
    assert not target.exists() and leftovers(tmp_path) == []


# -- the commands --------------------------------------------------------------------------------


@pytest.fixture
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The small plan (9 events) in a ledger, the controller's and the OIV's keys, all in the current
    directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PERFLEDGER_LEDGER", str(tmp_path / "l.db"))
    plan = write_jsonl(tmp_path / "plan.jsonl", small_plan())
    assert run("import", str(plan), "--actor", "cdg").exit_code == 0
    assert run("key", "new", "cdg").exit_code == 0
    assert run("key", "new", "oiv", "--witness").exit_code == 0
    yield tmp_path


COSIGN = ("--key", "oiv.key", "--log-vkey", "cdg.vkey", "--state", "oiv-state.json")


def test_an_existing_checkpoint_is_not_overwritten_without_force(ledger: Path) -> None:
    Path("checkpoint-9.txt").write_text("the OIV's copy\n")
    result = run("checkpoint", "--key", "cdg.key")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "Error: checkpoint-9.txt exists: give --force to replace it\n"
    assert Path("checkpoint-9.txt").read_text() == "the OIV's copy\n"
    assert leftovers(ledger) == []


def test_checkpoint_force_replaces_an_existing_checkpoint(ledger: Path) -> None:
    Path("checkpoint-9.txt").write_text("the OIV's copy\n")
    result = run("checkpoint", "--key", "cdg.key", "--force")
    assert result.exit_code == 0 and result.stdout.startswith("Wrote checkpoint-9.txt: perfledger.invalid/l/")
    assert Checkpoint.read(Path("checkpoint-9.txt")).size == 9
    verified = run("verify", "--checkpoint", "checkpoint-9.txt", "--pubkey", "cdg.pub")
    assert verified.exit_code == 0 and "checkpoint-9.txt: signed by cdg" in verified.stdout


def test_cosign_puts_a_new_file_in_place_of_the_checkpoint(ledger: Path) -> None:
    assert run("checkpoint", "--key", "cdg.key").exit_code == 0
    old_inode = Path("checkpoint-9.txt").stat().st_ino
    result = run("checkpoint", "cosign", "checkpoint-9.txt", *COSIGN)
    assert result.exit_code == 0 and result.stdout.startswith("Cosigned checkpoint-9.txt as oiv: the first")
    assert Path("checkpoint-9.txt").stat().st_ino != old_inode
    verified = run("verify", "--checkpoint", "checkpoint-9.txt", "--vkey", "cdg.vkey", "--vkey", "oiv.vkey")
    assert verified.exit_code == 0, verified.output
    assert leftovers(ledger) == []


@pytest.mark.parametrize("fail", ["write", "fsync"])
def test_a_full_disk_during_cosign_leaves_the_checkpoint_intact_and_says_so(
    ledger: Path, monkeypatch: pytest.MonkeyPatch, fail: str
) -> None:
    assert run("checkpoint", "--key", "cdg.key").exit_code == 0
    before = Path("checkpoint-9.txt").read_bytes()
    if fail == "write":
        disk_full_after(monkeypatch, len(before) // 2)
    else:
        def fsync(fd: int) -> None:
            raise OSError(errno.ENOSPC, NO_SPACE)

        monkeypatch.setattr(files.os, "fsync", fsync)
    Path("oiv-state.json").write_text("")  # a state file made already, so both writes replace a file
    Path("oiv-state.json").unlink()
    result = run("checkpoint", "cosign", "checkpoint-9.txt", *COSIGN)
    assert (result.exit_code, result.stdout) == (1, "")
    assert re.fullmatch(rf"Error: (oiv-state.json|checkpoint-9.txt) was not written \({NO_SPACE}\);"
                        r" (the file already there is unchanged|nothing was written)\n", result.stderr)
    assert Path("checkpoint-9.txt").read_bytes() == before
    assert leftovers(ledger) == []


def _small_files(limit: int) -> Callable[[], None]:
    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_file_size


def test_a_cosignature_too_large_for_the_disk_leaves_the_checkpoint_intact(ledger: Path) -> None:
    assert run("checkpoint", "--key", "cdg.key").exit_code == 0
    before = Path("checkpoint-9.txt").read_bytes()
    result = subprocess.run([*PERFLEDGER, "checkpoint", "cosign", "checkpoint-9.txt", *COSIGN],
                            capture_output=True, text=True, check=False,
                            preexec_fn=_small_files(len(before) + 10))  # room for less than a signature
    assert (result.returncode, result.stdout) == (1, "")
    assert re.fullmatch(r"Error: (oiv-state.json|checkpoint-9.txt) was not written \(File too large\);"
                        r" (the file already there is unchanged|nothing was written)\n", result.stderr)
    assert Path("checkpoint-9.txt").read_bytes() == before
    assert leftovers(ledger) == []


def test_key_new_refuses_an_existing_key_without_force_and_writes_neither_file(ledger: Path) -> None:
    Path("mrossi.pub").write_text("someone's key\n")
    result = run("key", "new", "mrossi")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "Error: mrossi.pub exists: give --force to replace it\n"
    assert not Path("mrossi.key").exists() and Path("mrossi.pub").read_text() == "someone's key\n"
    again = run("key", "new", "cdg")
    assert again.stderr == "Error: cdg.key exists: give --force to replace it\n"


def test_key_new_force_replaces_the_pair_and_keeps_the_private_key_to_its_owner(ledger: Path) -> None:
    old_key, old_pub = Path("cdg.key").read_bytes(), Path("cdg.pub").read_bytes()
    old_umask = os.umask(0o022)
    try:
        result = run("key", "new", "cdg", "--force")
    finally:
        os.umask(old_umask)
    assert result.exit_code == 0, result.output
    assert Path("cdg.key").read_bytes() != old_key and Path("cdg.pub").read_bytes() != old_pub
    assert Path("cdg.key").stat().st_mode & 0o777 == 0o600
    assert Path("cdg.pub").stat().st_mode & 0o777 == 0o644
    assert run("checkpoint", "--key", "cdg.key").exit_code == 0  # the new pair is a pair
    assert run("verify", "--checkpoint", "checkpoint-9.txt", "--pubkey", "cdg.pub").exit_code == 0


def test_a_full_disk_while_writing_a_key_leaves_no_half_pair(
    ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = [0]
    real_fsync = os.fsync

    def fsync(fd: int) -> None:  # the private key goes out; the disk is full for the public one
        calls[0] += 1
        if calls[0] > 2:  # the private key's file and its directory
            raise OSError(errno.ENOSPC, NO_SPACE)
        real_fsync(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)
    result = run("key", "new", "mrossi")
    assert result.stderr == f"Error: mrossi.pub was not written ({NO_SPACE}); nothing was written\n"
    assert not Path("mrossi.key").exists() and not Path("mrossi.pub").exists()


def test_a_full_disk_during_export_names_the_file_not_written(
    ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("checkpoint", "--key", "cdg.key").exit_code == 0
    disk_full_after(monkeypatch, 100)
    result = run("export", "--bundle", "bundle", "--checkpoint", "checkpoint-9.txt", "--pubkey", "cdg.pub")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"Error: bundle/events.jsonl was not written ({NO_SPACE}); nothing was written\n"
    assert not Path("bundle").exists() and leftovers(ledger) == []  # the bundle was made aside: nothing left


def test_verify_with_a_checkpoint_but_no_public_key_fails_saying_why(ledger: Path) -> None:
    assert run("checkpoint", "--key", "cdg.key").exit_code == 0
    result = run("verify", "--checkpoint", "checkpoint-9.txt")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "Error: give the signers' keys (--vkey): a checkpoint's own signature lines prove nothing\n"
    )


def test_checking_a_checkpoint_without_trusted_keys_is_refused(ledger: Path) -> None:
    from ledger import Store
    from ledger.audit import check_checkpoint
    from ledger.proofs import ProofError

    assert run("checkpoint", "--key", "cdg.key").exit_code == 0
    with Store.open(str(ledger / "l.db")) as store, pytest.raises(ProofError, match="prove nothing"):
        check_checkpoint(store, Checkpoint.read(Path("checkpoint-9.txt")), [])


def test_export_refuses_two_files_of_the_same_name_rather_than_keep_one(ledger: Path) -> None:
    assert run("checkpoint", "--key", "cdg.key").exit_code == 0
    Path("elsewhere").mkdir()
    assert run("key", "new", "cdg", "--dir", "elsewhere").exit_code == 0
    result = run("export", "--bundle", "bundle", "--checkpoint", "checkpoint-9.txt",
                 "--pubkey", "cdg.pub", "--pubkey", "elsewhere/cdg.pub")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "Error: two keys are named cdg: a bundle holds one file of each name\n"
    assert not Path("bundle").exists()
