"""What the one-shot commands (ask, continue, images) share: their flags mapped to settings,
a Turn and an output sink. The turn itself runs in grok_cli/turn.py."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grok_cli.cli.prompt import compose_prompt
from grok_cli.config import Settings, load_settings
from grok_cli.errors import ExitStatus, UsageError
from grok_cli.io import IO
from grok_cli.mode_cache import choose_mode
from grok_cli.sinks.base import Sink
from grok_cli.turn import Turn

if TYPE_CHECKING:
    from grok_cli.attachments import LocalFile
    from grok_cli.images import ImageSaver
    from grok_cli.sinks.status import StatusLine


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
    transport: str | None = None  # rest, ws or auto; None: GROK_TRANSPORT, config, auto
    system: str | None = None  # -s/--system-file; None: the conversation's or the settings'

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
        system: str | None = None,
        system_file: Path | None = None,
        **same_names: Any,
    ) -> ChatOptions:
        """The options from the flags of `ask`, `continue` and `images`, by their own names."""
        from grok_cli.instructions import instructions_flag

        if jsonl and raw:
            raise UsageError("--jsonl and --raw cannot be used together.")
        return cls(
            system=instructions_flag(system, system_file),
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


def output_sink(io: IO, settings: Settings, opts: ChatOptions) -> Sink:
    """The sink of the output flags, with the continuation hint after a plain answer."""
    sink = select_sink(io, opts, settings.render)
    if opts.output != "plain":
        return sink
    from grok_cli.sinks.base import Tee
    from grok_cli.sinks.hint import ContinueHint

    return Tee(sink, ContinueHint(io, short=settings.history))


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
    settings = settings_for(io, opts)
    mode = choose_mode(settings)  # an unknown model is a usage error before anything is read
    files, prompt = read_turn_input(io, opts)
    turn = Turn(
        prompt, mode=mode, files=tuple(files), private=opts.private, search=opts.search, instructions=opts.system
    )
    return run_turn(io, settings, opts, turn)


def run_turn(
    io: IO,
    settings: Settings,
    opts: ChatOptions,
    turn: Turn,
    *,
    sink: Sink | None = None,
    saver: ImageSaver | None = None,
) -> int:
    """Run one turn to the end (default sink: the output flags'); its exit status."""
    from grok_cli.cli.runner import run_async
    from grok_cli.turn import TurnRunner

    async def main() -> int:
        async with TurnRunner(io, settings) as turns:
            out, status = with_status(io, opts, turn, sink or output_sink(io, settings, opts))
            try:
                images = saver or image_saver(io, opts.save_images, turn.prompt)
                await turns.run(turn, out, raw=opts.output == "raw", saver=images)
            finally:
                status.stop()
        return int(ExitStatus.OK)

    return run_async(main)


def with_status(io: IO, opts: ChatOptions, turn: Turn, sink: Sink) -> tuple[Sink, StatusLine]:
    """``sink`` behind a "thinking…" line on a terminal's stderr, shown until the answer starts.

    It starts now, or with the stream when files go up first (their progress has the line)."""
    from grok_cli.protocol.upload import prompt_is_too_long
    from grok_cli.sinks.status import StatusLine, StatusSink

    status = StatusLine(io)
    if opts.output != "plain":
        return sink, status
    if not turn.files and not prompt_is_too_long(turn.prompt):
        status.start()
    return StatusSink(sink, status), status


def image_saver(io: IO, directory: Path | None, name_hint: str) -> ImageSaver | None:
    """The saver into ``directory`` (``--save-images DIR``, chat's /images DIR), if any;
    failures are reported on stderr as they happen."""
    if directory is None:
        return None
    from grok_cli.images import ImageSaver, report_to_stderr

    return ImageSaver(directory, name_hint=name_hint, force=False, on_failure=report_to_stderr(io))


def read_turn_input(io: IO, opts: ChatOptions, *, command: str = "grok ask") -> tuple[list[LocalFile], str]:
    """The -f files and the prompt, all read before anything is sent.

    Files first: `-f -` takes stdin, which then is not also read as prompt text.
    """
    from grok_cli.attachments import read_files

    files = read_files(io, list(opts.files), opts.words)
    return files, compose_prompt(io, opts.words, opts.prompt_file, command=command)
