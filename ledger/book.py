"""The ledger's rules: the state needed to check a new fact, and the checks.

``Book`` folds stored facts (``apply``) without re-checking them — history was
checked under the rules in force when it was written — and checks a candidate
fact (``check``) against the current state before it is appended. A failed
check raises a named ``RuleViolation`` carrying the ids involved.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import orjson

from events import (
    ActorRegistered,
    ActorRevoked,
    BudgetItemOpened,
    BudgetVaried,
    EventCorrected,
    HistoryMigrated,
    IndicatorDefined,
    IndicatorMeasured,
    LedgerEvent,
    LedgerOpened,
    ObjectiveChanged,
    ObjectiveDefined,
    ObjectiveStruck,
    PlanOpened,
    PolicyLineDefined,
    ReservationAdjusted,
    ReservationApproved,
    ReservationMade,
    Submission,
)
from events.errors import InvalidField, PerfledgerError
from ledger import proofs
from ledger.errors import (
    AdjustmentInvalid,
    ApprovalExceedsReservation,
    DuplicateDefinition,
    EffectiveDateOutsidePlan,
    IdConflict,
    InvalidCorrection,
    OverReservation,
    PlanParametersInvalid,
    SignatureRefused,
    UnknownReference,
    ValueDoesNotFitIndicator,
    VariationBelowReserved,
    WeightOutOfRange,
)

ZERO = Decimal("0.00")
# Objectives, indicators, items and reservations are keyed by their code across the ledger's years.
UNIQUE_CODES = " (codes are unique across the ledger's years: give another year's its own, e.g. 2013/01)"
HUNDRED = Decimal(100)
UNBOUNDED = 2**62
FIRST_ACTOR_SEQ = proofs.FIRST_ACTOR_SEQ


def available(total: Decimal, reserved: Decimal, adjusted: Decimal) -> Decimal:
    """Disponibile = Totale - (Prenotato - Rettificato).

    Approvato plays no part: the unapproved part of a reservation stays
    locked. A positive rettifica releases reserved money back to availability.
    """
    return total - (reserved - adjusted)


def euro(amount: Decimal) -> str:
    return f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


BASE = ("budget", "variations", "reserved", "approved", "adjusted")
COLUMNS = ("budget", "variations", "total", "reserved", "approved", "adjusted", "available")


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


@dataclass
class ItemState:
    """Running sums of one budget item (prodotto)."""

    item: str
    year: int
    line: str
    objective: str
    amounts: Amounts = Amounts()
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


def window(plan: PlanOpened) -> tuple[date, date]:
    """The effective dates a year's facts may carry: 1 January to 31 December plus the horizon."""
    return date(plan.year, 1, 1), date(plan.year, 12, 31) + timedelta(days=plan.horizon_days)


def apply_changes(original: LedgerEvent, changes: dict[str, Any], correction_id: str, *,
                  strict: bool = True) -> LedgerEvent:
    """The original fact with a correction's new field values (checked by the original's kinds).

    ``strict=False`` folds a stored correction: a value the kinds of this version refuse but an
    earlier version accepted (the rules of input have tightened) is taken as it was stored.
    """
    kinds = original.payload_kinds()
    typed: dict[str, Any] = {}
    for name, raw in changes.items():
        if name not in kinds:
            raise InvalidCorrection(
                f"{original.TYPE} {original.event_id!r} has no field {name!r} to correct",
                event_id=correction_id,
            )
        if name in original.KEYS:
            raise InvalidCorrection(
                f"field {name!r} identifies {original.TYPE} {original.event_id!r} and cannot be corrected;"
                " record a new fact instead",
                event_id=correction_id,
            )
        try:
            typed[name] = kinds[name].parse(raw, name)
        except InvalidField as e:
            if strict:
                raise InvalidCorrection(f"changes.{e.message}", event_id=correction_id) from None
            typed[name] = kinds[name].decode(raw, name)
    return dataclasses.replace(original, **typed)


