"""The document's charts, as inline SVG drawn from its figures: no script, no network, the same bytes
for the same figures.

Each bar or point links to its figure's derivation (``#KEY``) and carries a ``<title>`` saying its
value in words, so the chart reads without its colours. Bands are coloured as the traffic lights are
(``BAND_COLOURS``); a figure without a value (ND) is drawn grey, at zero, and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

from cli.labels import tr
from cli.output import half_up, percent
from cli.publish.model import Document, Figure

BAND_COLOURS = {"achieved": "#2e7d32", "partly": "#f9a825", "not_achieved": "#c62828", None: "#9e9e9e"}
RESERVED, AVAILABLE = "#1565c0", "#90caf9"
WIDTH = 640  # the viewBox's width: the SVG scales to its container
BAR, GAP, LEFT = 22, 8, 64  # a bar's height, the space between bars, the labels' column


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its length as a fraction of the axis, its colour, its figure and words."""

    label: str
    fraction: Decimal
    colour: str
    figure: Figure
    words: str


def achievement_chart(doc: Document) -> Markup:
    """The achievement of each objective of the scored level (the strategic ones), coloured by band."""
    bars = []
    for objective in doc.scores.objectives:
        if objective.definition.level != doc.scores.scored_level:
            continue
        figure = doc.figure("achievement", "objective", objective.code)
        band = figure.band
        words = f"{objective.code} {objective.definition.title}: {figure.shown or 'ND'}"
        words += f" ({tr(band, 'it')})" if band else ""
        bars.append(Bar(objective.code, figure.value or Decimal(0), BAND_COLOURS[band], figure, words))
    caption = "Grado di raggiungimento degli obiettivi strategici"
    return _bars(caption, bars, [Decimal(doc.scores.rules.band_partly) / 100,
                                 Decimal(doc.scores.rules.band_achieved) / 100])


def budget_chart(doc: Document) -> Markup:
    """Each policy line's Totale, split into Prenotato and Disponibile, to the largest line's scale."""
    lines = doc.table.lines
    largest = max((g.amounts.total for g in lines), default=Decimal(0))
    rows = []
    for n, line in enumerate(lines):
        y = 28 + n * (BAR + GAP)
        total = doc.figure("budget", "line", line.key, "total")
        reserved = doc.figure("budget", "line", line.key, "reserved")
        available = doc.figure("budget", "line", line.key, "available")
        scale = Decimal(WIDTH - LEFT - 120) / largest if largest > 0 else Decimal(0)
        used = max(line.amounts.reserved, Decimal(0)) * scale
        free = max(line.amounts.available, Decimal(0)) * scale
        rows.append(_label(line.key, y, total))
        rows.append(_text(LEFT + max(line.amounts.total, Decimal(0)) * scale + 6, y + 16, total.shown))
        rows.append(_rect(LEFT, y, used, RESERVED, reserved, f"{line.key} Prenotato: {reserved.shown}"))
        rows.append(_rect(LEFT + used, y, free, AVAILABLE, available,
                          f"{line.key} Disponibile: {available.shown}"))
    height = 28 + len(lines) * (BAR + GAP) + 8
    legend = (_legend(LEFT, 6, RESERVED, "Prenotato") + _legend(LEFT + 120, 6, AVAILABLE, "Disponibile")
              + _text(LEFT + 250, 17, "Totale = Prenotato + Disponibile"))
    caption = "Utilizzo del budget per linea: Totale, Prenotato, Disponibile"
    return _svg(caption, height, legend + "".join(rows))


