"""What a user typing commands meets first: global options anywhere, suggestions for typos,
hints that name the command that was run, help that fits an 80-column terminal."""


import pytest
import typer
from typer.testing import CliRunner

from grok_cli.cli.main import app


def _command_paths() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = [[]]

    def walk(group, ctx, prefix):
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            paths.append([*prefix, name])
            if hasattr(command, "list_commands"):
                walk(command, typer.Context(command, info_name=name, parent=ctx), [*prefix, name])

    walk(root, typer.Context(root, info_name="grok"), [])
    return paths


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "grok")
def test_help_fits_80_columns(path):
    r = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "80"}, prog_name="grok")
    assert r.exit_code == 0, r.output
    assert [line for line in r.output.splitlines() if len(line) > 80] == []


def test_global_options_work_after_the_command(grok, fake):
    styled = grok("ask", "scenario:thinking hi", env={"FORCE_COLOR": "1"})
    plain = grok("ask", "--no-color", "scenario:thinking hi", env={"FORCE_COLOR": "1"})
    assert "\x1b[" in styled.stderr
    assert plain.code == 0 and "\x1b[" not in plain.stderr and plain.stdout == styled.stdout
    assert grok("history", "list", "--debug", "--no-color").code == 0


def test_a_mistyped_command_gets_a_suggestion(grok):
    r = grok("aks", "hi")
    assert r.code == 2 and "Did you mean 'ask'?" in r.stderr
    assert "Did you mean" not in grok("zzz").stderr


@pytest.mark.parametrize(
    "args, named",
    [(["ask"], "grok ask"), (["images"], "grok images"), (["continue", "last"], "grok continue last")],
)
def test_the_empty_prompt_hint_names_the_command_that_was_run(grok, fake, args, named):
    r = grok(*args, "")
    assert r.code == 2 and f'Give a prompt: {named} "question"' in r.stderr
    assert fake.chat_requests() == []
