"""`grok images` output: the saved files' paths on stdout, in image order, progress on stderr.

stdout gets one path per line as soon as every earlier image is settled (saved, moderated or
failed), so `grok images ... | xargs -n1 open` starts opening while later images still come.
On a terminal stderr shows one live line per image; otherwise one line per finished image.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from grok_cli.errors import ExitStatus
from grok_cli.events import Event, Image, ImageProgress, Token
from grok_cli.images import Failure
from grok_cli.io import IO
from grok_cli.sinks.base import EventSink
from grok_cli.sinks.style import Style, neutralize

_BAR = 20


@dataclass
class _Slot:
    number: int
    progress: int = 0
    state: str = "pending"  # "pending", "saved", "moderated" or "failed"
    path: str = ""
    reason: str = ""


class ImagesSink(EventSink):
    def __init__(self, io: IO) -> None:
        self.io = io
        self.style = Style(io.color_stderr)
        self.live = io.stderr_isatty
        # Paths written to the terminal the live lines are redrawn on would be overwritten.
        self._hold_paths = self.live and io.stdout_isatty
        self._slots: dict[str, _Slot] = {}  # in the order grok.com first mentioned each image
        self._printed = 0  # how many leading slots are settled and, if saved, on stdout
        self._drawn = 0  # live lines currently on the screen
        self._text: list[str] = []
        self._width = self._terminal_width() if self.live else 0

    def _terminal_width(self) -> int:
        try:
            return os.get_terminal_size(self.io.stderr.fileno()).columns
        except (AttributeError, OSError, ValueError):
            return 80

    @property
    def saved(self) -> list[str]:
        return [s.path for s in self._slots.values() if s.state == "saved"]

    def _slot(self, image_id: str) -> _Slot:
        if image_id not in self._slots:
            self._slots[image_id] = _Slot(len(self._slots) + 1)
        return self._slots[image_id]

    def image_failed(self, failure: Failure) -> None:
        """The saver could not save an image; its Image event (without a path) follows."""
        slot = self._slot(failure.image.image_id)
        slot.state, slot.reason = "failed", failure.reason

    def on_event(self, event: Event) -> None:
        if isinstance(event, ImageProgress):
            slot = self._slot(event.image_id)
            if slot.state != "pending":
                return
            slot.progress = max(slot.progress, min(100, event.progress))
            if event.moderated and event.progress >= 100:
                slot.state = "moderated"
                self._settled(slot)
            self._redraw()
        elif isinstance(event, Image):
            slot = self._slot(event.image_id)
            if event.path:
                slot.state, slot.path, slot.progress = "saved", event.path, 100
            elif slot.state != "failed":
                slot.state, slot.reason = "failed", "not saved"
            self._settled(slot)
            self._redraw()
        elif isinstance(event, Token):
            self._text.append(event.text)

    def close(self, status: ExitStatus) -> None:
        self._redraw()
        self._hold_paths = False
        self._write_paths(final=True)
        downloaded = any(s.state in ("saved", "failed") for s in self._slots.values())
        stopped = status in (ExitStatus.INTERRUPTED, ExitStatus.TERMINATED)  # not an answer in words
        if not stopped and not downloaded and "".join(self._text).strip():
            # No image: grok.com's words say why (a refusal, a question back).
            self._err(f"grok.com answered: {' '.join(''.join(self._text).split())}\n")

    # -- stderr -------------------------------------------------------------------------------
    def _err(self, text: str) -> None:
        self.io.stderr.write(self.style.dim(neutralize(text.rstrip("\n"))) + "\n")
        self.io.stderr.flush()

    def _describe(self, slot: _Slot) -> str:
        if slot.state == "saved":
            return f"Image {slot.number} saved: {slot.path}"
        if slot.state == "moderated":
            return f"Image {slot.number} was moderated by grok.com and not saved."
        if slot.state == "failed":
            return f"Image {slot.number} could not be saved: {slot.reason}"
        filled = slot.progress * _BAR // 100
        return f"Image {slot.number} [{'#' * filled}{'.' * (_BAR - filled)}] {slot.progress:3d}%"

    def _settled(self, slot: _Slot) -> None:
        if not self.live:
            self._err(self._describe(slot))
        self._write_paths(final=False)

    def _redraw(self) -> None:
        if not self.live or not self._slots:
            return
        up = f"\x1b[{self._drawn}F" if self._drawn else ""
        # A line wider than the terminal would wrap, and moving up would no longer reach the top.
        lines = "".join(
            f"\x1b[2K{self.style.dim(neutralize(self._describe(s))[: self._width - 1])}\n" for s in self._slots.values()
        )
        self.io.stderr.write(up + lines)
        self.io.stderr.flush()
        self._drawn = len(self._slots)

    # -- stdout -------------------------------------------------------------------------------
    def _write_paths(self, *, final: bool) -> None:
        """Paths of the leading settled images; at the end, of every saved image left."""
        if self._hold_paths:
            return
        slots = list(self._slots.values())
        wrote = False
        while self._printed < len(slots):
            slot = slots[self._printed]
            if slot.state == "pending" and not final:
                break
            if slot.state == "saved":
                self.io.stdout.write(slot.path + "\n")
                wrote = True
            self._printed += 1
        if wrote:
            self.io.stdout.flush()
