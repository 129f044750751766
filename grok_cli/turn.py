"""One chat turn, whatever the front end: resolve the conversation, build the request, upload,
stream the events through the sinks, record.

A front end (``grok ask``, ``continue``, ``images``, ``chat``, ``serve``) only maps its input to a
:class:`Turn` and picks an output sink; everything between that and the wire happens here, once:

    async with TurnRunner(io, settings) as turns:
        done = await turns.run(Turn("why?"), sink)
        await turns.run(Turn("and then?", conversation=done.conversation_id,
                             parent_response_id=done.response_id), sink)

The client is opened on the first turn that needs it, so a conversation id the history does not
know is a usage error before any credentials are looked at.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from grok_cli.errors import ExitStatus, GrokError, RateLimitedError, UsageError, output_failed
from grok_cli.events import Done, Error, Event, Flush, Image
from grok_cli.io import IO
from grok_cli.protocol.payload import ChatRequest, with_attachments
from grok_cli.protocol.upload import LONG_PROMPT_LIMIT, Attachment, human_size, prompt_is_too_long
from grok_cli.sinks.base import Sink

if TYPE_CHECKING:
    from grok_cli.attachments import LocalFile
    from grok_cli.client import Client
    from grok_cli.config import Settings
    from grok_cli.history import Continuation
    from grok_cli.images import ImageSaver

# A full conversation id: what may be looked up on grok.com when the history lacks it.
FULL_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class Turn:
    """What a front end asks for: one user message, in a new conversation or an existing one."""

    prompt: str
    mode: str | None = None  # a mode id; None: the conversation's for a follow-up, else the settings'
    conversation: str | None = None  # None: a new conversation; else a full id, unique prefix or "last"
    parent_response_id: str | None = None  # with a full id: reply to this response, no lookup
    files: tuple[LocalFile, ...] = ()
    private: bool = False  # a new conversation grok.com does not keep
    search: bool = True
    image_count: int = 2
    force_image_generation: bool = False
    # Instructions (a system prompt), "" for none; None: the conversation's for a follow-up (when
    # the history knows them), else the settings' (GROK_SYSTEM, config.toml).
    instructions: str | None = None


def open_client(io: IO, settings: Settings) -> Client:
    """A client with the credentials of this run (GROK_COOKIE or the stored login)."""
    from grok_cli.auth.resolve import require_credentials
    from grok_cli.client import Client
    from grok_cli.sinks.style import warn

    credentials = require_credentials(settings.dirs, io.environ, interactive=io.interactive)
    return Client(settings, credentials, clock=io.monotonic, warn=lambda message: warn(io, message))


class TurnRunner:
    """Runs the turns of one front end over one client, opened when a turn first needs it."""

    def __init__(self, io: IO, settings: Settings) -> None:
        self.io = io
        self.settings = settings
        self._client: Client | None = None
        self._exits = contextlib.AsyncExitStack()

    async def __aenter__(self) -> TurnRunner:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._exits.aclose()

    async def client(self) -> Client:
        if self._client is None:
            client = open_client(self.io, self.settings)
            self._client = await self._exits.enter_async_context(client)
        return self._client

    async def run(self, turn: Turn, sink: Sink, *, raw: bool = False, saver: ImageSaver | None = None) -> Done:
        """Stream ``turn``'s answer into ``sink`` (and the history), returning its final Done.

        Every file is uploaded before the chat request is made, or none is used. With a ``saver``,
        each Image is downloaded before the sinks see it, so its ``path`` is known there. On
        failure the sinks get the partial answer and the error, and the GrokError is raised.
        """
        known = self._known(turn)
        client = await self.client()
        request, title = await self._request(client, turn, known)
        if saver is not None:
            saver.prepare()
        uploads = uploads_for(self.io, request, turn.files)
        sink = self._recording(sink, request, title)
        return await _stream(self.io, client, request, uploads, sink, raw=raw, saver=saver)

    def conversation(self, ref: str) -> Continuation | None:
        """What the local history knows of the conversation ``ref`` (id, unique prefix, "last");
        None for a full id it lacks, which a turn then looks up on grok.com. A usage error when
        ``ref`` names nothing."""
        return self._known(Turn("", conversation=ref))

    def _known(self, turn: Turn) -> Continuation | None:
        """What the local history knows of the turn's conversation (None: new, or ask grok.com)."""
        if turn.conversation is None:
            return None
        from grok_cli.history import LAST, Continuation, history_errors, open_history

        db = self.settings.dirs.history_db
        wanted = turn.conversation.strip().lower()
        known: Continuation | None = None
        history = open_history(db, create=False)
        if history is None:
            if wanted == LAST:
                raise UsageError("The history has no conversation yet.", 'Start one with: grok ask "..."')
        else:
            try:
                with history_errors(db):
                    found = history.resolve(wanted)
                    known = history.continuation(found) if found is not None else None
            finally:
                history.close()
        if turn.parent_response_id is not None:
            # The front end knows what it replies to (chat, serve): no need to ask grok.com.
            if known is None:
                from grok_cli.mode_cache import choose_mode

                mode = turn.mode or choose_mode(self.settings)
                return Continuation(wanted, turn.parent_response_id, mode, title=None, private=False)
            return replace(known, parent_response_id=turn.parent_response_id)
        if known is None and not FULL_ID.match(wanted):
            raise UsageError(
                f"No conversation {turn.conversation!r} in the local history.",
                "Give the full id to continue a conversation started elsewhere; `grok history list` shows yours.",
            )
        return known

    async def _request(self, client: Client, turn: Turn, known: Continuation | None) -> tuple[ChatRequest, str | None]:
        """The chat request of ``turn``, and the conversation's title when it is a follow-up."""
        conversation: dict[str, Any]
        if turn.conversation is None:
            from grok_cli.mode_cache import choose_mode

            conversation = {"mode": turn.mode or choose_mode(self.settings), "temporary": turn.private}
        else:
            if known is None or known.parent_response_id is None:
                # Not in the history, or no answer of it was recorded (it failed before one came).
                conversation_id = known.conversation_id if known else turn.conversation.strip().lower()
                known = await self._remote(client, conversation_id, known)
            conversation = {
                "mode": turn.mode or known.model,
                "conversation_id": known.conversation_id,
                "parent_response_id": known.parent_response_id,
                "temporary": known.private,
            }
        request = ChatRequest(
            prompt=turn.prompt,
            disable_search=not turn.search,
            image_count=turn.image_count,
            force_image_generation=turn.force_image_generation,
            instructions=self._instructions(turn, known),
            **conversation,
        )
        return request, known.title if known else None

    def _instructions(self, turn: Turn, known: Continuation | None) -> str:
        if turn.instructions is not None:
            return turn.instructions
        if known is not None and known.instructions is not None:
            return known.instructions
        return self.settings.system or ""

    async def _remote(self, client: Client, conversation_id: str, known: Continuation | None) -> Continuation:
        """The conversation as grok.com has it; put into the history when it was not there."""
        from grok_cli.conversations import remote_conversation

        remote = await remote_conversation(client.http, conversation_id)
        if known is not None:
            return replace(known, parent_response_id=remote.continuation.parent_response_id)
        if self.settings.history:
            from grok_cli.sinks.history import record_imported

            record_imported(self.io, self.settings.dirs.history_db, remote.continuation, remote.created, remote.turns)
        return remote.continuation

    def _recording(self, sink: Sink, request: ChatRequest, title: str | None) -> Sink:
        """``sink`` with the history recorder before it, where the history is on.

        The recorder comes first: when writing the output fails (a full disk), what arrived is
        still recorded."""
        if not self.settings.history:
            return sink

        def recorder() -> Sink | None:
            from grok_cli.sinks.history import open_recorder

            return open_recorder(self.io, self.settings.dirs.history_db, request, title=title)

        return Recorded(recorder, sink)


