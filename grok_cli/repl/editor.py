"""The line editor of `grok chat` on a terminal (prompt_toolkit, imported only here).

Enter sends; Alt-Enter (Esc then Enter) starts a new line; pasted text keeps its newlines and is
sent as one message when Enter is pressed (bracketed paste). Up and Down walk through earlier
messages, kept in a file across sessions. Ctrl-C clears a line, and on an empty line leaves, as
Ctrl-D does. The editor draws on stderr: stdout stays the answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from grok_cli.repl.commands import COMMANDS

if TYPE_CHECKING:
    from prompt_toolkit import PromptSession

NEWLINE_KEY = "Alt-Enter"
PROMPT = "> "
CONTINUATION = ". "
# A message longer than this is not kept in the input history file (a pasted log, say).
MAX_REMEMBERED = 10_000


def _completer(models: Callable[[], Iterable[str]]) -> Any:
    from prompt_toolkit.completion import Completer, Completion, PathCompleter
    from prompt_toolkit.document import Document

    paths = PathCompleter(expanduser=True)

    class SlashCompleter(Completer):
        """Command names after a leading slash; then model names or paths, as the command takes."""

        def get_completions(self, document: Document, complete_event: Any) -> Iterable[Completion]:
            text = document.text_before_cursor
            if not text.startswith("/") or "\n" in text:
                return
            name, space, arg = text[1:].partition(" ")
            if not space:
                for spec in COMMANDS:
                    if spec.name.startswith(name.lower()):
                        yield Completion(f"/{spec.name}", start_position=-len(text), display_meta=spec.help)
                return
            if name == "model":
                for model in models():
                    if model.startswith(arg.lower()):
                        yield Completion(model, start_position=-len(arg))
            elif name in ("attach", "images"):
                yield from paths.get_completions(Document(arg, len(arg)), complete_event)

    return SlashCompleter()


def _history(path: Path | None) -> Any:
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    if path is None:
        return InMemoryHistory()

    class BoundedHistory(FileHistory):
        """The input history file, without the huge pastes that would make it slow to load."""

        def store_string(self, string: str) -> None:
            if len(string) <= MAX_REMEMBERED:
                try:
                    super().store_string(string)
                except OSError:  # a full disk or a read-only data dir: the chat goes on
                    pass

    return BoundedHistory(str(path))


def _bindings() -> Any:
    from prompt_toolkit.key_binding import KeyBindings

    kb = KeyBindings()

    @kb.add("enter")
    def _send(event: Any) -> None:
        buffer = event.current_buffer
        chosen = buffer.complete_state.current_completion if buffer.complete_state else None
        if chosen is not None:  # Enter in the completion menu takes the choice
            buffer.apply_completion(chosen)
        else:
            buffer.validate_and_handle()

    @kb.add("escape", "enter")
    def _newline(event: Any) -> None:
        event.current_buffer.insert_text("\n")

    @kb.add("c-c")
    def _clear_or_leave(event: Any) -> None:
        buffer = event.current_buffer
        if buffer.text:
            buffer.reset()
        else:
            event.app.exit(exception=EOFError)

    return kb


class LineEditor:
    def __init__(
        self, history_file: Path | None, stdin: TextIO, stderr: TextIO, *, models: Callable[[], Iterable[str]],
        color: bool, _input: Any = None, _output: Any = None,
    ) -> None:  # fmt: skip
        from prompt_toolkit import PromptSession
        from prompt_toolkit.input import create_input

        from grok_cli.files import create_private_file

        if history_file is not None:
            try:  # what the person typed: readable by them only, like the history
                create_private_file(history_file)
            except OSError:
                pass  # BoundedHistory then keeps nothing, and the chat goes on
        self._session: PromptSession[str] = PromptSession(
            PROMPT,
            multiline=True,
            prompt_continuation=CONTINUATION,
            history=_history(history_file),
            completer=_completer(models),
            complete_while_typing=True,
            key_bindings=_bindings(),
            color_depth=None if color else _monochrome(),
            input=_input or create_input(stdin),
            output=_output or _output_on(stderr),
        )

    async def read(self) -> str | None:
        """The next message or command; None when the person leaves (Ctrl-D, Ctrl-C on empty)."""
        try:
            return await self._session.prompt_async(handle_sigint=False)
        except (EOFError, KeyboardInterrupt):
            return None


def _output_on(stream: TextIO) -> Any:
    from prompt_toolkit.output import create_output

    output = create_output(stdout=stream)
    # No cursor position requests: a reply that comes after the prompt has ended (text typed
    # ahead ends it at once) lands in the terminal's line buffer during the answer, where it
    # shows as ^[[14;1R and held back the Ctrl-C that should stop the answer.
    output.enable_cpr = False
    return output


def _monochrome() -> Any:
    from prompt_toolkit.output import ColorDepth

    return ColorDepth.MONOCHROME
