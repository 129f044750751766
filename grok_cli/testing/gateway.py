"""The fake grok.com's WebSocket chat gateway, ``GET /ws/mgw/?uid=<user id>`` (protocol section 9).

It runs the same scenario scripts as the REST endpoints and translates each REST frame into
the gateway event that carries the same information, so a scenario answers the same text,
reasoning, tools, title and errors over both transports.

What it checks, as grok.com would: the upgrade passes the web origin's guards (cf_clearance,
sso, blocked account) and ``uid`` and the ``x-userid`` cookie name the session's user; then
frames come in order (``session.create`` first and once, then ``conversation.item.create``
then ``response.create``), carry the session id they were given, and a follow-up's
``parent_response_id`` is an assistant response of that conversation. A violation is answered
with an ``error`` event, as a gateway does, rather than a dropped socket.

Where a REST scenario refuses at the HTTP level (auth_401, cloudflare, ...): if it is the
server's default scenario, the upgrade itself is refused with the same status and body;
chosen by a prompt keyword (known only after the upgrade), it becomes an ``error`` event.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from grok_cli.protocol.framing import LineSplitter, parse_line

from . import scenarios as sc
from .state import Conversation, Session, Upload

if TYPE_CHECKING:
    from .server import Server

__all__ = ["GATEWAY_PATH", "STYLES", "Gateway", "GatewayMessage", "history_replay", "pack", "translate"]

GATEWAY_PATH = "/ws/mgw/"
Json = dict[str, Any]

RESPONSE = "CHANNEL_ASSISTANT_RESPONSE"
_CHANNELS = {
    "header": "CHANNEL_ASSISTANT_NOTETAKER_HEADER",
    "summary": "CHANNEL_ASSISTANT_NOTETAKER_SUMMARY",
}
THINKING = "CHANNEL_ASSISTANT_THINKING"  # section 9's thinking channel
REASONING = "CHANNEL_REASONING"  # section 9.1's
_INVALID, _NOT_FOUND, _UNAUTHENTICATED = 3, 5, 16

# How the gateway speaks (a scenario may pick one per turn, see scenarios.Stream.gateway):
#   web       section 9.1, as grok.com speaks today: lifecycle events, several events per message,
#             the title and follow-up suggestions after response.done, history replay on resume;
#   deltas    the same, the text as response.output_text.delta / reasoning_text.delta events;
#   garbled   web, with one event of the answer's first packed message cut short: a client must
#             keep the events around it (what it cannot read, --raw shows);
#   section9  the older shape: one event per message, the title before response.done.
STYLES = ("web", "deltas", "garbled", "section9")
# A layout chunk cut off mid-key: no answer text is lost with it.
GARBLED_EVENT = '{"event":{"type":"response.chunk","chunk":{"ui_layout":{"eff'

# Events per message in the 9.1 styles, in turn: messages split the stream at varying places.
_PACKING = (3, 1, 2)


@dataclass(frozen=True)
class GatewayMessage:
    """One frame a client sent to the gateway, parsed, and which connection sent it."""

    connection: int
    message: Json
    time: float

    @property
    def type(self) -> str:
        event = self.message.get("event")
        return str(event.get("type")) if isinstance(event, dict) else ""


@dataclass
class Turn:
    """The gateway events one scenario answer becomes; ``final`` if it ends the answer."""

    steps: list[Any] = field(default_factory=list)
    final: bool = False
    packed: bool = True  # several events per WebSocket message
    garbled: bool = False  # one packed message holds an event cut short


def _event(kind: str, session_id: str | None = None, /, **fields: Any) -> Json:
    message: Json = {"event": {"type": kind, **fields}}
    if session_id is not None:
        message = {"session_id": session_id, **message}
    return message


def _error_event(code: int, message: str, session_id: str | None = None) -> Json:
    return _event("error", session_id, error={"code": code, "message": message})


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def pack(messages: list[Json]) -> str:
    """Several events in one WebSocket message, back to back with no separator (section 9.1)."""
    return "".join(json.dumps(m, ensure_ascii=False, separators=(",", ":")) for m in messages)


class _Translator:
    """REST frames of one scenario -> gateway events in one of the STYLES."""

    def __init__(self, session_id: str, assistant_id: str, style: str) -> None:
        self.session_id = session_id
        self.aid = assistant_id
        self.style = style
        self.web = style != "section9"
        self.turn = Turn(packed=self.web, garbled=style == "garbled")
        self._streamed_text = False
        self._cards: set[str] = set()
        self._splitter = LineSplitter()
        self._done = False
        self._phase = ""
        self._title: str | None = None
        self._suggestions: list[str] | None = None

    def send(self, kind: str, **fields: Any) -> None:
        if kind.startswith("response.") and not self.web:
            fields = {**fields, "response_id": self.aid}
        self.turn.steps.append(sc.Frame(_event(kind, self.session_id, **fields)))

    def chunk(self, **chunk: Any) -> None:
        self.send("response.chunk", chunk=chunk)

    def step(self, step: Any) -> None:
        if isinstance(step, sc.Frame):
            self.frame(step.obj)
        elif isinstance(step, sc.Chunk):
            for line in self._splitter.feed(step.data):
                self.line(line)
        else:
            self.turn.steps.append(step)

    def finish(self) -> Turn:
        for line in self._splitter.flush():
            self.line(line)
        if self._done and not self.turn.final:
            self.send("response.done", response=self._done_response())
            if self.web:
                self.send("response.persisted", status="ok")
                if self._title is not None:
                    self.send("conversation.title.updated", title=self._title)
                # The web app asks for suggestions; grok.com answers with a (possibly empty) list.
                labels = self._suggestions or []
                self.chunk(follow_up_suggestions={"suggestions": [{"label": label} for label in labels]})
            self.turn.final = True
        return self.turn

    def _done_response(self) -> Json:
        response: Json = {"id": self.aid, "status": "completed"}
        if self.web:
            response["usage"] = {"input_tokens": 12, "output_tokens": 34}
        return response

    def line(self, line: bytes) -> None:
        for obj in parse_line(line)[0]:
            self.frame(obj)

    def frame(self, obj: Json) -> None:
        if obj.get("error"):
            error = obj["error"]
            self.send("error", error={"code": error.get("code", 13), "message": error.get("message", "")})
            self.turn.final = True
            return
        result = obj.get("result") or {}
        if isinstance(result.get("title"), dict):
            title = result["title"].get("newTitle", "")
            if self.web:
                self._title = title  # it comes after response.done
            else:
                self.send("conversation.title.updated", title=title)
        payload = result.get("response") if isinstance(result.get("response"), dict) else result
        if isinstance(payload.get("userResponse"), dict):
            self.opening(payload["userResponse"]["responseId"])
            return
        self.payload(payload)

    def opening(self, user_id: str) -> None:
        """The user turn is queued and taken, and the response begins (section 9.1 order)."""
        if self.web:
            self.send("conversation.queue.updated", queue={"items": [], "size": 0})
        self.send("conversation.item.added", item={"id": user_id, "type": "message", "role": "user"})
        if self.web:
            self.send("response.created", response={"id": self.aid, "status": "in_progress", "output_modalities": ["text"]})
            self.send("response.output_item.added", item={"id": self.aid, "type": "message", "role": "assistant"})
            self.send("response.content_part.added", part={"type": "text"})

    def phase(self, kind: str) -> None:
        if self.web and self._phase != kind:
            self._phase = kind
            self.chunk(phase_marker={"kind": kind})

    def text(self, text: str, channel: str) -> None:
        self.phase("KIND_RESPONSE_START" if channel == RESPONSE else "KIND_THINKING_START")
        if self.style == "deltas" and channel == RESPONSE:
            self.send("response.output_text.delta", delta=text)
        elif self.style == "deltas" and channel not in _CHANNELS.values():
            self.send("response.reasoning_text.delta", delta=text)
        else:
            self.chunk(text={"text": text, "channel": channel})

    def payload(self, p: Json) -> None:
        token = p.get("token")
        card = p.get("toolUsageCard")
        if isinstance(p.get("uiLayout"), dict) and self.web:
            layout = p["uiLayout"]
            self.chunk(ui_layout={
                "reasoning_ui_layout": layout.get("reasoningUiLayout"),
                "effort": layout.get("effort"),
                "steer_model_id": layout.get("steerModelId", ""),
            })  # fmt: skip
        if isinstance(p.get("messageStepId"), int) and self.web:
            self.chunk(metadata={"step_id": p["messageStepId"]})
        if isinstance(card, dict):
            card_id = card.get("toolUsageCardId", "")
            if card_id not in self._cards:
                self._cards.add(card_id)
                tools = {_snake(k): v for k, v in card.items() if k != "toolUsageCardId"}
                self.chunk(tool_usage_card={"tool_usage_card_id": card_id, **tools})
        elif isinstance(token, str) and token:
            tag = p.get("messageTag")
            if p.get("isThinking") or tag in _CHANNELS:
                self.text(token, _CHANNELS.get(tag, REASONING if self.web else THINKING))
            else:
                self._streamed_text = True
                self.text(token, RESPONSE)
        self.results(p)
        self.images(p)
        if isinstance(p.get("finalMetadata"), dict):
            labels = [s.get("label", "") for s in p["finalMetadata"].get("followUpSuggestions") or []]
            self._suggestions = [label for label in labels if label]
        if isinstance(p.get("modelResponse"), dict):
            self.model_response(p["modelResponse"])

    def results(self, p: Json) -> None:
        call_id = p.get("toolUsageCardId", "")
        if isinstance(p.get("webSearchResults"), dict):
            pages = [
                {"url": r.get("url", ""), "title": r.get("title", ""), "snippet": r.get("preview", "")}
                for r in p["webSearchResults"].get("results", [])
            ]
            self.chunk(tool_result={"tool_call_id": call_id, "web_search": {"webpages": pages}})
        if isinstance(p.get("xSearchResults"), dict):
            posts = [
                {
                    "userhandle": r.get("username", ""),
                    "name": r.get("name", ""),
                    "text": r.get("text", ""),
                    "post_id": r.get("postId", ""),
                }
                for r in p["xSearchResults"].get("results", [])
            ]
            self.chunk(tool_result={"tool_call_id": call_id, "x_post": {"posts": posts}})

    def images(self, p: Json) -> None:
        legacy = p.get("streamingImageGenerationResponse")
        if isinstance(legacy, dict):
            chunk = {k: v for k, v in legacy.items() if k in ("imageUrl", "progress", "moderated")}
            image = {"imageUuid": legacy.get("imageId"), **chunk}
            if self.web and chunk.get("progress", 0) < 100:
                self.chunk(image_chunk=image)  # previews as bare image chunks, finals as render cards
            else:
                self.chunk(render_generated_image={"image_chunk": image})
        attachment = p.get("cardAttachment")
        if isinstance(attachment, dict):
            card = {"json_data": attachment.get("jsonData")}
            if self.web:
                self.chunk(card_attachment=card)
            else:
                self.send("response.grok.output", output={"card_attachment": card})

    def model_response(self, mr: Json) -> None:
        if mr.get("error"):
            self.send("error", error={"code": 13, "message": str(mr["error"])})
            self.turn.final = True
            return
        for err in mr.get("streamErrors") or []:
            if err:
                self.send("response.grok.output", output={"stream_error": err})
                self.turn.final = True
                return
        if self.web:
            self.send("response.output_text.done", text=mr.get("message", ""))
            self.send("response.content_part.done", part={"type": "text"})
            self.send("response.output_item.done", item={"id": self.aid, "role": "assistant", "status": "completed"})
        elif not self._streamed_text and mr.get("message"):
            self.send("response.output_text.done", text=mr["message"])
        self._done = True  # sent last: REST's title line follows modelResponse, not so the gateway's


def translate(stream: sc.Stream, session_id: str, assistant_id: str, style: str = "web") -> Turn:
    """The gateway's rendition of one REST scenario answer, in one of the STYLES."""
    t = _Translator(session_id, assistant_id, style)
    for step in stream.steps:
        t.step(step)
    return t.finish()


