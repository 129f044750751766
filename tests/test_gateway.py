"""The gateway protocol's pure parts: client frames, event normalisation, refusal verdicts."""

import json

import pytest

from grok_cli.errors import AuthError, BlockedError, RateLimitedError, TransportGoneError, UpstreamError, UsageError
from grok_cli.events import (
    Conversation,
    ImageProgress,
    Reasoning,
    ReasoningStatus,
    SearchResult,
    SearchResults,
    Title,
    Token,
    ToolCall,
    UserTurn,
)
from grok_cli.protocol import gateway as gw
from grok_cli.protocol.payload import ChatRequest


class Clock:
    def __init__(self):
        self.now = 10.0

    def __call__(self):
        self.now += 1.0
        return self.now


def ev(kind, **fields):
    return {"type": kind, **fields}


def text(t, channel=gw.RESPONSE_CHANNEL):
    return ev("response.chunk", chunk={"text": {"text": t, "channel": channel}})


OPENING = [
    ev("session.created", session_id="c1"),
    ev("conversation.attached", conversation={"id": "c1"}),
    ev("conversation.item.added", item={"id": "u1", "role": "user"}),
]


def run(events, **kw):
    norm = gw.GatewayNormalizer(model="fast", assets_url="https://assets.example", clock=Clock(), **kw)
    out = []
    for e in events:
        out += norm.feed(e)
    out += norm.finish()
    return norm, out


def test_a_complete_turn_gives_the_rest_events_and_done():
    norm, out = run(
        [
            *OPENING,
            text("Thinking about it", "CHANNEL_ASSISTANT_NOTETAKER_HEADER"),
            text("- step one", "CHANNEL_ASSISTANT_NOTETAKER_SUMMARY"),
            text("hmm", "CHANNEL_ASSISTANT_THINKING"),
            {**text("Hello "), "response_id": "a1"},
            text("world"),
            ev("conversation.title.updated", title="Greeting"),
            ev("response.done", response={"id": "a1", "status": "completed"}),
        ]
    )
    assert out[:2] == [Conversation("c1", None, "fast"), UserTurn("u1")]
    assert out[2:5] == [
        Reasoning("Thinking about it", "header"),
        Reasoning("- step one", "summary"),
        Reasoning("hmm", None),
    ]
    assert isinstance(out[5], ReasoningStatus) and out[6:8] == [Token("Hello "), Token("world")]
    assert Title("Greeting") in out
    assert norm.ready and norm.finished and norm.ending_error() is None
    done = norm.done(complete=True)
    assert (done.conversation_id, done.response_id, done.parent_response_id) == ("c1", "a1", "u1")
    assert done.text == "Hello world"


def test_message_may_be_sent_only_once_session_and_conversation_exist():
    norm = gw.GatewayNormalizer(model="fast", assets_url="https://a", clock=Clock())
    norm.feed(OPENING[0])
    assert not norm.ready
    norm.feed(OPENING[1])
    assert norm.ready and norm.session_id == "c1"


def test_tool_cards_results_and_citations():
    _, out = run(
        [
            *OPENING,
            ev("response.chunk", chunk={"tool_usage_card": {"tool_usage_card_id": "t1", "web_search": {"args": {"query": "moon"}}}}),
            ev("response.chunk", chunk={"tool_usage_card": {"tool_usage_card_id": "t1", "web_search": {"args": {"query": "moon"}}}}),
            ev(
                "response.chunk",
                chunk={"tool_result": {"tool_call_id": "t1", "web_search": {"webpages": [{"url": "https://e.org", "title": "E", "snippet": "s"}]}}},
            ),
            ev(
                "response.chunk",
                chunk={"tool_result": {"x_post": {"posts": [{"userhandle": "bob", "name": "Bob", "text": "hi", "post_id": "42"}]}}},
            ),
            text("Far away"),
            ev("response.chunk", chunk={"render_citation": {"id": "c", "kind": "CITATION_KIND_WEB_PAGE", "url": "https://e.org", "citation_id": "1"}}),
            text(" <grok:render card_id=\"x\" card_type=\"citation_card\" type=\"render_inline_citation\"><argument name=\"citation_id\">2</argument></grok:render>."),
        ]
    )  # fmt: skip
    assert [e for e in out if isinstance(e, ToolCall)] == [ToolCall("web_search", {"query": "moon"}, "t1")]
    results = [r for e in out if isinstance(e, SearchResults) for r in e.results]
    assert results == [
        SearchResult("https://e.org", "E", "s"),
        SearchResult("https://x.com/bob/status/42", "Bob (@bob)", "hi"),
    ]
    assert "".join(e.text for e in out if isinstance(e, Token)) == "Far away[1] [2]."


def test_fallback_text_events_and_images():
    _, out = run(
        [
            *OPENING,
            ev("response.output_text.delta", delta="pondering", x_grok={"is_thinking": True}),
            ev("response.output_text.delta", delta="Answer"),
            ev("response.output_text.done", text="Answer"),
            ev("response.chunk", chunk={"render_generated_image": {"image_chunk": {"imageUuid": "i1", "imageUrl": "u/i1.jpg", "progress": 100}}}),
            ev("response.grok.output", output={"card_attachment": {"json_data": json.dumps({"image_chunk": {"imageUuid": "i2", "imageUrl": "u/i2.jpg", "progress": 50}})}}),
        ]
    )  # fmt: skip
    assert Reasoning("pondering", None) in out
    assert [e.text for e in out if isinstance(e, Token)] == ["Answer"]  # done repeats, not duplicated
    progress = [e for e in out if isinstance(e, ImageProgress)]
    assert [p.url for p in progress] == ["https://assets.example/u/i1.jpg", "https://assets.example/u/i2.jpg"]


