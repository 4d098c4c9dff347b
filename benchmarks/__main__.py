"""perfledger against the machine's own limits, measured in one run.

    python -m benchmarks [--sizes 10000,100000] [--postgres URL] [--signed] [--json results.json]

For each size, a synthetic ledger (benchmarks.generate, deterministic) is
imported, replayed, queried and verified by perfledger, and the same work is
done by the plainest code that can do it (the "raw limit"): sqlite3 inserts of
the same canonical bytes in batches of 1,000 with synchronous=FULL, an ordered
read with orjson decoding and an integer fold. Ratios are perfledger / raw.
CLI figures are wall times of real processes; peak memory is each process's
maximum resident set. Nothing here passes or fails: it reports.

With --signed, each size is also written into a signed ledger and its signatures are verified
three ways, against cryptography's own Ed25519 rates measured in the same run (benchmarks.signed).
With --sheets ROWS, an XLSX of ROWS movements is imported (benchmarks.sheets); with --publish RUNS,
the 2012 Relazione is published as HTML and PDF (benchmarks.publish). --sizes '' runs only those.
"""

from __future__ import annotations

import argparse
import compileall
import gc
import hashlib
import json
import os
import random
import sqlite3
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
from tabulate import tabulate

from benchmarks.generate import write
from benchmarks.processes import run
from benchmarks.publish import measure_publish
from benchmarks.publish import summary as publish_summary
from benchmarks.sheets import measure_in_schema
from benchmarks.sheets import summary as sheets_summary
from benchmarks.signed import measure_signed
from benchmarks.signed import summary as signed_summary


def raw_sqlite_import(source: Path, db: Path) -> float:
    """Parse, canonicalise, hash-chain and insert in batches of 1,000: the plainest atomic import."""
    started = time.perf_counter()
    conn = sqlite3.connect(str(db), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, state BLOB)")
    prev, rows = "0" * 64, []
    conn.execute("BEGIN IMMEDIATE")
    with source.open("rb") as lines:
        for seq, line in enumerate(lines, 1):
            body = orjson.loads(line)
            body.pop("recorded_at", None)
            body.update(seq=seq, prev=prev)
            state = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
            prev = hashlib.sha256(state).hexdigest()
            rows.append((seq, state))
            if len(rows) == 1000:
                conn.executemany("INSERT INTO events VALUES (?, ?)", rows)
                rows = []
    conn.executemany("INSERT INTO events VALUES (?, ?)", rows)
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


def raw_sqlite_read(db: Path) -> float:
    """Ordered read, orjson decode and an integer fold of the amounts: the plainest replay."""
    started = time.perf_counter()
    conn = sqlite3.connect(str(db))
    total = 0
    for (state,) in conn.execute("SELECT state FROM events ORDER BY seq"):
        amount = orjson.loads(state).get("amount")
        if amount is not None:
            total += int(amount.replace(".", ""))
    conn.close()
    return time.perf_counter() - started


def in_process_replay(location: str) -> float:
    from ledger import Store
    from projections.achievement import achievement
    from projections.budget import budget
    from projections.facts import EVERYTHING, known_facts
    from projections.variations import variations

    started = time.perf_counter()
    with Store.open(location) as store:
        events = list(store.events())
    known = known_facts(events, EVERYTHING)  # as `report` does: the facts folded once for all projections
    scores = achievement(known)
    budget(known, year=scores.year)
    variations(known, year=scores.year)
    return time.perf_counter() - started


