"""Running a command on a real terminal: a pseudo-terminal for exact bytes, tmux for the screen."""

from __future__ import annotations

import fcntl
import os
import shlex
import struct
import subprocess
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PtyResult:
    code: int
    output: bytes  # everything written to the terminal, as the terminal received it
    stderr: bytes  # stderr when it was a pipe


def run_in_pty(
    argv: list[str], env: dict[str, str], *, columns: int = 100, lines: int = 40, stderr_too: bool = False,
    timeout: float = 60,
) -> PtyResult:
    """Run ``argv`` with stdout (and with ``stderr_too`` stderr) on a new pseudo-terminal."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave if stderr_too else subprocess.PIPE, env=env,
    )
    os.close(slave)
    output = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the last writer closed the terminal
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(master)
    stderr = proc.stderr.read() if proc.stderr else b""
    code = proc.wait(timeout=timeout)
    return PtyResult(code, bytes(output), stderr)


class Tmux:
    """A command in a tmux window of a private server: type, press keys, read the screen."""

    def __init__(self, socket: Path, argv: list[str], env: dict[str, str], *, columns: int = 100,
                 lines: int = 50) -> None:
        self.base = ["tmux", "-S", str(socket), "-f", "/dev/null"]
        subprocess.run([*self.base, "new-session", "-d", "-x", str(columns), "-y", str(lines), *argv],
                       env=env, check=True)

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.base, "send-keys", *keys], check=True)

    def screen(self, styles: bool = False) -> str:
        styled = ["-e"] if styles else []
        return subprocess.run([*self.base, "capture-pane", "-p", *styled], capture_output=True, text=True).stdout

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 20) -> str:
        """The screen once ``predicate`` holds for it, or when ``timeout`` has passed."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if predicate(text) or time.monotonic() > deadline:
                return text
            time.sleep(0.05)

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True)


def tmux_screen(
    argv: list[str], env: dict[str, str], socket: Path, *, columns: int = 100, lines: int = 50, timeout: float = 30,
) -> tuple[int, str, str]:
    """Run ``argv`` in a tmux window; return its exit code, the screen as text, and with styles."""
    marker = "__grok_exit="
    script = f"{shlex.join(argv)} </dev/null; echo {marker}$?; exec sleep 600"
    tmux = Tmux(socket, ["sh", "-c", script], env, columns=columns, lines=lines)
    try:
        text = tmux.wait_for(lambda screen: marker in screen, timeout)
        styled = tmux.screen(styles=True)
    finally:
        tmux.close()
    assert marker in text, f"the command did not finish in {timeout}s:\n{text}"
    screen, _, rest = text.partition(marker)
    return int(rest.split()[0]), screen, styled


def answer_in_pty(argv: list[str], env: dict[str, str], prompt: bytes, answer: bytes, timeout: float = 30) -> PtyResult:
    """Run ``argv`` with stdin, stdout and stderr on a terminal; type ``answer`` once ``prompt``
    has appeared. ``output`` is everything the terminal showed."""
    master, slave = os.openpty()
    # A session of its own: no controlling terminal but this one (getpass would open /dev/tty).
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    output = bytearray()
    answered = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
            if not answered and prompt in output:
                os.write(master, answer)
                answered = True
    finally:
        os.close(master)
    return PtyResult(proc.wait(timeout=timeout), bytes(output), b"")
