"""Files generated from the command line itself: shell completions and the man page.

``python -m grok_cli.dev`` rewrites them; ``python -m grok_cli.dev --check`` fails when the
committed ones differ from what the application would generate now.
"""
