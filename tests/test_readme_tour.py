"""The README's tour, run literally on a fresh, non-editable install, so that it cannot rot.

The install is what a user's ``pip install .`` makes: a wheel built from a copy of this checkout
(by pip, with build isolation, as for any user) installed into a new venv with ``--no-deps``. Its
dependencies are this test run's own, reached through a ``.pth`` line naming this venv's
site-packages (a path line in a ``.pth`` file adds a folder, and runs none of the ``.pth`` files in
it, so this checkout's editable install stays out of sight). Nothing of the checkout is on the
new venv's path: ``perfledger demo`` finds its example as package data or not at all.

The tour runs in an empty directory that holds only what a clone's root would give it: ``.venv``
(the fresh install) and ``examples/``. It runs under ``bash -e``, so the first command that fails
ends it, and is named.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
EXAMPLE_EVENTS = ROOT / "examples" / "cciaa-massa-carrara-2012" / "events.jsonl"
PACKAGED_EVENTS = ROOT / "cli" / "example" / "events.jsonl"
# What a copy of the checkout leaves out: environments, caches, ledgers, earlier builds.
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "venv", "__pycache__", "*.egg-info", "build", "dist",
                                    ".hypothesis", ".pytest_cache", ".mypy_cache", ".ruff_cache",
                                    "*.db", "*.db-wal", "*.db-shm")


def tour_block(readme: str) -> str:
    """The first ```sh block after the heading "## A tour"."""
    tour = readme[readme.index("\n## A tour\n"):]
    found = re.search(r"^```sh\n(.*?)^```$", tour, re.DOTALL | re.MULTILINE)
    assert found, "the README's tour has no ```sh block"
    return found.group(1)


def clean_env() -> dict[str, str]:
    """This environment without perfledger's settings, without any venv, and with no folder on PATH
    that holds a perfledger command: only the tour's own activation may bring one."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PERFLEDGER_") and k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    path = [d for d in env.get("PATH", "").split(os.pathsep) if d and not (Path(d) / "perfledger").exists()]
    env["PATH"] = os.pathsep.join(path)
    return env


@pytest.fixture(scope="module")
def fresh_install(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv holding perfledger as ``pip install .`` installs it (not editable)."""
    began = time.monotonic()
    base = tmp_path_factory.mktemp("fresh-install")
    source, venv = base / "perfledger", base / "venv"
    shutil.copytree(ROOT, source, ignore=NOT_COPIED)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    target = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                            check=True, capture_output=True, text=True).stdout.strip()
    ours = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    (Path(target) / "perfledger-test-dependencies.pth").write_text("\n".join(ours) + "\n")
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--disable-pip-version-check",
         "--no-deps", str(source)],
        check=False, capture_output=True, text=True,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    print(f"fresh install in {time.monotonic() - began:.1f} s")
    return venv


def run_in(cwd: Path, script: str) -> subprocess.CompletedProcess[str]:
    """``script`` under ``bash -e`` in ``cwd``; the command that fails is named on stderr."""
    guarded = "trap 'echo \"FAILED: $BASH_COMMAND\" >&2' ERR\n" + script
    return subprocess.run(["bash", "-e", "-c", guarded], check=False, cwd=cwd, env=clean_env(),
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)


def test_the_readme_tour_runs_as_written_on_a_fresh_install(fresh_install: Path, tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(fresh_install)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    began = time.monotonic()
    result = run_in(tmp_path, tour_block(README.read_text(encoding="utf-8")))
    print(f"tour in {time.monotonic() - began:.1f} s")
    assert result.returncode == 0, f"{result.stderr[-3000:]}\n--- stdout ---\n{result.stdout[-3000:]}"
    assert "OK: 518 events, chain intact" in result.stdout  # as the tour's comment says
    assert (tmp_path / "report-2012.json").stat().st_size > 0
    assert (tmp_path / "my-ledger.db").exists()


def test_the_tour_is_reached_through_the_venv_it_names() -> None:
    first = tour_block(README.read_text(encoding="utf-8")).splitlines()[0]
    assert first.startswith("source .venv/bin/activate")


def test_perfledger_demo_works_from_a_non_editable_install(fresh_install: Path, tmp_path: Path) -> None:
    where = run_in(tmp_path, f"{fresh_install}/bin/python -c 'import cli.views; print(cli.views.EXAMPLE)'")
    assert where.returncode == 0, where.stderr
    assert where.stdout.strip().startswith(str(fresh_install)), where.stdout  # package data, not the clone's

    result = run_in(tmp_path, f"{fresh_install}/bin/perfledger demo")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Loaded 515 events of the 2012 report into perfledger-demo.db;")
    assert "Try: perfledger --ledger perfledger-demo.db budget --as-of 2012-08-31" in result.stdout


def test_the_demos_packaged_example_is_the_repositorys_example() -> None:
    # Two copies, one truth: examples/.../build.py writes both; this fails if they ever drift.
    assert PACKAGED_EVENTS.read_bytes() == EXAMPLE_EVENTS.read_bytes()
