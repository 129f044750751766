"""``--jsonl``: one JSON object per event on stdout, flushed as soon as the stream waits (schema:
events.py)."""

from __future__ import annotations

import json

from grok_cli.errors import ExitStatus
from grok_cli.events import Event, Flush
from grok_cli.io import IO


class JsonlSink:
    def __init__(self, io: IO) -> None:
        self.io = io

    def on_event(self, event: Event) -> None:
        if isinstance(event, Flush):
            self.io.stdout.flush()
            return
        obj = event.to_json()
        if obj is not None:
            self.io.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")

    def close(self, status: ExitStatus) -> None:
        self.io.stdout.flush()
