"""Facts: strict parsing of submissions and the canonical form that the hash chain relies on."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from events import ReservationMade, parse_submission
from events.base import GENESIS
from events.errors import InvalidEvent, InvalidField, MissingField, UnknownEventType, UnknownField
from events.fields import Money, Number, format_timestamp
from events.parse import SUBMITTABLE, event_type, loads_strict
from tests.conftest import ev


def reservation(**overrides: object) -> dict[str, object]:
    base = ev("ReservationMade", "r-1", reservation="r-1", item="A1/04/01", amount="100.00")
    base.update(overrides)
    return base


@pytest.mark.parametrize(
    "amount, problem",
    [
        (100.5, "not a JSON number"),
        (100, "not a JSON number"),
        ("1.234,56", "is not an amount"),
        ("1,234.56", "is not an amount"),
        ("1e3", "is not an amount"),
        ("NaN", "is not an amount"),
        ("Infinity", "is not an amount"),
        ("10.005", "is not an amount"),
        ("-5.00", "must not be negative"),
        ("", "is not an amount"),
        (" 5.00", "is not an amount"),
    ],
)
def test_amounts_must_be_plain_decimal_strings_with_at_most_two_places(amount: object, problem: str) -> None:
    with pytest.raises(InvalidField) as caught:
        parse_submission(reservation(amount=amount))
    assert 'field "amount"' in str(caught.value)
    assert problem.replace("not a JSON number", "a JSON number") in str(caught.value)


def test_signed_amounts_refuse_minus_zero() -> None:
    with pytest.raises(InvalidField, match="-0 is not an amount"):
        Money("amount", signed=True).parse("-0.00", "amount")


def test_amounts_are_stored_with_exactly_two_places() -> None:
    sub = parse_submission(reservation(amount="5"))
    assert sub.fields["amount"] == Decimal("5.00")
    assert b'"amount":"5.00"' in sub.content_bytes


def test_measured_values_stay_unrounded() -> None:
    assert Number("v").parse("0.3444444444", "v") == Decimal("0.3444444444")


@pytest.mark.parametrize(
    "day", ["2012-02-30", "2012-13-01", "12-01-2012", "31/12/2012", "9999-12-31", 20120101]
)
def test_effective_dates_must_be_real_iso_days(day: object) -> None:
    with pytest.raises(InvalidField, match="effective_date"):
        parse_submission(reservation(effective_date=day))


def test_unknown_fields_are_refused_with_the_known_ones_listed() -> None:
    with pytest.raises(UnknownField, match="amout.*its fields: amount, item, override_reason, reservation"):
        parse_submission(reservation(amout="1.00"))


@pytest.mark.parametrize("field", ["seq", "prev", "hash", "recorded_at"])
def test_fields_set_by_the_ledger_cannot_be_submitted(field: str) -> None:
    with pytest.raises(UnknownField, match="set by the ledger"):
        parse_submission(reservation(**{field: "x"}))


def test_missing_required_fields_are_named() -> None:
    obj = reservation()
    del obj["item"]
    with pytest.raises(MissingField, match='"item"'):
        parse_submission(obj)


@pytest.mark.parametrize("ident", ["r\u202e1", "r\ud8001", "r\x001", " r1", ""])
def test_ids_refuse_bidi_controls_surrogates_control_chars_and_padding(ident: str) -> None:
    with pytest.raises(InvalidField, match='field "id"'):
        parse_submission(reservation(id=ident))


def test_notes_are_limited_in_size() -> None:
    with pytest.raises(InvalidField, match="limit is 10000"):
        parse_submission(reservation(note="x" * 10_001))


def test_unknown_types_and_newer_versions_are_refused() -> None:
    with pytest.raises(UnknownEventType, match="unknown event type 'BudgetDeleted'"):
        parse_submission(ev("BudgetDeleted", "x"))
    with pytest.raises(InvalidEvent, match="version 2 is not supported"):
        parse_submission(reservation(v=2))


def test_type_names_may_be_written_in_kebab_or_snake_case() -> None:
    assert event_type("reservation-made") is ReservationMade
    assert event_type("reservation_made") is ReservationMade


@pytest.mark.parametrize(
    "text, problem",
    [
        ('{"id": "a", "id": "b"}', "duplicate key 'id'"),
        ('{"amount": NaN}', "NaN is not a number"),
        ('{"amount": Infinity}', "Infinity is not a number"),
        ('{"type": "ReservationMade"', "malformed JSON"),
    ],
)
def test_json_is_read_strictly(text: str, problem: str) -> None:
    with pytest.raises(InvalidEvent, match=problem):
        loads_strict(text)


def test_every_submittable_type_has_a_docstring_and_a_past_tense_name() -> None:
    for cls in SUBMITTABLE:
        assert cls.__doc__ and cls.__doc__.strip()
        assert cls.TYPE.endswith(("ed", "Opened", "Struck", "Made", "Varied"))


def _event_from(sub: object, seq: int = 7) -> ReservationMade:
    return sub.cls(  # type: ignore[attr-defined,no-any-return]
        originator_id=uuid4(),
        originator_version=seq,
        timestamp=datetime(2012, 3, 1, 10, 0, tzinfo=UTC),
        prev=GENESIS,
        **sub.fields,  # type: ignore[attr-defined]
    )


cents = st.integers(min_value=0, max_value=10**14 - 1).map(lambda c: f"{Decimal(c) / 100:.2f}")
texts = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp")), max_size=40)


@given(amount=cents, note=texts, day=st.dates(date(1900, 1, 1), date(2999, 12, 31)),
       override=st.one_of(st.none(), texts))
def test_canonical_bytes_round_trip_exactly(amount: str, note: str, day: date, override: str | None) -> None:
    sub = parse_submission(reservation(amount=amount, note=note, effective_date=day.isoformat(),
                                       override_reason=override))
    event = _event_from(sub)
    body = orjson.loads(event.canonical_bytes)
    again = ReservationMade.from_body(body, event.originator_id)
    assert again == event
    assert again.canonical_bytes == event.canonical_bytes
    assert orjson.dumps(body, option=orjson.OPT_SORT_KEYS) == event.canonical_bytes
    assert body["amount"] == amount and body["seq"] == 7 and body["prev"] == GENESIS


def test_the_hash_covers_the_previous_hash() -> None:
    sub = parse_submission(reservation())
    first = _event_from(sub)
    other = first.__class__(**{**first.__dict__, "prev": "1" * 64})
    other.__dict__.pop("canonical_bytes", None)
    other.__dict__.pop("hash", None)
    assert first.hash != other.hash


def test_plan_parameters_have_the_domains_defaults() -> None:
    sub = parse_submission(ev("PlanOpened", "plan", year=2012, title="Piano 2012"))
    assert (sub.fields["horizon_days"], sub.fields["deadline_penalty"], sub.fields["band_achieved"],
            sub.fields["band_partly"]) == (0, Decimal("0.02"), Decimal(90), Decimal(80))
    explicit = parse_submission(ev("PlanOpened", "plan", year=2012, title="Piano 2012", horizon_days=0,
                                   deadline_penalty="0.02", band_achieved="90", band_partly="80"))
    assert explicit.content_bytes == sub.content_bytes


@pytest.mark.parametrize(
    "fields, problem",
    [({"year": 0}, "from 1900 to 2999"), ({"year": 10**20}, "from 1900 to 2999"),
     ({"horizon_days": 3_000_000}, "from 0 to 3660")],
)
def test_integers_are_bounded(fields: dict[str, int], problem: str) -> None:
    with pytest.raises(InvalidField, match=problem):
        parse_submission(ev("PlanOpened", "plan", year=2012, title="P") | fields)


def test_an_integer_too_long_for_json_is_a_clean_error() -> None:
    with pytest.raises(InvalidEvent, match="malformed JSON"):
        loads_strict('{"year": ' + "9" * 5000 + "}")


def test_recording_times_far_in_the_past_are_refused_cleanly() -> None:
    with pytest.raises(InvalidField, match="not a valid instant|outside the years"):
        parse_submission(reservation(recorded_at="0001-01-01T00:00:00+01:00"), allow_recorded_at=True)


@pytest.mark.parametrize("code", [True, False])
def test_text_refuses_exactly_the_control_bidi_and_surrogate_characters(code: bool) -> None:
    # Checked against Unicode's own categories, for every character of the Basic Multilingual Plane.
    # Codes refuse every Cc, Cf, Zl, Zp and Cs character; prose (notes) keeps new line, tab, soft hyphen
    # and the zero-width (non-)joiners (tests/test_input_normalisation.py checks every plane for names).
    import unicodedata

    from events.fields import Code, Text
    from events.text import _BIDI

    kind = Code("f") if code else Text("f")
    for point in range(0x10000):
        ch = chr(point)
        category = unicodedata.category(ch)
        refused = (category in ("Cs", "Zl", "Zp") or ch in _BIDI
                   or (category == "Cc" and (code or ch not in "\n\t"))
                   or (category == "Cf" and (code or ch not in "\u00ad\u200c\u200d")))
        try:
            kind.parse(f"a{ch}b", "f")
        except InvalidField:
            assert refused, f"U+{point:04X}"
        else:
            assert not refused, f"U+{point:04X}"


@given(
    st.datetimes(
        min_value=datetime(1900, 1, 2), max_value=datetime(2999, 12, 30), timezones=st.timezones()
    )
)
def test_the_canonical_spelling_of_an_instant_is_utc_with_microseconds_and_z(moment: datetime) -> None:
    # Hashes cover this spelling: it must never change.
    assert format_timestamp(moment) == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
