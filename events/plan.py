"""Facts of the plan: the ledger, the year's plan, lines, objectives, indicators, their changes."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, ClassVar
from uuid import UUID

from eventsourcing.domain import CanInitAggregate

from events.base import LedgerEvent
from events.fields import (
    Act,
    ActKind,
    Choice,
    Code,
    Codes,
    Count,
    MeasuredValue,
    Name,
    Number,
    Optional,
    Origin,
    Text,
)

LEVELS = ("strategic", "operational", "individual")  # a plan's levels when it names none (version 1)
# ``at_most``: 100% if v <= t, else 0% (the seed's "non-conformities 0 vs 0"); see projections.achievement.
DIRECTIONS = ("higher", "lower", "at_least", "at_most", "deadline")
CAUSES = ("internal", "normative", "external")
ROLLUPS = ("pooled", "mean")
# Where an indicator's value comes from: typed in, another indicator's (``reference``), or computed by
# the ledger itself.
SOURCES = ("measured", "reference", "derived:year_ratio", "derived:variations", "derived:entity_level",
           "derived:reporting_delay")


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

    Version 2 declares the plan's tree: ``levels``, from the top (a 2012 plan:
    ``strategic,operational,individual``; a PIAO: ``public_value,strategic,operational,individual``);
    ``entity_level``, the level whose objectives' mean is the entity's level (``strategic`` when
    the levels name it, else the top one); ``rollup``, how a node's children roll up into it:
    ``pooled`` (every indicator of the children, by its weight: sum(w r) / sum(w), the seed's
    area tables) or ``mean`` (the unweighted mean of the children's achievements). A version 2
    plan is checked by the rules of the tree (``ledger.rules``); a version 1 plan keeps the rules
    its facts were written under.
    """

    class_version = 2
    earlier_versions: ClassVar[dict[int, tuple[str, ...]]] = {
        1: ("year", "title", "horizon_days", "deadline_penalty", "band_achieved", "band_partly"),
    }
    KEYS = ("year",)
    year: Annotated[int, Count("year", low=1900, high=2999)]
    title: Annotated[str, Name("title")]
    horizon_days: Annotated[int, Count("horizon_days", default=0, high=3660)]
    deadline_penalty: Annotated[Decimal, Number("deadline_penalty", default="0.02")]
    band_achieved: Annotated[Decimal, Number("band_achieved", default="90")]
    band_partly: Annotated[Decimal, Number("band_partly", default="80")]
    levels: Annotated[tuple[str, ...] | None, Codes("levels", default=",".join(LEVELS))]
    entity_level: Annotated[str | None, Optional("entity_level", Code("entity_level"))]
    rollup: Annotated[str | None, Choice("rollup", default="pooled", choices=ROLLUPS)]

    @property
    def tree(self) -> tuple[str, ...]:
        """The plan's levels from the top (a version 1 plan's: strategic, operational, individual)."""
        return LEVELS if self.levels is None else self.levels

    @property
    def scored_level(self) -> str:
        """The level whose objectives' mean is the entity's level."""
        if self.entity_level is not None:
            return self.entity_level
        return "strategic" if "strategic" in self.tree else self.tree[0]

    @property
    def rollup_rule(self) -> str:
        return self.rollup or "pooled"


class PolicyLineDefined(LedgerEvent):
    """A policy line (linea di indirizzo, A1...A7) of a year's plan."""

    KEYS = ("year", "line")
    year: Annotated[int, Count("year", low=1900, high=2999)]
    line: Annotated[str, Code("line")]
    title: Annotated[str, Name("title")]


class ObjectiveDefined(LedgerEvent):
    """An objective of the plan, on one of the plan's levels, under a parent on the level above.

    ``objective`` is the key people type, unique in the ledger (``04``; operational codes repeat
    across areas, so key them with the area: ``AMM/3.1``). Version 2 adds its owner: ``area``, the
    organisational area or unit that answers for it (reports group by it), and for an individual
    objective ``owner``, the manager; and ``predecessor``, the objective of an earlier year it
    revises. Its ``level`` is one of its plan's ``levels``.
    """

    class_version = 2
    earlier_versions: ClassVar[dict[int, tuple[str, ...]]] = {
        1: ("year", "objective", "level", "title", "perspective", "parent", "line"),
    }
    KEYS = ("year", "objective", "parent", "line", "area", "owner", "predecessor")
    year: Annotated[int, Count("year", low=1900, high=2999)]
    objective: Annotated[str, Code("objective")]
    level: Annotated[str, Code("level")]
    title: Annotated[str, Name("title")]
    perspective: Annotated[str | None, Optional("perspective", Name("perspective"))]
    parent: Annotated[str | None, Optional("parent", Code("parent"))]
    line: Annotated[str | None, Optional("line", Code("line"))]
    area: Annotated[str | None, Optional("area", Code("area"))]
    owner: Annotated[str | None, Optional("owner", Name("owner"))]
    predecessor: Annotated[str | None, Optional("predecessor", Code("predecessor"))]


