"""``--raw``: the upstream frames exactly as received, one per line, for protocol debugging."""

from __future__ import annotations

from grok_cli.errors import ExitStatus
from grok_cli.events import Event, Flush, RawFrame, StreamWarning
from grok_cli.io import IO
from grok_cli.sinks.base import EventSink
from grok_cli.sinks.style import warn


class RawSink(EventSink):
    def __init__(self, io: IO) -> None:
        self.io = io

    def on_event(self, event: Event) -> None:
        if isinstance(event, RawFrame):
            self.io.stdout.write(event.text + "\n")
        elif isinstance(event, Flush):
            self.io.stdout.flush()
        elif isinstance(event, StreamWarning):
            self.io.stdout.flush()
            warn(self.io, event.message)

    def close(self, status: ExitStatus) -> None:
        self.io.stdout.flush()
