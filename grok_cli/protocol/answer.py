"""What one answer has accumulated, whichever wire format it arrived in.

Both normalisers (REST NDJSON frames in ``normalize``, gateway events in ``gateway``) build on
this: it owns the ids, the answer text, the thinking clock and the de-duplication of tools and
images, and it alone decides what ``Done`` says and why an ended stream is incomplete.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from grok_cli.errors import GrokError, UpstreamError
from grok_cli.events import (
    Done,
    Event,
    Image,
    ImageProgress,
    Reasoning,
    ReasoningStatus,
    StreamWarning,
    Token,
    ToolCall,
)
from grok_cli.protocol.errors import classify_stream_errors
from grok_cli.protocol.jsontext import loads
from grok_cli.protocol.models import thinks
from grok_cli.protocol.render import RenderFilter
from grok_cli.protocol.upload import Attachment


def degraded_session(mode: str) -> StreamWarning:
    """A thinking mode that answered without any reasoning: what grok.com does to sessions it
    distrusts (protocol section 9.1), which otherwise goes unnoticed."""
    return StreamWarning(
        "degraded_session",
        f"{mode} answered without any reasoning: grok.com may have flagged this account or network "
        "(a datacenter IP, a VPN or proxy, automated use) and gives it weaker answers. Try from your "
        "usual network without a VPN or proxy, or sign in to grok.com in a browser and run `grok login`.",
    )


class AnswerState:
    def __init__(
        self,
        *,
        model: str,
        assets_url: str,
        clock: Callable[[], float],
        conversation_id: str | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> None:
        self.model = model
        self._requested_conversation = conversation_id
        self._attachments = tuple(attachments)  # to name the file grok.com rejects
        self.conversation_id = conversation_id
        self.user_response_id: str | None = None
        self.response_id: str | None = None
        self.parent_response_id: str | None = None
        self.title: str | None = None
        self.finished = False  # grok.com considers the answer complete
        self.saw_reasoning = False
        self._assets_url = assets_url.rstrip("/")
        self._clock = clock
        self._render = RenderFilter()
        # The answer so far, UTF-8: one growing buffer, a byte or so per character (a list of
        # token strings costs some 60 bytes a token).
        self._text = bytearray()
        self._streamed_final = False
        self._thinking_started: float | None = None
        self._status_sent = False
        self._tools_seen: set[str] = set()
        self._images_done: set[str] = set()

    # -- public -------------------------------------------------------------------------------
    def feed(self, message: dict[str, Any]) -> list[Event]:
        """The events one received frame (REST) or gateway event (WebSocket) gives."""
        raise NotImplementedError

    @property
    def text(self) -> str:
        return self._text.decode("utf-8", "surrogatepass")

    @property
    def started(self) -> bool:
        """grok.com sent something of this answer (a follow-up's known conversation id is not that)."""
        announced = self.conversation_id is not None and self.conversation_id != self._requested_conversation
        return bool(announced or self._text or self.saw_reasoning or self.response_id or self.user_response_id)

    def finish(self) -> list[Event]:
        """Events still held back when the stream ends (a half-received markup element, timing),
        and what the finished answer warns of."""
        events: list[Event] = []
        tail = self._render.flush()
        if tail:
            events += self._final_text(tail)
        if self.saw_reasoning and not self._status_sent:
            events += self._status(None)
        if self.finished and self._text and not self.saw_reasoning and thinks(self.model):
            events.append(degraded_session(self.model))
        return events

    def ending_error(self) -> GrokError | None:
        """Why a stream that ended is not a complete answer, if it is not."""
        if self.finished:
            return None
        if self._text:
            return UpstreamError(
                "The answer was cut off: grok.com closed the stream before finishing it.",
                "The partial answer was printed; run the command again for a full one.",
            )
        if self.saw_reasoning:
            return UpstreamError(
                "grok.com stopped after thinking, without an answer.",
                "This happens when the mode is not available to the account; try `-m fast`.",
            )
        return UpstreamError("grok.com ended the stream without an answer.", "Try again in a moment.")

    def done(self, *, complete: bool) -> Done:
        return Done(
            conversation_id=self.conversation_id,
            response_id=self.response_id,
            parent_response_id=self.parent_response_id or self.user_response_id,
            model=self.model,
            text=self.text,
            complete=complete,
        )

    # -- building blocks for the normalisers ----------------------------------------------------
    def _answer_text(self, text: str) -> list[Event]:
        """Answer text as received: ``<grok:render>`` markup is resolved here."""
        return self._final_text(self._render.feed(text))

    def _final_text(self, text: str) -> list[Event]:
        events: list[Event] = []
        if self.saw_reasoning and not self._status_sent:
            events += self._status(None)
        if text:
            self._streamed_final = True
            self._text += text.encode("utf-8", "surrogatepass")  # JSON can carry lone surrogates
            events.append(Token(text))
        return events

    def _reasoning(self, text: str, tag: str | None) -> list[Event]:
        if self._thinking_started is None:
            self._thinking_started = self._clock()
        self.saw_reasoning = True
        return [Reasoning(text, tag)]

    def _status(self, seconds: float | None) -> list[Event]:
        if seconds is None:
            if self._thinking_started is None:
                return []
            seconds = self._clock() - self._thinking_started
        self._status_sent = True
        return [ReasoningStatus(f"Thought for {seconds:.1f}s")]

    def _tool(self, call: ToolCall, key: str) -> list[Event]:
        """A tool call once, however often grok.com repeats its card."""
        if key in self._tools_seen:
            return []
        self._tools_seen.add(key)
        return [call]

    def _stream_errors(self, items: list[Any]) -> GrokError | None:
        return classify_stream_errors(items, self._attachments)

    def _absolute(self, url: str) -> str:
        """Asset paths are relative to the assets origin; dot segments are resolved here so a
        path such as ``../../x`` cannot climb out of it (it names ``<assets>/x``)."""
        if url.startswith(("http://", "https://")):
            return url
        path, sep, query = url.partition("?")
        parts: list[str] = []
        for part in path.replace("\\", "/").split("/"):
            if part == "..":
                if parts:
                    parts.pop()
            elif part not in ("", "."):
                parts.append(part)
        return f"{self._assets_url}/{'/'.join(parts)}{sep}{query}"

    def _card(self, json_data: Any, *id_keys: str) -> list[Event]:
        """A card attachment's JSON (an object, or one carried as a string): its image's progress."""
        card = json_data if isinstance(json_data, dict) else json_object(json_data)
        chunk = card.get("image_chunk")
        return self._image_chunk(chunk, *id_keys) if isinstance(chunk, dict) else []

    def _image_chunk(self, chunk: Mapping[str, Any], *id_keys: str) -> list[Event]:
        """Progress of one generated image; its final, unmoderated version becomes an Image."""
        url = chunk.get("imageUrl")
        if not isinstance(url, str) or not url:
            return []
        image_id = next((v for k in id_keys if isinstance(v := chunk.get(k), str) and v), url)
        progress = percent(chunk.get("progress"))
        moderated = bool(chunk.get("moderated"))
        absolute = self._absolute(url)
        events: list[Event] = [ImageProgress(image_id, absolute, progress, moderated)]
        if progress >= 100 and moderated:
            # The final lists (generatedImageUrls, cardAttachmentsJson) must not revive it.
            self._images_done |= {image_id, absolute}
        elif progress >= 100:
            events += self._image(image_id, url)
        return events

    def _image(self, image_id: str, url: str) -> list[Event]:
        """One Image per generated image: the streamed final and the final lists name the same
        image by id or by URL (a list entry carries no id of its own)."""
        absolute = self._absolute(url)
        if image_id in self._images_done or absolute in self._images_done:
            return []
        self._images_done |= {image_id, absolute}
        return [Image(image_id, absolute)]


# Type guards for decoded JSON, where any field may hold any type. The values come from a JSON
# decoder, so plain dict checks suffice (and cost far less than Mapping's).
def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def percent(value: Any) -> int:
    """A progress value as 0..100; anything that is not a finite number counts as 0."""
    if not isinstance(value, (int, float)) or isinstance(value, float) and not math.isfinite(value):
        return 0
    return int(max(0, min(100, value)))


def json_object(text: Any) -> dict[str, Any]:
    """A JSON object carried as a string (grok.com nests cards that way); {} for anything else."""
    if not isinstance(text, str):
        return {}
    try:
        value = loads(text)
    except (ValueError, RecursionError):
        return {}
    return as_dict(value)
