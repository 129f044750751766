"""`grok continue ID [PROMPT...]`: a follow-up in an existing conversation.

ID is a full conversation id, a unique prefix of one from the local history, or `last`. The
follow-up replies to the conversation's latest assistant response (``parentResponseId``), with
the conversation's model unless ``-m`` says otherwise. A full id the local history does not
know is looked up on grok.com.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

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
    PromptFileOpt,
    ProxyOpt,
    RawOpt,
    SaveImagesOpt,
    SystemFileOpt,
    SystemOpt,
    TimeoutOpt,
    TransportOpt,
)
from grok_cli.io import IO

if TYPE_CHECKING:
    from grok_cli.cli.frontend import ChatOptions


def continue_(
    ctx: typer.Context,
    conversation: Annotated[str, typer.Argument(metavar="ID", help="Conversation id, unique prefix, or `last`.")],
    prompt: Annotated[Optional[list[str]], typer.Argument(help="The prompt; `-` reads stdin only.")] = None,
    model: ModelOpt = None,
    system: SystemOpt = None,
    system_file: SystemFileOpt = None,
    jsonl: JsonlOpt = False,
    raw: RawOpt = False,
    prompt_file: PromptFileOpt = None,
    file: FileOpt = None,
    no_reasoning: NoReasoningOpt = False,
    no_search: NoSearchOpt = False,
    save_images: SaveImagesOpt = None,
    timeout: TimeoutOpt = None,
    proxy: ProxyOpt = None,
    no_history: NoHistoryOpt = False,
    transport: TransportOpt = None,
    plain: PlainOpt = False,
) -> None:
    """Continue a conversation: reply to its latest answer, with its model unless -m is given.

    \b
    Examples:
      grok continue last "And in Rust?"
      grok continue 519dce3f "Shorter, please"
      git diff | grok continue last "Does this fix it?"
    """
    from grok_cli.cli.frontend import ChatOptions
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
            no_search=no_search,
            save_images=save_images,
            timeout=timeout,
            proxy=proxy,
            no_history=no_history,
            transport=transport,
            plain=plain,
        )
        return run_continue(st.io, opts, conversation)

    run_command(st.io, st.debug, body)


def run_continue(io: IO, opts: ChatOptions, ref: str) -> int:
    from grok_cli.cli.frontend import read_turn_input, run_turn, settings_for
    from grok_cli.mode_cache import choose_mode
    from grok_cli.turn import Turn

    settings = settings_for(io, opts)
    # Only -m overrides the conversation's model; GROK_MODEL is for new conversations.
    mode = choose_mode(settings) if opts.model else None
    files, prompt = read_turn_input(io, opts, command=f"grok continue {ref}")
    turn = Turn(
        prompt, mode=mode, conversation=ref, files=tuple(files), search=opts.search, instructions=opts.system
    )
    return run_turn(io, settings, opts, turn)