@dataclass
class Derived:
    """Rows derived from the events after ``after``: the budget's read model and the id index.

    ``budget``: (seq, item, column, day, cents), one per change of an item's
    column, counted from ``day`` (the latest of the fact's, its reservation's
    and its item's effective dates: a fact counts as of a date only when what
    it refers to does). A correction gives two rows at its own sequence
    number: the original's amount taken back, the corrected one added.
    ``labels``: (seq, origin, kind, code, day, year, line, objective, title)
    for plans, lines, objectives and items, as defined or corrected; origin
    is the sequence number of the defining event. ``ids``: (event_id, seq,
    corrects, reservation) of every event: what a book restored from a
    snapshot looks events up by.
    """

    after: int
    budget: list[tuple[int, str, str, str, int]] = dataclasses.field(default_factory=list)
    labels: list[tuple[int, int, str, str, str, int, str, str, str]] = dataclasses.field(default_factory=list)
    ids: list[tuple[str, int, str | None, str | None]] = dataclasses.field(default_factory=list)

    def drain(self) -> tuple[list[Any], list[Any], list[Any]]:
        found = self.budget, self.labels, self.ids
        self.budget, self.labels, self.ids = [], [], []
        return found


class Lookup(Protocol):
    """The stored events a book restored from a snapshot asks for, as known at sequence number ``upto``."""

    def recorded(self, event_ids: Sequence[str], upto: int) -> dict[str, LedgerEvent]: ...

    def corrections(self, event_id: str, upto: int) -> list[EventCorrected]: ...

    def reservation_facts(self, reservation: str, upto: int) -> list[str]: ...


K = TypeVar("K")
V = TypeVar("V")


class Lazy(dict[K, V]):
    """A dict that asks ``load`` for a key it lacks (None: no such key) and remembers the answer.

    A book restored from a snapshot holds only what changed since; the rest
    of the events' state is looked up in the store when a check needs it.
    """

    def __init__(self, load: Callable[[K], V | None] | None = None):
        super().__init__()
        self.load = load
        self.absent: set[K] = set()

    def fetch(self, key: K) -> V | None:
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        if self.load is None or key in self.absent:
            return None
        value = self.load(key)
        if value is None:
            self.absent.add(key)
        else:
            dict.__setitem__(self, key, value)
        return value

    def __missing__(self, key: K) -> V:
        value = self.fetch(key)
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key: K, default: Any = None) -> Any:
        value = self.fetch(key)
        return default if value is None else value

    def __contains__(self, key: object) -> bool:
        return self.fetch(key) is not None  # type: ignore[arg-type]

    def setdefault(self, key: K, default: V) -> V:
        value = self.fetch(key)
        if value is None:
            self[key] = value = default
        return value

    def __setitem__(self, key: K, value: V) -> None:
        self.absent.discard(key)
        dict.__setitem__(self, key, value)


