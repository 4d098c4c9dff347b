"""Facts of the plan: the ledger, the year's plan, lines, objectives, indicators, their changes."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, ClassVar
from uuid import UUID

from eventsourcing.domain import CanInitAggregate

from events.base import LedgerEvent
from events.fields import Choice, Code, Count, MeasuredValue, Name, Number, Optional, Origin, Text

LEVELS = ("strategic", "operational", "individual")
DIRECTIONS = ("higher", "lower", "at_least", "deadline")
CAUSES = ("internal", "normative", "external")
# Where an indicator's value comes from: typed in, or computed by the ledger itself.
SOURCES = ("measured", "derived:variations", "derived:entity_level", "derived:reporting_delay")


class LedgerOpened(CanInitAggregate[UUID], LedgerEvent):
    """The ledger was created for an entity (a public body). Always event 1.

    Version 2 names the ledger's ``origin``: what its checkpoints and its events' signatures carry,
    so a checkpoint or a signed event of one ledger is never taken for another's. A version 1 event
    (a ledger made before) has none: its origin is named by its own hash (``ledger.proofs``).
    """

    class_version = 2
    earlier_versions: ClassVar[dict[int, tuple[str, ...]]] = {1: ("originator_topic", "entity")}

    # The aggregate class the chain rebuilds into; part of the canonical body.
    originator_topic: Annotated[str, Code("originator_topic")]
    entity: Annotated[str, Name("entity")]
    origin: Annotated[str | None, Origin("origin")]

    def __post_init__(self) -> None:
        """A new ledger's entity and actor are given on the command line, not in a submission: they follow
        the same rules here (NFC; the entity one line, for it is printed into signed checkpoints).
        A stored LedgerOpened is rebuilt without this constructor, as it was written."""
        super().__post_init__()
        object.__setattr__(self, "entity", _ENTITY.parse(self.entity, "entity"))
        object.__setattr__(self, "actor", _ACTOR.parse(self.actor, "actor"))
        object.__setattr__(self, "origin", _ORIGIN.parse(self.origin, "origin"))


_ENTITY, _ACTOR, _ORIGIN = Name("entity"), Code("actor"), Origin("origin")


class PlanOpened(LedgerEvent):
    """The performance plan of a year was approved.

    Its parameters are the rules in force for the year, so a replay always
    scores with them: ``deadline_penalty`` is the share of achievement lost per
    day late on a deadline indicator (0.02 = 2% a day); ``horizon_days`` is how
    many days after 31 December effective dates may still fall; the bands are
    the lower bounds (in %) of "achieved" and "partly achieved". Left out, they
    default to 0.02, 0 days, 90 and 80.
    """

    KEYS = ("year",)
    year: Annotated[int, Count("year", low=1900, high=2999)]
    title: Annotated[str, Name("title")]
    horizon_days: Annotated[int, Count("horizon_days", default=0, high=3660)]
    deadline_penalty: Annotated[Decimal, Number("deadline_penalty", default="0.02")]
    band_achieved: Annotated[Decimal, Number("band_achieved", default="90")]
    band_partly: Annotated[Decimal, Number("band_partly", default="80")]


class PolicyLineDefined(LedgerEvent):
    """A policy line (linea di indirizzo, A1...A7) of a year's plan."""

    KEYS = ("year", "line")
    year: Annotated[int, Count("year", low=1900, high=2999)]
    line: Annotated[str, Code("line")]
    title: Annotated[str, Name("title")]


class ObjectiveDefined(LedgerEvent):
    """An objective of the plan: strategic, operational (child of a strategic one) or individual.

    ``objective`` is the key people type (``04``; operational codes repeat
    across areas, so key them with the area: ``AA/3.1``).
    """

    KEYS = ("year", "objective", "parent", "line")
    year: Annotated[int, Count("year", low=1900, high=2999)]
    objective: Annotated[str, Code("objective")]
    level: Annotated[str, Choice("level", LEVELS)]
    title: Annotated[str, Name("title")]
    perspective: Annotated[str | None, Optional("perspective", Name("perspective"))]
    parent: Annotated[str | None, Optional("parent", Code("parent"))]
    line: Annotated[str | None, Optional("line", Code("line"))]


class IndicatorDefined(LedgerEvent):
    """An indicator measuring an objective, with its weight (in %), target and direction.

    ``direction``: ``higher`` (r = v/t), ``lower`` (r = 2 - v/t; 100% if t = 0
    and v <= 0), ``at_least`` (100% if v >= t else 0%), ``deadline`` (target
    and value are dates; late costs the plan's ``deadline_penalty`` a day).
    ``target`` is a decimal string, a date for deadlines, or "ND" when the
    plan sets no measurable target. ``source`` says whether the value is typed
    in (``measured``) or computed by the ledger from a named projection.
    """

    KEYS = ("indicator", "objective", "direction", "source")
    indicator: Annotated[str, Code("indicator")]
    objective: Annotated[str, Code("objective")]
    title: Annotated[str, Name("title")]
    weight: Annotated[Decimal, Number("weight")]
    direction: Annotated[str, Choice("direction", DIRECTIONS)]
    target: Annotated[str, MeasuredValue("target")]
    unit: Annotated[str, Name("unit", default="")]
    source: Annotated[str, Choice("source", default="measured", choices=SOURCES)]


class ObjectiveChanged(LedgerEvent):
    """An objective was changed during the year (a variation of the plan).

    ``cause`` says whether it counts in the variations indicator: only
    ``internal`` ones do. A change may revise one indicator's weight or target
    from its effective date on.
    """

    KEYS = ("objective", "indicator")
    objective: Annotated[str, Code("objective")]
    cause: Annotated[str, Choice("cause", CAUSES)]
    reason: Annotated[str, Text("reason")]
    what: Annotated[str, Text("what")]
    indicator: Annotated[str | None, Optional("indicator", Code("indicator"))]
    weight: Annotated[Decimal | None, Optional("weight", Number("weight"))]
    target: Annotated[str | None, Optional("target", MeasuredValue("target"))]


class ObjectiveStruck(LedgerEvent):
    """An objective was withdrawn ("barrato"): kept in the record, out of every mean."""

    KEYS = ("objective",)
    objective: Annotated[str, Code("objective")]
    cause: Annotated[str, Choice("cause", CAUSES)]
    reason: Annotated[str, Text("reason")]
