"""``grok doctor``: what works and what does not, checked against grok.com one part at a time.

Each check gives a Finding: the credentials (the session endpoint), the clock (the statsig
signature carries the time, so a skewed clock reads as a forgery), each chat transport (one tiny
turn in a private chat, so nothing lands in the account's history), the modes and the quota.
A protocol mismatch (a frame shape grok does not know, or a request body grok.com refuses) is
named, and what grok.com sent is written to a capture file with every cookie and token removed,
for a bug report.
"""

from __future__ import annotations

import dataclasses
import email.utils
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grok_cli import __version__
from grok_cli.auth.check import session_state
from grok_cli.auth.credentials import Credentials
from grok_cli.config import Settings
from grok_cli.errors import AuthError, BlockedError, ExitStatus, GrokError, TransportGoneError, UpstreamError
from grok_cli.events import Done, Event, RawFrame, StreamWarning
from grok_cli.protocol import quota as quotas
from grok_cli.protocol import shapes
from grok_cli.protocol.models import MODES_BODY, MODES_PATH, parse_modes
from grok_cli.protocol.payload import ChatRequest
from grok_cli.transport_choice import NAMES

CHECKS = ("credentials", "clock", "rest", "ws", "modes", "quota")
PROBE_PROMPT = "Reply with the single word: ok"
PROBE_MODE = "fast"
SKEW_WARN = 30.0  # seconds: fine for the signature, but worth knowing
SKEW_FAIL = 300.0  # a signature this far from grok.com's time is refused as a forgery
# The worst failure decides the exit status: what explains the others comes first.
_SEVERITY = (
    ExitStatus.INTERNAL,
    ExitStatus.AUTH,
    ExitStatus.BLOCKED,
    ExitStatus.NETWORK,
    ExitStatus.UPSTREAM,
    ExitStatus.RATE_LIMITED,
    ExitStatus.USAGE,
)


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    status: str  # "ok", "warn", "fail" or "skip"
    detail: str
    exit_status: ExitStatus = ExitStatus.OK  # of a failure
    hint: str | None = None
    mismatch: str | None = None  # a protocol mismatch, named

    def as_json(self) -> dict[str, Any]:
        failed = self.status == "fail"
        return {
            "check": self.check,
            "status": self.status,
            "detail": self.detail,
            "code": self.exit_status.name.lower() if failed else None,
            "exit_code": int(self.exit_status) if failed else 0,
            "hint": self.hint,
            "mismatch": self.mismatch,
        }


@dataclass
class Report:
    findings: list[Finding]
    capture: Path | None = None

    @property
    def exit_status(self) -> ExitStatus:
        failed = {f.exit_status for f in self.findings if f.status == "fail"}
        return next((s for s in _SEVERITY if s in failed), next(iter(failed), ExitStatus.OK))

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.exit_status == ExitStatus.OK,
            "exit_code": int(self.exit_status),
            "checks": [f.as_json() for f in self.findings],
            "capture": str(self.capture) if self.capture else None,
        }


def _failed(check: str, error: GrokError, detail: str | None = None, mismatch: str | None = None) -> Finding:
    return Finding(check, "fail", detail or error.message, error.status, error.hint, mismatch)


def _skipped(check: str, why: str) -> Finding:
    return Finding(check, "skip", why)


# -- what a check saw, for the capture file ------------------------------------------------------
@dataclass
class Evidence:
    check: str
    mismatch: str
    request: str
    received: list[str] = field(default_factory=list)


class Redactor:
    """Removes every cookie value, the account's email and anything token-shaped from text."""

    _TOKENS = re.compile(r"eyJ[\w-]{8,}\.[\w-]+\.[\w-]*|(?<=sso=)[^;\s\"]+|(?<=sso-rw=)[^;\s\"]+")

    def __init__(self, credentials: Credentials) -> None:
        self._secrets = sorted(
            (v.reveal() for v in credentials.cookies.values() if len(v.reveal()) >= 4), key=len, reverse=True
        )

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 4 and secret not in self._secrets:
            self._secrets.append(secret)
            self._secrets.sort(key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "<redacted>")
        return self._TOKENS.sub("<redacted>", text)


def write_capture(path: Path, evidence: Sequence[Evidence], redact: Redactor, settings: Settings) -> Path:
    from grok_cli.files import write_private_file

    payload = {
        "grok_cli": __version__,
        "base_url": settings.base_url,
        "captured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "mismatches": [
            {"check": e.check, "mismatch": e.mismatch, "request": e.request, "received": e.received}
            for e in evidence
        ],
    }
    write_private_file(path, redact(json.dumps(payload, indent=1, ensure_ascii=False)) + "\n")
    return path


