"""The kinds of value a fact may carry, and their one canonical spelling.

Each kind parses a value from a user's JSON (strictly: an amount must be a
decimal string, never a JSON number), encodes it to its canonical JSON value
and decodes it back. ``decode(encode(v)) == v`` for every kind; the hash chain
relies on it.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from events.errors import InvalidField
from events.text import json_type, normalised_text

_MONEY = re.compile(r"-?(0|[1-9][0-9]{0,29})(\.[0-9]{1,2})?")
_NUMBER = re.compile(r"-?(0|[1-9][0-9]{0,29})(\.[0-9]{1,12})?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
CENT = Decimal("0.01")
MAX_TEXT = 10_000
MAX_CODE = 200

MAX_AMOUNT = Decimal("999999999999.99")
"""The largest amount, in euros, one event may carry, either sign (999.999.999.999,99: under 10^12 euros,
10^14 cents). Far above any public body's budget, and small enough that the stores' sums of cents
(64-bit integers, at most 9.2 * 10^18) hold over 92,000 maximal amounts on one item: 15 digits of
euros (the bound before) overflowed them with 93."""

MAX_NUMBER = Decimal("999999999999999999.999999999999")
"""The largest number (a measurement, a weight, a target, either sign) an event may carry: 18 digits
before the dot and 12 after, the form numbers always had; exact in a Decimal, never a float."""

def _check_code(value: Any, field: str) -> str:
    code = normalised_text(value, field, limit=MAX_CODE, prose=False)
    if not code or code != code.strip():
        raise InvalidField(field, "must be non-empty, without leading or trailing spaces")
    return code


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
    """Prose (a note, a reason), NFC: paragraphs may hold new lines (``\\n``) and tabs, soft hyphens and
    zero-width (non-)joiners; no other control or invisible character, no bidirectional control, no
    line or paragraph separator (U+2028/2029: write ``\\n``)."""

    def parse(self, value: Any, field: str) -> str:
        return normalised_text(value, field, limit=MAX_TEXT, prose=True)


@dataclass(frozen=True)
class Name(Kind):
    """A short name (an entity, a title, a product): one line of visible text, NFC, which may be empty.

    No control (Cc, so no new line nor tab), invisible (Cf) or line/paragraph separator (Zl, Zp)
    character: a name is printed into one-line formats such as a signed checkpoint's ``entity:``.
    """

    def parse(self, value: Any, field: str) -> str:
        return normalised_text(value, field, limit=MAX_TEXT, prose=False)


@dataclass(frozen=True)
class Code(Kind):
    """An identifier typed by people (``A1``, ``04``, ``r-2012-0017``): a name (NFC, one line, nothing
    invisible) that is not empty, has no leading or trailing space, and at most 200 characters."""

    def parse(self, value: Any, field: str) -> str:
        return _check_code(value, field)


@dataclass(frozen=True)
class Codes(Kind):
    """A non-empty list of distinct codes, in order (a plan's levels, from the top): a JSON list of
    strings, or one string of codes separated by commas (``strategic,operational,individual``).
    Stored as a JSON list; read back as a tuple."""

    def parse(self, value: Any, field: str) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not items:
            raise InvalidField(field, f"must be a non-empty list of codes; got {json_type(value)}")
        codes = tuple(_check_code(item.strip() if isinstance(value, str) else item, field) for item in items)
        if len(set(codes)) != len(codes):
            raise InvalidField(field, f"names a code twice: {', '.join(codes)}")
        return codes

    def encode(self, value: tuple[str, ...]) -> list[str]:
        return list(value)

    def decode(self, value: Any, field: str) -> tuple[str, ...] | None:
        return None if value is None else tuple(value)  # None: a version that had no such field


@dataclass(frozen=True)
class Origin(Kind):
    """A ledger's origin: the name its checkpoints and signatures carry (c2sp.org/tlog-checkpoint), a
    schema-less URL such as ``cciaa-ms.example/perfledger``; no spaces, no ``+``, at most 200 characters."""

    def parse(self, value: Any, field: str) -> str:
        origin = _check_code(value, field)
        if any(c.isspace() or c == "+" for c in origin):
            raise InvalidField(field, "must have no spaces and no '+' (a name like"
                               f" cciaa-ms.example/perfledger); got {origin!r}")
        return origin


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
    """Euros as a decimal string with at most two places: ``"1306000.00"``, at most ``MAX_AMOUNT``.

    Stored with exactly two places. ``signed`` allows a leading minus
    (variations, adjustments); ``-0`` is refused as ambiguous.
    """

    signed: bool = False

    def parse(self, value: Any, field: str) -> Decimal:
        if not isinstance(value, str):
            raise InvalidField(
                field, f'must be a decimal string such as "1250.50", not {json_type(value)}'
            )
        if not _MONEY.fullmatch(value):
            raise InvalidField(
                field,
                f"{value!r} is not an amount: write digits with a dot and at most two "
                'decimals, no thousands separators or exponent (e.g. "1250.50")',
            )
        amount = Decimal(value).quantize(CENT)
        if amount.copy_abs() > MAX_AMOUNT:
            raise InvalidField(
                field, f"{value} is beyond the largest amount an event may carry, {MAX_AMOUNT} euros either"
                " sign (under 10^12): split it, or check for a typing error",
            )
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

    Kept as given, unrounded: ``"0.344444"`` stays ``0.344444``; at most 12 decimals and ``MAX_NUMBER``.
    """

    def parse(self, value: Any, field: str) -> Decimal:
        if not isinstance(value, str):
            raise InvalidField(
                field, f'must be a decimal string such as "0.91", not {json_type(value)}'
            )
        if not _NUMBER.fullmatch(value):
            raise InvalidField(
                field, f"{value!r} is not a decimal number (digits, a dot, no exponent)"
            )
        number = Decimal(value)
        if number.copy_abs() > MAX_NUMBER:  # exact: abs() would round to 28 digits
            raise InvalidField(
                field, f"{value} is beyond the largest number an event may carry, {MAX_NUMBER} either sign"
            )
        if value.startswith("-") and number == 0:
            raise InvalidField(field, "-0 is not a number; write 0")
        return number

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
            raise InvalidField(field, f"must be an object with kind, number, date; got {json_type(value)}")
        extra = set(value) - {"kind", "number", "date"}
        if extra:
            raise InvalidField(
                field, f"unknown key(s) {', '.join(sorted(extra))}; expected kind, number, date"
            )
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
        return {key: _nfc(new) for key, new in value.items()}


def _nfc(value: Any) -> Any:
    """A JSON value with its strings in NFC: a correction's stored changes are spelt as the corrected
    kinds parse them (they check the characters when the correction is applied)."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {key: _nfc(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_nfc(item) for item in value]
    return value


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
