"""Changes to objectives during the year, and the variations indicator.

ratio = n. changes with an internal cause / n. strategic objectives of the
year's plan (objectives struck later still count in the denominator: they
were planned). Changes due to law (normative) or external agents are listed
but do not count.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from events import LedgerEvent, ObjectiveChanged, ObjectiveDefined, ObjectiveStruck, PlanOpened
from events.plan import CAUSES
from projections.explain import Derivation, refs
from projections.facts import EVERYTHING, Cut, Events, Fact, in_force, known_facts, of_type


@dataclass(frozen=True)
class Variations:
    year: int | None
    changes: tuple[Fact, ...]
    struck: tuple[Fact, ...]
    objectives: tuple[Fact, ...]

    @property
    def by_cause(self) -> dict[str, int]:
        return {cause: sum(1 for c in self.changes if c.cause == cause) for cause in CAUSES}

    @property
    def count(self) -> int:
        """Changes that count: those with an internal cause."""
        return self.by_cause["internal"]

    @property
    def ratio(self) -> Decimal | None:
        return None if not self.objectives else Decimal(self.count) / Decimal(len(self.objectives))

    def derivation(self) -> Derivation:
        ratio = self.ratio
        counted = [c for c in self.changes if c.cause == "internal"]
        events = []
        for change in self.changes:
            verdict = "counts" if change.cause == "internal" else f"does not count ({change.cause} cause)"
            events += refs(change, f"change of objective {change.objective}, {verdict}: {change.what}")
        return Derivation(
            f"variations indicator {self.year}",
            ratio,
            f"internal changes / strategic objectives = {len(counted)} / {len(self.objectives)}"
            f" = {'ND' if ratio is None else f'{ratio:.6f}'}",
            tuple(events),
            (
                Derivation(
                    "strategic objectives of the plan",
                    Decimal(len(self.objectives)),
                    f"count = {len(self.objectives)}",
                    tuple(ref for o in self.objectives for ref in refs(o, f"objective {o.objective}")),
                ),
            ),
        )


def variations(events: Events, cut: Cut = EVERYTHING, year: int | None = None) -> Variations:
    known = known_facts(events, cut, partial=True)  # it reads plan facts only

    def facts(*types: type[LedgerEvent]) -> Iterator[Fact]:
        return in_force(of_type(known, *types), cut)

    defined = list(facts(ObjectiveDefined))
    objectives = [f for f in defined if year is None or f.year == year]
    plans = {f.current.year: f.current for f in facts(PlanOpened) if isinstance(f.current, PlanOpened)}

    def on_scored_level(objective: Fact) -> bool:  # the plan's entity level: strategic unless it says
        plan = plans.get(objective.year)
        return bool(objective.level == ("strategic" if plan is None else plan.scored_level))
    years = {f.objective: f.year for f in defined}

    def in_year(fact: Fact) -> bool:
        return year is None or years.get(fact.objective) == year

    return Variations(
        year=year,
        changes=tuple(f for f in facts(ObjectiveChanged) if in_year(f)),
        struck=tuple(f for f in facts(ObjectiveStruck) if in_year(f)),
        objectives=tuple(f for f in objectives if on_scored_level(f)),
    )
