"""Budget checkpoints ("rollups"): each item's column summed up to each quarter-month, at a sequence number.

A cache beside the read model (``perfledger_budget_checkpoints``): an as-of query starts from the
nearest one instead of summing every change. Built by the writer in its transaction, and rebuilt
by ``perfledger verify`` to compare.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

# A checkpoint at n: the changes known by n fall in quarter-months ending on the 7th, 15th, 23rd and
# "31st" ("YYYY-MM-31" sorts after every day of the month); for each such bound and each item's column,
# the sum of its changes effective by that bound (see budget_checkpoint).
BUCKET = (
    "CASE WHEN substr(day, 9, 2) <= '07' THEN substr(day, 1, 8) || '07'"
    " WHEN substr(day, 9, 2) <= '15' THEN substr(day, 1, 8) || '15'"
    " WHEN substr(day, 9, 2) <= '23' THEN substr(day, 1, 8) || '23' ELSE substr(day, 1, 8) || '31' END"
)
CHECKPOINT_COLUMNS = ("n", "upto", "item", "col", "cents")


MAX_CENTS = 2**63 - 1  # SQLite's INTEGER and PostgreSQL's bigint


def quarter_month(day: str) -> str:
    """The bound of the quarter-month a day ("YYYY-MM-DD") falls in: the 7th, 15th, 23rd or "31st"
    (BUCKET)."""
    dd = day[8:10]
    return day[:8] + ("07" if dd <= "07" else "15" if dd <= "15" else "23" if dd <= "23" else "31")


def checkpoint_rows(n: int, amounts: dict[tuple[str, str], dict[str, int]]) -> list[tuple[Any, ...]]:
    """The rows of the budget checkpoint at ``n`` from each item's column's change in each quarter-month:
    (n, bound, item, column, cents summed up to the bound), every column at every bound, in key order."""
    bounds = sorted({upto for buckets in amounts.values() for upto in buckets})
    keys = sorted(amounts)
    totals = dict.fromkeys(keys, 0)
    rows = []
    for upto in bounds:  # in the table's key order, which makes the inserts appends
        for key in keys:
            totals[key] += amounts[key].get(upto, 0)
            rows.append((n, upto, *key, totals[key]))
    return rows


def budget_checkpoint(
    n: int, read: Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]
) -> list[tuple[Any, ...]]:
    """The rows of the budget checkpoint at ``n``: (n, bound, item, column, cents summed up to the bound).

    Built from the checkpoint before it and the changes known since, each bucketed by quarter-month:
    it costs one checkpoint's rows plus the changes since, however long the ledger. ``read`` runs a
    query in the writer's transaction, which sees the pages written so far.
    """
    (prior,) = read("SELECT COALESCE(MAX(n), 0) FROM perfledger_budget_checkpoints WHERE n < ?", (n,))[0]
    amounts: dict[tuple[str, str], dict[str, int]] = {}  # each item's column: its change in each bucket
    running: dict[tuple[str, str], int] = {}
    for upto, item, col, cents in read(
        "SELECT upto, item, col, cents FROM perfledger_budget_checkpoints WHERE n = ? ORDER BY upto", (prior,)
    ):
        key = (item, col)
        amounts.setdefault(key, {})[upto] = int(cents) - running.get(key, 0)  # back from running sums
        running[key] = int(cents)
    for upto, item, col, cents in read(
        f"SELECT {BUCKET}, item, col, SUM(cents) FROM perfledger_budget WHERE seq > ? AND seq <= ?"
        " GROUP BY 1, 2, 3", (prior, n)
    ):
        bucket = amounts.setdefault((item, col), {})
        bucket[upto] = bucket.get(upto, 0) + int(cents)
    rows = checkpoint_rows(n, amounts)
    if any(abs(row[-1]) > MAX_CENTS for row in rows):
        return []  # sums a store's integers cannot hold: no checkpoint here (queries sum or replay instead)
    return rows
