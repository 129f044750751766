"""`grok config`: where the config file is, which settings are in effect and why, and changing them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from grok_cli.cli.context import state
from grok_cli.cli.options import complete_model, completion_help

if TYPE_CHECKING:
    from grok_cli.config import Key
    from grok_cli.io import IO

config_app = typer.Typer(
    name="config",
    help="""Show and change the settings in config.toml.

\b
Precedence: command-line flag > environment variable > config file > default.
  grok config show                   every setting, its value and its source
  grok config set model expert       default model for every run
  grok config set render plain       never render Markdown on a terminal
  grok config unset model
""",
    no_args_is_help=True,
)


def _complete_key(incomplete: str) -> list[tuple[str, str]]:
    from grok_cli.config import KEYS

    return [(k.name, completion_help(k.help)) for k in KEYS if k.name.startswith(incomplete)]


def _complete_value(ctx: typer.Context, incomplete: str) -> list[str] | list[tuple[str, str]]:
    from grok_cli.config import KEYS_BY_NAME, key_values

    name = ctx.params.get("key")
    if name == "model":
        return complete_model(incomplete)
    key = KEYS_BY_NAME.get(name or "")
    return [v for v in key_values(key) if v.startswith(incomplete)] if key else []


KeyArg = Annotated[
    str,
    typer.Argument(
        metavar="KEY", help="Setting name (see `grok config show`).", autocompletion=_complete_key
    ),
]


def _shown(name: str, value: Any) -> str:
    from grok_cli.config import redacted
    from grok_cli.config_edit import toml_value

    value = redacted(name, value)
    if value is None:
        return "(not set)"
    return toml_value(value).strip('"') if isinstance(value, str) else toml_value(value)


@config_app.command("path")
def path(ctx: typer.Context) -> None:
    """Print the path of the config file (which may not exist yet)."""
    from grok_cli.cli.runner import run_command
    from grok_cli.paths import Dirs

    st = state(ctx)

    def body() -> None:
        st.io.stdout.write(f"{Dirs.from_env(st.io.environ).config_file}\n")

    run_command(st.io, st.debug, body)


@config_app.command("show")
def show(
    ctx: typer.Context,
    json_output: Annotated[bool, typer.Option("--json", help="One JSON object: {key: {value, source}}.")] = False,
) -> None:
    """Print the settings in effect and where each came from.

    The source is `flag`, `env VARIABLE`, `file` or `default`.
    """
    from grok_cli.cli.runner import run_command
    from grok_cli.config import KEYS, load_settings, redacted

    st = state(ctx)

    def body() -> None:
        settings = load_settings({}, st.io.environ)
        values = {k.name: (redacted(k.name, getattr(settings, k.name)), settings.sources[k.name]) for k in KEYS}
        if json_output:
            import json

            obj = {name: {"value": value, "source": source} for name, (value, source) in values.items()}
            st.io.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
            return
        width = max(map(len, values))
        shown = {name: _shown(name, value) for name, (value, _) in values.items()}
        value_width = max(map(len, shown.values()))
        for name, (_, source) in values.items():
            st.io.stdout.write(f"{name:<{width}}  {shown[name]:<{value_width}}  {source}\n")

    run_command(st.io, st.debug, body)


@config_app.command("get")
def get(ctx: typer.Context, key: KeyArg) -> None:
    """Print the value in effect of one setting.

    Prints nothing when the setting has no value.
    """
    from grok_cli.cli.runner import run_command
    from grok_cli.config import load_settings
    from grok_cli.config_edit import lookup

    st = state(ctx)

    def body() -> None:
        name = lookup(key).name
        value = getattr(load_settings({}, st.io.environ), name)
        if value is not None:
            st.io.stdout.write(_shown(name, value) + "\n")

    run_command(st.io, st.debug, body)


@config_app.command("set")
def set_(
    ctx: typer.Context,
    key: KeyArg,
    value: Annotated[str, typer.Argument(metavar="VALUE", help="The new value.", autocompletion=_complete_value)],
) -> None:
    """Set a setting in the config file.

    The value is checked first; other settings and comments are kept.
    """
    from grok_cli.cli.runner import run_command
    from grok_cli.config_edit import lookup, parse_value

    st = state(ctx)

    def body() -> None:
        setting = lookup(key)
        parsed = parse_value(setting, value)
        if setting.name == "model":
            from grok_cli.config import load_settings
            from grok_cli.mode_cache import load
            from grok_cli.protocol import models

            # Any name `grok ask -m` takes: the catalog's, and the ids the last discovery found.
            discovery = load(load_settings({}, st.io.environ))
            models.resolve(parsed, discovery.ids if discovery else ())
        _update(st.io, setting, parsed)

    run_command(st.io, st.debug, body)


@config_app.command("unset")
def unset(ctx: typer.Context, key: KeyArg) -> None:
    """Remove a setting from the config file (its default applies again)."""
    from grok_cli.cli.runner import run_command
    from grok_cli.config_edit import lookup

    st = state(ctx)

    def body() -> None:
        from grok_cli.config import read_config_file
        from grok_cli.paths import Dirs

        setting = lookup(key)
        path = Dirs.from_env(st.io.environ).config_file
        if setting.name not in read_config_file(path):
            st.io.stderr.write(f"{setting.name} was not set in {path}; nothing changed.\n")
            return
        _update(st.io, setting, None)

    run_command(st.io, st.debug, body)


def _update(io: IO, setting: Key, value: Any) -> None:
    """Write ``value`` (None: remove) for ``setting`` and say so on stderr."""
    from grok_cli.config_edit import update_config
    from grok_cli.paths import Dirs

    path = Dirs.from_env(io.environ).config_file
    update_config(path, setting.name, value)
    done = f"Set {setting.name} = {_shown(setting.name, value)}" if value is not None else f"Removed {setting.name}"
    io.stderr.write(f"{done} in {path}.\n")
    if setting.env and io.environ.get(setting.env):
        io.stderr.write(f"Note: {setting.env} is set in the environment and takes precedence.\n")
