"""A history database of a given size, for timing the history queries (bench/bench.py)."""

from __future__ import annotations

import random
from pathlib import Path

from grok_cli.history import open_history

_WORDS = (
    "the answer python shell stream token regular expression database index query conversation model "
    "search grok curl network terminal markdown history latency memory buffer socket parser"
).split()


def populate(path: Path, conversations: int, *, seed: int = 7) -> None:
    """``conversations`` conversations of two turns each; every answer mentions "the"."""
    rng = random.Random(seed)
    history = open_history(path)
    assert history is not None
    db = history.db
    db.execute("BEGIN IMMEDIATE")
    convs, turns = [], []
    for n in range(conversations):
        cid = f"{rng.getrandbits(32):08x}-{n:04x}-4000-8000-{rng.getrandbits(48):012x}"[:36]
        when = f"2026-01-01T00:00:{n % 60:02d}.000Z"
        convs.append((cid, f"Conversation {n}", "fast", 0, when, when))
        for k in range(2):
            prompt = " ".join(rng.choices(_WORDS, k=8))
            answer = " ".join(["the", *rng.choices(_WORDS, k=60)])
            turns.append((cid, f"u{n}-{k}", f"r{n}-{k}", prompt, answer, "fast", "complete", when))
    db.executemany(
        "INSERT INTO conversations (id, title, model, private, created, updated) VALUES (?, ?, ?, ?, ?, ?)", convs
    )
    db.executemany(
        "INSERT INTO turns (conversation_id, user_response_id, response_id, prompt, answer, model, status, started)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        turns,
    )
    db.execute("COMMIT")
    history.close()
