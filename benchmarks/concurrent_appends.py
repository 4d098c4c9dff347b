"""Throughput of concurrent appends: events/s with 1, 4 and 8 writer processes, on SQLite and PostgreSQL.

    python -m benchmarks.concurrent_appends [--events 200] [--postgres URL]

Each writer appends single events (one BudgetVaried per append: one
transaction, one fsync) to the same ledger as fast as it can; the figure is
all events written divided by wall time. The machine is shared and noisy:
read the figures as orders of magnitude, and compare stores within one run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
import uuid
from pathlib import Path

from events import parse_submission
from ledger import Store
from ledger.verify import verify

PLAN = [
    {"type": "PlanOpened", "id": "plan", "effective_date": "2012-01-27", "actor": "bench", "year": 2012,
     "title": "P"},
    {"type": "PolicyLineDefined", "id": "l", "effective_date": "2012-01-27", "actor": "bench", "year": 2012,
     "line": "A1", "title": "L"},
    {"type": "ObjectiveDefined", "id": "o", "effective_date": "2012-01-27", "actor": "bench", "year": 2012,
     "objective": "04", "level": "strategic", "title": "O"},
    {"type": "BudgetItemOpened", "id": "i", "effective_date": "2012-01-27", "actor": "bench",
     "item": "A1/04/01", "line": "A1", "objective": "04", "product": "P", "amount": "1000.00"},
]


def _writer(location: str, writer: int, count: int) -> int:
    with Store.open(location) as store:
        for n in range(count):
            obj = {"type": "BudgetVaried", "id": f"w{writer}-{n}", "effective_date": "2012-03-01",
                   "actor": "bench", "item": "A1/04/01", "amount": "1.00"}
            store.append([parse_submission(obj)])
    return count


def measure(location: str, writers: int, total: int) -> float:
    with Store.open(location, create=True) as store:
        store.append([parse_submission(o) for o in PLAN], create=("Benchmark", "bench"))
    each = total // writers
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(writers) as pool:
        written = sum(pool.starmap(_writer, [(location, w, each) for w in range(writers)]))
    elapsed = time.perf_counter() - started
    with Store.open(location) as store:
        assert verify(store).ok
    return written / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200, help="events per measurement")
    parser.add_argument("--postgres", default=os.environ.get("PERFLEDGER_TEST_POSTGRES",
                                                             "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    print(f"{'store':<12}{'writers':>8}{'events/s':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        for writers in (1, 4, 8):
            rate = measure(str(Path(tmp) / f"bench-{writers}.db"), writers, args.events)
            print(f"{'sqlite':<12}{writers:>8}{rate:>12.0f}")
    import psycopg

    for writers in (1, 4, 8):
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        try:
            rate = measure(f"{args.postgres}?schema={schema}", writers, args.events)
            print(f"{'postgresql':<12}{writers:>8}{rate:>12.0f}")
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


if __name__ == "__main__":
    main()
