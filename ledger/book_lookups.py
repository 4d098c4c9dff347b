"""What a book restored from a snapshot looks up in the store: the ``Lookup`` it asks, and the
look-ups of ``Book`` (``LookupsMixin``) that remember what it found, or found lacking."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from events import EventCorrected, LedgerEvent, ReservationAdjusted, ReservationApproved, ReservationMade
from ledger.corrections import apply_changes
from ledger.state import ItemState, ReservationState

T = TypeVar("T")
RESERVATION_FACTS = (ReservationMade, ReservationApproved, ReservationAdjusted)
COLUMN = {ReservationMade: "reserved", ReservationApproved: "approved", ReservationAdjusted: "adjusted"}


class Lookup(Protocol):
    """The stored events a book restored from a snapshot asks for, as known at sequence number ``upto``."""

    def recorded(self, event_ids: Sequence[str], upto: int) -> dict[str, LedgerEvent]: ...

    def corrections(self, event_id: str, upto: int) -> list[EventCorrected]: ...

    def reservation_facts(self, reservation: str, upto: int) -> list[str]: ...

    def reservations_known(self, reservations: Sequence[str], upto: int) -> set[str]: ...


class LookupsMixin:
    """The look-ups of ``Book``: what it holds of an event, a fact or a reservation, else (for a
    restored book) what its ``lookup`` finds in the store, remembered."""

    lookup: Lookup | None
    known: int
    stored: int
    items: dict[str, ItemState]
    reservations: dict[str, ReservationState]
    facts: dict[str, LedgerEvent]
    recorded: dict[str, LedgerEvent]
    _no_reservation: set[str]
    _no_fact: set[str]
    _unrecorded: set[str]

    def recorded_event(self, event_id: str) -> LedgerEvent | None:
        """The event stored with this id, as recorded (None: none)."""
        return self._look_up(self.recorded, self._unrecorded, event_id, self._load_recorded)

    def fact(self, event_id: str) -> LedgerEvent | None:
        """The current (corrected) version of the fact with this id (None: none)."""
        return self._look_up(self.facts, self._no_fact, event_id, self._load_fact)

    def reservation(self, code: str) -> ReservationState | None:
        """The sums of the reservation of this code (None: none)."""
        return self._look_up(self.reservations, self._no_reservation, code, self._load_reservation)

    def _look_up(
        self, known: dict[str, T], absent: set[str], key: str, load: Callable[[str], T | None]
    ) -> T | None:
        """What ``known`` holds of ``key``, else (for a restored book) what ``load`` finds, remembered."""
        value = known.get(key)
        if value is not None or self.lookup is None or key in absent:
            return value
        value = load(key)
        if value is None:
            absent.add(key)
        else:
            known[key] = value
        return value

    def prefetch(self, event_ids: Sequence[str], reservations: Sequence[str] = ()) -> None:
        """Look up at once which of these ids are stored, and which of these reservations have
        facts stored (an import's page): a page's new ids and reservations then cost no query each."""
        if self.lookup is None:
            return
        wanted = [i for i in event_ids if i not in self.recorded and i not in self._unrecorded]
        found = self.lookup.recorded(wanted, self._upto) if wanted else {}
        for event_id in wanted:
            if event_id in found:
                self.recorded[event_id] = found[event_id]
            else:
                self._unrecorded.add(event_id)
        codes = list(dict.fromkeys(
            r for r in reservations if r not in self.reservations and r not in self._no_reservation
        ))
        known = self.lookup.reservations_known(codes, self._upto) if codes else set()
        self._no_reservation.update(code for code in codes if code not in known)

    def forget_events(self, lookup: Lookup, written: int) -> None:
        """Drop the events held so far and look them up from now on, through ``lookup``.

        Called by a writer once the events up to sequence number ``written`` (every event folded
        in) and their rows of the ``perfledger_ids`` index are written in its transaction, and
        ``lookup`` reads in that transaction: an import then holds no more than a page of events.
        The small state stays; what the store was found to lack is forgotten too (it may have
        been written since). Look-ups stay bounded by what was folded in (``_upto``).
        """
        assert written == self.known, "the events folded in are not all written"
        self.lookup = lookup
        self.stored = written  # ours: the writer holds the lock, and its write of them succeeded
        self.recorded.clear()
        self.facts.clear()
        self.reservations.clear()
        self._unrecorded.clear()
        self._no_fact.clear()
        self._no_reservation.clear()

    def held(self) -> int:
        """How many events (as recorded, or as corrected) the book holds in memory."""
        return max(len(self.recorded), len(self.facts))

    @property
    def _upto(self) -> int:
        return min(self.known, self.stored)

    def _load_recorded(self, event_id: str) -> LedgerEvent | None:
        assert self.lookup is not None
        found: LedgerEvent | None = self.lookup.recorded([event_id], self._upto).get(event_id)
        return found

    def _load_fact(self, event_id: str) -> LedgerEvent | None:
        """The current version of a stored fact: as recorded, with its corrections applied in order."""
        assert self.lookup is not None
        current = self.recorded_event(event_id)
        if current is not None:
            for correction in self.lookup.corrections(event_id, self._upto):
                current = apply_changes(current, correction.changes, correction.event_id)
        return current

    def _load_reservation(self, code: str) -> ReservationState | None:
        """A reservation's sums, folded from the current versions of its facts."""
        assert self.lookup is not None
        state: ReservationState | None = None
        event_ids = self.lookup.reservation_facts(code, self._upto)
        self.prefetch(event_ids)  # as recorded, in one query
        for event_id in event_ids:
            fact = self.fact(event_id)
            if fact is None:
                raise KeyError(event_id)
            if isinstance(fact, ReservationMade):
                day = max(fact.effective_date, self.items[fact.item].day)
                state = ReservationState(code, fact.item, day=day, origin=event_id)
            if state is not None and isinstance(fact, RESERVATION_FACTS):
                column = COLUMN[type(fact)]
                day = state.day_of(column, fact.effective_date, self.items[state.item].day)
                state.add(column, fact.amount, day)
        return state
