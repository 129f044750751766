"""The history sink: a turn is recorded as it streams and closed with the real outcome."""

import pytest

from grok_cli.errors import ExitStatus
from grok_cli.events import (
    Conversation,
    Done,
    Error,
    Image,
    Reasoning,
    SearchResult,
    SearchResults,
    Title,
    Token,
    UserTurn,
)
from grok_cli.history import open_history
from grok_cli.io import IO
from grok_cli.sinks.history import FLUSH_INTERVAL, HistorySink, turn_status

CONV = "c0ffee00-0000-4000-8000-000000000001"


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def path(tmp_path):
    return tmp_path / "history.db"


def make_sink(path, io=None, clock=None, **kw):
    io = io or IO.for_test()
    args = {"prompt": "why?", "private": False, "parent_response_id": None, **kw}
    return HistorySink(io, open_history(path), clock=clock or Clock(), **args)


def only_turn(path):
    h = open_history(path)
    (conv,) = h.conversations()
    (turn,) = h.turns(conv.id)
    return conv, turn


def test_the_row_exists_as_incomplete_once_the_conversation_is_known(path):
    clock = Clock()
    sink = make_sink(path, clock=clock)
    sink.on_event(Conversation(CONV, None, "expert"))
    sink.on_event(UserTurn("u1"))
    sink.on_event(Token("Part one"))
    conv, turn = only_turn(path)
    assert (conv.model, turn.status, turn.prompt, turn.user_response_id) == ("expert", "incomplete", "why?", "u1")
    assert turn.answer == ""  # tokens are written in batches...
    clock.now += FLUSH_INTERVAL
    sink.on_event(Token(", part two"))
    assert only_turn(path)[1].answer == "Part one, part two"  # ...at least once per interval


@pytest.mark.parametrize(
    "status, expected",
    [(ExitStatus.OK, "complete"), (ExitStatus.INTERRUPTED, "incomplete"), (ExitStatus.TERMINATED, "incomplete"),
     (ExitStatus.NETWORK, "incomplete"), (ExitStatus.UPSTREAM, "error"), (ExitStatus.AUTH, "error")],
)
def test_exit_status_decides_the_turn_status(status, expected):
    assert turn_status(status) == expected


def test_interrupted_turn_keeps_every_token(path):
    sink = make_sink(path)
    sink.on_event(Conversation(CONV, None, "fast"))
    for word in ("a", "b", "c"):
        sink.on_event(Token(word))
    sink.on_event(Done(CONV, "r1", "u1", "fast", "abc", complete=False))
    sink.close(ExitStatus.INTERRUPTED)
    _, turn = only_turn(path)
    assert (turn.status, turn.answer, turn.response_id, turn.error_code) == ("incomplete", "abc", "r1", None)
    assert turn.finished and turn.duration_ms is not None


def test_failed_turn_records_the_error(path):
    sink = make_sink(path)
    sink.on_event(Conversation(CONV, None, "fast"))
    sink.on_event(Token("half"))
    sink.on_event(Error("upstream", "Internal error", 7))
    sink.close(ExitStatus.UPSTREAM)
    _, turn = only_turn(path)
    assert (turn.status, turn.answer, turn.error_code, turn.error_message) == ("error", "half", "upstream", "Internal error")


def test_everything_of_a_complete_turn_is_recorded(path):
    clock = Clock()
    sink = make_sink(path, clock=clock, parent_response_id="r0", private=True)
    sink.on_event(Conversation(CONV, None, "expert"))
    sink.on_event(Reasoning("Thinking about it", "header"))
    sink.on_event(Reasoning("- step", "summary"))
    sink.on_event(SearchResults((SearchResult("https://e.org", "E", "prev"),)))
    clock.now += 0.25
    sink.on_event(Token("Answer"))
    sink.on_event(Image("img1", "https://assets/x.jpg"))
    sink.on_event(Title("A title"))
    sink.on_event(Done(CONV, "r1", "u1", "expert", "Answer", complete=True))
    sink.close(ExitStatus.OK)
    conv, turn = only_turn(path)
    assert (conv.title, conv.private) == ("A title", True)
    assert turn.reasoning == "Thinking about it\n- step"
    assert turn.web_results == [{"url": "https://e.org", "title": "E", "preview": "prev"}]
    assert turn.images == [{"image_id": "img1", "url": "https://assets/x.jpg", "path": None}]
    assert (turn.status, turn.parent_response_id, turn.first_token_ms) == ("complete", "r0", 250)


