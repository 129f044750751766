"""I/O with grok.com: sessions, request signing, streaming, retries."""
