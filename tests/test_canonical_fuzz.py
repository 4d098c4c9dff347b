"""Both verifiers on generated lines: no traceback, ever, and one verdict on the canonical form.

The lines are real events (of every type, unsigned as event 1, and signed ones at the end of a
signed ledger's first events) mutated byte by byte, with JSON fragments put in (numbers in every
spelling, nesting, escapes, unicode), and arbitrary JSON values encoded in several ways. For each,
``proofs.canonical_body`` says whether the line is in canonical form:

- when it is not, both verifiers refuse it with that message;
- when it is, both give one verdict, but for the one check of a stored row a bundle cannot have (the
  type column a row is stored under): ``BEYOND_THE_BUNDLE``.

The default suite runs a few hundred; ``python -m pytest -m fuzz`` runs 100,000
(``PERFLEDGER_FUZZ_EXAMPLES`` to change it), which takes several minutes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from events import GENESIS
from ledger import proofs
from ledger.chain_check import check_rows

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FUZZ_EXAMPLES = int(os.environ.get("PERFLEDGER_FUZZ_EXAMPLES", "100000"))
Row = tuple[str, bytes]  # (topic, line)
# perfledger's one check of a canonical stored body that a bundle, which has no type column, cannot have.
BEYOND_THE_BUNDLE = re.compile(r"event \d+ is stored as \w+ but its hashed body says .*", re.DOTALL)


def stored_rows(name: str) -> list[Row]:
    with sqlite3.connect(f"file:{FIXTURES / name}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT topic, state FROM stored_events ORDER BY originator_version").fetchall()
    return [(topic, bytes(state)) for topic, state in rows]


def as_event_one(line: bytes, **changes: Any) -> bytes:
    return orjson.dumps({**orjson.loads(line), "seq": 1, "prev": GENESIS, **changes},
                        option=orjson.OPT_SORT_KEYS)


def chains() -> list[tuple[Row, ...]]:
    """Valid chains whose last event is mutated: every type as an unsigned event 1, one with an act,
    and a signed ledger's first 2, 3, 5, 9 and 14 events."""
    example = {topic: line for topic, line in reversed(stored_rows("v1-example-2012.db"))}
    act = {"kind": "Delibera di Giunta", "number": "75", "date": "2013-07-05"}
    unsigned = [((topic, as_event_one(line)),) for topic, line in example.items()]
    reservation = next(topic for topic in example if topic.endswith(":ReservationMade"))
    unsigned.append(((reservation, as_event_one(example[reservation], act=act)),))
    signed = stored_rows("v1-signed.db")
    return [*unsigned, *(tuple(signed[:n]) for n in (2, 3, 5, 9, 14))]


CHAINS = chains()

# -- what goes into a line -----------------------------------------------------------------------
NUMBERS = st.one_of(
    st.from_regex(r"\A-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,4})?([eE][-+]?[0-9]{1,3})?\Z"),
    st.integers().map(str),
    st.sampled_from(["01", "-01", "00", "1.", ".5", "+1", "0x10", "1e", "1e+", "--1", "-", "NaN", "-NaN",
                     "Infinity", "-Infinity", "inf", "1_000", "0.0", "-0", "-0.0", "1E400", "1e-400",
                     "9007199254740991", "-9007199254740991", "9007199254740992", "-9007199254740992",
                     "18446744073709551616", "1" * 5000, "١", "１"]),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=10,
)
ENCODERS: dict[str, Callable[[Any], str]] = {
    "canonical": lambda v: json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
    "ascii": lambda v: json.dumps(v, sort_keys=True, separators=(",", ":")),
    "unsorted": lambda v: json.dumps(v, separators=(",", ":"), ensure_ascii=False),
    "spaced": lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False),
    "indented": lambda v: json.dumps(v, sort_keys=True, indent=1, ensure_ascii=False),
}


def encoded(value: Any, how: str) -> bytes:
    """``value`` as JSON in one of several spellings; orjson's own, when it can, for "canonical"."""
    if how == "canonical":
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # an integer beyond 64 bits, a key that is not a string, …
            pass
    return ENCODERS[how](value).encode("utf-8", "surrogatepass")


ENCODED = st.builds(encoded, JSON_VALUES, st.sampled_from(sorted(ENCODERS)))
FRAGMENTS = st.one_of(
    NUMBERS.map(str.encode),
    ENCODED,
    st.sampled_from([b'"', b"\\", b'\\"', b"\\u", b"\\ud800", b"\\udc00", b"\\ud800\\udc00", b"\\u00e9",
                     b"\\u00E9", b"\\/", b"\\u0000", b"\\u001f", b"\\x00", "é".encode(), b"e\xcc\x81",
                     "\ufeff".encode(), "\u2028".encode(), b"\x7f", b"\x00", b"\t", b"\n", b" ", b",", b":",
                     b"{", b"}", b"[", b"]", b"true", b"false", b"null", b"{}", b"[]", b'"a":1', b',"v":1',
                     b',"seq":1', b'"v":true', b'"seq":1.0', b"\xed\xa0\x80", b"\xc0\xaf", b"\xff",
                     b"\xef\xbb\xbf"]),
    st.integers(1, 12_000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(1, 400).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.text(max_size=6).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=4),
)
POSITIONS = st.integers(0, 10**6)


