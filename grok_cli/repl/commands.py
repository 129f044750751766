"""The slash commands of `grok chat`: what there is, parsing a line, and completing one (pure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    arg: str  # what the argument is called in help, "" when it takes none
    help: str
    arg_required: bool = False


COMMANDS: tuple[Spec, ...] = (
    Spec("model", "NAME", "use this model from the next message on (no NAME: show the current one)"),
    Spec("system", "TEXT", "use these instructions from the next message on; no TEXT: none"),
    Spec("new", "", "start a new conversation"),
    Spec("attach", "FILE", "attach a file to the next message", arg_required=True),
    Spec("images", "DIR", "save the images of this conversation into DIR", arg_required=True),
    Spec("copy", "", "copy the last answer to the clipboard"),
    Spec("history", "", "show this conversation so far"),
    Spec("help", "", "list the commands and keys"),
    Spec("exit", "", "leave (also Ctrl-D, or Ctrl-C on an empty line)"),
)
BY_NAME = {c.name: c for c in COMMANDS}


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    arg: str  # stripped; "" when none was given


class CommandError(ValueError):
    """A line that starts like a command but is not a valid one; the message says why."""


def parse(line: str) -> Command | str:
    """A command, or the message to send. ``//text`` sends ``/text``: a message may start with a
    slash."""
    stripped = line.strip()
    if not stripped.startswith("/"):
        return line
    if stripped.startswith("//"):
        return line.lstrip()[1:]
    name, _, arg = stripped[1:].partition(" ")
    spec = BY_NAME.get(name.lower())
    if spec is None:
        matches = [c.name for c in COMMANDS if c.name.startswith(name.lower())] if name else []
        if len(matches) > 1:
            raise CommandError(f"/{name} could be {' or '.join('/' + m for m in matches)}.")
        if not matches:
            raise CommandError(f"Unknown command /{name}: /help lists them (start with // to send a slash).")
        spec = BY_NAME[matches[0]]
    arg = arg.strip()
    if spec.arg_required and not arg:
        raise CommandError(f"/{spec.name} needs {spec.arg}.")
    if not spec.arg and arg:
        raise CommandError(f"/{spec.name} takes no argument.")
    return Command(spec.name, arg)


def help_text(newline_key: str) -> str:
    width = max(len(c.name) + len(c.arg) for c in COMMANDS) + 3
    rows = [f"  /{(c.name + ' ' + c.arg).strip():<{width}}{c.help}" for c in COMMANDS]
    keys = [
        f"  {'Enter':<{width + 1}}send the message",
        f"  {newline_key:<{width + 1}}a new line in the message (pasted text keeps its lines)",
        f"  {'Ctrl-C':<{width + 1}}stop the answer; on an empty line, leave",
        f"  {'Ctrl-D':<{width + 1}}leave",
        f"  {'Up/Down':<{width + 1}}earlier messages, kept across sessions",
    ]
    return "\n".join(["Commands:", *rows, "", "Keys:", *keys, "", "Start a message with // to send a leading /."])


def complete_command(text: str) -> list[str]:
    """The commands a line typed so far may be completed to (only while typing the name)."""
    if not text.startswith("/") or " " in text:
        return []
    return [f"/{c.name}" for c in COMMANDS if c.name.startswith(text[1:].lower())]
