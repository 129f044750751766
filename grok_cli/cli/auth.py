"""`grok auth status`: which credentials are in use, and whether grok.com accepts them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from grok_cli.cli.context import state

if TYPE_CHECKING:
    from grok_cli.auth.check import CheckResult
    from grok_cli.auth.resolve import Active
    from grok_cli.transport_choice import Choice

auth_app = typer.Typer(
    name="auth",
    help="""Inspect the stored grok.com login.

\b
Examples:
  grok auth status           where the credentials come from (no values)
  grok auth status --check   ask grok.com whether they work (exit 0, 3, 4, 6)
""",
    no_args_is_help=True,
)

_STORE_NAMES = {"env": "GROK_COOKIE, for this run only", "keyring": "OS keyring, service 'grok-cli'", "file": "file"}


def _as_json(active: Active, transport: Choice, check: CheckResult | None) -> dict[str, Any]:
    creds = active.credentials
    out: dict[str, Any] = {
        "signed_in": True,
        "store": active.store,
        "location": active.location,
        "source": creds.source,
        "saved_at": creds.saved_at,
        "cookies": creds.cookie_names,
        "user_agent": creds.user_agent,
        "headers": [{"name": h.name, "path": h.path} for h in creds.headers],
        "transport": transport.as_json(),
    }
    if check is not None:
        out["check"] = check.as_json()
    return out


def _as_text(active: Active, transport: Choice, check: CheckResult | None) -> str:
    creds = active.credentials
    store = _STORE_NAMES.get(active.store, active.store)
    rows = [
        ("store", f"{store} {active.location}" if active.store == "file" else store),
        ("source", creds.source),
        ("saved", creds.saved_at or "unknown"),
        ("cookies", ", ".join(creds.cookie_names)),
        ("user-agent", creds.user_agent or "not known (grok sends a default Chrome one)"),
    ]
    if creds.headers:
        rows.append(("headers", ", ".join(f"{h.name} (for {h.path})" for h in creds.headers)))
    rows.append(("transport", transport.describe()))
    if check is not None:
        verdict = {
            "valid": "valid",
            "invalid": "invalid: grok.com rejects them",
            "blocked": "blocked by Cloudflare or anti-bot rules",
            "network": "unknown: grok.com could not be reached",
            "error": "unknown: grok.com answered with an error",
        }[check.status]
        if check.status == "valid" and check.email:
            verdict += f", signed in as {check.email}"
        if check.remaining is not None:
            verdict += f"; {check.remaining}/{check.total} queries left for the fast mode"
        rows.append(("check", verdict))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k + ':':<{width + 1}} {v}" for k, v in rows) + "\n"


@auth_app.command("status")
def status(
    ctx: typer.Context,
    check: Annotated[bool, typer.Option("--check", help="Ask grok.com whether the credentials work.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Show which credentials are in use (cookie names only, never values) and the chat transport.

    \b
    Exit status with --check: 0 valid, 3 invalid or missing, 4 blocked by
    Cloudflare or anti-bot rules, 6 network failure.
    """
    from grok_cli.cli.runner import run_command

    st = state(ctx)

    def body() -> int:
        from grok_cli.auth.resolve import active_credentials, not_signed_in
        from grok_cli.config import load_settings
        from grok_cli.errors import ExitStatus

        io = st.io
        settings = load_settings({}, io.environ)
        active = active_credentials(settings.dirs, io.environ, interactive=io.interactive)
        if active is None:
            if as_json:
                io.stdout.write(json.dumps({"signed_in": False}) + "\n")
                io.stdout.flush()
            raise not_signed_in()
        from grok_cli.transport_choice import account_key, choose

        transport = choose(settings, account_key(settings.base_url, active.credentials))
        result = None
        if check:
            from grok_cli.auth.check import check_credentials
            from grok_cli.cli.runner import run_async

            result = run_async(lambda: check_credentials(settings, active.credentials))
        if as_json:
            io.stdout.write(json.dumps(_as_json(active, transport, result)) + "\n")
        else:
            io.stdout.write(_as_text(active, transport, result))
        io.stdout.flush()
        if result is not None and result.error is not None:
            if as_json:
                return int(result.error.status)
            raise result.error
        return int(ExitStatus.OK)

    run_command(st.io, st.debug, body)
