"""`grok serve`: an OpenAI-compatible API on this machine, answered through your grok.com session."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from grok_cli.cli.context import state
from grok_cli.cli.options import ProxyOpt, TimeoutOpt, TransportOpt
from grok_cli.io import IO

DEFAULT_PORT = 8765
DEFAULT_QUEUE_TIMEOUT = 60.0


def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; another than loopback needs --api-key.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port to listen on (0: any free one).")
    ] = DEFAULT_PORT,
    api_key: Annotated[
        Optional[str],
        typer.Option("--api-key", help="The key clients must send (GROK_SERVE_KEY; default: a generated, stored one)."),
    ] = None,
    show_key: Annotated[bool, typer.Option("--show-key", help="Print the access key on stdout and exit.")] = False,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=64, help="Answers streamed from grok.com at once.")
    ] = 2,
    queue_timeout: Annotated[
        float,
        typer.Option("--queue-timeout", min=0, help="Seconds a request waits for a free slot before a 429."),
    ] = DEFAULT_QUEUE_TIMEOUT,
    cors_origin: Annotated[
        Optional[str], typer.Option("--cors-origin", help="Let web pages from this origin call the API (CORS).")
    ] = None,
    private: Annotated[bool, typer.Option("--private", help="Private chats: grok.com keeps no history.")] = False,
    no_history: Annotated[
        bool, typer.Option("--no-history", help="Record nothing in the local history (GROK_HISTORY=0).")
    ] = False,
    timeout: TimeoutOpt = None,
    proxy: ProxyOpt = None,
    transport: TransportOpt = None,
) -> None:
    """Serve an OpenAI-compatible API (/v1) over your grok.com session.

    Tools that speak OpenAI (the openai SDK, llm, editors, agents) then use Grok:
    chat completions, the Responses API, image generation and the model list.
    Follow-up requests continue the grok.com conversation instead of resending it.

    \b
    Clients must send the access key: --api-key, GROK_SERVE_KEY, or the key
    generated on first start (`grok serve --show-key` prints it again).
      grok serve                                 http://127.0.0.1:8765/v1
      export OPENAI_API_KEY=$(grok serve --show-key)
      OPENAI_BASE_URL=http://127.0.0.1:8765/v1 my-tool
    """
    from grok_cli.cli.runner import run_command

    st = state(ctx)

    def body() -> int:
        return run_serve(
            st.io,
            host=host,
            port=port,
            api_key=api_key,
            show_key=show_key,
            concurrency=concurrency,
            queue_timeout=queue_timeout,
            cors_origin=cors_origin,
            private=private,
            no_history=no_history,
            flags={"timeout": timeout, "proxy": proxy, "transport": transport},
        )

    run_command(st.io, st.debug, body)


def run_serve(
    io: IO,
    *,
    host: str,
    port: int,
    api_key: str | None,
    show_key: bool,
    concurrency: int,
    queue_timeout: float,
    cors_origin: str | None,
    private: bool,
    no_history: bool,
    flags: dict[str, object],
) -> int:
    from grok_cli.config import load_settings
    from grok_cli.errors import UsageError
    from grok_cli.serve.keys import ENV, resolve_key

    settings = load_settings({**flags, "history": False if no_history else None}, io.environ)
    key = resolve_key(api_key, io.environ, settings.dirs)
    if show_key:
        if key.created:
            io.stderr.write(f"grok serve: new access key, kept in {key.path}\n")
        io.stdout.write(key.value + "\n")
        return 0
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        raise UsageError(
            "grok serve needs aiohttp, which is not installed.", "Install it with: pip install 'grok-cli[serve]'"
        ) from None
    import asyncio

    from grok_cli.serve.access import is_loopback
    from grok_cli.serve.server import ServeOptions, run_server

    if not is_loopback(host) and not key.explicit:
        raise UsageError(
            f"Listening on {host}, beyond this machine, needs a key you chose.",
            f"Give --api-key KEY or set {ENV}; clients send it as Authorization: Bearer KEY.",
        )
    if key.created:
        io.stderr.write(f"grok serve: new access key (kept in {key.path}): {key.value}\n")
    options = ServeOptions(host, port, key, concurrency, queue_timeout, cors_origin, private)
    return asyncio.run(run_server(io, settings, options))
