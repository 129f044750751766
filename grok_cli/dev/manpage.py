"""The man page, grok(1), written in roff from the Typer application itself.

Commands, their usage, arguments and options come from ``typer.main.get_command(app)``; the
environment from the settings table in config.py; the exit statuses from errors.ExitStatus.
Only the prose that exists nowhere else lives here.
"""

from __future__ import annotations

import re
import textwrap

import typer

from grok_cli import __version__
from grok_cli.config import KEYS
from grok_cli.errors import ExitStatus

# The date of the page's last real change. mandoc wants one; a date generated at build time would
# make the committed page differ from a fresh one every day.
PAGE_DATE = "2026-11-24"

EXIT_STATUS = {
    ExitStatus.OK: "Success (also when a reader such as `head` closed the pipe early).",
    ExitStatus.INTERNAL: "A bug in grok-cli; `--debug` shows the traceback.",
    ExitStatus.USAGE: "Bad arguments, unknown model, empty prompt, unknown conversation, invalid config file.",
    ExitStatus.AUTH: "No credentials, or grok.com says they are invalid: run `grok login`.",
    ExitStatus.BLOCKED: "Cloudflare challenge, anti-bot rejection, region or account block.",
    ExitStatus.RATE_LIMITED: "Usage limit reached, or HTTP 429 after retries.",
    ExitStatus.NETWORK: "Connection failure, idle timeout, HTTP 5xx after retries.",
    ExitStatus.UPSTREAM: (
        "grok.com reported an error in the stream, or the answer ended incomplete, or it refused an "
        "attached file (the message names it)."
    ),
    ExitStatus.LOCAL: (
        "A local file, device or database failed: a full disk, a closed standard output, an unusable "
        "history database. The answer is still kept in the history when it can be."
    ),
    ExitStatus.HANGUP: "The terminal hung up (SIGHUP); the partial answer was kept in the history.",
    ExitStatus.INTERRUPTED: "Interrupted by Ctrl-C; the partial answer was printed.",
    ExitStatus.TERMINATED: "Stopped by SIGTERM; the partial answer was printed.",
}

# Variables that are not settings (the settings' own come from config.KEYS).
OTHER_ENVIRONMENT = (
    ("GROK_HOME", "One directory for config, data and cache, instead of the platform's usual directories."),
    ("GROK_COOKIE", "Credentials for this run: a Cookie header or a bare sso token. Never stored."),
    ("GROK_USER_AGENT", "The User-Agent to send with `GROK_COOKIE` (the browser's that earned cf_clearance)."),
    ("GROK_LOGIN_URL", "The page `grok login --browser-login` opens (default: grok.com)."),
    ("GROK_LOGIN_HEADLESS", "`1`: run the browser login without a window (automated tests only)."),
    ("GROK_DEBUG", "Show tracebacks of bugs, like `--debug`."),
    ("GROK_SERVE_KEY", "The access key `grok serve` requires, like `--api-key`."),
    ("NO_COLOR", "When set and not empty: no colours, styles or other escape codes anywhere."),
    ("FORCE_COLOR", "When set and not empty: styles even when the output is not a terminal."),
    ("TERM", "`dumb` means no styles and no Markdown rendering."),
)

FILES = (
    ("$GROK_HOME/config.toml, ~/.config/grok-cli/config.toml",
     "Settings, top-level keys named like the variables without the prefix "
     "(see `grok config show`). Precedence: flag, environment, this file, default."),
    ("~/.config/grok-cli/credentials.json",
     "Credentials (mode 0600), used only where no OS keyring is available."),
    ("~/.local/share/grok-cli/history.db", "The local history of conversations."),
    ("~/.config/grok-cli/serve-key", "The access key `grok serve` generated (mode 0600)."),
    ("~/.cache/grok-cli/transports.json",
     "Which chat transport answered last, per account (named by a hash, no cookie): where `auto` starts."),
    ("~/.cache/grok-cli/doctor-*.json",
     "What `grok doctor` captured of a protocol mismatch, with cookies and tokens removed."),
)

EXTRA_EXAMPLES = (
    ("grok config set model expert", "Use Expert for every question from now on."),
    ("grok ask --plain \"Write a README\" > README.md", "Raw Markdown, even when run at a terminal."),
    ("python -m grok_cli.testing run -- grok ask \"Hello\"", "Try grok against the offline fake grok.com."),
)


def _escape(text: str) -> str:
    """Roff-safe text: backslashes, leading control characters, and `code` shown in bold."""
    text = text.replace("\\", "\\e")
    text = re.sub(r"`([^`]+)`", lambda m: "\\fB" + m.group(1).replace("-", "\\-") + "\\fR", text)
    return _protect(text)


def _code(text: str) -> str:
    """Commands to copy: ASCII minus signs, not hyphens."""
    return _protect(text.replace("\\", "\\e").replace("-", "\\-"))


def _protect(text: str) -> str:
    """A line starting with a dot or an apostrophe would be read as a request."""
    return "\n".join("\\&" + line if line.startswith((".", "'")) else line for line in text.split("\n"))


