"""The ledger application: open a store, append checked facts, read and verify the chain."""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Self
from uuid import UUID

import orjson
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    IntegrityError,
    Mapper,
    OperationalError,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.utils import get_topic

from events import GENESIS, LedgerEvent, Submission, dumps
from events.errors import PerfledgerError
from events.parse import ALL_TYPES
from ledger.aggregate import LEDGER_ID, Ledger, utcnow
from ledger.errors import (
    LedgerConflict,
    LedgerError,
    LedgerExists,
    LedgerLocked,
    LedgerNotFound,
    SchemaTooNew,
    StoreMisconfigured,
)
from ledger.sqlite_store import SCHEMA_VERSION, LedgerSQLiteRecorder

DEFAULT_LEDGER = "perfledger.db"
PAGE = 1000
ATTEMPTS = 50
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
        return decode(stored_event)


def decode(stored: StoredEvent) -> LedgerEvent:
    cls = _TOPICS.get(stored.topic)
    if cls is None:
        raise LedgerError(f"event {stored.originator_version} has unknown type {stored.topic!r}")
    return cls.from_body(orjson.loads(stored.state), stored.originator_id)  # type: ignore[arg-type]


class LedgerApplication(Application[UUID]):
    name = "perfledger"

    def construct_mapper(self) -> Mapper[UUID]:
        return CanonicalMapper(transcoder=self.construct_transcoder())


@dataclass(frozen=True)
class AppendResult:
    """What an append or import did: the sequence numbers written, and the ids already present."""

    written: list[LedgerEvent]
    present: list[str]


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    count: int
    head: str
    bad_seq: int | None = None
    problem: str | None = None


def sqlite_path(location: str) -> Path:
    return Path(location.removeprefix("sqlite:///") if location.startswith("sqlite:///") else location)


class Store:
    """A ledger on disk. Open with ``Store.open(location)``; close when done."""

    def __init__(self, app: LedgerApplication, location: str):
        self.app = app
        self.location = location
        self.recorder: LedgerSQLiteRecorder = app.recorder  # type: ignore[assignment]

    # -- opening -------------------------------------------------------------
    @classmethod
    def open(cls, location: str | None = None, *, create: bool = False) -> Store:
        """Open the ledger at ``location`` (a path or ``sqlite:///path``); ``create`` makes the file."""
        location = location or os.environ.get("PERFLEDGER_LEDGER") or DEFAULT_LEDGER
        if location.startswith(("postgresql://", "postgres://")):
            raise LedgerError("PostgreSQL ledgers are not supported by this version; use a SQLite path")
        path = sqlite_path(location)
        if not create and not path.exists():
            raise LedgerNotFound(f"no ledger at {path}; create one with `perfledger init`")
        if path.is_dir():
            raise LedgerError(f"{path} is a directory, not a ledger file")
        env = {
            "PERSISTENCE_MODULE": "ledger.sqlite_store:LedgerSQLiteFactory",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": os.environ.get("PERFLEDGER_LOCK_TIMEOUT", "10"),
            "CREATE_TABLE": "y" if create else "n",
        }
        try:
            store = cls(LedgerApplication(env=env), str(path))
            store._check_settings()
        except PerfledgerError:
            raise
        except (PersistenceError, sqlite3.Error) as e:
            raise _store_error(e, path) from None
        return store

    def _check_settings(self) -> None:
        try:
            version = self.recorder.schema_version()
        except (PersistenceError, sqlite3.Error):
            raise LedgerNotFound(f"{self.location} is not a perfledger ledger") from None
        if version is None:
            raise LedgerNotFound(f"{self.location} is not a perfledger ledger")
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"{self.location} has schema version {version}; this program reads up to"
                f" {SCHEMA_VERSION}: upgrade perfledger"
            )
        pragmas = self.recorder.pragmas()
        if str(pragmas["journal_mode"]).lower() != "wal" or pragmas["synchronous"] != 2:
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
    def init(self, entity: str, *, actor: str, note: str = "") -> LedgerEvent:
        """Write the ledger's first event, naming the entity whose performance it records."""
        if self.length() > 0:
            raise LedgerExists(f"{self.location} already holds a ledger ({self.entity()})")
        ledger = Ledger.open(entity=entity, actor=actor, note=note, now=utcnow())
        opened: LedgerEvent = ledger.pending_events[0]  # type: ignore[assignment]
        try:
            self._save(ledger)
        except IntegrityError:
            raise LedgerExists(f"{self.location} already holds a ledger") from None
        return opened

    def append(
        self, batch: Sequence[Submission], *, now: datetime | None = None, create: tuple[str, str] | None = None
    ) -> AppendResult:
        """Check and append a batch atomically: every new event is written, or none is.

        ``create`` = (entity, actor) opens the ledger in the same transaction
        when it has no events yet; its first event then takes the recording
        time of the batch's first event (so a backfilled history stays in
        recording order). If another writer extends the chain first, the batch
        is checked again on the new head and retried.
        """
        for attempt in range(ATTEMPTS):
            moment = now or utcnow()
            ledger = self._load(missing_ok=create is not None)
            if ledger is None:
                assert create is not None
                first = batch[0].recorded_at if batch and batch[0].recorded_at else moment
                ledger = Ledger.open(entity=create[0], actor=create[1], note="", now=first)
            before = len(ledger.pending_events)
            new = ledger.extend(list(batch), now=moment)
            written: list[LedgerEvent] = list(ledger.pending_events[before:])  # type: ignore[arg-type]
            present = [sub.event_id for sub, is_new in zip(batch, new) if not is_new]
            if not ledger.pending_events:
                return AppendResult([], present)
            try:
                self._save(ledger)
            except IntegrityError:
                # Someone else appended first: check the batch again on their head.
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
                continue
            return AppendResult(written, present)
        raise LedgerConflict(f"the chain kept moving: gave up after {ATTEMPTS} attempts; nothing was written")

    def _load(self, *, missing_ok: bool = False) -> Ledger | None:
        try:
            ledger: Ledger = self.app.repository.get(LEDGER_ID)
        except AggregateNotFoundError:
            if missing_ok:
                return None
            raise LedgerNotFound(f"{self.location} has no ledger yet; run `perfledger init`") from None
        except OperationalError as e:
            raise _store_error(e, Path(self.location)) from None
        return ledger

    def _save(self, ledger: Ledger) -> None:
        try:
            self.app.save(ledger)
        except OperationalError as e:
            raise _store_error(e, Path(self.location)) from None

    # -- reading -------------------------------------------------------------
    def stored(self, after: int = 0, upto: int | None = None) -> Iterator[StoredEvent]:
        """The stored rows in sequence order, read in pages."""
        while True:
            limit = PAGE if upto is None else min(PAGE, upto - after)
            if limit <= 0:
                return
            page = self.recorder.select_events(LEDGER_ID, gt=after, limit=limit)
            yield from page
            if len(page) < limit:
                return
            after = page[-1].originator_version

    def events(self, after: int = 0, upto: int | None = None) -> Iterator[LedgerEvent]:
        """The events in sequence order (after < seq <= upto)."""
        for stored in self.stored(after, upto):
            yield decode(stored)

    def length(self) -> int:
        page = self.recorder.select_events(LEDGER_ID, desc=True, limit=1)
        return page[0].originator_version if page else 0

    def event_at(self, seq: int) -> LedgerEvent:
        page = self.recorder.select_events(LEDGER_ID, gt=seq - 1, lte=seq)
        if not page:
            raise LedgerNotFound(f"no event {seq}")
        return decode(page[0])

    def entity(self) -> str:
        first = self.event_at(1)
        return str(getattr(first, "entity", ""))

    def find(self, event_id: str) -> LedgerEvent | None:
        for event in self.events():
            if event.event_id == event_id:
                return event
        return None

    # -- verifying -----------------------------------------------------------
    def verify(self) -> VerifyReport:
        """Recompute the whole chain; report the first event that breaks it."""
        prev, seq = GENESIS, 0
        recorded_length = self.recorder.chain_length()
        pending: list[StoredEvent] = []
        rows = self.stored()
        while True:
            pending = [row for _, row in zip(range(PAGE), rows)]
            if not pending:
                break
            hashes = self.recorder.chain_hashes(seq, pending[-1].originator_version)
            for row in pending:
                seq += 1
                problem = _check_row(row, seq, prev, hashes.get(seq))
                if problem:
                    return VerifyReport(False, seq - 1, prev, seq, problem)
                prev = hashlib.sha256(row.state).hexdigest()  # _check_row made sure state is bytes
        if recorded_length > seq:
            return VerifyReport(
                False, seq, prev, seq + 1, f"event {seq + 1} is missing: the chain records {recorded_length} events"
            )
        return VerifyReport(True, seq, prev)


