"""The OIV's validation kit as one HTML page: the evidence by validation criterion, then the draft
documento di validazione with the judgement left blank (the data: ``cli.publish.criteria``)."""

from __future__ import annotations

from datetime import datetime

from cli.publish.criteria import CRITERIA, kit
from cli.publish.html import render
from cli.publish.model import Document
from cli.publish.words import moment
from events.fields import format_timestamp


def page(doc: Document, printed: bool = False) -> str:
    """The kit's page for ``doc``, read with the events the document was made from (``printed``: as
    the PDF prints it, ``html.render``)."""
    found = kit(doc, doc.events)
    return render("validation.html.j2", doc, printed, kit=found, linked=found.linked(), criteria=CRITERIA,
                  instant=instant)


def instant(at: datetime) -> str:
    """A recorded-at instant as the Relazione writes it (``words.moment``): ``15/01/2013 10:00:05 UTC``."""
    return moment(format_timestamp(at))
