"""Write vectors.json: event lines in and out of perfledger's canonical form, with the verdict and message.

    .venv/bin/python tests/vectors/canonical/generate.py

The valid base lines are event 1 of real ledgers made by `perfledger init` (their dates and times
are those of the run); every other vector changes one thing in one of them. Each vector is a whole
line, an event 1 that is valid but for what its name says. Lines that are not UTF-8 are given in
base64 (``line_base64``); the long and the deeply nested ones are described by ``generate`` and made
by the test (tests/test_canonical_form.py, ``line_of``). ``message`` starts the message both
verifiers must give; JSON syntax errors are the standard library's, so only their prefix is fixed.
"""

from __future__ import annotations

import base64
import json
import tempfile
from pathlib import Path
from typing import Any

import orjson
from click.testing import CliRunner

from cli.main import main
from ledger import Store

HERE = Path(__file__).resolve().parent
BASE = "event 1 as init writes it"
RAW = "non-ASCII text written as raw UTF-8"
JSON = "event 1 is not valid perfledger JSON: "
FLOAT = JSON + "a JSON number {} (amounts are decimal strings)"
BIG = JSON + "the integer {} is beyond ±(2^53 − 1), where JSON implementations disagree"


def form(line: bytes) -> str:
    """The message of a line that is not orjson's spelling of its body: where the two first differ."""
    canonical = orjson.dumps(orjson.loads(line), option=orjson.OPT_SORT_KEYS)
    at = next((i for i, (a, b) in enumerate(zip(canonical, line)) if a != b), min(len(canonical), len(line)))
    return f"event 1 is not in canonical form (from byte {at + 1}): it was edited"


def event_one(entity: str) -> bytes:
    """Event 1 of a new ledger for ``entity``, as `perfledger init` stores it."""
    with tempfile.TemporaryDirectory() as tmp:
        ledger = str(Path(tmp) / "ledger.db")
        result = CliRunner().invoke(main, ["--ledger", ledger, "init", "--entity", entity],
                                    env={"PERFLEDGER_ACTOR": "cdg"})
        assert result.exit_code == 0, result.output
        with Store.open(ledger) as store:
            (_, _, state, _), = store.rows(chain=True)
    return bytes(state)


def vector(name: str, line: bytes | None, valid: bool, reason: str, message: str | None = None,
           **generate: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"name": name}
    if generate:
        found["generate"] = generate
    elif line is not None:
        try:
            found["line"] = line.decode("utf-8")
        except UnicodeDecodeError:
            found["line_base64"] = base64.b64encode(line).decode()
    return {**found, "valid": valid, "reason": reason, "message": message}


def refused(name: str, line: bytes, reason: str) -> dict[str, Any]:
    """A line that parses but is not spelt as orjson spells its body."""
    return vector(name, line, False, reason, form(line))


