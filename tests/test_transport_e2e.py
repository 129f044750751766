"""Transport selection and the WebSocket gateway's own behaviour, end to end.

The shared behaviour (answers, errors, timeouts, signals) runs over both transports in
test_ask_e2e; this file covers what only one of them shows, and `--transport auto`.
"""

import json
import subprocess
import sys

import pytest

from grok_cli.protocol.gateway import split_events
from grok_cli.testing import short_answer

from .conftest import GROK


def jsonl(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def upgrades(fake):
    return [r for r in fake.requests if r.path == "/ws/mgw/" and r.headers.get("upgrade") == "websocket"]


def events_sent(fake):
    return [m.message for m in fake.gateway_messages()]


def test_gateway_turn_sends_frames_in_order_with_its_session_id(grok, fake):
    r = grok("ask", "--transport", "ws", "--jsonl", "-m", "expert", "hi")
    assert r.code == 0, r.stderr
    conversation_id = jsonl(r.stdout)[0]["conversation_id"]
    sent = [m for m in events_sent(fake) if m["event"]["type"] != "pong"]
    assert [m["event"]["type"] for m in sent] == ["session.create", "conversation.item.create", "response.create"]
    assert sent[0]["event"]["session"]["model"] == "expert" and "session_id" not in sent[0]
    assert sent[1]["session_id"] == sent[2]["session_id"] == conversation_id
    assert sent[1]["event"]["item"]["x_grok"]["input_chunks"] == [{"text": {"text": "hi"}}]
    assert "parent_response_id" not in sent[1]["event"]


def test_gateway_pings_are_answered_with_the_same_event_id(grok, fake):
    assert grok("ask", "--transport", "ws", "hi").code == 0
    pongs = [m["event"] for m in events_sent(fake) if m["event"]["type"] == "pong"]
    assert len(pongs) == 1 and pongs[0]["event_id"].startswith("evt_srv_hb_")


def test_upgrade_carries_cookies_user_id_and_browser_headers(grok, fake):
    r = grok("ask", "--transport", "ws", "hi", env={"GROK_COOKIE": f"{fake.cookie}; x-userid={fake.user_id}"})
    assert r.code == 0, r.stderr
    (upgrade,) = upgrades(fake)
    assert upgrade.query == {"uid": fake.user_id}
    assert upgrade.cookies["sso"] == fake.sso and upgrade.cookies["x-userid"] == fake.user_id
    assert upgrade.cookies["cf_clearance"] and "Chrome/" in upgrade.headers["user-agent"]
    assert upgrade.headers["origin"] == fake.url and "x-statsig-id" not in upgrade.headers
    # The user id was in the cookie, so the session endpoint was not needed.
    assert not [r for r in fake.requests if r.path == "/api/auth/session"]


def test_user_id_comes_from_the_session_endpoint_without_the_cookie(grok, fake):
    assert "x-userid" not in fake.cookie
    r = grok("ask", "--transport", "ws", "hi")
    assert r.code == 0, r.stderr
    assert [r.path for r in fake.requests if r.path == "/api/auth/session"] == ["/api/auth/session"]
    (upgrade,) = upgrades(fake)
    assert upgrade.query["uid"] == upgrade.cookies["x-userid"] == fake.user_id


def test_private_and_no_search_reach_the_gateway_session(grok, fake):
    assert grok("ask", "--transport", "ws", "--private", "--no-search", "x").code == 0
    x_grok = events_sent(fake)[0]["event"]["session"]["x_grok"]
    assert x_grok["is_temporary"] is True and x_grok["disable_search"] is True


def test_raw_prints_gateway_messages_as_received(grok, fake):
    r = grok("ask", "--transport", "ws", "--raw", "hi")
    assert r.code == 0, r.stderr
    messages = [split_events(line)[0] for line in r.stdout.splitlines()]
    assert any(len(m) > 1 for m in messages)  # packed messages stay one line each
    kinds = [e["type"] for m in messages for e in m]
    assert kinds[:2] == ["session.created", "conversation.attached"]
    assert "response.done" in kinds and kinds[-1] == "response.chunk"  # the late suggestions


def test_an_unreadable_event_in_a_packed_message_costs_nothing_and_shows_in_raw(grok, fake):
    from grok_cli.testing.gateway import GARBLED_EVENT

    fake.gateway_style = "garbled"
    r = grok("ask", "--transport", "ws", "hi")
    assert (r.code, r.stdout) == (0, short_answer("hi") + "\n")
    assert r.stderr.count("Warning:") == 1 and f"{len(GARBLED_EVENT)} characters grok could not read" in r.stderr
    raw = grok("ask", "--transport", "ws", "--raw", "hi")
    assert raw.code == 0 and GARBLED_EVENT in raw.stdout


def assistant_ids(fake, conversation_id):
    return [r.response_id for r in fake.conversations[conversation_id].responses.values() if r.sender == "assistant"]


def test_a_web_gateway_turn_gives_exactly_the_answer_and_keeps_title_and_suggestions(grok, fake, home):
    prompt = "scenario:thinking what is up"
    r = grok("ask", "--transport", "ws", prompt)
    assert (r.code, r.stdout) == (0, short_answer(prompt) + "\n")
    assert "Thinking about your request" in r.stderr and "Thought for" in r.stderr
    events = jsonl(grok("ask", "--transport", "ws", "--jsonl", prompt).stdout)
    kinds = [e["type"] for e in events]
    assert kinds[-3:] == ["title", "suggestions", "done"]
    done = events[-1]
    assert done["text"] == short_answer(prompt) and done["complete"] is True
    assert assistant_ids(fake, done["conversation_id"]) == [done["response_id"]]
    assert events[-3]["title"] == fake.conversations[done["conversation_id"]].title
    assert events[-2]["items"] == ["Why is that?"]
    listed = grok("history", "list", "--json")
    assert json.loads(listed.stdout)[0]["title"] == events[-3]["title"]


def test_continue_over_the_gateway_shows_nothing_of_the_replayed_history(grok, fake):
    first = jsonl(grok("ask", "--transport", "ws", "--jsonl", "first question").stdout)[-1]
    r = grok("continue", "--transport", "ws", "--jsonl", "last", "second question")
    assert r.code == 0, r.stderr
    events = jsonl(r.stdout)
    done = events[-1]
    assert done["text"] == short_answer("second question") and "first question" not in r.stdout
    assert "".join(e["text"] for e in events if e["type"] == "token") == done["text"]
    assert done["conversation_id"] == first["conversation_id"]
    assert assistant_ids(fake, done["conversation_id"]) == [first["response_id"], done["response_id"]]
    plain = grok("continue", "--transport", "ws", "last", "third question")
    assert (plain.code, plain.stdout) == (0, short_answer("third question") + "\n")


@pytest.mark.parametrize("scenario", ["legacy_thinking", "deltas"])  # CHANNEL_REASONING chunks, delta events
def test_untagged_thinking_is_reasoning_and_the_answer_exact(grok, fake, scenario):
    prompt = f"scenario:{scenario} why"
    r = grok("ask", "--transport", "ws", prompt)
    assert (r.code, r.stdout) == (0, short_answer(prompt) + "\n") and "Reading the question" in r.stderr


def test_a_turn_refused_for_the_castle_token_is_blocked(grok, fake):
    r = grok("ask", "--transport", "ws", "scenario:castle hi")
    assert (r.code, r.stdout) == (4, "") and "castle_request_token" in r.stderr


def test_an_answer_larger_than_a_default_websocket_message_arrives_whole(grok, fake):
    # response.output_text.done repeats the whole answer in one message: 5 MiB of it.
    r = grok("ask", "--transport", "ws", "scenario:wide")
    assert r.code == 0, r.stderr[-300:]
    assert len(r.stdout) == 5 * 2**20 + 1 and r.stdout.startswith("wide wide")  # + the final newline


def test_the_older_gateway_shape_still_works(grok, fake):
    fake.gateway_style = "section9"
    r = grok("ask", "--transport", "ws", "--jsonl", "scenario:thinking hi")
    events = jsonl(r.stdout)
    assert r.code == 0 and events[-1]["text"] == short_answer("scenario:thinking hi")
    assert "title" in [e["type"] for e in events]


# -- auto: the gateway first, REST when it is gone, and what answered next time ----------------------
default_transport = pytest.mark.parametrize("transport", [None])  # no GROK_TRANSPORT, no config


@default_transport
def test_without_any_setting_a_run_uses_the_gateway(grok, fake):
    r = grok("ask", "hi")
    assert (r.code, r.stdout, r.stderr) == (0, short_answer("hi") + "\n", "")
    assert len(upgrades(fake)) == 1 and fake.chat_requests() == []


@default_transport
def test_gateway_gone_falls_back_to_rest_once_and_the_next_run_starts_with_rest(grok, fake):
    fake.gone = {"ws"}
    r = grok("ask", "hi")
    assert (r.code, r.stdout) == (0, short_answer("hi") + "\n")
    assert r.stderr.count("Warning:") == 1 and "refused the connection (HTTP 404)" in r.stderr
    assert "Trying the REST endpoints" in r.stderr
    assert len(upgrades(fake)) == 1 and len(fake.chat_requests()) == 1
    fake.clear_requests()
    again = grok("ask", "--jsonl", "hi")
    assert again.code == 0 and again.stderr == ""
    assert upgrades(fake) == [] and len(fake.chat_requests()) == 1
    assert "transport rest (auto: it answered last time" in grok("--version").stdout
    status = json.loads(grok("auth", "status", "--json").stdout)
    assert status["transport"] == {"transport": "rest", "setting": "auto", "reason": "remembered"}


@default_transport
def test_remembered_rest_gone_goes_back_to_the_gateway_and_remembers_it(grok, fake):
    fake.gone = {"ws"}
    assert grok("ask", "hi").code == 0  # now REST is remembered
    fake.gone = {"rest"}
    fake.clear_requests()
    r = grok("ask", "hi")
    assert (r.code, r.stdout) == (0, short_answer("hi") + "\n")
    assert "update your client" in r.stderr and "Trying the WebSocket gateway" in r.stderr
    fake.clear_requests()
    assert grok("ask", "hi").stderr == ""
    assert len(upgrades(fake)) == 1 and fake.chat_requests() == []


@default_transport
def test_what_is_remembered_is_per_account_and_holds_no_secret(grok, fake, home):
    fake.gone = {"ws"}
    assert grok("ask", "hi").code == 0
    fake.add_session("another-session-token")
    other = f"sso=another-session-token; sso-rw=another-session-token; cf_clearance={fake.cf_clearance}"
    fake.gone = set()
    fake.clear_requests()
    r = grok("ask", "hi", env={"GROK_COOKIE": other})
    assert r.code == 0 and len(upgrades(fake)) == 1 and fake.chat_requests() == []
    memory = (home / "cache" / "transports.json").read_text()
    assert "another-session-token" not in memory and fake.sso not in memory


@default_transport
@pytest.mark.parametrize(
    "scenario, code", [("auth_401", 3), ("antibot", 4), ("rate_limited", 5), ("stream_error", 7)]
)
def test_auto_does_not_fall_back_on_other_failures(grok, fake, scenario, code):
    r = grok("ask", f"scenario:{scenario} hi")  # refused inside the gateway's session
    assert r.code == code and "Warning" not in r.stderr and fake.chat_requests() == []
    fake.scenario = scenario  # refused at the upgrade itself
    fake.clear_requests()
    r = grok("ask", "hi")
    assert r.code == code and "Warning" not in r.stderr and fake.chat_requests() == []


@default_transport
def test_auto_falls_back_only_once(grok, fake):
    fake.gone = {"rest", "ws"}
    r = grok("ask", "hi")
    assert r.code == 7 and r.stderr.count("Warning:") == 1
    assert "update your client" in r.stderr  # REST's own words, as the last failure
    assert len(fake.chat_requests()) == 1 and len(upgrades(fake)) == 1


def test_forced_rest_never_tries_the_gateway(grok, fake):
    fake.gone = {"rest-404"}
    r = grok("ask", "--transport", "rest", "hi")
    assert r.code == 7 and "no longer answers" in r.stderr and upgrades(fake) == []


def test_gateway_switched_off_is_reported_as_such(grok, fake):
    fake.gone = {"ws"}
    r = grok("ask", "--transport", "ws", "hi")
    assert r.code == 7 and "refused the connection (HTTP 404)" in r.stderr


def test_refused_upgrade_with_5xx_is_retried(grok, fake):
    fake.scenario = "flaky_503:2"  # the upgrade, before any prompt is known, follows the default
    r = grok("ask", "--transport", "ws", "scenario:short hi")  # the turn itself then answers
    assert r.code == 0, r.stderr
    assert len(upgrades(fake)) == 3


def test_refused_upgrade_shows_the_reason_without_leaking_the_cookie(grok, fake):
    fake.scenario = "blocked_user"
    r = grok("ask", "--transport", "ws", "hi")
    assert r.code == 4 and "blocked" in r.stderr
    assert fake.sso not in r.stdout + r.stderr and fake.cf_clearance not in r.stderr


def test_unknown_transport_is_a_usage_error(grok, fake):
    r = grok("ask", "--transport", "carrier-pigeon", "hi")
    assert r.code == 2 and "--transport" in r.stderr
    r = grok("ask", "hi", env={"GROK_TRANSPORT": "smoke-signals"})
    assert r.code == 2 and "GROK_TRANSPORT" in r.stderr
    assert fake.prompts() == []


def _essence(events: list[dict]) -> dict:
    """What a reader of --jsonl gets, without the ids and URLs that differ between runs."""
    of = lambda kind: [e for e in events if e["type"] == kind]  # noqa: E731
    return {
        "types": [e["type"] for e in events if e["type"] != "suggestions"],  # the gateway's come later
        "suggestions": [e["items"] for e in of("suggestions")],
        "answer": "".join(e["text"] for e in of("token")),
        "reasoning": [(e["text"], e["tag"]) for e in of("reasoning")],
        "tools": [e["name"] for e in of("tool")],
        "sources": [r["url"] for e in of("search_results") for r in e["results"]],
        "images": len(of("image")),
        "title": [e["title"] for e in of("title")],
        "done": (of("done")[0]["text"], of("done")[0]["complete"]),
    }


@pytest.mark.parametrize(
    "scenario", ["short", "thinking", "tools", "search", "images_legacy", "images_cards", "markdown", "verbatim"]
)
def test_both_transports_give_the_same_events(grok, fake, scenario):
    prompt = f"scenario:{scenario} the same question"
    rest, ws = (grok("ask", "--jsonl", "--transport", t, prompt) for t in ("rest", "ws"))
    assert rest.code == ws.code == 0, rest.stderr + ws.stderr
    assert _essence(jsonl(ws.stdout)) == _essence(jsonl(rest.stdout))


def test_fake_server_command_can_retire_a_transport(grok_env, fake):
    env = {k: v for k, v in grok_env.items() if k not in ("GROK_BASE_URL", "GROK_ASSETS_URL", "GROK_COOKIE")}
    cmd = [sys.executable, "-m", "grok_cli.testing", "run", "--gone", "ws", "--"]
    cmd += [GROK, "ask", "--transport", "auto", "hi"]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30)
    assert (p.returncode, p.stdout) == (0, short_answer("hi") + "\n") and "Warning:" in p.stderr
