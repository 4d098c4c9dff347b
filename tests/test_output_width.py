"""Tables fit 120 columns by default (long titles abbreviated with …); --wide shows everything."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli.main import main


def widest(ledger: str, *args: str) -> int:
    result = CliRunner().invoke(main, ["--ledger", ledger, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return max(len(line) for line in result.output.splitlines())


@pytest.mark.parametrize("locale", ["en", "it"])
@pytest.mark.parametrize("command", [["report"], ["budget"], ["budget", "--by", "area"], ["achievement"],
                                     ["variations"]])
def test_every_line_of_a_figures_table_fits_120_columns(example: str, command: list[str],
                                                         locale: str) -> None:
    assert widest(example, *command, "--locale", locale) <= 120


def test_wide_shows_whole_titles_and_every_column(example: str) -> None:
    result = CliRunner().invoke(main, ["--ledger", example, "report", "--wide"])
    assert widest(example, "report", "--wide") > 120
    assert "Istruttoria delle domande presentate sui vari bandi per la partecipazione a fiere estero" in (
        result.output)
    assert "…" not in result.output and " individual " in result.output


def test_the_budget_table_shows_the_item_codes_explain_takes(example: str) -> None:
    text = CliRunner().invoke(main, ["--ledger", example, "budget"]).output
    assert "\nA1/04/09 · 04 · Compartecipazione ad iniziative proposte da Assonautica\n" in text
    wide = CliRunner().invoke(main, ["--ledger", example, "budget", "--wide"]).output
    assert wide.splitlines()[3].split()[:4] == ["Linea", "Obiettivo", "Voce", "Prodotto"]
