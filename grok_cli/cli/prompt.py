"""Composing the prompt from words, a prompt file and piped stdin (design.md section 2)."""

from __future__ import annotations

from pathlib import Path

from grok_cli.errors import UsageError
from grok_cli.io import IO
from grok_cli.reading import read_bounded, read_text_bounded, waiting_notice
from grok_cli.sinks.style import warn


def _text(io: IO, data: bytes, source: str) -> str:
    """Text for the prompt; bytes that are not UTF-8 (a Latin-1 log, a stray binary) become
    U+FFFD with a warning instead of failing the whole request."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        warn(io, f"{source} is not UTF-8; the undecodable bytes were replaced (attach binary files with -f).")
        return data.decode("utf-8", errors="replace")


def _read_stdin(io: IO) -> str:
    buffer = getattr(io.stdin, "buffer", None)
    with waiting_notice(io, "stdin"):
        if buffer is not None:
            return _text(io, read_bounded(buffer, "stdin"), "stdin")
        # A text stream without bytes underneath (tests); surrogates stand for undecodable bytes.
        text = read_text_bounded(io.stdin, "stdin")
    return _text(io, text.encode("utf-8", errors="surrogateescape"), "stdin")


def compose_prompt(io: IO, words: list[str], prompt_file: Path | None, *, command: str = "grok ask") -> str:
    """Piped stdin first, then the prompt file, then the words, separated by blank lines.

    ``-`` alone means "stdin only". A terminal on stdin is never read: it would block.
    ``command`` is what the user ran (`grok continue last`), for the hint of an empty prompt.
    """
    stdin_only = words == ["-"]
    if stdin_only:
        words = []
    parts: list[str] = []
    if not io.stdin_isatty and io.stdin is not None:
        piped = _read_stdin(io)
        if piped.strip():
            parts.append(piped.rstrip("\n"))
    elif stdin_only:
        raise UsageError("`-` reads the prompt from stdin, but stdin is a terminal.", "Pipe the prompt in.")
    if prompt_file is not None:
        try:
            with waiting_notice(io, str(prompt_file)), prompt_file.open("rb") as f:
                data = read_bounded(f, f"The prompt file {prompt_file}")
        except OSError as e:
            raise UsageError(f"Cannot read the prompt file {prompt_file}: {e.strerror}.") from None
        parts.append(_text(io, data, f"The prompt file {prompt_file}").rstrip("\n"))
    if words:
        # Python hands over argv bytes that are not UTF-8 as surrogates; see _text.
        parts.append(_text(io, " ".join(words).encode("utf-8", errors="surrogateescape"), "The prompt"))
    prompt = "\n\n".join(p for p in parts if p.strip())
    if not prompt.strip():
        raise UsageError("The prompt is empty.", f'Give a prompt: {command} "question", or pipe text in.')
    return prompt
