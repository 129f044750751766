"""`grok doctor`: every check green against the fake grok.com, and the broken part named when the
fake is started broken (a transport gone, bad credentials, a frame shape grok does not know)."""

import json
import subprocess
import sys
from email.utils import formatdate
from pathlib import Path

import pytest

from grok_cli.auth.credentials import parse_cookie_text
from grok_cli.doctor import CHECKS, Finding, Redactor, Report, clock_finding
from grok_cli.errors import ExitStatus
from grok_cli.protocol import shapes

from .conftest import GROK

FIXTURES = Path(__file__).parent / "fixtures"


def checks(stdout: str) -> dict[str, dict]:
    report = json.loads(stdout)
    assert [c["check"] for c in report["checks"]] == list(CHECKS)
    return {c["check"]: c for c in report["checks"]}


def statuses(stdout: str) -> dict[str, str]:
    return {name: c["status"] for name, c in checks(stdout).items()}


def test_everything_green_is_a_table_and_exit_0(grok, fake):
    r = grok("doctor")
    assert r.code == 0, r.stdout + r.stderr
    rows = [line.split(None, 2) for line in r.stdout.splitlines()]
    assert [row[:2] for row in rows] == [[name, "ok"] for name in CHECKS]
    assert "\x1b" not in r.stdout and r.stderr == ""
    turns = [q for q in fake.chat_requests() if q.body.get("temporary") is True]
    assert len(turns) == 1 and any(m.type == "conversation.item.create" for m in fake.gateway_messages())


def test_json_is_one_object_for_scripts(grok, fake):
    r = grok("doctor", "--json")
    report = json.loads(r.stdout)
    assert r.code == 0 and report["ok"] is True and report["exit_code"] == 0 and report["capture"] is None
    assert set(statuses(r.stdout).values()) == {"ok"}


@pytest.mark.parametrize("gone, broken", [("ws", "ws"), ("rest", "rest")])
def test_a_gone_transport_is_named(grok, fake, gone, broken):
    fake.gone = {gone}
    r = grok("doctor", "--json")
    found = checks(r.stdout)
    assert r.code == 7 and found[broken]["status"] == "fail" and found[broken]["code"] == "upstream"
    assert {name for name, c in found.items() if c["status"] != "ok"} == {broken}


def test_bad_credentials_are_named_and_the_rest_is_skipped(grok, fake):
    fake.bad_credentials = True
    r = grok("doctor")
    assert r.code == 3 and r.stdout.splitlines()[0].split()[:2] == ["credentials", "FAIL"]
    assert "grok login" in r.stderr
    assert statuses(grok("doctor", "--json").stdout) == {"credentials": "fail", **dict.fromkeys(CHECKS[1:], "skip")}
    assert fake.chat_requests() == []


def test_not_signed_in_is_named(grok, fake):
    r = grok("doctor", "--json", env={"GROK_COOKIE": ""})
    assert r.code == 3 and checks(r.stdout)["credentials"]["detail"] == "not signed in"


def test_an_unknown_frame_shape_is_named_and_captured_without_secrets(grok, fake):
    fake.unknown_frames = True
    cookie = f"{fake.cookie}; x-userid={fake.user_id}"
    r = grok("doctor", "--json", env={"GROK_COOKIE": cookie})
    found = checks(r.stdout)
    assert r.code == 7
    assert "'hologramFrame'" in found["rest"]["mismatch"] and "response.hologram.added" in found["ws"]["mismatch"]
    assert found["credentials"]["status"] == found["modes"]["status"] == "ok"
    capture = Path(json.loads(r.stdout)["capture"])
    text = capture.read_text()
    assert "hologramFrame" in text and "response.hologram.added" in text
    for secret in (fake.sso, fake.cf_clearance, fake.user_id, "fake@example.com"):
        assert secret not in text
    assert capture.stat().st_mode & 0o077 == 0
    plain = grok("doctor", env={"GROK_COOKIE": cookie})
    assert str(Path(json.loads(r.stdout)["capture"]).parent) in plain.stderr and "bug report" in plain.stderr


@pytest.mark.parametrize(
    "flags, code, broken",
    [(["--gone", "ws"], 7, {"ws"}), (["--bad-credentials"], 3, {"credentials"}),
     (["--unknown-frames"], 7, {"rest", "ws"})],
)  # fmt: skip
def test_the_fake_server_command_starts_broken_and_doctor_names_the_part(grok_env, flags, code, broken):
    env = {k: v for k, v in grok_env.items() if k not in ("GROK_BASE_URL", "GROK_ASSETS_URL", "GROK_COOKIE")}
    cmd = [sys.executable, "-m", "grok_cli.testing", "run", *flags, "--", GROK, "doctor", "--json"]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == code, p.stderr
    assert {name for name, s in statuses(p.stdout).items() if s == "fail"} == broken


# -- units -----------------------------------------------------------------------------------------
def test_clock_skew_against_the_servers_date():
    assert clock_finding(formatdate(1000.0, usegmt=True), 1003.0).status == "ok"
    warned = clock_finding(formatdate(1000.0, usegmt=True), 1000.0 - 120)
    assert warned.status == "warn" and "120 s behind" in warned.detail
    failed = clock_finding(formatdate(1000.0, usegmt=True), 1000.0 + 3600)
    assert failed.status == "fail" and failed.exit_status == ExitStatus.BLOCKED
    assert clock_finding(None, 0).status == clock_finding("not a date", 0).status == "skip"


def test_the_worst_failure_decides_the_exit_status():
    ok = Finding("a", "ok", "")
    assert Report([ok, Finding("b", "warn", "")]).exit_status == ExitStatus.OK
    fails = [Finding("q", "fail", "", ExitStatus.RATE_LIMITED), Finding("c", "fail", "", ExitStatus.AUTH)]
    assert Report([ok, *fails]).exit_status == ExitStatus.AUTH


def test_redaction_removes_cookies_tokens_and_what_it_was_told():
    creds = parse_cookie_text("sso=eyJhbGciOiJIUzI1NiJ9.eyJzZXNzaW9uIjoxfQ.sig; cf_clearance=clear-1234", source="t")
    redact = Redactor(creds)
    redact.add("me@example.com")
    text = redact('{"a":"eyJhbGciOiJIUzI1NiJ9.eyJzZXNzaW9uIjoxfQ.sig","b":"clear-1234 me@example.com sso=xyz;"}')
    assert "eyJ" not in text and "clear-1234" not in text and "me@example.com" not in text and "xyz" not in text


@pytest.mark.parametrize("capture", ["new_conversation_capture.ndjson", "follow_up_capture.ndjson"])
def test_real_captures_hold_no_unknown_frame_shape(capture):
    frames = [json.loads(line) for line in (FIXTURES / capture).read_text().splitlines() if line.strip()]
    assert [part for frame in frames for part in shapes.unknown_in_rest_frame(frame)] == []


def test_unknown_gateway_events_and_chunks_are_named():
    assert shapes.unknown_in_gateway_event({"type": "response.chunk", "chunk": {"text": {}}}) == []
    assert shapes.unknown_in_gateway_event({"type": "response.chunk", "chunk": {"hologram": {}}}) == [
        "gateway chunk 'hologram'"
    ]
    assert shapes.unknown_in_gateway_event({"type": "x.y"}) == ["gateway event 'x.y'"]
