"""The three shapes of `grok models` on stdout: a rich table on a terminal, aligned text in a
pipe, and one JSON object with ``--json`` (its shape is documented in docs/output.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from grok_cli.io import IO
from grok_cli.protocol.models import Listing
from grok_cli.protocol.quota import Quota, duration
from grok_cli.sinks.style import neutralize


@dataclass(frozen=True)
class Listed:
    rows: list[Listing]
    quotas: dict[str, Quota | None] | None  # None: quotas were not asked for
    default: str | None  # the mode `grok ask` uses without -m
    refreshed_at: float | None  # Unix time of the cached discovery


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def write_json(io: IO, listed: Listed) -> None:
    items: list[dict[str, Any]] = []
    for row in listed.rows:
        item: dict[str, Any] = {
            "id": row.id,
            "name": row.name,
            "description": row.description,
            "aliases": list(row.aliases),
            "available": row.available,
            "tier": row.tier,
        }
        if listed.quotas is not None:
            quota = listed.quotas.get(row.id)
            item["quota"] = quota.as_json() if quota else None
        items.append(item)
    obj = {"default": listed.default, "refreshed_at": _iso(listed.refreshed_at), "models": items}
    io.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")
    io.stdout.flush()


def _available(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "?"}[value]


def _quota_cells(quota: Quota | None) -> list[str]:
    """Left, window, resets-in; ``-`` where grok.com said nothing."""
    if quota is None:
        return ["-", "-", "-"]
    if quota.remaining is None:
        left = "-"
    else:
        left = f"{quota.remaining}/{quota.total}" if quota.total is not None else str(quota.remaining)
    window = duration(quota.window_seconds) if quota.window_seconds else "-"
    resets = duration(quota.wait_seconds) if quota.wait_seconds is not None else "-"
    return [left, window, resets]


def _table(listed: Listed, alias_sep: str) -> tuple[list[str], list[list[str]]]:
    headers = ["ID", "NAME", "TIER", "AVAILABLE"]
    if listed.quotas is not None:
        headers += ["LEFT", "WINDOW", "RESETS IN"]
    headers += ["ALIASES", "DESCRIPTION"]
    cells = []
    for row in listed.rows:
        line = [neutralize(row.id), neutralize(row.name), row.tier or "-", _available(row.available)]
        if listed.quotas is not None:
            line += _quota_cells(listed.quotas.get(row.id))
        line += [alias_sep.join(row.aliases) or "-", neutralize(row.description)]
        cells.append(line)
    return headers, cells


def write_plain(io: IO, listed: Listed) -> None:
    """Columns separated by two spaces; the description, last, is not padded."""
    headers, cells = _table(listed, ",")
    widths = [max(len(r[i]) for r in [headers, *cells]) for i in range(len(headers) - 1)]
    for line in [headers, *cells]:
        padded = [value.ljust(width) for value, width in zip(line, widths, strict=False)]
        io.stdout.write("  ".join([*padded, line[-1]]).rstrip() + "\n")
    io.stdout.flush()


def write_rich(io: IO, listed: Listed, caption: str) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(
        file=io.stdout,
        force_terminal=True,
        color_system="auto" if io.color_stdout else None,  # NO_COLOR: no styles at all, not just no colours
        highlight=False,
    )
    headers, cells = _table(listed, ", ")
    table = Table(box=box.SIMPLE_HEAD, caption=Text(caption), caption_justify="left", header_style="bold")
    for header in headers:
        last = header == "DESCRIPTION"
        table.add_column(header.capitalize(), no_wrap=not last and header != "ALIASES", ratio=1 if last else None)
    for row, line in zip(listed.rows, cells, strict=True):
        if row.id == listed.default:
            line[1] += " (default)"
        style = "dim" if row.available is False else None
        texts = [Text(value) for value in line]
        texts[0].stylize("bold")
        table.add_row(*texts, style=style)
    console.print(table)
