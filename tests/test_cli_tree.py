"""The tree on the command line: `achievement` shows it indented by level with each objective's own figure
and the roll-up of its children, by area as the seed's 2.3 tables; `budget --by`; `explain` a roll-up."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from tests.conftest import ev, write_jsonl
from tests.tree_helpers import only_individual_children, seed_measurements, seed_tree


def items() -> list[dict[str, Any]]:
    """Strategic 16's operational 16.1 with resources of its own, on no policy line."""
    return [
        ev("BudgetItemOpened", "item-AMM/16.1/01", "2012-01-27", item="AMM/16.1/01", objective="AMM/16.1",
           product="Solleciti agli inadempienti", amount="41143.00"),
        ev("ReservationMade", "res-1", "2012-06-01", reservation="res-1", item="AMM/16.1/01",
           amount="24900.00"),
        ev("ReservationApproved", "appr-1", "2012-07-01", reservation="res-1", amount="20000.00"),
    ]


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    where = tmp_path_factory.mktemp("tree")
    source = write_jsonl(where / "tree.jsonl", [*seed_tree(), *seed_measurements(), *items()])
    path = str(where / "tree.db")
    result = CliRunner().invoke(main, ["--ledger", path, "import", str(source), "--actor", "cdg"])
    assert result.exit_code == 0, result.output
    yield path


