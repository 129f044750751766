"""Commands loaded on first use.

Typer turns every command's signature into Click parameters when the program starts; for a
dozen commands that was a third of `grok --help`'s start-up. The root group lists the commands
from this table and builds a command (importing its module) only when it runs, or when help
or shell completion asks about that one command.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperGroup, TyperOption


@dataclass(frozen=True, slots=True)
class LazyCommand:
    module: str
    attribute: str  # a command function, or a Typer app for a group of subcommands
    summary: str  # the line `grok --help` shows


COMMANDS: dict[str, LazyCommand] = {
    "ask": LazyCommand("grok_cli.cli.ask", "ask", "Ask Grok: the answer streams to stdout, reasoning to stderr."),
    "continue": LazyCommand("grok_cli.cli.continue_", "continue_", "Follow up in an existing conversation."),
    "chat": LazyCommand("grok_cli.cli.chat", "chat", "Chat turn after turn; one message per stdin line in a pipe."),
    "models": LazyCommand("grok_cli.cli.models", "models", "List the models, their aliases, tiers and quota."),
    "images": LazyCommand("grok_cli.cli.images", "images", "Generate images and save them; paths on stdout."),
    "login": LazyCommand("grok_cli.cli.login", "login", "Sign in: keep grok.com session cookies."),
    "logout": LazyCommand("grok_cli.cli.login", "logout", "Forget the stored credentials."),
    "history": LazyCommand("grok_cli.cli.history", "app", "The local history of conversations."),
    "auth": LazyCommand("grok_cli.cli.auth", "auth_app", "Inspect the stored grok.com login."),
    "serve": LazyCommand("grok_cli.cli.serve", "serve", "Serve an OpenAI-compatible API (/v1) over your grok.com session."),
    "config": LazyCommand("grok_cli.cli.config_cmd", "config_app", "Show and change the settings in config.toml."),
    "doctor": LazyCommand("grok_cli.cli.doctor", "doctor", "Check what works: credentials, transports, modes, quota."),
}


def build(name: str) -> Any:  # a TyperCommand or TyperGroup
    spec = COMMANDS[name]
    target = getattr(importlib.import_module(spec.module), spec.attribute)
    # A holder app gives the command the root's settings (plain help, no pretty tracebacks).
    holder = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)
    holder.callback()(lambda: None)
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name, short_help=spec.summary)
    else:
        holder.command(name=name, short_help=spec.summary)(target)
    command = typer.main.get_command(holder).commands[name]
    _accept_global_options(command)
    return command


def _set_debug(ctx: Any, param: Any, value: bool) -> None:
    from grok_cli.cli.context import state

    if value:
        state(ctx).debug = True


def _set_no_color(ctx: Any, param: Any, value: bool) -> None:
    from grok_cli.cli.context import state
    from grok_cli.io import IO

    if value:
        state(ctx).io = IO.system(no_color=True)


def _accept_global_options(command: Any) -> None:
    """`grok ask --no-color hi` works like `grok --no-color ask hi`: the root's options are
    accepted after any command too (hidden there: `grok --help` documents them once)."""
    for flag, callback in (("--debug", _set_debug), ("--no-color", _set_no_color)):
        if not any(flag in param.opts for param in command.params):
            command.params.append(
                TyperOption(param_decls=[flag], is_flag=True, expose_value=False, hidden=True, callback=callback)
            )
    for sub in getattr(command, "commands", {}).values():
        _accept_global_options(sub)


class LazyGroup(TyperGroup):
    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in COMMANDS if name not in self.commands)]

    def get_command(self, ctx: Any, name: str) -> Any:
        if name in COMMANDS and name not in self.commands:
            self.add_command(build(name), name)
        return super().get_command(ctx, name)

    # Help, --version and usage errors are written outside every command's run_command (the
    # group's help while parsing, a command's while the group invokes it): a failing or closed
    # output there ends as it does in a command, not in a traceback or in Click's exit 1 for a
    # reader that left the pipe (`grok --version | head -c 1`).
    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except OSError as e:
            raise typer.Exit(_os_failure(e)) from None

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except OSError as e:
            raise typer.Exit(_os_failure(e)) from None

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """A mistyped command gets a suggestion (Typer's own looks only at the commands built)."""
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS and name not in self.commands:
            from difflib import get_close_matches

            matches = get_close_matches(name, self.list_commands(ctx))
            if matches:
                ctx.fail(f"No such command {name!r}. Did you mean {' or '.join(repr(m) for m in matches)}?")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The command list from the table: listing the commands must not build them all."""
        rows = [(name, spec.summary) for name, spec in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _os_failure(e: OSError) -> int:
    from grok_cli.cli.runner import os_failure, silence_stdout
    from grok_cli.io import IO

    silence_stdout()  # before IO.system(), whose reconfiguring flushes stdout
    return os_failure(IO.system(), e)
