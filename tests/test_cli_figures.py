"""The figure commands end to end on the 2012 example: options, formats, locale, explain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from tests.backends import postgres_ledger_url
from tests.conftest import BACKENDS, EXAMPLE_DIR, example_on, import_example


@pytest.fixture(scope="module", params=BACKENDS)
def example(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with example_on(request.param, tmp_path_factory) as ledger:
        yield ledger


def run(ledger: str, *args: str) -> Result:
    result = CliRunner().invoke(main, ["--ledger", str(ledger), *args], catch_exceptions=False)
    return result


def test_budget_json_has_the_documented_rows_and_totals(example: str) -> None:
    data = json.loads(run(example, "budget", "--format", "json").output)
    assert set(data["rows"][0]) == {"line", "objective", "item", "product", "budget", "variations", "total",
                                    "reserved", "approved", "adjusted", "available"}
    assert data["total"]["available"] == "136406.72" and data["total"]["budget"] == "1306000.00"
    assert {o["objective"]: o["ratio"][:6] for o in data["objectives"]}["02"] == "0.3184"


def rows_of(csv: str) -> list[str]:
    """A CSV's lines after the ``# `` lines of its cut."""
    return [line for line in csv.splitlines() if not line.startswith("# ")]


def test_budget_in_italian_and_as_csv(example: str) -> None:
    table = run(example, "budget", "--locale", "it").output
    assert "€ 1.306.000,00" in table and "€ 136.406,72" in table and "-€ 9.916,67" in table
    assert "0,2%" in table and "32%" in table
    lines = rows_of(run(example, "budget", "--format", "csv").output)
    assert lines[0] == ("level,line,objective,item,product,"
                        "budget,variations,total,reserved,approved,adjusted,available")
    # the seed's table ends with the policy lines' total; the operational objectives' own resources,
    # on no policy line, follow it with their subtotal and the overall total
    assert ("total,,,,Totale complessivo,"
            "1306000.00,669472.69,1975472.69,1839065.97,1832151.60,0.00,136406.72") in lines
    assert [line.split(",")[0] for line in lines[-2:]] == ["off_line", "overall"]


def test_budget_as_of_a_date_differs_from_the_year_end(example: str) -> None:
    august = json.loads(run(example, "budget", "--as-of", "2012-08-31", "--format", "json").output)
    year = json.loads(run(example, "budget", "--format", "json").output)
    assert august["total"]["total"] != year["total"]["total"]
    early = json.loads(run(example, "budget", "--known-at", "20", "--format", "json").output)
    assert early["rows"] == []


def test_achievement_json_and_table(example: str) -> None:
    data = json.loads(run(example, "achievement", "--format", "json").output)
    assert (data["entity"]["percent"] == 94
            and data["bands"] == {"achieved": 15, "partly": 2, "not_achieved": 1})
    first = data["objectives"][0]
    assert {"id", "achievement", "band", "indicators"} <= set(first)
    assert first["id"] == "01" and first["percent"] == 94 and first["indicators"][0]["value"] == "0.91"
    table = run(example, "achievement", "--locale", "it").output
    assert "31/12/2012" in table and "94%" in table


def test_achievement_known_before_a_correction(example: str) -> None:
    before = json.loads(run(example, "achievement", "--known-at", "2013-02-01", "--format", "json").output)
    after = json.loads(run(example, "achievement", "--format", "json").output)
    pct = ({o["id"]: o["percent"] for o in before["objectives"]},
           {o["id"]: o["percent"] for o in after["objectives"]})
    assert (pct[0]["12"], pct[1]["12"]) == (94, 92)


def test_variations_json(example: str) -> None:
    data = json.loads(run(example, "variations", "--format", "json").output)
    assert (data["count"], data["objectives"], data["ratio"][:6], data["target"]) == (1, 18, "0.0555", "0.10")
    assert data["by_cause"] == {"internal": 1, "normative": 1, "external": 1}
    before = json.loads(run(example, "variations", "--as-of", "2012-05-01", "--format", "json").output)
    assert before["count"] == 0 and before["by_cause"]["normative"] == 1


