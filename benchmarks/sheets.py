"""The import of a large spreadsheet: N rows of budget movements (reservations) in one XLSX.

    python -m benchmarks.sheets [--rows 10000] [--postgres URL]
    python -m benchmarks --sheets 10000 ...       (the same, after the main benchmark)

A plan with 100 budget items of 1.000.000,00 each is imported from JSON Lines; then a workbook
of N reservations (amounts as number cells, dates as date cells, one act a row) is written with
XlsxWriter and imported with `perfledger import` in process: it is read with python-calamine,
converted (Italian conventions, exact money), checked and written as one batch with its
SourceImported. Reported: the seconds of reading and converting, of the whole import, and rows/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path
from typing import Any

ITEMS = 100


def plan_lines() -> list[dict[str, Any]]:
    def ev(kind: str, id: str, **fields: Any) -> dict[str, Any]:
        return {"type": kind, "id": id, "effective_date": "2012-01-01", "actor": "bench", **fields}

    return [
        ev("PlanOpened", "plan-2012", year=2012, title="Piano 2012", horizon_days=60),
        ev("PolicyLineDefined", "line-A1", year=2012, line="A1", title="Linea"),
        ev("ObjectiveDefined", "objective-01", year=2012, objective="01", level="strategic",
           title="Obiettivo", line="A1"),
        *(ev("BudgetItemOpened", f"item-{n}", item=f"A1/01/{n:03}", line="A1", objective="01",
             product=f"Prodotto {n}", amount="1000000.00") for n in range(ITEMS)),
    ]


def write_movements(path: Path, rows: int) -> None:
    """A Movimenti sheet of ``rows`` reservations spread over the items and the year."""
    import xlsxwriter  # type: ignore[import-untyped]

    from events.sheet_layouts import MOVEMENTS_SHEET

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet(MOVEMENTS_SHEET.name)
    day_format = book.add_format({"num_format": "dd/mm/yyyy"})
    headers = ["Id", "Data", "Tipo", "Voce", "Prenotazione", "Importo", "Atto", "Numero atto", "Data atto"]
    sheet.write_row(0, 0, headers)
    start = dt.datetime(2012, 1, 2)
    for n in range(1, rows + 1):
        day = start + dt.timedelta(days=n * 360 // (rows + 1))
        sheet.write_string(n, 0, f"r-{n}")
        sheet.write_datetime(n, 1, day, day_format)
        sheet.write_string(n, 2, "prenotazione")
        sheet.write_string(n, 3, f"A1/01/{n % ITEMS:03}")
        sheet.write_string(n, 4, f"r-{n}")
        sheet.write_number(n, 5, (n % 9000 + 1) / 100)  # 0,01 to 90,00: two decimals, as a float
        sheet.write_string(n, 6, "Determinazione dirigenziale")
        sheet.write_string(n, 7, str(n))
        sheet.write_datetime(n, 8, day, day_format)
    book.close()


def measure_sheets(rows: int, work: Path, postgres: str | None = None) -> dict[str, Any]:
    """Seconds to read and convert, and to import, a workbook of ``rows`` movements (SQLite, and
    PostgreSQL when a URL is given)."""
    from click.testing import CliRunner

    from cli.main import main
    from cli.spreadsheets import read_batch

    book = work / "movimenti.xlsx"
    write_movements(book, rows)
    plan = work / "plan.jsonl"
    plan.write_text("".join(json.dumps(o) + "\n" for o in plan_lines()), encoding="utf-8")
    data = book.read_bytes()
    started = time.perf_counter()
    batch = read_batch(data, book.name, actor="bench")
    read_seconds = time.perf_counter() - started
    result: dict[str, Any] = {"rows": rows, "bytes": len(data), "events": len(batch.submissions),
                              "read_and_convert_s": round(read_seconds, 2)}
    targets = [("sqlite", str(work / "sheets.db"))] + ([("postgres", postgres)] if postgres else [])
    for name, location in targets:
        runner = CliRunner()
        assert runner.invoke(main, ["--ledger", location, "import", str(plan)]).exit_code == 0
        started = time.perf_counter()
        done = runner.invoke(main, ["--ledger", location, "import", str(book), "--actor", "bench"])
        seconds = time.perf_counter() - started
        if done.exit_code != 0:
            raise RuntimeError(done.output)
        result[f"import_{name}"] = {"seconds": round(seconds, 2), "rows_per_s": round(rows / seconds)}
    return result


def summary(result: dict[str, Any]) -> str:
    head = (f"XLSX of {result['rows']:,} movement rows ({result['bytes'] / 1e6:.1f} MB,"
            f" {result['events']:,} events with the SourceImported): read and converted in"
            f" {result['read_and_convert_s']} s")
    lines = [head]
    for name in ("sqlite", "postgres"):
        found = result.get(f"import_{name}")
        if found:
            lines.append(f"  import into {name}: {found['seconds']} s, {found['rows_per_s']:,} rows/s")
    return "\n".join(lines)


def measure_in_schema(rows: int, work: Path, postgres: str | None) -> dict[str, Any]:
    """``measure_sheets``, into a PostgreSQL schema of its own, dropped afterwards."""
    if postgres is None:
        return measure_sheets(rows, work)
    import uuid

    import psycopg

    schema = f"bench_sheets_{uuid.uuid4().hex[:8]}"
    try:
        return measure_sheets(rows, work, f"{postgres}?schema={schema}")
    finally:
        with psycopg.connect(postgres, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL (a schema is created and dropped)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(summary(measure_in_schema(args.rows, Path(tmp), args.postgres)))


if __name__ == "__main__":
    main()
