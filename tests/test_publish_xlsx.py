"""The Relazione as a workbook: ``perfledger publish --format xlsx`` on the 2012 example.

Every amount is a number equal to the figure ``report --format json`` gives at the same cut; every
subtotal is a live SUM whose cached value, and whose sum recomputed here over the cells it names, are
that figure; the Copertina states the cut and the anchor and says the workbook is a copy; the same
document gives the same bytes. The sheets' XML is read with the standard library (zipfile, ElementTree);
values as a spreadsheet reads them, with python-calamine.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner, Result
from python_calamine import CalamineWorkbook

from cli.header import CutHeader
from cli.main import main
from cli.publish.anchor import anchor_of
from cli.publish.model import document
from cli.publish.words import anchor_words
from cli.publish.xlsx import amount, created, workbook
from ledger import Store
from projections.facts import Cut
from tests.conftest import small_plan, submissions

SHEETS = ["Copertina", "Bilancio", "Disponibilità", "Obiettivi", "Indicatori", "Variazioni", "Scostamenti"]
BUDGET_HEADERS = ["Linea", "Obiettivo", "Voce", "Prodotto", "Budget", "Variazioni", "Totale", "Prenotato",
                  "Approvato", "Rettificato", "Disponibile"]
MONEY = ["budget", "variations", "total", "reserved", "approved", "adjusted", "available"]
NOTICE = ("Copia di comodo: la fonte di verità è il registro perfledger; ogni cifra si verifica con"
          " `perfledger verify --expect` e `perfledger explain`")
CENT = Decimal("0.01")
CUTS = {"year-end": (), "31/08": ("--as-of", "2012-08-31")}
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def run(ledger: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--ledger", ledger, *args], catch_exceptions=False)


@dataclass(frozen=True)
class Published:
    """A workbook ``publish`` wrote at a cut, and what ``report --format json`` prints at that cut."""

    data: bytes
    report: dict[str, Any]
    args: tuple[str, ...]
    output: str
    ledger: str


@pytest.fixture(scope="module", params=list(CUTS))
def published(request: pytest.FixtureRequest, example: str, tmp_path_factory: pytest.TempPathFactory
              ) -> Published:
    args = CUTS[request.param]
    out = tmp_path_factory.mktemp("xlsx") / "relazione.xlsx"
    result = run(example, "publish", "--format", "xlsx", "--out", str(out), *args)
    assert result.exit_code == 0, result.output
    # without --as-of the document is the year-end Relazione: the report at 31/12 of its year
    report_args = args or ("--as-of", "2012-12-31")
    report = json.loads(run(example, "report", "--format", "json", *report_args).output)
    return Published(out.read_bytes(), report, args, result.output, example)


# -- reading a workbook back --------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    """A cell as the sheet's XML holds it: its formula (without ``=``), its value or cached value (a
    shared string resolved), its type attribute and its style's index."""

    formula: str | None
    value: str | None
    kind: str | None
    style: int


