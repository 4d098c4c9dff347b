"""What the rules of several facts check alike: codes unique across the years, percentages (weights and
bands), and an indicator's values and targets (their kind, a target its rule is defined for, percentages
as fractions).
"""

from __future__ import annotations

from collections.abc import Container
from decimal import Decimal

from events import IndicatorDefined
from ledger.errors import DuplicateDefinition, ValueDoesNotFitIndicator, WeightOutOfRange

# Objectives, indicators, items and reservations are keyed by their code across the ledger's years.
UNIQUE_CODES = " (codes are unique across the ledger's years: give another year's its own, e.g. 2013/01)"


def check_code_is_new(kind: str, code: str, known: Container[str], replacing: bool, event_id: str) -> None:
    """A definition's code (an objective's, an indicator's, an item's) not used yet, in any year, unless
    the definition replaces its own earlier version (a correction's trial)."""
    if code in known and not replacing:
        raise DuplicateDefinition(f"{kind} {code!r} already exists{UNIQUE_CODES}", event_id=event_id)


HUNDRED = Decimal(100)
PERCENT_BOUND = Decimal(10)  # a % value or target is a fraction of magnitude up to 10 (1000%)


def check_percent(value: Decimal, name: str, eid: str) -> None:
    if not 0 <= value <= HUNDRED:
        raise WeightOutOfRange(f"{name} {value} is outside 0-100 (%)", event_id=eid)


def check_scorable(definition: IndicatorDefined, value: str, name: str, eid: str) -> None:
    """Tree rules: a target its direction's rule is defined for, and a percentage as a fraction.

    ``higher`` and ``lower`` divide by |t|; for a target of 0 ``at_least`` or ``at_most`` fits.
    An indicator of unit ``%`` holds fractions (0.65 for 65%, as the seed's and Excel's percent
    cells). A percentage may pass 100% (the seed's ISR 8.4 prints 105% of surveys done against 100%:
    1.05), so the bound is 1000%: a value or target of magnitude above 10 is refused, which catches
    65 written for 65%; a quantity that may exceed 1000% is a ``ratio``.
    """
    if value == "ND" or definition.direction == "deadline":
        return
    number, code, direction = Decimal(value), definition.indicator, definition.direction
    if name == "target" and number == 0 and direction in ("higher", "lower"):
        fits, rule = ("at_least", ">=") if direction == "higher" else ("at_most", "<=")
        raise ValueDoesNotFitIndicator(
            f"target {value} of {direction} indicator {code!r}: {direction} is better divides by |t|, which"
            f" is undefined for a target of 0; use {fits} (100% if v {rule} t, else 0%)",
            event_id=eid,
        )
    if definition.unit == "%" and not -PERCENT_BOUND <= number <= PERCENT_BOUND:
        raise ValueDoesNotFitIndicator(
            f"{name} {value} of indicator {code!r} (unit %) is outside -10..10: percentages are fractions:"
            f" write {number / 100} for {number}%; for a quantity that may exceed 1000% use unit ratio",
            event_id=eid,
        )


def check_value_kind(direction: str, value: str, name: str, indicator: str, eid: str) -> None:
    """A deadline indicator's value is a date, any other's a number; ND (not available) fits all."""
    if value == "ND":
        return
    is_date = "-" in value[1:]
    if (direction == "deadline") != is_date:
        wanted = "a date (YYYY-MM-DD)" if direction == "deadline" else "a decimal number"
        raise ValueDoesNotFitIndicator(
            f"{name} {value!r} does not fit {direction} indicator {indicator!r}: expected {wanted} or ND",
            event_id=eid,
        )
