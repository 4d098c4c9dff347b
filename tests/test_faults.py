"""Faults: imports killed at random moments, a full disk, a ledger its user may not write.

The kill count is PERFLEDGER_KILLS (200 by default, as in CI; raise it for a
nightly-size run).
"""

from __future__ import annotations

import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from events import parse_submission
from ledger import Store
from ledger.verify import verify
from tests.conftest import ev, small_plan, submissions, write_jsonl

KILLS = int(os.environ.get("PERFLEDGER_KILLS", "200"))
BATCH = 10
PARALLEL = 4
PERFLEDGER = [sys.executable, "-c", "from cli.main import main; main()"]


def batch(k: int) -> list[dict[str, object]]:
    return [ev("BudgetVaried", f"b{k}-{n}", item="A1/04/02", amount="1.00") for n in range(BATCH)]


def test_imports_killed_at_random_moments_leave_every_batch_whole_and_the_chain_intact(
    store: Store, ledger_url: str, tmp_path: Path
) -> None:
    files = [write_jsonl(tmp_path / f"b{k}.jsonl", batch(k)) for k in range(KILLS)]
    rnd = random.Random(2012)
    # Time one whole import, so the kills fall around the moment it writes, not only at start-up.
    warm = write_jsonl(tmp_path / "warm.jsonl", [ev("BudgetVaried", "warm", item="A1/04/02", amount="1.00")])
    started = time.perf_counter()
    subprocess.run([*PERFLEDGER, "--ledger", ledger_url, "import", str(warm), "--actor", "cdg"], check=True,
                   capture_output=True)
    whole = time.perf_counter() - started
    outcomes: Counter[str] = Counter()
    for start in range(0, KILLS, PARALLEL):
        procs = [
            subprocess.Popen([*PERFLEDGER, "--ledger", ledger_url, "import", str(f), "--actor", "cdg"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for f in files[start : start + PARALLEL]
        ]
        time.sleep(rnd.uniform(0.5 * whole, 2.0 * whole))  # four at once: each takes longer than alone
        for proc in procs:
            proc.send_signal(signal.SIGKILL)
        for proc in procs:
            proc.wait()
            outcomes["killed" if proc.returncode == -signal.SIGKILL else f"exit {proc.returncode}"] += 1
    assert verify(store).ok
    present = Counter(e.event_id.split("-")[0] for e in store.events() if e.event_id.startswith("b"))
    assert set(present.values()) <= {BATCH}, "a batch was written in part"
    # Re-running every import adds exactly the missing batches.
    added = 0
    for k in range(KILLS):
        result = store.append([parse_submission(o) for o in batch(k)])
        assert len(result.written) in (0, BATCH) and (len(result.written) == 0) == (f"b{k}" in present)
        added += len(result.written)
    assert added == (KILLS - len(present)) * BATCH and verify(store).ok
    print(f"\n{ledger_url.split('?')[0]}: {outcomes['killed']} of {KILLS} imports killed, "
          f"{len(present)} batches whole before re-import, {KILLS - len(present)} absent, 0 partial")
    # Most imports die mid-way (the point of the test); how many committed first depends on timing.
    assert outcomes["killed"] >= KILLS // 2 and len(present) < KILLS


def _small_files(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def big_batch(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "big.jsonl", [
        {**ev("BudgetVaried", f"big-{n}", item="A1/04/02", amount="1.00"), "note": "x" * 9000}
        for n in range(400)
    ])


@pytest.fixture
def sqlite_store(ledger_path: Path) -> Iterator[Store]:
    """A SQLite ledger with the small plan: file limits and permissions are the SQLite store's concern."""
    with Store.open(str(ledger_path), create=True) as s:
        s.init("CCIAA Test", actor="cdg")
        s.append(submissions(small_plan()))
        yield s


def test_a_full_disk_is_a_clear_error_and_nothing_is_half_written(
    sqlite_store: Store, ledger_path: Path, tmp_path: Path
) -> None:
    store = sqlite_store
    head = verify(store).head
    size = sum(p.stat().st_size for p in ledger_path.parent.glob("ledger.db*"))
    result = subprocess.run([*PERFLEDGER, "--ledger", str(ledger_path), "import", str(big_batch(tmp_path)),
                             "--actor", "cdg"], capture_output=True, text=True, check=False,
                            preexec_fn=lambda: _small_files(size + 200_000))
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "full" in result.stderr or "too large" in result.stderr
    report = verify(store)
    assert report.ok and report.head == head


@contextmanager
def immutable(path: Path) -> Iterator[None]:
    """chattr +i: read-only even for root (CI runs as root, which ignores chmod)."""
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False).returncode != 0:
        pytest.skip("chattr +i is not available on this filesystem")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def refused_append(ledger_path: Path, eid: str) -> str:
    """Append one event in another process; assert it fails with one Error line; return that line."""
    obj = ev("BudgetVaried", eid, item="A1/04/02", amount="1.00")
    result = subprocess.run([*PERFLEDGER, "--ledger", str(ledger_path), "append", "--json", json.dumps(obj),
                             "--actor", "cdg"], capture_output=True, text=True, check=False)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def test_a_read_only_ledger_file_is_a_clear_error_and_readers_still_work(
    sqlite_store: Store, ledger_path: Path
) -> None:
    head = verify(sqlite_store).head
    sqlite_store.close()
    with immutable(ledger_path):
        assert "read-only" in refused_append(ledger_path, "ro-1")
        with Store.open(str(ledger_path)) as reader:
            report = verify(reader)
        assert report.ok and report.head == head


def test_a_read_only_directory_is_a_clear_error_and_nothing_is_half_written(
    sqlite_store: Store, ledger_path: Path
) -> None:
    head = verify(sqlite_store).head
    sqlite_store.close()  # the last connection closes: the -wal file is folded in and removed
    with immutable(ledger_path.parent):
        assert "read-only" in refused_append(ledger_path, "ro-2")
    with Store.open(str(ledger_path)) as reader:
        report = verify(reader)
    assert report.ok and report.head == head
