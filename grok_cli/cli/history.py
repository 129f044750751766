"""`grok history`: list, show, search, export and remove recorded conversations.

Data goes to stdout (tab-separated rows in a pipe, aligned columns on a terminal, or JSON with
``--json``); confirmations go to stderr. ID is a full id, a unique prefix, or `last`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from grok_cli.cli.context import state
from grok_cli.io import IO

if TYPE_CHECKING:
    from grok_cli.history import ConversationRecord, History, TurnRecord
    from grok_cli.sinks.style import Style

app = typer.Typer(
    help="""The local history of conversations (history.db in the data dir).

\b
Examples:
  grok history                              the latest conversations
  grok history show last --last-answer      the last answer again, for a pipe
  grok history search "regular expression"  conversations that mention it
  grok history export 519dce3f --format md > chat.md
  grok history rm last --remote             forget it here and on grok.com
""",
    no_args_is_help=False,
    invoke_without_command=True,
    rich_markup_mode=None,
)

IdArg = Annotated[str, typer.Argument(metavar="ID", help="Conversation id, unique prefix, or `last`.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON on stdout (shapes: docs/output.md).")]
LimitOpt = Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many.")]


def _run(ctx: typer.Context, body: Callable[[IO], int | None]) -> None:
    from grok_cli.cli.runner import run_command

    st = state(ctx)
    run_command(st.io, st.debug, lambda: body(st.io))


@contextmanager
def _history(io: IO) -> Iterator[History | None]:
    """The history, or None when nothing was ever recorded; database errors become HistoryErrors."""
    from grok_cli.history import history_errors, open_history
    from grok_cli.paths import Dirs

    path = Dirs.from_env(io.environ).history_db
    history = open_history(path, create=False)
    try:
        with history_errors(path):
            yield history
    finally:
        if history is not None:
            history.close()


def _resolve(history: History | None, ref: str) -> str:
    from grok_cli.errors import UsageError

    found = history.resolve(ref) if history is not None else None
    if found is None:
        if ref.strip().lower() == "last":
            raise UsageError("The history has no conversation yet.", 'Start one with: grok ask "..."')
        raise UsageError(f"No conversation {ref!r} in the local history.", "`grok history list` shows them.")
    return found


def _load(io: IO, ref: str) -> tuple[ConversationRecord, list[TurnRecord]]:
    """One conversation and its turns, by id, prefix or `last`."""
    with _history(io) as history:
        conv_id = _resolve(history, ref)
        assert history is not None  # _resolve found it there
        conv, turns = history.conversation(conv_id), history.turns(conv_id)
    assert conv is not None
    return conv, turns


def _write_json(io: IO, obj: Any) -> None:
    io.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")
    io.stdout.flush()


def _out(io: IO, text: str) -> None:
    io.stdout.write(text)
    io.stdout.flush()


def _nothing(io: IO, message: str) -> None:
    """An empty result says so to a person at a terminal; a pipe gets no line at all."""
    if io.stdout_isatty:
        io.stderr.write(message + "\n")


def _safe(io: IO, text: str) -> str:
    """Recorded titles and answers are server text: on a terminal they must not drive it."""
    from grok_cli.sinks.style import neutralize

    return neutralize(text) if io.stdout_isatty else text


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


@app.callback()
def history(ctx: typer.Context) -> None:
    """The local history of conversations: `grok history` alone lists the newest."""
    if ctx.invoked_subcommand is None:
        _run(ctx, lambda io: _list(io, 20, False))


@app.command("list")
def list_(ctx: typer.Context, limit: LimitOpt = 20, as_json: JsonOpt = False) -> None:
    """Conversations, newest first."""
    _run(ctx, lambda io: _list(io, limit, as_json))


def _list(io: IO, limit: int, as_json: bool) -> int:
    from grok_cli.sinks.hint import SHORT_ID
    from grok_cli.sinks.style import Style
    from grok_cli.transcript import UNTITLED, local_time

    with _history(io) as history:
        convs = history.conversations(limit) if history is not None else []
    if as_json:
        _write_json(io, [c.to_json() for c in convs])
        return 0
    if not convs:
        _nothing(io, 'No conversations in the history yet; start one with: grok ask "..."')
    lines = []
    style = Style(io.color_stdout)
    for c in convs:
        title = _safe(io, _one_line(c.title) or UNTITLED)
        if io.stdout_isatty:
            private = " (private)" if c.private else ""
            when = local_time(c.updated)
            lines.append(f"{style.bold(c.id[:SHORT_ID])}  {when}  {c.model:<6} {c.turns:>3}  {title}{private}")
        else:
            lines.append("\t".join([c.id, c.updated, c.model, str(c.turns), title]))
    _out(io, "".join(line + "\n" for line in lines))
    return 0


@app.command()
def show(
    ctx: typer.Context,
    ref: IdArg,
    as_json: JsonOpt = False,
    last_answer: Annotated[
        bool, typer.Option("--last-answer", help="Only the last answer, exactly as received (for pipes).")
    ] = False,
) -> None:
    """One conversation, all its turns (or only the last answer)."""

    def body(io: IO) -> int:
        from grok_cli.errors import UsageError
        from grok_cli.transcript import as_text, conversation_json

        if as_json and last_answer:
            raise UsageError("--json and --last-answer cannot be used together.")
        conv, turns = _load(io, ref)
        if last_answer:
            answered = [t for t in turns if t.answer]
            if not answered:
                raise UsageError(f"The conversation {conv.id} has no answer yet.")
            answer = answered[-1].answer
            # Like `grok ask`: the answer as received, ended by a newline when it has none.
            _out(io, _safe(io, answer if answer.endswith("\n") else answer + "\n"))
        elif as_json:
            _write_json(io, conversation_json(conv, turns))
        else:
            _out(io, _safe(io, as_text(conv, turns)))
        return 0

    _run(ctx, body)


@app.command()
def search(
    ctx: typer.Context,
    text: Annotated[list[str], typer.Argument(help="Words that must all appear in a prompt or an answer.")],
    limit: LimitOpt = 20,
    as_json: JsonOpt = False,
) -> None:
    """Full-text search of prompts and answers, newest first."""

    def body(io: IO) -> int:
        from grok_cli.history import fts_query
        from grok_cli.sinks.hint import SHORT_ID
        from grok_cli.sinks.style import Style
        from grok_cli.transcript import UNTITLED, local_time

        query = " ".join(text).encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")
        fts_query(query)  # an empty search is a usage error even with no history yet
        with _history(io) as history:
            hits = history.search(query, limit) if history is not None else []
        if as_json:
            _write_json(io, [h.to_json() for h in hits])
            return 0
        if not hits:
            _nothing(io, "No conversation in the history matches.")
        style = Style(io.color_stdout)
        lines = []
        for h in hits:
            title = _safe(io, _one_line(h.title) or UNTITLED)
            if io.stdout_isatty:
                head = f"{style.bold(h.conversation_id[:SHORT_ID])}  {local_time(h.started)}  {title}"
                lines.append(f"{head}\n    {_highlight(_one_line(h.snippet), style)}")
            else:
                snippet = _one_line(h.snippet).replace("\x02", "").replace("\x03", "")
                lines.append("\t".join([h.conversation_id, h.started, title, snippet]))
        _out(io, "".join(line + "\n" for line in lines))
        return 0

    _run(ctx, body)


def _highlight(snippet: str, style: Style) -> str:
    """The matched words (between \\x02 and \\x03) in bold, everything neutralised."""
    from grok_cli.sinks.style import neutralize

    parts = re.split(r"\x02(.*?)\x03", snippet)
    # re.split puts the captured (matched) text at the odd positions.
    return "".join(style.bold(neutralize(p)) if i % 2 else neutralize(p) for i, p in enumerate(parts))


@app.command()
def export(
    ctx: typer.Context,
    ref: IdArg,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md (Markdown) or json.")] = "md",
) -> None:
    """One conversation as Markdown or JSON on stdout, with reasoning and sources."""

    def body(io: IO) -> int:
        from grok_cli.errors import UsageError
        from grok_cli.transcript import as_markdown, conversation_json

        if fmt not in ("md", "json"):
            raise UsageError(f"Unknown export format {fmt!r}.", "Use --format md or --format json.")
        conv, turns = _load(io, ref)
        if fmt == "json":
            _write_json(io, conversation_json(conv, turns))
        else:
            _out(io, _safe(io, as_markdown(conv, turns)))
        return 0

    _run(ctx, body)


@app.command()
def rm(
    ctx: typer.Context,
    refs: Annotated[list[str], typer.Argument(metavar="ID...", help="Conversation ids, unique prefixes, or `last`.")],
    remote: Annotated[bool, typer.Option("--remote", help="Also delete it on grok.com (to its trash).")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before deleting on grok.com.")] = False,
) -> None:
    """Remove conversations from the local history (and from grok.com with --remote).

    --remote asks first at a terminal; scripts confirm it with --yes.
    """

    def body(io: IO) -> int:
        from grok_cli.turn import FULL_ID

        with _history(io) as history:
            ids: dict[str, bool] = {}  # id -> known locally; two refs to one conversation: once
            for ref in refs:
                local = history.resolve(ref) if history is not None else None
                if local is None and not (remote and FULL_ID.match(ref.strip().lower())):
                    _resolve(history, ref)  # raises the usual "no conversation" error
                ids.setdefault(local or ref.strip().lower(), local is not None)
            if remote:
                from grok_cli.cli.confirm import confirm_destructive

                what = next(iter(ids)) if len(ids) == 1 else f"these {len(ids)} conversations"
                confirm_destructive(io, f"Delete {what} on grok.com too (to its trash)?", yes=yes)
            gone = _delete_remote(io, list(ids)) if remote else set()
            for conv_id, is_local in ids.items():
                if is_local:
                    assert history is not None
                    history.delete(conv_id)
                where = [w for w, done in (("locally", is_local), ("on grok.com", conv_id in gone)) if done]
                if where:
                    io.stderr.write(f"Deleted {conv_id} {' and '.join(where)}.\n")
        return 0

    _run(ctx, body)


def _delete_remote(io: IO, ids: list[str]) -> set[str]:
    """Move conversations to grok.com's trash; the ids it had."""
    from grok_cli.cli.runner import run_async
    from grok_cli.config import load_settings

    settings = load_settings({}, io.environ)

    async def delete() -> set[str]:
        from grok_cli.turn import open_client
        from grok_cli.errors import UsageError

        gone = set()
        async with open_client(io, settings) as client:
            for conv_id in ids:
                try:
                    await client.http.request_json("DELETE", f"/rest/app-chat/conversations/soft/{conv_id}")
                except UsageError:  # 404: already deleted there, or never saved (private)
                    io.stderr.write(f"grok.com does not know {conv_id}; nothing to delete there.\n")
                else:
                    gone.add(conv_id)
        return gone

    return run_async(delete)
