# ruff: noqa: E501  (the expected tables are as wide as the tables, up to 120 columns)
"""`perfledger log` as an auditor uses it: every event touching an objective, an indicator, an item,
a reservation, an area or an act, with the amounts, values and reasons each one carries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.browse import SUBJECT_KINDS
from cli.main import main
from projections.touches import KINDS, act_matches, act_pattern, subjects_by_event, touching
from tests.backends import postgres_ledger_url
from tests.conftest import ev, in_memory_ledger, small_plan, write_jsonl

NOW = datetime(2012, 9, 20, 10, 0, tzinfo=UTC)


def act(kind: str, number: str, day: str) -> dict[str, str]:
    return {"kind": kind, "number": number, "date": day}


def audited_year() -> list[dict[str, Any]]:
    """The small plan, an operational objective of area AMM under 04 and one of area AA under 08, and
    a year's facts on them: reservations, an approval, an adjustment, a variation, measurements, a
    correction of a measurement and of a variation, a change, a strike and its revocation."""
    return [
        *small_plan(),
        ev("ObjectiveDefined", "obj-AMM/1", "2012-01-27", year=2012, objective="AMM/1", level="operational",
           title="Tempi di pagamento", parent="04", area="AMM"),
        ev("ObjectiveDefined", "obj-AA/1", "2012-01-27", year=2012, objective="AA/1", level="operational",
           title="Registro imprese", parent="08", area="AA"),
        ev("IndicatorDefined", "ind-AMM/1.1", "2012-01-27", indicator="AMM/1.1", objective="AMM/1",
           title="Giorni di pagamento", weight="100", direction="lower", target="30", unit="gg"),
        ev("IndicatorDefined", "ind-08.1", "2012-01-27", indicator="08.1", objective="08", title="Pratiche",
           weight="100", direction="higher", target="500", unit="n."),
        ev("BudgetItemOpened", "item-AMM", "2012-01-27", item="AMM/1/01", objective="AMM/1",
           product="Software contabile", amount="5000.00"),
        ev("ReservationMade", "r-1", "2012-03-01", reservation="r-1", item="A1/04/01", amount="1500.00",
           act=act("Determina", "12", "2012-03-01")),
        ev("ReservationApproved", "a-1", "2012-03-20", reservation="r-1", amount="1500.00",
           act=act("Determina", "120", "2012-03-20")),
        ev("ReservationMade", "r-2", "2012-03-05", reservation="r-2", item="AMM/1/01", amount="800.00"),
        ev("ReservationAdjusted", "adj-2", "2012-04-02", reservation="r-2", amount="100.00"),
        ev("BudgetVaried", "v-1", "2012-04-10", item="A1/04/02", amount="2000.00",
           act=act("Delibera di Giunta", "75", "2012-04-10")),
        {**ev("BudgetVaried", "v-2", "2012-04-11", item="A1/04/01", amount="-500.00"), "actor": "ragioneria"},
        ev("IndicatorMeasured", "m-1", "2012-04-30", indicator="04.1", period_end="2012-04-30", value="12"),
        ev("IndicatorMeasured", "m-2", "2012-04-30", indicator="08.1", period_end="2012-04-30", value="180"),
        ev("EventCorrected", "fix-1", "2012-04-30", corrects="m-1", changes={"value": "13"},
           reason="one late registration was not counted"),
        ev("EventCorrected", "fix-2", "2012-04-10", corrects="v-1", changes={"amount": "2500.00"},
           reason="the act's amount"),
        ev("ObjectiveChanged", "ch-1", "2012-05-15", objective="04", indicator="04.1", target="35",
           cause="internal", reason="more seminars planned", what="target raised from 30 to 35",
           act=act("Delibera di Giunta", "80", "2012-05-15")),
        ev("IndicatorStruck", "st-1", "2012-06-01", indicator="AMM/1.1", cause="external",
           reason="data not collected"),
        ev("StrikeRevoked", "rv-1", "2012-07-01", strike="st-1", reason="data found"),
    ]


class FixedClock(datetime):
    """The SQLite store's clock, stopped at NOW: recorded-at times and hashes come out the same."""

    @classmethod
    def now(cls, tz: Any = None) -> FixedClock:
        return cls(2012, 9, 20, 10, 0, tzinfo=UTC)


