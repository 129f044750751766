"""The curl_cffi session to grok.com: Chrome impersonation, headers, proxy, retries, streaming.

Two curl_cffi facts shape this module (library-notes section 2): its ``timeout`` is not a read
timeout on streams, so the idle timeout is ours; and ``Response.aclose()`` waits for the server
to finish the body, so every stream is aborted explicitly with ``abort_stream``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import random
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

from curl_cffi.curl import CurlError
from curl_cffi.requests import AsyncSession
from curl_cffi.requests.exceptions import RequestException, Timeout

from grok_cli.auth.credentials import Credentials
from grok_cli.config import Settings
from grok_cli.errors import GrokError, NetworkError, RateLimitedError
from grok_cli.protocol.errors import StaleSignatureError, classify_http, rate_limited
from grok_cli.transport.signer import Signer

MAX_ATTEMPTS = 3
BACKOFF_BASE = 0.5
MAX_RETRY_WAIT = 20.0  # a longer Retry-After is reported to the user instead of slept through
CONNECT_TIMEOUT = 20.0
ERROR_BODY_LIMIT = 64 * 1024


def chrome_target(user_agent: str | None) -> tuple[str, str]:
    """The curl_cffi impersonation target matching a Chrome User-Agent, and the UA to send.

    cf_clearance is bound to the User-Agent that earned it, so a stored UA is sent unchanged
    with the closest TLS fingerprint not newer than it.
    """
    from curl_cffi.requests.impersonate import BrowserType

    versions = sorted(
        int(m.group(1)) for name in BrowserType.__members__ if (m := re.fullmatch(r"chrome(\d+)", name))
    )
    newest = versions[-1]
    wanted = None
    if user_agent and (m := re.search(r"Chrome/(\d+)", user_agent)):
        wanted = int(m.group(1))
    chosen = max((v for v in versions if wanted is None or v <= wanted), default=versions[0])
    ua = user_agent or (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{newest}.0.0.0 Safari/537.36"
    )
    return f"chrome{chosen}", ua


async def abort_stream(response: Any) -> None:
    """Stop an in-flight curl_cffi stream now (``aclose()`` alone waits for the server's EOF)."""
    quit_now = getattr(response, "quit_now", None)
    if quit_now is not None:
        quit_now.set()
    task, response.astream_task = getattr(response, "astream_task", None), None
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


def network_error(e: CurlError, base_url: str) -> NetworkError:
    if isinstance(e, Timeout) or e.code == 28:  # 28: CURLE_OPERATION_TIMEDOUT
        return NetworkError(f"Timed out talking to {base_url}.", "Check the network or the proxy, then retry.")
    reason = str(e).split(". See ")[0]
    return NetworkError(
        f"Cannot reach {base_url}: {reason}",
        "Check the network connection and any proxy (--proxy, HTTPS_PROXY).",
    )


class GrokHTTP:
    """One session per command run, created inside the running event loop."""

    def __init__(self, settings: Settings, credentials: Credentials) -> None:
        self.settings = settings
        self.credentials = credentials
        self.base_url = settings.base_url
        self._target, self.user_agent = chrome_target(credentials.user_agent)
        cache = settings.dirs.cache / f"site-meta-{hashlib.sha1(self.base_url.encode()).hexdigest()[:10]}.json"
        self.signer = Signer(settings.statsig, credentials, self._fetch_home_page, cache)
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> GrokHTTP:
        self._session = AsyncSession(
            impersonate=self._target,
            default_headers=False,  # the impersonation defaults are a page navigation's, not an XHR's
            proxy=self.settings.proxy or None,
            allow_redirects=False,  # a redirect must never carry the cookies to another host
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("GrokHTTP used outside its context")
        return self._session

    # -- headers ------------------------------------------------------------------------------
    def _base_headers(self) -> dict[str, str]:
        return {
            "accept-language": "en-US,en;q=0.9",
            "user-agent": self.user_agent,
            "cookie": self.credentials.cookie_header(),
        }

    async def api_headers(self, method: str, path: str, referer: str | None = None) -> dict[str, str]:
        headers = {
            **self._base_headers(),
            "accept": "*/*",
            "content-type": "application/json",
            "origin": self.base_url,
            "referer": referer or f"{self.base_url}/",
            "sec-fetch-dest": "empty",
            "sec-fetch-mode": "cors",
            "sec-fetch-site": "same-origin",
            "x-xai-request-id": str(uuid.uuid4()),
        }
        signature = await self.signer.sign(method, path)
        if signature:
            headers["x-statsig-id"] = signature
        return headers

    async def _fetch_home_page(self) -> str:
        headers = {
            **self._base_headers(),
            "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "sec-fetch-dest": "document",
            "sec-fetch-mode": "navigate",
            "sec-fetch-site": "none",
        }
        r = await self.session.get(f"{self.base_url}/", headers=headers, timeout=CONNECT_TIMEOUT)
        return r.text if r.status_code == 200 else ""

    # -- requests -----------------------------------------------------------------------------
    async def request_json(self, method: str, path: str, body: Any = None) -> Any:
        """A JSON API call with the same retry and error rules as a chat request."""
        response = await self._send(method, path, body, referer=None, stream=False)
        try:
            return json.loads(response.text) if response.text.strip() else None
        except ValueError:
            raise NetworkError(f"grok.com sent an unreadable answer to {path}.") from None

    async def stream(self, path: str, body: Any, *, referer: str | None = None) -> AsyncIterator[bytes]:
        """The body of a streamed POST, chunk by chunk, ended by EOF or the idle timeout."""
        response = await self._send("POST", path, body, referer=referer, stream=True)
        idle = self.settings.timeout
        try:
            chunks = response.aiter_content()
            while True:
                try:
                    chunk = await asyncio.wait_for(anext(chunks), idle)
                except StopAsyncIteration:
                    return
                except TimeoutError:
                    raise NetworkError(
                        f"grok.com sent nothing for {idle:g} s, so grok stopped waiting.",
                        "Long thinking can be silent for minutes: raise --timeout or GROK_TIMEOUT.",
                    ) from None
                except RequestException as e:
                    raise NetworkError(f"The connection to grok.com broke during the answer ({e.code}).") from None
                yield chunk
        finally:
            await abort_stream(response)

    async def _send(self, method: str, path: str, body: Any, *, referer: str | None, stream: bool) -> Any:
        url = f"{self.base_url}{path}"
        resigned = False
        last: GrokError | None = None
        for attempt in range(MAX_ATTEMPTS):
            headers = await self.api_headers(method, path, referer)
            try:
                response = await self.session.request(
                    method,
                    url,
                    headers=headers,
                    data=None if body is None else json.dumps(body, ensure_ascii=False).encode(),
                    stream=stream,
                    timeout=(CONNECT_TIMEOUT, self.settings.timeout) if stream else self.settings.timeout,
                )
            except RequestException as e:
                last = network_error(e, self.base_url)
                await self.backoff(attempt, None)
                continue
            if 200 <= response.status_code < 300:
                return response
            text = await self._error_body(response) if stream else response.text
            error = classify_http(response.status_code, text, dict(response.headers))
            if isinstance(error, StaleSignatureError) and not resigned:
                resigned = True
                self.signer.forget_meta()
                continue
            if response.status_code == 429 or response.status_code >= 500:
                last = error
                retry_after = error.retry_after if isinstance(error, RateLimitedError) else None
                if retry_after is not None and retry_after > MAX_RETRY_WAIT:
                    raise rate_limited("too many requests", retry_after)
                if attempt + 1 < MAX_ATTEMPTS:
                    await self.backoff(attempt, retry_after)
                continue
            raise error
        assert last is not None
        raise last

    @staticmethod
    async def backoff(attempt: int, retry_after: float | None) -> None:
        if attempt + 1 >= MAX_ATTEMPTS:
            return
        delay = retry_after if retry_after is not None else BACKOFF_BASE * 2**attempt
        await asyncio.sleep(delay + random.uniform(0, 0.1))

    async def _error_body(self, response: Any) -> str:
        data = bytearray()
        try:
            chunks = response.aiter_content()
            while len(data) < ERROR_BODY_LIMIT:
                try:
                    data += await asyncio.wait_for(anext(chunks), CONNECT_TIMEOUT)
                except (StopAsyncIteration, TimeoutError, RequestException):
                    break
        finally:
            await abort_stream(response)
        return data.decode("utf-8", errors="replace")