def sheet_files(z: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet's file in the package, by sheet name, in the workbook's order."""
    rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    sheets = ElementTree.fromstring(z.read("xl/workbook.xml")).iter(MAIN + "sheet")
    return {str(s.get("name")): f"xl/{targets[s.get(REL + 'id')]}" for s in sheets}


def sheets_xml(data: bytes) -> dict[str, dict[str, Cell]]:
    """Every sheet's cells by reference (``E20``), by sheet name."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        shared = ElementTree.fromstring(z.read("xl/sharedStrings.xml"))
        strings = ["".join(t.text or "" for t in si.iter(MAIN + "t")) for si in shared]
        found: dict[str, dict[str, Cell]] = {}
        for name, path in sheet_files(z).items():
            root = ElementTree.fromstring(z.read(path))
            cells = {}
            for c in root.iter(MAIN + "c"):
                f, v = c.find(MAIN + "f"), c.find(MAIN + "v")
                value = None if v is None else v.text
                if c.get("t") == "s" and value is not None:
                    value = strings[int(value)]
                cells[str(c.get("r"))] = Cell(None if f is None else f.text, value, c.get("t"),
                                              int(c.get("s", "0")))
            found[name] = cells
    return found


def sheet_xml(data: bytes, name: str) -> str:
    """A sheet's XML as text."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(sheet_files(z)[name]).decode()


@dataclass(frozen=True)
class Style:
    bold: bool
    fill: str | None  # the solid fill's colour, RRGGBB
    number_format: str


def styles(data: bytes) -> list[Style]:
    """The workbook's cell styles (``cellXfs``), by index."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        root = ElementTree.fromstring(z.read("xl/styles.xml"))
    formats = {int(str(f.get("numFmtId"))): str(f.get("formatCode")) for f in root.iter(MAIN + "numFmt")}
    formats[0] = "General"
    fonts = [f.find(MAIN + "b") is not None for f in root.find(MAIN + "fonts") or []]
    fills = []
    for fill in root.find(MAIN + "fills") or []:
        colour = fill.find(f"{MAIN}patternFill/{MAIN}fgColor")
        fills.append(None if colour is None else str(colour.get("rgb"))[2:])
    xfs = root.find(MAIN + "cellXfs") or []
    return [Style(fonts[int(str(x.get("fontId")))], fills[int(str(x.get("fillId")))],
                  formats[int(str(x.get("numFmtId")))]) for x in xfs]


def rows_of(data: bytes, name: str) -> list[list[Any]]:
    """A sheet's rows as a spreadsheet reads them (cached values for formulas)."""
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(name)
    rows: list[list[Any]] = sheet.to_python()
    return rows


def cents(x: Any) -> Decimal:
    """A number cell read back as an amount: its shortest decimal, to the cent."""
    assert isinstance(x, float), f"{x!r} is not a number cell"
    return Decimal(repr(x)).quantize(CENT)


def column_letter(index: int) -> str:
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[index]


def referenced(formula: str) -> list[str]:
    """The cells a ``SUM(E2:E19)`` / ``SUM(E20,E45)`` adds, in order (ranges in one column)."""
    match = re.fullmatch(r"SUM\(([A-Z0-9:,]+)\)", formula)
    assert match, f"{formula} is not a SUM of cells"
    cells = []
    for part in match.group(1).split(","):
        first, _, last = part.partition(":")
        column, start = first.rstrip("0123456789"), int(first.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        end = int(last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) if last else start
        assert not last or last.rstrip("0123456789") == column, part
        cells += [f"{column}{n}" for n in range(start, end + 1)]
    return cells


# -- what each Bilancio row stands for ----------------------------------------------------------------
def budget_figures(report: dict[str, Any], row: list[Any]) -> tuple[str, dict[str, str]]:
    """A Bilancio row's level and the figures ``report --format json`` gives it."""
    budget = report["budget"]
    line, objective, item, product = row[:4]
    off_line = budget.get("off_line", {"rows": [], "objectives": []})
    if item:
        return "product", next(r for r in [*budget["rows"], *off_line["rows"]] if r["item"] == item)
    if product.endswith(" Somma"):
        groups = budget["objectives"] if line else off_line["objectives"]
        return "objective", next(g for g in groups if g["objective"] == objective)
    if product == "Totale complessivo":
        return "total", budget["total"]
    if product == "Totale generale":
        return "overall", budget["overall"]
    if line:
        return "line", next(g for g in budget["lines"] if g["line"] == line)
    assert product == "fuori dalle linee programmatiche Totale", product
    return "off_line", off_line


def test_publish_writes_the_workbook_with_its_seven_sheets_named_in_italian(published: Published) -> None:
    assert published.output.startswith("Wrote ")
    assert zipfile.is_zipfile(io.BytesIO(published.data))
    assert CalamineWorkbook.from_filelike(io.BytesIO(published.data)).sheet_names == SHEETS


def test_every_amount_of_the_bilancio_is_a_number_equal_to_the_report_figure(published: Published) -> None:
    rows = rows_of(published.data, "Bilancio")
    assert rows[0] == BUDGET_HEADERS
    budget = published.report["budget"]
    levels = []
    for row in rows[1:]:
        level, figures = budget_figures(published.report, row)
        levels.append(level)
        assert [cents(x) for x in row[4:]] == [Decimal(figures[k]) for k in MONEY], row[:4]
    products = len(budget["rows"]) + len(budget.get("off_line", {"rows": []})["rows"])
    assert levels.count("product") == products
    assert levels.count("line") == len(budget["lines"])
    assert levels.count("total") == 1
    # each objective lies on one line in the example: its Somma is the report's objective figure
    off_line = budget.get("off_line", {"objectives": []})
    assert levels.count("objective") == len(budget["objectives"]) + len(off_line["objectives"])
    assert levels[-2:] == (["off_line", "overall"] if "off_line" in budget else ["line", "total"])


def test_every_subtotal_is_a_live_sum_cached_with_the_stored_figure_and_adding_up_to_it(
        published: Published) -> None:
    rows = rows_of(published.data, "Bilancio")
    cells = sheets_xml(published.data)["Bilancio"]
    subtotals = 0
    for number, row in enumerate(rows[1:], start=2):
        level, figures = budget_figures(published.report, row)
        for index, key in enumerate(MONEY, start=4):
            cell = cells[f"{column_letter(index)}{number}"]
            stored = Decimal(figures[key])
            if level == "product":
                assert cell.formula is None
                continue
            subtotals += 1
            assert cell.formula is not None and cell.formula.startswith("SUM("), (row[3], key)
            assert Decimal(str(cell.value)).quantize(CENT) == stored  # the cached value
            parts = referenced(cell.formula)
            assert all(p.startswith(column_letter(index)) for p in parts)
            assert len(set(parts)) == len(parts)
            assert sum((Decimal(str(cells[p].value)).quantize(CENT) for p in parts), Decimal(0)) == stored
    assert subtotals > 0


def test_a_line_total_adds_its_objectives_subtotals_and_the_grand_total_its_lines(
        published: Published) -> None:
    rows = rows_of(published.data, "Bilancio")
    cells = sheets_xml(published.data)["Bilancio"]
    levels = {n: budget_figures(published.report, row)[0] for n, row in enumerate(rows[1:], start=2)}
    adds = {"objective": {"product"}, "line": {"objective"}, "total": {"line"}, "off_line": {"objective"},
            "overall": {"total", "off_line"}}
    for number, level in levels.items():
        if level != "product":
            formula = cells[f"G{number}"].formula
            assert formula is not None
            assert {levels[int(p[1:])] for p in referenced(formula)} == adds[level], (number, formula)


def test_disponibilita_links_the_bilancio_totals_and_divides_them_live(published: Published) -> None:
    budget = published.report["budget"]
    rows = rows_of(published.data, "Disponibilità")
    cells = sheets_xml(published.data)
    assert rows[0] == ["Linea", "Titolo", "Totale", "Prenotato", "Disponibile", "Disponibile/Totale"]
    expected = [*budget["lines"], {"line": "", "title": "Totale complessivo", **budget["total"]}]
    assert [r[:2] for r in rows[1:]] == [[g["line"], g["title"]] for g in expected]
    for number, (row, group) in enumerate(zip(rows[1:], expected, strict=True), start=2):
        assert [cents(x) for x in row[2:5]] == [Decimal(group[k]) for k in ("total", "reserved", "available")]
        for letter in "CDE":
            linked = cells["Disponibilità"][f"{letter}{number}"].formula
            assert linked is not None and linked.startswith("Bilancio!")
            source = cells["Bilancio"][linked.removeprefix("Bilancio!")]
            assert source.value == cells["Disponibilità"][f"{letter}{number}"].value
        ratio = cells["Disponibilità"][f"F{number}"]
        assert ratio.formula == f"E{number}/C{number}"
        assert float(str(ratio.value)) == float(Decimal(group["ratio"]))


def test_the_copertina_states_the_cut_the_ledger_and_that_the_workbook_is_a_copy(
        published: Published) -> None:
    cut = published.report["cut"]
    as_of = None if cut["as_of"] is None else date.fromisoformat(cut["as_of"])
    header = CutHeader(cut["entity"], cut["year"], as_of, None, cut["events"], cut["head"])
    texts = [str(x) for row in rows_of(published.data, "Copertina") for x in row]
    for line in header.lines("it"):
        assert line in texts
    assert texts[0] == ("Relazione sulla Performance 2012" if not published.args
                        else "Report di monitoraggio al 31/08/2012")
    assert cut["head"] in texts and "CCIAA Massa Carrara" in texts
    rows = [tuple(row[:2]) for row in rows_of(published.data, "Copertina")]
    with Store.open(published.ledger) as store:
        events = list(store.events(upto=store.length()))
    stated = anchor_words(anchor_of(events, None, []))
    assert [(row.label, row.text) for row in stated.rows] == [r for r in rows if r[0] in (
        "Ancoraggio", "Cosottoscrizioni")]  # the front page's words
    assert any(t.startswith("testa del registro stesso: evento 516 di perfledger.invalid/") for t in texts)
    assert NOTICE in texts
    cell = next(c for c in sheets_xml(published.data)["Copertina"].values() if c.value == NOTICE)
    assert styles(published.data)[cell.style].bold


def test_a_checkpoint_cosigned_by_the_oiv_is_named_on_the_copertina_with_its_key_ids(
        example: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = str(shutil.copy(example, tmp_path / "copy.db"))
    monkeypatch.chdir(tmp_path)
    assert run(ledger, "key", "new", "cdg").exit_code == 0
    assert run(ledger, "key", "new", "oiv", "--key-name", "oiv.example", "--witness").exit_code == 0
    assert run(ledger, "checkpoint", "--key", "cdg.key").exit_code == 0
    assert run(ledger, "checkpoint", "cosign", "checkpoint-516.txt", "--key", "oiv.key",
               "--log-vkey", "cdg.vkey", "--state", "oiv-state.json").exit_code == 0
    result = run(ledger, "publish", "--format", "xlsx", "--out", "r.xlsx",
                 "--checkpoint", "checkpoint-516.txt", "--vkey", "cdg.vkey", "--vkey", "oiv.vkey")
    assert result.exit_code == 0, result.output
    rows = {row[0]: row[1] for row in rows_of((tmp_path / "r.xlsx").read_bytes(), "Copertina") if row[0]}
    cdg_id = (tmp_path / "cdg.vkey").read_text().split("+")[1]
    oiv_id = (tmp_path / "oiv.vkey").read_text().split("+")[1]
    origin, size, root = (tmp_path / "checkpoint-516.txt").read_text().splitlines()[:3]
    assert rows["Ancoraggio"] == f"checkpoint {size} di {origin}, radice {root}"
    assert rows["Firmato da"] == f"cdg (chiave {cdg_id})"
    assert re.fullmatch(rf"oiv\.example \(chiave {oiv_id}, il \d\d/\d\d/\d{{4}} \d\d:\d\d:\d\d UTC\)",
                        rows["Cosottoscritto da"])


def test_the_same_document_gives_the_same_bytes_dated_by_its_cut(published: Published, example: str,
                                                                 tmp_path: Path) -> None:
    again = tmp_path / "again.xlsx"
    assert run(example, "publish", "--format", "xlsx", "--out", str(again), *published.args).exit_code == 0
    assert again.read_bytes() == published.data
    with zipfile.ZipFile(io.BytesIO(published.data)) as z:
        core = z.read("docProps/core.xml").decode()
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    day = "2012-12-31" if not published.args else published.args[1]
    assert f">{day}T00:00:00Z</dcterms:created>" in core


def test_another_process_with_another_hash_seed_writes_the_same_bytes(example: str, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere.xlsx"
    command = [sys.executable, "-c", "from cli.main import main; main()", "--ledger", example, "publish",
               "--format", "xlsx", "--out", str(out)]
    done = subprocess.run(command, check=False, capture_output=True, text=True,
                          env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert done.returncode == 0, done.stderr
    here = tmp_path / "here.xlsx"
    assert run(example, "publish", "--format", "xlsx", "--out", str(here)).exit_code == 0
    assert out.read_bytes() == here.read_bytes()


def test_a_known_at_instant_is_the_workbooks_creation_date(example: str) -> None:
    with Store.open(example) as store:
        events = list(store.events(upto=store.length()))
    moment = datetime(2012, 9, 15, 12, 30, tzinfo=UTC)
    doc = document(events, Cut(date(2012, 8, 31), moment), None, anchor_of(events, None, []))
    assert created(doc) == moment
    assert workbook(doc) == workbook(doc)


def test_codes_stay_text_dates_are_date_cells_and_headers_are_frozen_and_filtered(
        published: Published) -> None:
    cells = sheets_xml(published.data)
    found = styles(published.data)
    codes = [c for ref, c in cells["Obiettivi"].items() if ref.startswith("B") and ref != "B1"]
    assert "01" in [c.value for c in codes] and all(c.kind == "s" for c in codes)
    changes = rows_of(published.data, "Variazioni")
    assert changes[1][3] == date(2012, 4, 27)
    assert found[cells["Variazioni"]["D2"].style].number_format == "dd/mm/yyyy"
    euro = found[cells["Bilancio"]["E2"].style].number_format
    assert "€" in euro and "#,##0.00" in euro
    for name in SHEETS[1:]:
        xml = sheet_xml(published.data, name)
        assert 'ySplit="1"' in xml and 'state="frozen"' in xml and "<autoFilter " in xml, name


def test_objectives_show_their_achievement_and_band_in_italian_with_a_traffic_light(
        published: Published) -> None:
    achievement = published.report["achievement"]
    rows = rows_of(published.data, "Obiettivi")
    cells = sheets_xml(published.data)["Obiettivi"]
    found = styles(published.data)
    assert rows[0][:9] == ["Livello", "Codice", "Titolo", "Area", "Padre", "Prospettiva", "Raggiungimento",
                           "Fascia", "Aggregato"]
    by_code = {row[1]: (n, row) for n, row in enumerate(rows[1:], start=2)}
    assert set(by_code) == {o["id"] for o in achievement["objectives"]}
    words = {"achieved": "raggiunto", "partly": "parzialmente raggiunto", "not_achieved": "non raggiunto"}
    lights = {"achieved": "C6EFCE", "partly": "FFEB9C", "not_achieved": "FFC7CE"}
    bands = set()
    for objective in achievement["objectives"]:
        number, row = by_code[objective["id"]]
        if objective["achievement"] is None:
            assert row[6] == "ND"
        else:
            assert row[6] == float(Decimal(objective["achievement"]))
        if objective["band"] is not None:
            bands.add(objective["band"])
            assert row[7] == words[objective["band"]]
            assert found[cells[f"H{number}"].style].fill == lights[objective["band"]]
    if not published.args:  # the year's end has all three
        assert bands == set(words)


def test_indicators_variations_and_deviations_are_all_listed(published: Published, example: str) -> None:
    achievement = published.report["achievement"]
    indicators = rows_of(published.data, "Indicatori")
    assert [r[:2] for r in indicators[1:]] == [[o["id"], i["id"]] for o in achievement["objectives"]
                                               for i in o["indicators"]]
    changes = published.report["variations"]["changes"]
    listed = rows_of(published.data, "Variazioni")
    assert [(r[0], r[7], r[8]) for r in listed[1:]] == [
        (c["objective"], "sì" if c["counts"] else "no", c["id"]) for c in changes]
    assert all(r[6].startswith("Delibera di Giunta") for r in listed[1:])
    with Store.open(example) as store:
        events = list(store.events(upto=store.length()))
    as_of = None if not published.args else date.fromisoformat(published.args[1])
    doc = document(events, Cut(as_of), None, anchor_of(events, None, []))
    deviations = rows_of(published.data, "Scostamenti")
    assert [r[1] for r in deviations[1:]] == [d.indicator for d in doc.deviations]


def test_units_and_sources_of_the_indicators_are_in_italian(published: Published) -> None:
    indicators = rows_of(published.data, "Indicatori")
    unit, source = indicators[0].index("Unità"), indicators[0].index("Fonte")
    units = {r[unit] for r in indicators[1:]}
    sources = {r[source] for r in indicators[1:]}
    assert "giudizio" in units and "judgement" not in units
    assert "calcolato dal registro: variazioni agli obiettivi" in sources
    assert "calcolato dal registro: livello medio dell'ente" in sources
    assert not [s for s in sources if s.startswith(("derived:", "reference", "measured"))]
    assert "misurato" in sources and any(s.startswith("per riferimento all'indicatore ") for s in sources)


def test_a_long_entity_name_shortens_the_footer_to_excels_limit_without_a_warning(
        tmp_path: Path, recwarn: pytest.WarningsRecorder) -> None:
    entity = "Camera di Commercio & Artigianato " * 16
    store = Store.open(str(tmp_path / "l.db"), create=True)
    store.init(entity.strip(), actor="cdg")
    store.append(submissions(small_plan()))
    events = list(store.events(upto=store.length()))
    store.close()
    data = workbook(document(events, Cut(), None, anchor_of(events, None, [])))
    assert not [w for w in recwarn if "Footer" in str(w.message)]
    footer = re.search(r"<oddFooter>(.*?)</oddFooter>", sheet_xml(data, "Bilancio"))
    assert footer is not None
    text = footer.group(1).replace("&amp;", "&")
    assert len(text.encode("utf-16-le")) // 2 <= 255
    assert text.startswith("&LCamera di Commercio && Artigianato") and "…&RPagina &P di &N" in text


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    plan = small_plan()
    plan[4] = {**plan[4], "product": '=HYPERLINK("http://example.invalid","clic")'}
    store = Store.open(str(tmp_path / "l.db"), create=True)
    store.init("CCIAA Test", actor="cdg")
    store.append(submissions(plan))
    events = list(store.events(upto=store.length()))
    store.close()
    data = workbook(document(events, Cut(), None, anchor_of(events, None, [])))
    cell = sheets_xml(data)["Bilancio"]["D2"]
    assert (cell.formula, cell.kind, cell.value) == (None, "s", plan[4]["product"])


def test_an_amount_is_written_as_the_double_that_reads_back_as_it_or_refused() -> None:
    assert amount(Decimal("-9916.67")) == -9916.67
    assert cents(amount(Decimal("1975472.69"))) == Decimal("1975472.69")
    with pytest.raises(ValueError, match="not an amount to the cent"):
        amount(Decimal("0.125"))
    with pytest.raises(ValueError, match="more digits"):
        amount(Decimal("123456789012345678.91"))
