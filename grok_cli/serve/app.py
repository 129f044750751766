"""The HTTP layer: an aiohttp application with OpenAI's routes under /v1.

Every request passes, in order: the request log (one line on stderr, no bodies or keys, never a
traceback), the Host check against DNS rebinding, CORS (only with ``--cors-origin``) and the
access key. Handlers read the body into a request value (wire.py), run one turn through
``Service`` and write its events back through a ``Feed`` (sink.py).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from grok_cli.errors import GrokError, UpstreamError
from grok_cli.io import IO
from grok_cli.protocol import models
from grok_cli.serve import wire
from grok_cli.serve.exchanges import Exchanges, Link, response_key, transcript_key
from grok_cli.serve.keys import AccessKey
from grok_cli.serve.limits import Limiter
from grok_cli.serve.sink import Answer, ChatChunks, Collected, Feed, ResponseEvents
from grok_cli.sinks.style import neutralize

if TYPE_CHECKING:
    from grok_cli.attachments import LocalFile
    from grok_cli.client import Client
    from grok_cli.config import Settings
    from grok_cli.events import Done
    from grok_cli.turn import Turn, TurnRunner

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_BODY = 64 * 2**20  # a few images as base64, with room to spare
IMAGE_FILES_KEPT = 64  # generated images served at /v1/images/files/, newest kept
IMAGE_FILES_PATH = "/v1/images/files/"
_SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}


@dataclass(slots=True)
class Access:
    """Who may talk to the server: the key, the Host names it answers to, the CORS origin."""

    key: AccessKey
    host: str
    port: int
    cors_origin: str | None = None

    def host_allowed(self, header: str | None) -> bool:
        """``Host`` names the bound address or localhost: a DNS-rebinding page's host does not."""
        if not header:
            return False
        name, port = split_host(header)
        if port is not None and port != self.port:
            return False
        if name == "localhost" or name == self.host.lower().strip("[]"):
            return True
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            return False  # a name other than localhost: what a rebinding attack uses
        bound = ipaddress.ip_address(self.host.strip("[]")) if is_ip(self.host) else None
        if bound is not None and bound.is_unspecified:
            return True  # bound to every address: any of this machine's addresses, as a literal
        return bool(bound is not None and bound.is_loopback and address.is_loopback)


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def split_host(header: str) -> tuple[str, int | None]:
    """``Host`` as (lower-case name, port or None); ``[::1]:8765`` -> ("::1", 8765)."""
    header = header.strip().lower()
    if header.startswith("["):
        name, _, rest = header[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif header.count(":") == 1:
        name, _, port_text = header.partition(":")
    else:
        name, port_text = header, ""
    try:
        return name, int(port_text) if port_text else None
    except ValueError:
        return name, -1


class ImageFiles:
    """Generated images served back by URL (response_format "url"): grok.com's own URLs need its
    cookies, which never leave the grok origins. A random name is the only way to reach one."""

    def __init__(self, kept: int = IMAGE_FILES_KEPT) -> None:
        self.kept = kept
        self._files: OrderedDict[str, bytes] = OrderedDict()

    def add(self, data: bytes, extension: str) -> str:
        name = secrets.token_urlsafe(24) + extension
        self._files[name] = data
        while len(self._files) > self.kept:
            self._files.popitem(last=False)
        return name

    def get(self, name: str) -> bytes | None:
        return self._files.get(name)


_CONTENT_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".gif": "image/gif", ".webp": "image/webp"}


