"""Which credentials a run uses: GROK_COOKIE for this run only, else the stored login."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from grok_cli.auth.credentials import Credentials, parse_cookie_text
from grok_cli.errors import AuthError
from grok_cli.paths import Dirs


@dataclass(frozen=True, slots=True)
class Active:
    credentials: Credentials
    store: str  # "env", "keyring" or "file"
    location: str


def active_credentials(dirs: Dirs, environ: Mapping[str, str], *, interactive: bool) -> Active | None:
    env_cookie = environ.get("GROK_COOKIE", "").strip()
    if env_cookie:
        creds = parse_cookie_text(env_cookie, source="GROK_COOKIE")
        ua = environ.get("GROK_USER_AGENT")
        if ua:
            creds = replace(creds, user_agent=ua)
        return Active(creds, "env", "GROK_COOKIE")
    from grok_cli.auth import store

    stored = store.load(dirs.credentials_file, interactive=interactive)
    return Active(stored.credentials, stored.store, stored.location) if stored else None


def not_signed_in() -> AuthError:
    return AuthError(
        "Not signed in to grok.com.",
        "Run `grok login`, or set GROK_COOKIE to a grok.com Cookie header for one run.",
    )


def require_credentials(dirs: Dirs, environ: Mapping[str, str], *, interactive: bool) -> Credentials:
    active = active_credentials(dirs, environ, interactive=interactive)
    if active is None:
        raise not_signed_in()
    return active.credentials
