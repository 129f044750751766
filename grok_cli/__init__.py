"""grok-cli: Grok from the terminal, shell pipelines and cron."""

__version__ = "0.1.0"
