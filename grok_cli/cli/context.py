"""What the root callback hands to every command."""

from __future__ import annotations

from dataclasses import dataclass

import typer

from grok_cli.io import IO


@dataclass
class AppState:
    io: IO
    debug: bool


def state(ctx: typer.Context) -> AppState:
    obj = ctx.find_root().obj
    assert isinstance(obj, AppState)
    return obj
