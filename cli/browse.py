"""Browsing the ledger: the events in recording order (log), one event in full (show)."""

from __future__ import annotations

import difflib
import json
import re
from datetime import date
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

import click

from cli.labels import tr
from cli.options import format_option, locale_option, open_store, wide_option
from cli.output import WIDTH, abbreviate, cell, fit, render, to_json, width

if TYPE_CHECKING:
    from events import LedgerEvent
    from projections.touches import Touches

# The kinds of subject log filters by: projections.touches.KINDS (not imported here, so that
# `log --help` loads neither the events nor the projections).
SUBJECT_KINDS = ("objective", "indicator", "item", "reservation", "area")


def _event_row(event: Any) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "id": event.event_id,
        "type": event.TYPE,
        "effective_date": event.effective_date,  # a date: shown by --locale in a table, ISO in json and csv
        "recorded_at": event.recorded_at.isoformat().replace("+00:00", "Z"),
        "actor": event.actor,
        "hash": event.hash,
    }


def _type_key(name: str) -> str:
    return name.replace("-", "").replace("_", "").lower()


def _subject_options(func: Any) -> Any:
    helps = {
        "objective": "Only events touching this objective (repeatable): its definition, indicators,"
                     " items, reservations, changes, strikes, and their corrections.",
        "indicator": "Only events touching this indicator (repeatable).",
        "item": "Only events touching this budget item (repeatable): its variations, reservations"
                " and theirs.",
        "reservation": "Only events touching this reservation (repeatable).",
        "area": "Only events touching an objective of this area (repeatable).",
    }
    for kind in reversed(SUBJECT_KINDS):
        func = click.option(f"--{kind}", f"{kind}s", multiple=True, metavar="CODE", help=helps[kind])(func)
    return func


@click.command()
@click.option("--type", "types", multiple=True, help="Only events of this type (repeatable).")
@click.option("--actor", "actors", multiple=True, help="Only events recorded by this actor (repeatable).")
@click.option("--from", "from_", type=click.DateTime(["%Y-%m-%d"]), help="Effective on or after this date.")
@click.option("--to", type=click.DateTime(["%Y-%m-%d"]), help="Effective on or before this date.")
@_subject_options
@click.option("--act", "acts", multiple=True, metavar="TEXT",
              help="Only events decided by an act matching TEXT (repeatable): a part of"
                   " \"Determina n. 12 del 05/07/2012\", case ignored, numbers whole.")
@format_option
@locale_option
@wide_option
@click.pass_context
def log(ctx: click.Context, types: tuple[str, ...], actors: tuple[str, ...], from_: Any, to: Any,
        objectives: tuple[str, ...], indicators: tuple[str, ...], items: tuple[str, ...],
        reservations: tuple[str, ...], areas: tuple[str, ...], acts: tuple[str, ...],
        fmt: str, locale: str, wide: bool) -> None:
    """List the events in recording order, with their amounts, values and reasons (details).

    Filters combine with AND; a filter given more than once matches any of its values (OR).
    An event touches an objective when it names it or names something of it: its indicators,
    budget items and their reservations (an approval names only its reservation, yet touches the
    reservation's item and objective); a correction touches what its corrected event touches,
    and a strike's revocation what the strike touches. An objective's area is its definition's
    `area`. Codes are matched exactly; one the ledger does not hold is an error.

    --act TEXT matches an act ("KIND n. NUMBER del DD/MM/YYYY") containing TEXT, ignoring case and
    spaces, numbers matched whole ("n. 12" is not "n. 120"); a date may be written
    YYYY-MM-DD. A correction matches its corrected event's act too.

    Details show money by --locale and other values as recorded. The table fits 120 columns:
    each event's details on the line under it, shortened with an ellipsis (--wide: one line per
    event, in full); json and csv give them in full, json the event's own fields too, as `fields`.

    \b
    Example:
      perfledger log --type ReservationMade --from 2012-05-01 --to 2012-08-31
      perfledger log --objective 04
      perfledger log --area AMM --type IndicatorMeasured --format csv
      perfledger log --act "Determina n. 12" --act "Delibera di Giunta n. 75"
    """
    from ledger.migration import migration_of
    from projections.touches import Touches, act_matches

    wanted = {_type_key(name) for name in types}
    subjects = {kind: set(keys) for kind, keys in zip(
        SUBJECT_KINDS, (objectives, indicators, items, reservations, areas), strict=True) if keys}
    patterns = [_act_pattern(text) for text in acts]
    touches = Touches() if subjects or patterns else None
    rows = []
    with open_store(ctx) as store:
        for event in store.events():
            touched = touches.add(event) if touches is not None else frozenset()
            if wanted and _type_key(event.TYPE) not in wanted:
                continue
            if actors and event.actor not in actors:
                continue
            if from_ and event.effective_date < from_.date():
                continue
            if to and event.effective_date > to.date():
                continue
            if not all(any((kind, key) in touched for key in keys) for kind, keys in subjects.items()):
                continue
            if patterns and not any(act_matches(pattern, touched) for pattern in patterns):
                continue
            rows.append(_log_row(event, fmt, locale))
        migrated = migration_of(store) if fmt == "table" else None
    if touches is not None:
        _check_known(touches, subjects)
    click.echo(log_table(rows, locale, wide) if fmt == "table"
               else render(rows, fmt, locale=locale, columns=_log_columns(fmt)))
    if migrated is not None:
        click.echo(f"Events 1-{migrated[0]} were migrated (HistoryMigrated, event {migrated[0] + 1}): their"
                   " recorded_at is the source's, not this ledger's clock.")