def _check_row(row: StoredEvent, seq: int, prev: str, recorded_hash: str | None) -> str | None:
    version = row.originator_version
    if version != seq:
        return f"event {seq} is missing (the next stored event is {version})"
    if not isinstance(row.state, bytes):
        return f"event {seq} was altered: its stored bytes were replaced by {type(row.state).__name__}"
    digest = hashlib.sha256(row.state).hexdigest()
    if recorded_hash is None:
        return f"event {seq} is not in the chain table: it was inserted behind the ledger's back"
    if digest != recorded_hash:
        return f"event {seq} was altered: its bytes hash to {digest[:12]}…, the chain recorded {recorded_hash[:12]}…"
    try:
        body = orjson.loads(row.state)
    except orjson.JSONDecodeError:
        return f"event {seq} is not valid JSON"
    if not isinstance(body, dict) or dumps(body) != bytes(row.state):
        return f"event {seq} is not in canonical form"
    if body.get("seq") != seq:
        return f"event {seq} says it is event {body.get('seq')}: events were swapped or moved"
    if body.get("prev") != prev:
        return f"event {seq} does not link to event {seq - 1}: an event before it was altered, removed or inserted"
    try:
        decode(row)
    except (PerfledgerError, KeyError, TypeError, ValueError) as e:
        return f"event {seq} does not decode: {e}"
    return None


def _store_error(error: Exception, path: Path) -> LedgerError:
    text = str(error)
    if "locked" in text or "busy" in text:
        return LedgerLocked(f"{path} is locked by another writer; try again (PERFLEDGER_LOCK_TIMEOUT sets the wait)")
    if "readonly" in text or "read-only" in text:
        return LedgerError(f"{path} is read-only: nothing was written")
    if "not a database" in text:
        return LedgerNotFound(f"{path} is not a perfledger ledger")
    if "unable to open" in text:
        return LedgerError(f"cannot open {path}: {text}")
    return LedgerError(f"{path}: {text}")