def test_nothing_is_recorded_before_a_conversation_exists(path):
    sink = make_sink(path)
    sink.on_event(Error("auth", "Bad credentials", 3))
    sink.close(ExitStatus.AUTH)
    assert open_history(path).conversations() == []


def test_a_failing_database_costs_one_warning_not_the_answer(path):
    io = IO.for_test()
    sink = make_sink(path, io=io)
    sink.on_event(Conversation(CONV, None, "fast"))
    sink.history.db.close()  # every later write fails
    sink.on_event(Title("t"))
    sink.on_event(Token("x"))
    sink.close(ExitStatus.OK)
    warnings = io.stderr.getvalue().splitlines()
    assert len(warnings) == 1 and "not saved in the history" in warnings[0]


def test_tee_closes_the_history_even_when_stdout_is_gone(path):
    from grok_cli.sinks.base import Tee

    class GoneStdout:
        def on_event(self, event):
            pass

        def close(self, status):
            raise BrokenPipeError

    sink = make_sink(path)
    tee = Tee(GoneStdout(), sink)
    tee.on_event(Conversation(CONV, None, "fast"))
    tee.on_event(Token("delivered"))
    with pytest.raises(BrokenPipeError):
        tee.close(ExitStatus.INTERRUPTED)
    assert only_turn(path)[1].answer == "delivered"


def test_another_writer_holding_the_lock_does_not_stall_the_stream(path):
    import sqlite3

    open_history(path).close()
    clock = Clock()
    sink = make_sink(path, clock=clock)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another grok in the middle of a write
    sink.on_event(Conversation(CONV, None, "fast"))
    sink.on_event(Token("Hello"))
    clock.now += FLUSH_INTERVAL
    sink.on_event(Token(" world"))  # a periodic flush: gives way again
    assert sink.turn_id is None and sink.history is not None  # postponed, not abandoned
    other.execute("COMMIT")
    other.close()
    sink.close(ExitStatus.OK)
    _, turn = only_turn(path)
    assert (turn.status, turn.answer) == ("complete", "Hello world")


def test_a_lock_that_is_never_released_costs_a_warning_not_a_hang(path, monkeypatch):
    import sqlite3

    from grok_cli.sinks import history as recorder

    monkeypatch.setattr(recorder, "FINAL_WAIT_S", 0.2)
    open_history(path).close()
    io = IO.for_test()
    sink = make_sink(path, io=io)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    sink.on_event(Conversation(CONV, None, "fast"))
    sink.on_event(Token("lost"))
    sink.close(ExitStatus.OK)
    other.execute("ROLLBACK")
    assert "not saved in the history" in io.stderr.getvalue()


def test_a_fast_answer_is_written_every_few_kilobytes_not_only_every_interval(path):
    from grok_cli.sinks.history import FLUSH_BYTES

    sink = make_sink(path)  # the clock never moves: only the amount of text can call for a write
    sink.on_event(Conversation(CONV, None, "fast"))
    piece = "x" * 1000
    for _ in range(FLUSH_BYTES // len(piece) + 1):
        sink.on_event(Token(piece))
    stored = only_turn(path)[1].answer
    assert stored and set(stored) == {"x"}  # a kill -9 now would lose only what came after it
    sink.on_event(Token("y"))
    sink.close(ExitStatus.INTERRUPTED)
    assert only_turn(path)[1].answer == piece * (FLUSH_BYTES // len(piece) + 1) + "y"


def test_streaming_writes_append_and_the_answer_is_searchable_once_finished(path):
    clock = Clock()
    sink = make_sink(path, clock=clock, prompt="about penguins")
    sink.on_event(Conversation(CONV, None, "fast"))
    sink.on_event(Reasoning("cold ", None))
    sink.on_event(Token("they live "))
    clock.now += FLUSH_INTERVAL
    sink.on_event(Token("in Antarctica"))
    history = open_history(path)
    assert [h.conversation_id for h in history.search("penguins")] == [CONV]  # the prompt at once
    assert history.search("antarctica") == []  # the answer once the turn is over
    clock.now += FLUSH_INTERVAL
    sink.on_event(Reasoning("places", None))
    sink.on_event(Token(", mostly"))
    sink.close(ExitStatus.OK)
    _, turn = only_turn(path)
    assert (turn.answer, turn.reasoning) == ("they live in Antarctica, mostly", "cold places")
    assert [h.conversation_id for h in history.search("antarctica mostly")] == [CONV]
