"""Where events go: stdout and stderr in one of several formats, and the history."""
