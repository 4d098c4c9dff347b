"""Derivations: how a figure was reached, down to the events, for the OIV.

A projection builds its figures and their derivations in the same fold, so a
figure explained and the same figure reported cannot differ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from events import LedgerEvent, SourceImported
from projections.facts import Fact


@dataclass(frozen=True)
class SourceRef:
    """The spreadsheet an event was read from (its SourceImported): the file's name and SHA-256, the
    sheet and the row (1-based, as the spreadsheet numbers rows)."""

    file: str
    sha256: str
    sheet: str
    row: int

    def __str__(self) -> str:
        return self.said(WORDS["source"])

    def said(self, words: str) -> str:
        """The source in ``words``: a template naming ``{file}``, ``{sheet}`` and ``{row}``."""
        return words.format(file=self.file, sheet=self.sheet, row=self.row)


@dataclass(frozen=True)
class EventRef:
    """One contributing event, with everything an evaluator needs to find and check it."""

    seq: int
    id: str
    type: str
    effective_date: str
    recorded_at: str
    actor: str
    act: str | None
    hash: str
    contributes: str
    # RFC 9162 audit path (hex) of the event in a checkpoint's tree, when explain --prove asks for it.
    proof: tuple[str, ...] | None = None
    # The spreadsheet the event was imported from, if it was (``with_sources``).
    source: SourceRef | None = None

    def to_dict(self) -> dict[str, Any]:
        found = dict(self.__dict__)
        if self.proof is None:
            found.pop("proof")
        else:
            found["proof"] = list(self.proof)
        if self.source is None:
            found.pop("source")
        else:
            found["source"] = dict(self.source.__dict__)
        return found

    @classmethod
    def of(cls, event: LedgerEvent, contributes: str) -> EventRef:
        return cls(
            seq=event.seq,
            id=event.event_id,
            type=event.TYPE,
            effective_date=event.effective_date.isoformat(),
            recorded_at=event.recorded_at.isoformat().replace("+00:00", "Z"),
            actor=event.actor,
            act=None if event.act is None else str(event.act),
            hash=event.hash,
            contributes=contributes,
        )


def refs(fact: Fact, contributes: str) -> list[EventRef]:
    """The original event and each correction that shaped a fact."""
    found = [
        EventRef.of(fact.original, contributes if not fact.corrections else f"{contributes} (as corrected)")
    ]
    found += [EventRef.of(c, f"corrects {fact.original.event_id}: {c.reason}") for c in fact.corrections]
    return found


@dataclass(frozen=True)
class Derivation:
    """A figure, its value, the formula with the numbers put in, and where they came from."""

    figure: str
    value: Decimal | str | None
    formula: str
    events: tuple[EventRef, ...] = ()
    parts: tuple[Derivation, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "figure": self.figure,
            "value": (
                None if self.value is None
                else f"{self.value:f}" if isinstance(self.value, Decimal)
                else self.value
            ),
            "formula": self.formula,
            "events": [ref.to_dict() for ref in self.events],
            "parts": [part.to_dict() for part in self.parts],
        }

    def lines(self, depth: int = 0, words: Mapping[str, str] | None = None) -> list[str]:
        """The derivation as indented text; ``words`` renames the event lines' labels (eff, rec, by and
        the proof's note, ``{n}`` its length) and renders their effective dates (``date``: a function of
        the ISO date), for a locale."""
        said = {**WORDS, **(words or {})}
        pad = "  " * depth
        out = [f"{pad}{self.figure}", f"{pad}  = {self.formula}"]
        day = said.get("date")
        for ref in self.events:
            act = f" [{ref.act}]" if ref.act else ""
            proof = "" if ref.proof is None else " " + str(said["proof"]).format(n=len(ref.proof))
            effective = day(ref.effective_date) if callable(day) else ref.effective_date
            out.append(
                f"{pad}  #{ref.seq} {ref.type} {ref.id!r} {said['eff']} {effective} {said['rec']}"
                f" {ref.recorded_at} {said['by']} {ref.actor}{act} {ref.hash[:12]}: {ref.contributes}{proof}"
            )
            if ref.source is not None:
                out.append(f"{pad}    {ref.source.said(str(said['source']))}")
        for part in self.parts:
            out += part.lines(depth + 1, words)
        return out


WORDS: dict[str, Any] = {"eff": "eff", "rec": "rec", "by": "by",
                         "proof": "[included: {n}-hash audit path verified]",
                         "source": "from {file}, sheet {sheet}, row {row}"}
"""The labels of ``Derivation.lines``' event lines as printed in English."""


def with_proofs(derivation: Derivation, prove: Callable[[int], tuple[str, ...] | None]) -> Derivation:
    """The same derivation with each event's inclusion proof attached (``prove`` maps a seq to its path)."""
    return replace(
        derivation,
        events=tuple(replace(ref, proof=prove(ref.seq)) for ref in derivation.events),
        parts=tuple(with_proofs(part, prove) for part in derivation.parts),
    )


def sources(events: list[LedgerEvent]) -> dict[str, SourceRef]:
    """Each imported event's spreadsheet, by event id: the first SourceImported that names it (a
    file imported again, with rows added, names the earlier rows too)."""
    found: dict[str, SourceRef] = {}
    for event in events:
        if isinstance(event, SourceImported):
            for row in event.rows:
                found.setdefault(row.id, SourceRef(event.source, event.sha256, row.sheet, row.row))
    return found


def with_sources(derivation: Derivation, events: list[LedgerEvent]) -> Derivation:
    """The same derivation with each event that came from a spreadsheet naming its file, sheet and row."""
    known = sources(events)
    if not known:
        return derivation

    def attach(part: Derivation) -> Derivation:
        return replace(part, events=tuple(replace(ref, source=known.get(ref.id)) for ref in part.events),
                       parts=tuple(attach(child) for child in part.parts))

    return attach(derivation)
