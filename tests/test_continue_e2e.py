"""`grok continue`, `grok ask -c` and the recording of turns, end to end against the fake grok.com."""

import json
import os
import pty
import signal
import subprocess
import time

import pytest

from grok_cli.history import open_history
from grok_cli.testing import DEFAULT_QUOTA, short_answer

from .conftest import GROK


def events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def history(home):
    h = open_history(home / "history.db", create=False)
    assert h is not None, "no history.db was written"
    return h


def ask_jsonl(grok, *args: str) -> dict:
    r = grok("ask", "--jsonl", *args)
    assert r.code == 0, r.stderr
    return events(r.stdout)[-1]


def test_continue_by_last_prefix_and_full_id_replies_to_the_latest_answer(grok, fake, home):
    first = ask_jsonl(grok, "-m", "expert", "first question")
    conv = first["conversation_id"]
    parent = first["response_id"]
    for ref in ("last", conv[:6], conv, conv.upper()):
        prompt = f"follow-up via {ref[:6]}"
        r = grok("continue", "--jsonl", ref, prompt)
        assert r.code == 0, r.stderr
        done = events(r.stdout)[-1]
        sent = fake.chat_requests()[-1]
        assert sent.path == f"/rest/app-chat/conversations/{conv}/responses"
        assert sent.body["parentResponseId"] == parent
        assert sent.body["modeId"] == "expert"  # the conversation's model, reused
        assert done["text"] == short_answer(prompt) and done["conversation_id"] == conv
        parent = done["response_id"]
    turns = history(home).turns(conv)
    assert [t.parent_response_id for t in turns[1:]] == [t.response_id for t in turns[:-1]]


def test_plain_continue_prints_the_answer(grok, fake):
    grok("ask", "hello")
    r = grok("continue", "last", "and", "then?")
    assert (r.code, r.stdout, r.stderr) == (0, short_answer("and then?") + "\n", "")


def test_model_flag_overrides_the_conversation_model_but_grok_model_does_not(grok, fake, home):
    conv = ask_jsonl(grok, "-m", "expert", "q")["conversation_id"]
    grok("continue", "last", "q2", env={"GROK_MODEL": "fast"})
    assert fake.chat_requests()[-1].body["modeId"] == "expert"
    grok("continue", "-m", "fast", "last", "q3")
    assert fake.chat_requests()[-1].body["modeId"] == "fast"
    assert history(home).conversation(conv).model == "fast"


def test_ask_c_continues_the_last_conversation(grok, fake):
    conv = ask_jsonl(grok, "one")["conversation_id"]
    r = grok("ask", "-c", "two")
    assert r.code == 0 and r.stdout == short_answer("two") + "\n"
    assert fake.chat_requests()[-1].path.endswith(f"/{conv}/responses")


def test_ask_c_with_private_is_a_usage_error(grok, fake):
    grok("ask", "one")
    r = grok("ask", "-c", "--private", "two")
    assert r.code == 2 and "--private" in r.stderr


@pytest.mark.parametrize("history_form", ["flat", "chunks"])  # grok.com's stored form before and since 2026
def test_a_conversation_unknown_locally_is_continued_from_grok_com(grok, fake, home, history_form):
    fake.history_form = history_form
    first = ask_jsonl(grok, "--no-history", "-m", "auto", "started elsewhere")
    conv_id = first["conversation_id"]
    second = events(grok("continue", "--no-history", "--jsonl", conv_id, "still elsewhere").stdout)[-1]
    third = grok("continue", "--jsonl", conv_id, "from here")
    assert third.code == 0, third.stderr
    sent = fake.chat_requests()[-1]
    assert sent.body["parentResponseId"] == second["response_id"]
    assert sent.body["modeId"] == "auto"  # read back from the response's metadata
    assert any(r.path.endswith("/response-node") for r in fake.requests)
    h = history(home)
    assert h.conversation(conv_id).title == "Fake chat: started elsewhere"
    turns = h.turns(conv_id)  # the earlier turns were read back from grok.com
    assert [t.prompt for t in turns] == ["started elsewhere", "still elsewhere", "from here"]
    assert [t.answer for t in turns] == [short_answer(t.prompt) for t in turns]
    assert [t.response_id for t in turns[:2]] == [first["response_id"], second["response_id"]]
    assert [t.parent_response_id for t in turns] == [None, first["response_id"], second["response_id"]]
    assert {t.status for t in turns} == {"complete"}


