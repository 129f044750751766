"""The fake grok.com's WebSocket gateway checks what it receives, as grok.com would."""

import asyncio
import json

import aiohttp
import pytest

from grok_cli.testing import short_answer


def headers(fake, uid=None):
    uid = fake.user_id if uid is None else uid
    return {"cookie": f"{fake.cookie}; x-userid={uid}", "user-agent": "Mozilla/5.0 Chrome/146.0.0.0"}


def url(fake, uid=None):
    return f"{fake.url.replace('http', 'ws', 1)}/ws/mgw/?uid={fake.user_id if uid is None else uid}"


def msg(kind, session_id=None, **fields):
    out = {"event": {"type": kind, **fields}}
    return {"session_id": session_id, **out} if session_id else out


def is_last(event):
    """The late follow-up suggestions end a section 9.1 turn; response.done an older one."""
    return event["type"] == "response.chunk" and "follow_up_suggestions" in event["chunk"]


def talk(fake, frames, *, until=is_last, uid=None, grouped=False):
    """Send frames, one after each server answer phase; return every event the server sent
    (with ``grouped``, as the messages that packed them)."""

    async def main():
        received = []
        async with aiohttp.ClientSession() as http, http.ws_connect(url(fake, uid), headers=headers(fake, uid)) as ws:
            pending = list(frames)
            session_id = None
            await ws.send_json(pending.pop(0))
            done = False
            while not done:
                try:
                    text = await ws.receive_str(timeout=2)
                except (TypeError, asyncio.TimeoutError):
                    break
                message = [json.loads(part) for part in split(text)]
                received.append(message)
                for m in message:
                    event = m["event"]
                    if event["type"] == "conversation.attached":
                        session_id = event["conversation"]["id"]
                    if event["type"] in ("conversation.attached", "error") and pending:
                        for frame in pending:
                            await ws.send_json(frame(session_id) if callable(frame) else frame)
                        pending = []
                    done = done or until(event) or event["type"] == "error"
        return received if grouped else [m for message in received for m in message]

    return asyncio.run(main())


def split(text):
    """The JSON texts of one packed message."""
    decoder, parts, i = json.JSONDecoder(), [], 0
    while i < len(text):
        _, end = decoder.raw_decode(text, i)
        parts.append(text[i:end])
        i = end
    return parts


NEW = msg("session.create", event_id="evt_init_1", session={"model": "fast", "x_grok": {}})


def item(text, parent=None):
    def build(session_id):
        event = {"item": {"type": "message", "role": "user", "x_grok": {"input_chunks": [{"text": {"text": text}}]}}}
        if parent:
            event["parent_response_id"] = parent
        return msg("conversation.item.create", session_id, event_id="evt_msg_1", **event)

    return build


def respond(session_id):
    return msg("response.create", session_id, event_id="evt_resp_1")


def answer_of(events):
    return "".join(
        e["chunk"]["text"]["text"]
        for e in events
        if e["type"] == "response.chunk" and e["chunk"].get("text", {}).get("channel") == "CHANNEL_ASSISTANT_RESPONSE"
    )


def test_a_well_formed_turn_is_answered_in_the_web_apps_order(fake):
    events = [m["event"] for m in talk(fake, [NEW, item("hi"), respond])]
    kinds = [e["type"] for e in events]
    assert kinds[:3] == ["session.created", "conversation.attached", "ping"]
    assert events[0]["client_event_id"] == "evt_init_1"
    opening = ["conversation.queue.updated", "conversation.item.added", "response.created", "response.output_item.added", "response.content_part.added"]
    assert kinds[3:8] == opening
    closing = ["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.done",
               "response.persisted", "conversation.title.updated", "response.chunk"]  # fmt: skip
    assert kinds[-7:] == closing
    response_id = events[5]["response"]["id"]
    assert events[-4]["response"] == {"id": response_id, "status": "completed", "usage": {"input_tokens": 12, "output_tokens": 34}}
    assert answer_of(events) == short_answer("hi") == events[-7]["text"]
    assert events[-1]["chunk"]["follow_up_suggestions"]["suggestions"][0]["label"].startswith("Tell me more")


def test_several_events_share_one_message(fake):
    messages = talk(fake, [NEW, item("hi"), respond], grouped=True)
    assert [len(m) for m in messages[:2]] == [2, 1]  # session.created + attached, then the ping
    assert max(len(m) for m in messages) == 3 and any(len(m) == 2 for m in messages[2:])


