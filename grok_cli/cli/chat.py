"""Running one chat turn: build the request, pick the sinks, stream events into them."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from grok_cli.cli.prompt import compose_prompt
from grok_cli.config import Settings, load_settings
from grok_cli.errors import ExitStatus, GrokError, UsageError
from grok_cli.events import Error
from grok_cli.io import IO
from grok_cli.protocol import models
from grok_cli.protocol.payload import ChatRequest
from grok_cli.sinks.base import Sink

if TYPE_CHECKING:
    from grok_cli.client import Client


@dataclass(frozen=True)
class ChatOptions:
    words: list[str]
    model: str | None
    output: str  # "plain", "jsonl" or "raw"
    prompt_file: Path | None
    show_reasoning: bool
    private: bool
    search: bool
    timeout: float | None
    proxy: str | None
    no_history: bool = False

    @classmethod
    def build(cls, *, jsonl: bool, raw: bool, **kwargs) -> ChatOptions:
        if jsonl and raw:
            raise UsageError("--jsonl and --raw cannot be used together.")
        return cls(output="jsonl" if jsonl else "raw" if raw else "plain", **kwargs)


def select_sink(io: IO, opts: ChatOptions) -> Sink:
    """The only code that looks at the output flags."""
    if opts.output == "jsonl":
        from grok_cli.sinks.jsonl import JsonlSink

        return JsonlSink(io)
    if opts.output == "raw":
        from grok_cli.sinks.raw import RawSink

        return RawSink(io)
    from grok_cli.sinks.plain import PlainSink

    return PlainSink(io, show_reasoning=opts.show_reasoning)


def turn_sink(
    io: IO, settings: Settings, opts: ChatOptions, request: ChatRequest, *, title: str | None = None
) -> Sink:
    """The output sink, plus the history recorder and the continuation hint where they apply."""
    from grok_cli.sinks.base import Tee
    from grok_cli.sinks.hint import ContinueHint

    sinks: list[Sink] = [select_sink(io, opts)]
    recording = False
    if settings.history:
        from grok_cli.sinks.history import open_recorder

        recorder = open_recorder(io, settings.dirs.history_db, request, title=title)
        if recorder is not None:
            sinks.append(recorder)
            recording = True
    if opts.output == "plain":
        sinks.append(ContinueHint(io, short=recording))
    return Tee(*sinks)


def settings_for(io: IO, opts: ChatOptions) -> Settings:
    flags = {"model": opts.model, "timeout": opts.timeout, "proxy": opts.proxy}
    return load_settings({**flags, "history": False if opts.no_history else None}, io.environ)


def run_ask(io: IO, opts: ChatOptions) -> int:
    from grok_cli.cli.runner import run_async

    settings = settings_for(io, opts)
    mode = models.resolve(settings.model or models.DEFAULT_MODE)
    prompt = compose_prompt(io, opts.words, opts.prompt_file)
    request = ChatRequest(prompt=prompt, mode=mode, temporary=opts.private, disable_search=not opts.search)
    return run_async(lambda: stream_turn(io, settings, opts, request))


def open_client(io: IO, settings: Settings) -> Client:
    from grok_cli.auth.resolve import require_credentials
    from grok_cli.client import Client

    credentials = require_credentials(settings.dirs, io.environ, interactive=io.interactive)
    return Client(settings, credentials, clock=io.monotonic)


async def stream_turn(io: IO, settings: Settings, opts: ChatOptions, request: ChatRequest) -> int:
    async with open_client(io, settings) as client:
        return await stream_with(client, io, settings, opts, request)


async def stream_with(
    client: Client, io: IO, settings: Settings, opts: ChatOptions, request: ChatRequest, *, title: str | None = None
) -> int:
    import asyncio

    sink = turn_sink(io, settings, opts, request, title=title)
    stream = client.chat(request, raw=opts.output == "raw")
    try:
        async with contextlib.aclosing(stream.events()) as events:
            async for event in events:
                sink.on_event(event)
    except GrokError as e:
        if stream.started:
            sink.on_event(stream.partial_done())
        sink.on_event(Error(e.code, e.message, int(e.status)))
        sink.close(e.status)
        raise
    except asyncio.CancelledError:
        if stream.started:
            sink.on_event(stream.partial_done())
        sink.close(ExitStatus.INTERRUPTED)
        raise
    except BrokenPipeError:
        # The reader left (`| head`): the history keeps what was delivered; the exit stays quiet.
        sink.close(ExitStatus.INTERRUPTED)
        raise
    sink.close(ExitStatus.OK)
    return int(ExitStatus.OK)
