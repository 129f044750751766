"""`grok login --from-browser [NAME]`: the grok.com cookies of an installed browser.

browser-cookie3 reads (and decrypts) each browser's cookie database. It is wrapped one browser
at a time because it fails with bare KeyError/TypeError on Linux without D-Bus, and its
``load()`` stops at the first such error (library-notes §4).

It does not know the User-Agent the cookies were earned with, which cf_clearance is bound to.
Chromium-family browsers send a reduced UA (``Chrome/<major>.0.0.0``) that can be rebuilt exactly
from the profile's ``Last Version`` file; Firefox's from ``compatibility.ini``.
"""

from __future__ import annotations

import configparser
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from grok_cli.auth.credentials import SESSION_COOKIES, Credentials
from grok_cli.errors import AuthError, UsageError

CHROMIUM_FAMILY = ("chrome", "chromium", "brave", "edge", "vivaldi", "opera", "opera_gx", "arc")
GECKO_FAMILY = ("firefox", "librewolf")
BROWSERS = (*CHROMIUM_FAMILY, *GECKO_FAMILY, "safari")
# Tried when no browser is named: the ones that can exist on this platform.
_NOT_ON = {"linux": {"safari", "arc"}, "win32": {"safari"}}

# Default user-data dirs, to find `Last Version` when browser-cookie3 located the database itself.
_HOME = Path.home()
_LOCAL = Path(os.environ.get("LOCALAPPDATA", _HOME / "AppData" / "Local"))
_MAC = _HOME / "Library" / "Application Support"
_USER_DATA_DIRS: dict[str, dict[str, Path]] = {
    "linux": {
        "chrome": _HOME / ".config" / "google-chrome",
        "chromium": _HOME / ".config" / "chromium",
        "brave": _HOME / ".config" / "BraveSoftware" / "Brave-Browser",
        "edge": _HOME / ".config" / "microsoft-edge",
    },
    "darwin": {
        "chrome": _MAC / "Google" / "Chrome",
        "chromium": _MAC / "Chromium",
        "brave": _MAC / "BraveSoftware" / "Brave-Browser",
        "edge": _MAC / "Microsoft Edge",
    },
    "win32": {
        "chrome": _LOCAL / "Google" / "Chrome" / "User Data",
        "chromium": _LOCAL / "Chromium" / "User Data",
        "brave": _LOCAL / "BraveSoftware" / "Brave-Browser" / "User Data",
        "edge": _LOCAL / "Microsoft" / "Edge" / "User Data",
    },
}
_PLATFORM_TOKENS = {
    "linux": ("X11; Linux x86_64", "X11; Linux x86_64"),
    "darwin": ("Macintosh; Intel Mac OS X 10_15_7", "Macintosh; Intel Mac OS X 10.15"),
    "win32": ("Windows NT 10.0; Win64; x64", "Windows NT 10.0; Win64; x64"),
}


@dataclass(frozen=True, slots=True)
class Attempt:
    browser: str
    reason: str


def _platform() -> str:
    return sys.platform if sys.platform in ("darwin", "win32") else "linux"


def candidates(name: str | None) -> list[str]:
    if name is None:
        skip = _NOT_ON.get(_platform(), set())
        return [b for b in BROWSERS if b not in skip]
    key = name.strip().lower().replace("-", "_")
    key = {"google_chrome": "chrome", "msedge": "edge", "microsoft_edge": "edge", "operagx": "opera_gx"}.get(key, key)
    if key not in BROWSERS:
        raise UsageError(f"Unknown browser {name!r}.", f"Known: {', '.join(BROWSERS)}.")
    return [key]


def _from_dbus(e: BaseException) -> bool:
    # jeepney fails with KeyError (variable unset) or ValueError (empty) before any D-Bus call.
    tb = e.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__", "").startswith("jeepney"):
            return True
        tb = tb.tb_next
    return False


def _why(e: Exception) -> str:
    if _from_dbus(e):
        return "no D-Bus session, which Linux needs to decrypt its cookies"
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    if type(e).__name__ == "BrowserCookieError":
        return text or "its cookies could not be read"
    return f"{type(e).__name__}: {text}"[:200] if text else type(e).__name__


