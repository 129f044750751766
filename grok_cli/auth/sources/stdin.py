"""`grok login --cookie-stdin`: a Cookie header, ``sso=...`` pairs or a bare token on stdin.

Never from argv: a value there lands in shell history and in every process listing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TextIO

from grok_cli.auth.credentials import Credentials, parse_cookie_text
from grok_cli.errors import UsageError

# A copied Cookie header is a few KB at most; more than this is not a cookie.
MAX_BYTES = 64 * 1024


def read_cookie_stdin(
    stdin: TextIO, *, isatty: bool, user_agent: str | None, paste: Callable[[], str] | None = None
) -> Credentials:
    """The credentials piped in; at a terminal, those ``paste`` asks for (hidden), if given."""
    if isatty and paste is None:
        raise UsageError(
            "--cookie-stdin reads the cookie from a pipe, not from the terminal.",
            "For example: pbpaste | grok login --cookie-stdin   (or: grok login --cookie-stdin < cookie.txt)",
        )
    text = paste() if isatty and paste is not None else stdin.read(MAX_BYTES + 1)
    if len(text) > MAX_BYTES:
        raise UsageError("stdin holds more than a Cookie header (over 64 KB).")
    creds = parse_cookie_text(text, source="stdin")
    if user_agent:
        creds = replace(creds, user_agent=user_agent)
    return creds
