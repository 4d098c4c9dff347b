"""Signed ledgers against cryptography's own Ed25519 rates, measured in one run (``--signed``).

For each size, the synthetic ledger (benchmarks.generate, every event by the controller ``cdg``,
recorded at the store's clock) is written into a signed ledger: ``init --signed``, then
``import FILE --key cdg.key --actor cdg``, which signs each event once its place is known. Then
``verify --quick`` (chain and signatures), ``verify`` (also the rules and caches) and the bundle
verifier (``verify --bundle``, i.e. ``ledger.proofs.verify_bundle``) on its export check every
signature. The raw limit is ``cryptography`` alone, in this process: one ``Ed25519PublicKey``
verifying the ledger's own signatures of its own messages in a tight loop, and one
``Ed25519PrivateKey`` signing them. A signed ledger of N imported events holds N + 2 events and
N + 1 signatures (every event but LedgerOpened).
"""

from __future__ import annotations

import base64
import os
import re
import sys
import time
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from benchmarks.generate import write
from benchmarks.processes import run, run_output

RAW_SIGNATURES = 20_000  # how many signatures the raw loops verify and sign (the ledger's, cycled if fewer)


def measure_signed(size: int, work: Path) -> dict[str, Any]:
    """One size's signed figures: the import, each verifier, and the raw rates measured alongside."""
    source = work / f"signed-{size}.jsonl"
    with source.open("w") as file:
        write(size, 7, file, actor="cdg", recorded=False)
    keys = work / f"signed-keys-{size}"
    keys.mkdir()
    run(["key", "new", "cdg", "--dir", str(keys)])
    key, pub, vkey = (str(keys / f"cdg.{ext}") for ext in ("key", "pub", "vkey"))
    ledger = str(work / f"signed-{size}.db")
    run(["--ledger", ledger, "init", "--signed", "--entity", "Bench", "--controller", "cdg",
         "--pubkey", pub, "--key", key])
    events, signatures = size + 2, size + 1
    wall, rss = run(["--ledger", ledger, "import", str(source), "--key", key, "--actor", "cdg"])
    result: dict[str, Any] = {
        "events": size, "ledger_events": events, "signatures": signatures,
        "import": {"seconds": wall, "events_per_s": size / wall, "peak_rss_mb": rss / 1024},
    }
    raw = raw_ed25519(ledger, Path(key), Path(pub))
    result["raw"] = raw
    parts = chain_processes(events)
    wall, rss, out = run_output(["--ledger", ledger, "verify", "--quick"])
    expect(out, rf"OK: {events} events", "verify --quick")
    result["verify_quick"] = verifier(wall, rss, events, signatures, parts, raw)
    wall, rss, out = run_output(["--ledger", ledger, "verify"])
    expect(out, rf"{signatures} signatures verified", "verify")
    result["verify"] = verifier(wall, rss, events, signatures, parts, raw)
    checkpoint, bundle = work / f"signed-checkpoint-{size}.txt", work / f"signed-bundle-{size}"
    wall, _ = run(["--ledger", ledger, "checkpoint", "--key", key, "--out", str(checkpoint)])
    result["checkpoint_seconds"] = wall
    wall, _ = run(["--ledger", ledger, "export", "--bundle", str(bundle), "--checkpoint", str(checkpoint),
                   "--vkey", vkey])
    result["export_seconds"] = wall
    wall, rss, out = run_output(["verify", "--bundle", str(bundle), "--vkey", vkey])
    expect(out, rf"{signatures} signatures of registered actors verified", "verify --bundle")
    result["bundle_verify"] = verifier(wall, rss, events, signatures, 1, raw)
    return result


def expect(output: str, pattern: str, what: str) -> None:
    """Stop unless a verifier's output says it checked what the figures count."""
    if re.search(pattern, output) is None:
        raise SystemExit(f"perfledger {what} did not report {pattern!r}: {output[:300]}")


def chain_processes(events: int) -> int:
    """How many processes verify checks a SQLite chain (and its signatures) with, as ledger.verify does."""
    from ledger.verify import MAX_PARTS, VERIFY_IN_PARTS

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if events < VERIFY_IN_PARTS or sys.platform != "linux":
        return 1
    return max(1, min(cores, MAX_PARTS))


def verifier(wall: float, rss: int, events: int, signatures: int, processes: int,
             raw: dict[str, Any]) -> dict[str, Any]:
    """A verifier's figures; ``ratio``: its signatures/s over the raw verify rate of one process."""
    rate = signatures / wall
    return {"seconds": wall, "events_per_s": events / wall, "signatures_per_s": rate, "processes": processes,
            "ratio": rate / raw["verify_per_s"], "ratio_per_process": rate / raw["verify_per_s"] / processes,
            "peak_rss_mb": rss / 1024}


