"""The acceptance test: the 2012 report of CCIAA Massa Carrara, replayed from its events.

Every figure the seed prints is compared with the replay. Where they differ, the
difference is named here (and in the README) with the reason; a named
difference that stops being one fails the test too, so the list stays true.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from cli.write import read_batch
from events import LedgerEvent
from ledger import Store
from ledger.verify import verify
from projections.achievement import Achievement, achievement, rounded_percent
from projections.budget import COLUMNS, budget
from projections.budget_views import resources
from projections.facts import Cut
from projections.tree import tree
from projections.variations import variations
from tests.backends import postgres_ledger_url
from tests.conftest import BACKENDS, EXAMPLE_DIR

PRINTED: dict[str, Any] = json.loads((EXAMPLE_DIR / "printed.json").read_text(encoding="utf-8"))

# Printed figures the replay does not reproduce, with the reason. Each is asserted to differ exactly so.
INDICATOR_DIFFERENCES = {
    "11.1": (98, 99, "73% of 74% is 98.6%: the printed 98% needs an unrounded value the seed does not give"),
    "12.3": (95, 90, "9% of 10% is 90%; no value printed as 9% gives 95%"),
}
RESOURCE_DIFFERENCES = {
    "AMM/15.1": (
        (Decimal(0), Decimal(0)),
        (
            "2.3 prints 15.1's resources as 8.000,00 / 7.519,00: the Budget and Prenotato of the product"
            " 'Controllo di gestione: benchmarking', which the budget table (1.2) puts under strategic 05,"
            " while 2.3 puts 15.1 under strategic 15; an item belongs to one node, so it stays under 05"
        ),
    ),
}
OBJECTIVE_DIFFERENCES = {
    "11": (98, 99, "its only indicator (11.1) is 99% from the printed values"),
    "12": (93, 92, "follows from 12.3 (90%, printed 95%)"),
    "17": (82, 83, "the mean of the printed indicator values is 82.5%, which rounds half-up to 83%"),
}


@pytest.fixture(scope="module", params=BACKENDS)
def events(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[LedgerEvent]]:
    """The example replayed from each store."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            location = str(tmp_path_factory.mktemp("example") / "cciaa.db")
        else:
            location = stack.enter_context(postgres_ledger_url())
        with (EXAMPLE_DIR / "events.jsonl").open(encoding="utf-8") as stream:
            batch, _ = read_batch(stream, backfill=True, actor=None)
        store = stack.enter_context(Store.open(location, create=True))
        store.append(batch, create=("Camera di Commercio di Massa Carrara", "test"))
        assert verify(store).ok
        yield list(store.events())


@pytest.fixture(scope="module")
def final(events: list[LedgerEvent]) -> Achievement:
    return achievement(events)


def printed_columns(printed: dict[str, Any]) -> dict[str, Decimal | None]:
    return {c: None if printed[c] is None else Decimal(printed[c]) for c in COLUMNS}


def test_every_product_row_of_the_budget_table_to_the_cent(events: list[LedgerEvent]) -> None:
    table = budget(events)
    assert len(table.rows) == len(PRINTED["budget"]["rows"]) == 42
    for item, printed in zip(PRINTED["items"], PRINTED["budget"]["rows"]):
        row = table.row(item)
        assert (row.line, row.product) == (printed["line"], printed["product"])
        # the row is in its objective's subtotal: its own, or (an operational objective's product, as
        # 2.3 assigns 6.1's and 6.2's) its strategic ancestor's
        assert row in table.objective(printed["objective"]).rows, item
        assert {c: row.amounts.get(c) for c in COLUMNS} == printed_columns(printed), row.item


