"""The documents' own Italian words: what ``cli.labels`` does not already say.

A figure's title is built from its ``explain`` arguments (``achievement objective 01`` is the
"grado di raggiungimento dell'obiettivo 01"), a traffic light is named by its colour and its band, and
the anchor is stated in the words the front page, every page's footer and the workbook's Copertina
share (``anchor_words``). The derivations ``projections`` builds speak English (they are ``explain``'s):
``figure_name`` and ``contribution`` say their figures' names and their events' contributions in
Italian, by the known English forms, and leave any other text as it is. Codes and titles from the data
are never translated; the codes the ledger defines (bands, causes, levels, directions) are, with ``tr``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cli.labels import tr
from cli.output import day, money, number
from cli.publish.anchor import Anchor, Signer
from projections.achievement import IndicatorScore
from projections.budget import LABELS

LIGHTS = {"achieved": "verde", "partly": "giallo", "not_achieved": "rosso"}
"""The traffic light of each band: verde raggiunto, giallo parzialmente raggiunto, rosso non raggiunto."""

EXCLUDED = {"weight 0": "peso 0"}
"""Reasons an indicator does not count that ``cli.labels`` has no Italian for."""

SCOPES = {"item": "della voce", "objective": "dell'obiettivo", "line": "della linea", "total": "totale"}


def light(band: str | None) -> str:
    """``verde``: the colour of a band's traffic light ("" for no band)."""
    return "" if band is None else LIGHTS[band]


def band_word(band: str | None) -> str:
    """``raggiunto``: the band in words ("" for no band)."""
    return "" if band is None else tr(band, "it")


def figure_title(explain: tuple[str, ...], as_of: date | None = None) -> str:
    """A published figure's name in Italian, from the arguments of the ``explain`` that derives it:
    ``Disponibile della voce A1/04/01``, ``grado di raggiungimento dell'obiettivo 01``; a figure of
    another cut (the trend's) names its date."""
    title = _title(explain)
    return title if as_of is None else f"{title} al {day(as_of, 'it')}"


def _title(explain: tuple[str, ...]) -> str:
    kind, *rest = explain
    if kind == "variations":
        return "Indicatore delle variazioni degli obiettivi"
    if kind == "budget":
        scope, *key, column = rest
        what = "Disponibile/Totale" if column == "ratio" else LABELS[column]
        return " ".join([what, SCOPES[scope], *key])
    scope, *code = rest
    if scope == "entity":
        return "Livello di performance dell'ente"
    if scope == "rollup":
        return f"Aggregato dei figli dell'obiettivo {code[0]}"
    owner = "dell'obiettivo" if scope == "objective" else "dell'indicatore"
    return f"Grado di raggiungimento {owner} {code[0]}"


def weight(value: Decimal) -> str:
    """A weight in per cent as the seed prints it: ``20%``, ``33,33%``."""
    return number(value, 0 if value == value.to_integral_value() else 2, "it") + "%"


def excluded(indicator: IndicatorScore) -> str:
    """Why an indicator does not count, in Italian ("" when it counts)."""
    if indicator.excluded is None:
        return ""
    if indicator.withdrawn is not None:
        return tr("withdrawn ({cause})", "it").format(cause=tr(indicator.withdrawn.cause, "it"))
    return EXCLUDED.get(indicator.excluded) or tr(indicator.excluded, "it")


def moment(iso: str) -> str:
    """An instant as ``EventRef`` writes it (``2012-01-27T09:02:00Z``), in Italian: ``27/01/2012 09:02:00
    UTC``."""
    at = datetime.fromisoformat(iso)
    return f"{day(at.date(), 'it')} {at.strftime('%H:%M:%S')} UTC"


def proof_length(path: tuple[str, ...] | None) -> str:
    """An event's audit path, as the events table states it."""
    if path is None:
        return "nessuna: registrato dopo il punto di ancoraggio"
    return f"percorso di {len(path)} hash"


# -- the anchor ----------------------------------------------------------------------------------
Part = tuple[str, str]
"""A piece of a sentence and how it shows: ``""`` the document's own words, ``name`` a name from the
ledger or a key (isolated), ``code`` the ledger's origin (isolated, as code), ``command`` a command the
reader may type, ``hash`` a hash or a root."""


