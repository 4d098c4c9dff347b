"""`--locale it` is Italian throughout: labels, bands, booleans, dates, money and percentages formatted by
Babel under one half-up rounding; CSV as an Italian spreadsheet opens it (BOM, `;`, decimal comma)."""

# The expected outputs are printed lines, wider than a line of code: E501 does not apply to them.
# ruff: noqa: E501

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from cli.main import main
from cli.output import money, number, percent
from tests.conftest import BACKENDS, example_on


@pytest.fixture(scope="module", params=BACKENDS)
def example(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with example_on(request.param, tmp_path_factory) as ledger:
        yield ledger


def run(ledger: str, *args: str) -> Result:
    result = CliRunner().invoke(main, ["--ledger", ledger, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def masked(text: str) -> str:
    """The head's hash (which differs between stores: the migration's instant) as HEAD."""
    return re.sub(r"(ultimo evento|head) [0-9a-f]{12}", r"\1 HEAD", text)


HEADER_IT = ("CCIAA Massa Carrara · anno 2012 · a qualsiasi data · noto all'ultimo evento\n"
             "registro di 516 eventi · ultimo evento HEAD\n\n")


def test_the_variations_table_in_italian_prints_exactly_so(example: str) -> None:
    assert masked(run(example, "variations", "--locale", "it").output) == HEADER_IT + """\
decorrenza    obiettivo    causa      conta    cosa cambia
------------  -----------  ---------  -------  ----------------------------------------------------------------
27/04/2012    02           normativa  no       target of conciliations per 1000 businesses raised from 24 to 26
22/05/2012    07           interna    sì       target of participants per seminar raised from 25 to 30
29/11/2012    16           esterna    no       target of the fund's financing lowered from 200.000 to 150.000

dato                              valore
--------------------------------  --------
variazioni conteggiate (interne)  1
obiettivi strategici              18
rapporto                          5,6%
valore atteso                     10%
causa interna                     1
causa normativa                   1
causa esterna                     1
"""


def test_the_budget_in_italian_shows_codes_euro_and_its_ratios_exactly(example: str) -> None:
    text = masked(run(example, "budget", "--locale", "it").output)
    assert text.startswith(HEADER_IT + """\
            Budget     Variazioni          Totale       Prenotato       Approvato    Rettificato    Disponibile
    --------------  -------------  --------------  --------------  --------------  -------------  -------------
A1/04/01 · 04 · Accordo di programma con il Comune di Carrara
       € 10.000,00    -€ 9.916,67         € 83,33          € 0,00          € 0,00         € 0,00        € 83,33
""")
    assert text.endswith("""
Obiettivo    Totale          Prenotato       Disponibile    Disponibile/Totale
-----------  --------------  --------------  -------------  --------------------
04           € 311.727,31    € 230.035,00    € 81.692,31    26%
08           € 60.000,00     € 60.000,00     € 0,00         0,0%
05           € 1.212.595,55  € 1.210.155,06  € 2.440,49     0,2%
07           € 26.857,15     € 21.857,15     € 5.000,00     19%
02           € 66.000,00     € 44.981,77     € 21.018,23    32%
06           € 143.468,22    € 130.294,68    € 13.173,54    9%
14           € 154.824,46    € 141.742,31    € 13.082,15    8%
totale       € 1.975.472,69  € 1.839.065,97  € 136.406,72   7%
""")
    assert "Totale complessivo\n    € 1.306.000,00   € 669.472,69  € 1.975.472,69" in text


def test_the_achievement_in_italian_names_bands_levels_and_means_exactly(example: str) -> None:
    text = run(example, "achievement", "--locale", "it").output
    assert text.endswith("""
livello dell'ente    raggiunto    parzialmente raggiunto    non raggiunto
-------------------  -----------  ------------------------  ---------------
94%                  15           2                         1

media di                                       raggiungimento
---------------------------------------------  ----------------
prospettiva Imprese, Consumatori e Territorio  91%
prospettiva Processi Interni                   100%
prospettiva Innovazione e Crescita             98%
prospettiva Economico-Finanziario              88%
obiettivi strategici                           94%
obiettivi operativi                            95%
individuali                                    85%
""".replace("individuali                                    85%",
            "obiettivi individuali                          85%"))
    assert "\n16 Migliorare la riscossione de" in text and "parzialmente raggiunto" in text
    assert "\n- 17.1 Ricavi ISR al netto della" in text and "-170.845,57" in text


ENGLISH = ("achieved", "partly", "not_achieved", "True", "False", "yes", "entity level", "mean of",
           "perspective", "objectives", "strategic", "operational", "individual", "weight", "value",
           "target", "own", "roll-up", "band", "children", "withdrawn", "not measured", "not available",
           "changes counted", "ratio", "cause", "internal", "normative", "external", "Achievement",
           "Variations", "year", "as of", "known at", "ledger", "events", "head", "title", "level",
           "nothing", "not on a policy line", "Overrides", "effective_date", "counts", "what")


def test_no_english_word_is_left_in_the_italian_report(example: str) -> None:
    text = run(example, "report", "--locale", "it").output
    # the variations' descriptions are the data's own words, as recorded (in English in the example)
    text = "\n".join(line for line in text.splitlines() if "target of " not in line)
    left = [word for word in ENGLISH if re.search(rf"(?<![\w/-]){re.escape(word)}(?![\w-])", text)]
    assert left == []


def test_the_italian_csv_opens_in_italian_excel_and_reads_back_as_the_json(example: str) -> None:
    raw = run(example, "budget", "--format", "csv", "--locale", "it").stdout_bytes
    assert raw.startswith(b"\xef\xbb\xbf# CCIAA Massa Carrara")
    text = raw.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO("\n".join(line for line in text.splitlines()
                                                    if not line.startswith("# "))), delimiter=";"))
    data = json.loads(run(example, "budget", "--format", "json").output)
    products = [r for r in rows if r["level"] == "product"]
    assert len(products) == len(data["rows"]) + len(data["off_line"]["rows"])
    wanted = {r["item"]: r for r in data["rows"]}
    for row in products:
        want = wanted.get(row["item"])
        if want is None:
            continue  # on no policy line: data["off_line"]
        for column in ("budget", "variations", "total", "reserved", "approved", "adjusted", "available"):
            assert "." not in row[column]  # no thousands separator: a decimal comma only
            assert Decimal(row[column].replace(",", ".")) == Decimal(want[column])
    total = next(r for r in rows if r["level"] == "total")
    assert total["available"] == "136406,72"


def test_the_italian_achievement_csv_has_decimal_commas_and_italian_dates(example: str) -> None:
    text = run(example, "achievement", "--format", "csv", "--locale", "it").output.lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO("\n".join(line for line in text.splitlines()
                                                    if not line.startswith("# "))), delimiter=";"))
    by = {(r["objective"], r["indicator"]): r for r in rows}
    assert by[("17", "17.1")]["value"] == "-170845,57" and by[("01", "01.1")]["weight"] == "33,33"
    assert by[("AMM/15.1", "AMM/15.1-2")]["value"] == "22/06/2012"
    data = json.loads(run(example, "achievement", "--format", "json").output)
    assert Decimal(by[("16", "")]["achievement"].replace(",", ".")) == Decimal(
        next(o for o in data["objectives"] if o["id"] == "16")["achievement"])