def as_of_queries(location: str, count: int, seed: int, size: int) -> list[float]:
    from ledger import Store
    from projections.budget import budget_of
    from projections.facts import Cut

    rnd = random.Random(seed)
    times = []
    for _ in range(count):
        day = date(2012, 1, 2) + timedelta(days=rnd.randrange(360))
        known_at = rnd.choice([None, rnd.randrange(1, size + 1)])
        started = time.perf_counter()
        with Store.open(location) as store:
            budget_of(store, Cut(as_of=day, known_at=known_at))  # as `perfledger budget` does
        times.append(time.perf_counter() - started)
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(size: int, work: Path, postgres: str | None, queries: int) -> dict[str, Any]:
    source = work / f"ledger-{size}.jsonl"
    with source.open("w") as out:
        write(size, 7, out)
    result: dict[str, Any] = {"events": size}
    raw_db = work / f"raw-{size}.db"
    raw_import = raw_sqlite_import(source, raw_db)
    raw_read = raw_sqlite_read(raw_db)
    ledger = str(work / f"perfledger-{size}.db")
    wall, rss = run(["--ledger", ledger, "import", str(source), "--backfill", "--entity", "Bench"])
    result["import_sqlite"] = {"events_per_s": size / wall, "raw_events_per_s": size / raw_import,
                               "ratio": raw_import / wall, "peak_rss_mb": rss / 1024}
    replay = in_process_replay(ledger)
    report_wall, report_rss = run(["--ledger", ledger, "report", "--format", "json"])
    result["replay"] = {"events_per_s": size / replay, "raw_events_per_s": size / raw_read,
                        "ratio": raw_read / replay}
    # `report` reads the budget's read model and replays only the facts achievement and variations read.
    result["report_cli"] = {"seconds": report_wall, "peak_rss_mb": report_rss / 1024}
    in_process = as_of_queries(ledger, queries, seed=size, size=size)
    cli = [run(["--ledger", ledger, "budget", "--as-of", f"2012-{m:02d}-15", "--format", "json",
                *(["--known-at", str(size * m // 12)] if m % 2 == 0 else [])])[0]
           for m in range(1, 1 + min(queries, 12))]
    result["as_of"] = {"in_process_ms": {"p50": 1000 * percentile(in_process, 0.5),
                                         "p95": 1000 * percentile(in_process, 0.95),
                                         "max": 1000 * max(in_process)},
                       "cli_ms": {"p50": 1000 * percentile(cli, 0.5), "p95": 1000 * percentile(cli, 0.95),
                                  "max": 1000 * max(cli)}}
    wall, rss = run(["--ledger", ledger, "verify"])
    result["verify"] = {"seconds": wall, "events_per_s": size / wall, "peak_rss_mb": rss / 1024}
    # The chain and signatures alone (--quick): what verify checked before it replayed the rules and caches.
    wall, rss = run(["--ledger", ledger, "verify", "--quick"])
    result["verify_quick"] = {"seconds": wall, "events_per_s": size / wall, "peak_rss_mb": rss / 1024}
    # A signed checkpoint (RFC 9162 tree head) of the ledger as it is, for the consistency proof below.
    keys = work / f"keys-{size}"
    keys.mkdir()
    run(["key", "new", "bench", "--dir", str(keys)])
    checkpoint = work / f"checkpoint-{size}.txt"
    wall, rss = run(["--ledger", ledger, "checkpoint", "--key", str(keys / "bench.key"),
                     "--out", str(checkpoint)])
    result["checkpoint"] = {"seconds": wall, "peak_rss_mb": rss / 1024}
    obj = json.dumps({"type": "BudgetVaried", "id": "bench-append", "effective_date": "2012-12-30",
                      "actor": "bench", "item": "I00001", "amount": "1.00"})
    result["append_ms"] = 1000 * run(["--ledger", ledger, "append", "--json", obj])[0]
    # The chain, then a proof that the ledger (one event longer) extends the signed checkpoint.
    wall, rss = run(["--ledger", ledger, "verify", "--checkpoint", str(checkpoint),
                     "--pubkey", str(keys / "bench.pub")])
    result["verify_with_proof"] = {"seconds": wall, "peak_rss_mb": rss / 1024}
    if postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        try:
            wall, rss = run(["--ledger", f"{postgres}?schema={schema}", "import", str(source), "--backfill",
                             "--entity", "Bench"])
            result["import_postgres"] = {"events_per_s": size / wall, "peak_rss_mb": rss / 1024}
            wall, rss = run(["--ledger", f"{postgres}?schema={schema}", "verify"])
            result["verify_postgres"] = {"seconds": wall, "peak_rss_mb": rss / 1024}
        finally:
            import psycopg

            with psycopg.connect(postgres, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    return result


def summary(r: dict[str, Any]) -> dict[str, str]:
    """One size's figures, as a row of the printed table."""
    imp, replay, as_of = r["import_sqlite"], r["replay"], r["as_of"]
    pg = r.get("import_postgres", {}).get("events_per_s")
    return {
        "events": f"{r['events']:,}",
        "import/s (ratio)": f"{imp['events_per_s']:,.0f} ({imp['ratio']:.2f})",
        "replay/s (ratio)": f"{replay['events_per_s']:,.0f} ({replay['ratio']:.2f})",
        "as-of p95 in/CLI": f"{as_of['in_process_ms']['p95']:.0f}/{as_of['cli_ms']['p95']:.0f} ms",
        "verify (--quick)": f"{r['verify']['seconds']:.2f} ({r['verify_quick']['seconds']:.2f}) s",
        "+ proof": f"{r['verify_with_proof']['seconds']:.2f} s",
        "append": f"{r['append_ms']:.0f} ms",
        "PG import/s": "-" if pg is None else f"{pg:,.0f}",
        "PG verify": f"{r['verify_postgres']['seconds']:.2f} s" if "verify_postgres" in r else "-",
        "RSS import/report/verify/quick": f"{imp['peak_rss_mb']:.0f}/{r['report_cli']['peak_rss_mb']:.0f}"
                                          f"/{r['verify']['peak_rss_mb']:.0f}"
                                          f"/{r['verify_quick']['peak_rss_mb']:.0f} MB",
    }


def compile_bytecode() -> None:
    """Compile perfledger's modules, as pip does when it installs a package.

    The CLI then loads them as an installed perfledger would. (Where PYTHONDONTWRITEBYTECODE is set,
    as on the development machine, a source checkout is otherwise compiled again by every process:
    about 40 ms of each CLI call.)
    """
    root = Path(__file__).resolve().parent.parent
    for package in ("cli", "events", "ledger", "projections"):
        compileall.compile_dir(root / package, quiet=1)


def main() -> None:
    from cli.main import GC_THRESHOLD

    gc.set_threshold(*GC_THRESHOLD)  # in process as in the CLI
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated numbers of events")
    parser.add_argument("--postgres", default=os.environ.get("PERFLEDGER_TEST_POSTGRES"),
                        help="a PostgreSQL URL to import into as well (a schema is created and dropped)")
    parser.add_argument("--queries", type=int, default=20, help="as-of queries per size")
    parser.add_argument("--json", dest="json_out", default="benchmark-results.json")
    parser.add_argument("--signed", action="store_true",
                        help="also measure a signed ledger of each size: its import, its verifiers, and"
                        " Ed25519's own rates")
    parser.add_argument("--sheets", type=int, default=0, metavar="ROWS",
                        help="also import an XLSX of this many budget movements (benchmarks.sheets)")
    parser.add_argument("--publish", type=int, default=0, metavar="RUNS",
                        help="also publish the 2012 Relazione as HTML and PDF, the median of RUNS runs of"
                        " each step (benchmarks.publish)")
    args = parser.parse_args()
    compile_bytecode()
    startup = min(run(["--help"])[0] for _ in range(5))
    results: dict[str, Any] = {"cli_startup_ms": 1000 * startup, "sizes": []}
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",") if s):  # --sizes '': only the options
            results["sizes"].append(measure(size, Path(tmp), args.postgres, args.queries))
            if args.signed:
                results.setdefault("signed", []).append(measure_signed(size, Path(tmp)))
        if args.sheets:
            results["sheets"] = measure_in_schema(args.sheets, Path(tmp), args.postgres)
        if args.publish:
            results["publish"] = measure_publish(Path(tmp), args.publish)
    Path(args.json_out).write_text(json.dumps(results, indent=2))
    print(f"CLI start-up (--help): {results['cli_startup_ms']:.0f} ms")
    if results["sizes"]:
        print(tabulate([summary(r) for r in results["sizes"]], headers="keys", disable_numparse=True))
    if args.signed:
        print("\nSigned ledgers (N events imported: N + 2 in the ledger, N + 1 signatures); ratios are"
              " signatures/s over cryptography's Ed25519 verify rate in one process, and per process")
        print(tabulate([row for r in results["signed"] for row in signed_summary(r)], headers="keys",
                       disable_numparse=True))
    if args.sheets:
        print("\n" + sheets_summary(results["sheets"]))
    if args.publish:
        print("\n" + publish_summary(results["publish"]))
    print(f"(JSON in {args.json_out}; ratios are perfledger / the raw limit measured in this run)")


if __name__ == "__main__":
    main()