@dataclass(frozen=True)
class Row:
    """One statement about the anchor: its label (``Ancoraggio``, ``Firmato da``) and its sentence."""

    label: str
    parts: tuple[Part, ...]
    warning: bool = False
    signer: Signer | None = None  # the key a row names (the page's script checks it against the evidence)

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.parts)


@dataclass(frozen=True)
class AnchorWords:
    """What the figures rest on: ``line`` for every page's footer, ``rows`` for the front page and the
    workbook's Copertina."""

    line: str
    rows: tuple[Row, ...]


UNSIGNED: tuple[Part, ...] = (
    (("nessuna. Le cifre poggiano sulla testa del registro come l'ente l'ha letto: nessuno fuori dall'ente"
      " l'ha firmata né cosottoscritta. Per un documento che poggia su un checkpoint cosottoscritto"
      " dall'OIV: "), ""),
    ("perfledger checkpoint --key CHIAVE", "command"), (", la cosottoscrizione dell'OIV con ", ""),
    ("perfledger checkpoint cosign", "command"), (", poi ", ""),
    ("perfledger publish --checkpoint checkpoint-N.txt --vkey ente.vkey --vkey oiv.vkey", "command"),
    (".", ""),
)
"""What the head's front page says of its cosignatures: none, and how to publish on a cosigned checkpoint."""

UNCOSIGNED: tuple[Part, ...] = (("nessuna: il checkpoint è firmato solo dalla chiave del registro.", ""),)


def anchor_words(anchor: Anchor) -> AnchorWords:
    """The anchor in Italian: a checkpoint with who signed and who cosigned it (and when), or the
    ledger's own head, which nobody signed, with how to publish on a cosigned checkpoint instead."""
    root: tuple[Part, ...] = ((anchor.origin, "code"), (", radice ", ""), (anchor.root_b64, "hash"))
    if anchor.kind == "head":
        rows = [Row("Ancoraggio", ((f"testa del registro stesso: evento {anchor.size} di ", ""), *root)),
                Row("Cosottoscrizioni", UNSIGNED, warning=True)]
        return AnchorWords(f"testa del registro (evento {anchor.size}), non cosottoscritta", tuple(rows))
    rows = [Row("Ancoraggio", ((f"checkpoint {anchor.size} di ", ""), *root))]
    for s in anchor.signers:
        when = "" if s.cosigned_at is None else f", il {moment(s.cosigned_at)}"
        rows.append(Row("Firmato da" if s.role == "log" else "Cosottoscritto da",
                        ((s.name, "name"), (f" (chiave {s.key_id}{when})", "")), signer=s))
    names = ", ".join(s.name for s in anchor.cosigners)
    if not names:
        rows.append(Row("Cosottoscrizioni", UNCOSIGNED))
    line = f"checkpoint {anchor.size}" + (f" cosottoscritto da {names}" if names else ", non cosottoscritto")
    return AnchorWords(line, tuple(rows))


# -- the indicators' units and sources --------------------------------------------------------------
UNITS = {"date": "data", "days": "giorni", "judgement": "giudizio", "ratio": "rapporto"}
"""The units the ledger's plans use that are English words (``%``, ``n.``, ``€`` are no words)."""

DERIVED = {"derived:variations": "calcolato dal registro: variazioni agli obiettivi",
           "derived:reporting_delay": "calcolato dal registro: giorni dalla fine del periodo alla"
                                      " rilevazione",
           "derived:entity_level": "calcolato dal registro: livello medio dell'ente"}
"""The values the ledger computes itself, as an indicator's source."""


def unit(code: str) -> str:
    """An indicator's unit in Italian (``giudizio``); one that is no English word as it is."""
    return UNITS.get(code, code)


def source(definition: Any) -> str:
    """Where an indicator's value comes from (``definition``: its IndicatorDefined): ``misurato``, ``per
    riferimento all'indicatore 02.2``, ``rapporto tra anni: A / B`` or ``calcolato dal registro: …``."""
    return "".join(text for text, _ in source_parts(definition))


