"""Running one chat turn: build the request, pick the sinks, stream events into them."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grok_cli.attachments import LocalFile, prompt_file, read_files
from grok_cli.cli.prompt import compose_prompt
from grok_cli.config import Settings, load_settings
from grok_cli.errors import ExitStatus, GrokError, RateLimitedError, UsageError
from grok_cli.events import Error, Image
from grok_cli.io import IO
from grok_cli.mode_cache import choose_mode
from grok_cli.protocol.payload import ChatRequest, with_attachments
from grok_cli.protocol.upload import LONG_PROMPT_LIMIT, Attachment, human_size, prompt_is_too_long
from grok_cli.sinks.base import Sink

if TYPE_CHECKING:
    from grok_cli.client import Client
    from grok_cli.images import ImageSaver


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
    save_images: Path | None = None  # --save-images DIR
    files: tuple[str, ...] = ()  # -f paths, "-" for stdin
    no_history: bool = False
    plain: bool = False  # --plain: raw text even on a terminal
    transport: str | None = None  # rest, ws or auto; None: GROK_TRANSPORT, config, rest

    @classmethod
    def from_flags(
        cls,
        *,
        prompt: list[str] | None,
        jsonl: bool,
        raw: bool = False,
        file: list[str] | None = None,
        no_reasoning: bool = False,
        no_search: bool = False,
        private: bool = False,
        **same_names: Any,
    ) -> ChatOptions:
        """The options from the flags of `ask`, `continue` and `images`, by their own names."""
        if jsonl and raw:
            raise UsageError("--jsonl and --raw cannot be used together.")
        return cls(
            output="jsonl" if jsonl else "raw" if raw else "plain",
            words=list(prompt or []),
            files=tuple(file or ()),
            show_reasoning=not no_reasoning,
            search=not no_search,
            private=private,
            **same_names,
        )


def select_sink(io: IO, opts: ChatOptions, render: str = "auto") -> Sink:
    """The only code that looks at the output flags (``render``: the setting, --plain included)."""
    if opts.output == "jsonl":
        from grok_cli.sinks.jsonl import JsonlSink

        return JsonlSink(io)
    if opts.output == "raw":
        from grok_cli.sinks.raw import RawSink

        return RawSink(io)
    # Markdown only on a terminal; by default only with colour, since without escape codes
    # nothing can be redrawn and raw text reads better than blocks appearing late.
    if io.stdout_isatty and (render == "markdown" or (render == "auto" and io.color_stdout)):
        from grok_cli.sinks.markdown import MarkdownSink

        return MarkdownSink(io, show_reasoning=opts.show_reasoning)
    from grok_cli.sinks.plain import PlainSink

    return PlainSink(io, show_reasoning=opts.show_reasoning)


def turn_sink(
    io: IO, settings: Settings, opts: ChatOptions, request: ChatRequest, *, title: str | None = None
) -> Sink:
    """The output sink, plus the history recorder and the continuation hint where they apply.

    The recorder comes first: when writing the output fails (a full disk), what arrived is
    still recorded."""
    from grok_cli.sinks.base import Tee
    from grok_cli.sinks.hint import ContinueHint

    sinks: list[Sink] = []
    if settings.history:
        from grok_cli.sinks.history import open_recorder

        recorder = open_recorder(io, settings.dirs.history_db, request, title=title)
        if recorder is not None:
            sinks.append(recorder)
    recording = bool(sinks)
    sinks.append(select_sink(io, opts, settings.render))
    if opts.output == "plain":
        sinks.append(ContinueHint(io, short=recording))
    return Tee(*sinks)


def settings_for(io: IO, opts: ChatOptions) -> Settings:
    flags = {
        "model": opts.model,
        "timeout": opts.timeout,
        "proxy": opts.proxy,
        "transport": opts.transport,
        "render": "plain" if opts.plain else None,
        "history": False if opts.no_history else None,
    }
    return load_settings(flags, io.environ)


def run_ask(io: IO, opts: ChatOptions) -> int:
    from grok_cli.cli.runner import run_async

    settings = settings_for(io, opts)
    mode = choose_mode(settings)
    files, prompt = read_turn_input(io, opts)
    request = ChatRequest(prompt=prompt, mode=mode, temporary=opts.private, disable_search=not opts.search)
    return run_async(lambda: stream_turn(io, settings, opts, request, files))


def image_saver(io: IO, opts: ChatOptions, request: ChatRequest) -> ImageSaver | None:
    """The saver for ``--save-images DIR``; failures are reported on stderr as they happen."""
    if opts.save_images is None:
        return None
    from grok_cli.images import ImageSaver, report_to_stderr

    return ImageSaver(opts.save_images, name_hint=request.prompt, force=False, on_failure=report_to_stderr(io))


def read_turn_input(io: IO, opts: ChatOptions) -> tuple[list[LocalFile], str]:
    """The -f files and the prompt, all read before anything is sent.

    Files first: `-f -` takes stdin, which then is not also read as prompt text.
    """
    files = read_files(io, list(opts.files), opts.words)
    return files, compose_prompt(io, opts.words, opts.prompt_file)


async def _upload(io: IO, client: Client, file: LocalFile) -> Attachment:
    from grok_cli.cli.upload_progress import UploadProgress

    progress = UploadProgress(io, file.label, file.size)
    try:
        return await client.upload(file, progress)
    finally:
        progress.finish()


def _uploads(io: IO, request: ChatRequest, files: Sequence[LocalFile]) -> list[LocalFile]:
    """The files to upload for this turn: the -f files, and the prompt when it is too long."""
    if not prompt_is_too_long(request.prompt):
        return list(files)
    if io.stderr_isatty:
        io.stderr.write(
            f"The prompt ({human_size(len(request.prompt.encode()))}) is longer than "
            f"{LONG_PROMPT_LIMIT:,} characters; it is sent as an attached text file.\n"
        )
    return [prompt_file(request.prompt), *files]


def _fail(sink: Sink, error: GrokError) -> None:
    sink.on_event(Error(error.code, error.message, int(error.status)))
    sink.close(error.status)


def open_client(io: IO, settings: Settings) -> Client:
    from grok_cli.auth.resolve import require_credentials
    from grok_cli.client import Client
    from grok_cli.sinks.style import warn

    credentials = require_credentials(settings.dirs, io.environ, interactive=io.interactive)
    return Client(settings, credentials, clock=io.monotonic, warn=lambda message: warn(io, message))


async def stream_turn(
    io: IO,
    settings: Settings,
    opts: ChatOptions,
    request: ChatRequest,
    files: Sequence[LocalFile] = (),
    *,
    sink: Sink | None = None,
    saver: ImageSaver | None = None,
) -> int:
    async with open_client(io, settings) as client:
        return await stream_with(client, io, settings, opts, request, files, sink=sink, saver=saver)


async def stream_with(
    client: Client,
    io: IO,
    settings: Settings,
    opts: ChatOptions,
    request: ChatRequest,
    files: Sequence[LocalFile] = (),
    *,
    title: str | None = None,
    sink: Sink | None = None,
    saver: ImageSaver | None = None,
) -> int:
    """Upload the files (all of them, or no chat request is made), then stream the answer into
    ``sink`` (default: the output flags' sink with the history). With a ``saver``, every Image
    is downloaded before the sinks see it, so its ``path`` is known there."""
    import asyncio

    from grok_cli.client import ChatStream

    saver = saver or image_saver(io, opts, request)
    if saver is not None:
        saver.prepare()
    uploads = _uploads(io, request, files)
    sink = sink or turn_sink(io, settings, opts, request, title=title)
    stream: ChatStream | None = None
    try:
        request = with_attachments(request, [await _upload(io, client, f) for f in uploads])
        stream = client.chat(request, raw=opts.output == "raw")
        async with contextlib.aclosing(stream.events()) as events:
            async for event in events:
                if saver is not None and isinstance(event, Image):
                    event = await saver.save(client.http, event)
                sink.on_event(event)
    except GrokError as e:
        if stream is not None and stream.started:
            sink.on_event(stream.partial_done())
        error = e
        try:
            if isinstance(e, RateLimitedError):
                error = await client.explain_rate_limit(request.mode, e)
        finally:  # a Ctrl-C while asking about the quota must not skip closing the sink
            _fail(sink, error)
        if error is not e:
            raise error from e
        raise
    except asyncio.CancelledError:
        if stream is not None and stream.started:
            sink.on_event(stream.partial_done())
        sink.close(ExitStatus.INTERRUPTED)
        raise
    except OSError as e:
        # The reader left (`| head`) or the output failed (a full disk): the history keeps what
        # arrived, and cli/runner.py says what happened.
        sink.close(ExitStatus.INTERRUPTED if isinstance(e, BrokenPipeError) else ExitStatus.INTERNAL)
        raise
    failure = saver.error() if saver is not None else None
    if failure is not None:
        _fail(sink, failure)
        raise failure
    sink.close(ExitStatus.OK)
    return int(ExitStatus.OK)
