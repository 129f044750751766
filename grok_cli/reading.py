"""Reading what the user hands over (files, stdin) in bounded memory.

Everything read is sent as an upload or a message, and grok.com takes no file over 10 MiB: a
read stops a little past that (a margin, should grok.com raise its cap) and fails, instead of
growing without end on `-f /dev/zero` or `head -c 3G /dev/zero | grok ask`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO, TextIO

from grok_cli.errors import UsageError
from grok_cli.io import IO
from grok_cli.protocol.upload import GROK_FILE_LIMIT, human_size

MAX_INPUT_BYTES = 16 * 1024 * 1024
_CHUNK = 1024 * 1024
WAIT_NOTICE_S = 1.0  # a read that has produced nothing by then is said to be waiting


def too_large(source: str) -> UsageError:
    return UsageError(
        f"{source} is larger than {human_size(MAX_INPUT_BYTES)}; grok stopped reading it.",
        f"grok.com accepts files of up to {human_size(GROK_FILE_LIMIT)}.",
    )


def read_bounded(stream: BinaryIO, source: str) -> bytes:
    """All of ``stream``, or a usage error naming ``source`` once it passes MAX_INPUT_BYTES."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(min(_CHUNK, MAX_INPUT_BYTES + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > MAX_INPUT_BYTES:
            raise too_large(source)


def read_text_bounded(stream: TextIO, source: str) -> str:
    """A text stream without bytes underneath (tests), bounded the same way by characters."""
    text = stream.read(MAX_INPUT_BYTES + 1)
    if len(text) > MAX_INPUT_BYTES:
        raise too_large(source)
    return text


@contextmanager
def waiting_notice(io: IO, source: str) -> Iterator[None]:
    """Say so on a terminal when reading ``source`` blocks for a while (a FIFO nobody writes to,
    a command that is slow to start its output): otherwise grok would look hung."""
    if not io.stderr_isatty:
        yield
        return

    def notice() -> None:
        try:
            io.stderr.write(f"grok is waiting for input on {source} (Ctrl-C stops it).\n")
            io.stderr.flush()
        except (OSError, ValueError):  # a terminal gone meanwhile: the notice was only a courtesy
            pass

    timer = threading.Timer(WAIT_NOTICE_S, notice)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
