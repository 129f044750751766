"""The library API over each transport: follow-ups, heartbeats, and the auto fallback's rules."""

import asyncio
import uuid

import pytest

from grok_cli import transport_choice as transports
from grok_cli.auth.credentials import parse_cookie_text
from grok_cli.client import ChatStream, Client, FallbackChatStream
from grok_cli.config import load_settings
from grok_cli.errors import AuthError, TransportGoneError, UpstreamError, UsageError
from grok_cli.events import Conversation, Done, Token
from grok_cli.protocol.payload import ChatRequest
from grok_cli.testing import short_answer


def collect(fake, home, transport, *requests):
    """Run the requests one after another on one client; the events of each, or its error."""
    environ = {**fake.env(), "GROK_HOME": str(home), "GROK_TRANSPORT": transport}
    settings = load_settings({}, environ)
    credentials = parse_cookie_text(fake.cookie, source="test")

    async def main():
        results = []
        async with Client(settings, credentials) as client:
            for make in requests:
                req = make(results)
                try:
                    results.append([e async for e in client.chat(req)])
                except Exception as e:  # noqa: BLE001 - the test looks at which one
                    results.append(e)
        return results

    return asyncio.run(main())


def done_of(events) -> Done:
    return events[-1]


@pytest.mark.parametrize("transport", ["rest", "ws"])
def test_follow_up_continues_the_conversation_from_the_last_answer(fake, home, transport):
    first, second = collect(
        fake,
        home,
        transport,
        lambda _: ChatRequest("hello", mode="fast"),
        lambda prev: ChatRequest(
            "and then?",
            mode="fast",
            conversation_id=done_of(prev[0]).conversation_id,
            parent_response_id=done_of(prev[0]).response_id,
        ),
    )
    a, b = done_of(first), done_of(second)
    assert b.complete and b.text == short_answer("and then?")
    assert b.conversation_id == a.conversation_id and b.response_id != a.response_id
    assert [e for e in second if isinstance(e, Conversation)][0].conversation_id == a.conversation_id
    tree = fake.conversations[a.conversation_id].responses
    assert tree[b.parent_response_id].parent_response_id == a.response_id  # the new user turn hangs off it
    assert [n.sender for n in tree.values()] == ["human", "assistant", "human", "assistant"]


def test_gateway_rejects_a_parent_that_is_not_an_answer_of_the_conversation(fake, home):
    first, second, third = collect(
        fake,
        home,
        "ws",
        lambda _: ChatRequest("hello", mode="fast"),
        lambda prev: ChatRequest(
            "x", mode="fast", conversation_id=done_of(prev[0]).conversation_id, parent_response_id="nope"
        ),
        lambda _: ChatRequest("x", mode="fast", conversation_id=str(uuid.uuid4()), parent_response_id="a"),
    )
    assert isinstance(second, UpstreamError) and "parent_response_id" in second.message
    assert isinstance(third, UsageError) and "does not know that conversation" in third.message
    sent = [m.message for m in fake.gateway_messages()]
    resume = [m for m in sent if m["event"]["type"] == "session.create" and "session_id" in m]
    assert resume and resume[0]["event"]["session"]["x_grok"]["load_existing"] is True


def test_client_sends_heartbeats_while_waiting(fake, home, monkeypatch):
    import grok_cli.transport.ws as ws

    monkeypatch.setattr(ws, "HEARTBEAT", 0.01)
    (events,) = collect(fake, home, "ws", lambda _: ChatRequest("scenario:slow:0.02 hi", mode="fast"))
    assert done_of(events).complete
    pings = [m.message["event"] for m in fake.gateway_messages() if m.type == "ping"]
    assert pings and all(p["event_id"].startswith("evt_hb_") for p in pings)


# -- the fallback's rules, without I/O --------------------------------------------------------------
class Scripted(ChatStream):
    def __init__(self, transport, request, events, error=None):
        super().__init__(None, request, raw=False, clock=lambda: 0.0, assets_url="https://a")
        self.transport = transport
        self._events, self._error = events, error

    async def _receive(self):
        for event in self._events:
            yield [event]
        if self._error is not None:
            raise self._error
        self.normalizer.finished = True


GONE = TransportGoneError("grok.com rejected the request format: Please update your client.")
REQ = ChatRequest("hi", mode="fast")
FOLLOW = ChatRequest("hi", mode="fast", conversation_id="c1", parent_response_id="a1")


def drain(stream):
    async def main():
        return [e async for e in stream]

    return asyncio.run(main())


def test_fallback_switches_once_and_says_so():
    warnings = []
    stream = FallbackChatStream(
        Scripted("rest", REQ, [], GONE), lambda: Scripted("ws", REQ, [Token("ok")]), warnings.append
    )
    assert drain(stream)[0] == Token("ok")
    assert stream.current.transport == "ws"
    assert len(warnings) == 1 and "Trying the WebSocket gateway instead of the REST endpoints" in warnings[0]


@pytest.mark.parametrize("error", [AuthError("no"), UpstreamError("boom")])
def test_fallback_keeps_other_errors(error):
    stream = FallbackChatStream(Scripted("rest", REQ, [], error), lambda: pytest.fail("switched"), pytest.fail)
    with pytest.raises(type(error)):
        drain(stream)


