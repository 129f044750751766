"""Cutting a streamed Markdown answer into top-level blocks as soon as each one is finished.

A block ends at a blank line outside a fenced code block, but only once the next line is known
not to be indented: an indented line after a blank one continues a list item or an indented
code block, and rendering the two halves apart would break them. Pure, no I/O.

Each piece of text is looked at once, however long the line or block it belongs to: a block is
kept as a list of lines and the line being received as a list of pieces, and they are joined
only when the block is finished or asked for.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# A table's delimiter row: a tail of a table shown without it would not be a table.
_TABLE_DELIMITER = re.compile(r"^ {0,3}\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")


class BlockSplitter:
    def __init__(self) -> None:
        self._lines: list[str] = []  # complete lines of the block in progress
        self._partial: list[str] = []  # the pieces of the line being received
        self._size = 0  # characters in both
        self._fence: str | None = None  # the opening fence while inside fenced code
        self._fence_at = 0  # the index in ``_lines`` of the line that opened it
        self._blank_after = False  # the block's last complete line was blank, outside fences

    def feed(self, text: str) -> list[str]:
        """Add streamed text; return the sources of the blocks it finished, in order."""
        done: list[str] = []
        while text:
            if self._blank_after and not self._partial and text[0] not in " \t\n":
                done.append(self._take())
            newline = text.find("\n")
            if newline < 0:
                self._partial.append(text)
                self._size += len(text)
                return done
            self._partial.append(text[: newline + 1])
            self._size += newline + 1
            text = text[newline + 1 :]
            line = "".join(self._partial)
            self._partial = []
            self._add_line(line)
        return done

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
            else:
                self._size -= len(line)  # blank lines between blocks belong to none
            return
        self._blank_after = False
        opening = _FENCE.match(line)
        if opening:
            self._fence = opening.group(1)
            self._fence_at = len(self._lines)
        self._lines.append(line)

    def _take(self) -> str:
        source = "".join(self._lines).rstrip("\n")
        self._lines = []
        self._size = 0
        self._blank_after = False
        return source

    @property
    def size(self) -> int:
        """How long the block in progress is so far, in characters (free to ask)."""
        return self._size

    @property
    def pending(self) -> str:
        """The source of the block in progress, as far as it has arrived."""
        return ("".join(self._lines) + "".join(self._partial)).strip("\n")

    def tail(self, limit: int, lines: int) -> str:
        """The block in progress, or when it is longer than ``limit`` characters or ``lines``
        lines a source that renders like its end: its first lines (a table's header, a list's
        start), the open fence, and at most ``lines`` lines and about ``limit`` characters of
        its end, cut at a line or a space."""
        if self._size <= limit and len(self._lines) < lines:
            return self.pending
        pieces: list[str] = []
        left = limit
        for piece in reversed(self._partial):
            pieces.append(piece[-left:])
            left -= len(pieces[-1])
            if left <= 0:
                break
        count = 0  # complete lines taken from the end
        while left > 0 and count < min(lines, len(self._lines)):
            count += 1
            pieces.append(self._lines[-count][-left:])
            left -= len(pieces[-1])
        end = "".join(reversed(pieces))
        if left <= 0:  # cut inside a line: start at the next line, or else at a word
            for separator in ("\n", " "):
                cut = end.find(separator)
                if 0 <= cut < len(end) // 2:
                    end = end[cut + 1 :]
                    break
        head_count = 2 if len(self._lines) > 1 and _TABLE_DELIMITER.match(self._lines[1]) else 1
        head = self._lines[: min(head_count, len(self._lines) - count)]
        if self._fence is not None and len(head) <= self._fence_at < len(self._lines) - count:
            head.append(self._lines[self._fence_at])
        return ("".join(head) + end).strip("\n")

    def finish(self) -> str:
        """The end of the stream: whatever is left is the last block."""
        source = self.pending
        self._lines, self._partial, self._size, self._fence, self._blank_after = [], [], 0, None, False
        return source
