"""`perfledger publish`: the Relazione (or a four-monthly report, or the OIV's kit) as a document."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.options import cut_options

if TYPE_CHECKING:
    from cli.publish.anchor import Anchor
    from cli.publish.model import Document
    from events import LedgerEvent
    from ledger.proofs import Verifier

FORMATS = ("html", "pdf", "xlsx")
KINDS = ("relazione", "validation")


@click.command(name="publish")
@cut_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="html", show_default=True,
              help="html: one self-contained page, every figure linked to its verified derivation; pdf:"
              " PDF/A-3b with the figures, evidence and checkpoint attached; xlsx: the tables, a copy.")
@click.option("--kind", type=click.Choice(KINDS), default="relazione", show_default=True,
              help="relazione: the Relazione sulla Performance (or, before 31/12, the four-monthly report);"
              " validation: the OIV's evidence by validation criterion, with a draft documento di"
              " validazione.")
@click.option("--out", type=click.Path(dir_okay=False),
              help="The file to write [default: relazione-YEAR.FORMAT, monitoraggio-DATE.FORMAT or"
              " validazione-YEAR.FORMAT].")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(exists=True, dir_okay=False),
              help="The signed checkpoint the document rests on (its proofs end at its root); without"
              " one, the ledger's own tree head, signed by nobody.")
@click.option("--vkey", "vkeys", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="With --checkpoint: a signer's verifier key (NAME.vkey); each must have signed it"
              " (repeatable: the ledger's key, the OIV's).")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@click.pass_context
def publish(ctx: click.Context, year: int | None, as_of: date | None, known_at: Any, fmt: str, kind: str,
            out: str | None, checkpoint_file: str | None, vkeys: tuple[str, ...], force: bool) -> None:
    """Write the Relazione sulla Performance, a four-monthly report or the OIV's kit, for any cut.

    The document is in Italian. Its front page and every page's footer state
    the body, the year, the cut, the ledger's size and head, and the
    checkpoint it rests on with its cosigners. Every figure links to its
    derivation: the formula with its numbers, the events behind it and each
    event's inclusion proof, which the HTML page checks itself.

    \b
    Example:
      perfledger publish --format html
      perfledger publish --as-of 2012-08-31 --format pdf --out monitoraggio-2012-08-31.pdf
      perfledger publish --format pdf --checkpoint checkpoint-516.txt --vkey cdg.vkey --vkey oiv.vkey
      perfledger publish --kind validation --format html
    """
    from cli.publish.anchor import anchor_of
    from cli.publish.model import document
    from cli.views import replay
    from ledger import proofs
    from ledger.files import refuse_existing, write_new
    from projections.facts import Cut

    if vkeys and checkpoint_file is None:
        raise click.UsageError("--vkey goes with --checkpoint: the keys that signed it")
    if checkpoint_file is not None and not vkeys:
        raise click.UsageError("--checkpoint needs --vkey: a checkpoint's own signature lines prove nothing")
    if kind == "validation" and fmt == "xlsx":
        raise click.UsageError("the validation kit is written as html or pdf")
    if out is not None and not force:
        refuse_existing(Path(out))  # before the work
    keys = {p: proofs.read_verifier(Path(p)) for p in vkeys}
    cut = Cut(as_of, known_at)
    with replay(ctx) as events:
        if not events:
            raise click.ClickException("the ledger is empty: nothing to publish")
        if checkpoint_file is None:
            anchor = anchor_of(events, None, [])
        else:
            anchor = _checked(events, Path(checkpoint_file), keys)
        doc = document(events, cut, year, anchor, kind)
    path = Path(out) if out is not None else Path(default_name(doc, fmt))
    page = None if fmt == "xlsx" else html_of(doc, printed=fmt == "pdf")
    write_new(path, rendered(doc, fmt, page), force=force)
    click.echo(f"Wrote {path}: {doc.name} ({summary(doc, page)}).")


def _checked(events: list[LedgerEvent], checkpoint: Path, keys: dict[str, Verifier]) -> Anchor:
    """The checkpoint's anchor, its signatures checked with the keys given; an error names the file (and
    a log's key given for a witness's cosignature)."""
    from cli.publish.anchor import anchor_of
    from ledger import proofs

    trusted = list(dict.fromkeys(keys.values()))  # a key given twice is one signer
    try:
        return anchor_of(events, checkpoint, trusted)
    except proofs.ProofError as e:
        said = str(e)
        if said.startswith("it is not signed by "):
            for file, key in keys.items():
                if _cosigned_as_witness(checkpoint, key):
                    raise click.ClickException(
                        f"{Path(file).name} is not a witness key: {key.name} cosigned {checkpoint.name} as"
                        " a witness (cosignature/v1), which only its witness verifier key checks"
                        " (perfledger key new --witness writes one)") from None
            said = checkpoint.name + said.removeprefix("it")
        elif not said.startswith(checkpoint.name):
            said = f"{checkpoint.name}: {said}"
        raise click.ClickException(said) from None


def _cosigned_as_witness(checkpoint: Path, key: Verifier) -> bool:
    """Is ``key``, a log's (Ed25519) verifier key, one whose witness cosignature the checkpoint bears?"""
    from ledger import proofs

    if key.kind != proofs.ED25519:
        return False
    try:
        found = proofs.read_checkpoint(checkpoint)
    except proofs.ProofError:
        return False
    if not isinstance(found, proofs.Checkpoint):
        return False
    witness = proofs.note_key_id(key.name, proofs.COSIGNATURE, key.public)
    return any(s.name == key.name and s.key_id == witness for s in found.signatures)


