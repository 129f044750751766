"""`grok models`: the modes grok can ask for, the names they answer to, and what is left of each quota.

Without flags it reads only the built-in catalog and the cached discovery: no network, no
credentials, no network library imported. ``--refresh`` and ``--quota`` ask grok.com.
"""

from __future__ import annotations

from typing import Annotated

import typer

from grok_cli.cli.context import state
from grok_cli.cli.options import ProxyOpt, TimeoutOpt


def models(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout (shape: docs/output.md).")] = False,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Ask grok.com which modes this account can use, and remember it.")
    ] = False,
    quota: Annotated[
        bool, typer.Option("--quota", help="Also show the queries left in each mode's window (asks grok.com).")
    ] = False,
    timeout: TimeoutOpt = None,
    proxy: ProxyOpt = None,
) -> None:
    """List the models (grok.com modes), their aliases, tiers and availability.

    \b
    Any listed id or alias works with `grok ask -m`. Without flags this works
    offline, from the built-in catalog and the last --refresh.
      grok models --refresh          what this account can use now
      grok models --quota            queries left per mode
      grok models --json | jq -r '.models[] | select(.available != false) | .id'
    """
    from grok_cli.cli.runner import run_command

    st = state(ctx)

    def body() -> int:
        from grok_cli.cli.model_list import ListOptions, run_models

        return run_models(st.io, ListOptions(as_json, refresh, quota, timeout, proxy))

    run_command(st.io, st.debug, body)
