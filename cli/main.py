"""perfledger's command line: the group, its --ledger option and the translation of errors.

Every error the ledger or a projection raises is a ``PerfledgerError``; it
becomes one ``Error: ...`` line on stderr and exit status 1, without a
traceback. Bad usage exits 2 and names the parameter (click's convention).

The commands live in one module per family (``COMMANDS`` names where each is); a command's
module is imported only when the command is asked for, and the ledger, the events and the
projections only when it runs, so that `--help` and a mistyped option answer at once.
"""

from __future__ import annotations

import gc
from importlib import import_module
from typing import Any

import click

from ledger.location import DEFAULT_LEDGER

GC_THRESHOLD = (100_000, 50, 100)

# Each command's name, and the module and attribute of its definition.
COMMANDS = {
    "init": "cli.write.init",
    "append": "cli.write.append",
    "import": "cli.write.import_",
    "demo": "cli.write.demo_cmd",
    "template": "cli.templates.template",
    "types": "cli.catalogue.types_cmd",
    "log": "cli.browse.log",
    "show": "cli.browse.show",
    "budget": "cli.figures.budget_cmd",
    "achievement": "cli.figures.achievement_cmd",
    "variations": "cli.figures.variations_cmd",
    "report": "cli.figures.report_cmd",
    "explain": "cli.figures.explain_cmd",
    "diff": "cli.diff.diff_cmd",
    "publish": "cli.publish.command.publish",
    "verify": "cli.audit.verify",
    "export": "cli.audit.export",
    "checkpoint": "cli.checkpoints.checkpoint",
    "actor": "cli.actors.actor",
    "key": "cli.actors.key",
    "db": "cli.admin.db",
}


class LazyGroup(click.Group):
    """A group whose commands are imported when asked for (click's "Lazily Loading Subcommands")."""

    def __init__(self, *args: Any, lazy_subcommands: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # {command name: "module.attribute" of its click.Command}
        self.lazy_subcommands = lazy_subcommands or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy_subcommands])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_subcommands:
            return self._lazy_load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def _lazy_load(self, cmd_name: str) -> click.Command:
        module_name, attribute = self.lazy_subcommands[cmd_name].rsplit(".", 1)
        command = getattr(import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"lazy loading of {self.lazy_subcommands[cmd_name]} did not give a click command")
        return command


class Perfledger(LazyGroup):
    """A group that turns the ledger's errors into one clean line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as e:
            from events.errors import PerfledgerError
            from ledger.proofs import ProofError

            if isinstance(e, (PerfledgerError, ProofError)):
                raise click.ClickException(str(e)) from None
            if isinstance(e, BrokenPipeError):  # `perfledger log | head`: the reader has all it wanted
                _quiet_stdout()
                ctx.exit(141)  # as a shell reports a command ended by SIGPIPE
            if isinstance(e, OSError):
                raise click.ClickException(f"{e.strerror or e}: {e.filename or ''}".rstrip(": ")) from None
            raise


def _quiet_stdout() -> None:
    """Point stdout at the null device, so that flushing it at exit raises no second BrokenPipeError."""
    import os
    import sys

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


@click.group(cls=Perfledger, lazy_subcommands=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
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
