"""The document's charts: inline SVG drawn from the figures, each mark linked to its derivation."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import pytest

from cli.publish import charts
from cli.publish.anchor import anchor_of
from cli.publish.model import Document, document
from ledger import Store
from projections.facts import Cut


def _document(ledger: str, cut: Cut) -> Document:
    store = Store.open(ledger)
    try:
        events = list(store.events(upto=store.length()))
    finally:
        store.close()
    return document(events, cut, None, anchor_of(events, None, []))


@pytest.fixture(scope="module")
def doc(example: str) -> Document:
    return _document(example, Cut())


class Marks(HTMLParser):
    """The links, the fills and the titles of an SVG."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.fills: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append(tag)
        if tag == "a":
            self.links.append(str(found["href"]))
        if tag == "rect" and found.get("fill"):
            self.fills.append(str(found["fill"]))


def marks(svg: str) -> Marks:
    parsed = Marks()
    parsed.feed(svg)
    return parsed


def test_each_strategic_objective_has_a_bar_linked_to_its_derivation_in_its_band_colour(
        doc: Document) -> None:
    found = marks(charts.achievement_chart(doc))
    strategic = [o for o in doc.scores.objectives if o.definition.level == "strategic"]
    assert found.links == [f"#{doc.figure('achievement', 'objective', o.code).key}" for o in strategic]
    assert found.fills == [charts.BAND_COLOURS[o.band] for o in strategic]
    assert "#c62828" in found.fills  # objective 08, at 50%, is red: not achieved


def test_the_bar_of_an_objective_says_its_figure_and_band_in_words(doc: Document) -> None:
    svg = charts.achievement_chart(doc)
    title = "08 Favorire il monitoraggio dell&#39;economia locale a favore del fare strategia di impresa"
    assert f"<title>{title}: 50% (non raggiunto)</title>" in svg


def test_each_line_of_the_budget_is_split_into_reserved_and_available_linked_to_their_figures(
        doc: Document) -> None:
    found = marks(charts.budget_chart(doc))
    expected = []
    for line in doc.table.lines:
        expected += [f"#{doc.figure('budget', 'line', line.key, column).key}"
                     for column in ("total", "reserved", "available")]
    assert found.links == expected
    assert "€ 1.212.595,55" in charts.budget_chart(doc)  # the Totale of line A5, as the seed prints it


def test_the_trend_has_one_point_per_four_monthly_cut_up_to_the_documents_date(example: str) -> None:
    august = _document(example, Cut(date(2012, 8, 31)))
    svg = charts.trend_chart(august)
    assert re.findall(r"<text[^>]*>(\d\d/\d\d/2012)</text>", svg) == ["30/04/2012", "31/08/2012"]
    assert [p.figure.shown for p in august.trend] == ["77%", "95%"]
    assert svg.count("<circle") == 2


def test_the_year_end_trend_ends_at_the_entity_level_the_report_gives(doc: Document) -> None:
    assert [p.as_of for p in doc.trend] == [date(2012, 4, 30), date(2012, 8, 31), date(2012, 12, 31)]
    year_end = doc.trend[-1].figure
    assert year_end.explain == ("achievement", "entity") and year_end.as_of == date(2012, 12, 31)
    assert year_end.value == doc.figure("achievement", "entity").value and year_end.shown == "94%"
    assert year_end.key == doc.figure("achievement", "entity").key  # the document's own figure


def test_a_cut_past_the_year_adds_no_point_to_the_four_monthly_trend(example: str) -> None:
    later = _document(example, Cut(date(2013, 6, 30)))
    assert [p.as_of for p in later.trend] == [date(2012, 4, 30), date(2012, 8, 31), date(2012, 12, 31)]
    svg = charts.trend_chart(later)
    assert "30/06/2013" not in svg and svg.count("<circle") == 3


def test_the_same_figures_draw_the_same_bytes_and_nothing_outside_the_page(
        doc: Document, example: str) -> None:
    again = _document(example, Cut())
    for draw in (charts.achievement_chart, charts.budget_chart, charts.trend_chart):
        svg = draw(doc)
        assert svg == draw(again)
        assert "http" not in svg and "<script" not in svg and "href=\"#f-" in svg
        assert set(marks(svg).tags) <= {"svg", "title", "a", "rect", "text", "line", "circle", "polyline"}
