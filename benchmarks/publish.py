"""Publishing the 2012 example's Relazione: the model, the HTML page and the PDF/A-3b, in process.

    python -m benchmarks.publish [--runs 5]
    python -m benchmarks --publish 5 ...          (the same, after the main benchmark)

The 2012 example (examples/cciaa-massa-carrara-2012, 516 events) is imported into SQLite; then
each step of ``perfledger publish`` is timed in process, the median of RUNS runs: reading the
ledger's events, the document's model (every figure with its derivation and each event's audit
path), the HTML page, the printed page (without the derivations, the evidence and the script) and
the PDF printed from it. The raw limits, measured in the same run:
the report's figures alone (``report --format json``'s three folds over the same events), and
WeasyPrint printing the same page as a plain PDF (its scripts left out and print.css added, as
``pdf`` does; no PDF/A, nothing attached) and a trivial page as PDF/A-3b (its fixed cost: fonts,
the colour profile). Ratios are perfledger / the raw limit. The whole command is timed once per
format as a real process as well (``publish --format html|pdf``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.processes import run

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "cciaa-massa-carrara-2012" / "events.jsonl"
TRIVIAL = ('<!doctype html><html lang="it"><head><meta charset="utf-8"><title>Prova</title></head>'
           '<body style="font-family: \'DejaVu Sans\'"><p>Una pagina di prova: 94%.</p></body></html>')


def median_seconds(work: Callable[[], object], runs: int) -> float:
    """The median wall time of ``runs`` calls of ``work``."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure_publish(work: Path, runs: int = 5) -> dict[str, Any]:
    """Seconds of each step of publishing the 2012 Relazione, medians of ``runs``, and the raw limits."""
    from click.testing import CliRunner
    from weasyprint import CSS, HTML

    from cli.main import main
    from cli.publish.anchor import anchor_of
    from cli.publish.command import html_of
    from cli.publish.model import document
    from cli.publish.pdf import VARIANT, pdf, print_css, unscripted
    from cli.views import report_data
    from ledger import Store
    from projections.facts import Cut

    ledger = str(work / "publish.db")
    done = CliRunner().invoke(main, ["--ledger", ledger, "import", str(EXAMPLE), "--backfill", "--entity",
                                     "CCIAA Massa Carrara"])
    if done.exit_code != 0:
        raise RuntimeError(done.output)

    def read() -> list[Any]:
        store = Store.open(ledger)
        try:
            return list(store.events(upto=store.length()))
        finally:
            store.close()

    events = read()
    doc = document(events, Cut(), None, anchor_of(events, None, []))
    page = html_of(doc)
    paper = html_of(doc, printed=True)  # the page the PDF prints: no derivations, evidence nor script
    printed = pdf(doc, paper)
    steps = {
        "read": median_seconds(read, runs),
        "model": median_seconds(lambda: document(events, Cut(), None, anchor_of(events, None, [])), runs),
        "html": median_seconds(lambda: html_of(doc), runs),
        "printed_html": median_seconds(lambda: html_of(doc, printed=True), runs),
        "pdf": median_seconds(lambda: pdf(doc, paper), runs),
    }
    raw = {
        "report": median_seconds(lambda: report_data(events, Cut(), None), runs),
        "plain_pdf": median_seconds(lambda: HTML(string=unscripted(paper)).write_pdf(
            stylesheets=[CSS(string=print_css())]), runs),
        "trivial_pdf": median_seconds(lambda: HTML(string=TRIVIAL).write_pdf(pdf_variant=VARIANT), runs),
    }
    cli = {fmt: run(["--ledger", ledger, "publish", "--format", fmt, "--out", str(work / f"relazione.{fmt}")])
           for fmt in ("html", "pdf")}
    return {
        "events": len(events), "figures": len(doc.figures), "evidence": len(doc.evidence), "runs": runs,
        "page_bytes": len(page.encode()), "pdf_bytes": len(printed), "seconds": steps, "raw_seconds": raw,
        "html_s": steps["read"] + steps["model"] + steps["html"],
        "pdf_s": steps["read"] + steps["model"] + steps["printed_html"] + steps["pdf"],
        "ratios": {"model/report": steps["model"] / raw["report"],
                   "pdf/plain_pdf": steps["pdf"] / raw["plain_pdf"],
                   "pdf/trivial_pdf": steps["pdf"] / raw["trivial_pdf"]},
        "cli": {fmt: {"seconds": wall, "peak_rss_mb": rss / 1024} for fmt, (wall, rss) in cli.items()},
    }


def summary(r: dict[str, Any]) -> str:
    s, raw, ratios, cli = r["seconds"], r["raw_seconds"], r["ratios"], r["cli"]
    lines = [
        (f"The 2012 Relazione ({r['events']} events, {r['figures']} figures, {r['evidence']} events of"
         f" evidence; page {r['page_bytes'] / 1e6:.1f} MB, PDF {r['pdf_bytes'] / 1e6:.1f} MB), medians of"
         f" {r['runs']} in process:"),
        (f"  read the ledger {1000 * s['read']:.0f} ms · model {1000 * s['model']:.0f} ms · html"
         f" {1000 * s['html']:.0f} ms · printed page {1000 * s['printed_html']:.0f} ms · pdf"
         f" {1000 * s['pdf']:.0f} ms"),
        (f"  HTML in all {r['html_s']:.2f} s, PDF in all {r['pdf_s']:.2f} s; the command as a process:"
         f" html {cli['html']['seconds']:.2f} s, pdf {cli['pdf']['seconds']:.2f} s"
         f" ({cli['pdf']['peak_rss_mb']:.0f} MB)"),
        (f"  raw: the report's figures {1000 * raw['report']:.0f} ms (model {ratios['model/report']:.1f}x);"
         f" the printed page as a plain PDF {raw['plain_pdf']:.2f} s (PDF/A-3b with attachments"
         f" {ratios['pdf/plain_pdf']:.2f}x); a trivial page as PDF/A-3b {1000 * raw['trivial_pdf']:.0f} ms"),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each step (the median is reported)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(summary(measure_publish(Path(tmp), args.runs)))


if __name__ == "__main__":
    main()
