"""The CLI as a real process, timed, with its peak resident memory: what every CLI figure measures."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

# The CLI, reporting its peak resident set on exit. VmHWM belongs to the process's own memory map,
# which exec replaced; ru_maxrss from wait4 would also count what this (large) process held at fork.
CLI = [sys.executable, "-c", (
    "import atexit, sys\n"
    "def hwm():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            sys.stderr.write('peak-rss-kib ' + line.split()[1] + '\\n')\n"
    "atexit.register(hwm)\n"
    "from cli.main import main\n"
    "main()"
)]


def run(args: list[str], stdin: Any = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one CLI process (its output discarded)."""
    wall, rss, _ = _timed(args, stdin, subprocess.DEVNULL)
    return wall, rss


def run_output(args: list[str], stdin: Any = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KiB) and standard output of one CLI process."""
    return _timed(args, stdin, subprocess.PIPE)


def _timed(args: list[str], stdin: Any, stdout: int) -> tuple[float, int, str]:
    started = time.perf_counter()
    proc = subprocess.run([*CLI, *args], check=False, stdout=stdout, stderr=subprocess.PIPE, stdin=stdin)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"perfledger {' '.join(args[:3])} failed: {proc.stderr.decode()[:300]}")
    peaks = [int(line.split()[1]) for line in proc.stderr.decode().splitlines()
             if line.startswith("peak-rss-kib ")]
    return elapsed, peaks[-1] if peaks else 0, (proc.stdout or b"").decode()
