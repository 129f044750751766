from grok_cli.cli.main import run

run()