def test_every_objective_and_line_subtotal_and_the_grand_total(events: list[LedgerEvent]) -> None:
    table = budget(events)
    for printed in PRINTED["budget"]["objectives"]:
        computed = {c: table.objective(printed["objective"]).amounts.get(c) for c in COLUMNS}
        expected = printed_columns(printed)
        if printed["columns"] == 6:
            # Layout flaw of the seed: objectives 06 and 14 are shifted one column and lose Disponibile.
            assert printed["objective"] in ("06", "14") and expected["available"] is None
            expected["available"] = computed["available"]
        assert computed == expected, printed["objective"]
    for printed in PRINTED["budget"]["lines"]:
        assert {c: table.line(printed["line"]).amounts.get(c) for c in COLUMNS} == printed_columns(printed)
    total = {c: table.total.amounts.get(c) for c in COLUMNS}
    assert total == printed_columns(PRINTED["budget"]["total"])
    assert total["budget"] == Decimal("1306000.00") and total["available"] == Decimal("136406.72")


def test_objective_04s_subtotal_lacks_its_somma_label_in_the_seed() -> None:
    labels = {p["objective"]: p["label_has_somma"] for p in PRINTED["budget"]["objectives"]}
    assert [code for code, has in labels.items() if not has] == ["04"]


def whole_euros(amount: Decimal) -> str:
    text = f"{amount.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}".replace(",", ".")
    return f"€ {text}"


def test_the_ict_summary_of_available_over_total(events: list[LedgerEvent]) -> None:
    table = budget(events)
    for printed in PRINTED["budget"]["ict"]:
        group = table.total if printed["objective"] == "total" else table.objective(printed["objective"])
        a = group.amounts
        assert (whole_euros(a.total), whole_euros(a.reserved), whole_euros(a.available)) == (
            printed["total"], printed["reserved"], printed["available"]
        )
        places = 1 if "," in printed["ratio"] else 0
        pct = (group.ratio * 100).quantize(  # type: ignore[operator]
            Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
        )
        assert f"{pct}%".replace(".", ",") == printed["ratio"]


def test_the_seeds_text_contradicts_its_table_on_the_approved_total(events: list[LedgerEvent]) -> None:
    # Section 1.1 says "€ 1.832.061,60"; the budget table (and the replay) say 1.832.151,60.
    approved = budget(events).total.amounts.approved
    assert approved == Decimal("1832151.60") != Decimal("1832061.60")


def test_each_indicators_printed_percentage(final: Achievement) -> None:
    for objective in PRINTED["objectives"].values():
        for ind, printed in objective["indicators"].items():
            score = final.indicator(ind)
            if printed is None:
                assert not score.counts, ind
                continue
            computed = rounded_percent(score.achievement)  # type: ignore[arg-type]
            if ind in INDICATOR_DIFFERENCES:
                assert (printed, computed) == INDICATOR_DIFFERENCES[ind][:2], ind
            else:
                assert computed == printed, ind


def test_each_strategic_objectives_printed_percentage(final: Achievement) -> None:
    for code, objective in PRINTED["objectives"].items():
        computed = rounded_percent(final.objective(code).achievement)  # type: ignore[arg-type]
        if code in OBJECTIVE_DIFFERENCES:
            assert (objective["achievement"], computed) == OBJECTIVE_DIFFERENCES[code][:2], code
        else:
            assert computed == objective["achievement"], code


def test_the_entity_level_is_94_percent_with_15_2_1_in_the_bands(final: Achievement) -> None:
    assert final.entity is not None and rounded_percent(final.entity) == PRINTED["entity"] == 94
    assert Decimal("0.937") < final.entity < Decimal("0.938")
    assert final.bands == PRINTED["bands"] == {"achieved": 15, "partly": 2, "not_achieved": 1}
    partly = sorted(o.code for o in final.scored() if o.band == "partly")
    assert partly == ["16", "17"] and final.objective("08").band == "not_achieved"


