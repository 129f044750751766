"""``python -m grok_cli.dev [--check] [ROOT]``: regenerate completions/ and man/grok.1."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def generated() -> dict[str, str]:
    """Relative path -> content of every generated file."""
    from grok_cli.cli.main import app
    from grok_cli.dev import completions, manpage

    files = {f"completions/{name}": completions.script(shell) for shell, name in completions.FILES.items()}
    files["man/grok.1"] = manpage.render(app)
    return files


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m grok_cli.dev", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report files that are out of date")
    parser.add_argument("root", nargs="?", type=Path, default=Path.cwd(), help="the checkout (default: .)")
    args = parser.parse_args()
    stale = []
    for relative, content in generated().items():
        path = args.root / relative
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == content:
            continue
        stale.append(relative)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
    for relative in stale:
        sys.stderr.write(f"{'out of date' if args.check else 'wrote'}: {relative}\n")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
