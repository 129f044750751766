"""Composing the prompt from words, a prompt file and piped stdin (design.md section 2)."""

from __future__ import annotations

from pathlib import Path

from grok_cli.errors import UsageError
from grok_cli.io import IO


def compose_prompt(io: IO, words: list[str], prompt_file: Path | None) -> str:
    """Piped stdin first, then the prompt file, then the words, separated by blank lines.

    ``-`` alone means "stdin only". A terminal on stdin is never read: it would block.
    """
    stdin_only = words == ["-"]
    if stdin_only:
        words = []
    parts: list[str] = []
    if not io.stdin_isatty and io.stdin is not None:
        piped = io.stdin.read()
        if piped.strip():
            parts.append(piped.rstrip("\n"))
    elif stdin_only:
        raise UsageError("`-` reads the prompt from stdin, but stdin is a terminal.", "Pipe the prompt in.")
    if prompt_file is not None:
        try:
            parts.append(prompt_file.read_text(encoding="utf-8").rstrip("\n"))
        except (OSError, UnicodeDecodeError) as e:
            raise UsageError(f"Cannot read the prompt file {prompt_file}: {e}.") from None
    if words:
        parts.append(" ".join(words))
    prompt = "\n\n".join(p for p in parts if p.strip())
    if not prompt.strip():
        raise UsageError("The prompt is empty.", 'Give a prompt: grok ask "question", or pipe text in.')
    return prompt
