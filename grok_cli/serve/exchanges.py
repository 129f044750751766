"""Conversations, not transcripts: which grok.com conversation a request's messages continue.

OpenAI clients send the whole transcript with every request. When its earlier messages are an
exchange this server answered (the same instructions, user and assistant messages), the new
message continues that grok.com conversation, replying to the answer given then; grok.com keeps
the context and only the new message travels. The links live in the history database (table
``serve_exchanges``), so a restart keeps them; with ``--no-history`` they are kept in memory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grok_cli.serve.wire import Message

RESPONSE_PREFIX = "response:"
_MEMORY_LIMIT = 10_000  # links kept without a database: enough for a day of a busy editor


@dataclass(frozen=True, slots=True)
class Link:
    conversation_id: str
    response_id: str  # the grok.com answer to reply to


def transcript_key(system: str | None, messages: Sequence[Message]) -> str:
    """A digest of the instructions and messages; equal transcripts give equal keys."""
    parts = [["system", (system or "").strip()]]
    for m in messages:
        images = [hashlib.sha256(url.encode()).hexdigest() for url in m.images]
        parts.append([m.role, m.text.strip(), *images])
    encoded = json.dumps(parts, ensure_ascii=False, separators=(",", ":")).encode()
    return "transcript:" + hashlib.sha256(encoded).hexdigest()


def response_key(response_id: str) -> str:
    return RESPONSE_PREFIX + response_id


class Exchanges:
    """The links; ``db`` is the history database, or None to keep them in memory."""

    def __init__(self, db: Path | None) -> None:
        self.db = db
        self._memory: dict[str, Link] = {}

    def find(self, key: str) -> Link | None:
        if self.db is None:
            return self._memory.get(key)
        from grok_cli.history import history_errors, open_history

        history = open_history(self.db, create=False)
        if history is None:
            return None
        try:
            with history_errors(self.db):
                found = history.exchange(key)
        finally:
            history.close()
        return Link(*found) if found else None

    def remember(self, keys: Sequence[str], link: Link) -> None:
        if self.db is None:
            for key in keys:
                self._memory.pop(key, None)
                self._memory[key] = link
            while len(self._memory) > _MEMORY_LIMIT:
                self._memory.pop(next(iter(self._memory)))
            return
        from grok_cli.history import history_errors, open_history

        history = open_history(self.db)
        assert history is not None
        try:
            with history_errors(self.db):
                history.link_exchange(list(keys), link.conversation_id, link.response_id)
        finally:
            history.close()
