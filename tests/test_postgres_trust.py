"""What a controller with psql in hand cannot do to a shared PostgreSQL ledger, and what the caches tolerate.

A controller holds SELECT on the tables and EXECUTE on ``perfledger_append``; the database itself
checks each event it is given (ledger.postgres_guards). Each attack below names the message the
database answers with, and checks that nothing was written and that honest work goes on.
"""

from __future__ import annotations

import contextlib
import json
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner, Result

from cli.main import main
from ledger import Store
from tests.backends import POSTGRES, as_role, raw, schema_of
from tests.conftest import ev, small_plan, submissions, write_jsonl

CACHES = ["perfledger_budget", "perfledger_labels", "perfledger_ids", "perfledger_snapshots",
          "perfledger_budget_checkpoints", "perfledger_derived"]
TABLES = ["perfledger_events", "perfledger_chain", *CACHES, "perfledger_event_ids"]


def run(ledger: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--ledger", ledger, *args])


def reservation(rid: str, amount: str = "100.00") -> dict[str, Any]:
    return ev("ReservationMade", rid, reservation=rid, item="A1/04/01", amount=amount)


@contextlib.contextmanager
def connected(url: str, role: str) -> Iterator[Any]:
    """A psql-like session as ``role`` in the ledger's schema."""
    import psycopg

    with psycopg.connect(as_role(POSTGRES, role), autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema_of(url)}"')
        yield conn


def counts(url: str) -> dict[str, int]:
    with connected(url, "postgres") as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


# -- plain SQL -------------------------------------------------------------------------------------
@pytest.mark.parametrize("table", TABLES)
def test_a_controller_may_not_insert_update_delete_or_truncate_any_table(
    shared: tuple[str, str, str], table: str
) -> None:
    import psycopg

    url, controller, _ = shared
    before = counts(url)
    first = {"perfledger_events": "originator_version", "perfledger_budget_checkpoints": "n",
             "perfledger_ids": "seq", "perfledger_event_ids": "seq"}.get(table, "seq")
    with connected(url, controller) as conn:
        for statement in (f"INSERT INTO {table} SELECT * FROM {table}",
                          f"UPDATE {table} SET {first} = {first} + 1000",
                          f"DELETE FROM {table}",
                          f"TRUNCATE {table}"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for table"):
                conn.execute(statement)
    assert counts(url) == before


# -- perfledger_append called by hand --------------------------------------------------------------
def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def forge(url: str, controller: str, change: Callable[[dict[str, Any], list[Any]], None],
          obj: dict[str, Any] | None = None) -> None:
    """As psql would: take the writers' lock, build a sound next event as perfledger does, let
    ``change`` spoil its body or its row [seq, topic], and hand it to ``perfledger_append``."""
    with connected(url, controller) as conn, conn.transaction():
        seq, head, now = conn.execute("SELECT seq, hash, now FROM perfledger_begin()").fetchone()
        with Store.open(url) as store:
            ledger = store._load()
            assert ledger is not None and (ledger.version, ledger.head) == (seq, head)
            ledger.extend(submissions([obj or reservation(f"r-{uuid.uuid4().hex[:6]}")]), now=now)
            [event] = ledger.collect_events()
            stored = store.app.mapper.to_stored_event(event)
        body = orjson.loads(stored.state)
        row = [stored.originator_version, stored.topic]
        change(body, row)
        conn.execute("SELECT perfledger_append(%s, %s, %s)",
                     ([row[0]], [row[1]], [orjson.dumps(body, option=orjson.OPT_SORT_KEYS)]))


def head_recorded_at(url: str) -> str:
    with connected(url, "postgres") as conn:
        state = conn.execute(
            "SELECT state FROM perfledger_events ORDER BY originator_version DESC LIMIT 1"
        ).fetchone()[0]
    return str(orjson.loads(state)["recorded_at"])


def _wrong_prev(body: dict[str, Any], row: list[Any]) -> None:
    body["prev"] = "0" * 64


def _not_next(body: dict[str, Any], row: list[Any]) -> None:
    body["seq"] = row[0] = row[0] + 1


def _replaces_head(body: dict[str, Any], row: list[Any]) -> None:
    body["seq"] = row[0] = row[0] - 1


def _used_id(body: dict[str, Any], row: list[Any]) -> None:
    body["id"] = "item-1"


def _used_id_nfd(body: dict[str, Any], row: list[Any]) -> None:
    body["id"] = unicodedata.normalize("NFD", "r-città")


def _back_dated(body: dict[str, Any], row: list[Any]) -> None:
    body["recorded_at"] = "2013-01-02T10:00:00.000000Z"


def _clock_ahead(body: dict[str, Any], row: list[Any]) -> None:
    body["recorded_at"] = stamp(datetime.now(UTC) + timedelta(days=365))


def _wrong_type(body: dict[str, Any], row: list[Any]) -> None:
    row[1] = row[1].replace("ReservationMade", "ReservationApproved")


def _unknown_topic(body: dict[str, Any], row: list[Any]) -> None:
    row[1] = "elsewhere:ReservationMade"  # the right class name in another module: no reader decodes it


def _missing_field(body: dict[str, Any], row: list[Any]) -> None:
    del body["amount"]


def _extra_field(body: dict[str, Any], row: list[Any]) -> None:
    body["colour"] = "red"


def _not_a_day(body: dict[str, Any], row: list[Any]) -> None:
    body["effective_date"] = "2012-13-45"


def _actor_not_a_string(body: dict[str, Any], row: list[Any]) -> None:
    body["actor"] = 7


def _naive_instant(body: dict[str, Any], row: list[Any]) -> None:
    body["recorded_at"] = body["recorded_at"][:-1]  # no "Z": read in whatever time zone the session says


ATTACKS: dict[str, tuple[Callable[[dict[str, Any], list[Any]], None], str]] = {
    "an instant without its time zone": (_naive_instant, "event 11 has no recorded_at spelt"),
    "a topic no reader knows": (_unknown_topic, "event 11 has the unknown type elsewhere:ReservationMade"),
    "a body without one of its fields": (
        _missing_field, "event 11 does not have the fields of ReservationMade"
    ),
    "a body with a field more": (_extra_field, "event 11 does not have the fields of ReservationMade"),
    "an effective date that is not a day": (_not_a_day, "date/time field value out of range"),
    "an actor that is not a string": (
        _actor_not_a_string, "event 11 has an envelope field of the wrong kind"
    ),
    "a wrong prev": (_wrong_prev, r"event 11 does not link to the head \(event 10\)"),
    "a sequence number past the next": (_not_next, r"event 12 is not the next event \(the head is 10\)"),
    "the head's own sequence number": (_replaces_head, r"event 10 is not the next event \(the head is 10\)"),
    "an id already used": (_used_id, "event 11 reuses the id item-1 of event 6"),
    "the NFD form of an NFC id already used": (_used_id_nfd, "event 11 reuses the id r-città of event 10"),
    "a back-dated recorded_at (2013-01-02)": (
        _back_dated, r"event 11 is recorded at 2013-01-02 .*before the event before it"
    ),
    "a recorded_at a year ahead": (_clock_ahead, r"event 11 is recorded at .*after the server's clock"),
    "a type that is not its topic's": (
        _wrong_type, "event 11 is stored as .*ReservationApproved but says it is ReservationMade"
    ),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_perfledger_append_by_hand_refuses_a_spoilt_event_and_writes_nothing(
        shared: tuple[str, str, str], attack: str) -> None:
    import psycopg

    url, controller, _ = shared
    mine = as_role(url, controller)
    assert run(mine, "append", "--json", json.dumps(reservation("r-città"))).exit_code == 0  # event 10, NFC
    before, verified = counts(url), run(url, "verify").output
    change, message = ATTACKS[attack]
    refusal = (psycopg.errors.UniqueViolation if "next" in attack or "head's" in attack
               else psycopg.errors.DatetimeFieldOverflow if "not a day" in attack
               else psycopg.errors.RaiseException)
    with pytest.raises(refusal, match=message):
        forge(url, controller, change)
    assert counts(url) == before
    assert run(url, "verify").output == verified


def test_a_sound_event_handed_to_perfledger_append_by_hand_is_taken(shared: tuple[str, str, str]) -> None:
    # The control for the attacks above: the same event, unspoilt, is written and verifies.
    url, controller, _ = shared
    forge(url, controller, lambda body, row: None, reservation("r-by-hand"))
    assert run(url, "verify").output.startswith("OK: 10 events")


def test_a_recorded_at_older_than_the_writing_is_refused_even_when_after_the_head(
    shared: tuple[str, str, str]
) -> None:
    import psycopg

    url, controller, _ = shared
    at = head_recorded_at(url)  # not before the head, but before this transaction began

    def same_instant_as_head(body: dict[str, Any], row: list[Any]) -> None:
        body["recorded_at"] = at

    with pytest.raises(psycopg.errors.RaiseException, match="not by the server's clock"):
        forge(url, controller, same_instant_as_head)


def test_after_a_controllers_refused_attempts_honest_appends_go_on_and_verify(
    shared: tuple[str, str, str]
) -> None:
    """Nothing a controller tries stops every later append for good: a chain row, an event, an id or a
    cache row slipped in ahead of the head, or a future-dated event, would each have blocked the next."""
    import psycopg

    url, controller, _ = shared
    future = stamp(datetime.now(UTC) + timedelta(days=3650))
    refused: list[Exception] = []
    attempts = [
        "INSERT INTO perfledger_chain VALUES (10, 'x')",
        "INSERT INTO perfledger_derived VALUES (10)",
        "INSERT INTO perfledger_ids VALUES ('r-next', 10, NULL, 'r-next')",
        "INSERT INTO perfledger_event_ids VALUES ('r-next', 10)",
        "INSERT INTO perfledger_snapshots VALUES (10, 'x', 'junk')",
        ("INSERT INTO perfledger_events (originator_id, originator_version, topic, state)"
         " SELECT originator_id, 10, topic, state FROM perfledger_events WHERE originator_version = 9"),
    ]
    with connected(url, controller) as conn:
        for statement in attempts:
            try:
                conn.execute(statement)
            except psycopg.Error as e:
                refused.append(e)
    for change in (lambda body, row: body.__setitem__("recorded_at", future), _not_next, _wrong_prev):
        try:
            forge(url, controller, change)
        except psycopg.Error as e:
            refused.append(e)
    mine = as_role(url, controller)
    for rid in ("r-next", "r-after"):
        result = run(mine, "append", "--json", json.dumps(reservation(rid)))
        assert result.exit_code == 0, result.output
    assert run(mine, "verify").output.startswith("OK: 11 events, chain intact")
    assert run(url, "verify").output.startswith("OK: 11 events, chain intact")
    assert len(refused) == len(attempts) + 3
    assert all(isinstance(e, psycopg.errors.InsufficientPrivilege) for e in refused[:len(attempts)])


# -- the clock -------------------------------------------------------------------------------------
def test_a_pc_whose_clock_runs_ahead_does_not_pin_recorded_at_for_everyone(
    shared: tuple[str, str, str]
) -> None:
    url, controller, _ = shared
    ahead = datetime.now(UTC) + timedelta(days=365)
    with Store.open(as_role(url, controller)) as store:
        store.append(submissions([reservation("r-ahead")]), now=ahead)
        [event] = list(store.events(after=9))
    with connected(url, "postgres") as conn:
        server = conn.execute("SELECT clock_timestamp()").fetchone()[0]
    assert abs(event.recorded_at - server) < timedelta(seconds=1)
    with Store.open(url) as other:  # another writer, whose clock is right
        result = other.append(submissions([reservation("r-next", "50.00")]))
        assert [w.seq for w in result.written] == [11]
        [later] = list(other.events(after=10))
    assert event.recorded_at <= later.recorded_at < ahead
    assert run(url, "verify").output.startswith("OK: 11 events")


# -- the caches ------------------------------------------------------------------------------------
def test_a_controllers_appends_write_no_cache_rows_and_its_figures_are_a_full_replays(
        shared: tuple[str, str, str]) -> None:
    url, controller, _ = shared
    mine = as_role(url, controller)
    before = counts(url)
    for rid, amount in (("r-1", "100.00"), ("r-2", "250.50")):
        assert run(mine, "append", "--json", json.dumps(reservation(rid, amount))).exit_code == 0
    assert run(
        mine,
        "append",
        "--json",
        json.dumps(ev("ReservationApproved", "a-1", reservation="r-1", amount="100.00")),
    ).exit_code == 0
    after = counts(url)
    assert {t: after[t] for t in CACHES} == {t: before[t] for t in CACHES}  # the caches stay behind
    assert after["perfledger_events"] == before["perfledger_events"] + 3
    theirs = run(mine, "budget", "--format", "json")
    report = run(mine, "report", "--format", "json")
    assert theirs.exit_code == 0 and report.exit_code == 0
    refreshed = run(url, "db", "refresh")
    assert refreshed.exit_code == 0 and "read model up to event 12 of 12" in refreshed.output, (
        refreshed.output
    )
    assert counts(url)["perfledger_derived"] > before["perfledger_derived"]
    assert run(url, "budget", "--format", "json").output == theirs.output
    assert run(url, "report", "--format", "json").output == report.output
    lagging = run(mine, "append", "--json", json.dumps(reservation("r-3", "1.00")))
    assert lagging.exit_code == 0, lagging.output
    assert run(mine, "verify").exit_code == 0  # caches behind the head are not caches that differ
    assert run(url, "db", "refresh").exit_code == 0
    assert run(url, "verify").exit_code == 0  # caught up from a lagging read model: as a replay makes them
    assert json.loads(theirs.output)["total"]["reserved"] == "350.50"


def test_refresh_by_a_controller_says_only_the_owner_may_write_the_caches(
    shared: tuple[str, str, str]
) -> None:
    url, controller, _ = shared
    mine = as_role(url, controller)
    assert run(mine, "append", "--json", json.dumps(reservation("r-1"))).exit_code == 0
    result = run(mine, "db", "refresh")
    assert result.exit_code == 1 and "only the ledger's owner may write them" in result.output


@pytest.mark.parametrize("tables", [
    ["perfledger_snapshots"], ["perfledger_budget"], ["perfledger_ids"], ["perfledger_derived"],
    ["perfledger_labels", "perfledger_budget_checkpoints"], CACHES,
])
def test_the_owner_may_delete_cache_rows_and_appends_and_figures_go_on_unchanged(
        shared: tuple[str, str, str], tables: list[str]) -> None:
    url, controller, _ = shared
    for rid in ("r-1", "r-2"):
        assert run(url, "append", "--json", json.dumps(reservation(rid))).exit_code == 0
    figures = [
        run(url, *cmd).output for cmd in (("budget", "--format", "json"), ("report", "--format", "json"))
    ]
    with connected(url, "postgres") as conn:
        for table in tables:
            conn.execute(f"DELETE FROM {table} WHERE {'n' if table.endswith('checkpoints') else 'seq'} > 10")
    assert [
        run(url, *cmd).output for cmd in (("budget", "--format", "json"), ("report", "--format", "json"))
    ] == figures
    for who, rid in ((url, "r-3"), (as_role(url, controller), "r-4")):
        result = run(who, "append", "--json", json.dumps(reservation(rid, "10.00")))
        assert result.exit_code == 0, result.output
    assert run(url, "db", "refresh").exit_code == 0
    budget = json.loads(run(url, "budget", "--format", "json").output)
    assert budget["total"]["reserved"] == "220.00"
    assert run(url, "verify").output.startswith("OK: 13 events")


# -- junk snapshots (both stores) -----------------------------------------------------------------
@pytest.mark.parametrize("where", ["the head", "the next", "both"])
@pytest.mark.parametrize("junk", [b"junk", b'{"format": 1, "known": 11, "book": []}', b"[1, 2, 3]"])
def test_a_junk_snapshot_stops_no_append_and_changes_no_figure(
        ledger_url: str, tmp_path: Path, junk: bytes, where: str) -> None:
    """At the head's sequence number (with its hash: it is read), at the next one (whose event comes
    later), or both."""
    url = ledger_url
    assert run(url, "import", str(write_jsonl(tmp_path / "plan.jsonl", small_plan())), "--actor", "cdg",
               "--entity", "CCIAA Test").exit_code == 0
    assert run(url, "append", "--json", json.dumps(reservation("r-1"))).exit_code == 0
    assert run(url, "append", "--json", json.dumps(reservation("r-2"))).exit_code == 0  # head: event 11

    def figures() -> list[str]:
        return [run(url, *cmd).output for cmd in (
            ("budget", "--format", "json"),
            ("report", "--format", "json"),
            ("budget", "--as-of", "2012-02-01", "--format", "json"),
        )]

    before = figures()
    db = raw(url)
    head = db.execute(db.q("SELECT hash FROM perfledger_chain WHERE seq = ?"), (11,))[0][0]
    for seq, digest in [(11, head), (12, "0" * 64)][where == "the next" : 1 if where == "the head" else 2]:
        db.execute(db.q("INSERT INTO perfledger_snapshots VALUES (?, ?, ?)"), (seq, digest, junk))
    assert figures() == before
    for rid in ("r-3", "r-4"):
        result = run(url, "append", "--json", json.dumps(reservation(rid, "10.00")))
        assert result.exit_code == 0, result.output
    with_junk = figures()
    db.execute("DELETE FROM perfledger_snapshots")
    assert figures() == with_junk
    assert json.loads(with_junk[0])["total"]["reserved"] == "220.00"
    assert run(url, "verify").output.startswith("OK: 13 events")


def test_an_event_written_without_the_writers_lock_is_refused(shared: tuple[str, str, str]) -> None:
    import psycopg

    url, controller, _ = shared
    with Store.open(url) as store:
        ledger = store._load()
        assert ledger is not None
        ledger.extend(submissions([reservation("r-nolock")]), now=datetime.now(UTC))
        [event] = ledger.collect_events()
        stored = store.app.mapper.to_stored_event(event)
    with connected(url, controller) as conn, pytest.raises(psycopg.errors.RaiseException,
                                                           match="not written under the writers' lock"):
        conn.execute("SELECT perfledger_append(%s, %s, %s)",
                     ([stored.originator_version], [stored.topic], [stored.state]))


def test_a_controller_cannot_declare_the_history_migrated(shared: tuple[str, str, str]) -> None:
    import psycopg

    url, controller, _ = shared
    before = counts(url)
    migrated = ev("HistoryMigrated", "history-migrated-x", upto=9, source="", sha256="0" * 64)
    with pytest.raises(psycopg.errors.RaiseException, match="declares a migration"):
        forge(url, controller, lambda body, row: None, obj=migrated)
    assert counts(url) == before


def test_no_role_but_the_owner_can_take_the_writers_lock(shared: tuple[str, str, str]) -> None:
    import psycopg

    url, controller, auditor = shared
    for role in (controller, auditor):
        with connected(url, role) as conn, conn.transaction(), pytest.raises(
                psycopg.errors.InsufficientPrivilege):
            conn.execute("LOCK TABLE perfledger_writing IN EXCLUSIVE MODE")
    mine = as_role(url, controller)
    assert run(mine, "append", "--json", json.dumps(reservation("r-after"))).exit_code == 0
