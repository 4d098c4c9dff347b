"""The steps of a write transaction (``Store.append``) that need nothing of the store but what they
are given: is the loaded ledger still the head, the ledger a batch opens, a streamed batch's pages
with their checks, and one page checked and folded into the ledger."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from eventsourcing.persistence import IntegrityError, StoredEvent

from events import GENESIS, LedgerEvent, Submission
from events.base import forget_encodings
from ledger.aggregate import Ledger, utcnow
from ledger.backfill import checked_stream
from ledger.errors import LedgerNotFound
from ledger.recorders import LedgerRecorder, Writer
from ledger.results import AppendResult, Written

# A batch given as a source of pages, read again from its start on each attempt of an append (an
# import reads its file page by page, and again if another writer came first: see ``Store.append``).
Pages = Callable[[], Iterable[Sequence[Submission]]]


def streamed(
    writer: Writer, ledger: Ledger | None, source: Iterable[Sequence[Submission]], moment: datetime,
    create: tuple[str, str] | None, recorder: LedgerRecorder, location: str,
) -> tuple[Ledger, Iterator[Sequence[Submission]]]:
    """The loaded ledger, if it is still the head the writer found (opened now, with the first
    page's first instant, when there is none), and the batch's pages, with the checks of a
    migrated history (``checked_stream``)."""
    if writer.head is not None and writer.head != head_of(ledger):
        raise IntegrityError("another writer extended the chain since it was read")
    pages = iter(source)
    first = next(pages, [])
    if ledger is None:
        opened = opening(first, moment, create, recorder, location)
        existing = False
    else:
        opened, existing = ledger, True
    closing = None if create is None else (create[1], utcnow().date())
    return opened, checked_stream(
        chained(first, pages), existing=existing, version=opened.version, location=location,
        closing=closing,
    )


def opening(
    batch: Sequence[Submission], moment: datetime, create: tuple[str, str] | None,
    recorder: LedgerRecorder, location: str,
) -> Ledger:
    """A new ledger, opened in the batch's transaction; a migrated history's first instant is its own."""
    if create is None:
        raise LedgerNotFound(f"{location} has no ledger yet; run `perfledger init`")
    first = batch[0].recorded_at if batch and batch[0].recorded_at else moment
    ledger = Ledger.open(entity=create[0], actor=create[1], note="", now=first)
    if recorder.derived_upto() is not None:
        ledger.book.record_derived(0)
    return ledger


def checked_page(
    ledger: Ledger, page: Sequence[Submission], moment: datetime, seen: set[str], result: AppendResult,
    stored: Callable[[Sequence[Any]], list[StoredEvent]],
) -> list[StoredEvent]:
    """One page of the batch, checked and folded into the ledger: its new events as stored rows."""
    ledger.book.prefetch(
        [sub.event_id for sub in page],
        [r for sub in page if isinstance(r := sub.fields.get("reservation"), str)],
    )
    new = ledger.extend(page, now=moment, seen=seen)
    result.found(sub.event_id for sub, is_new in zip(page, new) if not is_new)
    events: list[LedgerEvent] = ledger.collect_events()  # type: ignore[assignment]
    result.wrote(Written(e.seq, e.event_id, e.TYPE, e.hash) for e in events)
    rows = stored(events)
    for event in events:  # the book keeps them: without their encodings, which can be recomputed
        forget_encodings(event)
    return rows


def chained(
    first: Sequence[Submission], rest: Iterator[Sequence[Submission]]
) -> Iterator[Sequence[Submission]]:
    """The first page (empty, for an empty batch: the ledger's opening is still written), then the rest."""
    yield first
    yield from rest


def head_of(ledger: Ledger | None) -> tuple[int, str]:
    """The (sequence number, hash) of the head a writer loaded; (0, GENESIS) for no ledger yet."""
    return (0, GENESIS) if ledger is None else (ledger.version, ledger.head)
