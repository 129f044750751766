"""`grok login` and `grok logout`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from grok_cli.cli.context import state

if TYPE_CHECKING:
    from collections.abc import Callable

    from grok_cli.auth.credentials import Credentials
    from grok_cli.config import Settings
    from grok_cli.io import IO

DEFAULT_LOGIN_TIMEOUT = 300.0
STORES = ("auto", "keyring", "file")
RECHECK = "`grok auth status --check` tries again"


def _say(io: IO, text: str) -> None:
    io.stderr.write(text + "\n")
    io.stderr.flush()


def _require_extra(module: str, what: str) -> None:
    from importlib.util import find_spec

    if find_spec(module) is None:
        from grok_cli.errors import UsageError

        raise UsageError(f"{what} needs the optional `browser` extra.", "pip install 'grok-cli[browser]'")


def _browser_login(io: IO, settings: Settings, browser_path: str | None, capture: bool, timeout: float) -> Credentials:
    from grok_cli.auth.sources.browser_login import LoginOptions, browser_login, find_browser, profile_dir
    from grok_cli.cli.runner import run_async

    _require_extra("nodriver", "The browser login")
    options = LoginOptions(
        base_url=settings.base_url,
        start_url=io.environ.get("GROK_LOGIN_URL") or f"{settings.base_url}/",
        profile_dir=profile_dir(settings.dirs.data),
        executable=find_browser(browser_path, io.environ),
        headless=io.environ.get("GROK_LOGIN_HEADLESS", "") in ("1", "true", "yes"),
        timeout=timeout,
        capture_headers=capture,
    )
    return run_async(lambda: browser_login(options, io.environ, lambda text: _say(io, text)))


def _from_browser(settings: Settings, name: str | None, cookie_file: Path | None) -> Credentials:
    _require_extra("browser_cookie3", "Reading browser cookies")
    from grok_cli.auth.sources.browser_cookies import read_browser_cookies

    return read_browser_cookies(name, settings.base_url, cookie_file)


def _describe_save(stored_store: str, location: str, note: str) -> str:
    if stored_store == "keyring":
        return f"Saved to the OS keyring ({location})."
    because = f" because {note}" if note else ""
    return f"Saved to {location} (readable only by you){because}."


def login(
    ctx: typer.Context,
    browser: Annotated[
        Optional[str],
        typer.Argument(
            metavar="[BROWSER]",
            help="With --from-browser: chrome, chromium, brave, edge, vivaldi, opera, opera_gx, arc, firefox, "
            "librewolf, safari (default: try each).",
        ),
    ] = None,
    from_browser: Annotated[
        bool, typer.Option("--from-browser", help="Read the grok.com cookies of an installed browser.")
    ] = False,
    browser_login: Annotated[
        bool, typer.Option("--browser-login", help="Open a browser window, sign in there, keep its cookies.")
    ] = False,
    cookie_stdin: Annotated[
        bool, typer.Option(
            "--cookie-stdin",
            help="Read a Cookie header, `sso=...`, a bare sso token or a `Copy as cURL` command from stdin.",
        )
    ] = False,
    store: Annotated[
        str, typer.Option("--store", metavar="auto|keyring|file", help="Where to keep the credentials.")
    ] = "auto",
    cookie_file: Annotated[
        Optional[Path],
        typer.Option("--cookie-file", help="With --from-browser: read this cookie database (Cookies, cookies.sqlite)."),
    ] = None,
    browser_path: Annotated[
        Optional[str], typer.Option("--browser-path", help="With --browser-login: the Chrome/Chromium/Edge to run.")
    ] = None,
    capture_headers: Annotated[
        bool,
        typer.Option(
            "--capture-headers", help="With --browser-login: also keep the signed headers of one chat you send."
        ),
    ] = False,
    login_timeout: Annotated[
        float, typer.Option("--login-timeout", metavar="SECONDS", help="With --browser-login: how long to wait.")
    ] = DEFAULT_LOGIN_TIMEOUT,
    user_agent: Annotated[
        Optional[str],
        typer.Option(
            "--user-agent",
            envvar="GROK_USER_AGENT",
            help="With --cookie-stdin: the browser's User-Agent (cf_clearance only works with it).",
        ),
    ] = None,
    no_check: Annotated[bool, typer.Option("--no-check", help="Save without asking grok.com first.")] = False,
) -> None:
    """Sign in: keep grok.com session cookies in the OS keyring (or a private file).

    \b
    Ways to sign in:
      grok login --from-browser [BROWSER]   a browser's grok.com cookies
      grok login --browser-login            sign in in a browser grok opens
      pbpaste | grok login --cookie-stdin   a Cookie header from DevTools
    With no flag at a terminal, it tries the browsers' cookies, then offers the
    browser login. GROK_COOKIE (a Cookie header) is used instead of any stored
    login, for one run.
    """
    from grok_cli.cli.runner import run_command

    st = state(ctx)

    def body() -> int:
        from grok_cli.auth import store as credential_store
        from grok_cli.config import load_settings
        from grok_cli.errors import AuthError, UsageError

        io = st.io
        if store not in STORES:
            raise UsageError(f"Bad value for --store: {store!r}.", "Use auto, keyring or file.")
        flags = {"--from-browser": from_browser, "--browser-login": browser_login, "--cookie-stdin": cookie_stdin}
        chosen = [flag for flag, on in flags.items() if on]
        if len(chosen) > 1:
            raise UsageError(f"Choose one way to sign in, not {' and '.join(chosen)}.")
        if browser is not None and not from_browser:
            raise UsageError(f"Unexpected argument {browser!r}: a browser name goes with --from-browser.")
        if login_timeout <= 0:
            raise UsageError("--login-timeout must be above 0.")
        settings = load_settings({}, io.environ)
        checked = confirmed = False
        email: str | None = None
        if cookie_stdin:
            from grok_cli.auth.sources.stdin import read_cookie_stdin

            paste = _hidden_paste(io) if io.interactive else None
            creds = read_cookie_stdin(io.stdin, isatty=io.stdin_isatty, user_agent=user_agent, paste=paste)
            if "cf_clearance" in creds.cookies and not user_agent:
                from grok_cli.sinks.style import warn

                warn(
                    io,
                    "cf_clearance works only with the User-Agent of the browser that earned it; without "
                    "--user-agent (or GROK_USER_AGENT) grok.com may challenge these cookies.",
                )
        elif from_browser:
            creds = _from_browser(settings, browser, cookie_file)
        elif browser_login:
            creds = _browser_login(io, settings, browser_path, capture_headers, login_timeout)
        elif not io.interactive:
            raise UsageError(
                "Not at a terminal, so grok will not ask: say how to sign in.",
                "Use --cookie-stdin (e.g. `grok login --cookie-stdin < cookie.txt`), "
                "--from-browser [BROWSER], or --browser-login.",
            )
        else:
            try:
                creds = _from_browser(settings, None, None)
                if not no_check:
                    creds, email, confirmed = _verify(io, settings, creds)
                    checked = True
            except (AuthError, UsageError) as e:
                _say(io, e.message)
                from grok_cli.cli.confirm import ask_yes

                if not ask_yes(io, "Open a browser window to sign in to grok.com?", default=True):
                    raise AuthError(
                        "Not signed in.", "Other ways: grok login --cookie-stdin, or GROK_COOKIE."
                    ) from None
                creds = _browser_login(io, settings, browser_path, capture_headers, login_timeout)

        creds = creds.stamped()
        if not (no_check or checked):
            creds, email, confirmed = _verify(io, settings, creds)
        if not (no_check or confirmed) and _has_working_looking_login(settings):
            raise AuthError(
                "grok.com could not confirm the new cookies, so the login already stored was kept.",
                "Run `grok auth status --check` to test the stored one; --no-check saves the new ones anyway.",
            )
        saved = credential_store.save(
            creds, settings.dirs.credentials_file, store=store, interactive=io.interactive
        )
        names = f"the cookies {', '.join(creds.cookie_names)} from {creds.source}"
        if confirmed:
            who = f" as {email}" if email else ""
            _say(io, f"Signed in{who} with {names}.")
        elif no_check:
            _say(io, f"Saved {names}, unchecked (--no-check).")
        else:
            _say(io, f"Saved {names}, unconfirmed: grok.com could not check them ({RECHECK}).")
        _say(io, _describe_save(saved.store, saved.location, saved.note))
        if io.environ.get("GROK_COOKIE", "").strip():
            _say(io, "Note: GROK_COOKIE is set, and runs that see it use it instead of this login.")
        return 0

    run_command(st.io, st.debug, body)


def _hidden_paste(io: IO) -> Callable[[], str]:
    """At a terminal --cookie-stdin asks for the Cookie header, without echoing it."""

    def paste() -> str:
        import getpass

        return getpass.getpass("Paste the Cookie header of a grok.com request (not shown): ", stream=io.stderr)

    return paste


def _has_working_looking_login(settings: Settings) -> bool:
    """A stored login that unconfirmed cookies must not replace (an unreadable one may go)."""
    from grok_cli.auth import store as credential_store
    from grok_cli.errors import AuthError

    try:
        return credential_store.load(settings.dirs.credentials_file, interactive=False) is not None
    except AuthError:
        return False


def _verify(io: IO, settings: Settings, creds: Credentials) -> tuple[Credentials, str | None, bool]:
    """Refuse credentials grok.com rejects; keep (with a warning) those it could not judge.
    Returns them completed with the account's user id (the x-userid cookie, which the
    WebSocket transport needs and a pasted header often lacks), the account's email, and
    whether grok.com confirmed them."""
    from dataclasses import replace

    from grok_cli.auth.check import check_credentials
    from grok_cli.auth.credentials import Secret
    from grok_cli.cli.runner import run_async
    from grok_cli.sinks.style import warn

    result = run_async(lambda: check_credentials(settings, creds))
    if result.status == "valid":
        if result.user_id and "x-userid" not in creds.cookies:
            creds = replace(creds, cookies={**creds.cookies, "x-userid": Secret(result.user_id)})
        return creds, result.email, True
    assert result.error is not None
    if result.status == "invalid":
        raise result.error
    warn(io, f"could not confirm the login with grok.com: {result.error.message}")
    return creds, None, False


def logout(
    ctx: typer.Context,
    all_: Annotated[
        bool, typer.Option("--all", help="Also delete the browser profile that `--browser-login` keeps.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before deleting the browser profile.")] = False,
) -> None:
    """Forget the stored credentials, wherever they are (keyring and file)."""
    from grok_cli.cli.runner import run_command

    st = state(ctx)

    def body() -> int:
        import shutil

        from grok_cli.auth import store as credential_store
        from grok_cli.auth.sources.browser_login import profile_dir
        from grok_cli.errors import AuthError
        from grok_cli.paths import Dirs

        io = st.io
        dirs = Dirs.from_env(io.environ)
        profile = profile_dir(dirs.data)
        if all_ and profile.exists():
            from grok_cli.cli.confirm import confirm_destructive

            # Before anything is removed: a "no" leaves the login as it was.
            confirm_destructive(io, f"Delete the browser profile {profile} and its grok.com session?", yes=yes)
        removed = credential_store.delete(dirs.credentials_file, interactive=io.interactive)
        if all_ and profile.exists():
            try:
                shutil.rmtree(profile)
            except OSError as e:
                raise AuthError(
                    f"Cannot delete the browser profile {profile}: {e.strerror}.", "Delete it by hand."
                ) from None
            removed.append(f"the browser profile {profile}")
        if removed:
            _say(io, "Removed " + " and ".join(removed) + ".")
        else:
            _say(io, "No stored credentials to remove.")
        if io.environ.get("GROK_COOKIE", "").strip():
            _say(io, "GROK_COOKIE is still set in this environment.")
        return 0

    run_command(st.io, st.debug, body)
