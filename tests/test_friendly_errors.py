"""Errors a person understands: a PostgreSQL server that will not take the connection says why, at
once; a ledger in a folder the user cannot write still answers every question that only reads.

The PostgreSQL cases run the real command as a user would (a subprocess, timed) against the local
server of ``tests.backends``: a database that does not exist, a role that does not exist (what a
failed authentication looks like under this server's trust rules) and a port nobody listens on.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.backends import POSTGRES, require_postgres

SERVER = urlsplit(POSTGRES)
HOST, PORT = SERVER.hostname or "127.0.0.1", SERVER.port or 5432
PERFLEDGER = Path(sys.executable).parent / "perfledger"  # this venv's command, as installed


def perfledger(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str],
                                                                     float]:
    """The command line as a user types it, and how long it took in seconds."""
    began = time.monotonic()
    result = subprocess.run([str(PERFLEDGER), *args], check=False, capture_output=True,
                            text=True, stdin=subprocess.DEVNULL, timeout=60, env=env or dict(os.environ))
    return result, time.monotonic() - began


@pytest.mark.parametrize(("url", "reason"), [
    (f"postgresql://postgres@{HOST}:{PORT}/perfledger_no_such_database",
     'database "perfledger_no_such_database" does not exist'),
    (f"postgresql://perfledger_no_such_role@{HOST}:{PORT}/test",
     'role "perfledger_no_such_role" does not exist'),
], ids=["wrong database", "unknown role"])
def test_a_server_that_refuses_the_connection_is_named_with_its_reason_at_once(url: str, reason: str) -> None:
    require_postgres()

    result, seconds = perfledger("--ledger", url, "log")

    assert result.returncode == 1
    assert result.stderr == f"Error: cannot connect to {url}: {reason}\n"
    assert seconds < 10


def test_a_port_nobody_listens_on_is_named_as_a_refused_connection_at_once() -> None:
    url = "postgresql://postgres@127.0.0.1:1/test"

    result, seconds = perfledger("--ledger", url, "budget")

    assert result.returncode == 1
    assert result.stderr == (
        f"Error: cannot connect to {url}: Connection refused (is the server running on that host and"
        " accepting TCP/IP connections?)\n"
    )
    assert seconds < 10


def test_a_refused_connection_creates_nothing_either() -> None:
    url = "postgresql://postgres@127.0.0.1:1/test"

    result, seconds = perfledger("--ledger", url, "init", "--entity", "X")

    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: cannot connect to {url}: Connection refused")
    assert seconds < 10


# -- a ledger in a folder the user cannot write -------------------------------------------------
# What is read, and how: every figure, the audit trail, the check and the bundle for the OIV.
READS = [
    ["budget"], ["budget", "--as-of", "2012-08-31", "--locale", "it"], ["achievement"], ["variations"],
    ["report", "--format", "json"], ["log"], ["show", "r-0042"], ["verify"],
    ["explain", "budget", "item", "A5/02/02", "available"],
]
APPEND = ["append", "ReservationMade", "--id", "r-0043", "--effective-date", "2012-03-16",
          "--reservation", "r-0043", "--item", "A5/02/02", "--amount", "1.00"]


def example_ledger(folder: Path) -> Path:
    """The 2012 example and one reservation of the README's tour, in a ledger in ``folder``."""
    from click.testing import CliRunner

    from cli.main import main
    from tests.conftest import EXAMPLE_DIR

    folder.mkdir()
    ledger = folder / "cciaa.db"
    run = CliRunner().invoke
    assert run(main, ["--ledger", str(ledger), "import", str(EXAMPLE_DIR / "events.jsonl"), "--backfill",
                      "--entity", "CCIAA"]).exit_code == 0
    assert run(main, ["--ledger", str(ledger), "append", "ReservationMade", "--id", "r-0042",
                      "--effective-date", "2012-03-15", "--reservation", "r-0042", "--item", "A5/02/02",
                      "--amount", "1500.00"]).exit_code == 0
    return ledger


def answers(ledger: Path) -> list[tuple[int, str]]:
    """Each read's exit status and output, as CliRunner sees it."""
    from click.testing import CliRunner

    from cli.main import main

    found = []
    for args in READS:
        result = CliRunner().invoke(main, ["--ledger", str(ledger), *args])
        found.append((result.exit_code, result.output))
    return found


