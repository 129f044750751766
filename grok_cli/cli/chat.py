"""`grok chat [ID|last]`: a conversation at the terminal, or one message per line of stdin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from grok_cli.cli.context import state
from grok_cli.cli.options import (
    JsonlOpt,
    ModelOpt,
    NoHistoryOpt,
    NoReasoningOpt,
    NoSearchOpt,
    PlainOpt,
    PrivateOpt,
    ProxyOpt,
    SystemFileOpt,
    SystemOpt,
    TimeoutOpt,
    TransportOpt,
)
from grok_cli.io import IO

if TYPE_CHECKING:
    from grok_cli.cli.frontend import ChatOptions

# A line of stdin is one message: far above any prompt typed, low enough to bound memory.
MAX_LINE = 1024 * 1024


def chat(
    ctx: typer.Context,
    conversation: Annotated[
        Optional[str],
        typer.Argument(metavar="[ID|last]", help="Continue this conversation (id, unique prefix, or `last`)."),
    ] = None,
    model: ModelOpt = None,
    system: SystemOpt = None,
    system_file: SystemFileOpt = None,
    jsonl: JsonlOpt = False,
    plain: PlainOpt = False,
    no_reasoning: NoReasoningOpt = False,
    private: PrivateOpt = False,
    no_search: NoSearchOpt = False,
    timeout: TimeoutOpt = None,
    proxy: ProxyOpt = None,
    transport: TransportOpt = None,
    no_history: NoHistoryOpt = False,
) -> None:
    """Chat with Grok: a new conversation, or the one given, turn after turn.

    On a terminal: Enter sends, Alt-Enter (or Esc then Enter) starts a new line, pasted text is
    one message; Ctrl-C stops an answer, and on an empty line leaves, as Ctrl-D and /exit do.
    Earlier messages come back with Up (the input history is kept in the data directory).
    /help lists the commands: /model, /system, /new, /attach, /images, /copy, /history.

    Without a terminal, every line of stdin is a message and the answers are separated by a
    blank line (--jsonl: their events); the first failure ends the run with its exit status.

    \b
    Examples:
      grok chat
      grok chat last -m expert
      grok chat -s "Answer in French"
      printf 'Name a colour\\nAnd another\\n' | grok chat
    """
    from grok_cli.cli.frontend import ChatOptions
    from grok_cli.cli.runner import run_command

    st = state(ctx)

    def body() -> int:
        opts = ChatOptions.from_flags(
            prompt=None,
            jsonl=jsonl,
            model=model,
            system=system,
            system_file=system_file,
            prompt_file=None,
            no_reasoning=no_reasoning,
            private=private,
            no_search=no_search,
            timeout=timeout,
            proxy=proxy,
            no_history=no_history,
            plain=plain,
            transport=transport,
        )
        return run_chat(st.io, opts, conversation)

    run_command(st.io, st.debug, body)


def run_chat(io: IO, opts: ChatOptions, ref: str | None) -> int:
    from grok_cli.cli.frontend import settings_for
    from grok_cli.cli.runner import run_async
    from grok_cli.errors import UsageError
    from grok_cli.mode_cache import choose_mode
    from grok_cli.repl.session import Chat, ChatState, LineSource, StdinLines
    from grok_cli.turn import TurnRunner

    if ref is not None and opts.private:
        raise UsageError("--private starts a new conversation; it cannot be used with a conversation to continue.")
    settings = settings_for(io, opts)
    # Only -m overrides a continued conversation's model; GROK_MODEL is for new ones.
    mode = choose_mode(settings) if opts.model or ref is None else None
    interactive = io.stdin_isatty and io.stderr_isatty

    async def main() -> int:
        async with TurnRunner(io, settings) as turns:
            chat_state = ChatState(mode=mode, instructions=opts.system, search=opts.search, private=opts.private)
            chat = Chat(io, settings, opts, turns, chat_state, interactive=interactive)
            if ref is not None:
                known = turns.conversation(ref)
                chat_state.conversation = known.conversation_id if known else ref.strip().lower()
                if known is not None:
                    chat_state.parent_response_id = known.parent_response_id
                    if interactive:
                        chat.say(f"Continuing “{known.title or known.conversation_id}” ({mode or known.model}).")
            await turns.client()  # no credentials: said now, not after the first message is typed
            source: LineSource
            if interactive:
                from grok_cli.cli.options import complete_model
                from grok_cli.repl.editor import NEWLINE_KEY, LineEditor

                chat.newline_key = NEWLINE_KEY
                source = LineEditor(
                    # With the history off, earlier messages are kept for this session only.
                    settings.dirs.data / "chat_history" if settings.history else None,
                    io.stdin,
                    io.stderr,
                    models=lambda: [name for name, _ in complete_model("")],
                    color=io.color_stderr,
                )
                chat.say(f"{NEWLINE_KEY} for a new line, Ctrl-D to leave, /help for the commands.")
            else:
                source = StdinLines(io, MAX_LINE)
            return await chat.run(source)

    return run_async(main)
