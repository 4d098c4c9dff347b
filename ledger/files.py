"""Files written whole or not at all (checkpoints, cosignatures, keys, a bundle's files), never over
another by accident.

A file is first written to a temporary name beside its path (a link or a rename cannot cross file
systems), created with ``O_EXCL`` and its mode, flushed and fsynced. It is then published: as a new
file with ``os.link``, which fails if the path exists, so a file already there is never overwritten,
even by another process racing this one; or, when the caller means to replace it (``force``), with
``os.replace``, which puts the new file in place of the old in one step. Either way a reader sees the
old file or the new one, whole. Any failure on the way (a full disk, a file-size limit) removes the
temporary file and leaves the path as it was; the error says whether a file was already there.

The standard library only, besides the ledger's own errors.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from pathlib import Path

from ledger.errors import FileNotWritten

_WRITE_SIZE = 1 << 20


class FileAlreadyThere(FileNotWritten, FileExistsError):
    """The path exists and the caller did not ask to replace it; the file there is unchanged."""


def write_new(path: Path, data: bytes, *, force: bool = False, mode: int = 0o644,
              option: str = "--force") -> None:
    """Write ``data`` to a new file at ``path``; with ``force``, in place of the file there.

    ``mode`` is the new file's permissions (less the umask). ``option`` is what the user gives to
    replace a file, named when one is refused. Raises ``FileAlreadyThere`` for an existing path without
    ``force``, ``FileNotWritten`` when the system refuses the write.
    """
    write_new_chunks(path, (data,), force=force, mode=mode, option=option)


def write_new_text(path: Path, text: str, *, force: bool = False, mode: int = 0o644,
                   option: str = "--force") -> None:
    """``write_new`` of ``text`` in UTF-8, its newlines as given (a checkpoint is signed byte for byte)."""
    write_new(path, text.encode("utf-8"), force=force, mode=mode, option=option)


def write_new_chunks(path: Path, chunks: Iterable[bytes], *, force: bool = False, mode: int = 0o644,
                     option: str = "--force") -> None:
    """``write_new`` of data given in parts, so a large file (a bundle's events) is never held whole."""
    if not force:
        refuse_existing(path, option)  # before the work; os.link still refuses a file that appears meanwhile
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.new")
    try:
        _write(temp, chunks, mode)
        if force:
            os.replace(temp, path)
        else:
            try:
                os.link(temp, path)
            except FileExistsError:
                raise FileAlreadyThere(_exists(path, option)) from None
    except FileNotWritten:
        raise
    except OSError as e:
        kept = "the file already there is unchanged" if os.path.lexists(path) else "nothing was written"
        raise FileNotWritten(f"{path} was not written ({e.strerror or e}); {kept}") from e
    finally:
        temp.unlink(missing_ok=True)
    sync_directory(path.parent)


def refuse_existing(path: Path, option: str = "--force") -> None:
    """Raise ``FileAlreadyThere`` if ``path`` exists (for a caller writing several files, before any)."""
    if os.path.lexists(path):
        raise FileAlreadyThere(_exists(path, option))


def _exists(path: Path, option: str) -> str:
    return f"{path} exists: give {option} to replace it"


def _write(temp: Path, chunks: Iterable[bytes], mode: int) -> None:
    """Create ``temp`` (it must not exist) and write every chunk to it, durably."""
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), mode)
    try:
        pending = bytearray()  # small chunks (a bundle's events, one a line) go out in large writes
        for chunk in chunks:
            pending += chunk
            if len(pending) >= _WRITE_SIZE:
                _write_all(fd, pending)
                pending.clear()
        _write_all(fd, pending)
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytearray) -> None:
    view = memoryview(data)
    while view:  # os.write may write less than it is given (a signal, a nearly full disk)
        view = view[os.write(fd, view):]


def sync_directory(directory: Path) -> None:
    """Make a new name durable (a link or a rename is a change of the directory), where the system can."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # the file is in place; some file systems cannot sync a directory
    finally:
        os.close(fd)
