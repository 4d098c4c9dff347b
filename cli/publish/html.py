"""The Relazione sulla Performance as one self-contained HTML page, every figure a link to its proof.

The page is rendered by Jinja2 from the package's templates with autoescaping on: every text from the
ledger (titles, notes, reasons, acts, products, the entity) is escaped and isolated (``<bdi>``), never
marked safe. What is marked safe is the package's own: its style sheet, the proof script (whose SHA-256
the page's Content-Security-Policy names), the evidence JSON (with ``<``, ``>``, ``&`` written as JSON
escapes, so no note can close its ``<script>``) and the charts, which ``charts`` draws as inline SVG.

``render`` is what every page of a document shares (the shell of ``_base.html.j2``: head, banner,
derivations, evidence, footer); ``page`` is the Relazione's, linking every figure of the document.
The same document renders to the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from cli.labels import tr
from cli.output import day, money, percent, yes_no
from cli.publish import charts as drawn
from cli.publish import words
from cli.publish.model import Document, Figure
from cli.views import budget_rows, closing_line, objectives_of, shown, variations_target
from projections.budget import COLUMNS, LABELS, Budget, Group
from projections.explain import Derivation, EventRef
from projections.tree import Node

JSON_IN_HTML = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def page(doc: Document, printed: bool = False) -> str:
    """The Relazione (or the four-monthly report) of ``doc`` as one HTML page (``printed``: as the PDF
    prints it, see ``render``)."""
    return render("relazione.html.j2", doc, printed, linked=list(doc.figures.values()),
                  budget=budget_table(doc), ratios=ratio_table(doc), line_ratios=line_ratio_table(doc),
                  charts=charts(doc), target=variations_target(doc.scores))


def render(template: str, doc: Document, printed: bool = False, **context: Any) -> str:
    """Render one of the package's templates (which extends ``_base.html.j2``) for ``doc``: the shell's
    style, proof script and its CSP hash, the evidence JSON and the cut's words come with it. Given
    ``linked`` (the figures the page links to), the shell puts their derivations after the content.

    ``printed``: the page the PDF prints. Its figures are text, and it holds neither the derivations
    nor the evidence nor the script: the PDF attaches the evidence and the figures, and a printed
    derivation of every figure would make the document hundreds of pages long (and slow to print)."""
    if printed:
        context["linked"] = []
    script = static_text("proof.js")
    anchor = words.anchor_words(doc.anchor)
    shell = {"script": _own(script, "script"), "csp": csp(script),
             "style": _own(static_text("style.css"), "style"), "evidence": evidence_script(doc),
             "cut_words": cut_words(doc), "anchored": anchor.line, "anchor_rows": anchor.rows}
    return environment().get_template(template).render(doc=doc, printed=printed, **shell, **context)


DERIVATION = '<section class="derivation" '
"""How every derivation of a page opens (``_derivations.html.j2``): ledger text, escaped, never does."""


def derivations(page: str) -> int:
    """The derivations a rendered page holds."""
    return page.count(DERIVATION)


def cut_words(doc: Document) -> str:
    """The cut as the figure commands' header states it, without the entity (the page isolates that):
    ``anno 2012 · situazione al 31/08/2012 · noto all'ultimo evento``."""
    header = doc.header
    entity = header.entity or tr("(no entity)", "it")
    return header.lines("it")[0].removeprefix(f"{entity} · ")


