"""`grok --help`, `--version` and shell completion must not pay for heavy imports."""

import subprocess
import sys

import pytest

HEAVY = ("curl_cffi", "keyring", "nodriver", "browser_cookie3", "rich.markdown")

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
        ["--help"], ["--version"], ["ask", "--help"],
        ["login", "--help"], ["logout", "--help"], ["auth", "--help"], ["auth", "status", "--help"],
    ],
)
def test_no_heavy_imports(args):
    err = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
        capture_output=True, text=True, check=True,
    ).stderr
    assert "HEAVY=\n" in err, f"grok {' '.join(args)} imported heavy modules: {err}"
