"""The kit's Italian prose: counts with their nouns, and texts that quote the ledger.

A ``Text`` is a sentence in pieces (``Segment``): the kit's own words, the blanks the OIV fills in and,
marked ``quoted``, the texts the ledger holds (a name, a title, a reason), so that a page isolates each
of them (``<bdi>``) and a plain copy (``plain``) joins them as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    """A piece of a text: ``blank`` marks what the OIV fills in, ``quoted`` a text from the ledger."""

    text: str
    blank: bool = False
    quoted: bool = False


Text = tuple[Segment, ...]


def said(*pieces: str | Segment | Text) -> Text:
    """A text of these pieces in order: a ``str`` is the kit's own words, a Segment or Text as it is."""
    found: list[Segment] = []
    for piece in pieces:
        if isinstance(piece, str):
            found += [Segment(piece)] if piece else []
        elif isinstance(piece, Segment):
            found.append(piece)
        else:
            found += piece
    return tuple(found)


def quoted(text: object) -> Segment:
    """A text from the ledger, quoted as it is."""
    return Segment(str(text), quoted=True)


def blank(text: str) -> Segment:
    """A blank the OIV fills in (``[luogo]``)."""
    return Segment(text, blank=True)


def joined(texts: Iterable[Text], separator: str) -> Text:
    """Texts one after the other, ``separator`` between them."""
    found: list[Segment] = []
    for n, text in enumerate(texts):
        found += [Segment(separator), *text] if n else text
    return tuple(found)


def listed(texts: Iterable[object]) -> Text:
    """Texts from the ledger, each quoted: ``cdg, oiv``."""
    return joined(((quoted(text),) for text in texts), ", ")


def plain(text: Text) -> str:
    """The text as one string."""
    return "".join(s.text for s in text)


def counted(n: int, singular: str, plural: str) -> str:
    """``1 indicatore``, ``3 indicatori``, ``3.812 cifre``."""
    return f"{whole(n)} {singular if n == 1 else plural}"


def whole(n: int) -> str:
    """A count with Italian thousands: ``3.812``."""
    return f"{n:,}".replace(",", ".")
