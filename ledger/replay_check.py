"""The rules and the caches, checked again by replaying every event (``perfledger verify``).

The writer checks each event against the rules before it is written. Someone with the database in
hand can write around the writer; so ``replay`` folds the whole history into a fresh ``Book``,
asking of each event, before folding it, what the writer would have asked: its form, a new id,
recorded-at in order, and every rule of ``Book.check_rules``. In the same pass it rebuilds the
caches the writer keeps beside the events (read-model rows, budget checkpoints, snapshots of the
rules' state) and compares them with the stored ones, a window of events at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import orjson

from events import LedgerEvent, LedgerOpened, PerfledgerError, parse_submission
from events.base import forget_encodings
from ledger import rules
from ledger.application import Store
from ledger.book import Book
from ledger.budget_rollups import checkpoint_rows, quarter_month
from ledger.codec import decode
from ledger.errors import LedgerError, RuleViolation
from ledger.snapshots import SNAPSHOT_FORMAT, snapshot_state

WINDOW = 5000  # events whose cache rows are compared at once


@dataclass
class Replayed:
    """What a replay found: the first event breaking a rule, the first cache that differs, and counts."""

    count: int = 0
    signatures: int = 0
    migrated: int | None = None
    rule_problem: str | None = None
    rule_seq: int | None = None
    cache_problem: str | None = None
    cache_seq: int | None = None
    caches: str = "none kept"


def replay(store: Store, progress: Callable[[int], None] | None = None) -> Replayed:
    """Replay every event of ``store`` through the rules, rebuilding and comparing its caches;
    ``progress`` is told the sequence number of each event as it is read."""
    found = Replayed()
    book = Book()
    caches = CacheCheck(store) if store.recorder.derived_upto() is not None else None
    if caches is not None:
        book.record_derived(0)
    last: datetime | None = None
    now = datetime.now(UTC)
    for seq, topic, state in store.rows():
        if progress is not None:
            progress(seq)
        try:
            event = decode(seq, topic, state)
        except LedgerError as e:  # written around the writer: named, and passed over
            if found.rule_problem is None:
                found.rule_problem = f"event {seq} is not an event perfledger can read: {e}"
                found.rule_seq = seq
            found.count = seq
            continue
        if found.rule_problem is None:
            problem = rule_broken(book, event, last, now)
            if problem is not None:
                found.rule_problem, found.rule_seq = problem, event.seq
        book.apply(event)
        found.count = event.seq
        found.signatures += event.signature is not None
        last = event.recorded_at if last is None else max(last, event.recorded_at)
        if caches is not None:
            caches.after(event, book)
        forget_encodings(event)
    found.migrated = book.migrated
    if caches is not None:
        caches.finish(found.count)
        found.cache_problem, found.cache_seq, found.caches = (
            caches.problem, caches.problem_seq, caches.summary()
        )
    return found


def rule_broken(book: Book, event: LedgerEvent, last: datetime | None, now: datetime) -> str | None:
    """What the writer would have refused of ``event`` on this ``book`` (None: nothing)."""
    seq = event.seq
    if seq == 1:
        return None if isinstance(event, LedgerOpened) else f"event 1 is {event.TYPE}, not LedgerOpened"
    where = f"event {seq} {event.TYPE} {event.event_id!r}"
    earlier = book.recorded.get(event.event_id)
    if earlier is not None:
        return f"{where} reuses the id of event {earlier.seq} (ids are unique)"
    if last is not None and event.recorded_at < last:
        return (
            f"{where} is recorded at {event.recorded_at.isoformat()},"
            f" before the event before it ({last.isoformat()})"
        )
    if event.recorded_at > now:
        return (
            f"{where} is recorded at {event.recorded_at.isoformat()},"
            " after this check ran: a clock ran ahead"
        )
    form = form_broken(event)
    if form is not None:
        return f"{where} is not as perfledger writes it: {form}"
    book.opening = seq == 2  # a signed ledger's first controller is event 2 (ledger.signers)
    try:
        rules.check_rules(book, event)
    except RuleViolation as e:
        return f"{where} breaks a rule: {e.message}"
    finally:
        book.opening = False
    return None


def form_broken(event: LedgerEvent) -> str | None:
    """Does the stored content parse as a submission to exactly itself? (NFC, kinds, bounds)"""
    try:
        submission = parse_submission(event.content(), stored=True)
    except PerfledgerError as e:
        return e.message
    if submission.content_bytes != event.content_bytes:
        return (
            "its content is not in the normal form the parser gives (e.g. Unicode NFC, amounts to the cent)"
        )
    return None


class CacheCheck:
    """The caches of one store rebuilt from the replay's book and compared, a window of events at a time."""

    TABLES: ClassVar[dict[str, str]] = {
        "perfledger_budget": (
            "SELECT seq, item, col, day, cents FROM perfledger_budget WHERE seq > ? AND seq <= ?"
        ),
        "perfledger_labels": (
            "SELECT seq, origin, kind, code, day, year, line, objective, title FROM perfledger_labels"
            " WHERE seq > ? AND seq <= ?"
        ),
        "perfledger_ids": (
            "SELECT seq, event_id, corrects, reservation FROM perfledger_ids WHERE seq > ? AND seq <= ?"
        ),
    }

    def __init__(self, store: Store):
        self.store = store
        self.upto = store.recorder.derived_upto() or 0  # how far the stored read model says it reaches
        query = store.recorder.query
        self.snapshots = {int(seq): (str(digest), bytes(state)) for seq, digest, state in
                          query("SELECT seq, hash, state FROM perfledger_snapshots", ())}
        self.checkpoints = {
            int(n) for (n,) in query("SELECT DISTINCT n FROM perfledger_budget_checkpoints", ())
        }
        self.built: dict[str, list[tuple[Any, ...]]] = {table: [] for table in self.TABLES}
        self.amounts: dict[tuple[str, str], dict[str, int]] = {}  # each item's column, by quarter-month
        self.after_seq = 0  # the windows compared so far end here
        self.problem: str | None = None
        self.problem_seq: int | None = None

    def after(self, event: LedgerEvent, book: Book) -> None:
        """Take the rows the book derived from ``event``; compare what is due at its sequence number."""
        if self.problem is not None or book.derived is None:
            return
        budget, labels, ids = book.derived.drain()
        for seq, item, column, day, cents in budget:
            bucket = self.amounts.setdefault((item, column), {})
            bound = quarter_month(day)
            bucket[bound] = bucket.get(bound, 0) + cents
        self.built["perfledger_budget"] += budget
        self.built["perfledger_labels"] += labels
        self.built["perfledger_ids"] += [(seq, event_id, corrects, reservation)
                                         for event_id, seq, corrects, reservation in ids]
        seq = event.seq
        if seq % WINDOW == 0 or seq in self.checkpoints or seq in self.snapshots:
            self._compare_window(seq)
        if seq in self.checkpoints and self.problem is None:
            self._compare_checkpoint(seq)
        if seq in self.snapshots and self.problem is None:
            self._compare_snapshot(event, book)

    def finish(self, head: int) -> None:
        """The last window, and any cache row beyond the head (which no event could have made)."""
        if self.problem is not None:
            return
        self._compare_window(head)
        beyond = [seq for seq in [*self.snapshots, *self.checkpoints] if seq > head]
        if self.problem is None and (beyond or self.upto > head):
            self._differs(
                min([*beyond, self.upto]),
                f"the caches reach event {max([*beyond, self.upto])}, beyond the ledger's {head} events",
            )
        if self.problem is None:
            for table, statement in self.TABLES.items():
                if self.store.recorder.query(statement, (head, 2**62)):
                    self._differs(head + 1, f"{table} holds rows of events after the head ({head})")
                    break

    def summary(self) -> str:
        return (f"read model of events 1-{self.upto}, {len(self.snapshots)} snapshot(s) and"
                f" {len(self.checkpoints)} budget checkpoint(s) rebuilt from the events: equal")

    def _compare_window(self, seq: int) -> None:
        low, self.after_seq = self.after_seq, seq
        for table, statement in self.TABLES.items():
            # Only ids hold NULLs (None sorts with nothing).
            key = _sortable if table == "perfledger_ids" else None
            built = sorted((row for row in self.built[table] if row[0] <= self.upto), key=key)
            stored = sorted(
                (_plain(row) for row in self.store.recorder.query(statement, (low, seq))), key=key
            )
            self.built[table] = []
            if built != stored:
                first = next((b, s) for b, s in zip([*built, None], [*stored, None]) if b != s)
                where = (first[0] or first[1] or (seq,))[0]
                self._differs(int(where), f"{table} differs from the events at event {where}: stored"
                              f" {first[1]}, rebuilt {first[0]}")
                return

    def _compare_checkpoint(self, n: int) -> None:
        query = self.store.recorder.query
        stored = [
            _plain(row)
            for row in query(
                "SELECT n, upto, item, col, cents FROM perfledger_budget_checkpoints"
                " WHERE n = ? ORDER BY upto, item, col",
                (n,),
            )
        ]
        if stored != checkpoint_rows(n, self.amounts):
            self._differs(
                n, f"the budget checkpoint at event {n} differs from the sums of the events before it"
            )

    def _compare_snapshot(self, event: LedgerEvent, book: Book) -> None:
        digest, state = self.snapshots[event.seq]
        rebuilt = orjson.loads(snapshot_state(book))
        try:
            stored = orjson.loads(state)
            # A snapshot of an earlier format is a cache the loader passes over, not a wrong one.
            sound = digest == event.hash and (stored == rebuilt or earlier_format(stored))
        except orjson.JSONDecodeError:
            sound = False
        if not sound:
            self._differs(
                event.seq,
                f"the snapshot at event {event.seq} is not the rules' state rebuilt from the events",
            )

    def _differs(self, seq: int, problem: str) -> None:
        self.problem, self.problem_seq = problem, seq


def earlier_format(stored: Any) -> bool:
    found = stored.get("format") if isinstance(stored, dict) else None
    return isinstance(found, int) and not isinstance(found, bool) and 1 <= found < SNAPSHOT_FORMAT


def _plain(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A stored row as the writer made it (PostgreSQL returns bigints and texts alike as Python's)."""
    return tuple(int(v) if isinstance(v, int) else v for v in row)


def _sortable(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple("" if v is None else str(v) if not isinstance(v, int) else f"{v:020d}" for v in row)