def test_the_derived_indicators_of_objective_15(final: Achievement, events: list[LedgerEvent]) -> None:
    delay, ratio, level = (final.indicator(f"15.{n}") for n in (2, 3, 4))
    assert delay.value == "15" and delay.definition.source == "derived:reporting_delay"
    assert ratio.value is not None and rounded_percent(Decimal(ratio.value)) == 6
    v = variations(events, Cut(), 2012)
    assert (v.count, len(v.objectives), v.by_cause) == (1, 18, {"internal": 1, "normative": 1, "external": 1})
    # The seed prints 94% (the entity level); the entity level without objective 15, as the
    # rule asks, is 93.3%. Both are above the 80% target: the indicator scores 100% either way.
    assert level.value is not None and rounded_percent(Decimal(level.value)) == 93
    assert PRINTED["derived_values"]["15.4"] == "94%" and level.achievement == 1


def test_operational_objectives_their_indicators_and_the_struck_indicator(final: Achievement) -> None:
    for code, objective in PRINTED["operational"].items():
        scored = final.objective(code)
        assert (scored.definition.area, scored.definition.parent) == (objective["area"], objective["parent"])
        if objective["achievement"] is not None:
            assert rounded_percent(scored.achievement) == objective["achievement"], code  # type: ignore[arg-type]
        for ind, printed in objective["indicators"].items():
            score = final.indicator(ind)
            if printed is None:
                assert not score.counts, ind
                continue
            assert rounded_percent(score.achievement) == printed, ind  # type: ignore[arg-type]
    assert final.by_level()["operational"] is not None


def test_in_operational_10_6_only_the_consultas_indicator_is_struck_and_the_other_counts(
    final: Achievement,
) -> None:
    assert PRINTED["struck_indicators"] == {"AAGG/10.6-1": "external"}
    consulta, rules = final.objective("AAGG/10.6").indicators
    assert consulta.withdrawn is not None and consulta.withdrawn.cause == "external" and not consulta.counts
    assert consulta.achievement is None
    assert rules.counts and final.objective("AAGG/10.6").struck is None
    assert rounded_percent(final.objective("AAGG/10.6").achievement) == 100  # type: ignore[arg-type]


def test_each_area_x_strategic_table_of_the_cascade_prints_the_pooled_roll_up(final: Achievement) -> None:
    figures = tree(final)
    for area, printed in PRINTED["area_rollups"].items():
        for parent, pct in printed.items():
            value = figures.rollup(parent, area=area)
            assert value is not None and rounded_percent(value) == pct, (area, parent)
            assert figures.rollup_derivation(parent, area=area).value == value
    # The roll-up pools the children's indicators by weight: 16.1 (100%) and 16.2 (94%, 100%) give 98%,
    # where the mean of the two objectives (100% and 97%) would give 99%.
    assert rounded_percent(mean(figures.own(c) for c in ("AMM/16.1", "AMM/16.2"))) == 99
    # Area Anagrafica under 12: pooled 67% (printed), the mean of 12.1 (100%) and 12.3 (50%) 75%.
    assert rounded_percent(mean(figures.own(c) for c in ("AA/12.1", "AA/12.3"))) == 75


def test_a_strategic_objective_keeps_its_own_figure_beside_its_roll_up(final: Achievement) -> None:
    figures = tree(final)
    # Objective 16 is 82% by its own indicators (2.2) and 98% in the Area Amministrativa (2.3).
    assert rounded_percent(figures.own("16")) == 82  # type: ignore[arg-type]
    assert rounded_percent(figures.rollup("16", area="AMM")) == 98  # type: ignore[arg-type]
    assert set(figures.areas("12")) == {"AA", "AMM"}


def test_the_operational_objectives_resources_are_the_budget_and_prenotato_of_their_items(
    events: list[LedgerEvent], final: Achievement
) -> None:
    table = budget(events)
    for code, printed in PRINTED["resources"].items():
        computed = resources(table, tree(final), code)
        expected = (Decimal(printed["preventivo"]), Decimal(printed["consuntivo"]))
        if code in RESOURCE_DIFFERENCES:
            assert computed == RESOURCE_DIFFERENCES[code][0], code
            assert expected == (Decimal("8000.00"), Decimal("7519.00"))
            continue
        assert computed == expected, code
    # 6.1's two products are in the budget table under strategic 06 and count there once, not twice.
    assert table.objective("06").amounts.budget == Decimal("190000.00")


