"""Which chat transport a run uses, and why; what ``auto`` remembered per account.

``auto`` (the default) starts with the WebSocket gateway, as grok.com's web app does, and falls
back to REST only when the gateway is gone. The transport that last carried an answer is kept in
a small cache file, per account, so the next run starts with it instead of paying for a failed
try. Accounts are keyed by a hash of the web origin and the user id (or the sso token when the
user id is not known): the file holds no secret.

Reading the memory must stay cheap and never fail a run: an unreadable or foreign file is no
memory at all, and a memory that cannot be written is only a lost optimisation.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grok_cli.config import Settings

if TYPE_CHECKING:
    from grok_cli.auth.credentials import Credentials

TRANSPORTS = ("ws", "rest")
DEFAULT = "ws"  # the gateway: what grok.com's web app speaks since 2026-08
CACHE_NAME = "transports.json"
FORMAT = 1
MAX_ACCOUNTS = 20  # a few accounts per machine; the oldest is forgotten beyond that

NAMES = {"rest": "REST endpoints", "ws": "WebSocket gateway"}


@dataclass(frozen=True, slots=True)
class Choice:
    """The transport a run starts with and where that came from."""

    transport: str  # "ws" or "rest"
    setting: str  # the transport setting: "ws", "rest" or "auto"
    reason: str  # "flag", "env GROK_TRANSPORT", "file", "remembered" or "default"
    fallback: str | None  # auto: the transport tried when the first one is gone

    def describe(self) -> str:
        """``ws (auto: the default, the gateway first)``: what --version and auth status show."""
        if self.setting != "auto":
            where = {"flag": "--transport", "file": "config file"}.get(self.reason, self.reason.removeprefix("env "))
            return f"{self.transport} ({where})"
        if self.reason == "remembered":
            return f"{self.transport} (auto: it answered last time for this account)"
        return f"{self.transport} (auto: the default, the gateway first)"

    def as_json(self) -> dict[str, Any]:
        return {"transport": self.transport, "setting": self.setting, "reason": self.reason}


def account_key(base_url: str, credentials: Credentials) -> str:
    """A stable, non-secret name for one account on one grok.com origin."""
    who = credentials.user_id
    if who is None:
        sso = credentials.cookies.get("sso")
        who = "sso:" + (sso.reveal() if sso else "")
    return hashlib.sha256(f"{base_url}\n{who}".encode()).hexdigest()[:24]


def env_account(settings: Settings, environ: Mapping[str, str]) -> str | None:
    """The account key of GROK_COOKIE's credentials, or None without (or with unusable) ones."""
    from grok_cli.auth.credentials import parse_cookie_text
    from grok_cli.errors import GrokError

    text = environ.get("GROK_COOKIE", "").strip()
    if not text:
        return None
    try:
        return account_key(settings.base_url, parse_cookie_text(text, source="GROK_COOKIE"))
    except GrokError:
        return None


def cache_file(settings: Settings) -> Path:
    return settings.dirs.cache / CACHE_NAME


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("accounts"), dict):
        return {}
    return data


def remembered(settings: Settings, key: str | None) -> str | None:
    """The transport that last answered for the account ``key`` (None: the last account used)."""
    data = _read(cache_file(settings))
    if key is None:
        key = data.get("last") if isinstance(data.get("last"), str) else None
    entry = data.get("accounts", {}).get(key) if key else None
    transport = entry.get("transport") if isinstance(entry, Mapping) else None
    return transport if transport in TRANSPORTS else None


def remember(settings: Settings, key: str, transport: str, now: float | None = None) -> None:
    """Keep ``transport`` as the one that answered for ``key``; written only when it changes."""
    path = cache_file(settings)
    data = _read(path)
    accounts: dict[str, Any] = dict(data.get("accounts") or {})
    entry = accounts.get(key)
    if isinstance(entry, Mapping) and entry.get("transport") == transport and data.get("last") == key:
        return
    accounts[key] = {"transport": transport, "since": time.time() if now is None else now}
    newest = sorted(accounts, key=lambda k: _since(accounts[k]), reverse=True)[:MAX_ACCOUNTS]
    payload = {"format": FORMAT, "last": key, "accounts": {k: accounts[k] for k in newest}}
    from grok_cli.errors import FileWriteError
    from grok_cli.files import write_private_file

    try:
        write_private_file(path, json.dumps(payload, indent=1) + "\n")
    except FileWriteError:
        pass  # only a memory: the next run tries the gateway first again


def _since(entry: Any) -> float:
    since = entry.get("since") if isinstance(entry, Mapping) else None
    return float(since) if isinstance(since, (int, float)) else 0.0


def choose(settings: Settings, key: str | None) -> Choice:
    """The transport to start with: a forced one, else what answered last time, else the gateway.

    ``key`` names the account (``account_key``); None means "the account of the last run", for
    commands that do not read the credentials (``grok --version``).
    """
    setting = settings.transport
    source = settings.sources.get("transport", "default")
    if setting != "auto":
        return Choice(setting, setting, source, None)
    first = remembered(settings, key)
    reason = "remembered" if first is not None else "default"
    first = first or DEFAULT
    return Choice(first, "auto", reason, next(t for t in TRANSPORTS if t != first))
