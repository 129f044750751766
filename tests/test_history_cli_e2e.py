"""`grok history` end to end: list, show, search, export and rm, with their JSON shapes."""

import json
import subprocess

import pytest

from grok_cli.history import open_history
from grok_cli.testing import short_answer

from .conftest import GROK
from .terminal import answer_in_pty, run_in_pty

# The documented shapes (docs/output.md, "grok history --json"): key -> allowed JSON types.
STR, NULL_STR, INT, NULL_INT, BOOL = (str,), (str, type(None)), (int,), (int, type(None)), (bool,)
CONVERSATION = {
    "conversation_id": STR, "title": NULL_STR, "model": STR, "private": BOOL,
    "created": STR, "updated": STR, "turns": INT,
}
TURN = {
    "user_response_id": NULL_STR, "response_id": NULL_STR, "parent_response_id": NULL_STR,
    "instructions": NULL_STR, "prompt": STR, "answer": STR, "reasoning": STR, "images": (list,), "web_results": (list,),
    "model": STR, "status": STR, "error": (dict, type(None)), "started": STR, "finished": NULL_STR,
    "first_token_ms": NULL_INT, "duration_ms": NULL_INT,
}
SEARCH_HIT = {"conversation_id": STR, "title": NULL_STR, "response_id": NULL_STR, "started": STR, "snippet": STR}


def check_shape(obj: dict, shape: dict) -> None:
    assert set(obj) == set(shape), set(obj) ^ set(shape)
    for key, types in shape.items():
        assert isinstance(obj[key], types) and not (isinstance(obj[key], bool) and bool not in types), key


def check_conversation(obj: dict) -> None:
    check_shape(obj, {**CONVERSATION, "turns": (list,)})
    for turn in obj["turns"]:
        check_shape(turn, TURN)
        assert turn["status"] in ("complete", "incomplete", "error")
        for r in turn["web_results"]:
            assert set(r) == {"url", "title", "preview"}
        for image in turn["images"]:
            assert set(image) == {"image_id", "url", "path"}
        if turn["error"] is not None:
            assert set(turn["error"]) == {"code", "message"}


def start(grok, *args) -> dict:
    r = grok("ask", "--jsonl", *args)
    assert r.code == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()][-1]


def test_list_is_newest_first_with_limit_and_json(grok, fake):
    ids = [start(grok, f"topic {n}")["conversation_id"] for n in range(3)]
    grok("continue", ids[0], "bump the oldest")
    r = grok("history", "list")
    assert r.code == 0 and r.stderr == ""
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    assert [row[0] for row in rows] == [ids[0], ids[2], ids[1]]
    assert rows[0][2:] == ["fast", "2", "Fake chat: topic 0"]
    listed = json.loads(grok("history", "list", "-n", "2", "--json").stdout)
    assert [c["conversation_id"] for c in listed] == [ids[0], ids[2]]
    for c in listed:
        check_shape(c, CONVERSATION)
    assert grok("history").stdout == r.stdout  # bare `grok history` lists


def test_empty_history_lists_nothing(grok, home):
    r = grok("history", "list", "--json")
    assert (r.code, json.loads(r.stdout)) == (0, [])
    assert not (home / "history.db").exists()


def test_show_prints_every_turn_and_json_has_the_documented_shape(grok, fake):
    conv = start(grok, "scenario:search what is new")["conversation_id"]
    grok("continue", "last", "scenario:thinking and then?")
    text = grok("history", "show", conv[:8])
    assert text.code == 0
    assert "> scenario:search what is new" in text.stdout and "> scenario:thinking and then?" in text.stdout
    data = json.loads(grok("history", "show", "last", "--json").stdout)
    check_conversation(data)
    first, second = data["turns"]
    assert first["web_results"] and second["reasoning"]
    assert second["parent_response_id"] == first["response_id"]


def test_last_answer_is_the_answer_as_ask_printed_it(grok_env, grok, fake):
    grok("ask", "one")
    asked = subprocess.run([GROK, "continue", "last", "two 😀 ünïcode"], capture_output=True, env=grok_env,
                           timeout=30)
    p = subprocess.run([GROK, "history", "show", "last", "--last-answer"], capture_output=True, env=grok_env,
                       timeout=30)
    # Byte for byte what `ask` printed: the answer, ended by a newline.
    assert p.stdout == asked.stdout == (short_answer("two 😀 ünïcode") + "\n").encode()


