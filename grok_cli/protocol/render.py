"""``<grok:render>`` markup inside answer tokens.

grok.com embeds cards (citations, generated images) in the answer text as XML-ish elements,
and an element may be split across tokens. Raw markup never reaches the user: citations
become ``[N]``, every other card disappears (its content arrives as separate frames).
"""

from __future__ import annotations

import re

_OPEN = "<grok:render"
_CLOSE = "</grok:render>"
_CITATION_ID = re.compile(r'<argument\s+name="citation_id"\s*>\s*([^<]*?)\s*</argument>')
_CARD_TYPE = re.compile(r'card_type="([^"]*)"')


def _replacement(element: str) -> str:
    card_type = _CARD_TYPE.search(element)
    citation = _CITATION_ID.search(element)
    if citation and (card_type is None or "citation" in card_type.group(1)):
        return f"[{citation.group(1)}]"
    return ""


def _held_prefix(text: str) -> int:
    """Length of a suffix of ``text`` that could still grow into ``<grok:render``."""
    for size in range(min(len(_OPEN) - 1, len(text)), 0, -1):
        if _OPEN.startswith(text[-size:]):
            return size
    return 0


class RenderFilter:
    """Streaming filter: feed token texts, get displayable text back."""

    def __init__(self) -> None:
        self._pending = ""

    def feed(self, text: str) -> str:
        if not self._pending and "<" not in text:
            return text  # the common case, once per token
        data = self._pending + text
        out: list[str] = []
        while True:
            start = data.find(_OPEN)
            if start < 0:
                keep = _held_prefix(data)
                out.append(data[: len(data) - keep])
                self._pending = data[len(data) - keep :]
                break
            out.append(data[:start])
            tag_end = data.find(">", start)
            if tag_end >= 0 and data[tag_end - 1] == "/":
                end = tag_end + 1
            else:
                close = data.find(_CLOSE, start)
                if close < 0:
                    self._pending = data[start:]
                    break
                end = close + len(_CLOSE)
            out.append(_replacement(data[start:end]))
            data = data[end:]
        return "".join(out)

    def flush(self) -> str:
        """End of stream: an unfinished element is dropped, a harmless ``<gr`` is kept."""
        pending, self._pending = self._pending, ""
        return "" if pending.startswith(_OPEN) else pending


def strip_markup(text: str) -> str:
    f = RenderFilter()
    return f.feed(text) + f.flush()
