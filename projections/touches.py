"""What each event touches: the objectives, indicators, budget items, reservations, areas and acts it
concerns, whether it names them itself or through what it names.

The relation is computed from the facts as a whole, in one pass in recording order:

- an event touches every subject its own fields name: ``objective``, ``parent`` and ``predecessor``
  name objectives, ``indicator``, ``uses`` and ``compared_with`` indicators, ``item`` a budget item,
  ``reservation`` a reservation, ``area`` an area;
- and what those belong to: an indicator its objective, an item its objective, a reservation its item
  (so its item's objective), an objective its area (``ObjectiveDefined`` version 2's ``area``). A
  reservation's approval names only the reservation, yet touches the item, the objective and the area;
- a correction (``EventCorrected``) touches what the event it corrects touches, and a strike's
  revocation (``StrikeRevoked``) what the strike touches, besides their own fields;
- every event touches the act that decided it (its ``act``; a ``YearClosed`` its ``validation`` too),
  and a correction its corrected event's act.

Descendants are not followed: the definition of a child objective touches its parent (it names it),
the child's indicators and items do not. Nor are the dependencies of figures: a measurement of an
indicator another one ``uses`` touches its own indicator and objective, not the other's (the other's
definition names both).

The ledger's rules make every reference point to a fact recorded before it (an item's objective, a
reservation's item, a corrected event), so one pass in recording order sees each owner first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from events import LedgerEvent
from events.fields import Act

# (kind, key): ("objective", "04"), ("indicator", "04.1"), ("item", "A1/04/01"), ("reservation", "r-1"),
# ("area", "AMM"), ("act", "Determina n. 12 del 05/07/2012").
Subject = tuple[str, str]

KINDS = ("objective", "indicator", "item", "reservation", "area")

# The fields that name a subject, in any event type, and the kind they name.
NAMING_FIELDS = {
    "objective": "objective", "parent": "objective", "predecessor": "objective",
    "indicator": "indicator", "uses": "indicator", "compared_with": "indicator",
    "item": "item", "reservation": "reservation", "area": "area",
}
# The fields that name another event, whose subjects the event touches too.
EVENT_FIELDS = ("corrects", "strike")
# What defines a subject, and the field of the definition that names its owner.
DEFINITIONS = {
    "ObjectiveDefined": ("objective", "area"),
    "IndicatorDefined": ("indicator", "objective"),
    "BudgetItemOpened": ("item", "objective"),
    "ReservationMade": ("reservation", "item"),
}


class Touches:
    """The fold: ``add`` each event in recording order and get back the subjects it touches."""

    def __init__(self) -> None:
        self._owner: dict[Subject, Subject] = {}
        self._of_event: dict[str, frozenset[Subject]] = {}
        # Many events touch the same subjects (every measurement of one indicator): keep one set of each.
        self._interned: dict[frozenset[Subject], frozenset[Subject]] = {}
        self.defined: set[Subject] = set()

    def add(self, event: LedgerEvent) -> frozenset[Subject]:
        """The subjects ``event`` touches, given the events added before it."""
        fields = vars(event)  # the fact's own fields and its envelope, by name
        self._learn(event.TYPE, fields)
        subjects: set[Subject] = set()
        for name, kind in NAMING_FIELDS.items():
            key = fields.get(name)
            if isinstance(key, str):
                self._with_owners((kind, key), subjects)
        for name in EVENT_FIELDS:
            other = fields.get(name)
            if isinstance(other, str):
                subjects.update(self._of_event.get(other, ()))
        for name in ("act", "validation"):
            act = fields.get(name)
            if isinstance(act, Act):
                subjects.add(("act", str(act)))
        frozen = frozenset(subjects)
        frozen = self._interned.setdefault(frozen, frozen)
        self._of_event[event.event_id] = frozen
        return frozen

    def keys(self, kind: str) -> set[str]:
        """The keys of the subjects of ``kind`` defined so far (an area: named by an objective)."""
        return {key for k, key in self.defined if k == kind}

    def _learn(self, type_name: str, fields: dict[str, Any]) -> None:
        definition = DEFINITIONS.get(type_name)
        if definition is None:
            return
        kind, owner_field = definition
        subject = (kind, fields[kind])
        self.defined.add(subject)
        owner = fields.get(owner_field)
        if isinstance(owner, str):
            owner_kind = NAMING_FIELDS[owner_field]
            self._owner[subject] = (owner_kind, owner)
            if owner_kind == "area":
                self.defined.add((owner_kind, owner))

    def _with_owners(self, subject: Subject, into: set[Subject]) -> None:
        while subject not in into:
            into.add(subject)
            owner = self._owner.get(subject)
            if owner is None:
                return
            subject = owner


def subjects_by_event(events: Iterable[LedgerEvent]) -> dict[str, frozenset[Subject]]:
    """Each event's id and the subjects it touches (events in recording order)."""
    touches = Touches()
    return {event.event_id: touches.add(event) for event in events}


def touching(events: Iterable[LedgerEvent], subject: Subject) -> set[str]:
    """The ids of the events touching ``subject``, e.g. ``("objective", "04")``."""
    return {event_id for event_id, subjects in subjects_by_event(events).items() if subject in subjects}


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def act_pattern(text: str) -> re.Pattern[str]:
    """The rule by which ``--act TEXT`` matches an act.

    An act reads ``KIND n. NUMBER del DD/MM/YYYY`` ("Determina n. 12 del 05/07/2012"). TEXT matches
    it when it occurs in it, ignoring case and spaces ("determina n.12" is "Determina n. 12"), with
    numbers matched whole: a match may not begin or end inside a number, so "Determina n. 12"
    matches "Determina n. 12 del 05/07/2012" but not "Determina n. 120 del ...", and "2012" matches
    every act of 2012 (or numbered 2012). A date in TEXT may be written YYYY-MM-DD too.
    """
    words = "".join(text.split())
    words = _ISO_DATE.sub(_italian_date, words)
    start = r"(?<!\d)" if words[:1].isdigit() else ""
    end = r"(?!\d)" if words[-1:].isdigit() else ""
    return re.compile(start + re.escape(words) + end, re.IGNORECASE)


def _italian_date(match: re.Match[str]) -> str:
    try:
        return date(*map(int, match.groups())).strftime("%d/%m/%Y")
    except ValueError:  # not a day: taken as written
        return match.group(0)


def act_matches(pattern: re.Pattern[str], subjects: frozenset[Subject]) -> bool:
    """Does one of the acts among ``subjects`` match ``pattern`` (``act_pattern``)?"""
    return any(kind == "act" and pattern.search("".join(key.split())) for kind, key in subjects)
