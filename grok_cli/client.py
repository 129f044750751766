"""The library API the CLI is built on: send a prompt, get an async stream of events.

    async with Client(settings, credentials) as client:
        stream = client.chat(ChatRequest("why?", mode="fast"))
        async for event in stream:
            ...

A ChatStream remembers what arrived, so after a failure or an interruption
``stream.partial_done()`` still describes the answer as far as it came. Which transport
carries it (REST NDJSON or the WebSocket gateway, ``settings.transport``) changes nothing
in the events it yields.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from grok_cli import transport_choice as transports
from grok_cli.auth.credentials import Credentials
from grok_cli.config import Settings
from grok_cli.errors import GrokError, RateLimitedError, TransportGoneError
from grok_cli.events import FLUSH, Conversation, Done, Event, RawFrame
from grok_cli.protocol.answer import AnswerState
from grok_cli.protocol.framing import LineSplitter, parse_line, parse_lines
from grok_cli.protocol.models import MODES_BODY, MODES_PATH, Offered, parse_modes
from grok_cli.protocol.normalize import Normalizer
from grok_cli.protocol.payload import ChatRequest, chat_body
from grok_cli.protocol.upload import Attachment
from grok_cli.transport_choice import NAMES, Choice

if TYPE_CHECKING:
    from grok_cli.attachments import LocalFile
    from grok_cli.protocol import quota as quotas
    from grok_cli.transport.upload import Uploader

# Explaining a rate limit is a courtesy: it must not hold up the exit for long.
EXPLAIN_TIMEOUT = 5.0


class ChatStream:
    """One answer from one transport; subclasses say how its events arrive."""

    transport = ""
    normalizer_class: type[AnswerState] = AnswerState

    def __init__(
        self,
        connection,  # GrokHTTP or GrokGateway; untyped so importing this never imports curl_cffi
        request: ChatRequest,
        *,
        raw: bool,
        clock: Callable[[], float],
        assets_url: str,
    ) -> None:
        self._connection = connection
        self.request = request
        self._raw = raw
        self.normalizer = self.normalizer_class(
            model=request.mode,
            assets_url=assets_url,
            clock=clock,
            conversation_id=request.conversation_id,
            attachments=request.attachments,
        )

    @property
    def started(self) -> bool:
        return self.normalizer.started

    def partial_done(self) -> Done:
        return self.normalizer.done(complete=False)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self.events()

    def events(self) -> AsyncIterator[Event]:
        """The events one by one (``batches`` is what the CLI reads)."""
        return _one_by_one(self.batches())

    async def batches(self) -> AsyncIterator[list[Event]]:
        """The events in batches: what one received chunk (a REST read, a gateway message) gave,
        ending with FLUSH; the last batch ends with the Done. On failure, the events that came
        before it are yielded first."""
        norm = self.normalizer
        async with contextlib.aclosing(self._receive()) as received:
            async for batch in received:
                yield batch
        tail = norm.finish()
        error = norm.ending_error()
        if error is not None:
            if tail:
                yield tail
            raise error
        tail.append(norm.done(complete=True))
        yield tail

    def _receive(self) -> AsyncIterator[list[Event]]:
        raise NotImplementedError


async def _one_by_one(batches: AsyncIterator[list[Event]]) -> AsyncIterator[Event]:
    async with contextlib.aclosing(batches):  # type: ignore[type-var]
        async for batch in batches:
            for event in batch:
                yield event


class RestChatStream(ChatStream):
    """NDJSON over POST /rest/app-chat/conversations/... (protocol sections 4 and 5)."""

    transport = "rest"
    normalizer_class = Normalizer

    async def _receive(self) -> AsyncIterator[list[Event]]:
        req = self.request
        referer = None
        if req.is_follow_up:
            # A follow-up stream has no conversation line; say which conversation this is.
            yield [Conversation(req.conversation_id or "", None, req.mode)]
            referer = f"{self._connection.base_url}/c/{req.conversation_id}?rid={req.parent_response_id}"
        splitter = LineSplitter()
        async for chunk in self._connection.stream(req.path, chat_body(req), referer=referer):
            if self._raw:
                batch, error = self._lines(splitter.feed(chunk))
            else:
                batch, error = self._frames(parse_lines(splitter.complete(chunk)))
            if error is not None:
                if batch:
                    yield batch  # what came before the error is shown and recorded
                raise error
            batch.append(FLUSH)
            yield batch
        batch, error = self._lines(splitter.flush())
        if batch:
            yield batch
        if error is not None:
            raise error

    def _frames(self, frames: list[dict[str, Any]]) -> tuple[list[Event], GrokError | None]:
        """The events of ``frames``, and the error one of them reported (the frames after it unread)."""
        events: list[Event] = []
        feed = self.normalizer.feed
        try:
            for frame in frames:
                events += feed(frame)
        except GrokError as e:
            return events, e
        return events, None

    def _lines(self, lines: list[bytes]) -> tuple[list[Event], GrokError | None]:
        """Line by line, each frame preceded by its RawFrame with --raw."""
        events: list[Event] = []
        for line in lines:
            if self._raw and line.strip():
                events.append(RawFrame(line.decode("utf-8", errors="replace")))
            more, error = self._frames(parse_line(line)[0])
            events += more
            if error is not None:
                return events, error
        return events, None


class GatewayChatStream(ChatStream):
    """JSON events over the WebSocket gateway /ws/mgw/ (protocol section 9)."""

    transport = "ws"

    def __init__(self, *args: Any, **options: Any) -> None:
        from grok_cli.protocol.gateway import GatewayNormalizer  # a REST answer never needs it

        self.normalizer_class = GatewayNormalizer
        super().__init__(*args, **options)

    async def _receive(self) -> AsyncIterator[list[Event]]:
        batch: list[Event] = []
        try:
            async with contextlib.aclosing(self._connection.turn(self.request, self.normalizer, raw=self._raw)) as events:
                async for event in events:
                    batch.append(event)
                    if event is FLUSH:
                        yield batch
                        batch = []
        except GrokError:
            if batch:
                yield batch  # what came before the error is shown and recorded
            raise
        if batch:
            yield batch


class FallbackChatStream:
    """``--transport auto``: the first transport, and the other one once if the first is gone.

    Only a failure that means "grok.com no longer speaks this transport" (TransportGoneError)
    before any answer arrived switches; auth, rate-limit and every other error stay final.
    ``on_answer`` learns which transport carried the answer, once its first event arrived.
    """

    def __init__(
        self,
        first: ChatStream,
        second: Callable[[], ChatStream],
        warn: Callable[[str], None],
        on_answer: Callable[[str], None] = lambda transport: None,
    ) -> None:
        self.current = first
        self._second = second
        self._warn = warn
        self._on_answer = on_answer

    @property
    def request(self) -> ChatRequest:
        return self.current.request

    @property
    def started(self) -> bool:
        return self.current.started

    def partial_done(self) -> Done:
        return self.current.partial_done()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self.events()

    def events(self) -> AsyncIterator[Event]:
        return _one_by_one(self.batches())

    async def batches(self) -> AsyncIterator[list[Event]]:
        # A follow-up announces its conversation before the request is sent; hold that back
        # until the transport has proved itself, so a switch does not announce it twice.
        held: list[Event] = []
        answered = False
        try:
            async with contextlib.aclosing(self.current.batches()) as batches:
                async for batch in batches:
                    if not answered and self.current.request.is_follow_up:
                        leading = 0
                        while leading < len(batch) and isinstance(batch[leading], Conversation):
                            leading += 1
                        held += batch[:leading]
                        batch = batch[leading:]
                        if not batch:
                            continue
                    if not answered:
                        answered = True
                        self._on_answer(self.current.transport)
                    if held:
                        batch, held = held + batch, []
                    yield batch
            return
        except TransportGoneError as e:
            if answered:
                raise
            first = self.current.transport
            self.current = self._second()
            self._warn(f"{e.message} Trying the {NAMES[self.current.transport]} instead of the {NAMES[first]}.")
        except GrokError:
            if held:  # not a switch after all: announce the conversation as REST alone does
                yield held
            raise
        answered = False
        async with contextlib.aclosing(self.current.batches()) as batches:
            async for batch in batches:
                if not answered:
                    answered = True
                    self._on_answer(self.current.transport)
                yield batch


class Client:
    def __init__(
        self,
        settings: Settings,
        credentials: Credentials,
        clock: Callable[[], float] = time.monotonic,
        warn: Callable[[str], None] | None = None,
    ):
        from grok_cli.transport.http import GrokHTTP

        self.settings = settings
        self.http = GrokHTTP(settings, credentials)
        self._clock = clock
        self._warn = warn or (lambda message: None)
        self._gateway = None
        self._uploader: Uploader | None = None
        self._choice: Choice | None = None

    async def __aenter__(self) -> Client:
        await self.http.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.__aexit__(*exc)

    async def upload(self, file: LocalFile, on_progress: Callable[[int, int], None] | None = None) -> Attachment:
        """Upload one file; its ``file_id`` goes into a ChatRequest (``payload.with_attachments``)."""
        from grok_cli.transport.upload import Uploader

        if self._uploader is None:
            self._uploader = Uploader(self.http)
        return await self._uploader.upload(file, on_progress)

    async def modes(self) -> list[Offered]:
        """The modes grok.com offers this account (POST /rest/modes)."""
        return parse_modes(await self.http.request_json("POST", MODES_PATH, MODES_BODY))

    async def quota(self, mode: str) -> quotas.Quota:
        """What is left of ``mode``'s usage quota (POST /rest/rate-limits)."""
        from grok_cli.protocol import quota as quotas

        answer = await self.http.request_json("POST", quotas.RATE_LIMITS_PATH, quotas.rate_limits_body(mode))
        return quotas.parse_rate_limits(answer)

    async def explain_rate_limit(self, mode: str, error: RateLimitedError) -> RateLimitedError:
        """``error`` told with when ``mode``'s quota resets, if grok.com says; else ``error`` itself."""
        try:
            quota = await asyncio.wait_for(self.quota(mode), EXPLAIN_TIMEOUT)
        except (GrokError, TimeoutError):
            return error
        from grok_cli.protocol import quota as quotas

        return quotas.explain(error, mode, quota)

    @property
    def transport_choice(self) -> Choice:
        """The transport the next turn starts with, and why (``transport_choice.choose``)."""
        if self._choice is None:
            self._choice = transports.choose(self.settings, self._account)
        return self._choice

    @property
    def _account(self) -> str:
        return transports.account_key(self.settings.base_url, self.http.credentials)

    def chat(self, request: ChatRequest, *, raw: bool = False) -> ChatStream | FallbackChatStream:
        """A stream over ``settings.transport``: rest, ws, or auto (the gateway first, or what
        answered last time for this account, then the other one if the first is gone)."""
        choice = self.transport_choice
        fallback = choice.fallback
        if fallback is None:
            return self._stream(choice.transport, request, raw)
        return FallbackChatStream(
            self._stream(choice.transport, request, raw),
            lambda: self._stream(fallback, request, raw),
            self._warn,
            on_answer=self._answered_over,
        )

    def _answered_over(self, transport: str) -> None:
        """``auto``: the next turn, and the next run, start with the transport that answered."""
        transports.remember(self.settings, self._account, transport)
        if transport != self.transport_choice.transport:
            other = next(t for t in transports.TRANSPORTS if t != transport)
            self._choice = transports.Choice(transport, "auto", "remembered", other)

    def _stream(self, transport: str, request: ChatRequest, raw: bool) -> ChatStream:
        options = {"raw": raw, "clock": self._clock, "assets_url": self.settings.assets_url}
        if transport == "ws":
            if self._gateway is None:
                from grok_cli.transport.ws import GrokGateway

                self._gateway = GrokGateway(self.http, self._warn)
            return GatewayChatStream(self._gateway, request, **options)
        return RestChatStream(self.http, request, **options)
