"""Progress bars: on every job that reads a long ledger, on a terminal's stderr only.

Each command runs as a user runs it (a subprocess), once with its stderr on a real pseudo-terminal
(``pty``), where the bar must appear, and once with its stderr in a pipe, where nothing but errors
may; its stdout, not a terminal either time, must be the same both times: the bar never mixes
with what a command prints. The ledger is generated (``benchmarks.generate``) just long enough to count as
long work (``cli.options.LONG_WORK``); a ledger below it shows no bar, even on a terminal.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks.generate import write
from cli.main import main
from cli.options import LONG_WORK

PERFLEDGER = Path(sys.executable).parent / "perfledger"
EVENTS = LONG_WORK + 500


@pytest.fixture(scope="module")
def long_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("long-ledger")
    source = folder / "events.jsonl"
    with source.open("w", encoding="utf-8") as out:
        write(EVENTS, 7, out)
    ledger = folder / "long.db"
    result = CliRunner().invoke(main, ["--ledger", str(ledger), "import", str(source), "--backfill",
                                       "--entity", "Regione"])
    assert result.exit_code == 0, result.output
    return ledger


def on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """Exit status, stdout (a file) and what reached stderr, a pseudo-terminal."""
    leader, follower = pty.openpty()
    printed = cwd / "stdout.txt"
    with printed.open("wb") as stdout:
        process = subprocess.Popen([str(PERFLEDGER), *args], cwd=cwd, stdin=subprocess.DEVNULL,
                                   stdout=stdout, stderr=follower, env=_env())
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the command closed its end: all has been read
            break
        if not chunk:
            break
        seen += chunk
    code = process.wait(60)
    os.close(leader)
    return code, printed.read_text(encoding="utf-8"), seen.decode(errors="replace")


def in_a_pipe(args: list[str], cwd: Path) -> tuple[int, str, str]:
    result = subprocess.run([str(PERFLEDGER), *args], cwd=cwd, check=False, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, env=_env(), timeout=60)
    return result.returncode, result.stdout, result.stderr


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PERFLEDGER_")} | {"COLUMNS": "100"}


# Each long job, the bar's label, and the arguments that make it (after --ledger LEDGER).
JOBS = [
    ("verify", "Verifying", ["verify"]),
    ("verify --quick", "Verifying", ["verify", "--quick"]),
    ("export", "Exporting", ["export", "--bundle", "{tmp}/bundle"]),
    ("report", "Reading the ledger", ["report", "--format", "json"]),
    ("achievement", "Reading the ledger", ["achievement"]),
]


@pytest.mark.parametrize(("label", "args"), [(label, args) for _, label, args in JOBS],
                         ids=[name for name, _, _ in JOBS])
def test_a_long_job_shows_a_bar_on_a_terminal_and_nothing_in_a_pipe(long_ledger: Path, tmp_path: Path,
                                                                     label: str, args: list[str]) -> None:
    given = [a.replace("{tmp}", str(tmp_path / "tty")) for a in args]
    code, out, terminal = on_a_terminal(["--ledger", str(long_ledger), *given], tmp_path)
    assert code == 0, terminal
    assert f"{label}  [" in terminal and "100%" in terminal, terminal

    piped = [a.replace("{tmp}", str(tmp_path / "pipe")) for a in args]
    code, piped_out, stderr = in_a_pipe(["--ledger", str(long_ledger), *piped], tmp_path)
    assert (code, stderr) == (0, "")
    assert piped_out == out.replace(str(tmp_path / "tty"), str(tmp_path / "pipe"))


def test_an_import_of_a_long_file_shows_its_bar_on_a_terminal_too(tmp_path: Path) -> None:
    source = tmp_path / "events.jsonl"
    with source.open("w", encoding="utf-8") as out:
        write(EVENTS, 7, out)

    code, _, terminal = on_a_terminal(["--ledger", str(tmp_path / "new.db"), "import", str(source),
                                       "--backfill", "--entity", "Regione"], tmp_path)

    assert code == 0, terminal
    assert "Checking and writing  [" in terminal


def test_a_short_ledger_shows_no_bar_even_on_a_terminal(tmp_path: Path) -> None:
    from tests.conftest import EXAMPLE_DIR

    ledger = tmp_path / "short.db"
    assert CliRunner().invoke(main, ["--ledger", str(ledger), "import", str(EXAMPLE_DIR / "events.jsonl"),
                                     "--backfill"]).exit_code == 0

    for args in (["verify"], ["report"], ["export", "--bundle", str(tmp_path / "bundle")]):
        code, _, terminal = on_a_terminal(["--ledger", str(ledger), *args], tmp_path)
        assert (code, terminal) == (0, ""), args
