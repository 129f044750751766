"""Shell completion scripts, produced by the installed ``grok`` itself (library-notes.md 6.4).

Typer prints a script for a shell when run with ``_GROK_COMPLETE=source_SHELL``; the variable's
name comes from the program name, so this must run the ``grok`` entry point, not
``python -m``. At each TAB the script runs ``grok`` again to ask for the candidates.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

# shell -> file name in completions/, as each shell looks for it
FILES = {"bash": "grok.bash", "zsh": "_grok", "fish": "grok.fish"}


def grok_executable() -> str:
    beside = Path(sys.executable).with_name("grok")
    found = str(beside) if beside.exists() else shutil.which("grok")
    if not found:
        raise RuntimeError("the grok command is not installed (pip install -e .)")
    return found


def script(shell: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("_GROK", "_TYPER"))}
    env["_GROK_COMPLETE"] = f"source_{shell}"
    out = subprocess.run([grok_executable()], env=env, capture_output=True, text=True, check=True).stdout
    # zsh recognises a completion file only when `#compdef` is its first line.
    out = out.lstrip("\n")
    if shell == "zsh":
        out = _zsh_autoloadable(out)
    return out


def _zsh_autoloadable(text: str) -> str:
    """Typer's zsh script only registers its function: autoloaded from fpath (the usual way to
    install it) a TAB would complete nothing. When run as the function ``_grok`` (autoloaded
    from fpath), complete; when sourced, register (the check Cobra's zsh scripts use)."""
    register = "compdef _grok_completion grok"
    if not text.rstrip().endswith(register):
        raise RuntimeError("Typer's zsh completion script changed: review _zsh_autoloadable")
    head = text.rstrip()[: -len(register)]
    return head + (
        'if [ "$funcstack[1]" = "_grok" ]; then\n'
        '  _grok_completion "$@"\n'
        "else\n"
        f"  {register}\n"
        "fi\n"
    )
