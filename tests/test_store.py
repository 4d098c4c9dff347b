"""The stores (SQLite and PostgreSQL): gap-free sequence, atomic batches, immutability,
verification, concurrency."""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from events import parse_submission
from ledger import Store, proofs
from ledger.errors import DuplicateId, LedgerLocked, LedgerNotFound, OverReservation, SchemaTooNew
from ledger.verify import _in_parts, signers_upto, verify
from tests.backends import Raw, postgres_ledger_url, raw
from tests.conftest import ev, small_plan, submissions


def test_the_sqlite_store_runs_in_wal_mode_with_full_synchronous_writes(ledger_path: Path) -> None:
    with Store.open(str(ledger_path), create=True) as store:
        assert store.recorder.pragmas() == {"journal_mode": "wal", "synchronous": 2}


def test_each_event_gets_the_next_sequence_number_and_links_to_the_previous_hash(store: Store) -> None:
    events = list(store.events())
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev == "0" * 64
    for before, after in itertools.pairwise(events):
        assert after.prev == before.hash
        assert after.recorded_at >= before.recorded_at


def test_a_batch_with_one_bad_event_writes_nothing(store: Store) -> None:
    head = verify(store).head
    batch = submissions([
        ev("ReservationMade", "ok-1", reservation="ok-1", item="A1/04/01", amount="100.00"),
        ev("ReservationMade", "too-much", reservation="too-much", item="A1/04/01", amount="99999.00"),
    ])
    with pytest.raises(OverReservation):
        store.append(batch)
    assert verify(store).head == head
    assert store.find("ok-1") is None


def test_reimporting_the_same_batch_adds_nothing(store: Store) -> None:
    length = store.length()
    result = store.append(submissions(small_plan()))
    assert result.written == [] and len(result.present) == len(small_plan())
    assert store.length() == length


@pytest.mark.parametrize("statement", [
    "UPDATE {events} SET topic = 'x'", "DELETE FROM {events}",
    "UPDATE perfledger_chain SET hash = 'x'", "DELETE FROM perfledger_chain",
])
def test_the_database_refuses_to_edit_or_delete_events(
    store: Store, ledger_url: str, statement: str
) -> None:
    db = raw(ledger_url)
    with pytest.raises(Exception, match="events are immutable") as caught:
        db.execute(db.q(statement))
    assert "Integrity" in type(caught.value).__name__ or "Raise" in type(caught.value).__name__


def test_even_the_owner_cannot_truncate_events_on_postgres() -> None:
    with postgres_ledger_url() as url, Store.open(url, create=True) as store:
        store.init("CCIAA Test", actor="cdg")
        db = raw(url)
        with pytest.raises(Exception, match="events are immutable"):
            db.execute("TRUNCATE perfledger_events")
        assert verify(store).count == 1


def attacker(url: str) -> Raw:
    """Someone with the database in hand: drops the triggers first."""
    db = raw(url)
    db.drop_triggers()
    return db


def canonical(body: dict[str, object]) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def test_verify_passes_on_an_intact_chain(store: Store) -> None:
    report = verify(store)
    assert report.ok and report.count == store.length()
    assert report.head == list(store.events())[-1].hash


def test_verify_names_an_edited_event(store: Store, ledger_url: str) -> None:
    db = attacker(ledger_url)
    body = orjson.loads(db.state_of(6))
    body["amount"] = "99999.00"
    db.set_state(6, canonical(body))
    report = verify(store)
    assert not report.ok and report.bad_seq == 6 and "altered" in str(report.problem)


def test_verify_catches_an_edit_even_with_the_chain_table_rewritten(store: Store, ledger_url: str) -> None:
    db = attacker(ledger_url)
    body = orjson.loads(db.state_of(6))
    body["amount"] = "99999.00"
    db.set_state(6, canonical(body))
    db.set_chain_hash(6, hashlib.sha256(canonical(body)).hexdigest())
    report = verify(store)
    assert not report.ok and report.bad_seq == 7 and "does not link to event 6" in str(report.problem)


def test_verify_names_a_deleted_event(store: Store, ledger_url: str) -> None:
    attacker(ledger_url).delete(4)
    report = verify(store)
    assert not report.ok and report.bad_seq == 4 and "missing" in str(report.problem)


