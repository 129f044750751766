"""The process's streams and terminal facts, decided once per run and passed everywhere.

Nothing else in grok reads ``sys.stdout`` or asks ``isatty()``: tests build an ``IO`` of their
own, and colour is a value here rather than a question asked at every write.
"""

from __future__ import annotations

import errno
import io as _io
import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TextIO


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def color_wanted(environ: Mapping[str, str], isatty: bool, no_color: bool = False) -> bool:
    """--no-color, NO_COLOR and TERM=dumb switch styling off; FORCE_COLOR switches it on."""
    if no_color or environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return isatty


class ClosedOutput(_io.TextIOBase):
    """The stdout of a process started with it closed: every write fails with EBADF."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


@dataclass
class IO:
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    stdin_isatty: bool
    stdout_isatty: bool
    stderr_isatty: bool
    environ: Mapping[str, str]
    color_stdout: bool = False
    color_stderr: bool = False
    monotonic: Callable[[], float] = field(default=time.monotonic)
    # Asked again at each use: the terminal may be resized while an answer streams.
    terminal_size: Callable[[], os.terminal_size] = field(default=shutil.get_terminal_size)

    @property
    def interactive(self) -> bool:
        """A person can answer a prompt: stdin and stderr are terminals."""
        return self.stdin_isatty and self.stderr_isatty

    @classmethod
    def system(cls, no_color: bool = False) -> IO:
        # A stream the shell closed (`>&-`) is None in Python. Output written there would be lost
        # without a word, so writing to a closed stdout fails like a full disk does; messages on
        # a closed stderr have nowhere to go.
        if sys.stdout is None:
            sys.stdout = ClosedOutput()
        if sys.stderr is None:
            sys.stderr = open(os.devnull, "w", encoding="utf-8")
        for stream in (sys.stdout, sys.stderr):
            # A terminal or locale that cannot show a character must not crash an answer.
            if isinstance(stream, _io.TextIOWrapper):
                stream.reconfigure(errors="replace")
        environ = os.environ
        out_tty, err_tty = _isatty(sys.stdout), _isatty(sys.stderr)
        return cls(
            stdin=sys.stdin,
            stdout=sys.stdout,
            stderr=sys.stderr,
            stdin_isatty=sys.stdin is not None and _isatty(sys.stdin),
            stdout_isatty=out_tty,
            stderr_isatty=err_tty,
            environ=environ,
            color_stdout=color_wanted(environ, out_tty, no_color),
            color_stderr=color_wanted(environ, err_tty, no_color),
        )

    @classmethod
    def for_test(
        cls, stdin: str = "", *, tty: bool = False, color: bool = False, environ: Mapping[str, str] | None = None
    ) -> IO:
        return cls(
            stdin=_io.StringIO(stdin),
            stdout=_io.StringIO(),
            stderr=_io.StringIO(),
            stdin_isatty=tty,
            stdout_isatty=tty,
            stderr_isatty=tty,
            environ=dict(environ or {}),
            color_stdout=color,
            color_stderr=color,
        )
