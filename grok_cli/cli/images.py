"""`grok images`: ask grok.com to draw, save every final image, print the paths."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from grok_cli.cli.context import state
from grok_cli.cli.options import JsonlOpt, ModelOpt, PrivateOpt, PromptFileOpt, ProxyOpt, TimeoutOpt
from grok_cli.io import IO

if TYPE_CHECKING:
    from grok_cli.cli.frontend import ChatOptions

MAX_COUNT = 10


def images(
    ctx: typer.Context,
    prompt: Annotated[Optional[list[str]], typer.Argument(help="What to draw; `-` reads stdin only.")] = None,
    count: Annotated[
        int, typer.Option("--count", "-n", min=1, max=MAX_COUNT, help="How many images to ask for.")
    ] = 2,
    output: Annotated[
        Optional[Path],
        typer.Option(
            "--output", "-o", file_okay=False, help="Directory to save into (GROK_IMAGES_DIR; default: here)."
        ),
    ] = None,
    model: ModelOpt = None,
    jsonl: JsonlOpt = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite files of the same name.")] = False,
    prompt_file: PromptFileOpt = None,
    private: PrivateOpt = False,
    timeout: TimeoutOpt = None,
    proxy: ProxyOpt = None,
) -> None:
    """Generate images: each saved file's path is printed on stdout, one per line, in order.

    \b
    Progress goes to stderr; images grok.com moderates are reported there and
    skipped. Files are named after the prompt and the image id
    (a-red-fox-1a2b3c4d.jpg) and never replace an existing file unless --force.
    If a download fails, the others are still saved and grok exits with 7 (8 if
    it could not be written: a full disk).

    \b
      grok images "a lighthouse at dawn, watercolour" -n 4 -o ~/Pictures/grok
      grok images "logo ideas for a bakery" -o out | xargs -n1 open
    """
    from grok_cli.cli.runner import run_command

    st = state(ctx)

    def body() -> int:
        from grok_cli.cli.frontend import ChatOptions

        opts = ChatOptions.from_flags(
            prompt=prompt,
            jsonl=jsonl,
            model=model,
            prompt_file=prompt_file,
            no_reasoning=True,  # an image answer's thinking is noise beside its progress lines
            private=private,
            timeout=timeout,
            proxy=proxy,
        )
        return run_images(st.io, opts, count=count, output=output, force=force)

    run_command(st.io, st.debug, body)


def run_images(io: IO, opts: ChatOptions, *, count: int, output: Path | None, force: bool) -> int:
    from grok_cli.cli.frontend import run_turn
    from grok_cli.cli.prompt import compose_prompt
    from grok_cli.config import load_settings
    from grok_cli.images import ImageSaver, report_to_stderr
    from grok_cli.mode_cache import choose_mode
    from grok_cli.sinks.base import Sink
    from grok_cli.turn import Turn

    settings = load_settings(
        {
            "model": opts.model,
            "timeout": opts.timeout,
            "proxy": opts.proxy,
            "images_dir": str(output) if output is not None else None,
        },
        io.environ,
    )
    mode = choose_mode(settings)
    prompt = compose_prompt(io, opts.words, opts.prompt_file, command="grok images")
    turn = Turn(prompt, mode=mode, private=opts.private, image_count=count, force_image_generation=True)
    sink: Sink
    if opts.output == "jsonl":
        from grok_cli.sinks.jsonl import JsonlSink

        sink = JsonlSink(io)
        on_failure = report_to_stderr(io)
    else:
        from grok_cli.sinks.images import ImagesSink

        images_sink = ImagesSink(io)
        sink, on_failure = images_sink, images_sink.image_failed
    saver = ImageSaver(
        Path(settings.images_dir or "."),
        name_hint=prompt,
        force=force,
        on_failure=on_failure,
        required=True,
    )
    return run_turn(io, settings, opts, turn, sink=sink, saver=saver)
