"""Running one chat turn: build the request, pick the sinks, stream events into them."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from grok_cli.cli.prompt import compose_prompt
from grok_cli.config import Settings, load_settings
from grok_cli.errors import ExitStatus, GrokError, UsageError
from grok_cli.events import Error
from grok_cli.io import IO
from grok_cli.protocol import models
from grok_cli.protocol.payload import ChatRequest
from grok_cli.sinks.base import Sink


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
    transport: str | None = None  # rest, ws or auto; None: GROK_TRANSPORT, config, rest

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


def settings_for(io: IO, opts: ChatOptions) -> Settings:
    flags = {"model": opts.model, "timeout": opts.timeout, "proxy": opts.proxy, "transport": opts.transport}
    return load_settings(flags, io.environ)


def warn(io: IO, message: str) -> None:
    from grok_cli.sinks.style import Style

    io.stderr.write(f"{Style(io.color_stderr).warning('Warning:')} {message}\n")
    io.stderr.flush()


def run_ask(io: IO, opts: ChatOptions) -> int:
    from grok_cli.cli.runner import run_async

    settings = settings_for(io, opts)
    mode = models.resolve(settings.model or models.DEFAULT_MODE)
    prompt = compose_prompt(io, opts.words, opts.prompt_file)
    request = ChatRequest(prompt=prompt, mode=mode, temporary=opts.private, disable_search=not opts.search)
    return run_async(lambda: stream_turn(io, settings, opts, request))


async def stream_turn(io: IO, settings: Settings, opts: ChatOptions, request: ChatRequest) -> int:
    import asyncio

    from grok_cli.auth.resolve import require_credentials
    from grok_cli.client import Client

    credentials = require_credentials(settings.dirs, io.environ, interactive=io.interactive)
    sink = select_sink(io, opts)
    async with Client(settings, credentials, clock=io.monotonic, warn=lambda message: warn(io, message)) as client:
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
    sink.close(ExitStatus.OK)
    return int(ExitStatus.OK)
