"""The catalog of grok.com modes and the names users know them by.

Since 2026 a chat body carries ``modeId``; the familiar model names are aliases. This table is
the one place to edit when grok.com adds, renames or retires a mode.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from grok_cli.errors import UsageError


@dataclass(frozen=True, slots=True)
class Mode:
    id: str
    name: str
    description: str
    tier: str | None
    aliases: tuple[str, ...] = ()
    thinks: bool = False  # every answer starts with reasoning (none at all: a degraded session)


CATALOG: tuple[Mode, ...] = (
    Mode("fast", "Fast", "Quick answers; the default and the only mode free accounts get.", "free",
         ("grok-3", "grok-2", "grok-latest", "grok-4-fast", "grok-3-fast")),
    Mode("auto", "Auto", "Chooses between Fast and Expert for each question.", "supergrok",
         ("grok-4", "grok-4-auto", "grok-3-auto")),
    Mode("expert", "Expert", "Thinks hard before answering (reasoning shown on stderr).", "supergrok",
         ("grok-3-thinking", "grok-3-r1", "grok-3-reasoning", "grok-4-thinking", "grok-4-reasoning",
          "grok-4-expert", "thinking", "reasoning"), thinks=True),
    Mode("heavy", "Heavy", "A team of experts working in parallel; slowest and strongest.", "heavy",
         ("grok-4-heavy",), thinks=True),
    Mode("build", "Build", "Builds apps and sites (beta).", "supergrok-plus"),
    Mode("grok-420-computer-use-sa", "Grok 4.3 (beta)", "Beta model with computer-use tools.", "supergrok",
         ("grok-4.3", "grok-420")),
)

DEFAULT_MODE = "fast"


def thinks(mode_id: str) -> bool:
    """Whether the catalog says every answer of ``mode_id`` reasons first (unknown modes: no)."""
    return any(m.thinks for m in CATALOG if m.id == mode_id)


def all_names(extra_ids: tuple[str, ...] = ()) -> list[str]:
    names = [m.id for m in CATALOG] + [a for m in CATALOG for a in m.aliases]
    return names + [i for i in extra_ids if i not in names]


def resolve(name: str, discovered: tuple[str, ...] = (), where: str | None = None) -> str:
    """The mode id for a mode id, an alias, or an id grok.com reported; else a usage error.

    ``where`` names the setting the name came from when it was not typed on this command line.
    """
    wanted = name.strip().lower()
    for mode in CATALOG:
        if wanted == mode.id or wanted in mode.aliases:
            return mode.id
    if name in discovered:
        return name
    close = difflib.get_close_matches(wanted, all_names(discovered), n=3, cutoff=0.5)
    hint = f"Did you mean {', '.join(close)}? " if close else ""
    origin = f" (set in {where})" if where else ""
    raise UsageError(f"Unknown model {name!r}{origin}.", f"{hint}`grok models` lists the models and aliases.")


# -- discovery: what POST /rest/modes says the account can use (§6) ------------------------------
MODES_PATH = "/rest/modes"
MODES_BODY = {"locale": "en"}  # what the web app sends (2026-08); the names come back in English
# The response's shape is only partly known, so every field has fallbacks and anything
# unreadable is skipped rather than trusted.
_TIER_NAMES = {
    "free": "free",
    "basic": "free",
    "x_basic": "free",
    "super_grok": "supergrok",
    "supergrok": "supergrok",
    "grok_pro": "supergrok",
    "x_premium": "supergrok",
    "x_premium_plus": "supergrok",
    "super_grok_heavy": "heavy",
    "supergrok_heavy": "heavy",
    "super_grok_pro": "heavy",
    "heavy": "heavy",
    "supergrok_plus": "supergrok-plus",
    "super_grok_plus": "supergrok-plus",
}


@dataclass(frozen=True, slots=True)
class Offered:
    """One mode as grok.com listed it; None where it said nothing readable."""

    id: str
    name: str | None = None
    description: str | None = None
    available: bool | None = None
    tier: str | None = None


def tier_name(raw: object) -> str | None:
    """``SUBSCRIPTION_TIER_SUPER_GROK``, ``TIER_SUPERGROK`` or ``SUPER_GROK`` -> ``supergrok``;
    unknown tiers kept readable."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    key = raw.strip().lower().replace("-", "_").removeprefix("subscription_").removeprefix("tier_")
    return _TIER_NAMES.get(key, key.replace("_", "-"))


def _text(obj: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _offered(item: Any) -> Offered | None:
    if isinstance(item, str):
        return Offered(item.strip()) if item.strip() else None
    if not isinstance(item, Mapping):
        return None
    mode_id = _text(item, "id", "modeId", "mode_id", "mode")
    if mode_id is None:
        return None
    availability = item.get("availability")
    availability = availability if isinstance(availability, Mapping) else {}
    flags = (availability.get("available"), item.get("available"), item.get("isAvailable"))
    available = next((v for v in flags if isinstance(v, bool)), None)
    tier = tier_name(
        availability.get("minimumSubscriptionTier") or item.get("minimumSubscriptionTier") or item.get("tier")
    )
    return Offered(
        id=mode_id,
        name=_text(item, "displayName", "name", "title"),
        description=_text(item, "summary", "description", "subtitle"),
        available=available,
        tier=tier,
    )


def parse_modes(data: Any) -> list[Offered]:
    """The modes in a /rest/modes answer: ``{"modes": [...]}``, another list-valued key, or a bare list."""
    items: Any = data
    if isinstance(data, Mapping):
        items = next(
            (data[k] for k in ("modes", "availableModes", "items", "data") if isinstance(data.get(k), list)), []
        )
    if not isinstance(items, list):
        return []
    seen: set[str] = set()
    out: list[Offered] = []
    for item in items:
        mode = _offered(item)
        if mode is not None and mode.id not in seen:
            seen.add(mode.id)
            out.append(mode)
    return out


# -- what `grok models` lists -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Listing:
    id: str
    name: str
    description: str
    aliases: tuple[str, ...]
    tier: str | None
    available: bool | None  # None: not known (no discovery yet, or grok.com did not say)


def merge(offered: Sequence[Offered] | None) -> list[Listing]:
    """The catalog updated by the last discovery, then the modes only grok.com knows about.

    grok.com's names and tiers win (it renames modes); the catalog's descriptions stay, as
    they say what a mode means here (e.g. where reasoning goes). A catalog mode missing from
    a discovery is listed as unavailable: grok.com no longer offers it to this account.
    """
    by_id = {o.id: o for o in offered or ()}
    rows: list[Listing] = []
    for mode in CATALOG:
        seen = by_id.pop(mode.id, None)
        if seen is None:
            available = None if offered is None else False
            rows.append(Listing(mode.id, mode.name, mode.description, mode.aliases, mode.tier, available))
            continue
        rows.append(
            Listing(
                mode.id,
                seen.name or mode.name,
                mode.description,
                mode.aliases,
                seen.tier or mode.tier,
                True if seen.available is None else seen.available,
            )
        )
    for o in by_id.values():
        available = True if o.available is None else o.available
        rows.append(Listing(o.id, o.name or o.id, o.description or "", (), o.tier, available))
    return rows