def trend_chart(doc: Document) -> Markup:
    """The entity's level at each four-monthly cut, as points joined by a line, over the band limits."""
    points = list(doc.trend)
    top, bottom = 16, 176
    step = Decimal(WIDTH - LEFT - 140) / max(len(points) - 1, 1)

    def y(fraction: Decimal) -> Decimal:
        return bottom - min(max(fraction, Decimal(0)), Decimal(1)) * (bottom - top)

    drawn = [_axis_line(y(Decimal(p) / 100), f"{p}%") for p in (0, 50, 100)]
    drawn += [_limit(y(Decimal(limit) / 100), f"{limit}%")
              for limit in (doc.scores.rules.band_partly, doc.scores.rules.band_achieved)]
    spots = [(LEFT + 40 + n * step, y(p.figure.value or Decimal(0)), p) for n, p in enumerate(points)]
    if len(spots) > 1:
        path = " ".join(f"{_n(x)},{_n(v)}" for x, v, _ in spots)
        drawn.append(f'<polyline points="{path}" fill="none" stroke="#455a64" stroke-width="2"/>')
    for x, v, point in spots:
        when = point.as_of.strftime("%d/%m/%Y")
        words = f"Livello dell'ente al {when}: {point.figure.shown or 'ND'}"
        colour = BAND_COLOURS[point.figure.band]
        dot = f'<circle cx="{_n(x)}" cy="{_n(v)}" r="7" fill="{colour}"/>'
        label = _text(x, v - 12, point.figure.shown or "ND", "middle")
        drawn.append(_linked(point.figure, words, dot + label))
        drawn.append(_text(x, bottom + 18, when, "middle"))
    return _svg("Livello di performance dell'ente ai monitoraggi quadrimestrali", bottom + 28, "".join(drawn))


# -- drawing ------------------------------------------------------------------------------------
def _bars(caption: str, bars: Sequence[Bar], limits: Sequence[Decimal]) -> Markup:
    span = WIDTH - LEFT - 56
    height = 8 + len(bars) * (BAR + GAP) + 20
    drawn = [_limit_vertical(LEFT + limit * span, height - 20, f"{_percent(limit)}") for limit in limits]
    for n, bar in enumerate(bars):
        y = 8 + n * (BAR + GAP)
        length = min(max(bar.fraction, Decimal(0)), Decimal(1)) * span
        drawn.append(_text(LEFT - 6, y + 16, bar.label, "end"))
        body = (f'<rect x="{LEFT}" y="{y}" width="{_n(length)}" height="{BAR}" fill="{bar.colour}"/>'
                + _text(LEFT + length + 6, y + 16, bar.figure.shown or "ND"))
        drawn.append(_linked(bar.figure, bar.words, body))
    return _svg(caption, height, "".join(drawn))


def _svg(caption: str, height: int | Decimal, body: str) -> Markup:
    title = escape(caption)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {_n(height)}"'
        f' role="img" aria-label="{title}" font-family="DejaVu Sans, sans-serif" font-size="12">'
        f"<title>{title}</title>{body}</svg>"
    )


def _linked(figure: Figure, words: str, body: str) -> str:
    return f'<a href="#{figure.key}" class="fig"><title>{escape(words)}</title>{body}</a>'


def _rect(x: Decimal | int, y: int, width: Decimal, colour: str, figure: Figure, words: str) -> str:
    rect = f'<rect x="{_n(x)}" y="{y}" width="{_n(width)}" height="{BAR}" fill="{colour}"/>'
    return _linked(figure, words, rect)


def _label(key: str, y: int, total: Figure) -> str:
    return _linked(total, f"{key} Totale: {total.shown}", _text(LEFT - 6, y + 16, key, "end"))


def _legend(x: int, y: int, colour: str, words: str) -> str:
    return f'<rect x="{x}" y="{y}" width="14" height="14" fill="{colour}"/>' + _text(x + 20, y + 11, words)


def _axis_line(y: Decimal, words: str) -> str:
    return (f'<line x1="{LEFT}" y1="{_n(y)}" x2="{WIDTH - 8}" y2="{_n(y)}" stroke="#cfd8dc"/>'
            + _text(LEFT - 6, y + 4, words, "end"))


def _limit(y: Decimal, words: str) -> str:
    return (f'<line x1="{LEFT}" y1="{_n(y)}" x2="{WIDTH - 44}" y2="{_n(y)}" stroke="#78909c"'
            f' stroke-dasharray="4 4"/>' + _text(WIDTH - 8, y + 4, words, "end"))


def _limit_vertical(x: Decimal, bottom: int, words: str) -> str:
    line = f'<line x1="{_n(x)}" y1="4" x2="{_n(x)}" y2="{bottom}" stroke="#78909c" stroke-dasharray="4 4"/>'
    return (line + _text(x, bottom + 14, words, "middle"))


def _text(x: Decimal | int, y: Decimal | int, words: str, anchor: str = "start") -> str:
    return f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}">{escape(words)}</text>'


def _n(value: Decimal | int) -> str:
    """A coordinate to one decimal place, half-up, as text: the same figures draw the same bytes."""
    return f"{half_up(Decimal(value), 1):f}"


def _percent(fraction: Decimal) -> str:
    return percent(fraction, 0, "it")
