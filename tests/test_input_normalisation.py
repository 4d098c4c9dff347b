"""Input normalisation is defined once (issue 11): text is NFC, invisible characters are refused,
JSON Lines are read the same way everywhere, and amounts are bounded."""

from __future__ import annotations

import json
import re
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from events import InvalidEvent, InvalidField, parse_submission
from ledger import Store, audit
from tests.conftest import ev, small_plan, submissions, write_jsonl

NFC_ID, NFD_ID = "r-citt\u00e0", "r-citta\u0300"


def run(ledger: Path | str, *args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(main, ["--ledger", str(ledger), *args], input=input, catch_exceptions=False)


def reservation(**changes: Any) -> dict[str, Any]:
    return ev("ReservationMade", "r-1", reservation="r-1", item="A1/04/01", amount="100.00") | changes


def variation(id: str, amount: str = "1.00", **changes: Any) -> dict[str, Any]:
    return ev("BudgetVaried", id, item="A1/04/01", amount=amount, **changes)


@pytest.fixture
def planned(ledger_url: str, tmp_path: Path) -> str:
    assert run(ledger_url, "init", "--entity", "CCIAA Test", "--actor", "cdg").exit_code == 0
    result = run(ledger_url, "import", str(write_jsonl(tmp_path / "plan.jsonl", small_plan())))
    assert result.exit_code == 0, result.output
    return ledger_url


def event_count(ledger: str) -> int:
    return len(json.loads(run(ledger, "log", "--format", "json").output))


def one_error_line(result: Result) -> str:
    """The single `Error: ...` line of a refused command (no traceback)."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


# -- 1. ids, codes and names are NFC, without invisible characters -------------------------------

def test_an_id_in_nfd_is_the_same_id_as_in_nfc() -> None:
    nfc, nfd = parse_submission(reservation(id=NFC_ID)), parse_submission(reservation(id=NFD_ID))
    assert nfd.event_id == NFC_ID
    assert nfd.content_bytes == nfc.content_bytes


def test_codes_names_and_notes_are_nfc_normalised_when_parsed() -> None:
    sub = parse_submission(ev("BudgetItemOpened", "item-9", item="A1/04/citta\u0300", line="A1",
                              objective="04", product="Universita\u0300", amount="1.00",
                              note="perche\u0301\nsì"))
    assert sub.fields["item"] == "A1/04/citt\u00e0"
    assert sub.fields["product"] == "Universit\u00e0"
    assert sub.fields["note"] == "perch\u00e9\nsì"


def test_the_same_file_reimported_in_nfd_writes_nothing_again(planned: str, tmp_path: Path) -> None:
    nfc = write_jsonl(tmp_path / "nfc.jsonl", [variation(NFC_ID, note="citt\u00e0")])
    nfd = write_jsonl(tmp_path / "nfd.jsonl", [variation(NFD_ID, note="citta\u0300")])
    assert run(planned, "import", str(nfc)).exit_code == 0
    before = event_count(planned)
    result = run(planned, "import", str(nfd))
    assert result.exit_code == 0, result.output
    assert "Imported 0 new event(s); 1 already present." in result.output
    assert event_count(planned) == before


def test_an_id_with_a_zero_width_space_is_refused_naming_the_character() -> None:
    with pytest.raises(InvalidField) as refused:
        parse_submission(reservation(id="r-1\u200b"))
    assert (
        'field "id": "r-1\\u200b" holds an invisible character U+200B ZERO WIDTH SPACE' in str(refused.value)
    )


def test_a_file_reimported_with_a_zero_width_space_in_an_id_is_refused_and_writes_nothing(
    planned: str, tmp_path: Path
) -> None:
    assert run(planned, "import", str(write_jsonl(tmp_path / "a.jsonl", [variation("v-1")]))).exit_code == 0
    before = event_count(planned)
    error = one_error_line(
        run(planned, "import", str(write_jsonl(tmp_path / "b.jsonl", [variation("v-\u200b1")])))
    )
    assert 'line 1' in error and 'field "id"' in error and "U+200B ZERO WIDTH SPACE" in error
    assert event_count(planned) == before


INVISIBLE = {
    "\x00": "control character U+0000",
    "\t": "control character U+0009",
    "\n": "control character U+000A",
    "\r": "control character U+000D",
    "\x7f": "control character U+007F",
    "\x85": "control character U+0085",
    "\u00ad": "invisible character U+00AD SOFT HYPHEN",
    "\u200b": "invisible character U+200B ZERO WIDTH SPACE",
    "\u200c": "invisible character U+200C ZERO WIDTH NON-JOINER",
    "\u200d": "invisible character U+200D ZERO WIDTH JOINER",
    "\u2060": "invisible character U+2060 WORD JOINER",
    "\ufeff": "invisible character U+FEFF ZERO WIDTH NO-BREAK SPACE",
    "\U000e0041": "invisible character U+E0041 TAG LATIN CAPITAL LETTER A",
    "\u200e": "bidirectional control U+200E LEFT-TO-RIGHT MARK",
    "\u200f": "bidirectional control U+200F RIGHT-TO-LEFT MARK",
    "\u202a": "bidirectional control U+202A LEFT-TO-RIGHT EMBEDDING",
    "\u202e": "bidirectional control U+202E RIGHT-TO-LEFT OVERRIDE",
    "\u2066": "bidirectional control U+2066 LEFT-TO-RIGHT ISOLATE",
    "\u2069": "bidirectional control U+2069 POP DIRECTIONAL ISOLATE",
    "\u2028": "line separator U+2028 LINE SEPARATOR",
    "\u2029": "paragraph separator U+2029 PARAGRAPH SEPARATOR",
}


@pytest.mark.parametrize("char", list(INVISIBLE))
@pytest.mark.parametrize("field", ["id", "actor", "item", "product"])
def test_ids_codes_and_names_refuse_control_invisible_and_separator_characters(char: str, field: str) -> None:
    obj = ev(
        "BudgetItemOpened", "item-9", item="A1/04/09", line="A1", objective="04", product="P", amount="1.00"
    )
    obj[field] = f"a{char}b"
    with pytest.raises(InvalidField, match=f'field "{field}": .* holds an? {re.escape(INVISIBLE[char])}'):
        parse_submission(obj)


@pytest.mark.parametrize("field", ["title", "perspective"])
def test_titles_and_other_short_names_are_one_line_of_visible_text(field: str) -> None:
    obj = ev(
        "ObjectiveDefined", "obj-9", year=2012, objective="09", level="strategic", title="T", perspective="P"
    )
    for char in "\n\t\u200b\u202e\u2028":
        with pytest.raises(InvalidField, match=f'field "{field}"'):
            parse_submission(obj | {field: f"a{char}b"})


def test_a_name_or_code_refuses_exactly_the_characters_of_categories_cc_cf_zl_zp_and_cs() -> None:
    from events.fields import Code, Name

    for point in range(0x110000):
        ch = chr(point)
        refused = unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs")
        for kind in (Code("c"), Name("n")):
            try:
                kind.parse(f"a{ch}b", "f")
            except InvalidField:
                assert refused, f"{kind.name} U+{point:04X}"
            else:
                assert not refused, f"{kind.name} U+{point:04X}"


def test_a_note_may_hold_newlines_and_tabs_but_no_other_control_nor_bidi_control() -> None:
    note = "Prima riga,\n\tseconda riga."
    assert parse_submission(reservation(note=note)).fields["note"] == note
    for char in (
        "\r", "\x00", "\x1b", "\x85", "\u202e", "\u2066", "\u200e", "\u200b", "\ufeff", "\u2028", "\u2029"
    ):
        with pytest.raises(
            InvalidField, match=f'field "note": .* holds an? {re.escape(INVISIBLE.get(char, ""))}'
        ):
            parse_submission(reservation(note=f"a{char}b"))


def test_a_note_keeps_the_joiners_and_soft_hyphens_of_prose() -> None:
    note = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 fa\u00admi\u00adglia \U0001f469\u200d\U0001f4bb"
    assert parse_submission(reservation(note=note)).fields["note"] == note


def test_a_long_note_with_a_bad_character_is_shown_around_it() -> None:
    with pytest.raises(InvalidField) as refused:
        parse_submission(reservation(note="x" * 4900 + "\u202e" + "y" * 4900))
    message = str(refused.value)
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in message and "\\u202e" in message and len(message) < 300


@pytest.mark.parametrize(
    "entity", ["CCIAA\nMassa", "CCIAA\u202eMassa", "CCIAA\u200bMassa", "CCIAA\u2028Massa"]
)
def test_init_refuses_an_entity_that_is_not_one_line_of_visible_text(tmp_path: Path, entity: str) -> None:
    ledger = tmp_path / "l.db"
    error = one_error_line(run(ledger, "init", "--entity", entity, "--actor", "cdg"))
    assert 'field "entity"' in error
    assert run(ledger, "init", "--entity", "CCIAA Massa", "--actor", "cdg").exit_code == 0


def test_import_refuses_an_entity_that_is_not_one_line_and_leaves_no_file(tmp_path: Path) -> None:
    ledger = tmp_path / "new.db"
    plan = write_jsonl(tmp_path / "plan.jsonl", small_plan())
    error = one_error_line(run(ledger, "import", str(plan), "--entity", "CCIAA\nsize: 99"))
    assert 'field "entity"' in error and "U+000A" in error
    assert not ledger.exists()


def test_the_entity_is_stored_nfc_and_a_checkpoint_note_keeps_its_form(ledger_url: str) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ledger.proofs import Checkpoint

    with Store.open(ledger_url, create=True) as store:
        store.init("Citta\u0300 di Massa", actor="cdg")
        store.append(submissions(small_plan()))
        assert store.entity() == "Citt\u00e0 di Massa"
        private = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        note = audit.checkpoint(store, private, "cdg").text()
        assert Checkpoint.parse(note).origin == audit.origin(store)
        assert audit.origin(store).startswith("perfledger.invalid/citta-di-massa/")


def test_the_actor_of_a_new_ledger_follows_the_code_rule(tmp_path: Path) -> None:
    error = one_error_line(run(tmp_path / "l.db", "init", "--entity", "E", "--actor", "cdg\u200b"))
    assert 'field "actor"' in error and "U+200B" in error


# -- 2. JSON Lines are read as bytes, the same way everywhere ---------------------------------------

def test_a_latin1_file_is_one_error_line_naming_the_line_and_byte(planned: str, tmp_path: Path) -> None:
    before = event_count(planned)
    path = tmp_path / "latin1.jsonl"
    lines = [
        json.dumps(variation("v-1")), json.dumps(variation("v-2", note="citt\u00e0"), ensure_ascii=False)
    ]
    path.write_bytes("\n".join(lines).encode("latin-1") + b"\n")
    offset = lines[1].encode("latin-1").index(b"\xe0") + 1
    error = one_error_line(run(planned, "import", str(path)))
    assert error == f"Error: line 2: not UTF-8 at byte {offset} of the line (0xe0): save the file as UTF-8"
    assert event_count(planned) == before


def test_a_latin1_stream_on_stdin_gets_the_same_error_as_the_file(planned: str, tmp_path: Path) -> None:
    data = (json.dumps(variation("v-2", note="citt\u00e0"), ensure_ascii=False) + "\n").encode("latin-1")
    error = one_error_line(run(planned, "import", "-", input=data))
    assert "line 1: not UTF-8 at byte" in error and "(0xe0)" in error


def test_a_utf8_file_with_a_bom_and_windows_line_ends_imports_as_without_them(
    planned: str, tmp_path: Path
) -> None:
    path = tmp_path / "bom.jsonl"
    lines = [
        json.dumps(variation("v-1", note="citt\u00e0"), ensure_ascii=False), json.dumps(variation("v-2"))
    ]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    result = run(planned, "import", str(path))
    assert result.exit_code == 0, result.output
    assert "Imported 2 new event(s)" in result.output
    plain = write_jsonl(tmp_path / "plain.jsonl", [variation("v-1", note="citt\u00e0"), variation("v-2")])
    assert "Imported 0 new event(s); 2 already present." in run(planned, "import", str(plain)).output


def test_a_note_with_a_line_separator_gets_the_same_answer_from_append_and_import(
    planned: str, tmp_path: Path
) -> None:
    obj = variation("v-ls", note="prima\u2028seconda")
    by_append = run(planned, "append", "--json", json.dumps(obj, ensure_ascii=False))
    path = tmp_path / "ls.jsonl"
    path.write_bytes((json.dumps(obj, ensure_ascii=False) + "\n").encode())
    by_import = run(planned, "import", str(path))
    by_stdin = run(planned, "import", "-", input=path.read_bytes())
    append_error, import_error = one_error_line(by_append), one_error_line(by_import)
    assert import_error == "Error: line 1, " + append_error.removeprefix("Error: ")
    assert one_error_line(by_stdin) == import_error
    assert "U+2028 LINE SEPARATOR" in append_error


def test_parse_jsonl_splits_on_newline_only_and_strips_one_bom_and_carriage_returns() -> None:
    from events.parse import parse_jsonl

    data = b'\xef\xbb\xbf{"a": "x\xe2\x80\xa8y\xc2\x85z"}\r\n\n  \r\n[1]\n{"b": 2}'
    assert list(parse_jsonl(data)) == [(1, {"a": "x\u2028y\x85z"}), (4, [1]), (5, {"b": 2})]


def test_parse_jsonl_refuses_a_second_bom_and_bad_json_naming_the_line() -> None:
    from events.parse import parse_jsonl

    with pytest.raises(InvalidEvent, match="line 2: .*byte-order mark"):
        list(parse_jsonl(b'{"a": 1}\n\xef\xbb\xbf{"a": 2}\n'))
    with pytest.raises(InvalidEvent, match="line 3: malformed JSON"):
        list(parse_jsonl(b'{"a": 1}\n\n{"a": \n'))


def test_parse_jsonl_names_the_byte_of_an_invalid_utf8_sequence() -> None:
    from events.parse import parse_jsonl

    with pytest.raises(InvalidEvent) as refused:
        list(parse_jsonl(b'{"a": 1}\n{"a": "\xc3\xa0\xe0 "}\n'))
    assert str(refused.value) == "line 2: not UTF-8 at byte 10 of the line (0xe0): save the file as UTF-8"


# -- 3. amounts are bounded -------------------------------------------------------------------------

def test_the_largest_amount_is_accepted_and_one_cent_more_is_refused() -> None:
    from events.fields import MAX_AMOUNT

    assert MAX_AMOUNT == Decimal("999999999999.99")
    for sign in ("", "-"):
        assert parse_submission(variation("v", f"{sign}999999999999.99")).fields["amount"] == Decimal(
            f"{sign}999999999999.99")
        with pytest.raises(InvalidField, match='field "amount": .*largest amount .*999999999999.99'):
            parse_submission(variation("v", f"{sign}1000000000000.00"))
    assert parse_submission(reservation(amount="999999999999.99")).fields["amount"] == MAX_AMOUNT
    with pytest.raises(InvalidField, match="largest amount"):
        parse_submission(reservation(amount="1000000000000"))


def test_the_amounts_that_overflowed_the_read_model_are_refused() -> None:
    # 93 of these on one item overflowed the read model's int64 sum of cents.
    with pytest.raises(InvalidField, match="largest amount"):
        parse_submission(variation("v", "999999999999999.99"))


def test_ninety_three_maximal_variations_on_one_item_sum_exactly(planned: str, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "max.jsonl", [variation(f"v-{n}", "999999999999.99") for n in range(93)])
    assert run(planned, "import", str(path)).exit_code == 0
    result = run(planned, "budget", "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"available": "93000000009999.07"' in result.output  # 10.000,00 + 93 x 999.999.999.999,99


def test_a_number_beyond_its_bound_is_refused_naming_the_bound() -> None:
    from events.fields import MAX_NUMBER

    ok = ev("IndicatorMeasured", "m", indicator="04.1", period_end="2012-04-30", value="1", numerator="1")
    assert parse_submission(ok | {"numerator": str(MAX_NUMBER)}).fields["numerator"] == MAX_NUMBER
    with pytest.raises(InvalidField, match='field "numerator": .*largest number'):
        parse_submission(ok | {"numerator": "1000000000000000000"})
    with pytest.raises(InvalidField, match='field "numerator": .*largest number'):
        parse_submission(ok | {"numerator": "-1000000000000000000.000000000001"})


def test_a_correction_in_nfd_is_stored_as_its_nfc_twin() -> None:
    nfc = ev(
        "EventCorrected", "c-1", corrects="item-1", reason="perch\u00e9", changes={"product": "Citt\u00e0"}
    )
    nfd = nfc | {"reason": "perche\u0301", "changes": {"product": "Citta\u0300"}}
    assert parse_submission(nfd).content_bytes == parse_submission(nfc).content_bytes
