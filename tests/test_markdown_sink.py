"""The block splitter and the Markdown sink, without a terminal (a tiny emulator stands in)."""

import os
import re

from hypothesis import given
from hypothesis import strategies as st

from grok_cli.cli.frontend import ChatOptions, select_sink
from grok_cli.errors import ExitStatus
from grok_cli.events import Reasoning, Token
from grok_cli.io import IO
from grok_cli.sinks.blocks import BlockSplitter
from grok_cli.sinks.markdown import MarkdownSink
from grok_cli.sinks.plain import PlainSink
from grok_cli.testing import markdown_answer

ESC = "\x1b"
ERASE = re.compile(r"\r\x1b\[(\d+)A\x1b\[J")
SGR_OR_LINK = re.compile(r"\x1b\[[0-9;]*m|\x1b\]8;[^\x1b]*\x1b\\")


def split_all(text: str, pieces: list[int] | None = None) -> list[str]:
    splitter = BlockSplitter()
    blocks: list[str] = []
    cuts = pieces or [1] * len(text)
    at = 0
    for size in cuts:
        blocks += splitter.feed(text[at : at + size])
        at += size
    blocks += splitter.feed(text[at:])
    rest = splitter.finish()
    return blocks + ([rest] if rest else [])


# ---------------------------------------------------------------------------------------------
# BlockSplitter


def test_blocks_end_at_blank_lines():
    assert split_all("# Title\n\nSome text\nmore.\n\n- a\n- b") == ["# Title", "Some text\nmore.", "- a\n- b"]


def test_blank_lines_inside_a_fence_do_not_end_the_block():
    text = "```python\nx = 1\n\n\ny = 2\n```\n\nafter"
    assert split_all(text) == ["```python\nx = 1\n\n\ny = 2\n```", "after"]


def test_tilde_fences_and_longer_closing_fences():
    text = "~~~\na\n\nb\n~~~~\n\nnext"
    assert split_all(text) == ["~~~\na\n\nb\n~~~~", "next"]


def test_an_indented_line_after_a_blank_continues_the_block():
    text = "1. item\n\n   more of item one\n2. two\n\nend"
    assert split_all(text) == ["1. item\n\n   more of item one\n2. two", "end"]


def test_a_block_is_released_as_soon_as_the_next_one_starts():
    splitter = BlockSplitter()
    assert splitter.feed("first\n\n") == []
    assert splitter.pending == "first"
    assert splitter.feed("s") == ["first"]
    assert splitter.pending == "s"


@given(st.lists(st.integers(min_value=1, max_value=9), max_size=200))
def test_how_the_stream_is_cut_does_not_change_the_blocks(cuts):
    text = markdown_answer(3)
    assert split_all(text, cuts) == split_all(text, [len(text)])
    assert "\n\n".join(split_all(text, cuts)) == text


def test_the_tail_of_a_long_block_keeps_its_table_header_and_open_fence():
    splitter = BlockSplitter()
    splitter.feed("| a | b |\n|---|---|\n" + "".join(f"| {n} | x |\n" for n in range(500)))
    assert splitter.tail(10_000, 5) == "| a | b |\n|---|---|\n" + "".join(f"| {n} | x |\n" for n in range(495, 500)).strip()
    fenced = BlockSplitter()
    fenced.feed("Code:\n```python\n" + "".join(f"x = {n}\n" for n in range(500)) + "y = 'unfinished")
    assert fenced.tail(60, 100).splitlines() == ["Code:", "```python", *(f"x = {n}" for n in range(495, 500)), "y = 'unfinished"]
    assert fenced.tail(10_000, 1_000) == fenced.pending  # short enough: the block itself
    one_line = BlockSplitter()
    one_line.feed("word " * 1000)
    assert one_line.tail(100, 10) in ("word " * 1000).strip() and len(one_line.tail(100, 10)) < 100


# ---------------------------------------------------------------------------------------------
# MarkdownSink


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def terminal_io(color: bool, columns: int = 80, lines: int = 24) -> tuple[IO, Clock]:
    io = IO.for_test(tty=True, color=color)
    clock = Clock()
    io.monotonic = clock
    io.terminal_size = lambda: os.terminal_size((columns, lines))
    return io, clock


def screen(output: str) -> list[str]:
    """What a terminal shows after ``output``, for the cursor moves the sink uses."""
    rows: list[str] = []
    for n, part in enumerate(ERASE.split(output)):
        if n % 2:
            del rows[len(rows) - int(part) :]
        else:
            rows += SGR_OR_LINK.sub("", part).split("\n")[:-1] if part else []
    return rows


def stream(sink: MarkdownSink, clock: Clock, text: str, step: float = 0.05) -> None:
    for piece in re.findall(r"\s*\S{1,4}|\s+", text):
        clock.now += step
        sink.on_event(Token(piece))
    sink.close(ExitStatus.OK)


def test_streamed_rendering_ends_as_the_answer_rendered_once():
    text = markdown_answer(2)
    io, clock = terminal_io(color=True)
    sink = MarkdownSink(io)
    stream(sink, clock, text)
    once_io, once_clock = terminal_io(color=True)
    once = MarkdownSink(once_io)
    once.on_event(Token(text))
    once.close(ExitStatus.OK)
    assert ERASE.search(io.stdout.getvalue()), "the block in progress was never redrawn"
    assert screen(io.stdout.getvalue()) == screen(once_io.stdout.getvalue())
    shown = screen(once_io.stdout.getvalue())
    assert shown[0].strip() == "Heading 1" and " • second item" in shown
    assert ' def greet(name: str) -> str:' in [line.rstrip() for line in shown]


