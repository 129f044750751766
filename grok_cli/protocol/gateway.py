"""The WebSocket chat gateway (``/ws/mgw/``, protocol section 9): client frames and events.

Pure, no I/O. Every message either way is one JSON text frame
``{"session_id": <conversation id, optional>, "event": {"type": ..., ...}}``.

Beyond section 9, two shapes come from a public test suite of a gateway client (scripted
"live mgw" frames): ``conversation.item.added`` carrying the user item's id, and the
``CHANNEL_ASSISTANT_NOTETAKER_HEADER`` / ``..._SUMMARY`` text channels (grok's own enum
``Channel``), which are the REST stream's ``header`` / ``summary`` reasoning tags.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from grok_cli.errors import UsageError
from grok_cli.events import Conversation, Event, SearchResult, SearchResults, Title, ToolCall, UserTurn
from grok_cli.protocol.answer import AnswerState
from grok_cli.protocol.errors import classify_stream_error
from grok_cli.protocol.payload import ChatRequest

GATEWAY_PATH = "/ws/mgw/"
RESPONSE_CHANNEL = "CHANNEL_ASSISTANT_RESPONSE"
_REASONING_CHANNELS: dict[str, str | None] = {
    "CHANNEL_ASSISTANT_THINKING": None,
    "CHANNEL_ASSISTANT_ANALYSIS": None,
    "CHANNEL_ASSISTANT_REASONING": None,
    "CHANNEL_ASSISTANT_NOTETAKER_HEADER": "header",
    "CHANNEL_ASSISTANT_NOTETAKER_SUMMARY": "summary",
}
_NOT_FOUND = 5  # google.rpc NOT_FOUND: the conversation to resume does not exist

Json = dict[str, Any]


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _millis() -> int:
    return int(time.time() * 1000)


# -- client -> server ----------------------------------------------------------------------------
def frame(event: Json, session_id: str | None = None) -> str:
    message: Json = {"event": event} if session_id is None else {"session_id": session_id, "event": event}
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def session_create(req: ChatRequest, event_id: str) -> str:
    """Open a session: a new conversation, or the request's conversation when it is a follow-up."""
    x_grok: Json = {
        "protocol_capabilities": ["conversation_attached", "custom_methods_v1"],
        "use_chunk": True,
        "enable_side_by_side": True,
        "force_side_by_side": False,
        "enable_image_generation": True,
        "image_generation_count": req.image_count,
        "disable_text_follow_ups": False,
        "disable_artifact": True,
        "force_concise": False,
        # Inferred from the REST body's disableSearch: section 9 names no search switch.
        "disable_search": req.disable_search,
    }
    if req.instructions:
        # Section 9 shows no instructions on the gateway. Its session settings are the REST body's
        # flags in snake_case (forceConcise -> force_concise, ...), so the web app's custom
        # instructions (REST customInstructions) go in the same place under the same rule. They
        # belong to the session, which lasts one turn here, so every turn sends them again.
        x_grok["custom_instructions"] = req.instructions
    if req.is_follow_up:
        x_grok.update({"conversation_id": req.conversation_id, "load_existing": True, "needs_history": False})
    else:
        x_grok.update({"keep_context": False, "is_temporary": req.temporary, "disable_memory": False})
    event = {"type": "session.create", "event_id": event_id, "session": {"model": req.mode, "x_grok": x_grok}}
    return frame(event, req.conversation_id)


def new_event_id(kind: str) -> str:
    return f"evt_{kind}_{uuid.uuid4()}" if kind == "init" else f"evt_{kind}_{_millis()}"


def item_create(req: ChatRequest, session_id: str, event_id: str) -> str:
    """The user's message; file mentions first, as the web app sends them."""
    chunks: list[Json] = [{"mention": {"target": {"file_mention": {"file_id": f}}}} for f in req.file_ids]
    chunks.append({"text": {"text": req.message}})
    item: Json = {
        "type": "message",
        "role": "user",
        "x_grok": {"client_message_id": str(uuid.uuid4()), "input_chunks": chunks},
    }
    if req.file_ids:
        item["file_attachment_ids"] = list(req.file_ids)
    event: Json = {"type": "conversation.item.create", "event_id": event_id, "item": item}
    if req.parent_response_id:
        event["parent_response_id"] = req.parent_response_id
    return frame(event, session_id)


