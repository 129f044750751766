"""Questions to the person at the terminal, and the rule for actions that cannot be undone."""

from __future__ import annotations

from grok_cli.errors import UsageError
from grok_cli.io import IO


def ask_yes(io: IO, question: str, *, default: bool) -> bool:
    """A yes/no question on stderr, answered on stdin; end of input (Ctrl-D) is a no."""
    io.stderr.write(f"{question} {'[Y/n]' if default else '[y/N]'} ")
    io.stderr.flush()
    line = io.stdin.readline()
    if not line:
        io.stderr.write("\n")
        return False
    answer = line.strip().lower()
    return default if not answer else answer in ("y", "yes")


def confirm_destructive(io: IO, question: str, *, yes: bool) -> None:
    """Go ahead only with --yes, or when the person at the terminal says yes.

    Without a terminal nobody can answer, and a script must say --yes: a prompt would block it,
    and going ahead silently would delete what a typo named."""
    if yes:
        return
    if not io.interactive:
        raise UsageError(f"{question.rstrip('?')}: this cannot be undone.", "Add --yes to confirm it without a terminal.")
    if not ask_yes(io, question, default=False):
        raise UsageError("Cancelled; nothing was deleted.")
