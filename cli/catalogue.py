"""What the ledger accepts, told to a person: the event types (``types``) and one type's fields
(``append TYPE --help``).

Everything here is computed from the event classes (their docstrings, versions and field kinds),
so a new type or field shows without touching this module. The events are imported only when a
command runs, so that ``perfledger --help`` stays quick.
"""

from __future__ import annotations

import json
import re
import shlex
import textwrap
from typing import TYPE_CHECKING, Any

import click

from cli.options import format_option
from cli.output import render

if TYPE_CHECKING:
    from events import LedgerEvent
    from events.fields import Kind

EXAMPLE_DATE = "2012-04-30"
MEANING_WIDTH = 88  # with the type and version columns, a table of 120 columns


def meaning(cls: type[LedgerEvent]) -> str:
    """The first sentence of a type's docstring, on one line, without reStructuredText's double
    backquotes."""
    paragraph = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
    sentence = re.match(r"(.+?\.)(\s|$)", paragraph)
    return (sentence.group(1) if sentence else paragraph).replace("``", "")


@click.command(name="types")
@format_option
def types_cmd(fmt: str) -> None:
    """List the event types a controller may append, with their version and meaning.

    `perfledger append TYPE --help` lists one type's fields.

    \b
    Example:
      perfledger types
      perfledger types --format json
      perfledger append IndicatorMeasured --help
    """
    from events.parse import SUBMITTABLE

    # A table fits 120 columns: a long meaning is shortened there, and given whole in JSON and CSV.
    fit = (lambda text: textwrap.shorten(text, MEANING_WIDTH, placeholder=" …")) if fmt == "table" else str
    rows = [{"type": cls.TYPE, "version": cls.class_version, "meaning": fit(meaning(cls))}
            for cls in SUBMITTABLE]
    click.echo(render(rows, fmt))


def kind_name(kind: Kind) -> str:
    """A short human name for a field's kind: what to write for it."""
    from events import fields as f

    if isinstance(kind, f.Optional):
        return kind_name(kind.inner)
    described = getattr(kind, "described", None)  # a kind that says what it is
    if isinstance(described, str):
        return described
    if isinstance(kind, f.Money):
        return ("signed " if kind.signed else "") + "amount (euros, 2 decimals, as a string)"
    if isinstance(kind, f.Choice):
        return "one of: " + ", ".join(kind.choices)
    if isinstance(kind, f.Count):
        return f"integer from {kind.low} to {kind.high}"
    if isinstance(kind, f.Base64Kind):
        return f"{kind.what} in base64"
    names: dict[type[Kind], str] = {
        f.Code: "code",
        f.Codes: "codes, comma-separated (a,b,c)",
        f.Name: "name (one line of text)",
        f.Text: "text",
        f.Origin: "origin (a name like cciaa-ms.example/perfledger)",
        f.Number: "number (a decimal string)",
        f.Day: "date YYYY-MM-DD",
        f.MeasuredValue: "number (a decimal string), date YYYY-MM-DD, or ND (not available)",
        f.ActKind: "act (a JSON object: kind, number, date)",
        f.Changes: "changes (JSON object: field name to new value)",
    }
    return names.get(type(kind), type(kind).__name__.lower())


def requirement(kind: Kind) -> str:
    """Whether a field must be given: required, optional, or its default."""
    if kind.default is not None:
        default = kind.default
        shown = default if isinstance(default, str) and default else json.dumps(default)
        return f"default {shown}"
    return "required" if kind.required else "optional"


def example_value(kind: Kind) -> Any:
    """A value of ``kind`` as --json takes it, for an example."""
    from events import fields as f

    if isinstance(kind, f.Optional):
        return example_value(kind.inner)
    example = getattr(kind, "example", None)  # a kind that gives its own example
    if example is not None:
        return example
    if isinstance(kind, f.Choice):
        return kind.choices[0] if kind.choices else ""
    if isinstance(kind, f.Count):
        return 2012 if kind.low <= 2012 <= kind.high else kind.low
    if isinstance(kind, f.Money):
        return "1500.00"
    if isinstance(kind, (f.Number, f.MeasuredValue)):
        return "0.65"
    if isinstance(kind, f.Day):
        return EXAMPLE_DATE
    if isinstance(kind, f.ActKind):
        return {"kind": "Delibera di Giunta", "number": "75", "date": EXAMPLE_DATE}
    if isinstance(kind, f.Changes):
        return {"field": "new value"}
    if isinstance(kind, f.Codes):
        return "a,b"
    if isinstance(kind, f.Base64Kind):
        return "A" * (4 * ((kind.size + 2) // 3) - 1) + "="
    if isinstance(kind, (f.Text, f.Name)):
        return "..."
    return "A1"


def envelope_kinds() -> dict[str, tuple[Kind, str]]:
    """The envelope fields a submitter gives, each with its kind and whether it is required."""
    from events.fields import ActKind, Code, Day, Optional, Text

    return {
        "id": (Code("id"), "optional: generated if left out; give one to make a retry safe"),
        "effective_date": (Day("effective_date"), "required: when the fact holds"),
        "actor": (Code("actor"), "default your login name (--actor, $PERFLEDGER_ACTOR)"),
        "act": (Optional("act", ActKind("act")), "optional: the act that decided the fact"),
        "note": (Text("note"), "optional"),
    }


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def type_example(cls: type[LedgerEvent]) -> list[str]:
    """Two example commands appending a ``cls`` event with its required fields: as options and as JSON."""
    needed = {name: kind for name, kind in cls.payload_kinds().items()
              if kind.required and kind.default is None}
    values = {"id": "e-1", "effective_date": EXAMPLE_DATE, **{n: example_value(k) for n, k in needed.items()}}

    def as_option(value: Any) -> str:
        text = value if isinstance(value, str) else json.dumps(value)
        return shlex.quote(text)

    options = " ".join(f"{flag(name)} {as_option(value)}" for name, value in values.items())
    body = json.dumps({"type": cls.TYPE, **values}, ensure_ascii=False)
    return [f"perfledger append {cls.TYPE} {options}", f"perfledger append --json {shlex.quote(body)}"]


def format_type_help(cls: type[LedgerEvent], formatter: click.HelpFormatter, prog: str) -> None:
    """``append TYPE --help``: the type's meaning, its fields with their kinds, and an example."""
    formatter.write_usage(prog, f"{cls.TYPE} [--FIELD VALUE]... [OPTIONS]")
    formatter.write_paragraph()
    with formatter.indentation():
        formatter.write_text(f"Append one {cls.TYPE} event (version {cls.class_version}): {meaning(cls)}")
    fields = [(flag(name), f"{kind_name(kind)}; {requirement(kind)}")
              for name, kind in cls.payload_kinds().items()]
    with formatter.section(f"Fields of {cls.TYPE}"):
        formatter.write_dl(fields or [("(none)", "this type has no fields of its own")])
    with formatter.section("Fields of every event"):
        formatter.write_dl([(flag(name), f"{kind_name(kind)}; {how}")
                            for name, (kind, how) in envelope_kinds().items()])
    formatter.write_paragraph()
    formatter.write_text("A field is an option (--period-end VALUE for period_end), or the whole event is"
                         " one --json object; --key FILE signs it.")
    formatter.write_paragraph()
    formatter.write_text("Example:")
    with formatter.indentation():
        formatter.write_text("\b\n" + "\n".join(type_example(cls)))  # \b: not rewrapped