def _flow(text: str) -> str:
    """Running text, escaped, as source lines of at most 80 characters."""
    return _protect(textwrap.fill(_escape(" ".join(text.split())), width=80, break_on_hyphens=False))


def _option_name(text: str) -> str:
    """Option names and metavars: dashes as minus signs, names bold, metavars italic."""
    parts = []
    for word in text.split(", "):
        name, _, metavar = word.partition(" ")
        shown = "\\fB" + name.replace("-", "\\-") + "\\fR"
        parts.append(shown + (" \\fI" + _escape(metavar) + "\\fR" if metavar else ""))
    return ", ".join(parts)


def _help_paragraphs(text: str) -> list[str]:
    """Click help text as roff: ``\\b`` paragraphs keep their lines, others flow."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        if block.startswith("\b"):
            out.append(".PP\n.nf\n" + _code(block[1:].strip("\n")) + "\n.fi")
        elif block.strip():
            out.append(".PP\n" + _flow(block))
    if out:  # right after a heading, a paragraph macro is redundant
        out[0] = out[0].removeprefix(".PP\n")
    return out


def _params(command: typer.core.TyperCommand | typer.core.TyperGroup, ctx: typer.Context) -> list[str]:
    out: list[str] = []
    for param in command.params:
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, help_text = record
        out.append(f".TP\n{_option_name(names)}\n{_flow(help_text)}")
    return out


def _commands(group: typer.core.TyperGroup, ctx: typer.Context, path: str) -> list[str]:
    out: list[str] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        sub = typer.Context(command, info_name=name, parent=ctx)
        usage = " ".join(command.collect_usage_pieces(sub))
        if isinstance(command, typer.core.TyperGroup):
            out.append(f'.SS "{path} {name} COMMAND"')
            out += _help_paragraphs(command.help or "")
            out += _commands(command, sub, f"{path} {name}")
            continue
        out.append(f'.SS "{path} {name} {_escape(usage)}"')
        out += _help_paragraphs(command.help or "")
        out += _params(command, sub)
    return out


def _examples(root_help: str) -> list[tuple[str, str]]:
    """The examples the root help leads with (command, then what it does), and a few more."""
    block = root_help.split("Examples:", 1)[1].split("\n\n", 1)[0]
    found = []
    for line in block.strip("\n").splitlines():
        command, _, comment = line.strip().partition("   ")
        found.append((command.strip(), comment.strip()))
    return found + list(EXTRA_EXAMPLES)


def render(app: typer.Typer) -> str:
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    ctx = typer.Context(root, info_name="grok")
    help_text = root.help or ""
    summary = help_text.split("\n", 1)[0].rstrip(".")
    lines = [
        '.\\" Generated from the grok command by `python -m grok_cli.dev`; do not edit.',
        f'.TH GROK 1 "{PAGE_DATE}" "grok-cli {__version__}" "User Commands"',
        ".nh",  # no hyphenation: names and paths must stay whole
        ".ad l",
        ".SH NAME",
        f"grok \\- {_escape(summary[0].lower() + summary[1:])}",
        ".SH SYNOPSIS",
        ".B grok",
        "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]...",
        ".SH DESCRIPTION",
        ".B grok",
        _flow(
            "talks to grok.com's own web chat API with your grok.com session. The answer goes to "
            "standard output (rendered as Markdown on a terminal, raw text in a pipe); reasoning, "
            "progress, warnings and errors go to standard error. It never prompts without a terminal."
        ),
        ".SH OPTIONS",
        *_params(root, ctx),
        ".SH COMMANDS",
        *_commands(root, ctx, "grok"),
        ".SH ENVIRONMENT",
    ]
    for key in KEYS:
        if key.env:
            lines += [".TP", f".B {key.env}", _flow(f"{key.help[0].upper()}{key.help[1:]} (setting `{key.name}`).")]
    for name, meaning in OTHER_ENVIRONMENT:
        lines += [".TP", f".B {name}", _flow(meaning)]
    lines.append(".SH FILES")
    for name, meaning in FILES:
        lines += [".TP", f".I {name}", _flow(meaning)]
    lines.append(".SH EXIT STATUS")
    for status in ExitStatus:
        name = status.name.lower().replace("_", " ")
        lines += [".TP", f".B {int(status)}", _flow(f"{name}: {EXIT_STATUS[status]}")]
    lines.append(".SH EXAMPLES")
    for n, (command, comment) in enumerate(_examples(help_text)):
        if n:
            lines.append(".PP")
        if comment:
            lines.append(_flow(comment[0].upper() + comment[1:] + ("" if comment.endswith(".") else ".")))
        lines += [".RS", ".nf", _code(command), ".fi", ".RE"]
    lines += [".SH SEE ALSO", "The README and docs/ of grok-cli, and \\fBgrok \\fICOMMAND\\fB \\-\\-help\\fR."]
    return "\n".join(lines) + "\n"
