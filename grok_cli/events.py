"""The events a chat stream produces. The ``--jsonl`` schema lives here and only here.

Every transport and protocol generation is normalised into these values, so sinks, the history
and ``continue`` never see a wire format.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Event:
    type: ClassVar[str] = ""

    def to_json(self) -> dict[str, Any] | None:
        return {"type": self.type, **asdict(self)}


@dataclass(frozen=True, slots=True)
class Conversation(Event):
    type: ClassVar[str] = "conversation"
    conversation_id: str
    title: str | None
    model: str


@dataclass(frozen=True, slots=True)
class Token(Event):
    type: ClassVar[str] = "token"
    text: str


@dataclass(frozen=True, slots=True)
class Reasoning(Event):
    type: ClassVar[str] = "reasoning"
    text: str
    tag: str | None  # "header", "summary" or None (2025 streams carried no tag)

    def as_text(self) -> str:
        """The step as kept text: a header on a line of its own."""
        return self.text.strip() + "\n" if self.tag == "header" else self.text


@dataclass(frozen=True, slots=True)
class ReasoningStatus(Event):
    type: ClassVar[str] = "reasoning_status"
    text: str


@dataclass(frozen=True, slots=True)
class ToolCall(Event):
    type: ClassVar[str] = "tool"
    name: str
    args: dict[str, Any] | str
    id: str | None


@dataclass(frozen=True, slots=True)
class SearchResult:
    url: str
    title: str
    preview: str


@dataclass(frozen=True, slots=True)
class SearchResults(Event):
    type: ClassVar[str] = "search_results"
    results: tuple[SearchResult, ...]

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "results": [asdict(r) for r in self.results]}


@dataclass(frozen=True, slots=True)
class ImageProgress(Event):
    type: ClassVar[str] = "image_progress"
    image_id: str
    url: str
    progress: int
    moderated: bool = False


@dataclass(frozen=True, slots=True)
class Image(Event):
    type: ClassVar[str] = "image"
    image_id: str
    url: str
    path: str | None = None


@dataclass(frozen=True, slots=True)
class Title(Event):
    type: ClassVar[str] = "title"
    title: str


@dataclass(frozen=True, slots=True)
class Suggestions(Event):
    type: ClassVar[str] = "suggestions"
    items: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "items": list(self.items)}


@dataclass(frozen=True, slots=True)
class StreamWarning(Event):
    """Something about the answer the user should know, though it arrived (one stderr line)."""

    type: ClassVar[str] = "warning"
    code: str  # e.g. "degraded_session"
    message: str


@dataclass(frozen=True, slots=True)
class UserTurn(Event):
    """grok.com's id for the prompt just sent; the history keeps it, ``--jsonl`` does not show it."""

    type: ClassVar[str] = "user_turn"
    response_id: str

    def to_json(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Done(Event):
    type: ClassVar[str] = "done"
    conversation_id: str | None
    response_id: str | None
    parent_response_id: str | None
    model: str
    text: str
    complete: bool


@dataclass(frozen=True, slots=True)
class Error(Event):
    type: ClassVar[str] = "error"
    code: str
    message: str
    exit_code: int


@dataclass(frozen=True, slots=True)
class RawFrame(Event):
    """One upstream line exactly as received; only the ``--raw`` sink shows it."""

    type: ClassVar[str] = "raw"
    text: str = field(repr=False)

    def to_json(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Flush(Event):
    """The stream is about to wait for grok.com: what the sinks wrote should reach the reader now.

    Writing per event and flushing here, once per received chunk, keeps the output as prompt
    as flushing every token while costing one system call per chunk instead of per token.
    """

    type: ClassVar[str] = "flush"

    def to_json(self) -> None:
        return None


FLUSH = Flush()