def run(ledger: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--ledger", ledger, *args], catch_exceptions=False)


GOLDEN = Path(__file__).resolve().parent / "fixtures" / "tree"  # the tables as printed, checked by eye


def golden(name: str) -> str:
    return (GOLDEN / name).read_text(encoding="utf-8")


def body(output: str) -> str:
    """What a figure command prints after the two lines of its cut and the blank line below them."""
    header, rest = output.split("\n\n", 1)
    assert len(header.splitlines()) == 2, header
    return rest


def test_the_area_amministrativa_as_the_seeds_2_3_prints_it_own_roll_up_and_resources(ledger: str) -> None:
    assert body(run(ledger, "achievement", "--area", "AMM", "--locale", "it").output) == golden(
        "achievement-area-AMM-it.txt")


def test_one_level_of_the_tree_is_shown_without_indentation(ledger: str) -> None:
    shown = body(run(ledger, "achievement", "--level", "operational").output)
    assert shown == golden("achievement-level-operational.txt")


def test_the_whole_tree_indents_objectives_by_level_and_names_own_and_roll_up(ledger: str) -> None:
    lines = body(run(ledger, "achievement", "--wide").output).splitlines()
    assert lines[0].split() == ["id", "title", "level", "area", "weight", "value", "target", "own", "roll-up",
                                "band", "preventivo", "consuntivo"]
    assert lines[2].split()[:5] == ["12", "Valorizzazione", "del", "capitale", "umano"]
    assert lines[2].split()[-3:] == ["93%", "67%", "achieved"]  # own 93%, roll-up of ANA/12.1, ANA/12.3: 67%
    assert any(line.startswith("· · DIR-ANA/16-1      Migliorare la riscossione delle entrate  ")
               and " individual " in line for line in lines)
    assert "16           82%    AAGG    1           11%        not_achieved" in lines


def test_unknown_levels_and_areas_are_usage_errors_naming_the_known_ones(ledger: str) -> None:
    result = CliRunner().invoke(main, ["--ledger", ledger, "achievement", "--level", "operativo"])
    assert result.exit_code == 2 and "no level 'operativo' in the plan of 2012" in result.output
    result = CliRunner().invoke(main, ["--ledger", ledger, "achievement", "--area", "XYZ"])
    assert result.exit_code == 2 and "no objective of area 'XYZ' (areas: AAGG, AMM, ANA)" in result.output


def test_the_json_carries_the_tree_beside_the_keys_it_had(ledger: str) -> None:
    data = json.loads(run(ledger, "achievement", "--format", "json").output)
    assert list(data) == ["schema", "cut", "year", "entity", "bands", "by_level", "by_perspective",
                          "objectives", "tree"]
    node = {n["code"]: n for n in data["tree"]}
    assert {k: node["16"][k] for k in ("level", "area", "owner", "parent", "own_percent", "rollup_percent",
                                       "band", "children")} == {
        "level": "strategic", "area": None, "owner": None, "parent": None, "own_percent": 82,
        "rollup_percent": 54, "band": "partly",
        "children": ["AMM/16.1", "AMM/16.2", "AAGG/16.4", "DIR-ANA/16-1"]}
    assert node["16"]["rollup_by_area"] == {"AMM": "0.98", "AAGG": "0.11"}
    assert node["16"]["resources"] == {"budget": "41143.00", "reserved": "24900.00"}
    assert node["DIR-AMM/15-1"]["owner"].startswith("Dirigente Area Amministrativa")
    assert node["DIR-AMM/15-1"]["predecessor"] is None
    filtered = json.loads(run(ledger, "achievement", "--area", "AAGG", "--format", "json").output)
    assert [n["code"] for n in filtered["tree"]] == ["16", "AAGG/16.4"]
    assert [o["id"] for o in filtered["objectives"]] == ["16", "AAGG/16.4"]


def test_the_report_carries_the_tree(ledger: str) -> None:
    report = json.loads(run(ledger, "report", "--format", "json").output)
    assert report["achievement"]["tree"][0]["code"] == "12"
    assert "roll-up" in run(ledger, "report").output


def test_a_roll_up_is_explained_per_area(ledger: str) -> None:
    text = body(run(ledger, "explain", "achievement", "rollup", "16", "AMM").output)
    assert text.startswith("roll-up of objective 16 (Migliorare la riscossione delle entrate) in area AMM\n"
                           "  = pooled over the children's indicators: sum(w x r) / sum(w) = (33.33 x 1 +"
                           " 33.33 x 0.94 + 33.33 x 1) / 99.99 = 0.98; children (operational): AMM/16.1,"
                           " AMM/16.2\n  → rounded half-up: 98% · band: achieved\n")
    whole = json.loads(run(ledger, "explain", "achievement", "rollup", "16", "--format", "json").output)
    assert whole["value"].startswith("0.54") and len(whole["parts"]) == 3
    unknown = CliRunner().invoke(main, ["--ledger", ledger, "explain", "achievement", "rollup", "16", "ANA"])
    assert unknown.exit_code == 1
    assert "objective 16 has no children of area 'ANA' (their areas: AMM, AAGG)" in unknown.output


def test_the_resources_of_an_objective_are_explained_item_by_item(ledger: str) -> None:
    text = body(run(ledger, "explain", "budget", "resources", "16", "budget").output)
    assert text.startswith("Budget of objective and descendants 16 (Migliorare la riscossione delle"
                           " entrate)\n"
                           "  = sum of 1 product(s) = 41143.00 = 41143.00\n")


def test_the_budget_by_area_and_by_objective(ledger: str) -> None:
    assert body(run(ledger, "budget", "--by", "area").output) == golden("budget-by-area.txt")
    data = json.loads(run(ledger, "budget", "--by", "objective", "--format", "json").output)
    assert data["by"] == "objective" and data["groups"][0]["objective"] == "AMM/16.1"
    assert data["total"]["total"] == "41143.00"


def test_the_budget_by_line_groups_the_items_on_no_line_apart(ledger: str) -> None:
    lines = [line for line in run(ledger, "budget", "--format", "csv").output.splitlines()
             if not line.startswith("# ")]  # the cut's comment lines
    assert lines[1:] == [
        "total,,,,Totale complessivo,0.00,0.00,0.00,0.00,0.00,0.00,0.00",  # the policy lines': none here
        ("product,,AMM/16.1,AMM/16.1/01,Solleciti agli inadempienti,41143.00,0.00,41143.00,24900.00,"
         "20000.00,0.00,16243.00"),
        ("objective,,16,,16. Migliorare la riscossione delle entrate Somma,41143.00,0.00,41143.00,"
         "24900.00,20000.00,0.00,16243.00"),
        "off_line,,,,not on a policy line Totale,41143.00,0.00,41143.00,24900.00,20000.00,0.00,16243.00",
        "overall,,,,Totale generale,41143.00,0.00,41143.00,24900.00,20000.00,0.00,16243.00",
    ]
    data = json.loads(run(ledger, "budget", "--format", "json").output)
    assert data["lines"] == [] and data["rows"] == [] and data["total"]["total"] == "0.00"
    assert data["off_line"]["total"] == "41143.00" and data["off_line"]["rows"][0]["item"] == "AMM/16.1/01"
    assert data["off_line"]["objectives"][0]["objective"] == "16" and data["overall"]["total"] == "41143.00"


def test_the_examples_help_names_the_new_figures() -> None:
    text = CliRunner().invoke(main, ["explain", "--help"]).output
    assert "achievement rollup CODE [AREA]" in text and "perfledger explain achievement rollup 16 AMM" in text
    assert "--by [line|objective|area]" in CliRunner().invoke(main, ["budget", "--help"]).output



def test_an_objective_with_only_individual_children_prints_no_roll_up_and_no_area_row(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "tree.jsonl", [*seed_tree(), *seed_measurements(),
                                                    *only_individual_children()])
    path = str(tmp_path / "tree.db")
    assert run(path, "import", str(source), "--actor", "cdg").exit_code == 0
    lines = run(path, "achievement", "--wide").output.splitlines()
    row = next(line for line in lines if line.startswith("02 "))
    assert row.split()[-3:] == ["strategic", "100%", "achieved"]  # its own figure, no roll-up beside it
    assert not any(line.startswith("02 ") and "AAGG" in line for line in lines)  # no area row
    shown = run(path, "achievement", "--area", "AAGG", "--wide").output.splitlines()
    assert next(line for line in shown if line.startswith("16 ")).split()[-3:] == ["82%", "11%", "partly"]
    row = next(line for line in shown if line.startswith("02 "))
    assert row.split()[-3:] == ["strategic", "100%", "achieved"]
    node = {n["code"]: n for n in json.loads(run(path, "achievement", "--format", "json").output)["tree"]}
    assert node["02"]["rollup"] is None and node["02"]["rollup_level"] is None
    assert node["02"]["rollup_by_area"] == {} and node["16"]["rollup_level"] == "operational"
