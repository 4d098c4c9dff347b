"""A document's tables as a workbook (XLSX): a copy for convenience, whose source of truth is the ledger.

Sheets, in Italian: Copertina (the body, year, title and cut, the ledger's size and head, the anchor the
proofs rest on with its signers and cosigners, and the notice that the workbook is a copy), Bilancio (the
budget by line → objective → product in the seed's order: ``cli.views.budget_rows``), Disponibilità
(Disponibile / Totale by line and in total), Obiettivi, Indicatori, Variazioni and Scostamenti. Each
table has a bold header row, frozen, with a filter; columns fit their cells; codes are text ("01" stays
"01"), dates are date cells, notes and titles are text, never formulas.

Money is numbers, never text, in a euro format Excel shows in its user's locale (``€ 1.306.000,00`` in
Italy). A number cell holds a double: each amount, a Decimal to the cent, is written as the double
nearest to it (``amount``, which refuses one that would not read back as itself), and no arithmetic is
done on doubles here. Every subtotal (an objective's Somma, a line's Totale, Totale complessivo) is a
live ``SUM`` of exactly the cells it adds (the objective's products, the line's objective subtotals, the
lines' totals: no row is counted twice), cached with the figure the ledger gives, so a reader that does
not recalculate sees the stored figure and one that does gets the same.

The same document gives the same bytes: the workbook is built in memory, XlsxWriter dates the entries of
its zip 1 January 1980, and its creation date is the cut's (``created``), never the clock's.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from cli.budget_table import HEADERS, caption
from cli.labels import tr
from cli.output import ELLIPSIS, day, money, percent, ratio_places, yes_no
from cli.publish import words
from cli.publish.model import Document
from cli.templates import STYLES as TEMPLATE_STYLES
from cli.views import budget_rows, withdrawn_text
from projections.budget import COLUMNS, Group

NOTICE = ("Copia di comodo: la fonte di verità è il registro perfledger; ogni cifra si verifica con"
          " `perfledger verify --expect` e `perfledger explain`")
SHEETS = ("Copertina", "Bilancio", "Disponibilità", "Obiettivi", "Indicatori", "Variazioni", "Scostamenti")
CENT = Decimal("0.01")
EURO = "[$€-410] #,##0.00;-[$€-410] #,##0.00"  # the seed's € 1.306.000,00 and -€ 9.916,67
MOST = 60  # characters: a column is at most this wide, and longer text wraps
SUM_ARGUMENTS = 255  # Excel's most arguments of one function
FOOTER_MOST = 255  # Excel's most characters (UTF-16 code units) of a header or footer, codes included
PAGES = "&RPagina &P di &N"  # the footer's right part

STYLES: dict[str, dict[str, Any]] = {
    **TEMPLATE_STYLES,
    "euro": {"num_format": EURO},
    "percent": {"num_format": "0%"},
    "percent1": {"num_format": "0.0%"},
    "notice": {"bold": True, "text_wrap": True, "valign": "top", "font_size": 12},
    "label": {"bold": True, "valign": "top"},
    # the budget's subtotals, lighter to darker: an objective's, a line's, the grand total
    "objective": {"bold": True, "bg_color": "#F2F2F2"},
    "line": {"bold": True, "bg_color": "#DDEBF7"},
    "total": {"bold": True, "bg_color": "#9BC2E6"},
    # the traffic light: Excel's own good / neutral / bad
    "achieved": {"bg_color": "#C6EFCE", "font_color": "#006100"},
    "partly": {"bg_color": "#FFEB9C", "font_color": "#9C5700"},
    "not_achieved": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
}
LEVEL_STYLES = {"product": (), "objective": ("objective",), "line": ("line",), "off_line": ("line",),
                "total": ("total",), "overall": ("total",)}
BUDGET_KEYS = ("line", "objective", "item", "product")


def workbook(doc: Document) -> bytes:
    """The document's workbook, as the bytes of its file (see the module's docstring)."""
    import xlsxwriter  # type: ignore[import-untyped]

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"title": doc.title, "subject": " · ".join(doc.header.lines("it")),
                         "author": doc.header.entity, "company": doc.header.entity, "comments": NOTICE,
                         "created": created(doc)})
    styles = Styles(book)
    footer = doc.header.lines("it")[0]
    _cover(book, styles, doc)
    line_rows = _budget(Table(book, styles, "Bilancio", _budget_headers(), footer), doc)
    _availability(Table(book, styles, "Disponibilità", _availability_headers(), footer), doc, line_rows)
    _objectives(Table(book, styles, "Obiettivi", OBJECTIVE_HEADERS, footer), doc)
    _indicators(Table(book, styles, "Indicatori", INDICATOR_HEADERS, footer), doc)
    _changes(Table(book, styles, "Variazioni", CHANGE_HEADERS, footer), doc)
    _deviations(Table(book, styles, "Scostamenti", DEVIATION_HEADERS, footer), doc)
    book.close()
    return buffer.getvalue()


def created(doc: Document) -> datetime:
    """The workbook's creation date, from the cut: the instant of ``--known-at`` when one is given, else
    the as-of day (the year's 31 December when the cut has none) at 00:00 UTC."""
    known = doc.cut.known_at
    if isinstance(known, datetime):
        return known.astimezone(UTC)
    return datetime.combine(doc.cut.as_of or date(doc.scores.year, 12, 31), time(), UTC)


def amount(value: Decimal) -> float:
    """The number cell of an amount in euro: the double nearest to ``value``, a Decimal to the cent,
    refused (ValueError) unless it reads back as ``value`` once rounded to the cent: a double holds 15
    significant digits, every amount below ten thousand billion euro."""
    if value != value.quantize(CENT):
        raise ValueError(f"{value} is not an amount to the cent")
    found = float(value)
    if Decimal(repr(found)).quantize(CENT) != value:
        raise ValueError(f"{value} has more digits than a spreadsheet's number holds")
    return found


def sum_formula(column: int, spans: Sequence[tuple[int, int]]) -> str:
    """``=SUM(E2:E19)`` or ``=SUM(E20,E45)``: the cells of ``column`` in ``spans`` (first and last rows,
    zero-based), nested when they are more than Excel takes in one SUM."""
    xl_range = _utility().xl_range

    def of(args: list[str]) -> str:
        if len(args) <= SUM_ARGUMENTS:
            return f"SUM({','.join(args)})"
        return of([of(args[n:n + SUM_ARGUMENTS]) for n in range(0, len(args), SUM_ARGUMENTS)])

    return "=" + of([xl_range(first, column, last, column) for first, last in spans])


def _utility() -> Any:
    """XlsxWriter's cell names (``E2``, ``E2:E19``): imported when a workbook is written, not at start."""
    from xlsxwriter import utility

    return utility


# -- styles and tables ------------------------------------------------------------------------------
class Styles:
    """The workbook's formats, each made once from the ``STYLES`` it combines: ``styles("euro", "line")``."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.made: dict[tuple[str, ...], Any] = {}

    def __call__(self, *names: str) -> Any:
        found = self.made.get(names)
        if found is None:
            properties: dict[str, Any] = {}
            for name in names:
                properties.update(STYLES[name])
            found = self.made[names] = self.book.add_format(properties)
        return found


class Table:
    """A sheet holding one table: its header row bold, frozen and filtered, each column as wide as its
    widest cell up to ``MOST`` characters (longer text wraps), printed landscape with the cut in the
    footer. Rows are numbered from 1, below the header; ``style`` names add to a cell's own."""

    def __init__(self, book: Any, styles: Styles, name: str, headers: Sequence[str], footer: str) -> None:
        self.sheet = book.add_worksheet(name)
        self.styles = styles
        self.widths = [len(h) for h in headers]
        self.last = 0
        self.footer = footer
        for column, title in enumerate(headers):
            self.sheet.write_string(0, column, title, styles("header"))

    def _fit(self, row: int, column: int, shown: str) -> None:
        self.widths[column] = max(self.widths[column], min(len(shown), MOST))
        self.last = max(self.last, row)

    def text(self, row: int, column: int, value: str | None, *style: str) -> None:
        """Text as it is (a code, a title, a note: never a formula); nothing, or a blank in the row's
        style, for None."""
        if not value:
            if style:
                self.sheet.write_blank(row, column, None, self.styles(*style))
            self._fit(row, column, "")
            return
        wrap = ("wrap",) if len(value) > MOST else ()
        self.sheet.write_string(row, column, value, self.styles("text", *style, *wrap))
        self._fit(row, column, value)

    def money(self, row: int, column: int, value: Decimal, *style: str) -> None:
        self.sheet.write_number(row, column, amount(value), self.styles("euro", *style))
        self._fit(row, column, money(value, "it"))

    def subtotal(self, row: int, column: int, spans: Sequence[tuple[int, int]], value: Decimal,
                 *style: str) -> None:
        """``value``, the ledger's figure, as the live SUM of the cells in ``spans`` (cached as it)."""
        if not spans:  # nothing to add up (a budget without items): Excel has no empty SUM
            self.money(row, column, value, *style)
            return
        self.formula(row, column, sum_formula(column, spans), value, *style)

    def formula(self, row: int, column: int, formula: str, value: Decimal, *style: str) -> None:
        """An amount as a live formula, cached as ``value``, the ledger's figure."""
        self.sheet.write_formula(row, column, formula, self.styles("euro", *style), amount(value))
        self._fit(row, column, money(value, "it"))

    def fraction(self, row: int, column: int, value: Decimal | None, *style: str) -> None:
        """A fraction (0.937) as a percentage (94%: Excel rounds half away from zero, as the document);
        ND, as text, for None."""
        if value is None:
            self.text(row, column, "ND", *style)
            return
        self.sheet.write_number(row, column, float(value), self.styles("percent", *style))
        self._fit(row, column, percent(value, 0, "it"))

    def ratio(self, row: int, column: int, formula: str, value: Decimal, *style: str) -> None:
        """A ratio as a live formula, cached as ``value``, shown as a percentage (to a tenth below 1%,
        as the report prints it)."""
        places = ratio_places(value)
        shown = self.styles("percent1" if places else "percent", *style)
        self.sheet.write_formula(row, column, formula, shown, float(value))
        self._fit(row, column, percent(value, places, "it"))

    def number(self, row: int, column: int, value: Decimal | int, *style: str) -> None:
        """A number that is no amount (a weight, a measured value), as Excel's General shows it."""
        self.sheet.write_number(row, column, float(value), self.styles("number", *style))
        self._fit(row, column, f"{value:f}" if isinstance(value, Decimal) else str(value))

    def date(self, row: int, column: int, value: date, *style: str) -> None:
        self.sheet.write_datetime(row, column, value, self.styles("date", *style))
        self._fit(row, column, day(value, "it"))

    def measured(self, row: int, column: int, raw: str | None, unit: str) -> None:
        """A value or target as the ledger records it: a number (a percentage when its unit is %), a
        date (a deadline), ND (not available), or nothing."""
        if raw is None or raw == "ND":
            self.text(row, column, raw)
        elif "-" in raw[1:]:
            self.date(row, column, date.fromisoformat(raw))
        elif unit == "%":
            self.fraction(row, column, Decimal(raw))
        else:
            self.number(row, column, Decimal(raw))

    def close(self) -> None:
        for column, width in enumerate(self.widths):
            self.sheet.set_column(column, column, width + 2)
        self.sheet.freeze_panes(1, 0)
        self.sheet.autofilter(0, 0, self.last, len(self.widths) - 1)
        self.sheet.repeat_rows(0)
        self.sheet.set_landscape()
        self.sheet.fit_to_pages(1, 0)
        self.sheet.set_footer(footer(self.footer))


def footer(text: str) -> str:
    """A sheet's footer: ``text`` on the left (``&`` doubled: it starts a code), shortened with an
    ellipsis to fit Excel's limit, and the page number on the right."""
    room = FOOTER_MOST - _units("&L" + PAGES)
    shown = _escaped(text)
    if _units(shown) > room:
        kept, used = [], _units(ELLIPSIS)
        for c in text:
            piece = _escaped(c)
            if used + _units(piece) > room:
                break
            kept.append(piece)
            used += _units(piece)
        shown = "".join(kept).rstrip() + ELLIPSIS
    return f"&L{shown}{PAGES}"


def _units(text: str) -> int:
    """The UTF-16 code units of ``text``: what Excel's limits count."""
    return len(text.encode("utf-16-le")) // 2


def _escaped(text: str) -> str:
    """Text for a header or footer, where ``&`` starts a code."""
    return text.replace("&", "&&")


def _header(key: str) -> str:
    """A column's header: the project's Italian word, capitalised (``peso`` -> ``Peso``)."""
    word = tr(key, "it")
    return word[:1].upper() + word[1:]


# -- Copertina --------------------------------------------------------------------------------------
def _cover(book: Any, styles: Styles, doc: Document) -> None:
    """The front sheet: what the document is, the cut, the ledger and the anchor, and the notice."""
    sheet = book.add_worksheet("Copertina")
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 1, 100)
    header = doc.header
    sheet.write_string(0, 0, doc.title, styles("title"))
    sheet.write_string(1, 0, header.entity, styles("bold"))
    row = 3
    for label, value in cover_lines(doc):
        sheet.write_string(row, 0, label, styles("label"))
        if isinstance(value, int):
            sheet.write_number(row, 1, value, styles("number"))
        else:
            sheet.write_string(row, 1, value, styles("text", "wrap"))
        row += 1
    sheet.merge_range(row + 1, 0, row + 1, 1, NOTICE, styles("notice"))
    sheet.set_row(row + 1, 36)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 1)


