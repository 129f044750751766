"""Upload progress on stderr: one line redrawn in place, for large files on a terminal only."""

from __future__ import annotations

from grok_cli.io import IO
from grok_cli.protocol.upload import human_size
from grok_cli.sinks.style import StatusText, neutralize

PROGRESS_MIN_BYTES = 1024 * 1024  # smaller files go up in well under a second on most links
REDRAW_INTERVAL = 0.1


class UploadProgress:
    """Called with (bytes sent, bytes in all) as the body goes out; ``finish`` clears the line."""

    def __init__(self, io: IO, label: str, size: int) -> None:
        self._io = io
        self._label = neutralize(label)
        self._size = size
        self._line = StatusText(io)
        self.enabled = io.stderr_isatty and size >= PROGRESS_MIN_BYTES
        self._last = float("-inf")

    def __call__(self, sent: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        now = self._io.monotonic()
        if sent < total and now - self._last < REDRAW_INTERVAL:
            return
        self._last = now
        percent = min(100, sent * 100 // total)
        self._line.draw(f"Uploading {self._label} ({human_size(self._size)}): {percent:3d}%")

    def finish(self) -> None:
        self._line.erase()
