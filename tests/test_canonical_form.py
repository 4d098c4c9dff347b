"""One canonical form of an event line, judged alike by perfledger's verify and the bundle's verifier.

perfledger's own check (``ledger.chain_check``, behind ``perfledger verify``) parses with orjson;
the stand-alone one (``ledger.proofs``, copied into every bundle) with the standard library.
Each refuses what the other refuses, with the same words, and never with a traceback.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from eventsourcing.utils import get_topic
from hypothesis import given
from hypothesis import strategies as st

from cli.main import main
from events import GENESIS, LedgerOpened
from ledger import Store, chain_check, proofs
from ledger.chain_check import check_rows
from tests.backends import raw

TOPIC = get_topic(LedgerOpened)
FIXTURES = Path(__file__).resolve().parent / "fixtures"
VECTORS_FILE = Path(__file__).resolve().parent / "vectors" / "canonical" / "vectors.json"
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
BY_NAME = {vector["name"]: vector for vector in VECTORS}


def by_the_bundle_verifier(line: bytes) -> str | None:
    """The stand-alone verifier's verdict on a one-event chain: None, or its message."""
    try:
        proofs.check_chain([line])
    except proofs.ProofError as e:
        return str(e)
    return None


def by_perfledger_verify(line: bytes) -> str | None:
    """perfledger verify's verdict on a one-event chain stored as ``line`` (its hash recorded)."""
    row = (1, TOPIC, line, hashlib.sha256(line).hexdigest())
    problem, _, _ = check_rows([row], 0, GENESIS, proofs.Signers())
    return problem


