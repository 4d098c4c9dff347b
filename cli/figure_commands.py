"""The figure commands' definitions: budget, achievement, variations, report, explain, demo.

Only options and help live here, so that ``--help`` stays quick; each command
imports the projections (``cli.figures``) when it runs.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import click

from cli.output import format_option, locale_option, to_json


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
    """A sequence number, a day (known by the end of that day, UTC) or an instant with a timezone."""
    if value is None:
        return None
    from events.errors import InvalidField
    from events.fields import parse_date, parse_timestamp

    try:
        if value.isdigit():
            return int(value)
        if len(value) == 10:
            return datetime.combine(parse_date(value, "--known-at"), time.max, tzinfo=UTC)
        return parse_timestamp(value, "--known-at")
    except InvalidField as e:
        raise click.BadParameter(e.message) from None


def cut_options(func: Any) -> Any:
    func = click.option(
        "--known-at",
        callback=parse_known_at,
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



def register(group: click.Group) -> None:
    @group.command(name="budget")
    @cut_options
    @format_option
    @locale_option
    @click.pass_context
    def budget_cmd(ctx: click.Context, year: int | None, as_of: date | None, known_at: Any, fmt: str, locale: str) -> None:
        """Show budget availability per product, objective and line.

        Disponibile = Totale - (Prenotato - Rettificato); a positive rettifica
        releases reserved money. Approvato is shown but does not change Disponibile.

        \b
        Example:
          perfledger budget --as-of 2012-08-31
          perfledger budget --as-of 2012-08-31 --known-at 2012-09-15 --locale it
        """
        from cli.figures import Cut, show_budget
        from cli.main import open_store
        from projections.budget import budget_of

        with open_store(ctx) as store:
            table = budget_of(store, Cut(as_of, known_at), year)  # the read model, or a replay
        click.echo(show_budget(table, fmt, locale))

    @group.command(name="achievement")
    @cut_options
    @format_option
    @locale_option
    @click.pass_context
    def achievement_cmd(ctx: click.Context, year: int | None, as_of: date | None, known_at: Any, fmt: str, locale: str) -> None:
        """Show % achievement per indicator and objective, the entity level and the bands.

        \b
        Example:
          perfledger achievement --format json
          perfledger achievement --known-at 2013-02-01
        """
        from cli.figures import Cut, achievement, plan_replay, show_achievement

        cut = Cut(as_of, known_at)
        with plan_replay(ctx, cut) as (_, known, _):
            result = achievement(known, cut, year)
        click.echo(show_achievement(result, fmt, locale))

    @group.command(name="variations")
    @cut_options
    @format_option
    @locale_option
    @click.pass_context
    def variations_cmd(ctx: click.Context, year: int | None, as_of: date | None, known_at: Any, fmt: str, locale: str) -> None:
        """Show the changes to objectives and the variations indicator.

        ratio = changes with an internal cause / strategic objectives. With
        --format csv, one row per change (the ratio is in table and json).

        \b
        Example:
          perfledger variations --as-of 2012-06-30
        """
        from cli.figures import Cut, achievement, plan_replay, show_variations, variations, variations_target

        cut = Cut(as_of, known_at)
        with plan_replay(ctx, cut) as (_, known, _):
            result = achievement(known, cut, year)
            changes = variations(known, cut, result.year)
        click.echo(show_variations(changes, variations_target(result), fmt, locale))

    @group.command(name="report")
    @cut_options
    @click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
                  help="table for people, json for tools; for csv, ask each table: budget, achievement, variations.")
    @locale_option
    @click.pass_context
    def report_cmd(ctx: click.Context, year: int | None, as_of: date | None, known_at: Any, fmt: str, locale: str) -> None:
        """Show the report's tables together: budget, achievement, variations.

        \b
        Example:
          perfledger report --locale it
          perfledger report --format json > report-2012.json
        """
        from cli.figures import Cut, report_text

        click.echo(report_text(ctx, Cut(as_of, known_at), year, fmt, locale))

    @group.command(name="explain")
    @click.argument("figure", nargs=-1, required=True)
    @cut_options
    @click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
    @click.option("--prove", "checkpoint_file", type=click.Path(exists=True, dir_okay=False),
                  help="Attach to every event its inclusion proof in this signed checkpoint's tree, verified.")
    @click.option("--pubkey", "pubkeys", multiple=True, type=click.Path(exists=True, dir_okay=False),
                  help="With --prove: a signer's public key, to check the checkpoint's signatures.")
    @click.pass_context
    def explain_cmd(ctx: click.Context, figure: tuple[str, ...], year: int | None, as_of: date | None,
                    known_at: Any, fmt: str, checkpoint_file: str | None, pubkeys: tuple[str, ...]) -> None:
        """Show how a figure was reached: the formula with its numbers and every event behind it.

        \b
        FIGURE is one of:
          budget item ITEM COLUMN          budget objective CODE COLUMN|ratio
          budget line CODE COLUMN          budget total COLUMN|ratio
          achievement indicator CODE       achievement objective CODE
          achievement entity               variations
        COLUMN: budget, variations, total, reserved, approved, adjusted, available.

        \b
        Example:
          perfledger explain budget item A1/04/09 available
          perfledger explain achievement objective 08 --format json
          perfledger explain achievement entity --prove checkpoint-398.txt --pubkey cdg.pub
        """
        from cli.figures import Cut, explain, prove, replay

        with replay(ctx) as events:
            derivation = explain(events, list(figure), Cut(as_of, known_at), year)
        if checkpoint_file is not None:
            if not pubkeys:
                raise click.UsageError("--prove needs --pubkey: an unsigned checkpoint proves nothing")
            trusted = [(Path(p).stem, Path(p).read_bytes()) for p in pubkeys]
            derivation = prove(derivation, events, Path(checkpoint_file), trusted)
        click.echo(to_json(derivation.to_dict()) if fmt == "json" else "\n".join(derivation.lines()))

    @group.command(name="demo")
    @click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), default=None,
                  help="The example's events. [default: examples/cciaa-massa-carrara-2012/events.jsonl]")
    @click.pass_context
    def demo_cmd(ctx: click.Context, path: str | None) -> None:
        """Load the 2012 report of CCIAA Massa Carrara into a new ledger and print its figures.

        The ledger goes to --ledger if given, else ./perfledger-demo.db (which must not exist).

        \b
        Example:
          perfledger demo
          perfledger --ledger /tmp/cciaa-2012.db demo
        """
        from cli.figures import EXAMPLE, Cut, report_text
        from cli.main import read_batch
        from ledger import Store
        from ledger.verify import verify

        source = Path(path) if path else EXAMPLE
        if not source.exists():
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
        click.echo(f"Loaded {len(result.written)} events of the 2012 report into {ctx.obj}; {report.count} events,"
                   f" chain intact (head {report.head[:12]}).\n")
        click.echo(report_text(ctx, Cut(), None, "table", "it"))
        click.echo(f"\nTry: perfledger --ledger {ctx.obj} budget --as-of 2012-08-31 --locale it")
