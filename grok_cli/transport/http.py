"""The curl_cffi session to grok.com: Chrome impersonation, headers, proxy, retries, streaming.

Two curl_cffi facts shape this module (library-notes section 2): its ``timeout`` is not a read
timeout on streams, so the idle timeout is ours; and ``Response.aclose()`` waits for the server
to finish the body, so every stream is aborted explicitly with ``abort_stream``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import random
import re
import uuid
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import SplitResult, quote, urlsplit

from curl_cffi.curl import CurlError
from curl_cffi.requests import AsyncSession
from curl_cffi.requests.exceptions import RequestException, Timeout
from curl_cffi.requests.streams import STREAM_END

from grok_cli.auth.credentials import Credentials
from grok_cli.config import Settings, redacted
from grok_cli.errors import GrokError, NetworkError, RateLimitedError, StreamTimeoutError, UpstreamError
from grok_cli.protocol.errors import StaleSignatureError, classify_http, rate_limited
from grok_cli.transport.idle import IdleTimer
from grok_cli.transport.signer import Signer, is_signed

MAX_ATTEMPTS = 3
BACKOFF_BASE = 0.5
MAX_RETRY_WAIT = 20.0  # a longer Retry-After is reported to the user instead of slept through
CONNECT_TIMEOUT = 20.0
ERROR_BODY_LIMIT = 64 * 1024
DOWNLOAD_LIMIT = 100 * 1024 * 1024  # generated images are well under 10 MB; this bounds a hostile answer
_IMAGE_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
# What may stay unescaped in a URL path or query we pass on; everything else is percent-encoded,
# so curl cannot read a different host into it than urlsplit did.
_URL_SAFE = "/%:@!$&'()*+,;=-._~"


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


async def received(response: Any, idle: float) -> AsyncIterator[bytes]:
    """What a streamed response receives, one item per wake-up: every chunk curl queued since the
    last item, joined. TimeoutError after ``idle`` seconds with nothing; the transfer's
    RequestException when it fails, after what came before it.

    This reads the response's chunk queue the way ``Response.aiter_content`` does (the curl_cffi
    versions pyproject.toml allows have it), so that one wait can take all that is there and
    the idle timeout is one timer for the whole stream, not one per chunk.
    """
    queue = response.queue
    timer = IdleTimer(idle)
    try:
        while True:
            item = queue.get_nowait() if not queue.empty() else await timer.wait(queue.get())
            pieces: list[bytes] = []
            while not (item is STREAM_END or isinstance(item, BaseException)):
                pieces.append(item)
                if queue.empty():
                    break
                item = queue.get_nowait()
            if pieces:
                yield pieces[0] if len(pieces) == 1 else b"".join(pieces)
            if item is STREAM_END:
                return
            if isinstance(item, BaseException):
                raise item
    finally:
        timer.close()


def _origin(parts: SplitResult) -> tuple[str, str, int]:
    """(scheme, host, port) with the default port filled in; ValueError for a bad port."""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, (parts.hostname or "").lower(), port


def idle_timeout(seconds: float) -> NetworkError:
    return StreamTimeoutError(
        f"grok.com sent nothing for {seconds:g} s, so grok stopped waiting.",
        "Long thinking can be silent for minutes: raise --timeout or GROK_TIMEOUT.",
    )


def network_error(e: CurlError, base_url: str) -> NetworkError:
    if isinstance(e, Timeout) or e.code == 28:  # 28: CURLE_OPERATION_TIMEDOUT
        return StreamTimeoutError(f"Timed out talking to {base_url}.", "Check the network or the proxy, then retry.")
    # curl repeats the URL it failed on, a proxy's password included.
    reason = redacted("proxy", str(e).split(". See ")[0])
    return NetworkError(
        f"Cannot reach {base_url}: {reason}",
        "Check the network connection and any proxy (--proxy, HTTPS_PROXY).",
    )


@dataclass(frozen=True)
class RawBody:
    """A request body that is not JSON (a multipart form), with optional send progress."""

    data: bytes
    content_type: str
    on_progress: Callable[[int, int], None] | None = None

    def reader(self) -> io.BytesIO:
        return _ProgressReader(self.data, self.on_progress)


class _ProgressReader(io.BytesIO):
    """libcurl pulls the body through ``read``, so what it has read is what went out (give or
    take one socket buffer)."""

    def __init__(self, data: bytes, on_progress: Callable[[int, int], None] | None) -> None:
        super().__init__(data)
        self._total = len(data)
        self._on_progress = on_progress

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        if self._on_progress is not None:
            self._on_progress(self.tell(), self._total)
        return chunk


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
        self._bare: AsyncSession | None = None  # for other hosts: never saw a cookie

    def _new_session(self) -> AsyncSession:
        return AsyncSession(
            impersonate=self._target,
            default_headers=False,  # the impersonation defaults are a page navigation's, not an XHR's
            proxy=self.settings.proxy or None,
            allow_redirects=False,  # a redirect must never carry the cookies to another host
        )

    async def __aenter__(self) -> GrokHTTP:
        self._session = self._new_session()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for session in (self._session, self._bare):
            if session is not None:
                await session.close()
        self._session = self._bare = None

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
        # The browser signs the path alone; a query string would break the digest.
        bare_path = path.partition("?")[0]
        if is_signed(bare_path):
            signature = await self.signer.sign(method, bare_path)
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
        return (await self.request_json_headers(method, path, body))[0]

    async def request_json_headers(self, method: str, path: str, body: Any = None) -> tuple[Any, dict[str, str]]:
        """``request_json``'s answer and the response headers (names lower-case)."""
        response = await self._send(method, path, body, referer=None, stream=False)
        headers = {k.lower(): v for k, v in response.headers.items()}
        try:
            return (json.loads(response.text) if response.text.strip() else None), headers
        except ValueError:
            raise NetworkError(f"grok.com sent an unreadable answer to {path}.") from None

    async def send_body(
        self, path: str, body: Any | RawBody, *, passthrough: Collection[int] = ()
    ) -> tuple[int, str]:
        """POST a JSON or raw body; statuses in ``passthrough`` come back instead of raising.

        A raw body (an upload) is sent in stream mode: curl_cffi then applies the timeout as an
        idle timeout, where a plain request's is a total one that a large file on a slow link
        would hit while still making progress.
        """
        stream = isinstance(body, RawBody)
        response = await self._send("POST", path, body, referer=None, stream=stream, passthrough=passthrough)
        text = await self._bounded_body(response) if stream else response.text  # upload answers are small JSON
        return response.status_code, text

    async def stream(self, path: str, body: Any, *, referer: str | None = None) -> AsyncIterator[bytes]:
        """The body of a streamed POST as it arrives (see ``received``), ended by EOF or the idle
        timeout."""
        response = await self._send("POST", path, body, referer=referer, stream=True)
        idle = self.settings.timeout
        try:
            async for data in received(response, idle):
                yield data
        except TimeoutError:
            raise idle_timeout(idle) from None
        except RequestException as e:
            raise NetworkError(f"The connection to grok.com broke during the answer ({e.code}).") from None
        finally:
            await abort_stream(response)

    def _download_target(self, url: str) -> tuple[str, str, bool]:
        """The URL to fetch, its origin for messages, and whether it is a configured origin.

        A configured origin's URL is rebuilt from the configured origin text itself, so no
        spelling trick in server data can make curl connect somewhere the comparison did not.
        """
        parts = urlsplit(url)
        try:
            origin = _origin(parts)
        except ValueError:
            raise UpstreamError(f"grok.com sent a malformed URL: {url[:200]}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UpstreamError(f"Not an http(s) URL: {url[:200]}")
        if parts.username is not None or parts.password is not None:
            raise UpstreamError(f"Refusing a URL that carries a user name: {url[:200]}")
        path = quote(parts.path or "/", safe=_URL_SAFE)
        query = f"?{quote(parts.query, safe=_URL_SAFE + '?')}" if parts.query else ""
        for configured in (self.settings.assets_url, self.base_url):
            conf = urlsplit(configured)
            if _origin(conf) == origin:
                trusted = f"{conf.scheme}://{conf.netloc}"
                return f"{trusted}{path}{query}", trusted, True
        shown = f"{parts.scheme}://{parts.netloc}"
        return f"{shown}{path}{query}", shown, False

    def _web_origin(self) -> str:
        conf = urlsplit(self.base_url)
        return f"{conf.scheme}://{conf.netloc}"

    def _bare_session(self) -> AsyncSession:
        if self._bare is None:
            self._bare = self._new_session()
        return self._bare

    async def download(self, url: str, out: BinaryIO, *, limit: int = DOWNLOAD_LIMIT) -> str:
        """GET an image (or another asset) into ``out``; returns its content type, lower case.

        Only the configured web and assets origins get the session cookies, the stored
        User-Agent and grok.com's Referer, as the browser sends them. A URL on any other host
        is fetched without cookies, through a second session whose cookie jar has never seen a
        grok.com response, with no Referer. Redirects are not followed; 5xx, 429 and
        network failures are retried like API calls.
        """
        target, origin, trusted = self._download_target(url)
        if trusted:
            session = self.session
            headers = {
                **self._base_headers(),
                "accept": _IMAGE_ACCEPT,
                "referer": f"{self.base_url}/",
                "sec-fetch-dest": "image",
                "sec-fetch-mode": "no-cors",
                "sec-fetch-site": "same-origin" if origin == self._web_origin() else "same-site",
            }
        else:
            session = self._bare_session()
            headers = {"user-agent": self.user_agent, "accept": _IMAGE_ACCEPT}
        last: GrokError | None = None
        for attempt in range(MAX_ATTEMPTS):
            out.seek(0)
            out.truncate()
            try:
                response = await session.request(
                    "GET", target, headers=headers, stream=True, timeout=(CONNECT_TIMEOUT, self.settings.timeout)
                )
            except RequestException as e:
                last = network_error(e, origin)
                await self.backoff(attempt, None)
                continue
            try:
                status = response.status_code
                if status == 429 or status >= 500:
                    last = NetworkError(f"{origin} answered HTTP {status}.")
                    await self.backoff(attempt, None)
                    continue
                if status != 200:
                    refused = " (the session cookies were not accepted)" if trusted and status in (401, 403) else ""
                    raise UpstreamError(f"{origin} answered HTTP {status}{refused}.")
                await self._receive(response, out, limit, origin)
            except NetworkError as e:
                last = e
                await self.backoff(attempt, None)
                continue
            finally:
                await abort_stream(response)
            content_type = str(response.headers.get("content-type") or "")
            return content_type.split(";")[0].strip().lower()
        assert last is not None
        raise last

    async def _receive(self, response: Any, out: BinaryIO, limit: int, origin: str) -> None:
        size = 0
        try:
            async for data in received(response, self.settings.timeout):
                size += len(data)
                if size > limit:
                    raise UpstreamError(f"The file at {origin} is larger than {limit // 2**20} MB.")
                out.write(data)
        except TimeoutError:
            raise NetworkError(f"{origin} sent nothing for {self.settings.timeout:g} s.") from None
        except RequestException as e:
            raise NetworkError(f"The download from {origin} broke off ({e.code}).") from None

    async def _send(
        self,
        method: str,
        path: str,
        body: Any,
        *,
        referer: str | None,
        stream: bool,
        passthrough: Collection[int] = (),
    ) -> Any:
        url = f"{self.base_url}{path}"
        resigned = False
        last: GrokError | None = None
        for attempt in range(MAX_ATTEMPTS):
            headers = await self.api_headers(method, path, referer)
            payload: dict[str, Any]
            if isinstance(body, RawBody):
                headers["content-type"] = body.content_type
                payload = {"content": body.reader()}  # a fresh reader per attempt: it is consumed
            else:
                payload = {"data": None if body is None else json.dumps(body, ensure_ascii=False).encode()}
            try:
                response = await self.session.request(
                    method,
                    url,
                    headers=headers,
                    stream=stream,
                    timeout=(CONNECT_TIMEOUT, self.settings.timeout) if stream else self.settings.timeout,
                    **payload,
                )
            except RequestException as e:
                last = network_error(e, self.base_url)
                await self.backoff(attempt, None)
                continue
            if 200 <= response.status_code < 300 or response.status_code in passthrough:
                return response
            text = await self._bounded_body(response) if stream else response.text
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

    async def _bounded_body(self, response: Any) -> str:
        data = bytearray()
        try:
            async for chunk in received(response, CONNECT_TIMEOUT):
                data += chunk
                if len(data) >= ERROR_BODY_LIMIT:
                    break
        except (TimeoutError, RequestException):
            pass
        finally:
            await abort_stream(response)
        return data.decode("utf-8", errors="replace")
