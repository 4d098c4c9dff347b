"""Administering a ledger: db grant (PostgreSQL roles), db upgrade (the schema), db refresh (the caches)."""

from __future__ import annotations

import click

from cli.options import open_store


@click.group()
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
    from ledger import admin as ledger_admin

    with open_store(ctx) as store:
        ledger_admin.grant(store, role, name)
    rights = "insert and read" if role == "controller" else "read"
    click.echo(f"Role {name!r} may now {rights} events in {store.location}.")

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
    from ledger import admin as ledger_admin

    with open_store(ctx) as store:
        click.echo(ledger_admin.upgrade(store))


@db.command()
@click.option("--rebuild", is_flag=True,
              help="Empty every cache first and make it all again from the events (when verify finds one"
              " wrong).")
@click.pass_context
def refresh(ctx: click.Context, rebuild: bool) -> None:
    """Bring the caches (read model, budget checkpoints, snapshots) up to the head (run it as the owner).

    A controller's appends on PostgreSQL leave the caches behind; queries stay exact (they fold
    what the caches lack), and this makes them fast again. The caches are never trusted blindly:
    `perfledger verify` rebuilds them and names one that differs; --rebuild replaces them all.

    \b
    Example:
      perfledger --ledger postgresql://owner@db.example/perf db refresh
      perfledger --ledger cciaa.db db refresh --rebuild
    """
    from ledger import admin as ledger_admin

    with open_store(ctx) as store:
        click.echo(ledger_admin.refresh(store, rebuild=rebuild))
