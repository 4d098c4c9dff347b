"""A year kept in spreadsheets gives the ledger its JSON Lines would: the plan workbook, the budget's
movements as an Italian CSV, the measurements workbook, on SQLite and PostgreSQL; importing again
writes nothing; the ledger records each file and `explain` names the row a value came from."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from ledger import Store
from tests.conftest import write_jsonl
from tests.test_spreadsheets import Rows, run, write_csv, write_workbook

D = dt.date


def plan_book() -> Rows:
    """The plan, as a controller keeps it: an operational objective listed before its parent, weights
    and amounts as Italian text or as number cells, a deadline's target as a date."""
    return {
        "Istruzioni": [],
        "Piano": [
            {
                "Anno": 2012,
                "Titolo": "Piano della Performance 2012",
                "Data": D(2012, 1, 27),
                "Livelli": "strategico, operativo, individuale",
                "Livello dell'ente": "strategico",
                "Aggregazione": "aggregata",
                "Penalità di ritardo": "0,02",
                "Soglia raggiunto": 90,
                "Soglia parziale": "80",
                "Giorni oltre l'anno": 60,
                "Atto": "Delibera di Giunta",
                "Numero atto": "12",
                "Data atto": D(2012, 1, 27),
            }
        ],
        "Linee": [
            {"Codice": "A1", "Titolo": "Valorizzazione del territorio"},
            {"Codice": "A2", "Titolo": "Competitività delle imprese", "Data": "01/01/2012"},
        ],
        "Obiettivi": [
            {
                "Codice": "AMM/04.1",
                "Livello": "operativo",
                "Titolo": "Accordi con i Comuni",
                "Obiettivo padre": "04",
                "Area": "AMM",
            },
            {
                "Codice": "04",
                "Livello": "strategico",
                "Titolo": "Valorizzazione",
                "Prospettiva": "Imprese",
                "Linea": "A1",
            },
            {
                "Codice": "08",
                "Livello": "strategic",
                "Titolo": "Monitoraggio",
                "Prospettiva": "Processi interni",
            },
            {
                "Codice": "DIR/1",
                "Livello": "individuale",
                "Titolo": "Accordi firmati",
                "Obiettivo padre": "AMM/04.1",
                "Area": "AMM",
                "Responsabile": "Mario Rossi",
            },
        ],
        "Indicatori": [
            {
                "Codice": "AMM/04.1-a",
                "Obiettivo": "AMM/04.1",
                "Titolo": "Partecipanti",
                "Peso": "50",
                "Direzione": "crescente",
                "Target": 30,
                "Unità": "n.",
            },
            {
                "Codice": "AMM/04.1-b",
                "Obiettivo": "AMM/04.1",
                "Titolo": "Bando",
                "Peso": 50.0,
                "Direzione": "scadenza",
                "Target": D(2012, 3, 30),
                "Unità": "data",
            },
            {
                "Codice": "DIR/1-a",
                "Obiettivo": "DIR/1",
                "Titolo": "Partecipanti (dirigente)",
                "Peso": 100,
                "Direzione": "crescente",
                "Target": "30",
                "Unità": "n.",
                "Fonte": "riferimento",
                "Usa": "AMM/04.1-a",
            },
            {
                "Codice": "08-a",
                "Obiettivo": "08",
                "Titolo": "Pratiche evase",
                "Peso": "100",
                "Direzione": "almeno",
                "Target": "0,65",
                "Unità": "%",
            },
        ],
        "Voci di budget": [
            {
                "Codice": "A1/04/01",
                "Linea": "A1",
                "Obiettivo": "04",
                "Prodotto": "Accordo di programma",
                "Importo": "10.000,00",
            },
            {
                "Codice": "A1/04/02",
                "Linea": "A1",
                "Obiettivo": "04",
                "Prodotto": "Protocollo IAT",
                "Importo": 2500.5,
                "Data": "2012-01-01",
            },
            {"Codice": "AMM/04.1/01", "Obiettivo": "AMM/04.1", "Prodotto": "Formazione", "Importo": "0"},
        ],
    }


