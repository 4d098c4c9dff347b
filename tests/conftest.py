"""Shared fixtures: a small plan as JSON events, and fresh ledgers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from events import parse_submission
from ledger import Store

EXAMPLE_DIR = Path(__file__).resolve().parents[1] / "examples" / "cciaa-massa-carrara-2012"


def ev(kind: str, id: str, day: str = "2012-02-01", **fields: Any) -> dict[str, Any]:
    """One submitted event as a controller would write it."""
    return {"type": kind, "id": id, "effective_date": day, "actor": "cdg", **fields}


def small_plan() -> list[dict[str, Any]]:
    """A plan of 2012 with one line, two objectives, two items and two indicators."""
    return [
        ev("PlanOpened", "plan", "2012-01-27", year=2012, title="Piano 2012", horizon_days=60,
           deadline_penalty="0.02", band_achieved="90", band_partly="80"),
        ev("PolicyLineDefined", "line-A1", "2012-01-27", year=2012, line="A1", title="Territorio"),
        ev("ObjectiveDefined", "obj-04", "2012-01-27", year=2012, objective="04", level="strategic",
           title="Valorizzazione", perspective="Imprese", line="A1"),
        ev("ObjectiveDefined", "obj-08", "2012-01-27", year=2012, objective="08", level="strategic",
           title="Monitoraggio", perspective="Imprese"),
        ev("BudgetItemOpened", "item-1", "2012-01-27", item="A1/04/01", line="A1", objective="04",
           product="Accordo di programma", amount="10000.00"),
        ev("BudgetItemOpened", "item-2", "2012-01-27", item="A1/04/02", line="A1", objective="04",
           product="Protocollo IAT", amount="0"),
        ev("IndicatorDefined", "ind-04.1", "2012-01-27", indicator="04.1", objective="04", title="Partecipanti",
           weight="50", direction="higher", target="30", unit="n.", source="measured"),
        ev("IndicatorDefined", "ind-04.2", "2012-01-27", indicator="04.2", objective="04", title="Bando",
           weight="50", direction="deadline", target="2012-03-30", unit="date", source="measured"),
    ]


def submissions(objs: list[dict[str, Any]]) -> list[Any]:
    return [parse_submission(o) for o in objs]


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


@pytest.fixture
def store(ledger_path: Path) -> Iterator[Store]:
    """A ledger holding the small plan."""
    s = Store.open(str(ledger_path), create=True)
    s.init("CCIAA Test", actor="cdg")
    s.append(submissions(small_plan()))
    yield s
    s.close()


def write_jsonl(path: Path, objs: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objs), encoding="utf-8")
    return path
