"""Snapshots of the rules' state (ledger.book.Book.snapshot): taken by a write, restored by the next load.

A snapshot is a cache: one whose event is missing, whose hash is not the chain's, or whose state
does not restore (junk, another format) is passed over, never trusted and never in the way of an
append; ``perfledger verify`` rebuilds every snapshot and names a wrong one.
"""

from __future__ import annotations

import orjson

from events import dumps
from ledger.aggregate import Ledger
from ledger.book import Book, origin_of
from ledger.codec import decode_body, decode_body_dict
from ledger.lookup import StoreLookup
from ledger.recorders import LedgerRecorder
from ledger.store_errors import is_driver_error

# 2: the years' closings; 3: strikes by id, revocations, measured periods; 4: items keep the id of their
# opening and their availability along the dates; 5: each year's latest effective date (``Book.latest``)
SNAPSHOT_FORMAT = 5
SNAPSHOT_TRIES = 3  # the latest snapshots tried, newest first, before folding every event


def snapshot_state(book: Book) -> bytes:
    """What a snapshot stores of the rules' state."""
    return dumps({"format": SNAPSHOT_FORMAT, **book.snapshot()})


def latest_sound(recorder: LedgerRecorder, upto: int) -> Ledger | None:
    """The ledger at its latest sound snapshot at or before ``upto``, None if none of the latest few is.

    ``upto`` is how far the id index reaches: a restored book looks up in it the events before
    its snapshot, and folds the events after it (which the index may lack: on PostgreSQL a
    controller's appends leave the caches behind).
    """
    found = recorder.query(
        "SELECT seq, hash, state FROM perfledger_snapshots WHERE seq <= ? ORDER BY seq DESC LIMIT ?",
        (upto, SNAPSHOT_TRIES))
    for seq, head, state in found:
        ledger = restored(recorder, int(seq), str(head), bytes(state))
        if ledger is not None:
            return ledger
    return None


def restored(recorder: LedgerRecorder, seq: int, head: str, state: bytes) -> Ledger | None:
    """The ledger as the snapshot at ``seq`` leaves it; None if the snapshot is not sound."""
    event = recorder.rows(seq - 1, 1)
    if not event or event[0][0] != seq or recorder.chain_hashes(seq - 1, seq).get(seq) != head:
        return None
    try:
        snapshot = orjson.loads(state)
        if (
            not isinstance(snapshot, dict)
            or snapshot.get("format") != SNAPSHOT_FORMAT
            or snapshot.get("known") != seq
        ):
            return None
        book = Book.restore(snapshot, StoreLookup(recorder), decode_body_dict)
        book.origin = origin_of(decode_body(bytes(recorder.rows(0, 1)[0][2]), keep=True))  # type: ignore[arg-type]
        return Ledger.resume(book, decode_body(bytes(event[0][2]), keep=True))
    except Exception as e:  # whatever a junk state makes the restore raise, it is not used
        if is_driver_error(e):
            raise
        return None
