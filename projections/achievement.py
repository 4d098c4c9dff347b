"""Achievement: per indicator, objective, perspective, level and for the entity.

Scoring rules (v = value, t = target, r = achievement, clamped to 0-100%):

- ``higher``: r = 1 + (v - t) / |t|, which is v / t for t > 0 (a margin of -5.000 against a
  target of -10.000 is better than its target: 150%, capped at 100%);
- ``lower``: r = 1 - (v - t) / |t|, which is 2 - v / t for t > 0 (payment timeliness: -3 days
  against -5 scores 60%);
- ``at_least``: 100% if v >= t, else 0%; ``at_most``: 100% if v <= t, else 0%;
- ``deadline``: 100% on or before t; late: 1 - penalty x days late, floored
  at 0 (the penalty is the plan's ``deadline_penalty``, 2% a day by default).

An objective's achievement is sum(w_i r_i) / sum(w_i) over its indicators that
count: weight > 0, a value and a target that are not ND. The entity's level is
the mean of its strategic objectives, struck ones excluded. Bands apply to the
percentage rounded half-up: >= band_achieved achieved, >= band_partly partly,
below not achieved. Values stay unrounded; only display rounds.

Both ratios are undefined for t = 0: a plan under the tree rules (``ledger.rules``) refuses such a
target, naming ``at_least`` or ``at_most``; a plan of an earlier version keeps the rule it was
scored by (``higher``, t = 0: 100% if v >= 0; ``lower``, t = 0: 100% if v <= 0, else 0%).
Values of a ``%`` indicator are fractions (0.65 is 65%), as the seed's and Excel's percent cells.

A struck (withdrawn) objective or indicator has no achievement: it is shown as withdrawn with
its strike's cause, and left out of every mean, until a StrikeRevoked in force revokes it.

Derived indicators are computed by the ledger: ``derived:variations`` (the
variations projection's ratio), ``derived:reporting_delay`` (timeliness) and
``derived:entity_level`` (the mean of the strategic objectives other than the
indicator's own objective, which is left out of its own mean).

"Strategic" above is the plan's scored level (``PlanOpened.entity_level``; strategic
unless the plan says otherwise). An indicator may reuse another's value: a
``reference`` takes the value of the indicator it ``uses`` at the cut (a
measurement or a correction of it reaches every objective that uses it) and is
scored with its own weight, target and direction; a ``derived:year_ratio`` is the
latest value of ``uses`` (year x) over the latest of ``compared_with`` (year x-1).
Explain shows the indicator used and the measurements divided.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from events import (
    EventCorrected,
    IndicatorDefined,
    IndicatorMeasured,
    IndicatorStruck,
    LedgerEvent,
    ObjectiveChanged,
    ObjectiveDefined,
    ObjectiveStruck,
    PlanOpened,
    StrikeRevoked,
)
from projections.explain import Derivation, EventRef, refs
from projections.facts import EVERYTHING, Cut, Events, Fact, NoPlan, in_force, known_facts, of_type, plan_of
from projections.timeliness import timeliness
from projections.variations import variations

# The facts achievement, variations and timeliness read: a replay for them may leave the budget's out.
PLAN_FACTS = (PlanOpened, ObjectiveDefined, IndicatorDefined, ObjectiveChanged, ObjectiveStruck,
              IndicatorStruck, StrikeRevoked, IndicatorMeasured, EventCorrected)

ONE = Decimal(1)
ZERO = Decimal(0)
BANDS = ("achieved", "partly", "not_achieved")


def score(direction: str, value: str, target: str, penalty: Decimal) -> tuple[Decimal, str]:
    """The achievement (a fraction, clamped to 0..1) and the rule with the numbers put in."""
    if direction == "deadline":
        done, due = date.fromisoformat(value), date.fromisoformat(target)
        late = (done - due).days
        if late <= 0:
            return ONE, f"deadline: done {done} on or before {due} -> 100%"
        raw = ONE - penalty * late
        text = f"deadline: {late} day(s) late: 1 - {penalty} x {late} = {raw}"
    else:
        raw, text = ratio_score(direction, Decimal(value), Decimal(target))
    clamped = min(ONE, max(ZERO, raw))
    if clamped != raw:
        text += f", {'capped at 100%' if clamped == ONE else 'floored at 0%'}"
    return clamped, text


def ratio_score(direction: str, v: Decimal, t: Decimal) -> tuple[Decimal, str]:
    """The unclamped achievement of a number against its target, and the rule with the numbers put in.

    For t > 0 the seed's forms (v / t, 2 - v / t) are computed as they always were, so the figures
    of earlier ledgers stay the same to the last digit.
    """
    if direction in ("at_least", "at_most"):
        met = v >= t if direction == "at_least" else v <= t
        raw = ONE if met else ZERO
        sign = (">=" if met else "<") if direction == "at_least" else ("<=" if met else ">")
        return raw, f"at {direction[3:]}: {v} {sign} {t} -> {raw * 100}%"
    higher = direction == "higher"
    if t == 0:  # only in a plan of an earlier version: the tree rules refuse the target
        raw = ONE if (v >= 0 if higher else v <= 0) else ZERO
        return raw, f"{'higher' if higher else 'lower'} is better, target 0: {v} -> {raw * 100}%"
    if t > 0:
        if higher:
            raw = v / t
            return raw, f"higher is better: v / t = {v} / {t} = {raw}"
        raw = 2 - v / t
        return raw, f"lower is better: 2 - v / t = 2 - {v} / {t} = {raw}"
    if higher:
        raw = 1 + (v - t) / abs(t)
        return raw, f"higher is better: 1 + (v - t) / |t| = 1 + ({v} - {t}) / {abs(t)} = {raw}"
    raw = 1 - (v - t) / abs(t)
    return raw, f"lower is better: 1 - (v - t) / |t| = 1 - ({v} - {t}) / {abs(t)} = {raw}"


def rounded_percent(fraction: Decimal) -> int:
    """The displayed percentage: half-up to a whole number (0.9374 -> 94)."""
    return int((fraction * 100).quantize(ONE, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class IndicatorScore:
    definition: Fact
    weight: Decimal
    target: str
    revisions: tuple[Fact, ...]
    value: str | None
    measurement: Fact | None
    achievement: Decimal | None
    rule: str
    excluded: str | None
    derived: Derivation | None = None
    withdrawn: Fact | None = None  # the IndicatorStruck in force: no achievement, out of the mean

    @property
    def code(self) -> str:
        return str(self.definition.indicator)

    @property
    def counts(self) -> bool:
        return self.excluded is None

    def derivation(self) -> Derivation:
        events = refs(self.definition, f"defines {self.code}: weight {self.definition.weight}%, target "
                      f"{self.definition.target}, {self.definition.direction}")
        for rev in self.revisions:
            events += refs(rev, f"revises {self.code} ({rev.cause}): {rev.what}")
        if self.measurement is not None:
            events += refs(
                self.measurement, f"measured {self.value} for the period ending {self.measurement.period_end}"
            )
        if self.withdrawn is not None:
            events += refs(self.withdrawn, f"struck ({self.withdrawn.cause}): {self.withdrawn.reason};"
                                           " left out of its objective's mean")
        value = self.achievement
        formula = self.rule if self.excluded is None else f"{self.rule}; excluded: {self.excluded}"
        return Derivation(
            f"achievement of indicator {self.code} ({self.definition.title})",
            value,
            formula,
            tuple(events),
            () if self.derived is None else (self.derived,),
        )


@dataclass(frozen=True)
class ObjectiveScore:
    definition: Fact
    struck: Fact | None  # the ObjectiveStruck in force: no achievement, no band, out of every mean
    indicators: tuple[IndicatorScore, ...]
    achievement: Decimal | None
    band: str | None

    @property
    def code(self) -> str:
        return str(self.definition.objective)

    @property
    def withdrawn(self) -> Fact | None:
        """The strike in force (its cause and reason), None when the objective counts."""
        return self.struck

    def derivation(self) -> Derivation:
        counted = [i for i in self.indicators if i.counts]
        weights = sum((i.weight for i in counted), ZERO)
        terms = " + ".join(f"{i.weight} x {i.achievement}" for i in counted) or "nothing"
        if self.struck is not None:
            formula = f"withdrawn ({self.struck.cause}): no achievement, left out of every mean"
        elif self.achievement is None:
            formula = "no indicator counts (weight 0 or ND): no achievement"
        else:
            formula = f"sum(w x r) / sum(w) = ({terms}) / {weights} = {self.achievement}"
        events = refs(self.definition, f"defines objective {self.code}")
        if self.struck is not None:
            events += refs(
                self.struck, f"struck ({self.struck.cause}): {self.struck.reason}; left out of every mean"
            )
        return Derivation(
            f"achievement of objective {self.code} ({self.definition.title})",
            self.achievement,
            formula,
            tuple(events),
            tuple(i.derivation() for i in self.indicators),
        )


@dataclass(frozen=True)
class Achievement:
    year: int
    plan: Fact
    objectives: tuple[ObjectiveScore, ...]
    cut: Cut

    def objective(self, code: str) -> ObjectiveScore:
        for objective in self.objectives:
            if objective.code == code:
                return objective
        raise KeyError(code)

    def indicator(self, code: str) -> IndicatorScore:
        for objective in self.objectives:
            for indicator in objective.indicators:
                if indicator.code == code:
                    return indicator
        raise KeyError(code)

    @property
    def rules(self) -> PlanOpened:
        """The plan's parameters in force at the cut."""
        plan = self.plan.current
        assert isinstance(plan, PlanOpened)
        return plan

    @property
    def scored_level(self) -> str:
        """The level whose objectives' mean is the entity's level (the plan's ``entity_level``)."""
        return self.rules.scored_level

    def scored(self, level: str | None = None) -> list[ObjectiveScore]:
        """Objectives of a level (default: the plan's scored level) that enter the means: not struck,
        with an achievement."""
        level = self.scored_level if level is None else level
        return [
            o for o in self.objectives
            if o.definition.level == level and o.struck is None and o.achievement is not None
        ]

    @property
    def entity(self) -> Decimal | None:
        return _mean([o.achievement for o in self.scored()])  # type: ignore[misc]

    @property
    def bands(self) -> dict[str, int]:
        counts = dict.fromkeys(BANDS, 0)
        for objective in self.scored():
            counts[str(objective.band)] += 1
        return counts

    def by_level(self) -> dict[str, Decimal | None]:
        return {level: _mean([o.achievement for o in self.scored(level)]) for level in self.rules.tree}  # type: ignore[misc]

    def by_perspective(self) -> dict[str, Decimal | None]:
        groups: dict[str, list[Decimal]] = {}
        for o in self.scored():
            groups.setdefault(o.definition.perspective or "-", []).append(o.achievement)  # type: ignore[arg-type]
        return {name: _mean(values) for name, values in groups.items()}

    def entity_derivation(self) -> Derivation:
        scored = self.scored()
        entity = self.entity
        terms = " + ".join(f"{o.achievement}" for o in scored)
        level = self.scored_level
        left_out = [o.code for o in self.objectives if o.definition.level == level and o not in scored]
        formula = f"mean of {len(scored)} {level} objectives = ({terms}) / {len(scored)} = {entity}"
        if left_out:
            formula += f"; left out (struck or without achievement): {', '.join(left_out)}"
        return Derivation(
            f"entity level {self.year}", entity, formula, parts=tuple(o.derivation() for o in scored)
        )