def source_parts(definition: Any) -> tuple[tuple[str, bool], ...]:
    """``source``'s words in parts, each with whether it is the ledger's own text (an indicator's code
    or an unknown source), for a page that isolates the ledger's text from its own words."""
    found = str(definition.source)
    if found == "measured":
        return (("misurato", False),)
    if found == "reference":
        return (("per riferimento all'indicatore ", False), (str(definition.uses), True))
    if found == "derived:year_ratio":
        return (("rapporto tra anni: ", False), (str(definition.uses), True), (" / ", False),
                (str(definition.compared_with), True))
    if found in DERIVED:
        return ((DERIVED[found], False),)
    return (("calcolato dal registro (", False), (found, True), (")", False))


# -- the derivations: explain's English, in Italian --------------------------------------------------
Rule = tuple["re.Pattern[str]", Callable[["re.Match[str]"], str]]
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
DECIMAL = re.compile(r"-?\d+(\.\d+)?")
SCOPE_OF = {"item": "della voce", "objective": "dell'obiettivo", "line": "della linea"}


def value(raw: str) -> str:
    """A value as ``explain`` writes it (``0.91``, ``2012-12-31``, ``ND``), in Italian (``0,91``,
    ``31/12/2012``), with the digits it has; any other text as it is."""
    if ISO_DAY.fullmatch(raw):
        try:
            return day(date.fromisoformat(raw), "it")
        except ValueError:
            return raw
    if DECIMAL.fullmatch(raw):
        found = Decimal(raw)
        return number(found, max(-int(found.as_tuple().exponent), 0), "it")
    return raw


def _rule(pattern: str, say: Callable[[re.Match[str]], str]) -> Rule:
    return re.compile(pattern, re.DOTALL), say


_LABEL = "|".join(re.escape(label) for label in sorted({*LABELS.values(), "Disponibile / Totale"}, key=len,
                                                       reverse=True))
_DAY = r"(?P<end>\d{4}-\d{2}-\d{2})"

FIGURES: tuple[Rule, ...] = (
    _rule(r"entity level (?P<year>\d+)", lambda m: f"livello di performance dell'ente {m['year']}"),
    _rule(r"entity level (?P<year>\d+) without the objectives that measure it",
          lambda m: f"livello di performance dell'ente {m['year']} senza gli obiettivi che lo misurano"),
    _rule(r"achievement of objective (?P<rest>.+)",
          lambda m: f"grado di raggiungimento dell'obiettivo {m['rest']}"),
    _rule(r"achievement of indicator (?P<rest>.+)",
          lambda m: f"grado di raggiungimento dell'indicatore {m['rest']}"),
    _rule(r"roll-up of objective (?P<rest>.+?)(?: in area (?P<area>.+))?",
          lambda m: f"aggregato dei figli dell'obiettivo {m['rest']}"
                    + ("" if m["area"] is None else f" nell'area {m['area']}")),
    _rule(rf"(?P<label>{_LABEL}) of (?P<scope>item|objective|line) (?P<rest>.+)",
          lambda m: f"{m['label']} {SCOPE_OF[m['scope']]} {m['rest']}"),
    _rule(rf"(?P<label>{_LABEL}) of the total (?P<rest>.+)",
          lambda m: f"{m['label']} del totale {m['rest']}"),
    _rule(r"Override of item (?P<rest>.+)", lambda m: f"Deroga della voce {m['rest']}"),
    _rule(r"variations indicator (?P<year>\d+)", lambda m: f"indicatore delle variazioni {m['year']}"),
    _rule(r"strategic objectives of the plan", lambda m: "obiettivi strategici del piano"),
    _rule(r"value of indicator (?P<rest>.+), used by reference",
          lambda m: f"valore dell'indicatore {m['rest']}, usato per riferimento"),
    _rule(r"value of indicator (?P<rest>.+)", lambda m: f"valore dell'indicatore {m['rest']}"),
    _rule(r"year ratio (?P<rest>.+)", lambda m: f"rapporto tra anni {m['rest']}"),
    _rule(rf"period ending {_DAY}", lambda m: f"periodo chiuso al {value(m['end'])}"),
    _rule(r"days from period end to collection of its data, (?P<year>\d+)",
          lambda m: f"giorni dalla fine del periodo alla rilevazione dei dati, {m['year']}"),
)
"""The names ``projections`` gives its derivations (``ObjectiveScore.derivation``, ``explain_row``, …)."""


def _measured(m: re.Match[str]) -> str:
    return f"misurato {value(m['value'])} per il periodo chiuso al {value(m['end'])}"


