"""What several command families share: options, parameter parsing and small helpers.

Only light modules are imported here (click, the ledger's location); the ledger, the events and
the projections are imported by the helpers that use them, so that ``--help`` stays quick.
"""

from __future__ import annotations

import getpass
import os
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import click

from cli.output import FORMATS
from ledger.location import is_postgres, sqlite_path

if TYPE_CHECKING:
    from events import Submission
    from ledger import Store


class Sequenced(Protocol):
    @property
    def seq(self) -> int: ...


E = TypeVar("E", bound=Sequenced)


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
    """Each submission to be signed with the key, if one is given, as it is written (a signature
    covers the event's place in the ledger: ``ledger.proofs.event_message``)."""
    if key_file is None:
        return submissions
    signer = signer_of(key_file)
    return [sub.signed_by(signer) for sub in submissions]


def signer_of(key_file: str) -> Callable[[bytes], str]:
    """What signs with the private key in ``key_file``: read and checked now, so a bad key is named
    before anything is written."""
    from ledger import proofs

    try:
        return proofs.signer(Path(key_file).read_bytes())
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


def today() -> date:
    return date.today()


LONG_WORK = 2000  # events: from this many, work may take over two seconds and shows its progress
REDRAW = 500  # events between two redraws of a bar told its progress (drawing costs more than an event)


def shows_progress(length: int) -> bool:
    """Does work over ``length`` events show a progress bar? Only long work, and only on a terminal's
    stderr: never in a pipe, a file or a test's captured output."""
    return length > LONG_WORK and sys.stderr.isatty()


@contextmanager
def progress_bar(length: int, label: str, iterable: Any = None) -> Iterator[Any]:
    """A progress bar on a terminal's stderr for long work (over 2,000 events); else no bar at all."""
    if shows_progress(length):
        with click.progressbar(iterable, length=length, label=label, file=sys.stderr) as bar:
            yield bar
    else:
        yield iterable


@contextmanager
def progress_to(length: int, label: str) -> Iterator[Callable[[int], None] | None]:
    """What to tell the work done so far (0 to ``length`` events), moving a bar on a terminal's stderr
    (see ``shows_progress``); None where no bar is shown, so the work need not count at all."""
    if not shows_progress(length):
        yield None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:

        def done(count: int) -> None:
            if count - bar.pos >= REDRAW or count >= length > bar.pos:
                bar.update(min(count, length) - bar.pos)

        yield done


@contextmanager
def progress_of_events(events: Iterable[E], length: int, label: str) -> Iterator[Iterable[E]]:
    """``events`` (a ledger's, up to sequence number ``length``), moving a bar by each one's sequence
    number as it is read (see ``progress_to``): the bar ends at the last even when only some types
    are read."""
    with progress_to(length, label) as done:
        if done is None:
            yield events
            return

        def read() -> Iterator[E]:
            for event in events:
                done(event.seq)
                yield event
            done(length)  # read to the end: the events of other types after the last one read count too

        yield read()


def parse_as_of(_: Any, __: Any, value: str | None) -> date | None:
    if value is None:
        return None
    from events.errors import InvalidField
    from events.fields import parse_date

    try:
        return parse_date(value, "--as-of")
    except InvalidField as e:
        raise click.BadParameter(e.message) from None


def parse_known_at(_: Any, __: Any, value: str | None) -> int | datetime | None:
    """``--known-at``: see ``known_at_of``."""
    if value is None:
        return None
    from events.errors import InvalidField

    try:
        return known_at_of(value, "--known-at")
    except InvalidField as e:
        raise click.BadParameter(e.message) from None


def known_at_of(value: str, field: str) -> int | datetime:
    """A sequence number, a day (known by the end of that day, UTC) or an instant with a timezone.

    Raises ``InvalidField`` naming ``field``. What ``views.known_at_json`` writes reads back the same.
    """
    from events.fields import parse_date, parse_timestamp

    if value.isascii() and value.isdigit():  # not "²" nor other scripts' digits
        return int(value)
    if len(value) == 10:
        return datetime.combine(parse_date(value, field), time.max, tzinfo=UTC)
    return parse_timestamp(value, field)


def known_at_callback(ctx: click.Context, param: Any, value: str | None) -> int | datetime | None:
    """``--known-at`` parsed; a table then ends with a note when it falls in a migrated history."""
    known_at = parse_known_at(ctx, param, value)
    if known_at is not None:
        note = migration_note(str(ctx.obj), known_at)
        if note:
            ctx.call_on_close(lambda: click.echo(note) if ctx.params.get("fmt", "table") == "table" else None)
    return known_at


def migration_note(location: str, known_at: int | datetime) -> str | None:
    """Say so when what was "known" at ``known_at`` is a migrated history's own recorded_at."""
    from events.errors import PerfledgerError
    from ledger import Store
    from ledger.migration import migration_of

    try:
        with Store.open(location) as store:
            migrated = migration_of(store)
    except PerfledgerError:
        return None  # the command itself will say what is wrong with the ledger
    if migrated is None:
        return None
    upto, at = migrated
    inside = known_at <= upto if isinstance(known_at, int) else known_at < at
    if not inside:
        return None
    return (f"Note: --known-at falls in the migrated history (events 1-{upto}): what was known then is as the"
            " source recorded it, not as this ledger's clock saw it.")


def cut_options(func: Any) -> Any:
    func = click.option(
        "--known-at",
        callback=known_at_callback,
        metavar="SEQ|DATE|TIMESTAMP",
        help="Only events recorded by then: a sequence number, a day (to its end, UTC) "
        "or an instant such as 2012-09-15T12:00:00Z.",
    )(func)
    func = click.option(
        "--as-of",
        callback=parse_as_of,
        metavar="DATE",
        help="Only facts effective on or before DATE (YYYY-MM-DD, inclusive).",
    )(func)
    return click.option("--year", type=int, default=None, help="Plan year. [default: the latest plan]")(func)



def format_option(func: Any) -> Any:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="table for people; json or csv for tools (amounts as decimal strings).",
    )(func)


def locale_option(func: Any) -> Any:
    return click.option(
        "--locale",
        type=click.Choice(["en", "it"]),
        default="en",
        show_default=True,
        help="it: Italian labels, amounts € 1.306.000,00, dates 31/12/2012, percentages 94%; CSV with ;,"
        " decimal comma and a byte order mark.",
    )(func)


def wide_option(func: Any) -> Any:
    return click.option("--wide", is_flag=True,
                        help="Tables show every column and whole titles, however wide (default: 120"
                        " columns, long titles abbreviated with …).")(func)