class Service:
    """What every request shares: the grok.com client, the limiter and the conversation links."""

    def __init__(
        self,
        io: IO,
        settings: Settings,
        turns: TurnRunner,
        client: Client,
        *,
        limiter: Limiter,
        private: bool = False,
    ) -> None:
        self.io = io
        self.settings = settings
        self.turns = turns
        self.client = client  # the turns' own, opened before listening
        self.limiter = limiter
        self.private = private
        self.exchanges = Exchanges(settings.dirs.history_db if settings.history else None)
        self.images = ImageFiles()

    def mode(self, name: str) -> str:
        """The mode id for a model name `-m` takes; 404 model_not_found otherwise."""
        from grok_cli import mode_cache

        discovery = mode_cache.load(self.settings)
        try:
            return models.resolve(name, discovery.ids if discovery else ())
        except GrokError as e:
            raise wire.BadRequest(
                f"The model {name!r} does not exist. {e.hint or ''}".strip(), "model", 404, "model_not_found"
            ) from None

    def model_ids(self) -> list[str]:
        from grok_cli import mode_cache

        discovery = mode_cache.load(self.settings)
        return models.all_names(discovery.ids if discovery else ())

    def plan(self, conv: wire.Conversation) -> Plan:
        """Where the new message goes: a follow-up of a known exchange, or a new conversation."""
        link: Link | None = None
        context = conv.earlier  # earlier messages the new conversation (or message) must carry
        if conv.previous_response_id:
            link = self.exchanges.find(response_key(conv.previous_response_id))
            if link is None:
                raise wire.BadRequest(
                    f"Previous response with id {conv.previous_response_id!r} not found.",
                    "previous_response_id",
                    404,
                    "previous_response_not_found",
                )
        elif conv.earlier:
            link = self.exchanges.find(transcript_key(conv.system, conv.earlier))
            if link is not None:
                context = ()
        messages = [*(m for m in context if m.role == "user"), conv.message]
        prompt = wire.first_message(context, conv.message)
        images = [url for m in messages for url in m.images]
        files = tuple(wire.attachment(url, i) for i, url in enumerate(images))
        return Plan(prompt, link, files)

    async def run(self, turn: Turn, sink: Feed) -> Done:
        """One turn through the CLI's own turn layer, at most ``concurrency`` at once."""
        async with self.limiter.slot():
            return await self.turns.run(turn, sink)

    def turn(self, conv: wire.Conversation, plan: Plan, mode: str) -> Turn:
        from grok_cli.turn import Turn

        return Turn(
            prompt=plan.prompt,
            mode=mode,
            conversation=plan.link.conversation_id if plan.link else None,
            parent_response_id=plan.link.response_id if plan.link else None,
            files=plan.files,
            private=self.private,
            # grok.com keeps no instructions with a conversation: every turn carries them. None:
            # the conversation's, or GROK_SYSTEM for a new one, as with grok ask.
            instructions=conv.system,
        )

    def remember(self, conv: wire.Conversation, answer: Answer, done: Done, response_id: str | None = None) -> None:
        """Link what the client now holds to the grok.com answer, for its next request."""
        if not done.conversation_id or not done.response_id:
            return
        keys = {
            transcript_key(conv.system, [*conv.earlier, conv.message, wire.Message("assistant", text)])
            for text in {"".join(answer.text), answer.full_text}
        }
        if response_id is not None:
            keys.add(response_key(response_id))
        try:
            self.exchanges.remember(sorted(keys), Link(done.conversation_id, done.response_id))
        except GrokError as e:
            log(self.io, f"warning: follow-ups of this answer will start new conversations. {e.message}")


@dataclass(frozen=True, slots=True)
class Plan:
    prompt: str
    link: Link | None  # continue this grok.com conversation, replying to this answer
    files: tuple[LocalFile, ...]


def log(io: IO, line: str) -> None:
    io.stderr.write(f"grok serve: {neutralize(line)}\n")
    io.stderr.flush()


def error_response(reply: wire.ErrorReply) -> web.Response:
    return web.json_response(reply.body(), status=reply.status, headers=reply.headers())


