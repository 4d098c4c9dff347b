"""Bad input, end to end: each one a single `Error:` line, and the ledger byte-for-byte unchanged.

Also: thousands of generated invalid submissions give no write and no traceback.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cli.main import main
from events import PerfledgerError, parse_submission
from ledger.aggregate import Ledger
from tests.conftest import ev, small_plan, write_jsonl

RESERVE = ev("ReservationMade", "r-ok", reservation="r-ok", item="A1/04/01", amount="100.00")


def res(**changes: Any) -> str:
    return json.dumps({**RESERVE, **changes})


# (what is submitted, the fragment the one-line error must contain)
BAD_JSON: list[tuple[str, str]] = [
    ('{"type": "ReservationMade", "id": "r1"', "malformed JSON"),
    ('{"type": "ReservationMade", "id": "r1", "amount": "1', "malformed JSON"),
    ("[1, 2]", "must be a JSON object"),
    (res().replace('"r-ok"', '"r\\ud800x"', 1), "lone surrogate"),
    (res(id="r\u202ex"), "bidirectional control"),
    (res(id="r\x01x"), "control character U+0001"),
    (res().replace('"r-ok"', '"r\x01x"', 1), "malformed JSON"),
    (res(id=""), 'field "id"'),
    ('{"type": "ReservationMade", "id": "r1", "id": "r2"}', "duplicate key 'id'"),
    (res().replace('"100.00"', "NaN"), "NaN is not a number"),
    (res().replace('"100.00"', "Infinity"), "Infinity is not a number"),
    (res().replace('"100.00"', "1e400"), "not a JSON number"),
    (res().replace('"100.00"', "100.5"), "not a JSON number"),
    (res(amount="1.234,56"), "is not an amount"),
    (res(amount="1,000.00"), "is not an amount"),
    (res(amount="1e3"), "is not an amount"),
    (res(amount="-0"), "must not be negative"),
    (res(amount="-5.00"), "must not be negative"),
    (res(amount="10.001"), "is not an amount"),
    (res(effective_date="2012-02-30"), "not a calendar date"),
    (res(effective_date="9999-12-31"), "outside the years 1900-2999"),
    (res(effective_date="2013-12-31"), "outside the plan of 2012"),
    (res(colour="red"), 'field "colour": is not a field'),
    (res(seq=7), "set by the ledger"),
    (res(recorded_at="2012-03-01T10:00:00Z"), "only `import --backfill`"),
    (res(type="BudgetDeleted"), "unknown event type 'BudgetDeleted'"),
    (res(v=2), "version 2 is not supported"),
    (json.dumps({k: v for k, v in RESERVE.items() if k != "type"}), 'has no "type"'),
    (res(item="A9/99/99"), "unknown budget item 'A9/99/99'"),
    (res(amount="10000.01"), "has 10.000,00 available"),
    (res(note="x" * 10_000_001), "the limit is 10000"),
    (json.dumps(ev("ReservationApproved", "a1", reservation="nope", amount="1.00")),
     "unknown reservation 'nope'"),
    (json.dumps(ev("IndicatorMeasured", "m1", "2012-04-30", indicator="04.1", period_end="2012-04-30",
                   value="2012-04-01")), "does not fit higher indicator"),
    (json.dumps(ev("IndicatorDefined", "i9", indicator="04.9", objective="04", title="t", weight="101",
                   direction="higher", target="1")), "weight 101 is outside 0-100"),
    (json.dumps(ev("EventCorrected", "c1", corrects="item-1", reason="x", changes={"item": "A1/04/09"})),
     "identifies BudgetItemOpened"),
    (json.dumps(ev("EventCorrected", "c2", corrects="ghost", reason="x", changes={"amount": "1.00"})),
     "corrects unknown event 'ghost'"),
    (json.dumps(ev("PlanOpened", "plan-x", year="2012", title="P")), "must be an integer"),
    (json.dumps(ev("ObjectiveDefined", "obj-04", "2012-01-27", year=2012, objective="04", level="strategic",
                   title="Changed")), "already stored with different content"),
]


def files_digest(ledger: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(ledger.parent.glob(ledger.name + "*")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    ledger = tmp_path_factory.mktemp("bad") / "ledger.db"
    plan = write_jsonl(ledger.parent / "plan.jsonl", small_plan())
    imported = CliRunner().invoke(main, ["--ledger", str(ledger), "import", str(plan), "--actor", "cdg"])
    assert imported.exit_code == 0
    yield ledger


def test_there_are_at_least_thirty_distinct_bad_inputs() -> None:
    assert len({text for text, _ in BAD_JSON}) == len(BAD_JSON) >= 30


@pytest.mark.parametrize("text, fragment", BAD_JSON, ids=[f"bad-{i:02d}" for i in range(len(BAD_JSON))])
def test_a_bad_event_is_one_error_line_and_changes_no_byte(planned: Path, text: str, fragment: str) -> None:
    before = files_digest(planned)
    appended = CliRunner().invoke(main, ["--ledger", str(planned), "append", "--json", text,
                                         "--actor", "cdg"])
    imported = CliRunner().invoke(main, ["--ledger", str(planned), "import", "-"], input=text + "\n")
    for result in (appended, imported):
        assert result.exit_code == 1, result.output
        assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output[:300]
        assert fragment in result.output, result.output[:300]
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert imported.output.startswith("Error: line 1")
    assert files_digest(planned) == before


def test_a_timestamp_without_timezone_is_refused_in_a_backfill(planned: Path) -> None:
    before = files_digest(planned)
    obj = {**RESERVE, "recorded_at": "2012-03-01T10:00:00"}
    result = CliRunner().invoke(main, ["--ledger", str(planned), "import", "-", "--backfill"],
                                input=json.dumps(obj))
    assert result.exit_code == 1 and "with a timezone" in result.output
    assert files_digest(planned) == before


def test_a_csv_formula_in_a_note_is_stored_as_text_and_defused_on_export(
    planned: Path, tmp_path: Path
) -> None:
    ledger = tmp_path / "f.db"
    plan = write_jsonl(tmp_path / "p.jsonl", small_plan())
    CliRunner().invoke(main, ["--ledger", str(ledger), "import", str(plan), "--actor", "cdg"])
    obj = {**RESERVE, "note": '=cmd|" /C calc"!A0'}
    appended = CliRunner().invoke(main, ["--ledger", str(ledger), "append", "--json", json.dumps(obj)])
    assert appended.exit_code == 0
    out = CliRunner().invoke(main, ["--ledger", str(ledger), "show", "r-ok", "--format", "csv"]).output
    assert 'note,"\'=cmd' in out


# -- generated invalid submissions ---------------------------------------------------------------
_LEDGER = Ledger.open(entity="Test", actor="cdg", note="", now=datetime(2012, 6, 1, tzinfo=UTC))
_LEDGER.extend([parse_submission(o) for o in small_plan()], now=datetime(2012, 6, 1, tzinfo=UTC))
VALID = [RESERVE, ev("BudgetVaried", "v", item="A1/04/01", amount="-1.00"),
         ev("IndicatorMeasured", "m", "2012-04-30", indicator="04.1", period_end="2012-04-30", value="3")]
junk = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12),
                 st.lists(st.integers(), max_size=2),
                 st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
corruption = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(["amount", "item", "effective_date", "id", "type", "value",
                                               "indicator", "period_end", "act", "v", "reservation"]), junk),
    st.tuples(st.just("drop"), st.sampled_from(["id", "type", "effective_date", "actor"]), st.none()),
    st.tuples(st.just("add"), st.text(max_size=8).map(lambda k: "x_" + k), junk),
)


def corrupt(base: dict[str, Any], change: tuple[str, str, Any]) -> dict[str, Any] | None:
    kind, key, value = change
    obj = dict(base)
    if kind == "drop":
        obj.pop(key, None)
    elif kind == "add":
        obj[key] = value
    else:
        if key not in obj or obj[key] == value or isinstance(value, str):
            return None  # not certainly invalid
        obj[key] = value
    return obj


@settings(max_examples=10_000, deadline=None,
          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(st.sampled_from(VALID), corruption)
def test_ten_thousand_invalid_submissions_write_nothing_and_raise_no_traceback(
    base: dict[str, Any], change: tuple[str, str, Any]
) -> None:
    obj = corrupt(base, change)
    assume(obj is not None)
    assert obj is not None
    version = _LEDGER.version
    try:
        _LEDGER.extend([parse_submission(obj)], now=datetime(2012, 6, 1, tzinfo=UTC))
    except PerfledgerError as e:
        assert str(e)
    else:
        raise AssertionError(f"accepted an invalid submission: {obj}")
    assert _LEDGER.version == version and not _LEDGER.pending_events[version:]