class Recorded:
    """The output sink with the history recorder before it.

    When the output fails (a full disk, a closed stdout) the answer still streams into the
    history to its end; then the turn fails, recorded with what failed. A reader that left the
    pipe (`| head`) stops the turn instead: that is the user's choice.

    The recorder is opened with the first event that is more than a flush: importing sqlite3
    and opening the database happen after the request has left, not before it."""

    def __init__(self, open_recorder: Callable[[], Sink | None], output: Sink) -> None:
        self._open: Callable[[], Sink | None] | None = open_recorder
        self.recorder: Sink | None = None
        self.output = output
        self.output_error: OSError | None = None

    def _recording(self, events: Sequence[Event]) -> Sink | None:
        if self._open is not None and any(not isinstance(e, Flush) for e in events):
            self.recorder, self._open = self._open(), None
        return self.recorder

    def on_event(self, event: Event) -> None:
        self.on_events((event,))

    def on_events(self, events: Sequence[Event]) -> None:
        """The whole batch is recorded before any of it is written out."""
        recorder = self._recording(events)
        if recorder is not None:
            recorder.on_events(events)
        if self.output_error is not None:
            return
        try:
            self.output.on_events(events)
        except BrokenPipeError:
            raise
        except OSError as e:
            self.output_error = e

    def close(self, status: ExitStatus) -> None:
        failure = output_failed(self.output_error) if self.output_error is not None else None
        recorder = self.recorder
        if failure is not None and status == ExitStatus.OK and recorder is not None:
            recorder.on_event(Error(failure.code, failure.message, int(failure.status)))
        if failure is not None and status == ExitStatus.OK:
            status = failure.status
        try:
            if recorder is not None:
                recorder.close(status)
        finally:
            if self.output_error is None:
                self.output.close(status)
        if failure is not None:
            raise failure from self.output_error


