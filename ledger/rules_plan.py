"""The rules of a plan and its tree: its parameters (bands, deadline penalty), its horizon and its
levels; policy lines defined once a year; objectives defined once, placed on a level of the tree under
a parent on a level above, on their parent's policy line, naming their area or owner and an earlier
year's predecessor.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from events import ObjectiveDefined, PlanOpened, PolicyLineDefined
from ledger.errors import DuplicateDefinition, NotInTheTree, PlanParametersInvalid
from ledger.references import check_within_the_plan, in_its_plan, line, objective, tree_plan, under_tree_rules
from ledger.rules_values import check_code_is_new, check_percent

if TYPE_CHECKING:
    from ledger.book import Book


def check_plan_parameters(book: Book, fact: PlanOpened, replacing: bool) -> None:
    eid = fact.event_id
    if fact.year in book.plans and not replacing:
        raise DuplicateDefinition(f"the plan of {fact.year} is already open", event_id=eid)
    check_within_the_plan(book, fact, fact.year, plan=fact)
    for name in ("band_achieved", "band_partly"):
        check_percent(getattr(fact, name), name, eid)
    if fact.band_partly > fact.band_achieved:
        raise PlanParametersInvalid(
            f"band_partly {fact.band_partly} is above band_achieved {fact.band_achieved}", event_id=eid
        )
    if not 0 <= fact.deadline_penalty <= 1:
        raise PlanParametersInvalid(
            f"deadline_penalty {fact.deadline_penalty} must lie between 0 and 1 (0.02 = 2% a day)",
            event_id=eid,
        )
    if tree_plan(fact):
        check_plan_horizon(fact)
        check_plan_levels(book, fact, replacing)


def check_plan_horizon(fact: PlanOpened) -> None:
    """Tree rules: a plan's window ends by 31 December of the next year (``horizon_days`` at most 365,
    or 366 when the next year is a leap year): the facts of a year never take effect in the year after
    next, where they would reach that year's figures (a four-month period's end of the next year is the
    last day a measurement of this year may be for)."""
    last = date(fact.year + 1, 12, 31)
    most = (last - date(fact.year, 12, 31)).days
    if fact.horizon_days > most:
        reach = date(fact.year, 12, 31) + timedelta(days=fact.horizon_days)
        raise PlanParametersInvalid(
            f"horizon_days {fact.horizon_days} would take the plan of {fact.year} to {reach}, past the end of"
            f" the next year: a plan's facts are effective by 31 December {fact.year + 1}"
            f" (horizon_days at most {most})",
            event_id=fact.event_id,
        )


def check_plan_levels(book: Book, fact: PlanOpened, replacing: bool) -> None:
    """The entity level is one of the plan's levels; a corrected plan keeps its objectives in its tree."""
    if fact.entity_level is not None and fact.entity_level not in fact.tree:
        raise PlanParametersInvalid(
            f"entity_level {fact.entity_level!r} is not one of the plan's levels ({', '.join(fact.tree)})",
            event_id=fact.event_id,
        )
    if replacing:
        for found in [o for o in book.objectives.values() if o.year == fact.year]:
            check_objective_fits_the_tree(book, found, fact, fact.event_id)


def check_policy_line_is_new(book: Book, fact: PolicyLineDefined, replacing: bool) -> None:
    year = in_its_plan(book, fact)
    if (year, fact.line) in book.lines and not replacing:
        raise DuplicateDefinition(
            f"policy line {fact.line!r} of {year} already exists", event_id=fact.event_id
        )


def check_objective_is_new_and_placed(book: Book, fact: ObjectiveDefined, replacing: bool) -> None:
    """A new objective, under a parent objective and on a policy line of its own year, if it names them."""
    eid = fact.event_id
    year = in_its_plan(book, fact)
    check_code_is_new("objective", fact.objective, book.objectives, replacing, eid)
    if fact.parent is not None:
        objective(book, fact.parent, eid, year)
    if fact.line is not None:
        line(book, year, fact.line, eid)
    if under_tree_rules(book, year):
        check_objective_fits_the_tree(book, fact, book.plans[year], eid)
        if replacing:
            for child in [o for o in book.objectives.values() if o.parent == fact.objective]:
                check_objective_fits_the_tree(book, child, book.plans[year], eid, parent=fact)


