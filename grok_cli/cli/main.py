"""The Typer application: global options, and one module per command group wired in here.

Only typer is imported at module level, so `grok --help`, `--version` and shell completion
start instantly; each command imports what it needs in its body.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

import typer

from grok_cli import __version__
from grok_cli.io import IO

HELP = """Grok from the terminal, shell pipelines and cron.

\b
Examples:
  grok login                                  sign in (reads your browser's grok.com cookies)
  grok ask "Explain CRDTs in two sentences"   answer on stdout, reasoning on stderr
  cat build.log | grok ask "Why did this fail?" | tee answer.md
  grok ask --jsonl -m expert "Plan a trip" | jq -r 'select(.type=="token").text'

\b
Exit codes: 0 ok, 1 internal, 2 usage, 3 auth, 4 blocked, 5 rate limited,
6 network, 7 upstream, 130 interrupted, 143 terminated.
"""

app = typer.Typer(
    name="grok",
    help=HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # tracebacks only with --debug, and never with locals
    rich_markup_mode=None,  # plain Click help: no rich import on --help
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass
class AppState:
    io: IO
    debug: bool


def _version(value: bool) -> None:
    if not value:
        return
    import platform
    from importlib.metadata import PackageNotFoundError, version

    try:
        curl = version("curl_cffi")
    except PackageNotFoundError:
        curl = "not installed"
    typer.echo(f"grok-cli {__version__}")
    typer.echo(f"Python {platform.python_version()}, curl_cffi {curl}, transport rest")
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


def state(ctx: typer.Context) -> AppState:
    obj = ctx.find_root().obj
    assert isinstance(obj, AppState)
    return obj


ModelOpt = Annotated[
    Optional[str],
    typer.Option("--model", "-m", help="Mode id or alias (`grok models`); default fast or GROK_MODEL."),
]
JsonlOpt = Annotated[bool, typer.Option("--jsonl", help="Typed JSON Lines events on stdout.")]
RawOpt = Annotated[bool, typer.Option("--raw", help="The upstream frames as received, one per line.")]
PromptFileOpt = Annotated[
    Optional[Path], typer.Option("--prompt-file", help="Read the prompt (or its first part) from a file.")
]
NoReasoningOpt = Annotated[bool, typer.Option("--no-reasoning", help="Do not show reasoning on stderr.")]
PrivateOpt = Annotated[bool, typer.Option("--private", help="Private chat: grok.com keeps no history.")]
NoSearchOpt = Annotated[bool, typer.Option("--no-search", help="Do not let Grok search the web or X.")]
TimeoutOpt = Annotated[
    Optional[float], typer.Option("--timeout", help="Give up after this many silent seconds (GROK_TIMEOUT).")
]
ProxyOpt = Annotated[Optional[str], typer.Option("--proxy", help="Proxy URL (default: HTTPS_PROXY).")]


@app.command()
def ask(
    ctx: typer.Context,
    prompt: Annotated[Optional[list[str]], typer.Argument(help="The prompt; `-` reads stdin only.")] = None,
    model: ModelOpt = None,
    jsonl: JsonlOpt = False,
    raw: RawOpt = False,
    prompt_file: PromptFileOpt = None,
    no_reasoning: NoReasoningOpt = False,
    private: PrivateOpt = False,
    no_search: NoSearchOpt = False,
    timeout: TimeoutOpt = None,
    proxy: ProxyOpt = None,
) -> None:
    """Ask Grok: the answer streams to stdout, reasoning and status to stderr.

    \b
    Piped stdin is put before the prompt:
      cat error.log | grok ask "What went wrong?"
    """
    from grok_cli.cli.chat import ChatOptions, run_ask
    from grok_cli.cli.runner import run_command

    st = state(ctx)

    def body() -> int:
        opts = ChatOptions.build(
            jsonl=jsonl,
            raw=raw,
            words=list(prompt or []),
            model=model,
            prompt_file=prompt_file,
            show_reasoning=not no_reasoning,
            private=private,
            search=not no_search,
            timeout=timeout,
            proxy=proxy,
        )
        return run_ask(st.io, opts)

    run_command(st.io, st.debug, body)


def run() -> None:
    app(prog_name="grok")
