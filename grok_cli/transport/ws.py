"""The WebSocket chat gateway (``wss://grok.com/ws/mgw/?uid=<user id>``, protocol sections 9, 9.1).

One socket per turn, on the same curl_cffi session (impersonation, proxy, cookies) as REST.
The idle timeout is ours (a silent server, not a silent network, is what it measures, so the
heartbeat does not reset it); every exit path that is not a finished answer terminates the
socket at once instead of waiting for a closing handshake, so Ctrl-C is immediate.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

from curl_cffi.const import CurlWsFlag
from curl_cffi.curl import CurlError
from curl_cffi.requests.exceptions import RequestException
from curl_cffi.requests.websockets import WebSocketClosed, WebSocketTimeout

from grok_cli.errors import AuthError, BlockedError, GrokError, NetworkError, RateLimitedError, TransportGoneError
from grok_cli.events import FLUSH, Event, RawFrame
from grok_cli.protocol import gateway as gw
from grok_cli.protocol.errors import classify_http
from grok_cli.protocol.payload import ChatRequest
from grok_cli.transport.http import CONNECT_TIMEOUT, MAX_ATTEMPTS, GrokHTTP, idle_timeout, network_error

HEARTBEAT = 20.0  # seconds between client pings, as the web app sends them
CLOSE_TIMEOUT = 1.0
# One message may carry a whole answer (response.output_text.done) or a replayed history:
# curl_cffi's default of 4 MiB would end a long conversation with a transport error.
MAX_MESSAGE_BYTES = 64 * 2**20
_REFUSED = re.compile(r"Refused WebSocket upgrade: (\d{3})")
# What a server answers when it has no gateway (any more) at that address.
_GONE_STATUSES = {400, 404, 405, 410, 426, 501}


def gateway_url(base_url: str, user_id: str) -> str:
    scheme, rest = base_url.split("://", 1)
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}{gw.GATEWAY_PATH}?uid={quote(user_id, safe='')}"


def upgrade_status(error: CurlError) -> int | None:
    """The HTTP status of a refused upgrade (libcurl reports it only in the message)."""
    m = _REFUSED.search(str(error))
    return int(m.group(1)) if m else None


def refusal_error(status: int, body: str, headers: dict[str, str]) -> GrokError:
    """What a refused upgrade means; 404/426-like answers mean the gateway is gone."""
    error = classify_http(status, body, headers)
    if isinstance(error, (AuthError, BlockedError, RateLimitedError)):
        return error
    if isinstance(error, TransportGoneError) and status not in (404, 405, 410):
        return error  # grok.com's own words, e.g. "Please update your client"
    if status in _GONE_STATUSES:
        return TransportGoneError(
            f"grok.com's WebSocket chat gateway refused the connection (HTTP {status}).",
            "grok.com may have switched the gateway off; try --transport rest.",
        )
    return error


class GrokGateway:
    def __init__(self, http: GrokHTTP, warn: Callable[[str], None] = lambda message: None) -> None:
        self.http = http
        self._warn = warn  # once per turn that held something unreadable: a sign grok.com changed
        self._user_id: str | None = None

    async def user_id(self) -> str:
        """From the ``x-userid`` cookie, else from grok.com's session endpoint (once per run)."""
        if self._user_id is None:
            self._user_id = self.http.credentials.user_id or await self._session_user_id()
        return self._user_id

    async def _session_user_id(self) -> str:
        data = await self.http.request_json("GET", "/api/auth/session")
        data = data if isinstance(data, dict) else {}
        status = data.get("status")
        if status == "blocked":
            raise BlockedError("grok.com says this account is blocked.", "Check the account in a browser at grok.com.")
        session = data.get("session") if isinstance(data.get("session"), dict) else {}
        user_id = session.get("userId")
        if status == "unauthenticated" or not isinstance(user_id, str) or not user_id:
            raise AuthError("grok.com did not recognise the session (no user id for the chat gateway).")
        return user_id

    def _headers(self, user_id: str) -> dict[str, str]:
        cookie = self.http.credentials.cookie_header()
        if self.http.credentials.user_id is None:
            cookie += f"; x-userid={user_id}"  # the gateway reads the user from this cookie too
        return {
            "user-agent": self.http.user_agent,
            "accept-language": "en-US,en;q=0.9",
            "cache-control": "no-cache",
            "pragma": "no-cache",
            "origin": self.http.base_url,
            "cookie": cookie,
        }

    async def _connect(self) -> Any:
        user_id = await self.user_id()
        url = gateway_url(self.http.base_url, user_id)
        headers = self._headers(user_id)
        last: GrokError | None = None
        for attempt in range(MAX_ATTEMPTS):
            try:
                return await self.http.session.ws_connect(
                    url, headers=headers, timeout=CONNECT_TIMEOUT, max_message_size=MAX_MESSAGE_BYTES
                )
            except CurlError as e:
                status = upgrade_status(e)
                if status is None:
                    last = network_error(e, self.http.base_url)
                elif status >= 500:
                    last = classify_http(status, "", {})
                else:
                    raise await self._explain(status, url, headers) from None
            await GrokHTTP.backoff(attempt, None)
        assert last is not None
        raise last

    async def _explain(self, status: int, url: str, headers: dict[str, str]) -> GrokError:
        """libcurl drops the body of a refused upgrade; one plain GET of the same URL shows it."""
        http_url = url.replace("wss://", "https://", 1).replace("ws://", "http://", 1)
        try:
            r = await self.http.session.get(http_url, headers=headers, timeout=CONNECT_TIMEOUT)
        except RequestException:
            return refusal_error(status, "", {})
        if r.status_code != status:  # the server answers a plain GET differently: no clue there
            return refusal_error(status, "", {})
        return refusal_error(status, r.text[:64 * 1024], dict(r.headers))

    async def turn(self, req: ChatRequest, norm: gw.GatewayNormalizer, *, raw: bool) -> AsyncIterator[Event]:
        """One chat turn: open a session, send the message, yield events until response.done."""
        ws = await self._connect()
        finished = False
        try:
            async with contextlib.aclosing(self._converse(ws, req, norm, raw=raw)) as events:
                async for event in events:
                    yield event
            finished = True
        finally:
            if finished:
                await _close(ws)
            else:
                ws.terminate()

    async def _converse(
        self, ws: Any, req: ChatRequest, norm: gw.GatewayNormalizer, *, raw: bool
    ) -> AsyncIterator[Event]:
        loop = asyncio.get_running_loop()
        idle = self.http.settings.timeout
        await _send(ws, gw.session_create(req, gw.new_event_id("init")))
        sent = False
        silent_until = loop.time() + idle
        next_ping = loop.time() + HEARTBEAT
        # After response.done the title and suggestions are still to come (section 9.1): read
        # on until they are in, or until a short silence says nothing more is coming.
        linger_until = 0.0
        warned = False
        unflushed = False  # events went out since the last FLUSH
        while not norm.settled:
            now = loop.time()
            if norm.finished and now >= linger_until:
                return
            if not norm.finished and now >= silent_until:
                raise idle_timeout(idle)
            if now >= next_ping:
                await _send(ws, gw.ping(gw.new_event_id("hb")))
                next_ping = now + HEARTBEAT
            deadline = linger_until if norm.finished else silent_until
            try:
                if unflushed:
                    # Messages that are already here join this batch: the sinks write and flush
                    # once per wake-up, and flush before grok waits for grok.com again.
                    try:
                        data, flags = await ws.recv(timeout=0)
                    except WebSocketTimeout:
                        unflushed = False
                        yield FLUSH
                        continue
                else:
                    data, flags = await ws.recv(timeout=min(deadline, next_ping) - now)
            except WebSocketTimeout:
                continue
            except WebSocketClosed:
                return  # the server hung up: the answer state says whether that was early
            except CurlError as e:  # the transport failed (reset, TLS, ...) rather than closed
                raise NetworkError(f"The connection to grok.com broke during the answer ({e.code}).") from None
            if flags & CurlWsFlag.CLOSE:
                return
            text = data.decode("utf-8", errors="replace")
            if raw:  # the message as received, unreadable parts included
                yield RawFrame(text)
            progress = False
            events, unreadable = gw.split_events(text)
            if unreadable and not warned:
                self._warn(
                    f"grok.com sent {len(unreadable)} characters grok could not read; the answer goes on "
                    "without them (`--raw` shows them)."
                )
                warned = True
            for event in events:
                if event["type"] == "pong":
                    continue
                if event["type"] == "ping":  # keep-alive, not progress: the idle clock keeps running
                    await _send(ws, gw.pong(event.get("event_id")))
                    continue
                progress = True
                for out in norm.feed(event):
                    yield out
            if not progress:
                continue
            silent_until = loop.time() + idle
            if norm.finished:
                linger_until = loop.time() + norm.linger()
            unflushed = True
            if not sent and norm.ready:
                session_id = norm.session_id or ""
                await _send(ws, gw.item_create(req, session_id, gw.new_event_id("msg")))
                await _send(ws, gw.response_create(session_id, gw.new_event_id("resp")))
                sent = True


async def _send(ws: Any, text: str) -> None:
    """Send a frame; a socket the server already closed is reported by the next receive instead,
    after whatever the server sent before closing has been read."""
    with contextlib.suppress(CurlError):
        await ws.send_str(text)


async def _close(ws: Any) -> None:
    """A polite close after a finished answer, never longer than CLOSE_TIMEOUT."""
    try:
        await asyncio.wait_for(ws.close(timeout=CLOSE_TIMEOUT), CLOSE_TIMEOUT + 0.5)
    except (TimeoutError, CurlError):
        ws.terminate()
