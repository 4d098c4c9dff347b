"""Ctrl-C around a commit: before it, nothing is written; from it on, the writer finishes and says so.

A SIGINT raises KeyboardInterrupt wherever Python happens to be. Inside
the write transaction that is harmless (it rolls back), but between the
commit and the line that reports it, it would end the program with
"Aborted!" although every event was written. A ``CommitGuard`` makes the
moment unambiguous: until ``commit_begins()`` a SIGINT raises as usual
(nothing is written); from then on it is only recorded (``interrupted``),
until the guard ends, after the result is reported.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any, Self


class CommitGuard:
    """Raise KeyboardInterrupt on SIGINT until the commit begins, then record it until the guard ends."""

    def __init__(self) -> None:
        self.committing = False
        self.interrupted = False
        self._previous: Any = None
        self._installed = False

    def __enter__(self) -> Self:
        # Signal handlers can only be set from the main thread; elsewhere the guard does nothing.
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            # Once the batch is committed and reported, there is nothing left to interrupt: a late Ctrl-C
            # is ignored until the process ends (Python's shutdown would otherwise die of the signal).
            after_commit = self.committing and exc[0] is None
            signal.signal(signal.SIGINT, signal.SIG_IGN if after_commit else self._previous)
            self._installed = False

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        if self.committing:
            self.interrupted = True
        else:
            raise KeyboardInterrupt

    def commit_begins(self) -> None:
        """Called just before the commit: a SIGINT from now on waits until the result is reported."""
        self.committing = True

    def rolled_back(self) -> None:
        """The commit did not happen (another writer came first): a SIGINT recorded meanwhile now counts."""
        self.committing = False
        if self.interrupted:
            self.interrupted = False
            raise KeyboardInterrupt
