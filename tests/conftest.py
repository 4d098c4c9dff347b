"""Shared fixtures: a small plan as JSON events, and fresh ledgers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import chdir, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from events import parse_submission
from ledger import Store
from ledger.aggregate import Ledger
from tests.backends import POSTGRES, postgres_ledger_url, require_postgres

EXAMPLE_DIR = Path(__file__).resolve().parents[1] / "examples" / "cciaa-massa-carrara-2012"


def import_example(ledger: str) -> str:
    """``ledger`` (a new path or URL) holding the 2012 example, imported as the README's tour does."""
    from click.testing import CliRunner

    from cli.main import main

    result = CliRunner().invoke(main, ["--ledger", ledger, "import", str(EXAMPLE_DIR / "events.jsonl"),
                                       "--backfill", "--entity", "CCIAA Massa Carrara"])
    assert result.exit_code == 0, result.output
    return ledger


@contextmanager
def example_on(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The 2012 example's ledger on one of ``BACKENDS``: a new SQLite file, or a PostgreSQL schema of its
    own (dropped after)."""
    if backend == "sqlite":
        yield import_example(str(tmp_path_factory.mktemp("example") / "cciaa.db"))
    else:
        with postgres_ledger_url() as url:
            yield import_example(url)


def ledger_events(ledger: str) -> list[Any]:
    """Every event of ``ledger``, in order, as the commands read them."""
    store = Store.open(ledger)
    try:
        return list(store.events(upto=store.length()))
    finally:
        store.close()


def cosign_example(ledger: str, here: Path) -> Path:
    """``here``, holding the keys ``cdg`` (the ledger's) and ``oiv`` (a witness, named
    ``oiv.cciaa-ms.example``) and ``checkpoint.txt`` of ``ledger``, signed by cdg and cosigned by oiv
    (whose state is ``oiv-state.json``)."""
    from click.testing import CliRunner

    from cli.main import main

    def run(*args: str) -> None:
        result = CliRunner().invoke(main, list(args))
        assert result.exit_code == 0, result.output

    with chdir(here):
        run("key", "new", "cdg")
        run("key", "new", "oiv", "--key-name", "oiv.cciaa-ms.example", "--witness")
        run("--ledger", ledger, "checkpoint", "--key", "cdg.key", "--out", "checkpoint.txt")
        run("--ledger", ledger, "checkpoint", "cosign", "checkpoint.txt", "--key", "oiv.key", "--log-vkey",
            "cdg.vkey", "--state", "oiv-state.json")
    return here


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The 2012 example's ledger (SQLite), read by a module's tests (a module that runs them on every
    store defines its own ``example`` with ``example_on``)."""
    return import_example(str(tmp_path_factory.mktemp("example") / "cciaa.db"))


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
        ev("IndicatorDefined", "ind-04.1", "2012-01-27", indicator="04.1", objective="04",
           title="Partecipanti", weight="50", direction="higher", target="30", unit="n.", source="measured"),
        ev("IndicatorDefined", "ind-04.2", "2012-01-27", indicator="04.2", objective="04", title="Bando",
           weight="50", direction="deadline", target="2012-03-30", unit="date", source="measured"),
    ]


def submissions(objs: list[dict[str, Any]]) -> list[Any]:
    return [parse_submission(o) for o in objs]


def in_memory_ledger(objs: list[dict[str, Any]], now: datetime, opened: datetime | None = None) -> Ledger:
    """A ledger in memory (no store) opened at ``opened`` (default ``now``) holding these submitted
    events, written at ``now``."""
    ledger = Ledger.open(entity="CCIAA", actor="cdg", note="", now=opened or now)
    ledger.extend(submissions(objs), now=now)
    return ledger


BACKENDS = ["sqlite", "postgres"]


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


@pytest.fixture(params=BACKENDS)
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where a fresh ledger goes: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield str(tmp_path / "ledger.db")
    else:
        with postgres_ledger_url() as url:
            yield url


@pytest.fixture
def store(ledger_url: str) -> Iterator[Store]:
    """A ledger holding the small plan, on each store."""
    s = Store.open(ledger_url, create=True)
    s.init("CCIAA Test", actor="cdg")
    s.append(submissions(small_plan()))
    yield s
    s.close()


def write_jsonl(path: Path, objs: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objs), encoding="utf-8")
    return path


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """A PostgreSQL ledger with the small plan (9 events), a controller and an auditor (their role names)."""
    require_postgres()
    import uuid

    import psycopg
    from click.testing import CliRunner

    from cli.main import main

    suffix = uuid.uuid4().hex[:8]
    controller, auditor = f"pl_ctrl_{suffix}", f"pl_oiv_{suffix}"
    with postgres_ledger_url() as url:
        plan = str(write_jsonl(tmp_path / "plan.jsonl", small_plan()))
        assert CliRunner().invoke(main, ["--ledger", url, "import", plan, "--actor", "cdg"]).exit_code == 0
        for role, name in (("controller", controller), ("auditor", auditor)):
            result = CliRunner().invoke(main, ["--ledger", url, "db", "grant", "--role", role, name])
            assert result.exit_code == 0, result.output
        try:
            yield url, controller, auditor
        finally:
            with psycopg.connect(POSTGRES, autocommit=True) as conn:
                for name in (controller, auditor):
                    conn.execute(f'DROP OWNED BY "{name}"')
                    conn.execute(f'DROP ROLE "{name}"')


def assert_holds(old: object, new: object, where: str = "") -> None:
    """Every key and value of the previous release's JSON is in this one's, equal, in the same order;
    this release may add keys (the tree, the year's closing), never drop or change one."""
    if isinstance(old, dict):
        assert isinstance(new, dict), where
        for key, value in old.items():
            assert key in new, f"{where}.{key} is gone"
            assert_holds(value, new[key], f"{where}.{key}")
    elif isinstance(old, list):
        assert isinstance(new, list) and len(new) == len(old), where
        for n, (a, b) in enumerate(zip(old, new)):
            assert_holds(a, b, f"{where}[{n}]")
    else:
        assert old == new, f"{where}: {old!r} became {new!r}"