# -- the checks ----------------------------------------------------------------------------------
def clock_finding(server_date: str | None, local_now: float) -> Finding:
    """How far the local clock is from grok.com's (its Date header)."""
    try:
        server = email.utils.parsedate_to_datetime(server_date).timestamp() if server_date else None
    except (TypeError, ValueError):
        server = None
    if server is None:
        return _skipped("clock", "grok.com sent no readable Date header to compare with")
    skew = local_now - server
    side = "ahead of" if skew > 0 else "behind"
    detail = f"the local clock is {abs(skew):.0f} s {side} grok.com's"
    if abs(skew) < SKEW_WARN:
        return Finding("clock", "ok", f"{detail} (the request signature carries the time)")
    if abs(skew) < SKEW_FAIL:
        return Finding("clock", "warn", detail, hint="Set the clock right (NTP) before it drifts further.")
    return Finding(
        "clock",
        "fail",
        f"{detail}: grok.com refuses request signatures this far off",
        ExitStatus.BLOCKED,
        "Set the system clock right (enable NTP), then try again.",
    )


def _unknown_parts(transport: str, received: Sequence[str]) -> list[str]:
    from grok_cli.protocol.framing import parse_line
    from grok_cli.protocol.gateway import split_events

    found: list[str] = []
    for text in received:
        if transport == "rest":
            frames, skipped = parse_line(text)
            if skipped:
                found.append("a line that is not JSON")
            for frame in frames:
                found += shapes.unknown_in_rest_frame(frame)
        else:
            events, unreadable = split_events(text)
            if unreadable.strip():
                found.append(f"{len(unreadable)} characters of a message that is not JSON")
            for event in events:
                found += shapes.unknown_in_gateway_event(event)
    return list(dict.fromkeys(found))


def _is_payload_rejection(error: GrokError) -> bool:
    """grok.com refused what grok sent (not who sent it, nor how often)."""
    if isinstance(error, TransportGoneError):
        return "request format" in error.message
    return type(error) is UpstreamError and "rejected the request" in error.message


