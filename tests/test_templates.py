"""`perfledger template` writes the workbooks the import reads: the same columns (one definition),
Italian headers, an instructions sheet, validation lists; filled in, they import."""

from __future__ import annotations

import zipfile
from pathlib import Path

from events.sheet_layouts import BY_KEY, WORKBOOKS
from tests.test_spreadsheets import run
from tests.test_spreadsheets_import import contents, equivalent_jsonl


def test_the_plan_template_has_instructions_then_a_sheet_per_layout_headed_by_its_columns(
    tmp_path: Path,
) -> None:
    from python_calamine import CalamineWorkbook

    result = run(tmp_path / "l.db", "template", "plan", "--out", str(tmp_path / "piano.xlsx"))
    assert result.output == (
        f"Wrote {tmp_path / 'piano.xlsx'}: sheets Istruzioni, Piano, Linee, Obiettivi, Indicatori,"
        " Voci di budget.\n"
    )
    book = CalamineWorkbook.from_path(str(tmp_path / "piano.xlsx"))
    assert book.sheet_names == ["Istruzioni", "Piano", "Linee", "Obiettivi", "Indicatori", "Voci di budget"]
    for layout in WORKBOOKS["plan"].sheets:
        assert book.get_sheet_by_name(layout.name).to_python() == [[c.header for c in layout.columns]]
    instructions = [row[0] for row in book.get_sheet_by_name("Istruzioni").to_python()]
    assert instructions[0] == "perfledger: Piano della performance, modello da compilare"
    assert "Foglio Indicatori" in instructions and "Peso" in instructions


def test_the_template_offers_lists_of_the_values_a_column_takes_and_formats_its_cells(tmp_path: Path) -> None:
    path = tmp_path / "piano.xlsx"
    assert run(tmp_path / "l.db", "template", "plan", "--out", str(path)).exit_code == 0
    with zipfile.ZipFile(path) as z:
        indicators = z.read("xl/worksheets/sheet5.xml").decode()
        styles = z.read("xl/styles.xml").decode()
    assert '"crescente,decrescente,almeno,al massimo,scadenza"' in indicators
    assert '"misurato,riferimento,rapporto tra anni,variazioni' in indicators
    assert 'type="decimal"' in indicators and "<formula2>100</formula2>" in indicators  # Peso: 0 to 100
    assert 'formatCode="dd/mm/yyyy"' in styles and 'formatCode="#,##0.00"' in styles
    assert 'formatCode="@"' in styles  # codes are text: 04 stays 04


def test_the_budget_and_measurements_templates(tmp_path: Path) -> None:
    from python_calamine import CalamineWorkbook

    for kind, name, sheet in (
        ("budget", "movimenti.xlsx", "Movimenti"),
        ("measurements", "misurazioni.xlsx", "Misurazioni"),
    ):
        out = tmp_path / name
        assert run(tmp_path / "l.db", "template", kind, "--out", str(out)).output == (
            f"Wrote {out}: sheets Istruzioni, {sheet}.\n"
        )
        book = CalamineWorkbook.from_path(str(out))
        assert book.get_sheet_by_name(sheet).to_python()[0][:3] == (
            ["Id", "Data", "Tipo"] if kind == "budget" else ["Indicatore", "Fine periodo", "Valore"]
        )
    with zipfile.ZipFile(tmp_path / "movimenti.xlsx") as z:
        assert (
            '"variazione,prenotazione,approvazione,rettifica"' in z.read("xl/worksheets/sheet2.xml").decode()
        )


def test_csv_templates_are_one_file_per_sheet_in_utf8_with_bom_and_semicolons(tmp_path: Path) -> None:
    folder = tmp_path / "modelli"
    result = run(tmp_path / "l.db", "template", "plan", "--format", "csv", "--out", str(folder))
    names = ["piano", "linee", "obiettivi", "indicatori", "voci-di-budget"]
    assert result.output == f"Wrote {', '.join(str(folder / (n + '.csv')) for n in names)}.\n"
    data = (folder / "indicatori.csv").read_bytes()
    assert (
        data == ("\ufeff" + ";".join(c.header for c in BY_KEY["plan-indicators"].columns) + "\r\n").encode()
    )
    again = run(
        tmp_path / "l.db", "template", "plan", "--format", "csv", "--out", str(folder), "--sheet", "linee"
    )
    assert (
        again.exit_code == 1
        and again.output == f"Error: {folder / 'linee.csv'} exists already: give --force to replace it\n"
    )
    assert (
        run(
            tmp_path / "l.db",
            "template",
            "plan",
            "--format",
            "csv",
            "--out",
            str(folder),
            "--sheet",
            "Linee",
            "--force",
        ).output
        == f"Wrote {folder / 'linee.csv'}.\n"
    )
    wrong = run(tmp_path / "l.db", "template", "plan", "--sheet", "Linee")
    assert wrong.exit_code == 2 and "--sheet is for --format csv" in wrong.output


def test_a_template_filled_in_imports_as_its_json_lines_would(tmp_path: Path) -> None:
    from cli.spreadsheets import workbook_sheets
    from events.spreadsheets import Sheet, read_sheets

    path = tmp_path / "piano.xlsx"
    assert run(tmp_path / "l.db", "template", "plan", "--out", str(path)).exit_code == 0
    template = {s.name: s for s in workbook_sheets(path.read_bytes(), "piano.xlsx")}
    filled = {
        "Piano": [{"Anno": 2012.0, "Titolo": "Piano della Performance 2012", "Data": "27/01/2012"}],
        "Linee": [{"Codice": "A1", "Titolo": "Valorizzazione del territorio"}],
    }
    sheets = []
    for name, rows in filled.items():
        header = list(template[name].rows[0][1])
        cells = [[row.get(h, "") for h in header] for row in rows]
        sheets.append(Sheet(name, [*template[name].rows, *((n, c) for n, c in enumerate(cells, 2))]))
    batch = read_sheets(sheets, source="piano.xlsx", sha256="0" * 64, actor="cdg")
    from events import parse_submission

    plan, line = (s.content_bytes for s in batch.submissions[:2])
    expected = {
        "type": "PlanOpened",
        "id": "plan-2012",
        "effective_date": "2012-01-27",
        "actor": "cdg",
        "year": 2012,
        "title": "Piano della Performance 2012",
    }
    assert plan == parse_submission(expected).content_bytes
    assert line == parse_submission({e["id"]: e for e in equivalent_jsonl()}["line-2012-A1"]).content_bytes
    assert [s.cls.TYPE for s in batch.submissions] == ["PlanOpened", "PolicyLineDefined", "SourceImported"]


def test_a_csv_template_filled_in_imports(tmp_path: Path) -> None:
    folder = tmp_path / "modelli"
    assert run(tmp_path / "l.db", "template", "plan", "--format", "csv", "--out", str(folder)).exit_code == 0
    piano = folder / "piano.csv"
    header = piano.read_text(encoding="utf-8-sig").strip().split(";")
    row = {
        "Anno": "2012",
        "Titolo": "Piano della Performance 2012",
        "Data": "27/01/2012",
        "Livelli": "strategico, operativo, individuale",
        "Penalità di ritardo": "0,02",
        "Giorni oltre l'anno": "60",
    }
    with piano.open("a", encoding="utf-8") as out:
        out.write(";".join(row.get(h, "") for h in header) + "\r\n")
    ledger = str(tmp_path / "l.db")
    assert run(ledger, "import", str(piano), "--actor", "cdg").output == (
        "Imported 2 new event(s) (events 2-3); 0 already present.\n"
    )
    assert [e["type"] for e in contents(ledger)] == ["PlanOpened"]
