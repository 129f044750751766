"""JSON from grok.com, decoded so that whatever comes out is valid JSON again.

Python's decoder accepts ``NaN``, ``Infinity`` and numbers like ``1e999`` (which become
``inf``); written back out by ``--jsonl``, the history or ``grok serve`` they are not JSON
that any strict reader accepts. Here they become None, like any other value of the wrong type.
"""

from __future__ import annotations

import json
import math
from typing import Any


def _finite(text: str) -> float | None:
    value = float(text)
    return value if math.isfinite(value) else None


DECODER = json.JSONDecoder(parse_float=_finite, parse_constant=lambda _name: None)
# The decoder's C scanner: (value, end) of the JSON value at an index, StopIteration when none
# starts there. ``raw_decode`` without its Python wrapper, for the stream's hot path; NaN and
# Infinity read as None here too.
scan_once = DECODER.scan_once


def loads(text: str) -> Any:
    """``json.loads`` for untrusted text: ValueError or RecursionError on text that is not JSON."""
    return DECODER.decode(text)