def test_the_managers_individual_objectives_reuse_the_organisational_indicators(final: Achievement) -> None:
    for code, objective in PRINTED["individual"].items():
        scored = final.objective(code)
        assert scored.definition.level == "individual" and scored.definition.owner == objective["owner"]
        assert scored.definition.parent == objective["parent"]
        for ind, printed in objective["indicators"].items():
            score = final.indicator(ind)
            assert rounded_percent(score.achievement) == printed["printed"], ind  # type: ignore[arg-type]
            if printed["uses"] is not None:
                used = final.indicator(printed["uses"])
                assert score.value == used.value and score.definition.source == "reference", ind
    # 2.4 prints 16.2's value unrounded (1,07%): with it the strategic 16.2 gives the printed 11%.
    assert final.indicator("16.2").value == "0.0107"
    assert rounded_percent(final.indicator("16.2").achievement) == 11  # type: ignore[arg-type]


def mean(values: Iterable[Decimal | None]) -> Decimal:
    found = [v for v in values if v is not None]
    return sum(found, Decimal(0)) / len(found)


def test_the_budget_as_of_31_august_2012(events: list[LedgerEvent]) -> None:
    august = budget(events, Cut(as_of=date(2012, 8, 31)))
    flood = august.row("A3/05/07")
    assert flood.product.startswith("Istruttoria delle domande per il credito")
    assert flood.amounts.variations == Decimal("743166.57")  # both flood variations were by July
    year_end_cut = [e for e in events if e.effective_date > date(2012, 8, 31) and e.TYPE == "BudgetVaried"]
    assert year_end_cut and august.total.amounts.total > budget(events).total.amounts.total


def test_what_the_ledger_knew_before_a_correction(events: list[LedgerEvent]) -> None:
    before = achievement(events, Cut(known_at=datetime(2013, 2, 1, tzinfo=UTC)))
    after = achievement(events)
    assert before.indicator("12.4").value == "62" and after.indicator("12.4").value == "67"
    assert rounded_percent(before.objective("12").achievement) == 94  # type: ignore[arg-type]
    assert rounded_percent(after.objective("12").achievement) == 92  # type: ignore[arg-type]
    explained = after.indicator("12.4").derivation()
    assert any(ref.type == "EventCorrected" for ref in explained.events)


def test_a_figure_explained_equals_the_figure_reported(final: Achievement, events: list[LedgerEvent]) -> None:
    table = budget(events)
    from projections.budget import explain_group, explain_row

    for row in table.rows:
        assert explain_row(row, "available").value == row.amounts.available
    assert explain_group(table.total, "available", "the").value == Decimal("136406.72")
    for objective in final.objectives:
        assert objective.derivation().value == objective.achievement
    assert final.entity_derivation().value == final.entity


def test_the_example_file_is_the_build_scripts_output(tmp_path: Path) -> None:
    seed = (
        Path(__file__).resolve().parents[2] / "shared" / "seeds"
        / "relazione-performance-2012-cciaa-massa-carrara.txt"
    )
    if not seed.exists():
        pytest.skip(f"the seed is not beside this checkout ({seed})")
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_example", EXAMPLE_DIR / "build.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    lines, printed = module.build(seed)
    assert "\n".join(lines) + "\n" == (EXAMPLE_DIR / "events.jsonl").read_text(encoding="utf-8")
    assert printed == PRINTED


def test_what_the_four_monthly_report_said_about_august_before_a_later_correction(
    events: list[LedgerEvent]
) -> None:
    august = date(2012, 8, 31)
    reported = achievement(events, Cut(as_of=august, known_at=datetime(2012, 9, 15, 23, 59, tzinfo=UTC)))
    now = achievement(events, Cut(as_of=august))
    assert reported.indicator("07.1").value == "35" and now.indicator("07.1").value == "38"
    # Facts effective after 31 August are not in force yet: the year-end values are absent.
    assert reported.indicator("07.2").value is None