LOG_COLUMNS = ("seq", "id", "type", "effective_date", "recorded_at", "actor", "hash")
DETAILS_INDENT = "    "  # a table's details line, under its event's


def log_table(rows: list[dict[str, Any]], locale: str, wide: bool) -> str:
    """The log for people: with ``wide``, one line an event; else each event's details on the line under
    it, indented and abbreviated, and the actor abbreviated if the events' line would pass 120 columns."""
    columns = (*LOG_COLUMNS, "details") if wide else LOG_COLUMNS
    if wide or not rows:
        return render(rows, "table", locale=locale, columns=columns)
    headers = {"recorded_at": "recorded_at (UTC)"} if locale == "it" else {}
    fitted = fit([{headers.get(k, k): r[k] for k in columns} for r in rows], "actor", locale=locale, least=8)
    text = render(fitted, "table", locale=locale)
    if max(map(width, text.splitlines())) > WIDTH:  # a long id (a migrated history's): abbreviated too
        text = render(fit(fitted, "id", locale=locale, least=16), "table", locale=locale)
    lines = text.splitlines()
    out = lines[:2]
    for row, line in zip(rows, lines[2:], strict=True):
        out.append(line)
        if row["details"]:
            out.append(DETAILS_INDENT + abbreviate(row["details"], WIDTH - len(DETAILS_INDENT)))
    return "\n".join(out)


def _log_columns(fmt: str) -> tuple[str, ...]:
    if fmt == "json":
        return (*LOG_COLUMNS, "act", "details", "fields")
    if fmt == "csv":
        return (*LOG_COLUMNS, "act", "details")
    return (*LOG_COLUMNS, "details")


def _log_row(event: Any, fmt: str, locale: str) -> dict[str, Any]:
    row = _event_row(event)
    if fmt == "table":
        row["hash"] = row["hash"][:12]
        row["details"] = details(event, locale)
        if locale == "it":  # an Italian day and time, still UTC (the header says so)
            row["recorded_at"] = event.recorded_at.strftime("%d/%m/%Y %H:%M:%S")
        return row
    row["act"] = None if event.act is None else str(event.act)
    row["details"] = details(event, None)
    if fmt == "json":
        row["fields"] = own_fields(event)
    return row


def _act_pattern(text: str) -> Any:
    from projections.touches import act_pattern

    if not text.strip():
        raise click.BadParameter("must name an act, e.g. \"Determina n. 12\"", param_hint="'--act'")
    return act_pattern(text)


def _check_known(touches: Touches, subjects: dict[str, set[str]]) -> None:
    """A code the ledger holds no such subject of is a mistake, not an empty answer."""
    for kind, keys in subjects.items():
        known = touches.keys(kind)
        for key in sorted(keys - known):
            # "4" for "04": a missing leading zero first, then what looks alike.
            near = [k for k in sorted(known) if k.lstrip("0") == key.lstrip("0")]
            near = near or difflib.get_close_matches(key, sorted(known), n=1)
            guess = f"; did you mean \"{near[0]}\"?" if near else ""
            raise click.ClickException(f"the ledger holds no {kind} \"{key}\"{guess}")


# The fields a log's details show first, by event type (the others follow in their declared order).
DETAIL_FIELDS = {
    "BudgetItemOpened": ("amount", "item", "objective", "product"),
    "BudgetVaried": ("amount", "item"),
    "ReservationMade": ("amount", "reservation", "item"),
    "ReservationApproved": ("amount", "reservation"),
    "ReservationAdjusted": ("amount", "reservation"),
    "IndicatorMeasured": ("value", "indicator", "period_end"),
    "IndicatorDefined": ("indicator", "objective", "weight", "target", "direction"),
    "ObjectiveDefined": ("objective", "level", "area", "parent", "owner", "title"),
    "ObjectiveChanged": ("objective", "indicator", "weight", "target", "cause", "reason"),
    "ObjectiveStruck": ("objective", "cause", "reason"),
    "IndicatorStruck": ("indicator", "cause", "reason"),
    "EventCorrected": ("corrects", "changes", "reason"),
}
NUMERIC = frozenset({"target", "value", "numerator", "denominator"})  # numbers recorded as text
_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+")
CODED = frozenset({"level", "cause", "direction", "source"})  # fields whose values are the ledger's codes
DETAIL_LABELS = {"period_end": "period", "override_reason": "override", "changes": "to"}
_ENVELOPE = frozenset({"type", "v", "id", "effective_date", "actor", "act", "note"})


