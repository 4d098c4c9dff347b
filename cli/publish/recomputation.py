"""The OIV's validation kit, criterion 5 (*ricalcolo delle cifre*): the published figures recomputed from
the events' stored bytes, what their proofs rest on, and the commands that make the same checks on the
OIV's own machine (the independent ones: the kit names them, the OIV runs them)."""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cli.audit import diff
from cli.header import known_at_json
from cli.output import to_json
from cli.publish.anchor import Anchor, Signer
from cli.publish.model import Document
from cli.publish.prose import Text, blank, counted, joined, listed, quoted, said
from cli.publish.words import moment
from cli.views import report_data
from events import LedgerEvent
from events.parse import loads_strict
from ledger.codec import decode_body

CHECKED = "[esito della verifica dell'OIV]"
"""The draft's blank for the outcome of the OIV's own replay (``Recomputation.replay``)."""


@dataclass(frozen=True)
class Command:
    """A command the OIV (or the body, ``who``) runs, and what it checks."""

    who: str
    purpose: str
    line: str


@dataclass(frozen=True)
class Recomputation:
    """The published figures (``doc.figures_json``: ``report --format json`` at the cut) against the figures
    the ledger's events give at the same cut, each event decoded afresh from its stored bytes:
    ``compared`` values, the ``differences`` (path, published, recomputed); the anchor the proofs end at,
    and the commands that make the checks on the OIV's own machine, ``replay`` the one that recomputes
    the figures there.

    It is the body's own check, made by the program that made the document: it says the figures are the
    ledger's, not that anyone independent checked them. The independent check is ``replay``, which the
    kit names and does not run."""

    compared: int
    differences: tuple[tuple[str, Any, Any], ...]
    anchor: Anchor
    keys: tuple[tuple[str, Signer], ...]
    commands: tuple[Command, ...]
    replay: Command

    @property
    def equal(self) -> bool:
        return not self.differences

    def sentence(self) -> Text:
        """``3.812 valori pubblicati ricalcolati dai byte memorizzati degli eventi, decodificati da capo:
        tutti uguali``."""
        values = counted(self.compared, "valore pubblicato", "valori pubblicati")
        done = "ricalcolato" if self.compared == 1 else "ricalcolati"
        return said(f"{values} {done} dai byte memorizzati degli eventi, decodificati da capo:"
                    f" {self.outcome()}")

    def outcome(self) -> str:
        """``tutti uguali``, or ``3 differenze``."""
        if self.equal:
            return "tutti uguali" if self.compared > 1 else "uguale"
        return counted(len(self.differences), "differenza", "differenze")

    def finding(self) -> Text:
        """What the draft says of this criterion: whose check this is, and the OIV's own (its outcome a
        blank)."""
        values = counted(self.compared, "valore pubblicato", "valori pubblicati")
        return said("le cifre pubblicate sono quelle che gli eventi del registro danno al taglio, ricalcolate"
                    f" dall'ente dai byte memorizzati degli eventi ({values}: {self.outcome()}); la verifica"
                    " indipendente è quella dell'OIV sulla propria macchina, con"
                    f" `{self.replay.line}`: ", blank(CHECKED),
                    "; le prove di inclusione degli eventi poggiano ", self.anchor_sentence())

    def anchor_sentence(self) -> Text:
        return anchor_sentence(self.anchor)


def anchor_sentence(anchor: Anchor) -> Text:
    """What the proofs rest on, after *poggiano*: ``sul checkpoint 516 di ORIGIN firmato da cdg,
    cosottoscritto da oiv (il 20/06/2013 10:00:00 UTC)``, or ``sulla testa del registro (…)``."""
    if anchor.kind == "head":
        return said(f"sulla testa del registro (evento {anchor.size}, origine ", quoted(anchor.origin),
                    "), non cosottoscritta: nessun checkpoint firmato")
    logs = listed(s.name for s in anchor.signers if s.role == "log") or said("nessuno")
    text = said(f"sul checkpoint {anchor.size} di ", quoted(anchor.origin), " firmato da ", logs)
    cosigners = joined((said(quoted(s.name), _when(s)) for s in anchor.cosigners), ", ")
    return said(text, said(", cosottoscritto da ", cosigners) if cosigners else ", non cosottoscritto")


def _when(signer: Signer) -> str:
    return "" if signer.cosigned_at is None else f" (il {moment(signer.cosigned_at)})"


def leaves(data: Any) -> int:
    """The scalar values of a JSON document."""
    if isinstance(data, dict):
        return sum(leaves(v) for v in data.values())
    if isinstance(data, list):
        return sum(leaves(v) for v in data)
    return 1


