"""The WebSocket chat gateway (``/ws/mgw/``, protocol sections 9 and 9.1): client frames and events.

Pure, no I/O. Every message either way carries ``{"session_id": <conversation id, optional>,
"event": {"type": ..., ...}}``; grok.com packs several of them into one server message.

A turn as the web app sees it (section 9.1): lifecycle events around ``response.chunk``s whose
``text`` is answer only on ``CHANNEL_ASSISTANT_RESPONSE`` (every other channel is thinking; the
NOTETAKER ones are the REST stream's ``header`` / ``summary`` tags), then ``response.done``, and
after it ``response.persisted``, the title and the follow-up suggestions. A resumed conversation
may first replay its thread as ``conversation.history.*`` events: old text, not this answer.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from grok_cli.errors import UsageError
from grok_cli.events import (
    Conversation,
    Event,
    SearchResult,
    SearchResults,
    Suggestions,
    Title,
    ToolCall,
    UserTurn,
)
from grok_cli.protocol.answer import AnswerState, as_dict, as_list, as_str
from grok_cli.protocol.errors import classify_stream_error
from grok_cli.protocol.jsontext import scan_once
from grok_cli.protocol.payload import ChatRequest
from grok_cli.protocol.render import strip_markup

GATEWAY_PATH = "/ws/mgw/"
RESPONSE_CHANNEL = "CHANNEL_ASSISTANT_RESPONSE"
# Thinking channels whose text is a timeline step, tagged as REST tags it; other thinking has no tag.
_REASONING_TAGS = {
    "CHANNEL_ASSISTANT_NOTETAKER_HEADER": "header",
    "CHANNEL_ASSISTANT_NOTETAKER_SUMMARY": "summary",
}
_IMAGE_IDS = ("imageUuid", "imageId", "image_id")
LINGER = 0.3  # seconds of silence after response.done that end the turn (well under a second)
TITLE_WAIT = 2.0  # ... while a stored new conversation still waits for its title
_NOT_FOUND = 5  # google.rpc NOT_FOUND: the conversation to resume does not exist

Json = dict[str, Any]


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
    if req.force_image_generation:
        # REST's toolOverrides {"imageGen": true} (`grok images`), under the same snake_case rule.
        x_grok["tool_overrides"] = {"imageGen": True}
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


# Where the next event may start after one that does not decode: after a closing brace, or at
# an envelope's first key (quotes inside JSON strings are escaped, so this is never inside one).
_RESYNC = re.compile(r'(?<=\})\s*\{|\{\s*"(?:session_id|event)"\s*:')


def split_events(text: str) -> tuple[list[Json], str]:
    """The events of one server message, and what of it could not be read.

    grok.com packs several events into one WebSocket message, back to back (``{..}{..}``,
    section 9.1). A piece that does not decode is skipped up to the next object boundary, so
    one bad event costs only itself; the skipped text is returned for ``--raw`` to show.
    """
    events: list[Json] = []
    unreadable: list[str] = []
    i, end = 0, len(text)
    while True:
        while i < end and text[i].isspace():
            i += 1
        if i >= end:
            break
        try:
            value, i_next = scan_once(text, i)
        except (StopIteration, ValueError, RecursionError):
            resync = _RESYNC.search(text, i + 1)
            i_next = resync.start() if resync else end
            unreadable.append(text[i:i_next])
            i = i_next
            continue
        i = i_next
        event = _event_of(value)
        if event is not None:
            events.append(event)
    return events, "".join(unreadable)


def _event_of(message: Any) -> Json | None:
    if not isinstance(message, dict):
        return None
    event = message.get("event")
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return None
    if isinstance(message.get("session_id"), str):
        event.setdefault("session_id", message["session_id"])  # freshly decoded: ours to change
    return event


# -- server -> client ----------------------------------------------------------------------------
class GatewayNormalizer(AnswerState):
    """Gateway events -> the same events as the REST stream gives."""

    session_id: str | None = None
    attached = False
    ended = False  # session.ended: nothing more will come
    persisted = False  # response.persisted: grok.com stored the turn; a new conversation's title follows
    suggested = False  # the late follow_up_suggestions chunk arrived: nothing else is expected
    _part_start = 0  # the byte offset in the answer where the current text part began (output_text.done ends it)

    @property
    def ready(self) -> bool:
        """The session exists and is attached to a conversation: the message may be sent."""
        return self.session_id is not None and self.attached

    @property
    def settled(self) -> bool:
        """Nothing more is expected: the session ended, or the answer, its title (for a new
        conversation) and the follow-up suggestions all arrived."""
        if self.ended:
            return True
        new = self._requested_conversation is None
        return self.finished and self.suggested and (self.title is not None or not new)

    def linger(self) -> float:
        """How long a silence after ``response.done`` may last before the turn counts as over.

        The title and the suggestions come after ``response.done`` (section 9.1); a stored new
        conversation is still to be named, which takes grok.com a moment longer.
        """
        awaiting_title = self.persisted and self.title is None and self._requested_conversation is None
        return TITLE_WAIT if awaiting_title else LINGER

    def feed(self, event: Mapping[str, Any]) -> list[Event]:
        kind = as_str(event.get("type"))
        handler = _HANDLERS.get(kind)
        if handler is None:
            return []  # lifecycle markers, history replay, presence: nothing of the answer
        rid = as_str(event.get("response_id"))
        if rid and kind.startswith("response.") and not self.finished:
            self.response_id = rid
        return handler(self, event)

    # -- session ------------------------------------------------------------------------------
    def _on_session_created(self, event: Mapping[str, Any]) -> list[Event]:
        session = as_dict(event.get("session"))
        self.session_id = as_str(event.get("session_id")) or as_str(session.get("id")) or self.session_id or ""
        return []

    def _on_attached(self, event: Mapping[str, Any]) -> list[Event]:
        conversation = as_dict(event.get("conversation"))
        conv_id = as_str(conversation.get("id")) or as_str(conversation.get("conversation_id"))
        if not conv_id or self.attached:
            return []
        self.attached = True
        self.conversation_id = conv_id
        self.session_id = self.session_id or conv_id
        title = as_str(conversation.get("title")) or None
        return [Conversation(conv_id, title, self.model)]

    def _on_item_added(self, event: Mapping[str, Any]) -> list[Event]:
        item = as_dict(event.get("item"))
        item_id = as_str(item.get("id"))
        if item.get("role") != "user" or not item_id or self.user_response_id is not None:
            return []
        self.user_response_id = item_id
        return [UserTurn(item_id)]

    def _on_title(self, event: Mapping[str, Any]) -> list[Event]:
        title = as_str(event.get("title")) or as_str(as_dict(event.get("conversation")).get("title"))
        if not title or title == self.title:
            return []
        self.title = title
        return [Title(title)]

    def _on_session_ended(self, event: Mapping[str, Any]) -> list[Event]:
        self.ended = True
        return []

    def _on_error(self, event: Mapping[str, Any]) -> list[Event]:
        if self.finished:
            return []  # the answer is complete; a late complaint cannot take it back
        error = event.get("error") or {"message": as_str(event.get("message")) or "unknown error"}
        if isinstance(error, dict) and error.get("code") == _NOT_FOUND and not self.attached:
            raise UsageError(
                f"grok.com does not know that conversation ({as_str(error.get('message')) or 'not found'})."
            )
        raise classify_stream_error(error)

    # -- the response ---------------------------------------------------------------------------
    def _on_response_created(self, event: Mapping[str, Any]) -> list[Event]:
        rid = as_str(as_dict(event.get("response")).get("id"))
        if rid and not self.finished:
            self.response_id = rid
        return []

    def _on_output_item(self, event: Mapping[str, Any]) -> list[Event]:
        item = as_dict(event.get("item"))
        if item.get("role") == "assistant" and as_str(item.get("id")) and self.response_id is None:
            self.response_id = item["id"]
        return []

    def _on_chunk(self, event: Mapping[str, Any]) -> list[Event]:
        chunk = as_dict(event.get("chunk"))
        events: list[Event] = []
        text = as_dict(chunk.get("text"))
        if as_str(text.get("text")):
            events += self._on_text(text["text"], as_str(text.get("channel")))
        if isinstance(chunk.get("tool_usage_card"), dict):
            events += self._on_tool_card(chunk["tool_usage_card"])
        if isinstance(chunk.get("tool_result"), dict):
            events += self._on_tool_result(chunk["tool_result"])
        if isinstance(chunk.get("render_citation"), dict):
            number = as_str(chunk["render_citation"].get("citation_id"))
            events += self._final_text(f"[{number}]") if number else []
        for key in ("render_generated_image", "render_edited_image", "image_chunk"):
            image = chunk.get(key)
            if isinstance(image, dict):
                inner = image.get("image_chunk")
                events += self._image_chunk(inner if isinstance(inner, dict) else image, *_IMAGE_IDS)
        if isinstance(chunk.get("card_attachment"), dict):
            events += self._on_card(chunk["card_attachment"])
        if "follow_up_suggestions" in chunk:
            events += self._on_suggestions(chunk["follow_up_suggestions"])
        return events

    def _on_text(self, text: str, channel: str) -> list[Event]:
        if channel == RESPONSE_CHANNEL:
            return self._answer_text(text)
        # Every other channel, including one never seen before, is thinking: never answer text.
        return self._reasoning(text, _REASONING_TAGS.get(channel))

    def _on_delta(self, event: Mapping[str, Any]) -> list[Event]:
        delta = as_str(event.get("delta"))
        if not delta:
            return []
        if as_dict(event.get("x_grok")).get("is_thinking"):
            return self._reasoning(delta, None)
        return self._answer_text(delta)

    def _on_reasoning_delta(self, event: Mapping[str, Any]) -> list[Event]:
        delta = as_str(event.get("delta"))
        return self._reasoning(delta, None) if delta else []

    def _on_text_done(self, event: Mapping[str, Any]) -> list[Event]:
        """The whole text of the part just streamed: the answer when nothing streamed, the
        missing end when the stream lost it; a different text is kept rather than lost."""
        whole = as_str(event.get("text"))
        if not whole:
            return []
        events = self._final_text(self._render.flush())
        done = strip_markup(whole)
        streamed = self._text[self._part_start :].decode("utf-8", "surrogatepass")
        if done.startswith(streamed):
            events += self._final_text(done[len(streamed) :])
        elif len(done) > len(streamed) and not streamed.startswith(done):
            # Printed words cannot be taken back; the record keeps grok.com's fuller text.
            self._text[self._part_start :] = done.encode("utf-8", "surrogatepass")
        self._part_start = len(self._text)
        return events

    def _on_tool_card(self, card: Mapping[str, Any]) -> list[Event]:
        card_id = as_str(card.get("tool_usage_card_id")) or None
        for name, value in card.items():
            if name == "tool_usage_card_id" or not isinstance(value, dict):
                continue
            args = dict(value["args"]) if isinstance(value.get("args"), dict) else dict(value)
            return self._tool(ToolCall(name, args, card_id), card_id or _card_key(card))
        return []

    def _on_tool_result(self, result: Mapping[str, Any]) -> list[Event]:
        found: list[SearchResult] = []
        for page in as_list(as_dict(result.get("web_search")).get("webpages")):
            page = as_dict(page)
            if as_str(page.get("url")):
                found.append(SearchResult(page["url"], as_str(page.get("title")), as_str(page.get("snippet"))))
        for post in as_list(as_dict(result.get("x_post")).get("posts")):
            post = as_dict(post)
            user, post_id = as_str(post.get("userhandle")), as_str(post.get("post_id"))
            if user and post_id:
                title = f"{as_str(post.get('name'))} (@{user})"
                found.append(SearchResult(f"https://x.com/{user}/status/{post_id}", title, as_str(post.get("text"))))
        return [SearchResults(tuple(found))] if found else []

    def _on_search_result(self, event: Mapping[str, Any]) -> list[Event]:
        result = as_dict(event.get("result"))
        if not as_str(result.get("url")):
            return []
        found = SearchResult(result["url"], as_str(result.get("title")), as_str(result.get("snippet")))
        return [SearchResults((found,))]

    def _on_output(self, event: Mapping[str, Any]) -> list[Event]:
        output = as_dict(event.get("output"))
        stream_error = output.get("stream_error")
        if stream_error and not self.finished:
            raise self._stream_errors([stream_error]) or classify_stream_error(stream_error)
        return self._on_card(as_dict(output.get("card_attachment")))

    def _on_card(self, card: Mapping[str, Any]) -> list[Event]:
        return self._card(card.get("json_data") or card.get("jsonData"), *_IMAGE_IDS)

    def _on_suggestions(self, value: Any) -> list[Event]:
        # Shape inferred: a list, or an object holding one, of labels or {label|text} objects.
        if isinstance(value, dict):
            value = next((v for v in value.values() if isinstance(v, list)), [])
        labels: list[str] = []
        for item in as_list(value):
            fields = as_dict(item)
            label = item if isinstance(item, str) else as_str(fields.get("label")) or as_str(fields.get("text"))
            if label:
                labels.append(label)
        self.suggested = True
        return [Suggestions(tuple(labels))] if labels else []

    def _on_done(self, event: Mapping[str, Any]) -> list[Event]:
        if self.finished:
            return []
        response = as_dict(event.get("response"))
        self.response_id = as_str(response.get("id")) or self.response_id
        status = as_str(response.get("status")) or "completed"
        if status != "completed":
            error = response.get("error") or response.get("status_details") or f"the answer ended as {status}"
            raise classify_stream_error(error)
        events = self._final_text(self._render.flush())  # also the thinking time, if not yet told
        self.finished = True
        return events

    def _on_persisted(self, event: Mapping[str, Any]) -> list[Event]:
        self.persisted = True
        return []


def _card_key(card: Mapping[str, Any]) -> str:
    """What identifies a tool card that names no id: its whole content."""
    try:
        return json.dumps(card, sort_keys=True)
    except (ValueError, RecursionError):
        return repr(sorted(card))


_HANDLERS: dict[str, Callable[[GatewayNormalizer, Mapping[str, Any]], list[Event]]] = {
    "session.created": GatewayNormalizer._on_session_created,
    "conversation.attached": GatewayNormalizer._on_attached,
    "conversation.item.added": GatewayNormalizer._on_item_added,
    "conversation.title.updated": GatewayNormalizer._on_title,
    "response.created": GatewayNormalizer._on_response_created,
    "response.output_item.added": GatewayNormalizer._on_output_item,
    "response.chunk": GatewayNormalizer._on_chunk,
    "response.output_text.delta": GatewayNormalizer._on_delta,
    "response.reasoning_text.delta": GatewayNormalizer._on_reasoning_delta,
    "response.output_text.done": GatewayNormalizer._on_text_done,
    "response.search.result": GatewayNormalizer._on_search_result,
    "response.grok.output": GatewayNormalizer._on_output,
    "response.done": GatewayNormalizer._on_done,
    "response.persisted": GatewayNormalizer._on_persisted,
    "error": GatewayNormalizer._on_error,
    "session.ended": GatewayNormalizer._on_session_ended,
}
