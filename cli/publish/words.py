"""The Relazione's own Italian words: what ``cli.labels`` does not already say.

A figure's title is built from its ``explain`` arguments (``achievement objective 01`` is the
"grado di raggiungimento dell'obiettivo 01"), a traffic light is named by its colour and its band,
and the anchor is stated as the front page and every page's footer state it. Codes and titles from
the data are never translated; the codes the ledger defines (bands, causes, levels) are, with ``tr``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from cli.labels import tr
from cli.output import day, number
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


def signer(s: Signer) -> str:
    """``oiv.cciaa-ms.example (chiave 1a2b3c4d, il 28/06/2013 10:00:00 UTC)``."""
    when = "" if s.cosigned_at is None else f", il {moment(s.cosigned_at)}"
    return f"{s.name} (chiave {s.key_id}{when})"


def anchored(anchor: Anchor) -> str:
    """What the figures rest on, in one line (every page's footer): ``checkpoint 516 cosottoscritto da
    oiv.example`` or ``testa del registro (evento 516), non cosottoscritta``."""
    if anchor.kind == "head":
        return f"testa del registro (evento {anchor.size}), non cosottoscritta"
    names = ", ".join(s.name for s in anchor.cosigners)
    return f"checkpoint {anchor.size}" + (f" cosottoscritto da {names}" if names else ", non cosottoscritto")
