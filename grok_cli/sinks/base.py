"""The sink contract and the fan-out of one event stream to several sinks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from grok_cli.errors import ExitStatus
from grok_cli.events import Event


class Sink(Protocol):
    def on_event(self, event: Event) -> None: ...

    def on_events(self, events: Sequence[Event]) -> None:
        """A batch: what one received chunk gave, in order (it ends with FLUSH while streaming)."""

    def close(self, status: ExitStatus) -> None:
        """The stream is over: complete (OK), interrupted, or failed with ``status``."""


class EventSink:
    """A sink that takes a batch one event at a time; the sinks on the answer's hot path take a
    batch at once instead (one write and one flush per received chunk)."""

    def on_event(self, event: Event) -> None:
        raise NotImplementedError

    def on_events(self, events: Sequence[Event]) -> None:
        for event in events:
            self.on_event(event)


class Tee:
    def __init__(self, *sinks: Sink) -> None:
        self.sinks = sinks

    def on_event(self, event: Event) -> None:
        for sink in self.sinks:
            sink.on_event(event)

    def on_events(self, events: Sequence[Event]) -> None:
        """Each sink gets the whole batch in turn: the first (the history) has recorded all of
        it before the next writes any of it."""
        for sink in self.sinks:
            sink.on_events(events)

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
