"""The command line end to end, with click's CliRunner."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from tests.backends import postgres_ledger_url, raw
from tests.conftest import ev, small_plan, write_jsonl

README = Path(__file__).resolve().parents[1] / "README.md"


def run(ledger: Path | str, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, ["--ledger", str(ledger), *args], input=input, catch_exceptions=False)


def fingerprint(ledger: Path | str) -> str:
    """What a user can see of the ledger: its whole log and head hash."""
    return run(ledger, "log", "--format", "json").output + run(ledger, "verify").output


@pytest.fixture
def planned(ledger_url: str, tmp_path: Path) -> str:
    ledger = ledger_url
    assert run(ledger, "init", "--entity", "CCIAA Test", "--actor", "cdg").exit_code == 0
    result = run(ledger, "import", str(write_jsonl(tmp_path / "plan.jsonl", small_plan())))
    assert result.exit_code == 0, result.output
    return ledger


def test_init_works_with_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PERFLEDGER_LEDGER", raising=False)
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0
    assert "Created ledger perfledger.db for 'perfledger'" in result.output
    again = CliRunner().invoke(main, ["init"])
    assert again.exit_code == 1 and again.output.startswith("Error: perfledger.db already holds a ledger")


def test_append_with_options_and_with_json(planned: str) -> None:
    result = run(planned, "append", "ReservationMade", "--id", "r-1", "--effective-date", "2012-03-15",
                 "--reservation", "r-1", "--item", "A1/04/01", "--amount", "1500.00", "--actor", "cdg")
    assert result.exit_code == 0 and "Appended ReservationMade 'r-1' as event 10" in result.output
    obj = ev("ReservationApproved", "a-1", "2012-04-01", reservation="r-1", amount="1500.00")
    result = run(planned, "append", "--json", json.dumps(obj))
    assert result.exit_code == 0 and "as event 11" in result.output
    again = run(planned, "append", "--json", json.dumps(obj))
    assert "Already present: 'a-1'" in again.output


def test_append_of_a_json_typed_field_with_options(planned: str) -> None:
    result = run(planned, "append", "budget-varied", "--id", "v-1", "--effective-date", "2012-04-27",
                 "--item", "A1/04/02", "--amount", "30000.00",
                 "--act", '{"kind": "Delibera di Giunta", "number": "41", "date": "2012-04-27"}')
    assert result.exit_code == 0, result.output
    shown = json.loads(run(planned, "show", "v-1", "--format", "json").output)
    assert shown["act"] == {"kind": "Delibera di Giunta", "number": "41", "date": "2012-04-27"}
    assert shown["amount"] == "30000.00" and len(shown["hash"]) == 64


@pytest.mark.parametrize(
    "args, message",
    [
        (["ReservationMade", "--id", "r", "--effective-date", "2012-03-01", "--reservation", "r", "--item",
          "A1/04/01", "--amount", "20000.00"], "Error: event 'r': item 'A1/04/01' has 10.000,00 available"),
        (["ReservationMade", "--id", "r", "--effective-date", "2012-03-01", "--reservation", "r", "--item",
          "A1/04/01", "--amount", "1.234,56"],
         "Error: event 'r': field \"amount\": '1.234,56' is not an amount"),
        (["ReservationMade", "--id", "r", "--effective-date", "2012-02-30", "--reservation", "r", "--item",
          "A1/04/01", "--amount", "1.00"],
         "Error: event 'r': field \"effective_date\": 2012-02-30 is not a calendar date"),
        (["ReservationMade", "--id", "r", "--effective-date", "2012-03-01", "--reservation", "r", "--item",
          "NOPE", "--amount", "1.00"], "Error: event 'r': unknown budget item 'NOPE'"),
        (["ReservationMade", "--id", "r", "--colour", "red"],
         "Error: event 'r': field \"colour\": is not a field"),
        (["BudgetDeleted"], "Error: unknown event type 'BudgetDeleted'"),
        (["--json", '{"type": "ReservationMade", "amount": 12.5}'], "Error: field \"id\": is required"),
        (["--json", "{not json"], "Error: malformed JSON"),
    ],
)
def test_bad_appends_print_one_error_line_and_write_nothing(
    planned: str, args: list[str], message: str
) -> None:
    before = fingerprint(planned)
    result = run(planned, "append", *args, "--actor", "cdg")
    assert result.exit_code == 1
    assert result.output.startswith(message), result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert fingerprint(planned) == before


def test_import_is_all_or_nothing_and_names_the_bad_line(planned: str, tmp_path: Path) -> None:
    before = fingerprint(planned)
    batch = [
        ev("ReservationMade", "r-1", reservation="r-1", item="A1/04/01", amount="6000.00"),
        ev("ReservationMade", "r-2", reservation="r-2", item="A1/04/01", amount="3000.00"),
        ev("ReservationMade", "r-3", reservation="r-3", item="A1/04/01", amount="3000.00"),
    ]
    result = run(planned, "import", str(write_jsonl(tmp_path / "b.jsonl", batch)))
    assert result.exit_code == 1
    assert result.output.startswith("Error: line 3, event 'r-3': item 'A1/04/01' has 1.000,00 available")
    assert fingerprint(planned) == before


def test_import_reports_new_and_present_events_and_reads_stdin(planned: str) -> None:
    batch = [*small_plan(), ev("BudgetVaried", "v-1", item="A1/04/02", amount="4000.00")]
    text = "".join(json.dumps(o) + "\n" for o in batch)
    result = run(planned, "import", "-", input=text)
    assert result.exit_code == 0
    assert "Imported 1 new event(s) (events 10-10); 8 already present." in result.output


def test_a_malformed_line_is_named(planned: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(ev("BudgetVaried", "v-1", item="A1/04/02", amount="1.00")) + "\n{oops\n")
    result = run(planned, "import", str(path))
    assert result.exit_code == 1 and result.output.startswith("Error: line 2: malformed JSON")


def test_import_into_a_new_path_creates_the_ledger_and_a_failed_one_leaves_no_file(tmp_path: Path) -> None:
    plan = write_jsonl(tmp_path / "p.jsonl", small_plan())
    good = run(tmp_path / "new.db", "import", str(plan), "--actor", "cdg")
    assert good.exit_code == 0 and (tmp_path / "new.db").exists()
    bad = [*small_plan(), ev("BudgetVaried", "v", item="nope", amount="1.00")]
    failed = run(tmp_path / "other.db", "import", str(write_jsonl(tmp_path / "q.jsonl", bad)))
    assert failed.exit_code == 1 and not (tmp_path / "other.db").exists()


def test_log_filters_and_formats(planned: str) -> None:
    rows = json.loads(run(planned, "log", "--type", "ObjectiveDefined", "--format", "json").output)
    assert [r["id"] for r in rows] == ["obj-04", "obj-08"]
    assert set(rows[0]) == {"seq", "id", "type", "effective_date", "recorded_at", "actor", "hash",
                            "act", "details", "fields"}
    csv_lines = run(planned, "log", "--from", "2012-01-28", "--to", "2012-12-31",
                    "--format", "csv").output.splitlines()
    assert csv_lines == ["seq,id,type,effective_date,recorded_at,actor,hash,act,details"]
    table = run(planned, "log", "--actor", "cdg").output
    assert "PlanOpened" in table and re.search(r"\b[0-9a-f]{12}\b", table)


def test_csv_output_defuses_spreadsheet_formulas(planned: str) -> None:
    obj = ev("BudgetVaried", "v-f", item="A1/04/02", amount="1.00", note='=HYPERLINK("http://x","y")')
    run(planned, "append", "--json", json.dumps(obj))
    out = run(planned, "show", "v-f", "--format", "csv").output
    assert "'=HYPERLINK" in out


def test_verify_reports_the_head_or_the_first_bad_event(planned: str) -> None:
    result = run(planned, "verify")
    assert result.exit_code == 0
    assert re.fullmatch(
        r"OK: 9 events, chain intact, head [0-9a-f]{64}\n"
        r"  chain:      9 events, each linked to the one before, hashes and canonical form sound\n"
        r"  signatures: none: an unsigned ledger\n"
        r"  rules:      every event obeys the append-time rules \(9 replayed\)\n"
        r"  caches:     read model of events 1-9, 0 snapshot\(s\) and 0 budget checkpoint\(s\) rebuilt"
        r" from the events: equal\n", result.output)
    db = raw(planned)
    db.drop_triggers()
    db.set_state(3, db.state_of(3).replace(b"Territorio", b"Terra"))
    result = run(planned, "verify")
    assert (result.exit_code == 1
            and result.output.startswith("Error: chain broken at event 3: event 3 was altered"))


def test_a_missing_ledger_is_a_clear_error(tmp_path: Path) -> None:
    result = run(tmp_path / "none.db", "log")
    assert result.exit_code == 1 and result.output == (f"Error: no ledger at {tmp_path / 'none.db'};"
                                                       " create one with `perfledger init`\n")


def test_a_postgres_schema_without_a_ledger_is_a_clear_error_and_import_creates_one(tmp_path: Path) -> None:
    with postgres_ledger_url() as url:
        result = run(url, "log")
        assert result.exit_code == 1
        assert result.output == (f"Error: {url} is not a perfledger ledger;"
                                 " create one with `perfledger init`\n")
        plan = write_jsonl(tmp_path / "p.jsonl", small_plan())
        created = run(url, "import", str(plan), "--actor", "cdg")
        assert created.exit_code == 0 and "Imported 8 new event(s) (events 2-9)" in created.output
        logged = run(url, "log", "--type", "LedgerOpened", "--format", "json").output
        assert logged.count('"LedgerOpened"') == 1


def test_a_password_in_a_postgres_url_is_refused() -> None:
    result = run("postgresql://cdg:secret@127.0.0.1:5432/test", "log")
    assert result.exit_code == 1 and "not in the URL" in result.output and "secret" not in result.output


@pytest.mark.parametrize("schema", ['a"; DROP TABLE x; --', "uff%a", "{events}", "1st", "ce-ma"])
def test_a_schema_name_that_is_not_a_plain_identifier_is_refused(schema: str) -> None:
    result = run(f"postgresql://cdg@127.0.0.1:5432/test?schema={schema}", "log")
    assert result.exit_code == 1 and "letters, digits and underscores" in result.output


def test_every_command_has_help_with_an_example_and_is_in_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    ctx = main.make_context("perfledger", ["--help"], resilient_parsing=True)  # the lazy group's commands
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        assert command is not None, name
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert command.help and command.help.strip(), name
        assert "Example" in result.output, f"{name} --help has no example"
        assert f"perfledger {name}" in readme or f"`{name}`" in readme, f"{name} is missing from the README"


def test_import_never_takes_over_an_existing_file_that_is_not_a_ledger(tmp_path: Path) -> None:
    import sqlite3

    other = tmp_path / "crm.db"
    db = sqlite3.connect(str(other))
    db.execute("CREATE TABLE customers (name TEXT)")
    db.commit()
    db.close()
    before = other.read_bytes()
    result = run(other, "import", str(write_jsonl(tmp_path / "p.jsonl", small_plan())))
    assert result.exit_code == 1 and "not a perfledger ledger" in result.output
    assert other.read_bytes() == before


def test_backfilling_into_a_live_ledger_is_refused_and_explains_what_to_do(
    planned: str, tmp_path: Path
) -> None:
    obj = (ev("BudgetVaried", "v-old", item="A1/04/02", amount="1.00")
           | {"recorded_at": "2026-02-01T10:00:00Z"})
    result = run(planned, "import", str(write_jsonl(tmp_path / "old.jsonl", [obj])), "--backfill")
    assert result.exit_code == 1
    assert "already holds a ledger: recorded_at may be given only when a history is migrated" in result.output
    assert run(planned, "log", "--format", "json").output.count('"seq"') == 9  # nothing was written


def test_help_answers_without_loading_the_store_the_projections_or_the_table_printer() -> None:
    # Start-up is measured by the benchmark; what this checks is why it is quick.
    code = ("import sys; from cli.main import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('eventsourcing', 'tabulate', 'psycopg', 'projections', 'cryptography')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
    assert "Commands:" in out and "budget" in out


def test_show_lists_the_corrections_applied_to_an_event_and_who_recorded_them(planned: str) -> None:
    run(planned, "append", "--json", json.dumps(ev("BudgetVaried", "v-c", item="A1/04/02", amount="5.00")))
    fix = ev("EventCorrected", "fix-v-c", corrects="v-c", reason="the act says 50,00",
             changes={"amount": "50.00"}, actor="mrossi")
    assert run(planned, "append", "--json", json.dumps(fix)).exit_code == 0
    shown = json.loads(run(planned, "show", "v-c", "--format", "json").output)
    assert shown["amount"] == "5.00"  # the event as it was recorded
    [correction] = shown["corrected_by"]
    assert (correction["id"], correction["actor"], correction["reason"], correction["changes"]) == (
        "fix-v-c", "mrossi", "the act says 50,00", {"amount": "50.00"})
    table = run(planned, "show", "v-c").output
    assert "Corrected by:" in table and "fix-v-c" in table and "mrossi" in table
    assert "corrected_by" not in json.loads(run(planned, "show", "fix-v-c", "--format", "json").output)
