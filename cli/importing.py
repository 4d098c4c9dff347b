"""Reading a JSON Lines file of events into a ledger: the machinery behind `import`, `init` and `demo`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from cli.options import progress_bar, signer_of
from ledger.location import is_postgres, sqlite_path

if TYPE_CHECKING:
    from events import Submission


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


def fill_defaults(obj: dict[str, Any], actor: str | None) -> dict[str, Any]:
    if actor is not None and "actor" not in obj:
        obj["actor"] = actor
    return obj


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
    with progress_bar(line_count(data), "Reading", parse_jsonl(data)) as numbered:
        for number, obj in numbered:
            try:
                if isinstance(obj, dict):
                    fill_defaults(obj, actor)
                submission = parse_submission(obj, allow_recorded_at=backfill)
            except PerfledgerError as e:
                raise e.located(line=number) from None
            submissions.append(submission)
            where.setdefault(submission.event_id, number)
    return submissions, where


class JsonlFile:
    """A JSON Lines file of submissions read page by page, from the start each time it is called
    (``ledger.application.Pages``): an import holds a page of it at a time, and reads it again
    when another writer came first.

    A file that cannot be read again (standard input from a pipe, a text stream) is first copied
    to a temporary file. With ``backfill``, the HistoryMigrated that closes the history is computed
    as the pages go by and comes last. ``line_of`` finds an id's line when an error names the id.
    """

    def __init__(self, stream: Any, *, backfill: bool, actor: str | None, key_file: str | None,
                 source: str, closer: str) -> None:
        import tempfile

        self.backfill, self.actor, self.source, self.closer = backfill, actor, source, closer
        self.signer = None if key_file is None else signer_of(key_file)
        self._copy: Any = None
        try:
            self.fileno = stream.fileno()
            os.lseek(self.fileno, 0, os.SEEK_CUR)  # a pipe or a terminal cannot be read again
            if isinstance(stream.read(0), str):
                raise TypeError("a text stream")
        except (AttributeError, OSError, TypeError, ValueError):
            self._copy = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close)
            while chunk := stream.read(1 << 20):
                self._copy.write(chunk.encode("utf-8", "surrogatepass") if isinstance(chunk, str) else chunk)
            self._copy.flush()
            self.fileno = self._copy.fileno()

    def _lines(self, parse: Any = None) -> Iterator[tuple[int, Any]]:
        """The file's lines from its start, as (line number, bytes): ``events.parse.jsonl_lines``, or
        ``parse``, such as ``events.parse.parse_jsonl``."""
        from events.parse import jsonl_lines

        with open(self.fileno, "rb", buffering=1 << 20, closefd=False) as reading:
            reading.seek(0)
            yield from (parse or jsonl_lines)(reading)

    def close(self) -> None:
        if self._copy is not None:
            self._copy.close()

    def length(self) -> int:
        """How many events the file gives, about (its lines, and the HistoryMigrated): for a progress
        bar, which only a terminal shows (none: 0)."""
        import sys

        if not sys.stderr.isatty():
            return 0
        return sum(1 for _ in self._lines()) + self.backfill

    def __call__(self) -> Iterator[list[Submission]]:
        from events.errors import PerfledgerError
        from events.parse import parse_jsonl, parse_submission
        from ledger.application import PAGE
        from ledger.backfill import Digest

        digest = Digest()
        page: list[Submission] = []
        for number, obj in self._lines(parse_jsonl):
            try:
                if isinstance(obj, dict):
                    fill_defaults(obj, self.actor)
                submission = parse_submission(obj, allow_recorded_at=self.backfill)
            except PerfledgerError as e:
                raise e.located(line=number) from None
            if self.backfill:
                digest.add(submission)
            page.append(self._signed(submission))
            if len(page) >= PAGE:
                yield page
                page = []
        if self.backfill and digest.count:
            page.append(self._signed(digest.closing(self.source, self.closer, date.today())))
        if page:
            yield page

    def _signed(self, submission: Submission) -> Submission:
        return submission if self.signer is None else submission.signed_by(self.signer)

    def line_of(self, event_id: str | None) -> int | None:
        """The first line giving this id (None: none), read again from the file."""
        from events.errors import PerfledgerError
        from events.fields import Code
        from events.parse import decode_json

        if event_id is None:
            return None
        code = Code("id")
        for number, line in self._lines():
            if not line.strip():
                continue
            try:
                obj = decode_json(line)
                if isinstance(obj, dict) and "id" in obj and code.parse(obj["id"], "id") == event_id:
                    return number
            except PerfledgerError:
                continue
        return None


def import_batch(location: str, submissions: list[Submission] | JsonlFile, new: tuple[str, str],
                 guard: Any) -> Any:
    """Append the batch, creating the ledger (entity, actor = ``new``) if the path has none.

    Into a new SQLite path the ledger is built aside and published whole; if another import
    publishes first, the batch goes into that ledger instead, checked again against it. A
    failure never removes a file: it can only be one another process wrote.
    """
    from ledger import Store
    from ledger.errors import LedgerNotFound
    from ledger.publish import create_ledger_file

    def write(store: Store) -> Any:
        length = submissions.length() if isinstance(submissions, JsonlFile) else len(submissions)
        with progress_bar(length, "Checking and writing") as bar:
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


def import_spreadsheet(location: str, data: bytes, source: str, new: tuple[str, str], guard: Any, *,
                       actor: str, key_file: str | None, layout: str | None, delimiter: str | None,
                       encoding: str | None) -> Any:
    """Append a spreadsheet's (or CSV file's) facts and its SourceImported as one batch, as
    ``import_batch`` does; a rule's error names the sheet and row of the event it is about."""
    from cli.options import sign_all
    from cli.spreadsheets import read_batch as read_sheets
    from events.errors import PerfledgerError

    batch = read_sheets(data, source, actor=actor, layout=layout, delimiter=delimiter, encoding=encoding)
    try:
        return import_batch(location, sign_all(batch.submissions, key_file), new, guard)
    except PerfledgerError as e:
        where = batch.where(e.event_id)
        if where is None:
            raise
        raise PerfledgerError(f'sheet "{where.sheet}", row {where.row}, event {where.id!r}:'
                              f" {e.message}") from None