def flip(line: bytes, at: int, byte: int) -> bytes:
    at %= len(line) or 1
    return line[:at] + bytes([byte]) + line[at + 1:]


def insert(line: bytes, at: int, fragment: bytes) -> bytes:
    at %= len(line) + 1
    return line[:at] + fragment + line[at:]


def delete(line: bytes, at: int, length: int) -> bytes:
    at %= len(line) + 1
    return line[:at] + line[at + length:]


def replace_value(line: bytes, which: int, fragment: bytes) -> bytes:
    """Put ``fragment`` for the value after one of the line's keys (up to the next key, roughly)."""
    keys = [m.end() for m in re.finditer(rb'"[a-z_]+":', line)]
    if not keys:
        return line
    start = keys[which % len(keys)]
    end = line.find(b',"', start)
    return line[:start] + fragment + line[end if end > 0 else len(line) - 1:]


MUTATIONS = st.one_of(
    st.tuples(st.just(flip), POSITIONS, st.integers(0, 255)),
    st.tuples(st.just(insert), POSITIONS, FRAGMENTS),
    st.tuples(st.just(delete), POSITIONS, st.integers(1, 40)),
    st.tuples(st.just(replace_value), POSITIONS, FRAGMENTS),
    st.tuples(st.just(replace_value), POSITIONS, ENCODED),
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[tuple[Row, ...], bytes]:
    """A valid chain, and what its last line becomes."""
    chain = draw(st.sampled_from(CHAINS))
    line = chain[-1][1]
    how = draw(st.sampled_from(["mutated", "mutated", "mutated", "a field's value", "extra fields",
                                "a whole value"]))
    if how == "mutated":
        for mutate, *args in draw(st.lists(MUTATIONS, min_size=1, max_size=3)):
            line = mutate(line, *args)
    elif how == "a field's value":
        body = orjson.loads(line)
        body[draw(st.sampled_from(sorted(body)))] = draw(JSON_VALUES)
        line = encoded(body, draw(st.sampled_from(sorted(ENCODERS))))
    elif how == "extra fields":
        extra = draw(st.dictionaries(st.text(max_size=6), JSON_VALUES, min_size=1, max_size=3))
        line = encoded({**orjson.loads(line), **extra}, draw(st.sampled_from(sorted(ENCODERS))))
    else:
        line = draw(ENCODED)
    return chain, line


# -- the property ----------------------------------------------------------------------------------
def judged_alike(chain: tuple[Row, ...], line: bytes) -> str:
    """Both verdicts on ``chain`` with ``line`` for its last event, held to agree; what they were."""
    seq = len(chain)
    lines = [row[1] for row in chain[:-1]] + [line]
    try:
        proofs.canonical_body(line, seq)
        form = None
    except proofs.ProofError as e:
        form = str(e)
    try:
        proofs.check_chain(lines)
        bundle = None
    except proofs.ProofError as e:
        bundle = str(e)
    rows = [(i, topic, data, hashlib.sha256(data).hexdigest())
            for i, (topic, data) in enumerate([*chain[:-1], (chain[-1][0], line)], 1)]
    perfledger, _, _ = check_rows(rows, 0, GENESIS, proofs.Signers())
    if form is not None:
        assert bundle == perfledger == form
        return "not canonical: refused by both alike"
    if bundle is not None:
        assert perfledger is not None, f"only the bundle's verifier refused: {bundle}"
        return "canonical, refused by both"
    if perfledger is not None:
        assert BEYOND_THE_BUNDLE.fullmatch(perfledger), f"only perfledger refused: {perfledger}"
        return "canonical, refused by perfledger's checks of a stored row"
    return "canonical, accepted by both"


SETTINGS: dict[str, Any] = {
    "deadline": None, "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
}


@settings(max_examples=300, **SETTINGS)
@given(cases())
def test_three_hundred_generated_lines_get_one_verdict_on_their_form_and_no_traceback(
    case: tuple[tuple[Row, ...], bytes],
) -> None:
    event(judged_alike(*case))


@pytest.mark.fuzz
@settings(max_examples=FUZZ_EXAMPLES, **SETTINGS)
@given(cases())
def test_a_hundred_thousand_generated_lines_get_one_verdict_on_their_form_and_no_traceback(
    case: tuple[tuple[Row, ...], bytes],
) -> None:
    event(judged_alike(*case))


def test_every_chain_the_lines_start_from_is_accepted_by_both_verifiers() -> None:
    assert len(CHAINS) == 19
    for chain in CHAINS:
        assert judged_alike(chain, chain[-1][1]) == "canonical, accepted by both"
