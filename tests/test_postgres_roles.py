"""Permissions in the database: controllers insert and read, auditors only read, nobody edits."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from tests.backends import POSTGRES, postgres_ledger_url, require_postgres
from tests.conftest import ev, small_plan, write_jsonl


def run(ledger: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--ledger", ledger, *args])


def as_role(url: str, role: str) -> str:
    return url.replace("postgresql://postgres@", f"postgresql://{role}@", 1)


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """A PostgreSQL ledger with the small plan, a controller and an auditor."""
    require_postgres()
    import psycopg

    suffix = uuid.uuid4().hex[:8]
    controller, auditor = f"pl_ctrl_{suffix}", f"pl_oiv_{suffix}"
    with postgres_ledger_url() as url:
        assert run(
            url, "import", str(write_jsonl(tmp_path / "plan.jsonl", small_plan())), "--actor", "cdg"
        ).exit_code == 0
        for role, name in (("controller", controller), ("auditor", auditor)):
            result = run(url, "db", "grant", "--role", role, name)
            assert result.exit_code == 0, result.output
        try:
            yield url, controller, auditor
        finally:
            with psycopg.connect(POSTGRES, autocommit=True) as conn:
                for name in (controller, auditor):
                    conn.execute(f'DROP OWNED BY "{name}"')
                    conn.execute(f'DROP ROLE "{name}"')


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