@dataclass
class Doctor:
    settings: Settings
    credentials: Credentials
    clock: Callable[[], float] = time.time
    evidence: list[Evidence] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.redact = Redactor(self.credentials)

    async def run(self) -> list[Finding]:
        from grok_cli.transport.http import GrokHTTP

        async with GrokHTTP(self.settings, self.credentials) as http:
            credentials, clock = await self._session(http)
            if credentials.status == "fail":  # everything else would fail the same way, slowly
                why = "needs a session grok.com accepts"
                return [credentials, clock, *(_skipped(c, why) for c in CHECKS[2:])]
            rest = await self._transport("rest")
            ws = await self._transport("ws")
            modes = await self._modes(http)
            quota = await self._quota(http)
        return [credentials, clock, rest, ws, modes, quota]

    async def _session(self, http: Any) -> tuple[Finding, Finding]:
        try:
            data, headers = await http.request_json_headers("GET", "/api/auth/session")
        except GrokError as e:
            return _failed("credentials", e), _skipped("clock", "needs an answer from the session endpoint")
        clock = clock_finding(headers.get("date"), self.clock())
        state = session_state(data)
        if state == "blocked":
            return _failed("credentials", BlockedError("grok.com says this account is blocked.")), clock
        if state == "invalid":
            status = data.get("status") if isinstance(data, dict) else None
            error = AuthError(f"grok.com does not accept these credentials (status {status!r}).")
            return _failed("credentials", error), clock
        session = data.get("session") if isinstance(data.get("session"), dict) else {}
        email_addr = session.get("email") if isinstance(session.get("email"), str) else None
        self.redact.add(email_addr)
        self.redact.add(session.get("userId") if isinstance(session.get("userId"), str) else None)
        who = f"signed in as {email_addr}" if email_addr else "signed in"
        if self.credentials.user_id is None:
            who += " (no x-userid cookie: the gateway asks the session endpoint for it)"
        return Finding("credentials", "ok", who), clock

    async def _transport(self, transport: str) -> Finding:
        from grok_cli.client import Client

        name = NAMES[transport]
        settings = dataclasses.replace(self.settings, transport=transport)
        request = ChatRequest(PROBE_PROMPT, mode=PROBE_MODE, temporary=True, disable_search=True)
        received: list[str] = []
        events: list[Event] = []
        started = time.monotonic()
        try:
            async with Client(settings, self.credentials) as client:
                async for event in client.chat(request, raw=True):
                    if isinstance(event, RawFrame):
                        received.append(event.text)
                    else:
                        events.append(event)
        except GrokError as e:
            finding = self._transport_failure(transport, e, received)
            if finding.mismatch:
                self._keep(transport, finding.mismatch, request, [*received, f"(refused: {e.message})"])
            return finding
        seconds = time.monotonic() - started
        unknown = _unknown_parts(transport, received)
        if unknown:
            mismatch = f"the {name} sent what grok does not know: {', '.join(unknown[:5])}"
            self._keep(transport, mismatch, request, received)
            error = UpstreamError(mismatch, "grok.com changed its protocol: report it with the capture file.")
            return _failed(transport, error, mismatch=mismatch)
        done = next((e for e in reversed(events) if isinstance(e, Done)), None)
        answer = " ".join((done.text if done else "").split())
        detail = f"answered in {seconds:.1f} s: {answer[:40]!r} (a private chat, one {PROBE_MODE} query)"
        if any(isinstance(e, StreamWarning) for e in events):
            return Finding(transport, "warn", detail + "; with a warning")
        return Finding(transport, "ok", detail)

    def _transport_failure(self, transport: str, error: GrokError, received: list[str]) -> Finding:
        name = NAMES[transport]
        if _is_payload_rejection(error):
            mismatch = f"grok.com refused the request body on the {name}: {error.message}"
            return _failed(transport, error, mismatch, mismatch=mismatch)
        if isinstance(error, TransportGoneError):
            return _failed(transport, error, f"the {name} is gone: {error.message}")
        unknown = _unknown_parts(transport, received)
        if unknown:
            mismatch = f"the {name} sent what grok does not know: {', '.join(unknown[:5])}"
            return _failed(transport, error, f"{error.message} ({mismatch})", mismatch=mismatch)
        return _failed(transport, error, f"the {name}: {error.message}")

    def _keep(self, check: str, mismatch: str, request: ChatRequest, received: list[str]) -> None:
        sent = f"{check} chat turn: {request.prompt!r}, mode {request.mode}, private"
        self.evidence.append(Evidence(check, mismatch, sent, list(received)))

    async def _modes(self, http: Any) -> Finding:
        try:
            data = await http.request_json("POST", MODES_PATH, MODES_BODY)
        except GrokError as e:
            return _failed("modes", e)
        modes = parse_modes(data)
        if not modes:
            mismatch = f"no modes could be read from the answer to {MODES_PATH}"
            self.evidence.append(Evidence("modes", mismatch, f"POST {MODES_PATH}", [json.dumps(data)]))
            return _failed("modes", UpstreamError(mismatch), mismatch=mismatch)
        usable = [m.id for m in modes if m.available is not False]
        return Finding("modes", "ok", f"{len(modes)} modes, usable here: {', '.join(usable) or 'none'}")

    async def _quota(self, http: Any) -> Finding:
        body = quotas.rate_limits_body(PROBE_MODE)
        try:
            data = await http.request_json("POST", quotas.RATE_LIMITS_PATH, body)
        except GrokError as e:
            return _failed("quota", e)
        quota = quotas.parse_rate_limits(data)
        if quota.remaining is None:
            mismatch = f"no remaining queries could be read from the answer to {quotas.RATE_LIMITS_PATH}"
            self.evidence.append(Evidence("quota", mismatch, f"POST {quotas.RATE_LIMITS_PATH}", [json.dumps(data)]))
            return _failed("quota", UpstreamError(mismatch), mismatch=mismatch)
        window = f" in a {quotas.duration(quota.window_seconds)} window" if quota.window_seconds else ""
        detail = f"{PROBE_MODE}: {quota.remaining} of {quota.total} queries left{window}"
        if quota.exhausted:
            wait = f"; the next frees up in {quotas.duration(quota.wait_seconds)}" if quota.wait_seconds else ""
            error = quotas.rate_limited(f"no {PROBE_MODE} queries left", quota.wait_seconds)
            return _failed("quota", error, detail + wait)
        return Finding("quota", "ok", detail)


async def diagnose(settings: Settings, credentials: Credentials | None) -> Report:
    """Run every check; write the capture file when something did not match the protocol."""
    if credentials is None:
        from grok_cli.auth.resolve import not_signed_in

        missing = _failed("credentials", not_signed_in(), "not signed in")
        return Report([missing, *(_skipped(c, "needs credentials") for c in CHECKS[1:])])
    doctor = Doctor(settings, credentials)
    findings = await doctor.run()
    report = Report(findings)
    if doctor.evidence:
        name = time.strftime("doctor-%Y%m%dT%H%M%SZ.json", time.gmtime())
        try:
            report.capture = write_capture(settings.dirs.cache / name, doctor.evidence, doctor.redact, settings)
        except GrokError as e:
            report.findings.append(Finding("capture", "warn", e.message))
    return report
