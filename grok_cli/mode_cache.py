"""The last mode discovery, kept in the cache dir so `grok models` and `-m` work offline.

The file is small JSON read on every `grok ask`, so reading it must stay cheap and must never
fail a run: an unreadable or foreign cache is treated as no cache.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from grok_cli.config import Settings, load_settings
from grok_cli.errors import UsageError
from grok_cli.protocol import models

CACHE_NAME = "modes.json"
FORMAT = 1


@dataclass(frozen=True, slots=True)
class Discovery:
    modes: tuple[models.Offered, ...]
    refreshed_at: float  # Unix time of the /rest/modes answer

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.modes)


def cache_file(settings: Settings) -> Path:
    return settings.dirs.cache / CACHE_NAME


def load(settings: Settings) -> Discovery | None:
    """The cached discovery for this grok.com origin, or None."""
    try:
        data = json.loads(cache_file(settings).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("base_url") != settings.base_url:
            return None
        modes = tuple(models.Offered(**m) for m in data["modes"])
        return Discovery(modes, float(data["refreshed_at"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def save(settings: Settings, modes: list[models.Offered], now: float | None = None) -> Discovery:
    from grok_cli.files import write_private_file

    discovery = Discovery(tuple(modes), time.time() if now is None else now)
    payload = {
        "format": FORMAT,
        "base_url": settings.base_url,
        "refreshed_at": discovery.refreshed_at,
        "modes": [asdict(m) for m in discovery.modes],
    }
    write_private_file(cache_file(settings), json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
    return discovery


def choose_mode(settings: Settings) -> str:
    """The mode id for the configured model (flag, GROK_MODEL, config file, or the default)."""
    if settings.model is not None and not settings.model.strip():
        raise UsageError("The model name is empty.", "`grok models` lists the models and aliases.")
    name = settings.model or models.DEFAULT_MODE
    discovery = load(settings)
    source = settings.sources.get("model", "flag")
    where = {"flag": None, "default": None, "file": "the config file"}.get(source, source.removeprefix("env "))
    return models.resolve(name, discovery.ids if discovery else (), where)


def discovered_ids() -> tuple[str, ...]:
    """The mode ids of the last discovery, for shell completion; nothing when there is none."""
    import os

    try:
        discovery = load(load_settings({}, os.environ))
    except UsageError:  # a broken config file must not break the shell's completion
        discovery = None
    return discovery.ids if discovery else ()
