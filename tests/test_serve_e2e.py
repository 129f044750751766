"""`grok serve` as a real subprocess on a free loopback port, driven by real clients (the openai
SDK, llm, raw HTTP) against the fake grok.com. One server for the whole module."""

import base64
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import openai
import pytest

from grok_cli.testing.scenarios import short_answer
from tests.conftest import _SCRUBBED, GROK

KEY = "test-serve-key"
PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
READY = "grok serve: listening on http://"


@dataclass
class Served:
    url: str  # ends with /v1
    port: int
    home: Path
    process: subprocess.Popen
    log: list[str] = field(default_factory=list)

    def client(self, key: str = KEY) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.url, api_key=key, max_retries=0, timeout=30)

    def logged(self, text: str, since: int = 0) -> bool:
        """Whether a log line (from line ``since`` on) contains ``text``, waiting a while for it
        (the line follows the reply)."""
        deadline = time.monotonic() + 15
        while not any(text in line for line in self.log[since:]):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def turns(self) -> list[tuple[str, str, str]]:
        """(prompt, status, answer) of every turn in the history, oldest first."""
        db = sqlite3.connect(self.home / "history.db")
        try:
            return db.execute("SELECT prompt, status, answer FROM turns ORDER BY id").fetchall()
        finally:
            db.close()


def start_serve(env: dict[str, str], *args: str) -> tuple[subprocess.Popen, list[str], str]:
    """Start `grok serve --port 0`; returns the process, its live stderr lines and the ready URL."""
    proc = subprocess.Popen(
        [GROK, "serve", "--port", "0", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[str] = []
    ready = threading.Event()

    def drain() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line.rstrip("\n"))
            if line.startswith(READY):
                ready.set()
        ready.set()

    threading.Thread(target=drain, daemon=True).start()
    ready.wait(30)
    url = next((line.removeprefix("grok serve: listening on ") for line in lines if line.startswith(READY)), None)
    if url is None:
        proc.kill()
        raise AssertionError(f"grok serve did not start: {lines}")
    return proc, lines, url


def serve_env(server, home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.update(server.env())
    env.update({"GROK_HOME": str(home), "GROK_TRANSPORT": "rest", **extra})
    return env


@pytest.fixture(scope="module")
def served(server, tmp_path_factory):
    home = tmp_path_factory.mktemp("serve-home")
    proc, lines, url = start_serve(serve_env(server, home, GROK_SERVE_KEY=KEY))
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    yield Served(url, port, home, proc, lines)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    assert not any(KEY in line for line in lines), "the access key reached the log"
    assert not any("Traceback" in line for line in lines)


def raw(served: Served, method: str, path: str, body: object = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    sent = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json", **(headers or {})}
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=sent)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), data


def test_models_lists_modes_and_aliases_as_openai_models(served):
    models = served.client().models.list().data
    ids = {m.id for m in models}
    assert {"fast", "expert", "grok-4", "grok-3-thinking"} <= ids
    assert all(m.object == "model" and m.owned_by for m in models)


def test_chat_completion_answers_with_and_without_streaming(served, fake):
    client = served.client()
    answer = client.chat.completions.create(model="fast", messages=[{"role": "user", "content": "hello there"}])
    assert answer.choices[0].message.content == short_answer("hello there")
    assert answer.choices[0].finish_reason == "stop"

    chunks = list(
        client.chat.completions.create(
            model="grok-3",
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "stream please"},
                        {"type": "image_url", "image_url": {"url": PNG}},
                    ],
                }
            ],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == short_answer("stream please")
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    sent = fake.chat_requests()[-1].body
    assert sent["modeId"] == "fast" and len(sent["fileAttachments"]) == 1  # the image part, uploaded


def test_reasoning_arrives_as_reasoning_content_never_as_content(served, fake):
    client = served.client()
    prompt = "scenario:thinking why is the sky blue"
    chunks = list(
        client.chat.completions.create(model="expert", messages=[{"role": "user", "content": prompt}], stream=True)
    )
    reasoning = "".join(getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks)
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert reasoning.strip()
    assert content == short_answer(prompt)
    whole = client.chat.completions.create(model="expert", messages=[{"role": "user", "content": prompt}])
    assert whole.choices[0].message.content == short_answer(prompt)
    assert getattr(whole.choices[0].message, "reasoning_content", "").strip()


def test_follow_up_continues_the_grok_conversation_with_only_the_new_message(served, fake):
    client = served.client()
    system = {"role": "system", "content": "Answer in one line."}
    first = [system, {"role": "user", "content": "first question"}]
    answer = client.chat.completions.create(model="fast", messages=first).choices[0].message.content
    started = fake.chat_requests()[-1]
    assert started.path.endswith("/new") and started.body["customInstructions"] == "Answer in one line."

    follow = [*first, {"role": "assistant", "content": answer}, {"role": "user", "content": "and the second?"}]
    again = client.chat.completions.create(model="fast", messages=follow).choices[0].message.content
    assert again == short_answer("and the second?")
    sent = fake.chat_requests()[-1]
    assert sent.path.endswith("/responses")
    assert sent.body["message"] == "and the second?"
    assert sent.body["customInstructions"] == "Answer in one line."  # every turn carries them
    db = sqlite3.connect(served.home / "history.db")
    conversation_id, response_id = db.execute(
        "SELECT conversation_id, response_id FROM turns WHERE prompt = 'first question'"
    ).fetchone()
    db.close()
    assert sent.path == f"/rest/app-chat/conversations/{conversation_id}/responses"
    assert sent.body["parentResponseId"] == response_id

    # A transcript this server never answered starts a new conversation that carries it.
    client.chat.completions.create(
        model="fast",
        messages=[
            {"role": "user", "content": "q0"},
            {"role": "assistant", "content": "made up"},
            {"role": "user", "content": "q1"},
        ],
    )
    carried = fake.chat_requests()[-1]
    assert carried.path.endswith("/new")
    assert "made up" in carried.body["message"] and carried.body["message"].endswith("q1")