MOVEMENTS = [
    {
        "Id": "var-1",
        "Data": "27/04/2012",
        "Tipo": "variazione",
        "Voce": "A1/04/01",
        "Importo": "1.000,00",
        "Atto": "Delibera di Giunta",
        "Numero atto": "40",
        "Data atto": "27/04/2012",
    },
    {
        "Id": "res-1",
        "Data": "15/03/2012",
        "Tipo": "prenotazione",
        "Voce": "A1/04/01",
        "Prenotazione": "res-1",
        "Importo": "1.500,00",
        "Atto": "Determinazione dirigenziale",
        "Numero atto": "7",
        "Data atto": "15/03/2012",
    },
    {
        "Id": "appr-1",
        "Data": "02/04/2012",
        "Tipo": "approvazione",
        "Prenotazione": "res-1",
        "Importo": "1.000,00",
    },
    {
        "Id": "adj-1",
        "Data": "20/12/2012",
        "Tipo": "rettifica",
        "Prenotazione": "res-1",
        "Importo": "200,00",
        "Nota": "economia di fine anno",
    },
    {"Id": "var-2", "Data": "20/12/2012", "Tipo": "variazione", "Voce": "A1/04/02", "Importo": "-155,40"},
]


def measurements_book() -> Rows:
    return {
        "Misurazioni": [
            {
                "Indicatore": "AMM/04.1-a",
                "Fine periodo": D(2012, 4, 30),
                "Valore": 12,
                "Data rilevazione": "15/05/2012",
            },
            {
                "Indicatore": "AMM/04.1-a",
                "Fine periodo": D(2012, 12, 31),
                "Valore": "35",
                "Data rilevazione": D(2013, 1, 15),
                "Nota": "fine anno",
            },
            {"Indicatore": "AMM/04.1-b", "Fine periodo": "31/12/2012", "Valore": D(2012, 3, 28)},
            {
                "Indicatore": "08-a",
                "Fine periodo": "31/12/2012",
                "Valore": "0,71",
                "Numeratore": "71",
                "Denominatore": "100",
            },
        ]
    }


def ev(kind: str, id: str, day: str = "2012-01-27", **fields: Any) -> dict[str, Any]:
    return {"type": kind, "id": id, "effective_date": day, "actor": "cdg", **fields}


