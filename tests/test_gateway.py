"""The gateway protocol's pure parts: client frames, event normalisation, refusal verdicts."""

import json

import pytest

from grok_cli.errors import AuthError, BlockedError, RateLimitedError, TransportGoneError, UpstreamError, UsageError
from grok_cli.events import (
    Conversation,
    Image,
    ImageProgress,
    Reasoning,
    ReasoningStatus,
    SearchResult,
    SearchResults,
    Suggestions,
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
    assert gw.split_events("not json") == ([], "not json")
    assert gw.split_events('{"event": {"no": "type"}}') == ([], "")
    assert gw.split_events('[1, 2]') == ([], "")
    assert gw.split_events('{"session_id": "s", "event": {"type": "ping"}}') == ([{"type": "ping", "session_id": "s"}], "")


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


# -- the gateway as the web app speaks it (section 9.1) ------------------------------------------
def pack(*events, session_id="c1"):
    """One server message holding several events back to back, as grok.com sends them."""
    return "".join(json.dumps({"session_id": session_id, "event": e}) for e in events)


def test_a_message_is_split_into_every_event_it_packs():
    message = pack(ev("response.created", response={"id": "a1"}), text("Hel")) + "\n " + pack(text("lo"))
    events, unreadable = gw.split_events(message)
    assert [e["type"] for e in events] == ["response.created", "response.chunk", "response.chunk"]
    assert all(e["session_id"] == "c1" for e in events) and unreadable == ""


def test_an_unreadable_event_costs_only_itself_and_is_reported():
    broken = '{"session_id": "c1", "event": {"type": "response.chunk", "chunk": {"text": {"te'
    message = pack(text("one ")) + broken + pack(text("two"))
    events, unreadable = gw.split_events(message)
    assert [e["chunk"]["text"]["text"] for e in events] == ["one ", "two"]
    assert unreadable == broken


LIFECYCLE = [
    ev("session.created", session_id="c1"),
    ev("conversation.attached", conversation={"id": "c1", "object": "realtime.conversation"}, mode="new"),
    ev("conversation.queue.updated", queue=[]),
    ev("conversation.item.added", item={"id": "u1", "role": "user"}),
    ev("response.created", response={"id": "a1", "status": "in_progress", "output_modalities": ["text"]}),
    ev("response.output_item.added", item={"id": "a1", "role": "assistant"}),
    ev("response.content_part.added", part={"type": "text"}),
    ev("response.chunk", chunk={"ui_layout": {"reasoning_ui_layout": "SPLIT", "effort": "HIGH"}}),
    ev("response.chunk", chunk={"phase_marker": {"kind": "KIND_THINKING_START"}}),
    ev("response.chunk", chunk={"metadata": {"step_id": 0}}),
]


def test_only_the_response_channel_is_answer_text():
    norm, out = run(
        [
            *LIFECYCLE,
            text("Thinking about your request", "CHANNEL_ASSISTANT_NOTETAKER_HEADER"),
            text("- reading", "CHANNEL_ASSISTANT_NOTETAKER_SUMMARY"),
            text("deep thought", "CHANNEL_REASONING"),
            text("weighing", "CHANNEL_ASSISTANT_ANALYSIS"),
            text("a channel from next year", "CHANNEL_SOMETHING_NEW"),
            text("no channel at all", ""),
            ev("response.reasoning_text.delta", delta="more thought"),
            ev("response.chunk", chunk={"phase_marker": {"kind": "KIND_RESPONSE_START"}}),
            text("Hello "),
            ev("response.output_text.delta", delta="world"),
        ]
    )
    assert [e.text for e in out if isinstance(e, Token)] == ["Hello ", "world"]
    assert [(e.text, e.tag) for e in out if isinstance(e, Reasoning)] == [
        ("Thinking about your request", "header"),
        ("- reading", "summary"),
        ("deep thought", None),
        ("weighing", None),
        ("a channel from next year", None),
        ("no channel at all", None),
        ("more thought", None),
    ]
    assert norm.text == "Hello world"


def test_ids_come_from_the_lifecycle_and_done_names_the_response():
    norm, out = run([*LIFECYCLE, text("Hi"), ev("response.done", response={"id": "a1", "status": "completed"})])
    assert UserTurn("u1") in out
    done = norm.done(complete=True)
    assert (done.conversation_id, done.response_id, done.parent_response_id, done.text) == ("c1", "a1", "u1", "Hi")


def test_title_and_suggestions_after_done_are_kept_then_the_turn_is_settled():
    norm = gw.GatewayNormalizer(model="fast", assets_url="https://a", clock=Clock())
    for e in [*LIFECYCLE, text("Hi"), ev("response.done", response={"id": "a1", "status": "completed", "usage": {}})]:
        norm.feed(e)
    assert norm.finished and not norm.settled and norm.linger() == gw.LINGER
    norm.feed(ev("response.persisted", status="ok"))
    assert norm.linger() == gw.TITLE_WAIT  # a new conversation is about to be named
    assert norm.feed(ev("conversation.title.updated", title="Greetings")) == [Title("Greetings")]
    assert not norm.settled
    late = ev("response.chunk", chunk={"follow_up_suggestions": {"suggestions": [{"label": "Why?"}, "How?", 7]}})
    assert norm.feed(late) == [Suggestions(("Why?", "How?"))]
    assert norm.settled and norm.done(complete=True).response_id == "a1"


def test_a_follow_up_is_settled_by_its_suggestions_alone():
    norm = gw.GatewayNormalizer(model="fast", assets_url="https://a", clock=Clock(), conversation_id="c1")
    for e in [*LIFECYCLE, text("Hi"), ev("response.done", response={"id": "a1"}), ev("response.persisted")]:
        norm.feed(e)
    assert norm.linger() == gw.LINGER
    norm.feed(ev("response.chunk", chunk={"follow_up_suggestions": []}))
    assert norm.settled


def test_an_error_after_done_does_not_undo_the_answer():
    norm, _ = run([*LIFECYCLE, text("Hi"), ev("response.done", response={"id": "a1"}), ev("error", error={"code": 13})])
    assert norm.ending_error() is None and norm.text == "Hi"


def test_a_replayed_history_is_not_part_of_the_answer():
    old = {"id": "a0", "role": "assistant", "output_chunks": [{"text": {"text": "old answer", "channel": gw.RESPONSE_CHANNEL}}]}
    norm, out = run(
        [
            ev("session.created", session_id="c1"),
            ev("conversation.attached", conversation={"id": "c1"}),
            ev("conversation.history.item", item={"id": "u0", "role": "user", "input_chunks": [{"text": {"text": "old"}}]}),
            ev("conversation.history.item", item=old),
            ev("conversation.history.done"),
            ev("conversation.item.added", item={"id": "u1", "role": "user"}),
            ev("response.created", response={"id": "a1"}),
            text("new answer"),
        ],
        conversation_id="c1",
    )
    assert norm.text == "new answer" and "old" not in repr(out)
    assert (norm.user_response_id, norm.response_id) == ("u1", "a1")


def test_text_done_completes_a_stream_that_lost_its_end():
    norm, out = run([*LIFECYCLE, text("The quick"), ev("response.output_text.done", text="The quick brown fox")])
    assert [e.text for e in out if isinstance(e, Token)] == ["The quick", " brown fox"]
    assert norm.text == "The quick brown fox"


def test_text_done_that_disagrees_keeps_every_word_in_the_record():
    norm, out = run([*LIFECYCLE, text("The fox"), ev("response.output_text.done", text="The quick brown fox")])
    assert [e.text for e in out if isinstance(e, Token)] == ["The fox"]  # printed words stay printed
    assert norm.text == "The quick brown fox"


def test_text_done_of_each_part_is_checked_against_that_part():
    events = [*LIFECYCLE, text("One. "), ev("response.output_text.done", text="One. ")]
    events += [text("Two"), ev("response.output_text.done", text="Two.")]
    norm, out = run(events)
    assert norm.text == "One. Two." and [e.text for e in out if isinstance(e, Token)] == ["One. ", "Two", "."]


def test_text_done_with_citation_markup_matches_the_rendered_stream():
    cite = '<grok:render card_id="x" card_type="citation_card" type="render_inline_citation"><argument name="citation_id">1</argument></grok:render>'
    norm, out = run([*LIFECYCLE, text("Far" + cite + "."), ev("response.output_text.done", text="Far" + cite + ".")])
    assert norm.text == "Far[1]." and [e.text for e in out if isinstance(e, Token)] == ["Far[1]."]


def test_image_chunks_in_every_shape_become_progress_and_images():
    _, out = run(
        [
            *LIFECYCLE,
            ev("response.chunk", chunk={"image_chunk": {"imageUuid": "i1", "imageUrl": "u/i1-part-0/image.jpg", "progress": 50}}),
            ev("response.chunk", chunk={"image_chunk": {"imageUuid": "i1", "imageUrl": "u/i1/image.jpg", "progress": 100}}),
            ev("response.chunk", chunk={"render_edited_image": {"image_chunk": {"imageUuid": "i2", "imageUrl": "u/i2.jpg", "progress": 100}}}),
            ev("response.chunk", chunk={"card_attachment": {"json_data": json.dumps({"image_chunk": {"imageUuid": "i3", "imageUrl": "u/i3.jpg", "progress": 100}})}}),
        ]
    )  # fmt: skip
    assert [(p.image_id, p.progress) for p in out if isinstance(p, ImageProgress)] == [("i1", 50), ("i1", 100), ("i2", 100), ("i3", 100)]
    assert [(i.image_id, i.url) for i in out if isinstance(i, Image)] == [
        ("i1", "https://assets.example/u/i1/image.jpg"),
        ("i2", "https://assets.example/u/i2.jpg"),
        ("i3", "https://assets.example/u/i3.jpg"),
    ]


@pytest.mark.parametrize(
    "event",
    [
        ev("error", error={"code": 7, "message": "castle_request_token is required"}),
        ev("response.done", response={"id": "a1", "status": "failed", "error": {"code": 9, "message": "Castle token missing"}}),
    ],
)
def test_a_turn_refused_for_the_castle_token_is_blocked_and_says_what_grok_com_wants(event):
    norm = gw.GatewayNormalizer(model="fast", assets_url="https://a", clock=Clock())
    for e in LIFECYCLE:
        norm.feed(e)
    with pytest.raises(BlockedError) as info:
        norm.feed(event)
    assert "castle_request_token" in info.value.message and info.value.status == 4
