"""`grok chat`: read a message, run it as a turn, show the answer, keep its ids for the next.

The front end only maps what is typed to a :class:`~grok_cli.turn.Turn` and picks the sinks;
grok_cli/turn.py does the rest, as for `ask`. The conversation id and the response id of each
``Done`` (the partial one of a stopped answer too) are what the next turn replies to.

On a terminal, Ctrl-C during an answer stops that answer only (it is kept in the history as
incomplete) and a failed turn is reported without ending the chat. Without a terminal the first
failure ends the run with its exit status, like `grok ask`, so scripts can rely on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Coroutine, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from grok_cli.errors import ExitStatus, GrokError, UsageError
from grok_cli.events import Done, Event, Image, Token
from grok_cli.io import IO
from grok_cli.repl import commands
from grok_cli.repl.commands import Command, CommandError
from grok_cli.sinks.base import EventSink, Sink, Tee
from grok_cli.sinks.style import Style, neutralize
from grok_cli.turn import Turn, TurnRunner

if TYPE_CHECKING:
    from grok_cli.attachments import LocalFile
    from grok_cli.cli.frontend import ChatOptions
    from grok_cli.config import Settings
    from grok_cli.history import TurnRecord


class LineSource(Protocol):
    async def read(self) -> str | None:
        """The next line typed or piped in; None at the end."""


@dataclass
class ChatState:
    """What the next turn is sent with, changed by the answers and the slash commands."""

    conversation: str | None = None  # None: the next message starts a new conversation
    parent_response_id: str | None = None  # None with a conversation: its latest answer
    mode: str | None = None  # None: the conversation's, else the settings' default
    instructions: str | None = None  # None: the conversation's, else GROK_SYSTEM
    search: bool = True
    private: bool = False  # for the conversations this chat starts
    files: list[LocalFile] = field(default_factory=list)  # /attach: go with the next message
    images_dir: Path | None = None  # /images: where this conversation's images are saved
    images: list[Image] = field(default_factory=list)  # this conversation's, as far as seen
    last_answer: str | None = None

    def turn(self, prompt: str) -> Turn:
        return Turn(
            prompt,
            mode=self.mode,
            conversation=self.conversation,
            parent_response_id=self.parent_response_id if self.conversation else None,
            files=tuple(self.files),
            private=self.private,
            search=self.search,
            instructions=self.instructions,
        )

    def answered(self, done: Done | None, images: list[Image]) -> None:
        """After a turn, whatever its end: the next one replies to what this one got."""
        self.files = []  # sent, or the turn failed and the person attaches again
        if done is None:
            return
        if done.conversation_id:
            self.conversation = done.conversation_id
        if done.response_id:
            self.parent_response_id = done.response_id
        self.mode = self.mode or done.model or None
        self.last_answer = done.text
        self.images += images

    def new_conversation(self) -> None:
        self.conversation = self.parent_response_id = None
        self.images = []


class _Seen(EventSink):
    """Remembers the Done (complete or not) and the images of one turn."""

    def __init__(self) -> None:
        self.done: Done | None = None
        self.images: list[Image] = []

    def on_event(self, event: Event) -> None:
        if isinstance(event, Done):
            self.done = event
        elif isinstance(event, Image):
            self.images.append(event)

    def close(self, status: ExitStatus) -> None:
        pass


class _Separated:
    """A blank line on stdout before an answer that follows another one, when stdout is no
    terminal (on one, the prompt and a blank line on stderr separate them)."""

    def __init__(self, io: IO, inner: Sink) -> None:
        self.io = io
        self.inner = inner
        self.pending = True

    def on_event(self, event: Event) -> None:
        self.on_events((event,))

    def on_events(self, events: Sequence[Event]) -> None:
        if self.pending and any(isinstance(e, Token) for e in events):
            self.pending = False
            self.io.stdout.write("\n")
        self.inner.on_events(events)

    def close(self, status: ExitStatus) -> None:
        self.inner.close(status)


@contextlib.contextmanager
def _sigint_cancels(task: asyncio.Future[Done]) -> Iterator[None]:
    """While ``task`` runs, Ctrl-C cancels it instead of the whole program."""
    loop = asyncio.get_running_loop()
    previous = signal.getsignal(signal.SIGINT)
    try:
        loop.add_signal_handler(signal.SIGINT, task.cancel)
    except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        signal.signal(signal.SIGINT, previous)


class Chat:
    def __init__(
        self, io: IO, settings: Settings, opts: ChatOptions, turns: TurnRunner, state: ChatState, *,
        interactive: bool, newline_key: str = "",
    ) -> None:  # fmt: skip
        self.io = io
        self.settings = settings
        self.opts = opts
        self.turns = turns
        self.state = state
        self.interactive = interactive
        self.newline_key = newline_key
        self.style = Style(io.color_stderr)
        self.answers = 0

    def say(self, text: str) -> None:
        """A message of the chat itself (not an answer): on stderr."""
        self.io.stderr.write(self.style.dim(neutralize(text)) + "\n")
        self.io.stderr.flush()

    async def run(self, source: LineSource) -> int:
        while True:
            line = await source.read()
            if line is None:
                return int(ExitStatus.OK)
            try:
                parsed = commands.parse(line)
            except CommandError as e:
                self._refuse(UsageError(str(e)))
                continue
            if isinstance(parsed, Command):
                if parsed.name == "exit":
                    return int(ExitStatus.OK)
                try:
                    await self.command(parsed)
                except GrokError as e:
                    self._refuse(e)
                continue
            if parsed.strip():
                await self.send(parsed)

    def _refuse(self, error: GrokError) -> None:
        """A command that cannot be done: said on a terminal, the end of a script otherwise."""
        if not self.interactive:
            raise error
        from grok_cli.cli.runner import render_error

        render_error(self.io, error)

    # -- a message -------------------------------------------------------------------------------
    async def send(self, prompt: str) -> None:
        from grok_cli.cli.frontend import image_saver, select_sink, with_status

        state = self.state
        seen = _Seen()
        output = select_sink(self.io, self.opts, self.settings.render)
        if self.opts.output == "plain" and not self.io.stdout_isatty and self.answers:
            output = _Separated(self.io, output)
        turn = state.turn(prompt)
        sink, status = with_status(self.io, self.opts, turn, Tee(output, seen))
        saver = image_saver(self.io, state.images_dir, prompt)
        run = self.turns.run(turn, sink, raw=self.opts.output == "raw", saver=saver)
        try:
            if self.interactive:
                await self._interruptible(run)
            else:
                await run
        finally:
            status.stop()
            state.answered(seen.done, seen.images)
            self.answers += 1
        if self.interactive:
            self.io.stderr.write("\n")
            self.io.stderr.flush()

    async def _interruptible(self, run: Coroutine[Any, Any, Done]) -> None:
        task = asyncio.ensure_future(run)
        with _sigint_cancels(task):
            try:
                await task
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise  # the whole chat is being stopped (SIGTERM)
                self.say("\nStopped; what had arrived is kept in the history.")
            except GrokError as e:
                from grok_cli.cli.runner import render_error

                render_error(self.io, e)

    # -- the slash commands ----------------------------------------------------------------------
    async def command(self, command: Command) -> None:
        state, arg = self.state, command.arg
        if command.name == "help":
            self.say(commands.help_text(self.newline_key or "(none without a terminal)"))
        elif command.name == "model":
            if not arg:
                self.say(f"Model: {state.mode or self._default_mode()}")
                return
            from grok_cli.mode_cache import choose_mode

            sources = {**self.settings.sources, "model": "flag"}
            state.mode = choose_mode(replace(self.settings, model=arg, sources=sources))
            self.say(f"Model: {state.mode} from the next message on.")
        elif command.name == "system":
            state.instructions = arg
            self.say(f"Instructions from the next message on: {arg}" if arg else "No instructions from now on.")
        elif command.name == "new":
            state.new_conversation()
            self.say("A new conversation starts with the next message.")
        elif command.name == "attach":
            from grok_cli.attachments import read_files

            state.files += read_files(self.io, [arg], [])
            names = ", ".join(f.label for f in state.files)
            self.say(f"Attached to the next message: {names}")
        elif command.name == "images":
            await self._save_images(Path(arg))
        elif command.name == "copy":
            self._copy()
        elif command.name == "history":
            self._show_history()

    def _default_mode(self) -> str:
        from grok_cli.mode_cache import choose_mode

        return choose_mode(self.settings)

    async def _save_images(self, directory: Path) -> None:
        from grok_cli.images import ImageSaver, report_to_stderr

        saver = ImageSaver(directory, name_hint="chat", force=False, on_failure=report_to_stderr(self.io))
        saver.prepare()
        self.state.images_dir = saver.directory
        images = [i for i in self._conversation_images() if i.path is None or not Path(i.path).is_file()]
        if images:
            client = await self.turns.client()
            for image in images:
                await saver.save(client.http, image)
        for path in saver.saved:
            self.say(f"Saved {path}")
        self.say(f"Images of this conversation are saved into {saver.directory} from now on.")

    def _conversation_images(self) -> list[Image]:
        """This conversation's images: those the history has, and those seen in this chat."""
        seen = {i.url: i for i in self.state.images}
        for turn in self._recorded_turns():
            for image in turn.images:
                url = image.get("url")
                if isinstance(url, str) and url not in seen:
                    seen[url] = Image(str(image.get("image_id") or ""), url, image.get("path"))
        return list(seen.values())

    def _recorded_turns(self) -> list[TurnRecord]:
        if self.state.conversation is None or not self.settings.history:
            return []
        from grok_cli.history import history_errors, open_history

        db = self.settings.dirs.history_db
        history = open_history(db, create=False)
        if history is None:
            return []
        try:
            with history_errors(db):
                found = history.resolve(self.state.conversation)
                return history.turns(found) if found else []
        finally:
            history.close()

    def _copy(self) -> None:
        from grok_cli.repl.clipboard import ClipboardError, copy

        if not self.state.last_answer:
            self.say("No answer to copy yet.")
            return
        try:
            tool = copy(self.state.last_answer, self.io.environ)
        except ClipboardError as e:
            self.say(str(e))
            return
        self.say(f"Copied the last answer ({tool}).")

    def _show_history(self) -> None:
        if not self.settings.history:
            self.say("The history is off (--no-history or GROK_HISTORY=0).")
            return
        turns = self._recorded_turns()
        if not turns:
            self.say("Nothing in this conversation yet.")
            return
        from grok_cli.history import open_history
        from grok_cli.transcript import as_text

        history = open_history(self.settings.dirs.history_db, create=False)
        assert history is not None
        try:
            record = history.conversation(turns[0].conversation_id)
        finally:
            history.close()
        assert record is not None
        self.io.stderr.write(neutralize(as_text(record, turns)))
        self.io.stderr.flush()