def equivalent_jsonl() -> list[dict[str, Any]]:
    """The same year as JSON Lines, written by hand."""
    giunta = {"kind": "Delibera di Giunta", "number": "12", "date": "2012-01-27"}
    return [
        ev(
            "PlanOpened",
            "plan-2012",
            year=2012,
            title="Piano della Performance 2012",
            levels="strategic,operational,individual",
            entity_level="strategic",
            rollup="pooled",
            deadline_penalty="0.02",
            band_achieved="90",
            band_partly="80",
            horizon_days=60,
            act=giunta,
        ),
        ev("PolicyLineDefined", "line-2012-A1", year=2012, line="A1", title="Valorizzazione del territorio"),
        ev(
            "PolicyLineDefined",
            "line-2012-A2",
            "2012-01-01",
            year=2012,
            line="A2",
            title="Competitività delle imprese",
        ),
        ev(
            "ObjectiveDefined",
            "objective-04",
            year=2012,
            objective="04",
            level="strategic",
            title="Valorizzazione",
            perspective="Imprese",
            line="A1",
        ),
        ev(
            "ObjectiveDefined",
            "objective-AMM/04.1",
            year=2012,
            objective="AMM/04.1",
            level="operational",
            title="Accordi con i Comuni",
            parent="04",
            area="AMM",
        ),
        ev(
            "ObjectiveDefined",
            "objective-08",
            year=2012,
            objective="08",
            level="strategic",
            title="Monitoraggio",
            perspective="Processi interni",
        ),
        ev(
            "ObjectiveDefined",
            "objective-DIR/1",
            year=2012,
            objective="DIR/1",
            level="individual",
            title="Accordi firmati",
            parent="AMM/04.1",
            area="AMM",
            owner="Mario Rossi",
        ),
        ev(
            "IndicatorDefined",
            "indicator-AMM/04.1-a",
            indicator="AMM/04.1-a",
            objective="AMM/04.1",
            title="Partecipanti",
            weight="50",
            direction="higher",
            target="30",
            unit="n.",
        ),
        ev(
            "IndicatorDefined",
            "indicator-AMM/04.1-b",
            indicator="AMM/04.1-b",
            objective="AMM/04.1",
            title="Bando",
            weight="50",
            direction="deadline",
            target="2012-03-30",
            unit="data",
        ),
        ev(
            "IndicatorDefined",
            "indicator-DIR/1-a",
            indicator="DIR/1-a",
            objective="DIR/1",
            title="Partecipanti (dirigente)",
            weight="100",
            direction="higher",
            target="30",
            unit="n.",
            source="reference",
            uses="AMM/04.1-a",
        ),
        ev(
            "IndicatorDefined",
            "indicator-08-a",
            indicator="08-a",
            objective="08",
            title="Pratiche evase",
            weight="100",
            direction="at_least",
            target="0.65",
            unit="%",
        ),
        ev(
            "BudgetItemOpened",
            "item-A1/04/01",
            item="A1/04/01",
            line="A1",
            objective="04",
            product="Accordo di programma",
            amount="10000.00",
        ),
        ev(
            "BudgetItemOpened",
            "item-A1/04/02",
            "2012-01-01",
            item="A1/04/02",
            line="A1",
            objective="04",
            product="Protocollo IAT",
            amount="2500.50",
        ),
        ev(
            "BudgetItemOpened",
            "item-AMM/04.1/01",
            item="AMM/04.1/01",
            objective="AMM/04.1",
            product="Formazione",
            amount="0.00",
        ),
        ev(
            "BudgetVaried",
            "var-1",
            "2012-04-27",
            item="A1/04/01",
            amount="1000.00",
            act={"kind": "Delibera di Giunta", "number": "40", "date": "2012-04-27"},
        ),
        ev(
            "ReservationMade",
            "res-1",
            "2012-03-15",
            reservation="res-1",
            item="A1/04/01",
            amount="1500.00",
            act={"kind": "Determinazione dirigenziale", "number": "7", "date": "2012-03-15"},
        ),
        ev("ReservationApproved", "appr-1", "2012-04-02", reservation="res-1", amount="1000.00"),
        ev(
            "ReservationAdjusted",
            "adj-1",
            "2012-12-20",
            reservation="res-1",
            amount="200.00",
            note="economia di fine anno",
        ),
        ev("BudgetVaried", "var-2", "2012-12-20", item="A1/04/02", amount="-155.40"),
        ev(
            "IndicatorMeasured",
            "m-AMM/04.1-a-2012-04-30",
            "2012-04-30",
            indicator="AMM/04.1-a",
            period_end="2012-04-30",
            value="12",
            collected_on="2012-05-15",
        ),
        ev(
            "IndicatorMeasured",
            "m-AMM/04.1-a-2012-12-31",
            "2012-12-31",
            indicator="AMM/04.1-a",
            period_end="2012-12-31",
            value="35",
            collected_on="2013-01-15",
            note="fine anno",
        ),
        ev(
            "IndicatorMeasured",
            "m-AMM/04.1-b-2012-12-31",
            "2012-12-31",
            indicator="AMM/04.1-b",
            period_end="2012-12-31",
            value="2012-03-28",
        ),
        ev(
            "IndicatorMeasured",
            "m-08-a-2012-12-31",
            "2012-12-31",
            indicator="08-a",
            period_end="2012-12-31",
            value="0.71",
            numerator="71",
            denominator="100",
        ),
    ]


def files(tmp_path: Path) -> list[Path]:
    return [
        write_workbook(tmp_path / "piano-2012.xlsx", plan_book()),
        write_csv(tmp_path / "movimenti.csv", "movements", MOVEMENTS, encoding="cp1252"),
        write_workbook(tmp_path / "misurazioni-2012.xlsx", measurements_book()),
    ]


def contents(location: str) -> list[dict[str, Any]]:
    """Every event's content but the ledger's opening and the SourceImported, by id."""
    with Store.open(location) as store:
        events = [e.content() for e in store.events()]
    return sorted(
        (e for e in events if e["type"] not in ("LedgerOpened", "SourceImported")), key=lambda e: e["id"]
    )


def figures(location: str) -> dict[str, Any]:
    found = json.loads(run(location, "report", "--format", "json", "--as-of", "2012-12-31").output)
    return {key: found[key] for key in ("budget", "achievement", "variations")}


