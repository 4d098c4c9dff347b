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
