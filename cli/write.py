"""Writing to a ledger: init, append, import (all or nothing), and the demo that loads the example.

The reading of a JSON Lines file and the creation of a ledger are in ``cli.importing``;
``JsonlFile`` and ``read_batch`` are also named here, where they were first.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.importing import (
    JsonlFile,
    create_ledger,
    fill_defaults,
    import_batch,
    import_spreadsheet,
    read_batch,
)
from cli.options import (
    actor_option,
    default_entity,
    key_option,
    login_name,
    open_store,
    registration,
    sign_all,
)
from cli.spreadsheets import is_spreadsheet
from ledger.location import is_postgres, sqlite_path

# The layouts of CSV files (events.sheet_layouts.SHEETS' keys), spelt here so that --help imports no events.
LAYOUT_KEYS = ("plan-year", "plan-lines", "plan-objectives", "plan-indicators", "plan-items", "movements",
               "measurements")

if TYPE_CHECKING:
    from events import LedgerEvent, Submission

__all__ = ["JsonlFile", "append", "demo_cmd", "import_", "init", "read_batch"]


@click.command()
@click.option("--entity", default=None, help="The public body the ledger is for. [default: the file's name]")
@click.option("--origin", default=None,
              help="The ledger's name in its checkpoints and signatures: a schema-less URL such as"
              " cciaa-ms.example/perfledger. [default: perfledger.invalid/ENTITY/HASH]")
@actor_option
@click.option("--signed", is_flag=True,
              help="Make a signed ledger: name its first controller (--controller).")
@click.option("--controller", default=None, metavar="NAME",
              help="The signed ledger's first controller, registered with the ledger itself.")
@click.option("--pubkey", default=None, type=click.Path(exists=True, dir_okay=False),
              help="The first controller's public key.")
@click.option("--key", "key_file", default=None, type=click.Path(exists=True, dir_okay=False),
              help="The first controller's private key: it signs their registration.")
@click.pass_context
def init(ctx: click.Context, entity: str | None, origin: str | None, actor: str, signed: bool,
         controller: str | None, pubkey: str | None, key_file: str | None) -> None:
    """Create a new, empty ledger; with --signed, a signed one and its first controller.

    One ledger can hold several years: each is opened by its PlanOpened event.
    A signed ledger is made signed here, by whoever creates it: its first
    controller is registered in the same transaction as the ledger (event 2),
    and an unsigned ledger never becomes signed later.

    \b
    Example:
      perfledger --ledger cciaa.db init --entity "CCIAA Massa Carrara" --origin cciaa-ms.example/perfledger
      perfledger key new cdg
      perfledger --ledger cciaa.db init --entity "CCIAA Massa Carrara" --signed \\
          --controller cdg --pubkey cdg.pub --key cdg.key
    """
    first = first_controller(signed, controller, pubkey, key_file)
    name = entity or default_entity(ctx.obj)
    opened = create_ledger(ctx.obj, lambda store: store.init(name, actor=actor, first=first, origin=origin))
    shown = ctx.obj if is_postgres(ctx.obj) else str(sqlite_path(ctx.obj))
    if first:
        click.echo(f"Created signed ledger {shown} for {name!r} (events 1-2, first controller {controller},"
                   f" hash {opened.hash[:12]}).")
    else:
        click.echo(f"Created ledger {shown} for {name!r} (event 1, hash {opened.hash[:12]}).")


def first_controller(signed: bool, controller: str | None, pubkey: str | None,
                     key_file: str | None) -> list[Submission]:
    """The signed registration of a new signed ledger's first controller; none for an unsigned ledger."""
    given = {"--controller": controller, "--pubkey": pubkey, "--key": key_file}
    if not signed and not any(given.values()):
        return []
    missing = [option for option, value in given.items() if value is None]
    if missing:
        raise click.UsageError(f"a signed ledger needs {', '.join(missing)}:"
                               " its first controller and their keys")
    assert controller is not None and pubkey is not None
    return [registration(controller, "controller", pubkey, key_file, controller, None)]


def _option_value(cls: type[LedgerEvent], name: str, raw: str) -> Any:
    """Turn a --field string into the JSON value its kind expects (numbers stay strings)."""
    from events.fields import ActKind, Changes, Count, Optional
    from events.parse import loads_strict

    kind = cls.payload_kinds().get(name) if name not in ("act",) else Optional("act", ActKind("act"))
    inner = kind.inner if isinstance(kind, Optional) else kind
    if isinstance(inner, Count):
        return int(raw) if raw.isdigit() else raw
    if isinstance(inner, (ActKind, Changes)):
        return loads_strict(raw)
    return raw


