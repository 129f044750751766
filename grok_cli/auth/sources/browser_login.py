"""`grok login --browser-login`: sign in inside a real browser window, then read its cookies.

The browser runs on a dedicated profile kept in the data dir: Chrome >= 136 refuses remote
control of the default profile, and a persisted profile keeps the grok.com session (and the
Cloudflare clearance) for the next login. nodriver drives it over CDP, which also reads the
HttpOnly cookies and the exact User-Agent that cf_clearance is bound to (library-notes §3).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from grok_cli.auth.credentials import SESSION_COOKIES, CapturedHeader, Credentials, Secret
from grok_cli.errors import AuthError, BlockedError, GrokError, UsageError

PROFILE_DIR_NAME = "browser-profile"
POLL_SECONDS = 0.5
# A closed network must not be probed by the browser's own background traffic.
QUIET_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
)
# Executables looked up in PATH, in order; nodriver alone knows no Edge or Brave.
_PATH_BROWSERS = (
    "google-chrome",
    "google-chrome-stable",
    "chromium",
    "chromium-browser",
    "microsoft-edge",
    "microsoft-edge-stable",
    "brave-browser",
    "brave",
)
_MAC_BROWSERS = (
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
    "/Applications/Brave Browser.app/Contents/MacOS/Brave Browser",
)
_WINDOWS_BROWSERS = (
    r"Google\Chrome\Application\chrome.exe",
    r"Microsoft\Edge\Application\msedge.exe",
    r"BraveSoftware\Brave-Browser\Application\brave.exe",
)
CHAT_PATH = "/rest/app-chat/conversations/new"
# Headers a real chat request carries that are worth replaying; cookies are read separately.
CAPTURED_HEADERS = ("x-statsig-id",)

# Asks grok.com itself, from inside the page, whether this browser is signed in.
_SESSION_PROBE = (
    "fetch('/api/auth/session',{credentials:'include'})"
    ".then(r=>r.ok?r.json():null).then(j=>JSON.stringify(j||{})).catch(()=>'{}')"
)


@dataclass(frozen=True, slots=True)
class LoginOptions:
    base_url: str
    start_url: str
    profile_dir: Path
    executable: str
    headless: bool
    timeout: float
    capture_headers: bool


def profile_dir(data_dir: Path) -> Path:
    return data_dir / PROFILE_DIR_NAME


def find_browser(explicit: str | None, environ: Mapping[str, str]) -> str:
    """The Chrome-family executable to drive, or a usage error that says how to name one."""
    if explicit:
        path = shutil.which(explicit) or (explicit if os.path.isfile(explicit) else None)
        if path is None:
            raise UsageError(f"No browser executable at {explicit!r}.")
        return path
    if sys.platform == "win32":
        roots = [environ.get(v) for v in ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA")]
        candidates = [os.path.join(r, rel) for r in roots if r for rel in _WINDOWS_BROWSERS]
    elif sys.platform == "darwin":
        candidates = list(_MAC_BROWSERS)
    else:
        candidates = []
    for candidate in candidates:
        if os.path.isfile(candidate):
            return candidate
    for name in _PATH_BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise UsageError(
        "No Chrome, Chromium, Edge or Brave was found for the browser login.",
        "Install one (Debian: apt install chromium), or pass --browser-path, "
        "or use `grok login --cookie-stdin`.",
    )


def _check_display(environ: Mapping[str, str], headless: bool) -> None:
    if headless or sys.platform in ("win32", "darwin"):
        return
    if not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY")):
        raise UsageError(
            "The browser login opens a window, and this session has no display.",
            "Run it on a desktop, or under Xvfb (xvfb-run grok login --browser-login), "
            "or copy the cookie from a browser elsewhere: grok login --cookie-stdin.",
        )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _cookie_host_matches(domain: str, host: str) -> bool:
    domain = domain.lstrip(".").lower()
    return domain == host or host.endswith("." + domain)


async def _evaluate(tab: Any, expression: str, *, await_promise: bool = False) -> Any:
    """A plain value, or None when there is none (e.g. the script threw)."""
    value = await tab.evaluate(expression, await_promise=await_promise, return_by_value=True)
    return value if isinstance(value, (str, bool, int, float)) else None


async def _session_cookies(browser: Any, base_url: str) -> dict[str, str]:
    host = (urlsplit(base_url).hostname or "").lower()
    cookies = await browser.cookies.get_all()
    return {c.name: c.value for c in cookies if c.name in SESSION_COOKIES and _cookie_host_matches(c.domain, host)}


def _browser_gone(browser: Any) -> bool:
    proc = getattr(browser, "_process", None)
    return proc is not None and proc.returncode is not None


async def _signed_in(browser: Any, tab: Any, base_url: str) -> dict[str, Any] | None:
    """The session object once the page is on grok.com, holds an sso cookie, and grok.com
    confirms it; None while the user is still signing in."""
    from grok_cli.auth.check import ACCOUNT_BLOCKED, session_state

    try:
        if "sso" not in await _session_cookies(browser, base_url):
            return None
        href = await _evaluate(tab, "location.href")
        if not isinstance(href, str) or _origin(href) != _origin(base_url):
            return None
        text = await _evaluate(tab, _SESSION_PROBE, await_promise=True)
        data = json.loads(text) if isinstance(text, str) else {}
    except Exception:  # mid-navigation, or the connection broke because the browser was closed
        return None
    state = session_state(data)
    if state == "blocked":
        raise BlockedError(ACCOUNT_BLOCKED, "Sign in to grok.com in a browser to see why.")
    return data if state == "valid" else None


class ChatCapture:
    """Records the headers of the first chat request the page sends (from navigation on, so a
    chat sent right after signing in is not missed)."""

    def __init__(self, tab: Any) -> None:
        self._tab = tab
        self._seen: asyncio.Future[dict[str, str]] = asyncio.get_running_loop().create_future()

    def _on_request(self, event: Any) -> None:
        if urlsplit(event.request.url).path == CHAT_PATH and not self._seen.done():
            self._seen.set_result({k.lower(): str(v) for k, v in dict(event.request.headers).items()})

    async def start(self) -> None:
        from nodriver import cdp

        self._tab.add_handler(cdp.network.RequestWillBeSent, self._on_request)
        await self._tab.send(cdp.network.enable())

    async def headers(self, timeout: float, say: Callable[[str], None]) -> tuple[CapturedHeader, ...]:
        if not self._seen.done():
            say("Send one message in the browser window so grok can copy its request headers.")
        try:
            seen = await asyncio.wait_for(asyncio.shield(self._seen), timeout)
        except TimeoutError:
            say("No chat request was sent; continuing without captured headers.")
            return ()
        return tuple(CapturedHeader(name, Secret(seen[name]), CHAT_PATH) for name in CAPTURED_HEADERS if name in seen)


async def close_browser(browser: Any, timeout: float = 5.0) -> None:
    """Close gracefully (Chrome flushes its cookie DB on Browser.close) and reap every process;
    ``browser.stop()`` alone returns before anything has exited (library-notes §3.3)."""
    from nodriver import cdp

    proc = getattr(browser, "_process", None)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(browser.send(cdp.browser.close()), 2)
    with contextlib.suppress(Exception):
        await browser.aclose()
    if proc is not None:
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def _start(options: LoginOptions) -> Any:
    import nodriver

    options.profile_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    config = nodriver.Config(
        user_data_dir=str(options.profile_dir),
        headless=options.headless,
        browser_executable_path=options.executable,
        browser_args=list(QUIET_ARGS),
    )
    try:
        return await nodriver.start(config)
    except Exception as e:  # nodriver raises bare Exception when the browser never answers CDP
        raise UsageError(
            f"The browser did not start ({type(e).__name__}).",
            "Close other windows using the grok browser profile, or try --browser-path; "
            "`grok logout --all` resets the profile.",
        ) from None


def _closed_early() -> AuthError:
    return AuthError(
        "The browser was closed before grok.com showed you signed in.",
        "Run `grok login --browser-login` again and keep the window open until grok says it is done.",
    )


async def _wait_for_exit(browser: Any, timeout: float) -> bool:
    proc = getattr(browser, "_process", None)
    if proc is None:
        return False
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(proc.wait(), timeout)
    return proc.returncode is not None


async def _drive(browser: Any, options: LoginOptions, say: Callable[[str], None]) -> Credentials:
    tab = browser.main_tab
    capture = ChatCapture(tab) if options.capture_headers else None
    if capture is not None:
        await capture.start()
    await tab.get(options.start_url)
    say("Sign in to grok.com in the browser window; grok continues once you are signed in.")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + options.timeout
    session = await _signed_in(browser, tab, options.base_url)
    while session is None:
        if _browser_gone(browser):
            raise _closed_early()
        if loop.time() > deadline:
            raise AuthError(
                f"No grok.com sign-in was seen within {options.timeout:g} s.",
                "Run `grok login --browser-login` again and finish signing in, or raise --login-timeout.",
            )
        await asyncio.sleep(POLL_SECONDS)
        session = await _signed_in(browser, tab, options.base_url)
    headers: tuple[CapturedHeader, ...] = ()
    if capture is not None:
        headers = await capture.headers(max(deadline - loop.time(), 1.0), say)
    cookies = await _session_cookies(browser, options.base_url)
    user_agent = await _evaluate(tab, "navigator.userAgent")
    who = session.get("session")
    if isinstance(who, dict) and who.get("userId") and "x-userid" not in cookies:
        cookies["x-userid"] = str(who["userId"])
    return Credentials.from_cookies(
        cookies,
        user_agent=user_agent if isinstance(user_agent, str) else None,
        headers=headers,
        source="browser-login",
    )


async def browser_login(options: LoginOptions, environ: Mapping[str, str], say: Callable[[str], None]) -> Credentials:
    _check_display(environ, options.headless)
    browser = await _start(options)
    try:
        return await _drive(browser, options, say)
    except GrokError:
        raise
    except Exception:
        # A closed window breaks the CDP connection wherever the login was; anything else is a bug.
        if await _wait_for_exit(browser, 2.0):
            raise _closed_early() from None
        raise
    finally:
        await close_browser(browser)