REUSES = ("reference", "derived:year_ratio")


def year_ratio(definition: Fact, current: Fact | None, before: Fact | None) -> Derivation:
    """A quantity of year x over the same of year x-1: the latest measurement of each."""
    figure = f"year ratio {definition.uses} / {definition.compared_with}"
    events: list[EventRef] = []
    for m, year in ((current, "year x"), (before, "year x-1")):
        if m is not None:
            events += refs(m, f"{m.indicator} ({year}): measured {m.value} for the period ending"
                              f" {m.period_end}")
    if current is None or before is None:
        missing = definition.uses if current is None else definition.compared_with
        return Derivation(figure, None, f"{missing} is not measured", tuple(events))
    if "ND" in (current.value, before.value):
        return Derivation(figure, "ND", f"{current.value} / {before.value}: ND (not available)",
                          tuple(events))
    if Decimal(before.value) == 0:
        return Derivation(figure, None, f"{definition.compared_with} is 0: no ratio", tuple(events))
    ratio = Decimal(current.value) / Decimal(before.value)
    return Derivation(figure, f"{ratio:f}", f"{definition.uses} / {definition.compared_with} ="
                      f" {current.value} / {before.value} = {ratio:f}", tuple(events))


def _mean(values: list[Decimal]) -> Decimal | None:
    return None if not values else sum(values, ZERO) / len(values)


