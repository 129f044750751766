"""``--jsonl``: one JSON object per event on stdout, flushed per line (schema: events.py)."""

from __future__ import annotations

import json

from grok_cli.errors import ExitStatus
from grok_cli.events import Event
from grok_cli.io import IO


class JsonlSink:
    def __init__(self, io: IO) -> None:
        self.io = io

    def on_event(self, event: Event) -> None:
        obj = event.to_json()
        if obj is None:
            return
        self.io.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.io.stdout.flush()

    def close(self, status: ExitStatus) -> None:
        pass
