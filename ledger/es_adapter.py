"""The one place perfledger relies on eventsourcing beyond its documented extension points.

Each use is pinned by tests/test_eventsourcing_contract.py, so that an upgrade of the library
that changes it fails there, loudly, and not as a wrong figure. Everything else uses the
library's public names only (a test parses every module to keep it so).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate, Snapshot
from eventsourcing.utils import get_topic

A = TypeVar("A", bound=Aggregate)

# The keys of an aggregate's own state (``vars(aggregate)``) that hold its creation and
# modification times: what ``Snapshot.take`` copies into a snapshot's state and
# ``Snapshot.mutate`` puts back.
CREATED_ON, MODIFIED_ON = "_created_on", "_modified_on"


def resumed(cls: type[A], originator_id: UUID, version: int, timestamp: datetime, state: dict[str, Any]) -> A:
    """An aggregate of ``cls`` as it stood at ``version`` (last modified at ``timestamp``), with ``state``
    as its own attributes, made without replaying its events and without appending any.

    Why not a public point: eventsourcing restores an aggregate at a version only from a
    ``Snapshot`` (``Snapshot.mutate``), whose ``state`` is the aggregate's ``vars()``: the
    attributes of ``Aggregate.__base_init__`` included, under their private names. The public
    ``modified_on`` and ``version`` setters exist, but ``created_on`` has none, so the snapshot
    state names it (and ``modified_on`` with it) as ``Snapshot.take`` would. perfledger's own
    snapshot (the rules' state, ledger.book.Book.snapshot) is its own format: the library's
    snapshot is only the means of making the aggregate, never stored.
    """
    snapshot = Snapshot(
        originator_id=originator_id,
        originator_version=version,
        timestamp=timestamp,
        topic=get_topic(cls),
        state={**state, CREATED_ON: timestamp, MODIFIED_ON: timestamp},
    )
    aggregate = snapshot.mutate(None)
    assert isinstance(aggregate, cls)
    return aggregate
