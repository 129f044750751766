"""What grok knows of grok.com's frame shapes, to name the parts of an answer it does not know.

The normalisers use what they understand and ignore the rest, as they must: grok.com adds fields
all the time. ``grok doctor`` asks the other question, "did anything arrive that grok has never
seen?", because that is the first sign of a protocol change. The catalogue follows
grok-protocol.md: REST frames (section 5.3), gateway events (sections 9 and 9.1).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Keys of a REST frame's payload (``result.response`` on /new, ``result`` on a follow-up).
REST_PAYLOAD_KEYS = frozenset({
    "conversation", "userResponse", "uiLayout", "llmInfo", "token", "isThinking", "isSoftStop",
    "messageTag", "responseId", "messageStepId", "toolUsageCardId", "toolUsageCard", "webSearchResults",
    "xSearchResults", "rolloutId", "sideBySideIndex", "finalMetadata", "modelResponse",
    "streamingImageGenerationResponse", "cardAttachment", "progressReport", "imageDimensions",
    "imageAttachmentInfo", "streamingVideoGenerationResponse", "deepSearchStatus", "toolUsage", "error",
    "title", "response",
})  # fmt: skip
REST_TOP_KEYS = frozenset({"result", "error"})

GATEWAY_EVENTS = frozenset({
    "session.created", "session.updated", "session.ended", "conversation.attached",
    "conversation.queue.updated", "conversation.item.added", "conversation.title.updated",
    "conversation.history.item", "conversation.history.done", "response.created",
    "response.output_item.added", "response.output_item.done", "response.content_part.added",
    "response.content_part.done", "response.chunk", "response.output_text.delta",
    "response.reasoning_text.delta", "response.output_text.done", "response.search.result",
    "response.grok.output", "response.done", "response.persisted", "error", "ping", "pong",
    "presence.update",
})  # fmt: skip
GATEWAY_CHUNKS = frozenset({
    "text", "ui_layout", "metadata", "phase_marker", "tool_usage_card", "tool_result", "render_citation",
    "render_generated_image", "render_edited_image", "image_chunk", "card_attachment",
    "follow_up_suggestions", "usage",
})  # fmt: skip


def _unknown(keys: Iterable[Any], known: frozenset[str]) -> list[str]:
    return sorted(str(k) for k in keys if k not in known)


def unknown_in_rest_frame(frame: Any) -> list[str]:
    """What a REST stream frame holds that grok does not know, named for a person to read."""
    if not isinstance(frame, Mapping):
        return [f"a frame that is a {type(frame).__name__}, not an object"]
    found = [f"frame key {k!r}" for k in _unknown(frame, REST_TOP_KEYS)]
    result = frame.get("result")
    if isinstance(result, Mapping):
        payload = result.get("response") if isinstance(result.get("response"), Mapping) else result
        found += [f"frame field {k!r}" for k in _unknown(payload, REST_PAYLOAD_KEYS)]
    return found


def unknown_in_gateway_event(event: Any) -> list[str]:
    """What a gateway event holds that grok does not know: its type, or a chunk's kind."""
    if not isinstance(event, Mapping):
        return ["an event that is not an object"]
    kind = event.get("type")
    if kind not in GATEWAY_EVENTS:
        return [f"gateway event {kind!r}"]
    chunk = event.get("chunk")
    if kind == "response.chunk" and isinstance(chunk, Mapping):
        return [f"gateway chunk {k!r}" for k in _unknown(chunk, GATEWAY_CHUNKS)]
    return []
