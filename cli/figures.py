"""The figure commands: budget, achievement, variations, report, explain.

Only options and help live at the top of this module, so that ``--help`` stays quick; each command
imports the projections (and ``cli.views``, which builds and prints their rows) when it runs.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from cli.options import cut_options, format_option, locale_option, open_store, wide_option


@click.command(name="budget")
@cut_options
@format_option
@locale_option
@wide_option
@click.option("--by", type=click.Choice(["line", "objective", "area"]), default="line", show_default=True,
              help="line: the policy line -> strategic objective -> product pivot; objective: by the"
              " objective each item belongs to; area: by that objective's area (or its nearest ancestor's).")
@click.pass_context
def budget_cmd(ctx: click.Context, year: int | None, as_of: date | None, known_at: Any, fmt: str,
               locale: str, wide: bool, by: str) -> None:
    """Show budget availability per product, objective and line.

    Disponibile = Totale - (Prenotato - Rettificato); a positive rettifica
    releases reserved money. Approvato is shown but does not change Disponibile.
    An item belongs to one objective of the tree, on any level: by line, it
    counts under that objective's strategic ancestor; items on no policy line
    are grouped apart. Every view's subtotals add up to the same grand total.

    \b
    Example:
      perfledger budget --as-of 2012-08-31
      perfledger budget --as-of 2012-08-31 --known-at 2012-09-15 --locale it
      perfledger budget --by area --wide
    """
    from cli.header import header_of_store
    from cli.views import budget_output, plan_replay, plan_year_and_closing
    from projections.budget import budget_of
    from projections.closing import closing_of
    from projections.facts import Cut

    cut = Cut(as_of, known_at)
    objectives = None
    if by == "line":
        with open_store(ctx) as store:
            head = store.length()
            found, closed = plan_year_and_closing(store, head, cut, year)
            table = budget_of(store, cut, found, upto=head)  # the read model, or a replay
            header = header_of_store(store, head, cut, found)
    else:
        from projections.achievement import achievement
        from projections.tree import tree

        with plan_replay(ctx, cut) as (store, known, head):
            objectives = tree(achievement(known, cut, year))
            table = budget_of(store, cut, objectives.achievement.year, upto=head)
            closed = closing_of(store, cut, objectives.achievement.year, upto=head)
            header = header_of_store(store, head, cut, objectives.achievement.year)
    click.echo(budget_output(table, closed, fmt, locale, by, objectives, header, wide))

@click.command(name="achievement")
@cut_options
@format_option
@locale_option
@wide_option
@click.option("--level", metavar="LEVEL", help="Only the objectives of this level of the plan's tree.")
@click.option("--area", metavar="AREA", help="Only the objectives of this area, under the objectives above"
              " them (whose roll-up then counts this area's children only).")
@click.pass_context
def achievement_cmd(ctx: click.Context, year: int | None, as_of: date | None, known_at: Any, fmt: str,
                    locale: str, wide: bool, level: str | None, area: str | None) -> None:
    """Show % achievement per indicator and objective, the entity level and the bands.

    Objectives are shown as the plan's tree, indented by level. "own" is an
    objective's figure from its own indicators; "roll-up" is its children's
    on the level below, by the plan's rule (pooled: sum(w r) / sum(w) over
    their indicators; mean: the mean of their own figures). The entity level
    is the mean of the strategic (the plan's entity level) objectives' own.

    \b
    Example:
      perfledger achievement --format json
      perfledger achievement --known-at 2013-02-01
      perfledger achievement --area AMM
    """
    from cli.header import header_of_store
    from cli.views import achievement_output, plan_replay
    from projections.achievement import achievement
    from projections.budget import budget_of
    from projections.closing import closing_of
    from projections.facts import Cut

    cut = Cut(as_of, known_at)
    with plan_replay(ctx, cut) as (store, known, head):
        result = achievement(known, cut, year)
        table = budget_of(store, cut, result.year, upto=head)  # for the objectives' resources
        closed = closing_of(store, cut, result.year, upto=head)
        header = header_of_store(store, head, cut, result.year)
    click.echo(achievement_output(result, closed, fmt, locale, table, level, area, header, wide))

@click.command(name="variations")
@cut_options
@format_option
@locale_option
@wide_option
@click.pass_context
def variations_cmd(ctx: click.Context, year: int | None, as_of: date | None, known_at: Any, fmt: str,
                   locale: str, wide: bool) -> None:
    """Show the changes to objectives and the variations indicator.

    ratio = changes with an internal cause / strategic objectives. With
    --format csv, one row per change (the ratio is in table and json).

    \b
    Example:
      perfledger variations --as-of 2012-06-30
      perfledger variations --format csv --locale it > variazioni.csv
    """
    from cli.header import header_of_store
    from cli.views import plan_replay, variations_output, variations_target
    from projections.achievement import achievement
    from projections.facts import Cut
    from projections.variations import variations

    cut = Cut(as_of, known_at)
    with plan_replay(ctx, cut) as (store, known, head):
        result = achievement(known, cut, year)
        changes = variations(known, cut, result.year)
        header = header_of_store(store, head, cut, result.year)
    click.echo(variations_output(changes, variations_target(result), fmt, locale, header, wide))

@click.command(name="report")
@cut_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="table for people, json for tools; for csv, ask each table: "
              "budget, achievement, variations.")
@locale_option
@wide_option
@click.pass_context
def report_cmd(ctx: click.Context, year: int | None, as_of: date | None, known_at: Any, fmt: str,
               locale: str, wide: bool) -> None:
    """Show the report's tables together: budget, achievement, variations.

    \b
    Example:
      perfledger report --locale it
      perfledger report --format json > report-2012.json
    """
    from cli.views import report_text
    from projections.facts import Cut

    click.echo(report_text(ctx, Cut(as_of, known_at), year, fmt, locale, wide))

@click.command(name="explain")
@click.argument("figure", nargs=-1, required=True)
@cut_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people (figures rounded as reports round them); json with every figure"
              " unrounded.")
@locale_option
@click.option("--prove", "checkpoint_file", type=click.Path(exists=True, dir_okay=False),
              help="Attach to every event its inclusion proof in this signed checkpoint's tree, verified.")
@click.option("--vkey", "--pubkey", "pubkeys", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="With --prove: a signer's verifier key (NAME.vkey) or PEM public key (repeatable).")
@click.pass_context
def explain_cmd(ctx: click.Context, figure: tuple[str, ...], year: int | None, as_of: date | None,
                known_at: Any, fmt: str, locale: str, checkpoint_file: str | None,
                pubkeys: tuple[str, ...]) -> None:
    """Show how a figure was reached: the formula with its numbers and every event behind it.

    \b
    FIGURE is one of:
      budget item ITEM COLUMN          budget objective CODE COLUMN|ratio
      budget line CODE COLUMN          budget total COLUMN|ratio
      budget resources CODE budget|reserved
      achievement indicator CODE       achievement objective CODE
      achievement rollup CODE [AREA]   achievement entity
      variations
    COLUMN: budget, variations, total, reserved, approved, adjusted, available.
    A roll-up is of an objective's children (of one AREA only, if given);
    resources are the items of an objective and of its descendants.
    The text starts with the cut and ends its first step with the figure as
    reports print it (rounded half-up) and its band.

    \b
    Example:
      perfledger explain budget item A1/04/09 available
      perfledger explain achievement objective 08 --format json
      perfledger explain achievement entity --locale it
      perfledger explain achievement rollup 16 AMM
      perfledger explain achievement entity --prove checkpoint-398.txt --vkey cdg.vkey
    """
    from cli.views import explain, explain_output, prove, replay
    from projections.facts import Cut

    cut = Cut(as_of, known_at)
    with replay(ctx) as events:
        derivation = explain(events, list(figure), cut, year)
    if checkpoint_file is not None:
        if not pubkeys:
            raise click.UsageError("--prove needs --vkey: an unsigned checkpoint proves nothing")
        from ledger.proofs import read_verifier

        trusted = [read_verifier(Path(p)) for p in pubkeys]
        derivation = prove(derivation, events, Path(checkpoint_file), trusted)
    click.echo(explain_output(derivation, events, list(figure), cut, year, fmt, locale))
