"""Ledger files: made whole or not at all, never taken over, never removed by a failure, Ctrl-C told
plainly."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from ledger import Store
from tests.conftest import ev, small_plan, write_jsonl

PERFLEDGER = [sys.executable, "-c", "from cli.main import main; main()"]
ROUNDS = 4
IMPORTERS = 8


def run(ledger: Path | str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--ledger", str(ledger), *args])


def perfledger(ledger: Path | str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*PERFLEDGER, "--ledger", str(ledger), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def ledger_ids(path: Path) -> list[str]:
    with Store.open(str(path)) as store:
        return [e.event_id for e in store.events()]


# -- 1. concurrent imports into a new path ------------------------------------------------------


def test_concurrent_imports_into_a_new_path_never_delete_the_ledger_one_of_them_wrote(tmp_path: Path) -> None:
    valid = write_jsonl(tmp_path / "valid.jsonl", small_plan())
    broken_rule = write_jsonl(tmp_path / "rule.jsonl",
                              [*small_plan(), ev("BudgetVaried", "v-1", item="NO/SUCH/ITEM", amount="1.00")])
    broken_line = tmp_path / "line.jsonl"
    broken_line.write_text(valid.read_text() + "{not json\n")
    files = [valid, broken_rule, valid, broken_line, valid, broken_rule, valid, broken_rule]
    for round_ in range(ROUNDS):
        path = tmp_path / f"round-{round_}.db"
        procs = [perfledger(path, "import", str(f), "--entity", "CCIAA Test") for f in files[:IMPORTERS]]
        outcomes = [(p.wait(), *p.communicate()) for p in procs]
        succeeded = [out for code, out, _ in outcomes if code == 0]
        assert len(succeeded) == files.count(valid), outcomes
        assert path.exists(), f"round {round_}: a failed import removed the ledger; {outcomes}"
        assert ledger_ids(path) == ["ledger-opened", *(o["id"] for o in small_plan())]
        verified = run(path, "verify")
        assert verified.exit_code == 0 and verified.output.startswith("OK: 9 events"), verified.output
        assert not list(tmp_path.glob(f".round-{round_}.db*")), "a temporary file was left behind"


def test_an_import_that_fails_into_a_new_path_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    bad = write_jsonl(tmp_path / "bad.jsonl",
                      [*small_plan(), ev("BudgetVaried", "v", item="NO/SUCH", amount="1")])
    result = run(path, "import", str(bad))
    assert result.exit_code == 1 and "line 9" in result.output
    assert list(tmp_path.iterdir()) == [bad]


# -- 2. never take over a file that is not a ledger ---------------------------------------------


def foreign_database(path: Path) -> bytes:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount TEXT)")
    db.execute("INSERT INTO invoices VALUES (1, '12.50')")
    db.commit()
    db.close()
    return path.read_bytes()


@pytest.mark.parametrize("command", ["init", "import"])
def test_init_and_import_refuse_a_sqlite_database_that_is_not_a_ledger_and_leave_it_byte_identical(
    tmp_path: Path, command: str
) -> None:
    path = tmp_path / "accounts.db"
    before = foreign_database(path)
    args = (
        ["init"] if command == "init"
        else ["import", str(write_jsonl(tmp_path / "plan.jsonl", small_plan()))]
    )
    result = run(path, *args)
    assert result.exit_code == 1, result.output
    assert result.output == (
        f"Error: {path} is a SQLite database but not a perfledger ledger; nothing was changed\n"
    )
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "plan.jsonl") == ["accounts.db"]


@pytest.mark.parametrize("command", ["init", "import"])
def test_init_and_import_refuse_a_file_that_is_not_a_database_and_leave_it_byte_identical(
    tmp_path: Path, command: str
) -> None:
    path = tmp_path / "notes.db"
    path.write_text("minutes of the meeting of 12 March\n")
    before = path.read_bytes()
    args = (
        ["init"] if command == "init"
        else ["import", str(write_jsonl(tmp_path / "plan.jsonl", small_plan()))]
    )
    result = run(path, *args)
    assert result.exit_code == 1, result.output
    assert result.output == (f"Error: {path} is not a perfledger ledger, nor a SQLite database;"
                             " nothing was changed\n")
    assert path.read_bytes() == before


def test_init_then_import_into_the_new_ledger_still_works(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    assert run(path, "init", "--entity", "CCIAA Test", "--actor", "cdg").exit_code == 0
    again = run(path, "init")
    assert again.exit_code == 1 and "already holds a ledger" in again.output
    imported = run(path, "import", str(write_jsonl(tmp_path / "plan.jsonl", small_plan())))
    assert imported.exit_code == 0 and "events 2-9" in imported.output, imported.output
    assert not list(tmp_path.glob(".ledger.db*"))


# -- 3. Ctrl-C: nothing written, or told the batch was committed --------------------------------


def big_batch(path: Path, count: int) -> Path:
    lines = [*small_plan(),
             *(ev("BudgetVaried", f"v-{n}", item="A1/04/02", amount="1.00") for n in range(count))]
    return write_jsonl(path, lines)


def interrupt_after(proc: subprocess.Popen[str], delay: float) -> tuple[int, str, str]:
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def assert_told_plainly(
    code: int, out: str, err: str, written: list[str], before: list[str], total: int
) -> None:
    """Exit 130 and nothing written, or exit 0 with the batch committed and said so; never 'Aborted!'."""
    assert "Aborted!" not in err and "Traceback" not in err, err
    if code == 130:
        assert "Interrupted: nothing was written." in err, err
        assert written == before
    else:
        assert code == 0, (code, out, err)
        assert f"Imported {total} new event(s)" in out
        assert len(written) == len(before) + total


def test_ctrl_c_during_an_import_into_a_new_path_leaves_nothing_or_says_the_batch_was_committed(
    tmp_path: Path,
) -> None:
    data = big_batch(tmp_path / "big.jsonl", 20_000)
    total = 20_008
    started = time.perf_counter()
    whole = perfledger(tmp_path / "timed.db", "import", str(data))
    assert whole.wait(timeout=120) == 0, whole.communicate()
    duration = time.perf_counter() - started
    seen = set()
    for n, fraction in enumerate((0.5, 0.7, 0.85, 0.95, 1.0, 1.05, 1.2)):
        path = tmp_path / f"new-{n}.db"
        code, out, err = interrupt_after(perfledger(path, "import", str(data)), duration * fraction)
        if code == 130:
            assert not path.exists(), f"an interrupted import left {path} behind"
            assert "Interrupted: nothing was written." in err, err
        else:
            assert_told_plainly(code, out, err, ledger_ids(path), ["ledger-opened"], total)
        assert not list(tmp_path.glob(f".new-{n}.db*")), "a temporary file was left behind"
        seen.add(code)
    assert 130 in seen, "no interrupt fell before the commit: the batch is too small for this machine"


def test_ctrl_c_during_an_import_into_an_existing_ledger_leaves_it_unchanged_or_says_the_batch_was_committed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.db"
    assert run(path, "init", "--entity", "CCIAA Test", "--actor", "cdg").exit_code == 0
    data = big_batch(tmp_path / "big.jsonl", 20_000)
    timed = tmp_path / "timed.db"
    assert run(timed, "init", "--actor", "cdg").exit_code == 0
    started = time.perf_counter()
    whole = perfledger(timed, "import", str(data))
    assert whole.wait(timeout=120) == 0, whole.communicate()
    duration = time.perf_counter() - started
    seen = set()
    for fraction in (0.5, 0.7, 0.85, 0.95, 1.0, 1.05, 1.2):
        before = ledger_ids(path)
        code, out, err = interrupt_after(perfledger(path, "import", str(data)), duration * fraction)
        after = ledger_ids(path)
        if len(before) > 1:  # a batch already committed: a re-import writes nothing new
            assert code in (0, 130) and after == before, (code, out, err)
        else:
            assert_told_plainly(code, out, err, after, before, 20_008)
        seen.add(code)
    assert 130 in seen, "no interrupt fell before the commit: the batch is too small for this machine"
    assert run(path, "verify").exit_code == 0
