"""Changing one key of config.toml in place: the other keys, comments and order are kept.

The file holds top-level keys only (config.py rejects anything else), so a key is one
``name = value`` line, and editing that line is an exact edit. The result is validated like any
config file before it replaces the old one, so a bad value never reaches the disk.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from grok_cli.config import KEYS_BY_NAME, Key, parse_config
from grok_cli.errors import UsageError


def lookup(name: str) -> Key:
    key = KEYS_BY_NAME.get(name.strip().lower().replace("-", "_"))
    if key is None:
        raise UsageError(f"Unknown setting {name!r}.", f"Known settings: {', '.join(KEYS_BY_NAME)}.")
    return key


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    # A JSON string is a valid TOML basic string (same quotes and escapes).
    return json.dumps(str(value), ensure_ascii=False)


def parse_value(key: Key, raw: str) -> Any:
    try:
        return key.parse(raw)
    except (TypeError, ValueError) as e:
        raise UsageError(f"Bad value for {key.name!r}: {raw!r} ({e}).") from None


def with_line(text: str, name: str, value: str | None) -> str:
    """``text`` with the key ``name`` set to the TOML ``value``, or removed when it is None."""
    assignment = re.compile(rf"^\s*{re.escape(name)}\s*=")
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    placed = False
    for line in lines:
        if assignment.match(line):
            if value is not None and not placed:
                out.append(f"{name} = {value}\n")
            placed = True
        else:
            out.append(line)
    if value is not None and not placed:
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        out.append(f"{name} = {value}\n")
    return "".join(out)


def update_config(path: Path, name: str, value: Any | None) -> None:
    """Set (or with None remove) one key of the config file at ``path``, atomically."""
    from grok_cli.files import write_private_file

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except OSError as e:
        raise UsageError(f"Cannot read the config file {path}: {e.strerror}.") from None
    new = with_line(text, name, None if value is None else toml_value(value))
    parse_config(new, path)  # names the offending key and line if another key is wrong
    try:
        write_private_file(path, new)  # 0600: a proxy URL may carry a password
    except OSError as e:
        raise UsageError(f"Cannot write the config file {path}: {e.strerror}.") from None
