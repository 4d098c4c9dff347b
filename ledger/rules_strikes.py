"""The rules of strikes and their revocations: an objective or an indicator is struck once while a
strike is in force, a revocation names a strike in force and takes effect on or after it, and (tree
rules) no two strikes of one code are in force on the same day.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from events import IndicatorStruck, ObjectiveStruck, StrikeRevoked
from ledger.errors import DuplicateDefinition, StrikeNotInForce
from ledger.references import in_its_plan, under_tree_rules, year_of

if TYPE_CHECKING:
    from ledger.book import Book


def check_objective_struck_once(book: Book, fact: ObjectiveStruck, replacing: bool) -> None:
    """An objective is struck once while its strike is in force; again once that strike is revoked."""
    check_struck_once(book, fact, f"objective {fact.objective!r}", book.struck.get(fact.objective), replacing)


def check_indicator_struck_once(book: Book, fact: IndicatorStruck, replacing: bool) -> None:
    """An indicator that exists, struck within its plan, once while its strike is in force."""
    check_struck_once(book, fact, f"indicator {fact.indicator!r}", book.struck_indicators.get(fact.indicator),
                      replacing)


def check_struck_once(book: Book, fact: ObjectiveStruck | IndicatorStruck, what: str, held: str | None,
                      replacing: bool) -> None:
    """A strike within its plan of what is not struck (``held``: the strike in force, if any), before
    any revocation of it, and never while another strike of the same code holds."""
    in_its_plan(book, fact)
    if held is not None and not replacing:
        raise DuplicateDefinition(
            f"{what} is already struck (by {held!r}); to change that strike record an"
            " EventCorrected of it, to undo it a StrikeRevoked", event_id=fact.event_id)
    check_struck_before_its_revocation(book, fact, replacing)
    check_no_other_strike_holds_meanwhile(book, fact, fact.effective_date, revoked_on(book, fact.event_id))


def check_struck_before_its_revocation(book: Book, fact: ObjectiveStruck | IndicatorStruck,
                                       replacing: bool) -> None:
    """A corrected strike that was revoked still takes effect on or before its revocation."""
    revocation = book.fact(book.revoked.get(fact.event_id, "")) if replacing else None
    if revocation is not None and fact.effective_date > revocation.effective_date:
        raise StrikeNotInForce(
            f"strike {fact.event_id!r} was revoked by {revocation.event_id!r} effective"
            f" {revocation.effective_date}; it cannot take effect later, on {fact.effective_date}",
            event_id=fact.event_id,
        )


def check_strike_in_force_is_revoked(book: Book, fact: StrikeRevoked, replacing: bool) -> None:
    """A revocation names a strike in force, and takes effect on or after the strike does."""
    eid = fact.event_id
    in_its_plan(book, fact)  # the strike exists and is a strike (references.year_of)
    strike = book.fact(fact.strike)
    assert isinstance(strike, (ObjectiveStruck, IndicatorStruck))
    revoked = book.revoked.get(fact.strike)
    if revoked is not None and not replacing:
        raise StrikeNotInForce(f"strike {fact.strike!r} was already revoked by {revoked!r}", event_id=eid)
    if fact.effective_date < strike.effective_date:
        raise StrikeNotInForce(
            f"strike {fact.strike!r} takes effect on {strike.effective_date}: its revocation cannot take"
            f" effect before, on {fact.effective_date}; give effective_date {strike.effective_date} or"
            " later (on that day the strike never holds)",
            event_id=eid,
        )
    if replacing:  # a revocation moved later keeps its strike from holding with a later one
        check_no_other_strike_holds_meanwhile(book, strike, strike.effective_date, (fact.event_id,
                                              fact.effective_date), eid)


Held = tuple[str, date] | None  # a strike's revocation (its event id and effective date), or None


def revoked_on(book: Book, strike: str) -> Held:
    revocation = book.fact(book.revoked.get(strike, ""))
    return None if revocation is None else (revocation.event_id, revocation.effective_date)


def check_no_other_strike_holds_meanwhile(book: Book, strike: ObjectiveStruck | IndicatorStruck, start: date,
                                          end: Held, eid: str | None = None) -> None:
    """Tree rules: a strike holds its code from its effective date until the day its revocation takes
    effect (``end``; None: for good), and no other strike of that code holds on any of those days (a
    new strike, a strike's date or a revocation's moved by a correction)."""
    kind, code = strike_code(strike)
    if not under_tree_rules(book, year_of(book, strike)):
        return
    held = book.struck if isinstance(strike, ObjectiveStruck) else book.struck_indicators
    for other_id in {*book.revoked, held.get(code, "")} - {strike.event_id}:
        other = book.fact(other_id)
        if not isinstance(other, type(strike)) or strike_code(other)[1] != code:
            continue
        other_end = revoked_on(book, other_id)
        if (other_end is None or start < other_end[1]) and (end is None or other.effective_date < end[1]):
            raise StrikeNotInForce(
                f"strike {strike.event_id!r} would hold {kind} {code!r} from {start}{until(end)}, while"
                f" strike {other_id!r} holds it from {other.effective_date}{until(other_end)}: two strikes"
                f" of one {kind} would be in force at once", event_id=eid or strike.event_id)


def strike_code(strike: ObjectiveStruck | IndicatorStruck) -> tuple[str, str]:
    if isinstance(strike, ObjectiveStruck):
        return "objective", strike.objective
    return "indicator", strike.indicator


def until(end: Held) -> str:
    return " on" if end is None else f" until its revocation {end[0]!r} effective {end[1]}"
