"""`perfledger db upgrade` brings a PostgreSQL ledger of an earlier release (schema 1, 2 or 3) to 4."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from tests.backends import POSTGRES, postgres_ledger_url, require_postgres, schema_of
from tests.conftest import EXAMPLE_DIR, assert_holds, ev

FIXTURES = Path(__file__).parent / "fixtures"
# `pg_dump --inserts --no-owner --no-privileges` of a schema the previous release made by importing the
# 2012 example (`import --backfill`), and the report that release gave of it.
DUMP = FIXTURES / "v1-postgres-example-2012.sql"
REPORT = FIXTURES / "v1-postgres-example-2012.report.json"
DUMPED_SCHEMA = "v1fixture"


def run(ledger: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--ledger", ledger, *args])


def restore_v1(url: str) -> None:
    """The previous release's ledger, restored into this URL's schema."""
    import psycopg

    script = DUMP.read_text(encoding="utf-8").replace(DUMPED_SCHEMA, schema_of(url))
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(script.encode())  # type: ignore[call-overload]


def grant_as_v1(url: str, controller: str) -> None:
    """What the previous release's `db grant --role controller` gave: SELECT and INSERT on every table."""
    import psycopg

    schema = schema_of(url)
    tables = ", ".join(f'"{schema}".{t}' for t in (
        "perfledger_events", "perfledger_chain", "perfledger_meta", "perfledger_budget", "perfledger_labels",
        "perfledger_ids", "perfledger_snapshots", "perfledger_budget_checkpoints", "perfledger_derived"))
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{controller}" LOGIN')
        conn.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{controller}"')
        conn.execute(f'GRANT SELECT ON {tables} TO "{controller}"')
        conn.execute(
            f'GRANT INSERT ON {tables.replace(f""""{schema}".perfledger_meta, """, "")} TO "{controller}"'
        )
        conn.execute(
            f'GRANT USAGE ON SEQUENCE "{schema}".perfledger_events_notification_id_seq TO "{controller}"'
        )


@pytest.fixture
def v1() -> Iterator[tuple[str, str, str]]:
    """A schema-1 ledger of the 2012 example, made by the previous release, with a controller it granted;
    and the report that release gave."""
    require_postgres()
    import psycopg

    controller = f"pl_ctrl_{uuid.uuid4().hex[:8]}"
    with postgres_ledger_url() as url:
        restore_v1(url)
        grant_as_v1(url, controller)
        try:
            yield url, controller, REPORT.read_text(encoding="utf-8")
        finally:
            with psycopg.connect(POSTGRES, autocommit=True) as conn:
                conn.execute(f'DROP OWNED BY "{controller}"')
                conn.execute(f'DROP ROLE "{controller}"')


def reservation(rid: str) -> str:
    return json.dumps(ev("ReservationMade", rid, reservation=rid, item="A1/04/01", amount="10.00"))