@cache
def environment() -> Environment:
    """The templates' environment: autoescaped, strict about undefined names, read from the package."""
    env = Environment(loader=PackageLoader("cli.publish", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(FILTERS)
    env.globals.update(GLOBALS)
    return env


FILTERS: dict[str, Any] = {
    "u": lambda text: isolated(text),
    "tr": lambda key: tr(key, "it"),
    "money": lambda amount: money(amount, "it"),
    "day": lambda value: day(value, "it"),
    "iso_day": lambda iso: day(date.fromisoformat(iso), "it"),
    "yes_no": lambda value: yes_no(value, "it"),
    "moment": words.moment,
    "weight": words.weight,
    "figure_name": words.figure_name,
    "contribution": words.contribution,
}
"""The templates' filters: ``u`` for every text from the ledger, the rest Italian formatting."""

GLOBALS: dict[str, Any] = {
    "colour": words.light, "band_word": words.band_word, "figure_title": words.figure_title,
    "proof_length": words.proof_length, "excluded": words.excluded, "said": lambda parts: said(parts),
    "shown": lambda raw, unit: shown(raw, unit, "it"), "closing_line": lambda c: closing_line(c, "it"),
    "objectives_of": lambda level: objectives_of(level, "it"),
    "part_figure": lambda doc, part: part_figure(doc, part), "seqs": lambda f: seqs(f),
    "source_of": lambda doc, ref: source_of(doc, ref), "share": lambda n, of: share(n, of),
    "cascade": lambda doc, code: cascade(doc, code), "with_parts": lambda doc, fs: with_parts(doc, fs),
    "labels": LABELS, "columns": COLUMNS,
}
"""The names the templates call: the Italian words and the page's lookups (defined below)."""


# -- the page's own text, marked safe --------------------------------------------------------------
def static_text(name: str) -> str:
    """A file of the package's ``static`` folder (FileNotFoundError if it is missing: a page without its
    script would name the hash of nothing and never check a proof)."""
    return (files("cli.publish") / "static" / name).read_text(encoding="utf-8")


def _own(text: str, tag: str) -> Markup:
    """The package's own script or style sheet, inlined as it is: it may not close its element."""
    if f"</{tag}" in text.lower():
        raise ValueError(f"the page's {tag} may not contain </{tag}")
    return Markup(text)


def csp(script: str) -> str:
    """The Content-Security-Policy: nothing from outside, only the inline script of this SHA-256."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    return (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline';"
            " img-src data:")


def evidence_script(doc: Document) -> Markup:
    """``doc.evidence_json()`` as the text of a ``<script type="application/json">``: JSON whose ``<``,
    ``>`` and ``&`` are written ``\\u003c``, ``\\u003e``, ``\\u0026`` (it parses to the same data)."""
    return Markup(orjson.dumps(doc.evidence_json()).decode().translate(JSON_IN_HTML))


def isolated(text: object) -> Markup:
    """Text from the ledger, escaped and isolated in ``<bdi>``: it cannot reorder the page around it."""
    return Markup("<bdi>%s</bdi>") % escape(str(text))


SAID = {"": "%s", "name": "<bdi>%s</bdi>", "code": "<code><bdi>%s</bdi></code>", "command": "<code>%s</code>",
        "hash": '<code class="hash">%s</code>'}
"""How each kind of part of a sentence of ``words`` shows (``words.Part``)."""


def said(parts: Iterable[words.Part]) -> Markup:
    """A sentence of ``words`` (its parts: own words, names, codes, hashes) as the page shows it, escaped."""
    return Markup("").join(Markup(SAID[style]) % escape(text) for text, style in parts)


# -- derivations ---------------------------------------------------------------------------------
def part_figure(doc: Document, part: Derivation) -> Figure | None:
    """The published figure a part of a derivation is (linked to, not repeated), if any."""
    key = doc.key_of(part)
    return None if key is None else doc.figures[key]


def with_parts(doc: Document, figures: Iterable[Figure]) -> list[Figure]:
    """The figures a page links to and, after them, every published figure their derivations link to
    (a part that is a figure), recursively: the derivations the page must hold, each once."""
    found = {f.key: f for f in figures}
    queue = list(found.values())
    while queue:
        for part in _linked_parts(doc, queue.pop(0).derivation):
            if part.key not in found:
                found[part.key] = part
                queue.append(part)
    return list(found.values())


def _linked_parts(doc: Document, derivation: Derivation) -> Iterator[Figure]:
    for part in derivation.parts:
        figure = part_figure(doc, part)
        if figure is None:
            yield from _linked_parts(doc, part)  # shown in place: its own parts may be figures
        else:
            yield figure


def seqs(figure: Figure) -> str:
    """The page's ``data-events`` of a figure: every event of its derivation and parts, in order."""
    return " ".join(str(seq) for seq in sorted(figure.seqs()))


def source_of(doc: Document, ref: EventRef) -> str:
    """``da budget-2012.xlsx, foglio Budget, riga 7``: the spreadsheet an event was imported from."""
    evidence = doc.evidence.get(ref.seq)
    source = None if evidence is None else evidence.source
    return "" if source is None else source.said(tr("from {file}, sheet {sheet}, row {row}", "it"))


def share(part: int, whole: int) -> str:
    """``83%``: a count as a share of a total (as the seed's bands table prints it)."""
    return "-" if whole == 0 else percent(Decimal(part) / Decimal(whole), 0, "it")


# -- the budget (section 1.2 of the seed) -----------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    """One amount of the table: its text, and the published figure it links to (None: no link)."""

    text: str
    figure: Figure | None


@dataclass(frozen=True)
class BudgetRow:
    """A row of the seed's table: ``level`` product, objective (Somma), line (Totale), total, off_line,
    overall; ``line`` and ``objective`` name the group on its first row only, as the seed prints them."""

    level: str
    line: str
    objective: str
    label: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class BudgetTable:
    """The table by line, then the items on no policy line (empty if none)."""

    rows: tuple[BudgetRow, ...]
    off_line: tuple[BudgetRow, ...]


def budget_table(doc: Document) -> BudgetTable:
    """``cli.views.budget_rows`` (the seed's order) with every amount linked to its figure."""
    rows = list(_budget_rows(doc))
    end = next(n for n, row in enumerate(rows) if row.level == "total") + 1
    return BudgetTable(tuple(rows[:end]), tuple(rows[end:]))


def _budget_rows(doc: Document) -> Iterator[BudgetRow]:
    """The rows in ``budget_rows``' order; an objective's products name the line (on the line's first
    row) and the objective (on the objective's first row) that their subtotal row closes."""
    table = doc.table
    products: list[dict[str, Any]] = []
    line: str | None = ""
    for row in budget_rows(table):
        if row["level"] == "product":
            products.append(row)
            continue
        if row["level"] == "objective":
            for n, product in enumerate(products):
                shown_line = _line_label(table, row["line"]) if n == 0 and row["line"] != line else ""
                shown_objective = _objective_label(table, row["objective"]) if n == 0 else ""
                yield _budget_row(doc, product, shown_line, shown_objective, product["product"])
            line, products = row["line"], []
        label = row["product"]
        if row["level"] == "off_line":
            label = f"{tr(table.off_line.title, 'it').capitalize()} Totale"
        yield _budget_row(doc, row, "", "", label)


def _budget_row(doc: Document, row: dict[str, Any], line: str, objective: str, label: str) -> BudgetRow:
    return BudgetRow(row["level"], line, objective, label, tuple(_cell(doc, row, c) for c in COLUMNS))


def _line_label(table: Budget, key: str | None) -> str:
    if key is None:
        return tr(table.off_line.title, "it").capitalize()
    return next(f"{g.key} - {g.title}" for g in table.lines if g.key == key)


def _objective_label(table: Budget, key: str) -> str:
    found = _group(table, key) or next(g for g in table.off_line_objectives if g.key == key)
    return f"{found.key}. {found.title}"


def _group(table: Budget, objective: str) -> Group | None:
    return next((g for g in table.objectives if g.key == objective), None)


def _cell(doc: Document, row: dict[str, Any], column: str) -> Cell:
    figure = _budget_figure(doc, row, column)
    return Cell(money(row[column], "it") if figure is None else figure.shown, figure)


def _budget_figure(doc: Document, row: dict[str, Any], column: str) -> Figure | None:
    """The figure of a cell, as the model keys it; an objective's subtotal within a line links only
    when its rows are the whole objective's (else the objective's figure is another number)."""
    level = row["level"]
    if level == "product":
        return doc.find("budget", "item", row["item"], column)
    if level == "objective":
        group = _group(doc.table, row["objective"])
        whole = group is not None and all(r.line == row["line"] for r in group.rows)
        return doc.find("budget", "objective", row["objective"], column) if whole else None
    if level == "line":
        return doc.find("budget", "line", row["line"], column)
    if level == "total":
        return doc.find("budget", "total", column)
    return None  # the items on no line, and all items: no published figure


RATIO_COLUMNS = ("total", "reserved", "available", "ratio")


def ratio_table(doc: Document) -> tuple[tuple[str, tuple[Figure | None, ...]], ...]:
    """The seed's "L'utilizzo del Budget per Obiettivo Strategico": Totale, Prenotato, Disponibile and
    Disponibile/Totale of each objective, then of the whole table."""
    rows = [(f"{g.key}. {g.title}", tuple(doc.find("budget", "objective", g.key, c) for c in RATIO_COLUMNS))
            for g in doc.table.objectives]
    return (*rows, _total_ratios(doc))


def line_ratio_table(doc: Document) -> tuple[tuple[str, tuple[Figure | None, ...]], ...]:
    """Disponibile/Totale by policy line (with its Totale, Prenotato and Disponibile), then in total."""
    rows = [(f"{g.key} - {g.title}", tuple(doc.find("budget", "line", g.key, c) for c in RATIO_COLUMNS))
            for g in doc.table.lines]
    return (*rows, _total_ratios(doc))


def _total_ratios(doc: Document) -> tuple[str, tuple[Figure | None, ...]]:
    return "Totale", tuple(doc.find("budget", "total", c) for c in RATIO_COLUMNS)


# -- the tree ------------------------------------------------------------------------------------
def cascade(doc: Document, code: str) -> list[Node]:
    """The objectives below ``code`` in tree order (operational, by area, then individual)."""
    tree = doc.tree
    return [tree.node(c) for c in tree.descendants(code)]


# -- the charts ----------------------------------------------------------------------------------
def charts(doc: Document) -> dict[str, Markup]:
    """The charts ``cli.publish.charts`` draws, as inline SVG, by name."""
    return {"achievement_chart": drawn.achievement_chart(doc), "budget_chart": drawn.budget_chart(doc),
            "trend_chart": drawn.trend_chart(doc)}
