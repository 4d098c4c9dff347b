"""The published document's model: the report's own figures, each derived, each event proved against
the checkpoint the document rests on; and the `publish` command's refusals."""

from __future__ import annotations

import os
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
from tests.conftest import cosign_example, ev, ledger_events, small_plan, submissions


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def cosigned(example: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2012 example, its checkpoint signed by the ledger's key (cdg) and cosigned by the OIV's."""
    return cosign_example(example, tmp_path_factory.mktemp("cosigned"))


def test_the_documents_figures_are_the_reports_json_at_the_same_cut(example: str) -> None:
    for as_of in ("2012-12-31", "2012-08-31"):
        printed = orjson.loads(run("--ledger", example, "report", "--format", "json", "--as-of",
                                   as_of).output)
        events = ledger_events(example)
        doc = document(events, Cut(date.fromisoformat(as_of)), None, anchor_of(events, None, []))
        assert orjson.loads(orjson.dumps(doc.figures_json, default=str)) == printed


def test_without_an_as_of_date_the_document_is_the_year_end_relazione_at_31_december(example: str) -> None:
    events = ledger_events(example)
    anchor = anchor_of(events, None, [])
    doc = document(events, Cut(), None, anchor)
    assert doc.cut == Cut(date(2012, 12, 31)) and doc.header.as_of == date(2012, 12, 31)
    assert doc.figures_json["as_of"] == "2012-12-31"  # verify --expect replays at that cut
    printed = orjson.loads(run("--ledger", example, "report", "--format", "json", "--as-of",
                               "2012-12-31").output)
    assert orjson.loads(orjson.dumps(doc.figures_json, default=str)) == printed
    assert doc.figure("achievement", "entity").shown == "94%"  # the seed's
    assert doc.figure("variations").shown == "5,6%"
    assert doc.figure("budget", "total", "total").shown == "€ 1.975.472,69"
    assert doc.title == "Relazione sulla Performance 2012" and doc.year_end
    known = document(events, Cut(None, 300), None, anchor)
    assert known.cut == Cut(date(2012, 12, 31), 300)  # known_at as given
    assert known.title == "Relazione sulla Performance 2012"
    assert not document(events, Cut(date(2012, 8, 31)), None, anchor).year_end


def test_each_figure_is_what_explain_derives_for_its_arguments(example: str) -> None:
    events = ledger_events(example)
    doc = document(events, Cut(), None, anchor_of(events, None, []))
    for args in (("achievement", "entity"), ("achievement", "objective", "08"),
                 ("budget", "line", "A1", "total"), ("variations",)):
        explained = orjson.loads(run("--ledger", example, "explain", *args, "--format", "json").output)
        del explained["schema"], explained["cut"]
        assert without_proofs(doc.figure(*args).derivation.to_dict()) == explained
        assert doc.figure(*args).command == "perfledger explain " + " ".join(args) + " --as-of 2012-12-31"


def without_proofs(derivation: dict) -> dict:  # type: ignore[type-arg]
    events = [{k: v for k, v in e.items() if k != "proof"} for e in derivation["events"]]
    return {**derivation, "events": events, "parts": [without_proofs(part) for part in derivation["parts"]]}


def test_every_event_of_every_figure_is_in_the_evidence_with_a_path_to_the_heads_root(example: str) -> None:
    events = ledger_events(example)
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
    events = ledger_events(example)
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
    assert result.exit_code == 1
    assert "Error: checkpoint.txt is not signed by other (key ID " in result.output
    assert not (tmp_path / "r.html").exists()


def test_a_cosigners_key_that_is_no_witness_key_is_named(example: str, cosigned: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "checkpoint.txt").write_text((cosigned / "checkpoint.txt").read_text())
    assert run("key", "new", "plain", "--key-name", "plain.example").exit_code == 0  # not --witness
    cosign = run("--ledger", example, "checkpoint", "cosign", "checkpoint.txt", "--key", "plain.key",
                 "--log-vkey", str(cosigned / "cdg.vkey"), "--state", "plain-state.json")
    assert cosign.exit_code == 0, cosign.output  # the cosign command accepts it
    result = run("--ledger", example, "publish", "--checkpoint", "checkpoint.txt",
                 "--vkey", str(cosigned / "cdg.vkey"), "--vkey", "plain.vkey", "--out", "r.html")
    assert result.exit_code == 1
    assert "Error: plain.vkey is not a witness key" in result.output, result.output


def test_a_key_given_twice_is_one_signer(example: str, cosigned: Path, tmp_path: Path) -> None:
    out = tmp_path / "twice.html"
    result = run("--ledger", example, "publish", "--checkpoint", str(cosigned / "checkpoint.txt"),
                 "--vkey", str(cosigned / "cdg.vkey"), "--vkey", str(cosigned / "oiv.vkey"),
                 "--vkey", str(cosigned / "oiv.vkey"), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "cosigned by oiv.cciaa-ms.example)." in result.output
    page = out.read_text()
    assert page.count('data-role="cosigner"') == 1
    assert page.count('"role":"cosigner"') == 1


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
    events = ledger_events(example)
    trusted = [proofs.read_verifier(cosigned / "cdg.vkey")]
    anchor = anchor_of(events, cosigned / "checkpoint.txt", trusted)
    assert anchor.path(len(events)) is not None and anchor.path(len(events) + 1) is None


def test_the_year_end_relazione_states_the_act_that_approved_it_the_next_year(tmp_path: Path) -> None:
    closed = ev("YearClosed", "close-2012", "2013-06-28", year=2012,
                act={"kind": "Delibera di Giunta", "number": "75", "date": "2013-06-28"})
    path = str(tmp_path / "closed.db")
    store = Store.open(path, create=True)
    store.init("CCIAA", actor="cdg")
    store.append(submissions([*small_plan(), closed]))
    store.close()
    events = ledger_events(path)
    anchor = anchor_of(events, None, [])
    doc = document(events, Cut(), None, anchor)
    assert doc.closing is not None and str(doc.closing.act) == "Delibera di Giunta n. 75 del 28/06/2013"
    # its figures are the report's at 31/12, which knows no closing effective in 2013: verify --expect agrees
    printed = orjson.loads(run("--ledger", path, "report", "--format", "json", "--as-of",
                               "2012-12-31").output)
    assert "closing" not in doc.figures_json
    assert orjson.loads(orjson.dumps(doc.figures_json, default=str)) == printed
    assert document(events, Cut(date(2012, 8, 31)), None, anchor).closing is None  # a four-monthly report


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

    events = ledger_events(example)
    anchor = anchor_of(events, None, [])
    year_end: Document = document(events, Cut(), None, anchor)
    august = document(events, Cut(date(2012, 8, 31)), None, anchor)
    assert default_name(year_end, "pdf") == "relazione-2012.pdf"
    assert default_name(august, "html") == "monitoraggio-2012-08-31.html"
    assert default_name(document(events, Cut(), None, anchor, "validation"), "pdf") == "validazione-2012.pdf"
    known = document(events, Cut(None, 300), None, anchor)  # --known-at alone: the year-end Relazione
    assert default_name(known, "html") == "relazione-2012.html"


def test_the_success_line_names_the_document_and_counts_its_derivations(example: str, tmp_path: Path) -> None:
    relazione = run("--ledger", example, "publish", "--out", str(tmp_path / "r.html"))
    assert relazione.exit_code == 0, relazione.output
    sections = (tmp_path / "r.html").read_text().count('<section class="derivation" ')
    assert relazione.output == (f"Wrote {tmp_path / 'r.html'}: Relazione sulla Performance 2012 ({sections}"
                                " derivations, 506 events, proofs against the ledger's head at event 516,"
                                " signed by nobody).\n")
    kit = run("--ledger", example, "publish", "--kind", "validation", "--out", str(tmp_path / "v.html"))
    assert kit.exit_code == 0, kit.output
    sections = (tmp_path / "v.html").read_text().count('<section class="derivation" ')
    assert 0 < sections < 618
    assert kit.output.startswith(f"Wrote {tmp_path / 'v.html'}: Kit di validazione dell'OIV 2012 ({sections}"
                                 " derivations, ")
    sheet = run("--ledger", example, "publish", "--format", "xlsx", "--out", str(tmp_path / "r.xlsx"))
    assert sheet.exit_code == 0, sheet.output
    assert sheet.output == (f"Wrote {tmp_path / 'r.xlsx'}: Relazione sulla Performance 2012 (7 sheets, a copy"
                            " of the tables, resting on the ledger's head at event 516, signed by nobody).\n")


def test_a_part_is_linked_only_to_the_figure_whose_derivation_it_is_not_to_its_namesake_of_another_cut(
        example: str) -> None:
    events = ledger_events(example)
    doc = document(events, Cut(), None, anchor_of(events, None, []))
    april = doc.trend[0].figure.derivation.parts[0]  # an objective as of 30/04, named as its year-end figure
    entity = doc.figure("achievement", "entity").derivation
    year_end = next(p for p in entity.parts if p.figure == april.figure)
    assert april != year_end
    assert doc.key_of(april) is None
    assert doc.key_of(year_end) == doc.figure("achievement", "objective", "03").key
