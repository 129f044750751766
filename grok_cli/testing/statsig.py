"""Pure encode/verify functions for grok.com's ``x-statsig-id`` header (protocol doc §3.3).

The browser signs every REST call with 70 bytes, base64 without padding::

    raw = [R] + meta(48) + uint32_le(t) + sha256(f"{METHOD}!{path}!{t}obfiowerehiring{F}")[:16] + [3]
    raw[i] ^= R  for i >= 1

The fake server uses :func:`classify` to decide what grok.com would do with a value. The
client has its own signer (``grok_cli.transport``); :func:`encode` exists so tests and the
server can mint reference values independently of it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import struct
import time
from dataclasses import dataclass
from enum import Enum

__all__ = [
    "EPOCH",
    "FINGERPRINT",
    "SALT",
    "SITE_VERIFICATION",
    "Decoded",
    "Verdict",
    "classify",
    "decode",
    "digest",
    "encode",
]

# grok.com counts statsig time from this Unix second (0x644F6370), not from 1970.
EPOCH = 1682924400
# The fixed string the page's script mixes into every digest.
SALT = "obfiowerehiring"
# The SVG-animation fingerprint; a real page derives it, swift-grok hard-codes this value,
# and the fake page is built so that this is the right answer for it.
FINGERPRINT = "09100b5c28f5c28f5c0b5c28f5c28f5c0b5c28f5c28f5c0b5c28f5c28f5c00"
# Content of the fake page's <meta name="grok-site-verification">: base64 of 48 bytes
# (sha384 of a fixed phrase), constant so that values minted in one run verify in the next.
SITE_VERIFICATION = "qNCv2st90buriA5W+5AYuEJimTVz+t4VTq8T/1KSkzqPTfbL5GiGyrZPD1YONEWl"

_RAW_LEN = 70
_TRAILER = 3
# base64("x1:"): the prefix of the value a browser sends when its signer throws (CHY PR #567).
_FALLBACK_PREFIX = "eDE6"


def digest(method: str, path: str, t: int, fingerprint: str = FINGERPRINT) -> bytes:
    """The 16-byte digest binding a value to one method, path (no query) and second."""
    text = f"{method.upper()}!{path}!{t}{SALT}{fingerprint}"
    return hashlib.sha256(text.encode()).digest()[:16]


def encode(
    method: str,
    path: str,
    *,
    now: float | None = None,
    meta: str = SITE_VERIFICATION,
    fingerprint: str = FINGERPRINT,
    r: int | None = None,
) -> str:
    """Mint a value exactly as the browser does. ``r`` is the XOR mask (random if None; 0 allowed)."""
    t = int(now if now is not None else time.time()) - EPOCH
    meta_bytes = base64.b64decode(meta)
    body = meta_bytes + struct.pack("<I", t) + digest(method, path, t, fingerprint) + bytes([_TRAILER])
    mask = os.urandom(1)[0] if r is None else r
    raw = bytes([mask]) + bytes(b ^ mask for b in body)
    return base64.b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True)
class Decoded:
    """The fields of a well-formed (70-byte, trailer 3) value, already un-XORed."""

    mask: int
    meta: bytes
    t: int
    digest: bytes


def decode(value: str) -> Decoded | None:
    """Parse a value; None when it is not the computed 70-byte form."""
    text = value.strip()
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _RAW_LEN:
        return None
    mask = raw[0]
    body = bytes(b ^ mask for b in raw[1:])
    if body[-1] != _TRAILER:
        return None
    (t,) = struct.unpack("<I", body[48:52])
    return Decoded(mask=mask, meta=body[:48], t=t, digest=body[52:68])


class Verdict(Enum):
    """What grok.com makes of a value (the server maps each to a response)."""

    OK = "ok"  # computed, right path and meta (and fresh, when strict)
    FALLBACK = "fallback"  # btoa("x1:" + error): accepted unless strict
    OPAQUE = "opaque"  # some other string, e.g. a copied static value: accepted unless strict
    MISSING = "missing"  # absent/empty/"test123": anti-bot
    WRONG_DIGEST = "wrong_digest"  # minted for another method/path (or forged): anti-bot
    OUT_OF_DATE = "out_of_date"  # other page build (meta) or too old (strict): "out of date"


def classify(
    value: str | None,
    method: str,
    path: str,
    *,
    now: float | None = None,
    meta: str = SITE_VERIFICATION,
    fingerprint: str = FINGERPRINT,
    max_skew: float | None = None,
) -> Verdict:
    """Judge ``value`` for a request ``method path``; ``max_skew`` (seconds) enables freshness."""
    if value is None or value.strip() in ("", "test123"):
        return Verdict.MISSING
    decoded = decode(value)
    if decoded is None:
        return Verdict.FALLBACK if value.startswith(_FALLBACK_PREFIX) else Verdict.OPAQUE
    if decoded.digest != digest(method, path, decoded.t, fingerprint):
        return Verdict.WRONG_DIGEST
    if decoded.meta != base64.b64decode(meta):
        return Verdict.OUT_OF_DATE
    if max_skew is not None:
        current = (now if now is not None else time.time()) - EPOCH
        if abs(current - decoded.t) > max_skew:
            return Verdict.OUT_OF_DATE
    return Verdict.OK
