"""The records the book keeps of budget items, actors and reservations, as their facts leave them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ledger.amounts import ZERO, Amounts


@dataclass
class ItemState:
    """Running sums of one budget item (prodotto)."""

    item: str
    year: int
    line: str | None  # None: not on a policy line
    objective: str
    amounts: Amounts = field(default_factory=Amounts)
    day: date = date.min  # the effective date of its opening: the item counts from then

    def add(self, column: str, amount: Decimal) -> None:
        self.amounts = self.amounts.plus(column, amount)


@dataclass
class ActorState:
    name: str
    role: str
    public_key: str
    revoked: bool = False


@dataclass
class ReservationState:
    reservation: str
    item: str
    amount: Decimal = ZERO
    approved: Decimal = ZERO
    adjusted: Decimal = ZERO
    day: date = date.min  # from when it counts: its own effective date, or its item's if later

    @property
    def net(self) -> Decimal:
        """What stays reserved: Prenotato - Rettificato."""
        return self.amount - self.adjusted