def history_replay(conv: Conversation, session_id: str) -> list[Json]:
    """What the gateway replays of a conversation opened to continue it (section 9.1)."""
    events: list[Json] = []
    for node in conv.responses.values():
        text = str(node.obj.get("message") or "")
        item: Json = {"id": node.response_id, "type": "message", "parent_response_id": node.parent_response_id}
        if node.sender == "human":
            item.update(role="user", input_chunks=[{"text": {"text": text}}])
        else:
            item.update(role="assistant", output_chunks=[{"metadata": {"step_id": 0}}, {"text": {"text": text, "channel": RESPONSE}}])
        events.append(_event("conversation.history.item", session_id, item=item))
    events.append(_event("conversation.history.done", session_id))
    return events


def _rejection_event(reject: sc.Reject, session_id: str) -> Json:
    """An HTTP-level refusal met after the upgrade: the same code and message as an error event."""
    try:
        error = json.loads(reject.body).get("error", {})
        return _error_event(int(error.get("code", _INVALID)), str(error.get("message", "")), session_id)
    except (ValueError, AttributeError):
        pass
    text = reject.body.decode("utf-8", "replace")
    if reject.content_type.startswith("text/plain") and text.strip():
        return _error_event(7, text.strip(), session_id)
    return _error_event(7, "Request rejected by anti-bot rules.", session_id)


