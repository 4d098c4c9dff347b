"""A migrated history: events with their own recorded_at, imported into a new ledger, closed by
HistoryMigrated."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import date

from events import HistoryMigrated, Submission, parse_submission
from ledger.errors import BackfillRefused


def _unclosed() -> BackfillRefused:
    return BackfillRefused(
        "a migrated history (events with recorded_at) is imported into a new ledger and closed by one"
        " HistoryMigrated event, its last (perfledger import --backfill does both); nothing was written"
    )


def _clocked() -> BackfillRefused:
    return BackfillRefused("HistoryMigrated is recorded at the store's clock: give it no recorded_at")


class Digest:
    """The ``sha256`` and ``upto`` of the HistoryMigrated that closes a history, as its events go by."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()
        self.count = 0

    def add(self, sub: Submission) -> None:
        if self.count:
            self.hash.update(b"\n")
        self.hash.update(sub.content_bytes)
        self.count += 1

    def closing(self, source: str, actor: str, day: date) -> Submission:
        """The HistoryMigrated of the events added: it closes a migrated history imported into a new
        ledger (events 1 to ``count`` + 1). ``sha256`` is the hash of the migrated events' canonical
        contents, one per line, so that anyone can recompute it from the ledger itself."""
        digest = self.hash.hexdigest()
        return parse_submission({
            "type": HistoryMigrated.TYPE, "id": f"history-migrated-{digest[:16]}",
            "effective_date": day.isoformat(), "actor": actor, "upto": self.count + 1,
            "source": source, "sha256": digest,
        })


def checked_stream(
    pages: Iterable[Sequence[Submission]], *, existing: bool, version: int, location: str,
    closing: tuple[str, date] | None,
) -> Iterator[Sequence[Submission]]:
    """A batch read page by page, with a migrated history's checks made as its pages go by: it
    creates its ledger, and one HistoryMigrated, its last, closes it (added, given ``closing`` =
    (actor, day) for a batch that creates its ledger, when the batch lacks one).

    Each page is looked at before it is yielded (checked and written), so that a page breaking
    these rules writes nothing of itself; what only the batch's end tells (a history that is not
    closed by one HistoryMigrated, its last) is refused after the last page, before the commit.
    ``existing``: the ledger was there before this batch; ``version``: its length when checked.
    """
    seen = _Seen(closing)
    for page in pages:
        seen.page(page, existing=existing, version=version, location=location)
        yield page
    last = seen.closing_page()
    if last:
        yield last
    seen.check_end()


class _Seen:
    """What the pages of a batch told so far, as ``checked_stream`` goes: whether it migrates a
    history (recorded_at given), how many HistoryMigrated it holds, its last submission."""

    def __init__(self, closing: tuple[str, date] | None) -> None:
        self.closing = closing
        self.migrating = False
        self.migrated = 0
        self.last: Submission | None = None
        self.digest = Digest()

    def page(self, page: Sequence[Submission], *, existing: bool, version: int, location: str) -> None:
        """Look at one page before it is checked and written: refused if it breaks the rules."""
        for sub in page:
            self._add(sub)
        if (self.migrating or self.migrated) and existing:
            raise refuse_into_existing(location)
        if (self.migrating or self.migrated) and version != 1:
            raise _unclosed()

    def _add(self, sub: Submission) -> None:
        if self.last is not None and self.last.cls is HistoryMigrated:
            raise _unclosed()  # an event after HistoryMigrated, or a second one
        if sub.recorded_at is not None:
            self.migrating = True
        if sub.cls is HistoryMigrated:
            self.migrated += 1
        if self.closing is not None:
            self.digest.add(sub)
        self.last = sub

    def closing_page(self) -> list[Submission]:
        """After the last page: the HistoryMigrated that closes a migrated history creating its
        ledger, if it lacks one; else nothing."""
        last = self.last
        if self.migrating and self.closing is not None and (last is None or last.cls is not HistoryMigrated):
            self.last = self.digest.closing("", *self.closing)
            self.migrated += 1
            return [self.last]
        return []

    def check_end(self) -> None:
        """What only the batch's end tells: a migrated history is closed by one HistoryMigrated, its last."""
        if not self.migrating and not self.migrated:
            return
        last = self.last
        if last is None or last.cls is not HistoryMigrated or self.migrated > 1:
            raise _unclosed()
        if last.recorded_at is not None:
            raise _clocked()


def refuse_into_existing(location: str) -> BackfillRefused:
    return BackfillRefused(
        f"{location} already holds a ledger: recorded_at may be given only when a history is"
        " migrated into a new ledger (import --backfill into a path with no ledger yet); nothing was"
        " written"
    )
