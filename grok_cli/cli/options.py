"""Options shared by the commands that send a prompt (`ask`, `continue`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def _complete_model(incomplete: str) -> list[str]:
    from grok_cli.mode_cache import complete_model

    return complete_model(incomplete)


ModelOpt = Annotated[
    Optional[str],
    typer.Option(
        "--model",
        "-m",
        help="Mode id or alias (`grok models`); default fast or GROK_MODEL.",
        autocompletion=_complete_model,
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
SaveImagesOpt = Annotated[
    Optional[Path],
    typer.Option("--save-images", file_okay=False, help="Save the answer's images into this directory."),
]
FileOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--file",
        "-f",
        metavar="<path>",
        help="Attach a file (image, PDF, text...); repeatable. `-f -` attaches stdin.",
    ),
]
NoHistoryOpt = Annotated[
    bool, typer.Option("--no-history", help="Do not record this turn in the local history (GROK_HISTORY=0).")
]
