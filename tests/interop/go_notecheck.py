"""Build and run notecheck, the Go reader of C2SP checkpoints in tests/interop/notecheck/.

It is built offline: its one dependency, golang.org/x/mod, is replaced by the source tree
Debian's golang-golang-x-mod-dev installs, and a module replaced by a directory needs neither
a download nor a go.sum line. The environment only makes sure nothing is fetched (GOPROXY=off,
GOTOOLCHAIN=local on a Go that would fetch a newer toolchain) and go.mod is read as committed
(GOFLAGS=-mod=readonly, GOWORK=off), whatever the caller's own Go settings.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent / "notecheck"
GO_ENV = {"GOPROXY": "off", "GOFLAGS": "-mod=readonly", "GOWORK": "off", "GOTOOLCHAIN": "local"}
PACKAGES = "golang-go golang-golang-x-mod-dev"


def on_missing_go(environ: Mapping[str, str]) -> None:
    """Fail under CI (any non-empty CI, as for PostgreSQL in tests/backends.py), skip elsewhere."""
    message = f"go is not installed (apt-get install {PACKAGES}), so notecheck cannot be built"
    if environ.get("CI"):
        pytest.fail(f"CI must run the Go interoperability tests: {message}")
    pytest.skip(message)


def build(out_dir: Path) -> Path:
    """notecheck built into ``out_dir``; the test fails, naming go's complaint, if it does not build."""
    go = shutil.which("go")
    if go is None:
        on_missing_go(os.environ)
        raise AssertionError("unreachable: on_missing_go fails or skips")
    binary = out_dir / "notecheck"
    env = {**os.environ, **GO_ENV}
    if not any(env.get(name) for name in ("GOCACHE", "XDG_CACHE_HOME", "HOME")):
        env["GOCACHE"] = str(out_dir / "go-build")  # go refuses to build with nowhere to cache
    done = subprocess.run(
        [go, "build", "-o", str(binary), "."], cwd=SOURCE, env=env,
        capture_output=True, text=True, timeout=300, check=False,
    )
    if done.returncode != 0:
        pytest.fail(
            f"go build of {SOURCE} failed (is {PACKAGES.split()[1]} installed?):\n{done.stderr}"
        )
    return binary


def run(
    binary: Path, note: str | bytes | Path, log_vkeys: Iterable[str], cosigner_vkeys: Iterable[str] = ()
) -> subprocess.CompletedProcess[str]:
    """notecheck's verdict on ``note`` (a file, or text given on stdin): exit code, stdout and stderr."""
    args = [str(binary)]
    args += [arg for key in log_vkeys for arg in ("-vkey", key)]
    args += [arg for key in cosigner_vkeys for arg in ("-cosigner", key)]
    if isinstance(note, Path):
        done = subprocess.run([*args, str(note)], capture_output=True, timeout=60, check=False)
    else:
        data = note.encode() if isinstance(note, str) else note
        done = subprocess.run([*args, "-"], input=data, capture_output=True, timeout=60, check=False)
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )
