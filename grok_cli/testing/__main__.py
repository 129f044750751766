"""``python -m grok_cli.testing``: run the fake grok.com.

Three forms:

* ``python -m grok_cli.testing [--host H] [--port N] [--delay S] [--scenario NAME]`` serves in
  the foreground after printing one shell-evaluable line (``GROK_BASE_URL=... GROK_ASSETS_URL=...
  GROK_COOKIE='...'``) to stdout; SIGINT/SIGTERM stop it with exit status 0.
* ``python -m grok_cli.testing env [--host H] [--port N]`` prints ``export`` lines for a server
  that runs (or will run) on those ports, for ``eval`` in another shell.
* ``python -m grok_cli.testing run [--scenario NAME] -- CMD ARGS...`` runs CMD against a fresh
  server (with a temporary GROK_HOME unless one is set) and exits with CMD's status.

``--gone rest`` / ``--gone ws`` switch a chat transport off (see ``FakeGrok.gone``).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from importlib.util import find_spec
from types import FrameType
from typing import TYPE_CHECKING, Any

from .chunk_form import FORMS as HISTORY_FORMS
from .scenarios import SCENARIOS, UnknownScenario, parse
from .state import DEFAULT_DELAY, DEFAULT_UPLOAD_LIMIT, session_cookie

if TYPE_CHECKING:
    from .fake import FakeGrok

FORMS = """forms:
  python -m grok_cli.testing [OPTIONS]          serve until Ctrl-C; prints the GROK_* variables
  python -m grok_cli.testing env [--port N]     export lines for a server on port N, to eval
  python -m grok_cli.testing run [OPTIONS] -- CMD ARGS...
                                                run CMD against a throwaway server and GROK_HOME

a second shell:
  python -m grok_cli.testing --port 8765        # first shell
  eval "$(python -m grok_cli.testing env --port 8765)"; grok ask hi
