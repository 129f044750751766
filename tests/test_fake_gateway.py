"""The fake grok.com's WebSocket gateway checks what it receives, as grok.com would."""

import asyncio

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


def talk(fake, frames, *, until="response.done", uid=None):
    """Send frames, one after each server answer phase; return every event the server sent."""

    async def main():
        received = []
        async with aiohttp.ClientSession() as http, http.ws_connect(url(fake, uid), headers=headers(fake, uid)) as ws:
            pending = list(frames)
            session_id = None
            await ws.send_json(pending.pop(0))
            while True:
                try:
                    message = await ws.receive_json(timeout=2)
                except (TypeError, asyncio.TimeoutError):
                    break
                event = message["event"]
                received.append(message)
                if event["type"] == "conversation.attached":
                    session_id = event["conversation"]["id"]
                if event["type"] in ("conversation.attached", "error") and pending:
                    for frame in pending:
                        await ws.send_json(frame(session_id) if callable(frame) else frame)
                    pending = []
                if event["type"] in (until, "error"):
                    break
        return received

    return asyncio.run(main())


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


def test_a_well_formed_turn_is_answered(fake):
    events = [m["event"] for m in talk(fake, [NEW, item("hi"), respond])]
    kinds = [e["type"] for e in events]
    assert kinds[:3] == ["session.created", "conversation.attached", "ping"]
    assert kinds[-2:] == ["conversation.title.updated", "response.done"]
    assert events[0]["client_event_id"] == "evt_init_1"
    answer = "".join(e["chunk"]["text"]["text"] for e in events if e["type"] == "response.chunk")
    assert answer == short_answer("hi")


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
