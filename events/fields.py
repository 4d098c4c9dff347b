"""The kinds of value a fact may carry, and their one canonical spelling.

Each kind parses a value from a user's JSON (strictly: an amount must be a
decimal string, never a JSON number), encodes it to its canonical JSON value
and decodes it back. ``decode(encode(v)) == v`` for every kind; the hash chain
relies on it.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from events.errors import InvalidField

_MONEY = re.compile(r"-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?")
_NUMBER = re.compile(r"-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,12})?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
CENT = Decimal("0.01")
MAX_TEXT = 10_000
MAX_CODE = 200
# Bidirectional controls can make an id display as another one ("Trojan Source").
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}


# What text may not contain: lone surrogates, bidirectional controls, and control characters
# (Unicode category Cc: U+0000-U+001F and U+007F-U+009F; free text keeps newline and tab).
_NOT_IN_TEXT = re.compile("[\ud800-\udfff" + "".join(sorted(_BIDI)) + "\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NOT_IN_CODE = re.compile("[\ud800-\udfff" + "".join(sorted(_BIDI)) + "\x00-\x1f\x7f-\x9f]")


def _check_text(value: Any, field: str, *, limit: int, code: bool) -> str:
    if not isinstance(value, str):
        raise InvalidField(field, f"must be a string, not {_json_type(value)}")
    if len(value) > limit:
        raise InvalidField(field, f"is {len(value)} characters long; the limit is {limit}")
    bad = (_NOT_IN_CODE if code else _NOT_IN_TEXT).search(value)
    if bad is not None:
        ch = bad.group()
        if 0xD800 <= ord(ch) <= 0xDFFF:
            raise InvalidField(field, "contains a lone surrogate (not valid Unicode text)")
        if ch in _BIDI:
            raise InvalidField(field, f"contains the bidirectional control U+{ord(ch):04X}")
        raise InvalidField(field, f"contains the control character U+{ord(ch):04X}")
    if code and (not value or value != value.strip()):
        raise InvalidField(field, "must be non-empty, without leading or trailing spaces")
    return value


def _json_type(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "a JSON number",
        float: "a JSON number",
        str: "a string",
        list: "a list",
        dict: "an object",
        type(None): "null",
    }.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class Kind:
    """A kind of field value. Subclasses override parse/encode/decode.

    ``default`` is the value (as a user would write it) a submission gets when
    it leaves the field out; None means the field is required.
    """

    name: str
    default: Any = dataclasses.field(default=None, kw_only=True)

    def parse(self, value: Any, field: str) -> Any:
        raise NotImplementedError

    def encode(self, value: Any) -> Any:
        return value

    def decode(self, value: Any, field: str) -> Any:
        """A stored value, read back. Stored canonical values were checked when submitted and are
        protected by the hash chain, so by default they are taken as they are; kinds whose Python
        value differs from their JSON (amounts, dates, acts) convert."""
        return value

    @property
    def required(self) -> bool:
        return True


@dataclass(frozen=True)
class Text(Kind):
    """Free text (a title, a note, a reason): any printable Unicode."""

    def parse(self, value: Any, field: str) -> str:
        return _check_text(value, field, limit=MAX_TEXT, code=False)


@dataclass(frozen=True)
class Code(Kind):
    """An identifier typed by people (``A1``, ``04``, ``r-2012-0017``)."""

    def parse(self, value: Any, field: str) -> str:
        return _check_text(value, field, limit=MAX_CODE, code=True)


@dataclass(frozen=True)
class Choice(Kind):
    """One of a fixed set of words."""

    choices: tuple[str, ...] = ()

    def parse(self, value: Any, field: str) -> str:
        if value not in self.choices:
            raise InvalidField(field, f"must be one of {', '.join(self.choices)}; got {value!r}")
        return str(value)


@dataclass(frozen=True)
class Money(Kind):
    """Euros as a decimal string with at most two places: ``"1306000.00"``.

    Stored with exactly two places. ``signed`` allows a leading minus
    (variations, adjustments); ``-0`` is refused as ambiguous.
    """

    signed: bool = False

    def parse(self, value: Any, field: str) -> Decimal:
        if not isinstance(value, str):
            raise InvalidField(
                field, f'must be a decimal string such as "1250.50", not {_json_type(value)}'
            )
        if not _MONEY.fullmatch(value):
            raise InvalidField(
                field,
                f"{value!r} is not an amount: write digits with a dot and at most two "
                'decimals, no thousands separators or exponent (e.g. "1250.50")',
            )
        amount = Decimal(value).quantize(CENT)
        if value.startswith("-"):
            if not self.signed:
                raise InvalidField(field, f"must not be negative; got {value}")
            if amount == 0:
                raise InvalidField(field, "-0 is not an amount; write 0")
        return amount

    def encode(self, value: Decimal) -> str:
        return f"{value.quantize(CENT):f}"

    def decode(self, value: Any, field: str) -> Decimal:
        return Decimal(value)


@dataclass(frozen=True)
class Number(Kind):
    """An exact decimal number (a measured value, a weight, a target).

    Kept as given, unrounded: ``"0.344444"`` stays ``0.344444``.
    """

    def parse(self, value: Any, field: str) -> Decimal:
        if not isinstance(value, str):
            raise InvalidField(
                field, f'must be a decimal string such as "0.91", not {_json_type(value)}'
            )
        if not _NUMBER.fullmatch(value):
            raise InvalidField(
                field, f"{value!r} is not a decimal number (digits, a dot, no exponent)"
            )
        if value.startswith("-") and Decimal(value) == 0:
            raise InvalidField(field, "-0 is not a number; write 0")
        return Decimal(value)

    def encode(self, value: Decimal) -> str:
        return f"{value:f}"

    def decode(self, value: Any, field: str) -> Decimal:
        return Decimal(value)


def parse_date(value: Any, field: str) -> date:
    """An ISO ``YYYY-MM-DD`` calendar date between 1900 and 2999."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise InvalidField(field, f"must be a date written YYYY-MM-DD; got {value!r}")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidField(field, f"{value} is not a calendar date") from None
    if not 1900 <= day.year <= 2999:
        raise InvalidField(field, f"{value} is outside the years 1900-2999")
    return day