def test_fallback_does_not_switch_once_the_answer_started():
    stream = FallbackChatStream(
        Scripted("rest", REQ, [Token("half")], GONE), lambda: pytest.fail("switched"), pytest.fail
    )
    with pytest.raises(TransportGoneError):
        drain(stream)


def test_fallback_announces_a_follow_up_conversation_once():
    first = Scripted("rest", FOLLOW, [Conversation("c1", None, "fast")], GONE)
    second = Scripted("ws", FOLLOW, [Conversation("c1", None, "fast"), Token("ok")])
    events = drain(FallbackChatStream(first, lambda: second, lambda message: None))
    assert [e for e in events if isinstance(e, Conversation)] == [Conversation("c1", None, "fast")]


def test_fallback_still_announces_the_conversation_when_the_error_is_final():
    first = Scripted("rest", FOLLOW, [Conversation("c1", None, "fast")], AuthError("no"))
    seen = []

    async def main():
        async for event in FallbackChatStream(first, lambda: pytest.fail("switched"), pytest.fail):
            seen.append(event)

    with pytest.raises(AuthError):
        asyncio.run(main())
    assert seen == [Conversation("c1", None, "fast")]


@pytest.mark.parametrize("transport", ["rest", "ws"])
def test_instructions_reach_grok_com_on_every_turn_and_empty_ones_are_not_sent(fake, home, transport):
    from grok_cli.testing.scenarios import instructions_answer

    first, second, third = collect(
        fake,
        home,
        transport,
        lambda _: ChatRequest("scenario:instructions hi", mode="fast", instructions="Answer in French"),
        lambda prev: ChatRequest(
            "scenario:instructions more",
            mode="fast",
            conversation_id=done_of(prev[0]).conversation_id,
            parent_response_id=done_of(prev[0]).response_id,
            instructions="Be brief",
        ),
        lambda _: ChatRequest("scenario:instructions plain", mode="fast"),
    )
    assert done_of(first).text == instructions_answer("Answer in French")
    assert done_of(second).text == instructions_answer("Be brief")
    assert done_of(third).text == instructions_answer("") == "No instructions."
    assert fake.instructions() == ["Answer in French", "Be brief", ""]
    if transport == "rest":
        assert "customInstructions" not in fake.chat_requests()[-1].body
    else:
        creates = [m for m in fake.gateway_messages() if m.type == "session.create"]
        assert "custom_instructions" not in creates[-1].message["event"]["session"]["x_grok"]


def test_fallback_reports_the_transport_that_answered_once():
    answered = []
    stream = FallbackChatStream(
        Scripted("ws", REQ, [], GONE),
        lambda: Scripted("rest", REQ, [Token("a"), Token("b")]),
        lambda message: None,
        on_answer=answered.append,
    )
    drain(stream)
    assert answered == ["rest"]


def test_fallback_reports_nothing_when_no_transport_answered():
    answered = []
    stream = FallbackChatStream(
        Scripted("ws", REQ, [], AuthError("no")), pytest.fail, pytest.fail, on_answer=answered.append
    )
    with pytest.raises(AuthError):
        drain(stream)
    assert answered == []


# -- which transport a run starts with ----------------------------------------------------------------
def settings_with(home, **environ):
    return load_settings({}, {"GROK_HOME": str(home), **environ})


def test_auto_starts_with_the_gateway_then_with_what_answered_for_that_account(home):
    settings = settings_with(home)
    assert transports.choose(settings, "a") == transports.Choice("ws", "auto", "default", "rest")
    transports.remember(settings, "a", "rest")
    assert transports.choose(settings, "a") == transports.Choice("rest", "auto", "remembered", "ws")
    assert transports.choose(settings, "b").transport == "ws"
    assert transports.choose(settings, None).transport == "rest"  # the last account used


def test_a_forced_transport_ignores_what_auto_remembered(home):
    transports.remember(settings_with(home), "a", "rest")
    forced = transports.choose(settings_with(home, GROK_TRANSPORT="ws"), "a")
    assert forced == transports.Choice("ws", "ws", "env GROK_TRANSPORT", None)
    assert forced.describe() == "ws (GROK_TRANSPORT)"


@pytest.mark.parametrize("content", ["", "{", "[]", '{"format": 1, "accounts": {"a": {"transport": "pigeon"}}}'])
def test_an_unreadable_memory_is_no_memory(home, content):
    (home / "cache").mkdir()
    (home / "cache" / transports.CACHE_NAME).write_text(content)
    assert transports.choose(settings_with(home), "a").reason == "default"


def test_the_account_key_names_no_secret():
    creds = parse_cookie_text("sso=secret-token; cf_clearance=cf", source="test")
    key = transports.account_key("https://grok.com", creds)
    assert "secret" not in key and key != transports.account_key("https://other.example", creds)
    with_user = parse_cookie_text("sso=other; x-userid=u1", source="test")
    assert transports.account_key("https://grok.com", with_user) == transports.account_key(
        "https://grok.com", parse_cookie_text("sso=renewed; x-userid=u1", source="test")
    )
