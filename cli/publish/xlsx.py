"""(being written) The XLSX of a Document."""

from __future__ import annotations

from cli.publish.model import Document


def workbook(doc: Document) -> bytes:
    raise NotImplementedError
