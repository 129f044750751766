import pytest

from grok_cli.errors import (
    AuthError,
    BlockedError,
    ExitStatus,
    NetworkError,
    RateLimitedError,
    TransportGoneError,
    UsageError,
)
from grok_cli.protocol.errors import StaleSignatureError, classify_http

CLOUDFLARE = "<!DOCTYPE html><html><head><title>Just a moment...</title><script>window._cf_chl_opt = {cvId: '3'}</script>"


@pytest.mark.parametrize(
    "status, body, headers, error, status_code",
    [
        (401, '{"error":{"code":16,"message":"Bad credentials","details":[]}}', {}, AuthError, 3),
        (403, CLOUDFLARE, {"cf-mitigated": "challenge"}, BlockedError, 4),
        (403, '{"error":{"code":7,"message":"Request rejected by anti-bot rules.","details":[]}}', {}, BlockedError, 4),
        (403, '{"error":{"code":7,"message":"This page is out of date. Reload to continue."}}', {}, StaleSignatureError, 4),
        (403, '{"error":{"code":7,"message":"user is blocked"}}', {}, BlockedError, 4),
        (403, "This service is not available in your region.", {}, BlockedError, 4),
        (429, '{"error":{"code":8,"message":"Too many requests","details":[]}}', {"Retry-After": "120"}, RateLimitedError, 5),
        (400, '{"error":{"code":3,"message":"Invalid request. Please update your client."}}', {}, TransportGoneError, 7),
        (404, '{"error":{"code":5,"message":"Conversation not found"}}', {}, UsageError, 2),
        (404, "<html>Not Found</html>", {}, TransportGoneError, 7),
        (410, "", {}, TransportGoneError, 7),
        (503, "", {}, NetworkError, 6),
    ],
)
def test_http_answers_map_to_documented_exit_codes(status, body, headers, error, status_code):
    e = classify_http(status, body, headers)
    assert type(e) is error
    assert int(e.status) == status_code
    assert e.message and "\n" not in e.message


def test_cloudflare_message_names_cf_clearance_and_auth_says_login():
    assert "cf_clearance" in classify_http(403, CLOUDFLARE).message
    assert "grok login" in classify_http(401, "").hint


def test_rate_limit_says_when_to_retry():
    e = classify_http(429, "", {"retry-after": "120"})
    assert e.retry_after == 120 and "2 min" in e.hint


def test_exit_status_names_are_the_jsonl_codes():
    assert [s.name.lower() for s in ExitStatus][:8] == [
        "ok", "internal", "usage", "auth", "blocked", "rate_limited", "network", "upstream",
    ]
