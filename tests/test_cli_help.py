"""Help that teaches: `append TYPE --help` lists a type's fields, `types` lists the types, and a
mistyped type or field is answered with the nearest valid name."""

# The expected outputs are printed lines, wider than a line of code: E501 does not apply to them.
# ruff: noqa: E501

from __future__ import annotations

import json
import shlex

import pytest
from click.testing import CliRunner, Result

from cli.catalogue import type_example
from cli.main import main
from events.parse import SUBMITTABLE, parse_submission


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), terminal_width=80)


INDICATOR_MEASURED_HELP = """\
Usage: main append IndicatorMeasured [--FIELD VALUE]... [OPTIONS]

  Append one IndicatorMeasured event (version 2): An indicator was measured for
  the period ending on period_end.

Fields of IndicatorMeasured:
  --indicator     code; required
  --period-end    date YYYY-MM-DD; required
  --value         number (a decimal string), date YYYY-MM-DD, or ND (not
                  available); required
  --numerator     number (a decimal string); optional
  --denominator   number (a decimal string); optional
  --collected-on  date YYYY-MM-DD; optional

Fields of every event:
  --id              code; optional: generated if left out; give one to make a
                    retry safe
  --effective-date  date YYYY-MM-DD; required: when the fact holds
  --actor           code; default your login name (--actor, $PERFLEDGER_ACTOR)
  --act             act (a JSON object: kind, number, date); optional: the act
                    that decided the fact
  --note            text; optional

A field is an option (--period-end VALUE for period_end), or the whole event is
one --json object; --key FILE signs it.

Example:
  perfledger append IndicatorMeasured --id e-1 --effective-date 2012-04-30 --indicator A1 --period-end 2012-04-30 --value 0.65
  perfledger append --json '{"type": "IndicatorMeasured", "id": "e-1", "effective_date": "2012-04-30", "indicator": "A1", "period_end": "2012-04-30", "value": "0.65"}'
"""


def test_append_type_help_lists_the_fields_their_kinds_and_an_example() -> None:
    result = run("append", "IndicatorMeasured", "--help")
    assert result.exit_code == 0, result.output
    assert result.output == INDICATOR_MEASURED_HELP


def test_append_type_help_finds_the_type_among_options_and_in_any_spelling() -> None:
    result = run("append", "--actor", "cdg", "indicator-measured", "--indicator", "04.1", "-h")
    assert result.exit_code == 0, result.output
    assert result.output == INDICATOR_MEASURED_HELP


def test_append_type_help_shows_choices_defaults_and_signed_amounts() -> None:
    plan = run("append", "PlanOpened", "--help").output
    assert "  --rollup" in plan and "one of: pooled, mean; default pooled" in plan
    assert "integer from 1900 to 2999; required" in plan
    assert "--horizon-days" in plan and "default 0" in plan
    varied = run("append", "BudgetVaried", "--help").output
    assert "--amount           signed amount (euros, 2 decimals, as a string); required" in varied
    opened = run("append", "BudgetItemOpened", "--help").output
    assert "  amount (euros, 2 decimals, as a string); required" in opened


def test_append_help_without_a_type_keeps_its_own_help() -> None:
    result = run("append", "--help")
    assert result.exit_code == 0
    assert result.output.startswith("Usage: main append [OPTIONS] TYPE\n\n"
                                    "  Append one event, after checking it against the ledger's rules.\n")


def test_append_help_of_an_unknown_type_suggests_the_nearest() -> None:
    result = run("append", "IndicatorMesured", "--help")
    assert result.exit_code == 1
    assert result.output == ("Error: unknown event type 'IndicatorMesured'; did you mean IndicatorMeasured?"
                             " (perfledger types lists them)\n")


@pytest.mark.parametrize("cls", SUBMITTABLE, ids=lambda cls: cls.TYPE)
def test_every_types_example_passes_the_form_checks(cls: type) -> None:
    options, as_json = type_example(cls)
    body = json.loads(shlex.split(as_json)[-1])
    parse_submission({**body, "actor": "cdg"})
    words = shlex.split(options)[3:]
    assert dict(zip(words[::2], words[1::2], strict=True))["--id"] == "e-1"