def run(ledger: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--ledger", ledger, *args])


def ids(ledger: str, *args: str) -> list[str]:
    result = run(ledger, "log", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return [row["id"] for row in json.loads(result.output)]


def write_year(ledger: str, tmp_path: Path) -> str:
    assert run(ledger, "init", "--entity", "CCIAA Test", "--actor", "cdg").exit_code == 0
    result = run(ledger, "import", str(write_jsonl(tmp_path / "year.jsonl", audited_year())))
    assert result.exit_code == 0, result.output
    return ledger


@pytest.fixture
def audited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite ledger of the audited year, every event recorded at NOW."""
    monkeypatch.setattr("ledger.sqlite_store.datetime", FixedClock)
    return write_year(str(tmp_path / "ledger.db"), tmp_path)


# -- the command line, exactly ---------------------------------------------------------------------

def test_an_objective_shows_its_definition_indicators_items_reservations_changes_and_corrections(
    audited: str,
) -> None:
    result = run(audited, "log", "--objective", "04")
    assert result.exit_code == 0, result.output
    assert result.output == (
        'seq    id         type                 effective_date    recorded_at           actor       hash\n'
        '-----  ---------  -------------------  ----------------  --------------------  ----------  ------------\n'
        '4      obj-04     ObjectiveDefined     2012-01-27        2012-09-20T10:00:00Z  cdg         963a825c9526\n'
        '    objective 04 level strategic title Valorizzazione year 2012 perspective Imprese line A1\n'
        '6      item-1     BudgetItemOpened     2012-01-27        2012-09-20T10:00:00Z  cdg         4afcf8f192ba\n'
        '    amount 10,000.00 item A1/04/01 objective 04 product Accordo di programma line A1\n'
        '7      item-2     BudgetItemOpened     2012-01-27        2012-09-20T10:00:00Z  cdg         fea0ea0646e6\n'
        '    amount 0.00 item A1/04/02 objective 04 product Protocollo IAT line A1\n'
        '8      ind-04.1   IndicatorDefined     2012-01-27        2012-09-20T10:00:00Z  cdg         15f9685450d9\n'
        '    indicator 04.1 objective 04 weight 50 target 30 direction higher title Partecipanti unit n. source measured\n'
        '9      ind-04.2   IndicatorDefined     2012-01-27        2012-09-20T10:00:00Z  cdg         35370706f317\n'
        '    indicator 04.2 objective 04 weight 50 target 2012-03-30 direction deadline title Bando unit date source measured\n'
        '10     obj-AMM/1  ObjectiveDefined     2012-01-27        2012-09-20T10:00:00Z  cdg         56bb98a05d16\n'
        '    objective AMM/1 level operational area AMM parent 04 title Tempi di pagamento year 2012\n'
        '15     r-1        ReservationMade      2012-03-01        2012-09-20T10:00:00Z  cdg         27586f0db37b\n'
        '    amount 1,500.00 reservation r-1 item A1/04/01\n'
        '16     a-1        ReservationApproved  2012-03-20        2012-09-20T10:00:00Z  cdg         95ef03ddcef3\n'
        '    amount 1,500.00 reservation r-1\n'
        '19     v-1        BudgetVaried         2012-04-10        2012-09-20T10:00:00Z  cdg         db14ccec0310\n'
        '    amount 2,000.00 item A1/04/02\n'
        '20     v-2        BudgetVaried         2012-04-11        2012-09-20T10:00:00Z  ragioneria  ca4eec83c58c\n'
        '    amount -500.00 item A1/04/01\n'
        '21     m-1        IndicatorMeasured    2012-04-30        2012-09-20T10:00:00Z  cdg         27fa2695c675\n'
        '    value 12 indicator 04.1 period 2012-04-30\n'
        '23     fix-1      EventCorrected       2012-04-30        2012-09-20T10:00:00Z  cdg         51c40c3eb194\n'
        '    corrects m-1 to value 13 reason one late registration was not counted\n'
        '24     fix-2      EventCorrected       2012-04-10        2012-09-20T10:00:00Z  cdg         8be3696a93dd\n'
        "    corrects v-1 to amount 2500.00 reason the act's amount\n"
        '25     ch-1       ObjectiveChanged     2012-05-15        2012-09-20T10:00:00Z  cdg         59677df5d681\n'
        '    objective 04 indicator 04.1 target 35 cause internal reason more seminars planned what target raised from 30 to 35\n'
    )


def test_an_area_shows_everything_touching_its_objectives(audited: str) -> None:
    result = run(audited, "log", "--area", "AMM", "--locale", "it")
    assert result.exit_code == 0, result.output
    assert result.output == (
        'n.    codice       tipo                 decorrenza    registrato il (UTC)    autore    hash\n'
        '----  -----------  -------------------  ------------  ---------------------  --------  ------------\n'
        '10    obj-AMM/1    ObjectiveDefined     27/01/2012    20/09/2012 10:00:00    cdg       56bb98a05d16\n'
        '    obiettivo AMM/1 livello operativo area AMM padre 04 titolo Tempi di pagamento anno 2012\n'
        '12    ind-AMM/1.1  IndicatorDefined     27/01/2012    20/09/2012 10:00:00    cdg       5fecceaa957a\n'
        '    indicatore AMM/1.1 obiettivo AMM/1 peso 100 atteso 30 direzione decrescente titolo Giorni di pagamento unità gg fon…\n'
        '14    item-AMM     BudgetItemOpened     27/01/2012    20/09/2012 10:00:00    cdg       ba4cc1f4eaf0\n'
        '    importo € 5.000,00 voce AMM/1/01 obiettivo AMM/1 prodotto Software contabile\n'
        '17    r-2          ReservationMade      05/03/2012    20/09/2012 10:00:00    cdg       4f8809f8213f\n'
        '    importo € 800,00 prenotazione r-2 voce AMM/1/01\n'
        '18    adj-2        ReservationAdjusted  02/04/2012    20/09/2012 10:00:00    cdg       c8f098060025\n'
        '    importo € 100,00 prenotazione r-2\n'
        '26    st-1         IndicatorStruck      01/06/2012    20/09/2012 10:00:00    cdg       128971c8229b\n'
        '    indicatore AMM/1.1 causa esterna motivo data not collected\n'
        '27    rv-1         StrikeRevoked        01/07/2012    20/09/2012 10:00:00    cdg       f8ec40d9481f\n'
        '    stralcio st-1 motivo data found\n'
    )


def test_json_gives_the_act_the_details_in_full_and_the_events_own_fields(audited: str) -> None:
    rows = json.loads(run(audited, "log", "--reservation", "r-1", "--format", "json").output)
    assert [row["id"] for row in rows] == ["r-1", "a-1"]
    assert {k: rows[0][k] for k in ("act", "details", "fields")} == {
        "act": "Determina n. 12 del 01/03/2012",
        "details": "amount 1500.00 reservation r-1 item A1/04/01",
        "fields": {"reservation": "r-1", "item": "A1/04/01", "amount": "1500.00", "override_reason": None},
    }
    change = json.loads(run(audited, "log", "--type", "ObjectiveChanged", "--format", "json").output)[0]
    assert change["details"] == ("objective 04 indicator 04.1 target 35 cause internal reason more seminars"
                                 " planned what target raised from 30 to 35")


def test_csv_adds_the_act_and_the_details_in_full(audited: str) -> None:
    lines = run(audited, "log", "--item", "A1/04/02", "--format", "csv").output.splitlines()
    assert lines[0] == "seq,id,type,effective_date,recorded_at,actor,hash,act,details"
    assert [line.split(",", 2)[1] for line in lines[1:]] == ["item-2", "v-1", "fix-2"]
    assert lines[2].endswith(",Delibera di Giunta n. 75 del 10/04/2012,amount 2000.00 item A1/04/02")
    assert lines[3].endswith(",,corrects v-1 to amount 2500.00 reason the act's amount")


def test_an_indicator_shows_its_definition_measurements_changes_and_their_corrections(audited: str) -> None:
    assert ids(audited, "--indicator", "04.1") == ["ind-04.1", "m-1", "fix-1", "ch-1"]


def test_an_item_shows_its_variations_reservations_and_their_approvals(audited: str) -> None:
    assert ids(audited, "--item", "A1/04/01") == ["item-1", "r-1", "a-1", "v-2"]


def test_a_reservation_shows_its_approvals_and_adjustments(audited: str) -> None:
    assert ids(audited, "--reservation", "r-2") == ["r-2", "adj-2"]


def test_a_strike_revocation_touches_what_the_strike_touches(audited: str) -> None:
    assert ids(audited, "--indicator", "AMM/1.1") == ["ind-AMM/1.1", "st-1", "rv-1"]


def test_filters_combine_with_and_and_a_repeated_filter_with_or(audited: str) -> None:
    result = run(audited, "log", "--item", "A1/04/01", "--item", "AMM/1/01",
                 "--type", "ReservationApproved", "--type", "ReservationAdjusted")
    assert result.output == (
        'seq    id     type                 effective_date    recorded_at           actor    hash\n'
        '-----  -----  -------------------  ----------------  --------------------  -------  ------------\n'
        '16     a-1    ReservationApproved  2012-03-20        2012-09-20T10:00:00Z  cdg      95ef03ddcef3\n'
        '    amount 1,500.00 reservation r-1\n'
        '18     adj-2  ReservationAdjusted  2012-04-02        2012-09-20T10:00:00Z  cdg      c8f098060025\n'
        '    amount 100.00 reservation r-2\n'
    )
    # Touching 04 and of area AMM: the one objective of AMM defined under 04.
    assert ids(audited, "--objective", "04", "--area", "AMM") == ["obj-AMM/1"]
    assert ids(audited, "--objective", "04", "--objective", "08",
               "--type", "IndicatorMeasured") == ["m-1", "m-2"]
    assert ids(audited, "--objective", "04", "--actor", "ragioneria") == ["v-2"]
    assert ids(audited, "--objective", "08", "--actor", "ragioneria") == []
    assert ids(audited, "--actor", "ragioneria", "--actor", "cdg", "--area", "AA") == ["obj-AA/1"]
    assert ids(audited, "--objective", "04", "--from", "2012-04-30", "--to", "2012-05-31") == [
        "m-1", "fix-1", "ch-1"]


def test_wide_prints_each_event_and_its_details_on_one_line(audited: str) -> None:
    result = run(audited, "log", "--item", "A1/04/01", "--item", "AMM/1/01", "--wide",
                 "--type", "ReservationApproved", "--type", "ReservationAdjusted")
    assert result.output == (
        'seq    id     type                 effective_date    recorded_at           actor    hash          details\n'
        '-----  -----  -------------------  ----------------  --------------------  -------  ------------  -------------------------------\n'
        '16     a-1    ReservationApproved  2012-03-20        2012-09-20T10:00:00Z  cdg      95ef03ddcef3  amount 1,500.00 reservation r-1\n'
        '18     adj-2  ReservationAdjusted  2012-04-02        2012-09-20T10:00:00Z  cdg      c8f098060025  amount 100.00 reservation r-2\n'
    )


def test_every_line_of_the_log_fits_120_columns_in_either_locale(audited: str) -> None:
    for locale in ("en", "it"):
        output = run(audited, "log", "--locale", locale).output
        assert max(len(line) for line in output.splitlines()) <= 120, locale
        assert "…" in output  # the long details were abbreviated, not left out


def test_the_whole_log_of_the_2012_example_fits_120_columns(tmp_path: Path) -> None:
    ledger = str(tmp_path / "demo.db")
    assert run(ledger, "demo").exit_code == 0
    for locale in ("en", "it"):
        output = run(ledger, "log", "--locale", locale).output
        assert max(len(line) for line in output.splitlines()[:-1]) <= 120, locale  # the last: a note
    wide = run(ledger, "log", "--wide").output
    assert "history-migrated-" in wide and max(len(line) for line in wide.splitlines()) > 120


def test_italian_details_write_values_and_targets_with_a_decimal_comma(tmp_path: Path) -> None:
    ledger = str(tmp_path / "demo.db")
    assert run(ledger, "demo").exit_code == 0
    italian = run(ledger, "log", "--objective", "07", "--locale", "it").output
    assert "atteso 25,00" in italian and "atteso 25.00" not in italian
    assert "indicatore 07.1" in italian  # codes stay as they are


def test_an_act_is_matched_by_part_of_its_text_with_numbers_whole(audited: str) -> None:
    assert ids(audited, "--act", "Determina n. 12") == ["r-1"]
    assert ids(audited, "--act", "determina n.120") == ["a-1"]
    # A correction matches its corrected event's act.
    assert ids(audited, "--act", "Delibera di Giunta n. 75") == ["v-1", "fix-2"]
    assert ids(audited, "--act", "Giunta", "--act", "n. 12 ") == ["r-1", "v-1", "fix-2", "ch-1"]
    assert ids(audited, "--act", "2012-03-20") == ["a-1"]
    assert ids(audited, "--act", "Determina", "--item", "A1/04/01",
               "--type", "ReservationApproved") == ["a-1"]


def test_the_act_rule_ignores_case_and_spaces_and_matches_numbers_whole() -> None:
    subjects = frozenset({("act", "Determina n. 12 del 05/07/2012")})
    for text in ("Determina n. 12", "DETERMINA N.12", "n. 12 del", "05/07/2012", "2012-07-05", "2012",
                 "del 05/07", "Determ"):
        assert act_matches(act_pattern(text), subjects), text
    for text in ("Determina n. 1", "n. 120", "2", "07/2012 x", "2012-07-06", "Delibera"):
        assert not act_matches(act_pattern(text), subjects), text
    assert not act_matches(act_pattern("Determina"), frozenset({("objective", "Determina")}))


def test_a_code_the_ledger_does_not_hold_is_an_error_naming_the_nearest(audited: str) -> None:
    def error(*args: str) -> tuple[int, str]:
        result = run(audited, "log", *args)
        return result.exit_code, result.output

    assert error("--objective", "4") == (1, 'Error: the ledger holds no objective "4"; did you mean "04"?\n')
    assert error("--area", "AM") == (1, 'Error: the ledger holds no area "AM"; did you mean "AMM"?\n')
    assert error("--reservation", "zzz") == (1, 'Error: the ledger holds no reservation "zzz"\n')
    assert run(audited, "log", "--act", " ").exit_code == 2


def test_without_filters_every_event_is_listed_with_its_details(audited: str) -> None:
    rows = json.loads(run(audited, "log", "--format", "json").output)
    assert len(rows) == 27
    assert rows[0]["details"].startswith("originator_topic ledger.aggregate:Ledger entity CCIAA Test origin ")
    assert rows[0]["act"] is None and rows[1]["details"].startswith("year 2012 title Piano 2012")


def test_the_cli_filters_by_the_kinds_of_subject_the_projection_knows() -> None:
    assert SUBJECT_KINDS == KINDS


def test_the_objective_filter_gives_the_same_events_on_postgresql(audited: str, tmp_path: Path) -> None:
    with postgres_ledger_url() as url:
        write_year(url, tmp_path)
        for args in (("--objective", "04"), ("--area", "AMM"), ("--objective", "08", "--act", "Giunta")):
            assert ids(url, *args) == ids(audited, *args), args


# -- the relation, as a property -------------------------------------------------------------------

@st.composite
def years(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A plan of 1-3 objectives (each maybe in an area) with up to 2 indicators and 2 items each, and
    a year of reservations, approvals, variations, measurements, changes, strikes and corrections."""
    objs: list[dict[str, Any]] = [
        ev("PlanOpened", "plan", "2012-01-27", year=2012, title="Piano 2012", horizon_days=60)]
    indicators: list[str] = []
    items: list[str] = []
    for o in range(draw(st.integers(1, 3))):
        area = draw(st.sampled_from(["X", "Y", None]))
        objs.append(ev("ObjectiveDefined", f"obj-{o}", "2012-01-27", year=2012, objective=f"O{o}",
                       level="strategic", title=f"Obiettivo {o}", area=area))
        for i in range(draw(st.integers(0, 2))):
            indicators.append(f"O{o}.{i}")
            objs.append(ev("IndicatorDefined", f"ind-{o}.{i}", "2012-01-27", indicator=f"O{o}.{i}",
                           objective=f"O{o}", title="n", weight="50", direction="higher", target="10"))
        for i in range(draw(st.integers(0, 2))):
            items.append(f"I{o}/{i}")
            objs.append(ev("BudgetItemOpened", f"item-{o}/{i}", "2012-01-27", item=f"I{o}/{i}",
                           objective=f"O{o}", product="p", amount="1000.00"))
    for n, item in enumerate(draw(st.lists(st.sampled_from(items), max_size=4)) if items else (), 1):
        objs.append(ev("ReservationMade", f"r-{n}", "2012-03-01", reservation=f"r-{n}", item=item,
                       amount="100.00"))
        if draw(st.booleans()):
            objs.append(ev("ReservationApproved", f"a-{n}", "2012-03-02", reservation=f"r-{n}",
                           amount="50.00"))
        if draw(st.booleans()):
            objs.append(ev("EventCorrected", f"fix-r-{n}", "2012-03-01", corrects=f"r-{n}",
                           changes={"amount": "90.00"}, reason="r"))
        if draw(st.booleans()):
            objs.append(ev("BudgetVaried", f"v-{n}", "2012-03-03", item=item, amount="10.00"))
    for indicator in draw(st.lists(st.sampled_from(indicators), unique=True)) if indicators else ():
        objs.append(ev("IndicatorMeasured", f"m-{indicator}", "2012-04-30", indicator=indicator,
                       period_end="2012-04-30", value="5"))
        if draw(st.booleans()):
            objs.append(ev("EventCorrected", f"fix-m-{indicator}", "2012-04-30", corrects=f"m-{indicator}",
                           changes={"value": "6"}, reason="r"))
        if draw(st.booleans()):
            objs.append(ev("IndicatorStruck", f"st-{indicator}", "2012-05-01", indicator=indicator,
                           cause="internal", reason="r"))
            if draw(st.booleans()):
                objs.append(ev("StrikeRevoked", f"rv-{indicator}", "2012-06-01", strike=f"st-{indicator}",
                               reason="r"))
    if draw(st.booleans()):
        objs.append(ev("ObjectiveChanged", "ch", "2012-05-02", objective="O0", cause="internal", reason="r",
                       what="w"))
    return objs


def named_by(objs: list[dict[str, Any]], objective: str) -> set[str]:
    """The oracle: the ids of the events whose own fields name ``objective`` or one of its indicators,
    items or reservations, and of the corrections and revocations of those."""
    def parts(type_name: str, key: str) -> set[str]:
        return {o[key] for o in objs if o["type"] == type_name and o["objective"] == objective}

    indicators, items = parts("IndicatorDefined", "indicator"), parts("BudgetItemOpened", "item")
    reservations = {o["reservation"] for o in objs if o["type"] == "ReservationMade" and o["item"] in items}
    found = {o["id"] for o in objs
             if o.get("objective") == objective or o.get("indicator") in indicators
             or o.get("item") in items or o.get("reservation") in reservations}
    return found | {o["id"] for o in objs if o.get("corrects", o.get("strike")) in found}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(years())
def test_an_objective_touches_exactly_the_events_naming_it_or_its_parts(objs: list[dict[str, Any]]) -> None:
    events = in_memory_ledger(objs, NOW).pending_events
    objectives = [o["objective"] for o in objs if o["type"] == "ObjectiveDefined"]
    for objective in objectives:
        assert touching(events, ("objective", objective)) == named_by(objs, objective), objective
    for area in ("X", "Y"):
        of_area = [o["objective"] for o in objs if o["type"] == "ObjectiveDefined" and o.get("area") == area]
        expected = set().union(*(named_by(objs, objective) for objective in of_area))
        assert touching(events, ("area", area)) == expected, area
    by_event = subjects_by_event(events)
    assert all(not subjects for event_id, subjects in by_event.items()
               if event_id in ("ledger-opened", "plan"))
