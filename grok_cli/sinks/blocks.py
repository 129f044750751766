"""Cutting a streamed Markdown answer into top-level blocks as soon as each one is finished.

A block ends at a blank line outside a fenced code block, but only once the next line is known
not to be indented: an indented line after a blank one continues a list item or an indented
code block, and rendering the two halves apart would break them. Pure, no I/O.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


class BlockSplitter:
    def __init__(self) -> None:
        self._lines: list[str] = []  # complete lines of the block in progress
        self._partial = ""  # the line being received
        self._fence: str | None = None  # the opening fence while inside fenced code
        self._blank_after = False  # the block's last complete line was blank, outside fences

    def feed(self, text: str) -> list[str]:
        """Add streamed text; return the sources of the blocks it finished, in order."""
        done: list[str] = []
        self._partial += text
        while True:
            if self._blank_after and self._partial[:1] not in ("", " ", "\t", "\n"):
                done.append(self._take())
            newline = self._partial.find("\n")
            if newline < 0:
                return done
            line, self._partial = self._partial[: newline + 1], self._partial[newline + 1 :]
            self._add_line(line)

    def _add_line(self, line: str) -> None:
        stripped = line.strip()
        if self._fence is not None:
            if stripped.startswith(self._fence) and stripped.strip(self._fence[0]) == "":
                self._fence = None
            self._lines.append(line)
            return
        if not stripped:
            if self._lines:
                self._lines.append(line)
                self._blank_after = True
            return
        self._blank_after = False
        opening = _FENCE.match(line)
        if opening:
            self._fence = opening.group(1)
        self._lines.append(line)

    def _take(self) -> str:
        source = "".join(self._lines).rstrip("\n")
        self._lines = []
        self._blank_after = False
        return source

    @property
    def pending(self) -> str:
        """The source of the block in progress, as far as it has arrived."""
        return ("".join(self._lines) + self._partial).strip("\n")

    def finish(self) -> str:
        """The end of the stream: whatever is left is the last block."""
        source = self.pending
        self._lines, self._partial, self._fence, self._blank_after = [], "", None, False
        return source