def test_report_json_holds_the_three_tables(example: str) -> None:
    data = json.loads(run(example, "report", "--format", "json").output)
    assert set(data) == {"schema", "cut", "year", "as_of", "known_at", "budget", "achievement", "variations"}
    assert data["achievement"]["entity"]["percent"] == 94


def test_explain_a_budget_figure_down_to_the_events(example: str) -> None:
    text = run(example, "explain", "budget", "item", "A1/04/09", "available").output
    assert "Totale - (Prenotato - Rettificato) = 10000.00 - (10000.00 - 0.00) = 0.00" in text
    assert "ReservationMade 'res-A1/04/09-1'" in text
    tree = json.loads(run(example, "explain", "budget", "total", "available", "--format", "json").output)
    assert tree["value"] == "136406.72" and len(tree["parts"]) == 42
    leaf = tree["parts"][0]["parts"][0]["parts"][0]["events"][0]
    assert set(leaf) == {"seq", "id", "type", "effective_date", "recorded_at", "actor", "act", "hash",
                         "contributes"}


def test_explain_achievement_entity_and_variations(example: str) -> None:
    objective = json.loads(
        run(example, "explain", "achievement", "objective", "08", "--format", "json").output
    )
    assert objective["value"] == "0.5" and "excluded: ND" in objective["parts"][0]["formula"]
    entity = run(example, "explain", "achievement", "entity").output.split("\n\n", 1)[1]  # after the cut
    assert entity.startswith("entity level 2012") and "mean of 18 strategic objectives" in entity
    variations = run(example, "explain", "variations").output
    assert "internal changes / strategic objectives = 1 / 18" in variations
    assert "Delibera di Giunta n. n.d. del 22/05/2012" in variations
    indicator = run(example, "explain", "achievement", "indicator", "15.2").output
    assert "mean over 3 period(s) = (15 + 15 + 15) / 3 = 15" in indicator


def test_explain_refuses_unknown_figures(example: str) -> None:
    result = CliRunner().invoke(main, ["--ledger", example, "explain", "budget", "item", "nope", "total"])
    assert result.exit_code == 1 and "no such item 'nope'" in result.output
    result = CliRunner().invoke(main, ["--ledger", example, "explain", "weather"])
    assert result.exit_code == 2 and "cannot explain 'weather'" in result.output


def test_bad_points_in_time_are_usage_errors(example: str) -> None:
    result = CliRunner().invoke(main, ["--ledger", example, "budget", "--as-of", "31/08/2012"])
    assert result.exit_code == 2 and "--as-of" in result.output
    result = CliRunner().invoke(main, ["--ledger", example, "budget", "--known-at", "2012-09-15T10:00"])
    assert result.exit_code == 2 and "timezone" in result.output


@pytest.mark.parametrize("value", ["\u00b2", "\u0663\u0660\u0660"])
def test_known_at_in_digits_other_than_ascii_is_a_usage_error(example: str, value: str) -> None:
    result = CliRunner().invoke(main, ["--ledger", example, "budget", "--known-at", value])
    assert result.exit_code == 2 and "Invalid value for '--known-at'" in result.output


def test_demo_loads_the_example_and_prints_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PERFLEDGER_LEDGER", raising=False)
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    assert "into perfledger-demo.db" in result.output and "€ 136.406,72" in result.output
    assert (tmp_path / "perfledger-demo.db").exists() and not (tmp_path / "perfledger.db").exists()


def test_replays_on_sqlite_and_postgres_are_byte_identical(tmp_path: Path) -> None:
    reports = []
    with postgres_ledger_url() as url:
        for ledger in (str(tmp_path / "cciaa.db"), url):
            import_example(ledger)
            report = json.loads(run(ledger, "report", "--format", "json").output)
            del report["cut"]["head"]  # the chains' heads differ: see below
            reports.append(json.dumps(report, indent=2).encode())
            # The chains differ in one instant only: when the history was migrated (HistoryMigrated).
            reports.append(run(ledger, "verify").output.encode().split(b", head ")[0])
    assert reports[0] == reports[2] and reports[1] == reports[3]
    assert b'"percent": 94' in reports[0] and b'"events": 516' in reports[0]


