"""`grok chat`: a conversation at the terminal, one turn at a time through grok_cli.turn."""