@dataclass(frozen=True)
class Day(Kind):
    """A calendar date, ISO ``YYYY-MM-DD``."""

    def parse(self, value: Any, field: str) -> date:
        return parse_date(value, field)

    def encode(self, value: date) -> str:
        return value.isoformat()

    def decode(self, value: Any, field: str) -> date:
        return date.fromisoformat(value)


@dataclass(frozen=True)
class Count(Kind):
    """An integer between ``low`` and ``high`` (a number of days, a year)."""

    low: int = 0
    high: int = 10**6

    def parse(self, value: Any, field: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not self.low <= value <= self.high:
            raise InvalidField(field, f"must be an integer from {self.low} to {self.high}; got {value!r}")
        return value


@dataclass(frozen=True)
class Optional(Kind):
    """A value of ``inner`` kind, or ``null`` when absent."""

    inner: Kind = Text("text")

    def parse(self, value: Any, field: str) -> Any:
        return None if value is None else self.inner.parse(value, field)

    def encode(self, value: Any) -> Any:
        return None if value is None else self.inner.encode(value)

    def decode(self, value: Any, field: str) -> Any:
        return None if value is None else self.inner.decode(value, field)

    @property
    def required(self) -> bool:
        return False


@dataclass(frozen=True)
class Act:
    """The act that decided a fact: "Delibera di Giunta n. 75 del 05/07/2013"."""

    kind: str
    number: str
    date: date

    def __str__(self) -> str:
        return f"{self.kind} n. {self.number} del {self.date:%d/%m/%Y}"


@dataclass(frozen=True)
class ActKind(Kind):
    """``{"kind": "Delibera di Giunta", "number": "75", "date": "2013-07-05"}``."""

    def parse(self, value: Any, field: str) -> Act:
        if not isinstance(value, dict):
            raise InvalidField(field, f"must be an object with kind, number, date; got {_json_type(value)}")
        extra = set(value) - {"kind", "number", "date"}
        if extra:
            raise InvalidField(field, f"unknown key(s) {', '.join(sorted(extra))}; expected kind, number, date")
        for key in ("kind", "number", "date"):
            if key not in value:
                raise InvalidField(field, f"lacks {key!r}")
        return Act(
            kind=Code("code").parse(value["kind"], f"{field}.kind"),
            number=Code("code").parse(value["number"], f"{field}.number"),
            date=parse_date(value["date"], f"{field}.date"),
        )

    def encode(self, value: Act) -> dict[str, str]:
        return {"kind": value.kind, "number": value.number, "date": value.date.isoformat()}

    def decode(self, value: Any, field: str) -> Act:
        return Act(value["kind"], value["number"], date.fromisoformat(value["date"]))


@dataclass(frozen=True)
class Base64Kind(Kind):
    """Fixed-size bytes written in base64: an Ed25519 signature (64 bytes) or public key (32 bytes)."""

    size: int = 64
    what: str = "Ed25519 signature"

    def parse(self, value: Any, field: str) -> str:
        length = 4 * ((self.size + 2) // 3)
        if not isinstance(value, str) or not _BASE64.fullmatch(value) or len(value) != length:
            raise InvalidField(field, f"must be an {self.what} in base64 ({length} characters)")
        return value


def SignatureKind(name: str) -> Base64Kind:
    return Base64Kind(name, size=64, what="Ed25519 signature")


def PublicKeyKind(name: str) -> Base64Kind:
    return Base64Kind(name, size=32, what="Ed25519 public key")


@dataclass(frozen=True)
class Changes(Kind):
    """An object of field name to new value (checked by the corrected event's kinds)."""

    def parse(self, value: Any, field: str) -> dict[str, Any]:
        if not isinstance(value, dict) or not value:
            raise InvalidField(field, "must be a non-empty object of field names to new values")
        return dict(value)


@dataclass(frozen=True)
class MeasuredValue(Kind):
    """A measurement: a decimal string, an ISO date (deadline indicators), or ``"ND"``.

    ``"ND"`` (not available) is not zero: it leaves the indicator out of the
    objective's mean, where a measured ``"0"`` scores 0%.
    """

    def parse(self, value: Any, field: str) -> str:
        if value == "ND":
            return "ND"
        if isinstance(value, str) and _DATE.fullmatch(value):
            return parse_date(value, field).isoformat()
        return Number.encode(Number("n"), Number("n").parse(value, field))


def format_timestamp(moment: datetime) -> str:
    """The canonical spelling of a recorded-at instant: UTC, microseconds, ``Z``."""
    if moment.tzinfo is None:
        raise ValueError("recorded-at timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"  # "+00:00" spelt "Z"


_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})"
)


def parse_timestamp(value: Any, field: str) -> datetime:
    """An ISO 8601 instant with a timezone (``2012-09-15T09:00:00Z``); naive ones are refused."""
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        raise InvalidField(
            field, f"must be an ISO timestamp with a timezone, e.g. 2012-09-15T09:00:00Z; got {value!r}"
        )
    try:
        moment = datetime.fromisoformat(value).astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidField(field, f"{value} is not a valid instant") from None
    if not 1900 <= moment.year <= 2999:
        raise InvalidField(field, f"{value} is outside the years 1900-2999")
    return moment
