"""README.md stays short, and every command it shows runs as shown against the fake grok.com.

The convention: a fenced block marked ``sh`` holds commands a reader can paste, one per line;
this test runs each of them, in order, in one shell environment (a throwaway home, a working
directory with the files the examples name, the fake server's origins). Blocks marked ``shell``
set things up (installing, running the test suite): CI runs those itself. Blocks marked ``bash``
(with ``python`` and ``yaml``) talk to `grok serve`: a test of their own starts one for them.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grok_cli.testing import short_answer

from .conftest import _SCRUBBED, GROK
from .test_distribution import need

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[list[str]]:
    found = re.findall(rf"^```{language}\n(.*?)^```$", README, flags=re.M | re.S)
    return [[line for line in block.splitlines() if line.strip() and not line.startswith("#")] for block in found]


def test_readme_is_short():
    assert len(README.splitlines()) < 150


def test_readme_test_command_is_the_one_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for block in blocks("shell") for line in block if "pytest" in line]
    assert commands and all(command in ci.splitlines() for command in commands)
    # In parallel: one worker per core, each with its own fake server.
    assert all(" -n auto" in command for command in commands)


def shell_env(fake, home: Path) -> dict[str, str]:
    """A user's shell with grok on PATH, pointed at the fake server, signed in by nobody yet."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED and not k.startswith("GROK_")}
    env.update(fake.env())
    del env["GROK_COOKIE"]
    env.update(
        GROK_HOME=str(home),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        PATH=f"{Path(GROK).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def sh(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    bash = shutil.which("bash")
    assert bash
    return subprocess.run(
        [bash, "-o", "pipefail", "-c", command], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.slow
def test_every_readme_command_runs_against_the_fake_server(fake, tmp_path):
    need("jq")
    commands = [line for block in blocks("sh") for line in block]
    assert len(commands) >= 10
    work = tmp_path / "work"
    work.mkdir()
    # The files the examples name: a Cookie header copied from a browser, a build log.
    (work / "cookie.txt").write_text(f"Cookie: {fake.cookie}\n")
    (work / "build.log").write_text("step 1: ok\nstep 2: error: no space left on device\n")
    # Signed in by the README's own `grok login`, not by the fake's variable.
    env = shell_env(fake, tmp_path / "home")
    for command in commands:
        p = sh(command, work, env)
        assert p.returncode == 0, f"{command!r} exited {p.returncode}: {p.stderr}"
        assert "Error" not in p.stderr and "Traceback" not in p.stderr, f"{command!r}: {p.stderr}"
        if "grok ask" in command or "grok continue" in command:
            assert p.stdout.strip(), f"{command!r} printed no answer"


def test_the_help_pipe_example_prints_the_answer_as_one_text(fake, tmp_path):
    need("jq")
    help_text = subprocess.run([GROK, "--help"], capture_output=True, text=True).stdout
    (example,) = [line.strip() for line in help_text.splitlines() if "| jq" in line]
    env = {**shell_env(fake, tmp_path / "home"), "GROK_COOKIE": fake.cookie}
    p = sh(example, tmp_path, env)
    assert p.returncode == 0, p.stderr
    assert p.stdout == short_answer("Plan a trip")


@pytest.mark.slow
def test_the_other_tools_examples_talk_to_grok_serve(fake, tmp_path):
    """The `bash`, `python` and `yaml` blocks: curl, the openai SDK and llm against `grok serve`,
    started here as the first line says (on a free port instead of 8765)."""
    from .test_serve_e2e import start_serve

    env = {**shell_env(fake, tmp_path / "home"), "GROK_COOKIE": fake.cookie, "LLM_USER_PATH": str(tmp_path / "llm")}
    serve, log, url = start_serve(env)
    try:
        port = url.split(":")[2].split("/")[0]
        serve_block, llm_block = blocks("bash")
        start, export, curl = serve_block
        assert start == "grok serve --port 8765 &"
        p = sh(f"{export} && {curl}".replace("8765", port), tmp_path, env)
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["choices"][0]["message"]["content"] == short_answer("Hello")
        env["OPENAI_BASE_URL"] = url
        env["OPENAI_API_KEY"] = sh("grok serve --show-key", tmp_path, env).stdout.strip()
        (python,) = blocks("python")
        p = subprocess.run([sys.executable, "-c", "\n".join(python)], env=env, capture_output=True, text=True, timeout=60)
        assert (p.returncode, p.stdout) == (0, short_answer("Hi") + "\n"), p.stderr
        (yaml,) = re.findall(r"^```yaml\n(.*?)^```$", README, flags=re.M | re.S)
        (tmp_path / "llm").mkdir()
        (tmp_path / "llm" / "extra-openai-models.yaml").write_text(yaml.replace("8765", port))
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
        p = sh(" && ".join(llm_block), tmp_path, env)
        assert p.returncode == 0, p.stderr
        assert p.stdout.strip() == short_answer("Explain CRDTs in two sentences")
    finally:
        serve.terminate()
        serve.wait(20)
    assert not any("Traceback" in line for line in log)