INDIVIDUAL = "individual"  # the level whose objectives are a manager's (the seed's 2.4)


def check_objective_fits_the_tree(book: Book, fact: ObjectiveDefined, plan: PlanOpened, eid: str,
                                  parent: ObjectiveDefined | None = None) -> None:
    """On one of the plan's levels; on the top level without a parent, below it under a parent on a
    higher level (the one directly above or higher: the seed's 2.4 lists the managers' individual
    objectives under strategic objectives). Who answers for it goes by its level's name, not its place:
    on a level named ``individual`` it names its ``owner`` (the manager; an area is optional); on any
    other level below the entity level it names its ``area`` (an owner may be given too). A predecessor
    is an objective of an earlier year."""
    code, levels = fact.objective, plan.tree
    if fact.level not in levels:
        raise NotInTheTree(f"objective {code!r}: level {fact.level!r} is not one of the levels of the plan"
                           f" of {fact.year} ({', '.join(levels)})", event_id=eid)
    rank = levels.index(fact.level)
    if rank == 0 and fact.parent is not None:
        raise NotInTheTree(f"objective {code!r} is on the top level {fact.level!r}: it has no parent"
                           f" (not {fact.parent!r})", event_id=eid)
    if rank > 0:
        if fact.parent is None:
            raise NotInTheTree(f"objective {code!r} on level {fact.level!r} needs a parent on a level above"
                               f" it ({', '.join(levels[:rank])})", event_id=eid)
        above = parent or book.objectives[fact.parent]
        if above.level not in levels[:rank]:
            moved = " would no longer sit below it" if parent is not None else ""
            raise NotInTheTree(f"objective {code!r}: parent {above.objective!r} is on level {above.level!r},"
                               f" not above {fact.level!r} ({', '.join(levels[:rank])}){moved}", event_id=eid)
    entity = levels.index(plan.scored_level) if plan.scored_level in levels else 0
    if fact.level == INDIVIDUAL and fact.owner is None:
        raise NotInTheTree(f"objective {code!r} on level {fact.level!r} names its owner (the manager who"
                           f" answers for it): an objective on a level named {INDIVIDUAL!r} names its owner,"
                           " its area is optional", event_id=eid)
    if fact.level != INDIVIDUAL and rank > entity and fact.area is None:
        raise NotInTheTree(f"objective {code!r} on level {fact.level!r} names its area (the organisational"
                           f" area or unit that answers for it): every objective below the entity level"
                           f" {plan.scored_level!r} does; only a level named {INDIVIDUAL!r} names its owner"
                           " instead", event_id=eid)
    if fact.line is not None and fact.parent is not None:
        planned = line_above(book, fact.parent)
        if planned is not None and planned != fact.line:
            raise NotInTheTree(f"objective {code!r} is on policy line {fact.line!r}, but the objectives above"
                               f" it are on {planned!r}", event_id=eid)
    if fact.predecessor is not None:
        before = objective(book, fact.predecessor, eid)
        if before.year >= fact.year:
            raise NotInTheTree(f"objective {code!r}: predecessor {fact.predecessor!r} is an objective of"
                               f" {before.year}, not of a year before {fact.year}", event_id=eid)


def line_above(book: Book, code: str) -> str | None:
    """The policy line of an objective or of its nearest ancestor that names one."""
    seen: set[str] = set()
    found = book.objectives.get(code)
    while found is not None and found.objective not in seen:
        if found.line is not None:
            return found.line
        seen.add(found.objective)
        found = book.objectives.get(found.parent) if found.parent is not None else None
    return None
