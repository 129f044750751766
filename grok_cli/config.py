"""Settings, built once per run: command-line flag > environment variable > config file > default."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grok_cli.errors import UsageError
from grok_cli.paths import Dirs

DEFAULT_BASE_URL = "https://grok.com"
DEFAULT_ASSETS_URL = "https://assets.grok.com"
# Thinking modes can be silent for minutes before the first token.
DEFAULT_TIMEOUT = 300.0
MAX_TIMEOUT = 86400.0  # a day: beyond it the timeout only overflows the timers below it


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def _timeout(value: Any) -> float:
    seconds = float(value)
    if not 0 < seconds <= MAX_TIMEOUT:  # also refuses inf and nan
        raise ValueError(f"expected a number of seconds above 0 and at most {MAX_TIMEOUT:g}")
    return seconds


class _Choice:
    """A parser that accepts one of a few words, and can list them (for shell completion)."""

    def __init__(self, *allowed: str) -> None:
        self.allowed = allowed

    def __call__(self, value: Any) -> str:
        text = str(value).strip().lower()
        if text not in self.allowed:
            raise ValueError(f"expected one of {', '.join(self.allowed)}")
        return text


def _choice(*allowed: str) -> Callable[[Any], str]:
    return _Choice(*allowed)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected text in quotes")
    return value.strip()


def _name(value: Any) -> str:
    """A word or a path: text in the file (`images_dir = 7` is a mistake, not a directory)."""
    text = _text(value)
    if not text:
        raise ValueError("expected text, not an empty string")
    return text


_PROXY_SCHEMES = ("http", "https", "socks4", "socks4a", "socks5", "socks5h")


def _proxy(value: Any) -> str:
    """A proxy URL (`http://host:3128`, `socks5h://host:1080`) or `host:port`, as curl takes it."""
    from urllib.parse import urlsplit

    text = _name(value)
    parts = urlsplit(text if "://" in text else f"http://{text}")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in _PROXY_SCHEMES or not parts.hostname or port == -1:
        # The text itself may carry a password: the message names only what was expected.
        raise ValueError(f"expected a proxy URL such as http://host:3128 ({', '.join(_PROXY_SCHEMES)})")
    return text


def _url(value: Any) -> str:
    text = str(value).strip().rstrip("/")
    if not re.match(r"^https?://[^/\s]+", text):
        raise ValueError("expected an http(s) URL")
    return text


def redacted(name: str, value: Any) -> Any:
    """A setting as it may be shown: a proxy URL's password never reaches any output."""
    if name == "proxy" and isinstance(value, str):
        return re.sub(r"((?:://|\s|^)[^:/@\s]+:)[^@/\s]+@", r"\1***@", value)
    return value


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    env: str | None
    parse: Callable[[Any], Any]
    default: Any
    help: str


KEYS: tuple[Key, ...] = (
    Key("model", "GROK_MODEL", _text, None, "default model (mode id or alias)"),
    Key(
        "transport",
        "GROK_TRANSPORT",
        _choice("auto", "ws", "rest"),
        "auto",
        "chat transport: auto (the WebSocket gateway first, REST when the gateway is gone, and the one "
        "that answered first next time), ws or rest",
    ),
    Key("timeout", "GROK_TIMEOUT", _timeout, DEFAULT_TIMEOUT, "idle timeout of a stream, seconds"),
    Key("proxy", "HTTPS_PROXY", _proxy, None, "proxy URL"),
    Key("history", "GROK_HISTORY", _bool, True, "keep a local history of conversations"),
    Key("images_dir", "GROK_IMAGES_DIR", _name, None, "where `grok images` saves images"),
    Key("render", "GROK_RENDER", _choice("auto", "markdown", "plain"), "auto", "answer rendering on a TTY"),
    Key("system", "GROK_SYSTEM", _text, None, "instructions (system prompt) for new conversations"),
    Key("statsig", "GROK_STATSIG", _text, "auto", "x-statsig-id: auto, fallback, none, or a fixed value"),
    Key("base_url", "GROK_BASE_URL", _url, DEFAULT_BASE_URL, "web origin"),
    Key("assets_url", "GROK_ASSETS_URL", _url, DEFAULT_ASSETS_URL, "asset origin"),
)
KEYS_BY_NAME = {k.name: k for k in KEYS}


@dataclass(frozen=True, slots=True)
class Settings:
    """One field per entry of KEYS, plus where each value came from."""

    dirs: Dirs
    model: str | None
    transport: str
    timeout: float
    proxy: str | None
    history: bool
    images_dir: str | None
    render: str
    system: str | None
    statsig: str
    base_url: str
    assets_url: str
    sources: Mapping[str, str] = field(default_factory=dict)  # key -> "flag", "env X", "file", "default"


def _line_of(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(rf"^\s*{re.escape(key)}\s*=", line):
            return number
    return None


def key_values(key: Key) -> tuple[str, ...]:
    """The values a key can take, when they are a short list."""
    if isinstance(key.parse, _Choice):
        return key.parse.allowed
    if key.parse is _bool:
        return ("true", "false")
    return ()


def read_config_file(path: Path) -> dict[str, Any]:
    """The validated contents of config.toml; a clear usage error naming the key and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise UsageError(f"Cannot read the config file {path}: {e.strerror}.") from None
    except UnicodeDecodeError:
        raise UsageError(f"The config file {path} is not UTF-8 text.", "Fix or remove it.") from None
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> dict[str, Any]:
    """``text`` as the contents of the config file ``path``, validated like ``read_config_file``."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"The config file {path} is not valid TOML: {e}.", "Fix or remove it.") from None
    values: dict[str, Any] = {}
    for name, raw in data.items():
        where = f"{path}, line {_line_of(text, name) or '?'}"
        key = KEYS_BY_NAME.get(name)
        if key is None:
            raise UsageError(
                f"Unknown key {name!r} in the config file ({where}).",
                f"Known keys: {', '.join(KEYS_BY_NAME)}.",
            )
        try:
            values[name] = key.parse(raw)
        except (TypeError, ValueError) as e:
            raise UsageError(f"Bad value for {name!r} in the config file ({where}): {e}.") from None
    return values


def load_settings(flags: Mapping[str, Any], environ: Mapping[str, str]) -> Settings:
    dirs = Dirs.from_env(environ)
    file_values = read_config_file(dirs.config_file)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key in KEYS:
        env_value = environ.get(key.env) if key.env else None
        if key.name == "proxy" and not env_value:
            env_value = environ.get("https_proxy")
        if flags.get(key.name) is not None:
            raw, source = flags[key.name], "flag"
        elif env_value:
            raw, source = env_value, f"env {key.env}"
        elif key.name in file_values:
            values[key.name], sources[key.name] = file_values[key.name], "file"
            continue
        else:
            values[key.name], sources[key.name] = key.default, "default"
            continue
        try:
            values[key.name] = key.parse(raw)
        except (TypeError, ValueError) as e:
            what = "--" + key.name.replace("_", "-") if source == "flag" else key.env
            raise UsageError(f"Bad value for {what}: {raw!r} ({e}).") from None
        sources[key.name] = source
    return Settings(dirs=dirs, sources=sources, **values)
