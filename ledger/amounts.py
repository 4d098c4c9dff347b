"""The ledger's money: the budget columns of an item, what is available, and euros as messages show them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal("0.00")
BASE = ("budget", "variations", "reserved", "approved", "adjusted")
COLUMNS = ("budget", "variations", "total", "reserved", "approved", "adjusted", "available")


def available(total: Decimal, reserved: Decimal, adjusted: Decimal) -> Decimal:
    """Disponibile = Totale - (Prenotato - Rettificato).

    Approvato plays no part: the unapproved part of a reservation stays
    locked. A positive rettifica releases reserved money back to availability.
    """
    return total - (reserved - adjusted)


def euro(amount: Decimal) -> str:
    """An amount as the ledger's messages show it (1.234,50): amounts are exact to the cent, no rounding."""
    return f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


@dataclass(frozen=True)
class Amounts:
    """The budget columns of an item or a subtotal, in euros; total and available are derived."""

    budget: Decimal = ZERO
    variations: Decimal = ZERO
    reserved: Decimal = ZERO
    approved: Decimal = ZERO
    adjusted: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.budget + self.variations

    @property
    def available(self) -> Decimal:
        return available(self.total, self.reserved, self.adjusted)

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(*(getattr(self, c) + getattr(other, c) for c in BASE))

    def plus(self, column: str, amount: Decimal) -> Amounts:
        """These amounts with ``amount`` added to one of the stored columns."""
        values = dict(self.__dict__)
        values[column] += amount
        return Amounts(**values)

    def get(self, column: str) -> Decimal:
        if column not in COLUMNS:
            raise KeyError(column)
        return getattr(self, column)  # type: ignore[no-any-return]
