"""What a write reports: the events it wrote, and the ids it found already present."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


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
