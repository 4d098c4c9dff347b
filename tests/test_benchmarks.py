"""The benchmark keeps working (a small size; its figures are reported, never asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.generate import events
from events import parse_submission
from ledger.aggregate import Ledger
from tests.backends import POSTGRES, postgres_ledger_url, require_postgres

ROOT = Path(__file__).resolve().parents[1]


def test_the_generator_is_deterministic_and_every_event_passes_the_rules() -> None:
    first, again = list(events(3000, seed=3)), list(events(3000, seed=3))
    assert first == again and len(first) == 3000
    start = datetime(2012, 1, 1, tzinfo=UTC)
    ledger = Ledger.open(entity="Bench", actor="bench", note="", now=start)
    new = ledger.extend([parse_submission(e, allow_recorded_at=True) for e in first],
                        now=datetime(2013, 1, 1, tzinfo=UTC))
    assert all(new)


def test_the_benchmark_runs_end_to_end_on_both_stores(tmp_path: Path) -> None:
    require_postgres()
    out = tmp_path / "results.json"
    result = subprocess.run([sys.executable, "-m", "benchmarks", "--sizes", "2000", "--queries", "3",
                             "--postgres", POSTGRES, "--json", str(out)],
                            cwd=ROOT, capture_output=True, text=True, check=False, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(out.read_text())
    size = data["sizes"][0]
    assert size["events"] == 2000 and size["import_sqlite"]["events_per_s"] > 0
    assert size["import_postgres"]["events_per_s"] > 0 and "events" in result.stdout
    assert size["verify_with_proof"]["seconds"] > 0  # the chain, then the consistency proof of a checkpoint


def test_the_generator_can_write_a_signed_ledgers_events_without_changing_the_others() -> None:
    plain, signed = list(events(500, seed=3)), list(events(500, seed=3, actor="cdg", recorded=False))
    assert {e["actor"] for e in signed} == {"cdg"} and not any("recorded_at" in e for e in signed)
    assert [{**e, "actor": "cdg"} for e in plain] == [{**e, "recorded_at": p["recorded_at"]}
                                                        for e, p in zip(signed, plain, strict=True)]


def test_the_signed_benchmark_verifies_every_signature_three_ways(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    result = subprocess.run([sys.executable, "-m", "benchmarks", "--sizes", "2000", "--queries", "3",
                             "--signed", "--postgres", "", "--json", str(out)],
                            cwd=ROOT, capture_output=True, text=True, check=False, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    signed = json.loads(out.read_text())["signed"][0]
    assert (signed["events"], signed["ledger_events"], signed["signatures"]) == (2000, 2002, 2001)
    assert signed["import"]["events_per_s"] > 0 and signed["raw"]["count"] == 20_000
    for name in ("verify_quick", "verify", "bundle_verify"):
        verifier = signed[name]
        assert verifier["signatures_per_s"] > 0 and verifier["processes"] == 1  # one part below 100,000
        assert verifier["ratio"] == verifier["signatures_per_s"] / signed["raw"]["verify_per_s"]
    assert "verify --bundle" in result.stdout and "raw verify" in result.stdout


def test_a_large_import_on_postgres_completes(tmp_path: Path) -> None:
    """30,000 events in one atomic import (eventsourcing's pipelined single insert stalled on such sizes)."""
    source = tmp_path / "large.jsonl"
    source.write_text("".join(json.dumps(e) + "\n" for e in events(30_000, seed=5)))
    with postgres_ledger_url() as url:
        result = subprocess.run([sys.executable, "-c", "from cli.main import main; main()", "--ledger", url,
                                 "import", str(source), "--backfill", "--entity", "Bench"],
                                capture_output=True, text=True, check=False, timeout=300)
        assert result.returncode == 0, result.stderr
        assert "Imported 30001 new event(s)" in result.stdout  # and HistoryMigrated


def test_the_publish_benchmark_times_the_relazione_as_html_and_pdf_against_its_raw_limits(
        tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    result = subprocess.run([sys.executable, "-m", "benchmarks", "--sizes", "", "--publish", "1",
                             "--postgres", "", "--json", str(out)],
                            cwd=ROOT, capture_output=True, text=True, check=False, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    published = json.loads(out.read_text())["publish"]
    assert (published["events"], published["runs"]) == (516, 1)
    timed = [*published["seconds"].values(), *published["raw_seconds"].values()]
    assert all(seconds > 0 for seconds in timed)
    assert published["pdf_s"] > published["html_s"] and set(published["cli"]) == {"html", "pdf"}
    assert "The 2012 Relazione" in result.stdout and "PDF in all" in result.stdout
