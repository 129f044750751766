"""After an answer on a terminal: one dim stderr line saying how to continue the conversation."""

from __future__ import annotations

from grok_cli.errors import ExitStatus
from grok_cli.events import Conversation, Event
from grok_cli.io import IO
from grok_cli.sinks.base import EventSink
from grok_cli.sinks.style import Style

SHORT_ID = 8  # a prefix this long is unique in any real history; `continue` says so if not


class ContinueHint(EventSink):
    def __init__(self, io: IO, *, short: bool) -> None:
        """``short``: the conversation is in the local history, so a prefix of its id will do."""
        self.io = io
        self.short = short
        self.conversation_id: str | None = None

    def on_event(self, event: Event) -> None:
        if isinstance(event, Conversation) and event.conversation_id:
            self.conversation_id = event.conversation_id

    def close(self, status: ExitStatus) -> None:
        if status != ExitStatus.OK or not self.conversation_id or not self.io.stderr_isatty:
            return
        ref = self.conversation_id[:SHORT_ID] if self.short else self.conversation_id
        self.io.stderr.write(Style(self.io.color_stderr).dim(f"Continue: grok continue {ref} \"...\"") + "\n")
        self.io.stderr.flush()
