"""(being written) The html page of a Document."""

from __future__ import annotations

from cli.publish.model import Document


def page(doc: Document) -> str:
    raise NotImplementedError
