"""Tests of the fake grok.com itself, over plain HTTP (http.client / raw sockets, no curl_cffi)."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import logging
import os
import re
import shlex
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from grok_cli.testing import (
    DISTINCTIVE_TITLE,
    FINGERPRINT,
    MODES,
    SCENARIO_NAMES,
    SITE_VERIFICATION,
    FakeGrok,
    long_answer,
    markdown_answer,
    search_answer,
    short_answer,
    title_for,
    tools_answer,
)
from grok_cli.testing.scenarios import VERBATIM_FOLLOW_MESSAGE, VERBATIM_NEW_MESSAGE

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Safari/537.36"
NEW = "/rest/app-chat/conversations/new"


# -- an independent §3.3 signer (deliberately not grok_cli.testing.statsig) -----------------------
def sign(method: str, path: str, *, now: float | None = None, meta: str = SITE_VERIFICATION, r: int = 0x5A) -> str:
    t = int(time.time() if now is None else now) - 1682924400
    digest = hashlib.sha256(f"{method}!{path}!{t}obfiowerehiring{FINGERPRINT}".encode()).digest()[:16]
    body = base64.b64decode(meta) + struct.pack("<I", t) + digest + b"\x03"
    raw = bytes([r]) + bytes(b ^ r for b in body)
    return base64.b64encode(raw).decode().rstrip("=")


# -- a tiny HTTP client ---------------------------------------------------------------------------
@dataclass
class Resp:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def frames(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.body.decode().splitlines() if line.strip()]


def call(
    base: str,
    method: str,
    path: str,
    body: Any = None,
    *,
    cookie: str | None = None,
    statsig: str | None = "auto",
    request_id: str | None = "auto",
    ua: str | None = UA,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> Resp:
    u = urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    h: dict[str, str] = {}
    if ua:
        h["User-Agent"] = ua
    if cookie:
        h["Cookie"] = cookie
    if statsig == "auto":
        statsig = sign(method, path.split("?")[0])
    if statsig is not None:
        h["x-statsig-id"] = statsig
    if request_id == "auto":
        request_id = str(uuid.uuid4())
    if request_id is not None:
        h["x-xai-request-id"] = request_id
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    conn.request(method, path, body=data, headers=h)
    resp = conn.getresponse()
    out = Resp(resp.status, resp.headers, resp.read())
    conn.close()
    return out


def payload(frame: dict[str, Any]) -> dict[str, Any]:
    result = frame["result"]
    return result.get("response", result)


def final_text(frames: list[dict[str, Any]]) -> str:
    out = []
    for fr in frames:
        if "result" not in fr:
            continue
        p = payload(fr)
        if "token" in p and not p.get("isThinking") and p.get("messageTag", "final") == "final":
            out.append(p["token"])
    return "".join(out)


def model_response(frames: list[dict[str, Any]]) -> dict[str, Any] | None:
    for fr in frames:
        if "result" in fr and "modelResponse" in payload(fr):
            return payload(fr)["modelResponse"]
    return None


@pytest.fixture
def srv():
    with FakeGrok(delay=0.0) as s:
        yield s


class Api:
    def __init__(self, srv: FakeGrok) -> None:
        self.srv = srv

    def __call__(self, method: str, path: str, body: Any = None, **kw: Any) -> Resp:
        kw.setdefault("cookie", self.srv.cookie)
        return call(self.srv.url, method, path, body, **kw)

    @staticmethod
    def _split(body: dict[str, Any]) -> dict[str, Any]:
        return {k: body.pop(k) for k in ("cookie", "statsig", "request_id", "ua", "headers") if k in body}

    def new(self, message: str = "Hi there", **body: Any) -> Resp:
        kw = self._split(body)
        return self("POST", NEW, {"message": message, "modeId": "fast", "temporary": False, **body}, **kw)

    def follow(self, conv: str, parent: str | None, message: str = "And then?", **body: Any) -> Resp:
        kw = self._split(body)
        b = {"message": message, "modeId": "fast", **body}
        if parent is not None:
            b["parentResponseId"] = parent
        return self("POST", f"/rest/app-chat/conversations/{conv}/responses", b, **kw)


@pytest.fixture
def api(srv):
    return Api(srv)


def ids(frames: list[dict[str, Any]]) -> tuple[str, str, str]:
    conv = frames[0]["result"]["conversation"]["conversationId"]
    mr = model_response(frames)
    assert mr is not None
    return conv, mr["parentResponseId"], mr["responseId"]


# -- lifecycle --------------------------------------------------------------------------------------
def test_start_stop_is_repeatable():
    for _ in range(5):
        with FakeGrok() as s:
            assert s.url != s.assets_url != s.other_url
            assert s.env() == {"GROK_BASE_URL": s.url, "GROK_ASSETS_URL": s.assets_url, "GROK_COOKIE": s.cookie}


def test_cookie_shape(srv):
    parts = dict(p.split("=", 1) for p in srv.cookie.split("; "))
    assert set(parts) == {"sso", "sso-rw", "cf_clearance"}
    assert parts["sso"] == parts["sso-rw"]
    _, body, _ = parts["sso"].split(".")
    assert json.loads(base64.urlsafe_b64decode(body + "==")).keys() == {"session_id"}


# -- pages ------------------------------------------------------------------------------------------
def test_home_page_needs_no_cookies_and_has_site_verification(srv):
    r = call(srv.url, "GET", "/", statsig=None, request_id=None)
    assert r.status == 200
    page = r.body.decode()
    m = re.search(r'<meta name="grok-site-verification" content="([^"]+)"', page)
    assert m and m.group(1) == SITE_VERIFICATION and len(base64.b64decode(m.group(1))) == 48
    assert 'id="chat-ready"' not in page
    signed = call(srv.url, "GET", "/", cookie=srv.cookie).body.decode()
    assert 'id="chat-ready"' in signed and "<textarea" in signed and '<button type="submit"' in signed


def test_sign_in_flow(srv):
    form = call(srv.url, "GET", "/sign-in").body.decode()
    for el in ('id="email"', 'id="password"', 'id="submit"'):
        assert el in form
    r = call(
        srv.url,
        "POST",
        "/sign-in",
        raw=b"email=a%40b.c&password=pw",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status == 302 and r.headers["Location"] == "/"
    cookies = {c.split("=", 1)[0]: c for c in r.headers.get_all("Set-Cookie")}
    assert set(cookies) >= {"sso", "sso-rw", "cf_clearance", "x-userid"}
    assert "HttpOnly" in cookies["sso"] and "HttpOnly" in cookies["sso-rw"]
    jar = "; ".join(c.split(";", 1)[0] for c in cookies.values())
    assert 'id="chat-ready"' in call(srv.url, "GET", "/", cookie=jar).body.decode()
    session = call(srv.url, "GET", "/api/auth/session", cookie=jar).json()
    assert session["status"] == "authenticated" and session["session"]["email"] == "a@b.c"
    bad = call(
        srv.url,
        "POST",
        "/sign-in",
        raw=b"email=&password=",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert bad.status == 400 and "Set-Cookie" not in bad.headers


def test_sign_in_redirects_to_next_on_this_origin_only(srv):
    form_headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert 'name="next" value="/?autochat=1"' in call(srv.url, "GET", "/sign-in?next=/%3Fautochat%3D1").body.decode()
    for raw, location in ((b"next=%2F%3Fautochat%3D1", "/?autochat=1"), (b"next=%2F%2Fevil.example%2F", "/"),
                          (b"next=https%3A%2F%2Fevil.example%2F", "/")):
        r = call(srv.url, "POST", "/sign-in", raw=raw + b"&email=a%40b.c&password=pw", headers=form_headers)
        assert r.status == 302 and r.headers["Location"] == location


def test_test_only_page_automation_is_opt_in(srv):
    assert "<script>" not in call(srv.url, "GET", "/sign-in").body.decode()
    assert ".click()" in call(srv.url, "GET", "/sign-in?autofill=1").body.decode()
    signed = call(srv.url, "GET", "/", cookie=srv.cookie).body.decode()
    assert "x-statsig-id" in signed and "send('Hello')" not in signed
    assert "send('Hello')" in call(srv.url, "GET", "/?autochat=1", cookie=srv.cookie).body.decode()


# -- credentials, Cloudflare, anti-bot ----------------------------------------------------------------
def test_credentials(srv, api):
    r = api.new(cookie=f"cf_clearance={srv.cf_clearance}")
    assert r.status == 401 and r.json() == {"error": {"code": 16, "message": "No credentials presented", "details": []}}
    r = api.new(cookie=f"sso=nope; sso-rw=nope; cf_clearance={srv.cf_clearance}")
    assert r.status == 401 and r.json()["error"]["message"] == "Bad credentials"
    srv.add_session("another-token")
    assert api.new(cookie="sso=another-token; cf_clearance=x").status == 200


def test_cloudflare_challenge_without_clearance(srv, api):
    for path, method in ((NEW, "POST"), ("/rest/app-chat/conversations", "GET"), ("/api/auth/session", "GET")):
        r = api(method, path, {"message": "x"} if method == "POST" else None, cookie=f"sso={srv.sso}")
        assert r.status == 403
        assert r.headers["cf-mitigated"] == "challenge" and r.headers["Server"] == "cloudflare"
        page = r.body.decode()
        assert "<title>Just a moment...</title>" in page and "window._cf_chl_opt" in page
        assert path.replace("/", "\\/") in page
    r = call(srv.assets_url, "GET", "/users/x/generated/y/image.jpg", cookie=f"sso={srv.sso}")
    assert r.status == 403 and r.headers["cf-mitigated"] == "challenge"


@pytest.mark.parametrize("value", [None, "test123", ""])
def test_statsig_missing_or_test123(api, value):
    r = api.new(statsig=value)
    assert r.status == 403
    assert r.json() == {"error": {"code": 7, "message": "Request rejected by anti-bot rules.", "details": []}}


def test_statsig_computed(srv, api):
    assert api.new(statsig=sign("POST", NEW)).status == 200
    assert api.new(statsig=sign("POST", NEW, r=0)).status == 200  # unmasked (REAL's R=0 bug) is fine
    other = sign("POST", "/rest/app-chat/conversations/abc/responses")
    r = api.new(statsig=other)
    assert r.status == 403 and r.json()["error"]["code"] == 7
    assert api.new(statsig=sign("GET", NEW)).status == 403
    # An old value for the right path still works (grok.com replays were accepted on /new) ...
    assert api.new(statsig=sign("POST", NEW, now=time.time() - 7200)).status == 200
    # ... but one built from another page build's meta is "out of date".
    stale_meta = base64.b64encode(bytes(48)).decode()
    r = api.new(statsig=sign("POST", NEW, meta=stale_meta))
    assert r.status == 403 and r.json()["error"]["message"] == "This page is out of date. Reload to continue."


def test_statsig_fallback_and_opaque_accepted_unless_strict(srv, api):
    fallback = base64.b64encode(b"x1:TypeError: Cannot read properties of null (reading 'children')").decode()
    assert api.new(statsig=fallback).status == 200
    assert api.new(statsig="some-static-value-copied-from-a-browser").status == 200
    srv.strict_statsig = True
    assert api.new(statsig=fallback).status == 403
    assert api.new(statsig="some-static-value-copied-from-a-browser").status == 403
    assert api.new(statsig=sign("POST", NEW)).status == 200
    r = api.new(statsig=sign("POST", NEW, now=time.time() - 400))
    assert r.status == 403 and "out of date" in r.json()["error"]["message"]


def test_statsig_checked_on_every_rest_path(api):
    assert api("GET", "/rest/app-chat/conversations", statsig=None).status == 403
    assert api("GET", "/rest/app-chat/conversations", statsig=sign("POST", NEW)).status == 403
    assert api("GET", "/rest/app-chat/conversations").status == 200
    assert api("GET", "/api/auth/session", statsig=None).status == 200  # not a REST call


@pytest.mark.parametrize("value", [None, "not-a-uuid"])
def test_request_id_must_be_uuid(api, value):
    r = api.new(request_id=value)
    assert r.status == 400 and r.json()["error"]["code"] == 3


def test_user_agent_required(api):
    r = api.new(ua=None)
    assert r.status == 403 and r.json()["error"]["code"] == 7


# -- bodies -------------------------------------------------------------------------------------------
def test_body_validation(srv, api):
    r = api.new(modelName="grok-3")
    assert r.status == 400
    assert r.json() == {"error": {"code": 3, "message": "Invalid request. Please update your client.", "details": []}}
    r = api.new("")
    assert r.status == 400 and r.json()["error"]["code"] == 3
    r = api.new("see file", fileAttachments=[str(uuid.uuid4())])
    assert r.status == 400
    r = api.new("hi", customInstructions=["not", "text"])
    assert r.status == 400 and r.json()["error"]["message"] == "Invalid request body"
    r = api("POST", NEW, raw=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status == 400


def test_new_conversation_nested_envelope(srv, api):
    r = api.new("Hi there")
    assert r.status == 200 and r.headers["Content-Type"].startswith("application/json")
    assert r.body.endswith(b"\n") and all(line for line in r.body.split(b"\n")[:-1])
    frames = r.frames
    conv = frames[0]["result"]["conversation"]
    assert set(conv) == {
        "conversationId", "title", "starred", "createTime", "modifyTime", "systemPromptName",
        "temporary", "mediaTypes", "workspaces", "taskResult",
    }  # fmt: skip
    assert frames[-1] == {"result": {"title": {"newTitle": title_for("Hi there")}}}
    for fr in frames[1:-1]:
        assert list(fr) == ["result"] and list(fr["result"]) == ["response"]
    user = frames[1]["result"]["response"]
    assert user["responseId"] == user["userResponse"]["responseId"]
    assert user["userResponse"]["sender"] == "human" and user["userResponse"]["message"] == "Hi there"
    # Every field of the §5.4 (a) capture is present.
    for key in ("manual", "partial", "webSearchResults", "xpostIds", "cardAttachmentsJson", "fileAttachmentsMetadata",
                "steps", "imageEditUris", "citedWebSearchResults", "toolResponses", "ragResults", "highlightsStories",
                "streamErrors", "model", "metadata", "collectionSearchResults", "connectorSearchResults"):  # fmt: skip
        assert key in user["userResponse"]
    assistant = payload(frames[2])["responseId"]
    assert assistant != user["responseId"] and "uiLayout" in payload(frames[2])
    mr = model_response(frames)
    assert mr["message"] == final_text(frames) == short_answer("Hi there")
    assert (
        mr["parentResponseId"] == user["responseId"] and mr["responseId"] == assistant and mr["sender"] == "assistant"
    )
    soft = [payload(f) for f in frames if "result" in f and payload(f).get("isSoftStop")]
    assert len(soft) == 1 and soft[0]["token"] == ""
    assert not any("finalMetadata" in payload(f) for f in frames[1:-1])


def test_short_answer_properties():
    a = short_answer("What is 2+2? scenario:short")
    assert "[fake]" in a and any(ord(c) > 127 for c in a) and not a.endswith("\n")
    assert a == short_answer("What is 2+2?")  # the scenario token is not echoed


def test_final_metadata_only_when_asked(api):
    frames = api.new(disableTextFollowUps=False, sendFinalMetadata=True).frames
    fm = [i for i, f in enumerate(frames) if "result" in f and "finalMetadata" in payload(f)]
    mr = [i for i, f in enumerate(frames) if "result" in f and "modelResponse" in payload(f)]
    assert len(fm) == 1 and fm[0] == mr[0] - 1
    assert payload(frames[fm[0]])["finalMetadata"]["followUpSuggestions"][0]["label"]
    assert not any("finalMetadata" in payload(f) for f in api.new(disableTextFollowUps=True).frames[1:-1])


def test_follow_up_flat_envelope_and_tree(srv, api):
    conv, user1, asst1 = ids(api.new("first").frames)
    r = api.follow(conv, asst1, "second")
    assert r.status == 200
    frames = r.frames
    assert all(list(f) == ["result"] and "response" not in f["result"] for f in frames)
    assert not any("conversation" in f["result"] or "title" in f["result"] for f in frames)
    user2 = frames[0]["result"]["userResponse"]
    assert user2["parentResponseId"] == asst1 and user2["message"] == "second"
    mr = frames[-1]["result"]["modelResponse"]
    assert mr["parentResponseId"] == user2["responseId"] and mr["message"] == short_answer("second")
    # A sibling branch from the same parent is allowed.
    assert api.follow(conv, asst1, "branch").status == 200
    nodes = api("GET", f"/rest/app-chat/conversations/{conv}/response-node?includeThreads=true").json()
    assert nodes["inflightResponses"] == []
    by_id = {n["responseId"]: n for n in nodes["responseNodes"]}
    assert by_id[user1] == {"responseId": user1, "sender": "human"}
    assert by_id[asst1]["parentResponseId"] == user1 and by_id[user2["responseId"]]["parentResponseId"] == asst1
    assert len(by_id) == 6
    loaded = api(
        "POST", f"/rest/app-chat/conversations/{conv}/load-responses", {"responseIds": [asst1, mr["responseId"]]}
    )
    got = loaded.json()["responses"]
    assert [x["responseId"] for x in got] == [asst1, mr["responseId"]]
    assert (
        got[1]["message"] == short_answer("second") and got[1]["partial"] is False and got[1]["sender"] == "assistant"
    )
    tree = srv.conversations[conv]
    assert tree.title == title_for("first") and len(tree.responses) == 6


def test_load_responses_in_chunk_form_has_no_message_and_steps_out_of_order(srv, api):
    conv, user1, asst1 = ids(api.new("first question").frames)
    srv.history_form = "chunks"
    human, answer = api(
        "POST", f"/rest/app-chat/conversations/{conv}/load-responses", {"responseIds": [user1, asst1]}
    ).json()["responses"]
    assert "message" not in human and human["inputChunks"] == [{"text": {"text": "first question"}}]
    chunks = answer["outputChunks"]
    assert "message" not in answer and answer["webSearchResults"] == []
    steps = [c["metadata"]["stepId"] for c in chunks]
    assert steps != sorted(steps)
    ordered = sorted(chunks, key=lambda c: (c["metadata"]["stepId"], c["metadata"]["phaseIndex"]))
    said = "".join(c["text"]["text"] for c in ordered if c["text"]["channel"] == "CHANNEL_ASSISTANT_RESPONSE")
    assert said == short_answer("first question")
    assert {c["text"]["channel"] for c in chunks} > {"CHANNEL_ASSISTANT_RESPONSE"}  # thinking is stored too
    with pytest.raises(ValueError):
        srv.history_form = "scrolls"


def test_follow_up_validation(api):
    conv, user1, asst1 = ids(api.new().frames)
    for parent in (None, user1, str(uuid.uuid4())):
        r = api.follow(conv, parent)
        assert r.status == 400
        assert r.json() == {"error": {"code": 3, "message": "Invalid parentResponseId", "details": []}}
    r = api.follow(str(uuid.uuid4()), asst1)
    assert r.status == 404 and r.json()["error"] == {"code": 5, "message": "Conversation not found", "details": []}
    # A parent from another conversation is not a parent here.
    conv2, _, _ = ids(api.new().frames)
    assert api.follow(conv2, asst1).status == 400


@pytest.mark.parametrize("mode", ["reasoning", "deepsearch"])
def test_unknown_mode_thinks_then_eof(api, mode):
    frames = api.new(modeId=mode).frames
    kinds = [payload(f) for f in frames[1:]]
    assert kinds[-1]["token"] == "Thinking about your request" and kinds[-1]["isThinking"] is True
    assert kinds[-1]["messageTag"] == "header"
    assert model_response(frames) is None and final_text(frames) == ""
    assert "title" not in frames[-1]["result"]


def test_unknown_mode_via_scenario_and_model_mode(api):
    assert model_response(api.new("scenario:unknown_mode").frames) is None
    body = {"message": "hi", "modelMode": "MODEL_MODE_GROK_420"}
    assert model_response(api("POST", NEW, body).frames) is None
    assert model_response(api("POST", NEW, {"message": "hi", "modelMode": "MODEL_MODE_AUTO"}).frames) is not None


def test_temporary_conversation_not_listed_but_usable(api):
    conv, _, asst = ids(api.new("private", temporary=True).frames)
    listed = api("GET", "/rest/app-chat/conversations?pageSize=60").json()["conversations"]
    assert conv not in [c["conversationId"] for c in listed]
    assert api("GET", f"/rest/app-chat/conversations/{conv}").json()["temporary"] is True
    assert api.follow(conv, asst).status == 200


# -- scenarios ------------------------------------------------------------------------------------------
def test_scenario_selection(srv, api):
    srv.scenario = "title"
    assert api.new("x").frames[-1]["result"]["title"]["newTitle"] == DISTINCTIVE_TITLE
    frames = api.new("x scenario:markdown").frames
    assert final_text(frames) == markdown_answer()
    r = api.new("scenario:nope")
    assert r.status == 400 and "nope" in r.json()["error"]["message"]
    with pytest.raises(ValueError):
        srv.scenario = "nope"
    assert set(SCENARIO_NAMES) >= {"short", "verbatim", "stall", "split_frames", "long", "images_evil"}


def test_verbatim(api):
    frames = api.new("测试精简 scenario:verbatim").frames
    mr = model_response(frames)
    assert mr["message"] == final_text(frames) == VERBATIM_NEW_MESSAGE
    assert mr["metadata"]["request_trace_id"] == "b6357e990b93928dc3de0df1c758f343"
    assert mr["requestMetadata"] == {"model": "grok-4-auto", "mode": "MODEL_MODE_AUTO", "effort": "LOW"}
    assert frames[-1] == {"result": {"title": {"newTitle": "精简模式测试"}}}
    assert [payload(f)["uiLayout"]["reasoningUiLayout"] for f in frames[2:5:2]] == ["SPLIT", "FUNCTION_CALL"]
    # Line 2 of the capture, key for key (ids/times differ).
    raw_line = api.new("测试精简 scenario:verbatim").body.split(b"\n")[2].decode()
    assert re.fullmatch(
        r'\{"result":\{"response":\{"uiLayout":\{"reasoningUiLayout":"SPLIT","willThinkLong":false,"effort":"LOW",'
        r'"steerModelId":"grok-4","rolloutIds":\[\]\},"isThinking":false,"isSoftStop":false,"responseId":"[0-9a-f-]{36}"\}\}\}',
        raw_line,
    )
    conv, _, asst = ids(frames)
    follow = api.follow(conv, asst, "挺好的 scenario:verbatim").frames
    assert follow[-1]["result"]["modelResponse"]["message"] == VERBATIM_FOLLOW_MESSAGE
    assert follow[0]["result"]["userResponse"]["requestMetadata"] == {"mode": "MODEL_MODE_AUTO"}


def test_thinking(api):
    frames = api.new("q scenario:thinking").frames
    thinking = [payload(f) for f in frames if "result" in f and payload(f).get("isThinking")]
    assert {t["messageTag"] for t in thinking} == {"header", "summary"}
    assert thinking[0]["token"] == "Thinking about your request"
    mr = model_response(frames)
    assert mr["message"] == short_answer("q") and "thinkingStartTime" in mr and "thinkingEndTime" in mr


def test_legacy_thinking(api):
    frames = api.new("q scenario:legacy_thinking").frames
    tokens = [payload(f) for f in frames if "result" in f and "token" in payload(f)]
    assert not any("messageTag" in t for t in tokens)
    assert any(t["isThinking"] for t in tokens)
    answer = "".join(t["token"] for t in tokens if not t["isThinking"])
    assert answer == short_answer("q") == model_response(frames)["message"]


def test_tools(api):
    frames = api.new("scenario:tools").frames
    card = next(payload(f) for f in frames if "result" in f and payload(f).get("messageTag") == "tool_usage_card")
    assert card["isThinking"] is True and card["toolUsageCard"]["toolUsageCardId"] == card["toolUsageCardId"]
    assert "<xai:tool_name>code_execution</xai:tool_name>" in card["token"]
    assert '<![CDATA[{"code":"print(6 * 7)"}]]>' in card["token"]
    assert card["toolUsageCard"]["codeExecution"]["args"]["code"] == "print(6 * 7)"
    assert final_text(frames) == tools_answer() == model_response(frames)["message"]


def test_search(api):
    frames = api.new("scenario:search").frames
    ps = [payload(f) for f in frames if "result" in f]
    web = next(p for p in ps if "webSearchResults" in p)["webSearchResults"]["results"]
    assert 2 <= len(web) <= 3 and {"url", "title", "preview"} <= set(web[0])
    assert any("xSearchResults" in p for p in ps)
    cards = [json.loads(p["cardAttachment"]["jsonData"]) for p in ps if "cardAttachment" in p]
    assert cards and all(c["cardType"] == "citation_card" and {"url", "title", "id"} <= set(c) for c in cards)
    finals = [p["token"] for p in ps if p.get("messageTag") == "final" and "token" in p]
    whole = re.compile(r"<grok:render[^>]*>.*?</grok:render>")
    assert not any(whole.search(t) for t in finals)  # markup is split across tokens
    text = "".join(finals)
    assert text == search_answer() == model_response(frames)["message"]
    assert len(whole.findall(text)) == 2 and 'type="render_inline_citation"' in text


def _jpeg_ok(data: bytes) -> bool:
    return data[:3] == b"\xff\xd8\xff" and data[-2:] == b"\xff\xd9"


def test_images_legacy_and_assets(srv, api):
    frames = api.new("a fox scenario:images_legacy", imageGenerationCount=2).frames
    ps = [payload(f) for f in frames if "result" in f]
    assert any("progressReport" in p for p in ps) and any("imageDimensions" in p for p in ps)
    imgs = [p["streamingImageGenerationResponse"] for p in ps if "streamingImageGenerationResponse" in p]
    assert [i["progress"] for i in imgs] == [50, 50, 50, 100, 100, 100]
    assert all("-part-0/" in i["imageUrl"] for i in imgs[:3])
    finals = [i for i in imgs if i["progress"] == 100]
    assert [i["moderated"] for i in finals] == [False, False, True]
    urls = model_response(frames)["generatedImageUrls"]
    assert urls == [i["imageUrl"] for i in finals[:2]]
    for url in [*urls, imgs[0]["imageUrl"], finals[2]["imageUrl"]]:
        assert re.fullmatch(r"users/[0-9a-f-]{36}/generated/[0-9a-f-]{36}(-part-0)?/image\.jpg", url)
        r = call(srv.assets_url, "GET", "/" + url, cookie=srv.cookie)
        assert r.status == 200 and r.headers["Content-Type"] == "image/jpeg" and _jpeg_ok(r.body)
    png = call(srv.assets_url, "GET", "/" + urls[0][:-4] + ".png", cookie=srv.cookie)
    assert png.status == 200 and png.headers["Content-Type"] == "image/png" and png.body[:8] == b"\x89PNG\r\n\x1a\n"
    assert call(srv.assets_url, "GET", "/" + urls[0]).status in (401, 403)
    assert call(srv.assets_url, "GET", "/" + urls[0], cookie="cf_clearance=x").status == 401
    assert call(srv.assets_url, "GET", "/" + urls[0], cookie="sso=bad; cf_clearance=x").status == 401
    assert call(srv.assets_url, "GET", "/users/nobody/generated/x/image.jpg", cookie=srv.cookie).status == 404
    assert (
        len(model_response(api.new("scenario:images_legacy", imageGenerationCount=3).frames)["generatedImageUrls"]) == 3
    )


def test_images_cards(srv, api):
    frames = api.new("scenario:images_cards").frames
    ps = [payload(f) for f in frames if "result" in f]
    cards = [p["cardAttachment"]["jsonData"] for p in ps if "cardAttachment" in p]
    assert all(isinstance(c, str) for c in cards)
    chunks = [json.loads(c)["image_chunk"] for c in cards]
    assert [c["progress"] for c in chunks] == [50, 100] * 3
    assert [c["moderated"] for c in chunks if c["progress"] == 100] == [False, False, True]
    mr = model_response(frames)
    assert [json.loads(c)["image_chunk"]["progress"] for c in mr["cardAttachmentsJson"]] == [100, 100, 100]
    assert mr["message"].count('card_type="generated_image_card" type="render_file"') == 3
    for c in chunks:
        assert call(srv.assets_url, "GET", "/" + c["imageUrl"], cookie=srv.cookie).status == 200


def test_a_forced_image_request_draws_even_without_a_scenario(api):
    drawn = api.new("a lighthouse", toolOverrides={"imageGen": True}).frames
    worded = api.new("a lighthouse").frames
    assert model_response(drawn)["cardAttachmentsJson"] and not model_response(worded).get("cardAttachmentsJson")


def test_images_evil_and_other_host(srv, api):
    urls = model_response(api.new("scenario:images_evil").frames)["generatedImageUrls"]
    assert any(u.startswith("../") for u in urls)
    absolute = [u for u in urls if u.startswith("http")]
    assert absolute and absolute[0].startswith(srv.other_url)
    r = call(srv.other_url, "GET", urlsplit(absolute[0]).path, statsig=None, request_id=None)
    assert r.status == 200 and _jpeg_ok(r.body)
    rec = [x for x in srv.requests if x.origin == "other"]
    assert rec and rec[-1].cookies == {} and "cookie" not in rec[-1].headers
    # The traversal target is served under its normalised path.
    assert call(srv.assets_url, "GET", "/etc/passwd", cookie=srv.cookie).status == 200


@pytest.mark.parametrize(
    "scenario, code, message",
    [("stream_error", 13, "Internal error while generating"), ("stream_rate_limit", 8, "Too many requests")],
)
def test_in_stream_errors(api, scenario, code, message):
    r = api.new(f"scenario:{scenario}")
    assert r.status == 200
    frames = r.frames
    assert frames[-1] == {"error": {"code": code, "message": message, "details": []}}
    assert final_text(frames) and model_response(frames) is None


def test_stream_errors_field(api):
    mr = model_response(api.new("scenario:stream_errors_field").frames)
    assert mr["streamErrors"] == [
        {"message": "Attachment failed to load", "attachmentLoadFailed": True, "severity": "ERROR"}
    ]
    mr = model_response(api.new("scenario:stream_errors_field:usage").frames)
    assert "usage limit" in mr["streamErrors"][0]["message"]
    assert model_response(api.new("scenario:model_error").frames)["error"] == "Something went wrong"


def test_truncated_and_empty(srv, api):
    frames = api.new("scenario:truncated").frames
    assert final_text(frames) and model_response(frames) is None
    assert not any("result" in f and payload(f).get("isSoftStop") for f in frames)
    conv = frames[0]["result"]["conversation"]["conversationId"]
    assistant = [n for n in srv.conversations[conv].responses.values() if n.sender == "assistant"]
    assert assistant[0].obj["partial"] is True
    frames = api.new("scenario:empty").frames
    assert len(frames) == 2 and "userResponse" in payload(frames[1])


def test_long_is_n_word_tokens(api):
    frames = api.new("scenario:long:20000").frames
    assert final_text(frames) == long_answer(20000) == model_response(frames)["message"]
    assert sum(1 for f in frames if "result" in f and payload(f).get("messageTag") == "final") == 20000


def test_slow_honours_delay(api):
    t0 = time.perf_counter()
    frames = api.new("scenario:slow:0.01").frames
    assert time.perf_counter() - t0 >= 0.01 * (len(frames) - 1)
    assert final_text(frames) == short_answer("")


def test_default_delay_paces_frames():
    with FakeGrok(delay=0.01) as s:
        t0 = time.perf_counter()
        frames = Api(s).new("x").frames
        assert time.perf_counter() - t0 >= 0.01 * (len(frames) - 1)


def test_http_level_scenarios(srv, api):
    r = api.new("scenario:auth_401")
    assert r.status == 401 and r.json()["error"] == {"code": 16, "message": "Bad credentials", "details": []}
    r = api.new("scenario:cloudflare")
    assert r.status == 403 and r.headers["cf-mitigated"] == "challenge" and b"Just a moment..." in r.body
    r = api.new("scenario:antibot")
    assert r.status == 403 and r.json()["error"]["message"] == "Request rejected by anti-bot rules."
    r = api.new("scenario:blocked_user")
    assert r.status == 403 and b"user is blocked" in r.body
    r = api.new("scenario:region_block")
    assert r.status == 403 and b"This service is not available in your region." in r.body
    r = api.new("scenario:outdated_client")
    assert r.status == 400 and r.json()["error"]["message"] == "Invalid request. Please update your client."
    assert srv.conversations == {}


def test_stale_statsig_then_resigned_retry(api):
    first = sign("POST", NEW, r=1)
    r = api.new("scenario:stale_statsig", statsig=first)
    assert r.status == 403 and r.json()["error"] == {
        "code": 7, "message": "This page is out of date. Reload to continue.", "details": []
    }  # fmt: skip
    assert api.new("scenario:stale_statsig", statsig=first).status == 403  # same value again
    r = api.new("scenario:stale_statsig", statsig=sign("POST", NEW, r=2))
    assert r.status == 200 and final_text(r.frames) == short_answer("")


def test_flaky(api):
    statuses = [api.new("p scenario:flaky_503:2") for _ in range(3)]
    assert [r.status for r in statuses] == [503, 503, 200]
    assert statuses[0].body == b"" and b"503 Service" in statuses[1].body
    r1, r2 = api.new("q scenario:flaky_429:1"), api.new("q scenario:flaky_429:1")
    assert r1.status == 429 and r1.headers["retry-after"] == "0" and r2.status == 200


def test_rate_limits_and_quota(srv, api):
    def limits(mode: str, **extra: Any) -> dict[str, Any]:
        return api("POST", "/rest/rate-limits", {"modelName": mode, **extra}).json()

    first = limits("fast")
    assert set(first) >= {
        "windowSizeSeconds",
        "remainingQueries",
        "totalQueries",
        "lowEffortRateLimits",
        "highEffortRateLimits",
    }
    api.new()
    assert limits("fast")["remainingQueries"] == first["remainingQueries"] - 1
    assert limits("auto")["remainingQueries"] == limits("auto")["totalQueries"]
    assert limits("grok-3", requestKind="DEFAULT")["windowSizeSeconds"] == 7200
    srv.quota = {"expert": (1, 30, 3600)}
    assert limits("expert") == {
        "windowSizeSeconds": 3600, "remainingQueries": 1, "totalQueries": 30,
        "lowEffortRateLimits": None, "highEffortRateLimits": None,
    }  # fmt: skip
    assert api.new(modeId="expert").status == 200
    r = api.new(modeId="expert")
    assert r.status == 429 and r.json()["error"]["code"] == 8
    assert limits("expert")["waitTimeSeconds"] > 0
    r = api.new("scenario:rate_limited", modeId="auto")
    assert r.status == 429 and r.headers["retry-after"] == "1"
    assert r.json() == {"error": {"code": 8, "message": "Too many requests", "details": []}}
    after = limits("auto")
    assert after["remainingQueries"] == 0 and "waitTimeSeconds" in after


def test_modes_are_the_2026_08_catalogue(api):
    answer = api("POST", "/rest/modes", {"locale": "en"}).json()
    assert answer["modes"] == MODES and answer["defaultModeId"] == "auto"
    assert [m["id"] for m in MODES] == ["auto", "fast", "expert", "heavy", "build"]
    tiers = {m["id"]: m["availability"]["minimumSubscriptionTier"] for m in MODES}
    assert (tiers["heavy"], tiers["build"]) == ("TIER_SUPERGROK_HEAVY", "TIER_SUPERGROK_PLUS")


def test_auth_session(srv, api):
    r = api("GET", "/api/auth/session").json()
    assert r["status"] == "authenticated" and r["session"]["email"] == "fake@example.com"
    assert r["session"]["userId"] == srv.user_id
    assert api("GET", "/api/auth/session", cookie="sso=zzz; cf_clearance=1").status == 401
    srv.block_session()
    assert api("GET", "/api/auth/session").json()["status"] == "blocked"
    r = api.new()
    assert r.status == 403 and r.json()["error"]["message"] == "user is blocked"


# -- conversations ------------------------------------------------------------------------------------
def test_conversation_listing_get_and_delete(api):
    made = [ids(api.new(f"chat {i}").frames)[0] for i in range(5)]
    page1 = api("GET", "/rest/app-chat/conversations?pageSize=2").json()
    assert [c["conversationId"] for c in page1["conversations"]] == made[::-1][:2]
    assert page1["textSearchMatches"] == [] and "nextPageToken" in page1
    keys = {
        "conversationId",
        "title",
        "starred",
        "createTime",
        "modifyTime",
        "systemPromptName",
        "temporary",
        "mediaTypes",
        "workspaces",
    }
    assert set(page1["conversations"][0]) == keys
    seen, token = [], None
    while True:
        q = "?pageSize=2" + (f"&pageToken={token}" if token else "")
        page = api("GET", "/rest/app-chat/conversations" + q).json()
        seen += [c["conversationId"] for c in page["conversations"]]
        token = page.get("nextPageToken")
        if not token:
            break
    assert seen == made[::-1]
    assert "nextPageToken" not in api("GET", "/rest/app-chat/conversations?pageSize=60").json()
    got = api("GET", f"/rest/app-chat/conversations/{made[0]}").json()
    assert got["conversationId"] == made[0] and got["title"] == title_for("chat 0")
    assert api("GET", f"/rest/app-chat/conversations/{uuid.uuid4()}").status == 404
    assert api("DELETE", f"/rest/app-chat/conversations/soft/{made[0]}").json() == {}
    assert api("GET", f"/rest/app-chat/conversations/{made[0]}").status == 404
    listed = [c["conversationId"] for c in api("GET", "/rest/app-chat/conversations").json()["conversations"]]
    assert made[0] not in listed
    assert api("DELETE", f"/rest/app-chat/conversations/soft/{made[0]}").status == 404


def test_follow_up_after_delete_is_404(api):
    conv, _, asst = ids(api.new().frames)
    api("DELETE", f"/rest/app-chat/conversations/soft/{conv}")
    assert api.follow(conv, asst).status == 404


# -- uploads --------------------------------------------------------------------------------------------
def test_upload_v1_and_attachment(srv, api):
    content = b"hello file\n"
    body = {"fileName": "note.txt", "fileMimeType": "text/plain", "content": base64.b64encode(content).decode()}
    up = api("POST", "/rest/app-chat/upload-file", body).json()
    assert up["fileName"] == "note.txt" and up["fileMimeType"] == "text/plain"
    assert up["fileUri"] == f"users/{srv.user_id}/{up['fileMetadataId']}/content"
    r = call(srv.assets_url, "GET", "/" + up["fileUri"], cookie=srv.cookie)
    assert r.body == content and r.headers["Content-Type"].startswith("text/plain")
    frames = api.new("", fileAttachments=[up["fileMetadataId"]]).frames  # empty message is fine with a file
    user = payload(frames[1])["userResponse"]
    assert (
        user["fileAttachments"] == [up["fileMetadataId"]]
        and user["fileAttachmentsMetadata"][0]["fileName"] == "note.txt"
    )
    bad = api("POST", "/rest/app-chat/upload-file", {**body, "content": "***not base64***"})
    assert bad.status == 400
    srv.upload_limit = 4
    big = api("POST", "/rest/app-chat/upload-file", body)
    assert big.status == 413 and big.json()["error"] == {"code": 3, "message": "File too large", "details": []}


def test_upload_v2_multipart(srv, api):
    boundary = "----fakeboundary"
    data = b"\x89PNG\r\n\x1a\nrest-of-png\r\n--not-a-boundary"
    raw = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="pic.png"\r\n'
            f"Content-Type: image/png\r\n\r\n"
        ).encode()
        + data
        + (
            f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="file_source"\r\n\r\nSELF_UPLOAD_FILE_SOURCE\r\n'
            f"--{boundary}--\r\n"
        ).encode()
    )
    path = "/http/upload-file-v2/direct"
    r = api("POST", path, raw=raw, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    out = r.json()
    assert r.status == 200 and out["terminalError"] is None and out["uploadId"]
    meta = out["fileMetadata"]
    assert set(meta) == {"fileMetadataId", "fileId", "fileUri"} and meta["fileUri"].startswith("users/")
    got = call(srv.assets_url, "GET", "/" + meta["fileUri"], cookie=srv.cookie)
    assert got.body == data and got.headers["Content-Type"] == "image/png"
    srv.upload_limit = 10
    r = api("POST", path, raw=raw, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status == 413
    assert api("POST", path, {"x": 1}).status == 400


# -- recording ------------------------------------------------------------------------------------------
def test_recording(srv, api):
    api.new("record me", headers={"X-Custom": "v"})
    api("GET", "/rest/app-chat/conversations")
    chats = srv.chat_requests()
    assert len(chats) == 1
    rec = chats[0]
    assert rec.origin == "web" and rec.method == "POST" and rec.path == NEW
    assert rec.headers["x-custom"] == "v" and rec.headers["user-agent"] == UA
    assert rec.cookies["sso"] == srv.sso and rec.body["message"] == "record me"
    assert json.loads(rec.raw) == rec.body
    assert [r.path for r in srv.requests][-1] == "/rest/app-chat/conversations"
    listing = srv.requests[-1]
    assert listing.body is None and listing.query == {}


def test_recording_is_thread_safe(srv):
    def hit():
        for _ in range(10):
            call(srv.url, "GET", "/", statsig=None, request_id=None)

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(srv.requests) == 80


# -- framing ----------------------------------------------------------------------------------------------
def raw_chunks(base: str, path: str, body: dict[str, Any], cookie: str) -> list[bytes]:
    """POST over a raw socket and return the HTTP/1.1 chunks as written by the server."""
    u = urlsplit(base)
    data = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {u.netloc}\r\nUser-Agent: {UA}\r\nCookie: {cookie}\r\n"
        f"x-statsig-id: {sign('POST', path)}\r\nx-xai-request-id: {uuid.uuid4()}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((u.hostname, u.port), timeout=10) as s:
        s.sendall(head + data)
        buf = b""
        while chunk := s.recv(65536):
            buf += chunk
    headers, _, rest = buf.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in headers.lower()
    chunks = []
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return chunks
        chunks.append(rest[:size])
        rest = rest[size + 2 :]


def test_split_frames(srv):
    prompt = "frame me scenario:split_frames"
    chunks = raw_chunks(srv.url, NEW, {"message": prompt, "modeId": "fast"}, srv.cookie)
    body = b"".join(chunks)
    # Some write ends inside a JSON object, one inside a UTF-8 character.
    assert any(not c.endswith(b"\n") for c in chunks[:-1])
    with pytest.raises(UnicodeDecodeError):
        for c in chunks:
            c.decode()
    text = body.decode()
    assert "}{" in text and "\n\n" in text and "\ndata: {" in text and "\r\n" in text
    # A robust parser (brace-balanced, tolerant of `data:` and blank lines) gets the answer.
    objs, depth, start, in_str, esc = [], 0, None, False, False
    for i, ch in enumerate(text):
        if in_str:
            esc, in_str = (False, in_str) if esc else (ch == "\\", ch != '"')
            continue
        if ch == '"':
            in_str = True
        elif ch == "{":
            depth += 1
            start = i if depth == 1 else start
        elif ch == "}":
            depth -= 1
            if depth == 0:
                objs.append(json.loads(text[start : i + 1]))
    assert final_text(objs) == short_answer(prompt) == model_response(objs)["message"]
    assert objs[-1]["result"]["title"]["newTitle"] == title_for(prompt)


def test_markdown_tokens_are_small(api):
    frames = api.new("scenario:markdown").frames
    tokens = [payload(f)["token"] for f in frames if "result" in f and payload(f).get("messageTag") == "final"]
    assert len(tokens) > 40 and "".join(tokens) == markdown_answer()
    for part in ("# Heading", "- first item", "```python", "| planet | moons |"):
        assert part in markdown_answer()


# -- stall and shutdown ---------------------------------------------------------------------------------
def test_stall_client_leaves_quietly(caplog):
    caplog.set_level(logging.DEBUG, logger="aiohttp")
    with FakeGrok(delay=0.0) as s:
        u = urlsplit(s.url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
        headers = {"Cookie": s.cookie, "User-Agent": UA, "x-statsig-id": sign("POST", NEW),
                   "x-xai-request-id": str(uuid.uuid4()), "Content-Type": "application/json"}  # fmt: skip
        conn.request("POST", NEW, body=json.dumps({"message": "scenario:stall"}), headers=headers)
        resp = conn.getresponse()
        first = resp.readline()
        assert b"conversation" in first
        conn.sock.settimeout(0.3)
        lines = []
        with pytest.raises((TimeoutError, socket.timeout)):
            while True:
                lines.append(resp.readline())
        assert lines and b'"token"' in lines[-1]  # a few tokens, then nothing
        conn.close()
        time.sleep(0.15)  # the server notices the client left
    t0 = time.perf_counter()
    # And stopping with a client still connected mid-stall is quick too.
    with FakeGrok(delay=0.0) as s:
        u = urlsplit(s.url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
        headers["Cookie"] = s.cookie
        conn.request("POST", NEW, body=json.dumps({"message": "scenario:stall"}), headers=headers)
        conn.getresponse().readline()
        t0 = time.perf_counter()
    # Far below the stall itself, which never ends: stopping does not wait for the stream.
    assert time.perf_counter() - t0 < 5.0
    conn.close()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info], caplog.text


# -- command line -------------------------------------------------------------------------------------------
def _py(*args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **kw.pop("env", {})}
    return subprocess.run(
        [sys.executable, "-m", "grok_cli.testing", *args], capture_output=True, text=True, timeout=20, env=env, **kw
    )


@pytest.mark.slow
def test_cli_run_propagates_env_and_exit_code():
    code = "import os,sys;print(os.environ['GROK_BASE_URL']);print(os.environ['GROK_HOME']);sys.exit(3)"
    env = {k: v for k, v in os.environ.items() if k != "GROK_HOME"}
    p = subprocess.run(
        [sys.executable, "-m", "grok_cli.testing", "run", "--scenario", "thinking", "--", sys.executable, "-c", code],
        capture_output=True, text=True, timeout=20, env=env,
    )  # fmt: skip
    assert p.returncode == 3, p.stderr
    url, home = p.stdout.split()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    assert "grok-fake-home" in home and not os.path.exists(home)  # removed afterwards
    ok = _py("run", "--", sys.executable, "-c", "import os;print(os.environ['GROK_COOKIE'])")
    assert ok.returncode == 0 and ok.stdout.startswith("sso=")
    kept = _py(
        "run", "--", sys.executable, "-c", "import os;print(os.environ['GROK_HOME'])", env={"GROK_HOME": "/tmp/mine"}
    )
    assert kept.stdout.strip() == "/tmp/mine"
    assert _py("run", "--", "definitely-not-a-command-xyz").returncode == 127


def test_cli_serve_prints_env_line_and_stops_on_signal():
    p = subprocess.Popen(
        [sys.executable, "-m", "grok_cli.testing", "--scenario", "markdown"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = p.stdout.readline()
        m = re.fullmatch(
            r"GROK_BASE_URL=(http://127\.0\.0\.1:\d+) GROK_ASSETS_URL=(http://127\.0\.0\.1:\d+) "
            r"GROK_COOKIE='(sso=[^']+)'\n",
            line,
        )
        assert m, line
        base, _, cookie = m.groups()
        frames = call(base, "POST", NEW, {"message": "hello"}, cookie=cookie).frames
        assert final_text(frames) == markdown_answer()
        p.send_signal(signal.SIGINT)
        assert p.wait(10) == 0
        assert "Traceback" not in p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
    p = subprocess.Popen(
        [sys.executable, "-m", "grok_cli.testing"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    p.stdout.readline()
    p.send_signal(signal.SIGTERM)
    assert p.wait(10) == 0 and "Traceback" not in p.stderr.read()


def test_image_variants_png_and_missing(srv, api):
    frames = api.new("scenario:images_cards:png,missing", imageGenerationCount=2).frames
    chunks = [json.loads(c)["image_chunk"] for c in model_response(frames)["cardAttachmentsJson"]]
    finals = [c["imageUrl"] for c in chunks]
    assert all(u.endswith("/image.png") for u in finals)
    assert call(srv.assets_url, "GET", "/" + finals[0], cookie=srv.cookie).status == 404
    second = call(srv.assets_url, "GET", "/" + finals[1], cookie=srv.cookie)
    assert second.status == 200 and second.headers["Content-Type"] == "image/png" and second.body[:4] == b"\x89PNG"
    assert api.new("scenario:images_legacy:sepia").status == 400


def test_cli_without_the_testing_extra_says_how_to_install_it():
    # aiohttp made unimportable, as in an install without the `testing` extra.
    code = "import sys, runpy; sys.modules['aiohttp'] = None; runpy.run_module('grok_cli.testing', run_name='__main__')"
    p = subprocess.run([sys.executable, "-c", code, "--port", "0"], capture_output=True, text=True, timeout=20)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert p.stderr.count("\n") == 1 and "pip install 'grok-cli[testing]'" in p.stderr


def test_cli_help_names_every_form():
    out = _py("--help").stdout
    assert "run [OPTIONS] -- CMD" in out and "env --port" in out and 'eval "$(python -m grok_cli.testing env' in out


def test_cli_env_points_a_second_shell_at_a_running_server(srv):
    port = int(srv.url.rsplit(":", 1)[1])
    assets = int(srv.assets_url.rsplit(":", 1)[1])
    p = _py("env", "--port", str(port), "--assets-port", str(assets))
    exported = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in p.stdout.splitlines())
    assert p.returncode == 0 and exported == srv.env()