class IndicatorDefined(LedgerEvent):
    """An indicator measuring an objective, with its weight (in %), target and direction.

    ``direction``: ``higher`` (r = v/t), ``lower`` (r = 1 - (v - t)/|t|, which is 2 - v/t for a
    positive target; 100% if t = 0 and v <= 0), ``at_least`` (100% if v >= t else 0%),
    ``deadline`` (target and value are dates; late costs the plan's ``deadline_penalty`` a day).
    ``target`` is a decimal string, a date for deadlines, or "ND" when the plan sets no
    measurable target; with ``unit`` ``%`` values and targets are fractions (``0.65`` for 65%).
    ``source`` says where the value comes from: typed in (``measured``); the value of another
    indicator, ``uses``, scored with this one's weight and target (``reference``: a manager's
    individual objective reusing an organisational indicator); the ratio of ``uses`` to
    ``compared_with`` (``derived:year_ratio``: a quantity in year x over the same in year x-1);
    or computed by the ledger from a named projection (``derived:...``).
    """

    class_version = 2
    earlier_versions: ClassVar[dict[int, tuple[str, ...]]] = {
        1: ("indicator", "objective", "title", "weight", "direction", "target", "unit", "source"),
    }
    KEYS = ("indicator", "objective", "direction", "source", "uses", "compared_with")
    indicator: Annotated[str, Code("indicator")]
    objective: Annotated[str, Code("objective")]
    title: Annotated[str, Name("title")]
    weight: Annotated[Decimal, Number("weight")]
    direction: Annotated[str, Choice("direction", DIRECTIONS)]
    target: Annotated[str, MeasuredValue("target")]
    unit: Annotated[str, Name("unit", default="")]
    source: Annotated[str, Choice("source", default="measured", choices=SOURCES)]
    uses: Annotated[str | None, Optional("uses", Code("uses"))]
    compared_with: Annotated[str | None, Optional("compared_with", Code("compared_with"))]


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
    """An objective was withdrawn ("barrato"): kept in the record, shown as withdrawn, out of every mean."""

    KEYS = ("objective",)
    objective: Annotated[str, Code("objective")]
    cause: Annotated[str, Choice("cause", CAUSES)]
    reason: Annotated[str, Text("reason")]


class IndicatorStruck(LedgerEvent):
    """One indicator of an objective was withdrawn: shown as withdrawn, out of its objective's mean
    (the objective's other indicators still count)."""

    KEYS = ("indicator",)
    indicator: Annotated[str, Code("indicator")]
    cause: Annotated[str, Choice("cause", CAUSES)]
    reason: Annotated[str, Text("reason")]


class StrikeRevoked(LedgerEvent):
    """A strike (``strike``: the id of an ObjectiveStruck or IndicatorStruck) is revoked from this
    event's effective date: the objective or indicator counts again, and may be struck again."""

    KEYS = ("strike",)
    strike: Annotated[str, Code("strike")]
    reason: Annotated[str, Text("reason")]


class YearClosed(LedgerEvent):
    """A year is closed by the act approving its Relazione (the event's ``act``, required), and
    optionally the OIV's validation (``validation``): a later fact effective in that year is refused
    unless a YearReopened precedes it."""

    KEYS = ("year",)
    year: Annotated[int, Count("year", low=1900, high=2999)]
    validation: Annotated[Act | None, Optional("validation", ActKind("validation"))]


class YearReopened(LedgerEvent):
    """A closed year is reopened by an act (required), with its reason, until it is closed again."""

    KEYS = ("year",)
    year: Annotated[int, Count("year", low=1900, high=2999)]
    reason: Annotated[str, Text("reason")]
