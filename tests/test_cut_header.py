"""Every figure command states its cut: entity, year, as-of, known-at, ledger size and head hash, in its
table's first lines, as `# ` comments before a CSV's header row, and as a JSON `cut` with a `schema`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli.header import SCHEMA
from cli.main import main

CUT = ("--as-of", "2012-08-31", "--known-at", "2012-09-15")


def out(ledger: str, *args: str) -> str:
    result = CliRunner().invoke(main, ["--ledger", ledger, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def head_of(ledger: str) -> str:
    return json.loads(out(ledger, "log", "--format", "json"))[-1]["hash"]


FIGURES = [["budget"], ["achievement"], ["variations"], ["report"], ["explain", "achievement", "entity"]]


@pytest.mark.parametrize("command", FIGURES)
def test_a_table_starts_with_its_cut(example: str, command: list[str]) -> None:
    lines = out(example, *command, *CUT).splitlines()
    assert lines[0] == ("CCIAA Massa Carrara · year 2012 · as of 2012-08-31 · known at 2012-09-15")
    assert lines[1] == f"ledger of 516 events · head {head_of(example)[:12]}" and lines[2] == ""


@pytest.mark.parametrize("command", [["budget"], ["achievement"], ["variations"]])
def test_a_csv_starts_with_its_cut_as_comments(example: str, command: list[str]) -> None:
    lines = out(example, *command, *CUT, "--format", "csv").splitlines()
    assert lines[:2] == ["# CCIAA Massa Carrara · year 2012 · as of 2012-08-31 · known at 2012-09-15",
                         f"# ledger of 516 events · head {head_of(example)[:12]}"]
    assert not lines[2].startswith("#")


@pytest.mark.parametrize("command", FIGURES)
def test_a_json_carries_its_schema_and_cut(example: str, command: list[str]) -> None:
    data = json.loads(out(example, *command, *CUT, "--format", "json"))
    assert data["schema"] == SCHEMA == "perfledger/figures/1"
    assert data["cut"] == {"entity": "CCIAA Massa Carrara", "year": 2012, "as_of": "2012-08-31",
                           "known_at": "2012-09-15T23:59:59.999999Z", "events": 516, "head": head_of(example)}


def test_a_cut_by_sequence_number_and_the_whole_ledger_say_so(example: str) -> None:
    assert out(example, "budget", "--known-at", "250").splitlines()[0].endswith("known at event 250")
    assert out(example, "budget").splitlines()[0].endswith("as of any date · known at the last event")