class AppendCommand(click.Command):
    """``append``, whose help, when a TYPE is named (``append IndicatorMeasured --help``), is that
    type's: its fields, their kinds and an example (``cli.catalogue``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if any(arg in ctx.help_option_names for arg in args):
            ctx.meta["append.type"] = self._type_named(ctx, args)
        return super().parse_args(ctx, args)

    def _type_named(self, ctx: click.Context, args: list[str]) -> str | None:
        """The TYPE among the arguments: the first that is neither an option nor an option's value."""
        takes_value = {opt for param in self.get_params(ctx) if isinstance(param, click.Option)
                       and not param.is_flag for opt in param.opts}
        words = iter(args)
        for word in words:
            if word in takes_value:
                next(words, None)
            elif not word.startswith("-"):
                return word
        return None

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        name = ctx.meta.get("append.type")
        if name is None:
            super().format_help(ctx, formatter)
            return
        from cli.catalogue import format_type_help
        from events.parse import event_type

        format_type_help(event_type(name), formatter, ctx.command_path)


@click.command(cls=AppendCommand,
               context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("type_name", metavar="TYPE", required=False)
@click.option("--json", "json_text", metavar="JSON", help="The whole event as one JSON object.")
@actor_option
@key_option
@click.pass_context
def append(ctx: click.Context, type_name: str | None, json_text: str | None, actor: str,
           key_file: str | None) -> None:
    """Append one event, after checking it against the ledger's rules.

    Give the type and its fields as options (--field-name value), or the
    whole event with --json. An event without --id gets a generated one;
    give your own id to make a retry safe (an identical re-append is a no-op).
    `perfledger append TYPE --help` lists a type's fields; `perfledger types`, the types.

    \b
    Example:
      perfledger append ReservationMade --id r-0042 --effective-date 2012-03-15 \\
          --reservation r-0042 --item A5/02/corsi --amount 1500.00
      perfledger append --json '{"type": "BudgetVaried", "id": "v-7", ...}'
    """
    from events.parse import SUBMITTABLE, event_type, parse_json, parse_submission

    if json_text is not None:
        if type_name or ctx.args:
            raise click.UsageError("give either --json or TYPE with --field options, not both")
        obj = parse_json(argument_bytes(json_text))
        if isinstance(obj, dict):
            fill_defaults(obj, actor)
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
        fill_defaults(obj, actor)
    submission = sign_all([parse_submission(obj)], key_file)[0]
    with open_store(ctx) as store:
        result = store.append([submission])
    if result.written:
        event = result.written[0]
        click.echo(f"Appended {event.type} {event.event_id!r} as event {event.seq} (hash {event.hash[:12]}).")
    else:
        click.echo(f"Already present: {submission.event_id!r} (identical; nothing written).")


def argument_bytes(text: str) -> bytes:
    """A command-line argument's bytes as the user typed them (Python decoded them with surrogateescape)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that no byte became: let the UTF-8 check name it
        return text.encode("utf-8", "surrogatepass")


@click.command(name="import")
@click.argument("file", type=click.File("rb"))
@click.option(
    "--backfill",
    is_flag=True,
    help="Migrating old records: take each event's recorded_at from the file "
    "(UTC, in recording order) and close the batch with HistoryMigrated; only into a path with no"
    " ledger yet.",
)
@click.option("--actor", envvar="PERFLEDGER_ACTOR", default=None, help="Actor for events that name none.")
@click.option("--entity", default=None,
              help="Entity of the new ledger, when FILE goes to a path with no ledger yet.")
@key_option
@click.option("--layout", type=click.Choice(LAYOUT_KEYS), default=None,
              help="A CSV file's layout, when its header row does not tell. [default: from the header]")
@click.option("--delimiter", default=None,
              help="A CSV file's delimiter. [default: ; or what its first line uses]")
@click.option("--encoding", default=None, help="A CSV file's encoding. [default: UTF-8, else Windows-1252]")
@click.pass_context
def import_(ctx: click.Context, file: Any, backfill: bool, actor: str | None, entity: str | None,
            key_file: str | None, layout: str | None, delimiter: str | None, encoding: str | None) -> None:
    """Import a file of events, all or nothing: JSON Lines (- for stdin), or a spreadsheet.

    Every event is checked; if any fails, nothing is written and the error
    names its line (or its sheet, row and column). Events already stored with
    identical content are skipped, so re-running an import is safe. A path
    with no ledger yet gets a new one.

    A spreadsheet (.xlsx, .ods, .csv) holds the sheets of `perfledger
    template`, Italian numbers and dates (1.500,00; 31/12/2012); the ledger
    records its name and SHA-256, and each event's sheet and row
    (SourceImported), which `explain` shows.

    \b
    Example:
      perfledger import year-2012.jsonl
      cat fixes.jsonl | perfledger import -
      perfledger import piano-2012.xlsx
      perfledger import misurazioni.csv --encoding cp1252
    """
    from events.errors import PerfledgerError
    from ledger.interrupts import CommitGuard

    try:
        source = os.path.basename(str(getattr(file, "name", "-")))
        if is_spreadsheet(source) or (layout, delimiter, encoding) != (None, None, None):
            if backfill:
                raise click.UsageError("--backfill migrates a JSON Lines history, not a spreadsheet")
            with CommitGuard() as guard:
                result = import_spreadsheet(
                    ctx.obj, file.read(), source, (entity or default_entity(ctx.obj), actor or login_name()),
                    guard, actor=actor or login_name(), key_file=key_file, layout=layout,
                    delimiter=delimiter, encoding=encoding)
                _imported(result, guard)
            return
        pages = JsonlFile(file, backfill=backfill, actor=actor, key_file=key_file, source=source,
                          closer=actor or login_name())
        new = (entity or default_entity(ctx.obj), actor or login_name())
        with CommitGuard() as guard:
            try:
                result = import_batch(ctx.obj, pages, new, guard)
            except PerfledgerError as e:
                raise e.located(line=pages.line_of(e.event_id)) from None
            finally:
                pages.close()
            _imported(result, guard)
    except KeyboardInterrupt:
        click.echo("Interrupted: nothing was written.", err=True)
        ctx.exit(130)


def _imported(result: Any, guard: Any) -> None:
    """Say what an import wrote."""
    written, first, last = result.written_count, result.first, result.last
    span = f" (events {first.seq}-{last.seq})" if first is not None and last is not None else ""
    click.echo(f"Imported {written} new event(s){span}; {result.present_count} already present.")
    if guard.interrupted:
        click.echo(f"Interrupted after the commit: {written} events were written.", err=True)


@click.command(name="demo")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="The example's events. [default: the 2012 example installed with perfledger]")
@click.pass_context
def demo_cmd(ctx: click.Context, path: str | None) -> None:
    """Load the 2012 report of CCIAA Massa Carrara into a new ledger and print its figures.

    The ledger goes to --ledger if given, else ./perfledger-demo.db (which must not exist).

    \b
    Example:
      perfledger demo
      perfledger --ledger /tmp/cciaa-2012.db demo
    """
    from importlib.resources.abc import Traversable

    from cli.views import EXAMPLE, report_text
    from ledger import Store
    from ledger.verify import verify
    from projections.facts import Cut

    source: Traversable = Path(path) if path else EXAMPLE
    if not source.is_file():
        raise click.ClickException(f"the example is not at {source}; give --file PATH")
    if ctx.find_root().get_parameter_source("location") is click.core.ParameterSource.DEFAULT:
        ctx.obj = "perfledger-demo.db"
    if os.path.exists(ctx.obj):
        raise click.ClickException(f"{ctx.obj} already exists: remove it or give another --ledger")
    with source.open(encoding="utf-8") as stream:
        submissions, _ = read_batch(stream, backfill=True, actor=None)
    store = Store.open(ctx.obj, create=True)
    try:
        result = store.append(submissions, create=("Camera di Commercio di Massa Carrara", "demo"))
        report = verify(store)
    finally:
        store.close()
    click.echo(f"Loaded {result.written_count} events of the 2012 report into {ctx.obj};"
               f" {report.count} events,"
               f" chain intact (head {report.head[:12]}).\n")
    click.echo(report_text(ctx, Cut(), None, "table", "it"))
    click.echo(f"\nTry: perfledger --ledger {ctx.obj} budget --as-of 2012-08-31 --locale it")
