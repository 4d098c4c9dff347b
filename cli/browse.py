"""Browsing the ledger: the events in recording order (log), one event in full (show)."""

from __future__ import annotations

import json
from typing import Any

import click

from cli.options import format_option, open_store
from cli.output import render, to_json


def _event_row(event: Any) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "id": event.event_id,
        "type": event.TYPE,
        "effective_date": event.effective_date.isoformat(),
        "recorded_at": event.recorded_at.isoformat().replace("+00:00", "Z"),
        "actor": event.actor,
        "hash": event.hash,
    }


def _type_key(name: str) -> str:
    return name.replace("-", "").replace("_", "").lower()


@click.command()
@click.option("--type", "types", multiple=True, help="Only events of this type (repeatable).")
@click.option("--actor", default=None, help="Only events recorded by this actor.")
@click.option("--from", "from_", type=click.DateTime(["%Y-%m-%d"]), help="Effective on or after this date.")
@click.option("--to", type=click.DateTime(["%Y-%m-%d"]), help="Effective on or before this date.")
@format_option
@click.pass_context
def log(ctx: click.Context, types: tuple[str, ...], actor: str | None, from_: Any, to: Any, fmt: str) -> None:
    """List the events in recording order.

    \b
    Example:
      perfledger log --type ReservationMade --from 2012-05-01 --to 2012-08-31
    """
    from ledger.migration import migration_of

    wanted = {_type_key(name) for name in types}
    rows = []
    with open_store(ctx) as store:
        for event in store.events():
            if wanted and _type_key(event.TYPE) not in wanted:
                continue
            if actor and event.actor != actor:
                continue
            if from_ and event.effective_date < from_.date():
                continue
            if to and event.effective_date > to.date():
                continue
            row = _event_row(event)
            if fmt == "table":
                row["hash"] = row["hash"][:12]
            rows.append(row)
        migrated = migration_of(store) if fmt == "table" else None
    click.echo(render(rows, fmt, columns=LOG_COLUMNS))
    if migrated is not None:
        click.echo(f"Events 1-{migrated[0]} were migrated (HistoryMigrated, event {migrated[0] + 1}): their"
                   " recorded_at is the source's, not this ledger's clock.")


LOG_COLUMNS = ("seq", "id", "type", "effective_date", "recorded_at", "actor", "hash")


@click.command()
@click.argument("event_id")
@format_option
@click.pass_context
def show(ctx: click.Context, event_id: str, fmt: str) -> None:
    """Show one event in full: its canonical body and hash, and the corrections applied to it (each
    correction's sequence number, id, recording time, actor, reason and changes).

    \b
    Example:
      perfledger show r-0042
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
    click.echo(render(rows, fmt))
    if corrected_by and fmt == "table":
        click.echo("\nCorrected by:")
        compact = [{**c, "changes": json.dumps(c["changes"], ensure_ascii=False)} for c in corrected_by]
        click.echo(render(compact, fmt))


def correction_row(correction: Any) -> dict[str, Any]:
    """What ``show`` says of a correction applied to the event shown."""
    return {"seq": correction.seq, "id": correction.event_id,
            "recorded_at": correction.recorded_at.isoformat().replace("+00:00", "Z"),
            "actor": correction.actor, "reason": correction.reason, "changes": correction.changes}
