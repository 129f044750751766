"""Running `grok serve`: bind, say where once, serve until SIGTERM or Ctrl-C, then stop gently.

On a stop signal the listening socket closes at once; answers still streaming get
``GRACE_SECONDS`` to finish, then they are cancelled (their turns are kept in the history as
incomplete) and the process exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from dataclasses import dataclass, replace

from grok_cli.config import Settings
from grok_cli.errors import UsageError
from grok_cli.io import IO
from grok_cli.serve.keys import AccessKey

GRACE_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class ServeOptions:
    host: str
    port: int
    key: AccessKey
    concurrency: int
    queue_timeout: float
    cors_origin: str | None
    private: bool


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


async def run_server(io: IO, settings: Settings, options: ServeOptions) -> int:
    from aiohttp import web

    from grok_cli.serve.access import Access
    from grok_cli.serve.app import build_app
    from grok_cli.serve.limits import Limiter
    from grok_cli.serve.service import Service, log
    from grok_cli.turn import TurnRunner

    # Nobody watches the server's stderr as a terminal: no upload progress or notices drawn there,
    # only log lines.
    quiet = replace(io, stdin_isatty=False, stderr_isatty=False, color_stderr=False)
    async with TurnRunner(quiet, settings) as turns:
        client = await turns.client()  # no credentials: fails here, before listening
        limiter = Limiter(options.concurrency, options.queue_timeout)
        service = Service(quiet, settings, turns, client, limiter=limiter, private=options.private)
        access = Access(options.key, options.host, options.port, options.cors_origin)
        runner = web.AppRunner(
            build_app(service, access),
            access_log=None,
            handle_signals=False,
            handler_cancellation=True,  # a client that leaves cancels its turn
            shutdown_timeout=GRACE_SECONDS,
        )
        # Stop signals count from here on (a stop right after the ready line too), and a second
        # one during the grace period changes nothing.
        with _stop_signals() as stop:
            await runner.setup()
            try:
                site = web.TCPSite(runner, options.host, options.port)
                try:
                    await site.start()
                except OSError as e:
                    raise UsageError(
                        f"Cannot listen on {url_host(options.host)}:{options.port}: {e.strerror or e}.",
                        "Choose another --port (0 picks a free one) or --host.",
                    ) from None
                access.port = runner.addresses[0][1]  # the port bound, when 0 asked for any free one
                log(io, f"listening on http://{url_host(options.host)}:{access.port}/v1")
                await stop.wait()
                log(io, f"stopping: running answers get {GRACE_SECONDS:g} s to finish")
            finally:
                await runner.cleanup()
    return 0


@contextlib.contextmanager
def _stop_signals() -> Iterator[asyncio.Event]:
    """An event set by SIGTERM or SIGINT while the block runs."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        yield stop
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