"""
DEFAULT_PORT = 8765  # the env form's, and the docs'


def _scenario(value: str) -> str:
    try:
        parse(value)
    except UnknownScenario as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return value


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--delay", type=float, default=DEFAULT_DELAY, help=f"seconds between stream frames (default {DEFAULT_DELAY})"
    )
    parser.add_argument(
        "--scenario",
        type=_scenario,
        default="short",
        help=f"default scenario, NAME or NAME:PARAM (one of: {', '.join(SCENARIOS)})",
    )
    parser.add_argument("--strict-statsig", action="store_true", help="accept only computed, fresh x-statsig-id values")
    parser.add_argument(
        "--upload-limit", type=int, default=DEFAULT_UPLOAD_LIMIT, help="largest upload accepted, bytes (default 10 MiB)"
    )
    parser.add_argument(
        "--bad-credentials", action="store_true", help="refuse every session, as grok.com does once a login ended"
    )
    parser.add_argument(
        "--unknown-frames",
        action="store_true",
        help="put a frame of a shape grok does not know into every answer, as a protocol change would",
    )
    parser.add_argument(
        "--history-form",
        choices=HISTORY_FORMS,
        default="flat",
        help="how stored conversations come back: flat messages, or grok.com's 2026 chunk form",
    )
    parser.add_argument(
        "--gone",
        action="append",
        choices=("rest", "rest-404", "ws"),
        default=[],
        help="switch a chat transport off, as grok.com does when it retires one (repeatable)",
    )


def _fake(args: argparse.Namespace, **listen: Any) -> FakeGrok:
    """A server configured by the options both forms share (see _common)."""
    from .fake import FakeGrok

    srv = FakeGrok(
        delay=args.delay,
        scenario=args.scenario,
        strict_statsig=args.strict_statsig,
        upload_limit=args.upload_limit,
        **listen,
    )
    srv.gone = set(args.gone)
    srv.history_form = args.history_form
    srv.bad_credentials = args.bad_credentials
    srv.unknown_frames = args.unknown_frames
    return srv


def _env_line(srv: FakeGrok) -> str:
    return " ".join(f"{key}={shlex.quote(value)}" for key, value in srv.env().items())


def _listen_options(parser: argparse.ArgumentParser, port: int) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port, help=f"web origin port (default {port or 'any free one'})")
    parser.add_argument("--assets-port", type=int, help="assets origin port (default: the next one, or any)")


def _assets_port(args: argparse.Namespace) -> int:
    if args.assets_port is not None:
        return int(args.assets_port)
    return int(args.port) + 1 if args.port else 0


def env(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m grok_cli.testing env",
        description="Print export lines for a fake server on these ports, for eval in another shell.",
    )
    _listen_options(parser, DEFAULT_PORT)
    args = parser.parse_args(argv)
    values = {
        "GROK_BASE_URL": f"http://{args.host}:{args.port}",
        "GROK_ASSETS_URL": f"http://{args.host}:{_assets_port(args)}",
        "GROK_COOKIE": session_cookie(),
    }
    sys.stdout.write("".join(f"export {key}={shlex.quote(value)}\n" for key, value in values.items()))
    return 0


def serve(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m grok_cli.testing",
        description="Run the fake grok.com server.",
        epilog=FORMS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _listen_options(parser, 0)
    _common(parser)
    args = parser.parse_args(argv)
    args.assets_port = _assets_port(args)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    srv = _fake(args, host=args.host, port=args.port, assets_port=args.assets_port)
    try:
        srv.start()
    except OSError as e:
        sys.stderr.write(f"fake grok: cannot listen on {args.host}:{args.port}: {e.strerror or e}\n")
        return 1
    line = _env_line(srv)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    sys.stderr.write(f"fake grok.com serving at {srv.url} (assets {srv.assets_url}); Ctrl-C to stop\n")
    try:
        while not stop.wait(0.5):
            pass
    finally:
        srv.stop()
    return 0


def run(argv: Sequence[str]) -> int:
    argv = list(argv)
    parser = argparse.ArgumentParser(
        prog="python -m grok_cli.testing run",
        description="Run CMD with GROK_BASE_URL, GROK_ASSETS_URL and GROK_COOKIE pointing at a fresh fake server.",
    )
    _common(parser)
    if "--" in argv:
        cut = argv.index("--")
        args = parser.parse_args(argv[:cut])
        command = argv[cut + 1 :]
    else:
        parser.add_argument("command", nargs=argparse.REMAINDER)
        args = parser.parse_args(argv)
        command = args.command
    if not command:
        parser.error("missing command: python -m grok_cli.testing run [--scenario NAME] -- CMD ARGS...")

    home = None if os.environ.get("GROK_HOME") else tempfile.mkdtemp(prefix="grok-fake-home-")
    with _fake(args) as srv:
        env = {**os.environ, **srv.env()}
        if home is not None:
            env["GROK_HOME"] = home
        try:
            try:
                child = subprocess.Popen(command, env=env)
            except FileNotFoundError:
                sys.stderr.write(f"fake grok: command not found: {command[0]}\n")
                return 127
            except PermissionError:
                sys.stderr.write(f"fake grok: permission denied: {command[0]}\n")
                return 126
            # Ctrl-C reaches the child through the terminal's process group; SIGTERM is passed on.
            signal.signal(signal.SIGTERM, lambda signum, frame: child.send_signal(signal.SIGTERM))
            while True:
                try:
                    code = child.wait()
                    break
                except KeyboardInterrupt:
                    continue
        finally:
            if home is not None:
                shutil.rmtree(home, ignore_errors=True)
    return code if code >= 0 else 128 - code


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["env"]:
        return env(argv[1:])
    if find_spec("aiohttp") is None:
        sys.stderr.write(
            "The fake grok.com needs the testing extra: pip install 'grok-cli[testing]' "
            "(from a checkout: pip install -e '.[testing]').\n"
        )
        return 1
    if argv[:1] == ["run"]:
        return run(argv[1:])
    return serve(argv)


if __name__ == "__main__":
    sys.exit(main())
