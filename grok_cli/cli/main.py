"""The Typer application: global options; the commands, one module per command group, are
listed in cli/lazy.py and loaded when used.

Only typer is imported at module level, so `grok --help`, `--version` and shell completion
start instantly; each command imports what it needs in its body.
"""

from __future__ import annotations

from typing import Annotated

import typer

from grok_cli import __version__
from grok_cli.cli.context import AppState
from grok_cli.cli.lazy import LazyGroup
from grok_cli.io import IO

HELP = """Grok from the terminal, shell pipelines and cron.

\b
Examples:
  grok login                             sign in with your browser's cookies
  grok ask "Explain CRDTs in two lines"  answer on stdout, reasoning on stderr
  cat build.log | grok ask "Why did this fail?" | tee answer.md
  grok ask --jsonl "Plan a trip" | jq -j 'select(.type=="token").text'
  grok continue last "And in Rust?"      follow up on the last conversation
  grok history show last --last-answer   the last answer again
  grok images "a lighthouse" -n 4 -o pics   saved paths on stdout

\b
Exit codes: 0 ok, 1 internal, 2 usage, 3 auth, 4 blocked, 5 rate limited,
6 network, 7 upstream, 8 local, 129 hangup, 130 interrupted, 143 terminated.
"""

app = typer.Typer(
    name="grok",
    cls=LazyGroup,  # the commands of cli/lazy.py, each built when it is used
    help=HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # tracebacks only with --debug, and never with locals
    rich_markup_mode=None,  # plain Click help: no rich import on --help
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _installed_version(distribution: str) -> str:
    """A distribution's version, read from the name of its dist-info directory: importlib.metadata
    would cost more than the rest of `grok --version` together."""
    import sys
    from pathlib import Path

    for entry in sys.path:
        for found in Path(entry or ".").glob(f"{distribution}-*.dist-info"):
            return found.name[len(distribution) + 1 : -len(".dist-info")]
    return "not installed"


def _version(value: bool) -> None:
    if not value:
        return
    import os
    import platform
    from grok_cli.config import load_settings
    from grok_cli.errors import GrokError
    from grok_cli.transport_choice import choose, env_account

    curl = _installed_version("curl_cffi")
    try:
        settings = load_settings({}, os.environ)
        # The stored login is in the keyring, too slow to open here: without GROK_COOKIE, what
        # auto remembered is the last account's.
        transport = choose(settings, env_account(settings, os.environ)).describe()
    except GrokError as e:  # a broken config file must not hide the versions
        transport = f"unknown: {e.message}"
    typer.echo(f"grok-cli {__version__}")
    typer.echo(f"Python {platform.python_version()}, curl_cffi {curl}, transport {transport}")
    raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", envvar="GROK_DEBUG", help="Show tracebacks for bugs.")] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colours or styles anywhere.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show versions and exit.")
    ] = False,
) -> None:
    ctx.obj = AppState(io=IO.system(no_color=no_color), debug=debug)


def run() -> None:
    app(prog_name="grok")
