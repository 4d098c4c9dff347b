"""The budget read model: rows the writer derives from the events, a cache that must agree with a replay.

Random ledgers (hypothesis) are written to a real store in a few appends, then
every figure of the budget table read from the model is compared with the
replay of the events, at random effective dates and sequence numbers.
Dropping the model, or letting it fall behind, changes no figure.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import parse_submission
from ledger import Store
from ledger.aggregate import Ledger
from ledger.errors import ApprovalExceedsReservation, IdConflict, OverReservation, RuleViolation
from ledger.verify import verify
from projections.budget import COLUMNS, Budget, budget, budget_of, model_budget
from projections.facts import Cut, NoPlan
from tests.backends import raw
from tests.conftest import ev, small_plan, submissions

NOW = datetime(2013, 1, 1, tzinfo=UTC)
START = date(2012, 1, 1)
day = st.integers(0, 360).map(lambda n: (START + timedelta(days=n)).isoformat())
money = st.integers(1, 800_000).map(lambda c: f"{Decimal(c) / 100:.2f}")
KINDS = ("reserve", "approve", "vary", "adjust", "correct", "open", "relabel", "again", "opened")
op = st.tuples(st.sampled_from(KINDS), st.integers(0, 60), money, st.booleans(), day)


def history(ops: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The small plan and the ops the rules accept, as a controller would submit them."""
    ledger = Ledger.open(entity="Test", actor="cdg", note="", now=NOW)
    accepted = small_plan()
    ledger.extend(submissions(accepted), now=NOW)

    def accept(obj: dict[str, Any]) -> bool:
        try:
            new = ledger.extend([parse_submission(obj)], now=NOW)
        except RuleViolation:
            return False
        if new[0]:  # not a repeat of an event already there
            accepted.append(obj)
        return new[0]

    submit(ops, accept)
    return accepted


def submit(ops: list[tuple[Any, ...]], accept: Callable[[dict[str, Any]], bool]) -> None:
    """Turn each op into an event on what was accepted so far, and offer it to ``accept``."""
    items = ["A1/04/01", "A1/04/02"]
    openings = ["item-1", "item-2"]
    reservations: list[str] = []
    amounts: list[str] = []  # ids of facts with an amount, for corrections
    offered: list[dict[str, Any]] = []
    for n, (kind, target, amount, flag, when) in enumerate(ops):
        eid = f"e{n}"
        if kind == "again" and offered:  # the same event again (a no-op), or its id with other content
            obj = dict(offered[target % len(offered)], **({"note": "altro"} if flag else {}))
        elif kind == "opened":  # the id of the ledger's first event, taken by another event
            obj = ev("BudgetVaried", "ledger-opened", when, item=items[0], amount=amount)
        elif kind == "open":
            code = f"A1/08/{n}"
            obj = ev("BudgetItemOpened", eid, when, item=code, line="A1", objective="08",
                     product=f"Prodotto {n}", amount=amount)
        elif kind == "vary":
            obj = ev("BudgetVaried", eid, when, item=items[target % len(items)],
                     amount=("-" if flag else "") + amount)
        elif kind == "reserve":
            obj = ev("ReservationMade", eid, when, reservation=eid, item=items[target % len(items)],
                     amount=amount)
        elif kind in ("approve", "adjust") and reservations:
            res = reservations[target % len(reservations)]
            if kind == "approve":
                obj = ev("ReservationApproved", eid, when, reservation=res, amount=amount)
            else:
                obj = ev("ReservationAdjusted", eid, when, reservation=res,
                         amount=("-" if flag else "") + amount)
        elif kind == "correct" and amounts:
            obj = ev("EventCorrected", eid, when, corrects=amounts[target % len(amounts)], reason="rettifica",
                     changes={"amount": amount})
        elif kind == "relabel":
            which = ["obj-04", "obj-08", "line-A1", *openings][target % (3 + len(openings))]
            field = "product" if which in openings else "title"
            obj = ev("EventCorrected", eid, when, corrects=which, reason="titolo",
                     changes={field: f"Titolo {n}"})
        else:
            continue
        offered.append(obj)
        if not accept(obj) or kind == "again":
            continue
        if kind == "open":
            items.append(obj["item"])
            openings.append(eid)
        if kind == "reserve":
            reservations.append(eid)
        if kind in ("open", "vary", "reserve", "approve", "adjust"):
            amounts.append(eid)


