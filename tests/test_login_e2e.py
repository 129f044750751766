"""`grok login --cookie-stdin`, `grok logout` and `grok auth status` end to end against the fake grok.com."""

import json
import socket
import stat
import uuid
from pathlib import Path

import pytest

from grok_cli.testing import short_answer
from grok_cli.testing.state import make_sso

from .conftest import GROK
from .terminal import answer_in_pty

ROOT = Path(__file__).resolve().parent.parent
# No stored login from the fake's env, and no keyring: the 0600 file path (as in cron).
NO_KEYRING = {"GROK_COOKIE": "", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def new_session(fake) -> str:
    sso = make_sso(str(uuid.uuid4()))
    fake.add_session(sso, "someone@example.com")
    return sso


def cookie(sso: str, cf: str = "cf-clearance-value") -> str:
    return f"sso={sso}; sso-rw={sso}; cf_clearance={cf}"


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def file_keyring(tmp_path):
    """A real keyring backend (JSON file) selected in the subprocess."""
    path = tmp_path / "keyring.json"
    env = {
        "GROK_COOKIE": "",
        "PYTHON_KEYRING_BACKEND": "tests.keyring_file_backend.FileKeyring",
        "GROK_TEST_KEYRING_FILE": str(path),
        "PYTHONPATH": str(ROOT),
    }
    return path, env


def test_cookie_stdin_login_is_used_by_ask_and_removed_by_logout(grok, fake, home):
    sso = new_session(fake)
    r = grok("login", "--cookie-stdin", input=f"Cookie: {cookie(sso)}\n", env=NO_KEYRING)
    assert r.code == 0, r.stderr
    assert r.stdout == ""
    creds_file = home / "credentials.json"
    assert stat.S_IMODE(creds_file.stat().st_mode) == 0o600
    # grok.com told the account's id, which the pasted header lacked: kept as x-userid.
    user_id = json.loads(grok("auth", "status", "--check", "--json", env=NO_KEYRING).stdout)["check"]["user_id"]
    assert json.loads(creds_file.read_text())["cookies"]["x-userid"] == user_id
    assert "no usable keyring" in r.stderr and str(creds_file) in r.stderr
    assert "someone@example.com" in r.stderr

    fake.clear_requests()
    r = grok("ask", "hi", env=NO_KEYRING)
    assert (r.code, r.stdout) == (0, short_answer("hi") + "\n"), r.stderr
    assert fake.chat_requests()[0].cookies["sso"] == sso

    r = grok("logout", env=NO_KEYRING)
    assert r.code == 0 and "Removed" in r.stderr and not creds_file.exists()
    r = grok("ask", "hi", env=NO_KEYRING)
    assert r.code == 3 and "grok login" in r.stderr


def test_login_stores_in_a_real_keyring_backend(grok, fake, home, file_keyring):
    path, env = file_keyring
    sso = new_session(fake)
    r = grok("login", "--cookie-stdin", input=cookie(sso), env=env)
    assert r.code == 0, r.stderr
    assert "keyring" in r.stderr
    stored = json.loads(json.loads(path.read_text())["grok-cli/grok.com"])
    assert stored["cookies"]["sso"] == sso and "sso-rw" not in stored["cookies"]
    assert not (home / "credentials.json").exists()

    status = json.loads(grok("auth", "status", "--json", env=env).stdout)
    assert status["store"] == "keyring" and status["source"] == "stdin"
    assert grok("ask", "hi", env=env).code == 0

    assert grok("logout", env=env).code == 0
    assert json.loads(path.read_text()) == {}


def test_login_without_a_source_off_a_terminal_says_which_flag(grok, fake):
    r = grok("login", env=NO_KEYRING)
    assert r.code == 2
    assert "--cookie-stdin" in r.stderr and "--from-browser" in r.stderr and "--browser-login" in r.stderr


def test_cookies_grok_rejects_are_not_saved(grok, fake, home):
    r = grok("login", "--cookie-stdin", input=cookie(make_sso("unknown-session")), env=NO_KEYRING)
    assert r.code == 3 and "rejected" in r.stderr
    assert not (home / "credentials.json").exists()


def test_empty_stdin_is_a_clear_error(grok, fake, home):
    r = grok("login", "--cookie-stdin", input="", env=NO_KEYRING)
    assert r.code == 3 and "empty" in r.stderr
    assert not (home / "credentials.json").exists()


def test_forcing_the_keyring_when_there_is_none_fails_and_suggests_the_file(grok, fake, home):
    r = grok("login", "--cookie-stdin", "--store", "keyring", input=fake.cookie, env=NO_KEYRING)
    assert r.code == 3 and "--store file" in r.stderr
    assert not (home / "credentials.json").exists()


def test_status_when_signed_out(grok, fake):
    r = grok("auth", "status", env=NO_KEYRING)
    assert r.code == 3 and "Not signed in" in r.stderr and r.stdout == ""
    r = grok("auth", "status", "--json", env=NO_KEYRING)
    assert r.code == 3 and json.loads(r.stdout) == {"signed_in": False}


def test_status_shows_store_source_and_cookie_names_only(grok, fake, home):
    sso = new_session(fake)
    ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0.0.0 Safari/537.36"
    grok("login", "--cookie-stdin", "--user-agent", ua, input=cookie(sso), env=NO_KEYRING)
    r = grok("auth", "status", env=NO_KEYRING)
    assert r.code == 0, r.stderr
    assert "cf_clearance, sso, sso-rw, x-userid" in r.stdout and str(home / "credentials.json") in r.stdout
    assert ua in r.stdout and "stdin" in r.stdout
    data = json.loads(grok("auth", "status", "--json", env=NO_KEYRING).stdout)
    assert data["signed_in"] is True and data["store"] == "file" and data["user_agent"] == ua
    assert data["cookies"] == ["cf_clearance", "sso", "sso-rw", "x-userid"] and data["saved_at"]
    assert "check" not in data


def test_grok_cookie_is_used_instead_of_the_stored_login_and_never_stored(grok, fake, home):
    grok("login", "--cookie-stdin", input=cookie(new_session(fake)), env=NO_KEYRING)
    saved = (home / "credentials.json").read_text()
    data = json.loads(grok("auth", "status", "--json", env={**NO_KEYRING, "GROK_COOKIE": fake.cookie}).stdout)
    assert data["store"] == "env" and data["source"] == "GROK_COOKIE"
    assert (home / "credentials.json").read_text() == saved


def test_check_valid(grok, fake):
    r = grok("auth", "status", "--check")
    assert r.code == 0, r.stderr
    assert "valid, signed in as fake@example.com" in r.stdout and "140/140" in r.stdout
    data = json.loads(grok("auth", "status", "--check", "--json").stdout)
    assert data["check"] == {
        "status": "valid",
        "email": "fake@example.com",
        "user_id": fake.user_id,
        "rate_limit": {"mode": "fast", "remaining": 140, "total": 140},
    }
    paths = [r.path for r in fake.requests]
    assert "/api/auth/session" in paths and "/rest/rate-limits" in paths


@pytest.mark.parametrize(
    "case, code, status",
    [("invalid", 3, "invalid"), ("cloudflare", 4, "blocked"), ("banned", 4, "blocked"), ("network", 6, "network")],
)
def test_check_distinguishes_failures(grok, fake, case, code, status):
    env = {"GROK_COOKIE": cookie(make_sso("no-such-session"))}
    if case == "cloudflare":
        env["GROK_COOKIE"] = f"sso={fake.sso}"  # no cf_clearance: the challenge page
    elif case == "banned":
        sso = new_session(fake)
        fake.block_session(sso)
        env["GROK_COOKIE"] = cookie(sso)
    elif case == "network":
        env["GROK_BASE_URL"] = dead_url()
    r = grok("auth", "status", "--check", env=env)
    assert r.code == code, r.stderr
    assert r.stderr.startswith("Error:") and "Traceback" not in r.stderr
    data = json.loads(grok("auth", "status", "--check", "--json", env=env).stdout)
    assert data["check"]["status"] == status and data["check"]["message"]


def test_no_cookie_value_ever_reaches_output_or_files(grok, fake, home):
    sso = new_session(fake)
    cf = f"cf-unique-{uuid.uuid4().hex}"
    secrets = (sso, cf, sso.split(".")[1], sso.split(".")[2])
    outputs = []

    def run(*args, **kw):
        r = grok("--debug", *args, env=NO_KEYRING, **kw)
        outputs.append(r.stdout + r.stderr)
        return r

    assert run("login", "--cookie-stdin", input=cookie(sso, cf)).code == 0
    assert run("auth", "status").code == 0
    assert run("auth", "status", "--check", "--json").code == 0
    assert run("ask", "hi").code == 0
    assert run("ask", "--jsonl", "scenario:auth_401 hi").code == 3
    written = [p for p in home.rglob("*") if p.is_file() and p.name != "credentials.json"]
    assert run("logout").code == 0
    assert not (home / "credentials.json").exists()
    written += [p for p in home.rglob("*") if p.is_file()]
    for text in outputs + [p.read_bytes().decode("utf-8", "replace") for p in written]:
        for secret in secrets:
            assert secret not in text
    assert written, "the test should have seen the files grok writes"


def run_on_a_terminal(args: list[str], env: dict, answer: bytes) -> tuple[int, str]:
    """Run grok on a pseudo-terminal; type ``answer`` after its yes/no question."""
    r = answer_in_pty([GROK, *args], env, b"[Y/n]", answer)
    return r.code, r.output.decode(errors="replace")


def test_login_at_a_terminal_tries_browsers_then_offers_the_browser_login(grok_env, tmp_path):
    nobody = tmp_path / "nobody"
    nobody.mkdir()
    env = {**grok_env, **NO_KEYRING, "HOME": str(nobody), "DBUS_SESSION_BUS_ADDRESS": ""}
    code, shown = run_on_a_terminal(["login"], env, b"n\n")
    assert "chromium:" in shown and "firefox:" in shown
    assert "Open a browser window to sign in to grok.com? [Y/n]" in shown
    assert code == 3 and "Not signed in" in shown


def test_text_that_is_no_session_is_refused_and_nothing_is_saved(grok, fake, home):
    r = grok("login", "--cookie-stdin", input="garbage\n", env=NO_KEYRING)
    assert r.code == 3 and "not a grok.com session" in r.stderr
    assert not (home / "credentials.json").exists()


def test_login_that_cannot_be_saved_names_the_file(grok, fake, home):
    (home / "credentials.json").mkdir()  # something in the way of the file store
    r = grok("login", "--cookie-stdin", "--store", "file", input=fake.cookie, env=NO_KEYRING)
    assert r.code == 8 and "Cannot write" in r.stderr and "credentials.json" in r.stderr
    assert "bug" not in r.stderr


def test_unconfirmed_cookies_do_not_replace_a_stored_login(grok, fake, home):
    assert grok("login", "--cookie-stdin", "--store", "file", input=fake.cookie, env=NO_KEYRING).code == 0
    before = (home / "credentials.json").read_text()
    sso_only = fake.cookie.split(";")[0]  # no cf_clearance: Cloudflare blocks the check
    r = grok("login", "--cookie-stdin", "--store", "file", input=sso_only, env=NO_KEYRING)
    assert r.code == 3 and "was kept" in r.stderr
    assert (home / "credentials.json").read_text() == before
    forced = grok("login", "--cookie-stdin", "--store", "file", "--no-check", input=sso_only, env=NO_KEYRING)
    assert forced.code == 0 and (home / "credentials.json").read_text() != before


def test_cookies_grok_com_could_not_confirm_are_not_called_signed_in(grok, fake):
    sso_only = fake.cookie.split(";")[0]  # no cf_clearance: Cloudflare blocks the check
    r = grok("login", "--cookie-stdin", "--store", "file", input=sso_only, env=NO_KEYRING)
    (saved,) = [line for line in r.stderr.splitlines() if "the cookies sso" in line]
    assert r.code == 0 and "Signed in" not in r.stderr and "unconfirmed" in saved
    unchecked = grok("login", "--cookie-stdin", "--store", "file", "--no-check", input=sso_only, env=NO_KEYRING)
    assert unchecked.code == 0 and "Signed in" not in unchecked.stderr and "unchecked" in unchecked.stderr


def test_cf_clearance_without_a_user_agent_gets_a_warning(grok, fake):
    sso = new_session(fake)
    bare = grok("login", "--cookie-stdin", "--store", "file", input=cookie(sso), env=NO_KEYRING)
    assert bare.code == 0 and "Warning" in bare.stderr and "--user-agent" in bare.stderr
    ua = "Mozilla/5.0 (X11; Linux x86_64) Chrome/150.0.0.0 Safari/537.36"
    given = grok("login", "--cookie-stdin", "--store", "file", "--user-agent", ua, input=cookie(sso), env=NO_KEYRING)
    assert given.code == 0 and "Warning" not in given.stderr


def test_cookie_stdin_at_a_terminal_asks_for_a_hidden_paste(grok_env, fake, home):
    sso = new_session(fake)
    r = answer_in_pty([GROK, "login", "--cookie-stdin", "--store", "file"], {**grok_env, **NO_KEYRING},
                      b"(not shown): ", f"{cookie(sso)}\n".encode())
    assert r.code == 0, r.output
    assert sso.encode() not in r.output  # not echoed
    assert b"Signed in as someone@example.com" in r.output
    assert json.loads((home / "credentials.json").read_text())["cookies"]["sso"] == sso


def test_logout_all_deletes_the_browser_profile_only_when_confirmed(grok, fake, home):
    from grok_cli.auth.sources.browser_login import profile_dir

    profile = profile_dir(home)
    profile.mkdir()
    (profile / "Cookies").write_text("a browser's grok.com session")
    assert grok("login", "--cookie-stdin", "--store", "file", input=fake.cookie, env=NO_KEYRING).code == 0
    refused = grok("logout", "--all", env=NO_KEYRING)  # no terminal to ask at
    assert refused.code == 2 and "--yes" in refused.stderr
    assert profile.exists() and (home / "credentials.json").exists()  # nothing removed
    done = grok("logout", "--all", "--yes", env=NO_KEYRING)
    assert done.code == 0 and not profile.exists() and not (home / "credentials.json").exists()