async def _drive(
    request: web.Request, service: Service, turn: Turn, feed: Feed
) -> tuple[web.StreamResponse | None, Done]:
    """Run the turn, writing the feed's bytes as they come (after the first, the status is 200).

    Returns the stream response (None when nothing was streamed) and the final Done; raises the
    turn's GrokError when nothing was streamed yet. A client that leaves cancels this handler
    (handler_cancellation), which cancels the turn: the history keeps what arrived.
    """
    task = asyncio.create_task(service.run(turn, feed))
    task.add_done_callback(lambda _: feed.end())
    response: web.StreamResponse | None = None
    try:
        async for data in feed.chunks():
            if response is None:
                response = web.StreamResponse(headers=_SSE_HEADERS)
                await response.prepare(request)
            await response.write(data)
        try:
            return response, await task
        except Exception as e:
            if response is None:
                raise
            with contextlib.suppress(ConnectionError):
                await response.write_eof()
            code = e.code if isinstance(e, GrokError) else f"internal {type(e).__name__}"
            raise StreamFailed(response, code) from None
    finally:
        # Cancel a turn still running (the client left, or the write failed), and take its
        # outcome either way, so no failure is left unretrieved for asyncio to print.
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


class StreamFailed(Exception):
    """The turn failed after its stream started: the error is already in the stream."""

    def __init__(self, response: web.StreamResponse, code: str) -> None:
        self.response = response
        self.code = code


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise wire.BadRequest(f"The request body is larger than {MAX_BODY // 2**20} MB.", status=413) from None
    return wire.parse_json(raw)