def figures(table: Budget) -> list[tuple[Any, ...]]:
    """Everything the budget table shows, in its order."""
    rows = [
        (r.item, r.line, r.objective, r.product, *(r.amounts.get(c) for c in COLUMNS)) for r in table.rows
    ]
    groups = [
        (g.key, g.title, *(g.amounts.get(c) for c in COLUMNS)) for g in (*table.objectives, *table.lines)
    ]
    return [*rows, *groups, tuple(table.total.amounts.get(c) for c in COLUMNS)]


def write(path: Path, objs: list[dict[str, Any]], splits: list[int]) -> Store:
    store = Store.open(str(path), create=True)
    store.init("Test", actor="cdg")
    start = 0
    for end in sorted({*splits, len(objs)}):
        store.append(submissions(objs[start:end]), now=NOW)
        start = end
    return store


def model_or_replay(store: Store, cut: Cut) -> list[tuple[Any, ...]] | str:
    model = store.budget_model(cut.known_at, cut.as_of)  # type: ignore[arg-type]
    assert model is not None, "the read model should answer"
    try:
        return figures(model_budget(store, model, cut, None))
    except NoPlan as e:
        return str(e)


def replayed(store: Store, cut: Cut) -> list[tuple[Any, ...]] | str:
    try:
        return figures(budget(store.events(), cut))
    except NoPlan as e:
        return str(e)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op, min_size=10, max_size=40), splits=st.lists(st.integers(0, 40), max_size=3),
       cuts=st.lists(
           st.tuples(st.integers(0, 60), st.integers(-1, 0), st.one_of(st.none(), st.integers(1, 50))),
           min_size=1, max_size=8,
       ))
def test_the_read_model_gives_the_replays_figures_at_every_cut(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[Any, ...]], splits: list[int],
    cuts: list[tuple[int, int, int | None]],
) -> None:
    from ledger import application

    objs = history(ops)
    # Cut on the days the facts fall on, and the day before: where a fact starts to count.
    days = sorted({date.fromisoformat(o["effective_date"]) for o in objs})
    every, application.CHECKPOINT_EVERY = application.CHECKPOINT_EVERY, 7  # checkpoints at most writes
    try:
        store = write(tmp_path_factory.mktemp("model") / "ledger.db", objs, splits)
    finally:
        application.CHECKPOINT_EVERY = every
    with store:
        for pick, offset, known_at in cuts:
            as_of = None if pick == 0 else days[pick % len(days)] + timedelta(days=offset)
            cut = Cut(as_of, known_at)
            assert model_or_replay(store, cut) == replayed(store, cut), cut


def test_the_read_model_answers_for_the_2012_example_as_the_replay_does(store_2012: str) -> None:
    with Store.open(store_2012) as store:
        for cut in (Cut(), Cut(date(2012, 8, 31)), Cut(date(2012, 4, 30), 200), Cut(known_at=150)):
            assert model_or_replay(store, cut) == replayed(store, cut)


