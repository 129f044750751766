"""Copying text to the system clipboard with whichever tool the system has."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping

# In order of preference; Wayland's tool first, since xclip under Wayland reaches only XWayland.
_TOOLS: tuple[tuple[str, ...], ...] = (
    ("wl-copy",),
    ("xclip", "-selection", "clipboard"),
    ("xsel", "--clipboard", "--input"),
    ("pbcopy",),
    ("clip.exe",),
)
TOOL_NAMES = ", ".join(t[0] for t in _TOOLS)
_TIMEOUT_S = 5.0


class ClipboardError(Exception):
    """The text could not be copied; the message says why, for the user."""


def _tool(environ: Mapping[str, str]) -> tuple[str, ...] | None:
    path = environ.get("PATH")
    for tool in _TOOLS:
        if tool[0] == "wl-copy" and not environ.get("WAYLAND_DISPLAY"):
            continue
        if tool[0] in ("xclip", "xsel") and not environ.get("DISPLAY"):
            continue
        found = shutil.which(tool[0], path=path)
        if found:
            return (found, *tool[1:])
    return None


def copy(text: str, environ: Mapping[str, str]) -> str:
    """Put ``text`` on the clipboard; the name of the tool that did it."""
    tool = _tool(environ)
    if tool is None:
        raise ClipboardError(f"No clipboard tool found (one of {TOOL_NAMES}, with a display to copy to).")
    try:
        # xclip and wl-copy stay behind to serve the clipboard: they must not hold our pipes.
        done = subprocess.run(
            tool, input=text.encode("utf-8"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            timeout=_TIMEOUT_S, env=dict(environ), check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ClipboardError(f"{tool[0]} failed: {e}.") from None
    if done.returncode != 0:
        raise ClipboardError(f"{tool[0]} failed (exit status {done.returncode}).")
    return tool[0].rsplit("/", 1)[-1]