def test_a_schema_1_ledger_reads_as_before_and_is_written_only_once_upgraded(
    v1: tuple[str, str, str]
) -> None:
    import psycopg

    url, controller, report = v1
    # every key and figure the previous release gave (this one adds keys, e.g. withdrawn)
    assert_holds(json.loads(report), json.loads(run(url, "report", "--format", "json").output))
    assert run(url, "verify").output.startswith("OK: 398 events")
    refused = run(url, "append", "--json", reservation("r-1"))
    assert refused.exit_code == 1 and "has schema version 1" in refused.output
    assert "its owner runs `perfledger db upgrade` first (nothing was written)" in refused.output

    upgraded = run(url, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.output == (
        f"Upgraded {url} from schema version 1 to 4: installed the write guards, indexed 398 event ids,"
        f" revoked INSERT from 1 role(s) ({controller}).\n")
    again = run(url, "db", "upgrade")
    assert again.exit_code == 0 and again.output == (
        f"{url} is at schema version 4 already: nothing to upgrade.\n"
    )

    assert run(url, "append", "--json", reservation("r-1")).output.startswith(
        "Appended ReservationMade 'r-1' as event 399"
    )
    mine = url.replace("postgresql://postgres@", f"postgresql://{controller}@", 1)
    assert run(mine, "append", "--json", reservation("r-2")).output.startswith(
        "Appended ReservationMade 'r-2' as event 400"
    )
    assert run(mine, "verify").output.startswith("OK: 400 events, chain intact")
    # the version-1 controller's INSERT is gone
    with psycopg.connect(mine.split("?")[0], autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema_of(url)}"')
        for table in ("perfledger_events", "perfledger_chain", "perfledger_budget", "perfledger_derived"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"INSERT INTO {table} SELECT * FROM {table}")
        with (pytest.raises(psycopg.errors.RaiseException, match="reuses the id r-1 of event 399"),
              conn.transaction()):
            seq, head, now = conn.execute("SELECT seq, hash, now FROM perfledger_begin()").fetchone()
            topic, state = conn.execute(
                "SELECT topic, state FROM perfledger_events WHERE originator_version = 399").fetchone()
            body = json.loads(state)
            body.update(
                seq=seq + 1, prev=head, recorded_at=now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            )
            conn.execute("SELECT perfledger_append(%s, %s, %s)", (
                [seq + 1], [topic],
                [json.dumps(body, sort_keys=True, separators=(",", ":")).encode()]))
    with psycopg.connect(POSTGRES, autocommit=True) as conn:  # the ids table is kept like the events
        conn.execute(f'SET search_path TO "{schema_of(url)}"')
        with pytest.raises(psycopg.errors.RaiseException):
            conn.execute("DELETE FROM perfledger_event_ids")


def test_refresh_after_the_upgrade_brings_the_caches_to_the_head(v1: tuple[str, str, str]) -> None:
    url, controller, _ = v1
    assert run(url, "db", "upgrade").exit_code == 0
    mine = url.replace("postgresql://postgres@", f"postgresql://{controller}@", 1)
    assert run(mine, "append", "--json", reservation("r-1")).exit_code == 0
    figures = run(mine, "budget", "--format", "json").output
    refreshed = run(url, "db", "refresh")
    assert refreshed.exit_code == 0
    assert refreshed.output.startswith(
        f"The caches of {url} reach the head: read model up to event 399 of 399;"
    )
    assert run(url, "budget", "--format", "json").output == figures


def test_upgrade_and_refresh_on_sqlite(tmp_path: Path) -> None:
    ledger = str(tmp_path / "l.db")
    assert run(ledger, "import", str(EXAMPLE_DIR / "events.jsonl"), "--backfill").exit_code == 0
    result = run(ledger, "db", "upgrade")
    assert result.exit_code == 0
    assert result.output == (
        f"{ledger} is a SQLite ledger at schema version 1, the current one: nothing to upgrade.\n"
    )
    refreshed = run(ledger, "db", "refresh")
    # the example's events, LedgerOpened before them and HistoryMigrated after
    size = len((EXAMPLE_DIR / "events.jsonl").read_bytes().splitlines()) + 2
    assert (
        refreshed.exit_code == 0 and f"read model up to event {size} of {size}" in refreshed.output
    ), refreshed.output


def test_a_schema_2_ledger_whose_guards_predate_the_tree_takes_its_events_once_upgraded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A ledger of the release before the tree's: its trigger knows no IndicatorStruck (its shapes are
    # built, as that release's were, without the type), and its schema version is 2.
    import psycopg

    from ledger import postgres_guards
    from ledger.postgres_store import META
    from ledger.sqlite_store import LEDGER_KEY
    from tests.conftest import small_plan

    def shapes_before_the_tree() -> dict[str, object]:
        return {topic: shape for topic, shape in known_shapes().items() if shape["type"] != "IndicatorStruck"}

    known_shapes = postgres_guards.event_shapes
    with postgres_ledger_url() as url:
        assert run(url, "init", "--entity", "CCIAA").exit_code == 0
        for obj in small_plan():
            assert run(url, "append", "--json", json.dumps(obj)).exit_code == 0
        schema = schema_of(url)
        monkeypatch.setattr(postgres_guards, "event_shapes", shapes_before_the_tree)
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            for statement in postgres_guards.guard_statements(schema, "perfledger_events", str(LEDGER_KEY)):
                conn.execute(statement)
            conn.execute(f"UPDATE \"{schema}\".{META} SET value = '2' WHERE key = 'schema_version'")
        monkeypatch.undo()
        strike = json.dumps(ev("IndicatorStruck", "s1", indicator="04.1", cause="external", reason="r"))
        refused = run(url, "append", "--json", strike)
        assert refused.exit_code == 1 and "has schema version 2" in refused.output
        upgraded = run(url, "db", "upgrade")
        assert upgraded.exit_code == 0 and "from schema version 2 to 4" in upgraded.output, upgraded.output
        assert run(url, "append", "--json", strike).exit_code == 0
        assert run(url, "verify").output.startswith("OK: ")
