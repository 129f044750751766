"""A recorded conversation as text to read, Markdown to keep, or JSON for scripts (pure functions).

The JSON shape is documented in docs/output.md ("grok history --json"): one object per conversation with its
turns in order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from grok_cli.history import ConversationRecord, TurnRecord

UNTITLED = "(untitled)"


def local_time(iso: str | None) -> str:
    """``2026-11-24T11:40:00.000Z`` as local ``2026-11-24 12:40``."""
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def conversation_json(conv: ConversationRecord, turns: list[TurnRecord]) -> dict[str, Any]:
    out = conv.to_json()
    out["turns"] = [t.to_json() for t in turns]
    return out


def _status_note(turn: TurnRecord) -> str:
    if turn.status == "incomplete":
        return "[incomplete: the answer was cut off]"
    if turn.status == "error":
        return f"[error: {turn.error_message or turn.error_code}]"
    return ""


def as_text(conv: ConversationRecord, turns: list[TurnRecord]) -> str:
    """For reading in a terminal or a pager: prompts quoted with "> ", answers as they came."""
    facts = [conv.id, conv.model, local_time(conv.created)] + (["private"] if conv.private else [])
    parts = [f"{conv.title or UNTITLED}\n{' · '.join(facts)}\n"]
    for turn in turns:
        quoted = "\n".join("> " + line if line else ">" for line in turn.prompt.splitlines())
        parts.append(quoted + "\n")
        if turn.answer:
            parts.append(turn.answer.rstrip("\n") + "\n")
        note = _status_note(turn)
        if note:
            parts.append(note + "\n")
    return "\n".join(parts)


def as_markdown(conv: ConversationRecord, turns: list[TurnRecord]) -> str:
    """For keeping: every turn with its reasoning, sources and images."""
    lines = [f"# {conv.title or UNTITLED}", ""]
    lines += [f"- Conversation: `{conv.id}`", f"- Model: {conv.model}", f"- Started: {local_time(conv.created)}"]
    if conv.private:
        lines.append("- Private: grok.com keeps no copy")
    instructions = ""
    for turn in turns:
        lines += ["", "## You", ""]
        if turn.instructions is not None and turn.instructions != instructions:
            # Said where they start or change: every turn after carries the same ones.
            instructions = turn.instructions
            quoted = [f"> {line}".rstrip() for line in instructions.strip().splitlines()]
            lines += (["> **Instructions:**", ">", *quoted] if quoted else ["> **No instructions**"]) + [""]
        lines += [turn.prompt.rstrip("\n"), "", "## Grok", ""]
        if turn.reasoning.strip():
            lines += ["<details><summary>Reasoning</summary>", "", turn.reasoning.strip(), "", "</details>", ""]
        if turn.answer:
            lines.append(turn.answer.rstrip("\n"))
        for image in turn.images:
            lines.append(f"![image]({image.get('path') or image.get('url')})")
        if turn.web_results:
            lines += ["", "Sources:"]
            lines += [f"{n}. [{r.get('title') or r.get('url')}]({r.get('url')})" for n, r in enumerate(turn.web_results, 1)]
        note = _status_note(turn)
        if note:
            lines += ["", f"*{note}*"]
    return "\n".join(lines).rstrip("\n") + "\n"
