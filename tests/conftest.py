import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

# Typer forces ANSI help under FORCE_COLOR/GITHUB_ACTIONS; tests compare plain text.
os.environ.setdefault("_TYPER_FORCE_DISABLE_TERMINAL", "1")

GROK = str(Path(sys.executable).with_name("grok"))
# Variables of the developer's shell that would change what grok does.
_SCRUBBED = (
    "PYTHONUNBUFFERED",  # hides missing flushes: users do not have it set
    "GROK_COOKIE", "GROK_MODEL", "GROK_TIMEOUT", "GROK_TRANSPORT", "GROK_STATSIG", "GROK_DEBUG", "GROK_SERVE_KEY",
    "NO_COLOR", "FORCE_COLOR", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
    "ALL_PROXY", "all_proxy",
)


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


@pytest.fixture(scope="session")
def server():
    from grok_cli.testing import FakeGrok

    with FakeGrok(delay=0.0) as srv:
        yield srv


@pytest.fixture
def fake(server):
    from grok_cli.testing import MODES
    from grok_cli.testing.server import DEFAULT_UPLOAD_LIMIT
    from grok_cli.testing.state import DEFAULT_QUOTA

    server.scenario = "short"
    server.quota = dict(DEFAULT_QUOTA)  # the rate_limited scenario empties a quota
    server.modes = MODES  # tests may offer extra modes
    server.upload_limit = DEFAULT_UPLOAD_LIMIT
    server.upload_v2 = "ok"
    server.history_form = "flat"
    server.bad_credentials = False
    server.unknown_frames = False
    server.gone = set()
    server.gateway_style = "web"
    server.clear_requests()
    yield server


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "grok-home"
    path.mkdir()
    return path


@pytest.fixture
def transport() -> str | None:
    """The chat transport `grok` runs with (GROK_TRANSPORT). Tests run over REST unless they say
    otherwise: a module or test may parametrise it, and None leaves GROK_TRANSPORT unset (grok's
    own default, auto)."""
    return "rest"


@pytest.fixture
def grok_env(fake, home, transport):
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.update(fake.env())
    env["GROK_HOME"] = str(home)
    if transport is not None:
        env["GROK_TRANSPORT"] = transport
    return env


@pytest.fixture
def grok(grok_env):
    """Run the installed `grok` command as a subprocess against the fake server."""

    def run(*args: str, input: str | None = None, env: dict | None = None, timeout: float = 30) -> Result:
        p = subprocess.run(
            [GROK, *args],
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            encoding="utf-8",
            env={**grok_env, **(env or {})},
            timeout=timeout,
        )
        return Result(p.returncode, p.stdout, p.stderr)

    return run
