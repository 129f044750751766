"""`grok ask` end to end: the installed command as a subprocess against the fake grok.com.

Every case runs over both transports (REST and the WebSocket gateway) unless marked
``rest_only``: the same command must give the same output, exit code and messages.
"""

import json
import signal
import subprocess
import time

import pytest

from grok_cli.testing import long_answer, short_answer

from .conftest import GROK


@pytest.fixture(params=["rest", "ws"])
def transport(request) -> str:
    return request.param


# For what only the REST wire shows (request bodies, NDJSON frames, per-request retries).
rest_only = pytest.mark.parametrize("transport", ["rest"])


def jsonl(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_answer_is_exactly_stdout(grok, fake):
    r = grok("ask", "hi")
    assert (r.code, r.stdout, r.stderr) == (0, short_answer("hi") + "\n", "")


@rest_only
def test_request_is_a_2026_mode_request_with_fresh_ids(grok, fake):
    grok("ask", "-m", "grok-3-thinking", "one")
    grok("ask", "two")
    first, second = fake.chat_requests()
    assert first.body["modeId"] == "expert" and "modelName" not in first.body
    assert second.body["modeId"] == "fast"
    assert first.headers["x-xai-request-id"] != second.headers["x-xai-request-id"]
    assert first.headers["x-statsig-id"] != second.headers["x-statsig-id"]
    assert "Chrome/" in first.headers["user-agent"]
    assert first.cookies["sso"] and first.cookies["cf_clearance"]


def test_jsonl_events_match_the_schema(grok, fake):
    r = grok("ask", "--jsonl", "hello there")
    assert r.code == 0 and r.stderr == ""
    events = jsonl(r.stdout)
    assert events[0]["type"] == "conversation" and events[0]["model"] == "fast"
    tokens = "".join(e["text"] for e in events if e["type"] == "token")
    done = events[-1]
    assert done["type"] == "done" and done["complete"] is True
    assert done["text"] == tokens == short_answer("hello there")
    assert done["conversation_id"] == events[0]["conversation_id"]
    assert done["response_id"] and done["parent_response_id"]
    assert {"title"} <= {e["type"] for e in events}


@rest_only
def test_raw_prints_upstream_frames(grok, fake):
    r = grok("ask", "--raw", "hi")
    frames = [json.loads(line) for line in r.stdout.splitlines()]
    assert r.code == 0 and "conversation" in frames[0]["result"]
    assert "title" in frames[-1]["result"]


def test_thinking_goes_to_stderr_with_a_status_line(grok, fake):
    r = grok("ask", "scenario:thinking how far is the moon")
    assert r.code == 0
    assert "Thinking about your request" in r.stderr and "Thought for " in r.stderr
    assert "Thinking" not in r.stdout and r.stdout.strip()


def test_no_reasoning_keeps_stderr_empty(grok, fake):
    r = grok("ask", "--no-reasoning", "scenario:thinking x")
    assert r.code == 0 and r.stderr == ""


def test_a_thinking_mode_answering_without_reasoning_warns_of_a_degraded_session(grok, fake):
    r = grok("ask", "-m", "expert", "scenario:degraded hi")
    assert (r.code, r.stdout) == (0, short_answer("hi") + "\n")
    warnings = [line for line in r.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1 and "may have flagged this account or network" in warnings[0]
    events = jsonl(grok("ask", "--jsonl", "-m", "heavy", "scenario:degraded hi").stdout)
    (warning,) = [e for e in events if e["type"] == "warning"]
    assert warning["code"] == "degraded_session" and "heavy answered without any reasoning" in warning["message"]
    assert events[-1]["type"] == "done" and events[-1]["complete"] is True


@pytest.mark.parametrize("args", [["-m", "fast", "scenario:degraded hi"], ["-m", "auto", "scenario:degraded hi"],
                                  ["-m", "expert", "hi"]])  # fmt: skip
def test_no_degraded_warning_for_modes_that_need_not_think_or_answers_that_thought(grok, fake, args):
    r = grok("ask", "--jsonl", *args)
    assert r.code == 0 and "Warning" not in r.stderr
    assert "warning" not in {e["type"] for e in jsonl(r.stdout)}


def test_tool_cards_and_render_markup_never_reach_stdout(grok, fake):
    for scenario in ("tools", "search"):
        r = grok("ask", f"scenario:{scenario} q")
        assert r.code == 0, r.stderr
        assert "<xai:" not in r.stdout and "<grok:" not in r.stdout and "CDATA" not in r.stdout


def test_search_results_in_jsonl(grok, fake):
    events = jsonl(grok("ask", "--jsonl", "scenario:search q").stdout)
    results = [x for e in events if e["type"] == "search_results" for x in e["results"]]
    assert results and all({"url", "title", "preview"} <= set(x) for x in results)
    assert any(e["type"] == "tool" for e in events)


def test_awkward_framing_still_gives_the_exact_answer(grok, fake):
    r = grok("ask", "scenario:split_frames hi")
    assert (r.code, r.stdout) == (0, short_answer("scenario:split_frames hi") + "\n")


@rest_only
@pytest.mark.parametrize("variant", ["tag_list", "progress_infinity", "image_urls_number", "results_float"])
def test_a_field_with_an_absurd_value_costs_no_word_of_the_answer(grok, fake, variant):
    prompt = f"scenario:hostile:{variant} hi"
    r = grok("ask", prompt)
    assert (r.code, r.stdout) == (0, short_answer(prompt) + "\n"), r.stderr
    kept = grok("history", "show", "last", "--last-answer")
    assert kept.stdout.rstrip("\n") == short_answer(prompt)


def test_piped_stdin_goes_before_the_prompt(grok, fake):
    grok("ask", "why?", input="log line 1\nlog line 2\n")
    assert fake.prompts()[-1] == "log line 1\nlog line 2\n\nwhy?"


def test_dash_means_stdin_only_and_prompt_file_is_read(grok, fake, tmp_path):
    grok("ask", "-", input="only stdin\n")
    assert fake.prompts()[-1] == "only stdin"
    f = tmp_path / "p.txt"
    f.write_text("from a file\n")
    grok("ask", "--prompt-file", str(f), "and words")
    assert fake.prompts()[-1] == "from a file\n\nand words"


@rest_only
def test_private_and_no_search_flags_reach_the_body(grok, fake):
    grok("ask", "--private", "--no-search", "x")
    body = fake.chat_requests()[-1].body
    assert body["temporary"] is True and body["disableSearch"] is True


@pytest.mark.parametrize(
    "args, message",
    [
        (["ask"], "prompt is empty"),
        (["ask", "-m", "grok-9000", "x"], "Unknown model 'grok-9000'"),
        (["ask", "--jsonl", "--raw", "x"], "cannot be used together"),
    ],
)
def test_usage_errors_exit_2_before_sending_anything(grok, fake, args, message):
    r = grok(*args)
    assert r.code == 2 and message in r.stderr and r.stdout == ""
    assert fake.prompts() == []


def test_unknown_model_suggests_close_names(grok):
    r = grok("ask", "-m", "grok-3-thinkin", "x")
    assert r.code == 2 and "grok-3-thinking" in r.stderr


def test_no_credentials_is_exit_3_with_login_hint(grok, fake):
    r = grok("ask", "hi", env={"GROK_COOKIE": ""})
    assert r.code == 3 and "grok login" in r.stderr


@pytest.mark.parametrize(
    "scenario, code, words",
    [
        ("auth_401", 3, "grok login"),
        ("cloudflare", 4, "cf_clearance"),
        ("antibot", 4, "anti-bot"),
        ("blocked_user", 4, "blocked"),
        ("region_block", 4, "region"),
        ("rate_limited", 5, "usage limit"),
        ("stream_error", 7, "Internal error while generating"),
        ("stream_rate_limit", 5, "usage limit"),
        ("stream_errors_field", 7, "could not be loaded"),
        ("model_error", 7, "Something went wrong"),
        ("truncated", 7, "cut off"),
        ("empty", 7, "without an answer"),
        ("unknown_mode", 7, "after thinking"),
        ("outdated_client", 7, "update"),
    ],
)
def test_each_failure_has_its_exit_code_and_a_clear_message(grok, fake, scenario, code, words):
    # Also the default, so that the gateway refuses its upgrade for the HTTP-level ones.
    fake.scenario = scenario
    r = grok("ask", f"scenario:{scenario} hello")
    assert r.code == code, r.stderr
    assert words in r.stderr
    message = r.stderr[r.stderr.index("Error: ") :]  # reasoning may come before it
    assert "Traceback" not in r.stderr and len(message.strip().splitlines()) <= 2


def test_cookie_for_an_unknown_session_is_an_auth_error(grok, fake):
    r = grok("ask", "hi", env={"GROK_COOKIE": "sso=not-a-session; cf_clearance=x"})
    assert r.code == 3 and "Bad credentials" in r.stderr


def test_missing_cf_clearance_meets_the_cloudflare_page(grok, fake):
    sso = fake.cookie.split(";")[0]
    r = grok("ask", "hi", env={"GROK_COOKIE": sso})
    assert r.code == 4 and "cf_clearance" in r.stderr


def test_partial_answer_is_printed_when_the_stream_breaks(grok, fake):
    r = grok("ask", "--jsonl", "scenario:truncated hi")
    events = jsonl(r.stdout)
    assert r.code == 7
    assert [e["type"] for e in events[-2:]] == ["done", "error"]
    assert events[-2]["complete"] is False and events[-2]["text"]
    assert events[-1] == {"type": "error", "code": "upstream", "message": events[-1]["message"], "exit_code": 7}
    plain = grok("ask", "scenario:truncated hi")
    assert plain.stdout.strip() == events[-2]["text"].strip()


@rest_only
def test_5xx_is_retried_before_the_answer_starts(grok, fake):
    r = grok("ask", "scenario:flaky_503:2 hi")
    assert r.code == 0 and r.stdout
    assert len(fake.chat_requests()) == 3


@rest_only
def test_5xx_that_persists_is_a_network_error(grok, fake):
    r = grok("ask", "scenario:flaky_503:9 hi")
    assert r.code == 6 and len(fake.chat_requests()) == 3


@rest_only
def test_429_with_retry_after_is_retried(grok, fake):
    r = grok("ask", "scenario:flaky_429:1 hi")
    assert r.code == 0 and len(fake.chat_requests()) == 2


@rest_only
def test_stale_signature_is_resigned_once(grok, fake):
    r = grok("ask", "scenario:stale_statsig hi")
    assert r.code == 0, r.stderr
    first, second = fake.chat_requests()
    assert first.headers["x-statsig-id"] != second.headers["x-statsig-id"]


def test_idle_timeout_ends_a_stalled_stream(grok, fake):
    start = time.monotonic()
    r = grok("ask", "--timeout", "1", "scenario:stall hi")
    assert r.code == 6 and "sent nothing for 1 s" in r.stderr
    assert r.stdout.strip()  # what came before the stall is kept
    assert time.monotonic() - start < 10


def test_unreachable_server_is_a_network_error(grok):
    r = grok("ask", "hi", env={"GROK_BASE_URL": "http://127.0.0.1:9"})
    assert r.code == 6 and "Cannot reach" in r.stderr


def test_closed_pipe_is_quiet(grok_env, fake):
    p = subprocess.run(
        f"{GROK} ask 'scenario:long:5000 hi' | head -c 5",
        shell=True, capture_output=True, text=True, env=grok_env, timeout=30,
    )
    assert p.stdout == long_answer(5000)[:5] and p.stderr == ""


def _start(grok_env, *args):
    # Unbuffered bytes: communicate() reads the pipe's file descriptor, not a text buffer.
    return subprocess.Popen(
        [GROK, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=grok_env, bufsize=0,
    )


def _wait_for_output(proc):
    first = proc.stdout.read(1)  # blocks until the answer has started
    assert first
    return first


def _finish(proc, first: bytes) -> tuple[str, str]:
    out, err = proc.communicate(timeout=10)
    return (first + out).decode(), err.decode()


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_signals_stop_the_answer_keeping_what_arrived(grok_env, fake, sig, code):
    proc = _start(grok_env, "ask", "scenario:slow:0.3 hello")
    first = _wait_for_output(proc)
    proc.send_signal(sig)
    out, err = _finish(proc, first)  # bounded: the answer would take seconds more
    assert proc.returncode == code
    assert out.strip() and short_answer("scenario:slow:0.3 hello").startswith(out.rstrip("\n"))
    assert "Traceback" not in err


def test_interrupted_jsonl_still_ends_with_done(grok_env, fake):
    proc = _start(grok_env, "ask", "--jsonl", "scenario:slow:0.3 hello")
    first = _wait_for_output(proc)
    time.sleep(0.4)
    proc.send_signal(signal.SIGINT)
    out, _ = _finish(proc, first)
    events = jsonl(out)
    assert events[-1]["type"] == "done" and events[-1]["complete"] is False
    assert proc.returncode == 130


def test_piped_bytes_that_are_not_utf8_are_replaced_with_a_warning(grok_env, fake):
    p = subprocess.run(
        [GROK, "ask", "why?"], input=b"caf\xe9 log line\n", capture_output=True, env=grok_env, timeout=30
    )
    assert p.returncode == 0, p.stderr
    assert fake.prompts()[-1] == "caf\ufffd log line\n\nwhy?"
    assert b"not UTF-8" in p.stderr


@pytest.mark.parametrize("value", ["inf", "nan", "1e300", "0"])
def test_a_timeout_that_is_not_a_sane_number_is_a_usage_error(grok, fake, value):
    r = grok("ask", "--timeout", value, "hi")
    assert r.code == 2 and "--timeout" in r.stderr and fake.chat_requests() == []


def test_a_full_disk_is_reported_as_such_not_as_a_bug(grok_env, fake):
    with open("/dev/full", "w") as full:
        p = subprocess.run([GROK, "ask", "hi"], stdin=subprocess.DEVNULL, stdout=full, stderr=subprocess.PIPE,
                           env=grok_env, text=True, timeout=30)
    assert p.returncode == 8  # local
    assert "No space left on device" in p.stderr and "bug" not in p.stderr and "Traceback" not in p.stderr


def test_argv_bytes_that_are_not_utf8_are_replaced_with_a_warning(grok_env, fake):
    p = subprocess.run([GROK.encode(), b"ask", b"caf\xe9?"], capture_output=True, env=grok_env, timeout=30)
    assert p.returncode == 0, p.stderr
    assert fake.prompts()[-1] == "caf\ufffd?"


def test_a_user_agent_with_a_line_break_is_refused_before_sending(grok, fake):
    r = grok("ask", "hi", env={"GROK_USER_AGENT": "Mozilla/5.0\r\nX-Injected: 1"})
    assert r.code == 3 and "User-Agent" in r.stderr and fake.chat_requests() == []
