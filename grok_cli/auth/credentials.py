"""grok.com credentials: session cookies plus the User-Agent they were earned with.

Values are wrapped in ``Secret`` so that no repr, log line or exception message can show them;
only ``cookie_header()`` and ``to_json()`` (for the credential store) reveal them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from grok_cli.errors import AuthError

# RFC 6265 cookie-octets; the User-Agent: printable ASCII.
_COOKIE_VALUE = re.compile(r"[!#-+\--:<-\[\]-~]*")
_HEADER_TEXT = re.compile(r"[ -~]+")
_JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# The cookies grok.com looks at (protocol section 2.2); others a browser holds are not kept.
SESSION_COOKIES = ("sso", "sso-rw", "cf_clearance", "x-userid")


@dataclass(frozen=True, slots=True)
class Secret:
    _value: str = field(repr=False)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True, slots=True)
class CapturedHeader:
    """A request header a real browser sent (e.g. x-statsig-id) and the path it was minted for."""

    name: str
    value: Secret
    path: str


@dataclass(frozen=True, slots=True)
class Credentials:
    cookies: dict[str, Secret]
    user_agent: str | None = None
    headers: tuple[CapturedHeader, ...] = ()
    source: str = "unknown"  # e.g. "GROK_COOKIE", "stdin", "browser:chromium", "browser-login"
    saved_at: str | None = None

    def __post_init__(self) -> None:
        # Both go into HTTP headers verbatim: a control character would inject a header, and
        # anything outside printable ASCII cannot be sent at all.
        for name, value in self.cookies.items():
            if not _COOKIE_VALUE.fullmatch(value.reveal()):
                raise AuthError(
                    f"The {name} cookie has characters a cookie cannot hold (spaces, quotes, control "
                    "or non-ASCII characters).",
                    "Copy the cookie again from the browser's developer tools.",
                )
        if self.user_agent is not None and not _HEADER_TEXT.fullmatch(self.user_agent):
            raise AuthError(
                "The User-Agent has characters a header cannot hold (control or non-ASCII characters).",
                "Copy it again: in the browser's console, `navigator.userAgent`.",
            )

    @property
    def cookie_names(self) -> list[str]:
        return sorted(self.cookies)

    @property
    def user_id(self) -> str | None:
        uid = self.cookies.get("x-userid")
        return uid.reveal() if uid else None

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value.reveal()}" for name, value in self.cookies.items())

    def header_for(self, name: str, path: str) -> str | None:
        for h in self.headers:
            if h.name.lower() == name.lower() and h.path == path:
                return h.value.reveal()
        return None

    def to_json(self) -> str:
        """Compact JSON for the store. sso-rw repeats sso, so it is not stored twice."""
        cookies = {k: v.reveal() for k, v in self.cookies.items()}
        if cookies.get("sso-rw") == cookies.get("sso"):
            cookies.pop("sso-rw", None)
        data: dict[str, Any] = {"v": 1, "cookies": cookies, "source": self.source}
        if self.user_agent:
            data["ua"] = self.user_agent
        if self.saved_at:
            data["saved_at"] = self.saved_at
        if self.headers:
            data["headers"] = [{"name": h.name, "value": h.value.reveal(), "path": h.path} for h in self.headers]
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Credentials:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("cookies"), dict):
            raise ValueError("not a credentials record")
        return cls.from_cookies(
            {str(k): str(v) for k, v in data["cookies"].items()},
            user_agent=data.get("ua"),
            headers=tuple(
                CapturedHeader(h["name"], Secret(h["value"]), h["path"])
                for h in data.get("headers", [])
                if isinstance(h, dict) and {"name", "value", "path"} <= h.keys()
            ),
            source=str(data.get("source") or "unknown"),
            saved_at=data.get("saved_at"),
        )

    @classmethod
    def from_cookies(cls, cookies: dict[str, str], **kwargs: Any) -> Credentials:
        kept = {k: v.strip() for k, v in cookies.items() if k in SESSION_COOKIES and v.strip()}
        if not kept.get("sso"):
            raise AuthError("No `sso` cookie was found: that is the grok.com session cookie.")
        kept.setdefault("sso-rw", kept["sso"])
        ordered = {name: Secret(kept[name]) for name in SESSION_COOKIES if name in kept}
        return cls(cookies=ordered, **kwargs)

    def stamped(self) -> Credentials:
        now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        return Credentials(self.cookies, self.user_agent, self.headers, self.source, now)


# DevTools "Copy as cURL": the cookies are in -b/--cookie '...' or -H 'cookie: ...'.
_CURL_COOKIES = re.compile(
    r"""\s(?:(?:-b|--cookie)\s+['"]|-H\s+['"]cookie:\s*)([^'"]*)""", re.IGNORECASE
)


def _from_curl(text: str) -> str | None:
    if not text.startswith("curl "):
        return None
    m = _CURL_COOKIES.search(text)
    return m.group(1).strip() if m else None


def parse_cookie_text(text: str, *, source: str) -> Credentials:
    """Credentials from what a user copies out of a browser: a Cookie header (with or without
    ``Cookie:``), ``sso=...`` pairs, a bare sso token, a "Copy as cURL" command, or rows of the
    DevTools cookie table (name, tab, value, ...)."""
    text = text.strip()
    text = _from_curl(text) or text
    if text.lower().startswith("cookie:"):
        text = text[7:].strip()
    if not text:
        raise AuthError("The cookie text is empty.", "Paste the Cookie header of a grok.com request.")
    cookies: dict[str, str] = {}
    if "\t" in text:
        for row in text.splitlines():
            cells = row.split("\t")
            if len(cells) >= 2 and cells[0].strip():
                cookies[cells[0].strip()] = cells[1].strip()
        return Credentials.from_cookies(cookies, source=source)
    if "=" not in text:
        token = text.split(";")[0].strip()
        if not _JWT.fullmatch(token):
            raise AuthError(
                "That is not a grok.com session: a value on its own must be the sso cookie, a JWT "
                "(three dot-separated parts).",
                "Paste the whole Cookie header of a grok.com request (sso=...; sso-rw=...; cf_clearance=...).",
            )
        return Credentials.from_cookies({"sso": token}, source=source)
    for part in text.replace("\n", ";").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name.strip():
            cookies[name.strip()] = value.strip().strip('"')
    return Credentials.from_cookies(cookies, source=source)