def cover_lines(doc: Document) -> list[tuple[str, str | int]]:
    """The Copertina's rows: a label and its value (text, or a count); the anchor in the front page's
    words (``words.anchor_words``)."""
    header = doc.header
    lines = header.lines("it")
    rows: list[tuple[str, str | int]] = [
        ("Ente", header.entity), ("Anno", header.year), ("Documento", doc.title),
        ("Situazione", lines[0]), ("Registro", lines[1]),
        ("Eventi del registro letti", header.events), ("Hash dell'ultimo evento", header.head),
    ]
    rows += [(row.label, row.text) for row in words.anchor_words(doc.anchor).rows]
    rows.append(("Fogli", ", ".join(SHEETS[1:])))
    return rows


# -- Bilancio ---------------------------------------------------------------------------------------
def _budget_headers() -> list[str]:
    return [tr(HEADERS[k], "it") for k in (*BUDGET_KEYS, *COLUMNS)]


def _budget(table: Table, doc: Document) -> dict[str | None, int]:
    """The budget table in the seed's order: products as amounts, every subtotal a SUM of the rows it
    adds. Returns the row of each line's Totale, by line code, and of Totale complessivo (key None)."""
    products: list[int] = []  # the rows of the objective being written
    objectives: list[int] = []  # the Somma rows of the line being written (or of the items on no line)
    lines: dict[str | None, int] = {}
    total = off_line = 0
    for row, shown in enumerate(budget_rows(doc.table), start=1):
        level = shown["level"]
        style = LEVEL_STYLES[level]
        spans: list[tuple[int, int]] | None = None
        if level == "product":
            products.append(row)
        elif level == "objective":
            spans, products = [(products[0], products[-1])], []
            objectives.append(row)
        elif level in ("line", "off_line"):
            spans, objectives = [(r, r) for r in objectives], []
            if level == "line":
                lines[shown["line"]] = row
            else:
                off_line = row
        elif level == "total":
            spans, total = [(r, r) for r in lines.values()], row
        else:  # overall: the policy lines' total and the items on no line
            spans = [(total, total), (off_line, off_line)]
        for column, key in enumerate(BUDGET_KEYS[:3]):
            table.text(row, column, shown[key], *style)
        table.text(row, 3, shown["product"] if level == "product" else caption(shown, "it"), *style)
        for column, key in enumerate(COLUMNS, start=len(BUDGET_KEYS)):
            if spans is None:
                table.money(row, column, shown[key], *style)
            else:
                table.subtotal(row, column, spans, shown[key], *style)
    table.close()
    return {**lines, None: total}