def test_dropping_the_read_model_changes_no_figure_and_writes_go_on(store_2012: str) -> None:
    cuts = (Cut(), Cut(date(2012, 8, 31)), Cut(known_at=300))
    with Store.open(store_2012) as store:
        before = [figures(budget_of(store, cut)) for cut in cuts]
    db = raw(store_2012)
    for table in ("perfledger_budget", "perfledger_labels", "perfledger_ids", "perfledger_snapshots",
                  "perfledger_derived"):
        db.execute(f"DROP TABLE {table}")
    with Store.open(store_2012) as store:
        assert store.budget_model(None, None) is None  # no model: budget_of replays
        assert [figures(budget_of(store, cut)) for cut in cuts] == before
        store.append(submissions([ev("BudgetVaried", "late", "2012-12-20", item="A1/04/10", amount="1.00")]))
        assert store.budget_model(None, None) is None


def test_a_read_model_left_behind_is_not_used_and_the_next_write_brings_it_up(store_2012: str) -> None:
    db = raw(store_2012)
    # Past perfledger_reset_read_model, which empties a partly deleted model.
    if store_2012.startswith("postgresql://"):
        db.execute("SET session_replication_role = replica")
    db.execute("DELETE FROM perfledger_derived")  # as if an older perfledger had written the events
    for table in ("perfledger_budget", "perfledger_labels", "perfledger_ids", "perfledger_snapshots"):
        db.execute(f"DELETE FROM {table} WHERE seq > 200")
    db.execute("INSERT INTO perfledger_derived VALUES (200)")
    with Store.open(store_2012) as store:
        assert store.budget_model(None, None) is None
        assert store.budget_model(150, None) is not None  # what it holds still answers
        store.append(submissions([ev("BudgetVaried", "late", "2012-12-20", item="A1/04/10", amount="1.00")]))
        assert model_or_replay(store, Cut()) == replayed(store, Cut())
        assert model_or_replay(store, Cut(date(2012, 6, 30))) == replayed(store, Cut(date(2012, 6, 30)))


@pytest.fixture
def store_2012(ledger_url: str) -> str:
    """The 2012 example, on each store."""
    from cli.write import read_batch
    from tests.conftest import EXAMPLE_DIR

    with (EXAMPLE_DIR / "events.jsonl").open(encoding="utf-8") as stream:
        batch, _ = read_batch(stream, backfill=True, actor=None)
    with Store.open(ledger_url, create=True) as store:
        store.append(batch, create=("CCIAA", "cdg"))
    return ledger_url


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op, min_size=10, max_size=40))
def test_appends_on_a_snapshot_decide_and_write_exactly_as_appends_on_a_full_replay(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[Any, ...]]
) -> None:
    # One ledger snapshots the rules' state every 3 events, so most checks look events up in the
    # store; the other never does, so every check folds the whole log. One event at a time, both
    # must accept and refuse the same events, for the same reasons, and store the same bytes.
    from ledger import application

    folder = tmp_path_factory.mktemp("snapshots")
    stores = {}
    for name in ("snapshots", "replay"):
        stores[name] = Store.open(str(folder / f"{name}.db"), create=True)
        stores[name].append(submissions(small_plan()), now=NOW, create=("Test", "cdg"))

    def outcome(store: Store, every: int, obj: dict[str, Any]) -> str:
        application.SNAPSHOT_EVERY = every
        try:
            result = store.append([parse_submission(obj)], now=NOW)
        except RuleViolation as e:
            return f"{type(e).__name__}: {e}"
        return "present" if result.present else "written"

    def accept(obj: dict[str, Any]) -> bool:
        first = outcome(stores["snapshots"], 3, obj)
        assert outcome(stores["replay"], 10**9, obj) == first, obj
        return first == "written"

    try:
        submit(ops, accept)
        snapshots, replay = (list(stores[n].rows()) for n in ("snapshots", "replay"))
        assert snapshots == replay
        taken = raw(str(folder / "snapshots.db")).execute("SELECT COUNT(*) FROM perfledger_snapshots")[0][0]
        assert taken >= (len(snapshots) - 10) // 3 - 1  # the snapshots were taken, and used
        assert raw(str(folder / "replay.db")).execute("SELECT COUNT(*) FROM perfledger_snapshots")[0][0] == 0
    finally:
        application.SNAPSHOT_EVERY = 10_000
        for store in stores.values():
            store.close()


