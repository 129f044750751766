"""The one place where outcomes become exit codes and messages on stderr.

Every command body runs inside ``run_command``: a GrokError prints its message and hint and
exits with its status; Ctrl-C exits 130 and SIGTERM 143 (after the sinks were closed, so the
partial answer is on stdout); a closed stdout pipe ends quietly; anything else is a bug, shown
as one line unless ``--debug``.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import traceback
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn, TypeVar

import typer

from grok_cli.errors import ExitStatus, GrokError, LocalError, OutputError, output_failed
from grok_cli.io import IO
from grok_cli.sinks.style import Style, neutralize

T = TypeVar("T")
# Failures of the output itself (EBADF: the shell closed stdout, `>&-`).
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EBADF}


def render_error(io: IO, error: GrokError) -> None:
    style = Style(io.color_stderr)
    try:
        # Messages quote grok.com's own words, which must not drive the terminal.
        io.stderr.write(f"{style.error('Error:')} {neutralize(error.message)}\n")
        if error.hint:
            io.stderr.write(f"{style.dim(neutralize(error.hint))}\n")
        io.stderr.flush()
    except (OSError, ValueError):  # stderr is gone too (a hung-up terminal): the exit code remains
        pass


def silence_stdout(*, stderr_too: bool = False) -> None:
    # Python flushes stdout again at exit; point it at /dev/null so that flush cannot fail loudly.
    streams = (sys.stdout, sys.stderr) if stderr_too else (sys.stdout,)
    for stream in streams:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError, AttributeError):
            pass


def os_failure(io: IO, e: OSError) -> int:
    """The exit status of a failure of the machine, not of grok: a reader that left the pipe
    (`| head`) ends quietly; a full disk, a failing device or a closed stdout is "local"."""
    if isinstance(e, BrokenPipeError):
        silence_stdout()
        return int(ExitStatus.OK)
    if e.errno in _OUTPUT_ERRNOS:
        silence_stdout()
        render_error(io, output_failed(e))
    else:
        where = f" ({e.filename})" if e.filename else ""
        render_error(io, LocalError(f"{e.strerror or e}{where}."))
    return int(ExitStatus.LOCAL)


def run_command(io: IO, debug: bool, body: Callable[[], int | None]) -> NoReturn:
    try:
        code = int(body() or 0)
    except GrokError as e:
        if isinstance(e, OutputError):
            silence_stdout()
        render_error(io, e)
        if isinstance(e, HungUp):  # the terminal is gone: nothing more reaches it
            silence_stdout(stderr_too=True)
        code = int(e.status)
    except KeyboardInterrupt:
        io.stderr.write("Interrupted.\n")
        code = int(ExitStatus.INTERRUPTED)
    except OSError as e:
        code = os_failure(io, e)
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
    """``asyncio.run`` with SIGTERM and SIGHUP (a closed terminal, a dropped ssh) turned into a
    cancellation, like Ctrl-C already is: the sinks are closed and the partial answer is kept."""
    import asyncio  # here: commands that never await (models, history, config) skip its 20 ms

    async def main() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        received: list[signal.Signals] = []

        def on_signal(signum: signal.Signals) -> None:
            received.append(signum)
            if task is not None:
                task.cancel()

        for signum in _STOP_SIGNALS:
            try:
                loop.add_signal_handler(signum, on_signal, signum)
            except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
                pass
        try:
            return await make()
        except (asyncio.CancelledError, OSError):
            # After SIGHUP the terminal is gone, and writing what arrived to it fails: the signal
            # is what happened (the history has the answer either way).
            if received:
                raise _STOP_SIGNALS[received[0]]() from None
            raise

    return asyncio.run(main())


class Terminated(GrokError):
    status = ExitStatus.TERMINATED

    def __init__(self) -> None:
        super().__init__("Stopped by SIGTERM; what had arrived was kept.")


class HungUp(GrokError):
    status = ExitStatus.HANGUP

    def __init__(self) -> None:
        super().__init__("The terminal hung up (SIGHUP); what had arrived was kept.")


_STOP_SIGNALS: dict[signal.Signals, type[GrokError]] = {signal.SIGTERM: Terminated}
if hasattr(signal, "SIGHUP"):  # not on Windows
    _STOP_SIGNALS[signal.SIGHUP] = HungUp
