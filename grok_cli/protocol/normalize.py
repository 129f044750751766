"""Frames -> events.

One stateful object per answer. It accepts both envelopes (``result.response.*`` on a new
conversation, flat ``result.*`` on follow-ups), every frame kind of protocol section 5.3, and
ignores whatever it does not know. In-stream errors are raised as GrokErrors; whatever arrived
before them stays available through ``done(complete=False)``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

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
from grok_cli.protocol.answer import AnswerState, as_dict, as_list, as_str, json_object, percent
from grok_cli.protocol.errors import classify_stream_error
from grok_cli.protocol.jsontext import loads

PLACEHOLDER_TITLE = "New conversation"  # grok.com's title until it names the conversation
_RARE_KEYS = frozenset(
    {"webSearchResults", "xSearchResults", "finalMetadata", "streamingImageGenerationResponse", "cardAttachment",
     "modelResponse"}
)  # fmt: skip
_REASONING_TAGS = {"header", "summary"}
_TOOL_CARD_END = "</xai:tool_usage_card>"
_TOOL_NAME = re.compile(r"<xai:tool_name>\s*(.*?)\s*</xai:tool_name>", re.S)
_TOOL_ID = re.compile(r"<xai:tool_usage_card_id>\s*(.*?)\s*</xai:tool_usage_card_id>", re.S)
_TOOL_ARGS = re.compile(r"<xai:tool_args>\s*(?:<!\[CDATA\[(.*?)\]\]>|(.*?))\s*</xai:tool_args>", re.S)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _seconds_between(start: Any, end: Any) -> float | None:
    """The thinking time grok.com reports, if both ends are comparable times."""
    begin, finish = _parse_time(start), _parse_time(end)
    if begin is None or finish is None or (begin.tzinfo is None) != (finish.tzinfo is None):
        return None
    return (finish - begin).total_seconds()


def parse_tool_card(xml: str, card: dict[str, Any] | None = None) -> ToolCall:
    """A ToolCall from the ``<xai:tool_usage_card>`` XML (and its structured twin, if sent)."""
    name_m, id_m, args_m = _TOOL_NAME.search(xml), _TOOL_ID.search(xml), _TOOL_ARGS.search(xml)
    raw_args = (args_m.group(1) if args_m and args_m.group(1) is not None else args_m.group(2)) if args_m else ""
    args: dict[str, Any] | str = raw_args.strip()
    try:
        decoded = loads(raw_args) if raw_args.strip() else {}
        if isinstance(decoded, dict):
            args = decoded
    except (ValueError, RecursionError):
        pass
    name = name_m.group(1) if name_m else ""
    card = as_dict(card)
    if not name:
        # The structured card names its tool by key, e.g. {"codeExecution": {"args": ...}}.
        for key, value in card.items():
            if key != "toolUsageCardId" and isinstance(value, dict):
                name = re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()
                if not args and isinstance(value.get("args"), dict):
                    args = dict(value["args"])
                break
    card_id = id_m.group(1) if id_m else as_str(card.get("toolUsageCardId")) or None
    return ToolCall(name=name or "tool", args=args, id=card_id)


class Normalizer(AnswerState):
    """REST NDJSON frames -> events."""

    _tool_xml = ""  # a tool card's XML until its closing tag arrives (it may span tokens)

    def feed(self, frame: dict[str, Any]) -> list[Event]:
        if not isinstance(frame, dict):
            return []
        if "error" in frame and frame["error"]:
            raise classify_stream_error(frame["error"])
        result = frame.get("result")
        if not isinstance(result, dict):
            return []
        events: list[Event] = []
        if "conversation" in result or "title" in result:
            events += self._on_envelope(result)
        payload = result.get("response")
        return events + self._on_payload(payload if isinstance(payload, dict) else result)

    # -- frames -------------------------------------------------------------------------------
    def _on_envelope(self, result: dict[str, Any]) -> list[Event]:
        """The conversation line that opens a new conversation, and the title line that ends it."""
        events: list[Event] = []
        conv = as_dict(result.get("conversation"))
        if as_str(conv.get("conversationId")):
            self.conversation_id = conv["conversationId"]
            title = as_str(conv.get("title"))
            shown = None if title in ("", PLACEHOLDER_TITLE) else title
            events.append(Conversation(self.conversation_id, shown, self.model))
        new_title = as_str(as_dict(result.get("title")).get("newTitle"))
        if new_title:
            self.title = new_title
            events.append(Title(new_title))
        return events

    def _on_payload(self, p: dict[str, Any]) -> list[Event]:
        if p.get("error"):
            raise classify_stream_error(p["error"])
        events: list[Event] = []
        user = p.get("userResponse")
        if isinstance(user, dict):
            self.user_response_id = as_str(user.get("responseId")) or as_str(p.get("responseId")) or None
            if self.user_response_id:
                events.append(UserTurn(self.user_response_id))
            return events
        rid = as_str(p.get("responseId"))
        if rid and rid != self.user_response_id:
            self.response_id = rid
        token = p.get("token")
        if isinstance(token, str) and token:
            events += self._on_token(token, p)
        if p.keys().isdisjoint(_RARE_KEYS):  # most frames are a token and nothing else
            return events
        for key in ("webSearchResults", "xSearchResults"):
            if isinstance(p.get(key), dict):
                events += self._on_search(key, p[key])
        if isinstance(p.get("finalMetadata"), dict):
            events += self._on_final_metadata(p["finalMetadata"])
        if isinstance(p.get("streamingImageGenerationResponse"), dict):
            events += self._image_chunk(p["streamingImageGenerationResponse"], "imageId")
        if isinstance(p.get("cardAttachment"), dict):
            events += self._card(p["cardAttachment"].get("jsonData"), "imageUuid", "imageId")
        if isinstance(p.get("modelResponse"), dict):
            events += self._on_model_response(p["modelResponse"])
        return events

    def _on_token(self, token: str, p: dict[str, Any]) -> list[Event]:
        tag = p.get("messageTag") if isinstance(p.get("messageTag"), str) else None
        if tag == "tool_usage_card" or self._tool_xml or token.lstrip().startswith("<xai:tool_usage_card"):
            return self._on_tool_xml(token, p.get("toolUsageCard"))
        if p.get("isThinking") or tag in _REASONING_TAGS or tag == "analysis":
            return self._reasoning(token, tag if tag in _REASONING_TAGS else None)
        return self._answer_text(token)

    def _on_tool_xml(self, token: str, card: Any) -> list[Event]:
        self._tool_xml += token
        if _TOOL_CARD_END not in self._tool_xml:
            return []
        xml, self._tool_xml = self._tool_xml, ""
        call = parse_tool_card(xml, card if isinstance(card, dict) else None)
        return self._tool(call, call.id or xml)

    def _on_search(self, key: str, block: dict[str, Any]) -> list[Event]:
        results = []
        for item in as_list(block.get("results")):
            if not isinstance(item, dict):
                continue
            if key == "webSearchResults":
                url, title = as_str(item.get("url")), as_str(item.get("title"))
                preview = as_str(item.get("preview")) or as_str(item.get("description"))
            else:
                user, post = as_str(item.get("username")), as_str(item.get("postId"))
                url = f"https://x.com/{user}/status/{post}" if user and post else ""
                title = f"{as_str(item.get('name'))} (@{user})" if user else as_str(item.get("name"))
                preview = as_str(item.get("text"))
            if url:
                results.append(SearchResult(url=url, title=title, preview=preview))
        return [SearchResults(tuple(results))] if results else []

    def _on_final_metadata(self, meta: dict[str, Any]) -> list[Event]:
        labels = [
            as_str(s.get("label")) for s in as_list(meta.get("followUpSuggestions")) if isinstance(s, dict)
        ]
        labels = [label for label in labels if label]
        return [Suggestions(tuple(labels))] if labels else []

    def _on_model_response(self, mr: dict[str, Any]) -> list[Event]:
        if mr.get("error"):
            raise classify_stream_error(mr["error"])
        if isinstance(mr.get("streamErrors"), list):
            err = self._stream_errors(mr["streamErrors"])
            if err is not None:
                raise err
        events: list[Event] = []
        self.response_id = as_str(mr.get("responseId")) or self.response_id
        self.parent_response_id = as_str(mr.get("parentResponseId")) or self.parent_response_id
        if not self._streamed_final and as_str(mr.get("message")):
            # Some streams carry the answer only here (and 2025 clients relied on it).
            events += self._final_text(self._render.feed(mr["message"]) + self._render.flush())
        if self.saw_reasoning and not self._status_sent:
            events += self._status(_seconds_between(mr.get("thinkingStartTime"), mr.get("thinkingEndTime")))
        for url in as_list(mr.get("generatedImageUrls")):
            if isinstance(url, str) and url:
                parts = url.rstrip("/").rsplit("/", 2)  # .../<image id>/image.jpg
                events += self._image(parts[-2] if len(parts) > 1 and parts[-2] else url, url)
        for card_json in as_list(mr.get("cardAttachmentsJson")):
            chunk = as_dict(json_object(card_json).get("image_chunk"))
            if as_str(chunk.get("imageUrl")) and percent(chunk.get("progress")) >= 100 and not chunk.get("moderated"):
                image_id = as_str(chunk.get("imageUuid")) or as_str(chunk["imageUrl"])
                events += self._image(image_id, as_str(chunk["imageUrl"]))
        self.finished = True
        return events

