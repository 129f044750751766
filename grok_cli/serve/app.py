"""The HTTP layer: an aiohttp application with OpenAI's routes under /v1.

Every request passes, in order: the request log (one line on stderr, no bodies or keys, never a
traceback), the Host check, CORS and the access key (access.py). Handlers read the body into a
request value (wire.py), run one turn through the ``Service`` (service.py) and write its events
back through a ``Feed`` (sink.py).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from grok_cli.errors import GrokError, UpstreamError
from grok_cli.io import IO
from grok_cli.serve import wire
from grok_cli.serve.access import Access, Handler, authorized, cors_headers, cors_preflight, host_checked
from grok_cli.serve.service import Service, log
from grok_cli.serve.sink import ChatChunks, Collected, Feed, ResponseEvents

if TYPE_CHECKING:
    from grok_cli.events import Done
    from grok_cli.turn import Turn

MAX_BODY = 64 * 2**20  # a few images as base64, with room to spare
# Where generated images are served back (service.ImageFiles); the name is the URL's credential.
IMAGE_FILES_PATH = "/v1/images/files/"
_CONTENT_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".gif": "image/gif", ".webp": "image/webp"}
_SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}


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
        middlewares=[
            _logged(service.io),
            host_checked(access),
            cors_preflight(access),
            authorized(access, public_prefix=IMAGE_FILES_PATH),
        ],
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
        response.headers.update(cors_headers(access, request))

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
