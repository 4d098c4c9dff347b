"""The published document's model: the report's own figures, each derived, each event proved against
the checkpoint the document rests on; and the `publish` command's refusals."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result

from cli.main import main
from cli.publish.anchor import anchor_of
from cli.publish.model import Document, document
from ledger import Store, proofs
from projections.facts import Cut


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def events_of(ledger: str) -> list:  # type: ignore[type-arg]
    store = Store.open(ledger)
    try:
        return list(store.events(upto=store.length()))
    finally:
        store.close()


@pytest.fixture(scope="module")
def cosigned(example: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The 2012 example, its checkpoint signed by the ledger's key and cosigned by the OIV's."""
    here = tmp_path_factory.mktemp("cosigned")
    before = os.getcwd()
    os.chdir(here)
    try:
        os.environ["PERFLEDGER_LEDGER"] = example
        assert run("key", "new", "cdg").exit_code == 0
        assert run("key", "new", "oiv", "--key-name", "oiv.cciaa-ms.example", "--witness").exit_code == 0
        assert run("checkpoint", "--key", "cdg.key", "--out", "checkpoint.txt").exit_code == 0
        cosign = run("checkpoint", "cosign", "checkpoint.txt", "--key", "oiv.key", "--log-vkey", "cdg.vkey",
                     "--state", "oiv-state.json")
        assert cosign.exit_code == 0, cosign.output
        yield here
    finally:
        os.environ.pop("PERFLEDGER_LEDGER", None)
        os.chdir(before)


def test_the_documents_figures_are_the_reports_json_at_the_same_cut(example: str) -> None:
    for as_of in (None, "2012-08-31"):
        cut_args = [] if as_of is None else ["--as-of", as_of]
        printed = orjson.loads(run("--ledger", example, "report", "--format", "json", *cut_args).output)
        events = events_of(example)
        doc = document(events, Cut(None if as_of is None else date.fromisoformat(as_of)), None,
                       anchor_of(events, None, []))
        assert orjson.loads(orjson.dumps(doc.figures_json, default=str)) == printed


def test_each_figure_is_what_explain_derives_for_its_arguments(example: str) -> None:
    events = events_of(example)
    doc = document(events, Cut(), None, anchor_of(events, None, []))
    for args in (("achievement", "entity"), ("achievement", "objective", "08"),
                 ("budget", "line", "A1", "total"), ("variations",)):
        explained = orjson.loads(run("--ledger", example, "explain", *args, "--format", "json").output)
        del explained["schema"], explained["cut"]
        assert without_proofs(doc.figure(*args).derivation.to_dict()) == explained
        assert doc.figure(*args).command == "perfledger explain " + " ".join(args)


def without_proofs(derivation: dict) -> dict:  # type: ignore[type-arg]
    events = [{k: v for k, v in e.items() if k != "proof"} for e in derivation["events"]]
    return {**derivation, "events": events, "parts": [without_proofs(part) for part in derivation["parts"]]}


def test_every_event_of_every_figure_is_in_the_evidence_with_a_path_to_the_heads_root(example: str) -> None:
    events = events_of(example)
    doc = document(events, Cut(), None, anchor_of(events, None, []))
    wanted = {seq for figure in doc.figures.values() for seq in figure.seqs()}
    assert set(doc.evidence) == wanted and len(wanted) > 400
    root = proofs.MerkleTree([proofs.leaf_hash(e.canonical_bytes) for e in events]).root()
    for seq, evidence in doc.evidence.items():
        assert evidence.line.encode() == events[seq - 1].canonical_bytes
        assert evidence.proof is not None
        proofs.verify_inclusion(seq - 1, len(events), proofs.leaf_hash(evidence.line.encode()),
                                [bytes.fromhex(node) for node in evidence.proof], root)
    assert doc.anchor.kind == "head" and doc.anchor.signers == ()