def test_a_year_from_spreadsheets_is_the_ledger_of_its_json_lines(tmp_path: Path, ledger_url: str) -> None:
    reference = str(tmp_path / "reference.db")
    assert run(reference, "init", "--entity", "CCIAA").exit_code == 0
    imported = run(reference, "import", str(write_jsonl(tmp_path / "year.jsonl", equivalent_jsonl())))
    assert imported.exit_code == 0, imported.output

    assert run(ledger_url, "init", "--entity", "CCIAA").exit_code == 0
    paths = files(tmp_path)
    said = [run(ledger_url, "import", str(path), "--actor", "cdg").output for path in paths]
    assert said == [
        "Imported 15 new event(s) (events 2-16); 0 already present.\n",
        "Imported 6 new event(s) (events 17-22); 0 already present.\n",
        "Imported 5 new event(s) (events 23-27); 0 already present.\n",
    ]

    assert contents(ledger_url) == contents(reference)
    assert figures(ledger_url) == figures(reference)
    assert run(ledger_url, "verify").output.startswith("OK: 27 events")

    again = [run(ledger_url, "import", str(path), "--actor", "cdg").output for path in paths]
    assert again == [
        "Imported 0 new event(s); 15 already present.\n",
        "Imported 0 new event(s); 6 already present.\n",
        "Imported 0 new event(s); 5 already present.\n",
    ]


def test_the_ledger_records_each_file_and_explain_names_the_row_a_value_came_from(tmp_path: Path) -> None:
    import hashlib

    ledger = str(tmp_path / "l.db")
    plan, movements, _ = files(tmp_path)
    for path in (plan, movements):
        assert run(ledger, "import", str(path), "--actor", "cdg").exit_code == 0
    with Store.open(ledger) as store:
        source = [e for e in store.events() if e.TYPE == "SourceImported"][1]
    digest = hashlib.sha256(movements.read_bytes()).hexdigest()
    assert (source.event_id, source.source, source.sha256, source.part, source.parts) == (
        f"source-{digest[:16]}-1",
        "movimenti.csv",
        digest,
        1,
        1,
    )
    assert [tuple(row) for row in source.rows] == [
        ("var-1", "Movimenti", 2),
        ("res-1", "Movimenti", 3),
        ("appr-1", "Movimenti", 4),
        ("adj-1", "Movimenti", 5),
        ("var-2", "Movimenti", 6),
    ]
    assert source.effective_date == D(2012, 12, 20)  # the latest of the file's facts

    text = run(ledger, "explain", "budget", "item", "A1/04/01", "available").output
    assert (
        "\n      #13 BudgetItemOpened 'item-A1/04/01' eff 2012-01-27" in text
        and "+10000.00\n        from piano-2012.xlsx, sheet Voci di budget, row 2\n" in text
    )
    assert "+1500.00\n      from movimenti.csv, sheet Movimenti, row 3\n" in text
    found = json.loads(
        run(ledger, "explain", "budget", "item", "A1/04/01", "available", "--format", "json").output
    )

    def events(part: dict[str, Any]) -> list[dict[str, Any]]:
        return part["events"] + [e for child in part["parts"] for e in events(child)]

    reservation = next(e for e in events(found) if e["id"] == "res-1")
    assert reservation["source"] == {
        "file": "movimenti.csv",
        "sha256": digest,
        "sheet": "Movimenti",
        "row": 3,
    }


def test_a_workbook_imported_again_with_rows_added_writes_only_the_new_rows(tmp_path: Path) -> None:
    ledger = str(tmp_path / "l.db")
    plan, _, measures = files(tmp_path)
    assert run(ledger, "import", str(plan), "--actor", "cdg").exit_code == 0
    book = measurements_book()
    first = {"Misurazioni": book["Misurazioni"][:1]}
    assert run(ledger, "import", str(write_workbook(measures, first)), "--actor", "cdg").output == (
        "Imported 2 new event(s) (events 17-18); 0 already present.\n"
    )
    grown = run(ledger, "import", str(write_workbook(measures, book)), "--actor", "cdg")
    assert grown.output == "Imported 4 new event(s) (events 19-22); 1 already present.\n"
    text = run(ledger, "explain", "achievement", "indicator", "AMM/04.1-a").output
    assert (
        "measured 35 for the period ending 2012-12-31\n    from misurazioni-2012.xlsx, sheet Misurazioni,"
        " row 3\n" in text
    )
    from projections.explain import sources

    with Store.open(ledger) as store:
        found = sources(list(store.events()))
        first_file = [e for e in store.events() if e.TYPE == "SourceImported"][1].sha256
    assert found["m-AMM/04.1-a-2012-04-30"].sha256 == first_file  # the file it first came from
    assert run(ledger, "verify").output.startswith("OK: 22 events")


