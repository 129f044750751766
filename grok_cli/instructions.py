"""Instructions (a system prompt): grok.com's custom instructions, from the command line.

``-s/--system TEXT`` or ``--system-file PATH`` for one run; ``GROK_SYSTEM`` or ``system`` in
config.toml as the default of new conversations (config.py). An empty value means none.
"""

from __future__ import annotations

from pathlib import Path

from grok_cli.errors import UsageError

# Far beyond what anyone types as instructions; a bound on what a mistaken path can pull in.
MAX_INSTRUCTIONS_BYTES = 64 * 1024


def read_instructions_file(path: Path) -> str:
    """The instructions in ``path``, UTF-8, at most MAX_INSTRUCTIONS_BYTES; "" when it is empty."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_INSTRUCTIONS_BYTES + 1)
    except OSError as e:
        raise UsageError(f"Cannot read the instructions file {path}: {e.strerror}.") from None
    if len(data) > MAX_INSTRUCTIONS_BYTES:
        raise UsageError(
            f"The instructions file {path} is larger than {MAX_INSTRUCTIONS_BYTES // 1024} KiB.",
            "Instructions are a few lines; attach longer material with -f.",
        )
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise UsageError(f"The instructions file {path} is not UTF-8 text.") from None


def instructions_flag(text: str | None, path: Path | None) -> str | None:
    """What ``-s`` or ``--system-file`` say: None when neither is given, "" for none."""
    if text is not None and path is not None:
        raise UsageError("--system and --system-file cannot be used together.")
    if path is not None:
        return read_instructions_file(path)
    return text.strip() if text is not None else None
