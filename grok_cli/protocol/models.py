"""The catalog of grok.com modes and the names users know them by.

Since 2026 a chat body carries ``modeId``; the familiar model names are aliases. This table is
the one place to edit when grok.com adds, renames or retires a mode.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from grok_cli.errors import UsageError


@dataclass(frozen=True, slots=True)
class Mode:
    id: str
    name: str
    description: str
    tier: str | None
    aliases: tuple[str, ...] = ()


CATALOG: tuple[Mode, ...] = (
    Mode("fast", "Fast", "Quick answers; the default and the only mode free accounts get.", "free",
         ("grok-3", "grok-2", "grok-latest", "grok-4-fast", "grok-3-fast")),
    Mode("auto", "Auto", "Chooses between Fast and Expert for each question.", "supergrok",
         ("grok-4", "grok-4-auto", "grok-3-auto")),
    Mode("expert", "Expert", "Thinks hard before answering (reasoning shown on stderr).", "supergrok",
         ("grok-3-thinking", "grok-3-r1", "grok-3-reasoning", "grok-4-thinking", "grok-4-reasoning",
          "grok-4-expert", "thinking", "reasoning")),
    Mode("heavy", "Heavy", "A team of experts working in parallel; slowest and strongest.", "heavy",
         ("grok-4-heavy",)),
    Mode("grok-420-computer-use-sa", "Grok 4.3 (beta)", "Beta model with computer-use tools.", "supergrok",
         ("grok-4.3", "grok-420")),
)

DEFAULT_MODE = "fast"


def all_names(extra_ids: tuple[str, ...] = ()) -> list[str]:
    names = [m.id for m in CATALOG] + [a for m in CATALOG for a in m.aliases]
    return names + [i for i in extra_ids if i not in names]


def resolve(name: str, discovered: tuple[str, ...] = ()) -> str:
    """The mode id for a mode id, an alias, or an id grok.com reported; else a usage error."""
    wanted = name.strip().lower()
    for mode in CATALOG:
        if wanted == mode.id or wanted in mode.aliases:
            return mode.id
    if name in discovered:
        return name
    close = difflib.get_close_matches(wanted, all_names(discovered), n=3, cutoff=0.5)
    hint = f"Did you mean {', '.join(close)}? " if close else ""
    raise UsageError(f"Unknown model {name!r}.", f"{hint}`grok models` lists the models and aliases.")
