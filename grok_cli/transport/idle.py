"""An idle timeout for a whole stream: one timer, moved forward by every read.

``asyncio.wait_for`` around each read costs a task, a timer and extra event-loop iterations per
received chunk. Here a read only notes when it began waiting; the one timer fires at the earliest
moment the wait could have lasted too long, and re-arms itself when data came in the meantime.
Time the reader spends elsewhere (writing the answer out) is not counted as the server's silence.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


class IdleTimer:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        self._task = task
        self._since: float | None = None  # when the current wait began; None while not waiting
        self._expired = False
        self._handle: asyncio.TimerHandle | None = None

    async def wait(self, awaitable: Awaitable[T]) -> T:
        """What ``awaitable`` gives; TimeoutError when that takes longer than ``seconds``."""
        self._since = now = self._loop.time()
        if self._handle is None:
            self._handle = self._loop.call_at(now + self.seconds, self._fire)
        try:
            return await awaitable
        except asyncio.CancelledError:
            # Our cancellation and nobody else's (a Ctrl-C stays a cancellation).
            if self._expired and self._task.uncancel() == 0:
                self._expired = False
                raise TimeoutError from None
            raise
        finally:
            self._since = None

    def _fire(self) -> None:
        self._handle = None
        if self._since is None:
            return  # not waiting: the next wait arms the timer again
        due = self._since + self.seconds
        if self._loop.time() >= due:
            self._expired = True
            self._task.cancel()
        else:
            self._handle = self._loop.call_at(due, self._fire)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
