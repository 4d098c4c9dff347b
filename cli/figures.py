"""Figure commands (budget, achievement, variations, report, explain); filled in by the projections."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    return None
