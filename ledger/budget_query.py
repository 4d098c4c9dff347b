"""The budget read model's queries: the labels and sums of a cut, planned over its checkpoints.

Written once for both stores (``?`` marks parameters; the recorders' ``query`` names the tables
in their schema). The read model is a cache: ``budget_model`` answers None whenever it cannot
answer exactly, and the caller replays the events instead.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from ledger.readmodel import LabelRow
from ledger.recorders import LedgerRecorder
from ledger.store_errors import is_overflow

# The changes known after one sequence number up to another, effective by a day, summed by item's column.
SUMS_SINCE = (
    "SELECT item, col, SUM(cents) FROM perfledger_budget WHERE seq > ? AND seq <= ? AND day <= ?"
    " GROUP BY item, col"
)
LABELS = (
    "SELECT seq, origin, kind, code, day, year, line, objective, title FROM perfledger_labels WHERE seq <= ?"
    " ORDER BY origin, seq"
)
NEAREST_CHECKPOINTS = (
    "SELECT (SELECT MAX(n) FROM perfledger_budget_checkpoints WHERE n <= ?),"
    " (SELECT MIN(n) FROM perfledger_budget_checkpoints WHERE n > ? AND n <= ?)"
)
CHECKPOINT_AT = (
    "SELECT upto, item, col, cents FROM perfledger_budget_checkpoints WHERE n = ? AND upto = ("
    "SELECT MAX(upto) FROM perfledger_budget_checkpoints WHERE n = ? AND upto <= ?)"
)
# The changes known by a checkpoint, effective after its bound and by a day.
SUMS_AFTER_BOUND = (
    "SELECT item, col, SUM(cents) FROM perfledger_budget WHERE day > ? AND day <= ? AND seq <= ?"
    " GROUP BY item, col"
)
EVERY_DAY = "9999-12-31"


class Sum(NamedTuple):
    """An item's column, summed in cents."""

    item: str
    column: str
    cents: int


class BudgetModel(NamedTuple):
    """The read model's answer at a cut: labels as known, and sums known and in force."""

    labels: list[LabelRow]
    sums: list[Sum]


def budget_model(
    recorder: LedgerRecorder, head: int, known_at: int | None, as_of: date | None
) -> BudgetModel | None:
    """The read model's labels and sums at a cut; None when it cannot answer (replay instead).

    It cannot when the ledger keeps no read model (made by an older version, or its tables
    dropped), when it lags behind ``known_at``, or when a sum is beyond the store's integers.
    """
    upto = recorder.derived_upto()
    if upto is None:
        return None
    known = head if known_at is None else min(known_at, head)
    if known > upto:
        return None
    day = EVERY_DAY if as_of is None else as_of.isoformat()
    try:
        return BudgetModel(labels(recorder, known), sums(recorder, known, upto, day))
    except Exception as e:  # sums beyond the store's integers: the exact replay answers instead
        if is_overflow(e):
            return None
        raise


def labels(recorder: LedgerRecorder, known: int) -> list[LabelRow]:
    return [LabelRow(*row) for row in recorder.query(LABELS, (known,))]


def sums(recorder: LedgerRecorder, known: int, upto: int, day: str) -> list[Sum]:
    """Each item's column known at ``known`` and effective by ``day``: from the nearer checkpoint,
    else summed."""
    below, above = recorder.query(NEAREST_CHECKPOINTS, (known, known, upto))[0]
    if above is not None and above - known < known - (below or 0):
        return sums_from_checkpoint(recorder, above, known, day)
    if below is None:  # every change known by then, summed: a range of the index by sequence number
        return [
            Sum(item, col, int(cents)) for item, col, cents in recorder.query(SUMS_SINCE, (0, known, day))
        ]
    return sums_from_checkpoint(recorder, below, known, day)


def sums_from_checkpoint(recorder: LedgerRecorder, n: int, known: int, day: str) -> list[Sum]:
    """Each item's column sums (cents), known at ``known`` and effective by ``day``, from checkpoint ``n``.

    The checkpoint gives the sums up to the latest quarter-month bound on or before ``day``; to
    them are added the changes known by n and effective from then to ``day`` (at most a week).
    Then, from a checkpoint before ``known``, the changes known after n (up to ``known``) and
    effective by ``day`` are added; from one after it, those known after ``known`` (up to n) are
    taken away. Two short index ranges instead of every change.
    """
    base = recorder.query(CHECKPOINT_AT, (n, n, day))
    bound = base[0][0] if base else ""
    totals: dict[tuple[str, str], int] = {(item, col): int(cents) for _, item, col, cents in base}
    for sign, rows in (
        (1, recorder.query(SUMS_AFTER_BOUND, (bound, day, n))),
        (1, recorder.query(SUMS_SINCE, (n, known, day))) if n <= known else
        (-1, recorder.query(SUMS_SINCE, (known, n, day))),
    ):
        for item, col, cents in rows:
            totals[item, col] = totals.get((item, col), 0) + sign * int(cents)
    return [Sum(item, col, cents) for (item, col), cents in totals.items()]
