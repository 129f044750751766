"""`grok serve` starting and stopping: the access key, refusals before listening, SIGTERM."""

import http.client
import json
import signal
import socket
import stat
import time

import pytest

from grok_cli.testing.scenarios import short_answer
from tests.test_serve_e2e import READY, serve_env, start_serve


def test_first_start_makes_a_private_key_and_says_once_where_it_lives(server, fake, home, grok):
    proc, lines, _ = start_serve(serve_env(server, home))
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    key_file = home / "serve-key"
    key = key_file.read_text().strip()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert lines[0] == f"grok serve: new access key (kept in {key_file}): {key}"
    assert sum(line.startswith(READY) for line in lines) == 1

    shown = grok("serve", "--show-key")
    assert shown.code == 0 and shown.stdout == key + "\n"
    proc, lines, _ = start_serve(serve_env(server, home))  # the stored key is not announced again
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    assert not any(key in line for line in lines)


@pytest.mark.parametrize(
    ("args", "env", "code", "message"),
    [
        (["--host", "0.0.0.0"], {}, 2, "needs a key you chose"),
        ([], {"GROK_COOKIE": ""}, 3, "grok login"),
    ],
)
def test_serve_refuses_to_start_without_what_it_needs(grok, args, env, code, message):
    result = grok("serve", "--port", "0", *args, env=env)
    assert result.code == code
    assert message in result.stderr and READY not in result.stderr and "Traceback" not in result.stderr


def refused_soon(port: int) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except ConnectionRefusedError:
            return True
        time.sleep(0.05)
    return False


def test_sigterm_lets_a_running_answer_finish_then_exits_0(server, fake, home):
    proc, lines, url = start_serve(serve_env(server, home, GROK_SERVE_KEY="k"), "--private", "--no-history")
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    prompt = "scenario:slow:0.2 finish me"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = {"model": "fast", "stream": True, "messages": [{"role": "user", "content": prompt}]}
    conn.request("POST", "/v1/chat/completions", json.dumps(body), {"Authorization": "Bearer k"})
    response = conn.getresponse()
    first = response.readline()  # the stream has started
    assert first.startswith(b"data: ")
    proc.send_signal(signal.SIGTERM)
    assert refused_soon(port)  # no new connection while the running answer finishes
    rest = response.read().decode()
    assert proc.wait(20) == 0
    data = [line.removeprefix("data: ") for line in (first.decode() + rest).splitlines() if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    text = "".join(json.loads(d)["choices"][0]["delta"].get("content") or "" for d in data[:-1])
    assert text == short_answer(prompt)
    assert any("stopping" in line for line in lines)
    assert fake.chat_requests()[-1].body["temporary"] is True  # --private
    assert not (home / "history.db").exists()  # --no-history