def test_where_the_folder_may_not_be_written_the_ledger_is_opened_read_only(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch
                                                                            ) -> None:
    from ledger.location import sqlite_database

    ledger = tmp_path / "cciaa.db"
    ledger.write_bytes(b"")
    assert sqlite_database(ledger) == str(ledger)
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != tmp_path)
    assert sqlite_database(ledger) == f"file:{ledger.resolve()}?mode=ro&immutable=1"
    (tmp_path / "cciaa.db-wal").write_bytes(b"")  # another process has it open: read its log too
    assert sqlite_database(ledger) == f"file:{ledger.resolve()}?mode=ro"
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != ledger)
    assert sqlite_database(ledger) == f"file:{ledger.resolve()}?mode=ro"  # a read-only file alone


def test_figures_are_read_alike_when_the_user_may_not_write_the_folder_simulated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulated: os.access says the folder is not writable (the tests may run as root, whom a
    chmod does not stop). What it proves: perfledger opens the ledger read-only (SQLite itself then
    refuses any write), every read still answers alike, a write is refused with a clear error, and
    no file is added beside the ledger. The next test takes a folder that truly is read-only."""
    from click.testing import CliRunner

    from cli.main import main

    ledger = example_ledger(tmp_path / "ledger")
    writable = answers(ledger)
    before = sorted(p.name for p in ledger.parent.iterdir())
    real_access = os.access
    unwritable = (ledger.parent, ledger)
    monkeypatch.setattr(os, "access", lambda path, mode: (
        False if mode & os.W_OK and Path(path).resolve() in unwritable else real_access(path, mode)))

    assert answers(ledger) == writable
    assert all(code == 0 for code, _ in writable)
    refused = CliRunner().invoke(main, ["--ledger", str(ledger), *APPEND])
    assert refused.exit_code == 1
    assert refused.output == f"Error: {ledger} is read-only: nothing was written\n"
    assert sorted(p.name for p in ledger.parent.iterdir()) == before


def read_only_shell(folder: Path) -> list[str] | None:
    """A shell command prefix in which ``folder`` truly cannot be written by this user: a chmod for a
    user who is not root, a read-only bind mount in a mount namespace of its own for root; None
    where neither can be had."""
    if os.geteuid() != 0:
        return ["bash", "-c", '"$0" "$@"']
    mount = f"mount --bind -o ro '{folder}' '{folder}'"
    unwritable = f"{mount} && ! touch '{folder}/probe' 2>/dev/null"
    probe = subprocess.run(["unshare", "-m", "bash", "-c", unwritable], check=False, capture_output=True)
    if probe.returncode != 0:
        return None
    return ["unshare", "-m", "bash", "-c", f'{mount} && "$0" "$@"']


def test_figures_are_read_from_a_folder_that_truly_is_read_only(tmp_path: Path) -> None:
    """The real thing: the commands run as a user would, in a folder the system refuses to write."""
    ledger = example_ledger(tmp_path / "ledger")
    shell = read_only_shell(ledger.parent)
    if shell is None:
        pytest.skip("neither a user other than root nor a mount namespace (unshare -m) is available here")
    mode = ledger.parent.stat().st_mode
    ledger.parent.chmod(0o555)  # what stops a user other than root; root needs the read-only mount
    try:
        for args in [*READS, ["export", "--bundle", str(tmp_path / "bundle")]]:
            result = subprocess.run([*shell, str(PERFLEDGER), "--ledger", str(ledger), *args], check=False,
                                    capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
            assert (result.returncode, result.stderr) == (0, ""), args
        refused = subprocess.run([*shell, str(PERFLEDGER), "--ledger", str(ledger), *APPEND], check=False,
                                 capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
        assert refused.returncode == 1
        assert refused.stderr == f"Error: {ledger} is read-only: nothing was written\n"
    finally:
        ledger.parent.chmod(mode)
    assert sorted(p.name for p in ledger.parent.iterdir()) == ["cciaa.db"]


def test_a_reader_that_stops_early_ends_the_listing_without_an_error(tmp_path: Path) -> None:
    ledger = tmp_path / "demo.db"
    assert perfledger("--ledger", str(ledger), "demo")[0].returncode == 0
    piped = subprocess.run(f"'{PERFLEDGER}' --ledger '{ledger}' log | head -n 1", shell=True, check=False,
                           capture_output=True, text=True, timeout=60)
    assert piped.stdout.split() == ["seq", "id", "type", "effective_date", "recorded_at", "actor", "hash"]
    assert piped.stderr == ""