class StdinLines:
    """One message per line of a non-terminal stdin, each at most ``limit`` characters.

    The lines are read on a thread of their own, so the event loop stays free for signals
    (SIGTERM) while nothing comes; a daemon thread, so a blocked read never holds up the exit.
    """

    def __init__(self, io: IO, limit: int) -> None:
        self.io = io
        self.limit = limit
        self._queue: asyncio.Queue[bytes | None] | None = None
        self._warned = False

    def _start(self) -> asyncio.Queue[bytes | None]:
        import threading

        loop = asyncio.get_running_loop()
        # One line ahead at most: what is not asked yet stays in the pipe.
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=1)
        stream = getattr(self.io.stdin, "buffer", None)

        def read_line() -> bytes:
            if stream is not None:
                return bytes(stream.readline(4 * self.limit + 1))
            # A text stream without bytes underneath (tests).
            return self.io.stdin.readline(self.limit + 1).encode("utf-8", errors="surrogateescape")

        def put(item: bytes | None) -> None:
            asyncio.run_coroutine_threadsafe(queue.put(item), loop).result()

        def read() -> None:
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
                try:
                    while line := read_line():
                        put(line)
                except (OSError, ValueError):  # stdin closed under us: the same as its end
                    pass
                put(None)

        threading.Thread(target=read, name="grok-chat-stdin", daemon=True).start()
        return queue

    async def read(self) -> str | None:
        if self._queue is None:
            self._queue = self._start()
        data = await self._queue.get()
        if data is None:
            self._queue.put_nowait(None)  # every later read sees the end too
            return None
        text = data.decode("utf-8", errors="replace")
        cut = len(data) > 4 * self.limit and not data.endswith(b"\n")  # readline stopped at its bound
        if cut or len(text.rstrip("\r\n")) > self.limit:
            raise UsageError(
                f"A line of stdin is longer than {self.limit:,} characters.",
                "Send long text as a file: /attach FILE (or grok ask -f FILE).",
            )
        if "\ufffd" in text and not self._warned and b"\xef\xbf\xbd" not in data:
            self._warned = True
            from grok_cli.sinks.style import warn

            warn(self.io, "stdin is not UTF-8; the undecodable bytes were replaced.")
        return text.removesuffix("\n").removesuffix("\r")
