"""perfledger's command line: parse, call the ledger or a projection, print.

Every error the ledger or a projection raises is a ``PerfledgerError``; it
becomes one ``Error: ...`` line on stderr and exit status 1, without a
traceback. Bad usage exits 2 and names the parameter (click's convention).
"""

from __future__ import annotations

import getpass
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import click

from cli.output import format_option, render, to_json
from events import PerfledgerError, Submission, event_type, parse_submission
from events.fields import ActKind, Changes, Code, Count, Optional
from events.parse import SUBMITTABLE, loads_strict
from ledger import Store
from ledger.application import DEFAULT_LEDGER, is_postgres, sqlite_path
from ledger.errors import LedgerNotFound


class Perfledger(click.Group):
    """A group that turns the ledger's errors into one clean line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PerfledgerError as e:
            raise click.ClickException(str(e)) from None
        except OSError as e:
            raise click.ClickException(f"{e.strerror or e}: {e.filename or ''}".rstrip(": ")) from None


@click.group(cls=Perfledger, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--ledger",
    "location",
    envvar="PERFLEDGER_LEDGER",
    default=DEFAULT_LEDGER,
    show_default=True,
    metavar="PATH",
    help="The ledger file (or sqlite:///PATH). Also $PERFLEDGER_LEDGER.",
)
@click.version_option(package_name="perfledger")
@click.pass_context
def main(ctx: click.Context, location: str) -> None:
    """perfledger: an audit ledger of a public body's performance cycle.

    Every fact (a budget variation, a reservation, a measurement, a change of
    objective) is an immutable event in a hash chain; every figure is
    rebuilt by replaying the events, at any date.

    \b
    Example:
      perfledger --ledger cciaa.db init --entity "CCIAA Massa Carrara"
      perfledger --ledger cciaa.db append ReservationMade --id r-1 ...
      perfledger --ledger cciaa-2012.db import examples/cciaa-massa-carrara-2012/events.jsonl \\
          --backfill --entity "CCIAA Massa Carrara"
      perfledger --ledger cciaa-2012.db log --type ReservationMade
      perfledger --ledger cciaa-2012.db verify
    """
    ctx.obj = location


@contextmanager
def open_store(ctx: click.Context, *, create: bool = False) -> Iterator[Store]:
    store = Store.open(ctx.obj, create=create)
    try:
        yield store
    finally:
        store.close()


def actor_option(func: Any) -> Any:
    return click.option(
        "--actor",
        envvar="PERFLEDGER_ACTOR",
        default=lambda: getpass.getuser(),
        show_default="your login name",
        help="Who records the facts (also $PERFLEDGER_ACTOR).",
    )(func)


@main.command()
@click.option("--entity", default=None, help="The public body the ledger is for. [default: the file's name]")
@actor_option
@click.pass_context
def init(ctx: click.Context, entity: str | None, actor: str) -> None:
    """Create a new, empty ledger.

    One ledger can hold several years: each is opened by its PlanOpened event.

    \b
    Example:
      perfledger --ledger cciaa.db init --entity "CCIAA Massa Carrara"
    """
    with open_store(ctx, create=True) as store:
        name = entity or os.path.splitext(os.path.basename(store.location))[0]
        opened = store.init(name, actor=actor)
        click.echo(f"Created ledger {store.location} for {name!r} (event 1, hash {opened.hash[:12]}).")


def _fill_defaults(obj: dict[str, Any], actor: str | None) -> dict[str, Any]:
    if actor is not None and "actor" not in obj:
        obj["actor"] = actor
    return obj


def _option_value(cls: type, name: str, raw: str) -> Any:
    """Turn a --field string into the JSON value its kind expects (numbers stay strings)."""
    kind = cls.payload_kinds().get(name) if name not in ("act",) else Optional("act", ActKind("act"))
    inner = kind.inner if isinstance(kind, Optional) else kind
    if isinstance(inner, Count):
        return int(raw) if raw.isdigit() else raw
    if isinstance(inner, (ActKind, Changes)):
        return loads_strict(raw)
    return raw


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("type_name", metavar="TYPE", required=False)
@click.option("--json", "json_text", metavar="JSON", help="The whole event as one JSON object.")
@actor_option
@format_option
@click.pass_context
def append(ctx: click.Context, type_name: str | None, json_text: str | None, actor: str, fmt: str) -> None:
    """Append one event, after checking it against the ledger's rules.

    Give the type and its fields as options (--field-name value), or the
    whole event with --json. An event without --id gets a generated one;
    give your own id to make a retry safe (an identical re-append is a no-op).

    \b
    Example:
      perfledger append ReservationMade --id r-0042 --effective-date 2012-03-15 \\
          --reservation r-0042 --item A5/02/corsi --amount 1500.00
      perfledger append --json '{"type": "BudgetVaried", "id": "v-7", ...}'
    """
    if json_text is not None:
        if type_name or ctx.args:
            raise click.UsageError("give either --json or TYPE with --field options, not both")
        obj = loads_strict(json_text)
        if isinstance(obj, dict):
            _fill_defaults(obj, actor)
    else:
        if not type_name:
            types = ", ".join(cls.TYPE for cls in SUBMITTABLE)
            raise click.UsageError(f"name the event TYPE (one of {types}) or give --json")
        cls = event_type(type_name)
        obj = {"type": cls.TYPE}
        args = list(ctx.args)
        while args:
            flag = args.pop(0)
            if not flag.startswith("--") or not args:
                raise click.UsageError(f"expected --field value pairs, got {flag!r}")
            name = flag[2:].replace("-", "_")
            if name in obj:
                raise click.UsageError(f"--{flag[2:]} given twice")
            obj[name] = _option_value(cls, name, args.pop(0))
        obj.setdefault("id", uuid.uuid4().hex)
        _fill_defaults(obj, actor)
    submission = parse_submission(obj)
    with open_store(ctx) as store:
        result = store.append([submission])
    if result.written:
        event = result.written[0]
        click.echo(f"Appended {event.TYPE} {event.event_id!r} as event {event.seq} (hash {event.hash[:12]}).")
    else:
        click.echo(f"Already present: {submission.event_id!r} (identical; nothing written).")


def read_batch(stream: Any, *, backfill: bool, actor: str | None) -> tuple[list[Submission], dict[str, int]]:
    """Parse a JSON Lines stream into submissions, remembering each id's line for errors."""
    lines = stream.read().splitlines()
    show = sys.stderr.isatty() and len(lines) > 2000
    submissions: list[Submission] = []
    where: dict[str, int] = {}
    with click.progressbar(enumerate(lines, 1), length=len(lines), label="Checking", file=sys.stderr) if show else _nullbar(enumerate(lines, 1)) as numbered:
        for number, line in numbered:
            if not line.strip():
                continue
            try:
                obj = loads_strict(line)
                if isinstance(obj, dict):
                    _fill_defaults(obj, actor)
                submission = parse_submission(obj, allow_recorded_at=backfill)
            except PerfledgerError as e:
                raise e.located(line=number) from None
            submissions.append(submission)
            where.setdefault(submission.event_id, number)
    return submissions, where


