"""The rules of indicators: defined once, their weight a percentage and their target of their kind; a
reference or a year ratio uses indicators that fit it (year, kind, unit); a correction keeps the unit;
an objective's change of weight or target names one of its indicators and fits it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from events import IndicatorDefined, ObjectiveChanged
from ledger.errors import (
    InvalidCorrection,
    NotInTheTree,
    UnknownReference,
    ValueDoesNotFitIndicator,
)
from ledger.references import in_its_plan, indicator, under_tree_rules
from ledger.rules_values import check_code_is_new, check_percent, check_scorable, check_value_kind

if TYPE_CHECKING:
    from ledger.book import Book


def check_indicator_is_new_and_fits(book: Book, fact: IndicatorDefined, replacing: bool) -> None:
    """A new indicator, its weight a percentage, its target of its direction's kind (tree rules: one its
    rule is defined for, a percentage as a fraction)."""
    eid = fact.event_id
    year = in_its_plan(book, fact)
    check_code_is_new("indicator", fact.indicator, book.indicators, replacing, eid)
    check_percent(fact.weight, "weight", eid)
    check_value_kind(fact.direction, fact.target, "target", fact.indicator, eid)
    if under_tree_rules(book, year):
        check_scorable(fact, fact.target, "target", eid)
        check_indicator_reuses_fit(book, fact, year)
        if replacing:
            check_unit_is_kept(book, fact)


def check_unit_is_kept(book: Book, fact: IndicatorDefined) -> None:
    """A correction keeps an indicator's unit: its target, its measurements and the references that use
    it were checked against that unit, and would mean something else in another one."""
    held = book.indicators.get(fact.indicator)
    if held is not None and held.unit != fact.unit:
        raise InvalidCorrection(f"indicator {fact.indicator!r} is in {held.unit!r}: its unit is not corrected"
                                f" to {fact.unit!r}, since its values and targets were checked against it;"
                                " strike it and define a new indicator in the new unit",
                                event_id=fact.event_id)


def check_indicator_reuses_fit(book: Book, fact: IndicatorDefined, year: int) -> None:
    """A ``reference`` uses an indicator of its own year that is no reference itself, of its kind
    (a date or a number) and of its unit (it takes that indicator's value as it is); a
    ``derived:year_ratio`` divides a measured quantity of its year (``uses``) by a measured quantity
    of the year before (``compared_with``); no other source names either."""
    eid, code = fact.event_id, fact.indicator
    if fact.source == "reference":
        if fact.uses is None:
            raise NotInTheTree(f"a reference indicator names the indicator it uses (uses); {code!r} names"
                               " none",
                               event_id=eid)
        if fact.compared_with is not None:
            raise NotInTheTree("only a derived:year_ratio indicator is compared_with another", event_id=eid)
        used = indicator(book, fact.uses, eid)
        if used.indicator == code:
            raise NotInTheTree(f"indicator {code!r} cannot use itself", event_id=eid)
        if used.source == "reference":
            raise NotInTheTree(f"indicator {used.indicator!r} is itself a reference (to {used.uses!r}):"
                               f" use {used.uses!r}", event_id=eid)
        used_year = book.objectives[used.objective].year
        if used_year != year:
            raise NotInTheTree(f"{code!r} uses indicator {used.indicator!r} of {used_year}: a reference uses"
                               f" an indicator of its own year, {year}", event_id=eid)
        if (used.direction == "deadline") != (fact.direction == "deadline"):
            raise ValueDoesNotFitIndicator(
                f"{code!r} is {fact.direction} but {used.indicator!r} is a {used.direction} indicator: a"
                " reference takes the value of the indicator it uses, a date for a deadline, else a number",
                event_id=eid,
            )
        if used.unit != fact.unit:
            raise ValueDoesNotFitIndicator(
                f"{code!r} is in {fact.unit!r} but {used.indicator!r}, which it uses, is in {used.unit!r}: a"
                f" reference has the unit of the indicator it uses (unit {used.unit!r})", event_id=eid)
    elif fact.source == "derived:year_ratio":
        if fact.uses is None or fact.compared_with is None:
            raise NotInTheTree(f"the year ratio {code!r} names both uses (the quantity of {year}) and"
                               f" compared_with (the same of {year - 1})", event_id=eid)
        for name, wanted in (("uses", year), ("compared_with", year - 1)):
            found = indicator(book, getattr(fact, name), eid)
            if found.source != "measured" or found.direction == "deadline":
                kind = found.source if found.source != "measured" else "a deadline"
                raise ValueDoesNotFitIndicator(f"{name} {found.indicator!r} is {kind}: a year ratio divides"
                                               " two measured quantities", event_id=eid)
            found_year = book.objectives[found.objective].year
            if found_year != wanted and name == "uses":
                raise NotInTheTree(f"uses {found.indicator!r} is of {found_year}: the ratio of {year} divides"
                                   f" a quantity of {year}", event_id=eid)
            if found_year != wanted:
                raise NotInTheTree(f"compared_with {found.indicator!r} is of {found_year}, not of {wanted},"
                                   f" the year before {fact.uses!r}'s", event_id=eid)
        if fact.direction == "deadline":
            raise ValueDoesNotFitIndicator(f"the year ratio {code!r} is a number, not a deadline",
                                           event_id=eid)
    elif fact.uses is not None or fact.compared_with is not None:
        raise NotInTheTree("only a reference or a derived:year_ratio indicator names uses or compared_with;"
                           f" {code!r} is {fact.source}", event_id=eid)


def check_change_fits_the_objectives_indicator(book: Book, fact: ObjectiveChanged, replacing: bool) -> None:
    """A new weight or target names an indicator of the objective, and fits it."""
    eid = fact.event_id
    year = in_its_plan(book, fact)
    if fact.indicator is None:
        if fact.weight is not None or fact.target is not None:
            raise UnknownReference("a change of weight or target must name its indicator", event_id=eid)
        return
    found = indicator(book, fact.indicator, eid)
    if found.objective != fact.objective:
        raise UnknownReference(
            f"indicator {fact.indicator!r} belongs to objective {found.objective!r}, not {fact.objective!r}",
            event_id=eid,
        )
    if fact.weight is not None:
        check_percent(fact.weight, "weight", eid)
    if fact.target is not None:
        check_value_kind(found.direction, fact.target, "target", fact.indicator, eid)
        if under_tree_rules(book, year):
            check_scorable(found, fact.target, "target", eid)
