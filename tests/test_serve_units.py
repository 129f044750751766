"""`grok serve`'s parts without a server: request parsing, the conversation links, the Host
check, the limiter, the stream formats and the access key."""

import asyncio
import json
import stat
import sys

import pytest

from grok_cli.errors import ExitStatus, RateLimitedError, UsageError
from grok_cli.events import Conversation, Done, Error, Reasoning, Token
from grok_cli.io import IO
from grok_cli.paths import Dirs
from grok_cli.serve import wire
from grok_cli.serve.access import Access, split_host
from grok_cli.serve.exchanges import Exchanges, Link, transcript_key
from grok_cli.serve.keys import AccessKey, resolve_key
from grok_cli.serve.limits import Limiter
from grok_cli.serve.sink import ChatChunks, Feed
from tests.test_serve_e2e import PNG


def test_chat_request_splits_instructions_earlier_messages_and_images():
    conv = wire.chat_request(
        {
            "model": "fast",
            "temperature": 0.3,  # ignored, as OpenAI's clients expect
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": [{"type": "text", "text": "hello"}]},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "what is this?"},
                        {"type": "image_url", "image_url": {"url": PNG}},
                    ],
                },
            ],
        }
    )
    assert conv.system == "Be brief."
    assert [m.role for m in conv.earlier] == ["user", "assistant"]
    assert conv.message.text == "what is this?" and conv.message.images == (PNG,)
    assert wire.attachment(PNG, 0).mime == "image/png"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": [{"role": "user", "content": "x"}]}, "model"),
        ({"model": "fast", "messages": []}, "messages"),
        ({"model": "fast", "messages": [{"role": "user", "content": 3}]}, "messages[0].content"),
        ({"model": "fast", "messages": [{"role": "assistant", "content": "x"}]}, "messages"),
        ({"model": "fast", "stream": "yes", "messages": [{"role": "user", "content": "x"}]}, "stream"),
        (
            {
                "model": "fast",
                "messages": [
                    {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}
                ],
            },
            "messages[0].content[0].image_url",
        ),
    ],
)
def test_a_bad_request_names_its_field(body, param):
    with pytest.raises(wire.BadRequest) as caught:
        wire.chat_request(body)
    assert caught.value.param == param
    assert wire.error_reply(caught.value).status == 400


def test_errors_map_to_openai_statuses():
    assert wire.error_reply(RateLimitedError("quota", retry_after=30)).headers() == {"Retry-After": "30"}
    from grok_cli.errors import BlockedError, StreamTimeoutError, UpstreamError

    assert wire.error_reply(BlockedError("cf")).status == 503
    assert wire.error_reply(StreamTimeoutError("silent")).status == 504
    assert wire.error_reply(UpstreamError("cut")).status == 502
    from grok_cli.errors import FileWriteError

    assert wire.error_reply(FileWriteError("disk full")).status == 500
    assert wire.error_reply(UsageError("bad")).body()["error"]["type"] == "invalid_request_error"


def test_exchange_links_survive_a_restart(tmp_path):
    messages = [wire.Message("user", "hi"), wire.Message("assistant", "hello ")]
    key = transcript_key("sys", messages)
    assert key == transcript_key("sys ", [wire.Message("user", "hi"), wire.Message("assistant", "hello")])
    assert key != transcript_key(None, messages)
    db = tmp_path / "history.db"
    Exchanges(db).remember([key], Link("c1", "r1"))
    assert Exchanges(db).find(key) == Link("c1", "r1")  # a new server process reads it back
    memory = Exchanges(None)
    memory.remember([key], Link("c2", "r2"))
    assert memory.find(key) == Link("c2", "r2") and memory.find("other") is None


@pytest.mark.parametrize(
    ("bound", "header", "allowed"),
    [
        ("127.0.0.1", "127.0.0.1:8765", True),
        ("127.0.0.1", "localhost:8765", True),
        ("127.0.0.1", "[::1]:8765", True),
        ("localhost", "127.0.0.1:8765", True),
        ("127.0.0.1", "attacker.example:8765", False),  # DNS rebinding
        ("127.0.0.1", "127.0.0.1:9999", False),
        ("0.0.0.0", "192.168.1.5:8765", True),
        ("0.0.0.0", "box.lan:8765", False),
        ("127.0.0.1", None, False),
    ],
)
def test_host_header_must_name_the_bound_address_or_localhost(bound, header, allowed):
    access = Access(AccessKey("k", explicit=True), bound, 8765)
    assert access.host_allowed(header) is allowed
    assert split_host("[::1]:80") == ("::1", 80)


def test_requests_beyond_the_concurrency_wait_then_get_429():
    async def main() -> None:
        limiter = Limiter(1, queue_timeout=0.05)
        async with limiter.slot():
            with pytest.raises(RateLimitedError) as caught:
                async with limiter.slot():
                    pass
            assert caught.value.retry_after
        async with limiter.slot():  # the slot came back
            pass

    asyncio.run(main())


def _sse(data: bytes) -> list[str]:
    return [line.removeprefix("data: ") for line in data.decode().splitlines() if line.startswith("data: ")]


