"""`grok serve`: an OpenAI-compatible HTTP API over the user's grok.com session.

The package maps OpenAI wire formats to turns and events and back; it knows nothing of grok.com's
protocol. Every answer goes through ``grok_cli.turn.TurnRunner`` exactly as `grok ask` does, so
the history, uploads and error handling are the CLI's own.

    keys.py       the access key: given, or generated once and kept 0600 in the config dir
    wire.py       OpenAI request bodies -> what to ask; events -> chunks, responses, error objects
    exchanges.py  which grok.com conversation a request's messages continue (history database)
    limits.py     at most N upstream turns at once; a bounded wait for the others
    sink.py       the output sink: events of one turn as SSE chunks or a collected answer
    service.py    what requests share (turns, limiter, links); where a new message goes
    access.py     the Host check, CORS and the access key, as middlewares
    app.py        the aiohttp application: routes, handlers, the request log
    server.py     binding, the ready line, graceful shutdown on SIGTERM / Ctrl-C
"""
