"""`grok chat` end to end: on a real terminal (tmux) and with stdin as a pipe."""

import json
import shlex
import shutil

import pytest

from grok_cli.testing import short_answer
from grok_cli.testing.scenarios import instructions_answer

from .conftest import GROK
from .terminal import Tmux

EXIT = "__grok_exit="


def answered(text: str, prompt: str) -> bool:
    """The answer is on the screen, however the terminal's width wrapped it, and the prompt is
    back: what is typed before that reaches the terminal during the answer, not the editor."""
    return "".join(short_answer(prompt).split()) in "".join(text.split()) and text.rstrip().endswith(">")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is installed by .ci/run")
def test_a_terminal_chat_answers_stops_an_answer_and_leaves_with_ctrl_d(grok, grok_env, fake, tmp_path):
    # The window's size, said outright: a loaded machine may start grok before tmux has sized
    # its terminal, and the answers would then be laid out for 80 columns.
    env = {**grok_env, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "50"}
    # `trap :` keeps the shell alive through the Ctrl-C sent to its foreground process group.
    script = f"trap : INT; {shlex.join([GROK, 'chat'])}; echo {EXIT}$?; exec sleep 600"
    tmux = Tmux(tmp_path / "tmux", ["sh", "-c", script], env, columns=120, lines=50)
    try:
        assert "/help" in tmux.wait_for(lambda s: "/help" in s)
        tmux.keys("first question", "Enter")
        screen = tmux.wait_for(lambda s: answered(s, "first question"))
        assert answered(screen, "first question"), screen
        # M-Enter: Escape and Enter in one write, as a terminal sends Alt-Enter (two separate
        # keys, on a loaded machine, may arrive further apart than prompt_toolkit's Escape timeout).
        tmux.keys("second", "M-Enter", "on two lines", "Enter")
        screen = tmux.wait_for(lambda s: answered(s, "second\non two lines"))
        assert answered(screen, "second\non two lines"), screen
        tmux.keys("scenario:stall third", "Enter")
        # The answer has started: the message is on the screen with the answer's start after it
        # (the earlier answers begin with "Hello!" too). Before that the line editor still
        # reads the terminal, and a Ctrl-C there would be a key typed into it.
        tmux.wait_for(lambda s: "third" in s and "Hello!" in s.split("third", 1)[1])
        tmux.keys("C-c")
        screen = tmux.wait_for(lambda s: "Stopped" in s and s.rstrip().endswith(">"))
        assert "Stopped" in screen and screen.rstrip().endswith(">"), screen
        tmux.keys("C-d")
        screen = tmux.wait_for(lambda s: EXIT in s)
    finally:
        tmux.close()
    assert f"{EXIT}0" in screen, screen
    first, second, third = fake.chat_requests()
    assert second.path.endswith("/responses") and third.path.endswith("/responses")
    shown = json.loads(grok("history", "show", "last", "--json").stdout)
    turns = shown["turns"]
    assert [t["prompt"] for t in turns] == ["first question", "second\non two lines", "scenario:stall third"]
    assert [t["status"] for t in turns] == ["complete", "complete", "incomplete"]
    assert second.body["parentResponseId"] == turns[0]["response_id"]
    assert third.body["parentResponseId"] == turns[1]["response_id"]
    assert turns[2]["answer"].startswith("Hello!")


def test_piped_lines_are_messages_and_answers_are_separated_by_a_blank_line(grok, fake):
    r = grok("chat", input="q1\nq2\n")
    assert (r.code, r.stdout) == (0, f"{short_answer('q1')}\n\n{short_answer('q2')}\n"), r.stderr
    first, second = fake.chat_requests()
    assert second.body["parentResponseId"]  # the second line follows up on the first answer
    assert fake.conversations[second.path.split("/")[-2]]


@pytest.mark.parametrize("transport", ["rest", "ws"])
def test_system_changes_the_instructions_of_the_next_turn(grok, fake, transport):
    lines = ["scenario:instructions one", "/system Answer in French", "scenario:instructions two",
             "/system", "scenario:instructions three"]
    r = grok("chat", "-s", "Be brief", input="\n".join(lines) + "\n")
    assert r.code == 0, r.stderr
    assert r.stdout.split("\n\n") == [
        instructions_answer("Be brief"), instructions_answer("Answer in French"), instructions_answer("") + "\n",
    ]
    assert fake.instructions() == ["Be brief", "Answer in French", ""]


def test_chat_last_continues_what_ask_started_with_its_model(grok, fake, home):
    first = json.loads(grok("ask", "--jsonl", "-m", "expert", "hello").stdout.splitlines()[-1])
    r = grok("chat", "last", "--jsonl", input="and then?\n")
    assert r.code == 0, r.stderr
    done = json.loads(r.stdout.splitlines()[-1])
    assert done["type"] == "done" and done["conversation_id"] == first["conversation_id"]
    sent = fake.chat_requests()[-1].body
    assert sent["parentResponseId"] == first["response_id"] and sent["modeId"] == "expert"


def test_a_failed_turn_ends_a_piped_chat_with_its_exit_status(grok, fake):
    r = grok("chat", input="fine\nscenario:rate_limited no\nnever sent\n")
    assert r.code == 5 and short_answer("fine") in r.stdout
    assert "never sent" not in fake.prompts()


def test_piped_commands_attach_start_over_and_refuse_mistakes(grok, fake, tmp_path):
    (tmp_path / "notes.txt").write_text("some notes")
    r = grok("chat", input=f"one\n/attach {tmp_path / 'notes.txt'}\ntwo\n/new\nthree\n")
    assert r.code == 0, r.stderr
    one, two, three = fake.chat_requests()
    assert len(two.body["fileAttachments"]) == 1 and two.path.endswith("/responses")
    assert three.path.endswith("/new") and three.body["fileAttachments"] == []
    r = grok("chat", input="/bogus\nnever sent\n")
    assert r.code == 2 and "Unknown command /bogus" in r.stderr
    r = grok("chat", input="//etc is a path\n")
    assert fake.prompts()[-1] == "/etc is a path"


def test_a_line_over_the_bound_is_a_usage_error(grok, fake):
    r = grok("chat", input="x" * (1024 * 1024 + 1) + "\n")
    assert r.code == 2 and "longer than" in r.stderr
    assert fake.chat_requests() == []


def test_images_saves_the_conversations_images_and_history_shows_it_on_stderr(grok, fake, tmp_path):
    pics = tmp_path / "pics"
    lines = ["scenario:images_cards:png draw", f"/images {pics}", "scenario:images_cards:png more", "/history"]
    r = grok("chat", input="\n".join(lines) + "\n")
    assert r.code == 0, r.stderr
    saved = sorted(p.name for p in pics.iterdir())
    assert len(saved) == 4 and all(name.endswith(".png") for name in saved)  # two answers, two each
    assert "> scenario:images_cards:png more" in r.stderr and "> " not in r.stdout  # the transcript