def remove_ledger_file(location: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(location + suffix):
            os.remove(location + suffix)


@contextmanager
def _nullbar(iterable: Any) -> Iterator[Any]:
    yield iterable


@main.command(name="import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option(
    "--backfill",
    is_flag=True,
    help="Migrating old records: take each event's recorded_at from the file "
    "(UTC, in recording order, never before the ledger's last event).",
)
@click.option("--actor", envvar="PERFLEDGER_ACTOR", default=None, help="Actor for events that name none.")
@click.option("--entity", default=None, help="Entity of the new ledger, when FILE goes to a path with no ledger yet.")
@click.pass_context
def import_(ctx: click.Context, file: Any, backfill: bool, actor: str | None, entity: str | None) -> None:
    """Import a JSON Lines file of events (- for stdin), all or nothing.

    Every event is checked; if any fails, nothing is written and the error
    names its line. Events already stored with identical content are
    skipped, so re-running an import is safe. A path with no ledger yet gets
    a new one.

    \b
    Example:
      perfledger import year-2012.jsonl
      cat fixes.jsonl | perfledger import -
    """
    submissions, where = read_batch(file, backfill=backfill, actor=actor)
    fresh = not is_postgres(ctx.obj) and (
        not sqlite_path(ctx.obj).exists() or sqlite_path(ctx.obj).stat().st_size == 0
    )
    try:
        store, created = Store.open(ctx.obj), False
    except LedgerNotFound:
        if not (fresh or is_postgres(ctx.obj)):
            raise  # an existing file that is not a ledger: never take it over
        store, created = Store.open(ctx.obj, create=True), True
    try:
        with store:
            new = None
            if created or store.length() == 0:
                name = entity or os.path.splitext(os.path.basename(str(sqlite_path(store.location))))[0]
                new = (name, actor or getpass.getuser())
            result = store.append(submissions, create=new)
    except PerfledgerError as e:
        if created and fresh:
            remove_ledger_file(str(sqlite_path(ctx.obj)))  # the new file holds no event: leave nothing behind
        raise e.located(line=where.get(e.event_id or "")) from None
    written = result.written
    span = f" (events {written[0].seq}-{written[-1].seq})" if written else ""
    click.echo(f"Imported {len(written)} new event(s){span}; {len(result.present)} already present.")


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


@main.command()
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
    click.echo(render(rows, fmt, columns=LOG_COLUMNS))


LOG_COLUMNS = ("seq", "id", "type", "effective_date", "recorded_at", "actor", "hash")


@main.command()
@click.argument("event_id")
@format_option
@click.pass_context
def show(ctx: click.Context, event_id: str, fmt: str) -> None:
    """Show one event in full: its canonical body and hash.

    \b
    Example:
      perfledger show r-0042
    """
    with open_store(ctx) as store:
        event = store.find(event_id)
    if event is None:
        raise click.ClickException(f"no event with id {event_id!r}")
    body = dict(event.body(), hash=event.hash)
    if fmt == "json":
        click.echo(to_json(body))
    else:
        rows = [{"field": k, "value": to_json(v) if isinstance(v, dict) else v} for k, v in sorted(body.items())]
        click.echo(render(rows, fmt))


@main.command()
@click.pass_context
def verify(ctx: click.Context) -> None:
    """Recompute the whole hash chain and check nothing was altered, removed or reordered.

    Exit 0 with the head hash when intact; exit 1 naming the first bad event
    otherwise. Keep the head hash somewhere else: a chain rewritten whole is
    only caught against a head you kept.

    \b
    Example:
      perfledger verify
      sqlite3 cciaa.db ".backup copy.db" && perfledger --ledger copy.db verify
    """
    with open_store(ctx) as store:
        report = store.verify()
    if report.ok:
        click.echo(f"OK: {report.count} events, chain intact, head {report.head}")
    else:
        raise click.ClickException(f"chain broken at event {report.bad_seq}: {report.problem}")


@main.group()
def db() -> None:
    """Administer a shared PostgreSQL ledger.

    \b
    Example:
      perfledger --ledger postgresql://owner@db.example/perf db grant --role controller mrossi
    """


@db.command()
@click.option("--role", type=click.Choice(["controller", "auditor"]), required=True,
              help="controller: insert and read events; auditor: read only.")
@click.argument("name")
@click.pass_context
def grant(ctx: click.Context, role: str, name: str) -> None:
    """Create the PostgreSQL role NAME (if needed) and grant it a controller's or an auditor's rights.

    Run it as the owner of the ledger's tables. No role gets UPDATE, DELETE or
    TRUNCATE, and triggers refuse them even to the owner. Set the role's
    password with ALTER ROLE (never on the command line of a shared machine).

    \b
    Example:
      perfledger --ledger postgresql://owner@db.example/perf db grant --role auditor oiv
    """
    name = Code("name").parse(name, "NAME")
    with open_store(ctx) as store:
        store.grant(role, name)
    click.echo(f"Role {name!r} may now {'insert and read' if role == 'controller' else 'read'} events in {store.location}.")


def today() -> date:
    return date.today()


def _register_figures() -> None:
    from cli import figures

    figures.register(main)


_register_figures()
