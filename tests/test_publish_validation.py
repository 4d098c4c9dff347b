"""The OIV's validation kit: the evidence by validation criterion (coherence with the plan, deviations,
variations, reliability of the data, figures recomputed from the events) and a draft documento di
validazione whose judgement is left to the OIV; on the 2012 example and on a small ledger of the edge
cases (a value from a spreadsheet, a correction, a late measurement, a change without an act, an
objective without a measurement)."""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from cli.publish import criteria, prose, recomputation, reliability, validation, words
from cli.publish.anchor import Signer, anchor_of
from cli.publish.criteria import BLANKS, Kit, kit
from cli.publish.model import Document, document
from cli.publish.prose import plain
from events.fields import format_timestamp
from ledger import proofs
from projections.facts import Cut
from tests.conftest import cosign_example, ledger_events, write_jsonl
from tests.test_publish_html import Element, parsed
from tests.test_spreadsheets_import import files

HOSTILE = "<script>alert(1)</script> \"><img src=x onerror=alert(2)>"
HEBREW = "עברית"
"""Right-to-left text, which the ledger accepts in every name, title, reason and file name."""


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def kit_of(ledger: str, cut: Cut | None = None) -> tuple[Document, Kit]:
    events = ledger_events(ledger)
    cut = cut or Cut()
    doc = document(events, cut, None, anchor_of(events, None, []), "validation")
    return doc, kit(doc, events)


def ev(kind: str, id: str, day: str = "2012-01-27", **fields: Any) -> dict[str, Any]:
    return {"type": kind, "id": id, "effective_date": day, "actor": "cdg", **fields}


def edge_cases() -> list[dict[str, Any]]:
    """After the spreadsheets' year: an indicator never measured (its objective has no other), the plan's
    limit on the reporting delay (20 days, weight 0), a measurement collected 91 days after its period,
    a change with an act and one without (its reason hostile), and a correction of an imported value."""
    return [
        ev("IndicatorDefined", "indicator-04-a", indicator="04-a", objective="04", title="Accordi firmati",
           weight="100", direction="higher", target="10", unit="n."),
        ev("IndicatorDefined", "indicator-08-t", indicator="08-t", objective="08",
           title="Giorni dalla fine del periodo alla rilevazione", weight="0", direction="lower", target="20",
           unit="giorni", source="derived:reporting_delay"),
        ev("IndicatorMeasured", "m-AMM/04.1-a-2012-08-31", "2012-08-31", indicator="AMM/04.1-a",
           period_end="2012-08-31", value="20", collected_on="2012-11-30"),
        ev("ObjectiveChanged", "change-04", "2012-05-22", objective="04", cause="normative",
           reason="legge regionale", what="nuovo indicatore", indicator="04-a", target="10",
           act={"kind": "Delibera di Giunta", "number": "40", "date": "2012-05-22"}),
        ev("ObjectiveChanged", "change-08", "2012-05-22", objective="08", cause="internal", reason=HOSTILE,
           what="target raised", indicator="08-a", target="0.70"),
        ev("EventCorrected", "fix-AMM/04.1-a", "2012-12-31", corrects="m-AMM/04.1-a-2012-12-31",
           reason="partecipanti ricontati", changes={"value": "36"}),
    ]


