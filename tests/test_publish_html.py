"""The Relazione's HTML page: the 2012 example's figures as the figure commands give them, every figure
a link to a derivation whose events the page's script can check, nothing from outside, and the ledger's
text (titles, notes, reasons, acts) shown as text, never as markup.

Structure is read with the standard library's ``html.parser`` into a small tree of elements.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from markupsafe import Markup

from cli.main import main
from cli.publish import charts, html, words
from cli.publish.anchor import anchor_of
from cli.publish.model import Document, document
from ledger import Store, proofs
from projections.explain import Derivation
from projections.facts import Cut
from tests.conftest import ev, small_plan, submissions, write_jsonl

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def all(self, tag: str | None = None, cls: str | None = None) -> list[Element]:
        return [e for e in self.iter() if (tag is None or e.tag == tag) and (cls is None or cls in e.classes)]

    def one(self, tag: str | None = None, cls: str | None = None) -> Element:
        found = self.all(tag, cls)
        assert found, f"no {tag}.{cls}"
        return found[0]

    def by_id(self, id: str) -> Element:
        return next(e for e in self.iter() if e.attrs.get("id") == id)


class Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if any(e.tag == tag for e in self.stack[1:]):
            while self.stack.pop().tag != tag:
                pass

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parsed(page: str) -> Element:
    builder = Builder()
    builder.feed(page)
    builder.close()
    return builder.root


def doc_of(path: str, cut: Cut | None = None) -> Document:
    store = Store.open(path)
    try:
        events = list(store.events(upto=store.length()))
    finally:
        store.close()
    return document(events, cut or Cut(), None, anchor_of(events, None, []))


def cli_json(ledger: str, *args: str) -> Any:
    result = CliRunner().invoke(main, ["--ledger", ledger, *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def doc(example: str) -> Document:
    return doc_of(example)


@pytest.fixture(scope="module")
def page(doc: Document) -> str:
    return html.page(doc)


@pytest.fixture(scope="module")
def tree(page: str) -> Element:
    return parsed(page)


# -- the figures, as the figure commands give them ----------------------------------------------------
def test_the_page_shows_the_entity_level_that_achievement_json_gives(example: str, tree: Element) -> None:
    entity = cli_json(example, "achievement")["entity"]
    headline = tree.one("p", "headline")
    assert headline.one("a", "fig").text() == f"{entity['percent']}%" == "94%"
    assert "achieved" in headline.one("span", "light").classes


def test_every_strategic_objective_shows_the_percent_and_band_of_achievement_json(
        example: str, doc: Document, tree: Element) -> None:
    objectives = [o for o in cli_json(example, "achievement")["objectives"] if o["level"] == "strategic"]
    reported = [o for o in doc.figures_json["achievement"]["objectives"] if o["level"] == "strategic"]
    assert [(o["id"], o["percent"], o["band"]) for o in objectives] == [
        (o["id"], o["percent"], o["band"]) for o in reported]
    articles = {a.one("h3").text().split(".")[0]: a for a in tree.by_id("strategici").all("article")}
    assert sorted(articles) == sorted(o["id"] for o in objectives)
    for o in objectives:
        meta = articles[o["id"]].one("p", "meta")
        assert meta.one("a", "fig").text() == ("ND" if o["percent"] is None else f"{o['percent']}%"), o["id"]
        lights = meta.all("span", "light")
        assert [next(iter(s.classes - {"light"})) for s in lights] == ([o["band"]] if o["band"] else [])


def test_a_traffic_light_is_a_coloured_dot_and_the_bands_word(tree: Element) -> None:
    words = {"achieved": ("verde", "raggiunto"), "partly": ("giallo", "parzialmente raggiunto"),
             "not_achieved": ("rosso", "non raggiunto")}
    seen = set()
    for light in tree.all("span", "light"):
        band = next(iter(light.classes - {"light"}))
        colour, word = words[band]
        assert light.one("span", "dot") and light.attrs["title"] == colour
        assert light.text().strip() == f"{colour} {word}"  # the colour for screen readers, the word for all
        seen.add(band)
    assert seen == set(words)


def test_the_bands_count_the_strategic_objectives_as_the_report_does(doc: Document, tree: Element) -> None:
    rows = tree.one("table", "bands").one("tbody").all("tr")
    counts = [int(r.all("td")[1].text()) for r in rows]
    assert counts == [*doc.figures_json["achievement"]["bands"].values(), 18] == [15, 2, 1, 18]


def test_the_bands_counts_link_to_the_entity_levels_derivation_which_lists_each_objectives_band(
        doc: Document, tree: Element) -> None:
    entity = doc.figure("achievement", "entity")
    rows = tree.one("table", "bands").one("tbody").all("tr")
    for row in rows[:-1]:
        assert [a.attrs["href"] for a in row.all("a")] == [f"#{entity.key}"] * 2  # the count and its share
        assert not row.all("a", "fig")  # a count is no figure of its own: explain derives none
    assert [a.attrs["href"] for a in rows[-1].all("a")] == [f"#{entity.key}"]
    section = tree.by_id(entity.key)
    lights = [next(iter(li.one("span", "light").classes - {"light"})) for li in section.all("li", "linked")]
    assert lights == [doc.figures[str(doc.key_of(p))].band for p in entity.derivation.parts]
    variations = doc.figure("variations").key
    counts = tree.by_id("variazioni").one("dl", "figures").all("dd")
    assert [a.attrs["href"] for a in counts[0].all("a")] == [f"#{variations}"]


def test_the_disponibile_totale_summary_shows_each_line_and_the_total_linked(
        doc: Document, tree: Element) -> None:
    table = tree.by_id("risorse").one("table", "line-ratios")
    rows = table.one("tbody").all("tr")
    columns = ("total", "reserved", "available", "ratio")
    assert [[a.attrs["data-key"] for a in r.all("a", "fig")] for r in rows] == [
        *([doc.figure("budget", "line", g.key, c).key for c in columns] for g in doc.table.lines),
        [doc.figure("budget", "total", c).key for c in columns]]
    assert [r.one("th").text() for r in rows][:2] == ["A1 - Valorizzazione del territorio",
                                                     "A2 - Produzione di conoscenza"]
    assert rows[-1].one("th").text() == "Totale"
    assert len(tree.by_id("risorse").one("table", "ratios").one("tbody").all("tr")) == len(
        doc.table.objectives) + 1  # the seed's table by objective stays


def test_the_derivations_name_their_figures_parts_and_events_in_italian(doc: Document, tree: Element) -> None:
    english = re.compile(r"\b(of (item|objective|line|the total)|achievement|entity level|roll-up|"
                         r"measured|defines|revises|struck|corrects|period ending|used by|by reference|"
                         r"variations indicator|strategic objectives|last measurement|override|change of|"
                         r"counts|value of|year ratio|days from|as corrected)\b")
    derivations = tree.by_id("derivazioni")
    names = [p.text() for p in derivations.all("p", "figure-name")]
    names += [li.one("bdi").text() for li in derivations.all("li", "linked")]
    contributions = [td.one("bdi").text() for td in derivations.all("td", "contributes")]
    assert len(names) > 1000 and len(contributions) > 400
    assert [t for t in names + contributions if english.search(t)] == []
    entity = tree.by_id(doc.figure("achievement", "entity").key)
    assert entity.one("p", "figure-name").text() == "livello di performance dell'ente 2012"
    assert entity.one("li", "linked").one("bdi").text() == (
        "grado di raggiungimento dell'obiettivo 01 (Potenziare gli interventi a favore della tutela dei"
        " diritti soggettivi e della regolazione del mercato)")
    assert "misurato 1,00 per il periodo chiuso al 31/12/2012" in contributions
    assert "definisce l'obiettivo 03" in contributions
    item = tree.by_id(doc.figure("budget", "item", "A1/04/01", "budget").key)
    assert item.one("p", "figure-name").text() == (
        "Budget della voce A1/04/01 (Accordo di programma con il Comune di Carrara)")
    assert item.one("td", "contributes").one("bdi").text() == "+€ 10.000,00"


@pytest.mark.parametrize("english, italian", [
    ("entity level 2012", "livello di performance dell'ente 2012"),
    ("entity level 2012 without the objectives that measure it",
     "livello di performance dell'ente 2012 senza gli obiettivi che lo misurano"),
    ("achievement of objective 03 (E-Gov (bis))", "grado di raggiungimento dell'obiettivo 03 (E-Gov (bis))"),
    ("achievement of indicator 03.1 (n. pratiche)",
     "grado di raggiungimento dell'indicatore 03.1 (n. pratiche)"),
    ("roll-up of objective 02 (Giustizia)", "aggregato dei figli dell'obiettivo 02 (Giustizia)"),
    ("roll-up of objective 02 (Giustizia) in area AMM",
     "aggregato dei figli dell'obiettivo 02 (Giustizia) nell'area AMM"),
    ("Prenotato of item A1/04/01 (Accordo)", "Prenotato della voce A1/04/01 (Accordo)"),
    ("Totale of objective 04 (Valorizzazione)", "Totale dell'obiettivo 04 (Valorizzazione)"),
    ("Disponibile of line A1 (Territorio)", "Disponibile della linea A1 (Territorio)"),
    ("Disponibile / Totale of line A1 (Territorio)", "Disponibile / Totale della linea A1 (Territorio)"),
    ("Budget of the total (Totale complessivo)", "Budget del totale (Totale complessivo)"),
    ("Override of item A1/04/01 (Accordo)", "Deroga della voce A1/04/01 (Accordo)"),
    ("variations indicator 2012", "indicatore delle variazioni 2012"),
    ("strategic objectives of the plan", "obiettivi strategici del piano"),
    ("value of indicator 16.2 (Finanziamenti), used by reference",
     "valore dell'indicatore 16.2 (Finanziamenti), usato per riferimento"),
    ("value of indicator 16.9", "valore dell'indicatore 16.9"),
    ("year ratio 01.1-x / 01.1-x1", "rapporto tra anni 01.1-x / 01.1-x1"),
    ("period ending 2012-04-30", "periodo chiuso al 30/04/2012"),
    ("days from period end to collection of its data, 2012",
     "giorni dalla fine del periodo alla rilevazione dei dati, 2012"),
    ("a name explain gives one day", "a name explain gives one day"),  # unknown: as it is, nothing lost
])
def test_explains_figure_names_are_said_in_italian(english: str, italian: str) -> None:
    assert words.figure_name(english) == italian


@pytest.mark.parametrize("english, italian", [
    ("defines objective 03", "definisce l'obiettivo 03"),
    ("defines 03.1: weight 33.33%, target 0.55, lower",
     "definisce 03.1: peso 33,33%, atteso 0,55, decrescente"),
    ("defines AMM/12.1-1: weight 16.67%, target 2012-01-31, deadline",
     "definisce AMM/12.1-1: peso 16,67%, atteso 31/01/2012, scadenza"),
    ("defines 17.4: weight 0%, target ND, at_most", "definisce 17.4: peso 0%, atteso ND, al massimo"),
    ("defines AMM/15.1-3, used by DIR-AMM/1-1 by reference",
     "definisce AMM/15.1-3, usato da DIR-AMM/1-1 per riferimento"),
    ("measured 0.91 for the period ending 2012-12-31", "misurato 0,91 per il periodo chiuso al 31/12/2012"),
    ("measured -170845.57 for the period ending 2012-12-31",
     "misurato -170.845,57 per il periodo chiuso al 31/12/2012"),
    ("measured 2012-12-31 for the period ending 2012-12-31",
     "misurato 31/12/2012 per il periodo chiuso al 31/12/2012"),
    ("measured 67 for the period ending 2012-12-31 (as corrected)",
     "misurato 67 per il periodo chiuso al 31/12/2012 (come corretto)"),
    ("01.1-x (year x-1): measured 20 for the period ending 2011-12-31",
     "01.1-x (anno x-1): misurato 20 per il periodo chiuso al 31/12/2011"),
    ("revises 07.2 (internal): target raised from 25 to 30",
     "rivede 07.2 (causa interna): target raised from 25 to 30"),
    ("struck (external): not set up in time; left out of its objective's mean",
     "stralciato (causa esterna): not set up in time; escluso dalla media del suo obiettivo"),
    ("struck (internal): merged; left out of every mean",
     "stralciato (causa interna): merged; escluso da ogni media"),
    ("corrects m-07.1: three late registrations: 38, not 35",
     "corregge m-07.1: three late registrations: 38, not 35"),
    ("change of objective 07, counts: target raised", "variazione dell'obiettivo 07, conta: target raised"),
    ("change of objective 02, does not count (normative cause): target raised",
     "variazione dell'obiettivo 02, non conta (causa normativa): target raised"),
    ("objective 01", "obiettivo 01"),
    ("last measurement of the period", "ultima misurazione del periodo"),
    ("+10000.00", "+€ 10.000,00"),
    ("-9916.67", "-€ 9.916,67"),
    ("+500.00 (override: urgent works)", "+€ 500,00 (deroga: urgent works)"),
    ("grants the override", "concede la deroga"),
    ("measured soon for the period ending never", "measured soon for the period ending never"),  # as it is
    ("something new (as corrected)", "something new (as corrected)"),
])
def test_explains_contributions_are_said_in_italian(english: str, italian: str) -> None:
    assert words.contribution(english) == italian


def test_the_budget_tables_grand_total_is_the_totals_figures(doc: Document, tree: Element) -> None:
    total = tree.one("table", "budget").one("tr", "total")
    keys = [a.attrs["data-key"] for a in total.all("a", "fig")]
    columns = ("budget", "variations", "total", "reserved", "approved", "adjusted", "available")
    assert keys == [doc.figure("budget", "total", c).key for c in columns]
    assert total.all("a", "fig")[2].text() == "€ 1.975.472,69"


def test_every_amount_of_the_budget_table_links_to_its_figure(doc: Document, tree: Element) -> None:
    table = tree.one("table", "budget")
    for row in table.one("tbody").all("tr"):
        cells = [td for td in row.all("td") if "num" in td.classes]
        assert len(cells) == 7 and all(td.all("a", "fig") for td in cells), row.text()[:60]
    assert len(table.all("tr", "product")) == len(doc.table.rows)


def test_an_objectives_subtotal_within_a_line_links_only_when_it_is_the_whole_objective(
        tmp_path: Path) -> None:
    objs = [*small_plan(),
            ev("PolicyLineDefined", "line-A2", "2012-01-27", year=2012, line="A2", title="Conoscenza"),
            ev("BudgetItemOpened", "item-3", "2012-01-27", item="A1/08/01", line="A1", objective="08",
               product="Studi", amount="700.00"),
            ev("BudgetItemOpened", "item-4", "2012-01-27", item="A2/08/02", line="A2", objective="08",
               product="Rilevazioni", amount="500.00")]
    path = str(tmp_path / "split.db")
    store = Store.open(path, create=True)
    store.init("CCIAA", actor="cdg")
    store.append(submissions(objs))
    store.close()
    doc = doc_of(path)
    rows = parsed(html.page(doc)).one("table", "budget").one("tbody").all("tr")
    subtotals = [r for r in rows if "objective" in r.classes]
    assert [r.one("th").text() for r in subtotals] == ["04. Valorizzazione Somma", "08. Monitoraggio Somma",
                                                       "08. Monitoraggio Somma"]
    whole, *split = subtotals
    assert whole.all("a", "fig")[2].attrs["data-key"] == doc.figure("budget", "objective", "04", "total").key
    assert all(not r.all("a", "fig") for r in split)  # each is a part of objective 08, not its figure
    assert [r.all("td")[2].text() for r in split] == ["€ 700,00", "€ 500,00"]
    assert [r.all("a", "fig")[2].attrs["data-key"] for r in rows if "line" in r.classes] == [
        doc.figure("budget", "line", line, "total").key for line in ("A1", "A2")]


def test_the_variations_list_every_change_with_its_cause_act_and_whether_it_counts(
        doc: Document, tree: Element) -> None:
    rows = tree.by_id("variazioni").one("table", "changes").one("tbody").all("tr")
    assert len(rows) == len(doc.changes.changes) == 3
    shown = [[td.text() for td in r.all("td")] for r in rows]
    assert [(s[0], s[1], s[6]) for s in shown] == [("02", "normativa", "no"), ("07", "interna", "sì"),
                                                  ("16", "esterna", "no")]
    assert shown[1][5] == str(doc.changes.changes[1].act)
    assert tree.by_id("variazioni").one("dl").all("a", "fig")[0].text() == "5,6%"


def test_a_four_monthly_report_titles_itself_by_its_date(example: str) -> None:
    report = parsed(html.page(doc_of(example, Cut(date(2012, 8, 31)))))
    assert report.one("h1").text() == "Report di monitoraggio al 31/08/2012"
    assert report.one("title").text().startswith("Report di monitoraggio al 31/08/2012")
    assert "situazione al 31/08/2012" in report.one("dl", "cut").text()


def test_the_page_has_every_section_of_the_relazione(tree: Element) -> None:
    headings = [h.text() for h in tree.all("h2")]
    for title in ("Sintesi dei risultati", "Le risorse", "Gli obiettivi strategici",
                  "L'albero della performance", "Variazioni degli obiettivi", "Scostamenti", "Grafici",
                  "Come sono state ottenute le cifre"):
        assert any(title in h for h in headings), title
    assert tree.by_id("proof-banner").attrs["data-state"] == "pending"


# -- links, derivations, evidence ---------------------------------------------------------------------
def test_every_figure_link_points_to_a_derivation_on_the_page(tree: Element) -> None:
    sections = {s.attrs["id"] for s in tree.all("section", "derivation")}
    links = tree.all("a", "fig")
    in_charts = [id(a) for svg in tree.all("svg") for a in svg.all("a")]  # a chart's bar: href only
    assert len(links) > 600
    for a in links:
        assert a.attrs["href"].removeprefix("#") in sections
        if id(a) not in in_charts:
            assert a.attrs["href"] == "#" + a.attrs["data-key"]
    ids = {e.attrs["id"] for e in tree.iter() if "id" in e.attrs}
    assert all(a.attrs["href"][1:] in ids for a in tree.all("a"))


def test_each_derivation_lists_the_events_of_its_derivation(doc: Document, tree: Element) -> None:
    sections = tree.all("section", "derivation")
    assert len(sections) == len(doc.figures)
    for section in sections:
        figure = doc.figures[section.attrs["id"]]
        listed = [int(seq) for seq in section.attrs["data-events"].split()]
        assert listed == sorted(figure.seqs()), figure.key
        rows = {int(tr.attrs["data-seq"]) for tr in section.all("tr", "event")}
        assert rows <= set(listed) <= set(doc.evidence)  # each one's line and path are in the evidence
        assert section.one("p", "proof-status").attrs["data-state"] == "pending"


def test_an_events_row_holds_the_raw_values_the_script_checks(doc: Document, tree: Element) -> None:
    entity = doc.figure("achievement", "objective", "01")
    row = tree.by_id(entity.key).one("tr", "event")
    ref = entity.derivation.events[0]
    cells = {td.attrs["data-field"]: td for td in row.all("td") if "data-field" in td.attrs}
    assert list(cells) == ["seq", "id", "type", "effective_date", "recorded_at", "actor", "act", "hash"]
    assert {k: td.attrs["data-value"] for k, td in cells.items()} == {
        "seq": str(ref.seq), "id": ref.id, "type": ref.type, "effective_date": ref.effective_date,
        "recorded_at": ref.recorded_at, "actor": ref.actor, "act": ref.act or "", "hash": ref.hash}
    assert cells["effective_date"].text() == "01/01/2012"


def test_a_part_that_is_a_published_figure_is_a_link_not_a_copy(doc: Document, tree: Element) -> None:
    entity = doc.figure("achievement", "entity")
    section = tree.by_id(entity.key)
    linked = [a.attrs["data-key"] for a in section.all("a", "fig")]
    assert linked == [doc.key_of(part) for part in entity.derivation.parts]
    assert not section.all("tr", "event")  # each objective's events are in its own section


def test_a_page_linking_some_figures_holds_the_derivations_their_parts_link_to(doc: Document) -> None:
    entity = doc.figure("achievement", "entity")
    held = html.with_parts(doc, [entity])
    keys = [f.key for f in held]
    assert held[0] == entity and len(keys) == len(set(keys))
    assert doc.figure("achievement", "objective", "01").key in keys
    assert doc.figure("achievement", "indicator", "01.1").key in keys
    assert doc.figure("budget", "total", "total").key not in keys  # the entity level rests on no budget

    def linked(part: Derivation) -> Iterator[str]:
        for child in part.parts:
            found = html.part_figure(doc, child)
            yield from linked(child) if found is None else [found.key]

    assert {key for f in held for key in linked(f.derivation)} <= set(keys)


def test_a_trend_figures_parts_are_not_linked_to_the_year_ends_figures(doc: Document, tree: Element) -> None:
    april = next(p.figure for p in doc.trend if p.as_of == date(2012, 4, 30))
    section = tree.by_id(april.key)
    assert section.one("h3").text().startswith("Livello di performance dell'ente al 30/04/2012")
    assert not section.all("a", "fig")  # its objectives at 30/04 differ from the year-end's: inlined
    assert {int(tr.attrs["data-seq"]) for tr in section.all("tr", "event")} == april.seqs()


def test_the_evidence_parses_to_the_documents_evidence(doc: Document, page: str, tree: Element) -> None:
    script = tree.by_id("evidence")
    assert script.tag == "script" and script.attrs["type"] == "application/json"
    text = script.text()
    assert not set("<>&") & set(text)
    assert json.loads(text) == doc.evidence_json()


def test_the_evidence_json_escapes_what_could_close_its_script() -> None:
    class Hostile:
        def evidence_json(self) -> dict[str, Any]:
            return {"note": "</script><script>alert(1)</script> & more"}

    text = html.evidence_script(Hostile())  # type: ignore[arg-type]
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == Hostile().evidence_json()


# -- a page on its own ------------------------------------------------------------------------------
def test_the_page_references_nothing_outside_itself(page: str, tree: Element) -> None:
    for element in tree.iter():
        for name, value in element.attrs.items():
            if name == "xmlns":  # an SVG's namespace names, it is not fetched
                continue
            assert "://" not in value and not value.startswith("//"), (element.tag, name, value)
            if name in ("href", "xlink:href"):
                assert value.startswith("#"), value
            if name in ("src", "srcset", "action", "poster", "data"):
                assert value.startswith("data:"), value
        if element.tag in ("link", "iframe", "object", "embed", "base", "img"):
            raise AssertionError(f"an external {element.tag}")
    style = tree.one("style").text()
    assert "url(" not in style and "@import" not in style
    assert not re.search(r"https?:", re.sub(r'xmlns(:\w+)?="[^"]*"', "", page))


def test_the_content_security_policy_allows_only_the_inline_script(tree: Element) -> None:
    meta = next(m for m in tree.all("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy")
    script = next(s for s in tree.all("script") if "type" not in s.attrs).text()
    assert script == html.static_text("proof.js")
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert meta.attrs["content"] == (f"default-src 'none'; script-src 'sha256-{digest}'; style-src"
                                     " 'unsafe-inline'; img-src data:")


def test_the_pages_own_script_may_not_close_its_element(monkeypatch: pytest.MonkeyPatch,
                                                        doc: Document) -> None:
    monkeypatch.setattr(html, "static_text", lambda name: "alert('</SCRIPT>')" if name == "proof.js" else "")
    with pytest.raises(ValueError, match="may not contain </script"):
        html.page(doc)


def test_the_same_document_renders_to_the_same_bytes(example: str, doc: Document, page: str) -> None:
    assert html.page(doc) == page
    assert html.page(doc_of(example)) == page


def test_the_page_stays_small(page: str) -> None:
    assert len(page.encode()) < 2_500_000


def test_the_page_is_in_italian_and_utf_8(page: str, tree: Element) -> None:
    assert page.startswith("<!doctype html>\n<html lang=\"it\"")
    assert next(m for m in tree.all("meta") if "charset" in m.attrs).attrs["charset"] == "utf-8"


def test_every_printed_page_repeats_the_body_cut_ledger_and_anchor(doc: Document, tree: Element) -> None:
    footer = tree.one("div", "running-footer").text()
    head = doc.header.head[:12]
    assert footer == (f"CCIAA Massa Carrara · anno 2012 · situazione al 31/12/2012 · noto all'ultimo"
                      f" evento · registro di 516 eventi · ultimo evento {head} · testa del registro (evento"
                      " 516), non cosottoscritta")
    assert tree.one("footer").one("p").text() == footer
    style = html.static_text("style.css")
    assert "position: running(footer)" in style and "content: element(footer)" in style
    # printed: the achievement's derivations; the budget's and other cuts' are in the evidence and the HTML
    assert 'section.derivation[data-kind="budget"], section.derivation[data-cut] { display: none; }' in style


def test_the_front_page_and_footer_state_the_anchor_in_the_words_of_words_anchor_words(
        doc: Document, tree: Element) -> None:
    stated = words.anchor_words(doc.anchor)
    dl = tree.one("dl", "cut")
    shown = [(dt.text(), dd.text()) for dt, dd in zip(dl.all("dt"), dl.all("dd"), strict=True)]
    assert shown[3:] == [(row.label, row.text) for row in stated.rows]
    assert tree.one("div", "running-footer").text().endswith(" · " + stated.line)


def test_a_page_resting_on_the_ledgers_head_says_nobody_cosigned_it(tree: Element) -> None:
    front = tree.one("dl", "cut").text()
    assert "testa del registro stesso: evento 516" in front
    assert "nessuno fuori dall'ente l'ha firmata né cosottoscritta" in front
    assert "perfledger checkpoint cosign" in front and "perfledger publish --checkpoint" in front


def test_a_page_resting_on_a_checkpoint_names_its_signer_and_cosigner(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    origin = "cciaa-ms.example/perfledger"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PERFLEDGER_LEDGER", str(tmp_path / "l.db"))

    def run(*args: str) -> None:
        result = CliRunner().invoke(main, list(args))
        assert result.exit_code == 0, result.output

    run("key", "new", "cdg", "--key-name", origin)
    run("key", "new", "oiv", "--key-name", "oiv.example", "--witness")
    run("init", "--entity", "CCIAA", "--origin", origin, "--signed", "--controller", "cdg",
        "--pubkey", "cdg.pub", "--key", "cdg.key")
    plan = write_jsonl(tmp_path / "plan.jsonl", small_plan())
    run("import", str(plan), "--actor", "cdg", "--key", "cdg.key")
    run("checkpoint", "--key", "cdg.key", "--out", "checkpoint.txt")
    run("checkpoint", "cosign", "checkpoint.txt", "--key", "oiv.key", "--log-vkey", "cdg.vkey",
        "--state", "oiv-state.json")
    store = Store.open(str(tmp_path / "l.db"))
    events = list(store.events(upto=store.length()))
    store.close()
    trusted = [proofs.read_verifier(Path("cdg.vkey")), proofs.read_verifier(Path("oiv.vkey"))]
    anchor = anchor_of(events, Path("checkpoint.txt"), trusted)
    front = parsed(html.page(document(events, Cut(), None, anchor)))
    shown = front.one("dl", "cut").text()
    oiv = anchor.cosigners[0]
    assert f"checkpoint {anchor.size} di {origin}, radice {anchor.root_b64}" in shown
    assert f"Firmato da{origin} (chiave " in shown
    assert f"Cosottoscritto daoiv.example (chiave {oiv.key_id}, il " in shown
    assert front.one("div", "running-footer").text().endswith(f"checkpoint {anchor.size} cosottoscritto da"
                                                             " oiv.example")


# -- the charts ------------------------------------------------------------------------------------------
def test_the_charts_are_the_svg_charts_draws(doc: Document, page: str, tree: Element) -> None:
    assert [s.attrs["class"] for s in tree.by_id("grafici").all("svg")] == ["chart", "chart", "chart"]
    for draw in (charts.achievement_chart, charts.budget_chart, charts.trend_chart):
        assert str(draw(doc)) in page


def test_a_missing_static_file_is_an_error_not_an_empty_script() -> None:
    with pytest.raises(FileNotFoundError):
        html.static_text("missing.js")


# -- hostile text ---------------------------------------------------------------------------------------
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
CLOSE = "</script>"
HEBREW = "מטרה 08"
ACT = f"Delibera di Giunta n. {SCRIPT} del 27/04/2012"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Document, str]:
    """A ledger whose entity, titles, product, reason, what, act number and notes are markup."""
    objs = small_plan()
    objs[2]["title"] = SCRIPT  # objective 04
    objs[3]["title"] = HEBREW  # objective 08: right-to-left text the ledger accepts
    objs[4]["product"] = CLOSE
    objs[6]["title"] = IMG  # indicator 04.1
    objs += [
        ev("ObjectiveChanged", "chg-1", "2012-04-27", objective="04", cause="internal", reason=CLOSE + SCRIPT,
           what=IMG, act={"kind": "Delibera di Giunta", "number": SCRIPT, "date": "2012-04-27"}, note=IMG),
        ev("IndicatorMeasured", "m-1", "2012-04-30", indicator="04.1", period_end="2012-04-30", value="10",
           note=SCRIPT),
    ]
    path = str(tmp_path_factory.mktemp("hostile") / "hostile.db")
    store = Store.open(path, create=True)
    store.init(f"{SCRIPT} & Co", actor="cdg")
    store.append(submissions(objs))
    store.close()
    doc = doc_of(path)
    return doc, html.page(doc)


def test_hostile_text_in_the_ledger_is_shown_as_text_never_as_markup(hostile: tuple[Document, str]) -> None:
    _, page = hostile
    tree = parsed(page)
    # the page's own two scripts (evidence, proof) and no other element that runs or fetches
    assert [e.tag for e in tree.iter() if e.tag in ("img", "script")] == ["script", "script"]
    assert not any(name.startswith("on") for e in tree.iter() for name in e.attrs)
    text = tree.text()
    for hostile_text in (SCRIPT, IMG, CLOSE, f"{SCRIPT} & Co", ACT):
        assert hostile_text in text, hostile_text
    assert "<script>alert" not in page and "<img" not in page


def test_each_hostile_text_is_isolated_in_its_own_bdi(hostile: tuple[Document, str]) -> None:
    tree = parsed(hostile[1])
    isolated = [e.text() for e in tree.all("bdi")]
    for text in (SCRIPT, IMG, CLOSE, HEBREW, CLOSE + SCRIPT, ACT):
        assert text in isolated, text
    assert tree.one("p", "entity").one("bdi").text() == f"{SCRIPT} & Co"


def test_the_hostile_reason_of_a_change_and_the_measurements_note_are_listed_as_text(
        hostile: tuple[Document, str]) -> None:
    tree = parsed(hostile[1])
    change = tree.by_id("variazioni").one("table", "changes").one("tbody").one("tr")
    assert [td.text() for td in change.all("td")][3:6] == [CLOSE + SCRIPT, IMG, ACT]
    reasons = tree.by_id("scostamenti").one("table", "deviations").text()
    assert f"misurazione: {SCRIPT}" in reasons
    assert f"nota: {IMG}" in tree.text()  # the change's note, in its events' rows


def test_the_ledger_refuses_bidi_controls_so_the_page_isolates_what_it_accepts() -> None:
    from events import parse_submission
    from events.errors import PerfledgerError

    with pytest.raises(PerfledgerError):
        parse_submission(ev("ObjectiveStruck", "s-1", objective="04", cause="internal",
                            reason="fine \u202e08 ,04\u202c"))
    shown = html.isolated("\u202eevil\u202c <b>bold</b>")
    assert shown == Markup("<bdi>\u202eevil\u202c &lt;b&gt;bold&lt;/b&gt;</bdi>")
    assert [e.tag for e in parsed(shown).iter()] == ["#document", "bdi"]
    assert "bdi, code, .formula { unicode-bidi: isolate; }" in html.static_text("style.css")
