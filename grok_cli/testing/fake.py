"""``FakeGrok``: the fake grok.com running in a background thread, and its test-facing API.

The server runs on its own event loop in a daemon thread so that code under test may call
``asyncio.run()`` freely (library-notes §8). Start/stop take a few milliseconds; stop cancels
handlers still streaming (e.g. the ``stall`` scenario) after 0.2 s.
"""

from __future__ import annotations

import asyncio
import copy
import threading
from types import TracebackType
from typing import Any

from aiohttp import web

from . import scenarios as sc
from .chunk_form import FORMS
from .gateway import STYLES, GatewayMessage
from .server import DEFAULT_DELAY, DEFAULT_UPLOAD_LIMIT, Recorded, Server
from .state import DEFAULT_CF_CLEARANCE, DEFAULT_QUOTA, DEFAULT_SSO, DEFAULT_USER_ID, Conversation, session_cookie

__all__ = ["FakeGrok"]


class FakeGrok:
    """A fake grok.com (web origin), assets.grok.com and "another host", on three local ports.

    >>> with FakeGrok(delay=0.0) as srv:          # doctest: +SKIP
    ...     env = srv.env()                       # GROK_BASE_URL, GROK_ASSETS_URL, GROK_COOKIE
    """

    def __init__(
        self,
        *,
        delay: float = DEFAULT_DELAY,
        scenario: str = "short",
        strict_statsig: bool = False,
        upload_limit: int = DEFAULT_UPLOAD_LIMIT,
        host: str = "127.0.0.1",
        port: int = 0,
        assets_port: int = 0,
        other_port: int = 0,
    ) -> None:
        sc.parse(scenario)  # fail early on a typo
        self._server = Server(delay=delay, scenario=scenario, strict_statsig=strict_statsig, upload_limit=upload_limit)
        self._host = host
        self._ports = (port, assets_port, other_port)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runners: list[web.AppRunner] = []
        self._bound: list[int] = []
        self.sso = DEFAULT_SSO
        self.cf_clearance = DEFAULT_CF_CLEARANCE
        self.user_id = DEFAULT_USER_ID

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeGrok:
        if self._thread is not None:
            raise RuntimeError("FakeGrok already started")
        self._bound = []
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._bind())
            except BaseException as e:  # reported to start()'s caller
                failure.append(e)
                ready.set()
                loop.run_until_complete(self._cleanup())
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._cleanup())
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=serve, name="FakeGrok", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            self._thread.join(5)
            self._thread = None
            raise failure[0]
        return self

    async def _bind(self) -> None:
        self._server.open()
        apps = [self._server.web_app(), self._server.assets_app(), self._server.other_app()]
        for app, port in zip(apps, self._ports, strict=True):
            # shutdown_timeout: don't wait for a stalled stream to finish on stop().
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2, handle_signals=False)
            await runner.setup()
            self._runners.append(runner)
            site = web.TCPSite(runner, self._host, port)
            await site.start()
            self._bound.append(runner.addresses[0][1])  # the port actually bound (port 0 = any)
        self._server.other_url = self.other_url

    async def _cleanup(self) -> None:
        await self._server.close_streams()
        await asyncio.gather(*(r.cleanup() for r in self._runners), return_exceptions=True)
        self._runners.clear()

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._thread = None
        self._loop = None

    def __enter__(self) -> FakeGrok:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses and credentials ---------------------------------------------------------
    def _origin(self, index: int) -> str:
        if len(self._bound) <= index:
            raise RuntimeError("FakeGrok is not started")
        return f"http://{self._host}:{self._bound[index]}"

    @property
    def url(self) -> str:
        """The web origin (stands for https://grok.com)."""
        return self._origin(0)

    @property
    def assets_url(self) -> str:
        """The assets origin (stands for https://assets.grok.com)."""
        return self._origin(1)

    @property
    def other_url(self) -> str:
        """A third origin standing for "some other host"; records requests too."""
        return self._origin(2)

    @property
    def cookie(self) -> str:
        """A valid Cookie header for the built-in session."""
        return session_cookie(self.sso, self.cf_clearance)

    def env(self) -> dict[str, str]:
        """Environment for a subprocess pointed at this server."""
        return {"GROK_BASE_URL": self.url, "GROK_ASSETS_URL": self.assets_url, "GROK_COOKIE": self.cookie}

    # -- behaviour knobs -------------------------------------------------------------------
    @property
    def scenario(self) -> str:
        """Scenario for requests whose prompt has no ``scenario:<name>`` token (e.g. "long:500")."""
        return self._server.scenario

    @scenario.setter
    def scenario(self, value: str) -> None:
        sc.parse(value)
        self._server.scenario = value
        self._server.scenario_epoch += 1

    @property
    def delay(self) -> float:
        return self._server.delay

    @delay.setter
    def delay(self, value: float) -> None:
        self._server.delay = value

    @property
    def strict_statsig(self) -> bool:
        return self._server.strict_statsig

    @strict_statsig.setter
    def strict_statsig(self, value: bool) -> None:
        self._server.strict_statsig = value

    @property
    def gone(self) -> frozenset[str]:
        """Transports switched off: "rest" answers chat POSTs "Please update your client",
        "rest-404" answers them a bare 404 (a removed route), "ws" refuses the gateway upgrade
        with 404."""
        return frozenset(self._server.gone)

    @gone.setter
    def gone(self, value: set[str] | frozenset[str]) -> None:
        unknown = set(value) - {"rest", "rest-404", "ws"}
        if unknown:
            raise ValueError(f"unknown transports {sorted(unknown)}; known: rest, rest-404, ws")
        self._server.gone = set(value)

    @property
    def gateway_style(self) -> str:
        """How the WebSocket gateway speaks unless a scenario says otherwise: "web" (section 9.1,
        as grok.com does today), "deltas" (its text as delta events), "garbled" (web with one
        event cut short inside a packed message) or "section9" (the older shape: one event per
        message, the title before response.done)."""
        return self._server.gateway.style

    @gateway_style.setter
    def gateway_style(self, value: str) -> None:
        if value not in STYLES:
            raise ValueError(f"gateway_style must be one of {', '.join(STYLES)}")
        self._server.gateway.style = value

    @property
    def upload_limit(self) -> int:
        return self._server.upload_limit

    @upload_limit.setter
    def upload_limit(self, value: int) -> None:
        self._server.upload_limit = value

    @property
    def upload_v2(self) -> str:
        """How /http/upload-file-v2/direct behaves: "ok", "gone" (404) or "async" (no file id)."""
        return self._server.upload_v2_mode

    @upload_v2.setter
    def upload_v2(self, value: str) -> None:
        if value not in ("ok", "gone", "async"):
            raise ValueError("upload_v2 must be ok, gone or async")
        self._server.upload_v2_mode = value

    @property
    def bad_credentials(self) -> bool:
        """Refuse every session (401 "Bad credentials"), as grok.com does once a login has ended."""
        return self._server.bad_credentials

    @bad_credentials.setter
    def bad_credentials(self, value: bool) -> None:
        self._server.bad_credentials = value

    @property
    def unknown_frames(self) -> bool:
        """Put a frame of a shape grok does not know into every answer (REST) and an event of an
        unknown type into every gateway turn: what a protocol change looks like."""
        return self._server.unknown_frames

    @unknown_frames.setter
    def unknown_frames(self, value: bool) -> None:
        self._server.unknown_frames = value

    @property
    def history_form(self) -> str:
        """How a conversation's stored turns come back from load-responses: "flat" (a ``message``
        each, as REST-era grok.com) or "chunks" (``inputChunks``/``outputChunks``, as since 2026)."""
        return self._server.history_form

    @history_form.setter
    def history_form(self, value: str) -> None:
        if value not in FORMS:
            raise ValueError(f"history_form must be one of {', '.join(FORMS)}")
        self._server.history_form = value

    @property
    def quota(self) -> dict[str, tuple[int, int, int]]:
        """Live mode -> (remaining, total, windowSizeSeconds); item assignment works too."""
        return self._server.state.quota

    @quota.setter
    def quota(self, value: dict[str, tuple[int, int, int]]) -> None:
        with self._server.state.lock:
            self._server.state.quota.clear()
            self._server.state.quota.update(DEFAULT_QUOTA)
            self._server.state.quota.update(value)

    @property
    def modes(self) -> list[dict[str, Any]]:
        """The modes /rest/modes lists; a chat with any other ``modeId`` gets grok.com's unknown-mode
        reply. Assign a list (it is copied) to offer other modes; ``testing.MODES`` is the default."""
        return self._server.state.mode_list()

    @modes.setter
    def modes(self, value: list[dict[str, Any]]) -> None:
        with self._server.state.lock:
            self._server.state.modes = copy.deepcopy(value)

    def add_session(self, sso: str, email: str = "fake@example.com") -> None:
        """Accept another sso token (same user for the same email)."""
        self._server.state.add_session(sso, email)

    def block_session(self, sso: str | None = None) -> None:
        """Mark a session (default: the built-in one) as a banned account."""
        with self._server.state.lock:
            self._server.state.sessions[sso or self.sso].blocked = True

    # -- observation -----------------------------------------------------------------------
    @property
    def requests(self) -> list[Recorded]:
        """Every request received on any origin, in order (a snapshot)."""
        return self._server.requests

    def chat_requests(self) -> list[Recorded]:
        """Only POST .../conversations/new and .../responses."""
        return [r for r in self._server.requests if r.is_chat]

    def clear_requests(self) -> None:
        self._server.clear_requests()
        self._server.gateway.clear()

    def gateway_messages(self) -> list[GatewayMessage]:
        """Every frame clients sent to the WebSocket gateway, in order (a snapshot)."""
        return self._server.gateway.messages

    def prompts(self) -> list[str]:
        """The prompts of every chat turn received, over REST or the gateway, in order."""
        turns = [(r.time, r.body.get("message", "")) for r in self.chat_requests() if isinstance(r.body, dict)]
        for m in self.gateway_messages():
            if m.type == "conversation.item.create":
                chunks = m.message["event"].get("item", {}).get("x_grok", {}).get("input_chunks", [])
                text = "".join(c["text"].get("text", "") for c in chunks if isinstance(c, dict) and "text" in c)
                turns.append((m.time, text))
        return [text for _, text in sorted(turns, key=lambda t: t[0])]

    def instructions(self) -> list[str]:
        """The custom instructions of every chat turn received, in order ("" for none): REST's
        ``customInstructions``, or on the gateway its session's ``x_grok.custom_instructions``."""
        turns = [
            (r.time, r.body.get("customInstructions", "")) for r in self.chat_requests() if isinstance(r.body, dict)
        ]
        sessions: dict[int, str] = {}
        for m in self.gateway_messages():
            event = m.message["event"]
            if m.type == "session.create":
                session = event.get("session")
                x_grok = session.get("x_grok") if isinstance(session, dict) else None
                sessions[m.connection] = x_grok.get("custom_instructions", "") if isinstance(x_grok, dict) else ""
            elif m.type == "conversation.item.create":
                turns.append((m.time, sessions.get(m.connection, "")))
        return [text for _, text in sorted(turns, key=lambda t: t[0])]

    @property
    def conversations(self) -> dict[str, Conversation]:
        """A deep copy of the conversation trees (soft-deleted ones included, flagged)."""
        return self._server.state.snapshot()

    def __repr__(self) -> str:
        where = self.url if self._bound else "not started"
        return f"<FakeGrok {where} scenario={self.scenario!r}>"
