"""(being written) The PDF/A-3b of a Document, printed from its HTML page."""

from __future__ import annotations

from cli.publish.model import Document


def pdf(doc: Document, page: str) -> bytes:
    raise NotImplementedError
