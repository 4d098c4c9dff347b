"""Spreadsheets read as a controller writes them: Italian numbers and dates, exact money, and errors
that name the sheet, row, column and value. The helpers here build workbooks and CSV files from the
layouts' own headers (test_spreadsheets_import.py and test_templates.py use them too)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from cli.main import main
from events import sheet_cells as cells
from events.sheet_cells import CellProblem
from events.sheet_layouts import BY_KEY, SHEETS

Rows = dict[str, list[dict[str, Any]]]


def write_workbook(path: Path, sheets: Rows, *, numbers_as_text: bool = False) -> Path:
    """An XLSX of these sheets (name -> rows of header -> value), headed by each layout's columns in
    order; dates are written as date cells, numbers as number cells (or as text)."""
    import xlsxwriter  # type: ignore[import-untyped]

    book = xlsxwriter.Workbook(str(path))
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    by_name = {s.name: s for s in SHEETS}
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        layout = by_name.get(name)
        headers = [c.header for c in layout.columns] if layout else sorted({h for r in rows for h in r})
        sheet.write_row(0, 0, headers)
        for r, row in enumerate(rows, 1):
            for header, value in row.items():
                c = headers.index(header)
                if isinstance(value, dt.date):
                    sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), day)
                elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                    if numbers_as_text:
                        sheet.write_string(r, c, str(value))
                    else:
                        sheet.write_number(r, c, float(value))
                else:
                    sheet.write_string(r, c, str(value))
    book.close()
    return path


def write_csv(
    path: Path,
    layout: str,
    rows: list[dict[str, str]],
    *,
    encoding: str = "utf-8",
    bom: bool = False,
    delimiter: str = ";",
) -> Path:
    headers = [c.header for c in BY_KEY[layout].columns if any(c.header in r for r in rows)]
    lines = [delimiter.join(headers)] + [delimiter.join(r.get(h, "") for h in headers) for r in rows]
    data = "\r\n".join(lines).encode(encoding) + b"\r\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def run(ledger: Path | str, *args: str) -> Any:
    return CliRunner().invoke(main, ["--ledger", str(ledger), *args])


# -- cells ------------------------------------------------------------------------------------
def test_an_italian_amount_has_a_decimal_comma_and_optionally_a_thousands_dot() -> None:
    assert cells.money("1.500,00") == "1500.00"
    assert cells.money("1500,5") == "1500.50"
    assert cells.money("€ 1.306.000,00") == "1306000.00"
    assert cells.money("-155,40") == "-155.40"
    assert cells.money("1.500") == "1500.00"  # the dot of thousands, Italian first
    assert cells.money("1500.25") == "1500.25"  # a dot before other than three digits is a decimal point
    assert cells.money("0") == "0.00" and cells.money("-0,00") == "0.00"
    assert cells.money("") is None and cells.money(None) is None


def test_a_dot_after_a_leading_zero_is_a_decimal_point_never_a_thousands_dot() -> None:
    # "0.650" cannot be Italian thousands (no group starts with 0): read as 0,650, not as 650.
    assert cells.number("0.650") == "0.65"
    assert cells.number("00.650") == "0.65"
    assert cells.money("0.500") == "0.50"
    assert cells.money("-0.500") == "-0.50"
    assert cells.money("10.500") == "10500.00"  # a group after a non-zero digit stays thousands


def test_an_error_quotes_a_huge_cell_shortened() -> None:
    quoted = cells.shown("x" * 40_000)
    assert quoted == '"' + "x" * 79 + '…"'


def test_an_amount_with_more_than_two_decimals_or_not_a_number_is_refused() -> None:
    for bad, problem in (
        ("1.500,005", '"1.500,005" is not an amount in euros: it has more than two decimals'),
        (0.125, '"0.125" is not an amount in euros: it has more than two decimals'),
        ("1,500.00", '"1,500.00" is not an amount (write it as 1.500,00)'),
        ("12%", '"12%" is not an amount: write it without %'),
        (True, "TRUE is not an amount"),
    ):
        with pytest.raises(CellProblem) as e:
            cells.money(bad)  # type: ignore[arg-type]
        assert e.value.problem == problem


def test_a_number_cell_is_read_through_its_shortest_spelling_never_float_arithmetic() -> None:
    assert cells.money(1500.1) == "1500.10"
    with pytest.raises(CellProblem):  # 0.30000000000000004: more than two decimals
        cells.money(0.1 + 0.2)
    assert cells.number(0.344444) == "0.344444"
    assert cells.number(1e16) == "10000000000000000"
    assert cells.number(35.0) == "35"


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=Decimal("-999999999999.99"), max_value=Decimal("999999999999.99"), places=2))
def test_any_amount_of_two_places_comes_back_equal_as_a_number_or_as_italian_text(amount: Decimal) -> None:
    as_float = float(amount)  # what a workbook stores in a number cell
    assert Decimal(cells.money(as_float) or "x") == amount
    italian = f"{amount:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert Decimal(cells.money(italian) or "x") == amount


def test_weights_are_numbers_from_0_to_100_without_a_percent_sign() -> None:
    assert cells.weight("33,33") == "33.33" and cells.weight(50.0) == "50"
    for bad in ("33,3%", "120", "-1", "tanto"):
        with pytest.raises(CellProblem) as e:
            cells.weight(bad)
        assert e.value.problem == f'"{bad}" is not a weight between 0 and 100'


def test_dates_are_day_first_or_iso_or_date_cells() -> None:
    assert cells.day("31/12/2012") == "2012-12-31"
    assert cells.day("1/2/2012") == "2012-02-01"
    assert cells.day("2012-12-31") == "2012-12-31"
    assert cells.day(dt.date(2012, 4, 30)) == "2012-04-30"
    assert cells.day(dt.datetime(2012, 4, 30)) == "2012-04-30"
    for bad, problem in (
        ("31/02/2012", '"31/02/2012" is not a calendar date'),
        ("12/31/12", '"12/31/12" is not a date (write it as 31/12/2012)'),
        (
            41274.0,
            ('"41274" is a number, not a date: format the cell as a date, or write the date as 31/12/2012'),
        ),
    ):
        with pytest.raises(CellProblem) as e:
            cells.day(bad)  # type: ignore[arg-type]
        assert e.value.problem == problem


def test_a_measured_value_is_a_number_a_date_or_not_available() -> None:
    assert cells.measured("0,71") == "0.71"
    assert cells.measured("ND") == "ND" and cells.measured("n.d.") == "ND"
    assert cells.measured("30/03/2012") == "2012-03-30"
    assert cells.measured(dt.date(2012, 3, 30)) == "2012-03-30"
    assert cells.measured(38.0) == "38"


def test_words_are_read_in_italian_or_as_the_fields_own_values() -> None:
    from events.sheet_layouts import DIRECTIONS, LEVELS

    direction = cells.choice(DIRECTIONS)
    assert direction("Crescente") == "higher" and direction("al  massimo") == "at_most"
    assert direction("deadline") == "deadline"
    with pytest.raises(CellProblem) as e:
        direction("su")
    assert e.value.problem == '"su" is not one of: crescente, decrescente, almeno, al massimo, scadenza'
    assert cells.words_list(LEVELS, others=True)("valore pubblico, strategico, operativo") == (
        "public_value,strategic,operational"
    )


def test_codes_typed_as_numbers_read_as_written() -> None:
    assert cells.text(4.0) == "4" and cells.text(3.1) == "3.1" and cells.text("  04 ") == "04"


# -- errors name the sheet, row, column and value, and nothing is written --------------------
def plan_sheets() -> Rows:
    return {
        "Piano": [{"Anno": 2012, "Titolo": "Piano 2012", "Data": dt.date(2012, 1, 27)}],
        "Obiettivi": [{"Codice": "04", "Livello": "strategico", "Titolo": "Valorizzazione"}],
        "Indicatori": [
            {
                "Codice": "04.1",
                "Obiettivo": "04",
                "Titolo": "Partecipanti",
                "Peso": "50",
                "Direzione": "crescente",
                "Target": "30",
            },
            {
                "Codice": "04.2",
                "Obiettivo": "04",
                "Titolo": "Bando",
                "Peso": "50",
                "Direzione": "scadenza",
                "Target": "30/03/2012",
            },
        ],
    }


@pytest.mark.parametrize(
    ("sheet", "row", "change", "message"),
    [
        (
            "Indicatori",
            3,
            {"Peso": "33,3%"},
            'sheet "Indicatori", row 3, column "Peso": "33,3%" is not a weight between 0 and 100',
        ),
        (
            "Indicatori",
            2,
            {"Direzione": "su"},
            (
                'sheet "Indicatori", row 2, column "Direzione": "su" is not one of: crescente, decrescente,'
                " almeno, al massimo, scadenza"
            ),
        ),
        (
            "Indicatori",
            2,
            {"Target": ""},
            'sheet "Indicatori", row 2, column "Target": is empty: a value is required',
        ),
        (
            "Obiettivi",
            2,
            {"Data": "32/01/2012"},
            'sheet "Obiettivi", row 2, column "Data": "32/01/2012" is not a calendar date',
        ),
        (
            "Obiettivi",
            2,
            {"Atto": "Delibera di Giunta"},
            ('sheet "Obiettivi", row 2, column "Numero atto": is empty: an act needs its kind, number'
            " and date"),
        ),
        (
            "Obiettivi",
            2,
            {"Titolo": "a\u200bb"},
            (
                'sheet "Obiettivi", row 2, column "Titolo": "a\\u200bb" holds an invisible character U+200B'
                " ZERO WIDTH SPACE; remove it"
            ),
        ),
    ],
)
def test_a_bad_cell_is_named_by_sheet_row_column_and_value_and_nothing_is_written(
    tmp_path: Path, sheet: str, row: int, change: dict[str, Any], message: str
) -> None:
    sheets = plan_sheets()
    sheets[sheet][row - 2].update(change)
    book = write_workbook(tmp_path / "piano.xlsx", sheets)
    result = run(tmp_path / "l.db", "import", str(book))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {message}"), result.output
    assert not (tmp_path / "l.db").exists()


def test_a_rule_broken_by_a_row_names_its_sheet_and_row_and_nothing_is_written(tmp_path: Path) -> None:
    sheets = plan_sheets()
    sheets["Indicatori"][1]["Obiettivo"] = "99"
    assert run(tmp_path / "l.db", "init", "--entity", "CCIAA").exit_code == 0
    result = run(tmp_path / "l.db", "import", str(write_workbook(tmp_path / "piano.xlsx", sheets)))
    assert result.exit_code == 1
    assert result.output == (
        "Error: sheet \"Indicatori\", row 3, event 'indicator-04.2': unknown objective '99'\n"
    )
    assert run(tmp_path / "l.db", "log", "--format", "csv").output.count("\n") == 2  # header and event 1


def test_an_empty_sheet_of_another_name_is_left_out(tmp_path: Path) -> None:
    sheets = {**plan_sheets(), "Foglio2": []}  # the empty sheet an Italian Excel adds
    result = run(tmp_path / "l.db", "import", str(write_workbook(tmp_path / "a.xlsx", sheets)))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Imported ")


def test_unknown_sheets_columns_and_repeated_ids_are_named(tmp_path: Path) -> None:
    sheets = plan_sheets()
    sheets["Indicatore"] = sheets.pop("Indicatori")
    result = run(tmp_path / "l.db", "import", str(write_workbook(tmp_path / "a.xlsx", sheets)))
    assert result.output.startswith(
        'Error: sheet "Indicatore": is not a sheet perfledger reads; did you mean "Indicatori"?'
    ), result.output
    sheets = plan_sheets()
    sheets["Obiettivi"].append(dict(sheets["Obiettivi"][0]))
    result = run(tmp_path / "l.db", "import", str(write_workbook(tmp_path / "b.xlsx", sheets)))
    assert result.output == (
        "Error: sheet \"Obiettivi\", row 3: the event id 'objective-04' is given already"
        ' by sheet "Obiettivi", row 2\n'
    )
    path = write_csv(
        tmp_path / "ind.csv",
        "plan-lines",
        [{"Codice": "A1", "Titolo": "T", "Anno": "2012", "Data": "01/01/2012"}],
    )
    path.write_text(path.read_text(encoding="utf-8").replace("Titolo", "Titoli"), encoding="utf-8")
    result = run(tmp_path / "l.db", "import", str(path), "--layout", "plan-lines")
    assert result.output.startswith(
        'Error: sheet "Linee", row 1, column "Titoli": is not a column of Linee; did you mean "Titolo"?'
    ), result.output
    assert not (tmp_path / "l.db").exists()


def test_a_movement_names_what_its_kind_needs_and_refuses_what_it_does_not_use(tmp_path: Path) -> None:
    rows = [
        {
            "Id": "r-1",
            "Data": "15/03/2012",
            "Tipo": "approvazione",
            "Prenotazione": "r-1",
            "Voce": "A1/04/01",
            "Importo": "1.500,00",
        }
    ]
    result = run(tmp_path / "l.db", "import", str(write_csv(tmp_path / "m.csv", "movements", rows)))
    assert result.output == (
        'Error: sheet "Movimenti", row 2, column "Voce": "A1/04/01" is not used by a'
        " movement of kind approvazione: leave it blank\n"
    )
    rows[0].update(Tipo="prenotazione", Voce="")
    result = run(tmp_path / "l.db", "import", str(write_csv(tmp_path / "m.csv", "movements", rows)))
    assert result.output == (
        'Error: sheet "Movimenti", row 2, column "Voce": is empty: a movement of kind prenotazione needs it\n'
    )


# -- CSV: delimiters and encodings ---------------------------------------------------------------
LINES = [{"Anno": "2012", "Codice": "A1", "Titolo": "Attività produttive", "Data": "01/01/2012"}]


@pytest.mark.parametrize(
    ("encoding", "bom", "delimiter", "options"),
    [
        ("utf-8", False, ";", ()),
        ("utf-8", True, ";", ()),
        ("cp1252", False, ";", ()),
        ("cp1252", False, ";", ("--encoding", "cp1252")),
        ("utf-8", False, ",", ()),
        ("utf-8", False, "\t", ("--delimiter", "\t")),
    ],
)
def test_a_csv_file_in_utf8_with_or_without_bom_or_windows_1252_reads_the_same(
    tmp_path: Path, encoding: str, bom: bool, delimiter: str, options: tuple[str, ...]
) -> None:
    from cli.spreadsheets import csv_sheet

    path = write_csv(
        tmp_path / "linee.csv", "plan-lines", LINES, encoding=encoding, bom=bom, delimiter=delimiter
    )
    sheet = csv_sheet(
        path.read_bytes(),
        "linee.csv",
        encoding=dict(zip(options[::2], options[1::2])).get("--encoding"),
        delimiter=dict(zip(options[::2], options[1::2])).get("--delimiter"),
    )
    assert sheet.name == "Linee" and sheet.layout is BY_KEY["plan-lines"]
    assert list(sheet.rows[1][1]) == ["2012", "A1", "Attività produttive", "01/01/2012"]


def test_a_csv_file_that_is_neither_utf8_nor_windows_1252_is_named_by_its_byte(tmp_path: Path) -> None:
    path = tmp_path / "linee.csv"
    path.write_bytes("Codice;Titolo\r\nA1;caff\u00e8\r\n".encode("cp1252").replace(b"\xe8", b"\x81"))
    result = run(tmp_path / "l.db", "import", str(path))
    assert result.output == (
        "Error: linee.csv: byte 23 (0x81) is not utf-8 nor cp1252: save the file as UTF-8,"
        " or give --encoding\n"
    )


def test_a_csv_header_that_fits_no_layout_asks_for_one(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("Codice;Colore\r\nA1;blu\r\n", encoding="utf-8")
    result = run(tmp_path / "l.db", "import", str(path))
    assert result.output.startswith(
        'Error: sheet "x.csv", row 1: the header row fits no layout: name one with'
        " --layout (plan-year, plan-lines"
    ), result.output


# -- the SourceImported rule -------------------------------------------------------------------
def test_a_source_names_only_events_recorded_before_it_and_no_other_source() -> None:
    from datetime import UTC, datetime

    from ledger.errors import UnknownReference
    from tests.conftest import ev, in_memory_ledger, small_plan, submissions

    def source(id: str, *ids: str, part: int = 1, parts: int = 1) -> dict[str, Any]:
        rows = [{"id": i, "sheet": "Obiettivi", "row": n} for n, i in enumerate(ids, 2)]
        return ev("SourceImported", id, "2012-01-27", source="piano.xlsx", sha256="a" * 64, part=part,
                  parts=parts, rows=rows)

    now = datetime(2012, 2, 1, tzinfo=UTC)
    ledger = in_memory_ledger([*small_plan(), source("s-1", "obj-04", "obj-08")], now)
    ledger.extend(submissions([source("s-2", "obj-04", "plan")]), now=now)  # an earlier batch's events
    refused = ((source("s-3", "obj-99"), "no event 'obj-99' is recorded before this SourceImported"),
               (source("s-4", "s-1"), "'s-1' is itself a SourceImported"),
               (source("s-5", "plan", part=2), "part 2 of 1"))
    for bad, message in refused:
        with pytest.raises(UnknownReference, match=message):
            ledger.extend(submissions([bad]), now=now)


def test_a_source_cannot_be_corrected() -> None:
    from datetime import UTC, datetime

    from ledger.errors import InvalidCorrection
    from tests.conftest import ev, in_memory_ledger, small_plan, submissions

    now = datetime(2012, 2, 1, tzinfo=UTC)
    rows = [{"id": "plan", "sheet": "Piano", "row": 2}]
    ledger = in_memory_ledger([*small_plan(), ev("SourceImported", "s-1", "2012-01-27", source="piano.xlsx",
                                                 sha256="a" * 64, part=1, parts=1, rows=rows)], now)
    fix = ev("EventCorrected", "fix", "2012-01-27", corrects="s-1", reason="r", changes={"source": "x.xlsx"})
    with pytest.raises(InvalidCorrection, match="SourceImported 's-1' cannot be corrected"):
        ledger.extend(submissions([fix]), now=now)
