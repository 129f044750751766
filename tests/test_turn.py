"""The turn layer every front end shares (grok_cli/turn.py), driven in-process against the fake."""

import asyncio

import pytest

from grok_cli.config import load_settings
from grok_cli.errors import UsageError
from grok_cli.events import Done, Event, Token
from grok_cli.io import IO
from grok_cli.sinks.base import EventSink
from grok_cli.turn import Turn, TurnRunner


class Collect(EventSink):
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.closed = None

    def on_event(self, event: Event) -> None:
        self.events.append(event)

    def close(self, status) -> None:
        self.closed = status

    @property
    def text(self) -> str:
        return "".join(e.text for e in self.events if isinstance(e, Token))


def runner(grok_env) -> TurnRunner:
    io = IO.for_test(environ=grok_env)
    return TurnRunner(io, load_settings({}, io.environ))


def test_a_front_end_that_knows_the_parent_follows_up_without_asking_grok(fake, grok_env):
    async def two_turns() -> tuple[Done, Done, Collect]:
        async with runner(grok_env) as turns:
            first = await turns.run(Turn("hello"), Collect())
            second_sink = Collect()
            second = await turns.run(
                Turn("again", conversation=first.conversation_id, parent_response_id=first.response_id), second_sink
            )
        return first, second, second_sink

    first, second, sink = asyncio.run(two_turns())
    assert second.conversation_id == first.conversation_id and sink.text
    follow_up = fake.chat_requests()[-1]
    assert follow_up.path.endswith(f"/{first.conversation_id}/responses")
    assert follow_up.body["parentResponseId"] == first.response_id
    # The parent was given: no lookup of the conversation on grok.com.
    assert not any("/response-node" in r.path or "/load-responses" in r.path for r in fake.requests)


def test_a_follow_up_by_id_replies_to_the_last_recorded_answer(fake, grok_env):
    async def turns_by_reference() -> tuple[Done, Done]:
        async with runner(grok_env) as turns:
            first = await turns.run(Turn("hello"), Collect())
            return first, await turns.run(Turn("again", conversation="last"), Collect())

    first, second = asyncio.run(turns_by_reference())
    assert second.conversation_id == first.conversation_id
    assert fake.chat_requests()[-1].body["parentResponseId"] == first.response_id


def test_an_unknown_conversation_fails_before_credentials_are_needed(fake, grok_env):
    env = {k: v for k, v in grok_env.items() if k != "GROK_COOKIE"}

    async def unknown() -> None:
        async with runner(env) as turns:
            await turns.run(Turn("hi", conversation="0badc0de"), Collect())

    with pytest.raises(UsageError, match="No conversation '0badc0de'"):
        asyncio.run(unknown())
    assert fake.requests == []


def test_the_history_is_opened_with_the_first_event_not_before_the_request():
    from grok_cli.events import FLUSH
    from grok_cli.turn import Recorded

    opened, output = [], Collect()
    recorder = Collect()
    sink = Recorded(lambda: opened.append(1) or recorder, output)
    sink.on_events([FLUSH])
    assert opened == []  # nothing to record yet: no sqlite3, no database
    sink.on_events([Token("a"), FLUSH])
    sink.on_event(Token("b"))
    sink.close(None)
    assert opened == [1] and recorder.text == output.text == "ab"
