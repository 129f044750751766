"""The answer rendered as Markdown on a terminal, while it streams (design.md section 4).

Finished blocks are rendered once and never touched again; only the block in progress is
redrawn in place. Re-rendering the whole answer at every token, as rich's ``Live`` does, costs
time and bytes quadratic in its length (library-notes.md section 7). Here a redraw happens at
most every ``REDRAW_INTERVAL`` seconds and is paid for from a budget that grows with each
character received, so the rendering work stays linear in the answer; and a redraw rewrites
only the screen lines that changed (a growing paragraph: its last line), so the bytes written
do too. While in progress a block shows at most a screenful (its end): lines that scrolled away
could not be erased. So a redraw of a long block renders only about two screenfuls of its end
(``BlockSplitter.tail``), and costs the same whether the block is a page or a book. Nothing is
looked at twice per token: the budget and the clock are checked before the block in progress
is even joined. Once finished a block is printed whole.

Without colour (NO_COLOR, TERM=dumb, --no-color) not one escape code is written: no styles, no
links, and no redraws either, so blocks appear when they are finished.

Everything else (reasoning, tool calls, sources on stderr) is the plain sink's behaviour; the
block in progress is erased before stderr is written, so the two never tangle on one screen.
"""

from __future__ import annotations

import io as _io
import re

from rich.console import Console

from grok_cli.errors import ExitStatus
from grok_cli.io import IO
from grok_cli.sinks.blocks import BlockSplitter
from grok_cli.sinks.plain import PlainSink
from grok_cli.sinks.style import neutralize

REDRAW_INTERVAL = 0.1  # seconds: at most ~10 redraws a second
# ...and at most a fifth of the time goes to them: highlighting code is slow, and a redraw must
# not hold up the stream it shows.
REDRAW_PAUSE = 4  # times the last redraw took
# Redraw budget earned per character received, spent one per character re-rendered: all the
# redraws together render at most this many times the answer's length.
REDRAW_CREDIT = 12

# Rich pads every line to the full width with unstyled spaces: bytes that show nothing.
_TRAILING_SPACES = re.compile(r" +$", re.MULTILINE)


class MarkdownSink(PlainSink):
    def __init__(self, io: IO, *, show_reasoning: bool = True) -> None:
        super().__init__(io, show_reasoning=show_reasoning)
        self._blocks = BlockSplitter()
        self._redraws = io.color_stdout  # moving the cursor needs escape codes
        self._console: Console | None = None
        self._rendered_any = False  # a block was committed: the next one starts after a blank line
        self._shown: list[str] = []  # the screen lines the block in progress occupies
        self._shown_width = 0  # the terminal's width when they were drawn
        self._credit = 0
        self._next_draw = float("-inf")

    # stdout ----------------------------------------------------------------------------------
    def _write(self, text: str) -> None:
        self._end_err_line()
        self.io.stdout.write(text)
        self.io.stdout.flush()
        if text:
            self._last_out = text[-1]

    def _render(self, source: str) -> str:
        """``source`` as terminal text, one line per screen line, ending with a newline."""
        from rich.markdown import Markdown

        width = max(20, self.io.terminal_size().columns)
        if self._console is None or self._console.width != width:
            self._console = Console(
                file=_io.StringIO(),
                width=width,
                force_terminal=True,
                color_system="auto" if self.io.color_stdout else None,
                highlight=False,
                markup=False,
                emoji=False,
                legacy_windows=False,
            )
        console = self._console
        with console.capture() as capture:
            console.print(Markdown(source, hyperlinks=self.io.color_stdout))
        # Rich starts some blocks (lists, tables) with a blank line; the sink spaces blocks itself.
        text = _TRAILING_SPACES.sub("", capture.get()).strip("\n") + "\n"
        return ("\n" if self._rendered_any else "") + text

    def _erase(self, keep: int = 0) -> None:
        """Remove the block in progress from the screen but its first ``keep`` lines."""
        if self._shown and self.io.terminal_size().columns != self._shown_width:
            # Resized: the terminal reflowed those lines and they can no longer be counted.
            # Leaving them is better than erasing a finished block by mistake.
            self._shown = []
        if len(self._shown) > keep:
            self.io.stdout.write(f"\r\x1b[{len(self._shown) - keep}A\x1b[J")
            del self._shown[keep:]

    def _commit(self, source: str) -> None:
        self._erase()
        self._write(self._render(source))
        self._rendered_any = True

    def _redraw(self, source: str) -> None:
        rows = max(2, self.io.terminal_size().lines)
        lines = self._render(source).splitlines()[-(rows - 1) :]
        same = 0
        for old, new in zip(self._shown, lines):
            if old != new:
                break
            same += 1
        self._erase(keep=same)
        same = len(self._shown)
        self._write("".join(line + "\n" for line in lines[same:]))
        self._shown = lines
        self._shown_width = self.io.terminal_size().columns

    def _maybe_redraw(self) -> None:
        size = self._blocks.size
        if not self._redraws or not size:
            return
        now = self.io.monotonic()
        if now < self._next_draw:
            return
        screen = self.io.terminal_size()
        window = 2 * max(20, screen.columns) * max(2, screen.lines)
        if self._credit < min(size, window):
            return
        source = self._blocks.tail(window, screen.lines)
        if not source.strip():
            return
        self._credit -= len(source)
        self._redraw(source)
        self._next_draw = now + max(REDRAW_INTERVAL, REDRAW_PAUSE * (self.io.monotonic() - now))

    def _answer(self, text: str) -> None:
        text = neutralize(text)
        self._credit += REDRAW_CREDIT * len(text)
        for source in self._blocks.feed(text):
            self._commit(source)
        self._maybe_redraw()

    # stderr: keep it off the block in progress -----------------------------------------------
    def _err(self, text: str, *, styled: bool = True, label: str = "") -> None:
        if self.io.stderr_isatty:
            self._erase()
            self.io.stdout.flush()
        super()._err(text, styled=styled, label=label)

    # the sink contract -----------------------------------------------------------------------
    def close(self, status: ExitStatus) -> None:
        source = self._blocks.finish()
        if source.strip():
            self._commit(source)
        else:
            self._erase()
            self.io.stdout.flush()
        super().close(status)
