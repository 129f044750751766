"""Pure parts of the credential sources: browser names, User-Agent rebuilding, failure reasons,
the session verdict, and stdin parsing rules."""

import io

import pytest

from grok_cli.auth.check import session_state
from grok_cli.auth.sources import browser_cookies as bc
from grok_cli.auth.sources.stdin import read_cookie_stdin
from grok_cli.errors import UsageError


@pytest.mark.parametrize(
    "data, state",
    [
        ({"status": "authenticated", "session": {"userId": "u"}}, "valid"),
        ({"status": "active", "session": {"userId": "u"}}, "valid"),  # undocumented word, but a user
        ({"status": "unauthenticated", "session": {"userId": "u"}}, "invalid"),
        ({"status": "blocked", "session": {"userId": "u"}}, "blocked"),
        ({}, "invalid"),
        (None, "invalid"),
    ],
)
def test_session_state(data, state):
    assert session_state(data) == state


def test_browser_names_are_normalised_and_checked():
    assert bc.candidates("Google-Chrome") == ["chrome"]
    assert bc.candidates("msedge") == ["edge"]
    assert "chromium" in bc.candidates(None) and "firefox" in bc.candidates(None)
    with pytest.raises(UsageError):
        bc.candidates("netscape")


def test_chromium_user_agent_is_rebuilt_from_last_version(tmp_path, monkeypatch):
    monkeypatch.setattr(bc.sys, "platform", "linux")
    user_data = tmp_path / "chromium"
    (user_data / "Default" / "Network").mkdir(parents=True)
    (user_data / "Last Version").write_text("156.0.8078.79")
    ua = bc.user_agent_for("chromium", user_data / "Default" / "Network" / "Cookies")
    assert ua == (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
    )
    assert bc.user_agent_for("edge", user_data / "Default" / "Cookies").endswith(" Edg/156.0.0.0")
    assert bc.user_agent_for("chromium", tmp_path / "elsewhere" / "Default" / "Cookies") is None


def test_dbus_failures_are_named_whatever_jeepney_raised(monkeypatch):
    from jeepney.io.blocking import open_dbus_connection

    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    with pytest.raises(KeyError) as unset:
        open_dbus_connection("SESSION")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "")
    with pytest.raises(ValueError) as empty:
        open_dbus_connection("SESSION")
    for e in (unset.value, empty.value):
        assert bc._why(e) == "no D-Bus session, which Linux needs to decrypt its cookies"


def test_other_failures_keep_their_first_line():
    assert bc._why(TypeError("expected str\nmore")) == "TypeError: expected str"


def test_cookie_stdin_refuses_a_terminal_and_oversized_input():
    with pytest.raises(UsageError, match="pipe"):
        read_cookie_stdin(io.StringIO("sso=x"), isatty=True, user_agent=None)
    with pytest.raises(UsageError, match="64 KB"):
        read_cookie_stdin(io.StringIO("sso=" + "x" * 70000), isatty=False, user_agent=None)
    creds = read_cookie_stdin(io.StringIO("sso=abc\n"), isatty=False, user_agent="UA/1")
    assert creds.user_agent == "UA/1" and creds.source == "stdin"
