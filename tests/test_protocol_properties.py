"""Nothing grok.com sends can crash the protocol layer (property-based, hypothesis).

Every field of every frame is untrusted: each case takes a real frame shape (REST section 5.3,
gateway sections 9 and 9.1) and replaces some of its values, at any depth, with any JSON value
(a list where a string belongs, NaN, Infinity, huge numbers, deep nesting, huge strings), or
feeds the framing arbitrary bytes. The only exception allowed out is a GrokError: grok.com's
own words of refusal. Runs derandomized (a fixed seed) with a bounded number of cases;
``pytest -m property`` selects these alone.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grok_cli.errors import GrokError
from grok_cli.events import Done, Event
from grok_cli.protocol import gateway as gw
from grok_cli.protocol.framing import LineSplitter, parse_line
from grok_cli.protocol.normalize import Normalizer

pytestmark = [pytest.mark.property, pytest.mark.slow]

# Examples per test, the same ones every run. The field tests place each generated value in
# every field of every sample frame, so they give examples x fields cases (see the last test).
EXAMPLES = {"rest_fields": 300, "gateway_fields": 300, "rest": 300, "gateway": 300, "framing": 600, "split": 300, "splitter": 300}
settings.register_profile(
    "protocol",
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
PROFILE = settings.get_profile("protocol")

# The field names the normalisers read, so generated objects reach their code paths.
KEYS = sorted(
    {
        "result", "response", "conversation", "conversationId", "title", "newTitle", "userResponse", "responseId",
        "token", "isThinking", "messageTag", "toolUsageCard", "toolUsageCardId", "webSearchResults",
        "xSearchResults", "results", "url", "preview", "description", "username", "postId", "name", "text",
        "finalMetadata", "followUpSuggestions", "label", "streamingImageGenerationResponse", "imageId", "imageUrl",
        "imageUuid", "progress", "moderated", "cardAttachment", "jsonData", "json_data", "image_chunk",
        "modelResponse", "message", "parentResponseId", "streamErrors", "generatedImageUrls", "cardAttachmentsJson",
        "thinkingStartTime", "thinkingEndTime", "error", "code", "details", "fileName", "maxSizeBytes", "maxPages",
        "attachmentFileTooLarge", "globalRateLimit", "event", "type", "session_id", "session", "id", "item", "role",
        "chunk", "channel", "delta", "x_grok", "is_thinking", "tool_usage_card", "tool_usage_card_id", "web_search",
        "args", "tool_result", "webpages", "snippet", "x_post", "posts", "userhandle", "post_id",
        "render_citation", "citation_id", "render_generated_image", "render_edited_image", "card_attachment",
        "follow_up_suggestions", "suggestions", "output", "stream_error", "status", "status_details", "usage",
    }
)  # fmt: skip
WORDS = ["final", "header", "summary", "tool_usage_card", "analysis", "user", "assistant", "completed", "failed",
         gw.RESPONSE_CHANNEL, "CHANNEL_REASONING", "CHANNEL_ASSISTANT_NOTETAKER_HEADER", "users/u/generated/i/image.jpg",
         "/", "../..", "2026-03-08T09:57:42.249Z", "2026-03-08T09:57:42", "<grok:render", "</xai:tool_usage_card>",
         '{"image_chunk": {"imageUrl": "u", "progress": 100}}', "castle", "anti-bot", "update your client"]  # fmt: skip


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for n in range(depth):
        value = [value] if n % 2 else {"results": value}
    return value


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**310),
    st.floats(),  # NaN and both infinities included
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -0.0]),
    st.text(max_size=12),
    st.sampled_from(WORDS),
)
json_values = st.one_of(
    st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), inner, max_size=4),
        max_leaves=12,
    ),
    st.integers(min_value=50, max_value=800).map(_nested),
    st.sampled_from(["x" * 200_000, "<" * 50_000, "\u2028\ud800" * 1000]),
)


@st.composite
def mutated(draw: st.DrawFn, value: Any, depth: int = 0) -> Any:
    """``value`` with one of its parts, at any depth, replaced by any JSON value (or a key added)."""
    if isinstance(value, dict) and value and depth < 8 and draw(st.integers(0, 3)):
        if draw(st.integers(0, 5)) == 0:
            return {**value, draw(st.sampled_from(KEYS)): draw(json_values)}
        key = draw(st.sampled_from(sorted(value)))
        return {**value, key: draw(mutated(value[key], depth + 1))}
    if isinstance(value, list) and value and depth < 8 and draw(st.integers(0, 3)):
        i = draw(st.integers(0, len(value) - 1))
        return [*value[:i], draw(mutated(value[i], depth + 1)), *value[i + 1 :]]
    return draw(json_values)


@st.composite
def streams(draw: st.DrawFn, samples: list[Any]) -> list[Any]:
    """A few real frames in order, some of them mutated."""
    frames = draw(st.lists(st.sampled_from(samples), min_size=1, max_size=6))
    return [draw(mutated(f)) if draw(st.booleans()) else f for f in frames]


def _rest_samples() -> list[Any]:
    def nested(p: dict) -> dict:
        return {"result": {"response": p}}

    card = json.dumps({"id": "c", "cardType": "generated_image_card", "image_chunk": {"imageUuid": "i", "imageUrl": "u/i.jpg", "progress": 100}})
    model_response = {
        "responseId": "a", "message": "Hello <grok:render card_id=\"x\" card_type=\"citation_card\"><argument name=\"citation_id\">1</argument></grok:render>",
        "parentResponseId": "u", "streamErrors": [], "generatedImageUrls": ["users/u/generated/i2/image.jpg"],
        "cardAttachmentsJson": [card], "thinkingStartTime": "2026-03-08T09:57:42.249Z", "thinkingEndTime": "2026-03-08T09:57:44.249Z",
    }  # fmt: skip
    payloads = [
        {"userResponse": {"responseId": "u", "message": "hi", "sender": "human"}, "responseId": "u"},
        {"uiLayout": {"reasoningUiLayout": "SPLIT"}, "responseId": "a"},
        {"token": "Thinking", "isThinking": True, "messageTag": "header", "messageStepId": 0, "responseId": "a"},
        {"token": "- step", "isThinking": True, "messageTag": "summary", "responseId": "a"},
        {"token": "Hello", "isThinking": False, "messageTag": "final", "responseId": "a"},
        {"token": " world", "isThinking": False, "responseId": "a"},
        {"token": "<xai:tool_usage_card><xai:tool_usage_card_id>t</xai:tool_usage_card_id><xai:tool_name>web_search</xai:tool_name><xai:tool_args><![CDATA[{\"query\":\"q\"}]]></xai:tool_args></xai:tool_usage_card>",
         "isThinking": True, "messageTag": "tool_usage_card", "toolUsageCardId": "t", "toolUsageCard": {"toolUsageCardId": "t", "webSearch": {"args": {"query": "q"}}}, "responseId": "a"},
        {"webSearchResults": {"results": [{"url": "https://e.org", "title": "E", "preview": "p"}]}, "isThinking": True, "responseId": "a"},
        {"xSearchResults": {"results": [{"username": "bob", "postId": "1", "name": "Bob", "text": "t"}]}, "responseId": "a"},
        {"finalMetadata": {"followUpSuggestions": [{"label": "More?"}]}, "responseId": "a"},
        {"streamingImageGenerationResponse": {"imageId": "i", "imageUrl": "u/i.jpg", "progress": 50, "moderated": False}, "responseId": "a"},
        {"cardAttachment": {"jsonData": card}, "messageTag": "final", "responseId": "a"},
        {"token": "", "isThinking": False, "isSoftStop": True, "responseId": "a"},
        {"modelResponse": model_response, "responseId": "a"},
        {"modelResponse": {**model_response, "streamErrors": [{"message": "x", "attachmentFileTooLarge": {"fileName": "f", "maxSizeBytes": 5}}]}},
    ]  # fmt: skip
    return [
        {"result": {"conversation": {"conversationId": "c", "title": "New conversation"}}},
        {"result": {"title": {"newTitle": "A title"}}},
        {"error": {"code": 8, "message": "Too many requests", "details": []}},
        *[nested(p) for p in payloads],
        *[{"result": p} for p in payloads],
    ]


def _gateway_samples() -> list[Any]:
    def ev(kind: str, **fields: Any) -> dict:
        return {"type": kind, **fields}

    def text(t: str, channel: str = gw.RESPONSE_CHANNEL) -> dict:
        return ev("response.chunk", chunk={"text": {"text": t, "channel": channel}})

    return [
        ev("session.created", session_id="c"),
        ev("conversation.attached", conversation={"id": "c", "title": "t"}),
        ev("conversation.item.added", item={"id": "u", "role": "user"}),
        ev("response.created", response={"id": "a", "status": "in_progress"}),
        ev("response.output_item.added", item={"id": "a", "role": "assistant"}),
        text("Thinking", "CHANNEL_ASSISTANT_NOTETAKER_HEADER"),
        text("hmm", "CHANNEL_REASONING"),
        text("Hello "),
        text('<grok:render card_id="x" card_type="citation_card"><argument name="citation_id">1</argument></grok:render>'),
        ev("response.output_text.delta", delta="world", x_grok={"is_thinking": False}),
        ev("response.reasoning_text.delta", delta="more"),
        ev("response.output_text.done", text="Hello world"),
        ev("response.chunk", chunk={"tool_usage_card": {"tool_usage_card_id": "t", "web_search": {"args": {"query": "q"}}}}),
        ev("response.chunk", chunk={"tool_result": {"web_search": {"webpages": [{"url": "https://e.org", "title": "E"}]}, "x_post": {"posts": [{"userhandle": "b", "post_id": "1"}]}}}),
        ev("response.chunk", chunk={"render_citation": {"citation_id": "2"}}),
        ev("response.chunk", chunk={"render_generated_image": {"image_chunk": {"imageUuid": "i", "imageUrl": "u/i.jpg", "progress": 100}}}),
        ev("response.chunk", chunk={"image_chunk": {"imageUrl": "u/j.jpg", "progress": 40}}),
        ev("response.chunk", chunk={"card_attachment": {"json_data": '{"image_chunk": {"imageUrl": "u/k.jpg", "progress": 100}}'}}),
        ev("response.chunk", chunk={"follow_up_suggestions": {"suggestions": [{"label": "Why?"}]}}),
        ev("response.search.result", result={"url": "https://e.org", "title": "E"}),
        ev("response.grok.output", output={"stream_error": {"message": "x", "attachmentLoadFailed": True}}),
        ev("conversation.title.updated", title="Title"),
        ev("conversation.history.item", item={"id": "old", "output_chunks": [{"text": {"text": "old"}}]}),
        ev("response.done", response={"id": "a", "status": "completed", "usage": {}}),
        ev("response.persisted", status="ok"),
        ev("error", error={"code": 5, "message": "Conversation not found"}),
        ev("session.ended"),
    ]  # fmt: skip


def _paths(value: Any, path: tuple = ()) -> list[tuple]:
    """The path of every value inside ``value`` (keys and list indices), not the root itself."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    found: list[tuple] = []
    for key, inner in items:
        found += [(*path, key), *_paths(inner, (*path, key))]
    return found


