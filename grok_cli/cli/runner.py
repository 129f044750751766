"""The one place where outcomes become exit codes and messages on stderr.

Every command body runs inside ``run_command``: a GrokError prints its message and hint and
exits with its status; Ctrl-C exits 130 and SIGTERM 143 (after the sinks were closed, so the
partial answer is on stdout); a closed stdout pipe ends quietly; anything else is a bug, shown
as one line unless ``--debug``.
"""

from __future__ import annotations

import asyncio
import errno
import os
import signal
import sys
import traceback
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn, TypeVar

import typer

from grok_cli.errors import ExitStatus, GrokError
from grok_cli.io import IO
from grok_cli.sinks.style import Style, neutralize

T = TypeVar("T")
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG}


class Terminated(GrokError):
    status = ExitStatus.TERMINATED


def render_error(io: IO, error: GrokError) -> None:
    style = Style(io.color_stderr)
    # Messages quote grok.com's own words, which must not drive the terminal.
    io.stderr.write(f"{style.error('Error:')} {neutralize(error.message)}\n")
    if error.hint:
        io.stderr.write(f"{style.dim(neutralize(error.hint))}\n")
    io.stderr.flush()


def _silence_stdout() -> None:
    # Python flushes stdout again at exit; point it at /dev/null so that flush cannot fail loudly.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def run_command(io: IO, debug: bool, body: Callable[[], int | None]) -> NoReturn:
    try:
        code = int(body() or 0)
    except GrokError as e:
        render_error(io, e)
        code = int(e.status)
    except KeyboardInterrupt:
        io.stderr.write("Interrupted.\n")
        code = int(ExitStatus.INTERRUPTED)
    except BrokenPipeError:
        _silence_stdout()
        code = int(ExitStatus.OK)
    except OSError as e:
        if e.errno not in _OUTPUT_ERRNOS:
            code = _internal(io, debug, e)
        else:  # a full disk or a failing device: the environment's trouble, not a bug
            _silence_stdout()
            render_error(io, GrokError(f"Cannot write the output: {e.strerror}."))
            code = int(ExitStatus.INTERNAL)
    except Exception as e:
        code = _internal(io, debug, e)
    raise typer.Exit(code)


def _internal(io: IO, debug: bool, e: Exception) -> int:
    if debug:
        traceback.print_exc(file=io.stderr)
    render_error(
        io,
        GrokError(
            f"Unexpected error: {type(e).__name__}: {e}",
            "This is a bug in grok-cli; please report it with the output of the same command run as "
            "`grok --debug ...` (or with GROK_DEBUG=1).",
        ),
    )
    return int(ExitStatus.INTERNAL)


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run`` with SIGTERM turned into a cancellation, like Ctrl-C already is."""

    async def main() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        terminated = False

        def on_sigterm() -> None:
            nonlocal terminated
            terminated = True
            if task is not None:
                task.cancel()

        try:
            loop.add_signal_handler(signal.SIGTERM, on_sigterm)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
            pass
        try:
            return await make()
        except asyncio.CancelledError:
            if terminated:
                raise Terminated("Stopped by SIGTERM; what had arrived was kept.") from None
            raise

    return asyncio.run(main())
