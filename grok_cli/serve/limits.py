"""At most ``concurrency`` upstream turns at once; the others wait their turn for a while.

The account's quota is the real limit, so the default is small. A request that waited the whole
queue timeout is told to come back (429 with Retry-After) instead of waiting forever.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from grok_cli.errors import RateLimitedError

BUSY_RETRY_AFTER = 5.0


class Limiter:
    def __init__(self, concurrency: int, queue_timeout: float) -> None:
        self.concurrency = concurrency
        self.queue_timeout = queue_timeout
        self._slots = asyncio.Semaphore(concurrency)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(self.queue_timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise RateLimitedError(
                f"grok serve is busy: {self.concurrency} answers are running and this request waited "
                f"{self.queue_timeout:g} s.",
                "Retry later, or start grok serve with a higher --concurrency.",
                retry_after=BUSY_RETRY_AFTER,
            ) from None
        try:
            yield
        finally:
            self._slots.release()