def _amount(m: re.Match[str]) -> str:
    said = m["sign"] + money(Decimal(m["amount"]), "it")
    return said if m["reason"] is None else f"{said} (deroga: {m['reason']})"


CONTRIBUTIONS: tuple[Rule, ...] = (
    _rule(r"defines objective (?P<code>.+)", lambda m: f"definisce l'obiettivo {m['code']}"),
    _rule(r"defines (?P<code>.+): weight (?P<weight>-?\d+(?:\.\d+)?)%, target (?P<target>.*),"
          r" (?P<direction>higher|lower|deadline|at_least|at_most)",
          lambda m: f"definisce {m['code']}: peso {value(m['weight'])}%, atteso {value(m['target'])},"
                    f" {tr(m['direction'], 'it')}"),
    _rule(r"defines (?P<used>.+), used by (?P<by>.+) by reference",
          lambda m: f"definisce {m['used']}, usato da {m['by']} per riferimento"),
    _rule(rf"measured (?P<value>.*) for the period ending {_DAY}", _measured),
    _rule(rf"(?P<code>.+) \(year x(?P<before>-1)?\): measured (?P<value>.*) for the period ending {_DAY}",
          lambda m: f"{m['code']} (anno x{m['before'] or ''}): {_measured(m)}"),
    _rule(r"revises (?P<code>.+?) \((?P<cause>\w+)\): (?P<what>.*)",
          lambda m: f"rivede {m['code']} (causa {tr(m['cause'], 'it')}): {m['what']}"),
    _rule(r"struck \((?P<cause>\w+)\): (?P<reason>.*); left out of its objective's mean",
          lambda m: f"stralciato (causa {tr(m['cause'], 'it')}): {m['reason']}; escluso dalla media del suo"
                    " obiettivo"),
    _rule(r"struck \((?P<cause>\w+)\): (?P<reason>.*); left out of every mean",
          lambda m: f"stralciato (causa {tr(m['cause'], 'it')}): {m['reason']}; escluso da ogni media"),
    _rule(r"corrects (?P<id>.+?): (?P<reason>.*)", lambda m: f"corregge {m['id']}: {m['reason']}"),
    _rule(r"change of objective (?P<code>.+?), counts: (?P<what>.*)",
          lambda m: f"variazione dell'obiettivo {m['code']}, conta: {m['what']}"),
    _rule(r"change of objective (?P<code>.+?), does not count \((?P<cause>\w+) cause\): (?P<what>.*)",
          lambda m: f"variazione dell'obiettivo {m['code']}, non conta (causa {tr(m['cause'], 'it')}):"
                    f" {m['what']}"),
    _rule(r"objective (?P<code>.+)", lambda m: f"obiettivo {m['code']}"),
    _rule(r"last measurement of the period", lambda m: "ultima misurazione del periodo"),
    _rule(r"grants the override", lambda m: "concede la deroga"),
    _rule(r"(?P<sign>\+?)(?P<amount>-?\d+\.\d{2})(?: \(override: (?P<reason>.*)\))?", _amount),
)
"""The contributions ``projections`` gives each event of a derivation (``refs``' texts)."""

CORRECTED = " (as corrected)"  # what ``projections.explain.refs`` adds to a corrected fact's contribution


def _said(text: str, rules: tuple[Rule, ...]) -> str | None:
    for pattern, say in rules:
        found = pattern.fullmatch(text)
        if found is not None:
            return say(found)
    return None


def figure_name(text: str) -> str:
    """A derivation's figure, as ``projections`` names it in English, in Italian (``Budget of item A1/04/01
    (…)`` is ``Budget della voce A1/04/01 (…)``); a name of no known form as it is."""
    found = _said(text, FIGURES)
    return text if found is None else found


def contribution(text: str) -> str:
    """An event's contribution to a derivation, in Italian (``measured 0.91 for the period ending
    2012-12-31`` is ``misurato 0,91 per il periodo chiuso al 31/12/2012``); one of no known form as it is."""
    head, corrected = (text.removesuffix(CORRECTED), True) if text.endswith(CORRECTED) else (text, False)
    found = _said(head, CONTRIBUTIONS)
    if found is None:
        return text
    return found + (" (come corretto)" if corrected else "")
