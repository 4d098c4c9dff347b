"""Ledgers made by the previous release (SQLite, schema version 1) open, verify, report the same
and take appends.

The fixtures in tests/fixtures were made by that release: the 2012 example imported with
``--backfill``, and a signed ledger made with ``init --signed``, ``actor add`` and a signed
import. Each test works on a copy: the fixtures themselves are never written.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from tests.conftest import assert_holds

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LEDGERS = ["v1-example-2012", "v1-signed"]


def run(ledger: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--ledger", str(ledger), *args], catch_exceptions=False)


@pytest.fixture(params=LEDGERS)
def copy(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path]:
    name = str(request.param)
    target = tmp_path / f"{name}.db"
    shutil.copyfile(FIXTURES / f"{name}.db", target)
    return name, target


def test_a_ledger_of_the_previous_release_verifies(copy: tuple[str, Path]) -> None:
    _, ledger = copy
    result = run(ledger, "verify")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: ")


def test_its_report_gives_every_figure_the_previous_release_gave(copy: tuple[str, Path]) -> None:
    name, ledger = copy
    result = run(ledger, "report", "--format", "json")
    assert result.exit_code == 0, result.output
    assert_holds(json.loads((FIXTURES / f"{name}.report.json").read_bytes()), json.loads(result.stdout_bytes))


def test_its_budget_at_a_date_gives_every_figure_the_previous_release_gave(tmp_path: Path) -> None:
    ledger = tmp_path / "v1-example-2012.db"
    shutil.copyfile(FIXTURES / "v1-example-2012.db", ledger)
    result = run(ledger, "budget", "--as-of", "2012-08-31", "--format", "json")
    assert result.exit_code == 0, result.output
    old = json.loads((FIXTURES / "v1-example-2012.budget-0831.json").read_bytes())
    assert_holds(old, json.loads(result.stdout_bytes))



def test_a_copy_takes_an_append_and_still_verifies(copy: tuple[str, Path]) -> None:
    name, ledger = copy
    before = int(run(ledger, "verify").output.split()[1])
    reserved = reserved_on(ledger, "A1/04/01")
    event = {"type": "ReservationMade", "id": "r-compat", "effective_date": "2012-02-01", "actor": "cdg",
             "reservation": "r-compat", "item": "A1/04/01", "amount": "10.00"}
    signing = ["--key", str(FIXTURES / "cdg.key")] if name == "v1-signed" else []
    result = run(ledger, "append", "--json", json.dumps(event), *signing)
    assert result.exit_code == 0, result.output
    assert f"as event {before + 1}" in result.output
    verified = run(ledger, "verify")
    assert verified.exit_code == 0 and verified.output.startswith(f"OK: {before + 1} events"), verified.output
    assert reserved_on(ledger, "A1/04/01") == reserved + Decimal("10.00")


def reserved_on(ledger: Path, item: str) -> Decimal:
    budget = json.loads(run(ledger, "budget", "--format", "json").output)
    return sum((Decimal(row["reserved"]) for row in budget["rows"] if row["item"] == item), Decimal(0))