def vectors() -> list[dict[str, Any]]:
    base = event_one("Camera di Commercio di Massa Carrara")
    raw = event_one("Chambre valdôtaine des entreprises et des activités libérales")
    assert b'"note":""' in base and b'"v":2}' in base and b'"seq":1,' in base

    def edit(old: bytes, new: bytes, line: bytes = base) -> bytes:
        assert line.count(old) == 1, old
        return line.replace(old, new)

    def entity(text: bytes, line: bytes = base) -> bytes:
        return edit(b'"Camera di Commercio di Massa Carrara"', b'"' + text + b'"', line)

    def note(value: bytes) -> bytes:
        return edit(b'"note":""', b'"note":' + value)

    at = base.index  # 1-based byte positions, as the messages give them
    return [
        vector(BASE, base, True, "a real event 1, copied from a ledger `perfledger init` made"),
        vector(RAW, raw, True, "é and ô are written as their UTF-8 bytes, as orjson writes them"),
        vector("an astral character written raw", entity("Massa 🏛 Carrara".encode()), True,
               "4-byte UTF-8, never a surrogate pair"),
        vector("U+2028 and DEL written raw", entity("Massa\u2028\x7fCarrara".encode()), True,
               "neither encoder escapes them"),
        vector("quote, backslash, tab and new line escaped short", entity(b'Massa \\"\\\\\\t\\n'), True,
               "the two-character escapes both encoders write"),
        vector("a control character escaped as \\u001f", entity(b"Massa\\u001fCarrara"), True,
               "control characters without a short escape are \\u00XX, lower-case hex"),
        vector("brackets inside a string are not nesting", note(b'"' + b"[{" * 40 + b'\\"]}"'), True,
               "the depth scan skips strings, escaped quotes included"),
        vector("the largest integer 2^53 - 1", note(b"9007199254740991"), True,
               "the bound is ±(2^53 − 1): an IEEE double holds every integer up to it exactly"),
        vector("the smallest integer -(2^53 - 1)", note(b"-9007199254740991"), True, "the lower bound"),
        vector("a boolean in a payload field", note(b"true"), True,
               "booleans are refused only where the envelope expects a number (v, seq); the rules"
               " judge the fields"),
        vector("nested exactly 32 deep", None, True, "MAX_DEPTH is 32", base=BASE, nested_note=31),
        vector("exactly 1,000,000 bytes", None, True, "MAX_LINE is 1,000,000 bytes",
               base=BASE, line_bytes=1_000_000),
        vector("v 2.0", edit(b'"v":2}', b'"v":2.0}'), False, "no floats, v above all", FLOAT.format("2.0")),
        vector("v true", edit(b'"v":2}', b'"v":true}'), False, "true == 1 in Python; not an integer",
               'event 1 has "v": true, not a JSON integer'),
        vector("seq 1.0", edit(b'"seq":1,', b'"seq":1.0,'), False, "no floats", FLOAT.format("1.0")),
        vector("seq true", edit(b'"seq":1,', b'"seq":true,'), False, "true == 1 in Python; not an integer",
               'event 1 has "seq": true, not a JSON integer'),
        vector("seq missing", edit(b'"seq":1,', b""), False, "the envelope's numbers must be there",
               'event 1 has no "seq"'),
        vector("id a number", edit(b'"id":"ledger-opened"', b'"id":7'), False, "an id is a string",
               'event 1 has "id": 7, not a string'),
        vector("type an array", edit(b'"type":"LedgerOpened"', b'"type":["LedgerOpened"]'), False,
               "a type is a string", 'event 1 has "type": ["LedgerOpened"], not a string'),
        vector("a float in a payload field", edit(b'"Camera di Commercio di Massa Carrara"', b"1.5"), False,
               "no floats anywhere: amounts are decimal strings", FLOAT.format("1.5")),
        vector("1e2", note(b"1e2"), False, "an exponent is a float", FLOAT.format("1e2")),
        vector("1E2", note(b"1E2"), False, "an exponent is a float", FLOAT.format("1E2")),
        vector("-0", note(b"-0"), False, "orjson writes 0",
               JSON + "-0 is not an integer perfledger writes (0 is)"),
        vector("a leading zero", note(b"01"), False, "not JSON", JSON),
        vector("NaN", note(b"NaN"), False, "not JSON", JSON + "NaN is not JSON"),
        vector("Infinity", note(b"Infinity"), False, "not JSON", JSON + "Infinity is not JSON"),
        vector("-Infinity", note(b"-Infinity"), False, "not JSON", JSON + "-Infinity is not JSON"),
        vector("2^53", note(b"9007199254740992"), False, "beyond ±(2^53 − 1)", BIG.format(2**53)),
        vector("-(2^53)", note(b"-9007199254740992"), False, "beyond ±(2^53 − 1)", BIG.format(-(2**53))),
        vector("a big integer 2^63", note(b"9223372036854775808"), False, "beyond ±(2^53 − 1)",
               BIG.format(2**63)),
        vector("a 400-digit integer", note(b"9" * 400), False, "beyond ±(2^53 − 1)",
               BIG.format("999999999999… (400 digits)")),
        refused("unsorted keys", edit(b'"act":null,"actor":"cdg",', b'"actor":"cdg","act":null,'),
                "keys sorted by code point"),
        refused("a space after a colon", edit(b'"act":null', b'"act": null'), "no whitespace"),
        refused("a space before the object", b" " + base, "no whitespace"),
        refused("a trailing new line inside the line", base + b"\n", "the line ends at its }"),
        vector("a duplicate key", edit(b'"v":2}', b'"v":2,"v":2}'), False, "one value a key",
               JSON + "the key 'v' appears twice"),
        refused("\\u00e9 escaped instead of raw é", raw.replace("é".encode(), b"\\u00e9", 1),
                "non-ASCII is written raw"),
        refused("an ASCII letter escaped", entity(b"\\u004dassa"), "only what must be escaped is"),
        refused("an escaped /", entity(b"Massa\\/Carrara"), "orjson does not escape /"),
        refused("a control character in upper-case hex", entity(b"Massa\\u001FCarrara"),
                "\\u00XX in lower case"),
        refused("a tab escaped as \\u0009", entity(b"Massa\\u0009Carrara"), "a tab is \\t"),
        vector("a raw tab inside a string", entity(b"Massa\tCarrara"), False, "not JSON", JSON),
        vector("a lone surrogate \\ud800", entity(b"Massa\\ud800"), False, "not Unicode text",
               "event 1 holds a lone surrogate U+D800 (not Unicode text)"),
        vector("a lone low surrogate \\udc00", entity(b"\\udc00Massa"), False, "not Unicode text",
               "event 1 holds a lone surrogate U+DC00 (not Unicode text)"),
        vector("an invalid UTF-8 byte", entity(b"Massa\xffCarrara"), False, "UTF-8 only",
               f"event 1 is not UTF-8: byte {at(b'Camera') + 6} is 0xff"),
        vector("a surrogate encoded in UTF-8", entity(b"Massa\xed\xa0\x80"), False, "not UTF-8",
               f"event 1 is not UTF-8: byte {at(b'Camera') + 6} is 0xed"),
        vector("an overlong UTF-8 /", entity(b"Massa\xc0\xafCarrara"), False, "not UTF-8",
               f"event 1 is not UTF-8: byte {at(b'Camera') + 6} is 0xc0"),
        vector("a byte-order mark", b"\xef\xbb\xbf" + base, False, "UTF-8 without a BOM",
               "event 1 starts with a byte-order mark"),
        vector("nested 33 deep", None, False, "one past MAX_DEPTH; orjson reads and writes it",
               "event 1 is nested 33 deep (at most 32)", base=BASE, nested_note=32),
        vector("nested 300 deep", None, False, "orjson reads it but will not write it",
               "event 1 is nested 300 deep (at most 32)", base=BASE, nested_note=299),
        vector("nested 2,000 deep", None, False, "orjson will not read it",
               "event 1 is nested 2000 deep (at most 32)", base=BASE, nested_note=1999),
        vector("nested 10,001 deep", None, False, "Python's json would recurse out of its stack",
               "event 1 is nested 10001 deep (at most 32)", base=BASE, nested_note=10_000),
        vector("1,000,001 bytes", None, False, "one past MAX_LINE",
               "event 1 is 1,000,001 bytes long (at most 1,000,000)", base=BASE, line_bytes=1_000_001),
        vector("2,000,000 bytes", None, False, "far past MAX_LINE",
               "event 1 is 2,000,000 bytes long (at most 1,000,000)", base=BASE, line_bytes=2_000_000),
        vector("not an object (an array)", b"[" + base + b"]", False, "an event is an object",
               "event 1 is not a JSON object"),
        vector("a bare number", b"1", False, "an event is an object", "event 1 is not a JSON object"),
        vector("cut short", base[:-1], False, "not JSON", JSON),
        vector("an empty line", b"", False, "an event is an object", "event 1 is empty"),
    ]


if __name__ == "__main__":
    found = vectors()
    names = [v["name"] for v in found]
    assert len(set(names)) == len(names), "vector names are unique"
    text = json.dumps(found, ensure_ascii=False, indent=1) + "\n"
    (HERE / "vectors.json").write_text(text, encoding="utf-8")
    print(f"wrote {len(found)} vectors to {HERE / 'vectors.json'}")
