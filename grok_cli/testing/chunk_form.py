"""Stored responses in the chunk form grok.com persists since the gateway (protocol section 9.1).

A share payload of 2026-10-02 shows human turns as ``inputChunks: [{text: {text}}]`` and
assistant turns as ``outputChunks: [{metadata: {stepId, phaseIndex}, text: {text, channel}}]``
plus ``webSearchResults``, with no flat ``message``, and the chunks not in stepId order. The
fake renders its stored (flat) responses that way when asked to, thinking included, so a reader
that takes every chunk as answer, or trusts their order, reads the wrong text.
"""

from __future__ import annotations

import re
from typing import Any

Json = dict[str, Any]

ANSWER = "CHANNEL_ASSISTANT_RESPONSE"
HEADER = "CHANNEL_ASSISTANT_NOTETAKER_HEADER"
SUMMARY = "CHANNEL_ASSISTANT_NOTETAKER_SUMMARY"
FORMS = ("flat", "chunks")


def _chunk(text: str, channel: str, step: int, phase: int) -> Json:
    return {"metadata": {"stepId": step, "phaseIndex": phase}, "text": {"text": text, "channel": channel}}


def _pieces(text: str) -> list[str]:
    """The answer in a few pieces, so their order matters."""
    words = re.findall(r"\S+\s*|\s+", text)
    third = max(1, len(words) // 3)
    return ["".join(words[i : i + third]) for i in range(0, len(words), third)] or [""]


def chunk_form(response: Json) -> Json:
    """``response`` (a stored human or assistant object) as grok.com's chunk form stores it."""
    out = {k: v for k, v in response.items() if k != "message"}
    message = response.get("message") if isinstance(response.get("message"), str) else ""
    if response.get("sender") == "human":
        out["inputChunks"] = [{"text": {"text": message}}]
        return out
    chunks = [_chunk("Thinking about your request", HEADER, 0, 0), _chunk("- Reading the question", SUMMARY, 0, 0)]
    chunks += [_chunk(piece, ANSWER, step, 1) for step, piece in enumerate(_pieces(message), 1)]
    # Stored out of order: the last answer piece first, the thinking in the middle.
    out["outputChunks"] = chunks[-1:] + chunks[:1] + chunks[2:-1] + chunks[1:2]
    out.setdefault("webSearchResults", [])
    return out