def test_explain_in_italian_states_its_cut_rounds_and_bands(example: str) -> None:
    text = masked(run(example, "explain", "achievement", "entity", "--locale", "it").output)
    lines = text.splitlines()
    assert text.startswith(HEADER_IT + "entity level 2012\n")
    assert lines[5] == "  → arrotondato (metà per eccesso): 94% · fascia: raggiunto"
    budget = run(example, "explain", "budget", "item", "A1/04/01", "variations", "--locale", "it").output
    assert "  → arrotondato (metà per eccesso): -€ 9.916,67" in budget
    assert re.search(r" decorrenza [0-9]{2}/[0-9]{2}/2012 registrato 2012-", budget)
    english = run(example, "explain", "variations").output.splitlines()
    assert english[5] == "  → rounded half-up: 5.6%"


# -- one rounding: half-up, before Babel (which would round half to even) ---------------------------------
def test_half_way_figures_round_up_not_to_even() -> None:
    assert number(Decimal("0.125"), 2, "it") == "0,13" and number(Decimal("0.135"), 2, "en") == "0.14"
    assert percent(Decimal("0.945"), 0, "it") == "95%" and percent(Decimal("0.925"), 0, "en") == "93%"
    assert percent(Decimal("0.0555"), 1, "it") == "5,6%" and percent(Decimal("-0.945")) == "-95%"
    assert money(Decimal("1306000.005"), "it") == "€ 1.306.000,01" and money(Decimal("-9916.67"), "it") == (
        "-€ 9.916,67")
    assert money(Decimal("1306000.00"), "en") == "1,306,000.00"


@given(st.decimals(min_value=-10**9, max_value=10**9, places=4, allow_nan=False, allow_infinity=False))
def test_a_formatted_amount_is_the_half_up_rounding_of_the_decimal(value: Decimal) -> None:
    want = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    shown = money(value, "it")
    assert Decimal(shown.replace("€ ", "").replace(".", "").replace(",", ".")) == want
    assert Decimal(number(value, 2, "en").replace(",", "")) == want


@given(st.decimals(min_value=-10, max_value=10, places=5, allow_nan=False, allow_infinity=False))
def test_a_formatted_percentage_is_the_half_up_rounding_of_the_fraction(value: Decimal) -> None:
    for places in (0, 1):
        want = (value * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        shown = percent(value, places, "it").rstrip("%").replace(".", "").replace(",", ".")
        assert Decimal(shown) == want
