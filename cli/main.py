"""perfledger's command line: parse, call the ledger or a projection, print.

Every error the ledger or a projection raises is a ``PerfledgerError``; it
becomes one ``Error: ...`` line on stderr and exit status 1, without a
traceback. Bad usage exits 2 and names the parameter (click's convention).
"""

from __future__ import annotations

import gc
import getpass
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.output import format_option, render, to_json
from ledger.location import DEFAULT_LEDGER, is_postgres, sqlite_path

if TYPE_CHECKING:
    from events import Submission
    from ledger import Store

# The ledger, the events and the projections are imported by the commands that use them,
# so that `--help` and a mistyped option answer at once.


GC_THRESHOLD = (100_000, 50, 100)


class Perfledger(click.Group):
    """A group that turns the ledger's errors into one clean line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as e:
            from events.errors import PerfledgerError
            from ledger.proofs import ProofError

            if isinstance(e, (PerfledgerError, ProofError)):
                raise click.ClickException(str(e)) from None
            if isinstance(e, OSError):
                raise click.ClickException(f"{e.strerror or e}: {e.filename or ''}".rstrip(": ")) from None
            raise


@click.group(cls=Perfledger, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--ledger",
    "location",
    envvar="PERFLEDGER_LEDGER",
    default=DEFAULT_LEDGER,
    show_default=True,
    metavar="PATH",
    help="The ledger: a file path, sqlite:///PATH, or postgresql://USER@HOST:PORT/DB?schema=NAME."
    " Also $PERFLEDGER_LEDGER.",
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
    # A replay or an import builds millions of objects that never form cycles; with the default
    # threshold the cycle collector rescans them every 700 allocations (a third of a replay's time).
    gc.set_threshold(*GC_THRESHOLD)
    ctx.obj = location


@contextmanager
def open_store(ctx: click.Context, *, create: bool = False) -> Iterator[Store]:
    from ledger import Store

    store = Store.open(ctx.obj, create=create)
    try:
        yield store
    finally:
        store.close()


def default_entity(location: str) -> str:
    """A new ledger's entity when none is given: the file's name, or the PostgreSQL schema's."""
    if is_postgres(location):
        from urllib.parse import parse_qs, urlsplit

        parts = urlsplit(location)
        return parse_qs(parts.query).get("schema", [parts.path.lstrip("/") or "perfledger"])[0]
    return os.path.splitext(os.path.basename(str(sqlite_path(location))))[0]


def key_option(func: Any) -> Any:
    return click.option(
        "--key", "key_file", type=click.Path(exists=True, dir_okay=False), envvar="PERFLEDGER_KEY",
        help="Sign each event with this private key (a signed ledger requires it). Also $PERFLEDGER_KEY.",
    )(func)


def sign_all(submissions: list[Submission], key_file: str | None) -> list[Submission]:
    """Each submission signed over its canonical content with the key, if one is given."""
    from ledger import proofs

    if key_file is None:
        return submissions
    private = Path(key_file).read_bytes()
    try:
        return [sub.signed(proofs.sign(private, sub.content_bytes)) for sub in submissions]
    except proofs.ProofError as e:
        raise click.ClickException(f"{key_file}: {e}") from None


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in this environment (a container, a service)
        return "unknown"


def actor_option(func: Any) -> Any:
    return click.option(
        "--actor",
        envvar="PERFLEDGER_ACTOR",
        default=login_name,
        show_default="your login name",
        help="Who records the facts (also $PERFLEDGER_ACTOR).",
    )(func)


@main.command()
@click.option("--entity", default=None, help="The public body the ledger is for. [default: the file's name]")
@actor_option
@click.option("--signed", is_flag=True, help="Make a signed ledger: name its first controller (--controller).")
@click.option("--controller", default=None, metavar="NAME",
              help="The signed ledger's first controller, registered with the ledger itself.")
@click.option("--pubkey", default=None, type=click.Path(exists=True, dir_okay=False),
              help="The first controller's public key.")
@click.option("--key", "key_file", default=None, type=click.Path(exists=True, dir_okay=False),
              help="The first controller's private key: it signs their registration.")
