"""The `grok` console script.

It imports nothing before it can handle Ctrl-C, so an interrupt while Python is still loading
the program ends as quietly (exit 130) as one during an answer.
"""

import sys


def run() -> None:
    try:
        from grok_cli.cli.main import run as main

        main()
    except KeyboardInterrupt:
        sys.exit(130)
