"""Facts of the budget: items, variations, reservations, approvals, adjustments.

All amounts are euros with two decimals (``Decimal``); signs are stated per field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, ClassVar

from events.base import LedgerEvent
from events.fields import Code, Money, Name, Optional, Text


class BudgetItemOpened(LedgerEvent):
    """A budget item (prodotto) under one objective of the tree (at any level) and, if it is part of
    the budget by policy lines, a line; with its initial budget (>= 0). Version 2 lets ``line`` be
    left out (an operational objective's own resources)."""

    class_version = 2
    earlier_versions: ClassVar[dict[int, tuple[str, ...]]] = {1: ("item", "line", "objective", "product",
                                                                  "amount")}
    KEYS = ("item", "line", "objective")
    item: Annotated[str, Code("item")]
    line: Annotated[str | None, Optional("line", Code("line"))]
    objective: Annotated[str, Code("objective")]
    product: Annotated[str, Name("product")]
    amount: Annotated[Decimal, Money("amount")]


class BudgetVaried(LedgerEvent):
    """A variation of an item's budget: positive adds, negative removes (Variazioni).

    Like every budget fact, it may not leave the item's availability below zero on any day from
    its effective date on, unless ``override_reason`` (version 2) says why."""

    class_version = 2
    earlier_versions: ClassVar[dict[int, tuple[str, ...]]] = {1: ("item", "amount")}
    KEYS = ("item",)
    item: Annotated[str, Code("item")]
    amount: Annotated[Decimal, Money("amount", signed=True)]
    override_reason: Annotated[str | None, Optional("override_reason", Text("override_reason"))]


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

    class_version = 2
    earlier_versions: ClassVar[dict[int, tuple[str, ...]]] = {1: ("reservation", "amount")}
    KEYS = ("reservation",)
    reservation: Annotated[str, Code("reservation")]
    amount: Annotated[Decimal, Money("amount", signed=True)]
    override_reason: Annotated[str | None, Optional("override_reason", Text("override_reason"))]