def test_verify_notices_the_last_event_removed(store: Store, ledger_url: str) -> None:
    last = store.length()
    attacker(ledger_url).delete(last)
    report = verify(store)
    assert not report.ok and report.bad_seq == last


def test_verify_names_swapped_events(store: Store, ledger_url: str) -> None:
    db = attacker(ledger_url)
    a, b = db.state_of(5), db.state_of(6)
    db.set_state(5, b)
    db.set_state(6, a)
    report = verify(store)
    assert not report.ok and report.bad_seq == 5


def test_verify_names_an_event_appended_behind_the_ledgers_back(store: Store, ledger_url: str) -> None:
    db = attacker(ledger_url)
    last = store.length()
    body = orjson.loads(db.state_of(last))
    body.update(seq=last + 1, id="forged", prev=list(store.events())[-1].hash)
    db.insert_like(last + 1, canonical(body), last)
    report = verify(store)
    assert not report.ok and report.bad_seq == last + 1 and "behind the ledger's back" in str(report.problem)


def test_opening_a_missing_or_foreign_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(LedgerNotFound, match="no ledger at"):
        Store.open(str(tmp_path / "nothing.db"))
    foreign = tmp_path / "notes.db"
    foreign.write_bytes(b"just some text, not a database" * 10)
    with pytest.raises(LedgerNotFound, match="not a perfledger ledger"):
        Store.open(str(foreign))
    assert not (tmp_path / "nothing.db").exists()


def test_a_ledger_from_a_newer_program_is_refused(store: Store, ledger_url: str) -> None:
    raw(ledger_url).set_schema_version(99)
    with pytest.raises(SchemaTooNew, match="schema version 99"):
        Store.open(ledger_url)


