"""The output sink of `grok serve`: one turn's events as OpenAI stream chunks, or collected.

``Feed`` is a sink like the CLI's (``on_event``/``close``): it keeps the answer (``Answer``) and
hands the bytes a ``Format`` makes of each event to the HTTP writer once per received chunk of
the upstream stream (the ``Flush`` event), so every token reaches the client as soon as it came
without a write per token. A format says nothing until the answer has started (grok.com
accepted the request), so an early failure can still be a plain HTTP error with its status.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from json.encoder import encode_basestring  # json.dumps of a str, without its per-call set-up
from typing import Any, Protocol

from grok_cli.errors import ExitStatus
from grok_cli.events import Conversation, Done, Error, Event, Flush, Image, Reasoning, Token
from grok_cli.serve import wire
from grok_cli.sinks.base import EventSink


@dataclass
class Answer:
    """What arrived of one answer."""

    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    done: Done | None = None

    def on_event(self, event: Event) -> None:
        if isinstance(event, Token):
            self.text.append(event.text)
        elif isinstance(event, Reasoning):
            self.reasoning.append(event.as_text())
        elif isinstance(event, Image):
            self.images.append(event)
        elif isinstance(event, Done):
            self.done = event

    @property
    def full_text(self) -> str:
        if self.done is not None and self.done.text:
            return self.done.text
        return "".join(self.text)

    @property
    def full_reasoning(self) -> str:
        return "".join(self.reasoning)


class Format(Protocol):
    def on_event(self, event: Event, answer: Answer) -> list[bytes]: ...

    def close(self, status: ExitStatus, answer: Answer) -> list[bytes]: ...


class Collected:
    """No stream: the handler builds one JSON answer from ``Answer`` at the end."""

    def on_event(self, event: Event, answer: Answer) -> list[bytes]:
        return []

    def close(self, status: ExitStatus, answer: Answer) -> list[bytes]:
        return []


class ChatChunks:
    """``chat.completion.chunk`` SSE lines, ``data: [DONE]`` after a complete answer."""

    def __init__(self, model: str, prompt: str, include_usage: bool, created: int | None = None) -> None:
        self.id = wire.new_id("chatcmpl-")
        self.model = model
        self.prompt = prompt
        self.include_usage = include_usage
        self.created = int(time.time()) if created is None else created
        self.started = False
        # A token's chunk is this chunk with its delta's text in the gap: one string encoded per
        # token instead of a whole object (the throughput of a long answer).
        marker = "\x00"
        head, _, tail = wire.sse(wire.chat_chunk(self.id, self.created, self.model, {"k": marker})).partition(
            b'{"k":"\\u0000"}'
        )
        self._around = (head + b'{"', b'":', b"}" + tail)

    def _delta(self, key: str, text: str) -> bytes:
        head, middle, tail = self._around
        return b"".join((head, key.encode(), middle, encode_basestring(text).encode(), tail))

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        return wire.sse(wire.chat_chunk(self.id, self.created, self.model, delta, finish_reason))

    def _start(self) -> list[bytes]:
        if self.started:
            return []
        self.started = True
        return [self._chunk({"role": "assistant", "content": ""})]

    def on_event(self, event: Event, answer: Answer) -> list[bytes]:
        if isinstance(event, Conversation):
            return self._start()
        if isinstance(event, Token) and event.text:
            return [*self._start(), self._delta("content", event.text)]
        if isinstance(event, Reasoning) and event.text:
            return [*self._start(), self._delta("reasoning_content", event.as_text())]
        if isinstance(event, Error) and self.started:
            # grok.com cut the answer: say so where clients look, then why; no [DONE].
            error = {"error": {"message": event.message, "type": "api_error", "code": event.code, "param": None}}
            return [self._chunk({}, "length"), wire.sse(error)]
        return []

    def close(self, status: ExitStatus, answer: Answer) -> list[bytes]:
        if status != ExitStatus.OK:
            return []
        out = [*self._start(), self._chunk({}, "stop")]
        if self.include_usage:
            used = wire.usage(self.prompt, answer.full_text, answer.full_reasoning)
            out.append(wire.sse(wire.usage_chunk(self.id, self.created, self.model, used)))
        out.append(wire.sse("[DONE]"))
        return out


class ResponseEvents:
    """The Responses API event sequence: created, output items and their deltas, completed."""

    def __init__(self, state: wire.ResponseState, prompt: str) -> None:
        self.state = state
        self.prompt = prompt
        self.started = False
        self._sequence = 0
        self._reasoning_open = False
        self._message_open = False
        self._index = 0  # output_index of the item being written
        self._reasoning: list[str] = []  # joined into the state when an object carries it

    def _sync_reasoning(self) -> None:
        self.state.reasoning = "".join(self._reasoning)

    def _event(self, kind: str, **fields: Any) -> bytes:
        data = {"type": kind, "sequence_number": self._sequence, **fields}
        self._sequence += 1
        return wire.sse(data, event=kind)

    def _part(self, kind: str, item_id: str, **fields: Any) -> bytes:
        """An event about the first content part of the output item being written."""
        return self._event(kind, item_id=item_id, output_index=self._index, content_index=0, **fields)

    def _start(self, answer: Answer | None = None) -> list[bytes]:
        """``answer``: the text so far goes into the first objects (close has set it already)."""
        if self.started:
            return []
        self.started = True
        if answer is not None:
            self.state.text = "".join(answer.text)
        body = self.state.body("in_progress")
        return [self._event("response.created", response=body), self._event("response.in_progress", response=body)]

    def _close_reasoning(self) -> list[bytes]:
        if not self._reasoning_open:
            return []
        self._reasoning_open = False
        self._sync_reasoning()
        st = self.state
        out = [
            self._part(
                "response.reasoning_text.done",
                st.reasoning_id,
                text=st.reasoning,
            ),
            self._event("response.output_item.done", output_index=self._index, item=st.reasoning_item("completed")),
        ]
        self._index += 1
        return out

    def _open_message(self) -> list[bytes]:
        if self._message_open:
            return []
        out = self._close_reasoning()
        self._message_open = True
        st = self.state
        out.append(
            self._event("response.output_item.added", output_index=self._index, item=st.message_item("in_progress"))
        )
        out.append(
            self._part(
                "response.content_part.added",
                st.message_id,
                part=st.text_part(""),
            )
        )
        return out

    def on_event(self, event: Event, answer: Answer) -> list[bytes]:
        st = self.state
        if isinstance(event, Conversation):
            return self._start(answer)
        if isinstance(event, Reasoning) and event.text:
            text = event.as_text()
            self._reasoning.append(text)
            if self._message_open:  # late reasoning stays in the final object and the history
                return []
            out = self._start(answer)
            if not self._reasoning_open:
                self._reasoning_open = True
                self._sync_reasoning()
                item = st.reasoning_item("in_progress")
                out.append(self._event("response.output_item.added", output_index=self._index, item=item))
            out.append(
                self._part(
                    "response.reasoning_text.delta",
                    st.reasoning_id,
                    delta=text,
                )
            )
            return out
        if isinstance(event, Token) and event.text:
            # The text is taken from the answer when an object carries it: appending it to the
            # state per token would copy the whole text each time (quadratic in a long answer).
            return [
                *self._start(answer),
                *self._open_message(),
                self._part(
                    "response.output_text.delta",
                    st.message_id,
                    delta=event.text,
                    logprobs=[],
                ),
            ]
        if isinstance(event, Error) and self.started:
            error = {"code": event.code, "message": event.message}
            st.text = "".join(answer.text)
            self._sync_reasoning()
            return [
                self._event("error", code=event.code, message=event.message, param=None),
                self._event("response.failed", response=st.body("failed", error=error)),
            ]
        return []

    def close(self, status: ExitStatus, answer: Answer) -> list[bytes]:
        if status != ExitStatus.OK:
            return []
        st = self.state
        st.text = answer.full_text
        self._sync_reasoning()
        out = [*self._start(), *self._open_message()]
        out += [
            self._part(
                "response.output_text.done",
                st.message_id,
                text=st.text,
                logprobs=[],
            ),
            self._part(
                "response.content_part.done",
                st.message_id,
                part=st.text_part(st.text),
            ),
            self._event("response.output_item.done", output_index=self._index, item=st.message_item("completed")),
            self._event("response.completed", response=st.body("completed", prompt=self.prompt)),
        ]
        return out


class Feed(EventSink):
    """The sink: events into ``answer`` and, through ``format``, into bytes for the client."""

    def __init__(self, format: Format) -> None:
        self.format = format
        self.answer = Answer()
        self._pending: list[bytes] = []
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._ended = False

    def on_event(self, event: Event) -> None:
        self.answer.on_event(event)
        self._pending += self.format.on_event(event, self.answer)
        if isinstance(event, Flush | Error):
            self._push()

    def close(self, status: ExitStatus) -> None:
        if not self._ended:
            self._pending += self.format.close(status, self.answer)
        self.end()

    def end(self) -> None:
        """No more events (also called when the turn ended without closing its sink)."""
        if self._ended:
            return
        self._push()
        self._ended = True
        self._queue.put_nowait(None)

    def _push(self) -> None:
        if self._pending:
            self._queue.put_nowait(b"".join(self._pending))
            self._pending = []

    async def chunks(self) -> AsyncIterator[bytes]:
        """The bytes to write, as they become ready; ends when the turn is over."""
        while True:
            data = await self._queue.get()
            if data is None:
                return
            yield data