def test_responses_api_streams_its_event_sequence_and_follows_up(served, fake):
    client = served.client()
    events = list(client.responses.create(model="fast", input="tell me", instructions="Be brief.", stream=True))
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert fake.chat_requests()[-1].body["customInstructions"] == "Be brief."
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == short_answer("tell me")
    completed = events[-1].response
    assert completed.output_text == short_answer("tell me")

    follow = client.responses.create(model="fast", input="more", previous_response_id=completed.id)
    assert follow.output_text == short_answer("more")
    sent = fake.chat_requests()[-1]
    assert sent.path.endswith("/responses") and sent.body["message"] == "more"


def test_image_generation_returns_urls_and_base64(served, fake):
    client = served.client()
    b64 = client.images.generate(prompt="scenario:images_cards a fox", n=2, response_format="b64_json")
    assert len(b64.data) == 2
    assert all(base64.b64decode(d.b64_json)[:3] == b"\xff\xd8\xff" for d in b64.data)

    by_url = client.images.generate(prompt="scenario:images_cards a fox", n=1)
    url = by_url.data[0].url
    assert url.startswith(f"http://127.0.0.1:{served.port}/v1/images/files/")
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    conn.request("GET", url.split(str(served.port), 1)[1])  # no key: the URL is the credential
    response = conn.getresponse()
    assert response.status == 200 and response.read()[:3] == b"\xff\xd8\xff"
    # The grok.com session went only to the grok origins.
    assert all(not r.cookies for r in fake.requests if r.origin == "other")


def test_wrong_key_is_401(served):
    with pytest.raises(openai.AuthenticationError) as caught:
        served.client("not-the-key").models.list()
    assert caught.value.status_code == 401


def test_grok_quota_error_is_429_with_retry_after(served, fake):
    with pytest.raises(openai.RateLimitError) as caught:
        served.client().chat.completions.create(
            model="fast", messages=[{"role": "user", "content": "scenario:rate_limited hi"}]
        )
    assert caught.value.status_code == 429
    assert int(caught.value.response.headers["retry-after"]) >= 1
    assert caught.value.body["code"] == "rate_limited"


def test_request_errors_are_openai_error_objects_with_their_status(served):
    status, _, body = raw(
        served, "POST", "/v1/chat/completions", {"model": "gpt-17", "messages": [{"role": "user", "content": "x"}]}
    )
    assert status == 404 and json.loads(body)["error"]["code"] == "model_not_found"
    status, _, body = raw(
        served, "POST", "/v1/chat/completions", {"model": "fast", "messages": "hi", "temperature": 0.2}
    )
    assert status == 400 and json.loads(body)["error"]["param"] == "messages"
    status, _, body = raw(served, "GET", "/v1/models", headers={"Host": "evil.example:80"})
    assert status == 403 and json.loads(body)["error"]["code"] == "bad_host"
    status, headers, _ = raw(served, "GET", "/v1/models", headers={"Origin": "http://example.org"})
    assert status == 200 and not any(h.lower().startswith("access-control") for h in headers)


def test_failure_after_the_stream_started_ends_with_an_error_chunk_and_no_done(served, fake):
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    body = {"model": "fast", "stream": True, "messages": [{"role": "user", "content": "scenario:stream_error x"}]}
    conn.request("POST", "/v1/chat/completions", json.dumps(body), {"Authorization": f"Bearer {KEY}"})
    response = conn.getresponse()
    text = response.read().decode()
    assert response.status == 200
    events = [line.removeprefix("data: ") for line in text.splitlines() if line.startswith("data: ")]
    assert "[DONE]" not in events
    assert "error" in json.loads(events[-1])
    assert served.logged("POST /v1/chat/completions 200 stream failed: upstream")


@pytest.mark.parametrize("prompt", ["scenario:stall:30 silent upstream", "scenario:long:100000 fast upstream"])
def test_client_that_disconnects_mid_stream_keeps_the_partial_answer_as_incomplete(served, fake, prompt):
    since = len(served.log)
    stream = served.client().chat.completions.create(
        model="fast", messages=[{"role": "user", "content": prompt}], stream=True
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            break
    stream.close()
    assert served.logged("POST /v1/chat/completions client gone", since)
    turn = next(t for t in served.turns() if t[0] == prompt)
    assert turn[1] == "incomplete" and turn[2]


def test_llm_answers_a_prompt_through_grok_serve(served, fake, tmp_path):
    user_path = tmp_path / "llm"
    user_path.mkdir()
    (user_path / "extra-openai-models.yaml").write_text(
        f"- model_id: grok\n  model_name: fast\n  api_base: {served.url}\n  api_key_name: grok\n"
    )
    (user_path / "keys.json").write_text(json.dumps({"grok": KEY}))
    llm = str(Path(GROK).with_name("llm"))
    env = {**os.environ, "LLM_USER_PATH": str(user_path)}
    result = subprocess.run([llm, "-m", "grok", "hello llm"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == short_answer("hello llm")
