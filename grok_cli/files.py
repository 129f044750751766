"""Writing grok's own files safely."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from grok_cli.errors import FileWriteError


def write_private_file(path: Path, text: str) -> None:
    """Write atomically (temp file + rename) with mode 0600 from the start, so the file is never
    briefly readable by others nor ever half-written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    except OSError as e:
        raise _cannot_write(path, e) from None
    try:
        if hasattr(os, "fchmod"):  # POSIX; mkstemp already made it private, this states it
            os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise _cannot_write(path, e) from None
        raise


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and readable by its owner only, unless it exists (then untouched).

    For files that hold what the person wrote or received (the history, the chat's input history);
    OSError when the directory cannot be made or written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _cannot_write(path: Path, error: OSError) -> FileWriteError:
    return FileWriteError(
        f"Cannot write {path}: {error.strerror or error}.",
        "Check that directory's permissions and free space (GROK_HOME moves all of grok's files).",
    )
