"""`grok doctor`: one command to run when something breaks; a table of what works."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from grok_cli.cli.context import state
from grok_cli.cli.options import ProxyOpt, TimeoutOpt

if TYPE_CHECKING:
    from grok_cli.doctor import Report
    from grok_cli.io import IO

_SHOWN = {"ok": "ok", "warn": "warn", "fail": "FAIL", "skip": "skip"}


def doctor(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout, for scripts.")] = False,
    timeout: TimeoutOpt = None,
    proxy: ProxyOpt = None,
) -> None:
    """Check what works: credentials, clock, both chat transports, modes and quota.

    \b
    Each transport gets one tiny turn in a private chat (one fast query each;
    nothing lands in the grok.com history). When grok.com sends something grok
    does not know, or refuses what grok sends, doctor names it and writes what
    arrived, cookies and tokens removed, to a capture file for a bug report.
    Exit status: 0 when everything works, else that of the worst failure.
      grok doctor
      grok doctor --json | jq -r '.checks[] | select(.status == "fail") | .check'
    """
    from grok_cli.cli.runner import run_command

    st = state(ctx)

    def body() -> int:
        from grok_cli.auth.resolve import active_credentials
        from grok_cli.cli.runner import run_async
        from grok_cli.config import load_settings
        from grok_cli.doctor import diagnose

        io = st.io
        settings = load_settings({"timeout": timeout, "proxy": proxy}, io.environ)
        active = active_credentials(settings.dirs, io.environ, interactive=io.interactive)
        report = run_async(lambda: diagnose(settings, active.credentials if active else None))
        if as_json:
            io.stdout.write(json.dumps(report.as_json()) + "\n")
            io.stdout.flush()
        else:
            _write_table(io, report)
        return int(report.exit_status)

    run_command(st.io, st.debug, body)


def _write_table(io: IO, report: Report) -> None:
    from grok_cli.sinks.style import Style, neutralize, warn

    style = Style(io.color_stdout)
    paint = {"ok": style.bold, "fail": style.error, "warn": style.warning}
    width = max(len(f.check) for f in report.findings) + 2
    for f in report.findings:
        shown = _SHOWN[f.status]
        status = paint.get(f.status, style.dim)(shown) + " " * (6 - len(shown))
        io.stdout.write(f"{f.check:<{width}}{status}{neutralize(f.detail)}\n")
    io.stdout.flush()
    for f in report.findings:
        if f.status in ("fail", "warn") and f.hint:
            io.stderr.write(f"{f.check}: {neutralize(f.hint)}\n")
    if report.capture is not None:
        warn(
            io,
            f"grok.com's protocol did not match what grok knows; what it sent (cookies and tokens "
            f"removed) is in {report.capture}: attach that file to a bug report.",
        )
    io.stderr.flush()