@click.pass_context
def init(ctx: click.Context, entity: str | None, actor: str, signed: bool, controller: str | None,
         pubkey: str | None, key_file: str | None) -> None:
    """Create a new, empty ledger; with --signed, a signed one and its first controller.

    One ledger can hold several years: each is opened by its PlanOpened event.
    A signed ledger is made signed here, by whoever creates it: its first
    controller is registered in the same transaction as the ledger (event 2),
    and an unsigned ledger never becomes signed later.

    \b
    Example:
      perfledger --ledger cciaa.db init --entity "CCIAA Massa Carrara"
      perfledger key new cdg
      perfledger --ledger cciaa.db init --entity "CCIAA Massa Carrara" --signed \\
          --controller cdg --pubkey cdg.pub --key cdg.key
    """
    first = first_controller(signed, controller, pubkey, key_file)
    name = entity or default_entity(ctx.obj)
    opened = create_ledger(ctx.obj, lambda store: store.init(name, actor=actor, first=first))
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
        raise click.UsageError(f"a signed ledger needs {', '.join(missing)}: its first controller and their keys")
    assert controller is not None and pubkey is not None
    return [registration(controller, "controller", pubkey, key_file, controller, None)]


def create_ledger(location: str, write: Any) -> Any:
    """Make a new ledger at ``location`` and ``write`` its first events; refuse any file that is not one.

    A new SQLite file is built aside and published whole (ledger.publish); if a file is at the
    path, or appears there meanwhile, it is opened as it is: ``write`` then refuses an existing ledger.
    """
    from ledger import Store
    from ledger.publish import create_ledger_file

    if not is_postgres(location) and not sqlite_path(location).exists():
        made = create_ledger_file(sqlite_path(location), write)
        if made is not None:
            return made
    with Store.open(location, create=True) as store:
        return write(store)


def _fill_defaults(obj: dict[str, Any], actor: str | None) -> dict[str, Any]:
    if actor is not None and "actor" not in obj:
        obj["actor"] = actor
    return obj


def _option_value(cls: type, name: str, raw: str) -> Any:
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


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("type_name", metavar="TYPE", required=False)
@click.option("--json", "json_text", metavar="JSON", help="The whole event as one JSON object.")
@actor_option
@key_option
@click.pass_context
def append(ctx: click.Context, type_name: str | None, json_text: str | None, actor: str, key_file: str | None) -> None:
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
    from events.parse import SUBMITTABLE, event_type, parse_json, parse_submission

    if json_text is not None:
        if type_name or ctx.args:
            raise click.UsageError("give either --json or TYPE with --field options, not both")
        obj = parse_json(argument_bytes(json_text))
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


def read_batch(stream: Any, *, backfill: bool, actor: str | None) -> tuple[list[Submission], dict[str, int]]:
    """Parse a JSON Lines stream into submissions, remembering each id's line for errors.

    The stream should be binary (``events.parse.parse_jsonl`` reads the bytes); a text stream that
    was already decoded is encoded back to UTF-8 and read the same way."""
    from events.errors import PerfledgerError
    from events.parse import line_count, parse_jsonl, parse_submission

    data = stream.read()
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    submissions: list[Submission] = []
    where: dict[str, int] = {}
    with _bar(line_count(data), "Reading", parse_jsonl(data)) as numbered:
        for number, obj in numbered:
            try:
                if isinstance(obj, dict):
                    _fill_defaults(obj, actor)
                submission = parse_submission(obj, allow_recorded_at=backfill)
            except PerfledgerError as e:
                raise e.located(line=number) from None
            submissions.append(submission)
            where.setdefault(submission.event_id, number)
    return submissions, where


@contextmanager
def _bar(length: int, label: str, iterable: Any = None) -> Iterator[Any]:
    """A progress bar on a terminal's stderr for long work (over 2,000 events); else no bar at all."""
    if sys.stderr.isatty() and length > 2000:
        with click.progressbar(iterable, length=length, label=label, file=sys.stderr) as bar:
            yield bar
    else:
        yield iterable