def details(event: LedgerEvent, locale: str | None) -> str:
    """An event's own fields as one line: ``amount 1,500.00 reservation r-1 item A1/04/01``.

    ``locale`` None: values as recorded (amounts ``1500.00``, dates ISO); else money and dates as
    the table shows them in that locale. Empty fields are left out.
    """
    parts = []
    for name in _detail_order(type(event)):
        value = getattr(event, name, None)
        if value is None or value == "":
            continue
        money = name == "amount"  # the one name of every Money field (events.budget)
        label = DETAIL_LABELS.get(name, name)
        shown = label if locale is None else tr(label, locale)
        if locale is not None and name in CODED:
            value = tr(str(value), locale)  # a code the ledger defines: a level, a cause, a direction
        elif locale == "it" and name in NUMERIC and isinstance(value, str) and _DECIMAL.fullmatch(value):
            value = value.replace(".", ",")  # a value or target as recorded (text), with a decimal comma
        parts.append(f"{shown} {_detail_value(value, locale, money)}")
    return " ".join(parts)


@cache
def _detail_order(cls: type[LedgerEvent]) -> tuple[str, ...]:
    """The fields of an event type in the order its details show them."""
    first = DETAIL_FIELDS.get(cls.TYPE, ())
    return (*first, *(name for name in cls.payload_kinds() if name not in first))


def _detail_value(value: Any, locale: str | None, money: bool = False) -> str:
    """One field's value in details: ``locale`` None as recorded, else as the table shows it (money and
    dates by the locale; a decimal comma under it; a correction's changes with their fields' names)."""
    if isinstance(value, dict):  # a correction's changes, as written
        return " ".join(f"{k if locale is None else tr(k, locale)} {_detail_value(v, None)}"
                        for k, v in value.items())
    if isinstance(value, (tuple, list)):
        if value and not all(isinstance(v, (str, int, Decimal)) for v in value):
            return str(len(value))  # records (a SourceImported's rows): how many
        return ",".join(str(v) for v in value)
    if isinstance(value, Decimal):
        if money and locale is not None:
            return str(cell(value, locale))
        return f"{value:f}".replace(".", ",") if locale == "it" else f"{value:f}"
    if isinstance(value, date):
        return value.isoformat() if locale is None else str(cell(value, locale))
    return " ".join(str(value).split())


def own_fields(event: Any) -> dict[str, Any]:
    """The event's own fields (not its envelope), as stored: amounts as decimal strings, dates ISO."""
    return {k: v for k, v in event.content().items() if k not in _ENVELOPE}


@click.command()
@click.argument("event_id")
@format_option
@locale_option
@wide_option
@click.pass_context
def show(ctx: click.Context, event_id: str, fmt: str, locale: str, wide: bool) -> None:
    """Show one event in full: its canonical body and hash, and the corrections applied to it (each
    correction's sequence number, id, recording time, actor, reason and changes).

    The body is shown as stored (ISO dates, amounts as decimal strings: what the hash covers);
    --locale it gives the table's labels in Italian. A correction's reason is abbreviated to fit 120
    columns (--wide, or --format json: whole).

    \b
    Example:
      perfledger show r-0042
      perfledger show m-07.1-2012-08-31 --locale it
    """
    from events import EventCorrected

    with open_store(ctx) as store:
        event = store.find(event_id)
        if event is None:
            raise click.ClickException(f"no event with id {event_id!r}")
        corrections = [c for c in store.events(types=(EventCorrected,))
                       if isinstance(c, EventCorrected) and c.corrects == event_id]
    body = dict(event.body(), hash=event.hash)
    corrected_by = [correction_row(c) for c in corrections]
    if fmt == "json":
        click.echo(to_json({**body, "corrected_by": corrected_by} if corrected_by else body))
        return
    rows = [{"field": k, "value": to_json(v) if isinstance(v, dict) else v} for k, v in sorted(body.items())]
    click.echo(render(rows, fmt, locale=locale))
    if corrected_by and fmt == "table":
        click.echo("\n" + tr("Corrected by:", locale))
        compact = [{**c, "changes": json.dumps(c["changes"], ensure_ascii=False)} for c in corrected_by]
        shown = compact if wide else fit(compact, "reason", locale=locale, least=20)
        click.echo(render(shown, fmt, locale=locale))


def correction_row(correction: Any) -> dict[str, Any]:
    """What ``show`` says of a correction applied to the event shown."""
    return {"seq": correction.seq, "id": correction.event_id,
            "recorded_at": correction.recorded_at.isoformat().replace("+00:00", "Z"),
            "actor": correction.actor, "reason": correction.reason, "changes": correction.changes}
