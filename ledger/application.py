"""The ledger application: open a store, append checked facts, read the chain.

A write reads top-down: load the ledger at the head, check the batch on it page by page
(the pure rules of ledger.book), write each page, commit; if another writer moved the head
first, do it again on the new head. The rest has its own home: the codec (ledger.codec), the
store's protocols (ledger.recorders), opening (ledger.opening), drivers' errors
(ledger.store_errors), the budget read model's queries (ledger.budget_query), checkpoints and
bundles (ledger.audit), administration (ledger.admin).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, Self
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Mapper, StoredEvent
from eventsourcing.utils import Environment, get_topic

from events import GENESIS, LedgerEvent, Submission
from ledger import budget_query, snapshots
from ledger.aggregate import LEDGER_ID, Ledger
from ledger.codec import CanonicalMapper, decode, decode_body
from ledger.errors import (
    LedgerConflict,
    LedgerExists,
    LedgerNotFound,
    SchemaTooNew,
    SchemaTooOld,
    StoreMisconfigured,
)
from ledger.interrupts import CommitGuard
from ledger.lookup import StoreLookup
from ledger.opening import location_of, store_env
from ledger.recorders import LedgerRecorder, Page, Writer
from ledger.results import AppendResult, Written
from ledger.store_errors import driver_errors, is_driver_error, is_missing_table, store_error
from ledger.writing import Pages, checked_page, head_of, streamed

__all__ = [
    "AppendResult", "LedgerApplication", "Pages", "Store", "Written", "decode", "decode_body", "head_of",
]

PAGE = 5000
FORGET_AFTER = 20_000  # events the rules' state of an append holds before it looks them up instead
SNAPSHOT_EVERY = 10_000  # events between snapshots of the rules' state
CHECKPOINT_EVERY = 50_000  # a checkpoint of the budget each time the head passes a multiple of this
ATTEMPTS = 50
BACKOFF = 0.01  # seconds: a retry waits up to this times its attempt number


class LedgerApplication(Application[UUID]):
    name = "perfledger"

    def construct_env(self, name: str, env: Any = None) -> Environment:
        # Only the settings perfledger builds: eventsourcing would also read os.environ,
        # where a stray POSTGRES_* or PERFLEDGER_* variable could change how events are stored.
        return Environment(name, dict(env or {}))

    def construct_mapper(self) -> Mapper[UUID]:
        return CanonicalMapper(transcoder=self.construct_transcoder())


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
        env, shown = store_env(location_of(location), create=create)
        with driver_errors(shown):
            store = cls(LedgerApplication(env=env), shown)
            store._check_settings()
        return store

    def _check_settings(self) -> None:
        self.schema_version = self._stored_schema_version()
        supported = self.recorder.SCHEMA_VERSION
        if self.schema_version > supported:
            raise SchemaTooNew(
                f"{self.location} has schema version {self.schema_version}; this program reads up to"
                f" {supported}: upgrade perfledger"
            )
        pragmas = self.recorder.pragmas()
        if pragmas and (str(pragmas["journal_mode"]).lower() != "wal" or pragmas["synchronous"] != 2):
            raise StoreMisconfigured(
                f"{self.location} must use journal_mode=WAL and synchronous=FULL; found {pragmas}"
            )

    def _stored_schema_version(self) -> int:
        try:
            version = self.recorder.schema_version()
        except Exception as e:
            if is_driver_error(e) and (
                isinstance(store_error(e, self.location), LedgerNotFound) or is_missing_table(e)
            ):
                raise LedgerNotFound(
                    f"{self.location} is not a perfledger ledger; create one with `perfledger init`"
                ) from None
            raise  # driver_errors (Store.open) says what else it is
        if version is None:
            raise LedgerNotFound(f"{self.location} is not a perfledger ledger")
        return version

    def close(self) -> None:
        self.app.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------
    def check_writable(self) -> None:
        """A ledger of an older schema is read as it is, and written only once upgraded."""
        if self.schema_version < self.recorder.SCHEMA_VERSION:
            raise SchemaTooOld(
                f"{self.location} has schema version {self.schema_version}; this program writes"
                f" {self.recorder.SCHEMA_VERSION}: its owner runs `perfledger db upgrade` first"
                " (nothing was written)"
            )

    def init(
        self, entity: str, *, actor: str, note: str = "", first: Sequence[Submission] = (),
        origin: str | None = None,
    ) -> LedgerEvent:
        """Write the ledger's first event, naming the entity whose performance it records.

        ``first`` are written with it, in the same transaction: a signed ledger's first
        controller (an ActorRegistered, signed by that controller's key) is named here,
        by whoever creates the ledger, and never later by whoever comes first.
        """
        self.check_writable()
        if self.length() > 0:
            raise LedgerExists(f"{self.location} already holds a ledger ({self.entity()})")
        try:
            with driver_errors(self.location, keep=IntegrityError), self.recorder.writer() as writer:
                if writer.head not in (None, (0, GENESIS)):
                    raise IntegrityError("the ledger was created meanwhile")
                ledger = Ledger.open(entity=entity, actor=actor, note=note, now=writer.now, origin=origin)
                opened: LedgerEvent = ledger.pending_events[0]  # type: ignore[assignment]
                ledger.extend(first, now=writer.now)
                writer.write(Page([self.app.mapper.to_stored_event(e) for e in ledger.collect_events()]))
        except IntegrityError:
            raise LedgerExists(f"{self.location} already holds a ledger") from None
        return opened

    def append(
        self,
        batch: Sequence[Submission] | Pages,
        *,
        now: datetime | None = None,
        create: tuple[str, str] | None = None,
        progress: Callable[[int], None] | None = None,
        guard: CommitGuard | None = None,
    ) -> AppendResult:
        """Check and append a batch atomically: every new event is written, or none is.

        ``create`` = (entity, actor) opens the ledger in the same transaction
        when it has no events yet; its first event then takes the recording
        time of the batch's first event (so a backfilled history stays in
        recording order). If another writer extends the chain first, the batch
        is checked again on the new head and retried. ``progress`` is told,
        page by page, how many of the batch's events are checked and written.
        ``guard`` is told when the commit begins, and when it did not happen.

        ``batch`` is a sequence of submissions, or a source of its pages (``Pages``: called once
        per attempt, it gives the pages from the first; pages of up to ``PAGE`` submissions
        keep the memory an append needs within a page's). Either way a migrated history's
        checks are made as its pages go by (``ledger.backfill.checked_stream``).
        """
        self.check_writable()
        source = batch if callable(batch) else (lambda: paged(batch))
        for attempt in range(ATTEMPTS):
            ledger = self._load(missing_ok=create is not None)
            result = self._attempt(ledger, source, now, create, progress, guard)
            if result is not None:
                return result
            time.sleep(random.uniform(0, BACKOFF * (attempt + 1)))  # someone else appended first
        raise LedgerConflict(f"the chain kept moving: gave up after {ATTEMPTS} attempts; nothing was written")

    def _attempt(
        self, ledger: Ledger | None, batch: Pages, now: datetime | None,
        create: tuple[str, str] | None, progress: Callable[[int], None] | None, guard: CommitGuard | None,
    ) -> AppendResult | None:
        """One write transaction of an append, on the ledger as loaded; None if another writer
        moved the head."""
        result = AppendResult()
        try:
            with driver_errors(self.location, keep=IntegrityError), self.recorder.writer() as writer:
                moment = writer.now if now is None or writer.server_clock else now
                ledger, pages = streamed(
                    writer, ledger, batch(), moment, create, self.recorder, self.location
                )
                for page in self._pages(ledger, pages, moment, result, progress, writer):
                    writer.write(page)
                if guard is not None:
                    guard.commit_begins()  # the writer commits as this block ends
        except IntegrityError:
            if guard is not None:
                guard.rolled_back()
            return None
        return result

    def _pages(
        self, ledger: Ledger, batch: Iterable[Sequence[Submission]], moment: datetime, result: AppendResult,
        progress: Callable[[int], None] | None = None, writer: Writer | None = None,
    ) -> Iterator[Page]:
        """Check the batch page by page and yield each page's new events as stored rows, with
        their derived rows.

        Consumed inside the write transaction: a broken rule raises from here
        and nothing is written; no more than a page of new events is held. Once a page and
        its rows of the id index are written (the ledger keeps the read model), the rules'
        state forgets the events it holds and looks them up in the writer's transaction
        instead (``Book.forget_events``), once it holds ``FORGET_AFTER`` events: memory stays
        bounded, and a batch of ordinary size never pays for the look-ups (a round trip each on
        PostgreSQL).
        """
        seen: set[str] = set()
        lookup = None if writer is None or not writer.caches else StoreLookup(writer.query)
        opening = ledger.collect_events()  # LedgerOpened, when the batch creates the ledger
        done = 0
        for page in batch:
            rows = checked_page(ledger, page, moment, seen, result, self._stored)
            yield from self._with_derived(ledger, [*self._stored(opening), *rows])
            opening = []
            if lookup is not None and ledger.book.derived is not None and ledger.book.held() >= FORGET_AFTER:
                ledger.book.forget_events(lookup, ledger.version)  # the page is written: it is in the store
            done += len(page)
            if progress is not None:
                progress(done)  # checked and inserted (not yet committed)
        if ledger.book.derived is not None and ledger.version - self._snapshot_seq >= SNAPSHOT_EVERY:
            yield Page([], snapshot=(ledger.version, ledger.head, snapshots.snapshot_state(ledger.book)))

    def _stored(self, events: Sequence[Any]) -> list[StoredEvent]:
        to_stored = self.app.mapper.to_stored_event
        return [to_stored(e) for e in events]

    def _with_derived(self, ledger: Ledger, rows: list[StoredEvent]) -> Iterator[Page]:
        """A page's rows, with the read model's rows when the ledger keeps it, and a budget
        checkpoint when due."""
        derived = ledger.book.derived
        if derived is None:
            if rows:
                yield Page(rows)
            return
        budget, labels, ids = derived.drain()  # this page's, and those of events the read model lacked
        if rows or budget or labels or ids:
            yield Page(rows, budget, labels, ids, ledger.version, derived_from=derived.after)
        if ledger.version // CHECKPOINT_EVERY > self._checkpoint_seq // CHECKPOINT_EVERY:
            self._checkpoint_seq = ledger.version
            yield Page([], checkpoint=ledger.version)  # inside the transaction: it sees this page

    def _load(self, *, missing_ok: bool = False) -> Ledger | None:
        """The ledger aggregate at the head, with the rules' state.

        From the latest sound snapshot the id index reaches (what the book then looks up is in
        it), and the events after it; else by folding every event.
        """
        with driver_errors(self.location):
            ledger = self._folded()
        if ledger is None and not missing_ok:
            raise LedgerNotFound(f"{self.location} has no ledger yet; run `perfledger init`")
        if ledger is not None:
            ledger.book.stored = ledger.version  # what look-ups may see: the head this load read
        return ledger

    def _folded(self) -> Ledger | None:
        """The latest sound snapshot (when the read model is complete), and every event after it folded in."""
        self._snapshot_seq = 0
        upto = self.recorder.derived_upto()
        ledger = None
        if upto is not None:
            found = self.recorder.query("SELECT MAX(n) FROM perfledger_budget_checkpoints", ())
            self._checkpoint_seq = found[0][0] or 0
            ledger = snapshots.latest_sound(self.recorder, upto)
        if ledger is not None:
            self._snapshot_seq = ledger.version
            ledger.book.record_derived(upto)  # type: ignore[arg-type]
        for seq, topic, state in self.rows(0 if ledger is None else ledger.version):
            ledger = decode(seq, topic, state).mutate(ledger)
            if seq == 1 and upto is not None and ledger is not None:
                ledger.book.record_derived(upto)  # and write the rows of events after upto
        return ledger

    # -- reading -------------------------------------------------------------
    def rows(
        self, after: int = 0, upto: int | None = None, *, chain: bool = False, topics: Sequence[str] = ()
    ) -> Iterator[tuple[Any, ...]]:
        """The stored rows (seq, topic, canonical bytes[, the chain's hash]) in sequence order,
        read in pages."""
        while True:
            limit = PAGE if upto is None or topics else min(PAGE, upto - after)
            if limit <= 0:
                return
            page = self.recorder.rows(after, limit, chain=chain, topics=topics, upto=upto if topics else None)
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

    def budget_model(self, known_at: int | None, as_of: date | None) -> budget_query.BudgetModel | None:
        """The budget read model's labels and sums at a cut; None when it cannot answer (replay instead)."""
        return budget_query.budget_model(self.recorder, self.length(), known_at, as_of)

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
        """The event with this id: looked up in the read model's index when it reaches the head,
        else scanned for."""
        upto = self.recorder.derived_upto()
        if upto is not None and upto >= self.length():
            seq = StoreLookup(self.recorder).seq_of(event_id)
            if seq is None:
                return None
            event = self.event_at(seq)
            if event.event_id == event_id:
                return event
        return next((event for event in self.events() if event.event_id == event_id), None)


def paged(batch: Sequence[Submission]) -> Iterator[Sequence[Submission]]:
    """A batch in pages of ``PAGE`` submissions (one empty page for an empty batch)."""
    for start in range(0, max(len(batch), 1), PAGE):
        yield batch[start : start + PAGE]

