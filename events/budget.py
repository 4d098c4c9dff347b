"""Facts of the budget: items, variations, reservations, approvals, adjustments.

All amounts are euros with two decimals (``Decimal``); signs are stated per field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from events.base import LedgerEvent
from events.fields import Code, Money, Name, Optional, Text


class BudgetItemOpened(LedgerEvent):
    """A budget item (prodotto) under a line and an objective, with its initial budget (>= 0)."""

    KEYS = ("item", "line", "objective")
    item: Annotated[str, Code("item")]
    line: Annotated[str, Code("line")]
    objective: Annotated[str, Code("objective")]
    product: Annotated[str, Name("product")]
    amount: Annotated[Decimal, Money("amount")]


class BudgetVaried(LedgerEvent):
    """A variation of an item's budget: positive adds, negative removes (Variazioni)."""

    KEYS = ("item",)
    item: Annotated[str, Code("item")]
    amount: Annotated[Decimal, Money("amount", signed=True)]


class ReservationMade(LedgerEvent):
    """An amount was reserved (prenotato) on an item (>= 0).

    It may not exceed the item's availability unless ``override_reason`` says why.
    """

    KEYS = ("reservation", "item")
    reservation: Annotated[str, Code("reservation")]
    item: Annotated[str, Code("item")]
    amount: Annotated[Decimal, Money("amount")]
    override_reason: Annotated[str | None, Optional("override_reason", Text("override_reason"))]


class ReservationApproved(LedgerEvent):
    """Part or all of a reservation was approved (approvato, >= 0); never beyond the reservation."""

    KEYS = ("reservation",)
    reservation: Annotated[str, Code("reservation")]
    amount: Annotated[Decimal, Money("amount")]


class ReservationAdjusted(LedgerEvent):
    """A reservation was adjusted (rettificato): a positive amount releases reserved money.

    Disponibile = Totale - (Prenotato - Rettificato); a negative adjustment
    reserves more. The net reservation (Prenotato - Rettificato) of a
    reservation never drops below what was approved, nor below zero.
    """

    KEYS = ("reservation",)
    reservation: Annotated[str, Code("reservation")]
    amount: Annotated[Decimal, Money("amount", signed=True)]
