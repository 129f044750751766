"""`grok chat`'s line editor, driven in-process through a pipe instead of a terminal."""

import asyncio
import io
import stat

from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from grok_cli.repl.editor import LineEditor


def read_all(history_file, *typed: str) -> list:
    """What each read returns while ``typed`` arrives, one chunk per read."""

    async def main():
        with create_pipe_input() as pipe:
            editor = LineEditor(history_file, io.StringIO(), io.StringIO(), models=lambda: ["fast", "expert"],
                                color=False, _input=pipe, _output=DummyOutput())
            out = []
            for keys in typed:
                pipe.send_text(keys)
                out.append(await editor.read())
            return out

    return asyncio.run(main())


def test_alt_enter_is_a_new_line_and_a_paste_is_one_message(tmp_path):
    paste = "\x1b[200~first line\r\nsecond line\x1b[201~"
    assert read_all(tmp_path / "h", "one\x1b\rtwo\r", paste + "\r") == ["one\ntwo", "first line\nsecond line"]


def test_ctrl_c_clears_a_line_and_leaves_on_an_empty_one_as_ctrl_d_does(tmp_path):
    assert read_all(tmp_path / "h", "typed\x03\x03") == [None]
    assert read_all(tmp_path / "h", "\x04") == [None]


def test_messages_come_back_in_the_next_session_from_a_private_file(tmp_path):
    history = tmp_path / "data" / "chat_history"
    assert read_all(history, "remember me\r") == ["remember me"]
    assert stat.S_IMODE(history.stat().st_mode) == 0o600
    assert read_all(history, "\x1b[A\r") == ["remember me"]  # Up, then Enter
    assert read_all(None, "only here\r", "\x1b[A\r") == ["only here", "only here"]
