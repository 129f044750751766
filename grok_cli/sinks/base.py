"""The sink contract and the fan-out of one event stream to several sinks."""

from __future__ import annotations

from typing import Protocol

from grok_cli.errors import ExitStatus
from grok_cli.events import Event


class Sink(Protocol):
    def on_event(self, event: Event) -> None: ...

    def close(self, status: ExitStatus) -> None:
        """The stream is over: complete (OK), interrupted, or failed with ``status``."""


class Tee:
    def __init__(self, *sinks: Sink) -> None:
        self.sinks = sinks

    def on_event(self, event: Event) -> None:
        for sink in self.sinks:
            sink.on_event(event)

    def close(self, status: ExitStatus) -> None:
        """Close every sink even if one fails (a closed stdout must not stop the history)."""
        failure: BaseException | None = None
        for sink in self.sinks:
            try:
                sink.close(status)
            except BaseException as e:
                failure = failure or e
        if failure is not None:
            raise failure
