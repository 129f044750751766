"""Where grok keeps its files: ``GROK_HOME`` when set, else the platform's usual directories."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "grok-cli"


@dataclass(frozen=True, slots=True)
class Dirs:
    config: Path
    data: Path
    cache: Path

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Dirs:
        home = environ.get("GROK_HOME")
        if home:
            root = Path(home).expanduser()
            return cls(config=root, data=root, cache=root / "cache")
        import platformdirs

        return cls(
            config=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            data=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            cache=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
        )

    @property
    def config_file(self) -> Path:
        return self.config / "config.toml"

    @property
    def credentials_file(self) -> Path:
        return self.config / "credentials.json"

    @property
    def history_db(self) -> Path:
        return self.data / "history.db"