# -- Disponibilità ----------------------------------------------------------------------------------
AVAILABILITY = ("total", "reserved", "available")


def _availability_headers() -> list[str]:
    return [tr("Linea", "it"), _header("title"), *(tr(HEADERS[k], "it") for k in AVAILABILITY),
            tr("Disponibile/Totale", "it")]


def _availability(table: Table, doc: Document, rows: dict[str | None, int]) -> None:
    """Disponibile / Totale by line and in total: the amounts the Bilancio's subtotals (linked to them,
    live), the ratio a live division of the two."""
    xl_rowcol_to_cell = _utility().xl_rowcol_to_cell
    budget = doc.table
    groups: list[tuple[str | None, Group, tuple[str, ...]]] = [(g.key, g, ()) for g in budget.lines]
    groups.append((None, budget.total, ("bold",)))
    for row, (code, group, style) in enumerate(groups, start=1):
        table.text(row, 0, code, *style)
        table.text(row, 1, group.title, *style)
        at = rows[code]
        for column, key in enumerate(AVAILABILITY, start=2):
            cell = xl_rowcol_to_cell(at, len(BUDGET_KEYS) + COLUMNS.index(key))
            table.formula(row, column, f"=Bilancio!{cell}", group.amounts.get(key), *style)
        ratio = group.ratio
        if ratio is None:  # Totale 0: no ratio, as the report says
            table.text(row, 5, "ND", *style)
        else:
            table.ratio(row, 5, f"={xl_rowcol_to_cell(row, 4)}/{xl_rowcol_to_cell(row, 2)}", ratio, *style)
    table.close()