def test_a_check_after_a_snapshot_sees_corrections_made_before_it(ledger_url: str) -> None:
    from ledger import application

    application.SNAPSHOT_EVERY = 1  # a snapshot after every write: every later check looks things up
    try:
        with Store.open(ledger_url, create=True) as store:
            store.append(submissions(small_plan()), create=("Test", "cdg"))
            store.append(submissions([
                ev("ReservationMade", "r1", reservation="r1", item="A1/04/01", amount="100.00")
            ]))
            store.append(submissions([
                ev("EventCorrected", "c1", corrects="r1", reason="meno", changes={"amount": "50.00"})
            ]))
            store.append(submissions([
                ev("EventCorrected", "c2", corrects="r1", reason="meno", changes={"amount": "40.00"})
            ]))
            with pytest.raises(ApprovalExceedsReservation, match="40,00"):
                store.append(submissions([ev("ReservationApproved", "a1", reservation="r1", amount="45.00")]))
            store.append(submissions([ev("ReservationApproved", "a2", reservation="r1", amount="40.00")]))
            # The same event again is a no-op; its id with other content is refused.
            assert store.append(
                submissions([ev("ReservationApproved", "a2", reservation="r1", amount="40.00")])
            ).present
            with pytest.raises(IdConflict):
                store.append(submissions([ev("ReservationApproved", "a2", reservation="r1", amount="39.00")]))
            with pytest.raises(IdConflict):  # the ledger's own first event is looked up too
                store.append(
                    submissions([ev("BudgetVaried", "ledger-opened", item="A1/04/01", amount="1.00")])
                )
            snapshots = raw(ledger_url).execute("SELECT COUNT(*) FROM perfledger_snapshots")[0][0]
            assert snapshots >= 4
            assert verify(store).ok
    finally:
        application.SNAPSHOT_EVERY = 10_000


@pytest.mark.parametrize("cut", [
    [], ["--as-of", "2012-08-31"], ["--as-of", "2012-08-31", "--known-at", "2012-09-15"],
    ["--known-at", "250"],
])
def test_report_from_the_read_model_and_the_plan_facts_equals_the_report_from_every_event(
    store_2012: str, cut: list[str]
) -> None:
    # `report` reads the budget's read model and replays only the facts achievement and variations
    # read; the bundle check (verify --expect) replays every event. Both must print the same figures.
    from click.testing import CliRunner

    from cli.main import main
    from cli.options import parse_known_at
    from cli.output import to_json
    from cli.views import report_data

    printed = CliRunner().invoke(main, ["--ledger", store_2012, "report", "--format", "json", *cut])
    assert printed.exit_code == 0, printed.output
    as_of = date.fromisoformat(cut[1]) if cut[:1] == ["--as-of"] else None
    known_at = parse_known_at(None, None, cut[-1]) if "--known-at" in cut else None
    with Store.open(store_2012) as store:
        replayed_report = to_json(report_data(list(store.events()), Cut(as_of, known_at), None))
    assert printed.output.strip() == replayed_report.strip()


def test_a_snapshot_that_does_not_match_the_chain_is_not_used(ledger_url: str) -> None:
    from ledger import application

    application.SNAPSHOT_EVERY = 1
    try:
        with Store.open(ledger_url, create=True) as store:
            store.append(submissions(small_plan()), create=("Test", "cdg"))
            store.append(submissions([
                ev("ReservationMade", "r1", reservation="r1", item="A1/04/01", amount="100.00")
            ]))
        # A snapshot claiming a state the chain never reached: 10,000,000.00 available on the item.
        db = raw(ledger_url)
        seq, state = db.execute("SELECT seq, state FROM perfledger_snapshots ORDER BY seq DESC LIMIT 1")[0]
        forged = bytes(state).replace(b'"10000.00"', b'"10000000.00"')
        assert forged != bytes(state)
        db.execute(db.q("DELETE FROM perfledger_snapshots WHERE seq = ?"), (seq,))
        db.execute(db.q("INSERT INTO perfledger_snapshots VALUES (?, ?, ?)"), (seq, "0" * 64, forged))
        with Store.open(ledger_url) as store, pytest.raises(OverReservation):
            store.append(submissions([ev("ReservationMade", "r2", reservation="r2", item="A1/04/01",
                                         amount="50000.00")]))
    finally:
        application.SNAPSHOT_EVERY = 10_000


