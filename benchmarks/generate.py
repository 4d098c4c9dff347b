"""A realistic synthetic ledger, deterministic by seed: a region's year of performance events.

    python -m benchmarks.generate 100000 --seed 7 > ledger-100k.jsonl

Shape (for N events): 10 policy lines, N/10,000 + 20 strategic objectives,
N/1,000 + 50 products, 3 indicators per objective; then a year of, in
proportion, budget variations (20%), reservations (35%), approvals (30%),
adjustments (3%), measurements (10%), corrections (1%) and objective changes
(1%), effective through 2012 and recorded in order (``--backfill``), so as-of
and known-at queries have something to select. Every event passes the rules.

For a signed ledger (``--actor cdg --no-recorded-at``): every event by its one registered
controller, recorded at the store's clock (``import`` without ``--backfill``: a migrated history
goes only into a new ledger, and ``init --signed`` has already written events 1-2).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, TextIO

START = datetime(2012, 1, 2, 8, 0, tzinfo=UTC)
KINDS = (("vary", 20), ("reserve", 35), ("approve", 30), ("adjust", 3), ("measure", 10), ("correct", 1),
         ("change", 1))


def events(
    n: int, seed: int = 7, *, actor: str | None = None, recorded: bool = True
) -> Iterator[dict[str, Any]]:
    """The events, in recording order; exactly ``n`` of them.

    ``actor``: every event's actor (default: seven of them, ``cdg-0`` to ``cdg-6``); ``recorded``:
    give each event its ``recorded_at`` (for ``import --backfill``). Neither changes anything else.
    """
    rnd = random.Random(seed)
    objectives = n // 10_000 + 20
    products = n // 1_000 + 50
    seconds = 360 * 24 * 3600 / max(n, 1)
    count = 0

    def event(kind: str, eid: str, day: date, **fields: Any) -> dict[str, Any]:
        nonlocal count
        at = START + timedelta(seconds=count * seconds)
        count += 1
        body = {"type": kind, "id": eid, "effective_date": min(day, at.date()).isoformat(),
                "actor": actor or f"cdg-{count % 7}", "recorded_at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                **fields}
        if not recorded:
            del body["recorded_at"]
        return body

    plan_day = date(2012, 1, 2)
    setup: list[dict[str, Any]] = [
        event("PlanOpened", "plan", plan_day, year=2012, title="Piano 2012", horizon_days=60)
    ]
    setup += [event("PolicyLineDefined", f"line-{i}", plan_day, year=2012, line=f"A{i}", title=f"Linea {i}")
              for i in range(10)]
    for o in range(objectives):
        setup.append(event("ObjectiveDefined", f"obj-{o}", plan_day, year=2012, objective=f"{o:03d}",
                           level="strategic", title=f"Obiettivo {o}", perspective=f"P{o % 4}",
                           line=f"A{o % 10}"))
        for i in range(3):
            setup.append(event("IndicatorDefined", f"ind-{o}-{i}", plan_day, indicator=f"{o:03d}.{i}",
                               objective=f"{o:03d}", title=f"Indicatore {o}.{i}", weight="33.33",
                               direction=("higher", "lower", "deadline")[i],
                               target=("100", "50", "2012-06-30")[i], unit="n."))
    for p in range(products):
        o = p % objectives
        setup.append(event("BudgetItemOpened", f"item-{p}", plan_day, item=f"I{p:05d}", line=f"A{o % 10}",
                           objective=f"{o:03d}", product=f"Prodotto {p}", amount="1000000000.00"))
    yield from setup[:n]
    reservations: list[list[Any]] = []  # [id, amount cents, approved cents, adjusted cents]
    measurements: list[tuple[str, date]] = []
    measured: dict[tuple[int, int, date], tuple[str, date]] = {}
    weights = [w for _, w in KINDS]
    names = [k for k, _ in KINDS]
    while count < n:
        day = (START + timedelta(seconds=count * seconds)).date()
        kind = rnd.choices(names, weights)[0]
        eid = f"e{count}"
        if kind == "vary":
            yield event("BudgetVaried", eid, day, item=f"I{rnd.randrange(products):05d}",
                        amount=f"{rnd.randint(-50_000, 100_000) / 100:.2f}".replace("-0.00", "0.00"))
        elif kind == "reserve" or not reservations:
            cents = rnd.randint(100, 5_000_000)
            reservations.append([eid, cents, 0, 0])
            yield event("ReservationMade", eid, day, reservation=eid, item=f"I{rnd.randrange(products):05d}",
                        amount=f"{cents / 100:.2f}")
        elif kind in ("approve", "adjust"):
            res = rnd.choice(reservations[-2000:])
            left = res[1] - res[2] - res[3]  # what is neither approved nor released yet
            if left <= 0:
                continue
            cents = rnd.randint(1, left)
            res[2 if kind == "approve" else 3] += cents
            yield event("ReservationApproved" if kind == "approve" else "ReservationAdjusted", eid, day,
                        reservation=res[0], amount=f"{cents / 100:.2f}")
        elif kind == "measure":
            o, i = rnd.randrange(objectives), rnd.randrange(2)
            ends = [d for d in (date(2012, 4, 30), date(2012, 8, 31), date(2012, 12, 31)) if d <= day]
            period = ends[-1] if ends else day
            value = f"{rnd.uniform(0, 150):.4f}"
            held = measured.get((o, i, period))  # one measurement a period: a second corrects the first
            if held is not None:
                yield event("EventCorrected", eid, held[1], corrects=held[0], reason="ricontato",
                            changes={"value": value})
                continue
            measured[o, i, period] = (eid, period)
            measurements.append((eid, period))
            yield event("IndicatorMeasured", eid, period, indicator=f"{o:03d}.{i}",
                        period_end=period.isoformat(), value=value)
        elif kind == "correct":
            if not measurements:
                continue
            corrects, effective = rnd.choice(measurements)  # a correction is effective when its fact is
            yield event("EventCorrected", eid, effective, corrects=corrects, reason="ricontato",
                        changes={"value": f"{rnd.uniform(0, 150):.4f}"})
        else:
            o = rnd.randrange(objectives)
            yield event("ObjectiveChanged", eid, day, objective=f"{o:03d}",
                        cause=rnd.choice(("internal", "normative")), reason="revisione", what="target",
                        indicator=f"{o:03d}.0", target=str(rnd.randint(80, 120)))


def write(n: int, seed: int, out: TextIO, *, actor: str | None = None, recorded: bool = True) -> None:
    out.writelines(json.dumps(e, separators=(",", ":")) + "\n"
                   for e in events(n, seed, actor=actor, recorded=recorded))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", type=int)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--actor", default=None, help="every event's actor (default: cdg-0 to cdg-6)")
    parser.add_argument("--no-recorded-at", dest="recorded", action="store_false",
                        help="leave recorded_at out (for an import without --backfill: a signed ledger's)")
    args = parser.parse_args()
    write(args.events, args.seed, sys.stdout, actor=args.actor, recorded=args.recorded)


if __name__ == "__main__":
    main()