def test_a_cosigned_checkpoint_anchors_the_document_with_its_verified_signers(example: str,
                                                                               cosigned: Path) -> None:
    events = events_of(example)
    trusted = [proofs.read_verifier(cosigned / name) for name in ("cdg.vkey", "oiv.vkey")]
    anchor = anchor_of(events, cosigned / "checkpoint.txt", trusted)
    assert (anchor.kind, anchor.size) == ("checkpoint", len(events))
    roles = [(s.name, s.role) for s in anchor.signers]
    assert roles == [("cdg", "log"), ("oiv.cciaa-ms.example", "cosigner")]
    assert anchor.cosigners[0].cosigned_at is not None
    assert anchor.note == (cosigned / "checkpoint.txt").read_text()


def test_a_checkpoint_not_signed_by_a_key_given_anchors_nothing(example: str, cosigned: Path,
                                                                 tmp_path: Path) -> None:
    other = _other_key(tmp_path)
    result = run("--ledger", example, "publish", "--checkpoint", str(cosigned / "checkpoint.txt"),
                 "--vkey", str(cosigned / "cdg.vkey"), "--vkey", str(other),
                 "--out", str(tmp_path / "r.html"))
    assert result.exit_code == 1 and "it is not signed by" in result.output
    assert not (tmp_path / "r.html").exists()


def _other_key(tmp_path: Path) -> Path:
    before = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert run("key", "new", "other", "--witness").exit_code == 0
    finally:
        os.chdir(before)
    return tmp_path / "other.vkey"


def test_events_recorded_after_the_checkpoint_have_no_path_and_rest_on_the_ledgers_word(
        example: str, cosigned: Path) -> None:
    events = events_of(example)
    trusted = [proofs.read_verifier(cosigned / "cdg.vkey")]
    anchor = anchor_of(events, cosigned / "checkpoint.txt", trusted)
    assert anchor.path(len(events)) is not None and anchor.path(len(events) + 1) is None


def test_publish_refuses_a_checkpoint_without_keys_and_keys_without_a_checkpoint(example: str,
                                                                                 cosigned: Path) -> None:
    alone = run("--ledger", example, "publish", "--checkpoint", str(cosigned / "checkpoint.txt"))
    assert alone.exit_code == 2 and "--checkpoint needs --vkey" in alone.output
    keys = run("--ledger", example, "publish", "--vkey", str(cosigned / "cdg.vkey"))
    assert keys.exit_code == 2 and "--vkey goes with --checkpoint" in keys.output


def test_publish_never_replaces_a_file_without_force(example: str, tmp_path: Path) -> None:
    out = tmp_path / "relazione.xlsx"
    out.write_text("mine")
    result = run("--ledger", example, "publish", "--format", "xlsx", "--out", str(out))
    assert result.exit_code == 1 and "--force" in result.output and out.read_text() == "mine"


def test_the_validation_kit_is_not_a_spreadsheet(example: str) -> None:
    result = run("--ledger", example, "publish", "--kind", "validation", "--format", "xlsx")
    assert result.exit_code == 2 and "the validation kit is written as html or pdf" in result.output


def test_the_default_file_name_says_which_document_it_is(example: str) -> None:
    from cli.publish.command import default_name

    events = events_of(example)
    anchor = anchor_of(events, None, [])
    year_end: Document = document(events, Cut(), None, anchor)
    august = document(events, Cut(date(2012, 8, 31)), None, anchor)
    assert default_name(year_end, "pdf") == "relazione-2012.pdf"
    assert default_name(august, "html") == "monitoraggio-2012-08-31.html"
    assert default_name(document(events, Cut(), None, anchor, "validation"), "pdf") == "validazione-2012.pdf"


def test_a_part_is_linked_only_to_the_figure_whose_derivation_it_is_not_to_its_namesake_of_another_cut(
        example: str) -> None:
    events = events_of(example)
    doc = document(events, Cut(), None, anchor_of(events, None, []))
    april = doc.trend[0].figure.derivation.parts[0]  # an objective as of 30/04, named as its year-end figure
    entity = doc.figure("achievement", "entity").derivation
    year_end = next(p for p in entity.parts if p.figure == april.figure)
    assert april != year_end
    assert doc.key_of(april) is None
    assert doc.key_of(year_end) == doc.figure("achievement", "objective", "03").key
