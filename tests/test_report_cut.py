"""`verify --bundle --expect REPORT` replays the bundle at the report's own cut: its year, as-of date and
known-at moment, so a four-monthly report is checked as it was made, not against the year's end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from tests.conftest import EXAMPLE_DIR

FOUR_MONTHLY = ("--as-of", "2012-08-31", "--known-at", "2012-09-15")  # the report of 15/09/2012


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2012 example's ledger, the controller's key, a checkpoint and a bundle of it."""
    home = tmp_path_factory.mktemp("cut")
    ledger = str(home / "cciaa.db")
    imported = run(ledger, "import", str(EXAMPLE_DIR / "events.jsonl"), "--backfill", "--entity", "CCIAA")
    assert imported.exit_code == 0, imported.output
    assert run(ledger, "key", "new", "cdg", "--dir", str(home)).exit_code == 0
    checkpoint = str(home / "checkpoint.txt")
    assert run(ledger, "checkpoint", "--key", str(home / "cdg.key"), "--out", checkpoint).exit_code == 0
    assert run(ledger, "export", "--bundle", str(home / "bundle"), "--checkpoint", checkpoint).exit_code == 0
    return home


def run(ledger: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--ledger", ledger, *args])


def report(made: Path, *cut: str) -> dict[str, Any]:
    result = run(str(made / "cciaa.db"), "report", "--format", "json", *cut)
    assert result.exit_code == 0, result.output
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


def check(made: Path, claimed: dict[str, Any], name: str) -> Result:
    """verify --bundle --expect of a report written to ``name``."""
    path = made / name
    path.write_text(json.dumps(claimed), encoding="utf-8")
    return run(str(made / "cciaa.db"), "verify", "--bundle", str(made / "bundle"),
               "--pubkey", str(made / "cdg.pub"), "--expect", str(path))


def tail(result: Result, lines: int) -> list[str]:
    return result.stdout.splitlines()[-lines:]


def test_a_four_monthly_report_matches_the_bundle_replayed_at_its_own_cut(made: Path) -> None:
    claimed = report(made, *FOUR_MONTHLY)
    assert claimed["as_of"] == "2012-08-31" and claimed["known_at"] == "2012-09-15T23:59:59.999999Z"
    assert claimed != report(made)  # the cut matters: the year's end is another report
    result = check(made, claimed, "four-monthly.json")
    assert result.exit_code == 0, result.output
    assert tail(result, 3) == [
        "replayed at the report's cut: year 2012, as of 2012-08-31, known at 2012-09-15T23:59:59.999999Z",
        f"replay matches {made / 'four-monthly.json'}",
        "OK",
    ]


def test_a_report_as_of_a_date_matches_the_replay_as_of_that_date(made: Path) -> None:
    result = check(made, report(made, "--as-of", "2012-08-31"), "as-of.json")
    assert result.exit_code == 0, result.output
    assert tail(result, 3)[0] == (
        "replayed at the report's cut: year 2012, as of 2012-08-31, known at the bundle's last event"
    )


def test_a_report_known_at_an_event_matches_the_replay_known_at_that_event(made: Path) -> None:
    claimed = report(made, "--known-at", "250")
    assert claimed["known_at"] == 250
    result = check(made, claimed, "known-at.json")
    assert result.exit_code == 0, result.output
    assert tail(result, 3)[0] == "replayed at the report's cut: year 2012, as of any date, known at event 250"


def test_a_cut_report_with_one_figure_edited_is_listed_as_differing_there(made: Path) -> None:
    claimed = report(made, *FOUR_MONTHLY)
    true_available = claimed["budget"]["total"]["available"]
    claimed["budget"]["total"]["available"] = "1.00"
    result = check(made, claimed, "edited.json")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the bundle's replay differs from {made / 'edited.json'} in 1 place(s):\n"
        f"  budget.total.available: report says '1.00', replay gives {true_available!r}\n"
    )


def test_a_report_without_its_cut_is_read_as_the_year_as_it_stands(made: Path) -> None:
    claimed = report(made)
    for key in ("year", "as_of", "known_at"):  # a report of an older format
        del claimed[key]
    result = check(made, claimed, "older.json")
    assert result.exit_code == 0, result.output
    assert tail(result, 3)[0] == ("replayed at the report's cut: the latest plan's year, as of any date,"
                                  " known at the bundle's last event")


@pytest.mark.parametrize("key, value, problem", [
    ("as_of", "31/08/2012", "field \"as_of\": must be a date written YYYY-MM-DD; got '31/08/2012'"),
    ("known_at", True, ("field \"known_at\": must be a sequence number or an instant such as"
                        " 2012-09-15T12:00:00Z; got True")),
    ("known_at", "2012-09-15T12:00:00", ("field \"known_at\": must be an ISO timestamp with a timezone,"
                                         " e.g. 2012-09-15T09:00:00Z; got '2012-09-15T12:00:00'")),
    ("year", "2012", "field \"year\": must be a plan's year, a whole number; got '2012'"),
])
def test_a_report_whose_cut_cannot_be_read_is_refused_naming_the_field(
    made: Path, key: str, value: object, problem: str
) -> None:
    claimed = dict(report(made), **{key: value})
    result = check(made, claimed, "unreadable.json")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"Error: {made / 'unreadable.json'}: {problem}\n"