def recomputation(doc: Document, events: Sequence[LedgerEvent]) -> Recomputation:
    """Decode every event afresh from its stored canonical bytes (``ledger.codec.decode_body``, as ``verify
    --expect`` decodes a bundle's ``events.jsonl``), replay them at the document's cut
    (``views.report_data``) and compare every value with the published figures, key by key
    (``audit.diff``), as JSON reads them."""
    stored = [decode_body(event.canonical_bytes) for event in events]
    fresh = report_data(stored, doc.cut, doc.scores.year)
    published, recomputed = (loads_strict(to_json(d)) for d in (doc.figures_json, fresh))
    differences = tuple(diff(published, recomputed))
    commands, replay = _commands(doc)
    return Recomputation(leaves(published), differences, doc.anchor, _keys(doc.anchor), commands, replay)


KEY_FILES = {"log": "REGISTRO", "cosigner": "OIV"}


def _keys(anchor: Anchor) -> tuple[tuple[str, Signer], ...]:
    """The signers of the anchor, each with the file name the commands give its verifier key."""
    found = []
    counts: dict[str, int] = {}
    for signer in anchor.signers:
        stem = KEY_FILES.get(signer.role, "CHIAVE")
        counts[stem] = counts.get(stem, 0) + 1
        found.append((f"{stem}{'' if counts[stem] == 1 else counts[stem]}.vkey", signer))
    return tuple(found)


def _commands(doc: Document) -> tuple[tuple[Command, ...], Command]:
    """The commands in the order they are run, and among them the OIV's replay of the Relazione."""
    from cli.publish.command import default_name

    year = doc.scores.year
    bundle = f"bundle-{year}"
    checkpoint = f"checkpoint-{doc.anchor.size}.txt"
    relazione = default_name(dataclasses.replace(doc, kind="relazione"), "pdf")
    names = [name for name, _ in _keys(doc.anchor)] or ["REGISTRO.vkey", "OIV.vkey"]
    if "OIV.vkey" not in names:
        names.append("OIV.vkey")
    vkeys = " ".join(f"--vkey {shlex.quote(n)}" for n in names)
    log_vkey = next((n for n in names if n.startswith("REGISTRO")), "REGISTRO.vkey")
    found = []
    if doc.anchor.kind == "head":
        found += [
            Command("Ente", "firma un checkpoint del registro: questo documento poggia sulla sola testa del"
                    " registro, che nessuno ha firmato", f"perfledger checkpoint --key REGISTRO.key --out"
                    f" {checkpoint}"),
            Command("OIV", "cosottoscrive il checkpoint, dopo averne verificato la coerenza con quelli già"
                    " cosottoscritti", f"perfledger checkpoint cosign {checkpoint} --key OIV.key --log-vkey"
                    f" {log_vkey} --state oiv-state.json --bundle {bundle}"),
        ]
    cut = _cut_flags(doc)
    replay = Command("OIV", "ricalcola dagli eventi del pacchetto, con il proprio perfledger, le cifre della"
                     " Relazione pubblicata, al suo stesso taglio, e le confronta una per una: è la verifica"
                     " indipendente del ricalcolo",
                     f"perfledger verify --bundle {bundle} {vkeys} --checkpoint {checkpoint}"
                     f" --expect {relazione}")
    found += [
        Command("Ente", "consegna all'OIV il pacchetto dei dati (eventi, checkpoint, manifesto; nessun"
                " codice)",
                f"perfledger export --bundle {bundle} --checkpoint {checkpoint} --vkey {log_vkey}"),
        Command("OIV", "verifica il pacchetto con il proprio verificatore, sulla propria macchina: catena,"
                " firme, checkpoint, e che estenda quanto già cosottoscritto",
                f"perfledger-verify {bundle} {vkeys} --checkpoint {checkpoint} --last oiv-state.json"),
        replay,
        Command("OIV", "deriva una cifra (qui il livello dell'ente) con gli eventi e le loro prove di"
                " inclusione",
                f"perfledger explain achievement entity{cut} --prove {checkpoint} {vkeys}"),
    ]
    return tuple(found), replay


def _cut_flags(doc: Document) -> str:
    flags = ""
    if doc.cut.as_of is not None:
        flags += f" --as-of {doc.cut.as_of.isoformat()}"
    known = known_at_json(doc.cut.known_at)
    if known is not None:
        flags += f" --known-at {shlex.quote(str(known))}"
    return flags