def uploads_for(io: IO, request: ChatRequest, files: Sequence[LocalFile]) -> list[LocalFile]:
    """The files to upload for this turn: the given ones, and the prompt when it is too long."""
    if not prompt_is_too_long(request.prompt):
        return list(files)
    from grok_cli.attachments import prompt_file

    if io.stderr_isatty:
        io.stderr.write(
            f"The prompt ({human_size(len(request.prompt.encode()))}) is longer than "
            f"{LONG_PROMPT_LIMIT:,} characters; it is sent as an attached text file.\n"
        )
    return [prompt_file(request.prompt), *files]


async def _upload(io: IO, client: Client, file: LocalFile) -> Attachment:
    from grok_cli.sinks.upload_progress import UploadProgress

    progress = UploadProgress(io, file.label, file.size)
    try:
        return await client.upload(file, progress)
    finally:
        progress.finish()


def _fail(sink: Sink, error: GrokError) -> None:
    sink.on_event(Error(error.code, error.message, int(error.status)))
    sink.close(error.status)


async def _stream(
    io: IO,
    client: Client,
    request: ChatRequest,
    uploads: Sequence[LocalFile],
    sink: Sink,
    *,
    raw: bool,
    saver: ImageSaver | None,
) -> Done:
    import asyncio

    from grok_cli.client import ChatStream

    stream: ChatStream | None = None
    done: Done | None = None
    try:
        request = with_attachments(request, [await _upload(io, client, f) for f in uploads])
        stream = client.chat(request, raw=raw)
        async with contextlib.aclosing(stream.batches()) as batches:
            async for batch in batches:
                if saver is not None:
                    batch = [await saver.save(client.http, e) if isinstance(e, Image) else e for e in batch]
                if batch and isinstance(batch[-1], Done):
                    done = batch[-1]
                sink.on_events(batch)
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
    except BrokenPipeError:
        # The reader left (`| head`): the history keeps what arrived, and grok ends quietly.
        sink.close(ExitStatus.INTERRUPTED)
        raise
    except OSError as e:
        # The output failed (a full disk, a closed stdout) with no history to go on into (with
        # one, Recorded keeps streaming into it and fails the turn when it closes).
        failure = output_failed(e)
        with contextlib.suppress(OSError):
            sink.on_event(Error(failure.code, failure.message, int(failure.status)))
        with contextlib.suppress(OSError):
            sink.close(failure.status)
        raise failure from e
    failure = saver.error() if saver is not None else None
    if failure is not None:
        _fail(sink, failure)
        raise failure
    sink.close(ExitStatus.OK)
    assert done is not None  # a stream that ends without failing ends with its Done
    return done
