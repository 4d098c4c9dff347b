"""The kit's Italian prose: counts with their nouns, in Italian digits."""

from __future__ import annotations


def counted(n: int, singular: str, plural: str) -> str:
    """``1 indicatore``, ``3 indicatori``, ``3.812 cifre``."""
    return f"{whole(n)} {singular if n == 1 else plural}"


def whole(n: int) -> str:
    """A count with Italian thousands: ``3.812``."""
    return f"{n:,}".replace(",", ".")
