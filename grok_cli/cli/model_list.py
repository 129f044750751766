"""Building the `grok models` listing: the catalog, the cached discovery, and grok.com when asked."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from grok_cli import mode_cache
from grok_cli.cli.model_table import Listed, write_json, write_plain, write_rich
from grok_cli.config import Settings, load_settings
from grok_cli.errors import FileWriteError, TransportGoneError, UpstreamError, UsageError
from grok_cli.io import IO
from grok_cli.protocol import models
from grok_cli.protocol.quota import Quota, duration
from grok_cli.sinks.style import Style, warn

if TYPE_CHECKING:
    from grok_cli.client import Client


@dataclass(frozen=True)
class ListOptions:
    as_json: bool
    refresh: bool
    quota: bool
    timeout: float | None
    proxy: str | None


def run_models(io: IO, opts: ListOptions) -> int:
    settings = load_settings({"timeout": opts.timeout, "proxy": opts.proxy}, io.environ)
    discovery = mode_cache.load(settings)
    quotas: dict[str, Quota | None] | None = None
    if opts.refresh or opts.quota:
        from grok_cli.cli.runner import run_async

        discovery, quotas = run_async(lambda: ask_grok(io, settings, discovery, opts))
    listed = Listed(
        rows=models.merge(discovery.modes if discovery else None),
        quotas=quotas,
        default=_default_mode(io, settings),
        refreshed_at=discovery.refreshed_at if discovery else None,
    )
    if opts.as_json:
        write_json(io, listed)
    elif io.stdout_isatty:
        write_rich(io, listed, caption=_about(listed, settings))
    else:
        write_plain(io, listed)
        if io.stderr_isatty:
            io.stderr.write(Style(io.color_stderr).dim(_about(listed, settings)) + "\n")
    return 0


async def ask_grok(
    io: IO, settings: Settings, discovery: mode_cache.Discovery | None, opts: ListOptions
) -> tuple[mode_cache.Discovery | None, dict[str, Quota | None] | None]:
    """One session for both questions: the mode list (saved) and, if asked, every mode's quota."""
    from grok_cli.auth.resolve import require_credentials
    from grok_cli.client import Client

    credentials = require_credentials(settings.dirs, io.environ, interactive=io.interactive)
    async with Client(settings, credentials, clock=io.monotonic) as client:
        if opts.refresh:
            try:
                offered = await client.modes()
            except TransportGoneError:  # the endpoint moved
                offered = []
            if not offered:
                raise UpstreamError(
                    "grok.com's list of modes was missing, empty or unreadable; the previous list is kept.",
                    "grok.com may have changed this part of its API: update grok-cli; -m still takes the listed names.",
                )
            try:
                discovery = mode_cache.save(settings, offered)
            except FileWriteError as e:
                warn(io, f"{e.message} The list below is not kept for next time.")
                discovery = mode_cache.Discovery(tuple(offered), time.time())
        if not opts.quota:
            return discovery, None
        ids = [row.id for row in models.merge(discovery.modes if discovery else None)]
        quotas = await _quotas(client, ids)
        if ids and all(q is None for q in quotas.values()):
            raise UpstreamError(
                "grok.com answered no quota question for any mode.",
                "It may have changed /rest/rate-limits; `grok models` without --quota still works.",
            )
        return discovery, quotas


async def _quotas(client: Client, ids: Sequence[str]) -> dict[str, Quota | None]:
    """Every mode's quota; the first alone, so the request signer is ready before the rest run together."""
    import asyncio

    async def one(mode: str) -> Quota | None:
        try:
            return await client.quota(mode)
        except (UpstreamError, UsageError):  # grok.com has no quota to show for this mode
            return None

    if not ids:
        return {}
    first = await one(ids[0])
    rest = await asyncio.gather(*(one(m) for m in ids[1:]))
    return dict(zip(ids, [first, *rest], strict=True))


def _default_mode(io: IO, settings: Settings) -> str | None:
    try:
        return mode_cache.choose_mode(settings)
    except UsageError as e:  # listing the models is how one finds a better name: warn, do not fail
        warn(io, e.message)
        return None


def _about(listed: Listed, settings: Settings) -> str:
    """Where the list comes from and which mode `grok ask` uses, for a person reading it."""
    if listed.refreshed_at is None:
        source = "Built-in list: `grok models --refresh` asks grok.com what this account can use."
    else:
        age = time.time() - listed.refreshed_at
        when = "just now" if age < 60 else f"{duration(age)} ago"
        source = f"Availability as grok.com said {when} (`grok models --refresh` to update)."
    if listed.default is None:
        return source
    origin = settings.sources.get("model", "default")
    how = {"default": "built-in", "file": "config file"}.get(origin, origin.removeprefix("env "))
    return f"Default: {listed.default} ({how}). {source}"