# -- Obiettivi, Indicatori --------------------------------------------------------------------------
OBJECTIVE_HEADERS = [_header(k) for k in ("level", "id", "title", "area", "parent", "perspective",
                                          "achievement", "band", "roll-up")]


def _objectives(table: Table, doc: Document) -> None:
    """Every objective in tree order: its own achievement and band (the traffic light), the roll-up of
    its children, or its withdrawal."""
    shape = doc.tree
    for row, node in enumerate(shape.walk(), start=1):
        score = node.score
        table.text(row, 0, tr(node.level, "it"))
        table.text(row, 1, node.code)
        table.text(row, 2, node.title)
        table.text(row, 3, node.area)
        table.text(row, 4, node.parent)
        table.text(row, 5, score.definition.perspective)
        light = () if score.band is None else (score.band,)
        table.fraction(row, 6, score.achievement, *light)
        if score.withdrawn is not None:
            table.text(row, 7, withdrawn_text(score.withdrawn, "it"))
        else:
            table.text(row, 7, None if score.band is None else tr(score.band, "it"), *light)
        if node.children:
            rolled = shape.rollup_band(node.code)
            table.fraction(row, 8, shape.rollup(node.code), *(() if rolled is None else (rolled,)))
    table.close()


INDICATOR_HEADERS = [_header(k) for k in ("objective", "id", "title", "weight", "direction", "unit",
                                          "source", "target", "value", "achievement", "counts", "reason")]