@main.command(name="import")
@click.argument("file", type=click.File("rb"))
@click.option(
    "--backfill",
    is_flag=True,
    help="Migrating old records: take each event's recorded_at from the file "
    "(UTC, in recording order, never before the ledger's last event).",
)
@click.option("--actor", envvar="PERFLEDGER_ACTOR", default=None, help="Actor for events that name none.")
@click.option("--entity", default=None, help="Entity of the new ledger, when FILE goes to a path with no ledger yet.")
@key_option
@click.pass_context
def import_(ctx: click.Context, file: Any, backfill: bool, actor: str | None, entity: str | None,
            key_file: str | None) -> None:
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
    from events.errors import PerfledgerError
    from ledger.interrupts import CommitGuard

    try:
        submissions, where = read_batch(file, backfill=backfill, actor=actor)
        if backfill and submissions:
            from ledger.application import history_migrated

            source = os.path.basename(str(getattr(file, "name", "-")))
            submissions.append(history_migrated(submissions, source, actor or login_name(), date.today()))
        submissions = sign_all(submissions, key_file)
        new = (entity or default_entity(ctx.obj), actor or login_name())
        with CommitGuard() as guard:
            try:
                result = import_batch(ctx.obj, submissions, new, guard)
            except PerfledgerError as e:
                raise e.located(line=where.get(e.event_id or "")) from None
            written = result.written
            span = f" (events {written[0].seq}-{written[-1].seq})" if written else ""
            click.echo(f"Imported {len(written)} new event(s){span}; {len(result.present)} already present.")
            if guard.interrupted:
                click.echo(f"Interrupted after the commit: {len(written)} events were written.", err=True)
    except KeyboardInterrupt:
        click.echo("Interrupted: nothing was written.", err=True)
        ctx.exit(130)