class _Session:
    """One socket: its conversation, once ``session.create`` has attached one."""

    def __init__(self, user: Session) -> None:
        self.user = user
        self.conv: Conversation | None = None
        self.new = True
        self.mode = "fast"
        self.x_grok: Json = {}
        self.item: Json | None = None  # the pending conversation.item.create


class Gateway:
    def __init__(self, server: Server) -> None:
        self.server = server
        self._log: list[GatewayMessage] = []
        self._connections = 0
        self.style = "web"  # how it speaks unless a scenario says otherwise (one of STYLES)

    # -- observation (read from the test thread) -----------------------------------------------
    @property
    def messages(self) -> list[GatewayMessage]:
        with self.server._log_lock:
            return list(self._log)

    def clear(self) -> None:
        with self.server._log_lock:
            self._log.clear()

    # -- the upgrade -----------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        from .server import SESSION, _error

        session: Session = request[SESSION]
        if "ws" in self.server.gone:
            return web.Response(status=404, text="Not Found")
        if request.query.get("uid") != session.user_id or request.cookies.get("x-userid") != session.user_id:
            return _error(401, _UNAUTHENTICATED, "The uid does not belong to this session")
        refusal = self._default_refusal(session)
        if refusal is not None:
            return web.Response(
                status=refusal.status,
                body=refusal.body,
                headers={**refusal.headers, "Content-Type": refusal.content_type},
            )
        if request.headers.get("upgrade", "").lower() != "websocket":
            return _error(426, _INVALID, "Upgrade Required")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._connections += 1
        self.server.active_streams += 1
        try:
            await self._serve(request, ws, _Session(session), self._connections)
        except ConnectionError:
            pass  # the client left (Ctrl-C, idle timeout) or the server is stopping
        finally:
            self.server.active_streams -= 1
            if not ws.closed:
                await ws.close()
        return ws

    def _default_refusal(self, session: Session) -> sc.Reject | None:
        name, param = sc.parse(self.server.scenario)
        now = time.time()
        conv = Conversation(str(uuid.uuid4()), "New conversation", now, now, False, session.user_id)
        ctx = self.server.turn_context(
            conv=conv, new=True, message="", param=param, body={}, mode="fast", parent=None, uploads=[],
            user_id=session.user_id, attempt_key=("upgrade", f"{self.server.scenario}#{self.server.scenario_epoch}"),
        )  # fmt: skip
        try:
            outcome = sc.run(name, ctx)
        except sc.UnknownScenario:
            return None
        return outcome if isinstance(outcome, sc.Reject) else None

    # -- the conversation --------------------------------------------------------------------------
    async def _serve(self, request: web.Request, ws: web.WebSocketResponse, s: _Session, connection: int) -> None:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                message = json.loads(msg.data)
            except ValueError:
                message = None
            event = message.get("event") if isinstance(message, dict) else None
            if not isinstance(event, dict) or not isinstance(event.get("type"), str):
                await ws.send_json(_error_event(_INVALID, "Invalid frame"))
                continue
            with self.server._log_lock:
                self._log.append(GatewayMessage(connection, message, time.time()))
            kind = event["type"]
            sid = message.get("session_id")
            if kind == "ping":
                await ws.send_json(_event("pong", event_id=event.get("event_id")))
            elif kind == "session.create":
                await self._create(ws, s, event, sid)
            elif kind in ("conversation.item.create", "response.create"):
                if s.conv is None or sid != s.conv.conversation_id:
                    await ws.send_json(_error_event(_INVALID, f"{kind} before session.create, or for another session"))
                elif kind == "conversation.item.create":
                    await self._item(ws, s, event)
                elif s.item is None:
                    await ws.send_json(_error_event(_INVALID, "response.create without a message", sid))
                elif not await self._respond(request, ws, s):
                    return  # the scenario ended the stream early: hang up, as REST reaches EOF

    async def _create(self, ws: web.WebSocketResponse, s: _Session, event: Json, sid: Any) -> None:
        if s.conv is not None:
            await ws.send_json(_error_event(_INVALID, "session.create sent twice"))
            return
        session = event.get("session") if isinstance(event.get("session"), dict) else {}
        x_grok = session.get("x_grok") if isinstance(session.get("x_grok"), dict) else {}
        if not isinstance(x_grok.get("custom_instructions", ""), str):
            await ws.send_json(_error_event(_INVALID, "Invalid session settings"))
            return
        s.mode, s.x_grok = str(session.get("model") or "fast"), x_grok
        resume = x_grok.get("conversation_id") or sid
        if resume:
            conv = self.server.state.live_conversation(str(resume))
            if (
                conv is None
                or conv.user_id != s.user.user_id
                or sid != x_grok.get("conversation_id")
                or x_grok.get("load_existing") is not True
            ):
                await ws.send_json(_error_event(_NOT_FOUND, "Conversation not found"))
                return
            s.conv, s.new = conv, False
        else:
            now = time.time()
            temporary = bool(x_grok.get("is_temporary"))
            s.conv = Conversation(str(uuid.uuid4()), "New conversation", now, now, temporary, s.user.user_id)
        cid = s.conv.conversation_id
        opening = [
            _event("session.created", cid, client_event_id=event.get("event_id"), session_id=cid),
            _event("conversation.attached", cid, conversation={"id": cid, "object": "realtime.conversation"},
                   mode="new" if s.new else "existing"),
        ]  # fmt: skip
        if self.style == "section9":
            for message in opening:
                await ws.send_json(message)
        else:
            if not s.new:
                with self.server.state.lock:
                    opening += history_replay(s.conv, cid)
            await ws.send_str(pack(opening))
        # The gateway pings too; a client must answer with a pong carrying the same event_id.
        await ws.send_json(_event("ping", event_id=f"evt_srv_hb_{uuid.uuid4()}"))

    async def _item(self, ws: web.WebSocketResponse, s: _Session, event: Json) -> None:
        assert s.conv is not None
        sid = s.conv.conversation_id
        item = event.get("item") if isinstance(event.get("item"), dict) else {}
        chunks = (item.get("x_grok") or {}).get("input_chunks") if isinstance(item.get("x_grok"), dict) else None
        if item.get("role") != "user" or not isinstance(chunks, list):
            await ws.send_json(_error_event(_INVALID, "Invalid conversation item", sid))
            return
        parent = event.get("parent_response_id")
        if s.new and parent is not None:
            await ws.send_json(_error_event(_INVALID, "A new conversation has no parent response", sid))
            return
        if not s.new:
            node = s.conv.responses.get(parent) if isinstance(parent, str) else None
            if node is None or node.sender != "assistant":
                await ws.send_json(_error_event(_INVALID, "Invalid parent_response_id", sid))
                return
        s.item = event

    async def _respond(self, request: web.Request, ws: web.WebSocketResponse, s: _Session) -> bool:
        """Run the scenario for the pending message; False when the answer ended the socket."""
        assert s.conv is not None and s.item is not None
        server, conv, event = self.server, s.conv, s.item
        sid = conv.conversation_id
        s.item = None
        chunks = event["item"]["x_grok"]["input_chunks"]
        message = "".join(c["text"].get("text", "") for c in chunks if isinstance(c, dict) and "text" in c)
        file_ids = [
            c["mention"]["target"]["file_mention"]["file_id"] for c in chunks if isinstance(c, dict) and "mention" in c
        ]
        uploads: list[Upload] = []
        for file_id in file_ids:
            upload = server.state.uploads.get(file_id)
            if upload is None:
                await ws.send_json(_error_event(_INVALID, f"Invalid file attachment: {file_id}", sid))
                return True
            uploads.append(upload)
        if not message.strip() and not uploads:
            await ws.send_json(_error_event(_INVALID, "Message must not be empty", sid))
            return True
        try:
            overrides = s.x_grok.get("tool_overrides")
            draw = isinstance(overrides, dict) and overrides.get("imageGen") is True
            name, param = sc.choose(message, server.scenario, draw=draw)
        except sc.UnknownScenario as e:
            await ws.send_json(_error_event(_INVALID, str(e), sid))
            return True
        known_mode = server.state.knows_mode(s.mode)
        if not known_mode:
            name, param = "unknown_mode", None
        parent = event.get("parent_response_id")
        body = {
            "modeId": s.mode,
            "temporary": bool(s.x_grok.get("is_temporary")),
            "disableSearch": bool(s.x_grok.get("disable_search")),
            "imageGenerationCount": s.x_grok.get("image_generation_count", 2),
            "disableTextFollowUps": s.x_grok.get("disable_text_follow_ups", False),
            "sendFinalMetadata": True,  # the gateway always may send suggestions
            "customInstructions": s.x_grok.get("custom_instructions", ""),
        }
        ctx = server.turn_context(
            conv=conv, new=s.new, message=message, param=param, body=body, mode=s.mode, parent=parent,
            uploads=uploads, user_id=s.user.user_id,
        )  # fmt: skip
        try:
            outcome = sc.run(name, ctx)
        except sc.UnknownScenario as e:
            await ws.send_json(_error_event(_INVALID, f"scenario {name}: {e}", sid))
            return True
        if isinstance(outcome, sc.Reject):
            if outcome.exhaust_quota:
                server.state.exhaust(s.mode)
            await ws.send_json(_rejection_event(outcome, sid))
            return True
        if known_mode and not server.state.consume(s.mode):
            await ws.send_json(_error_event(8, "Too many requests", sid))
            return True
        server._remember(conv, s.new, parent, ctx, outcome)
        s.new = False
        turn = translate(outcome, sid, ctx.assistant_id, outcome.gateway or self.style)
        if server.unknown_frames:  # an event of a shape no client knows yet
            new_shape = _event("response.hologram.added", sid, response_id=ctx.assistant_id, hologram={"depth": 3})
            turn.steps.insert(1, sc.Frame(new_shape))
        await self._play(request, ws, turn, server.delay if outcome.delay is None else outcome.delay)
        return turn.final

    async def _play(self, request: web.Request, ws: web.WebSocketResponse, turn: Turn, delay: float) -> None:
        first = True
        for step in _messages(turn):
            if isinstance(step, str):
                if delay > 0 and not first:
                    await self.server._pause(delay)
                await ws.send_str(step)
                first = False
            elif isinstance(step, sc.Pause):
                await self.server._pause(step.seconds)
            elif isinstance(step, sc.Stall):
                await self.server._stall(request, step.seconds)


def _messages(turn: Turn) -> list[Any]:
    """The turn's events grouped into WebSocket messages (text), its pauses and stalls between."""
    out: list[Any] = []
    batch: list[Json] = []
    sizes = itertools.cycle(_PACKING if turn.packed else (1,))
    size = next(sizes)
    for step in turn.steps:
        if isinstance(step, sc.Frame):
            batch.append(step.obj)
            if len(batch) < size:
                continue
        if batch:
            if turn.garbled and len(batch) > 1:
                out.append(pack(batch[:1]) + GARBLED_EVENT + pack(batch[1:]))
                turn.garbled = False
            else:
                out.append(pack(batch))
            batch, size = [], next(sizes)
        if not isinstance(step, sc.Frame):
            out.append(step)
    if batch:
        out.append(pack(batch))
    return out
