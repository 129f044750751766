"""`grok ask`: one question, a new conversation."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from grok_cli.cli.context import state
from grok_cli.cli.options import (
    FileOpt,
    JsonlOpt,
    ModelOpt,
    NoHistoryOpt,
    NoReasoningOpt,
    NoSearchOpt,
    PlainOpt,
    PrivateOpt,
    PromptFileOpt,
    ProxyOpt,
    RawOpt,
    SaveImagesOpt,
    SystemFileOpt,
    SystemOpt,
    TimeoutOpt,
    TransportOpt,
)


def ask(
    ctx: typer.Context,
    prompt: Annotated[Optional[list[str]], typer.Argument(help="The prompt; `-` reads stdin only.")] = None,
    model: ModelOpt = None,
    system: SystemOpt = None,
    system_file: SystemFileOpt = None,
    jsonl: JsonlOpt = False,
    raw: RawOpt = False,
    file: FileOpt = None,
    plain: PlainOpt = False,
    prompt_file: PromptFileOpt = None,
    no_reasoning: NoReasoningOpt = False,
    private: PrivateOpt = False,
    no_search: NoSearchOpt = False,
    save_images: SaveImagesOpt = None,
    timeout: TimeoutOpt = None,
    proxy: ProxyOpt = None,
    transport: TransportOpt = None,
    no_history: NoHistoryOpt = False,
    continue_last: Annotated[
        bool, typer.Option("--continue", "-c", help="Continue the last conversation (`grok continue last`).")
    ] = False,
) -> None:
    """Ask Grok: the answer streams to stdout, reasoning and status to stderr.

    On a terminal the answer is rendered as Markdown as it streams; in a pipe, or with
    --plain, it is the raw text.

    \b
    Piped stdin is put before the prompt:
      cat error.log | grok ask "What went wrong?"

    \b
    Files are uploaded and attached (so is a prompt over 40,000 characters):
      grok ask -f chart.png -f report.pdf "Do these agree?"
      xclip -sel clip -t image/png -o | grok ask -f - "What does this show?"

    \b
    Follow up on the answer:
      grok ask -c "Show me the fix"
    """
    from grok_cli.cli.frontend import ChatOptions, run_ask
    from grok_cli.cli.runner import run_command

    st = state(ctx)

    def body() -> int:
        opts = ChatOptions.from_flags(
            prompt=prompt,
            jsonl=jsonl,
            raw=raw,
            model=model,
            system=system,
            system_file=system_file,
            prompt_file=prompt_file,
            file=file,
            no_reasoning=no_reasoning,
            private=private,
            no_search=no_search,
            save_images=save_images,
            timeout=timeout,
            proxy=proxy,
            no_history=no_history,
            plain=plain,
            transport=transport,
        )
        if continue_last:
            from grok_cli.cli.continue_ import run_continue
            from grok_cli.errors import UsageError

            if private:
                raise UsageError("--private starts a new conversation; it cannot be used with --continue.")
            return run_continue(st.io, opts, "last")
        return run_ask(st.io, opts)

    run_command(st.io, st.debug, body)
