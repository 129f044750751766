"""``--jsonl``: one JSON object per event on stdout, flushed as soon as the stream waits (schema:
events.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from grok_cli.errors import ExitStatus
from grok_cli.events import Event, Flush, StreamWarning, Token
from grok_cli.io import IO
from grok_cli.sinks.base import EventSink
from grok_cli.sinks.style import warn

_DUMPS = json.JSONEncoder(ensure_ascii=False).encode


class JsonlSink(EventSink):
    """A warning is an event on stdout for scripts and, like an error, a line on stderr too."""

    def __init__(self, io: IO) -> None:
        self.io = io

    def on_event(self, event: Event) -> None:
        if isinstance(event, Flush):
            self.io.stdout.flush()
            return
        obj = event.to_json()
        if obj is not None:
            self.io.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
        if isinstance(event, StreamWarning):
            warn(self.io, event.message)

    def on_events(self, events: Sequence[Event]) -> None:
        """One write per batch: its lines, then the flush that ends it."""
        lines: list[str] = []
        dumps = _DUMPS
        for event in events:
            if type(event) is Token:  # the common case, without building a dict
                lines.append(f'{{"type": "token", "text": {dumps(event.text)}}}\n')
            elif isinstance(event, Flush):
                self._write(lines)
                lines = []
                self.io.stdout.flush()
            elif isinstance(event, StreamWarning):
                self._write(lines)
                lines = []
                self.on_event(event)
            elif (obj := event.to_json()) is not None:
                lines.append(dumps(obj) + "\n")
        self._write(lines)

    def _write(self, lines: list[str]) -> None:
        if lines:
            self.io.stdout.write("".join(lines))

    def close(self, status: ExitStatus) -> None:
        self.io.stdout.flush()
