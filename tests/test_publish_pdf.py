"""The Relazione as PDF/A-3b: the page printed by WeasyPrint with the figures, the evidence and the
checkpoint attached, the same bytes from the same inputs, and ``verify --bundle --expect relazione.pdf``
checking the figures it carries against the ledger replayed at its cut."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdf
import pytest
from click import ClickException
from click.testing import CliRunner, Result

from cli.main import main
from cli.output import money, percent, to_json
from ledger import proofs

YEAR_END = ("--as-of", "2012-12-31")  # the Relazione's cut: publish without --as-of is at 31/12
FOUR_MONTHLY = ("--as-of", "2012-08-31")


@pytest.fixture(scope="module")
def made(example: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2012 example's ledger, checkpointed by cdg and cosigned by the OIV, exported as a bundle, and
    published as PDF: the Relazione on the checkpoint, the 31/08 report on the ledger's head."""
    home = tmp_path_factory.mktemp("pdf")
    ok(run(example, "key", "new", "cdg", "--dir", str(home)))
    ok(run(example, "key", "new", "oiv", "--dir", str(home), "--witness"))
    checkpoint = str(home / "checkpoint.txt")
    ok(run(example, "checkpoint", "--key", str(home / "cdg.key"), "--out", checkpoint))
    ok(run(example, "checkpoint", "cosign", checkpoint, "--key", str(home / "oiv.key"),
           "--log-vkey", str(home / "cdg.vkey"), "--state", str(home / "oiv-state.json")))
    ok(run(example, "export", "--bundle", str(home / "bundle"), "--checkpoint", checkpoint))
    ok(run(example, "publish", "--format", "pdf", "--out", str(home / "relazione.pdf"),
           "--checkpoint", checkpoint, "--vkey", str(home / "cdg.vkey"), "--vkey", str(home / "oiv.vkey")))
    ok(run(example, "publish", "--format", "pdf", *FOUR_MONTHLY, "--out", str(home / "monitoraggio.pdf")))
    (home / "ledger").write_text(example, encoding="utf-8")
    return home


def run(ledger: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--ledger", ledger, *args])


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def ledger_of(made: Path) -> str:
    return (made / "ledger").read_text(encoding="utf-8")


def report(made: Path, *cut: str) -> bytes:
    """``report --format json`` at ``cut``, the bytes the CLI prints."""
    return ok(run(ledger_of(made), "report", "--format", "json", *cut)).stdout_bytes


def attachments(path: Path) -> dict[str, bytes]:
    found = pypdf.PdfReader(path).attachments
    assert all(len(versions) == 1 for versions in found.values()), found.keys()
    return {name: versions[0] for name, versions in found.items()}


def require_poppler() -> None:
    """pdftotext (Debian's poppler-utils): CI installs it; a machine without it skips, CI fails."""
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext is missing: .ci/run installs poppler-utils")
        pytest.skip("pdftotext (poppler-utils) is not installed")


def text_of(path: Path) -> str:
    """The PDF's text as pdftotext reads it, each run of spaces (no-break ones too) one space."""
    require_poppler()
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode("utf-8").split())


def layout_lines(path: Path) -> list[str]:
    """The PDF's lines as pdftotext lays them out (a table's row on one line), each run of spaces one."""
    require_poppler()
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", str(path), "-"], capture_output=True,
                         check=True)
    return [" ".join(line.split()) for line in out.stdout.decode("utf-8").splitlines()]


def shown(report_json: bytes) -> dict[str, str]:
    """What the document must print, from ``report --format json``: the entity's level, each strategic
    objective's % and the budget's Totale complessivo, formatted in Italian (half-up)."""
    data = json.loads(report_json)
    achievement = data["achievement"]
    wanted = {"entity": percent(Decimal(achievement["entity"]["achievement"]), 0, "it"),
              "total": money(Decimal(data["budget"]["total"]["total"]), "it")}
    for objective in achievement["objectives"]:
        if objective["level"] == "strategic":
            value = objective["achievement"]
            wanted[objective["id"]] = percent(None if value is None else Decimal(value), 0, "it")  # ND
    return wanted