@pytest.fixture
def two_years(tmp_path: Path) -> str:
    """The 2012 example plus a small 2013 plan with one funded item."""
    ledger = str(tmp_path / "two.db")
    CliRunner().invoke(main, ["--ledger", ledger, "import", str(EXAMPLE_DIR / "events.jsonl"), "--backfill"])
    year_2013 = [
        {"type": "PlanOpened", "id": "plan-2013", "effective_date": "2013-01-28", "year": 2013,
         "title": "Piano 2013"},
        {"type": "PolicyLineDefined", "id": "line-2013-A1", "effective_date": "2013-01-28", "year": 2013,
         "line": "A1", "title": "Territorio"},
        {"type": "ObjectiveDefined", "id": "objective-2013/04", "effective_date": "2013-01-28", "year": 2013,
         "objective": "2013/04", "level": "strategic", "title": "Territorio", "line": "A1"},
        {"type": "BudgetItemOpened", "id": "item-2013", "effective_date": "2013-01-28",
         "item": "2013/A1/04/01", "line": "A1", "objective": "2013/04", "product": "Accordo",
         "amount": "5000.00"},
    ]
    text = "".join(json.dumps(o) + "\n" for o in year_2013)
    result = CliRunner().invoke(main, ["--ledger", ledger, "import", "-", "--actor", "cdg"], input=text)
    assert result.exit_code == 0, result.output
    return ledger


def test_budget_shows_the_latest_plans_year_unless_asked(two_years: str) -> None:
    latest = json.loads(run(two_years, "budget", "--format", "json").output)
    assert latest["total"]["total"] == "5000.00" and len(latest["rows"]) == 1
    earlier = json.loads(run(two_years, "budget", "--year", "2012", "--format", "json").output)
    assert earlier["total"]["available"] == "136406.72"
    explained = json.loads(
        run(two_years, "explain", "budget", "total", "available", "--format", "json").output
    )
    assert explained["value"] == latest["total"]["available"]
    missing = CliRunner().invoke(main, ["--ledger", two_years, "budget", "--year", "2099"])
    assert (missing.exit_code == 1
            and missing.output.startswith("Error: no plan is open for 2099; plans: 2012, 2013"))


def test_an_empty_ledger_says_it_holds_no_plan(tmp_path: Path) -> None:
    ledger = str(tmp_path / "empty.db")
    CliRunner().invoke(main, ["--ledger", ledger, "init"])
    for command in ("budget", "achievement", "variations", "report"):
        result = CliRunner().invoke(main, ["--ledger", ledger, command])
        assert result.exit_code == 1 and "the ledger holds no plan" in result.output, command


def test_achievement_csv_is_data_not_display(example: str) -> None:
    lines = rows_of(run(example, "achievement", "--format", "csv").output)
    assert lines[0] == ("objective,indicator,title,weight,direction,unit,source,"
                        "value,target,achievement,percent,counts,excluded,band,level,area,parent,rollup")
    row = next(line for line in lines if line.startswith("17,17.1,"))
    assert ",-170845.57,0.00,0," in row
    assert next(line for line in lines if line.startswith("01,01.1,")).count("0.91") == 2


def test_report_has_no_csv_and_its_json_types_known_at(example: str) -> None:
    refused = CliRunner().invoke(main, ["--ledger", example, "report", "--format", "csv"])
    assert refused.exit_code == 2
    by_seq = json.loads(run(example, "report", "--known-at", "300", "--format", "json").output)
    by_day = json.loads(run(example, "report", "--known-at", "2012-09-15", "--format", "json").output)
    assert by_seq["known_at"] == 300 and by_day["known_at"] == "2012-09-15T23:59:59.999999Z"


def test_italian_tables_localise_weights_and_dates(example: str) -> None:
    assert "33,33%" in run(example, "achievement", "--locale", "it").output
    assert "22/05/2012" in run(example, "variations", "--locale", "it").output
