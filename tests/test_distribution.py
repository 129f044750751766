"""What ships beside the code: shell completions and the man page (generated, committed, fresh),
loaded by real shells and linted; and `--version` / `--help`."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grok_cli.cli.main import app
from grok_cli.dev import completions, manpage

from .conftest import GROK
from .terminal import Tmux

ROOT = Path(__file__).resolve().parent.parent
COMPLETIONS = ROOT / "completions"
MAN_PAGE = ROOT / "man" / "grok.1"


def need(tool: str) -> str:
    """The tool's path; CI installs every tool, so only a developer's machine may skip."""
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is not installed; .ci/run installs it")
        pytest.skip(f"{tool} is not installed")
    return path


@pytest.fixture
def shell_env(tmp_path):
    """The environment of a user's shell with grok on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("_GROK", "_TYPER", "GROK_"))}
    env["PATH"] = f"{Path(GROK).parent}{os.pathsep}{env.get('PATH', '')}"
    env["GROK_HOME"] = str(tmp_path / "grok-home")
    env["HOME"] = str(tmp_path)
    return env


# ---------------------------------------------------------------------------------------------
# Generated files are up to date


@pytest.mark.parametrize("shell", sorted(completions.FILES))
def test_committed_completion_script_is_up_to_date(shell):
    committed = (COMPLETIONS / completions.FILES[shell]).read_text(encoding="utf-8")
    assert committed == completions.script(shell), "run `python -m grok_cli.dev` and commit the result"


def test_committed_man_page_is_up_to_date():
    assert MAN_PAGE.read_text(encoding="utf-8") == manpage.render(app), (
        "run `python -m grok_cli.dev` and commit the result"
    )


def test_man_page_covers_commands_options_environment_files_exit_codes_and_examples():
    page = MAN_PAGE.read_text(encoding="utf-8")
    for section in ("NAME", "SYNOPSIS", "OPTIONS", "COMMANDS", "ENVIRONMENT", "FILES", "EXIT STATUS", "EXAMPLES"):
        assert f".SH {section}\n" in page
    for text in ('.SS "grok ask', '.SS "grok config set', "\\fB\\-\\-plain\\fR", ".B GROK_RENDER", ".B NO_COLOR",
                 ".B 130", "config.toml"):
        assert text in page


# ---------------------------------------------------------------------------------------------
# The man page renders cleanly


def test_man_page_has_no_groff_warnings():
    groff = need("groff")
    r = subprocess.run([groff, "-ww", "-z", "-man", str(MAN_PAGE)], capture_output=True, text=True)
    assert (r.returncode, r.stderr) == (0, "")


def test_man_page_passes_mandoc_lint():
    mandoc = need("mandoc")
    r = subprocess.run([mandoc, "-T", "lint", "-W", "warning", str(MAN_PAGE)], capture_output=True, text=True)
    assert (r.returncode, r.stdout + r.stderr) == (0, "")


# ---------------------------------------------------------------------------------------------
# Completion scripts work in real shells


def test_bash_completes_commands_and_model_names(shell_env):
    bash = need("bash")
    script = f"""
        source {COMPLETIONS / 'grok.bash'}
        complete -p grok >/dev/null || exit 9
        COMP_WORDS=(grok a); COMP_CWORD=1; _grok_completion grok; echo "1:${{COMPREPLY[*]}}"
        COMP_WORDS=(grok ask -m gr); COMP_CWORD=3; _grok_completion grok; echo "2:${{COMPREPLY[*]}}"
    """
    r = subprocess.run([bash, "--norc", "--noprofile", "-c", script], env=shell_env, capture_output=True, text=True)
    first, second = r.stdout.splitlines()
    # `a` starts both `ask` and `auth`.
    assert r.returncode == 0 and first.removeprefix("1:").split() == ["ask", "auth"]
    names = second.removeprefix("2:").split()
    assert {"grok-3", "grok-4", "grok-4-heavy", "grok-3-thinking"} <= set(names)
    assert all(name.startswith("gr") for name in names)