def test_amounts_written_as_number_cells_or_as_text_give_the_same_events(tmp_path: Path) -> None:
    plan = plan_book()
    numbers = write_workbook(tmp_path / "numbers.xlsx", plan)
    texts = write_workbook(tmp_path / "texts.xlsx", plan, numbers_as_text=True)
    for name, path in (("n.db", numbers), ("t.db", texts)):
        assert run(str(tmp_path / name), "import", str(path), "--actor", "cdg").exit_code == 0
    assert contents(str(tmp_path / "n.db")) == contents(str(tmp_path / "t.db"))


def ods(sheets: dict[str, list[list[Any]]]) -> bytes:
    """A minimal OpenDocument spreadsheet (content.xml and its manifest), float and string cells."""
    import io
    import zipfile
    from xml.sax.saxutils import escape

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return (
                f'<table:table-cell office:value-type="float" office:value="{value!r}">'
                f"<text:p>{value}</text:p></table:table-cell>"
            )
        return (
            f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p>'
            "</table:table-cell>"
        )

    tables = "".join(
        f'<table:table table:name="{name}">'
        + "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows)
        + "</table:table>"
        for name, rows in sheets.items()
    )
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest'
        ' xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/"'
        ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", manifest)
        z.writestr("content.xml", content)
    return buffer.getvalue()


def test_an_ods_workbook_is_read_as_an_xlsx_is(tmp_path: Path) -> None:
    path = tmp_path / "linee.ods"
    path.write_bytes(
        ods(
            {
                "Linee": [
                    ["Anno", "Codice", "Titolo", "Data"],
                    [2012.0, "A1", "Valorizzazione del territorio", "27/01/2012"],
                ]
            }
        )
    )
    ledger = str(tmp_path / "l.db")
    assert (
        run(ledger, "import", str(write_jsonl(tmp_path / "plan.jsonl", equivalent_jsonl()[:1]))).exit_code
        == 0
    )
    assert run(ledger, "import", str(path), "--actor", "cdg").output == (
        "Imported 2 new event(s) (events 3-4); 0 already present.\n"
    )
    line = next(e for e in contents(ledger) if e["type"] == "PolicyLineDefined")
    assert line == next(e for e in equivalent_jsonl() if e["id"] == "line-2012-A1") | {
        "act": None,
        "note": "",
        "v": 1,
    }


def test_a_postgres_ledger_of_schema_3_takes_a_spreadsheet_once_upgraded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    from ledger import postgres_guards
    from ledger.postgres_store import META
    from ledger.sqlite_store import LEDGER_KEY
    from tests.backends import POSTGRES, postgres_ledger_url, schema_of

    def shapes_before() -> dict[str, object]:
        return {topic: shape for topic, shape in known().items() if shape["type"] != "SourceImported"}

    known = postgres_guards.event_shapes
    with postgres_ledger_url() as url:
        assert run(url, "init", "--entity", "CCIAA").exit_code == 0
        monkeypatch.setattr(postgres_guards, "event_shapes", shapes_before)
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            for statement in postgres_guards.guard_statements(
                schema_of(url), "perfledger_events", str(LEDGER_KEY)
            ):
                conn.execute(statement)
            conn.execute(f"UPDATE \"{schema_of(url)}\".{META} SET value = '3' WHERE key = 'schema_version'")
        monkeypatch.undo()
        plan = files(tmp_path)[0]
        refused = run(url, "import", str(plan), "--actor", "cdg")
        assert refused.exit_code == 1 and "has schema version 3" in refused.output, refused.output
        upgraded = run(url, "db", "upgrade")
        assert "from schema version 3 to 4" in upgraded.output, upgraded.output
        assert run(url, "import", str(plan), "--actor", "cdg").exit_code == 0
        assert run(url, "verify").output.startswith("OK: 16 events")