@pytest.fixture(scope="module")
def edges(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small year kept in spreadsheets (plan, movements, measurements), then the edge cases as JSON
    Lines."""
    here = tmp_path_factory.mktemp("edges")
    ledger = str(here / "edges.db")
    assert run("--ledger", ledger, "init", "--entity", "CCIAA Test").exit_code == 0
    for path in files(here):
        imported = run("--ledger", ledger, "import", str(path), "--actor", "cdg")
        assert imported.exit_code == 0, imported.output
    imported = run("--ledger", ledger, "import", str(write_jsonl(here / "edges.jsonl", edge_cases())))
    assert imported.exit_code == 0, imported.output
    return ledger


@pytest.fixture(scope="module")
def example_kit(example: str) -> tuple[Document, Kit]:
    return kit_of(example)


@pytest.fixture(scope="module")
def edge_kit(edges: str) -> tuple[Document, Kit]:
    return kit_of(edges)


def measurement(found: Kit, event: str) -> reliability.MeasurementEntry:
    return next(m for m in found.reliability.measurements if m.event == event)


# -- 1. Coerenza con il Piano -------------------------------------------------------------------
def test_the_kit_counts_every_objective_and_indicator_of_the_plan_with_its_value_or_its_reason(
        example_kit: tuple[Document, Kit]) -> None:
    doc, found = example_kit
    assert plain(found.coherence.levels[0].sentence()) == (
        "18 obiettivi strategici, 66 indicatori: 62 con valore, 4 senza (2 ND, 2 non misurati)")
    assert plain(found.coherence.sentence()).endswith(
        "13 obiettivi individuali, 18 indicatori: tutti con valore")
    listed = {i.code for o in found.coherence.objectives for i in o.indicators}
    assert listed == {i.code for o in doc.scores.objectives for i in o.indicators}
    statuses = {i.code: (i.status, plain(i.reason)) for o in found.coherence.objectives for i in o.indicators}
    assert statuses["08.1"] == ("nd", "ND (non disponibile)")
    unmeasured = "nessuna misurazione per un periodo concluso entro il 31/12/2012"
    assert statuses["17.4"] == ("unmeasured", unmeasured)
    assert statuses["01.1"] == ("valued", "")


def test_a_struck_indicator_is_listed_as_withdrawn_with_its_cause_and_reason(
        example_kit: tuple[Document, Kit]) -> None:
    _, found = example_kit
    struck = next(i for o in found.coherence.objectives for i in o.indicators if i.code == "AAGG/10.6-1")
    assert struck.status == "withdrawn" and struck.value == ""
    assert plain(struck.reason).startswith(
        "ritirato (causa esterna): in 2012 the Consulta dei professionisti")
    assert "1 senza (1 ritirato)" in plain(found.coherence.levels[1].sentence())


def test_an_objective_without_measurement_shows_its_indicator_and_why_it_has_no_value(
        edge_kit: tuple[Document, Kit]) -> None:
    _, found = edge_kit
    objective = next(o for o in found.coherence.objectives if o.code == "04")
    assert [(i.code, i.status, plain(i.reason)) for i in objective.indicators] == [
        ("04-a", "unmeasured", "nessuna misurazione per un periodo concluso entro il 31/12/2012")]
    assert objective.figure is not None and objective.figure.shown == "ND"
    limit = next(i for o in found.coherence.objectives for i in o.indicators if i.code == "08-t")
    assert (limit.status, plain(limit.reason)) == ("valued", "escluso dalla media: peso 0")
    assert plain(limit.how) == "calcolato dal registro: giorni dalla fine del periodo alla rilevazione"
    assert plain(found.coherence.levels[0].sentence()) == (
        "2 obiettivi strategici, 3 indicatori: 2 con valore, 1 senza (1 non misurato)")


# -- 2. Scostamenti -----------------------------------------------------------------------------
def test_deviations_carry_their_reasons_and_the_budget_lines_their_unused_availability(
        example_kit: tuple[Document, Kit]) -> None:
    doc, found = example_kit
    deviations = {d.indicator: d for d in found.deviations.indicators}
    assert len(deviations) == len(doc.deviations)
    assert deviations["07.2"].reasons == (
        "revisione (causa interna): seminars reorganised into fewer, larger sessions",)
    assert (deviations["07.2"].target, deviations["07.2"].value, deviations["07.2"].figure.shown) == (
        "30,00", "23,17", "77%")
    assert deviations["01.1"].unexplained
    assert found.deviations.available.shown == "€ 136.406,72"
    on_lines = [u for u in found.deviations.lines if u.available is not None]
    assert [u.key for u in on_lines] == ["A1", "A3", "A4", "A5", "A6", "A7"]
    assert sum(u.available.value or 0 for u in on_lines if u.available) == found.deviations.available.value
    a5 = next(u for u in on_lines if u.key == "A5")
    assert a5.ratio is not None and a5.ratio.shown == "32%"
    assert plain(found.deviations.sentence()) == (
        "25 indicatori sotto il valore atteso o senza valore, 20 senza motivazione registrata; disponibilità"
        " di budget non utilizzata € 136.406,72 (7% del Totale), su 6 linee")


# -- 3. Variazioni ------------------------------------------------------------------------------
def test_every_change_names_its_cause_its_act_and_whether_it_counts(
        example_kit: tuple[Document, Kit]) -> None:
    _, found = example_kit
    changes = {c.event: c for c in found.changes.entries}
    internal = changes["change-07.2"]
    assert (internal.cause, internal.counts, internal.act_text) == (
        "internal", True, "Delibera di Giunta n. n.d. del 22/05/2012")
    assert not changes["change-02.1"].counts and not changes["change-16.4"].counts
    struck = changes["struck-AAGG/10.6-1"]
    assert (struck.kind, struck.act_text, struck.counts) == ("indicatore ritirato", "senza atto", False)
    assert found.changes.figure.shown == "5,6%"
    assert plain(found.changes.sentence()) == (
        "3 variazioni agli obiettivi (1 normativa, 1 interna, 1 esterna), 1 conteggiata nell'indicatore delle"
        " variazioni (1 su 18 obiettivi = 5,6%); 1 stralcio di obiettivi o indicatori; 1 senza atto")


def test_a_change_without_an_act_is_flagged_senza_atto(edge_kit: tuple[Document, Kit]) -> None:
    _, found = edge_kit
    assert [c.event for c in found.changes.without_act] == ["change-08"]
    with_act = next(c for c in found.changes.entries if c.event == "change-04")
    assert with_act.act_text == "Delibera di Giunta n. 40 del 22/05/2012"
    assert plain(found.changes.sentence()).endswith("; 1 senza atto")


# -- 4. Attendibilità dei dati ------------------------------------------------------------------
def test_each_value_names_who_recorded_it_when_and_the_spreadsheet_row_it_came_from(
        edge_kit: tuple[Document, Kit]) -> None:
    _, found = edge_kit
    imported = measurement(found, "m-AMM/04.1-a-2012-04-30")
    assert imported.actor == "cdg" and imported.recorded_at.year >= 2024
    assert imported.source is not None
    assert (imported.source.file, imported.source.sheet, imported.source.row) == (
        "misurazioni-2012.xlsx", "Misurazioni", 2)
    assert (imported.period_end, imported.effective_date) == (date(2012, 4, 30), date(2012, 4, 30))
    by_hand = measurement(found, "m-AMM/04.1-a-2012-08-31")
    assert by_hand.source is None
    assert found.reliability.files == ("misurazioni-2012.xlsx",)
    assert plain(found.reliability.sentence()).startswith(
        "5 misurazioni, registrate da cdg; 4 da fogli di calcolo (misurazioni-2012.xlsx), 1 registrate a mano"
        " o da JSON Lines; 1 corretta")


def test_a_corrected_value_names_who_corrected_it_when_and_why(example_kit: tuple[Document, Kit]) -> None:
    _, found = example_kit
    absences = measurement(found, "m-12.4-2012-12-31")
    assert absences.corrected and absences.value == "67,00" and absences.figure is not None
    (correction,) = absences.corrections
    assert (correction.event, correction.actor, plain(correction.changes), correction.known) == (
        "fix-m-12.4", "controllo-di-gestione", "valore 67", True)
    assert correction.recorded_at.date() == date(2013, 2, 20)
    assert correction.reason.startswith("absence days re-counted from the payroll system")
    assert found.reliability.corrected == 2  # and 07.1's August value, which feeds no published value now
    assert measurement(found, "m-07.1-2012-08-31").figure is None


def test_a_correction_recorded_after_the_cut_is_shown_as_not_in_the_relazione(edges: str) -> None:
    events = ledger_events(edges)
    fix = next(e for e in events if e.event_id == "fix-AMM/04.1-a")
    _, found = kit_of(edges, Cut(known_at=fix.seq - 1))
    entry = measurement(found, "m-AMM/04.1-a-2012-12-31")
    assert not entry.corrected and entry.value == "35,00"
    assert [(c.event, c.known) for c in entry.corrections] == [("fix-AMM/04.1-a", False)]
    assert "(1 correzione registrate dopo il taglio)" in plain(found.reliability.sentence())
    _, now = kit_of(edges)
    assert measurement(now, "m-AMM/04.1-a-2012-12-31").corrected


def test_lateness_is_the_days_from_the_periods_end_to_the_collection_against_the_plans_limit(
        edge_kit: tuple[Document, Kit], example_kit: tuple[Document, Kit]) -> None:
    _, found = edge_kit
    assert (found.reliability.limit, found.reliability.limit_indicator) == (20, "08-t")
    late = measurement(found, "m-AMM/04.1-a-2012-08-31")
    assert (late.collected, late.collected_given, late.days, late.late) == (
        date(2012, 11, 30), True, 91, True)
    on_time = measurement(found, "m-AMM/04.1-a-2012-04-30")
    assert (on_time.days, on_time.late) == (15, False)
    undated = measurement(found, "m-08-a-2012-12-31")  # no collection date: the day it was recorded
    assert not undated.collected_given and undated.collected == undated.recorded_at.date() and undated.late
    _, seed = example_kit
    assert seed.reliability.late == 0 and {m.days for m in seed.reliability.measurements} == {15}
    assert plain(seed.reliability.sentence()).endswith(
        "0 rilevate oltre il termine di 20 giorni dalla fine del periodo (indicatore 15.2)")


# -- 5. Ricalcolo delle cifre -------------------------------------------------------------------
def test_every_published_figure_recomputed_from_the_events_is_equal_on_a_genuine_ledger(
        example_kit: tuple[Document, Kit]) -> None:
    doc, found = example_kit
    recomputed = found.recomputation
    assert recomputed.equal and recomputed.compared == recomputation.leaves(doc.figures_json) > 3000
    assert (recomputed.outcome(), prose.whole(recomputed.compared)) == ("tutti uguali", "3.812")


def test_a_published_figure_that_the_replay_does_not_give_is_listed(
        example: str, example_kit: tuple[Document, Kit]) -> None:
    doc, _ = example_kit
    figures = dict(doc.figures_json)
    figures["achievement"] = {**figures["achievement"], "bands": {"achieved": 18, "partly": 0,
                                                                   "not_achieved": 0}}
    tampered = dataclasses.replace(doc, figures_json=figures)
    found = recomputation.recomputation(tampered, ledger_events(example))
    assert not found.equal
    assert found.differences == (("achievement.bands.achieved", 18, 15),
                                 ("achievement.bands.not_achieved", 0, 1),
                                 ("achievement.bands.partly", 0, 2))
    assert plain(found.sentence()).endswith(": 3 differenze")


def test_the_figures_are_recomputed_from_the_events_stored_bytes_not_from_the_events_folded(
        example: str) -> None:
    """A document folded from an event whose value in memory is not its stored bytes' (0,10 instead of
    0,91): each event decoded afresh from its bytes gives the ledger's figures, and they differ."""
    events = ledger_events(example)
    n = next(n for n, e in enumerate(events) if e.event_id == "m-01.1-2012-12-31")
    altered = copy.copy(events[n])
    altered.__dict__["value"] = "0.10"  # in memory only: its canonical bytes still say 0.91
    events[n] = altered
    doc = document(events, Cut(), None, anchor_of(events, None, []), "validation")
    assert doc.figure("achievement", "indicator", "01.1").shown == "10%"
    found = recomputation.recomputation(doc, events)
    assert not found.equal
    published = {path: (was, now) for path, was, now in found.differences}
    assert published["achievement.objectives[0].indicators[0].value"] == ("0.10", "0.91")


