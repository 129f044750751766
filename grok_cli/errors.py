"""Failures as values: each carries a one-line message, an optional hint and an exit status.

They are raised where the failure is understood and rendered once, by ``cli.runner``.
"""

from __future__ import annotations

from enum import IntEnum, unique


@unique
class ExitStatus(IntEnum):
    """The documented exit codes (design.md section 5); ``name.lower()`` is the JSONL error code."""

    OK = 0
    INTERNAL = 1
    USAGE = 2
    AUTH = 3
    BLOCKED = 4
    RATE_LIMITED = 5
    NETWORK = 6
    UPSTREAM = 7
    LOCAL = 8
    HANGUP = 129
    INTERRUPTED = 130
    TERMINATED = 143


class GrokError(Exception):
    status: ExitStatus = ExitStatus.INTERNAL

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    @property
    def code(self) -> str:
        return self.status.name.lower()


class UsageError(GrokError):
    status = ExitStatus.USAGE


class AuthError(GrokError):
    status = ExitStatus.AUTH

    def __init__(self, message: str, hint: str | None = "Run `grok login` to sign in again.") -> None:
        super().__init__(message, hint)


class BlockedError(GrokError):
    status = ExitStatus.BLOCKED


class RateLimitedError(GrokError):
    status = ExitStatus.RATE_LIMITED

    def __init__(self, message: str, hint: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after


class NetworkError(GrokError):
    status = ExitStatus.NETWORK


class StreamTimeoutError(NetworkError):
    """grok.com went silent for longer than the idle timeout, or a request timed out."""


class UpstreamError(GrokError):
    status = ExitStatus.UPSTREAM


class LocalError(GrokError):
    """A local file, device or database failed (a full disk, a closed stdout, an unreadable
    history): the environment's trouble, not a bug."""

    status = ExitStatus.LOCAL


class FileWriteError(LocalError):
    """grok could not write one of its own files (permissions, a full disk); the message names it."""


class OutputError(LocalError):
    """Writing to stdout failed: a full disk, a failing device, a closed descriptor."""


def output_failed(error: OSError) -> OutputError:
    return OutputError(f"Cannot write the output: {error.strerror or error}.")


class TransportGoneError(UpstreamError):
    """grok.com no longer accepts this transport or payload (e.g. "Please update your client")."""
