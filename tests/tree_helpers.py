"""A plan that declares its tree (PlanOpened version 2), from the seed's sections 2.2-2.4.

Strategic objectives 12, 15 and 16; the operational objectives of the Area Amministrativa (AMM)
and of the Area Anagrafica (ANA) under them, as section 2.3 prints them; two managers' individual
objectives of section 2.4, directly under strategic objectives, reusing organisational indicators.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from events import LedgerEvent, parse_submission
from ledger.aggregate import Ledger
from tests.conftest import ev, in_memory_ledger

NOW = datetime(2014, 1, 15, tzinfo=UTC)  # after the periods measured, of 2012 and 2013
DAY = "2012-01-27"
YEAR_END = "2012-12-31"
TREE = "strategic,operational,individual"


def plan(year: int = 2012, **fields: Any) -> dict[str, Any]:
    return ev("PlanOpened", f"plan-{year}", f"{year}-01-27", year=year, title=f"Piano {year}",
              horizon_days=60, levels=fields.pop("levels", TREE), **fields)


def objective(code: str, level: str, parent: str | None = None, day: str = DAY, year: int = 2012,
              **fields: Any) -> dict[str, Any]:
    extra = {} if parent is None else {"parent": parent}
    return ev("ObjectiveDefined", f"objective-{code}", day, year=year, objective=code, level=level,
              title=fields.pop("title", f"objective {code}"), **extra, **fields)


def indicator(code: str, of: str, weight: str, direction: str, target: str, day: str = DAY,
              **fields: Any) -> dict[str, Any]:
    return ev("IndicatorDefined", f"indicator-{code}", day, indicator=code, objective=of,
              title=fields.pop("title", f"indicator {code}"), weight=weight, direction=direction,
              target=target, unit=fields.pop("unit", "n."), **fields)


def measured(code: str, value: str, period_end: str = YEAR_END, day: str | None = None) -> dict[str, Any]:
    return ev("IndicatorMeasured", f"m-{code}-{period_end}", day or period_end, indicator=code,
              period_end=period_end, value=value)


def seed_tree() -> list[dict[str, Any]]:
    """The seed's figures: AMM x 16 prints 98% (pooled), ANA x 12 prints 67% (pooled; the mean would
    give 75%), strategic 16 its own 82% from its own indicators."""
    return [
        plan(),
        objective("12", "strategic", title="Valorizzazione del capitale umano"),
        objective("15", "strategic", title="Implementazione del sistema di Pianificazione e Controllo"),
        objective("16", "strategic", title="Migliorare la riscossione delle entrate"),
        indicator("16.2", "16", "20", "higher", "0.10", unit="%",
                  title="Finanziamenti da terzi (escluso Fondo Perequazione) / totale proventi"),
        indicator("16.x", "16", "80", "higher", "1.00", unit="ratio"),
        indicator("12.x", "12", "100", "higher", "1.00", unit="ratio"),
        indicator("15.x", "15", "100", "higher", "1.00", unit="ratio"),
        # Area Amministrativa, strategic 16: 16.1 (100%) and 16.2 (94%, 100%)
        objective("AMM/16.1", "operational", "16", area="AMM",
                  title="ottimizzare la riscossione del Diritto Annuale"),
        indicator("AMM/16.1-1", "AMM/16.1", "33.33", "deadline", "2012-09-30"),
        objective("AMM/16.2", "operational", "16", area="AMM",
                  title="Garantire la tempestività emissione ruoli"),
        indicator("AMM/16.2-1", "AMM/16.2", "33.33", "higher", "1.00", unit="%"),
        indicator("AMM/16.2-2", "AMM/16.2", "33.33", "deadline", "2012-10-31"),
        # Area Affari Generali, strategic 16: 16.4 (11%)
        objective("AAGG/16.4", "operational", "16", area="AAGG"),
        indicator("AAGG/16.4-1", "AAGG/16.4", "100", "higher", "1.00", unit="%"),
        # Area Anagrafica, strategic 12: 12.1 (100%) and 12.3 (0%, 100%)
        objective("ANA/12.1", "operational", "12", area="ANA"),
        indicator("ANA/12.1-1", "ANA/12.1", "33.33", "higher", "0.50", unit="%"),
        objective("ANA/12.3", "operational", "12", area="ANA"),
        indicator("ANA/12.3-1", "ANA/12.3", "33.33", "deadline", "2012-02-28"),
        indicator("ANA/12.3-2", "ANA/12.3", "33.33", "higher", "0.90", unit="%"),
        # Area Amministrativa, strategic 15: 15.1, one of its indicators
        objective("AMM/15.1", "operational", "15", area="AMM"),
        indicator("AMM/15.1-3", "AMM/15.1", "8.33", "deadline", "2012-02-28",
                  title="Piano di Progetto: Messa a regime Ciclo di Gestione della Performance"),
        # Section 2.4: the managers' individual objectives, directly under strategic objectives,
        # reusing organisational indicators with weights of their own.
        objective("DIR-AMM/15-1", "individual", "15", area="AMM",
                  owner="Dirigente Area Amministrativa, Contabile, Pianificazione e Controllo di gestione",
                  title="Ottimizzazione della gestione orientata alla performance"),
        indicator("DIR-AMM/15-1-1", "DIR-AMM/15-1", "50", "deadline", "2012-02-28", source="reference",
                  uses="AMM/15.1-3"),
        objective("DIR-ANA/16-1", "individual", "16", owner="Dirigente Area Anagrafica e Formazione",
                  title="Migliorare la riscossione delle entrate"),
        indicator("DIR-ANA/16-1-1", "DIR-ANA/16-1", "100", "higher", "0.10", unit="%", source="reference",
                  uses="16.2"),
    ]


def seed_measurements() -> list[dict[str, Any]]:
    return [
        measured("16.2", "0.0107"),
        measured("16.x", "1.00"),
        measured("12.x", "0.93"),
        measured("15.x", "1.00"),
        measured("AMM/16.1-1", "2012-09-28"),
        measured("AMM/16.2-1", "0.94"),
        measured("AMM/16.2-2", "2012-09-11"),
        measured("AAGG/16.4-1", "0.11"),
        measured("ANA/12.1-1", "0.53"),
        measured("ANA/12.3-1", "2012-11-08"),
        measured("ANA/12.3-2", "1.00"),
        measured("AMM/15.1-3", "2012-02-27"),
    ]


def only_individual_children() -> list[dict[str, Any]]:
    """Strategic 02 with one manager's individual objective under it and no operational one."""
    return [
        objective("02", "strategic"), indicator("02.2", "02", "100", "higher", "0.70", unit="%"),
        objective("DIR-AAGG/1", "individual", "02", area="AAGG", owner="Dirigente Area Affari Generali"),
        indicator("DIR-AAGG/1-1", "DIR-AAGG/1", "100", "higher", "0.70", unit="%", source="reference",
                  uses="02.2"),
        measured("02.2", "0.95"),
    ]


def ledger_of(*objs: dict[str, Any]) -> Ledger:
    return in_memory_ledger(list(objs), NOW)


def append(ledger: Ledger, *objs: dict[str, Any]) -> list[bool]:
    return ledger.extend([parse_submission(o) for o in objs], now=NOW)


def events_of(*objs: dict[str, Any]) -> list[LedgerEvent]:
    return list(ledger_of(*objs).pending_events)  # type: ignore[arg-type]
