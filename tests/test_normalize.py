import json
from pathlib import Path

import pytest

from grok_cli.errors import AuthError, BlockedError, RateLimitedError, UpstreamError
from grok_cli.events import (
    Conversation,
    Done,
    Image,
    ImageProgress,
    Reasoning,
    ReasoningStatus,
    SearchResults,
    StreamWarning,
    Suggestions,
    Title,
    Token,
    ToolCall,
    UserTurn,
)
from grok_cli.protocol.normalize import Normalizer

FIXTURES = Path(__file__).parent / "fixtures"


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        self.now += 0.5
        return self.now


def run(frames, **kw):
    norm = Normalizer(model=kw.pop("model", "auto"), assets_url="https://assets.example", clock=Clock(), **kw)
    events = []
    for f in frames:
        events += norm.feed(f)
    events += norm.finish()
    return norm, events


def load(name):
    return [json.loads(line) for line in (FIXTURES / name).read_text().splitlines() if line.strip()]


def text_of(events):
    return "".join(e.text for e in events if isinstance(e, Token))


def test_new_conversation_capture_nested_envelope():
    norm, events = run(load("new_conversation_capture.ndjson"))
    assert events[0] == Conversation("519dce3f-387b-47fa-bd14-4dfc4e30102a", None, "auto")
    assert events[1] == UserTurn("569fd0dc-fa2c-49eb-ac55-21456fbc622c")
    assert text_of(events).startswith("测试收到！  \n\n")
    assert Title("精简模式测试") in events
    assert norm.finished and norm.ending_error() is None
    done = norm.done(complete=True)
    assert done.response_id == "70c96a48-1939-41ef-804a-4f86ae41f8fc"
    assert done.parent_response_id == "569fd0dc-fa2c-49eb-ac55-21456fbc622c"
    assert done.conversation_id == "519dce3f-387b-47fa-bd14-4dfc4e30102a"


def test_follow_up_capture_flat_envelope():
    norm, events = run(load("follow_up_capture.ndjson"), conversation_id="541af385")
    assert text_of(events) == "哈哈，那就～"
    assert not any(isinstance(e, (Conversation, Title)) for e in events)
    done = norm.done(complete=True)
    assert done.response_id == "57bc0c63-6321-4fe7-ae9c-db381a299b87"
    assert done.parent_response_id == "1ffe710a-0c5c-4e69-a3ec-01d746ff0ba7"
    assert done.conversation_id == "541af385"


def R(**payload):
    return {"result": {"response": payload}}


def test_thinking_tokens_go_to_reasoning_then_a_status_before_the_answer():
    frames = [
        R(token="Thinking about your request", isThinking=True, messageTag="header", responseId="a"),
        R(token="- recalling", isThinking=True, messageTag="summary", responseId="a"),
        R(token="About 384,400 km", isThinking=False, messageTag="final", responseId="a"),
        R(modelResponse={"responseId": "a", "message": "About 384,400 km", "parentResponseId": "u"}),
    ]
    _, events = run(frames)
    assert events[0] == Reasoning("Thinking about your request", "header")
    assert events[1] == Reasoning("- recalling", "summary")
    assert isinstance(events[2], ReasoningStatus) and events[2].text.startswith("Thought for ")
    assert events[3] == Token("About 384,400 km")
    assert sum(isinstance(e, ReasoningStatus) for e in events) == 1


def test_2025_streams_without_message_tag():
    frames = [
        R(token="hmm", isThinking=True),
        R(token="Hello", isThinking=False),
        R(token=" there", isThinking=False),
        R(modelResponse={"responseId": "a", "message": "Hello there"}),
    ]
    _, events = run(frames)
    assert events[0] == Reasoning("hmm", None)
    assert text_of(events) == "Hello there"


def test_tool_usage_card_becomes_a_tool_event_never_text():
    xml = (
        "<xai:tool_usage_card>\n  <xai:tool_usage_card_id>t-1</xai:tool_usage_card_id>\n"
        "  <xai:tool_name>code_execution</xai:tool_name>\n"
        '  <xai:tool_args><![CDATA[{"code":"print(1)"}]]></xai:tool_args>\n</xai:tool_usage_card>'
    )
    frames = [
        R(token=xml[:40], isThinking=True, messageTag="tool_usage_card", toolUsageCardId="t-1"),
        R(token=xml[40:], isThinking=True, messageTag="tool_usage_card", toolUsageCardId="t-1"),
        R(token="1", messageTag="final"),
    ]
    _, events = run(frames)
    tools = [e for e in events if isinstance(e, ToolCall)]
    assert tools == [ToolCall("code_execution", {"code": "print(1)"}, "t-1")]
    assert text_of(events) == "1"


def test_search_results_web_and_x():
    frames = [
        R(webSearchResults={"results": [{"url": "https://e.org", "title": "E", "preview": "p"}]}),
        R(xSearchResults={"results": [{"username": "bob", "name": "Bob", "postId": "9", "text": "hi"}]}),
    ]
    _, events = run(frames)
    assert [r.url for e in events if isinstance(e, SearchResults) for r in e.results] == [
        "https://e.org",
        "https://x.com/bob/status/9",
    ]


def test_render_markup_in_tokens_is_converted():
    frames = [
        R(token='Paris<grok:render card_id="c" card_type="citation_card" type="render_inline_citation">'),
        R(token='<argument name="citation_id">1</argument></grok:render> is big', messageTag="final"),
    ]
    _, events = run(frames)
    assert text_of(events) == "Paris[1] is big"