def test_a_writer_on_a_snapshot_does_not_see_what_another_writer_commits_before_it_writes(
    ledger_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Writer A loads the ledger (from a snapshot); writer B then appends an approval and its correction;
    # A's batch is checked on what A loaded, loses the race on the key, and is checked again on B's head.
    from ledger import application

    monkeypatch.setattr(application, "SNAPSHOT_EVERY", 1)
    with Store.open(ledger_url, create=True) as store:
        store.append(submissions(small_plan()), create=("Test", "cdg"))
        store.append(submissions([
            ev("ReservationMade", "r1", reservation="r1", item="A1/04/01", amount="100.00")
        ]))
    writer_a, writer_b = Store.open(ledger_url), Store.open(ledger_url)
    load = Store._load
    raced: list[bool] = []

    def load_then_b_appends(self: Store, **kwargs: Any) -> Any:
        ledger = load(self, **kwargs)
        if self is writer_a and not raced:
            raced.append(True)
            writer_b.append(submissions([ev("ReservationApproved", "b1", reservation="r1", amount="100.00")]))
            writer_b.append(submissions([ev("EventCorrected", "b2", corrects="b1", reason="meno",
                                            changes={"amount": "10.00"})]))
        return ledger

    monkeypatch.setattr(Store, "_load", load_then_b_appends)
    try:
        result = writer_a.append(submissions([
            ev("BudgetVaried", "a1", item="A1/04/01", amount="1.00"),
            ev("ReservationApproved", "a2", reservation="r1", amount="80.00"),
        ]))
        assert raced and [w.event_id for w in result.written] == ["a1", "a2"]
        assert [e.event_id for e in writer_a.events()][-4:] == ["b1", "b2", "a1", "a2"]
        assert verify(writer_a).ok
    finally:
        writer_a.close()
        writer_b.close()


def test_dropping_the_budget_checkpoints_changes_no_figure(
    ledger_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli.write import read_batch
    from ledger import application
    from tests.conftest import EXAMPLE_DIR

    monkeypatch.setattr(application, "CHECKPOINT_EVERY", 50)  # the 2012 example passes 50 seven times
    monkeypatch.setattr(application, "PAGE", 20)  # checkpoints are taken between pages
    with (EXAMPLE_DIR / "events.jsonl").open(encoding="utf-8") as stream:
        batch, _ = read_batch(stream, backfill=True, actor=None)
    cuts = [
        Cut(), Cut(date(2012, 8, 31)), Cut(date(2012, 4, 30), 120), Cut(date(2012, 12, 31), 349),
        Cut(known_at=51),
    ]
    with Store.open(ledger_url, create=True) as store:
        store.append(batch, create=("CCIAA", "cdg"))
        checkpoints = raw(ledger_url).execute(
            "SELECT COUNT(DISTINCT n) FROM perfledger_budget_checkpoints"
        )[0][0]
        assert checkpoints >= 5  # every 50 events once an item holds money (7 for the example of 515)
        with_them = [figures(budget_of(store, cut)) for cut in cuts]
        raw(ledger_url).execute("DELETE FROM perfledger_budget_checkpoints")
        assert [figures(budget_of(store, cut)) for cut in cuts] == with_them
        assert with_them == [figures(budget(store.events(), cut)) for cut in cuts]
