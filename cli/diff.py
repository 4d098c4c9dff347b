"""`perfledger diff`: every figure that changed between two reports, and the events that made the difference.

The comparison is ``projections.diff``'s; this module parses the two cuts and prints the changes as a
table (the figures, then the events they name), JSON or CSV. Only click and the options are imported at
the top, so that ``--help`` stays quick.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

import click

from cli.options import format_option, locale_option, migration_note, open_store

if TYPE_CHECKING:
    from cli.header import CutHeader
    from projections.diff import Change, Figures, Value
    from projections.explain import EventRef
    from projections.facts import Cut

    CutType = click.ParamType[Cut]
else:
    CutType = click.ParamType  # the projections are imported when a cut is read, not for --help

NOW = "now"
ID_WIDTH = 24  # an event id longer than this is shortened in a table (JSON and CSV give it whole)
EVENTS_WIDTH = 44  # the sequence numbers of a figure's events, wrapped to this width


class CutParam(CutType):
    """A cut: ``DATE`` (as of DATE, everything recorded so far), ``DATE@KNOWN`` (as of DATE, as known at
    KNOWN), ``@KNOWN`` (every fact in force, as known at KNOWN) or ``now`` (the year as it stands)."""

    name = "cut"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Cut:
        from events.errors import InvalidField
        from projections.facts import Cut

        if isinstance(value, Cut):
            return value
        if value == NOW:
            return Cut()
        as_of, at, known = value.partition("@")
        if not as_of and not known:
            self.fail(f"{value!r} is no cut: give DATE, DATE@KNOWN, @KNOWN or now", param, ctx)
        try:
            return Cut(_as_of(as_of) if as_of else None, _known_at(known) if at else None)
        except InvalidField as e:  # 'field "known-at": must be ...' -> 'known-at: must be ...'
            self.fail(f"{e.field}: {e.message.split(': ', 1)[-1]}", param, ctx)


def _as_of(value: str) -> date:
    from events.fields import parse_date

    return parse_date(value, "as-of date")


def _known_at(value: str) -> int | datetime:
    from cli.options import known_at_of

    return known_at_of(value, "known-at")


CUT = CutParam()
CUT_HELP = ("DATE (as of DATE, inclusive, known now), DATE@KNOWN (as of DATE, as known at KNOWN: a sequence"
            " number, a day, to its end, UTC, or an instant such as 2012-09-15T12:00:00Z), @KNOWN (every fact"
            " in force, as known at KNOWN) or now (the year as it stands).")


@click.command(name="diff")
@click.option("--from", "before", type=CUT, required=True, metavar="CUT",
              help=f"The first report's cut: {CUT_HELP}")
@click.option("--to", "after", type=CUT, required=True, metavar="CUT",
              help="The second report's cut (as --from).")
@click.option("--year", type=int, default=None, help="Plan year. [default: the latest plan at --to]")
@format_option
@locale_option
@click.pass_context
def diff_cmd(ctx: click.Context, before: Cut, after: Cut, year: int | None, fmt: str, locale: str) -> None:
    """List every figure that changed between two reports, and the events that made the difference.

    A figure is what `perfledger explain` takes: a budget cell (item,
    objective, line or total, and column; the objectives' and the total's
    Disponibile/Totale), an indicator's or an objective's achievement (own,
    and the roll-ups of its children), the entity level, the bands' counts,
    the variations indicator. Each is listed with its value in the first
    report and in the second, and the events behind it at one cut and not
    at the other: added, those that count at --to only (recorded, in force
    or corrected since); dropped, those that counted at --from only (a
    measurement replaced by a later one, a fact a correction moved out).
    Unchanged figures are not listed. Values are compared unrounded; a
    percentage is shown with the decimals that tell the two apart.

    \b
    Example:
      # what changed between the 30/04 and the 31/08 reports
      perfledger diff --from 2012-04-30 --to 2012-08-31
      # what did corrections recorded after 15/09 change in the 31/08 figures
      perfledger diff --from 2012-08-31@2012-09-15 --to 2012-08-31
      # the year as the Relazione of 01/02/2013 saw it, against the year now
      perfledger diff --from @2013-02-01 --to now --format csv --locale it
      perfledger diff --from 2012-04-30 --to 2012-08-31 --format json
    """
    from projections.diff import diff, figures

    with open_store(ctx) as store:
        events = list(store.events())
    second = figures(events, after, year)
    first = figures(events, before, second.year)
    changes = diff(first, second)
    from cli.header import header_of_events

    click.echo(show_diff(first, second, changes, fmt, locale, header_of_events(events, after, second.year)))
    if fmt == "table":  # as the figure commands say it under their tables
        for option, cut in (("--from", before), ("--to", after)):
            note = None if cut.known_at is None else migration_note(str(ctx.obj), cut.known_at)
            if note:
                click.echo(note.replace("--known-at", f"the known-at of {option}"))


# -- printing ----------------------------------------------------------------------------------------
def ledger_line(ledger: CutHeader, locale: str) -> str:
    """``CCIAA Massa Carrara · ledger of 516 events · head 3f2a9c1b7d4e``: the ledger both cuts were read
    from (its header's second line, after the entity)."""
    from cli.labels import tr

    return f"{ledger.entity or tr('(no entity)', locale)} · {ledger.size_line(locale)}"


def show_diff(first: Figures, second: Figures, changes: tuple[Change, ...], fmt: str, locale: str,
              ledger: CutHeader) -> str:
    if fmt == "json":
        from cli.output import to_json

        return to_json(diff_json(first, second, changes, ledger))
    if fmt == "csv":
        from cli.labels import tr

        comments = [ledger_line(ledger, locale),
                    tr("  from: {cut}", locale).format(cut=describe(first.cut, locale)).strip(),
                    tr("  to:   {cut}", locale).format(cut=describe(second.cut, locale)).strip()]
        return diff_csv(changes, locale, comments)
    return ledger_line(ledger, locale) + "\n" + diff_table(first, second, changes, locale)


def diff_json(first: Figures, second: Figures, changes: tuple[Change, ...],
              ledger: CutHeader) -> dict[str, Any]:
    """The cuts and the changes; values unrounded (decimal strings), each event whole; with ``schema``
    and the ledger read (entity, events, head: the whole hash) first."""
    from cli.header import SCHEMA

    return {
        "schema": SCHEMA,
        "ledger": ledger.ledger_json(),
        "year": second.year,
        "from": cut_json(first.cut),
        "to": cut_json(second.cut),
        "changes": [
            {"figure": c.figure, "kind": c.kind, "from": c.old, "to": c.new,
             "added": [event_json(ref) for ref in c.added], "dropped": [event_json(ref) for ref in c.dropped]}
            for c in changes
        ],
    }


def cut_json(cut: Cut) -> dict[str, Any]:
    from cli.views import known_at_json

    return {"as_of": None if cut.as_of is None else cut.as_of.isoformat(),
            "known_at": known_at_json(cut.known_at)}


def event_json(ref: EventRef) -> dict[str, Any]:
    """An event as JSON: what ``explain`` gives of it but what it contributes (that is the figure's)."""
    found = ref.to_dict()
    found.pop("contributes")
    return found


CSV_COLUMNS = ("figure", "kind", "from", "to", "change", "seq", "event", "type", "effective_date")


def diff_csv(changes: tuple[Change, ...], locale: str, comments: Sequence[str] = ()) -> str:
    """One row per figure and event (``change``: added or dropped); a figure no event tells apart, one
    row without an event. Values unrounded."""
    from cli.output import render

    rows: list[dict[str, Any]] = []
    for c in changes:
        figure = {"figure": c.figure, "kind": c.kind, "from": c.old, "to": c.new}
        marked = [("added", ref) for ref in c.added] + [("dropped", ref) for ref in c.dropped]
        rows += [{**figure, "change": change, "seq": ref.seq, "event": ref.id, "type": ref.type,
                  "effective_date": ref.effective_date} for change, ref in marked] or [figure]
    return render(rows, "csv", locale=locale, columns=CSV_COLUMNS, comments=comments)


def diff_table(first: Figures, second: Figures, changes: tuple[Change, ...], locale: str) -> str:
    """The cuts, the figures changed (with the sequence numbers of their events) and those events."""
    from cli.labels import tr
    from cli.output import render

    head = [tr("Figures of {year} that changed", locale).format(year=second.year),
            tr("  from: {cut}", locale).format(cut=describe(first.cut, locale)),
            tr("  to:   {cut}", locale).format(cut=describe(second.cut, locale))]
    if not changes:
        return "\n".join([*head, "", tr("No figure changed.", locale)])
    named = {ref.seq: ref for c in changes for ref in (*c.added, *c.dropped)}
    head += [tr("{figures} changed; {events} made the difference.", locale).format(
                 figures=_count(len(changes), "figure", locale), events=_count(len(named), "event", locale)),
             tr("added: the events that count at --to only; dropped: those that counted at --from only.",
                locale)]
    rows = [{"figure": c.figure, "from": shown(c.kind, c.old, c.new, locale),
             "to": shown(c.kind, c.new, c.old, locale), "events (seq)": seqs(c, locale)} for c in changes]
    events = [{"seq": ref.seq, "event": short(ref.id), "type": ref.type,
               "effective": date.fromisoformat(ref.effective_date)} for _, ref in sorted(named.items())]
    return "\n".join([*head, "", render(rows, "table", locale=locale), "", tr("Events", locale),
                      render(events, "table", locale=locale)])


def describe(cut: Cut, locale: str) -> str:
    from cli.labels import tr
    from cli.output import cell

    as_of = (tr("every fact in force", locale) if cut.as_of is None
             else tr("as of {date}", locale).format(date=cell(cut.as_of, locale)))
    known = cut.known_at
    if known is None:
        return tr("{as_of}, known now", locale).format(as_of=as_of)
    if isinstance(known, int):
        return tr("{as_of}, as known at event {seq}", locale).format(as_of=as_of, seq=known)
    if known.time() == time.max and known.tzinfo == UTC:
        return tr("{as_of}, as known at the end of {date} (UTC)", locale).format(
            as_of=as_of, date=cell(known.date(), locale))
    from events.fields import format_timestamp

    return tr("{as_of}, as known at {time}", locale).format(as_of=as_of, time=format_timestamp(known))


def shown(kind: str, value: Value, other: Value, locale: str) -> str:
    """A value as reports print it: money, a count, or a percentage with the decimals (up to 4) that
    tell it from ``other``; none: ND for a percentage, - otherwise."""
    from decimal import Decimal

    from cli.output import cell, percent

    if value is None:
        return "ND" if kind == "fraction" else "-"
    if kind == "count":
        return str(value)
    assert isinstance(value, Decimal)
    if kind == "money":
        return str(cell(value, locale))
    places = 0
    while places < 4 and isinstance(other, Decimal) and percent(value, places) == percent(other, places):
        places += 1
    return percent(value, places, locale)


def seqs(change: Change, locale: str = "en") -> str:
    """``added 61 64; dropped 47``: the sequence numbers of the events added and dropped, wrapped."""
    import textwrap

    from cli.labels import tr

    parts = [f"{tr(word, locale)} {' '.join(str(ref.seq) for ref in refs)}"
             for word, refs in (("added", change.added), ("dropped", change.dropped)) if refs]
    return "\n".join(textwrap.wrap("; ".join(parts), EVENTS_WIDTH)) or tr("no event differs", locale)


def short(event_id: str) -> str:
    return event_id if len(event_id) <= ID_WIDTH else event_id[:ID_WIDTH - 1] + "…"


def _count(n: int, noun: str, locale: str) -> str:
    """``1 figure``, ``5 figures`` (``5 dati``)."""
    from cli.labels import tr

    return tr(f"{{n}} {noun}" + ("" if n == 1 else "s"), locale).format(n=n)