def test_redraws_cost_stays_linear_in_the_answer():
    text = markdown_answer(1).replace("A paragraph", "A paragraph " + "word " * 400)
    io, clock = terminal_io(color=True)
    stream(MarkdownSink(io), clock, text, step=0.2)  # slow enough for every token to be redrawn
    once_io, _ = terminal_io(color=True)
    once = MarkdownSink(once_io)
    once.on_event(Token(text))
    once.close(ExitStatus.OK)
    assert len(io.stdout.getvalue()) < 8 * len(once_io.stdout.getvalue())


def test_the_block_in_progress_shows_at_most_a_screenful():
    io, clock = terminal_io(color=True, columns=40, lines=10)
    sink = MarkdownSink(io)
    for n in range(60):
        clock.now += 1
        sink.on_event(Token(f"line {n} of a long paragraph that wraps\n"))
    drawn = [int(n) for n in ERASE.findall(io.stdout.getvalue())]
    assert drawn and max(drawn) <= 9


def test_without_colour_not_one_escape_code_is_written():
    io, clock = terminal_io(color=False)
    sink = MarkdownSink(io)
    stream(sink, clock, markdown_answer(2) + "\n\nSee [the docs](https://example.org) and **this**.")
    out = io.stdout.getvalue()
    assert ESC not in out
    assert " • first item" in out and "the docs" in out and "**" not in out
    assert out.count("Heading 1") == 1  # written once, when finished


def test_stderr_output_first_erases_the_block_in_progress():
    io, clock = terminal_io(color=True)
    sink = MarkdownSink(io)
    clock.now = 1
    sink.on_event(Token("Some text in progress"))
    assert "Some text" in io.stdout.getvalue()
    sink.on_event(Reasoning("Thinking", "header"))
    assert io.stdout.getvalue().endswith("\r\x1b[1A\x1b[J")
    assert "Thinking" in io.stderr.getvalue()


def test_markup_like_brackets_survive():
    io, clock = terminal_io(color=False)
    sink = MarkdownSink(io)
    stream(sink, clock, "An array [1, 2] and [bold]x[/bold].")
    assert "An array [1, 2] and [bold]x[/bold]." in io.stdout.getvalue()


def test_control_characters_from_the_server_are_neutralised():
    io, clock = terminal_io(color=True)
    sink = MarkdownSink(io)
    stream(sink, clock, "evil \x1b]0;title\x07 text")
    assert "\x1b]0;" not in io.stdout.getvalue()


def options(**kw) -> ChatOptions:
    base = dict(prompt=["x"], jsonl=False, model=None, prompt_file=None, timeout=None, proxy=None)
    return ChatOptions.from_flags(**{**base, **kw})


def test_markdown_only_on_a_terminal_and_not_with_plain():
    tty_color, _ = terminal_io(color=True)
    tty_mono, _ = terminal_io(color=False)
    pipe = IO.for_test(tty=False, color=True)  # FORCE_COLOR on a pipe: still raw text
    assert isinstance(select_sink(tty_color, options()), MarkdownSink)
    assert type(select_sink(tty_color, options(), "plain")) is PlainSink
    assert type(select_sink(tty_mono, options())) is PlainSink
    assert isinstance(select_sink(tty_mono, options(), "markdown"), MarkdownSink)
    assert type(select_sink(pipe, options(), "markdown")) is PlainSink


def test_an_interrupted_answer_keeps_the_block_in_progress():
    io, clock = terminal_io(color=True)
    sink = MarkdownSink(io)
    for piece in ("# Title\n\nThe first half", " of a sentence"):
        clock.now += 1
        sink.on_event(Token(piece))
    sink.close(ExitStatus.INTERRUPTED)
    assert [line.strip() for line in screen(io.stdout.getvalue())] == ["Title", "", "The first half of a sentence"]


def test_after_a_resize_nothing_is_erased_blindly():
    io, clock = terminal_io(color=True, columns=80)
    sink = MarkdownSink(io)
    clock.now = 1
    sink.on_event(Token("A block in progress"))
    drawn = len(io.stdout.getvalue())
    io.terminal_size = lambda: os.terminal_size((50, 24))
    sink.close(ExitStatus.OK)
    assert not ERASE.search(io.stdout.getvalue()[drawn:])
    assert io.stdout.getvalue()[drawn:].strip().endswith("A block in progress")


def test_redrawing_a_long_block_renders_only_its_end():
    io, clock = terminal_io(color=True, columns=40, lines=10)
    sink = MarkdownSink(io)
    rendered: list[str] = []
    render = sink._render
    sink._render = lambda source: rendered.append(source) or render(source)
    sink.on_event(Token("```python\n"))
    for n in range(600):
        clock.now += 1
        sink.on_event(Token(f"value_{n} = {n}\n"))
    redraws = list(rendered)
    assert len(redraws) > 100 and all(source.startswith("```python") for source in redraws)
    assert max(len(source) for source in redraws) < 2 * 40 * 10 + 20
    sink.close(ExitStatus.OK)
    final = rendered[-1]
    assert final.count("\n") == 600  # the finished block is rendered whole, once
