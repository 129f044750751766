"""The command-line surface in-process (Typer's CliRunner): option parsing, help and usage
errors, where nothing reaches grok.com and exit codes need no real process."""

import pytest
from typer.testing import CliRunner

from grok_cli.cli.main import app


@pytest.fixture
def invoke(home):
    runner = CliRunner()

    def run(*args: str, env: dict | None = None, input: str = ""):
        environ = {"GROK_HOME": str(home), "GROK_BASE_URL": "http://127.0.0.1:9", "NO_COLOR": "1", **(env or {})}
        return runner.invoke(app, list(args), env=environ, input=input, catch_exceptions=False)

    return run


@pytest.mark.parametrize("command", [["ask", "q"], ["continue", "last", "q"]])
def test_system_and_system_file_together_are_a_usage_error(invoke, tmp_path, command):
    (tmp_path / "s.txt").write_text("x")
    r = invoke(command[0], "-s", "x", "--system-file", str(tmp_path / "s.txt"), *command[1:])
    assert r.exit_code == 2 and "--system and --system-file cannot be used together" in r.output


def test_an_unreadable_or_binary_instructions_file_is_a_usage_error(invoke, tmp_path):
    r = invoke("ask", "--system-file", str(tmp_path / "missing.txt"), "q")
    assert r.exit_code == 2 and "Cannot read the instructions file" in r.output
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00")
    r = invoke("ask", "--system-file", str(tmp_path / "bin"), "q")
    assert r.exit_code == 2 and "is not UTF-8 text" in r.output


@pytest.mark.parametrize("command", ["ask", "continue"])
def test_help_names_the_instructions_options(invoke, command):
    r = invoke(command, "--help")
    assert r.exit_code == 0 and "-s, --system <text>" in r.output and "--system-file <path>" in r.output


def test_a_bad_system_value_in_the_config_file_is_a_usage_error(invoke, home):
    (home / "config.toml").write_text("system = 3\n")
    r = invoke("ask", "q")
    assert r.exit_code == 2 and "Bad value for 'system'" in r.output and "expected text" in r.output


def test_chat_help_documents_its_keys_and_commands(invoke):
    r = invoke("chat", "--help")
    assert r.exit_code == 0
    for words in ("[ID|last]", "Alt-Enter", "Ctrl-C", "/model", "-s, --system <text>", "--jsonl"):
        assert words in r.output


def test_chat_private_with_a_conversation_is_a_usage_error(invoke):
    r = invoke("chat", "--private", "last")
    assert r.exit_code == 2 and "--private starts a new conversation" in r.output


def test_chat_continuing_a_conversation_the_history_lacks_is_a_usage_error(invoke):
    r = invoke("chat", "zzzz", env={"GROK_COOKIE": "sso=x"})
    assert r.exit_code == 2 and "No conversation 'zzzz' in the local history" in r.output