def test_the_recomputation_says_it_is_the_bodys_own_and_names_the_oivs_independent_check(
        example_kit: tuple[Document, Kit]) -> None:
    _, found = example_kit
    recomputed = found.recomputation
    assert plain(recomputed.sentence()) == (
        "3.812 valori pubblicati ricalcolati dai byte memorizzati degli eventi, decodificati da capo: tutti"
        " uguali")
    assert recomputed.replay.line == (
        "perfledger verify --bundle bundle-2012 --vkey REGISTRO.vkey --vkey OIV.vkey --checkpoint"
        " checkpoint-516.txt --expect relazione-2012.pdf")
    assert recomputed.replay in recomputed.commands
    finding = "".join(s.text for s in found.draft.findings[4].text)
    assert finding.startswith(
        "le cifre pubblicate sono quelle che gli eventi del registro danno al taglio, ricalcolate dall'ente"
        " dai byte memorizzati degli eventi (3.812 valori pubblicati: tutti uguali); la verifica"
        " indipendente è quella dell'OIV sulla propria macchina, con `perfledger verify --bundle"
        " bundle-2012 --vkey REGISTRO.vkey --vkey OIV.vkey --checkpoint checkpoint-516.txt --expect"
        f" relazione-2012.pdf`: {criteria.CHECKED}; ")
    assert [s.text for s in found.draft.findings[4].text if s.blank] == [criteria.CHECKED]
    assert "ricalcolate dagli eventi" not in found.draft.text()