def verdicts(line: bytes) -> tuple[str | None, str | None]:
    return by_the_bundle_verifier(line), by_perfledger_verify(line)


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Event 1 of a real ledger, as `perfledger init` writes it."""
    with Store.open(str(tmp_path_factory.mktemp("opened") / "ledger.db"), create=True) as store:
        store.init("Camera di Commercio di Massa Carrara", actor="cdg")
        (_, _, state, _), = store.rows(chain=True)
    return bytes(state)


def test_event_one_as_init_writes_it_passes_both_verifiers(opened: bytes) -> None:
    assert verdicts(opened) == (None, None)


FLOAT = "event 1 is not valid perfledger JSON: a JSON number 1.0 (amounts are decimal strings)"
FLOAT2 = FLOAT.replace("1.0", "2.0")  # event 1 is a LedgerOpened of version 2


@pytest.mark.parametrize("edit, message", [
    ((b'"v":2', b'"v":2.0'), FLOAT2),
    ((b'"v":2', b'"v":true'), 'event 1 has "v": true, not a JSON integer'),
    ((b'"seq":1', b'"seq":1.0'), FLOAT),
    ((b'"seq":1', b'"seq":true'), 'event 1 has "seq": true, not a JSON integer'),
], ids=["v 1.0", "v true", "seq 1.0", "seq true"])
def test_v_and_seq_spelt_as_a_float_or_a_boolean_are_refused_by_both_verifiers_alike(
    opened: bytes, edit: tuple[bytes, bytes], message: str
) -> None:
    assert verdicts(opened.replace(*edit, 1)) == (message, message)


@pytest.mark.parametrize("depth", [33, 300, 2_000, 10_000])
def test_a_deeply_nested_field_is_refused_by_both_verifiers_with_its_depth(opened: bytes, depth: int) -> None:
    nested = opened.replace(b'"note":""', b'"note":' + b"[" * depth + b"]" * depth)
    message = f"event 1 is nested {depth + 1} deep (at most 32)"
    assert verdicts(nested) == (message, message)


def test_perfledger_verify_names_a_deeply_nested_event_on_one_line(tmp_path: Path, opened: bytes) -> None:
    ledger = str(tmp_path / "ledger.db")
    assert CliRunner().invoke(main, ["--ledger", ledger, "init", "--entity", "CCIAA"]).exit_code == 0
    db = raw(ledger)
    db.drop_triggers()
    state = db.state_of(1).replace(b'"note":""', b'"note":' + b"[" * 10_000 + b"]" * 10_000)
    db.set_state(1, state)
    db.set_chain_hash(1, hashlib.sha256(state).hexdigest())
    result = CliRunner().invoke(main, ["--ledger", ledger, "verify"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # not a traceback
    assert "event 1 is nested 10001 deep (at most 32)" in result.output and "Traceback" not in result.output


def test_the_bundle_verifier_names_a_deeply_nested_event_on_one_line(
    tmp_path: Path, opened: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "events.jsonl").write_bytes(
        opened.replace(b'"note":""', b'"note":' + b"[" * 10_000 + b"]" * 10_000) + b"\n"
    )
    manifest = {"format": proofs.BUNDLE_FORMAT, "files": proofs.file_hashes(tmp_path)}
    (tmp_path / proofs.MANIFEST).write_text(json.dumps(manifest))
    assert proofs.main([str(tmp_path), "--pubkey", str(FIXTURES / "cdg.pub")]) == 1
    assert capsys.readouterr().err == "FAILED: event 1 is nested 10001 deep (at most 32)\n"


# -- the shared vectors (tests/vectors/canonical, written by its generate.py) -------------------
def line_of(vector: dict[str, Any]) -> bytes:
    """A vector's line: as given, from base64, or generated from another vector's line."""
    if "line_base64" in vector:
        return base64.b64decode(vector["line_base64"])
    if "generate" not in vector:
        return str(vector["line"]).encode("utf-8")
    spec = vector["generate"]
    base = line_of(BY_NAME[spec["base"]])
    if "nested_note" in spec:  # the note becomes arrays nested that deep
        depth = spec["nested_note"]
        return base.replace(b'"note":""', b'"note":' + b"[" * depth + b"]" * depth)
    # The note becomes x's, as many as make the line line_bytes long.
    return base.replace(b'"note":""', b'"note":"' + b"x" * (spec["line_bytes"] - len(base)) + b'"')


@pytest.mark.parametrize("vector", VECTORS, ids=[vector["name"] for vector in VECTORS])
def test_each_shared_vector_gets_its_verdict_and_message_from_both_verifiers(vector: dict[str, Any]) -> None:
    bundle, perfledger = verdicts(line_of(vector))
    if vector["valid"]:
        assert (bundle, perfledger) == (None, None)
    else:
        assert bundle == perfledger and bundle is not None and bundle.startswith(vector["message"])


def test_the_vectors_start_from_a_real_event_one_and_cover_every_rule_of_the_form(opened: bytes) -> None:
    base = orjson.loads(line_of(BY_NAME["event 1 as init writes it"]))
    real = orjson.loads(opened)
    assert base.keys() == real.keys() and (base["seq"], base["prev"], base["v"]) == (1, GENESIS, 2)
    assert len(line_of(BY_NAME["exactly 1,000,000 bytes"])) == proofs.MAX_LINE
    assert proofs.nesting_depth(line_of(BY_NAME["nested 10,001 deep"])) == 10_001
    assert VECTORS_FILE.stat().st_size < 64_000  # the long ones are generated
    assert {"v 2.0", "v true", "seq 1.0", "seq true", "a float in a payload field", "1e2", "-0",
            "a leading zero", "NaN", "Infinity", "a big integer 2^63", "unsorted keys",
            "a space after a colon", "a trailing new line inside the line", "a duplicate key",
            "\\u00e9 escaped instead of raw é", "an escaped /", "a lone surrogate \\ud800",
            "an invalid UTF-8 byte", "a byte-order mark", "nested 10,001 deep", "2,000,000 bytes",
            "not an object (an array)", "an empty line"} <= BY_NAME.keys()


# -- why the bounds and the one encoder hold -------------------------------------------------------
def test_the_two_encoders_write_every_code_point_and_order_every_key_alike() -> None:
    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    assert orjson.dumps(every) == json.dumps(every, ensure_ascii=False).encode()
    keys = {ch: i for i, ch in enumerate(every[::97])}
    assert orjson.dumps(keys, option=orjson.OPT_SORT_KEYS) == proofs.canonical_json(keys)


def stored(tmp_path: Path, name: str) -> list[tuple[int, str, bytes, str]]:
    copy = tmp_path / name
    copy.write_bytes((FIXTURES / name).read_bytes())
    with Store.open(str(copy)) as store:
        return [(seq, topic, bytes(state), digest) for seq, topic, state, digest in store.rows(chain=True)]


def test_real_events_are_far_inside_the_bounds_of_length_and_depth(tmp_path: Path) -> None:
    lines = [state for _, _, state, _ in stored(tmp_path, "v1-example-2012.db")]
    assert len(lines) == 398
    assert max(map(len, lines)) < proofs.MAX_LINE // 1000
    assert max(map(proofs.nesting_depth, lines)) == 2 < proofs.MAX_DEPTH // 10


def test_every_real_event_passes_on_verifys_fast_path_with_an_act_or_a_signature_too(tmp_path: Path) -> None:
    kinds = chain_check.kinds_by_topic()
    for name in ("v1-example-2012.db", "v1-signed.db"):
        prev = GENESIS
        for seq, topic, state, digest in stored(tmp_path, name):
            found = chain_check.is_sound(seq, topic, state, digest, seq, prev, kinds)
            assert found[1] is not None, (name, seq)
            prev = digest
    act = {"kind": "Delibera di Giunta", "number": "75", "date": "2013-07-05"}
    with_act = orjson.dumps({**orjson.loads(BY_NAME["event 1 as init writes it"]["line"]), "act": act},
                            option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha256(with_act).hexdigest()
    assert chain_check.is_sound(1, TOPIC, with_act, digest, 1, GENESIS, kinds)[1] is not None


INSTANTS = st.text(alphabet="0123456789-:.TZz \u0660\u0669\uff10", max_size=30) | st.builds(
    lambda at, ch: "2012-01-20T07:54:48.960000Z"[:at] + ch + "2012-01-20T07:54:48.960000Z"[at + 1:],
    st.integers(0, 27), st.characters())


@given(INSTANTS)
def test_the_fast_paths_spelling_check_of_recorded_at_is_the_regexs(text: str) -> None:
    spelt = text.encode("utf-8", "surrogatepass").translate(chain_check.DIGITS_AS_0)
    fast = spelt == chain_check.INSTANT_SHAPE
    assert fast == (chain_check.INSTANT.fullmatch(text) is not None)