def test_chat_chunks_carry_reasoning_apart_and_end_with_done():
    async def main() -> list[str]:
        feed = Feed(ChatChunks("fast", "q", include_usage=True, created=1))
        for event in (
            Conversation("c", None, "fast"),
            Reasoning("Thinking", "header"),
            Token("Hi"),
            Done("c", "r", None, "fast", "Hi", True),
        ):
            feed.on_event(event)
        feed.close(ExitStatus.OK)
        return [line for data in [b async for b in feed.chunks()] for line in _sse(data)]

    lines = asyncio.run(main())
    chunks = [json.loads(line) for line in lines[:-1]]
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert {"reasoning_content": "Thinking\n"} in deltas and {"content": "Hi"} in deltas
    assert chunks[-1]["usage"]["completion_tokens"] > 0
    assert lines[-1] == "[DONE]"


def test_a_stream_failing_after_it_started_ends_with_an_error_chunk_not_done():
    async def main() -> list[str]:
        feed = Feed(ChatChunks("fast", "q", include_usage=False))
        feed.on_event(Token("par"))
        feed.on_event(Error("upstream", "grok.com stopped", 7))
        feed.close(ExitStatus.UPSTREAM)
        return [line for data in [b async for b in feed.chunks()] for line in _sse(data)]

    lines = asyncio.run(main())
    assert "[DONE]" not in lines
    assert json.loads(lines[-1])["error"]["message"] == "grok.com stopped"


def test_a_generated_key_is_private_and_the_same_next_time(tmp_path):
    dirs = Dirs(tmp_path, tmp_path, tmp_path / "cache")
    first = resolve_key(None, {}, dirs)
    assert first.created and not first.explicit and first.value not in repr(first)
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o600
    again = resolve_key(None, {}, dirs)
    assert again.value == first.value and not again.created
    assert resolve_key(None, {"GROK_SERVE_KEY": "mine"}, dirs).explicit
    assert first.matches(f"Bearer {first.value}") and not first.matches("Bearer nope") and not first.matches(None)


def test_missing_aiohttp_is_one_clear_message(monkeypatch, tmp_path):
    from grok_cli.cli.serve import run_serve

    monkeypatch.setitem(sys.modules, "aiohttp", None)
    io = IO.for_test(environ={"GROK_HOME": str(tmp_path), "GROK_SERVE_KEY": "k"})
    with pytest.raises(UsageError) as caught:
        run_serve(
            io,
            host="127.0.0.1",
            port=0,
            api_key=None,
            show_key=False,
            concurrency=1,
            queue_timeout=1,
            cors_origin=None,
            private=False,
            no_history=False,
            flags={},
        )
    assert "pip install 'grok-cli[serve]'" in (caught.value.hint or "")


def test_cors_headers_only_for_the_origin_given_and_preflight_needs_no_key(tmp_path):
    from aiohttp.test_utils import TestClient, TestServer

    from grok_cli.config import load_settings
    from grok_cli.serve.app import build_app
    from grok_cli.serve.service import Service

    settings = load_settings({}, {"GROK_HOME": str(tmp_path)})
    service = Service(IO.for_test(), settings, None, None, limiter=Limiter(1, 1))  # type: ignore[arg-type]

    async def main() -> None:
        access = Access(AccessKey("k", explicit=True), "127.0.0.1", 0, "https://app.example")
        server = TestServer(build_app(service, access))
        async with TestClient(server) as client:
            access.port = server.port
            host = {"Host": f"127.0.0.1:{server.port}"}
            pre = await client.options(
                "/v1/chat/completions",
                headers={**host, "Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
            )
            assert pre.status == 204 and pre.headers["Access-Control-Allow-Origin"] == "https://app.example"
            ok = await client.get(
                "/v1/models", headers={**host, "Origin": "https://app.example", "Authorization": "Bearer k"}
            )
            assert ok.status == 200 and ok.headers["Access-Control-Allow-Origin"] == "https://app.example"
            other = await client.get(
                "/v1/models", headers={**host, "Origin": "https://evil.example", "Authorization": "Bearer k"}
            )
            assert other.status == 200 and "Access-Control-Allow-Origin" not in other.headers

    asyncio.run(main())


def test_an_unreadable_history_starts_a_new_conversation_with_a_warning(tmp_path):
    from grok_cli.config import load_settings
    from grok_cli.serve.service import Service

    (tmp_path / "history.db").write_bytes(b"not a database" * 100)
    io = IO.for_test()
    service = Service(io, load_settings({}, {"GROK_HOME": str(tmp_path)}), None, None, limiter=Limiter(1, 1))  # type: ignore[arg-type]
    conv = wire.chat_request(
        {
            "model": "fast",
            "messages": [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": "b"},
                {"role": "user", "content": "c"},
            ],
        }
    )
    plan = service.plan(conv)
    assert plan.link is None and plan.prompt.endswith("c") and "[assistant]" in plan.prompt
    assert "cannot look up earlier exchanges" in io.stderr.getvalue()
