"""Conversations as grok.com keeps them (protocol section 4.6): what a follow-up needs to know.

Used when the local history has never seen a conversation, e.g. one started in the browser: the
thread that ends at its newest answer is read back, so the follow-up replies to that answer with
its mode, and the local history can show the conversation from its start.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from grok_cli.errors import UsageError
from grok_cli.history import Continuation, ImportedTurn
from grok_cli.protocol import models
from grok_cli.protocol.gateway import RESPONSE_CHANNEL
from grok_cli.protocol.normalize import PLACEHOLDER_TITLE
from grok_cli.protocol.render import strip_markup

_BASE = "/rest/app-chat/conversations"


@dataclass(frozen=True, slots=True)
class RemoteConversation:
    continuation: Continuation
    created: str | None
    turns: list[ImportedTurn]  # the thread ending at continuation.parent_response_id, oldest first


def _mode_of(response: Mapping[str, Any]) -> str | None:
    """The modeId an assistant response was made with, if it says."""
    meta = response.get("metadata")
    request_meta = meta.get("request_metadata") if isinstance(meta, Mapping) else None
    mode = request_meta.get("mode") if isinstance(request_meta, Mapping) else None
    if isinstance(mode, str) and mode:
        # grok.com's own mode id: sent back as it is, even one this version does not list.
        return models.resolve(mode, (mode,))
    # The 2025 form, requestMetadata.mode = "MODEL_MODE_AUTO": only modes we know.
    legacy = response.get("requestMetadata")
    legacy_mode = legacy.get("mode") if isinstance(legacy, Mapping) else None
    if not isinstance(legacy_mode, str):
        return None
    try:
        return models.resolve(legacy_mode.removeprefix("MODEL_MODE_").lower())
    except UsageError:
        return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: Any) -> float:
    """A step or phase index; anything unusable sorts as 0 (the chunk's place then decides)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return 0.0
    return float(value)


def _chunk_text(chunk: Any) -> tuple[str, Any]:
    """(text, channel) of one ``{"text": {"text", "channel"}}`` chunk; ("", None) for others."""
    body = chunk.get("text") if isinstance(chunk, Mapping) else None
    if not isinstance(body, Mapping):
        return "", None
    text = body.get("text")
    return (text if isinstance(text, str) else ""), body.get("channel")


def prompt_of(response: Mapping[str, Any]) -> str:
    """A human turn's text: the flat ``message``, or its ``inputChunks`` (the 2026 chunk form)."""
    message = response.get("message")
    if isinstance(message, str):
        return message
    chunks = response.get("inputChunks")
    return "".join(_chunk_text(c)[0] for c in chunks) if isinstance(chunks, list) else ""


def answer_of(response: Mapping[str, Any]) -> str:
    """An assistant turn's answer: the flat ``message``, or the response-channel text of its
    ``outputChunks``, put in step order (grok.com stores them out of order; thinking and every
    other channel are not answer)."""
    message = response.get("message")
    if isinstance(message, str):
        return message
    chunks = response.get("outputChunks")
    if not isinstance(chunks, list):
        return ""

    def order(indexed: tuple[int, Any]) -> tuple[float, float, int]:
        index, chunk = indexed
        meta = chunk.get("metadata") if isinstance(chunk, Mapping) else None
        meta = meta if isinstance(meta, Mapping) else {}
        return _number(meta.get("stepId")), _number(meta.get("phaseIndex")), index

    texts = (_chunk_text(chunk) for _, chunk in sorted(enumerate(chunks), key=order))
    return "".join(text for text, channel in texts if channel == RESPONSE_CHANNEL)


def latest_assistant(nodes: Any, responses: Any) -> tuple[str, Mapping[str, Any]] | None:
    """The newest assistant response of a conversation tree: (id, its loaded body or {})."""
    ids = [
        n["responseId"]
        for n in (nodes or [])
        if isinstance(n, Mapping) and n.get("sender") == "assistant" and isinstance(n.get("responseId"), str)
    ]
    if not ids:
        return None
    bodies = {r.get("responseId"): r for r in (responses or []) if isinstance(r, Mapping)}
    order = {rid: i for i, rid in enumerate(ids)}

    def key(rid: str) -> tuple[str, int]:
        created = bodies.get(rid, {}).get("createTime")
        return (created if isinstance(created, str) else "", order[rid])

    newest = max(ids, key=key)
    return newest, bodies.get(newest, {})


def thread(nodes: Any, responses: Any, last_assistant: str, default_mode: str) -> list[ImportedTurn]:
    """The turns from the root to ``last_assistant``, oldest first (other branches are left out)."""
    parents = {
        n["responseId"]: _str(n.get("parentResponseId"))
        for n in nodes or []
        if isinstance(n, Mapping) and isinstance(n.get("responseId"), str)
    }
    bodies = {r.get("responseId"): r for r in (responses or []) if isinstance(r, Mapping)}
    turns: list[ImportedTurn] = []
    assistant: str | None = last_assistant
    seen: set[str] = set()
    while assistant is not None and assistant not in seen:
        seen.add(assistant)
        human = parents.get(assistant)
        if human is None:
            break
        asked, answered = bodies.get(human, {}), bodies.get(assistant, {})
        previous = parents.get(human)
        turns.append(
            ImportedTurn(
                user_response_id=human,
                response_id=assistant,
                parent_response_id=previous,
                prompt=prompt_of(asked),
                answer=strip_markup(answer_of(answered)),
                model=_mode_of(answered) or default_mode,
                complete=answered.get("partial") is not True,
                started=_str(asked.get("createTime")),
                finished=_str(answered.get("createTime")),
            )
        )
        assistant = previous
    turns.reverse()
    return turns


async def remote_conversation(http: Any, conversation_id: str) -> RemoteConversation:
    """Ask grok.com for a conversation's newest answer, the mode it used and the thread to it.

    ``http`` is a ``GrokHTTP``; an unknown conversation is a usage error (grok.com answers 404).
    """
    conv = await http.request_json("GET", f"{_BASE}/{conversation_id}")
    tree = await http.request_json("GET", f"{_BASE}/{conversation_id}/response-node?includeThreads=true")
    nodes = tree.get("responseNodes") if isinstance(tree, Mapping) else None
    ids = [n["responseId"] for n in nodes or [] if isinstance(n, Mapping) and isinstance(n.get("responseId"), str)]
    loaded = await http.request_json("POST", f"{_BASE}/{conversation_id}/load-responses", {"responseIds": ids})
    responses = loaded.get("responses") if isinstance(loaded, Mapping) else None
    found = latest_assistant(nodes, responses)
    if found is None:
        raise UsageError(
            f"The conversation {conversation_id} has no answer to reply to yet.",
            'Start a new one with: grok ask "..."',
        )
    response_id, body = found
    mode = _mode_of(body) or models.DEFAULT_MODE
    conv = conv if isinstance(conv, Mapping) else {}
    title = _str(conv.get("title"))
    return RemoteConversation(
        continuation=Continuation(
            conversation_id=conversation_id,
            parent_response_id=response_id,
            model=mode,
            title=None if title == PLACEHOLDER_TITLE else title,
            private=bool(conv.get("temporary")),
        ),
        created=_str(conv.get("createTime")),
        turns=thread(nodes, responses, response_id, mode),
    )
