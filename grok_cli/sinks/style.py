"""Terminal styling that becomes a no-op when colour is off, and neutralising server text."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grok_cli.io import IO

# C0/C1 control characters except tab and newline: an answer must not be able to move the
# cursor, retitle the terminal or hide text from the person reading it.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def neutralize(text: str) -> str:
    return _CONTROL.sub(lambda m: "\N{REPLACEMENT CHARACTER}" if m.group() != "\r" else "", text)


def warn(io: IO, message: str) -> None:
    """One warning line on stderr: something went wrong, but grok goes on."""
    io.stderr.write(f"{Style(io.color_stderr).warning('Warning:')} {neutralize(message)}\n")
    io.stderr.flush()


class Style:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled and text else text

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def error(self, text: str) -> str:
        return self._wrap("1;31", text)

    def warning(self, text: str) -> str:
        return self._wrap("33", text)


class StatusText:
    """One dim line on stderr, redrawn in place while something is under way.

    It is drawn over and erased with spaces rather than escape codes, so TERM=dumb terminals get
    it too; who uses it decides whether stderr is a terminal worth drawing on."""

    def __init__(self, io: IO) -> None:
        self._io = io
        self._style = Style(io.color_stderr)
        self._drawn = 0  # width of what is on the line now

    def draw(self, text: str) -> None:
        pad = " " * max(0, self._drawn - len(text))
        self._io.stderr.write("\r" + self._style.dim(text) + pad)
        self._io.stderr.flush()
        self._drawn = len(text)

    def erase(self) -> None:
        if self._drawn:
            self._io.stderr.write("\r" + " " * self._drawn + "\r")
            self._io.stderr.flush()
            self._drawn = 0
