"""Real browsers: `grok login --browser-login` drives Debian's chromium against the fake sign-in
page, and `--from-browser` reads the profile that chromium wrote (and a Firefox cookie file)."""

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from grok_cli.testing import short_answer

from .conftest import GROK

# Real browsers and terminals: seconds per case.
pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (.ci/run installs Debian's)")
needs_dbus = pytest.mark.skipif(
    shutil.which("dbus-run-session") is None, reason="no dbus-run-session (.ci/run installs dbus)"
)
NO_KEYRING = {"GROK_COOKIE": "", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def browser_login_env(fake) -> dict:
    return {
        **NO_KEYRING,
        "GROK_LOGIN_URL": f"{fake.url}/sign-in?autofill=1",  # the page signs itself in
        "GROK_LOGIN_HEADLESS": "1",
    }


def processes_using(path: Path) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(path) in cmdline:
            found.append(f"{proc.name}: {cmdline[:200]}")
    return found


@pytest.fixture(scope="module")
def signed_in_profile(server, tmp_path_factory):
    """A GROK_HOME after one real browser login: its chromium profile holds the session."""
    from .conftest import _SCRUBBED

    if CHROMIUM is None:
        pytest.skip("no chromium installed (.ci/run installs Debian's)")
    home = tmp_path_factory.mktemp("browser-home")
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.update(server.env())
    env.update(browser_login_env(server))
    env["GROK_HOME"] = str(home)
    started = time.monotonic()
    p = subprocess.run(
        [GROK, "login", "--browser-login", "--login-timeout", "30"],
        capture_output=True, text=True, env=env, timeout=60, stdin=subprocess.DEVNULL,
    )
    return home, p, time.monotonic() - started


@needs_chromium
def test_browser_login_captures_httponly_cookies_and_ask_uses_them(signed_in_profile, grok, fake):
    home, login, seconds = signed_in_profile
    assert login.returncode == 0, login.stderr
    assert "cf_clearance, sso, sso-rw, x-userid" in login.stderr and "browser-login" in login.stderr
    assert processes_using(home / "browser-profile") == []
    grok_home = {"GROK_HOME": str(home), **NO_KEYRING}
    fake.clear_requests()
    r = grok("ask", "hi", env=grok_home)
    assert (r.code, r.stdout) == (0, short_answer("hi") + "\n"), r.stderr
    sent = fake.chat_requests()[0]
    assert sent.cookies["sso"] != fake.sso  # the session the sign-in page created, not the built-in one
    assert {"sso", "sso-rw", "cf_clearance", "x-userid"} <= set(sent.cookies)
    status = grok("auth", "status", "--json", env=grok_home)
    data = json.loads(status.stdout)
    assert data["source"] == "browser-login"
    assert "Chrome/" in data["user_agent"] and sent.headers["user-agent"] == data["user_agent"]


@needs_chromium
def test_browser_login_can_keep_the_signed_headers_of_a_chat_sent_in_the_page(grok, fake, home):
    env = {**browser_login_env(fake), "GROK_LOGIN_URL": f"{fake.url}/sign-in?autofill=1&next=%2F%3Fautochat%3D1"}
    r = grok("login", "--browser-login", "--capture-headers", "--login-timeout", "30", env=env)
    assert r.code == 0, r.stderr
    sent = [q for q in fake.chat_requests() if q.body.get("message") == "Hello"]
    assert len(sent) == 1  # the page's own request, sent by the browser
    data = json.loads(grok("auth", "status", "--json", env=NO_KEYRING).stdout)
    assert data["headers"] == [{"name": "x-statsig-id", "path": "/rest/app-chat/conversations/new"}]
    stored = json.loads((home / "credentials.json").read_text())
    assert stored["headers"][0]["value"] == sent[0].headers["x-statsig-id"]


@needs_chromium
@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="no xvfb-run (.ci/run installs xvfb)")
def test_default_headed_login_runs_under_xvfb_with_a_normal_chrome_user_agent(grok, fake, home):
    env = {**browser_login_env(fake), "GROK_LOGIN_HEADLESS": ""}
    p = subprocess.run(
        ["xvfb-run", "-a", GROK, "login", "--browser-login", "--login-timeout", "30"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        env={**os.environ, **fake.env(), **env, "GROK_HOME": str(home)},
    )
    assert p.returncode == 0, p.stderr
    ua = json.loads(grok("auth", "status", "--json", env=NO_KEYRING).stdout)["user_agent"]
    assert "Chrome/" in ua and "HeadlessChrome" not in ua
    assert processes_using(home / "browser-profile") == []


@needs_chromium
def test_browser_login_without_a_display_says_how_to_get_one(grok, fake):
    env = {**browser_login_env(fake), "GROK_LOGIN_HEADLESS": "", "DISPLAY": "", "WAYLAND_DISPLAY": ""}
    r = grok("login", "--browser-login", env=env)
    assert r.code == 2 and "xvfb-run" in r.stderr and "--cookie-stdin" in r.stderr


def test_browser_login_with_a_missing_browser_names_the_path(grok, fake):
    r = grok("login", "--browser-login", "--browser-path", "/nonexistent/chrome", env=browser_login_env(fake))
    assert r.code == 2 and "/nonexistent/chrome" in r.stderr


def chromium_cookie_file(home: Path) -> Path:
    profile = home / "browser-profile" / "Default"
    for candidate in (profile / "Network" / "Cookies", profile / "Cookies"):
        if candidate.exists():
            return candidate
    raise AssertionError(f"chromium wrote no cookie database under {profile}")


@needs_chromium
@needs_dbus
def test_from_browser_reads_the_profile_chromium_wrote(signed_in_profile, grok, fake, home):
    browser_home, login, _ = signed_in_profile
    assert login.returncode == 0, login.stderr
    cookies = chromium_cookie_file(browser_home)
    r = subprocess.run(
        ["dbus-run-session", "--", GROK, "login", "--from-browser", "chromium", "--cookie-file", str(cookies)],
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
        env={**os.environ, **fake.env(), **NO_KEYRING, "GROK_HOME": str(home)},
    )
    assert r.returncode == 0, r.stderr
    assert "browser:chromium" in r.stderr
    assert grok("ask", "hi", env=NO_KEYRING).code == 0
    data = json.loads(grok("auth", "status", "--json", env=NO_KEYRING).stdout)
    assert data["cookies"] == ["cf_clearance", "sso", "sso-rw", "x-userid"]
    # Rebuilt from the profile's "Last Version": the reduced UA Chrome itself sends.
    assert "Chrome/" in data["user_agent"] and ".0.0.0 Safari/537.36" in data["user_agent"]


@needs_chromium
def test_from_browser_without_dbus_explains_instead_of_crashing(signed_in_profile, grok, fake):
    browser_home, login, _ = signed_in_profile
    assert login.returncode == 0, login.stderr
    cookies = chromium_cookie_file(browser_home)
    r = grok(
        "login", "--from-browser", "chromium", "--cookie-file", str(cookies),
        env={**NO_KEYRING, "DBUS_SESSION_BUS_ADDRESS": ""},
    )
    assert r.code == 3 and "chromium: no D-Bus session" in r.stderr and "Traceback" not in r.stderr


def write_firefox_profile(profile: Path, host: str, cookies: dict[str, str]) -> Path:
    profile.mkdir(parents=True)
    (profile / "compatibility.ini").write_text("[Compatibility]\nLastVersion=140.0.2_20250701000000/20250701000000\n")
    db = profile / "cookies.sqlite"
    con = sqlite3.connect(db)
    con.execute(
        "CREATE TABLE moz_cookies (id INTEGER PRIMARY KEY, originAttributes TEXT NOT NULL DEFAULT '', name TEXT,"
        " value TEXT, host TEXT, path TEXT, expiry INTEGER, lastAccessed INTEGER, creationTime INTEGER,"
        " isSecure INTEGER, isHttpOnly INTEGER, inBrowserElement INTEGER DEFAULT 0, sameSite INTEGER DEFAULT 0,"
        " rawSameSite INTEGER DEFAULT 0, schemeMap INTEGER DEFAULT 0)"
    )
    expiry = int(time.time()) + 86400
    rows = [(name, value, host, "/", expiry, 0, 0, 1, 1) for name, value in cookies.items()]
    rows.append(("sso", "from-another-site", f"{host}.evil.example", "/", expiry, 0, 0, 1, 1))
    con.executemany(
        "INSERT INTO moz_cookies (name, value, host, path, expiry, lastAccessed, creationTime, isSecure, isHttpOnly)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    con.commit()
    con.close()
    return db


def test_from_browser_reads_a_firefox_cookie_file(grok, fake, home, tmp_path):
    db = write_firefox_profile(
        tmp_path / "ff" / "abcd.default-release",
        "127.0.0.1",
        {"sso": fake.sso, "sso-rw": fake.sso, "cf_clearance": fake.cf_clearance, "_ga": "x"},
    )
    r = grok("login", "--from-browser", "firefox", "--cookie-file", str(db), env=NO_KEYRING)
    assert r.code == 0, r.stderr
    assert "browser:firefox" in r.stderr
    data = json.loads(grok("auth", "status", "--json", env=NO_KEYRING).stdout)
    assert data["cookies"] == ["cf_clearance", "sso", "sso-rw", "x-userid"]
    assert data["user_agent"].endswith("rv:140.0) Gecko/20100101 Firefox/140.0")
    fake.clear_requests()
    assert grok("ask", "hi", env=NO_KEYRING).code == 0
    assert fake.chat_requests()[0].cookies["sso"] == fake.sso


def test_from_browser_reports_every_browser_tried(grok, fake, tmp_path):
    empty_home = tmp_path / "nobody"
    empty_home.mkdir()
    r = grok("login", "--from-browser", env={**NO_KEYRING, "HOME": str(empty_home), "DBUS_SESSION_BUS_ADDRESS": ""})
    assert r.code == 3 and "Traceback" not in r.stderr
    for browser in ("chrome:", "chromium:", "brave:", "edge:", "firefox:"):
        assert browser in r.stderr
    assert "--browser-login" in r.stderr


def test_unknown_browser_name_is_a_usage_error(grok, fake):
    r = grok("login", "--from-browser", "netscape", env=NO_KEYRING)
    assert r.code == 2 and "firefox" in r.stderr


def browser_main_pids(profile: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(str(profile).encode() in a for a in args) and not any(a.startswith(b"--type=") for a in args):
            pids.append(int(proc.name))
    return pids


@needs_chromium
def test_browser_login_gives_up_after_the_login_timeout_and_closes_the_browser(grok, fake, home):
    env = {**browser_login_env(fake), "GROK_LOGIN_URL": f"{fake.url}/sign-in"}  # nobody signs in
    r = grok("login", "--browser-login", "--login-timeout", "1", env=env)
    assert r.code == 3 and "within 1 s" in r.stderr
    assert processes_using(home / "browser-profile") == []
    assert not (home / "credentials.json").exists()


@needs_chromium
def test_closing_the_browser_before_signing_in_is_reported(fake, grok_env, home):
    import signal

    env = {**grok_env, **browser_login_env(fake), "GROK_LOGIN_URL": f"{fake.url}/sign-in"}
    p = subprocess.Popen(
        [GROK, "login", "--browser-login", "--login-timeout", "30"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and p.poll() is None:  # until the sign-in page was shown
        if any(q.path == "/sign-in" for q in fake.requests):
            break
        time.sleep(0.05)
    for pid in browser_main_pids(home / "browser-profile"):
        with contextlib.suppress(ProcessLookupError):  # it may have exited since it was listed
            os.kill(pid, signal.SIGTERM)  # what closing the last window does
    out, err = p.communicate(timeout=30)
    assert p.returncode == 3, err
    assert "closed before grok.com showed you signed in" in err and "Traceback" not in err


@needs_chromium
def test_login_at_a_terminal_falls_back_to_the_browser_login_when_accepted(grok_env, fake, home, tmp_path):
    from .test_login_e2e import run_on_a_terminal

    nobody = tmp_path / "nobody"
    nobody.mkdir()
    env = {**grok_env, **browser_login_env(fake), "HOME": str(nobody), "DBUS_SESSION_BUS_ADDRESS": ""}
    code, shown = run_on_a_terminal(["login"], env, b"\n")  # Enter: the default answer, yes
    assert code == 0, shown
    assert "[Y/n]" in shown and "from browser-login" in shown
    assert (home / "credentials.json").exists()