def _replace(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replace(value[path[0]], path[1:], new)
    return copy


REST_SAMPLES, GATEWAY_SAMPLES = _rest_samples(), _gateway_samples()
REST_FIELDS = [(frame, path) for frame in REST_SAMPLES for path in _paths(frame)]
GATEWAY_FIELDS = [(event, path) for event in GATEWAY_SAMPLES for path in _paths(event)]


def _drive(norm: Any, frames: list[Any]) -> None:
    """What a transport does with a stream: feed until the end or grok.com's refusal, then close."""
    refused = False
    for frame in frames:
        try:
            events = norm.feed(frame)
        except GrokError:
            refused = True
            break
        assert all(isinstance(e, Event) for e in events)
        for e in events:
            e.to_json()
    if not refused:
        norm.finish()
        norm.ending_error()
    assert isinstance(norm.done(complete=False), Done)
    assert isinstance(norm.started, bool)


def _new(cls: type, conversation_id: Any) -> Any:
    return cls(model="fast", assets_url="https://assets.example", clock=lambda: 1.0, conversation_id=conversation_id)


@settings(max_examples=EXAMPLES["rest_fields"], parent=PROFILE)
@given(json_values, st.sampled_from([None, "c"]))
def test_any_value_in_any_field_of_a_rest_frame_never_crashes_the_normaliser(value, conversation_id):
    for frame, path in REST_FIELDS:
        _drive(_new(Normalizer, conversation_id), [_replace(frame, path, value)])


@settings(max_examples=EXAMPLES["gateway_fields"], parent=PROFILE)
@given(json_values, st.sampled_from([None, "c"]))
def test_any_value_in_any_field_of_a_gateway_event_never_crashes_the_normaliser(value, conversation_id):
    for event, path in GATEWAY_FIELDS:
        norm = _new(gw.GatewayNormalizer, conversation_id)
        _drive(norm, [_replace(event, path, value)])
        norm.linger()


@settings(max_examples=EXAMPLES["rest"], parent=PROFILE)
@given(streams(REST_SAMPLES), st.sampled_from([None, "c"]))
def test_rest_frames_with_any_values_never_crash_the_normaliser(frames, conversation_id):
    _drive(_new(Normalizer, conversation_id), frames)


@settings(max_examples=EXAMPLES["gateway"], parent=PROFILE)
@given(streams(GATEWAY_SAMPLES), st.sampled_from([None, "c"]))
def test_gateway_events_with_any_values_never_crash_the_normaliser(events, conversation_id):
    norm = _new(gw.GatewayNormalizer, conversation_id)
    _drive(norm, [e for e in events if isinstance(e, dict)])
    norm.linger()
    assert isinstance(norm.settled, bool) and isinstance(norm.ready, bool)


def _texts(samples: list[Any]) -> st.SearchStrategy[str]:
    """Serialised frames (NaN and Infinity as Python writes them), cut, glued and corrupted."""
    whole = st.sampled_from(samples).flatmap(mutated).map(lambda v: json.dumps(v, ensure_ascii=False))
    return st.one_of(
        whole,
        st.lists(whole, max_size=4).map("".join),
        st.tuples(whole, st.integers(0, 200)).map(lambda t: t[0][: t[1]]),
        st.text(max_size=60),
        st.integers(1, 200_000).map(lambda n: "[" * n),
        st.integers(1, 5_000).map(lambda n: '{"a":' * n),
        st.sampled_from(["data: [DONE]", "data:", "{}{", "}{", "\ufeff{}", '{"x": 1e999}', '{"x": NaN}']),
    )


@settings(max_examples=EXAMPLES["framing"], parent=PROFILE)
@given(st.one_of(_texts(REST_SAMPLES), st.binary(max_size=80)))
def test_any_line_is_framed_without_raising(line):
    objects, skipped = parse_line(line)
    assert all(isinstance(o, dict) for o in objects) and skipped >= 0
    json.dumps(objects, allow_nan=False)  # what comes in is valid JSON again when --jsonl writes it


@settings(max_examples=EXAMPLES["split"], parent=PROFILE)
@given(st.lists(_texts([{"event": e} for e in GATEWAY_SAMPLES]), min_size=1, max_size=4).map("".join))
def test_any_gateway_message_is_split_without_raising(message):
    events, unreadable = gw.split_events(message)
    assert all(isinstance(e, dict) and isinstance(e["type"], str) for e in events)
    assert isinstance(unreadable, str) and len(unreadable) <= len(message)
    json.dumps(events, allow_nan=False)


@settings(max_examples=EXAMPLES["splitter"], parent=PROFILE)
@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=8))
def test_lines_survive_any_split_into_chunks(data, cuts):
    splitter = LineSplitter()
    lines: list[bytes] = []
    start = 0
    for cut in sorted(cuts):
        lines += splitter.feed(data[start:cut])
        start = max(start, cut)
    lines += splitter.feed(data[start:]) + splitter.flush()
    expected = [line.rstrip(b"\r") for line in data.split(b"\n")]
    if not expected[-1].strip():
        expected.pop()
    assert lines == expected


def test_the_suite_generates_at_least_100000_cases():
    fields = EXAMPLES["rest_fields"] * len(REST_FIELDS) + EXAMPLES["gateway_fields"] * len(GATEWAY_FIELDS)
    others = sum(n for name, n in EXAMPLES.items() if not name.endswith("_fields"))
    assert fields + others >= 100_000