def _host_matches(domain: str, host: str) -> bool:
    domain = domain.lstrip(".").lower()
    return domain == host or host.endswith("." + domain)


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def _user_data_dirs_of(cookie_file: Path) -> list[Path]:
    # <user data>/<profile>/Cookies, or <user data>/<profile>/Network/Cookies (Chrome >= 96).
    return [cookie_file.parent.parent, cookie_file.parent.parent.parent]


def _chromium_user_agent(browser: str, cookie_file: Path | None) -> str | None:
    if cookie_file is not None:
        dirs = _user_data_dirs_of(cookie_file)
    else:
        known = _USER_DATA_DIRS[_platform()].get(browser)
        dirs = [known] if known else []
    for d in dirs:
        version = _read_text(d / "Last Version")
        if version and version.split(".")[0].isdigit():
            major = version.split(".")[0]
            platform_token = _PLATFORM_TOKENS[_platform()][0]
            ua = (
                f"Mozilla/5.0 ({platform_token}) AppleWebKit/537.36 (KHTML, like Gecko) "
                f"Chrome/{major}.0.0.0 Safari/537.36"
            )
            return ua + f" Edg/{major}.0.0.0" if browser == "edge" else ua
    return None


def _firefox_user_agent(cookie_file: Path | None) -> str | None:
    if cookie_file is None:
        return None
    parser = configparser.ConfigParser()
    try:
        parser.read(cookie_file.parent / "compatibility.ini", encoding="utf-8")
        version = parser.get("Compatibility", "LastVersion", fallback="")
    except configparser.Error:
        return None
    major = version.split(".")[0].split("_")[0]
    if not major.isdigit():
        return None
    token = _PLATFORM_TOKENS[_platform()][1]
    return f"Mozilla/5.0 ({token}; rv:{major}.0) Gecko/20100101 Firefox/{major}.0"


def user_agent_for(browser: str, cookie_file: Path | None) -> str | None:
    if browser in CHROMIUM_FAMILY:
        return _chromium_user_agent(browser, cookie_file)
    if browser in GECKO_FAMILY:
        return _firefox_user_agent(cookie_file)
    return None


def _read_one(browser: str, host: str, cookie_file: Path | None) -> dict[str, str]:
    import browser_cookie3

    loader: Callable[..., object] = getattr(browser_cookie3, browser)
    kwargs: dict[str, object] = {"domain_name": host}
    if cookie_file is not None:
        kwargs["cookie_file"] = str(cookie_file)
        if browser in CHROMIUM_FAMILY:
            # Windows keeps the cookie key in "Local State"; elsewhere it is unused.
            for d in _user_data_dirs_of(cookie_file):
                if (d / "Local State").exists():
                    kwargs["key_file"] = str(d / "Local State")
                    break
    jar = loader(**kwargs)
    # domain_name is a substring match in browser-cookie3: keep exactly this host and its parents.
    return {
        c.name: c.value or ""
        for c in jar  # type: ignore[attr-defined]
        if c.name in SESSION_COOKIES and _host_matches(c.domain, host)
    }


def read_browser_cookies(name: str | None, base_url: str, cookie_file: Path | None = None) -> Credentials:
    """The first browser holding a grok.com session, or an AuthError listing every attempt."""
    if cookie_file is not None and name is None:
        raise UsageError("Name the browser that --cookie-file belongs to, e.g. `--from-browser firefox`.")
    host = (urlsplit(base_url).hostname or "").lower()
    attempts: list[Attempt] = []
    for browser in candidates(name):
        try:
            cookies = _read_one(browser, host, cookie_file)
        except Exception as e:  # browser-cookie3 raises KeyError, TypeError, OSError, its own errors
            attempts.append(Attempt(browser, _why(e)))
            continue
        if not cookies.get("sso"):
            attempts.append(Attempt(browser, f"no {host} session cookie (not signed in there?)"))
            continue
        return Credentials.from_cookies(
            cookies, user_agent=user_agent_for(browser, cookie_file), source=f"browser:{browser}"
        )
    lines = "\n".join(f"  {a.browser}: {a.reason}" for a in attempts)
    raise AuthError(
        f"No {host} session was found in {'any browser' if name is None else name}:\n{lines}",
        "Sign in to grok.com in that browser first, or use `grok login --browser-login` "
        "or `grok login --cookie-stdin`.",
    )