def test_unknown_ids_are_usage_errors(grok, fake, home):
    r = grok("continue", "last", "x")
    assert r.code == 2 and "no conversation yet" in r.stderr
    grok("ask", "hello")
    r = grok("continue", "zzzz", "x")
    assert r.code == 2 and "No conversation 'zzzz'" in r.stderr
    r = grok("continue", "00000000-0000-4000-8000-000000000000", "x")
    assert r.code == 2 and "does not know that conversation" in r.stderr
    assert len(fake.chat_requests()) == 1


def test_an_ambiguous_prefix_lists_the_candidates(grok, fake, home):
    grok("ask", "seed")  # creates the database
    h = history(home)
    for n in (1, 2):
        h.start_turn(conversation_id=f"abcd{n}000-0000-4000-8000-000000000000", model="fast",
                     title=f"candidate {n}", private=False, prompt="p", parent_response_id=None)
    r = grok("continue", "abcd", "x")
    assert r.code == 2
    assert "abcd1000-0000-4000-8000-000000000000" in r.stderr and "candidate 2" in r.stderr
    assert len(fake.chat_requests()) == 1


@pytest.mark.slow
def test_sixteen_processes_at_once_lose_no_turn(grok_env, fake, home):
    procs = [
        subprocess.Popen([GROK, "ask", f"parallel {i}"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=grok_env, text=True)
        for i in range(16)
    ]
    results = [(p.communicate(timeout=120), p.returncode) for p in procs]
    for (out, err), code in results:
        assert (code, err) == (0, ""), err
    h = history(home)
    convs = h.conversations()
    assert len(convs) == 16
    prompts = set()
    for c in convs:
        (turn,) = h.turns(c.id)
        assert turn.status == "complete" and turn.answer == short_answer(turn.prompt)
        prompts.add(turn.prompt)
    assert prompts == {f"parallel {i}" for i in range(16)}


# SIGHUP: the terminal closed or the ssh connection dropped.
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_ctrl_c_keeps_the_partial_answer_and_continue_last_works(grok, grok_env, fake, home, sig, code):
    proc = subprocess.Popen([GROK, "ask", "scenario:slow:0.3 hello"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=grok_env, bufsize=0)
    first = proc.stdout.read(1)
    assert first
    time.sleep(0.4)
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == code
    printed = (first + out).decode().rstrip("\n")
    h = history(home)
    (conv,) = h.conversations()
    (turn,) = h.turns(conv.id)
    assert turn.status == "incomplete" and turn.answer == printed
    assert turn.answer and turn.answer != short_answer("scenario:slow:0.3 hello")
    assert turn.response_id and turn.finished
    r = grok("continue", "last", "go on")
    assert r.code == 0, r.stderr
    assert fake.chat_requests()[-1].body["parentResponseId"] == turn.response_id


def test_failed_answer_is_kept_with_status_error(grok, fake, home):
    r = grok("ask", "scenario:stream_error hi")
    assert r.code == 7
    h = history(home)
    (conv,) = h.conversations()
    (turn,) = h.turns(conv.id)
    assert turn.status == "error" and turn.error_code == "upstream" and turn.error_message


def test_no_history_flag_and_setting_skip_recording(grok, fake, home):
    grok("ask", "--no-history", "a")
    grok("ask", "b", env={"GROK_HISTORY": "0"})
    assert not (home / "history.db").exists()
    grok("ask", "c")
    grok("continue", "--no-history", "last", "d")
    (conv,) = history(home).conversations()
    assert [t.prompt for t in history(home).turns(conv.id)] == ["c"]


def test_private_conversations_are_marked(grok, fake, home):
    grok("ask", "--private", "secret")
    assert fake.chat_requests()[-1].body["temporary"] is True
    (conv,) = history(home).conversations()
    assert conv.private


def test_history_file_is_private_to_its_owner(grok, fake, home):
    grok("ask", "hi")
    assert (home / "history.db").stat().st_mode & 0o077 == 0


def test_credentials_never_reach_the_history(grok, fake, home):
    grok("ask", "hi")
    grok("continue", "last", "again")
    data = b"".join(p.read_bytes() for p in home.glob("history.db*"))
    assert fake.sso.encode() not in data and fake.cf_clearance.encode() not in data


def _run_with_tty_stderr(grok_env, *args):
    master, slave = pty.openpty()
    proc = subprocess.Popen([GROK, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
                            env=grok_env)
    os.close(slave)
    err = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        err += chunk
    out = proc.stdout.read()
    proc.wait(timeout=30)
    os.close(master)
    return proc.returncode, out.decode(), err.decode()


def test_tty_shows_how_to_continue_on_stderr(grok_env, fake, home):
    code, out, err = _run_with_tty_stderr(grok_env, "ask", "hi")
    assert code == 0 and out == short_answer("hi") + "\n"
    (conv,) = history(home).conversations()
    assert f"grok continue {conv.id[:8]}" in err
    code, out, err = _run_with_tty_stderr(grok_env, "ask", "--no-history", "hi")
    assert "grok continue " in err and len(err.split("grok continue ")[1].split()[0]) == 36


@pytest.mark.parametrize("args", [["--jsonl"], ["--raw"]])
def test_machine_output_gets_no_hint(grok_env, fake, args):
    _, _, err = _run_with_tty_stderr(grok_env, "ask", *args, "hi")
    assert "grok continue" not in err


def test_a_closed_pipe_keeps_what_was_delivered(grok_env, fake, home):
    p = subprocess.run(f"{GROK} ask 'scenario:long:5000 hi' | head -c 5", shell=True, capture_output=True,
                       text=True, env=grok_env, timeout=30)
    assert p.stderr == ""
    (conv,) = history(home).conversations()
    (turn,) = history(home).turns(conv.id)
    assert turn.status == "incomplete" and turn.answer.startswith(p.stdout) and turn.finished


def test_an_unusable_history_costs_a_warning_not_the_answer(grok, fake, home):
    (home / "history.db").write_bytes(b"not a database " * 100)
    r = grok("ask", "hi")
    assert (r.code, r.stdout) == (0, short_answer("hi") + "\n")
    assert "not saved in the history" in r.stderr and "file is not a database" in r.stderr
    r = grok("history", "list")
    assert r.code == 8 and "Cannot use the history database" in r.stderr and "Traceback" not in r.stderr


def test_a_follow_up_can_attach_files_and_save_images(grok, fake, tmp_path):
    assert grok("ask", "first").code == 0
    note = tmp_path / "note.txt"
    note.write_text("remember this\n")
    out = tmp_path / "pics"
    r = grok("continue", "last", "-f", str(note), "--save-images", str(out), "scenario:images_legacy and a fox")
    assert r.code == 0, r.stderr
    follow_up = fake.chat_requests()[-1]
    assert follow_up.path.endswith("/responses") and follow_up.body["parentResponseId"]
    assert len(follow_up.body["fileAttachments"]) == 1
    saved = sorted(out.iterdir())
    assert saved and all(p.read_bytes()[:3] == b"\xff\xd8\xff" for p in saved)


def test_a_follow_up_refused_before_answering_ends_with_an_error_but_no_done(grok, fake):
    assert grok("ask", "first").code == 0
    r = grok("continue", "last", "--jsonl", "scenario:auth_401 again")
    assert r.code == 3
    types = [json.loads(line)["type"] for line in r.stdout.splitlines()]
    assert types == ["conversation", "error"]


def test_an_answer_that_cannot_be_printed_is_still_recorded(grok_env, fake, home):
    with open("/dev/full", "w") as full:
        p = subprocess.run([GROK, "ask", "scenario:long:50 hello"], stdin=subprocess.DEVNULL, stdout=full,
                           stderr=subprocess.PIPE, env=grok_env, timeout=30)
    assert p.returncode == 8
    h = open_history(home / "history.db")
    (conv,) = h.conversations()
    (turn,) = h.turns(conv.id)
    # The whole answer, though not a word of it could be printed, and why it was not.
    assert len(turn.answer.split()) == 50 and turn.status == "error"
    assert turn.error_code == "local" and "No space left on device" in turn.error_message


def test_a_closed_stdout_fails_clearly_and_the_answer_is_kept(grok_env, fake, home):
    p = subprocess.run(f"{GROK} ask hi >&-", shell=True, stdin=subprocess.DEVNULL, capture_output=True,
                       env=grok_env, timeout=30)
    assert p.returncode == 8 and b"standard output is closed" in p.stderr
    (conv,) = history(home).conversations()
    (turn,) = history(home).turns(conv.id)
    assert turn.answer == short_answer("hi") and turn.error_code == "local"


@pytest.mark.parametrize("transport", ["rest", "ws"])
def test_instructions_reach_grok_com_and_a_follow_up_keeps_the_conversations(grok, fake, home, tmp_path):
    r = grok("ask", "-s", "Answer in French", "scenario:instructions hi")
    assert (r.code, r.stdout) == (0, "Instructions: “Answer in French”\n"), r.stderr
    grok("continue", "last", "again", env={"GROK_SYSTEM": "ignored for a follow-up"})
    (tmp_path / "brief.txt").write_text("Be brief.\n")
    grok("continue", "--system-file", str(tmp_path / "brief.txt"), "last", "shorter")
    grok("continue", "-s", "", "last", "as you like")
    grok("ask", "new one", env={"GROK_SYSTEM": "Speak like a pirate"})
    assert fake.instructions() == ["Answer in French", "Answer in French", "Be brief.", "", "Speak like a pirate"]
    h = history(home)
    conv = h.conversations()[1].id
    assert [t.instructions for t in h.turns(conv)] == ["Answer in French", "Answer in French", "Be brief.", ""]


def test_instructions_from_the_config_file_and_the_flags_that_conflict(grok, fake, home, tmp_path):
    (home / "config.toml").write_text('system = "From the config"\n')
    assert grok("ask", "one").code == 0
    assert grok("ask", "two", env={"GROK_SYSTEM": "From the environment"}).code == 0
    assert grok("ask", "-s", "From the flag", "three", env={"GROK_SYSTEM": "From the environment"}).code == 0
    assert fake.instructions() == ["From the config", "From the environment", "From the flag"]
    r = grok("ask", "-s", "x", "--system-file", str(tmp_path / "none"), "four")
    assert r.code == 2 and "cannot be used together" in r.stderr
    r = grok("ask", "--system-file", str(tmp_path / "none"), "four")
    assert r.code == 2 and "Cannot read the instructions file" in r.stderr
    (tmp_path / "big").write_bytes(b"x" * (64 * 1024 + 1))
    r = grok("ask", "--system-file", str(tmp_path / "big"), "four")
    assert r.code == 2 and "larger than 64 KiB" in r.stderr
    assert len(fake.chat_requests()) == 3


@pytest.mark.parametrize("transport", ["rest", "ws"])
@pytest.mark.parametrize("scenario", ["auth_401", "rate_limited", "cloudflare"])
def test_a_refused_request_is_recorded_the_same_on_both_transports(grok, fake, home, transport, scenario):
    # Not at all: grok.com accepted nothing, so there is no turn, and no conversation to continue.
    assert grok("ask", f"scenario:{scenario} new").code != 0
    assert history(home).conversations() == []
    fake.quota = dict(DEFAULT_QUOTA)  # rate_limited empties it
    assert grok("ask", "first").code == 0
    assert grok("continue", "last", f"scenario:{scenario} again").code != 0
    (conv,) = history(home).conversations()
    assert [t.status for t in history(home).turns(conv.id)] == ["complete"]


@pytest.mark.parametrize("transport", ["rest", "ws"])
def test_an_idle_timeout_records_its_reason(grok, fake, home, transport):
    assert grok("ask", "--timeout", "1", "scenario:stall hi").code == 6
    (conv,) = history(home).conversations()
    (turn,) = history(home).turns(conv.id)
    assert turn.status == "incomplete" and turn.error_code == "network" and "sent nothing for 1 s" in turn.error_message


def test_a_hangup_whose_terminal_is_gone_still_exits_129_keeping_the_answer(grok_env, fake, home):
    leader, follower = pty.openpty()
    proc = subprocess.Popen([GROK, "ask", "scenario:slow:0.3 hello"], stdin=subprocess.DEVNULL, stdout=follower,
                            stderr=follower, env=grok_env, start_new_session=True)
    os.close(follower)
    seen = b""
    while b"Hello" not in seen:  # the answer has started on the terminal (after "thinking…")
        chunk = os.read(leader, 1024)
        assert chunk
        seen += chunk
    os.close(leader)  # the terminal is gone: every later write fails
    proc.send_signal(signal.SIGHUP)
    assert proc.wait(timeout=30) == 129
    (conv,) = history(home).conversations()
    (turn,) = history(home).turns(conv.id)
    assert turn.status == "incomplete" and turn.answer
