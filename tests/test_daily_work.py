"""The issue's story, end to end, on SQLite and PostgreSQL: a controller takes the template, records a
year from the spreadsheets they keep, and an auditor answers the four questions in Italian: every
event touching an objective, what changed between two reports, what a later correction changed,
and one event with its corrections; `explain` names the spreadsheet row a value came from."""

from __future__ import annotations

from pathlib import Path

from python_calamine import CalamineWorkbook

from events.sheet_layouts import PLAN
from tests.test_spreadsheets import run
from tests.test_spreadsheets_import import files


def headers(path: Path) -> dict[str, list[str]]:
    """Each sheet's first row, as the workbook holds it."""
    book = CalamineWorkbook.from_path(str(path))
    return {name: [str(c) for c in book.get_sheet_by_name(name).to_python()[0]]
            for name in book.sheet_names if name != "Istruzioni"}


def test_a_year_set_up_from_the_template_and_kept_in_spreadsheets_answers_the_audit_questions_in_italian(
    tmp_path: Path, ledger_url: str
) -> None:
    template = tmp_path / "modello-piano.xlsx"
    made = run(tmp_path / "unused.db", "template", "plan", "--format", "xlsx", "--out", str(template))
    assert made.exit_code == 0, made.output
    sheets = headers(template)
    assert "Obiettivi" in sheets and "Indicatori" in sheets
    assert sheets == {sheet.name: [c.header for c in sheet.columns] for sheet in PLAN.sheets}

    assert run(ledger_url, "init", "--entity", "CCIAA Massa Carrara").exit_code == 0
    for path in files(tmp_path):  # the plan workbook, the movements' CSV (cp1252), the measurements
        imported = run(ledger_url, "import", str(path), "--actor", "cdg")
        assert imported.exit_code == 0, imported.output

    # 1. Every event touching objective 04, in Italian.
    log = run(ledger_url, "log", "--objective", "04", "--locale", "it").output
    assert log.splitlines()[0].split() == ["n.", "codice", "tipo", "decorrenza", "registrato", "il", "(UTC)",
                                           "autore", "hash"]
    assert "    importo € 1.500,00 prenotazione res-1 voce A1/04/01" in log
    assert max(len(line) for line in log.splitlines()) <= 120

    # 2. What changed between the 30/04 and the 31/12 reports.
    between = run(ledger_url, "diff", "--from", "2012-04-30", "--to", "2012-12-31", "--locale", "it").output
    assert between.startswith("CCIAA Massa Carrara · registro di ")
    assert "\nDati del 2012 cambiati\n  da: situazione al 30/04/2012, come noto ora\n" in between
    assert "budget item A1/04/01 adjusted" in between and "aggiunti" in between

    # 3. What a correction recorded later changed in the year-end figures.
    before = run(ledger_url, "verify").output.split()[1]  # "OK: N events ..."
    corrected = run(ledger_url, "append", "EventCorrected", "--id", "fix-m-1",
                    "--effective-date", "2012-12-31", "--corrects", "m-AMM/04.1-a-2012-12-31",
                    "--changes", '{"value": "20"}',
                    "--reason", "un partecipante contato due volte", "--actor", "cdg")
    assert corrected.exit_code == 0, corrected.output
    later = run(ledger_url, "diff", "--from", f"2012-12-31@{before}", "--to", "2012-12-31", "--locale", "it")
    assert later.exit_code == 0, later.output
    assert "achievement indicator AMM/04.1-a" in later.output
    assert f"aggiunti {int(before) + 1}" in later.output

    # 4. The measurement, with the correction applied to it and who recorded it.
    shown = run(ledger_url, "show", "m-AMM/04.1-a-2012-12-31", "--locale", "it").output
    assert shown.startswith("campo ")
    assert "Corretto da:" in shown and "fix-m-1" in shown and "cdg" in shown

    # explain points to the spreadsheet row the value came from.
    explained = run(ledger_url, "explain", "achievement", "indicator", "AMM/04.1-a", "--locale", "it").output
    assert "da misurazioni-2012.xlsx, foglio Misurazioni, riga 3" in explained