def test_final_metadata_suggestions():
    _, events = run([R(finalMetadata={"followUpSuggestions": [{"label": "More?"}, {"nolabel": 1}]})])
    assert events == [Suggestions(("More?",))]


def test_legacy_image_stream_and_generated_urls():
    frames = [
        R(streamingImageGenerationResponse={"imageId": "i1", "imageUrl": "users/U/generated/i1-part-0/image.jpg", "progress": 50}),
        R(streamingImageGenerationResponse={"imageId": "i1", "imageUrl": "users/U/generated/i1/image.jpg", "progress": 100}),
        R(streamingImageGenerationResponse={"imageId": "i2", "imageUrl": "users/U/generated/i2/image.jpg", "progress": 100, "moderated": True}),
        R(modelResponse={"responseId": "a", "message": "done", "generatedImageUrls": ["users/U/generated/i1/image.jpg", "users/U/generated/i3/image.jpg"]}),
    ]
    _, events = run(frames)
    assert ImageProgress("i1", "https://assets.example/users/U/generated/i1-part-0/image.jpg", 50) in events
    assert ImageProgress("i2", "https://assets.example/users/U/generated/i2/image.jpg", 100, True) in events
    images = [e for e in events if isinstance(e, Image)]
    assert [i.image_id for i in images] == ["i1", "i3"]
    assert images[0].url == "https://assets.example/users/U/generated/i1/image.jpg"


def test_card_image_stream():
    chunk = {"imageUuid": "c1", "imageUrl": "users/U/generated/c1/image.jpg", "progress": 100, "moderated": False}
    card = json.dumps({"id": "x", "type": "render_generated_image", "image_chunk": chunk})
    frames = [R(cardAttachment={"jsonData": card}), R(modelResponse={"responseId": "a", "message": "x", "cardAttachmentsJson": [card]})]
    _, events = run(frames)
    assert [e.image_id for e in events if isinstance(e, Image)] == ["c1"]


def test_answer_only_in_model_response_is_still_shown():
    _, events = run([R(modelResponse={"responseId": "a", "message": "only here"})])
    assert text_of(events) == "only here"


def test_unknown_keys_and_shapes_are_ignored():
    frames = [{"result": {"response": {"somethingNew": {"x": 1}, "token": 5}}}, {"result": 3}, [], {"weird": True}]
    norm, events = run(frames)
    assert events == []


@pytest.mark.parametrize(
    "frame, error",
    [
        ({"error": {"code": 8, "message": "Too many requests", "details": []}}, RateLimitedError),
        ({"error": {"code": 16, "message": "Bad credentials"}}, AuthError),
        ({"error": {"code": 13, "message": "Internal"}}, UpstreamError),
        (R(error={"code": 7, "message": "Request rejected by anti-bot rules."}), BlockedError),
        (R(modelResponse={"responseId": "a", "error": "Something went wrong"}), UpstreamError),
        (R(modelResponse={"responseId": "a", "streamErrors": [{"message": "x", "attachmentLoadFailed": True}]}), UpstreamError),
        (R(modelResponse={"responseId": "a", "streamErrors": [{"message": "You reached your usage limit"}]}), RateLimitedError),
    ],
)
def test_in_stream_errors_raise_classified_errors(frame, error):
    norm = Normalizer(model="fast", assets_url="https://a", clock=Clock())
    norm.feed(R(token="partial ", messageTag="final"))
    with pytest.raises(error):
        norm.feed(frame)
    assert norm.done(complete=False) == Done(None, None, None, "fast", "partial ", False)


def test_stream_errors_naming_the_attachment_problem():
    norm = Normalizer(model="fast", assets_url="https://a", clock=Clock())
    with pytest.raises(UpstreamError, match="attachment could not be loaded"):
        norm.feed(R(modelResponse={"streamErrors": [{"attachmentLoadFailed": True}]}))


def test_eof_without_model_response_is_incomplete():
    norm, _ = run([R(token="half", messageTag="final")])
    assert "cut off" in norm.ending_error().message
    norm, _ = run([R(token="Thinking about your request", isThinking=True, messageTag="header")])
    assert "after thinking" in norm.ending_error().message
    norm, _ = run([])
    assert "without an answer" in norm.ending_error().message


def test_jsonl_schema_of_every_event():
    assert Token("x").to_json() == {"type": "token", "text": "x"}
    assert UserTurn("u").to_json() is None
    assert Done("c", "r", "p", "fast", "t", True).to_json() == {
        "type": "done", "conversation_id": "c", "response_id": "r", "parent_response_id": "p",
        "model": "fast", "text": "t", "complete": True,
    }


def test_a_thinking_mode_without_reasoning_ends_with_a_degraded_session_warning():
    frames = load("new_conversation_capture.ndjson")  # a real answer with no thinking at all
    for model, warned in (("expert", True), ("heavy", True), ("auto", False), ("fast", False), ("new-mode", False)):
        _, events = run(frames, model=model)
        assert any(isinstance(e, StreamWarning) and e.code == "degraded_session" for e in events) is warned
    truncated = [f for f in frames if "modelResponse" not in json.dumps(f)]
    _, events = run(truncated, model="expert")  # an unfinished answer has another problem to report
    assert not any(isinstance(e, StreamWarning) for e in events)
