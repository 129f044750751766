"""`grok chat`'s pure parts: slash commands, the state a turn is built from, the clipboard."""

import pytest

from grok_cli.events import Done
from grok_cli.repl import clipboard, commands
from grok_cli.repl.commands import Command, CommandError
from grok_cli.repl.session import ChatState


@pytest.mark.parametrize(
    "line, parsed",
    [
        ("hello", "hello"),
        ("/model expert", Command("model", "expert")),
        ("/MODEL  expert ", Command("model", "expert")),
        ("/sys Answer in French", Command("system", "Answer in French")),
        ("/system", Command("system", "")),
        ("/exit", Command("exit", "")),
        ("//etc/hosts is a path", "/etc/hosts is a path"),
        ("  not a /command", "  not a /command"),
    ],
)
def test_a_line_is_a_message_or_a_command(line, parsed):
    assert commands.parse(line) == parsed


@pytest.mark.parametrize(
    "line, words",
    [("/bogus", "Unknown command /bogus"), ("/h", "could be /history or /help"),
     ("/attach", "needs FILE"), ("/new please", "takes no argument")],
)
def test_mistaken_commands_say_what_is_wrong(line, words):
    with pytest.raises(CommandError, match=words):
        commands.parse(line)


def test_completion_offers_the_commands_by_prefix_and_help_lists_them_all():
    assert commands.complete_command("/h") == ["/history", "/help"]
    assert commands.complete_command("/model ex") == [] and commands.complete_command("hi") == []
    text = commands.help_text("Alt-Enter")
    assert all(f"/{c.name}" in text for c in commands.COMMANDS) and "Alt-Enter" in text


def test_the_next_turn_replies_to_the_last_answer_even_a_stopped_one():
    state = ChatState(instructions="Be brief")
    first = state.turn("one")
    assert (first.conversation, first.parent_response_id, first.instructions) == (None, None, "Be brief")
    state.answered(Done("c1", "r1", "u1", "fast", "answer one", True), [])
    second = state.turn("two")
    assert (second.conversation, second.parent_response_id, second.mode) == ("c1", "r1", "fast")
    state.answered(Done("c1", "r2", "u2", "fast", "half", False), [])
    assert state.turn("three").parent_response_id == "r2" and state.last_answer == "half"
    state.answered(Done(None, None, None, "fast", "", False), [])  # failed before anything came
    assert state.turn("four").parent_response_id == "r2"
    state.new_conversation()
    assert state.turn("five").conversation is None


def test_copy_without_a_clipboard_tool_says_so(tmp_path):
    with pytest.raises(clipboard.ClipboardError, match="No clipboard tool found"):
        clipboard.copy("text", {"PATH": str(tmp_path)})


def test_copy_uses_the_tool_there_is(tmp_path):
    tool = tmp_path / "pbcopy"
    tool.write_text(f"#!/bin/sh\ncat > {tmp_path / 'copied'}\n")
    tool.chmod(0o755)
    assert clipboard.copy("the answer ✓", {"PATH": f"{tmp_path}:/usr/bin:/bin"}) == "pbcopy"
    assert (tmp_path / "copied").read_text() == "the answer ✓"
