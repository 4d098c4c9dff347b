"""What a write reports: the events it wrote, and the ids it found already present."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

KEPT = 10_000  # the written events and present ids a result lists; beyond, it counts them only


class Written(NamedTuple):
    """An event an append wrote: enough to report it, without holding the event."""

    seq: int
    event_id: str
    type: str
    hash: str


@dataclass
class AppendResult:
    """What an append or import did: the events written, and the ids already present.

    ``written`` and ``present`` list the first ``KEPT`` of each (every one, for a batch of up to
    ``KEPT`` events), so that an import of millions of events does not hold them all;
    ``written_count`` and ``present_count`` count them all, and ``first`` and ``last`` are the first
    and last events written (None: none).
    """

    written: list[Written] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    written_count: int = 0
    present_count: int = 0
    first: Written | None = None
    last: Written | None = None

    def wrote(self, events: Iterable[Written]) -> None:
        for event in events:
            if self.first is None:
                self.first = event
            self.last = event
            self.written_count += 1
            if len(self.written) < KEPT:
                self.written.append(event)

    def found(self, event_ids: Iterable[str]) -> None:
        for event_id in event_ids:
            self.present_count += 1
            if len(self.present) < KEPT:
                self.present.append(event_id)
