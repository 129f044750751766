"""Options shared by the commands that send a prompt (`ask`, `continue`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def completion_help(text: str) -> str:
    """A description zsh can list: Typer leaves ';' unescaped, and zsh then lists nothing."""
    return text.replace(";", ",")


def complete_model(incomplete: str) -> list[tuple[str, str]]:
    """Shell completion of model names: the catalog's, each with what it is, and the ids the
    last discovery found."""
    from grok_cli.mode_cache import discovered_ids
    from grok_cli.protocol.models import CATALOG

    names = [(m.id, completion_help(m.description)) for m in CATALOG]
    names += [(alias, f"alias of {m.id}") for m in CATALOG for alias in m.aliases]
    known = {name for name, _ in names}
    names += [(mode_id, "found on grok.com") for mode_id in discovered_ids() if mode_id not in known]
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
PlainOpt = Annotated[
    bool, typer.Option("--plain", help="Raw answer text even on a terminal: no Markdown rendering (GROK_RENDER).")
]
TransportOpt = Annotated[
    Optional[str],
    typer.Option(
        "--transport",
        help="auto (the default: grok.com's WebSocket gateway, REST if the gateway is gone, remembered per "
        "account), ws or rest; GROK_TRANSPORT.",
    ),
]
SystemOpt = Annotated[
    Optional[str],
    typer.Option(
        "--system",
        "-s",
        metavar="<text>",
        help="Instructions (system prompt), \"\" for none; default: a follow-up's conversation's, "
        "else GROK_SYSTEM.",
    ),
]
SystemFileOpt = Annotated[
    Optional[Path],
    typer.Option("--system-file", metavar="<path>", dir_okay=False, help="Read the instructions from a file."),
]