# -- what it shows --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "cut"), [("relazione.pdf", YEAR_END), ("monitoraggio.pdf", FOUR_MONTHLY)])
def test_the_pdf_prints_the_entity_level_and_each_strategic_objectives_achievement_as_the_report_gives(
        made: Path, name: str, cut: tuple[str, ...]) -> None:
    wanted = shown(report(made, *cut))
    assert len(wanted) == 20  # the entity, 18 strategic objectives, the Totale complessivo
    lines = layout_lines(made / name)
    assert f"Livello di performance dell'ente: {wanted['entity']}" in " ".join(lines)
    for code, figure in wanted.items():
        if code in ("entity", "total"):
            continue
        heading = next(n for n, line in enumerate(lines) if line.startswith(f"{code}. ") and "€" not in line)
        grade = next(line for line in lines[heading:] if "Grado di raggiungimento:" in line)
        assert f"Grado di raggiungimento: {figure}" in grade, (code, grade)


@pytest.mark.parametrize(("name", "cut"), [("relazione.pdf", YEAR_END), ("monitoraggio.pdf", FOUR_MONTHLY)])
def test_the_budget_tables_totale_complessivo_row_shows_the_reports_total(
        made: Path, name: str, cut: tuple[str, ...]) -> None:
    total = shown(report(made, *cut))["total"]
    rows = [line for line in layout_lines(made / name) if line.startswith("Totale complessivo ")]
    assert rows and all(total in row for row in rows), rows


def test_the_twelve_months_and_the_four_months_differ_where_the_ledger_says_they_do(made: Path) -> None:
    assert shown(report(made, *YEAR_END)) != shown(report(made, *FOUR_MONTHLY))
    assert shown(report(made, *YEAR_END))["total"] == "€ 1.975.472,69"


