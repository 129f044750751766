"""`grok ask` on a real terminal (tmux and a pseudo-terminal) and in a pipe, end to end."""

import re
import shutil

import pytest

from grok_cli.testing import markdown_answer

from .conftest import GROK
from .terminal import run_in_pty, tmux_screen

# Real browsers and terminals: seconds per case.
pytestmark = pytest.mark.slow

ESC = b"\x1b"


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is installed by .ci/run")
def test_a_terminal_shows_the_answer_rendered_as_markdown(grok_env, fake, tmp_path):
    env = {**grok_env, "TERM": "xterm-256color"}
    code, screen, styled = tmux_screen([GROK, "ask", "scenario:markdown x"], env, tmp_path / "tmux")
    lines = [line.rstrip() for line in screen.splitlines()]
    assert code == 0, screen
    assert "Heading" in [line.strip() for line in lines] and "# Heading" not in screen  # a heading
    assert lines.count(" • second item") == 1  # a list, shown once
    assert " def greet(name: str) -> str:" in lines  # fenced code, fences gone
    assert '     return f"Hello, {name}!"' in lines
    assert "```" not in screen and "**bold**" not in screen and "A paragraph with bold text" in screen
    assert any(re.match(r"^ Earth +1$", line) for line in lines)  # a table
    assert "\x1b[" in styled  # styled on a terminal with colour


def test_a_long_answer_is_not_rendered_again_and_again(grok_env, fake):
    sections = 85
    answer = markdown_answer(sections)
    assert len(answer) > 20_000
    r = run_in_pty([GROK, "ask", f"scenario:markdown:{sections} x"], {**grok_env, "TERM": "xterm-256color"})
    assert r.code == 0, r.stderr
    # Rendered once, this answer is about 7 times its length (styles, code colours, padding);
    # re-rendering finished blocks would take hundreds of times.
    assert len(r.output) < 12 * len(answer)
    counts = [r.output.count(f"Heading {n}\x1b".encode()) + r.output.count(f"Heading {n} ".encode())
              for n in range(1, sections + 1)]
    assert min(counts) >= 1 and max(counts) <= 3


def test_piped_answer_is_the_raw_tokens_byte_for_byte(grok, fake):
    for env in ({}, {"FORCE_COLOR": "1", "GROK_RENDER": "markdown"}):
        r = grok("ask", "scenario:markdown x", env=env)
        assert (r.code, r.stdout) == (0, markdown_answer() + "\n")


def test_plain_flag_writes_raw_text_on_a_terminal(grok_env, fake):
    r = run_in_pty([GROK, "ask", "--plain", "scenario:markdown x"], grok_env)
    assert r.code == 0
    assert r.output == (markdown_answer() + "\n").replace("\n", "\r\n").encode()


@pytest.mark.parametrize(
    "extra, args",
    [({"NO_COLOR": "1"}, []), ({"TERM": "dumb"}, []), ({}, ["--no-color"]),
     ({"NO_COLOR": "1", "GROK_RENDER": "markdown"}, [])],
    ids=["NO_COLOR", "TERM=dumb", "--no-color", "NO_COLOR+markdown"],
)
def test_no_colour_means_no_escape_code_at_all(grok_env, fake, extra, args):
    env = {**grok_env, "TERM": "xterm-256color", "FORCE_COLOR": "1", **extra}
    prompt = "scenario:markdown See [the docs](https://example.org)"
    r = run_in_pty([GROK, *args, "ask", prompt], env, stderr_too=True)
    assert r.code == 0
    assert ESC not in r.output
    if extra.get("GROK_RENDER") == "markdown":
        assert b" \xe2\x80\xa2 first item" in r.output  # rendered, bullets and all, but unstyled


def test_reasoning_is_dim_on_a_terminal_and_plain_without_colour(grok_env, fake):
    styled = run_in_pty([GROK, "ask", "scenario:thinking x"], grok_env, stderr_too=True)
    assert styled.code == 0 and b"\x1b[2mThinking about your request" in styled.output
    bare = run_in_pty([GROK, "ask", "scenario:thinking x"], {**grok_env, "NO_COLOR": "1"}, stderr_too=True)
    assert bare.code == 0 and b"Thinking about your request" in bare.output and ESC not in bare.output


def test_force_color_styles_stderr_in_a_pipe_but_stdout_stays_raw(grok, fake):
    r = grok("ask", "scenario:thinking x", env={"FORCE_COLOR": "1"})
    assert r.code == 0 and "\x1b[2m" in r.stderr and "\x1b" not in r.stdout
    assert "\x1b" not in grok("ask", "scenario:thinking x").stderr


def test_a_thinking_line_shows_until_the_answer_starts_and_only_on_a_terminal(grok, grok_env, fake):
    r = run_in_pty([GROK, "ask", "scenario:slow:0.3 x"], {**grok_env, "NO_COLOR": "1"}, stderr_too=True)
    assert r.code == 0
    shown = r.output.index(b"thinking")
    assert r.output.index(b"Hello!") > shown
    erased = r.output.rindex(b"\r", 0, r.output.index(b"Hello!"))
    assert r.output[erased - 1:erased] == b" "  # cleared with spaces before the answer
    assert "thinking" not in grok("ask", "scenario:slow:0.3 x").stderr
