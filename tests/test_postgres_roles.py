"""Permissions in the database: controllers insert and read, auditors only read, nobody edits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from tests.backends import POSTGRES, as_role
from tests.conftest import ev


def run(ledger: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--ledger", ledger, *args])


def test_a_controller_can_append_and_read(shared: tuple[str, str, str]) -> None:
    url, controller, _ = shared
    mine = as_role(url, controller)
    obj = ev("ReservationMade", "r-1", reservation="r-1", item="A1/04/01", amount="100.00")
    result = run(mine, "append", "--json", json.dumps(obj))
    assert result.exit_code == 0 and "as event 10" in result.output
    assert run(mine, "verify").output.startswith("OK: 10 events")


def test_an_auditor_can_read_but_not_append(shared: tuple[str, str, str]) -> None:
    url, _, auditor = shared
    theirs = as_role(url, auditor)
    assert run(theirs, "verify").exit_code == 0
    assert json.loads(run(theirs, "budget", "--format", "json").output)["total"]["budget"] == "10000.00"
    before = run(url, "verify").output
    obj = ev("ReservationMade", "r-2", reservation="r-2", item="A1/04/01", amount="100.00")
    result = run(theirs, "append", "--json", json.dumps(obj))
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "permission denied" in result.output
    assert "this role may only read; nothing was written" in result.output and result.output.count("\n") == 1
    assert run(url, "verify").output == before


@pytest.mark.parametrize("statement", [
    "UPDATE perfledger_events SET topic = 'x'", "DELETE FROM perfledger_events",
    "TRUNCATE perfledger_events", "UPDATE perfledger_chain SET hash = 'x'",
])
@pytest.mark.parametrize("who", ["controller", "auditor"])
def test_neither_role_may_edit_delete_or_truncate(
    shared: tuple[str, str, str], statement: str, who: str
) -> None:
    import psycopg

    url, controller, auditor = shared
    name = controller if who == "controller" else auditor
    schema = url.split("schema=")[1]
    with psycopg.connect(as_role(POSTGRES, name), autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for table"):
            conn.execute(statement)


def test_roles_are_refused_on_sqlite(tmp_path: Path) -> None:
    ledger = str(tmp_path / "l.db")
    run(ledger, "init")
    result = run(ledger, "db", "grant", "--role", "auditor", "oiv")
    assert result.exit_code == 1 and "exist only on PostgreSQL" in result.output
