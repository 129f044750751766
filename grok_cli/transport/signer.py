"""``x-statsig-id``: grok.com's per-request anti-bot header (protocol section 3.3).

The browser signs ``METHOD!path!time`` with a key published in the page's
``grok-site-verification`` meta tag. Strategies, chosen by the ``statsig`` setting:

- ``auto``: compute the signature from the page's meta tag; if the page cannot be read, use a
  header captured from a real browser for the same path, else the browser's own fallback form.
- ``fallback``: the value the browser sends when its signing code throws (``x1:`` + message).
- ``none``: send no header.
- anything else: that exact value, for every request.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import struct
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from grok_cli.auth.credentials import Credentials

EPOCH_OFFSET = 1682924400
# The SVG-animation fingerprint public clients ship; grok.com accepted it through 2026.
FINGERPRINT = "09100b5c28f5c28f5c0b5c28f5c28f5c0b5c28f5c28f5c0b5c28f5c28f5c00"
_SALT = "obfiowerehiring"
_META = re.compile(
    r'<meta[^>]+name=["\']grok-site-verification["\'][^>]+content=["\']([^"\']+)["\']'
    r'|<meta[^>]+content=["\']([^"\']+)["\'][^>]+name=["\']grok-site-verification["\']',
    re.I,
)
META_TTL = 6 * 3600
# The web app signs every API call under these prefixes (protocol section 9.1: rate-limits, modes,
# conversations, uploads, media) but for a few /rest/ paths; nothing else (the session endpoint,
# the gateway's upgrade) carries the header.
_SIGNED_PREFIXES = ("/rest/", "/http/")
_UNSIGNED = frozenset({"/rest/connectors/list-v2", "/rest/connectors/list-available-v2", "/rest/onboarding/for-user"})


def is_signed(path: str) -> bool:
    """Whether the web app sends an x-statsig-id with a request for ``path`` (no query string)."""
    return path.startswith(_SIGNED_PREFIXES) and path not in _UNSIGNED


def compute(method: str, path: str, meta: bytes, *, now: float, mask: int | None = None) -> str:
    t = int(now) - EPOCH_OFFSET
    digest = hashlib.sha256(f"{method.upper()}!{path}!{t}{_SALT}{FINGERPRINT}".encode()).digest()[:16]
    r = secrets.randbelow(256) if mask is None else mask
    body = meta + struct.pack("<I", t & 0xFFFFFFFF) + digest + b"\x03"
    raw = bytes([r]) + bytes(b ^ r for b in body)
    return base64.b64encode(raw).decode().rstrip("=")


def fallback_value() -> str:
    """What the browser sends when signing throws: ``btoa("x1:" + error text)``."""
    word = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(10))
    return base64.b64encode(f"x1:TypeError: Cannot read properties of undefined (reading '{word}')".encode()).decode()


def find_meta(html: str) -> bytes | None:
    m = _META.search(html)
    if not m:
        return None
    try:
        value = base64.b64decode((m.group(1) or m.group(2)) + "==")
    except ValueError:
        return None
    return value or None


class Signer:
    def __init__(
        self,
        strategy: str,
        credentials: Credentials,
        fetch_page: Callable[[], Awaitable[str]],
        cache_file: Path | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._strategy = strategy
        self._credentials = credentials
        self._fetch_page = fetch_page
        self._cache_file = cache_file
        self._clock = clock
        self._meta: bytes | None = None
        self._meta_tried = False

    async def sign(self, method: str, path: str) -> str | None:
        if self._strategy == "none":
            return None
        if self._strategy == "fallback":
            return fallback_value()
        if self._strategy != "auto":
            return self._strategy
        meta = await self._site_meta()
        if meta is not None:
            return compute(method, path, meta, now=self._clock())
        return self._credentials.header_for("x-statsig-id", path) or fallback_value()

    def forget_meta(self) -> None:
        """After an anti-bot rejection: the published key may have rotated; read it again."""
        self._meta, self._meta_tried = None, False
        if self._cache_file is not None:
            self._cache_file.unlink(missing_ok=True)

    async def _site_meta(self) -> bytes | None:
        if self._meta is not None or self._meta_tried:
            return self._meta
        self._meta_tried = True
        self._meta = self._read_cache()
        if self._meta is None:
            try:
                self._meta = find_meta(await self._fetch_page())
            except Exception:  # no page, no signature: fall back rather than fail the request
                self._meta = None
            if self._meta is not None:
                self._write_cache(self._meta)
        return self._meta

    def _read_cache(self) -> bytes | None:
        if self._cache_file is None:
            return None
        try:
            data = json.loads(self._cache_file.read_text(encoding="utf-8"))
            if self._clock() - float(data["fetched_at"]) < META_TTL:
                return base64.b64decode(data["meta"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return None

    def _write_cache(self, meta: bytes) -> None:
        if self._cache_file is None:
            return
        from grok_cli.errors import FileWriteError
        from grok_cli.files import write_private_file

        payload = {"meta": base64.b64encode(meta).decode(), "fetched_at": self._clock()}
        try:
            write_private_file(self._cache_file, json.dumps(payload))
        except FileWriteError:
            pass  # only a cache: the next run reads the page again
