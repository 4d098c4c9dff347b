"""The records the book keeps of budget items, actors and reservations, as their facts leave them."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from ledger.amounts import ZERO, Amounts

# How a column's change moves Disponibile = Totale - (Prenotato - Rettificato); Approvato plays no part.
AVAILABILITY_SIGN = {"budget": 1, "variations": 1, "reserved": -1, "adjusted": 1, "approved": 0}
# How a reservation's fact moves what is left of it to approve: Prenotato - Rettificato - Approvato.
LEFT_SIGN = {"reserved": 1, "adjusted": -1, "approved": -1}


class Breach(NamedTuple):
    """Days on which some changes would leave an item's availability below zero and lower than it was:
    the first stretch of them, from ``since`` to ``until`` (None: onwards); on ``since``, the availability
    ``before`` the changes and ``available`` after them."""

    since: date
    until: date | None
    before: Decimal
    available: Decimal


@dataclass
class Timeline:
    """An item's availability along the effective dates: how much Disponibile changes on each day it
    changes (``days`` sorted, ``changes`` beside them, none zero), and where it ends (``end``)."""

    days: list[date] = field(default_factory=list)
    changes: list[Decimal] = field(default_factory=list)
    end: Decimal = ZERO
    # As a snapshot keeps it (``rows``), until first used: a restore reads only the items it checks.
    stored: tuple[list[int], list[str]] | None = None

    def _ready(self) -> None:
        if self.stored is not None:
            ordinals, amounts = self.stored
            self.stored = None
            self.days = [date.fromordinal(day) for day in ordinals]
            self.changes = [Decimal(amount) for amount in amounts]
            self.end = sum(self.changes, ZERO)

    def add(self, day: date, amount: Decimal) -> None:
        """Disponibile changes by ``amount`` from ``day`` on (appending in date order costs O(1))."""
        if not amount:
            return
        self._ready()
        self.end += amount
        i = len(self.days) if not self.days or self.days[-1] < day else bisect_left(self.days, day)
        if i < len(self.days) and self.days[i] == day:
            self.changes[i] += amount
            if not self.changes[i]:
                del self.days[i], self.changes[i]
        else:
            self.days.insert(i, day)
            self.changes.insert(i, amount)

    def breach(self, candidate: Mapping[date, Decimal]) -> Breach | None:
        """Where adding ``candidate`` (a change on each of its days) would leave the availability below zero
        on a day and lower there than it is now; None if on no day.

        A walk back from the last day to the candidate's first: it costs the days the timeline changes
        on from then on (none beyond the candidate's for facts recorded in date order).
        """
        self._ready()
        moves = sorted((day, amount) for day, amount in candidate.items() if amount)
        if len(moves) == 1:
            return self.lowered(*moves[0])
        return self._walk(moves) if moves else None

    def lowered(self, day: date, amount: Decimal) -> Breach | None:
        """``breach`` of one change: O(1) for a fact recorded in date order (none of the item's later)."""
        if amount >= 0:
            return None  # nothing lowered
        self._ready()
        if self.days and self.days[-1] > day:
            return self._walk([(day, amount)])
        after = self.end + amount
        return Breach(day, None, self.end, after) if after < 0 else None

    def _walk(self, moves: list[tuple[date, Decimal]]) -> Breach | None:
        """``breach`` of changes sorted by day."""
        start = moves[0][0]
        later = bisect_left(self.days, start)
        days = sorted({*self.days[later:], *(day for day, _ in moves)}, reverse=True)
        own = dict(zip(self.days[later:], self.changes[later:], strict=True))
        added = dict(moves)
        before, after = self.end, self.end + sum(added.values(), ZERO)
        found: Breach | None = None
        recovers: date | None = None  # the day after the stretch being walked back through
        for day in days:  # the value on each day is the one after its changes
            if after < 0 and after < before:
                found = Breach(day, recovers, before, after)
            else:
                recovers = day - timedelta(days=1)
            before -= own.get(day, ZERO)
            after -= own.get(day, ZERO) + added.get(day, ZERO)
        return found

    def rows(self) -> tuple[list[int], list[str]]:
        """As a snapshot keeps it: the days (proleptic ordinals) and the changes (decimal strings), in date
        order; two flat lists, which cost a snapshot of a large ledger a tenth of [ISO day, amount] pairs."""
        if self.stored is not None:
            return self.stored
        return [day.toordinal() for day in self.days], [str(amount) for amount in self.changes]

    @classmethod
    def of(cls, ordinals: list[int], amounts: list[str]) -> Timeline:
        return cls(stored=(ordinals, amounts))


@dataclass
class ItemState:
    """Running sums of one budget item (prodotto), and its availability along the effective dates."""

    item: str
    year: int
    line: str | None  # None: not on a policy line
    objective: str
    amounts: Amounts = field(default_factory=Amounts)
    day: date = date.min  # the effective date of its opening: the item counts from then
    origin: str = ""  # the id of the event that opened it
    timeline: Timeline = field(default_factory=Timeline)

    def add(self, column: str, amount: Decimal, day: date) -> None:
        """``amount`` added to a column from ``day`` on (or from the item's opening, if later)."""
        self.amounts = self.amounts.plus(column, amount)
        sign = AVAILABILITY_SIGN[column]
        if sign:
            self.timeline.add(max(day, self.day), amount if sign > 0 else -amount)


@dataclass
class ActorState:
    name: str
    role: str
    public_key: str
    revoked: bool = False


@dataclass
class ReservationState:
    """A reservation's sums, and what is left of it to approve along the effective dates (``left``:
    Prenotato - Rettificato - Approvato, which the tree's rules keep at or above zero on every day)."""

    reservation: str
    item: str
    amount: Decimal = ZERO
    approved: Decimal = ZERO
    adjusted: Decimal = ZERO
    day: date = date.min  # from when it counts: its own effective date, or its item's if later
    origin: str = ""  # the id of the event that made it
    left: Timeline = field(default_factory=Timeline)

    @property
    def net(self) -> Decimal:
        """What stays reserved: Prenotato - Rettificato."""
        return self.amount - self.adjusted

    def day_of(self, column: str, effective: date, item_day: date) -> date:
        """The day a fact of this reservation counts from: its own, or its item's opening if later;
        an approval's or adjustment's, its reservation's day if later still."""
        return max(effective, item_day) if column == "reserved" else max(effective, self.day, item_day)

    def add(self, column: str, amount: Decimal, day: date) -> None:
        """``amount`` added to a column ("reserved", "adjusted", "approved") from ``day`` on."""
        if column == "reserved":
            self.amount += amount
        elif column == "adjusted":
            self.adjusted += amount
        else:
            self.approved += amount
        self.left.add(day, LEFT_SIGN[column] * amount)
