"""The ledger application: open a store, append checked facts, read and verify the chain."""

from __future__ import annotations

import getpass
import hashlib
import os
import random
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple, Protocol, Self
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import orjson
from eventsourcing.application import Application
from eventsourcing.persistence import (
    IntegrityError,
    Mapper,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.utils import Environment, get_topic

from events import (
    GENESIS,
    EventCorrected,
    HistoryMigrated,
    LedgerEvent,
    Submission,
    dumps,
    parse_submission,
)
from events.base import forget_encodings
from events.parse import ALL_TYPES
from ledger import proofs
from ledger.aggregate import LEDGER_ID, Ledger, utcnow
from ledger.book import Book
from ledger.errors import (
    BackfillRefused,
    LedgerConflict,
    LedgerError,
    LedgerExists,
    LedgerLocked,
    LedgerNotFound,
    SchemaTooNew,
    SchemaTooOld,
    StoreMisconfigured,
)
from ledger.interrupts import CommitGuard
from ledger.location import DEFAULT_LEDGER, is_postgres, sqlite_path
from ledger.sqlite_store import LABELS, SUMS_SINCE, Page

PAGE = 5000
SNAPSHOT_EVERY = 10_000  # events between snapshots of the rules' state
CHECKPOINT_EVERY = 50_000  # a checkpoint of the budget each time the head passes a multiple of this
SNAPSHOT_FORMAT = 1
SNAPSHOT_TRIES = 3  # the latest snapshots tried, newest first, before folding every event
ATTEMPTS = 50
BACKOFF = 0.01  # seconds: a retry waits up to this times its attempt number
VERIFY_IN_PARTS = 100_000  # from this many events, verify checks the chain in parts, one process each
_TOPICS = {get_topic(cls): cls for cls in ALL_TYPES.values()}


class CanonicalMapper(Mapper[UUID]):
    """Stores each event as its canonical bytes, so what is hashed is exactly what is stored."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(domain_event)),
            state=domain_event.canonical_bytes,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return decode(stored_event.originator_version, stored_event.topic, stored_event.state)


def decode(seq: int, topic: str, state: bytes) -> LedgerEvent:
    """Rebuild a stored event, refusing one whose type column disagrees with its hashed body."""
    cls = _TOPICS.get(topic)
    if cls is None:
        raise LedgerError(f"event {seq} has unknown type {topic!r}")
    try:
        event = decode_body(state, keep=True)
    except LedgerError:
        event = None
    if type(event) is not cls:
        found = event.TYPE if event is not None else "something else"
        raise LedgerError(f"event {seq} is stored as {cls.TYPE} but its hashed body says {found!r}")
    return event


def decode_body(state: bytes, originator_id: UUID = LEDGER_ID, *, keep: bool = False) -> LedgerEvent:
    """An event's canonical bytes as a typed event: the type and version are the hashed body's own.

    ``keep`` says the bytes are a stored event's, so they are its canonical bytes as they are.
    """
    body = orjson.loads(state)
    cls = ALL_TYPES.get(str(body.get("type"))) if isinstance(body, dict) else None
    if cls is None or body.get("v") != cls.class_version:
        raise LedgerError(f"unknown event type or version in {bytes(state)[:60]!r}")
    return cls.from_body(body, originator_id, bytes(state) if keep else None)


class LedgerApplication(Application[UUID]):
    name = "perfledger"

    def construct_env(self, name: str, env: Any = None) -> Environment:
        # Only the settings perfledger builds: eventsourcing would also read os.environ,
        # where a stray POSTGRES_* or PERFLEDGER_* variable could change how events are stored.
        return Environment(name, dict(env or {}))

    def construct_mapper(self) -> Mapper[UUID]:
        return CanonicalMapper(transcoder=self.construct_transcoder())


def decode_body_dict(body: dict[str, Any]) -> LedgerEvent:
    """A canonical body, already parsed, as a typed event."""
    cls = ALL_TYPES[str(body["type"])]
    return cls.from_body(body, LEDGER_ID)


class StoreLookup:
    """What a book restored from a snapshot looks up in the store (ledger.book.Lookup)."""

    def __init__(self, store: Store):
        self.recorder = store.recorder

    def _events(self, where: str, params: Sequence[Any]) -> list[LedgerEvent]:
        rows = self.recorder.query(
            "SELECT e.originator_version, e.topic, e.state FROM perfledger_ids i JOIN {events} e"
            " ON e.originator_id = {ledger} AND e.originator_version = i.seq WHERE " + where + " ORDER BY i.seq",
            params,
        )
        return [decode(seq, topic, bytes(state)) for seq, topic, state in rows]

    def recorded(self, event_ids: Sequence[str], upto: int) -> dict[str, LedgerEvent]:
        found: dict[str, LedgerEvent] = {}
        for start in range(0, len(event_ids), 500):
            chunk = list(event_ids[start : start + 500])
            marks = ", ".join("?" * len(chunk))
            for event in self._events(f"i.event_id IN ({marks}) AND i.seq <= ?", [*chunk, upto]):
                found[event.event_id] = event
        return found

    def corrections(self, event_id: str, upto: int) -> list[EventCorrected]:
        return self._events("i.corrects = ? AND i.seq <= ?", (event_id, upto))  # type: ignore[return-value]

    def reservation_facts(self, reservation: str, upto: int) -> list[str]:
        rows = self.recorder.query(
            "SELECT event_id FROM perfledger_ids WHERE reservation = ? AND corrects IS NULL AND seq <= ? ORDER BY seq",
            (reservation, upto),
        )
        return [row[0] for row in rows]


class Written(NamedTuple):
    """An event an append wrote: enough to report it, without holding the event."""

    seq: int
    event_id: str
    type: str
    hash: str


@dataclass(frozen=True)
class AppendResult:
    """What an append or import did: the events written, and the ids already present."""

    written: list[Written]
    present: list[str]


class Writer(Protocol):
    """One write transaction of a store: the head it found under the lock, its clock, and pages."""

    head: tuple[int, str] | None  # (seq, hash) read under the writers' lock; None: the key catches a moved head
    now: datetime  # the store's clock
    server_clock: bool  # True: the store's clock stands whatever a caller asks
    caches: bool  # may this writer write the read model, checkpoints and snapshots?

    def write(self, page: Page) -> None: ...

    def clear_caches(self) -> None: ...


class LedgerRecorder(Protocol):
    """What the ledger needs of a store's recorder, beyond eventsourcing's (SQLite and PostgreSQL)."""

    def select_events(
        self, originator_id: UUID, *, gt: int | None = None, lte: int | None = None, desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]: ...

    def rows(
        self, after: int, limit: int, *, chain: bool = False, topics: Sequence[str] = ()
    ) -> list[tuple[Any, ...]]: ...

    def insert_pages(self, pages: Iterable[Page]) -> None: ...

    def writer(self) -> AbstractContextManager[Writer]: ...

    def derived_upto(self) -> int | None: ...

    def query(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]: ...

    def pragmas(self) -> dict[str, Any]: ...

    def chain_hashes(self, after: int, upto: int) -> dict[int, str]: ...

    def chain_length(self) -> int: ...

    def schema_version(self) -> int | None: ...

    SCHEMA_VERSION: int


def not_a_ledger(path: Path) -> LedgerNotFound:
    """Why an existing file is refused as a ledger: it is never taken over, nor changed."""
    try:
        with path.open("rb") as file:
            header = file.read(16)
    except OSError:
        header = b""
    if header == b"SQLite format 3\x00":
        return LedgerNotFound(f"{path} is a SQLite database but not a perfledger ledger; nothing was changed")
    if not header:
        return LedgerNotFound(f"{path} is an empty file, not a perfledger ledger; remove it or choose another path")
    return LedgerNotFound(f"{path} is not a perfledger ledger, nor a SQLite database; nothing was changed")


def is_sqlite_ledger(path: Path) -> bool:
    """Does the file hold a perfledger ledger? Asked without changing it (eventsourcing would switch it to WAL)."""
    try:
        with path.open("rb") as file:
            if file.read(16) != b"SQLite format 3\x00":
                return False
        db = sqlite3.connect(str(path))
        try:
            return db.execute("SELECT 1 FROM sqlite_master WHERE name='perfledger_meta'").fetchone() is not None
        finally:
            db.close()
    except sqlite3.DatabaseError as e:
        if "not a database" in str(e):
            return False
        raise LedgerError(f"cannot open {path}: {e} (is its directory read-only?)") from None


class Store:
    """A ledger on disk. Open with ``Store.open(location)``; close when done."""

    def __init__(self, app: LedgerApplication, location: str):
        self.app = app
        self.location = location
        self._snapshot_seq = 0  # the latest snapshot's, as the last load found it
        self._checkpoint_seq = 0  # the latest budget checkpoint's, likewise
        self.recorder: LedgerRecorder = app.recorder  # type: ignore[assignment]
        self.schema_version = 0  # as read by _check_settings

    # -- opening -------------------------------------------------------------
    @classmethod
    def open(cls, location: str | None = None, *, create: bool = False) -> Store:
        """Open the ledger at ``location``; ``create`` makes its file or tables.

        ``location`` is a file path, ``sqlite:///PATH`` or a PostgreSQL URL
        ``postgresql://USER@HOST:PORT/DBNAME[?schema=NAME]``; the password never goes in
        the URL: libpq takes it from ``PGPASSWORD`` or ``~/.pgpass``.
        """
        location = location or os.environ.get("PERFLEDGER_LEDGER") or DEFAULT_LEDGER
        lock_timeout = os.environ.get("PERFLEDGER_LOCK_TIMEOUT", "10")
        if is_postgres(location):
            env, shown = postgres_env(location, lock_timeout), location
        else:
            path = sqlite_path(location)
            shown = str(path)
            if not create and not path.exists():
                raise LedgerNotFound(f"no ledger at {path}; create one with `perfledger init`")
            if path.is_dir():
                raise LedgerError(f"{path} is a directory, not a ledger file")
            if path.exists() and (path.stat().st_size > 0 or not create) and not is_sqlite_ledger(path):
                raise not_a_ledger(path)  # create=True makes a new file, or fills an empty one: never another's
            env = {
                "PERSISTENCE_MODULE": "ledger.sqlite_store:LedgerSQLiteFactory",
                "SQLITE_DBNAME": str(path),
                "SQLITE_LOCK_TIMEOUT": lock_timeout,
            }
        env["CREATE_TABLE"] = "y" if create else "n"
        try:
            store = cls(LedgerApplication(env=env), shown)
            store._check_settings()
        except Exception as e:
            if not is_driver_error(e):
                raise
            raise _store_error(e, shown) from None
        return store

    def _check_settings(self) -> None:
        try:
            version = self.recorder.schema_version()
        except Exception as e:
            if not is_driver_error(e):
                raise
            error = _store_error(e, self.location)
            if isinstance(error, LedgerNotFound) or "no such table" in str(e):
                raise LedgerNotFound(f"{self.location} is not a perfledger ledger; create one with `perfledger init`") from None
            raise error from None
        if version is None:
            raise LedgerNotFound(f"{self.location} is not a perfledger ledger")
        supported = self.recorder.SCHEMA_VERSION
        if version > supported:
            raise SchemaTooNew(
                f"{self.location} has schema version {version}; this program reads up to"
                f" {supported}: upgrade perfledger"
            )
        self.schema_version = version
        pragmas = self.recorder.pragmas()
        if pragmas and (str(pragmas["journal_mode"]).lower() != "wal" or pragmas["synchronous"] != 2):
            raise StoreMisconfigured(
                f"{self.location} must use journal_mode=WAL and synchronous=FULL; found {pragmas}"
            )

    def close(self) -> None:
        self.app.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------
    def _check_writable(self) -> None:
        """A ledger of an older schema is read as it is, and written only once upgraded."""
        if self.schema_version < self.recorder.SCHEMA_VERSION:
            raise SchemaTooOld(
                f"{self.location} has schema version {self.schema_version}; this program writes"
                f" {self.recorder.SCHEMA_VERSION}: its owner runs `perfledger db upgrade` first (nothing was written)"
            )

    def init(self, entity: str, *, actor: str, note: str = "", first: Sequence[Submission] = ()) -> LedgerEvent:
        """Write the ledger's first event, naming the entity whose performance it records.

        ``first`` are written with it, in the same transaction: a signed ledger's first
        controller (an ActorRegistered, signed by that controller's key) is named here,
        by whoever creates the ledger, and never later by whoever comes first.
        """
        self._check_writable()
        if self.length() > 0:
            raise LedgerExists(f"{self.location} already holds a ledger ({self.entity()})")
        try:
            with self.recorder.writer() as writer:
                if writer.head not in (None, (0, GENESIS)):
                    raise IntegrityError("the ledger was created meanwhile")
                ledger = Ledger.open(entity=entity, actor=actor, note=note, now=writer.now)
                opened: LedgerEvent = ledger.pending_events[0]  # type: ignore[assignment]
                ledger.extend(first, now=writer.now)
                writer.write(Page([self.app.mapper.to_stored_event(e) for e in ledger.collect_events()]))
        except IntegrityError:
            raise LedgerExists(f"{self.location} already holds a ledger") from None
        except Exception as e:
            if not is_driver_error(e):
                raise
            raise _store_error(e, self.location) from None
        return opened

    def append(
        self, batch: Sequence[Submission], *, now: datetime | None = None, create: tuple[str, str] | None = None,
        progress: Callable[[int], None] | None = None, guard: CommitGuard | None = None,
    ) -> AppendResult:
        """Check and append a batch atomically: every new event is written, or none is.

        ``create`` = (entity, actor) opens the ledger in the same transaction
        when it has no events yet; its first event then takes the recording
        time of the batch's first event (so a backfilled history stays in
        recording order). If another writer extends the chain first, the batch
        is checked again on the new head and retried. ``progress`` is told,
        page by page, how many of the batch's events are checked and written.
        ``guard`` is told when the commit begins, and when it did not happen.
        """
        self._check_writable()
        migrating = any(sub.recorded_at is not None for sub in batch)
        if migrating and batch[-1].cls is not HistoryMigrated and create is not None:
            batch = [*batch, history_migrated(batch, "", create[1], utcnow().date())]
        for attempt in range(ATTEMPTS):
            ledger = self._load(missing_ok=create is not None)
            if migrating and ledger is not None:
                raise BackfillRefused(
                    f"{self.location} already holds a ledger: recorded_at may be given only when a history is"
                    " migrated into a new ledger (import --backfill into a path with no ledger yet); nothing was"
                    " written"
                )
            written: list[Written] = []
            present: list[str] = []
            try:
                with self.recorder.writer() as writer:
                    moment = writer.now if now is None or writer.server_clock else now
                    if writer.head is not None and writer.head != _head_of(ledger):
                        raise IntegrityError("another writer extended the chain since it was read")
                    if ledger is None:
                        ledger = self._opening(batch, moment, create)
                    check_migration(batch, ledger.version)
                    for page in self._pages(ledger, batch, moment, written, present, progress):
                        writer.write(page)
                    if guard is not None:
                        guard.commit_begins()  # the writer commits as this block ends
            except IntegrityError:
                if guard is not None:
                    guard.rolled_back()
                # Someone else appended first: check the batch again on their head.
                time.sleep(random.uniform(0, BACKOFF * (attempt + 1)))
                continue
            except Exception as e:
                if not is_driver_error(e):
                    raise
                raise _store_error(e, self.location) from None
            return AppendResult(written, present)
        raise LedgerConflict(f"the chain kept moving: gave up after {ATTEMPTS} attempts; nothing was written")

    def _opening(self, batch: Sequence[Submission], moment: datetime, create: tuple[str, str] | None) -> Ledger:
        """A new ledger, opened in the batch's transaction; a migrated history's first instant is its own."""
        if create is None:
            raise LedgerNotFound(f"{self.location} has no ledger yet; run `perfledger init`")
        first = batch[0].recorded_at if batch and batch[0].recorded_at else moment
        ledger = Ledger.open(entity=create[0], actor=create[1], note="", now=first)
        if self.recorder.derived_upto() is not None:
            ledger.book.record_derived(0)
        return ledger

    def _pages(
        self, ledger: Ledger, batch: Sequence[Submission], moment: datetime, written: list[Written], present: list[str],
        progress: Callable[[int], None] | None = None,
    ) -> Iterator[Page]:
        """Check the batch page by page and yield each page's new events as stored rows, with their derived rows.

        Consumed inside the write transaction: a broken rule raises from here
        and nothing is written; no more than a page of new events is held.
        """
        seen: set[str] = set()
        opening = ledger.collect_events()  # LedgerOpened, when the batch creates the ledger
        mapper = self.app.mapper
        for start in range(0, max(len(batch), 1), PAGE):
            page = batch[start : start + PAGE]
            ledger.book.prefetch([sub.event_id for sub in page])
            new = ledger.extend(page, now=moment, seen=seen)
            present += [sub.event_id for sub, is_new in zip(page, new) if not is_new]
            events: list[LedgerEvent] = ledger.collect_events()  # type: ignore[assignment]
            written += [Written(e.seq, e.event_id, e.TYPE, e.hash) for e in events]
            rows = [mapper.to_stored_event(e) for e in [*opening, *events]]
            for event in events:  # the book keeps them: without their encodings, which can be recomputed
                forget_encodings(event)
            opening = []
            derived = ledger.book.derived
            if derived is None:
                if rows:
                    yield Page(rows)
            else:
                budget, labels, ids = derived.drain()  # this page's, and those of events the read model lacked
                if rows or budget or labels or ids:
                    yield Page(rows, budget, labels, ids, ledger.version)
                if ledger.version // CHECKPOINT_EVERY > self._checkpoint_seq // CHECKPOINT_EVERY:
                    self._checkpoint_seq = ledger.version
                    yield Page([], checkpoint=ledger.version)  # inside the transaction: it sees this page
            if progress is not None:
                progress(start + len(page))  # checked and inserted (not yet committed)
        if ledger.book.derived is not None and ledger.version - self._snapshot_seq >= SNAPSHOT_EVERY:
            state = dumps({"format": SNAPSHOT_FORMAT, **ledger.book.snapshot()})
            yield Page([], snapshot=(ledger.version, ledger.head, state))

    def _load(self, *, missing_ok: bool = False) -> Ledger | None:
        """The ledger aggregate at the head, with the rules' state.

        From the latest snapshot when the ledger keeps a complete read model
        (the rest is looked up in it), else by folding every event.
        """
        ledger: Ledger | None = None
        self._snapshot_seq = 0
        try:
            upto = self.recorder.derived_upto()
            if upto is not None:
                found = self.recorder.query("SELECT MAX(n) FROM perfledger_budget_checkpoints", ())
                self._checkpoint_seq = found[0][0] or 0
            after = 0
            if upto is not None and upto >= self.length():
                ledger = self._from_snapshot()
                if ledger is not None:
                    after = ledger.version
                    ledger.book.record_derived(upto)
            for seq, topic, state in self.rows(after):
                ledger = decode(seq, topic, state).mutate(ledger)
                if seq == 1 and upto is not None and ledger is not None:
                    ledger.book.record_derived(upto)  # and write the rows of events after upto
        except Exception as e:
            if not is_driver_error(e):
                raise
            raise _store_error(e, self.location) from None
        if ledger is None and not missing_ok:
            raise LedgerNotFound(f"{self.location} has no ledger yet; run `perfledger init`")
        if ledger is not None:
            ledger.book.stored = ledger.version  # what look-ups may see: the head this load read
        return ledger

    def _from_snapshot(self) -> Ledger | None:
        """The ledger at its latest sound snapshot, None if none of the latest few is.

        A snapshot is a cache: one whose event is missing, whose hash is not the chain's, or whose
        state does not restore (junk, another format) is passed over, never trusted and never in
        the way of an append; ``perfledger verify`` rebuilds every snapshot and names a wrong one.
        """
        found = self.recorder.query(
            "SELECT seq, hash, state FROM perfledger_snapshots ORDER BY seq DESC LIMIT ?", (SNAPSHOT_TRIES,))
        for seq, head, state in found:
            ledger = self._restored(int(seq), str(head), bytes(state))
            if ledger is not None:
                self._snapshot_seq = ledger.version
                return ledger
        return None

    def _restored(self, seq: int, head: str, state: bytes) -> Ledger | None:
        event = self.recorder.rows(seq - 1, 1)
        if not event or event[0][0] != seq or self.recorder.chain_hashes(seq - 1, seq).get(seq) != head:
            return None
        try:
            snapshot = orjson.loads(state)
            if not isinstance(snapshot, dict) or snapshot.get("format") != SNAPSHOT_FORMAT or snapshot.get("known") != seq:
                return None
            book = Book.restore(snapshot, StoreLookup(self), decode_body_dict)
            return Ledger.resume(book, decode_body(bytes(event[0][2]), keep=True))
        except Exception as e:  # whatever a junk state makes the restore raise, it is not used
            if is_driver_error(e):
                raise
            return None

    # -- reading -------------------------------------------------------------
    def rows(
        self, after: int = 0, upto: int | None = None, *, chain: bool = False, topics: Sequence[str] = ()
    ) -> Iterator[tuple[Any, ...]]:
        """The stored rows (seq, topic, canonical bytes[, the chain's hash]) in sequence order, read in pages."""
        while True:
            limit = PAGE if upto is None or topics else min(PAGE, upto - after)
            if limit <= 0:
                return
            page = self.recorder.rows(after, limit, chain=chain, topics=topics)
            if upto is not None and page and page[-1][0] > upto:
                yield from (row for row in page if row[0] <= upto)
                return
            yield from page
            if len(page) < limit:
                return
            after = page[-1][0]

    def events(
        self, after: int = 0, upto: int | None = None, *, types: Sequence[type[LedgerEvent]] = ()
    ) -> Iterator[LedgerEvent]:
        """The events in sequence order (after < seq <= upto), of these ``types`` only if given."""
        for seq, topic, state in self.rows(after, upto, topics=[get_topic(cls) for cls in types]):
            yield decode(seq, topic, state)

    def budget_model(
        self, known_at: int | None, as_of: date | None
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]] | None:
        """The budget read model's labels and sums at a cut; None when it cannot answer (replay instead).

        It cannot when the ledger keeps no read model (made by an older
        version, or its tables dropped) or when it lags behind ``known_at``.
        """
        upto = self.recorder.derived_upto()
        if upto is None:
            return None
        head = self.length()
        known = head if known_at is None else min(known_at, head)
        if known > upto:
            return None
        day = "9999-12-31" if as_of is None else as_of.isoformat()
        try:
            return self._budget_model_at(known, upto, day)
        except Exception as e:  # sums beyond the store's integers: the exact replay answers instead
            if is_driver_error(e) and "overflow" in str(e).lower():
                return None
            raise

    def _budget_model_at(
        self, known: int, upto: int, day: str
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        labels = self.recorder.query(LABELS, (known,))
        below, above = self.recorder.query(
            "SELECT (SELECT MAX(n) FROM perfledger_budget_checkpoints WHERE n <= ?),"
            " (SELECT MIN(n) FROM perfledger_budget_checkpoints WHERE n > ? AND n <= ?)", (known, known, upto)
        )[0]
        if above is not None and above - known < known - (below or 0):  # the nearer checkpoint
            return labels, self._sums_from_checkpoint(above, known, day)
        if below is None:  # every change known by then, summed: a range of the index by sequence number
            return labels, self.recorder.query(SUMS_SINCE, (0, known, day))
        return labels, self._sums_from_checkpoint(below, known, day)

    def _sums_from_checkpoint(self, n: int, known: int, day: str) -> list[tuple[Any, ...]]:
        """Each item's column sums (cents), known at ``known`` and effective by ``day``, from checkpoint ``n``.

        The checkpoint gives the sums up to the latest quarter-month bound on or before ``day``; to
        them are added the changes known by n and effective from then to ``day`` (at most a week).
        Then, from a checkpoint before ``known``, the changes known after n (up to ``known``) and
        effective by ``day`` are added; from one after it, those known after ``known`` (up to n) are
        taken away. Two short index ranges instead of every change.
        """
        base = self.recorder.query(
            "SELECT upto, item, col, cents FROM perfledger_budget_checkpoints WHERE n = ? AND upto = ("
            "SELECT MAX(upto) FROM perfledger_budget_checkpoints WHERE n = ? AND upto <= ?)",
            (n, n, day),
        )
        bound = base[0][0] if base else ""
        sums: dict[tuple[str, str], int] = {(item, col): int(cents) for _, item, col, cents in base}
        for sign, rows in (
            (1, self.recorder.query(
                "SELECT item, col, SUM(cents) FROM perfledger_budget WHERE day > ? AND day <= ? AND seq <= ?"
                " GROUP BY item, col", (bound, day, n))),
            (1, self.recorder.query(SUMS_SINCE, (n, known, day))) if n <= known else
            (-1, self.recorder.query(SUMS_SINCE, (known, n, day))),
        ):
            for item, col, cents in rows:
                sums[item, col] = sums.get((item, col), 0) + sign * int(cents)
        return [(item, col, cents) for (item, col), cents in sums.items()]

    def length(self) -> int:
        page = self.recorder.select_events(LEDGER_ID, desc=True, limit=1)
        return page[0].originator_version if page else 0

    def event_at(self, seq: int) -> LedgerEvent:
        page = self.recorder.rows(seq - 1, 1)
        if not page or page[0][0] != seq:
            raise LedgerNotFound(f"no event {seq}")
        return decode(*page[0])

    def entity(self) -> str:
        first = self.event_at(1)
        return str(getattr(first, "entity", ""))

    def find(self, event_id: str) -> LedgerEvent | None:
        for event in self.events():
            if event.event_id == event_id:
                return event
        return None

    # -- checkpoints and bundles (RFC 9162 tree heads) ----------------------------
    def leaves(self) -> list[bytes]:
        """The Merkle leaf hash of every event, in sequence order."""
        return [proofs.leaf_hash(state) for _, _, state in self.rows()]

    def checkpoint(self, private_pem: bytes, signer: str, *, now: datetime | None = None) -> proofs.Checkpoint:
        """A signed checkpoint of the ledger as it is now: its size and tree head."""
        leaves = self.leaves()
        moment = (now or utcnow()).strftime("%Y-%m-%dT%H:%M:%SZ")
        unsigned = proofs.Checkpoint(self.entity(), len(leaves), proofs.tree_head(leaves).hex(), moment)
        return unsigned.signed(private_pem, signer)

    def merkle_tree(self) -> proofs.MerkleTree:
        """The ledger's RFC 9162 tree as it is now: one to check any number of checkpoints against."""
        return proofs.MerkleTree(self.leaves())

    def check_checkpoint(
        self, checkpoint: proofs.Checkpoint, trusted: Sequence[tuple[str, bytes]], tree: proofs.MerkleTree | None = None
    ) -> list[str]:
        """Check a checkpoint's signatures, then prove the ledger (its ``tree``, made if not given)
        extends it (RFC 9162 consistency proof)."""
        if trusted:
            found = ["signed by " + ", ".join(checkpoint.check_signatures(trusted))]
        else:
            found = ["signatures not checked: give the signers' public keys with --pubkey"]
        if tree is None:
            tree = self.merkle_tree()
        if checkpoint.size > len(tree):
            raise proofs.ProofError(
                f"the ledger has {len(tree)} events, fewer than the {checkpoint.size} of the checkpoint:"
                " it was rolled back or events were removed"
            )
        try:
            first_root = bytes.fromhex(checkpoint.root)
        except ValueError:
            raise proofs.ProofError("the checkpoint's root is not a hex hash") from None
        head, proof = tree.root(), tree.consistency(checkpoint.size)
        proofs.verify_consistency(checkpoint.size, len(tree), first_root, head, proof)
        extends = (
            f"the ledger ({len(tree)} events) extends the checkpoint of {checkpoint.size} events"
            f" ({len(proof)}-hash consistency proof)"
        )
        return [extends, *found]

    def export(self, directory: Path, checkpoints: Sequence[Path], public_keys: Sequence[Path]) -> int:
        """Write a bundle an evaluator can check without the database; return the number of events."""
        if directory.exists() and any(directory.iterdir()):
            raise LedgerError(f"{directory} is not empty: a bundle goes to a new directory")
        keys = [(path.name, proofs.load_public_key(path.read_bytes(), path.name)) for path in public_keys]
        parsed = [proofs.Checkpoint.read(path) for path in checkpoints]
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "checkpoints").mkdir(exist_ok=True)
        (directory / "keys").mkdir(exist_ok=True)
        count = 0
        with (directory / "events.jsonl").open("wb") as out:
            for _, _, state in self.rows():
                out.write(bytes(state) + b"\n")
                count += 1
        for path, checkpoint in zip(checkpoints, parsed):
            (directory / "checkpoints" / path.name).write_text(checkpoint.text(), encoding="utf-8")
        from cryptography.hazmat.primitives import serialization  # only here: keeps start-up light

        for name, key in keys:  # re-serialised: only public keys ever leave
            pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            (directory / "keys" / name).write_bytes(pem)
        (directory / "verify.py").write_bytes(Path(proofs.__file__).read_bytes())
        return count

    # -- roles (PostgreSQL) ----------------------------------------------------
    def grant(self, role: str, name: str) -> None:
        """Create (if needed) the PostgreSQL role ``name`` with a controller's or an auditor's rights."""
        from ledger.postgres_store import LedgerPostgresRecorder, grant_statements

        recorder = self.recorder
        if not isinstance(recorder, LedgerPostgresRecorder):
            raise LedgerError("database roles exist only on PostgreSQL; protect a SQLite ledger with file permissions")
        statements = grant_statements(recorder.datastore.schema, recorder.events_table_name, role, name)
        try:
            with recorder.datastore.transaction(commit=True) as curs:
                for statement in statements:
                    curs.execute(statement)
        except PersistenceError as e:
            raise _store_error(e, self.location) from None

    def upgrade(self) -> str:
        """Bring a ledger of an older schema to this program's, in one transaction (its owner runs it).

        On PostgreSQL, from schema version 1: the recorder's create statements (idempotent: they
        add the write guards of ledger.postgres_guards), the ids of the events already stored,
        the new version, and no INSERT left to any role but the owner (a controller keeps SELECT
        and may append through ``perfledger_append``). Says what it did.
        """
        if not is_postgres(self.location):
            return (f"{self.location} is a SQLite ledger at schema version {self.schema_version}, the current one:"
                    " nothing to upgrade.")
        from psycopg.sql import SQL, Identifier

        from ledger.postgres_guards import EVENT_IDS
        from ledger.postgres_store import LedgerPostgresRecorder, privilege_holders, upgrade_statements

        recorder = self.recorder
        current = recorder.SCHEMA_VERSION
        assert isinstance(recorder, LedgerPostgresRecorder)
        if self.schema_version >= current:
            return f"{self.location} is at schema version {self.schema_version} already: nothing to upgrade."
        schema, table = recorder.datastore.schema, recorder.events_table_name
        try:
            with recorder.datastore.transaction(commit=True) as curs:
                curs.execute(privilege_holders(schema, table))
                holders = [(row["name"], row["inserts"], row["controller"], row["reads"]) for row in curs.fetchall()]
                for statement in upgrade_statements(recorder.sql_create_statements, schema, table, holders):
                    curs.execute(statement, prepare=False)
                curs.execute(SQL("SELECT count(*) AS n FROM {0}.{1}").format(Identifier(schema), Identifier(EVENT_IDS)))
                indexed = int(curs.fetchone()["n"])
        except PersistenceError as e:
            raise _store_error(e, self.location) from None
        old, self.schema_version = self.schema_version, current
        revoked = [name or "PUBLIC" for name, inserts, _, _ in holders if inserts]
        return (f"Upgraded {self.location} from schema version {old} to {current}: installed the write guards,"
                f" indexed {indexed} event ids, revoked INSERT from {len(revoked)} role(s)"
                + (f" ({', '.join(revoked)})" if revoked else "") + ".")

    def refresh(self, *, rebuild: bool = False) -> str:
        """Bring the caches (read model, budget checkpoints, snapshots) up to the head: an empty append by the owner.

        A controller's appends on PostgreSQL leave the caches behind (only the owner may write
        them); a query folds what they lack, and this writes it. ``rebuild`` first empties every
        cache (what ``perfledger verify`` advises when one differs from the events), so all of it
        is made again from the events. Says how far they now reach.
        """
        if rebuild:
            self._check_writable()
            try:
                with self.recorder.writer() as writer:
                    writer.clear_caches()
            except Exception as e:
                if not is_driver_error(e):
                    raise
                raise _store_error(e, self.location) from None
        self.append([])
        head, upto = self.length(), self.recorder.derived_upto()
        if upto is None:
            return f"{self.location} keeps no read model (made by an older version): queries fold every event."
        if upto < head:
            raise LedgerError(
                f"{self.location}: the caches reach event {upto} of {head}; only the ledger's owner may write"
                " them (this role may not): run `perfledger db refresh` as the owner"
            )
        snapshot = self.recorder.query("SELECT MAX(seq) FROM perfledger_snapshots", ())[0][0]
        checkpoint = self.recorder.query("SELECT MAX(n) FROM perfledger_budget_checkpoints", ())[0][0]

        def at(seq: int | None) -> str:
            return f"event {seq}" if seq else "none yet"

        return (f"The caches of {self.location} reach the head: read model up to event {upto} of {head};"
                f" latest budget checkpoint: {at(checkpoint)}; latest snapshot: {at(snapshot)}.")

def _head_of(ledger: Ledger | None) -> tuple[int, str]:
    """The (sequence number, hash) of the head a writer loaded; (0, GENESIS) for no ledger yet."""
    return (0, GENESIS) if ledger is None else (ledger.version, ledger.head)


def check_migration(batch: Sequence[Submission], version: int) -> None:
    """A batch that gives recorded_at is a migration: it creates the ledger and ends with HistoryMigrated."""
    migrated = [sub for sub in batch if sub.cls is HistoryMigrated]
    if not any(sub.recorded_at is not None for sub in batch) and not migrated:
        return
    if version != 1 or not migrated or batch[-1].cls is not HistoryMigrated or len(migrated) > 1:
        raise BackfillRefused(
            "a migrated history (events with recorded_at) is imported into a new ledger and closed by one"
            " HistoryMigrated event, its last (perfledger import --backfill does both); nothing was written"
        )
    if batch[-1].recorded_at is not None:
        raise BackfillRefused("HistoryMigrated is recorded at the store's clock: give it no recorded_at")


def history_migrated(batch: Sequence[Submission], source: str, actor: str, day: date) -> Submission:
    """The event that closes a migrated history imported into a new ledger (events 1 to len(batch) + 1).

    ``sha256`` is the hash of the migrated events' canonical contents, one per line, so that anyone
    can recompute it from the ledger itself.
    """
    digest = hashlib.sha256(b"\n".join(sub.content_bytes for sub in batch)).hexdigest()
    return parse_submission({
        "type": HistoryMigrated.TYPE, "id": f"history-migrated-{digest[:16]}", "effective_date": day.isoformat(),
        "actor": actor, "upto": len(batch) + 1, "source": source, "sha256": digest,
    })


def _store_error(error: Exception, where: str | Path) -> LedgerError:
    """One clear line for what the database drivers raise."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if "locked" in text or "busy" in text or "lock timeout" in text:
        return LedgerLocked(f"{where} is locked by another writer; try again (PERFLEDGER_LOCK_TIMEOUT sets the wait)")
    if "readonly" in text or "read-only" in text:
        return LedgerError(f"{where} is read-only: nothing was written")
    if "permission denied" in text:
        return LedgerError(f"{where}: {text} (this role may only read; nothing was written)")
    if "not a database" in text or "does not exist" in text:
        return LedgerNotFound(f"{where} is not a perfledger ledger; create one with `perfledger init`")
    if "unable to open" in text or "connect" in text or "Connection" in text:
        return LedgerError(f"cannot open {where}: {text}")
    return LedgerError(f"{where}: {text}")


def is_driver_error(error: BaseException) -> bool:
    """An error of the store (eventsourcing's, SQLite's, psycopg's), as opposed to a bug."""
    if isinstance(error, (PersistenceError, sqlite3.Error)):
        return True
    module = type(error).__module__
    return module.startswith(("psycopg", "psycopg_pool"))


def postgres_env(url: str, lock_timeout: str) -> dict[str, str]:
    """eventsourcing's settings for a PostgreSQL URL, with libpq's usual PG* fallbacks."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise LedgerError(f"{url}: the port must be a number") from None
    if parts.password:
        raise LedgerError(
            "put the PostgreSQL password in PGPASSWORD or ~/.pgpass, not in the URL (it would end up in logs)"
        )
    query = parse_qs(parts.query)
    schema = query.get("schema", ["public"])[0]
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", schema):
        raise LedgerError(f"{url}: the schema name must be letters, digits and underscores (not starting with a digit)")
    user = parts.username or os.environ.get("PGUSER") or getpass.getuser()
    return {
        "PERSISTENCE_MODULE": "ledger.postgres_store:LedgerPostgresFactory",
        "POSTGRES_DBNAME": parts.path.lstrip("/") or os.environ.get("PGDATABASE") or user,
        "POSTGRES_HOST": parts.hostname or os.environ.get("PGHOST") or "localhost",
        "POSTGRES_PORT": str(port or os.environ.get("PGPORT") or 5432),
        "POSTGRES_USER": user,
        # Empty means "not given": libpq then reads PGPASSWORD or ~/.pgpass itself.
        "POSTGRES_PASSWORD": "",
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_LOCK_TIMEOUT": lock_timeout,
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_POOL_SIZE": "2",
        "POSTGRES_MAX_OVERFLOW": "4",
    }