def test_incomplete_turns_are_marked_in_show(grok, fake):
    grok("ask", "scenario:truncated hi")
    out = grok("history", "show", "last").stdout
    assert "[error: The answer was cut off" in out


def test_search_finds_prompts_and_answers(grok, fake):
    a = start(grok, "the zebra question")["conversation_id"]
    start(grok, "something else")
    r = grok("history", "search", "zebra")
    assert r.code == 0
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    assert [row[0] for row in rows] == [a]  # one hit per turn, though prompt and answer both match
    assert "zebra" in rows[0][3]
    hits = json.loads(grok("history", "search", "--json", "offline", "server").stdout)
    assert len(hits) == 2
    for hit in hits:
        check_shape(hit, SEARCH_HIT)
    # Punctuation and FTS5 operators in the text are plain words, not query syntax.
    assert grok("history", "search", 'zebra" OR (NEAR').code == 0


def test_export_markdown_and_json(grok, fake):
    start(grok, "scenario:search export me")
    md = grok("history", "export", "last")
    assert md.code == 0
    assert md.stdout.startswith("# Earth–Moon distance\n") and "## You\n\nscenario:search export me" in md.stdout
    assert "Sources:\n1. [" in md.stdout
    check_conversation(json.loads(grok("history", "export", "last", "--format", "json").stdout))
    bad = grok("history", "export", "last", "--format", "pdf")
    assert bad.code == 2 and "pdf" in bad.stderr


def test_rm_of_one_conversation_named_twice_deletes_it_once(grok, fake):
    start(grok, "only one")
    r = grok("history", "rm", "last", "last")
    assert r.code == 0 and r.stderr.count("Deleted") == 1


def test_rm_remote_without_a_terminal_needs_yes(grok, fake):
    conv = start(grok, "keep me")["conversation_id"]
    r = grok("history", "rm", "--remote", conv)
    assert r.code == 2 and "--yes" in r.stderr
    assert not fake.conversations[conv].deleted and grok("history", "show", conv).code == 0


def test_rm_removes_locally_and_remote_goes_to_grok_trash(grok, fake, home):
    keep = start(grok, "keep me")["conversation_id"]
    local_only = start(grok, "drop me")["conversation_id"]
    r = grok("history", "rm", local_only[:8])
    assert r.code == 0 and r.stdout == "" and f"Deleted {local_only} locally." in r.stderr
    assert not fake.conversations[local_only].deleted
    r = grok("history", "rm", "--remote", "--yes", keep)
    assert r.code == 0 and "locally and on grok.com" in r.stderr
    assert fake.conversations[keep].deleted
    assert open_history(home / "history.db").conversations() == []
    assert grok("history", "search", "drop").stdout == ""  # the full-text index forgot it too


def test_unknown_and_ambiguous_ids(grok, fake):
    assert grok("history", "show", "last").code == 2
    start(grok, "x")
    r = grok("history", "show", "nope")
    assert r.code == 2 and "No conversation 'nope'" in r.stderr and r.stdout == ""


def test_last_answer_of_a_conversation_without_one_is_a_usage_error(grok, fake):
    assert grok("ask", "scenario:empty hi").code == 7  # the conversation exists, no answer came
    r = grok("history", "show", "last", "--last-answer")
    assert r.code == 2 and "has no answer yet" in r.stderr and r.stdout == ""


@pytest.mark.parametrize("answer, deleted", [(b"y\n", True), (b"\n", False)])
def test_rm_remote_asks_first_at_a_terminal(grok, grok_env, fake, answer, deleted):
    conv = start(grok, "ask me")["conversation_id"]
    r = answer_in_pty([GROK, "history", "rm", "--remote", conv], grok_env, b"[y/N]", answer)
    assert b"on grok.com too" in r.output
    assert (r.code == 0) is deleted and fake.conversations[conv].deleted is deleted


def test_an_empty_history_says_so_at_a_terminal_and_prints_nothing_in_a_pipe(grok, grok_env, fake):
    for args in (["history"], ["history", "search", "nothing"]):
        shown = run_in_pty([GROK, *args], grok_env)
        assert shown.code == 0 and b"No conversation" in shown.stderr, shown
        piped = grok(*args)
        assert (piped.code, piped.stdout, piped.stderr) == (0, "", "")
