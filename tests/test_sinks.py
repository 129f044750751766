import json

from grok_cli.errors import ExitStatus
from grok_cli.events import (
    FLUSH,
    Conversation,
    Done,
    Error,
    Image,
    RawFrame,
    Reasoning,
    ReasoningStatus,
    SearchResult,
    SearchResults,
    StreamWarning,
    Token,
    ToolCall,
    UserTurn,
)
from grok_cli.io import IO
from grok_cli.sinks.jsonl import JsonlSink
from grok_cli.sinks.plain import PlainSink
from grok_cli.sinks.raw import RawSink

EVENTS = [
    Conversation("c1", None, "expert"),
    UserTurn("u1"),
    Reasoning("Thinking about your request", "header"),
    Reasoning("- step one", "summary"),
    ToolCall("web_search", {"query": "moon distance"}, "t1"),
    SearchResults((SearchResult("https://e.org", "E", "p"),)),
    ReasoningStatus("Thought for 1.5s"),
    Token("About [384,400] km"),
    Token(" on average."),
    Image("i1", "https://assets/i1.jpg"),
    Done("c1", "a1", "u1", "expert", "About [384,400] km on average.", True),
]


def feed(sink, events, status=ExitStatus.OK):
    for e in events:
        sink.on_event(e)
    sink.close(status)


def test_plain_stdout_is_exactly_the_answer_plus_a_newline():
    io = IO.for_test()
    feed(PlainSink(io), EVENTS)
    assert io.stdout.getvalue() == "About [384,400] km on average.\n"
    err = io.stderr.getvalue()
    assert "Thinking about your request\n- step one\n" in err
    assert "> web_search: moon distance\n" in err
    assert "Thought for 1.5s\n" in err
    assert "\x1b[" not in err


def test_plain_without_reasoning_keeps_stderr_quiet():
    io = IO.for_test()
    feed(PlainSink(io, show_reasoning=False), EVENTS[:9])
    assert io.stderr.getvalue() == ""


def test_plain_answer_ending_in_newline_gets_no_extra_one():
    io = IO.for_test()
    feed(PlainSink(io), [Token("a\n")])
    assert io.stdout.getvalue() == "a\n"


def test_reasoning_is_dim_only_with_colour_and_terminal_text_is_neutralised():
    io = IO.for_test(tty=True, color=True)
    feed(PlainSink(io), [Reasoning("why", "summary"), Token("evil\x1b]0;title\x07 text")])
    assert io.stderr.getvalue().startswith("\x1b[2mwhy")
    assert "\x1b" not in io.stdout.getvalue()


def test_pipe_output_is_byte_for_byte():
    io = IO.for_test()
    feed(PlainSink(io), [Token("a\x1b[31mred\x1b[0m\r\n")])
    assert io.stdout.getvalue() == "a\x1b[31mred\x1b[0m\r\n"


def test_jsonl_is_one_typed_object_per_line_and_hides_internal_events():
    io = IO.for_test()
    feed(JsonlSink(io), EVENTS + [Error("upstream", "boom", 7), RawFrame("{}")])
    lines = [json.loads(line) for line in io.stdout.getvalue().splitlines()]
    types = [o["type"] for o in lines]
    assert types == [
        "conversation", "reasoning", "reasoning", "tool", "search_results",
        "reasoning_status", "token", "token", "image", "done", "error",
    ]
    assert lines[4]["results"] == [{"url": "https://e.org", "title": "E", "preview": "p"}]
    assert lines[-1] == {"type": "error", "code": "upstream", "message": "boom", "exit_code": 7}


def test_raw_prints_only_frames():
    io = IO.for_test()
    feed(RawSink(io), [RawFrame('{"a":1}'), Token("x"), RawFrame('data: {"b":2}')])
    assert io.stdout.getvalue() == '{"a":1}\ndata: {"b":2}\n'


class CountingStdout:
    def __init__(self):
        self.writes, self.flushes, self.text = 0, 0, ""

    def write(self, text):
        self.writes += 1
        self.text += text

    def flush(self):
        self.flushes += 1


def test_a_batch_is_one_write_and_one_flush_and_the_same_output_as_one_event_at_a_time():
    from grok_cli.events import FLUSH

    for make in (PlainSink, JsonlSink):
        batched, single = IO.for_test(), IO.for_test()
        batched.stdout = CountingStdout()
        batch = [Token(f"t{n} ") for n in range(50)] + [FLUSH]
        sink = make(batched)
        sink.on_events(batch)
        assert (batched.stdout.writes, batched.stdout.flushes) == (1, 1)
        sink.on_events(EVENTS[:-1] + [FLUSH])  # other events keep their place among the tokens
        sink.close(ExitStatus.OK)
        feed(make(single), batch + EVENTS[:-1] + [FLUSH])
        assert batched.stdout.text == single.stdout.getvalue()


def test_a_warning_is_one_stderr_line_in_every_output_and_an_event_in_jsonl():
    warning = StreamWarning("degraded_session", "expert answered without any reasoning\x1b[2J.")
    outputs = {}
    for name, make in (("plain", PlainSink), ("jsonl", JsonlSink), ("raw", RawSink)):
        io = IO.for_test()
        sink = make(io)
        sink.on_events([Token("ok"), warning, FLUSH])
        sink.close(ExitStatus.OK)
        lines = io.stderr.getvalue().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Warning: expert answered") and "\x1b" not in lines[0]
        outputs[name] = io.stdout.getvalue()
    assert outputs["plain"] == "ok\n" and outputs["raw"] == ""
    assert json.loads(outputs["jsonl"].splitlines()[1]) == {
        "type": "warning", "code": "degraded_session", "message": warning.message,
    }  # fmt: skip


def test_a_terminal_sees_thinking_until_the_answer_starts_and_then_only_the_answer():
    import asyncio

    from grok_cli.sinks.status import StatusLine, StatusSink

    async def answer(tty: bool) -> IO:
        io = IO.for_test(tty=tty)
        sink = StatusSink(PlainSink(io, show_reasoning=True), StatusLine(io))
        sink.on_events([Conversation("c1", None, "fast"), FLUSH])  # the request is out: waiting
        await asyncio.sleep(0.25)
        sink.on_events([Token("Hi")])
        sink.close(ExitStatus.OK)
        return io

    shown = asyncio.run(answer(tty=True))
    drawn, _, after = shown.stderr.getvalue().rpartition("\r")
    assert "thinking…" in drawn and after == ""  # erased, with spaces, before the answer came
    assert shown.stdout.getvalue() == "Hi\n"
    piped = asyncio.run(answer(tty=False))
    assert piped.stderr.getvalue() == "" and piped.stdout.getvalue() == "Hi\n"
