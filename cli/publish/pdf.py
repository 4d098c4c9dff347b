"""The PDF/A-3b of a Document, printed from its HTML page by WeasyPrint, with its data attached.

The PDF is the printed page (``html_of(doc, printed=True)``: the figures as text, without the
derivations, the evidence or the script) under its ``@media print`` rules, then ``static/print.css``.
Any script left in a page is taken out first: WeasyPrint runs no JavaScript, and the proofs are
checked in the HTML page or with ``perfledger-verify``. A link left pointing at a derivation the PDF
does not print (a chart's mark) prints as its text. Attached, as PDF/A-3 allows (ISO 19005-3,
associated files):

- ``figures.json`` (AFRelationship ``Data``): the figures the tables and charts show, byte for byte
  what ``perfledger report --format json`` prints at the same cut;
- ``evidence.json`` (``Source``): the events the figures rest on, each with its stored canonical
  line and its audit path, and the anchor they are proved against (what the page's script checks);
- ``checkpoint.txt`` (``Source``): the signed checkpoint's note, when the document rests on one.

The same document gives the same bytes: the file identifier is the SHA-256 of ``figures.json``, and
every date in the file (its creation and modification, the attachments') is the latest moment the
document rests on, never the clock: the last ``recorded_at`` of its events and of the year's closing
it states, or the checkpoint's last cosignature if later. Fonts are the system's DejaVu (Debian's
``fonts-dejavu-core``), embedded as subsets, as PDF/A requires. WeasyPrint's warnings (CSS it does
not support) go to this module's log; its errors (a resource it could not load) refuse the PDF,
naming them.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import click

from cli.output import to_json
from cli.publish.model import Document

VARIANT = "pdf/a-3b"
FIGURES = "figures.json"
UNLINKED = "No anchor #"  # a link to a derivation the print rules leave out: printed as text, not a link

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attached:
    """A file attached to the PDF: its ``name``, its bytes, its AFRelationship and description."""

    name: str
    data: bytes
    relationship: str
    description: str


def pdf(doc: Document, page: str) -> bytes:
    """The PDF/A-3b of ``doc``, printed from ``page`` (its HTML), with its data attached."""
    from weasyprint import CSS, HTML, Attachment
    from weasyprint.urls import URLFetcher

    moment = dated(doc)
    files = attachments(doc)
    refuse = URLFetcher(allowed_protocols={"data"})  # the page refers to nothing outside itself
    options: dict[str, Any] = {
        "pdf_variant": VARIANT,
        "pdf_identifier": hashlib.sha256(files[0].data).hexdigest().encode(),
        "stylesheets": [CSS(string=print_css(), url_fetcher=refuse)],
        "attachments": [Attachment(string=f.data, name=f.name, description=f.description,
                                   relationship=f.relationship, created=moment, modified=moment)
                        for f in files],
    }
    with collected("weasyprint", logging.ERROR) as errors:
        rendered = HTML(string=unscripted(page), url_fetcher=refuse).render(**options)
        meta = rendered.metadata
        meta.title, meta.authors, meta.description = doc.title, [doc.header.entity], subject(doc)
        meta.generator = "perfledger"
        meta.lang = "it"
        meta.created = meta.modified = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        meta.attachments = []  # only ours: a <link rel=attachment> would point outside the page
        printed: bytes = rendered.write_pdf(**options)
    missing = [e for e in errors if not e.startswith(UNLINKED)]
    if len(missing) < len(errors):
        log.info("%d link(s) printed as text: their derivations are not printed", len(errors) - len(missing))
    if missing:
        raise click.ClickException("WeasyPrint could not print the page: " + "; ".join(missing))
    return printed


SCRIPT = re.compile(r"<script\b.*?</script\s*>", re.DOTALL | re.IGNORECASE)


def unscripted(page: str) -> str:
    """The page without its ``<script>`` elements, which print shows nothing of (WeasyPrint runs no
    script): the evidence's JSON is attached instead, and parsing it is most of the page's bytes. A
    script ends at the first ``</script`` (HTML's rule), which the page's JSON never holds: it writes
    ``<`` as ``\\u003c``."""
    return SCRIPT.sub("", page)


def attachments(doc: Document) -> list[Attached]:
    """The files the PDF carries: the figures first (the file identifier is their SHA-256)."""
    found = [
        Attached(FIGURES, figures_bytes(doc), "Data",
                 "Le cifre del documento: perfledger report --format json allo stesso taglio"),
        Attached("evidence.json", (to_json(doc.evidence_json()) + "\n").encode(), "Source",
                 "Gli eventi su cui poggiano le cifre, con i percorsi di verifica verso l'ancora"),
    ]
    if doc.anchor.kind == "checkpoint" and doc.anchor.note is not None:
        found.append(Attached("checkpoint.txt", doc.anchor.note.encode(), "Source",
                              f"Il checkpoint firmato {doc.anchor.size} di {doc.anchor.origin}"))
    return found


def figures_bytes(doc: Document) -> bytes:
    """``report --format json`` at the document's cut, as the CLI prints it (with its final newline)."""
    return (to_json(doc.figures_json) + "\n").encode()


def dated(doc: Document) -> datetime:
    """The PDF's date: the latest moment the document rests on, in UTC to the second. That is the last
    recording among the events its figures rest on and the closings and reopenings of the year it
    states, or the checkpoint's last cosignature if later."""
    moments = [datetime.fromisoformat(e.ref.recorded_at) for e in doc.evidence.values()]
    moments += [datetime.fromisoformat(s.cosigned_at) for s in doc.anchor.signers if s.cosigned_at]
    cycles = [] if doc.closing is None else [*doc.closing.earlier, doc.closing]
    moments += [moment for c in cycles for moment in (c.closed_at, *(r.recorded_at for r in c.reopened))]
    if not moments:
        raise click.ClickException("the document rests on no event: nothing to date the PDF by")
    latest = max(m.astimezone(UTC) for m in moments)
    return latest.replace(microsecond=0, tzinfo=None)  # WeasyPrint writes it with a Z


def subject(doc: Document) -> str:
    """``CCIAA Massa Carrara, anno 2012, al 31/12/2012: registro di 516 eventi, testa d2b72f535c69``."""
    h = doc.header
    as_of = "a qualsiasi data" if h.as_of is None else f"al {h.as_of.strftime('%d/%m/%Y')}"
    return f"{h.entity}, anno {h.year}, {as_of}: registro di {h.events} eventi, testa {h.head[:12]}"


def attached_figures(name: str, data: bytes) -> bytes:
    """The ``figures.json`` a published PDF carries (``verify --expect``): one clear error for a PDF
    that cannot be read, has none, or has two."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    with collected("pypdf", logging.WARNING) as problems:
        try:
            found = PdfReader(io.BytesIO(data)).attachments.get(FIGURES, [])
        except (PyPdfError, ValueError, KeyError) as e:
            why = "; ".join([*problems, str(e)])
            raise click.ClickException(f"{name}: not a PDF that can be read ({why})") from None
    if len(found) != 1:
        what = "no" if not found else f"{len(found)} files named"
        raise click.ClickException(f"{name}: a PDF with {what} {FIGURES} attached: not a document from"
                                   " perfledger publish --format pdf, whose figures it would compare")
    return found[0]


def print_css() -> str:
    return resources.files("cli.publish").joinpath("static/print.css").read_text(encoding="utf-8")


@contextmanager
def collected(logger: str, level: int) -> Iterator[list[str]]:
    """The messages ``logger`` (a library's) logs at ``level`` or above while the block runs, collected
    for the caller to name; the lesser ones go to this module's log (at INFO: none to a terminal)."""
    found: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= level:
                found.append(record.getMessage())
            else:
                log.info("%s: %s", logger, record.getMessage())

    library = logging.getLogger(logger)
    handler, propagate = Collect(logging.DEBUG), library.propagate
    library.addHandler(handler)
    library.propagate = False
    try:
        yield found
    finally:
        library.removeHandler(handler)
        library.propagate = propagate
