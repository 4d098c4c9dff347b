"""The OIV's validation kit as one HTML page: the evidence by validation criterion, then the draft
documento di validazione with the judgement left blank (the data: ``cli.publish.criteria``)."""

from __future__ import annotations

from datetime import date

from cli.labels import tr
from cli.output import day
from cli.publish.criteria import instant, kit, weight
from cli.publish.html import render
from cli.publish.model import Document


def page(doc: Document) -> str:
    """The kit's page for ``doc``, read with the events the document was made from."""
    found = kit(doc, doc.events)
    return render("validation.html.j2", doc, kit=found, linked=found.linked(), day=_day, instant=instant,
                  weight=weight, word=_word)


def _day(value: date) -> str:
    return day(value, "it")


def _word(code: str) -> str:
    """A code the ledger defines (a level, a cause) in Italian."""
    return tr(code, "it")