def response_create(session_id: str, event_id: str) -> str:
    return frame({"type": "response.create", "event_id": event_id}, session_id)


def ping(event_id: str) -> str:
    return frame({"type": "ping", "event_id": event_id})


def pong(event_id: Any) -> str:
    return frame({"type": "pong", "event_id": event_id})


def parse_message(text: str | bytes) -> Json | None:
    """The event of one server frame, or None for anything that is not one."""
    try:
        message = json.loads(text)
    except ValueError:
        return None
    if not isinstance(message, Mapping):
        return None
    event = message.get("event")
    if not isinstance(event, Mapping) or not isinstance(event.get("type"), str):
        return None
    out = dict(event)
    if isinstance(message.get("session_id"), str):
        out.setdefault("session_id", message["session_id"])
    return out


# -- server -> client ----------------------------------------------------------------------------
class GatewayNormalizer(AnswerState):
    """Gateway events -> the same events as the REST stream gives."""

    session_id: str | None = None
    attached = False
    ended = False  # session.ended: nothing more will come

    @property
    def ready(self) -> bool:
        """The session exists and is attached to a conversation: the message may be sent."""
        return self.session_id is not None and self.attached

    def feed(self, event: Mapping[str, Any]) -> list[Event]:
        kind = _str(event.get("type"))
        handler = _HANDLERS.get(kind)
        if handler is None:
            return []
        rid = _str(event.get("response_id"))
        if rid and kind.startswith("response."):
            self.response_id = rid
        return handler(self, event)

    # -- session ------------------------------------------------------------------------------
    def _on_session_created(self, event: Mapping[str, Any]) -> list[Event]:
        session = _dict(event.get("session"))
        self.session_id = _str(event.get("session_id")) or _str(session.get("id")) or self.session_id or ""
        return []

    def _on_attached(self, event: Mapping[str, Any]) -> list[Event]:
        conversation = _dict(event.get("conversation"))
        conv_id = _str(conversation.get("id")) or _str(conversation.get("conversation_id"))
        if not conv_id:
            return []
        self.attached = True
        self.conversation_id = conv_id
        self.session_id = self.session_id or conv_id
        title = _str(conversation.get("title")) or None
        return [Conversation(conv_id, title, self.model)]

    def _on_item_added(self, event: Mapping[str, Any]) -> list[Event]:
        item = _dict(event.get("item"))
        item_id = _str(item.get("id"))
        if item.get("role") != "user" or not item_id:
            return []
        self.user_response_id = item_id
        return [UserTurn(item_id)]

    def _on_title(self, event: Mapping[str, Any]) -> list[Event]:
        title = _str(event.get("title")) or _str(_dict(event.get("conversation")).get("title"))
        if not title:
            return []
        self.title = title
        return [Title(title)]

    def _on_session_ended(self, event: Mapping[str, Any]) -> list[Event]:
        self.ended = True
        return []

    def _on_error(self, event: Mapping[str, Any]) -> list[Event]:
        error = event.get("error") or {"message": _str(event.get("message")) or "unknown error"}
        if isinstance(error, Mapping) and error.get("code") == _NOT_FOUND and not self.attached:
            raise UsageError(
                f"grok.com does not know that conversation ({_str(error.get('message')) or 'not found'})."
            )
        raise classify_stream_error(error)

    # -- the answer ---------------------------------------------------------------------------
    def _on_chunk(self, event: Mapping[str, Any]) -> list[Event]:
        chunk = _dict(event.get("chunk"))
        events: list[Event] = []
        text = chunk.get("text")
        if isinstance(text, Mapping) and _str(text.get("text")):
            events += self._on_text(text["text"], _str(text.get("channel")))
        if isinstance(chunk.get("tool_usage_card"), Mapping):
            events += self._on_tool_card(chunk["tool_usage_card"])
        if isinstance(chunk.get("tool_result"), Mapping):
            events += self._on_tool_result(chunk["tool_result"])
        if isinstance(chunk.get("render_citation"), Mapping):
            number = _str(chunk["render_citation"].get("citation_id"))
            events += self._final_text(f"[{number}]") if number else []
        for key in ("render_generated_image", "render_edited_image"):
            if isinstance(chunk.get(key), Mapping):
                events += self._image_chunk(_dict(chunk[key].get("image_chunk")), "imageUuid", "imageId")
        return events

    def _on_text(self, text: str, channel: str) -> list[Event]:
        if channel in _REASONING_CHANNELS:
            return self._reasoning(text, _REASONING_CHANNELS[channel])
        return self._answer_text(text)

    def _on_delta(self, event: Mapping[str, Any]) -> list[Event]:
        delta = _str(event.get("delta"))
        if not delta:
            return []
        if _dict(event.get("x_grok")).get("is_thinking"):
            return self._reasoning(delta, None)
        return self._answer_text(delta)

    def _on_text_done(self, event: Mapping[str, Any]) -> list[Event]:
        # The whole text again; only useful when no chunk carried it.
        text = _str(event.get("text"))
        if self._streamed_final or not text:
            return []
        return self._answer_text(text)

    def _on_tool_card(self, card: Mapping[str, Any]) -> list[Event]:
        card_id = _str(card.get("tool_usage_card_id")) or None
        for name, value in card.items():
            if name == "tool_usage_card_id" or not isinstance(value, Mapping):
                continue
            args: dict[str, Any] | str = dict(value["args"]) if isinstance(value.get("args"), Mapping) else dict(value)
            return self._tool(ToolCall(name, args, card_id), card_id or json.dumps(card, sort_keys=True))
        return []

    def _on_tool_result(self, result: Mapping[str, Any]) -> list[Event]:
        found: list[SearchResult] = []
        for page in _dict(result.get("web_search")).get("webpages") or []:
            page = _dict(page)
            if _str(page.get("url")):
                found.append(SearchResult(page["url"], _str(page.get("title")), _str(page.get("snippet"))))
        for post in _dict(result.get("x_post")).get("posts") or []:
            post = _dict(post)
            user, post_id = _str(post.get("userhandle")), _str(post.get("post_id"))
            if user and post_id:
                title = f"{_str(post.get('name'))} (@{user})"
                found.append(SearchResult(f"https://x.com/{user}/status/{post_id}", title, _str(post.get("text"))))
        return [SearchResults(tuple(found))] if found else []

    def _on_search_result(self, event: Mapping[str, Any]) -> list[Event]:
        result = _dict(event.get("result"))
        if not _str(result.get("url")):
            return []
        return [SearchResults((SearchResult(result["url"], _str(result.get("title")), _str(result.get("snippet"))),))]

    def _on_output(self, event: Mapping[str, Any]) -> list[Event]:
        output = _dict(event.get("output"))
        stream_error = output.get("stream_error")
        if stream_error:
            raise self._stream_errors([stream_error]) or classify_stream_error(stream_error)
        card = _dict(output.get("card_attachment"))
        data = card.get("json_data") or card.get("jsonData")
        try:
            parsed = json.loads(data) if isinstance(data, str) else data
        except ValueError:
            return []
        return self._image_chunk(_dict(_dict(parsed).get("image_chunk")), "imageUuid", "imageId")

    def _on_done(self, event: Mapping[str, Any]) -> list[Event]:
        response = _dict(event.get("response"))
        self.response_id = _str(response.get("id")) or self.response_id
        status = _str(response.get("status")) or "completed"
        if status != "completed":
            error = response.get("error") or response.get("status_details") or f"the answer ended as {status}"
            raise classify_stream_error(error)
        events: list[Event] = []
        if self.saw_reasoning and not self._status_sent:
            events += self._status(None)
        self.finished = True
        return events


_HANDLERS: dict[str, Callable[[GatewayNormalizer, Mapping[str, Any]], list[Event]]] = {
    "session.created": GatewayNormalizer._on_session_created,
    "conversation.attached": GatewayNormalizer._on_attached,
    "conversation.item.added": GatewayNormalizer._on_item_added,
    "conversation.title.updated": GatewayNormalizer._on_title,
    "response.chunk": GatewayNormalizer._on_chunk,
    "response.output_text.delta": GatewayNormalizer._on_delta,
    "response.output_text.done": GatewayNormalizer._on_text_done,
    "response.search.result": GatewayNormalizer._on_search_result,
    "response.grok.output": GatewayNormalizer._on_output,
    "response.done": GatewayNormalizer._on_done,
    "error": GatewayNormalizer._on_error,
    "session.ended": GatewayNormalizer._on_session_ended,
}
