"""Upload progress on stderr: one line redrawn in place, for large files on a terminal only."""

from __future__ import annotations

from grok_cli.io import IO
from grok_cli.protocol.upload import human_size
from grok_cli.sinks.style import Style, neutralize

PROGRESS_MIN_BYTES = 1024 * 1024  # smaller files go up in well under a second on most links
REDRAW_INTERVAL = 0.1


class UploadProgress:
    """Called with (bytes sent, bytes in all) as the body goes out; ``finish`` clears the line.

    The line is cleared with spaces rather than escape codes so TERM=dumb terminals get it too.
    """

    def __init__(self, io: IO, label: str, size: int) -> None:
        self._io = io
        self._label = neutralize(label)
        self._size = size
        self._style = Style(io.color_stderr)
        self.enabled = io.stderr_isatty and size >= PROGRESS_MIN_BYTES
        self._drawn = 0  # width of what is on the line now
        self._last = float("-inf")

    def __call__(self, sent: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        now = self._io.monotonic()
        if sent < total and now - self._last < REDRAW_INTERVAL:
            return
        self._last = now
        percent = min(100, sent * 100 // total)
        self._draw(f"Uploading {self._label} ({human_size(self._size)}): {percent:3d}%")

    def _draw(self, text: str) -> None:
        pad = " " * max(0, self._drawn - len(text))
        self._io.stderr.write("\r" + self._style.dim(text) + pad)
        self._io.stderr.flush()
        self._drawn = len(text)

    def finish(self) -> None:
        if self._drawn:
            self._io.stderr.write("\r" + " " * self._drawn + "\r")
            self._io.stderr.flush()
            self._drawn = 0
