"""A "thinking…" line on stderr while nothing has arrived yet, erased when the answer starts.

Without it a terminal stays blank from the request until the first token, which for a thinking
mode can be many seconds. It is drawn only on a terminal, with the seconds waited, and cleared
with spaces rather than escape codes so TERM=dumb terminals get it too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from grok_cli.errors import ExitStatus
from grok_cli.events import Conversation, Event, Flush, UserTurn
from grok_cli.io import IO
from grok_cli.sinks.base import Sink
from grok_cli.sinks.style import StatusText

REDRAW_INTERVAL = 0.1
_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_ASCII_SPINNER = "-\\|/"
# What a stream says before anything is shown: the line stays up through these.
_SILENT = (Conversation, UserTurn, Flush)


class StatusLine:
    def __init__(self, io: IO, text: str = "thinking…") -> None:
        self._io = io
        self._text = text
        self._line = StatusText(io)
        self._frames = _SPINNER if io.color_stderr else _ASCII_SPINNER
        self._task: asyncio.Task[None] | None = None
        self._stopped = False

    def start(self) -> None:
        """Show the line from now on (needs a running event loop); only on a terminal."""
        if self._io.stderr_isatty and self._task is None and not self._stopped:
            self._task = asyncio.get_running_loop().create_task(self._spin())

    async def _spin(self) -> None:
        started = self._io.monotonic()
        frame = 0
        while True:
            seconds = int(self._io.monotonic() - started)
            waited = f" {seconds}s" if seconds else ""
            self._line.draw(f"{self._frames[frame % len(self._frames)]} {self._text}{waited}")
            frame += 1
            await asyncio.sleep(REDRAW_INTERVAL)

    def stop(self) -> None:
        """Erase the line for good."""
        self._stopped = True
        if self._task is not None:
            self._task.cancel()
            self._task = None
        with contextlib.suppress(OSError, ValueError):  # a terminal that is gone has nothing to erase
            self._line.erase()


class StatusSink:
    """Passes events on to ``inner``; the first one that shows something erases the status."""

    def __init__(self, inner: Sink, status: StatusLine) -> None:
        self.inner = inner
        self.status = status

    def on_event(self, event: Event) -> None:
        self._seen((event,))
        self.inner.on_event(event)

    def on_events(self, events: Sequence[Event]) -> None:
        self._seen(events)
        self.inner.on_events(events)

    def _seen(self, events: Sequence[Event]) -> None:
        if all(isinstance(e, _SILENT) for e in events):
            self.status.start()  # the request went out (after any uploads): wait visibly
        else:
            self.status.stop()

    def close(self, status: ExitStatus) -> None:
        self.status.stop()
        self.inner.close(status)