@pytest.fixture(scope="module")
def cosigned(example: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2012 example, its checkpoint signed by the ledger's key (cdg) and cosigned by the OIV's."""
    return cosign_example(example, tmp_path_factory.mktemp("cosigned"))


@pytest.fixture(scope="module")
def cosigned_doc(example: str, cosigned: Path) -> Document:
    """The 2012 example's kit resting on its cosigned checkpoint."""
    events = ledger_events(example)
    trusted = [proofs.read_verifier(cosigned / name) for name in ("cdg.vkey", "oiv.vkey")]
    anchor = anchor_of(events, cosigned / "checkpoint.txt", trusted)
    return document(events, Cut(), None, anchor, "validation")


def test_the_anchor_and_the_oivs_own_commands_name_the_checkpoint_and_its_cosigners(
        cosigned_doc: Document) -> None:
    found = kit(cosigned_doc, cosigned_doc.events).recomputation
    assert re.fullmatch(r"sul checkpoint 516 di perfledger\.invalid/\S+ firmato da cdg, cosottoscritto da"
                        r" oiv\.cciaa-ms\.example \(il \d\d/\d\d/\d{4} \d\d:\d\d:\d\d UTC\)",
                        plain(found.anchor_sentence()))
    assert [(file, s.name) for file, s in found.keys] == [("REGISTRO.vkey", "cdg"),
                                                         ("OIV.vkey", "oiv.cciaa-ms.example")]
    lines = [c.line for c in found.commands]
    keys = "--vkey REGISTRO.vkey --vkey OIV.vkey"
    assert lines == [
        "perfledger export --bundle bundle-2012 --checkpoint checkpoint-516.txt --vkey REGISTRO.vkey",
        f"perfledger-verify bundle-2012 {keys} --checkpoint checkpoint-516.txt --last oiv-state.json",
        f"perfledger verify --bundle bundle-2012 {keys} --checkpoint checkpoint-516.txt --expect"
        + " relazione-2012.pdf",
        f"perfledger explain achievement entity --as-of 2012-12-31 --prove checkpoint-516.txt {keys}",
    ]


def test_a_kit_on_the_ledgers_head_says_nobody_cosigned_it_and_how_to_get_a_checkpoint(
        example_kit: tuple[Document, Kit]) -> None:
    _, found = example_kit
    recomputed = found.recomputation
    assert plain(recomputed.anchor_sentence()).startswith("sulla testa del registro (evento 516, origine ")
    assert plain(recomputed.anchor_sentence()).endswith("non cosottoscritta: nessun checkpoint firmato")
    assert "le prove di inclusione degli eventi poggiano sulla testa del registro (evento 516" in \
        found.draft.text()
    assert [c.line.split(" --")[0] for c in recomputed.commands[:2]] == [
        "perfledger checkpoint", "perfledger checkpoint cosign checkpoint-516.txt"]


def test_the_commands_replay_a_four_monthly_report_at_its_own_cut(example: str) -> None:
    _, found = kit_of(example, Cut(date(2012, 8, 31), 400))
    lines = [c.line for c in found.recomputation.commands]
    assert "--expect monitoraggio-2012-08-31.pdf" in lines[-2]
    assert lines[-1].startswith("perfledger explain achievement entity --as-of 2012-08-31 --known-at 400 ")
    assert found.recomputation.equal


# -- 6. Bozza di documento di validazione -------------------------------------------------------
def test_the_draft_fills_in_the_facts_and_leaves_the_judgement_to_the_oiv(
        example_kit: tuple[Document, Kit]) -> None:
    _, found = example_kit
    draft = found.draft
    text = draft.text()
    assert draft.title == "Documento di validazione della Relazione sulla Performance 2012 (bozza)"
    assert "L'Organismo Indipendente di Valutazione (OIV) di CCIAA Massa Carrara" in text
    assert "registro di 516 eventi" in text
    assert [f.criterion for f in draft.findings] == list(criteria.CRITERIA[:5])
    assert "18 obiettivi strategici, 66 indicatori" in text and "1 senza atto" in text
    assert "dai byte memorizzati degli eventi (3.812 valori pubblicati: tutti uguali)" in text
    blanks = [s.text for p in (*draft.opening, *draft.closing) for s in p if s.blank]
    assert blanks == [criteria.APPROVAL, criteria.RECEIVED, criteria.JUDGEMENT, criteria.VERDICT,
                      criteria.PLACE, criteria.DATE, criteria.SIGNATURES]
    assert "è [validata / non validata]." in text
    without_blanks = text
    for blank in BLANKS:
        without_blanks = without_blanks.replace(blank, "")
    assert not re.search(r"\b(valida|validata|non validata|attendibil\w*|conform\w*)\b",
                         without_blanks.split("Valutazioni dell'OIV")[1])


def test_the_draft_names_the_act_that_approved_the_relazione_once_the_year_is_closed(tmp_path: Path,
                                                                                    edges: str) -> None:
    closed = str(tmp_path / "closed.db")
    events = [e.content() for e in ledger_events(edges)]
    assert run("--ledger", closed, "init", "--entity", "CCIAA Test").exit_code == 0
    later = [e for e in events if e["type"] not in ("LedgerOpened",)]
    later.append(ev("YearClosed", "close-2012", "2013-06-28", year=2012,
                    act={"kind": "Delibera di Giunta", "number": "75", "date": "2013-06-28"}))
    assert run("--ledger", closed, "import", str(write_jsonl(tmp_path / "all.jsonl", later))).exit_code == 0
    _, found = kit_of(closed)
    assert "approvata con Delibera di Giunta n. 75 del 28/06/2013 e trasmessa" in found.draft.text()
    assert criteria.APPROVAL not in found.draft.text() and criteria.VERDICT in found.draft.text()


# -- the page -----------------------------------------------------------------------------------
def _needs_render() -> None:
    from cli.publish import html

    if not hasattr(html, "render"):
        pytest.skip("cli.publish.html.render (the html helper's base) is not on this branch yet")


@pytest.fixture(scope="module")
def example_page(example: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    _needs_render()
    out = tmp_path_factory.mktemp("page") / "validazione-2012.html"
    result = run("--ledger", example, "publish", "--kind", "validation", "--format", "html",
                 "--out", str(out))
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def test_the_page_shows_each_criterion_under_its_italian_heading_with_its_facts(example_page: str) -> None:
    headings = re.findall(r"<h2>(.*?)</h2>", example_page)
    assert headings == [f"{n}. {name}" for n, name in enumerate(criteria.CRITERIA, 1)]
    counts = "18 obiettivi strategici, 66 indicatori: 62 con valore, 4 senza (2 ND, 2 non misurati)"
    assert counts in example_page
    assert '<span class="flag">senza atto</span>' in example_page
    assert "<bdi>fix-m-12.4</bdi>: valore <bdi>67</bdi>" in example_page
    assert 'id="recomputation" data-equal="true"' in example_page and "tutti uguali" in example_page
    assert "perfledger-verify bundle-2012" in example_page


def test_the_page_is_headed_as_the_oivs_kit_for_the_relazione(example_page: str) -> None:
    tree = parsed(example_page)
    assert [h.text() for h in tree.all("h1")] == ["Kit di validazione dell'OIV"]
    front = tree.by_id("top")
    assert front.one("p", "subtitle").text() == "Relazione sulla Performance 2012"
    assert [a.text() for a in front.one("nav").all("a")] == list(criteria.CRITERIA)


def test_the_pages_title_names_the_kit(example_page: str) -> None:
    title = "Kit di validazione dell'OIV: Relazione sulla Performance 2012 · CCIAA Massa Carrara"
    assert f"<title>{title}</title>" in example_page


def test_every_figure_on_the_page_links_to_a_derivation_on_the_page(example_page: str) -> None:
    links = set(re.findall(r'<a class="fig" href="#(f-[0-9a-f]{10})" data-key="\1">', example_page))
    sections = set(re.findall(r'<section class="derivation" id="(f-[0-9a-f]{10})"', example_page))
    assert len(links) > 200 and links <= sections


def test_the_pages_draft_marks_every_blank_for_the_oiv(example_page: str) -> None:
    draft = example_page.split('id="criterio-6"')[1]
    blanks = re.findall(r'<span class="blank">(.*?)</span>', draft)
    assert [b.replace("&#39;", "'") for b in blanks[1:]] == [
        criteria.APPROVAL, criteria.RECEIVED, criteria.CHECKED, criteria.JUDGEMENT, criteria.VERDICT,
        criteria.PLACE, criteria.DATE, criteria.SIGNATURES]


def test_the_kit_writes_weights_and_instants_as_the_relazione_does(
        example_page: str, cosigned_doc: Document, example_kit: tuple[Document, Kit]) -> None:
    """One formatter each (cli.publish.words): a weight ``33,33%``, an instant ``27/01/2012 09:02:00 UTC``,
    and no ISO instant anywhere in the page's prose (only in its data and its commands)."""
    assert not hasattr(criteria, "weight") and not hasattr(criteria, "instant")
    rows = dict(re.findall(r'<tr class="indicator" data-indicator="([^"]+)".*?<td class="num">([^<]*)</td>',
                           example_page, re.DOTALL))
    _, found = example_kit
    weights = {i.code: i.weight for o in found.coherence.objectives for i in o.indicators}
    assert {rows[code] for code in rows} >= {"33,33%", "100%", "0%"}
    assert all(rows[code] == words.weight(weights[code]) for code in rows)
    m = found.reliability.measurements[0]
    assert f"il {words.moment(format_timestamp(m.recorded_at))}</td>" in example_page
    page = validation.page(cosigned_doc)
    assert re.search(r"<td>\d\d/\d\d/\d{4} \d\d:\d\d:\d\d UTC</td></tr>", page)  # the OIV's cosignature
    prose = re.sub(r"<script.*?</script>|<code.*?</code>|<pre.*?</pre>|<[^>]*>", " ", page, flags=re.DOTALL)
    assert not re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d", prose)


def test_reasons_on_the_page_are_text_never_markup(edges: str, tmp_path: Path) -> None:
    _needs_render()
    out = tmp_path / "kit.html"
    result = run("--ledger", edges, "publish", "--kind", "validation", "--format", "html", "--out", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<bdi>misurazioni-2012.xlsx</bdi>, foglio <bdi>Misurazioni</bdi>, riga 2" in page
    assert '<span class="flag">in ritardo</span>' in page


def rtl(text: str) -> str:
    return f"{HEBREW} {text}"


@pytest.fixture(scope="module")
def rtl_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The kit of a ledger whose entity, actors, event ids, titles, reasons, what, act, note, spreadsheet
    file, policy line, product and signers are right-to-left text."""
    _needs_render()
    here = tmp_path_factory.mktemp("rtl")
    ledger = str(here / "rtl.db")
    assert run("--ledger", ledger, "init", "--entity", rtl("ente")).exit_code == 0
    for path in files(here):
        if path.name.startswith("misurazioni"):
            path = path.rename(here / f"{HEBREW}-misure.xlsx")
        assert run("--ledger", ledger, "import", str(path), "--actor", rtl("cdg")).exit_code == 0
    objs = edge_cases()
    for o in objs:
        o.update({k: rtl(k) for k in ("title", "reason", "what") if k in o})
        o.update(actor=rtl("actor"), id=f"{HEBREW}-{o['id']}")
    objs[3]["act"] = {"kind": rtl("delibera"), "number": rtl("40"), "date": "2012-05-22"}
    objs += [
        ev("PolicyLineDefined", "line-A9", year=2012, line="A9", title=rtl("line")),
        ev("ObjectiveDefined", "obj-09", year=2012, objective="09", level="strategic", title=rtl("objective"),
           perspective="Imprese", line="A9"),
        ev("BudgetItemOpened", "item-A9", item="A9/09/01", line="A9", objective="09", product=rtl("product"),
           amount="500.00"),
        ev("IndicatorDefined", "ind-09.1", indicator="09.1", objective="09", title=rtl("indicator"),
           weight="100", direction="higher", target="10", unit="n."),
        ev("IndicatorMeasured", "m-09.1", "2012-12-31", indicator="09.1", period_end="2012-12-31", value="ND",
           note=rtl("note")),
        ev("IndicatorStruck", "struck-04-a", "2012-06-01", indicator="04-a", cause="external",
           reason=rtl("strike")),
    ]
    assert run("--ledger", ledger, "import", str(write_jsonl(here / "rtl.jsonl", objs))).exit_code == 0
    events = ledger_events(ledger)
    head = anchor_of(events, None, [])
    signers = (Signer(rtl("registro"), "log", "", "0011aabb"),
               Signer(rtl("oiv"), "cosigner", "", "2233ccdd", "2013-06-20T10:00:00Z"))
    anchor = dataclasses.replace(head, kind="checkpoint", signers=signers)
    return validation.page(document(events, Cut(), None, anchor, "validation"))


def test_every_text_from_the_ledger_in_the_kit_sits_in_its_own_bdi(rtl_page: str) -> None:
    """A right-to-left text beside the kit's own words or numbers would reorder them: each is isolated."""
    page = parsed(rtl_page)

    def bare(element: Element, inside: bool) -> Iterator[str]:
        for child in element.children:
            if isinstance(child, str):
                yield from [child] if HEBREW in child and not inside else []
            else:
                yield from bare(child, inside or child.tag == "bdi")

    for part in (page.by_id("top"), page.by_id("kit")):  # the front page's heading and the kit
        assert list(bare(part, False)) == []
    isolated = {b.text() for b in page.by_id("kit").all("bdi")}
    for text in ("ente", "actor", "reason", "what", "title", "line", "product", "objective", "indicator",
                 "strike", "note", "registro", "oiv", "cdg"):
        assert rtl(text) in isolated, text
    for text in (f"{HEBREW}-misure.xlsx", f"{HEBREW}-change-08", f"{HEBREW}-fix-AMM/04.1-a",
                 f"{rtl('delibera')} n. {rtl('40')} del 22/05/2012"):
        assert text in isolated, text