@pytest.mark.slow
def test_fish_completes_commands_and_model_names(shell_env):
    fish = need("fish")
    script = f"source {COMPLETIONS / 'grok.fish'}; complete -C 'grok a'; echo SEP; complete -C 'grok ask -m gr'"
    r = subprocess.run([fish, "--no-config", "-c", script], env=shell_env, capture_output=True, text=True)
    first, _, second = r.stdout.partition("SEP\n")
    assert r.returncode == 0, r.stderr
    assert [line.split("\t")[0] for line in first.splitlines()] == ["ask", "auth"]
    models = dict(line.split("\t", 1) for line in second.splitlines())
    assert models["grok-4-heavy"] == "alias of heavy" and "grok-3" in models
    assert all(name.startswith("gr") for name in models)


@pytest.mark.slow
def test_zsh_completes_commands_and_model_names(shell_env, tmp_path):
    zsh = need("zsh")
    need("tmux")
    # Installed the usual way: the file in a directory of fpath, then compinit.
    (tmp_path / ".zshrc").write_text(
        f"fpath=({COMPLETIONS} $fpath)\nautoload -Uz compinit\ncompinit -u\nPS1='%% '\n"
    )
    tmux = Tmux(tmp_path / "tmux", [zsh, "-i"], {**shell_env, "ZDOTDIR": str(tmp_path)}, columns=150, lines=40)
    try:
        tmux.wait_for(lambda s: "%" in s)
        tmux.keys("grok as", "Tab")  # `grok a` alone could still become `auth`
        line = tmux.wait_for(lambda s: "grok ask" in s)
        assert "% grok ask" in line, line
        tmux.keys("C-u", "grok ask -m gr", "Tab")
        tmux.wait_for(lambda s: "grok ask -m grok-" in s)
        tmux.keys("C-d")  # list the choices
        shown = tmux.wait_for(lambda s: "grok-4-heavy" in s)
        assert "grok-4-heavy" in shown and "grok-3-thinking" in shown, shown
    finally:
        tmux.close()


# ---------------------------------------------------------------------------------------------
# --version and --help


def test_version_names_python_curl_cffi_and_the_transport(grok):
    r = grok("--version", env={"GROK_TRANSPORT": "ws"})
    first, second = r.stdout.splitlines()
    assert r.code == 0 and first.startswith("grok-cli ")
    assert second.startswith(f"Python {sys.version_info.major}.{sys.version_info.minor}")
    assert "curl_cffi 0." in second and second.endswith("transport ws (GROK_TRANSPORT)")


def test_version_survives_a_broken_config_file(grok, home):
    (home / "config.toml").write_text("transport = 5\n")
    r = grok("--version")
    assert r.code == 0 and "transport unknown" in r.stdout


def test_help_leads_with_examples(grok):
    r = grok("--help")
    head = r.stdout.split("Options:")[0]
    assert r.code == 0 and "Examples:" in head and 'grok ask "' in head


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["ask", "--help"]])
def test_version_and_help_on_a_full_disk_exit_local_without_a_traceback(grok_env, args):
    with open("/dev/full", "w") as full:
        p = subprocess.run([GROK, *args], stdout=full, stderr=subprocess.PIPE, env=grok_env, text=True, timeout=30)
    assert p.returncode == 8 and "No space left on device" in p.stderr and "Traceback" not in p.stderr


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_version_and_help_into_a_pipe_already_closed_end_quietly(grok_env, args):
    # `grok --version | head -c 1`, with head gone before grok writes: always, not by chance.
    read, write = os.pipe()
    os.close(read)
    try:
        p = subprocess.run([GROK, *args], stdout=write, stderr=subprocess.PIPE, env=grok_env, text=True, timeout=30)
    finally:
        os.close(write)
    assert (p.returncode, p.stderr) == (0, "")
