"""The budget on any level of the tree without double counting: the line -> strategic -> product pivot,
the views by objective and by area, and the resources the seed's section 2.3 prints per objective."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from events import parse_submission
from ledger import Store
from ledger.errors import RuleViolation
from projections.achievement import achievement
from projections.budget import Amounts, budget, budget_of
from projections.budget_views import VIEWS, area_of, by_area, by_line, by_objective, links, resources, view
from projections.facts import Cut
from projections.tree import tree
from tests.conftest import ev
from tests.tree_helpers import NOW, events_of, ledger_of, objective, plan


def item(code: str, of: str, amount: str, line: str | None = None, day: str = "2012-01-27") -> dict[str, Any]:
    extra = {} if line is None else {"line": line}
    return ev("BudgetItemOpened", f"item-{code}", day, item=code, objective=of, product=f"product {code}",
              amount=amount, **extra)


def seed_budget() -> list[dict[str, Any]]:
    """Objective 14 on policy line A7 (the seed's 1.2); the Area Amministrativa's 12.1 with resources of
    its own, on no policy line (the seed's 2.3: € 41.143,00 a preventivo, € 24.900,00 a consuntivo)."""
    return [
        plan(),
        ev("PolicyLineDefined", "line-A7", "2012-01-27", year=2012, line="A7",
           title="Valorizzazione del capitale umano, comunicazione"),
        objective("12", "strategic", title="Valorizzazione del capitale umano"),
        objective("14", "strategic", title="Migliorare la Comunicazione istituzionale", line="A7"),
        objective("AMM/12.1", "operational", "12", area="AMM",
                  title="Potenziare il Know how e massimizzazione del patrimonio intangibile"),
        objective("ANA/14.1", "operational", "14", area="ANA"),
        objective("DIR-AMM/12-1", "individual", "AMM/12.1", owner="Dirigente Area Amministrativa"),
        item("A7/14/01", "14", "65000.00", "A7"),
        item("A7/14/02", "ANA/14.1", "30000.00", "A7"),
        item("AMM/12.1/01", "AMM/12.1", "41143.00"),
        ev("ReservationMade", "res-AMM/12.1/01", "2012-06-01", reservation="res-AMM/12.1/01",
           item="AMM/12.1/01", amount="24900.00"),
        ev("ReservationApproved", "appr-AMM/12.1/01", "2012-07-01", reservation="res-AMM/12.1/01",
           amount="20000.00"),
    ]


def test_an_item_under_an_operational_objective_counts_under_its_strategic_ancestor() -> None:
    table = budget(events_of(*seed_budget()))
    assert [r.item for r in table.objective("14").rows] == ["A7/14/01", "A7/14/02"]
    assert table.row("A7/14/02").objective == "ANA/14.1"  # the item still belongs to its own node
    assert [(g.key, [r.item for r in g.rows]) for g in table.off_line_objectives] == [("12", ["AMM/12.1/01"])]


def test_items_on_no_policy_line_are_grouped_apart_and_the_lines_total_stays_theirs() -> None:
    table = budget(events_of(*seed_budget()))
    assert [g.key for g in table.lines] == ["A7"] and [r.item for r in table.rows] == ["A7/14/01", "A7/14/02"]
    assert table.total.title == "Totale complessivo" and table.total.amounts.total == Decimal("95000.00")
    assert table.off_line.title == "not on a policy line"
    assert table.off_line.amounts.total == Decimal("41143.00")
    assert table.overall.amounts.total == Decimal("136143.00")
    assert table.row("AMM/12.1/01").line is None


def test_the_resources_of_an_operational_objective_are_read_from_its_items() -> None:
    events = events_of(*seed_budget())
    t = tree(achievement(events))
    assert resources(budget(events), t, "AMM/12.1") == (Decimal("41143.00"), Decimal("24900.00"))
    assert resources(budget(events), t, "12") == (Decimal("41143.00"), Decimal("24900.00"))  # descendants'
    assert resources(budget(events), t, "ANA/14.1") == (Decimal("30000.00"), Decimal(0))


def test_the_resources_of_an_objective_include_its_descendants_items() -> None:
    events = events_of(*seed_budget(), item("DIR/01", "DIR-AMM/12-1", "500.00"))
    ach = achievement(events)
    assert resources(budget(events), ach, "AMM/12.1") == (Decimal("41643.00"), Decimal("24900.00"))
    assert resources(budget(events), ach, "DIR-AMM/12-1") == (Decimal("500.00"), Decimal(0))


def test_the_resources_of_an_objective_may_count_one_areas_descendants_only() -> None:
    events = events_of(*seed_budget(), objective("ANA/12.9", "operational", "12", area="ANA"),
                       item("ANA/12.9/01", "ANA/12.9", "700.00"), item("DIR/01", "DIR-AMM/12-1", "500.00"))
    t = tree(achievement(events))
    assert resources(budget(events), t, "12") == (Decimal("42343.00"), Decimal("24900.00"))
    assert resources(budget(events), t, "12", area="AMM") == (Decimal("41643.00"), Decimal("24900.00"))
    assert resources(budget(events), t, "12", area="ANA") == (Decimal("700.00"), Decimal(0))


def test_by_objective_each_item_counts_under_the_node_it_belongs_to() -> None:
    events = events_of(*seed_budget())
    shown = by_objective(budget(events), tree(achievement(events)))
    assert [(g.key, g.amounts.total) for g in shown.groups] == [
        ("AMM/12.1", Decimal("41143.00")), ("14", Decimal("65000.00")), ("ANA/14.1", Decimal("30000.00"))]


def test_by_area_an_item_counts_in_the_area_of_its_node_or_of_its_nearest_ancestor_with_one() -> None:
    events = events_of(*seed_budget(), item("DIR/01", "DIR-AMM/12-1", "500.00"))
    family = links(achievement(events))
    assert area_of(family, "DIR-AMM/12-1") == "AMM"  # an individual objective names no area: its parent's
    assert area_of(family, "14") == "-"
    shown = by_area(budget(events), achievement(events))
    assert [(g.key, g.amounts.total) for g in shown.groups] == [
        ("ANA", Decimal("30000.00")), ("AMM", Decimal("41643.00")), ("-", Decimal("65000.00"))]


def test_the_read_model_groups_the_items_as_the_replay_does(tmp_path: Path) -> None:
    store = Store.open(str(tmp_path / "l.db"), create=True)
    store.init("CCIAA", actor="cdg")
    store.append([parse_submission(o) for o in seed_budget()])
    try:
        assert store.budget_model(None, None) is not None  # the read model answers
        model, replay = budget_of(store, Cut()), budget(store.events())
        for groups in ("objectives", "off_line_objectives"):
            assert [(g.key, [r.item for r in g.rows]) for g in getattr(model, groups)] == \
                [(g.key, [r.item for r in g.rows]) for g in getattr(replay, groups)]
        assert [r.item for r in model.off_line.rows] == ["AMM/12.1/01"]
    finally:
        store.close()


# -- the property: every view's subtotals add up to the same grand total ------------------------------------
AREAS = ["AMM", "ANA", None]
node = st.tuples(st.integers(0, 2), st.sampled_from(AREAS))  # a strategic objective's child, its area
items = st.lists(
    st.tuples(st.integers(0, 30), st.booleans(), st.integers(0, 900_000), st.integers(-500, 500)), max_size=12
)


def generated(strategics: list[bool], children: list[tuple[int, str | None]],
              specs: list[tuple[int, bool, int, int]]) -> list[dict[str, Any]]:
    objs = [plan(), ev("PolicyLineDefined", "line-A1", "2012-01-27", year=2012, line="A1", title="A1")]
    nodes: list[tuple[str, str | None]] = []  # (code, its own line)
    for s, on_line in enumerate(strategics):
        objs.append(objective(f"S{s}", "strategic", **({"line": "A1"} if on_line else {})))
        nodes.append((f"S{s}", "A1" if on_line else None))
    for c, (parent, area) in enumerate(children):
        code, up = f"O{c}", f"S{parent % len(strategics)}"
        if area is None:
            objs.append(objective(code, "individual", up, owner="Dirigente"))
        else:
            objs.append(objective(code, "operational", up, area=area))
        nodes.append((code, None))
    for n, (which, lined, cents, varied) in enumerate(specs):
        code, line = nodes[which % len(nodes)]
        objs.append(item(f"I{n}", code, f"{Decimal(cents) / 100:.2f}", line or ("A1" if lined else None)))
        if varied:
            objs.append(ev("BudgetVaried", f"v{n}", "2012-03-01", item=f"I{n}", amount=f"{varied}.00"))
    return objs


@settings(max_examples=40, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=3), st.lists(node, max_size=5), items)
def test_every_views_subtotals_add_up_to_the_same_grand_total(
    strategics: list[bool], children: list[tuple[int, str | None]], specs: list[tuple[int, bool, int, int]]
) -> None:
    ledger = ledger_of()
    for obj in generated(strategics, children, specs):
        try:
            ledger.extend([parse_submission(obj)], now=NOW)
        except RuleViolation:  # a variation below what is reserved, say: left out
            continue
    events = list(ledger.pending_events)
    table, t = budget(events), tree(achievement(events))  # type: ignore[arg-type]
    grand = table.overall.amounts
    for by in VIEWS:
        shown = view(table, by, t)
        assert sum((g.amounts for g in shown.groups), Amounts()) == grand, by
        shown_items = sorted(r.item for g in shown.groups for r in g.rows)
        assert shown_items == sorted(r.item for r in table.every_row), by
    assert sum((g.amounts for g in (*table.objectives, *table.off_line_objectives)), Amounts()) == grand
    assert sum((g.amounts for g in table.lines), Amounts()) == table.total.amounts
    assert table.total.amounts + table.off_line.amounts == grand
    assert by_line(table).total == table.overall


# -- the overrides granted on a row show in every view ---------------------------------------------------
def test_the_views_by_objective_and_by_area_list_the_overrides_as_the_line_view_does() -> None:
    import json

    from cli.tree_views import show_view

    events = events_of(*seed_budget(), ev(
        "ReservationMade", "res-extra", "2012-08-01", reservation="res-extra", item="AMM/12.1/01",
        amount="20000.00", override_reason="Giunta n. 75 del 5.7.12"))
    t = tree(achievement(events))
    for by in ("objective", "area"):
        shown = view(budget(events), by, t)
        data = json.loads(show_view(shown, t, "json", "it"))
        rows = {row["item"]: row for row in data["rows"]}
        granted = [{"event": "res-extra", "reason": "Giunta n. 75 del 5.7.12"}]
        assert rows["AMM/12.1/01"]["overrides"] == granted
        assert "overrides" not in rows["A7/14/01"]
        text = show_view(shown, t, "table", "it")
        assert ("Deroghe (disponibilità ammessa sotto zero):\n"
                "  AMM/12.1/01 product AMM/12.1/01: Giunta n. 75 del 5.7.12 (evento res-extra)") in text
        csv = show_view(shown, t, "csv", "en").splitlines()
        assert csv[0].endswith(",override")
        assert [line for line in csv if line.endswith(",Giunta n. 75 del 5.7.12 (event res-extra)")]
    plain = view(budget(events_of(*seed_budget())), "area", t)
    assert "override" not in show_view(plain, t, "csv", "en").splitlines()[0]
