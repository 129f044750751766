"""Ask grok.com whether credentials work: the session endpoint, then one rate-limit query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grok_cli.auth.credentials import Credentials
from grok_cli.config import Settings
from grok_cli.errors import AuthError, BlockedError, GrokError, NetworkError

RATE_LIMIT_MODE = "fast"
ACCOUNT_BLOCKED = "grok.com says this account is blocked."


@dataclass(frozen=True, slots=True)
class CheckResult:
    status: str  # "valid", "invalid", "blocked", "network", "error"
    email: str | None = None
    user_id: str | None = None
    remaining: int | None = None  # queries left for RATE_LIMIT_MODE
    total: int | None = None
    error: GrokError | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status}
        if self.email:
            out["email"] = self.email
        if self.user_id:
            out["user_id"] = self.user_id
        if self.remaining is not None:
            out["rate_limit"] = {"mode": RATE_LIMIT_MODE, "remaining": self.remaining, "total": self.total}
        if self.error is not None:
            out["message"] = self.error.message
        return out


def session_state(data: Any) -> str:
    """What an /api/auth/session answer says: "valid", "invalid" or "blocked".

    Only "unauthenticated" and "blocked" are documented (protocol §2.3), so a session object
    with a user id counts as signed in whatever the status word is.
    """
    if not isinstance(data, dict):
        return "invalid"
    status = data.get("status")
    if status == "blocked":
        return "blocked"
    session = data.get("session")
    has_user = isinstance(session, dict) and bool(session.get("userId"))
    if status == "unauthenticated" or not (has_user or status == "authenticated"):
        return "invalid"
    return "valid"


def _status_of(error: GrokError) -> str:
    if isinstance(error, AuthError):
        return "invalid"
    if isinstance(error, BlockedError):
        return "blocked"
    if isinstance(error, NetworkError):
        return "network"
    return "error"


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def check_credentials(settings: Settings, credentials: Credentials) -> CheckResult:
    from grok_cli.transport.http import GrokHTTP

    try:
        async with GrokHTTP(settings, credentials) as http:
            session = await http.request_json("GET", "/api/auth/session")
            if not isinstance(session, dict):
                raise NetworkError("grok.com sent an unexpected answer to /api/auth/session.")
            state = session_state(session)
            if state == "blocked":
                raise BlockedError(ACCOUNT_BLOCKED, "Sign in to grok.com in a browser to see why.")
            if state == "invalid":
                raise AuthError(f"grok.com does not accept these credentials (status {session.get('status')!r}).")
            who = session.get("session") if isinstance(session.get("session"), dict) else {}
            limits = await http.request_json("POST", "/rest/rate-limits", {"modelName": RATE_LIMIT_MODE})
    except GrokError as e:
        return CheckResult(_status_of(e), error=e)
    limits = limits if isinstance(limits, dict) else {}
    return CheckResult(
        "valid",
        email=who.get("email") if isinstance(who.get("email"), str) else None,
        user_id=who.get("userId") if isinstance(who.get("userId"), str) else None,
        remaining=_int(limits.get("remainingQueries")),
        total=_int(limits.get("totalQueries")),
    )
