"""Options shared by the commands that send a prompt (`ask`, `continue`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def completion_help(text: str) -> str:
    """A description zsh can list: Typer leaves ';' unescaped, and zsh then lists nothing."""
    return text.replace(";", ",")


def complete_model(incomplete: str) -> list[tuple[str, str]]:
    """Shell completion of model names from the catalog, each with what it is."""
    from grok_cli.protocol.models import CATALOG

    names = [(m.id, completion_help(m.description)) for m in CATALOG]
    names += [(alias, f"alias of {m.id}") for m in CATALOG for alias in m.aliases]
    return [(name, help) for name, help in names if name.startswith(incomplete.lower())]


ModelOpt = Annotated[
    Optional[str],
    typer.Option(
        "--model",
        "-m",
        help="Mode id or alias (`grok models`); default fast or GROK_MODEL.",
        autocompletion=complete_model,
    ),
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
PlainOpt = Annotated[
    bool, typer.Option("--plain", help="Raw answer text even on a terminal: no Markdown rendering (GROK_RENDER).")
]