def test_only_text_done_still_gives_the_answer():
    norm, out = run([*OPENING, ev("response.output_text.done", text="Whole"), ev("response.done", response={"id": "a"})])
    assert [e.text for e in out if isinstance(e, Token)] == ["Whole"] and norm.finished


@pytest.mark.parametrize(
    "event, error, words",
    [
        (ev("error", error={"code": 16, "message": "Bad credentials"}), AuthError, "Bad credentials"),
        (ev("error", error={"code": 8, "message": "Too many requests"}), RateLimitedError, "usage limit"),
        (ev("error", error={"code": 3, "message": "Invalid request. Please update your client."}), TransportGoneError, "update"),
        (ev("error", error={"code": 13, "message": "boom"}), UpstreamError, "boom"),
        (ev("response.grok.output", output={"stream_error": {"message": "x", "attachmentLoadFailed": True}}), UpstreamError, "could not be loaded"),
        (ev("response.done", response={"id": "a", "status": "failed"}), UpstreamError, "failed"),
    ],
)  # fmt: skip
def test_errors_are_classified_like_rest(event, error, words):
    norm = gw.GatewayNormalizer(model="fast", assets_url="https://a", clock=Clock())
    for e in OPENING:
        norm.feed(e)
    norm.feed(text("partial"))
    with pytest.raises(error) as info:
        norm.feed(event)
    assert words in info.value.message
    assert norm.done(complete=False).text == "partial"


def test_unknown_conversation_on_resume_is_a_usage_error():
    norm = gw.GatewayNormalizer(model="fast", assets_url="https://a", clock=Clock(), conversation_id="gone")
    with pytest.raises(UsageError):
        norm.feed(ev("error", error={"code": 5, "message": "Conversation not found"}))


def test_a_closed_session_before_done_is_an_incomplete_answer():
    norm, _ = run([*OPENING, text("half"), ev("session.ended")])
    assert norm.ended and not norm.finished
    assert "cut off" in norm.ending_error().message


def test_unknown_events_and_frames_are_ignored():
    _, out = run([*OPENING, ev("presence.updated", visible=True), ev("response.chunk", chunk={"unknown": {}})])
    assert len(out) == 2
    assert gw.parse_message("not json") is None
    assert gw.parse_message('{"event": {"no": "type"}}') is None
    assert gw.parse_message('[1, 2]') is None
    assert gw.parse_message('{"session_id": "s", "event": {"type": "ping"}}') == {"type": "ping", "session_id": "s"}


def test_session_create_for_a_new_and_a_resumed_conversation():
    new = json.loads(gw.session_create(ChatRequest("hi", mode="expert", temporary=True), "evt_init_1"))
    assert "session_id" not in new
    assert new["event"]["type"] == "session.create" and new["event"]["event_id"] == "evt_init_1"
    assert new["event"]["session"]["model"] == "expert"
    assert new["event"]["session"]["x_grok"]["is_temporary"] is True
    req = ChatRequest("more", mode="fast", conversation_id="c1", parent_response_id="a1")
    resumed = json.loads(gw.session_create(req, "evt_init_2"))
    assert resumed["session_id"] == "c1"
    x_grok = resumed["event"]["session"]["x_grok"]
    assert x_grok["conversation_id"] == "c1" and x_grok["load_existing"] is True


def test_item_create_carries_files_prompt_and_parent():
    req = ChatRequest("look", mode="fast", conversation_id="c1", parent_response_id="a1", file_ids=("f1",))
    item = json.loads(gw.item_create(req, "c1", "evt_msg_1"))
    assert item["session_id"] == "c1" and item["event"]["parent_response_id"] == "a1"
    assert item["event"]["item"]["x_grok"]["input_chunks"] == [
        {"mention": {"target": {"file_mention": {"file_id": "f1"}}}},
        {"text": {"text": "look"}},
    ]
    assert item["event"]["item"]["file_attachment_ids"] == ["f1"]
    assert json.loads(gw.response_create("c1", "evt_resp_1")) == {
        "session_id": "c1",
        "event": {"type": "response.create", "event_id": "evt_resp_1"},
    }
    assert json.loads(gw.pong("evt_x")) == {"event": {"type": "pong", "event_id": "evt_x"}}


def test_refused_upgrades_are_classified():
    from curl_cffi.curl import CurlError

    from grok_cli.transport.ws import gateway_url, refusal_error, upgrade_status

    assert upgrade_status(CurlError("Failed to perform, curl: (22) Refused WebSocket upgrade: 401. See")) == 401
    assert upgrade_status(CurlError("Failed to perform, curl: (7) Couldn't connect")) is None
    assert isinstance(refusal_error(401, '{"error":{"code":16,"message":"Bad credentials"}}', {}), AuthError)
    assert isinstance(refusal_error(403, "<html>Just a moment...</html>", {}), BlockedError)
    assert isinstance(refusal_error(429, "", {}), RateLimitedError)
    for status in (400, 404, 410, 426):
        assert isinstance(refusal_error(status, "", {}), TransportGoneError)
    assert gateway_url("https://grok.com", "u 1") == "wss://grok.com/ws/mgw/?uid=u%201"
    assert gateway_url("http://127.0.0.1:8", "u") == "ws://127.0.0.1:8/ws/mgw/?uid=u"
