"""`grok --help`, `--version`, shell completion and `grok models` must not pay for heavy imports."""

import os
import subprocess
import sys

import pytest

# rich as a whole: its console alone costs 35 ms; only a terminal answer or table needs it.
# asyncio (20 ms) and ssl: only commands that talk to grok.com.
HEAVY = ("curl_cffi", "keyring", "nodriver", "browser_cookie3", "rich", "sqlite3", "aiohttp", "asyncio", "ssl")

PROBE = """
import sys
from grok_cli.cli.main import app
try:
    app({args!r}, prog_name="grok")
except SystemExit:
    pass
print("HEAVY=" + ",".join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"], ["--version"], ["ask", "--help"], ["images", "--help"],
        ["models", "--help"], ["models"], ["models", "--json"],
        ["continue", "--help"], ["history", "--help"], ["history", "show", "--help"],
        ["config", "--help"], ["config", "path"],
        ["login", "--help"], ["logout", "--help"], ["auth", "--help"], ["auth", "status", "--help"],
        ["doctor", "--help"],
        ["serve", "--help"],
    ],
)
def test_no_heavy_imports(args, tmp_path):
    env = {**os.environ, "GROK_HOME": str(tmp_path)}  # `grok models` reads the cache dir
    err = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
        capture_output=True, text=True, check=True, env=env,
    ).stderr
    assert "HEAVY=\n" in err, f"grok {' '.join(args)} imported heavy modules: {err}"


def test_shell_completion_has_no_heavy_imports():
    env = {**os.environ, "_GROK_COMPLETE": "complete_bash", "COMP_WORDS": "grok ask -m gr", "COMP_CWORD": "3"}
    r = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=[], heavy=HEAVY)], capture_output=True, text=True, env=env,
    )
    assert "grok-4-heavy" in r.stdout, r.stderr
    assert "HEAVY=\n" in r.stderr, f"completion imported heavy modules: {r.stderr}"


LOADED = """
import sys
from grok_cli.cli.main import app
try:
    app({args!r}, prog_name="grok")
except SystemExit:
    pass
print("LOADED=" + ",".join(sorted(m for m in sys.modules if m.startswith("grok_cli.cli."))), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args, loaded",
    [
        (["--help"], {"grok_cli.cli.context", "grok_cli.cli.lazy", "grok_cli.cli.main"}),
        (["logout", "--help"], {"grok_cli.cli.context", "grok_cli.cli.lazy", "grok_cli.cli.main", "grok_cli.cli.login"}),
    ],
)
def test_commands_are_built_only_when_used(args, loaded):
    err = subprocess.run(
        [sys.executable, "-c", LOADED.format(args=args)], capture_output=True, text=True, check=True
    ).stderr
    assert f"LOADED={','.join(sorted(loaded))}\n" in err, err


def test_every_listed_command_builds_with_its_summary():
    from grok_cli.cli.lazy import COMMANDS, build

    for name, spec in COMMANDS.items():
        command = build(name)
        assert command.name == name and command.get_short_help_str(200) == spec.summary


def test_ctrl_c_while_the_program_is_still_loading_exits_130_quietly(monkeypatch):
    import grok_cli.cli.main
    from grok_cli import entry

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(grok_cli.cli.main, "run", interrupted)
    with pytest.raises(SystemExit) as exit_:
        entry.run()
    assert exit_.value.code == 130


def test_version_reads_no_package_metadata():
    probe = PROBE.format(args=["--version"], heavy=("importlib.metadata",))
    err = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stderr
    assert "HEAVY=\n" in err, "grok --version imported importlib.metadata (about 30 ms)"