TYPES_TABLE = """\
type                 version    meaning
-------------------  ---------  ----------------------------------------------------------------------------------------
PlanOpened           2          The performance plan of a year was approved.
PolicyLineDefined    1          A policy line (linea di indirizzo, A1...A7) of a year's plan.
ObjectiveDefined     2          An objective of the plan, on one of the plan's levels, under a parent on the level …
IndicatorDefined     2          An indicator measuring an objective, with its weight (in %), target and direction.
ObjectiveChanged     1          An objective was changed during the year (a variation of the plan).
ObjectiveStruck      1          An objective was withdrawn ("barrato"): kept in the record, shown as withdrawn, out of …
IndicatorStruck      1          One indicator of an objective was withdrawn: shown as withdrawn, out of its …
StrikeRevoked        1          A strike (strike: the id of an ObjectiveStruck or IndicatorStruck) is revoked from …
YearClosed           1          A year is closed by the act approving its Relazione (the event's act, required), and …
YearReopened         1          A closed year is reopened by an act (required), with its reason, until it is closed …
BudgetItemOpened     2          A budget item (prodotto) under one objective of the tree (at any level) and, if it is …
BudgetVaried         2          A variation of an item's budget: positive adds, negative removes (Variazioni).
ReservationMade      1          An amount was reserved (prenotato) on an item (>= 0).
ReservationApproved  1          Part or all of a reservation was approved (approvato, >= 0); never beyond the …
ReservationAdjusted  2          A reservation was adjusted (rettificato): a positive amount releases reserved money.
IndicatorMeasured    2          An indicator was measured for the period ending on period_end.
EventCorrected       2          An earlier event (corrects, its id) is corrected: changes gives new field values.
ActorRegistered      1          An actor and the Ed25519 public key that signs their events.
ActorRevoked         1          An actor's key is revoked: their later events are refused, their earlier ones stay.
HistoryMigrated      1          Events 1 to upto were migrated: their recorded_at is the source's, not this ledger's …
SourceImported       1          Events were read from a spreadsheet: its name, its SHA-256, each event's sheet and row.
"""


def test_types_lists_every_submittable_type_with_its_version_and_meaning_in_120_columns() -> None:
    result = run("types")
    assert result.exit_code == 0
    assert result.output == TYPES_TABLE
    assert max(len(line) for line in result.output.splitlines()) <= 120


def test_types_as_json_gives_each_meaning_whole() -> None:
    result = run("types", "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert [row["type"] for row in rows] == [cls.TYPE for cls in SUBMITTABLE]
    assert rows[15] == {"type": "IndicatorMeasured", "version": 2,
                        "meaning": "An indicator was measured for the period ending on period_end."}
    assert rows[2]["meaning"] == ("An objective of the plan, on one of the plan's levels, under a parent"
                                  " on the level above.")


def test_an_unknown_type_suggests_the_nearest_valid_name(tmp_path: object) -> None:
    result = run("--ledger", f"{tmp_path}/l.db", "append", "IndicatorMesured", "--id", "m-1")
    assert result.exit_code == 1
    assert result.output == ("Error: unknown event type 'IndicatorMesured'; did you mean IndicatorMeasured?"
                             " (perfledger types lists them)\n")


def test_a_type_like_none_lists_them_all(tmp_path: object) -> None:
    result = run("--ledger", f"{tmp_path}/l.db", "append", "Zzz")
    assert result.exit_code == 1
    assert result.output.startswith("Error: unknown event type 'Zzz'; known types: PlanOpened, PolicyLineDefined,")


def test_an_unknown_field_suggests_the_nearest_valid_name(tmp_path: object) -> None:
    result = run("--ledger", f"{tmp_path}/l.db", "append", "IndicatorMeasured", "--id", "m-1",
                 "--period-ends", "2012-04-30")
    assert result.exit_code == 1
    assert result.output == (
        "Error: event 'm-1': field \"period_ends\": is not a field of IndicatorMeasured; did you mean"
        " period_end? (its fields: collected_on, denominator, indicator, numerator, period_end, value)\n")


def test_a_mistyped_envelope_field_is_suggested_too(tmp_path: object) -> None:
    result = run("--ledger", f"{tmp_path}/l.db", "append", "--json",
                 '{"type": "ReservationMade", "id": "r-1", "efective_date": "2012-03-01"}')
    assert result.exit_code == 1
    assert "did you mean effective_date?" in result.output