def test_thinking_is_on_reasoning_channels_between_phase_markers(fake):
    events = [m["event"] for m in talk(fake, [NEW, item("scenario:thinking hi"), respond])]
    chunks = [e["chunk"] for e in events if e["type"] == "response.chunk"]
    channels = {c["text"]["channel"] for c in chunks if "text" in c}
    assert channels == {"CHANNEL_ASSISTANT_NOTETAKER_HEADER", "CHANNEL_ASSISTANT_NOTETAKER_SUMMARY", "CHANNEL_ASSISTANT_RESPONSE"}
    markers = [c["phase_marker"]["kind"] for c in chunks if "phase_marker" in c]
    assert markers == ["KIND_THINKING_START", "KIND_RESPONSE_START"]


def test_the_deltas_scenario_streams_text_as_delta_events(fake):
    events = [m["event"] for m in talk(fake, [NEW, item("scenario:deltas hi"), respond])]
    answer = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert answer == short_answer("scenario:deltas hi") and answer_of(events) == ""
    assert any(e["type"] == "response.reasoning_text.delta" for e in events)


def test_the_older_style_sends_one_event_per_message_and_the_title_before_done(fake):
    fake.gateway_style = "section9"
    messages = talk(fake, [NEW, item("hi"), respond], until=lambda e: e["type"] == "response.done", grouped=True)
    assert all(len(m) == 1 for m in messages)
    kinds = [m[0]["event"]["type"] for m in messages]
    assert kinds[-2:] == ["conversation.title.updated", "response.done"] and "response.created" not in kinds


def test_a_resumed_conversation_first_replays_its_history(fake):
    first = talk(fake, [NEW, item("first"), respond])
    conv_id = first[1]["event"]["conversation"]["id"]
    answer_id = next(m["event"]["response"]["id"] for m in first if m["event"]["type"] == "response.created")
    resume = msg(
        "session.create", conv_id, event_id="evt_init_2",
        session={"model": "fast", "x_grok": {"conversation_id": conv_id, "load_existing": True}},
    )  # fmt: skip
    events = [m["event"] for m in talk(fake, [resume, item("second", parent=answer_id), respond])]
    kinds = [e["type"] for e in events]
    replay = kinds.index("conversation.history.done")
    assert kinds[2:replay] == ["conversation.history.item"] * 2 and replay < kinds.index("response.created")
    old = [e["item"] for e in events[2:replay]]
    assert [i["role"] for i in old] == ["user", "assistant"] and old[1]["id"] == answer_id
    assert old[1]["output_chunks"][-1]["text"]["text"] == short_answer("first")
    assert answer_of(events[replay:]) == short_answer("second")


def test_the_castle_scenario_refuses_the_turn_for_its_token(fake):
    events = [m["event"] for m in talk(fake, [NEW, item("scenario:castle hi"), respond])]
    assert events[-1]["type"] == "error" and "castle_request_token" in events[-1]["error"]["message"]


@pytest.mark.parametrize(
    "frames, words",
    [
        ([item("hi")], "before session.create"),
        ([NEW, respond], "without a message"),
        ([NEW, lambda sid: item("hi")("someone-else")], "another session"),
        ([NEW, item("hi", parent="x")], "no parent"),
        ([NEW, NEW], "sent twice"),
        ([msg("session.create", session={"x_grok": {"custom_instructions": 3}})], "Invalid session settings"),
    ],
)
def test_frames_out_of_order_or_for_another_session_get_an_error_event(fake, frames, words):
    if callable(frames[0]):
        frames = [frames[0](None)]
    events = [m["event"] for m in talk(fake, frames)]
    assert events[-1]["type"] == "error" and words in events[-1]["error"]["message"]


def test_resuming_needs_a_known_conversation_and_an_answer_as_parent(fake):
    first = talk(fake, [NEW, item("first"), respond])
    conv_id = first[1]["event"]["conversation"]["id"]
    resume = msg(
        "session.create", conv_id, event_id="evt_init_2",
        session={"model": "fast", "x_grok": {"conversation_id": conv_id, "load_existing": True}},
    )  # fmt: skip
    events = [m["event"] for m in talk(fake, [resume, item("second", parent="not-an-answer"), respond])]
    assert "parent_response_id" in events[-1]["error"]["message"]
    unknown = msg("session.create", "nope", session={"x_grok": {"conversation_id": "nope", "load_existing": True}})
    assert talk(fake, [unknown])[-1]["event"]["error"]["code"] == 5


def test_upgrade_needs_the_sessions_own_user_id(fake):
    async def main():
        async with aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                await http.ws_connect(url(fake, "someone-else"), headers=headers(fake, "someone-else"))
            assert info.value.status == 401
            plain = await http.get(url(fake).replace("ws", "http", 1), headers=headers(fake))
            assert plain.status == 426
            fake.gone = {"ws"}
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                await http.ws_connect(url(fake), headers=headers(fake))
            assert info.value.status == 404

    asyncio.run(main())