# -- PDF/A-3b ------------------------------------------------------------------------------------------
def test_the_pdf_declares_pdf_a_3b_with_an_srgb_output_intent_and_embedded_fonts(made: Path) -> None:
    reader = pypdf.PdfReader(made / "relazione.pdf")
    xmp = reader.xmp_metadata
    assert xmp is not None and (xmp.pdfaid_part, xmp.pdfaid_conformance) == ("3", "B")
    intent = reader.trailer["/Root"]["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFA1" and "/DestOutputProfile" in intent
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in descriptor, font["/BaseFont"]  # embedded, as PDF/A requires
            fonts.add(str(font["/BaseFont"]).split("+", 1)[1])
    assert fonts <= {"DejaVu-Sans", "DejaVu-Sans-Bold", "DejaVu-Sans-Oblique", "DejaVu-Sans-BoldOblique",
                     "DejaVu-Sans-Mono", "DejaVu-Sans-Mono-Bold"}, fonts


def test_the_info_and_xmp_metadata_name_the_document_its_body_and_its_cut(made: Path) -> None:
    reader = pypdf.PdfReader(made / "relazione.pdf")
    info, xmp = reader.metadata, reader.xmp_metadata
    assert info is not None and xmp is not None
    assert info.title == "Relazione sulla Performance 2012" == xmp.dc_title["x-default"]
    assert info.author == "CCIAA Massa Carrara" and xmp.dc_creator == ["CCIAA Massa Carrara"]
    assert info.subject == xmp.dc_description["x-default"]
    assert info.subject.startswith("CCIAA Massa Carrara, anno 2012, al 31/12/2012: registro di 516 eventi")
    assert info["/CreationDate"] == info["/ModDate"]
    assert xmp.xmp_create_date == xmp.xmp_modify_date


def test_the_attachments_are_the_figures_the_evidence_and_the_checkpoint_each_with_its_relationship(
        made: Path) -> None:
    reader = pypdf.PdfReader(made / "relazione.pdf")
    relationships = {str(spec.get_object()["/UF"]): str(spec.get_object()["/AFRelationship"])
                     for spec in reader.trailer["/Root"]["/AF"]}
    assert relationships == {"figures.json": "/Data", "evidence.json": "/Source", "checkpoint.txt": "/Source"}
    files = attachments(made / "relazione.pdf")
    assert files["figures.json"] == report(made, *YEAR_END)  # byte for byte what report --format json prints
    assert files["checkpoint.txt"] == (made / "checkpoint.txt").read_bytes()
    assert set(attachments(made / "monitoraggio.pdf")) == {"figures.json", "evidence.json"}  # no checkpoint
    assert attachments(made / "monitoraggio.pdf")["figures.json"] == report(made, *FOUR_MONTHLY)


def test_every_attached_event_is_proved_included_in_the_attached_cosigned_checkpoint(made: Path) -> None:
    files = attachments(made / "relazione.pdf")
    note = files["checkpoint.txt"].decode()
    vkeys = [(made / f"{name}.vkey").read_text() for name in ("cdg", "oiv")]
    checkpoint = proofs.verify_note(note, vkeys[:1], vkeys[1:])
    evidence: dict[str, Any] = json.loads(files["evidence.json"])
    anchor = evidence["anchor"]
    assert (anchor["kind"], anchor["note"], anchor["size"]) == ("checkpoint", note, checkpoint.size)
    assert [k["role"] for k in anchor["keys"]] == ["log", "cosigner"]
    figures = json.loads(files["figures.json"])
    assert len(evidence["events"]) > 400 and figures["cut"]["events"] == checkpoint.size
    for seq, event in evidence["events"].items():
        leaf = proofs.leaf_hash(event["line"].encode("utf-8"))
        path = [bytes.fromhex(node) for node in event["path"]]
        proofs.verify_inclusion(int(seq) - 1, checkpoint.size, leaf, path, checkpoint.root)


def test_the_pdf_is_dated_by_the_latest_moment_it_rests_on_not_the_clock(made: Path) -> None:
    """The Relazione rests on the OIV's cosignature, later than any event; the 31/08 report on the ledger's
    head, signed by nobody: its date is the last recording of the events its figures rest on."""
    relazione = pypdf.PdfReader(made / "relazione.pdf").metadata
    cosigned = json.loads(attachments(made / "relazione.pdf")["evidence.json"])["anchor"]["keys"][1]
    assert relazione is not None and relazione["/CreationDate"] == pdf_date(cosigned["cosigned_at"])
    evidence = json.loads(attachments(made / "monitoraggio.pdf")["evidence.json"])["events"]
    latest = max(json.loads(e["line"])["recorded_at"] for e in evidence.values())
    monitoraggio = pypdf.PdfReader(made / "monitoraggio.pdf").metadata
    assert monitoraggio is not None and monitoraggio["/CreationDate"] == pdf_date(latest)


def test_a_year_end_relazione_is_dated_no_earlier_than_the_closing_it_states(doc: Any) -> None:
    from datetime import UTC, date, datetime

    from cli.publish.pdf import dated
    from projections.closing import Closing, Reopening

    assert dated(doc) == datetime(2013, 2, 20, 11, 0)  # the last event its figures rest on: a correction
    closed = datetime(2013, 6, 28, 10, 0, 0, 123456, tzinfo=UTC)
    reopened = Reopening(datetime(2013, 7, 2, 9, 30, tzinfo=UTC), None, "errore materiale", "reopen-2012")
    first = Closing(2012, "close-2012", date(2013, 6, 28), closed, None, None, (reopened,))
    assert dated(replace(doc, closing=first)) == datetime(2013, 7, 2, 9, 30)
    again = Closing(2012, "close-2012-b", date(2013, 7, 5), datetime(2013, 7, 5, 8, tzinfo=UTC), None, None,
                    (), (first,))
    assert dated(replace(doc, closing=again)) == datetime(2013, 7, 5, 8, 0)


def pdf_date(instant: str) -> str:
    """``2013-02-20T11:00:00Z`` (or with microseconds) as a PDF date: ``D:20130220110000Z``."""
    return "D:" + instant[:19].replace("-", "").replace("T", "").replace(":", "") + "Z"


def test_the_same_inputs_give_the_same_bytes(made: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.pdf"
    ok(run(ledger_of(made), "publish", "--format", "pdf", "--out", str(again), "--checkpoint",
           str(made / "checkpoint.txt"), "--vkey", str(made / "cdg.vkey"), "--vkey", str(made / "oiv.vkey")))
    assert again.read_bytes() == (made / "relazione.pdf").read_bytes()
    reader = pypdf.PdfReader(again)
    import hashlib

    identifier = hashlib.sha256(attachments(again)["figures.json"]).hexdigest()
    assert reader.trailer["/ID"][0] == identifier  # the file's identifier is its figures' SHA-256


def test_the_script_is_not_run_and_no_proof_status_is_claimed_in_print(made: Path) -> None:
    text = text_of(made / "relazione.pdf")
    assert "verificato rispetto" not in text and "NON verificato" not in text
    assert "in corso" not in text  # a static "verifica in corso" would wait forever on paper
    assert "versione HTML" in text  # where the proofs are checked


# -- verify --expect a PDF ----------------------------------------------------------------------------
def verify(made: Path, expect: Path) -> Result:
    return run(ledger_of(made), "verify", "--bundle", str(made / "bundle"), "--vkey", str(made / "cdg.vkey"),
               "--vkey", str(made / "oiv.vkey"), "--expect", str(expect))


@pytest.mark.parametrize(("name", "cut"), [
    ("relazione.pdf", "year 2012, as of 2012-12-31, known at the bundle's last event"),
    ("monitoraggio.pdf", "year 2012, as of 2012-08-31, known at the bundle's last event"),
])
def test_verify_replays_the_bundle_at_the_pdfs_own_cut_and_matches_its_figures(
        made: Path, name: str, cut: str) -> None:
    result = ok(verify(made, made / name))
    assert result.stdout.splitlines()[-3:] == [f"replayed at the report's cut: {cut}",
                                               f"replay matches {made / name}", "OK"]


@pytest.fixture(scope="module")
def doc(made: Path) -> Any:
    """The Relazione's document, on the ledger's head."""
    from cli.publish.anchor import anchor_of
    from cli.publish.model import document
    from ledger import Store
    from projections.facts import Cut

    store = Store.open(ledger_of(made))
    try:
        events = list(store.events(upto=store.length()))
    finally:
        store.close()
    return document(events, Cut(), None, anchor_of(events, None, []))


def test_a_pdf_whose_attached_figures_were_altered_is_refused_naming_the_difference(
        made: Path, doc: Any, tmp_path: Path) -> None:
    from cli.publish.command import html_of
    from cli.publish.pdf import pdf

    figures = json.loads(to_json(doc.figures_json))
    figures["achievement"]["entity"]["percent"] = 99
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(pdf(replace(doc, figures_json=figures), html_of(doc)))
    result = verify(made, forged)
    assert result.exit_code == 1
    assert "differs from" in result.output and "in 1 place(s)" in result.output
    assert "achievement.entity.percent: report says 99, replay gives 94" in result.output


TINY = ('<!doctype html><html lang="it"><head><meta charset="utf-8"><title>t</title>{}</head>'
        "<body>{}</body></html>")


def test_a_page_that_refers_outside_itself_is_refused_and_nothing_is_fetched(doc: Any) -> None:
    from cli.publish.pdf import pdf

    with pytest.raises(ClickException) as refused:
        pdf(doc, TINY.format("", '<p>x</p><img src="http://127.0.0.1:9/logo.png" alt="logo">'))
    message = refused.value.message
    assert message.startswith("WeasyPrint could not print the page: Failed to load image at"
                              " 'http://127.0.0.1:9/logo.png'")
    assert "disallowed protocol" in message


def test_weasyprints_warnings_go_to_the_log_not_the_terminal(
        doc: Any, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    from cli.publish.pdf import pdf

    with caplog.at_level(logging.INFO, logger="cli.publish.pdf"):
        printed = pdf(doc, TINY.format("<style>p { frobnicate: 3 }</style>", "<p>x</p>"))
    assert printed.startswith(b"%PDF-1.7")
    assert capfd.readouterr().err == ""
    assert any("frobnicate" in r.getMessage() for r in caplog.records)


def test_a_pdf_without_figures_attached_is_one_clear_error(made: Path, tmp_path: Path) -> None:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(595, 842)
    plain = tmp_path / "plain.pdf"
    with plain.open("wb") as out:
        writer.write(out)
    result = verify(made, plain)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [(
        "Error: plain.pdf: a PDF with no figures.json attached: not a document from perfledger publish"
        " --format pdf, whose figures it would compare")]
    broken = tmp_path / "broken.pdf"
    broken.write_bytes((made / "relazione.pdf").read_bytes()[:4000])
    result = verify(made, broken)
    assert result.exit_code == 1 and "broken.pdf: not a PDF that can be read" in result.output


def test_the_attached_figures_are_read_back_exactly(made: Path) -> None:
    from cli.publish.pdf import attached_figures

    data = (made / "relazione.pdf").read_bytes()
    assert attached_figures("relazione.pdf", data) == report(made, *YEAR_END)