def band(fraction: Decimal | None, plan: PlanOpened) -> str | None:
    if fraction is None:
        return None
    pct = rounded_percent(fraction)
    if pct >= plan.band_achieved:
        return "achieved"
    if pct >= plan.band_partly:
        return "partly"
    return "not_achieved"


def revisions_by_indicator(changes: Iterable[Fact]) -> dict[str, list[Fact]]:
    """Each indicator's changes of weight or target, in the order they take effect."""
    revisions: dict[str, list[Fact]] = {}
    for change in sorted(changes, key=lambda f: (f.effective_date, f.original.seq)):
        if change.indicator is not None:
            revisions.setdefault(change.indicator, []).append(change)
    return revisions


def latest_measurements(measurements: Iterable[Fact], cut: Cut = EVERYTHING) -> dict[str, Fact]:
    """Each indicator's measurement of its latest period ended by ``as_of`` (a period not yet ended
    has no value yet, whatever its measurement's effective date); of two for one period (which the
    tree rules refuse), the later recorded."""
    latest: dict[str, Fact] = {}
    for m in measurements:
        if not cut.holds(m.period_end):
            continue
        held = latest.get(m.indicator)
        if held is None or (m.period_end, m.original.seq) >= (held.period_end, held.original.seq):
            latest[m.indicator] = m
    return latest


