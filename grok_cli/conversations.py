"""Conversations as grok.com keeps them (protocol section 4.6): what a follow-up needs to know.

Used when the local history has never seen a conversation, e.g. one started in the browser.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grok_cli.errors import UsageError
from grok_cli.history import Continuation
from grok_cli.protocol import models

_BASE = "/rest/app-chat/conversations"


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


async def remote_continuation(http: Any, conversation_id: str) -> Continuation:
    """Ask grok.com for a conversation's latest assistant response and the mode it used.

    ``http`` is a ``GrokHTTP``; an unknown conversation is a usage error (grok.com answers 404).
    """
    conv = await http.request_json("GET", f"{_BASE}/{conversation_id}")
    tree = await http.request_json("GET", f"{_BASE}/{conversation_id}/response-node?includeThreads=true")
    nodes = tree.get("responseNodes") if isinstance(tree, Mapping) else None
    assistant_ids = [
        n["responseId"] for n in nodes or [] if isinstance(n, Mapping) and n.get("sender") == "assistant"
    ]
    loaded = {}
    if assistant_ids:
        loaded = await http.request_json(
            "POST", f"{_BASE}/{conversation_id}/load-responses", {"responseIds": assistant_ids}
        )
    found = latest_assistant(nodes, loaded.get("responses") if isinstance(loaded, Mapping) else None)
    if found is None:
        raise UsageError(
            f"The conversation {conversation_id} has no answer to reply to yet.",
            'Start a new one with: grok ask "..."',
        )
    response_id, body = found
    conv = conv if isinstance(conv, Mapping) else {}
    title = conv.get("title") if isinstance(conv.get("title"), str) else None
    return Continuation(
        conversation_id=conversation_id,
        parent_response_id=response_id,
        model=_mode_of(body) or models.DEFAULT_MODE,
        title=None if title == "New conversation" else title,
        private=bool(conv.get("temporary")),
    )