def _indicators(table: Table, doc: Document) -> None:
    """Every indicator of every objective: its weight, direction, target and value as recorded, its
    achievement, whether it counts in its objective's mean and, if not, why."""
    row = 0
    for objective in doc.scores.objectives:
        for i in objective.indicators:
            row += 1
            d = i.definition
            table.text(row, 0, objective.code)
            table.text(row, 1, i.code)
            table.text(row, 2, d.title)
            table.number(row, 3, i.weight)
            table.text(row, 4, tr(d.direction, "it"))
            table.text(row, 5, words.unit(str(d.unit)))
            table.text(row, 6, words.source(d))
            table.measured(row, 7, i.target, d.unit)
            table.measured(row, 8, i.value, d.unit)
            table.fraction(row, 9, i.achievement)
            table.text(row, 10, yes_no(i.counts, "it"))
            why = (withdrawn_text(i.withdrawn, "it") if i.withdrawn is not None
                   else None if i.excluded is None else tr(i.excluded, "it"))
            table.text(row, 11, why)
    table.close()


# -- Variazioni, Scostamenti ------------------------------------------------------------------------
CHANGE_HEADERS = [*(_header(k) for k in ("objective", "indicator", "cause", "effective_date", "reason",
                                         "what")), "Atto", *(_header(k) for k in ("counts", "event"))]


def _changes(table: Table, doc: Document) -> None:
    """The variations of the objectives (art. 6: the OIV assesses them): cause, date, reason, act, and
    whether each counts in the variations indicator (internal causes only)."""
    for row, change in enumerate(doc.changes.changes, start=1):
        table.text(row, 0, change.objective)
        table.text(row, 1, change.indicator)
        table.text(row, 2, tr(change.cause, "it"))
        table.date(row, 3, change.effective_date)
        table.text(row, 4, change.reason)
        table.text(row, 5, change.what)
        table.text(row, 6, None if change.act is None else str(change.act))
        table.text(row, 7, yes_no(change.cause == "internal", "it"))
        table.text(row, 8, change.original.event_id)
    table.close()


DEVIATION_HEADERS = [_header(k) for k in ("objective", "indicator", "title", "target", "value",
                                          "achievement")] + ["Motivi"]


def _deviations(table: Table, doc: Document) -> None:
    """The indicators below their target or without a value, with the reasons recorded."""
    for row, deviation in enumerate(doc.deviations, start=1):
        unit = str(doc.scores.indicator(deviation.indicator).definition.unit)
        table.text(row, 0, deviation.objective)
        table.text(row, 1, deviation.indicator)
        table.text(row, 2, deviation.title)
        table.measured(row, 3, deviation.target, unit)
        table.measured(row, 4, deviation.value, unit)
        table.fraction(row, 5, deviation.figure.value)
        table.text(row, 6, "; ".join(deviation.reasons))
    table.close()