def build_app(service: Service, access: Access) -> web.Application:
    app = web.Application(
        middlewares=[_logged(service.io), _host_checked(access), _cors(access), _authorized(access)],
        client_max_size=MAX_BODY,
    )

    async def list_models(request: web.Request) -> web.StreamResponse:
        return web.json_response({"object": "list", "data": [wire.model_object(m) for m in service.model_ids()]})

    async def retrieve_model(request: web.Request) -> web.StreamResponse:
        name = request.match_info["model"]
        if name not in service.model_ids():
            service.mode(name)  # 404 with suggestions
        return web.json_response(wire.model_object(name))

    async def chat_completions(request: web.Request) -> web.StreamResponse:
        conv = wire.chat_request(await _body(request))
        mode = service.mode(conv.model)
        plan = service.plan(conv)
        fmt = ChatChunks(conv.model, plan.prompt, conv.include_usage) if conv.stream else Collected()
        feed = Feed(fmt)
        response, done = await _drive(request, service, service.turn(conv, plan, mode), feed)
        service.remember(conv, feed.answer, done)
        if response is not None:
            await response.write_eof()
            return response
        answer = feed.answer
        used = wire.usage(plan.prompt, answer.full_text, answer.full_reasoning)
        completion_id = wire.new_id("chatcmpl-")
        body = wire.chat_completion(
            completion_id, int(time.time()), conv.model, answer.full_text, answer.full_reasoning, used
        )
        return web.json_response(body)

    async def responses(request: web.Request) -> web.StreamResponse:
        conv = wire.responses_request(await _body(request))
        mode = service.mode(conv.model)
        plan = service.plan(conv)
        state = wire.ResponseState(
            wire.new_id("resp_"), int(time.time()), conv.model, conv.system, conv.previous_response_id
        )
        feed = Feed(ResponseEvents(state, plan.prompt) if conv.stream else Collected())
        response, done = await _drive(request, service, service.turn(conv, plan, mode), feed)
        service.remember(conv, feed.answer, done, state.id)
        if response is not None:
            await response.write_eof()
            return response
        state.text, state.reasoning = feed.answer.full_text, feed.answer.full_reasoning
        return web.json_response(state.body("completed", prompt=plan.prompt))

    async def image_generations(request: web.Request) -> web.StreamResponse:
        from grok_cli.images import fetch
        from grok_cli.turn import Turn

        wanted = wire.image_request(await _body(request))
        # OpenAI's image model names (dall-e-3, gpt-image-1) mean nothing here: the default mode draws.
        mode = service.mode(wanted.model) if wanted.model in service.model_ids() else None
        turn = Turn(
            wanted.prompt, mode=mode, private=service.private, image_count=wanted.n, force_image_generation=True
        )
        feed = Feed(Collected())
        await _drive(request, service, turn, feed)
        data: list[dict[str, Any]] = []
        for image in feed.answer.images[: wanted.n]:
            got = await fetch(service.client.http, image)
            if wanted.response_format == "b64_json":
                data.append({"b64_json": base64.b64encode(got.data).decode("ascii")})
            else:
                name = service.images.add(got.data, got.extension)
                data.append({"url": f"{request.scheme}://{request.host}{IMAGE_FILES_PATH}{name}"})
        if not data:
            raise UpstreamError(
                "grok.com sent no image.",
                "It may have answered in words or moderated every image; rephrase the prompt.",
            )
        return web.json_response({"created": int(time.time()), "data": data})

    async def image_file(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        data = service.images.get(name)
        if data is None:
            raise wire.BadRequest(
                "No such image (images are kept while grok serve runs).", status=404, code="not_found"
            )
        ext = name[name.rfind(".") :]
        return web.Response(body=data, content_type=_CONTENT_TYPES.get(ext, "application/octet-stream"))

    async def add_cors_headers(request: web.Request, response: web.StreamResponse) -> None:
        response.headers.update(_cors_headers(access, request))

    app.on_response_prepare.append(add_cors_headers)
    app.router.add_get("/v1/models", list_models)
    app.router.add_get("/v1/models/{model}", retrieve_model)
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_post("/v1/responses", responses)
    app.router.add_post("/v1/images/generations", image_generations)
    app.router.add_get(IMAGE_FILES_PATH + "{name}", image_file)
    return app


# -- middlewares ------------------------------------------------------------------------------------
def _logged(io: IO) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        """One line per request; every failure becomes an OpenAI error object, never a traceback."""
        started = time.monotonic()
        # An image URL is its own credential: it stays out of the log.
        path = IMAGE_FILES_PATH + "..." if request.path.startswith(IMAGE_FILES_PATH) else request.path
        note = ""
        try:
            response = await handler(request)
        except StreamFailed as e:
            note = f" stream failed: {e.code}"
            response = e.response
        except GrokError as e:
            reply = wire.error_reply(e)
            note = f" {reply.code}"
            response = error_response(reply)
        except web.HTTPException as e:  # aiohttp's own: unknown route, wrong method
            status = e.status
            note = f" {e.reason}"
            code = {404: "not_found", 405: "method_not_allowed"}.get(status, "invalid_request")
            response = error_response(wire.ErrorReply(status, f"{request.method} {path}: {e.reason}.", code))
        except asyncio.CancelledError:
            log(io, f"{request.method} {path} client gone after {time.monotonic() - started:.2f}s")
            raise
        except Exception as e:
            note = f" internal {type(e).__name__}"
            response = error_response(
                wire.ErrorReply(500, f"Internal error in grok serve ({type(e).__name__}).", "internal")
            )
        log(io, f"{request.method} {path} {response.status}{note} {time.monotonic() - started:.2f}s")
        return response

    return middleware


def _host_checked(access: Access) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not access.host_allowed(request.headers.get("Host")):
            raise wire.BadRequest(
                "The Host header names neither this server's address nor localhost.", status=403, code="bad_host"
            )
        return await handler(request)

    return middleware


def _cors_headers(access: Access, request: web.Request) -> dict[str, str]:
    origin = request.headers.get("Origin")
    if access.cors_origin is None or origin is None or access.cors_origin not in ("*", origin):
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def _cors(access: Access) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        """A browser's preflight, answered before the key is asked for (browsers send none)."""
        headers = _cors_headers(access, request)
        if request.method != "OPTIONS" or not headers:
            return await handler(request)
        headers |= {
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": request.headers.get(
                "Access-Control-Request-Headers", "Authorization, Content-Type"
            ),
            "Access-Control-Max-Age": "600",
        }
        return web.Response(status=204, headers=headers)

    return middleware


def _authorized(access: Access) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        # An image URL handed out by this server is its own credential, as a browser shows it.
        if not request.path.startswith(IMAGE_FILES_PATH) and not access.key.matches(
            request.headers.get("Authorization")
        ):
            raise wire.BadRequest(
                "Incorrect or missing API key: send Authorization: Bearer KEY (grok serve --show-key prints it).",
                status=401,
                code="invalid_api_key",
            )
        return await handler(request)

    return middleware
