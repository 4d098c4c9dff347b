"""The cut every figure command states: which ledger, year, as-of date and known-at moment its figures
were read at, and how far the ledger went (its size in events and its head's hash).

A table starts with the header's lines, a CSV with them as ``# `` comment lines, a JSON document with
``schema`` (the version of the figures' JSON, ``SCHEMA``) and ``cut`` (``CutHeader.to_json``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from cli.labels import tr
from cli.output import day

if TYPE_CHECKING:
    from events import LedgerEvent
    from ledger import Store
    from projections.facts import Cut

SCHEMA = "perfledger/figures/1"
"""The version of the figure commands' JSON: raised when a key changes meaning or goes (adding is not)."""

HEAD = 12  # hex digits of the head's hash shown to people (JSON has all of them)


@dataclass(frozen=True)
class CutHeader:
    """Where figures were read: ``events`` is the ledger's size (its head's sequence number) when read,
    ``head`` that event's hash; ``known_at`` as ``--known-at`` gives it (None: every event recorded)."""

    entity: str
    year: int
    as_of: date | None
    known_at: int | datetime | None
    events: int
    head: str

    def to_json(self) -> dict[str, Any]:
        return {"entity": self.entity, "year": self.year,
                "as_of": None if self.as_of is None else self.as_of.isoformat(),
                "known_at": known_at_json(self.known_at), "events": self.events, "head": self.head}

    def lines(self, locale: str) -> list[str]:
        """``CCIAA Massa Carrara · year 2012 · as of 2012-08-31 · known at 2012-09-15`` and
        ``ledger of 516 events · head 3f2a9c1b7d4e``, in the locale's words."""
        as_of = (tr("as of any date", locale) if self.as_of is None
                 else tr("as of {date}", locale).format(date=day(self.as_of, locale)))
        return [
            " · ".join([self.entity or tr("(no entity)", locale),
                        tr("year {year}", locale).format(year=self.year), as_of, self._known(locale)]),
            self.size_line(locale),
        ]

    def size_line(self, locale: str) -> str:
        """``ledger of 516 events · head 3f2a9c1b7d4e``."""
        return tr("ledger of {events} events · head {head}", locale).format(events=self.events,
                                                                             head=self.head[:HEAD] or "-")

    def ledger_json(self) -> dict[str, Any]:
        """The ledger the figures were read from: its entity, size in events and head's whole hash."""
        return {"entity": self.entity, "events": self.events, "head": self.head}

    def _known(self, locale: str) -> str:
        known = self.known_at
        if known is None:
            return tr("known at the last event", locale)
        if isinstance(known, int):
            return tr("known at event {seq}", locale).format(seq=known)
        if known.timetz() == time.max.replace(tzinfo=UTC):  # a day given: to its end
            return tr("known at {date}", locale).format(date=day(known.date(), locale))
        moment = known.astimezone(UTC)
        return tr("known at {date} {time} UTC", locale).format(date=day(moment.date(), locale),
                                                               time=moment.strftime("%H:%M:%S"))


def known_at_json(known_at: int | datetime | None) -> int | str | None:
    """A known-at as JSON: a sequence number, an instant (``...Z``) or null; ``cli.options.known_at_of``
    reads it back."""
    if isinstance(known_at, datetime):
        return known_at.isoformat().replace("+00:00", "Z")
    return known_at


def header_of_store(store: Store, head: int, cut: Cut, year: int) -> CutHeader:
    """The header of figures read from ``store`` up to event ``head``."""
    return CutHeader(store.entity() if head else "", year, cut.as_of, cut.known_at, head,
                     store.event_at(head).hash if head else "")


def header_of_events(events: Sequence[LedgerEvent], cut: Cut, year: int) -> CutHeader:
    """The header of figures read from these events (a ledger's, in order, from its first)."""
    entity = str(getattr(events[0], "entity", "")) if events else ""
    return CutHeader(entity, year, cut.as_of, cut.known_at, len(events), events[-1].hash if events else "")


def with_json_header(data: dict[str, Any], header: CutHeader) -> dict[str, Any]:
    """A figure's JSON with ``schema`` and ``cut`` first (its own keys unchanged after them)."""
    return {"schema": SCHEMA, "cut": header.to_json(), **data}


def with_header(shown: str, header: CutHeader, fmt: str, locale: str) -> str:
    """A table below the header's lines; a CSV after them as ``# `` comments (inside its byte order mark)."""
    lines = header.lines(locale)
    if fmt == "csv":
        comments = "".join(f"# {line}\n" for line in lines)
        if shown.startswith("\ufeff"):
            return "\ufeff" + comments + shown[1:]
        return comments + shown
    return "\n".join(lines) + "\n\n" + shown
