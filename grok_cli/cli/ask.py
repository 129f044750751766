"""`grok ask`: one question, a new conversation."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from grok_cli.cli.context import state
from grok_cli.cli.options import (
    JsonlOpt,
    ModelOpt,
    NoReasoningOpt,
    NoSearchOpt,
    PrivateOpt,
    PromptFileOpt,
    ProxyOpt,
    RawOpt,
    TimeoutOpt,
    TransportOpt,
)


def ask(
    ctx: typer.Context,
    prompt: Annotated[Optional[list[str]], typer.Argument(help="The prompt; `-` reads stdin only.")] = None,
    model: ModelOpt = None,
    jsonl: JsonlOpt = False,
    raw: RawOpt = False,
    prompt_file: PromptFileOpt = None,
    no_reasoning: NoReasoningOpt = False,
    private: PrivateOpt = False,
    no_search: NoSearchOpt = False,
    timeout: TimeoutOpt = None,
    proxy: ProxyOpt = None,
    transport: TransportOpt = None,
) -> None:
    """Ask Grok: the answer streams to stdout, reasoning and status to stderr.

    \b
    Piped stdin is put before the prompt:
      cat error.log | grok ask "What went wrong?"
    """
    from grok_cli.cli.chat import ChatOptions, run_ask
    from grok_cli.cli.runner import run_command

    st = state(ctx)

    def body() -> int:
        opts = ChatOptions.build(
            jsonl=jsonl,
            raw=raw,
            words=list(prompt or []),
            model=model,
            prompt_file=prompt_file,
            show_reasoning=not no_reasoning,
            private=private,
            search=not no_search,
            timeout=timeout,
            proxy=proxy,
            transport=transport,
        )
        return run_ask(st.io, opts)

    run_command(st.io, st.debug, body)
