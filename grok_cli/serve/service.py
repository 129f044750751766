"""What every request of `grok serve` shares: the turns, the limiter, the conversation links,
the images handed out by URL; and where a request's new message goes."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from grok_cli.errors import GrokError
from grok_cli.io import IO
from grok_cli.protocol import models
from grok_cli.serve import wire
from grok_cli.serve.exchanges import Exchanges, Link, response_key, transcript_key
from grok_cli.serve.limits import Limiter
from grok_cli.serve.sink import Answer, Feed
from grok_cli.sinks.style import neutralize

if TYPE_CHECKING:
    from grok_cli.attachments import LocalFile
    from grok_cli.client import Client
    from grok_cli.config import Settings
    from grok_cli.events import Done
    from grok_cli.turn import Turn, TurnRunner

IMAGE_FILES_KEPT = 64  # generated images kept for their URLs, newest first


def log(io: IO, line: str) -> None:
    """One line of the server's log on stderr."""
    io.stderr.write(f"grok serve: {neutralize(line)}\n")
    io.stderr.flush()


class ImageFiles:
    """Generated images served back by URL (response_format "url"): grok.com's own URLs need its
    cookies, which never leave the grok origins. A random name is the only way to reach one."""

    def __init__(self, kept: int = IMAGE_FILES_KEPT) -> None:
        self.kept = kept
        self._files: OrderedDict[str, bytes] = OrderedDict()

    def add(self, data: bytes, extension: str) -> str:
        name = secrets.token_urlsafe(24) + extension
        self._files[name] = data
        while len(self._files) > self.kept:
            self._files.popitem(last=False)
        return name

    def get(self, name: str) -> bytes | None:
        return self._files.get(name)


class Service:
    """What every request shares: the grok.com client, the limiter and the conversation links."""

    def __init__(
        self,
        io: IO,
        settings: Settings,
        turns: TurnRunner,
        client: Client,
        *,
        limiter: Limiter,
        private: bool = False,
    ) -> None:
        self.io = io
        self.settings = settings
        self.turns = turns
        self.client = client  # the turns' own, opened before listening
        self.limiter = limiter
        self.private = private
        self.exchanges = Exchanges(settings.dirs.history_db if settings.history else None)
        self.images = ImageFiles()

    def mode(self, name: str) -> str:
        """The mode id for a model name `-m` takes; 404 model_not_found otherwise."""
        from grok_cli import mode_cache

        discovery = mode_cache.load(self.settings)
        try:
            return models.resolve(name, discovery.ids if discovery else ())
        except GrokError as e:
            raise wire.BadRequest(
                f"The model {name!r} does not exist. {e.hint or ''}".strip(), "model", 404, "model_not_found"
            ) from None

    def model_ids(self) -> list[str]:
        from grok_cli import mode_cache

        discovery = mode_cache.load(self.settings)
        return models.all_names(discovery.ids if discovery else ())

    def plan(self, conv: wire.Conversation) -> Plan:
        """Where the new message goes: a follow-up of a known exchange, or a new conversation."""
        link: Link | None = None
        context = conv.earlier  # earlier messages the new conversation (or message) must carry
        if conv.previous_response_id:
            link = self._find(response_key(conv.previous_response_id))
            if link is None:
                raise wire.BadRequest(
                    f"Previous response with id {conv.previous_response_id!r} not found.",
                    "previous_response_id",
                    404,
                    "previous_response_not_found",
                )
        elif conv.earlier:
            link = self._find(transcript_key(conv.system, conv.earlier))
            if link is not None:
                context = ()
        messages = [*(m for m in context if m.role == "user"), conv.message]
        prompt = wire.first_message(context, conv.message)
        images = [url for m in messages for url in m.images]
        files = tuple(wire.attachment(url, i) for i, url in enumerate(images))
        return Plan(prompt, link, files)

    def _find(self, key: str) -> Link | None:
        """The link for ``key``; None, after a warning, when the history cannot be read (the
        message then starts a new conversation, as for an unknown transcript)."""
        try:
            return self.exchanges.find(key)
        except GrokError as e:
            log(self.io, f"warning: cannot look up earlier exchanges. {e.message}")
            return None

    async def run(self, turn: Turn, sink: Feed) -> Done:
        """One turn through the CLI's own turn layer, at most ``concurrency`` at once."""
        async with self.limiter.slot():
            return await self.turns.run(turn, sink)

    def turn(self, conv: wire.Conversation, plan: Plan, mode: str) -> Turn:
        from grok_cli.turn import Turn

        return Turn(
            prompt=plan.prompt,
            mode=mode,
            conversation=plan.link.conversation_id if plan.link else None,
            parent_response_id=plan.link.response_id if plan.link else None,
            files=plan.files,
            private=self.private,
            # grok.com keeps no instructions with a conversation: every turn carries them. None:
            # the conversation's, or GROK_SYSTEM for a new one, as with grok ask.
            instructions=conv.system,
        )

    def remember(self, conv: wire.Conversation, answer: Answer, done: Done, response_id: str | None = None) -> None:
        """Link what the client now holds to the grok.com answer, for its next request."""
        if not done.conversation_id or not done.response_id:
            return
        keys = {
            transcript_key(conv.system, [*conv.earlier, conv.message, wire.Message("assistant", text)])
            for text in {"".join(answer.text), answer.full_text}
        }
        if response_id is not None:
            keys.add(response_key(response_id))
        try:
            self.exchanges.remember(sorted(keys), Link(done.conversation_id, done.response_id))
        except GrokError as e:
            log(self.io, f"warning: follow-ups of this answer will start new conversations. {e.message}")


@dataclass(frozen=True, slots=True)
class Plan:
    prompt: str
    link: Link | None  # continue this grok.com conversation, replying to this answer
    files: tuple[LocalFile, ...]