def withdrawals(
    strikes: Iterable[Fact], revocations: Iterable[Fact]
) -> tuple[dict[str, Fact], dict[str, Fact]]:
    """The strikes in force, of objectives and of indicators by code: those given (in force at the
    cut) that no revocation given revokes; of two strikes of one code, the later effective."""
    revoked = {r.strike for r in revocations}
    objectives: dict[str, Fact] = {}
    indicators: dict[str, Fact] = {}
    for strike in sorted(strikes, key=lambda f: (f.effective_date, f.original.seq)):
        if strike.original.event_id in revoked:
            continue
        if isinstance(strike.current, ObjectiveStruck):
            objectives[strike.objective] = strike
        else:
            indicators[strike.indicator] = strike
    return objectives, indicators


def achievement(events: Events, cut: Cut = EVERYTHING, year: int | None = None) -> Achievement:
    """Fold the events into the achievement of every objective of ``year`` at ``cut``."""
    known = known_facts(events, cut, partial=True)  # it reads PLAN_FACTS only

    def facts(*types: type[LedgerEvent]) -> Iterator[Fact]:
        return in_force(of_type(known, *types), cut)

    plan = plan_of(known, cut, year)
    year = plan.year
    rules: PlanOpened = plan.current  # type: ignore[assignment]
    objectives = [f for f in facts(ObjectiveDefined) if f.year == year]
    codes = {o.objective for o in objectives}
    struck, struck_indicators = withdrawals(facts(ObjectiveStruck, IndicatorStruck), facts(StrikeRevoked))
    every = {f.indicator: f for f in facts(IndicatorDefined)}  # of every year: a year ratio reads the last's
    definitions = [f for f in every.values() if f.objective in codes]
    revisions = revisions_by_indicator(facts(ObjectiveChanged))
    latest = latest_measurements(facts(IndicatorMeasured), cut)

    derived: dict[str, Derivation] = {}
    derived["derived:variations"] = variations(known, cut, year).derivation()
    derived["derived:reporting_delay"] = timeliness(known, cut, year).derivation()

    def indicator_score(definition: Fact, entity_level: Derivation | None) -> IndicatorScore:
        weight, target = definition.weight, definition.target
        for rev in revisions.get(definition.indicator, []):
            weight = rev.weight if rev.weight is not None else weight
            target = rev.target if rev.target is not None else target
        base = IndicatorScore(definition, weight, target, tuple(revisions.get(definition.indicator, [])),
                              None, None, None, "", None)
        if definition.source == "measured":
            measurement = latest.get(definition.indicator)
            value = None if measurement is None else measurement.value
            base = replace(base, value=value, measurement=measurement)
        elif definition.source in REUSES:
            reused = reuse(definition, entity_level)
            value = None if reused.value is None else str(reused.value)
            base = replace(base, value=value, derived=reused)
            used_strike = struck_indicators.get(definition.uses) if definition.source == "reference" else None
            if used_strike is not None and definition.indicator not in struck_indicators:
                # A reference takes what the indicator it uses is: withdrawn, by the same strike.
                return replace(base, withdrawn=used_strike, excluded=f"withdrawn ({used_strike.cause})",
                               rule=f"withdrawn ({used_strike.cause}): {definition.uses}, which it uses by"
                                    f" reference, is struck: {used_strike.reason}")
        else:
            source = (
                entity_level if definition.source == "derived:entity_level" else derived[definition.source]
            )
            assert source is not None
            value = None if source.value is None else f"{source.value:f}"
            base = replace(base, value=value, derived=source)
        withdrawn = struck_indicators.get(definition.indicator)
        if withdrawn is not None:
            return replace(base, rule=f"withdrawn ({withdrawn.cause}): {withdrawn.reason}",
                           excluded=f"withdrawn ({withdrawn.cause})", withdrawn=withdrawn)
        if base.value is None:
            return replace(base, rule="no measurement", excluded="not measured")
        if base.value == "ND":
            return replace(base, rule="ND: not available", excluded="ND (not available)")
        if target == "ND":
            return replace(base, rule="no target", excluded="the plan sets no measurable target")
        try:
            achieved, rule = score(definition.direction, base.value, target, rules.deadline_penalty)
        except (ValueError, ArithmeticError):
            rule = f"{base.value!r} against {target!r} cannot be scored as {definition.direction}"
            return replace(base, rule=rule, excluded="value and target do not fit the direction")
        excluded = "weight 0" if weight == 0 else None
        return replace(base, achievement=achieved, rule=rule, excluded=excluded)

    def reuse(definition: Fact, entity_level: Derivation | None) -> Derivation:
        """The value of a ``reference`` (the indicator it uses, at this cut: a measurement or a correction
        of it reaches every objective that uses it) or of a ``derived:year_ratio``."""
        if definition.source == "derived:year_ratio":
            return year_ratio(definition, latest.get(definition.uses), latest.get(definition.compared_with))
        used = every.get(definition.uses)
        if used is None or used.source in REUSES:
            return Derivation(f"value of indicator {definition.uses}", None,
                              f"{definition.uses!r} is no indicator that can be used by reference")
        events = refs(used, f"defines {used.indicator}, used by {definition.indicator} by reference")
        if used.source == "measured":
            measurement = latest.get(used.indicator)
            if measurement is None:
                return Derivation(f"value of indicator {used.indicator} ({used.title}), used by reference",
                                  None, f"{used.indicator} is not measured", tuple(events))
            events += refs(measurement, f"measured {measurement.value} for the period ending"
                                        f" {measurement.period_end}")
            return Derivation(f"value of indicator {used.indicator} ({used.title}), used by reference",
                              measurement.value, f"the value of {used.indicator}: {measurement.value}",
                              tuple(events))
        source = entity_level if used.source == "derived:entity_level" else derived[used.source]
        assert source is not None
        value = None if source.value is None else f"{source.value:f}"
        return Derivation(f"value of indicator {used.indicator} ({used.title}), used by reference", value,
                          f"the value of {used.indicator} ({used.source}): {value}", tuple(events), (source,))

    def objective_score(objective: Fact, entity_level: Derivation | None) -> ObjectiveScore:
        scores = tuple(
            indicator_score(d, entity_level) for d in definitions if d.objective == objective.objective
        )
        counted = [s for s in scores if s.counts]
        weights = sum((s.weight for s in counted), ZERO)
        value = None if weights == 0 else sum((s.weight * s.achievement for s in counted), ZERO) / weights  # type: ignore[operator]
        withdrawn = struck.get(objective.objective)
        if withdrawn is not None:
            value = None
        return ObjectiveScore(objective, withdrawn, scores, value, band(value, rules))

    def reads_entity_level(d: Fact) -> bool:
        used = every.get(d.uses) if d.source == "reference" else None
        return "derived:entity_level" in (d.source, None if used is None else used.source)

    def needs_entity_level(objective: Fact) -> bool:
        return any(d.objective == objective.objective and reads_entity_level(d) for d in definitions)

    # Pass 1: objectives that do not depend on the entity level; pass 2: the others,
    # with the entity level computed over pass 1 (an objective is left out of its own mean).
    first = {o.objective: objective_score(o, None) for o in objectives if not needs_entity_level(o)}
    partial = Achievement(year, plan, tuple(first.values()), cut)
    entity_level = replace(
        partial.entity_derivation(),
        figure=f"entity level {year} without the objectives that measure it",
        parts=(),
    )
    scores = tuple(
        first[o.objective] if o.objective in first else objective_score(o, entity_level) for o in objectives
    )
    return Achievement(year, plan, scores, cut)


__all__ = [
    "PLAN_FACTS",
    "Achievement",
    "EventRef",
    "IndicatorScore",
    "NoPlan",
    "ObjectiveScore",
    "achievement",
    "rounded_percent",
    "score",
]
