"""The `grok` command line: argument parsing and wiring only, no protocol knowledge."""