def test_a_writer_blocked_past_the_lock_timeout_gets_a_clear_error_and_readers_still_work(
    store: Store, ledger_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERFLEDGER_LOCK_TIMEOUT", "1")
    other = Store.open(ledger_url)
    try:
        with raw(ledger_url).writer_lock():
            with pytest.raises(LedgerLocked, match="locked by another writer"):
                other.append(submissions([
                    ev("ReservationMade", "r", reservation="r", item="A1/04/01", amount="1.00")
                ]))
            assert verify(store).ok
    finally:
        other.close()
    assert store.find("r") is None


def _reserve_many(path: str, writer: int, count: int) -> list[str]:
    """One process's reservations of 700.00 each on the same item; returns the ones refused."""
    refused = []
    store = Store.open(path)
    try:
        for n in range(count):
            rid = f"w{writer}-{n}"
            sub = parse_submission(
                ev("ReservationMade", rid, reservation=rid, item="A1/04/01", amount="700.00")
            )
            try:
                store.append([sub])
            except OverReservation:
                refused.append(rid)
    finally:
        store.close()
    return refused


def test_concurrent_writers_never_reserve_beyond_the_total_and_keep_the_chain_gap_free(
    store: Store, ledger_url: str
) -> None:
    start = store.length()
    context = multiprocessing.get_context("fork")
    with context.Pool(8) as pool:
        refused = pool.starmap(_reserve_many, [(ledger_url, w, 3) for w in range(8)])
    written = list(store.events(after=start))
    # 10,000.00 available, 700.00 each: of 24 tries by 8 processes exactly 14 fit, 10 are refused.
    assert len(written) == 14 and sum(len(r) for r in refused) == 10
    assert [e.seq for e in written] == list(range(start + 1, start + 15))
    assert sum((e.amount for e in written), Decimal(0)) == Decimal("9800.00")
    assert verify(store).ok


def test_verify_catches_a_type_column_changed_to_another_type_with_the_same_fields(
    store: Store, ledger_url: str
) -> None:
    store.append(submissions([
        ev("ReservationMade", "r", reservation="r", item="A1/04/01", amount="800.00"),
        ev("ReservationApproved", "a", reservation="r", amount="800.00"),
    ]))
    db = attacker(ledger_url)
    seq = store.length()
    db.execute(db.q("UPDATE {events}"
                    " SET topic = replace(topic, 'ReservationApproved', 'ReservationAdjusted') "
                    "WHERE originator_version=?"), (seq,))
    report = verify(store)
    assert (not report.ok and report.bad_seq == seq
            and "hashed body says 'ReservationApproved'" in str(report.problem))


def test_stray_storage_settings_in_the_environment_are_ignored(
    ledger_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTGRES_ENABLE_DB_FUNCTIONS", "y")
    monkeypatch.setenv("PERFLEDGER_CREATE_TABLE", "n")
    with Store.open(ledger_url, create=True) as store:
        store.init("CCIAA Test", actor="cdg")
        store.append(submissions(small_plan()))
        assert verify(store).ok


def test_a_batch_of_many_pages_broken_in_a_late_page_writes_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An import is checked and inserted page by page inside one transaction: a rule broken on a later
    # page must roll back the pages already inserted.
    monkeypatch.setattr("ledger.application.PAGE", 3)
    head, length = verify(store).head, store.length()
    good = [ev("BudgetVaried", f"v-{k}", item="A1/04/01", amount="1.00") for k in range(7)]
    bad = ev("ReservationMade", "too-much", reservation="too-much", item="A1/04/01", amount="99999.00")
    with pytest.raises(OverReservation):
        store.append(submissions([*good, bad]))
    assert (store.length(), verify(store).head) == (length, head)
    assert store.find("v-0") is None


def test_a_batch_of_many_pages_is_written_whole_and_in_order(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ledger.application.PAGE", 3)
    length = store.length()
    batch = [ev("BudgetVaried", f"v-{k}", item="A1/04/01", amount="1.00") for k in range(8)]
    with pytest.raises(DuplicateId):  # the same id on two pages of one batch
        store.append(submissions([*batch, batch[2]]))
    result = store.append(submissions(batch))
    assert [w.seq for w in result.written] == list(range(length + 1, length + 9))
    assert [w.event_id for w in result.written] == [f"v-{k}" for k in range(8)]
    assert [w.hash for w in result.written] == [e.hash for e in store.events(after=length)]
    again = store.append(submissions(batch))
    assert again.written == [] and again.present == [f"v-{k}" for k in range(8)]
    assert verify(store).ok


def test_a_long_batch_reports_its_progress_page_by_page(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ledger.application.PAGE", 3)
    told: list[int] = []
    batch = [ev("BudgetVaried", f"v-{k}", item="A1/04/01", amount="1.00") for k in range(8)]
    store.append(submissions(batch), progress=told.append)
    assert told == [3, 6, 8]


def test_every_stored_event_decodes_to_an_event_that_re_encodes_to_its_stored_bytes(store: Store) -> None:
    from ledger.application import decode, decode_body

    rows = list(store.rows())
    assert len(rows) == store.length() > 5
    for seq, topic, state in rows:
        fresh = decode_body(state)  # every field decoded, the bytes made again
        assert fresh.canonical_bytes == state
        assert decode(seq, topic, state) == fresh


def test_an_event_that_forgot_its_encodings_makes_them_again_identical(store: Store) -> None:
    from events.base import forget_encodings

    for event in store.events():  # their canonical bytes are the stored ones
        before = (event.canonical_bytes, event.content_bytes, event.hash, event.content())
        forget_encodings(event)
        assert not {"canonical_bytes", "content_bytes", "hash", "_content"} & event.__dict__.keys()
        assert (event.canonical_bytes, event.content_bytes, event.hash, event.content()) == before


def test_a_correction_of_an_event_from_an_earlier_page_of_the_same_batch(
    store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Events written on an earlier page are kept without their encodings; a later page corrects one,
    # and the figures and bytes are those of the same history written in one page.
    batch = [ev("ReservationMade", "r", reservation="r", item="A1/04/01", amount="100.00"),
             *[ev("BudgetVaried", f"v-{k}", item="A1/04/01", amount="1.00") for k in range(4)],
             ev("EventCorrected", "c", corrects="r", reason="typo", changes={"amount": "10.00"})]
    monkeypatch.setattr("ledger.application.PAGE", 2)
    length = store.length()
    store.append(submissions(batch))
    corrected = store.find("c")
    assert corrected is not None and corrected.seq == length + 6
    assert verify(store).ok
    monkeypatch.setattr("ledger.application.PAGE", 5000)
    with Store.open(str(tmp_path / "one-page.db"), create=True) as one_page:
        one_page.init("CCIAA Test", actor="cdg")
        one_page.append(submissions(small_plan()))
        one_page.append(submissions(batch))
        assert ([e.content() for e in one_page.events(after=length)]
                == [e.content() for e in store.events(after=length)])
        items = [
            s._load().book.items["A1/04/01"].amounts  # type: ignore[union-attr]
            for s in (store, one_page)
        ]
        assert items[0] == items[1] and items[0].get("reserved") == Decimal("10.00")


# -- verify in parts, and reads in the table's order ------------------------------------------------
def _delete_middle(db: Raw, length: int) -> None:
    db.delete(length // 2)  # the last event of the first of two parts


def _edit_late(db: Raw, length: int) -> None:
    body = orjson.loads(db.state_of(length - 2))
    body["note"] = "edited"
    db.set_state(length - 2, canonical(body))


def _rewrite_late_with_its_chain_hash(db: Raw, length: int) -> None:
    body = orjson.loads(db.state_of(length - 3))
    body["note"] = "edited"
    db.set_state(length - 3, canonical(body))
    db.set_chain_hash(length - 3, hashlib.sha256(canonical(body)).hexdigest())


@pytest.mark.parametrize(("tamper", "parts_sound"), [
    (None, True), (_delete_middle, False), (_edit_late, False), (_rewrite_late_with_its_chain_hash, False),
    (lambda db, length: db.delete(length), True),  # sound parts, one event short of the chain table's count
])
def test_verify_in_parts_reports_exactly_what_one_pass_reports(
    store: Store, ledger_url: str, monkeypatch: pytest.MonkeyPatch, tamper: object, parts_sound: bool
) -> None:
    monkeypatch.setattr("ledger.verify.VERIFY_IN_PARTS", 2)
    length = store.length()
    if tamper is not None:
        tamper(attacker(ledger_url), length)  # type: ignore[operator]
    in_parts = verify(store, processes=3)
    assert in_parts == verify(store, processes=1)
    assert in_parts.ok is (tamper is None)
    # On SQLite the parts ran (three processes' worth) where they are sound, and gave way to one pass
    # otherwise; PostgreSQL's connection pool runs threads, which a fork must not copy: one pass.
    ran = _in_parts(store, store.recorder.chain_length(), 3) is not None
    assert ran is (parts_sound and not ledger_url.startswith("postgresql"))


def signed_ledger(path: Path) -> Store:
    """A signed ledger: the small plan, the controller cdg and the evaluator oiv, 30 signed variations."""
    from tests.test_signatures import CDG, OIV, register, signed, vary

    store = Store.open(str(path), create=True)
    store.init("CCIAA Test", actor="cdg", first=[register("cdg", "controller", CDG[1], "cdg", CDG[0])])
    store.append([signed(o, CDG[0]) for o in small_plan()])
    store.append([register("oiv", "oiv", OIV[1], "cdg", CDG[0])])
    store.append([signed(vary(f"v{i}"), CDG[0]) for i in range(30)])
    return store


def test_verify_in_parts_carries_a_signed_ledgers_actors_across_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_signatures import CDG, OIV

    monkeypatch.setattr("ledger.verify.VERIFY_IN_PARTS", 2)
    with signed_ledger(tmp_path / "signed.db") as store:
        length = store.recorder.chain_length()
        assert signers_upto(store, 1).actors == {}  # the actors register in the first of three parts
        assert signers_upto(store, length // 3).actors == {
            "cdg": ("controller", proofs.public_key_b64(CDG[1]), False),
            "oiv": ("oiv", proofs.public_key_b64(OIV[1]), False),
        }
        assert _in_parts(store, length, 3) is not None
        assert verify(store, processes=3) == verify(store, processes=1) and verify(store, processes=3).ok


@pytest.mark.parametrize("page", [5000, 5])
def test_rows_out_of_the_tables_order_are_read_in_sequence_order(
    store: Store, ledger_url: str, monkeypatch: pytest.MonkeyPatch, page: int
) -> None:
    monkeypatch.setattr("ledger.application.PAGE", page)  # 5: the moved event ends a page
    db = attacker(ledger_url)
    before = list(store.rows(chain=True))
    row = db.execute(db.q("SELECT originator_id, originator_version, topic, state FROM {events}"
                          " WHERE originator_version = 5"))[0]
    db.delete(5)  # and put back as it was: the row now lies last in the table
    db.execute(db.q("INSERT INTO {events} (originator_id, originator_version, topic, state)"
                    " VALUES (?, ?, ?, ?)"), tuple(row))
    assert list(store.rows(chain=True)) == before
    assert list(store.rows(3, 9)) == [row[:3] for row in before[3:9]]
    assert verify(store).ok


def test_an_event_slipped_in_before_the_tables_first_row_is_still_caught(tmp_path: Path) -> None:
    # No trigger stops an INSERT that picks its own rowid: a row placed before every other one must
    # still be read where its sequence number puts it, and reported.
    from ledger.sqlite_store import LEDGER_KEY

    with Store.open(str(tmp_path / "ledger.db"), create=True) as store:
        store.init("CCIAA Test", actor="cdg")
        store.append(submissions(small_plan()))
        last = store.length()
        db = raw(store.location)
        topic, state = db.execute("SELECT topic, state FROM stored_events WHERE originator_version = ?",
                                  (last,))[0]
        body = orjson.loads(state)
        body.update(seq=last + 1, id="forged", prev=hashlib.sha256(state).hexdigest())
        db.execute("INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state)"
                   " VALUES (0, ?, ?, ?, ?)", (LEDGER_KEY.hex, last + 1, topic, canonical(body)))
        assert [row[0] for row in store.rows()] == list(range(1, last + 2))
        report = verify(store)
        assert (not report.ok and report.bad_seq == last + 1
                and "behind the ledger's back" in str(report.problem))


def test_verify_in_parts_reports_an_actor_event_that_is_not_an_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ledger.verify.VERIFY_IN_PARTS", 2)
    with signed_ledger(tmp_path / "signed.db") as store:
        registered = store.find("reg-cdg")
        assert registered is not None
        attacker(store.location).set_state(registered.seq, b"[]")
        assert signers_upto(store, store.length()) is None
        report = verify(store, processes=3)
        assert report == verify(store, processes=1)
        assert not report.ok and report.bad_seq == registered.seq


@pytest.mark.parametrize("page", [2, 5000])
def test_reads_in_pages_give_every_row_in_order_across_gaps(
    store: Store, ledger_url: str, monkeypatch: pytest.MonkeyPatch, page: int
) -> None:
    monkeypatch.setattr("ledger.application.PAGE", page)  # 2: gaps span windows of sequence numbers
    db = attacker(ledger_url)
    for seq in (3, 4, 5, 7):
        db.delete(seq)
    stored = [(seq, topic, bytes(state)) for seq, topic, state in db.execute(
        db.q("SELECT originator_version, topic, state FROM {events} ORDER BY originator_version"))]
    assert [(seq, topic, bytes(state)) for seq, topic, state in store.rows()] == stored
    assert [row[0] for row in store.rows(1, 8)] == [2, 6, 8]
    topic = stored[-1][1]
    assert [(seq, topic, bytes(state)) for seq, topic, state in store.rows(topics=[topic])] == [
        row for row in stored if row[1] == topic]


def _part_that_cannot_open(location: str, *args: object) -> None:
    raise LedgerLocked(f"{location} is locked by another writer")


def test_a_part_that_cannot_run_gives_way_to_one_pass(
    ledger_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ledger.verify.VERIFY_IN_PARTS", 2)
    with Store.open(str(ledger_path), create=True) as store:
        store.init("CCIAA Test", actor="cdg")
        store.append(submissions(small_plan()))
        assert _in_parts(store, store.length(), 3) is not None
        monkeypatch.setattr("ledger.verify.check_part", _part_that_cannot_open)
        assert _in_parts(store, store.length(), 3) is None  # the parts gave way
        report = verify(store, processes=3)
        assert report.ok and report == verify(store, processes=1)
