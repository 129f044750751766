"""The aiohttp applications of the fake grok.com: routes, validation, recording, streaming.

Three origins, each its own app on its own port:

* ``web``: grok.com itself (pages, ``/api/auth/session``, ``/rest/...``, ``/http/...``);
* ``assets``: assets.grok.com (generated images, uploaded files), a different origin on purpose;
* ``other``: "some other host", which serves image bytes for any path so a test can check that
  nothing (no cookie in particular) leaks there.

Requests are validated in the order grok.com's stack would meet them: Cloudflare
(``cf_clearance``), then the session (``sso``), then the REST anti-bot headers, then the body.
Every request, accepted or not, is recorded first.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.message
import json
import posixpath
import secrets
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

from aiohttp import web

from . import frames as f
from . import scenarios as sc
from .chunk_form import chunk_form
from .gateway import GATEWAY_PATH, Gateway
from .images import jpeg_bytes, png_bytes
from .pages import challenge_headers, challenge_page, home_page, sign_in_page
from .state import (
    DEFAULT_CF_CLEARANCE,
    DEFAULT_DELAY,
    DEFAULT_UPLOAD_LIMIT,
    Asset,
    Conversation,
    Session,
    State,
    StoredResponse,
    Upload,
    make_sso,
)
from .statsig import Verdict, classify, encode

__all__ = ["DEFAULT_DELAY", "DEFAULT_UPLOAD_LIMIT", "Recorded", "Server"]

Json = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# 2025/2026-03 bodies carry modelMode instead of modeId (§6); map the ones grok.com understood.
_MODEL_MODES = {
    "MODEL_MODE_FAST": "fast",
    "MODEL_MODE_AUTO": "auto",
    "MODEL_MODE_EXPERT": "expert",
    "MODEL_MODE_HEAVY": "heavy",
}
_NO_JSON = object()


def _request_key(name: str) -> Any:
    # aiohttp >= 3.13 warns about plain-string request storage keys; older ones lack RequestKey.
    key_type = getattr(web, "RequestKey", None)
    return key_type(name, object) if key_type is not None else name


RAW = _request_key("raw")  # the body bytes (the recorder consumed the stream)
JSON = _request_key("json")  # the parsed body, or _NO_JSON
SESSION = _request_key("session")  # the Session behind the sso cookie
# Pages a signed-out browser must reach; everything else on the web origin sits behind Cloudflare.
_PUBLIC_PATHS = frozenset({"/", "/sign-in"})
_CHAT_SUFFIXES = ("/rest/app-chat/conversations/new", "/responses")


@dataclass(frozen=True)
class Recorded:
    """One request as the server saw it (header names lower-case)."""

    origin: str  # "web" | "assets" | "other"
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    cookies: dict[str, str]
    body: Any  # parsed JSON, or None
    raw: bytes
    time: float

    @property
    def is_chat(self) -> bool:
        return self.origin == "web" and self.method == "POST" and self.path.endswith(_CHAT_SUFFIXES)


def _error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(f.error_object(code, message), status=status, headers=headers, dumps=_compact)


def _compact(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _ok(obj: Any) -> web.Response:
    return web.json_response(obj, dumps=_compact)


def _is_uuid(value: str | None) -> bool:
    try:
        uuid.UUID(value or "")
    except ValueError:
        return False
    return True


def _cloudflare_response(path: str, zone: str) -> web.Response:
    headers = challenge_headers(secrets.token_hex(8) + "-SJC")
    content_type = headers.pop("Content-Type")
    return web.Response(status=403, text=challenge_page(path, zone), headers={**headers, "Content-Type": content_type})


def _parse_multipart(raw: bytes, content_type: str) -> list[tuple[dict[str, str], bytes]]:
    """Split a multipart/form-data body into (headers incl. name/filename, content) parts.

    The recorder has already consumed the request stream, so aiohttp's reader can't be used.
    """
    msg = email.message.Message()
    msg["content-type"] = content_type
    boundary = msg.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        return []
    parts = []
    for section in raw.split(b"--" + boundary.encode())[1:]:
        if section.startswith(b"--"):
            break
        head, sep, body = section.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            continue
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = email.message.Message()
        disposition["content-disposition"] = headers.get("content-disposition", "")
        headers["name"] = str(disposition.get_param("name", "", header="content-disposition"))
        filename = disposition.get_filename()
        if filename is not None:
            headers["filename"] = filename
        parts.append((headers, body.removesuffix(b"\r\n")))
    return parts


def _local_path(value: str | None) -> str:
    """A redirect target on this origin only (never an open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    return value




class Server:
    """Settings, state and request log shared by the three apps (owned by FakeGrok)."""

    def __init__(
        self,
        *,
        delay: float = DEFAULT_DELAY,
        scenario: str = "short",
        strict_statsig: bool = False,
        upload_limit: int = DEFAULT_UPLOAD_LIMIT,
    ) -> None:
        self.state = State()
        self.delay = delay
        self.scenario = scenario
        self.scenario_epoch = 0  # bumped whenever the default scenario is set
        self.strict_statsig = strict_statsig
        self.upload_limit = upload_limit
        self.upload_v2_mode = "ok"  # "ok", "gone" (404, the endpoint withdrawn) or "async" (uploadId only)
        self.history_form = "flat"  # how load-responses shows stored turns: "flat" message or "chunks"
        self.bad_credentials = False  # every session is refused, as when grok.com ended it
        self.unknown_frames = False  # every answer carries a frame (and gateway event) of a new shape
        self.other_url = ""  # known once the "other" site is bound
        # Transports grok.com has "switched off": "rest" answers every chat POST with "Please
        # update your client", "ws" refuses the gateway upgrade with 404.
        self.gone: set[str] = set()
        self.gateway = Gateway(self)
        # Set on stop: streams still sleeping (stall, slow) end at once instead of holding
        # aiohttp's shutdown for its whole timeout. Created on the server loop by open().
        self._closing: asyncio.Event | None = None
        self.active_streams = 0
        self._log: list[Recorded] = []
        self._log_lock = threading.Lock()

    # -- lifecycle (called on the server's loop) ------------------------------------------
    def open(self) -> None:
        self._closing = asyncio.Event()

    async def close_streams(self, timeout: float = 0.2) -> None:
        """Make in-flight streams end now; wait (briefly) until they have."""
        if self._closing is not None:
            self._closing.set()
        deadline = asyncio.get_running_loop().time() + timeout
        while self.active_streams and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.005)

    async def _pause(self, seconds: float) -> None:
        """Sleep, unless the server is stopping (then drop the stream)."""
        closing = self._closing
        if closing is None:
            await asyncio.sleep(seconds)
            return
        if not closing.is_set():
            try:
                await asyncio.wait_for(closing.wait(), seconds)
            except TimeoutError:
                return
        raise ConnectionResetError("server stopping")

    # -- request log -----------------------------------------------------------------------
    @property
    def requests(self) -> list[Recorded]:
        with self._log_lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()

    def _recorder(self, origin: str) -> Any:
        @web.middleware
        async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
            raw = await request.read() if request.can_read_body else b""
            parsed: Any = _NO_JSON
            if raw and not request.content_type.startswith(("multipart/", "application/x-www-form-urlencoded")):
                try:
                    parsed = json.loads(raw)
                except ValueError:
                    parsed = _NO_JSON
            headers: dict[str, str] = {}
            for key, value in request.headers.items():
                k = key.lower()
                headers[k] = f"{headers[k]}, {value}" if k in headers else value
            rec = Recorded(
                origin=origin,
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=headers,
                cookies=dict(request.cookies),
                body=None if parsed is _NO_JSON else parsed,
                raw=raw,
                time=time.time(),
            )
            with self._log_lock:
                self._log.append(rec)
            request[RAW] = raw
            request[JSON] = parsed
            return await handler(request)

        return record

    # -- guards ----------------------------------------------------------------------------
    def _session_or_error(self, request: web.Request) -> Session | web.Response:
        sso = request.cookies.get("sso")
        if not sso:
            return _error(401, 16, "No credentials presented")
        session = self.state.session(sso)
        if session is None or self.bad_credentials:
            return _error(401, 16, "Bad credentials")
        return session

    @web.middleware
    async def _web_guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in _PUBLIC_PATHS:
            return await handler(request)
        if not request.cookies.get("cf_clearance"):
            return _cloudflare_response(request.path, "grok.com")
        if not request.headers.get("user-agent"):
            return _error(403, 7, "Request rejected by anti-bot rules.")
        session = self._session_or_error(request)
        if isinstance(session, web.Response):
            return session
        request[SESSION] = session
        if session.blocked and request.path != "/api/auth/session":
            return _error(403, 7, "user is blocked")
        if request.path.startswith(("/rest/", "/http/")):
            verdict = classify(
                request.headers.get("x-statsig-id"),
                request.method,
                request.path,
                max_skew=300 if self.strict_statsig else None,
            )
            if self.strict_statsig and verdict in (Verdict.FALLBACK, Verdict.OPAQUE):
                verdict = Verdict.WRONG_DIGEST
            if verdict in (Verdict.MISSING, Verdict.WRONG_DIGEST):
                return _error(403, 7, "Request rejected by anti-bot rules.")
            if verdict is Verdict.OUT_OF_DATE:
                return _error(403, 7, "This page is out of date. Reload to continue.")
            if not _is_uuid(request.headers.get("x-xai-request-id")):
                return _error(400, 3, "Invalid or missing x-xai-request-id")
        return await handler(request)

    @web.middleware
    async def _assets_guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.cookies.get("cf_clearance"):
            return _cloudflare_response(request.path, "assets.grok.com")
        session = self._session_or_error(request)
        if isinstance(session, web.Response):
            return session
        return await handler(request)

    @staticmethod
    async def _cloudflare_headers(request: web.Request, response: web.StreamResponse) -> None:
        # grok.com and assets.grok.com sit behind Cloudflare: every response says so.
        response.headers["Server"] = "cloudflare"
        response.headers.setdefault("CF-RAY", secrets.token_hex(8) + "-SJC")

    # -- apps ------------------------------------------------------------------------------
    def web_app(self) -> web.Application:
        app = web.Application(middlewares=[self._recorder("web"), self._web_guard], client_max_size=512 * 1024 * 1024)
        app.on_response_prepare.append(self._cloudflare_headers)
        r = app.router
        r.add_get("/", self.home)
        r.add_get("/sign-in", self.sign_in_form)
        r.add_post("/sign-in", self.sign_in)
        r.add_get("/api/auth/session", self.auth_session)
        r.add_get("/rest/auth/get-user", self.get_user)
        r.add_get(GATEWAY_PATH, self.gateway.handle)
        r.add_post("/rest/app-chat/conversations/new", self.chat_new)
        r.add_post("/rest/app-chat/conversations/{cid}/responses", self.chat_follow_up)
        r.add_post("/rest/app-chat/upload-file", self.upload_v1)
        r.add_post("/http/upload-file-v2/direct", self.upload_v2)
        r.add_post("/rest/rate-limits", self.rate_limits)
        r.add_post("/rest/modes", self.modes)
        r.add_get("/rest/app-chat/conversations", self.list_conversations)
        r.add_get("/rest/app-chat/conversations/deleted", self.list_deleted)
        r.add_get("/rest/app-chat/conversations/{cid}", self.get_conversation)
        r.add_get("/rest/app-chat/conversations_v2/{cid}", self.get_conversation_v2)
        r.add_get("/rest/app-chat/conversations/{cid}/response-node", self.response_nodes)
        r.add_post("/rest/app-chat/conversations/{cid}/load-responses", self.load_responses)
        r.add_delete("/rest/app-chat/conversations/soft/{cid}", self.soft_delete)
        r.add_delete("/rest/app-chat/conversations/{cid}", self.hard_delete)
        return app

    def assets_app(self) -> web.Application:
        app = web.Application(middlewares=[self._recorder("assets"), self._assets_guard])
        app.on_response_prepare.append(self._cloudflare_headers)
        app.router.add_get("/{path:.*}", self.asset)
        return app

    def other_app(self) -> web.Application:
        app = web.Application(middlewares=[self._recorder("other")])
        app.router.add_route("*", "/{path:.*}", self.other)
        return app

    # -- pages -----------------------------------------------------------------------------
    async def home(self, request: web.Request) -> web.Response:
        session = self.state.session(request.cookies.get("sso"))
        signed_in = session is not None and not session.blocked
        page = home_page(
            signed_in=signed_in,
            email=session.email if session else None,
            statsig=encode("POST", "/rest/app-chat/conversations/new") if signed_in else "",
            autochat=request.query.get("autochat") == "1",
        )
        return web.Response(text=page, content_type="text/html")

    async def sign_in_form(self, request: web.Request) -> web.Response:
        autofill = request.query.get("autofill") == "1"
        page = sign_in_page(autofill=autofill, next_path=_local_path(request.query.get("next")))
        return web.Response(text=page, content_type="text/html")

    async def sign_in(self, request: web.Request) -> web.Response:
        form = parse_qs(request[RAW].decode("utf-8", "replace"))
        next_path = _local_path((form.get("next") or [""])[0])
        email_addr = (form.get("email") or [""])[0].strip()
        password = (form.get("password") or [""])[0]
        if not email_addr or not password:
            page = sign_in_page("Enter your email and password.", next_path=next_path)
            return web.Response(status=400, text=page, content_type="text/html")
        sso = make_sso(str(uuid.uuid4()))
        session = self.state.add_session(sso, email_addr)
        resp = web.Response(status=302, headers={"Location": next_path})
        year = 365 * 24 * 3600
        resp.set_cookie("sso", sso, path="/", httponly=True, samesite="Lax", max_age=year)
        resp.set_cookie("sso-rw", sso, path="/", httponly=True, samesite="Lax", max_age=year)
        # Cloudflare's own attributes; browsers drop SameSite=None without Secure (localhost counts as secure).
        resp.set_cookie(
            "cf_clearance", DEFAULT_CF_CLEARANCE, path="/", httponly=True, secure=True, samesite="None", max_age=year
        )
        resp.set_cookie("x-userid", session.user_id, path="/", samesite="Lax", max_age=year)
        return resp

    # -- account ---------------------------------------------------------------------------
    @staticmethod
    def _user(session: Session) -> Json:
        return {
            "id": session.user_id,
            "email": session.email,
            "givenName": "Fake",
            "familyName": "User",
            "avatarUrl": None,
        }

    async def auth_session(self, request: web.Request) -> web.Response:
        session: Session = request[SESSION]
        return _ok(
            {
                "status": "blocked" if session.blocked else "authenticated",
                "session": {"userId": session.user_id, "email": session.email, "organizationId": None},
                "user": self._user(session),
            }
        )

    async def get_user(self, request: web.Request) -> web.Response:
        return _ok(self._user(request[SESSION]))

    async def modes(self, request: web.Request) -> web.Response:
        # The web app sends {"locale":"en"} (2026-08); the fake answers in English whatever it asks.
        if not isinstance(request[JSON], dict):
            return _error(400, 3, "Invalid request body")
        return _ok({"modes": self.state.mode_list(), "defaultModeId": f.DEFAULT_MODE_ID})

    async def rate_limits(self, request: web.Request) -> web.Response:
        body = request[JSON] if isinstance(request[JSON], dict) else {}
        name = body.get("modelName")
        if self.state.knows_mode(name):
            mode = str(name)
        else:  # 2025 shape: requestKind + a model name
            mode = {"REASONING": "expert", "DEEPSEARCH": "expert"}.get(str(body.get("requestKind")), "fast")
        remaining, total, window = self.state.quota_for(mode)
        out: Json = {
            "windowSizeSeconds": window,
            "remainingQueries": remaining,
            "totalQueries": total,
            "lowEffortRateLimits": None,
            "highEffortRateLimits": None,
        }
        if remaining <= 0:
            out["waitTimeSeconds"] = window
        return _ok(out)

    # -- chat ------------------------------------------------------------------------------
    async def chat_new(self, request: web.Request) -> web.StreamResponse:
        return await self._chat(request, None)

    async def chat_follow_up(self, request: web.Request) -> web.StreamResponse:
        return await self._chat(request, request.match_info["cid"])

    def _mode(self, body: Json) -> tuple[str, bool]:
        if "modeId" in body:
            mode = body["modeId"]
            return (mode, True) if self.state.knows_mode(mode) else (str(mode), False)
        if "modelMode" in body:
            model_mode = str(body["modelMode"])
            return (_MODEL_MODES[model_mode], True) if model_mode in _MODEL_MODES else (model_mode, False)
        return "fast", True

    async def _chat(self, request: web.Request, conversation_id: str | None) -> web.StreamResponse:
        state = self.state
        session: Session = request[SESSION]
        body = request[JSON]
        if not isinstance(body, dict):
            return _error(400, 3, "Invalid request body")
        if "modelName" in body or "rest" in self.gone:
            return _error(400, 3, "Invalid request. Please update your client.")
        if "rest-404" in self.gone:
            return web.Response(status=404, text="404 page not found", content_type="text/plain")
        message = body.get("message", "")
        attachments = body.get("fileAttachments") or []
        instructions = body.get("customInstructions", "")
        if not isinstance(message, str) or not isinstance(attachments, list) or not isinstance(instructions, str):
            return _error(400, 3, "Invalid request body")
        if not message.strip() and not attachments:
            return _error(400, 3, "Message must not be empty")
        uploads: list[Upload] = []
        for file_id in attachments:
            upload = state.uploads.get(file_id) if isinstance(file_id, str) else None
            if upload is None:
                return _error(400, 3, f"Invalid file attachment: {file_id}")
            uploads.append(upload)

        parent: str | None = None
        if conversation_id is None:
            now = time.time()
            conv = Conversation(
                str(uuid.uuid4()), "New conversation", now, now, bool(body.get("temporary")), session.user_id
            )
        else:
            found = state.live_conversation(conversation_id)
            if found is None or found.user_id != session.user_id:
                return _error(404, 5, "Conversation not found")
            conv = found
            parent = body.get("parentResponseId")
            node = conv.responses.get(parent) if isinstance(parent, str) else None
            if node is None or node.sender != "assistant":
                return _error(400, 3, "Invalid parentResponseId")

        try:
            overrides = body.get("toolOverrides")
            draw = isinstance(overrides, dict) and overrides.get("imageGen") is True
            name, param = sc.choose(message, self.scenario, draw=draw)
        except sc.UnknownScenario as e:
            return _error(400, 3, str(e))
        mode, known_mode = self._mode(body)
        if not known_mode:
            name, param = "unknown_mode", None
        ctx = self.turn_context(
            conv=conv,
            new=conversation_id is None,
            message=message,
            param=param,
            body=body,
            mode=mode,
            parent=parent,
            uploads=uploads,
            user_id=session.user_id,
            statsig=request.headers.get("x-statsig-id", ""),
        )
        try:
            outcome = sc.run(name, ctx)
        except sc.UnknownScenario as e:
            return _error(400, 3, f"scenario {name}: {e}")
        if isinstance(outcome, sc.Reject):
            if outcome.exhaust_quota:
                state.exhaust(mode)
            return web.Response(
                status=outcome.status,
                body=outcome.body,
                headers={**outcome.headers, "Content-Type": outcome.content_type},
            )
        if known_mode and not state.consume(mode):
            return _error(429, 8, "Too many requests", headers={"retry-after": "1"})
        self._remember(conv, conversation_id is None, parent, ctx, outcome)
        if self.unknown_frames:
            new_shape = f.with_response_id({"hologramFrame": {"depth": 3}}, ctx.assistant_id)
            outcome.steps.insert(2, sc.Frame(f.envelope(new_shape, ctx.nested)))
        return await self._stream(request, outcome)

    def turn_context(
        self,
        *,
        conv: Conversation,
        new: bool,
        message: str,
        param: str | None,
        body: Json,
        mode: str,
        parent: str | None,
        uploads: list[Upload],
        user_id: str,
        statsig: str = "",
        attempt_key: tuple[str, str] | None = None,
    ) -> sc.ChatContext:
        """What a scenario sees of one turn, whichever transport carried it.

        ``attempt_key`` says which earlier requests count as tries of this one (flaky_*):
        by default, the same prompt in the same conversation.
        """
        key = attempt_key or ("new" if new else conv.conversation_id, message)
        attempt, earlier = self.state.count_attempt(key, statsig)
        now = time.time()
        user_response_id = str(uuid.uuid4())
        return sc.ChatContext(
            nested=new,
            prompt=message,
            param=param,
            body=body,
            mode=mode,
            conversation=conv.as_object(),
            user_response=f.user_response_object(
                response_id=user_response_id,
                message=message,
                create_time=now,
                mode=mode,
                parent_response_id=parent,
                file_metadata=[u.metadata() for u in uploads],
            ),
            user_response_id=user_response_id,
            assistant_id=str(uuid.uuid4()),
            parent_response_id=parent,
            user_id=user_id,
            other_url=self.other_url,
            now=now,
            attempt=attempt,
            statsig=statsig,
            earlier_statsigs=earlier,
            new_id=lambda: str(uuid.uuid4()),
            trace_id=secrets.token_hex(16),
        )

    def _remember(self, conv: Conversation, new: bool, parent: str | None, ctx: sc.ChatContext, out: sc.Stream) -> None:
        """Store the turn before streaming, so follow-ups work even while this stream stalls."""
        state = self.state
        with state.lock:
            if new:
                state.conversations[conv.conversation_id] = conv
            state.add_response(conv, StoredResponse(ctx.user_response_id, "human", parent, out.user_response))
            if out.assistant_id:
                obj = out.model_response or f.model_response_object(
                    response_id=out.assistant_id,
                    message=out.final_text,
                    parent_response_id=ctx.user_response_id,
                    create_time=ctx.now,
                    mode=ctx.mode,
                    trace_id=ctx.trace_id,
                    partial=True,
                )
                state.add_response(conv, StoredResponse(out.assistant_id, "assistant", ctx.user_response_id, obj))
            if out.title:
                conv.title = out.title
            for path in out.images:
                png = path.endswith(".png")
                state.assets[path] = Asset("image/png", png_bytes(path)) if png else Asset("image/jpeg", jpeg_bytes(path))

    async def _stream(self, request: web.Request, stream: sc.Stream) -> web.StreamResponse:
        resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json", "Cache-Control": "no-cache"})
        delay = self.delay if stream.delay is None else stream.delay
        pending = bytearray()  # with no delay, frames are coalesced into larger writes
        self.active_streams += 1
        try:
            await resp.prepare(request)
            first = True
            for step in stream.steps:
                if isinstance(step, (sc.Frame, sc.Chunk)):
                    data = f.dumps(step.obj) if isinstance(step, sc.Frame) else step.data
                    if delay > 0:
                        if not first:
                            await self._pause(delay)
                        await resp.write(data)
                    else:
                        pending += data
                        if len(pending) >= 1 << 16:
                            await resp.write(bytes(pending))
                            pending.clear()
                    first = False
                    continue
                if pending:
                    await resp.write(bytes(pending))
                    pending.clear()
                if isinstance(step, sc.Pause):
                    await self._pause(step.seconds)
                elif isinstance(step, sc.Stall):
                    await self._stall(request, step.seconds)
            if pending:
                await resp.write(bytes(pending))
            await resp.write_eof()
        except ConnectionError:
            # The client went away (Ctrl-C, idle timeout): not the server's problem, and no
            # traceback either. Drop the connection so aiohttp doesn't try to finish the body.
            if request.transport is not None:
                request.transport.close()
        finally:
            self.active_streams -= 1
        return resp

    async def _stall(self, request: web.Request, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (left := deadline - loop.time()) > 0:
            transport = request.transport
            if transport is None or transport.is_closing():
                raise ConnectionResetError("client left during stall")
            await self._pause(min(0.05, left))

    # -- uploads ---------------------------------------------------------------------------
    def _store_upload(self, session: Session, name: str, mime: str, data: bytes) -> Upload:
        file_id = str(uuid.uuid4())
        upload = Upload(file_id, name, mime, f"users/{session.user_id}/{file_id}/content", len(data))
        with self.state.lock:
            self.state.uploads[file_id] = upload
            self.state.assets[upload.file_uri] = Asset(mime, data)
        return upload

    def _too_large(self) -> web.Response:
        return _error(413, 3, "File too large")

    async def upload_v1(self, request: web.Request) -> web.Response:
        body = request[JSON]
        if not isinstance(body, dict):
            return _error(400, 3, "Invalid request body")
        name, mime, content = body.get("fileName"), body.get("fileMimeType"), body.get("content")
        if not isinstance(name, str) or not name or not isinstance(content, str):
            return _error(400, 3, "fileName and content are required")
        if len(content) * 3 // 4 > self.upload_limit + 3:
            return self._too_large()
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            return _error(400, 3, "Invalid file content: not base64")
        if len(data) > self.upload_limit:
            return self._too_large()
        mime = mime if isinstance(mime, str) and mime else "application/octet-stream"
        upload = self._store_upload(request[SESSION], name, mime, data)
        return _ok(
            {
                "fileMetadataId": upload.file_metadata_id,
                "fileMimeType": mime,
                "fileName": name,
                "fileUri": upload.file_uri,
            }
        )

    async def upload_v2(self, request: web.Request) -> web.Response:
        if self.upload_v2_mode == "gone":
            return web.Response(status=404, text="Not Found")
        if not request.content_type.startswith("multipart/form-data"):
            return _error(400, 3, "Expected multipart/form-data")
        parts = _parse_multipart(request[RAW], request.headers.get("content-type", ""))
        files = [(h, body) for h, body in parts if h.get("name") == "file" and "filename" in h]
        if not files:
            return _error(400, 3, "Missing file part")
        headers, data = files[0]
        if len(data) > self.upload_limit:
            return self._too_large()
        mime = headers.get("content-type") or "application/octet-stream"
        if self.upload_v2_mode == "async":
            # §4.4: "some successes only return uploadId"; the file never becomes attachable here.
            return _ok({"uploadId": str(uuid.uuid4()), "terminalError": None})
        upload = self._store_upload(request[SESSION], headers["filename"] or "file", mime, data)
        return _ok(
            {
                "uploadId": str(uuid.uuid4()),
                "terminalError": None,
                "fileMetadata": {
                    "fileMetadataId": upload.file_metadata_id,
                    "fileId": upload.file_metadata_id,
                    "fileUri": upload.file_uri,
                },
            }
        )

    # -- conversations ---------------------------------------------------------------------
    def _own(self, request: web.Request) -> Conversation | None:
        conv = self.state.live_conversation(request.match_info["cid"])
        session: Session = request[SESSION]
        return conv if conv is not None and conv.user_id == session.user_id else None

    def _page(self, request: web.Request, convs: list[Conversation]) -> web.Response:
        try:
            size = max(1, min(100, int(request.query.get("pageSize", "60"))))
            offset = int(request.query.get("pageToken") or "0")
        except ValueError:
            return _error(400, 3, "Invalid pageSize or pageToken")
        convs.sort(key=lambda c: c.modify_time, reverse=True)
        out: Json = {
            "conversations": [c.as_object(task_result=False) for c in convs[offset : offset + size]],
            "textSearchMatches": [],
        }
        if offset + size < len(convs):
            out["nextPageToken"] = str(offset + size)
        return _ok(out)

    async def list_conversations(self, request: web.Request) -> web.Response:
        session: Session = request[SESSION]
        query = request.query.get("searchQuery", "").lower()
        starred = request.query.get("filterIsStarred") == "true"
        with self.state.lock:
            convs = [
                c
                for c in self.state.conversations.values()
                if not c.deleted
                and not c.temporary
                and c.user_id == session.user_id
                and (not starred or c.starred)
                and query in c.title.lower()
            ]
        return self._page(request, convs)

    async def list_deleted(self, request: web.Request) -> web.Response:
        session: Session = request[SESSION]
        with self.state.lock:
            convs = [c for c in self.state.conversations.values() if c.deleted and c.user_id == session.user_id]
        return self._page(request, convs)

    async def get_conversation(self, request: web.Request) -> web.Response:
        conv = self._own(request)
        if conv is None:
            return _error(404, 5, "Conversation not found")
        return _ok(conv.as_object(task_result=False))

    async def get_conversation_v2(self, request: web.Request) -> web.Response:
        conv = self._own(request)
        if conv is None:
            return _error(404, 5, "Conversation not found")
        return _ok({"conversation": conv.as_object()})

    async def response_nodes(self, request: web.Request) -> web.Response:
        conv = self._own(request)
        if conv is None:
            return _error(404, 5, "Conversation not found")
        with self.state.lock:
            nodes = []
            for node in conv.responses.values():
                item: Json = {"responseId": node.response_id, "sender": node.sender}
                if node.parent_response_id:
                    item["parentResponseId"] = node.parent_response_id
                nodes.append(item)
        return _ok({"responseNodes": nodes, "inflightResponses": []})

    async def load_responses(self, request: web.Request) -> web.Response:
        conv = self._own(request)
        if conv is None:
            return _error(404, 5, "Conversation not found")
        body = request[JSON]
        ids = body.get("responseIds") if isinstance(body, dict) else None
        if not isinstance(ids, list):
            return _error(400, 3, "responseIds is required")
        with self.state.lock:
            found = [conv.responses[i].obj for i in ids if isinstance(i, str) and i in conv.responses]
        if self.history_form == "chunks":
            found = [chunk_form(obj) for obj in found]
        return _ok({"responses": found})

    async def soft_delete(self, request: web.Request) -> web.Response:
        conv = self._own(request)
        if conv is None:
            return _error(404, 5, "Conversation not found")
        with self.state.lock:
            conv.deleted = True
        return _ok({})

    async def hard_delete(self, request: web.Request) -> web.Response:
        session: Session = request[SESSION]
        with self.state.lock:
            conv = self.state.conversations.get(request.match_info["cid"])
            if conv is None or conv.user_id != session.user_id:
                return _error(404, 5, "Conversation not found")
            del self.state.conversations[conv.conversation_id]
        return _ok({})

    # -- assets and the other host -----------------------------------------------------------
    async def asset(self, request: web.Request) -> web.Response:
        # Normalise like an HTTP client would ("/a/../b" -> "b"): traversal targets are served
        # under their normalised path (see scenarios._images_evil).
        key = posixpath.normpath("/" + unquote(request.match_info["path"])).lstrip("/")
        with self.state.lock:
            asset = self.state.assets.get(key)
            if asset is None and key.endswith(".png") and key[:-4] + ".jpg" in self.state.assets:
                asset = Asset("image/png", png_bytes(key))
        if asset is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(
            body=asset.data, headers={"Content-Type": asset.content_type, "Cache-Control": "private, max-age=3600"}
        )

    async def other(self, request: web.Request) -> web.Response:
        if request.path.endswith(".png"):
            return web.Response(body=png_bytes(request.path), content_type="image/png")
        return web.Response(body=jpeg_bytes(request.path), content_type="image/jpeg")
