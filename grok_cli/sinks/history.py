"""Recording a turn in the local history while it streams.

The row is written as soon as grok.com has accepted the request (status ``incomplete``), brought up to
date every ``FLUSH_INTERVAL`` seconds or ``FLUSH_BYTES`` of new text, whichever comes first, and
on the final events, and closed with the real outcome in ``close()``: an answer cut off by Ctrl-C,
SIGTERM or a failure keeps the text that had arrived, and a process killed outright loses at most
the text of one such interval. Streaming writes append what arrived since the last one; the
answer is indexed for search once, by the last write. A history that cannot be written costs a
warning, never the answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from grok_cli.errors import ExitStatus
from grok_cli.events import Conversation, Done, Error, Event, Image, Reasoning, SearchResults, Title, Token, UserTurn
from grok_cli.history import (
    Continuation,
    History,
    HistoryError,
    ImportedTurn,
    TurnUpdate,
    history_errors,
    now_iso,
    open_history,
)
from grok_cli.io import IO
from grok_cli.sinks.base import EventSink
from grok_cli.protocol.payload import ChatRequest
from grok_cli.sinks.style import warn

FLUSH_INTERVAL = 1.0
FLUSH_BYTES = 16 * 1024  # characters, in fact: what a write may lag behind at most, between intervals
# A write that meets another process's lock waits in steps this long: while the answer streams it
# gives up after one and is retried at the next flush, so the stream (and Ctrl-C) never waits
# behind another grok.
STREAMING_BUSY_S = 0.05
FINAL_WAIT_S = 5.0  # the last write of a turn waits this long for the lock, then gives up with a warning
# Stopped by the user or cut off on the way: the answer is partial, not wrong.
_INCOMPLETE = frozenset({ExitStatus.INTERRUPTED, ExitStatus.TERMINATED, ExitStatus.NETWORK})


def open_recorder(io: IO, path: Path, request: ChatRequest, *, title: str | None = None) -> HistorySink | None:
    """A HistorySink for this turn; None (after a warning) when the database is unusable."""
    try:
        history = open_history(path)
    except HistoryError as e:
        warn(io, f"this answer is not saved in the history. {e.message}")
        return None
    assert history is not None
    return HistorySink(
        io,
        history,
        prompt=request.prompt,
        private=request.temporary,
        parent_response_id=request.parent_response_id,
        title=title,
        instructions=request.instructions,
    )


def record_imported(io: IO, path: Path, cont: Continuation, created: str | None, turns: list[ImportedTurn]) -> None:
    """Put a conversation started elsewhere into the history before its follow-up is recorded."""
    try:
        history = open_history(path)
        assert history is not None
        try:
            with history_errors(path):
                history.import_conversation(cont, created, turns)
        finally:
            history.close()
    except HistoryError as e:
        warn(io, f"the earlier turns of {cont.conversation_id} are not saved in the history. {e.message}")


def turn_status(status: ExitStatus) -> str:
    if status == ExitStatus.OK:
        return "complete"
    return "incomplete" if status in _INCOMPLETE else "error"


class HistorySink(EventSink):
    def __init__(
        self,
        io: IO,
        history: History,
        *,
        prompt: str,
        private: bool,
        parent_response_id: str | None,
        title: str | None = None,
        clock: Callable[[], float] | None = None,
        instructions: str = "",
    ) -> None:
        self.io = io
        self.history: History | None = history
        self.prompt = prompt
        self.private = private
        self.parent_response_id = parent_response_id
        self.title = title
        self.instructions = instructions
        self.clock = clock or io.monotonic
        self.started = self.clock()
        self.turn_id: int | None = None
        self.update = TurnUpdate()
        # Text not written yet (the row holds everything before it); Done's full text replaces
        # both when it comes.
        self._answer: list[str] = []
        self._reasoning: list[str] = []
        self._unwritten = 0  # characters in those two lists
        self._flush_at = FLUSH_BYTES  # a write that waited for the lock in vain is not retried per token
        self._final_text: str | None = None
        self._images: dict[str, dict[str, str | None]] = {}
        self._title_changed = False
        self._last_flush = self.started
        self._unstarted: Conversation | None = None  # the turn to create, once the lock is free
        # A turn is recorded once grok.com has accepted the request (a response of any kind came):
        # a refused one (sign-in, Cloudflare, usage limit) leaves no row on either transport, and
        # so no conversation for `grok continue last` that grok.com never had.
        self._accepted = False

    def _elapsed_ms(self) -> int:
        return int((self.clock() - self.started) * 1000)

    def on_events(self, events: Sequence[Event]) -> None:
        """A batch's tokens are taken in, and whether a write is due is asked once at its end."""
        tokens = 0
        for event in events:
            if type(event) is Token:
                if self.update.first_token_ms is None:
                    self.update.first_token_ms = self._elapsed_ms()
                self._answer.append(event.text)
                self._unwritten += len(event.text)
                tokens += 1
            else:
                self.on_event(event)
        if tokens and (self._unwritten >= self._flush_at or self.clock() - self._last_flush >= FLUSH_INTERVAL):
            self._flush()

    def on_event(self, event: Event) -> None:
        upd = self.update
        if isinstance(event, Conversation):
            if self.turn_id is None and event.conversation_id:
                self._unstarted = event
            return
        if isinstance(event, UserTurn | Token | Reasoning | Image | SearchResults) or (
            isinstance(event, Done) and event.response_id
        ):
            self._accepted = True
        if isinstance(event, Token):
            if upd.first_token_ms is None:
                upd.first_token_ms = self._elapsed_ms()
            self._answer.append(event.text)
            self._unwritten += len(event.text)
        elif isinstance(event, Reasoning):
            self._reasoning.append(event.as_text())
            self._unwritten += len(event.text)
        elif isinstance(event, UserTurn):
            upd.user_response_id = event.response_id
        elif isinstance(event, SearchResults):
            upd.web_results += [{"url": r.url, "title": r.title, "preview": r.preview} for r in event.results]
        elif isinstance(event, Image):
            self._images[event.image_id] = {"image_id": event.image_id, "url": event.url, "path": event.path}
        elif isinstance(event, Title):
            self.title, self._title_changed = event.title, True
        elif isinstance(event, Done):
            upd.response_id = event.response_id or upd.response_id
            if event.text:
                self._final_text = event.text
        elif isinstance(event, Error):
            upd.error_code, upd.error_message = event.code, event.message
        else:
            return
        if (
            isinstance(event, Done | Title | UserTurn)
            or self._unwritten >= self._flush_at
            or self.clock() - self._last_flush >= FLUSH_INTERVAL
        ):
            self._flush()

    def close(self, status: ExitStatus) -> None:
        upd = self.update
        upd.status = turn_status(status)
        if upd.status == "complete":
            upd.error_code = upd.error_message = None
        elif upd.error_code is None and upd.status == "error":
            upd.error_code = status.name.lower()
        # An incomplete turn keeps the reason it was cut off (an idle timeout, a network failure);
        # one stopped by Ctrl-C or SIGTERM has none.
        upd.finished = now_iso()
        upd.duration_ms = self._elapsed_ms()
        self._flush(patient=True, final=True)
        if self.history is not None:
            self.history.close()
            self.history = None

    # -- writing ------------------------------------------------------------------------------
    def _start(self, *, patient: bool) -> None:
        event = self._unstarted
        if event is None or not self._accepted:
            return

        def start(history: History) -> None:
            self.turn_id = history.start_turn(
                conversation_id=event.conversation_id,
                model=event.model,
                title=event.title or self.title,
                private=self.private,
                prompt=self.prompt,
                parent_response_id=self.parent_response_id,
                instructions=self.instructions,
            )

        if self._safely(start, patient=patient):
            self._unstarted = None

    def _flush(self, *, patient: bool = False, final: bool = False) -> None:
        self._start(patient=patient)
        if self.turn_id is None:
            return
        self._last_flush = self.clock()
        upd = self.update
        # Done's text is the whole answer: written whole, once, by the last write.
        replace = final and self._final_text is not None
        upd.answer = self._final_text if replace else "".join(self._answer)
        upd.reasoning = "".join(self._reasoning)
        upd.images = list(self._images.values())
        title = self.title if self._title_changed else None
        turn_id = self.turn_id

        def write(history: History) -> None:
            history.update_turn(
                turn_id, upd, title=title, append_answer=not replace, append_reasoning=True, final=final
            )

        if self._safely(write, patient=patient):
            self._answer, self._reasoning, self._unwritten = [], [], 0
        self._flush_at = self._unwritten + FLUSH_BYTES

    def _safely(self, write: Callable[[History], None], *, patient: bool) -> bool:
        """Run ``write``; False when it could not be done (now, or at all).

        Waits for another process's lock happen in short steps from Python, so that Ctrl-C and
        SIGTERM are noticed between them; a patient write (the last one) waits a few seconds.
        """
        import sqlite3

        if self.history is None:
            return False
        deadline = time.monotonic() + (FINAL_WAIT_S if patient else 0.0)
        while True:
            try:
                self.history.set_busy_timeout(STREAMING_BUSY_S)
                write(self.history)
                return True
            except sqlite3.OperationalError as e:
                if getattr(e, "sqlite_errorcode", 0) & 0xFF != sqlite3.SQLITE_BUSY:
                    self._give_up(e)
                    return False
                if time.monotonic() >= deadline:
                    if patient:
                        self._give_up(e)
                    return False  # while streaming: the next flush catches up
            except sqlite3.Error as e:
                self._give_up(e)
                return False

    def _give_up(self, error: Exception) -> None:
        # The answer matters more than its record: warn once, then stop recording.
        assert self.history is not None
        warn(self.io, f"this answer is not saved in the history ({self.history.path}: {error}).")
        self.history.close()
        self.history = None