def raw_ed25519(ledger: str, private_pem: Path, public_pem: Path) -> dict[str, Any]:
    """cryptography's Ed25519 rates on this ledger's own messages and signatures, in this process.

    ``verify_per_s``: one Ed25519PublicKey verifying the stored signatures in a tight loop;
    ``sign_per_s``: one Ed25519PrivateKey signing the same messages; ``check_per_s``: what
    perfledger's verifiers do per event for its signature (``proofs.check_event_signature`` on a
    parsed body: its message rebuilt, the key decoded, the signature verified), for comparison.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

    from ledger import Store, proofs

    with Store.open(ledger) as store:
        rows = list(islice(store.rows(0), RAW_SIGNATURES + 2))
    first = orjson.loads(rows[0][2])
    signers = proofs.Signers.of(first, bytes(rows[0][2]))
    proofs.check_event_signature(2, orjson.loads(rows[1][2]), signers)  # registers cdg, the controller
    bodies = [(seq, orjson.loads(state)) for seq, _, state in rows[2:]]
    bodies = list(islice(_cycle(bodies), RAW_SIGNATURES))
    pairs = [(_message(signers.origin, seq, body), base64.b64decode(body["signature"]))
             for seq, body in bodies]
    public = serialization.load_pem_public_key(public_pem.read_bytes())
    private = serialization.load_pem_private_key(private_pem.read_bytes(), password=None)
    assert isinstance(public, Ed25519PublicKey) and isinstance(private, Ed25519PrivateKey)
    verify, sign = public.verify, private.sign
    started = time.perf_counter()
    for message, signature in pairs:
        verify(signature, message)  # raises InvalidSignature: a wrong message would stop the benchmark
    verifying = time.perf_counter() - started
    started = time.perf_counter()
    for message, _ in pairs:
        sign(message)
    signing = time.perf_counter() - started
    check = proofs.check_event_signature
    started = time.perf_counter()
    for seq, body in bodies:
        check(seq, body, signers)
    checking = time.perf_counter() - started
    count = len(pairs)
    return {"count": count, "message_bytes": sum(len(m) for m, _ in pairs) / count,
            "verify_per_s": count / verifying, "verify_us": 1e6 * verifying / count,
            "sign_per_s": count / signing, "sign_us": 1e6 * signing / count,
            "check_per_s": count / checking, "check_us": 1e6 * checking / count}


def _message(origin: str, seq: int, body: dict[str, Any]) -> bytes:
    """What the event's signature signs (ledger.proofs.event_message of its content and place)."""
    from ledger import proofs

    content = proofs.canonical_json({k: v for k, v in body.items()
                                     if k not in ("signature", "seq", "recorded_at", "prev")})
    return proofs.event_message(origin, seq, body["prev"], content)


def _cycle(items: list[Any]) -> Any:
    while True:
        yield from items


VERIFIERS = (("verify_quick", "verify --quick"), ("verify", "verify"),
             ("bundle_verify", "verify --bundle"))


def summary(r: dict[str, Any]) -> list[dict[str, str]]:
    """One size's signed figures, as rows of the printed table: one row per measurement."""
    raw, imp = r["raw"], r["import"]

    def row(measured: str, signatures_per_s: float, ratio: str, seconds: float | None = None,
            events_per_s: float | None = None, processes: int = 1,
            rss: float | None = None) -> dict[str, str]:
        return {"events": "", "measured": measured,
                "seconds": "" if seconds is None else f"{seconds:.2f}",
                "events/s": "" if events_per_s is None else f"{events_per_s:,.0f}",
                "signatures/s": f"{signatures_per_s:,.0f}", "processes": str(processes),
                "ratio to raw (per process)": ratio, "peak RSS": "" if rss is None else f"{rss:.0f} MB"}

    rows = [row("signed import", imp["events_per_s"],
                f"{imp['events_per_s'] / raw['sign_per_s']:.2f} of sign", imp["seconds"],
                imp["events_per_s"], rss=imp["peak_rss_mb"])]
    rows += [row(name, v["signatures_per_s"], f"{v['ratio']:.2f} ({v['ratio_per_process']:.2f})",
                 v["seconds"], v["events_per_s"], v["processes"], v["peak_rss_mb"])
             for key, name in VERIFIERS for v in [r[key]]]
    rows += [
        row(f"raw verify ({raw['message_bytes']:.0f}-byte messages)", raw["verify_per_s"],
            f"1.00 ({raw['verify_us']:.1f} µs each)"),
        row("raw sign", raw["sign_per_s"], f"({raw['sign_us']:.1f} µs each)"),
        row("proofs.check_event_signature", raw["check_per_s"],
            f"{raw['check_per_s'] / raw['verify_per_s']:.2f} ({raw['check_us']:.1f} µs each)"),
    ]
    rows[0]["events"] = f"{r['events']:,}"
    return rows