def rendered(doc: Document, fmt: str, page: str | None = None) -> bytes:
    """The document in ``fmt``, as the bytes of its file: the PDF is printed from the HTML page (``page``,
    when it is already rendered)."""
    if fmt == "xlsx":
        from cli.publish.xlsx import workbook

        return workbook(doc)
    page = html_of(doc, printed=fmt == "pdf") if page is None else page
    if fmt == "html":
        return page.encode("utf-8")
    from cli.publish.pdf import pdf

    return pdf(doc, page)


def html_of(doc: Document, printed: bool = False) -> str:
    """The document's HTML page: the Relazione's, or the OIV's kit; ``printed``: the page the PDF prints,
    without the derivations and the evidence (the PDF attaches them) nor the script."""
    if doc.kind == "validation":
        from cli.publish.validation import page as validation_page

        return validation_page(doc, printed)
    from cli.publish.html import page as relazione_page

    return relazione_page(doc, printed)


def default_name(doc: Document, fmt: str) -> str:
    year = doc.scores.year
    if doc.kind == "validation":
        return f"validazione-{year}.{fmt}"
    as_of = doc.cut.as_of
    if as_of is None or doc.year_end:
        return f"relazione-{year}.{fmt}"
    return f"monitoraggio-{as_of.isoformat()}.{fmt}"


def summary(doc: Document, page: str | None) -> str:
    """What was written, in English: ``618 derivations, 506 events, proofs against checkpoint 516 cosigned
    by oiv`` for a page (``page``: its HTML), ``7 sheets, a copy of the tables, resting on …`` for the
    workbook."""
    anchor = doc.anchor
    if anchor.kind == "head":
        rests = f"the ledger's head at event {anchor.size}, signed by nobody"
    else:
        names = ", ".join(s.name for s in anchor.cosigners) or "nobody"
        rests = f"checkpoint {anchor.size} cosigned by {names}"
    if page is None:
        from cli.publish.xlsx import SHEETS

        return f"{len(SHEETS)} sheets, a copy of the tables, resting on {rests}"
    from cli.publish.html import derivations

    return f"{derivations(page)} derivations, {len(doc.evidence)} events, proofs against {rests}"