def import_batch(location: str, submissions: list[Submission], new: tuple[str, str], guard: Any) -> Any:
    """Append the batch, creating the ledger (entity, actor = ``new``) if the path has none.

    Into a new SQLite path the ledger is built aside and published whole; if another import
    publishes first, the batch goes into that ledger instead, checked again against it. A
    failure never removes a file: it can only be one another process wrote.
    """
    from ledger import Store
    from ledger.errors import LedgerNotFound
    from ledger.publish import create_ledger_file

    def write(store: Store) -> Any:
        with _bar(len(submissions), "Checking and writing") as bar:
            # After a retry (another writer came first) the count starts again: the bar waits for it.
            progress = None if bar is None else (lambda done: bar.update(max(done - bar.pos, 0)))
            return store.append(submissions, create=new, progress=progress, guard=guard)

    if not is_postgres(location) and not sqlite_path(location).exists():
        made = create_ledger_file(sqlite_path(location), write)
        if made is not None:
            return made
        guard.rolled_back()  # another import made the ledger first: nothing of this one is written yet
    try:
        store = Store.open(location)
    except LedgerNotFound:
        if not is_postgres(location):
            raise  # an existing file that is not a ledger: never take it over
        store = Store.open(location, create=True)  # a PostgreSQL schema without the ledger's tables
    with store:
        return write(store)


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
@click.option("--checkpoint", "checkpoints", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Also prove the ledger extends this signed checkpoint (repeatable).")
@click.option("--pubkey", "pubkeys", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A signer's public key, to check the checkpoints' signatures (repeatable).")
@click.option("--bundle", type=click.Path(exists=True, file_okay=False),
              help="Check an exported bundle instead of the ledger: no database needed.")
@click.option("--expect", type=click.Path(exists=True, dir_okay=False),
              help="With --bundle: replay the bundle and compare with this `report --format json`.")
@click.option("--quick", is_flag=True,
              help="Check the chain and signatures only, not the rules and caches (faster on a large ledger).")
@click.pass_context
def verify(ctx: click.Context, checkpoints: tuple[str, ...], pubkeys: tuple[str, ...], bundle: str | None,
           expect: str | None, quick: bool) -> None:
    """Check the chain, the signatures, the rules and the caches; name the first thing wrong.

    The chain: every event hashed, linked to the one before, in canonical
    form. The signatures (a signed ledger): each event signed by a registered
    controller. The rules: every event replayed through the rules the writer
    checks, so one written around them (raw SQL) is named. The caches: the
    read model, budget checkpoints and snapshots rebuilt and compared. Exit 0
    when all hold; exit 1 naming the first problem. A chain rewritten whole is
    only caught against something kept elsewhere: a signed checkpoint
    (--checkpoint, an RFC 9162 consistency proof that the ledger extends it)
    or a bundle the OIV holds (--bundle).

    \b
    Example:
      perfledger verify
      perfledger verify --checkpoint checkpoint-398.txt --pubkey cdg.pub --pubkey oiv.pub
      perfledger verify --bundle bundle-2012/ --pubkey cdg.pub --expect report-2012.json
    """
    from ledger import proofs

    trusted = [(Path(p).stem, Path(p).read_bytes()) for p in pubkeys]
    if bundle is not None:
        for line in proofs.verify_bundle(Path(bundle), trusted, [Path(c) for c in checkpoints]):
            click.echo(line)
        if expect is not None:
            differences = compare_report(Path(bundle), Path(expect))
            if differences:
                raise click.ClickException(
                    f"the bundle's replay differs from {expect} in {len(differences)} place(s):\n"
                    + "\n".join(differences)
                )
            click.echo(f"replay matches {expect}")
        click.echo("OK")
        return
    from ledger.verify import verify as verify_store

    with open_store(ctx) as store:
        report = verify_store(store, rules=not quick)
        chain = report.section("chain")
        if not chain.ok:
            raise click.ClickException(f"chain broken at event {report.bad_seq}: {report.problem}")
        if report.ok:
            click.echo(f"OK: {report.count} events, chain intact, head {report.head}")
        for section in report.sections:
            verdict = "" if report.ok else "OK: " if section.ok else "FAILED: "
            click.echo(f"  {section.name + ':':<11} {verdict}{section.detail}")
        if report.migrated is not None:
            click.echo(f"  {'migrated:':<11} events 1-{report.migrated} came from a migration: their recorded_at"
                       " is the source's, not this ledger's clock")
        problems = [] if report.ok else [f"{s.name}: {s.detail}" for s in report.sections if not s.ok][:1]
        tree = store.merkle_tree() if checkpoints else None  # one for every checkpoint
        for path in checkpoints:
            try:
                for line in store.check_checkpoint(proofs.Checkpoint.read(Path(path)), trusted, tree):
                    click.echo(f"{path}: {line}")
            except proofs.ProofError as e:
                if problems:
                    raise click.ClickException(f"{path}: {e}\n(and {problems[0]})") from None
                raise
        if problems:
            raise click.ClickException(problems[0])


def compare_report(bundle: Path, expect: Path) -> list[str]:
    """Replay a bundle's events through the projections and list where a given report differs."""
    from cli.figures import report_data
    from events.parse import loads_strict
    from ledger import proofs
    from ledger.application import decode_body

    events = [decode_body(line) for line in proofs.read_events(bundle / "events.jsonl")]
    expected = loads_strict(expect.read_text(encoding="utf-8"))
    actual = loads_strict(to_json(report_data(events, None, None)))
    return [f"  {path}: report says {want!r}, replay gives {got!r}" for path, want, got in diff(expected, actual)]


def diff(expected: Any, actual: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key in sorted(set(expected) | set(actual)):
            found += diff(expected.get(key), actual.get(key), f"{path}.{key}" if path else key)
        return found
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [d for i, (e, a) in enumerate(zip(expected, actual)) for d in diff(e, a, f"{path}[{i}]")]
    return [] if expected == actual else [(path, expected, actual)]


@main.command()
@click.option("--bundle", required=True, type=click.Path(file_okay=False), help="The directory to write.")
@click.option("--checkpoint", "checkpoints", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A signed checkpoint to include (repeatable).")
@click.option("--pubkey", "pubkeys", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A signer's public key to include (repeatable).")
@click.pass_context
def export(ctx: click.Context, bundle: str, checkpoints: tuple[str, ...], pubkeys: tuple[str, ...]) -> None:
    """Write a bundle the OIV can verify without the database.

    The bundle holds events.jsonl (each event's stored canonical bytes, one per
    line), the checkpoints, the public keys, and verify.py, a verifier that
    needs only Python and the cryptography package:
    python verify.py BUNDLE --pubkey KEY.pub (keys the evaluator trusts, obtained apart).

    \b
    Example:
      perfledger export --bundle bundle-2012 --checkpoint checkpoint-398.txt --pubkey cdg.pub
    """
    with open_store(ctx) as store:
        count = store.export(Path(bundle), [Path(p) for p in checkpoints], [Path(p) for p in pubkeys])
    click.echo(f"Exported {count} events, {len(checkpoints)} checkpoint(s) and {len(pubkeys)} key(s) to {bundle}.")


@main.group()
def actor() -> None:
    """Register who may write to a signed ledger, with their public keys.

    A signed ledger is made signed when it is created, with its first
    controller (perfledger init --signed --controller NAME ...): every event
    is signed by its actor's registered key, and only controllers append.
    Its controllers then register the others; an unsigned ledger stays unsigned.

    \b
    Example:
      perfledger key new cdg
      perfledger init --signed --controller cdg --pubkey cdg.pub --key cdg.key
      perfledger actor add oiv --role oiv --pubkey oiv.pub --key cdg.key --actor cdg
    """


@actor.command(name="add")
@click.argument("name")
@click.option("--role", type=click.Choice(["controller", "auditor", "oiv"]), required=True)
@click.option("--pubkey", required=True, type=click.Path(exists=True, dir_okay=False), help="NAME's public key.")
@click.option("--key", "key_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The registering controller's private key.")
@click.option("--actor", "signer", default=None, help="The registering controller. [default: NAME]")
@click.option("--effective-date", default=None, help="YYYY-MM-DD. [default: today]")
@click.pass_context
def actor_add(ctx: click.Context, name: str, role: str, pubkey: str, key_file: str, signer: str | None,
              effective_date: str | None) -> None:
    """Register NAME with a role and a public key (a signed event).

    \b
    Example:
      perfledger actor add mrossi --role controller --pubkey mrossi.pub --key cdg.key --actor cdg
    """
    submission = registration(name, role, pubkey, key_file, signer or name, effective_date)
    with open_store(ctx) as store:
        event = store.append([submission]).written[0]
    click.echo(f"Registered {name} ({role}) as event {event.seq}; the ledger is signed.")


def registration(name: str, role: str, pubkey: str, key_file: str | None, signer: str,
                 effective_date: str | None) -> Submission:
    """NAME's ActorRegistered with their public key, signed by ``signer``'s private key."""
    from events.parse import parse_submission
    from ledger import proofs

    try:
        public = proofs.public_key_b64(Path(pubkey).read_bytes())
    except proofs.ProofError as e:
        raise click.ClickException(f"{pubkey}: {e}") from None
    obj = {"type": "ActorRegistered", "id": f"actor-{name}-{uuid.uuid4().hex[:8]}",
           "effective_date": effective_date or today().isoformat(), "actor": signer,
           "name": name, "role": role, "public_key": public}
    return sign_all([parse_submission(obj)], key_file)[0]


@actor.command(name="revoke")
@click.argument("name")
@click.option("--reason", required=True)
@click.option("--key", "key_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="A controller's private key.")
@click.option("--actor", "signer", required=True, help="The revoking controller.")
@click.option("--effective-date", default=None, help="YYYY-MM-DD. [default: today]")
@click.pass_context
def actor_revoke(ctx: click.Context, name: str, reason: str, key_file: str, signer: str,
                 effective_date: str | None) -> None:
    """Revoke NAME's key: their later events are refused, earlier ones stay (a signed event).

    \b
    Example:
      perfledger actor revoke mrossi --reason "left the office" --key cdg.key --actor cdg
    """
    from events.parse import parse_submission

    obj = {"type": "ActorRevoked", "id": f"revoke-{name}-{uuid.uuid4().hex[:8]}",
           "effective_date": effective_date or today().isoformat(), "actor": signer, "name": name, "reason": reason}
    submission = sign_all([parse_submission(obj)], key_file)[0]
    with open_store(ctx) as store:
        event = store.append([submission]).written[0]
    click.echo(f"Revoked {name}'s key as event {event.seq}.")


@actor.command(name="list")
@format_option
@click.pass_context
def actor_list(ctx: click.Context, fmt: str) -> None:
    """List the registered actors, their roles and keys.

    \b
    Example:
      perfledger actor list --format json
    """
    actors: dict[str, dict[str, Any]] = {}
    with open_store(ctx) as store:
        for event in store.events():
            if event.TYPE == "ActorRegistered":
                actors[event.name] = {"name": event.name, "role": event.role, "public_key": event.public_key,  # type: ignore[attr-defined]
                                      "registered": event.seq, "revoked": None}
            elif event.TYPE == "ActorRevoked":
                actors[event.name]["revoked"] = event.seq  # type: ignore[attr-defined]
    click.echo(render(list(actors.values()), fmt, columns=["name", "role", "public_key", "registered", "revoked"]))


@main.group()
def key() -> None:
    """Manage Ed25519 signing keys.

    \b
    Example:
      perfledger key new cdg
    """


@key.command(name="new")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=".", show_default=True)
def key_new(name: str, directory: str) -> None:
    """Create an Ed25519 key pair: NAME.key (private, readable by you only) and NAME.pub.

    \b
    Example:
      perfledger key new oiv --dir ~/.perfledger
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from events.fields import Code

    name = Code("name").parse(name, "NAME")
    private, public = Path(directory) / f"{name}.key", Path(directory) / f"{name}.pub"
    if private.exists() or public.exists():
        raise click.ClickException(f"{private} or {public} already exists: a key is never overwritten")
    Path(directory).mkdir(parents=True, exist_ok=True)
    secret = Ed25519PrivateKey.generate()
    pem = secret.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption())
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    public.write_bytes(secret.public_key().public_bytes(serialization.Encoding.PEM,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo))
    click.echo(f"Wrote {private} (keep it secret) and {public} (give it to whoever verifies).")


@main.group(invoke_without_command=True)
@click.option("--key", "key_file", type=click.Path(exists=True, dir_okay=False), help="Your private key.")
@click.option("--name", default=None, help="Signer's name. [default: the key file's name]")
@click.option("--out", default=None, help="Where to write it. [default: checkpoint-SIZE.txt]")
@click.pass_context
def checkpoint(ctx: click.Context, key_file: str | None, name: str | None, out: str | None) -> None:
    """Record the ledger's size and tree head (RFC 9162), signed, in a small text file.

    Publish it or hand it to the OIV: at plan approval, at each four-monthly
    report, with the final report. Later, `verify --checkpoint` proves the
    ledger still extends it.

    \b
    Example:
      perfledger checkpoint --key cdg.key
      perfledger checkpoint cosign checkpoint-398.txt --key oiv.key
    """
    if ctx.invoked_subcommand is not None:
        return
    if key_file is None:
        raise click.UsageError("give --key: the private key that signs the checkpoint")
    signer = name or Path(key_file).stem
    with open_store(ctx) as store:
        signed = store.checkpoint(Path(key_file).read_bytes(), signer)
    target = Path(out or f"checkpoint-{signed.size}.txt")
    target.write_text(signed.text(), encoding="utf-8")
    click.echo(f"Wrote {target}: {signed.size} events, tree head {signed.root}, signed by {signer}.")


@checkpoint.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--key", "key_file", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--name", default=None, help="Signer's name. [default: the key file's name]")
def cosign(file: str, key_file: str, name: str | None) -> None:
    """Add your signature to a checkpoint (the OIV's attestation that it saw this tree head).

    \b
    Example:
      perfledger checkpoint cosign checkpoint-398.txt --key oiv.key
    """
    from ledger import proofs

    current = proofs.Checkpoint.read(Path(file))
    signer = name or Path(key_file).stem
    Path(file).write_text(current.signed(Path(key_file).read_bytes(), signer).text(), encoding="utf-8")
    click.echo(f"Co-signed {file} as {signer}.")


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
    from events.fields import Code

    name = Code("name").parse(name, "NAME")
    with open_store(ctx) as store:
        store.grant(role, name)
    click.echo(f"Role {name!r} may now {'insert and read' if role == 'controller' else 'read'} events in {store.location}.")


@db.command()
@click.pass_context
def upgrade(ctx: click.Context) -> None:
    """Bring a ledger made by an older release to this one's schema, in one transaction (run it as the owner).

    On PostgreSQL, from schema version 1: installs the write guards, indexes the stored events'
    ids, and leaves INSERT to no role but the owner (controllers then append through the guards).

    \b
    Example:
      perfledger --ledger postgresql://owner@db.example/perf db upgrade
    """
    with open_store(ctx) as store:
        click.echo(store.upgrade())


@db.command()
@click.pass_context
def refresh(ctx: click.Context) -> None:
    """Bring the caches (read model, budget checkpoints, snapshots) up to the head (run it as the owner).

    A controller's appends on PostgreSQL leave the caches behind; queries stay exact (they fold
    what the caches lack), and this makes them fast again.

    \b
    Example:
      perfledger --ledger postgresql://owner@db.example/perf db refresh
    """
    with open_store(ctx) as store:
        click.echo(store.refresh())


def today() -> date:
    return date.today()


def _register_figures() -> None:
    from cli import figure_commands

    figure_commands.register(main)


_register_figures()
