"""Options shared by the commands that send a prompt (`ask`, `continue`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

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
TransportOpt = Annotated[
    Optional[str],
    typer.Option(
        "--transport",
        help="rest, ws (grok.com's WebSocket gateway) or auto (rest, then ws if grok.com retired rest); "
        "default GROK_TRANSPORT or rest.",
    ),
]
