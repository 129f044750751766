"""grok.com's web protocol as pure functions: no I/O, fully testable with recorded frames."""