class Book:
    """What the ledger must know to check the next fact.

    Built by folding every event, it holds everything. Restored from a
    snapshot (``restore``), it holds the small state (plans, lines,
    objectives, indicators, items, actors) and looks up in the store, through
    ``lookup``, the events, corrections and reservations a check asks about.
    """

    def __init__(self, lookup: Lookup | None = None) -> None:
        self.lookup = lookup
        self.known = 0  # the sequence number of the last event folded in
        # Look-ups see the store as it was when the book was loaded: events after that are in memory,
        # and rows another writer commits meanwhile must not leak in (that writer wins the race instead).
        # While the book is loaded, each look-up is bounded by the event being folded in (``known``).
        self.stored = UNBOUNDED
        self.entity: str | None = None
        self.plans: dict[int, PlanOpened] = {}
        self.lines: dict[tuple[int, str], PolicyLineDefined] = {}
        self.objectives: dict[str, ObjectiveDefined] = {}
        self.struck: set[str] = set()
        self.indicators: dict[str, IndicatorDefined] = {}
        self.items: dict[str, ItemState] = {}
        self.reservations: Lazy[str, ReservationState] = Lazy(None if lookup is None else self._load_reservation)
        self.actors: dict[str, ActorState] = {}
        # The current (corrected) version of each fact, and each event as it was recorded.
        self.facts: Lazy[str, LedgerEvent] = Lazy(None if lookup is None else self._load_fact)
        self.recorded: Lazy[str, LedgerEvent] = Lazy(None if lookup is None else self._load_recorded)
        self.derived: Derived | None = None
        self.migrated: int | None = None  # events 1 to this were migrated (HistoryMigrated)
        self.passed_over: list[int] = []  # events folded in that could change nothing (see ``apply``)
        self._seq = 0
        # True only for a ledger being created by the batch now checked (Ledger.open): the one
        # batch in which a signed ledger's first controller may be registered.
        self.opening = False

    # -- idempotency -------------------------------------------------------
    def already_recorded(self, submission: Submission) -> bool:
        """True when the same event is already stored; IdConflict when the id holds other content."""
        event_id = submission.event_id
        stored = self.recorded.get(event_id)
        if stored is None:
            return False
        if stored.content_bytes != submission.content_bytes:
            raise IdConflict(
                "this id is already stored with different content; corrections need a new id"
                " and an EventCorrected event",
                event_id=event_id,
            )
        return True

    # -- folding stored facts ---------------------------------------------
    def apply(self, event: LedgerEvent) -> None:
        """Fold in a stored event, which the rules were checked against when it was written.

        An event written around the rules (by someone with the database in hand) may refer to what
        does not exist: it stays in the record but changes nothing it cannot, so that the ledger
        still opens, appends and reports; ``perfledger verify`` names it (``passed_over`` lists it).
        """
        self._seq = event.seq
        try:
            if isinstance(event, EventCorrected):
                self._apply_correction(event)
            else:
                self._effect(event, +1)
                self._label(event, event.seq)
        except (KeyError, PerfledgerError):
            self.passed_over.append(event.seq)
        corrects = event.corrects if isinstance(event, EventCorrected) else None
        original = self.facts.get(corrects) if corrects is not None else event
        self._id(event, corrects, getattr(original, "reservation", None))
        self.recorded[event.event_id] = event
        self.facts[event.event_id] = event
        self.known = event.seq

    def _apply_correction(self, event: EventCorrected) -> None:
        original = self.facts[event.corrects]
        corrected = apply_changes(original, event.changes, event.event_id, strict=False)
        self._effect(original, -1)
        try:
            self._effect(corrected, +1)
        except KeyError:
            self._effect(original, +1)  # the correction refers to nothing: the original stands
            raise
        self.facts[event.corrects] = corrected
        self._label(corrected, original.seq)

    def _id(self, event: LedgerEvent, corrects: str | None, reservation: str | None) -> None:
        if self.derived is not None and self._seq > self.derived.after:
            self.derived.ids.append((event.event_id, event.seq, corrects, reservation))

    # -- what a restored book looks up -------------------------------------
    def prefetch(self, event_ids: Sequence[str]) -> None:
        """Look up at once which of these ids are stored (an import's page)."""
        if self.lookup is None:
            return
        wanted = [i for i in event_ids if not dict.__contains__(self.recorded, i) and i not in self.recorded.absent]
        found = self.lookup.recorded(wanted, self._upto) if wanted else {}
        for event_id in wanted:
            if event_id in found:
                dict.__setitem__(self.recorded, event_id, found[event_id])
            else:
                self.recorded.absent.add(event_id)

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
        current: LedgerEvent | None = self.recorded.get(event_id)
        if current is not None:
            for correction in self.lookup.corrections(event_id, self._upto):
                current = apply_changes(current, correction.changes, correction.event_id)
        return current

    def _load_reservation(self, code: str) -> ReservationState | None:
        """A reservation's sums, folded from the current versions of its facts."""
        assert self.lookup is not None
        state: ReservationState | None = None
        for event_id in self.lookup.reservation_facts(code, self._upto):
            fact = self.facts[event_id]
            if isinstance(fact, ReservationMade):
                day = max(fact.effective_date, self.items[fact.item].day)
                state = ReservationState(code, fact.item, fact.amount, day=day)
            elif isinstance(fact, ReservationApproved) and state is not None:
                state.approved += fact.amount
            elif isinstance(fact, ReservationAdjusted) and state is not None:
                state.adjusted += fact.amount
        return state

    # -- snapshots ---------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The small state, as JSON-ready data: what ``restore`` needs besides the stored events."""
        definitions = (*self.plans.values(), *self.lines.values(), *self.objectives.values(), *self.indicators.values())
        return {
            "entity": self.entity,
            "known": self.known,
            "definitions": [orjson.loads(fact.canonical_bytes) for fact in definitions],
            "struck": sorted(self.struck),
            "items": [
                [i.item, i.year, i.line, i.objective, i.day.isoformat(), *(f"{getattr(i.amounts, c):f}" for c in BASE)]
                for i in self.items.values()
            ],
            "actors": [[a.name, a.role, a.public_key, a.revoked] for a in self.actors.values()],
            **({} if self.migrated is None else {"migrated": self.migrated}),
        }

    @classmethod
    def restore(cls, state: dict[str, Any], lookup: Lookup, decode: Callable[[dict[str, Any]], LedgerEvent]) -> Book:
        book = cls(lookup)
        book.entity = state["entity"]
        book.known = state["known"]
        for body in state["definitions"]:
            book._effect(decode(body), +1)
        book.struck = set(state["struck"])
        for item, year, line, objective, day, *sums in state["items"]:
            amounts = Amounts(*(Decimal(v) for v in sums))
            book.items[item] = ItemState(item, year, line, objective, amounts, date.fromisoformat(day))
        for name, role, key, revoked in state["actors"]:
            book.actors[name] = ActorState(name, role, key, revoked)
        book.migrated = state.get("migrated")
        return book

    def record_derived(self, after: int) -> None:
        """From now on, keep the derived rows (see ``Derived``) of the events after sequence number ``after``.

        Events already folded in (the ledger's opening, applied as the ledger is
        made) get their id rows now; they have no other derived rows.
        """
        self.derived = Derived(after)
        for event in dict.values(self.recorded):
            if event.seq > after:
                self.derived.ids.append((event.event_id, event.seq, None, None))

    def _label(self, fact: LedgerEvent, origin: int) -> None:
        """What the budget table shows of a plan, line, objective or item, as this event leaves it."""
        if self.derived is None or self._seq <= self.derived.after:
            return
        row: tuple[str, str, int, str, str, str] | None = None
        if isinstance(fact, PlanOpened):
            row = ("plan", str(fact.year), fact.year, "", "", "")
        elif isinstance(fact, PolicyLineDefined):
            row = ("line", fact.line, fact.year, "", "", fact.title)
        elif isinstance(fact, ObjectiveDefined):
            row = ("objective", fact.objective, fact.year, "", "", fact.title)
        elif isinstance(fact, BudgetItemOpened):
            item = self.items[fact.item]
            row = ("item", fact.item, item.year, fact.line, fact.objective, fact.product)
        if row is not None:
            kind, code, year, line, objective, title = row
            self.derived.labels.append(
                (self._seq, origin, kind, code, fact.effective_date.isoformat(), year, line, objective, title)
            )

    def _effect(self, fact: LedgerEvent, sign: int) -> None:
        """Add (sign +1) or take back (sign -1) a fact's contribution to the state."""
        if isinstance(fact, LedgerOpened):
            if self.entity is None:  # event 1; another LedgerOpened breaks a rule and names nothing
                self.entity = fact.entity
        elif isinstance(fact, ActorRegistered):
            self.actors[fact.name] = ActorState(fact.name, fact.role, fact.public_key)
        elif isinstance(fact, ActorRevoked):
            self.actors[fact.name].revoked = sign > 0
        elif isinstance(fact, HistoryMigrated):
            self.migrated = fact.upto if sign > 0 else None
        elif isinstance(fact, PlanOpened):
            self.plans[fact.year] = fact
        elif isinstance(fact, PolicyLineDefined):
            self.lines[fact.year, fact.line] = fact
        elif isinstance(fact, ObjectiveDefined):
            self.objectives[fact.objective] = fact
        elif isinstance(fact, IndicatorDefined):
            self.indicators[fact.indicator] = fact
        elif isinstance(fact, ObjectiveStruck):
            if sign > 0:
                self.struck.add(fact.objective)
        elif isinstance(fact, BudgetItemOpened):
            if fact.item not in self.items:
                year = self.objectives[fact.objective].year
                self.items[fact.item] = ItemState(fact.item, year, fact.line, fact.objective, day=fact.effective_date)
            self._add(self.items[fact.item], "budget", sign * fact.amount, fact.effective_date)
        elif isinstance(fact, BudgetVaried):
            self._add(self.items[fact.item], "variations", sign * fact.amount, fact.effective_date)
        elif isinstance(fact, ReservationMade):
            item = self.items[fact.item]
            res = self.reservations.setdefault(
                fact.reservation, ReservationState(fact.reservation, fact.item, day=max(fact.effective_date, item.day))
            )
            res.amount += sign * fact.amount
            self._add(item, "reserved", sign * fact.amount, fact.effective_date)
        elif isinstance(fact, ReservationApproved):
            res = self.reservations[fact.reservation]
            res.approved += sign * fact.amount
            self._add(self.items[res.item], "approved", sign * fact.amount, max(fact.effective_date, res.day))
        elif isinstance(fact, ReservationAdjusted):
            res = self.reservations[fact.reservation]
            res.adjusted += sign * fact.amount
            self._add(self.items[res.item], "adjusted", sign * fact.amount, max(fact.effective_date, res.day))

    def _add(self, item: ItemState, column: str, amount: Decimal, day: date) -> None:
        """Add to an item's column; its derived row counts from ``day``, or from the item's opening if later."""
        item.add(column, amount)
        if self.derived is not None and self._seq > self.derived.after:
            self.derived.budget.append((self._seq, item.item, column, max(day, item.day).isoformat(), int(amount * 100)))

    # -- checking a candidate ----------------------------------------------
    def check(self, fact: LedgerEvent) -> None:
        """Raise a RuleViolation if ``fact`` may not be appended now."""
        self.check_rules(fact, signature=True)

    def check_rules(self, fact: LedgerEvent, *, signature: bool = False) -> None:
        """The rules of ``check``; the signature's only if asked (verify checks signatures on the chain)."""
        try:
            if signature:
                self._check_signature(fact)
            if isinstance(fact, (ActorRegistered, ActorRevoked)):
                self._check_actor_fact(fact)
            elif isinstance(fact, HistoryMigrated):
                self._check_history_migrated(fact)
            elif isinstance(fact, LedgerOpened):
                raise DuplicateDefinition("the ledger is already open: LedgerOpened is event 1 only",
                                          event_id=fact.event_id)
            elif isinstance(fact, EventCorrected):
                self._check_correction(fact)
            else:
                self._check_fact(fact, replacing=False)
        except UnknownReference as e:
            raise e.located(event_id=fact.event_id) from None

    def _check_signature(self, fact: LedgerEvent) -> None:
        """In a signed ledger (one with registered actors), every event is signed by its actor's key."""
        eid = fact.event_id
        bootstrap = not self.actors and isinstance(fact, ActorRegistered)
        if not self.actors and not bootstrap:
            if fact.signature is not None:
                raise SignatureRefused(
                    "no actor is registered in this ledger, so no signature can be checked;"
                    " register the signers first (perfledger actor add)",
                    event_id=eid,
                )
            return
        if bootstrap:
            assert isinstance(fact, ActorRegistered)
            if not (self.opening and fact.seq == FIRST_ACTOR_SEQ):
                raise SignatureRefused(
                    "this ledger is unsigned, and stays so: a signed ledger's first controller is named"
                    " when the ledger is created (perfledger init --signed --controller NAME"
                    " --pubkey NAME.pub --key NAME.key)",
                    event_id=eid,
                )
            if fact.actor != fact.name or fact.role != "controller":
                raise SignatureRefused(
                    "the first actor of a signed ledger is a controller who registers themselves", event_id=eid
                )
            key = fact.public_key
        else:
            signer = self.actors.get(fact.actor)
            if signer is None:
                raise SignatureRefused(f"actor {fact.actor!r} is not registered in this signed ledger", event_id=eid)
            if signer.revoked:
                raise SignatureRefused(f"the key of actor {fact.actor!r} is revoked", event_id=eid)
            if signer.role != "controller":
                raise SignatureRefused(
                    f"actor {fact.actor!r} is a registered {signer.role}: only controllers append events", event_id=eid
                )
            key = signer.public_key
        if fact.signature is None:
            raise SignatureRefused("this ledger is signed: sign the event with your key (--key)", event_id=eid)
        if not proofs.signature_valid(key, fact.content_bytes, fact.signature):
            raise SignatureRefused(f"the signature does not match actor {fact.actor!r}'s key", event_id=eid)

    def _check_history_migrated(self, fact: HistoryMigrated) -> None:
        """A migration is declared once, right after the events it covers (all of them, from event 1)."""
        if self.migrated is not None:
            raise DuplicateDefinition(f"events 1 to {self.migrated} were already declared migrated",
                                      event_id=fact.event_id)
        if fact.upto != fact.seq - 1:
            raise InvalidCorrection(
                f"HistoryMigrated as event {fact.seq} must cover events 1 to {fact.seq - 1}, not to {fact.upto}",
                event_id=fact.event_id,
            )

    def _check_actor_fact(self, fact: ActorRegistered | ActorRevoked) -> None:
        current = self.actors.get(fact.name)
        if isinstance(fact, ActorRegistered):
            if current is not None and not current.revoked:
                raise DuplicateDefinition(f"actor {fact.name!r} is already registered", event_id=fact.event_id)
        elif current is None or current.revoked:
            raise UnknownReference(f"no registered key of actor {fact.name!r} to revoke", event_id=fact.event_id)

    def _check_correction(self, fact: EventCorrected) -> None:
        original = self.facts.get(fact.corrects)
        if original is None:
            raise UnknownReference(f"corrects unknown event {fact.corrects!r}", event_id=fact.event_id)
        if isinstance(original, (LedgerOpened, EventCorrected, ActorRegistered, ActorRevoked)):
            raise InvalidCorrection(
                f"{original.TYPE} {fact.corrects!r} cannot be corrected; correct the original fact",
                event_id=fact.event_id,
            )
        corrected = apply_changes(original, fact.changes, fact.event_id)
        self._check_window(fact, self._year_of(original))
        items, reservations = self._touched(original)
        before = {code: self.items[code].amounts.available for code in items}
        derived, self.derived = self.derived, None  # a trial: no derived rows
        self._effect(original, -1)
        try:
            self._check_fact(corrected, replacing=True)
            self._effect(corrected, +1)
            try:
                self._check_balances(corrected, items, reservations, before)
            finally:
                self._effect(corrected, -1)
        except (OverReservation, ApprovalExceedsReservation, AdjustmentInvalid, VariationBelowReserved) as e:
            raise type(e)(f"the correction would break a rule: {e.message}", event_id=fact.event_id) from None
        finally:
            self._effect(original, +1)
            self.derived = derived

    def _touched(self, fact: LedgerEvent) -> tuple[set[str], set[str]]:
        """The items and reservations whose sums a budget fact feeds."""
        if isinstance(fact, (BudgetItemOpened, BudgetVaried)):
            return {fact.item}, set()
        if isinstance(fact, ReservationMade):
            return {fact.item}, {fact.reservation}
        if isinstance(fact, (ReservationApproved, ReservationAdjusted)):
            return {self.reservations[fact.reservation].item}, {fact.reservation}
        return set(), set()

    def _check_balances(self, fact: LedgerEvent, items: set[str], reservations: set[str], before: dict[str, Decimal]) -> None:
        """After a corrected fact: approvals within reservations, and no availability lost below zero."""
        for code in reservations:
            res = self.reservations[code]
            if res.approved > res.net:
                raise ApprovalExceedsReservation(
                    f"reservation {code!r} would hold {euro(res.net)} with {euro(res.approved)} already approved"
                )
        override = isinstance(fact, ReservationMade) and fact.override_reason is not None
        for code in items:
            now = self.items[code].amounts.available
            if now < 0 and now < before[code] and not override:
                raise OverReservation(f"item {code!r} would have {euro(now)} available")

    def _check_fact(self, fact: LedgerEvent, *, replacing: bool) -> None:
        eid = fact.event_id
        if isinstance(fact, PlanOpened):
            if fact.year in self.plans and not replacing:
                raise DuplicateDefinition(f"the plan of {fact.year} is already open", event_id=eid)
            self._check_window(fact, fact.year, plan=fact)
            for name in ("band_achieved", "band_partly"):
                self._check_percent(getattr(fact, name), name, eid)
            if fact.band_partly > fact.band_achieved:
                raise PlanParametersInvalid(
                    f"band_partly {fact.band_partly} is above band_achieved {fact.band_achieved}", event_id=eid
                )
            if not 0 <= fact.deadline_penalty <= 1:
                raise PlanParametersInvalid(
                    f"deadline_penalty {fact.deadline_penalty} must lie between 0 and 1 (0.02 = 2% a day)",
                    event_id=eid,
                )
            return
        year = self._year_of(fact)
        self._check_window(fact, year)
        if isinstance(fact, PolicyLineDefined):
            if (year, fact.line) in self.lines and not replacing:
                raise DuplicateDefinition(f"policy line {fact.line!r} of {year} already exists", event_id=eid)
        elif isinstance(fact, ObjectiveDefined):
            if fact.objective in self.objectives and not replacing:
                raise DuplicateDefinition(
                    f"objective {fact.objective!r} already exists{UNIQUE_CODES}", event_id=eid
                )
            if fact.parent is not None:
                self._objective(fact.parent, eid, year)
            if fact.line is not None:
                self._line(year, fact.line, eid)
        elif isinstance(fact, IndicatorDefined):
            if fact.indicator in self.indicators and not replacing:
                raise DuplicateDefinition(
                    f"indicator {fact.indicator!r} already exists{UNIQUE_CODES}", event_id=eid
                )
            self._check_percent(fact.weight, "weight", eid)
            self._check_value_kind(fact.direction, fact.target, "target", fact.indicator, eid)
        elif isinstance(fact, ObjectiveChanged):
            if fact.indicator is not None:
                indicator = self._indicator(fact.indicator, eid)
                if indicator.objective != fact.objective:
                    raise UnknownReference(
                        f"indicator {fact.indicator!r} belongs to objective {indicator.objective!r},"
                        f" not {fact.objective!r}",
                        event_id=eid,
                    )
                if fact.weight is not None:
                    self._check_percent(fact.weight, "weight", eid)
                if fact.target is not None:
                    self._check_value_kind(indicator.direction, fact.target, "target", fact.indicator, eid)
            elif fact.weight is not None or fact.target is not None:
                raise UnknownReference("a change of weight or target must name its indicator", event_id=eid)
        elif isinstance(fact, ObjectiveStruck):
            if fact.objective in self.struck and not replacing:
                raise DuplicateDefinition(f"objective {fact.objective!r} is already struck", event_id=eid)
        elif isinstance(fact, BudgetItemOpened):
            if fact.item in self.items and not replacing:
                raise DuplicateDefinition(f"budget item {fact.item!r} already exists{UNIQUE_CODES}", event_id=eid)
            self._line(year, fact.line, eid)
            planned = self.objectives[fact.objective].line
            if planned is not None and planned != fact.line:
                raise UnknownReference(
                    f"objective {fact.objective!r} belongs to policy line {planned!r}, not {fact.line!r}",
                    event_id=eid,
                )
        elif isinstance(fact, BudgetVaried):
            item = self.items[fact.item].amounts
            if item.available + fact.amount < 0:
                raise VariationBelowReserved(
                    f"item {fact.item!r}: a variation of {euro(fact.amount)} would leave"
                    f" {euro(item.available + fact.amount)} available (total {euro(item.total)},"
                    f" net reserved {euro(item.reserved - item.adjusted)})",
                    event_id=eid,
                )
        elif isinstance(fact, ReservationMade):
            if fact.reservation in self.reservations and not replacing:
                raise DuplicateDefinition(f"reservation {fact.reservation!r} already exists", event_id=eid)
            item = self.items[fact.item].amounts
            if fact.amount > item.available and fact.override_reason is None:
                raise OverReservation(
                    f"item {fact.item!r} has {euro(item.available)} available; cannot reserve"
                    f" {euro(fact.amount)} (give override_reason to reserve beyond availability)",
                    event_id=eid,
                )
        elif isinstance(fact, ReservationApproved):
            res = self.reservations[fact.reservation]
            left = res.net - res.approved
            if fact.amount > left:
                raise ApprovalExceedsReservation(
                    f"reservation {fact.reservation!r} has {euro(left)} left to approve"
                    f" (reserved {euro(res.amount)}, adjusted {euro(res.adjusted)},"
                    f" approved {euro(res.approved)}); cannot approve {euro(fact.amount)}",
                    event_id=eid,
                )
        elif isinstance(fact, ReservationAdjusted):
            res = self.reservations[fact.reservation]
            net = res.net - fact.amount
            if net < res.approved:
                raise AdjustmentInvalid(
                    f"reservation {fact.reservation!r}: releasing {euro(fact.amount)} would leave"
                    f" {euro(net)} reserved, below the {euro(res.approved)} approved",
                    event_id=eid,
                )
            item = self.items[res.item].amounts
            if fact.amount < 0 and -fact.amount > item.available:
                raise OverReservation(
                    f"item {res.item!r} has {euro(item.available)} available; an adjustment"
                    f" cannot reserve {euro(-fact.amount)} more",
                    event_id=eid,
                )
        elif isinstance(fact, IndicatorMeasured):
            indicator = self.indicators[fact.indicator]
            if indicator.source != "measured":
                raise ValueDoesNotFitIndicator(
                    f"indicator {fact.indicator!r} is {indicator.source}: the ledger computes it,"
                    " it is not measured",
                    event_id=eid,
                )
            self._check_value_kind(indicator.direction, fact.value, "value", fact.indicator, eid)
            low, high = window(self.plans[year])
            if not low <= fact.period_end <= high:
                raise EffectiveDateOutsidePlan(
                    f"period_end {fact.period_end} is outside the plan of {year} ({low} to {high})",
                    event_id=eid,
                )

    # -- helpers -----------------------------------------------------------
    def _year_of(self, fact: LedgerEvent) -> int:
        """The plan year a fact belongs to, found through its references (which must exist)."""
        eid = fact.event_id
        if isinstance(fact, (PlanOpened, PolicyLineDefined, ObjectiveDefined)):
            return fact.year
        if isinstance(fact, (IndicatorDefined, ObjectiveChanged, ObjectiveStruck, BudgetItemOpened)):
            return self._objective(fact.objective, eid).year
        if isinstance(fact, (BudgetVaried, ReservationMade)):
            return self._item(fact.item, eid).year
        if isinstance(fact, (ReservationApproved, ReservationAdjusted)):
            res = self.reservations.get(fact.reservation)
            if res is None:
                raise UnknownReference(f"unknown reservation {fact.reservation!r}", event_id=eid)
            return self.items[res.item].year
        if isinstance(fact, IndicatorMeasured):
            return self._objective(self._indicator(fact.indicator, eid).objective, eid).year
        raise UnknownReference(f"{fact.TYPE} belongs to no plan year", event_id=eid)

    def _check_window(self, fact: LedgerEvent, year: int, plan: PlanOpened | None = None) -> None:
        plan = plan or self.plans.get(year)
        if plan is None:
            raise UnknownReference(f"no plan is open for {year}; record PlanOpened first", event_id=fact.event_id)
        low, high = window(plan)
        if not low <= fact.effective_date <= high:
            raise EffectiveDateOutsidePlan(
                f"effective_date {fact.effective_date} is outside the plan of {year}"
                f" ({low} to {high}; the plan's horizon_days is {plan.horizon_days})",
                event_id=fact.event_id,
            )

    def _objective(self, code: str, eid: str, year: int | None = None) -> ObjectiveDefined:
        objective = self.objectives.get(code)
        if objective is None or (year is not None and objective.year != year):
            raise UnknownReference(f"unknown objective {code!r}", event_id=eid)
        return objective

    def _line(self, year: int, code: str, eid: str) -> None:
        if (year, code) not in self.lines:
            raise UnknownReference(f"unknown policy line {code!r} in the plan of {year}", event_id=eid)

    def _item(self, code: str, eid: str) -> ItemState:
        item = self.items.get(code)
        if item is None:
            raise UnknownReference(f"unknown budget item {code!r}", event_id=eid)
        return item

    def _indicator(self, code: str, eid: str) -> IndicatorDefined:
        indicator = self.indicators.get(code)
        if indicator is None:
            raise UnknownReference(f"unknown indicator {code!r}", event_id=eid)
        return indicator

    @staticmethod
    def _check_percent(value: Decimal, name: str, eid: str) -> None:
        if not 0 <= value <= HUNDRED:
            raise WeightOutOfRange(f"{name} {value} is outside 0-100 (%)", event_id=eid)

    @staticmethod
    def _check_value_kind(direction: str, value: str, name: str, indicator: str, eid: str) -> None:
        if value == "ND":
            return
        is_date = "-" in value[1:]
        if (direction == "deadline") != is_date:
            wanted = "a date (YYYY-MM-DD)" if direction == "deadline" else "a decimal number"
            raise ValueDoesNotFitIndicator(
                f"{name} {value!r} does not fit {direction} indicator {indicator!r}: expected {wanted} or ND",
                event_id=eid,
            )
