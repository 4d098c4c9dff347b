"""Events and caches written around perfledger's writer: what verify names, and what goes on working.

The attacker here holds the database: on SQLite the file (any row of any table), on PostgreSQL the
owner's role, which may call ``perfledger_append`` by hand with an event that is chained, hashed and
timed as the server demands, but that perfledger's rules refuse. The database cannot judge those
rules; ``perfledger verify`` replays them and names the event. The ledger keeps opening, appending
and reporting meanwhile (no traceback, ever).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner, Result
from eventsourcing.utils import get_topic

from cli.main import main
from events import parse_submission
from ledger import Store
from ledger.aggregate import LEDGER_ID
from tests.backends import POSTGRES, raw, schema_of
from tests.conftest import ev, write_jsonl


def run(ledger: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--ledger", ledger, *args])


def forge(url: str, obj: dict[str, Any], *, recorded_at: datetime | None = None) -> int:
    """Write ``obj`` as the next event, chained and hashed as perfledger would, but never checked."""
    submission = parse_submission(obj)
    with Store.open(url) as store:
        last = store.event_at(store.length())
    if url.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(POSTGRES, autocommit=True) as conn, conn.transaction():
            conn.execute(f'SET search_path TO "{schema_of(url)}"')
            (now,) = conn.execute("SELECT now FROM perfledger_begin()").fetchone()  # type: ignore[misc]
            event = submission.cls(originator_id=LEDGER_ID, originator_version=last.seq + 1,
                                   timestamp=recorded_at or now, prev=last.hash, **submission.fields)
            conn.execute("SELECT perfledger_append(%s, %s, %s)",
                         ([event.seq], [get_topic(submission.cls)], [event.canonical_bytes]))
        return event.seq
    event = submission.cls(originator_id=LEDGER_ID, originator_version=last.seq + 1,
                           timestamp=recorded_at or datetime.now(UTC), prev=last.hash, **submission.fields)
    db = raw(url)
    db.execute("INSERT INTO stored_events (originator_id, originator_version, topic, state)"
               " VALUES (?, ?, ?, ?)",
               (LEDGER_ID.hex, event.seq, get_topic(submission.cls), event.canonical_bytes))
    db.execute("INSERT INTO perfledger_chain VALUES (?, ?)",
               (event.seq, hashlib.sha256(event.canonical_bytes).hexdigest()))
    return event.seq


@pytest.fixture
def planned(ledger_url: str, tmp_path: Path) -> str:
    """The small plan, imported (A1/04/01 has 10.000,00 available)."""
    from tests.conftest import small_plan

    assert run(ledger_url, "import", str(write_jsonl(tmp_path / "plan.jsonl", small_plan()))).exit_code == 0
    return ledger_url


RULE_BREAKS = {
    "over-reservation": (
        ev("ReservationMade", "r-x", reservation="r-x", item="A1/04/01", amount="99999.00"),
        ("event 10 ReservationMade 'r-x' breaks a rule: item 'A1/04/01' has 10.000,00 available;"
         " cannot reserve 99.999,00 (give override_reason to reserve beyond availability)"),
    ),
    "unknown item": (
        ev("BudgetVaried", "v-x", item="A9/99/99", amount="5.00"),
        "event 10 BudgetVaried 'v-x' breaks a rule: unknown budget item 'A9/99/99'",
    ),
    "approval of nothing": (
        ev("ReservationApproved", "a-x", reservation="r-none", amount="5.00"),
        "event 10 ReservationApproved 'a-x' breaks a rule: unknown reservation 'r-none'",
    ),
    "a second plan of 2012": (
        ev("PlanOpened", "plan-again", "2012-01-27", year=2012, title="Piano bis"),
        "event 10 PlanOpened 'plan-again' breaks a rule: the plan of 2012 is already open",
    ),
}


@pytest.mark.parametrize("case", RULE_BREAKS, ids=list(RULE_BREAKS))
def test_verify_names_an_event_written_around_the_rules_with_the_rule_it_breaks(
    planned: str, case: str
) -> None:
    obj, message = RULE_BREAKS[case]
    assert forge(planned, obj) == 10
    result = run(planned, "verify")
    assert result.exit_code == 1
    assert ("  chain:      OK: 10 events, each linked to the one before,"
            " hashes and canonical form sound\n") in result.output
    assert f"  rules:      FAILED: {message}\n" in result.output
    assert result.output.endswith(f"Error: rules: {message}\n")
    assert run(planned, "verify", "--quick").exit_code == 0  # the chain alone cannot tell


@pytest.mark.parametrize("case", RULE_BREAKS, ids=list(RULE_BREAKS))
def test_after_an_event_written_around_the_rules_appends_and_figures_go_on(planned: str, case: str) -> None:
    forge(planned, RULE_BREAKS[case][0])
    honest = ev("BudgetVaried", "v-honest", item="A1/04/02", amount="100.00")
    appended = run(planned, "append", "--json", json.dumps(honest))
    assert appended.exit_code == 0, appended.output
    assert appended.output.startswith("Appended BudgetVaried 'v-honest' as event 11")
    for figure in (["budget"], ["report"], ["achievement"], ["variations"], ["log"],
                   ["budget", "--as-of", "2012-06-30"]):
        shown = run(planned, *figure)
        assert shown.exit_code == 0, (figure, shown.output)


def test_an_id_written_twice_around_the_writer_is_named_on_sqlite(ledger_path: Path, tmp_path: Path) -> None:
    # On PostgreSQL the database refuses a reused id itself (tests/test_postgres_trust.py).
    from tests.conftest import small_plan

    url = str(ledger_path)
    assert run(url, "import", str(write_jsonl(tmp_path / "plan.jsonl", small_plan()))).exit_code == 0
    forge(url, ev("BudgetVaried", "item-1", item="A1/04/02", amount="1.00"))  # the id of event 6
    honest_variation = ev("BudgetVaried", "v-honest", item="A1/04/02", amount="2.00")
    honest = run(url, "append", "--json", json.dumps(honest_variation))
    assert honest.output.startswith("Appended BudgetVaried 'v-honest' as event 11"), honest.output
    result = run(url, "verify")
    assert result.exit_code == 1
    assert ("Error: rules: event 10 BudgetVaried 'item-1' reuses the id of event 6"
            " (ids are unique)\n") in result.output


def test_an_event_recorded_before_the_ledger_itself_is_named_on_sqlite(
    ledger_path: Path, tmp_path: Path
) -> None:
    # On PostgreSQL the database refuses such an event itself (tests/test_postgres_trust.py).
    from tests.conftest import small_plan

    url = str(ledger_path)
    assert run(url, "import", str(write_jsonl(tmp_path / "plan.jsonl", small_plan()))).exit_code == 0
    forge(url, ev("BudgetVaried", "v-old", item="A1/04/02", amount="1.00"),
          recorded_at=datetime(2013, 1, 2, tzinfo=UTC))
    result = run(url, "verify")
    assert result.exit_code == 1
    assert ("Error: rules: event 10 BudgetVaried 'v-old' is recorded at 2013-01-02T00:00:00+00:00,"
            " before the event before it") in result.output


def test_an_event_stamped_by_a_clock_running_ahead_is_named_on_sqlite(
    ledger_path: Path, tmp_path: Path
) -> None:
    from tests.conftest import small_plan

    url = str(ledger_path)
    assert run(url, "import", str(write_jsonl(tmp_path / "plan.jsonl", small_plan()))).exit_code == 0
    forge(url, ev("BudgetVaried", "v-ahead", item="A1/04/02", amount="1.00"),
          recorded_at=datetime.now(UTC) + timedelta(days=400))
    result = run(url, "verify")
    assert result.exit_code == 1 and "after this check ran: a clock ran ahead" in result.output


def test_a_forged_read_model_row_is_named_by_verify_and_a_rebuild_restores_the_figures(
    ledger_path: Path, tmp_path: Path
) -> None:
    from tests.conftest import small_plan

    url = str(ledger_path)
    assert run(url, "import", str(write_jsonl(tmp_path / "plan.jsonl", small_plan()))).exit_code == 0
    honest = run(url, "budget", "--format", "json").output
    raw(url).execute(
        "INSERT INTO perfledger_budget VALUES (9, 'A1/04/01', 'variations', '2012-01-27', 50000000)"
    )
    assert run(url, "budget", "--format", "json").output != honest  # a cache believed until verify
    result = run(url, "verify")
    assert result.exit_code == 1
    assert "Error: caches: perfledger_budget differs from the events at event 9" in result.output
    assert "rebuild them with `perfledger db refresh --rebuild`" in result.output
    rebuilt = run(url, "db", "refresh", "--rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert run(url, "budget", "--format", "json").output == honest
    assert run(url, "verify").exit_code == 0


def test_a_forged_snapshot_is_named_by_verify(
    ledger_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import small_plan

    monkeypatch.setattr("ledger.application.SNAPSHOT_EVERY", 5)
    url = str(ledger_path)
    assert run(url, "import", str(write_jsonl(tmp_path / "plan.jsonl", small_plan()))).exit_code == 0
    db = raw(url)
    (seq, digest, state), = db.execute("SELECT seq, hash, state FROM perfledger_snapshots")
    snapshot = orjson.loads(state)
    for item in snapshot["items"]:
        item[5] = "900000.00"  # the budget column: a forger grants itself money to reserve
    db.execute("DELETE FROM perfledger_snapshots")
    db.execute("INSERT INTO perfledger_snapshots VALUES (?, ?, ?)", (seq, digest, orjson.dumps(snapshot)))
    result = run(url, "verify")
    assert result.exit_code == 1
    assert (f"Error: caches: the snapshot at event {seq} is not the rules' state"
            " rebuilt from the events") in result.output
    assert run(url, "db", "refresh", "--rebuild").exit_code == 0
    assert run(url, "verify").exit_code == 0


def test_a_migrated_history_is_shown_as_such_by_log_verify_and_figures_known_in_it(ledger_path: Path,
                                                                                    tmp_path: Path) -> None:
    from tests.conftest import small_plan

    url = str(ledger_path)
    old = [{**obj, "recorded_at": f"2012-01-27T1{n}:00:00Z"} for n, obj in enumerate(small_plan())]
    imported = run(url, "import", str(write_jsonl(tmp_path / "old.jsonl", old)), "--backfill")
    assert imported.exit_code == 0, imported.output
    last = run(url, "log").output.splitlines()[-1]
    assert last == ("Events 1-9 were migrated (HistoryMigrated, event 10): their recorded_at is"
                    " the source's, not this ledger's clock.")
    verified = run(url, "verify")
    assert verified.exit_code == 0
    assert ("  migrated:   events 1-9 came from a migration: their recorded_at is the source's,"
            " not this ledger's clock\n") in verified.output
    note = ("Note: --known-at falls in the migrated history (events 1-9): what was known then is as"
            " the source recorded it, not as this ledger's clock saw it.\n")
    assert note in run(url, "budget", "--known-at", "2012-01-28").output
    assert note in run(url, "budget", "--known-at", "5").output
    assert "Note:" not in run(url, "budget", "--known-at", "10").output
    assert "Note:" not in run(url, "budget").output


def test_a_migration_declared_into_a_ledger_that_exists_is_refused_even_without_recorded_at(
    ledger_url: str, tmp_path: Path
) -> None:
    from tests.conftest import small_plan

    assert run(ledger_url, "init", "--entity", "CCIAA Test").exit_code == 0
    result = run(ledger_url, "import", str(write_jsonl(tmp_path / "plan.jsonl", small_plan())), "--backfill")
    assert result.exit_code == 1
    assert "already holds a ledger: recorded_at may be given only when a history is migrated" in result.output
    assert "HistoryMigrated" not in run(ledger_url, "log").output
