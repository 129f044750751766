"""`grok continue ID [PROMPT...]`: a follow-up in an existing conversation.

ID is a full conversation id, a unique prefix of one from the local history, or `last`. The
follow-up replies to the conversation's latest assistant response (``parentResponseId``), with
the conversation's model unless ``-m`` says otherwise. A full id the local history does not
know is looked up on grok.com.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
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
    TimeoutOpt,
    TransportOpt,
)
from grok_cli.io import IO

if TYPE_CHECKING:
    from collections.abc import Sequence

    from grok_cli.attachments import LocalFile
    from grok_cli.cli.chat import ChatOptions
    from grok_cli.config import Settings
    from grok_cli.history import Continuation

FULL_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def continue_(
    ctx: typer.Context,
    conversation: Annotated[str, typer.Argument(metavar="ID", help="Conversation id, unique prefix, or `last`.")],
    prompt: Annotated[Optional[list[str]], typer.Argument(help="The prompt; `-` reads stdin only.")] = None,
    model: ModelOpt = None,
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
    from grok_cli.cli.chat import ChatOptions
    from grok_cli.cli.runner import run_command

    st = state(ctx)

    def body() -> int:
        opts = ChatOptions.from_flags(
            prompt=prompt,
            jsonl=jsonl,
            raw=raw,
            model=model,
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
    from grok_cli.cli.chat import read_turn_input, settings_for
    from grok_cli.cli.runner import run_async
    from grok_cli.mode_cache import choose_mode

    settings = settings_for(io, opts)
    # Only -m overrides the conversation's model; GROK_MODEL is for new conversations.
    mode = choose_mode(settings) if opts.model else None
    files, prompt = read_turn_input(io, opts)
    conversation_id, known = _resolve_locally(settings.dirs.history_db, ref)
    return run_async(lambda: _continue(io, settings, opts, prompt, files, mode, conversation_id, known))


def _resolve_locally(db: Path, ref: str) -> tuple[str, Continuation | None]:
    """The conversation id and what the local history knows of it (None: ask grok.com)."""
    from grok_cli.errors import UsageError
    from grok_cli.history import LAST, history_errors, open_history

    wanted = ref.strip().lower()
    history = open_history(db, create=False)
    if history is None:
        if wanted == LAST:
            raise UsageError("The history has no conversation yet.", 'Start one with: grok ask "..."')
    else:
        try:
            with history_errors(db):
                found = history.resolve(wanted)
                if found is not None:
                    return found, history.continuation(found)
        finally:
            history.close()
    if not FULL_ID.match(wanted):
        raise UsageError(
            f"No conversation {ref!r} in the local history.",
            "Give the full id to continue a conversation started elsewhere; `grok history list` shows yours.",
        )
    return wanted, None


async def _continue(
    io: IO,
    settings: Settings,
    opts: ChatOptions,
    prompt: str,
    files: Sequence[LocalFile],
    mode: str | None,
    conversation_id: str,
    known: Continuation | None,
) -> int:
    from grok_cli.cli.chat import open_client, stream_with
    from grok_cli.conversations import remote_conversation
    from grok_cli.protocol.payload import ChatRequest

    async with open_client(io, settings) as client:
        if known is None or known.parent_response_id is None:
            # Not in the history, or no answer of it was recorded (it failed before one came).
            remote = await remote_conversation(client.http, conversation_id)
            if known is None:
                known = remote.continuation
                if settings.history:
                    from grok_cli.sinks.history import record_imported

                    record_imported(io, settings.dirs.history_db, known, remote.created, remote.turns)
            else:
                known = replace(known, parent_response_id=remote.continuation.parent_response_id)
        request = ChatRequest(
            prompt=prompt,
            mode=mode or known.model,
            conversation_id=known.conversation_id,
            parent_response_id=known.parent_response_id,
            temporary=known.private,
            disable_search=not opts.search,
        )
        return await stream_with(client, io, settings, opts, request, files, title=known.title)
