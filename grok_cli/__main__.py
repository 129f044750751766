from grok_cli.entry import run

run()
