"""OpenAI's wire formats: request bodies read into plain values, and the objects sent back.

Pure functions, no I/O. Request bodies come from any client on the machine, so every field is
checked for its type; a bad one is a 400 naming it. Fields this server does not use are
ignored, as OpenAI's own clients expect (they send many).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from grok_cli.attachments import LocalFile, file_extension, sniff
from grok_cli.errors import (
    AuthError,
    BlockedError,
    GrokError,
    NetworkError,
    RateLimitedError,
    StreamTimeoutError,
    UsageError,
)

MAX_IMAGES = 10  # what `grok images -n` allows
MAX_ATTACHMENT_BYTES = 20 * 2**20  # grok.com's own limit for an image
_DATA_URL = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?(;[^,]*)?;base64,", re.IGNORECASE)


class BadRequest(UsageError):
    """A request body the API cannot take; ``param`` names the field (OpenAI's ``param``)."""

    def __init__(self, message: str, param: str | None = None, status: int = 400, code: str | None = None) -> None:
        super().__init__(message)
        self.param = param
        self.http_status = status
        self.error_code = code


# -- reading requests -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Message:
    role: str  # "user", "assistant", or another role as the client named it
    text: str
    images: tuple[str, ...] = ()  # data: URLs


@dataclass(frozen=True, slots=True)
class Conversation:
    """What a request asks: instructions, the earlier messages, and the new user message."""

    model: str
    system: str | None
    earlier: tuple[Message, ...]
    message: Message
    stream: bool = False
    include_usage: bool = False
    previous_response_id: str | None = None  # Responses API


@dataclass(frozen=True, slots=True)
class ImageRequest:
    prompt: str
    n: int
    response_format: str  # "url" or "b64_json"
    model: str | None


def parse_json(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return body


def _string(body: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise BadRequest(f"Missing required parameter: '{name}'.", name)
        return None
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string.", name)
    if required and not value.strip():
        raise BadRequest(f"'{name}' must not be empty.", name)
    return value


def _bool(body: Mapping[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise BadRequest(f"'{name}' must be true or false.", name)
    return value


_TEXT_PARTS = ("text", "input_text", "output_text")
_IMAGE_PARTS = ("image_url", "input_image")


def _image_url(part: Mapping[str, Any], where: str) -> str:
    url = part.get("image_url")
    if isinstance(url, Mapping):  # chat completions: {"image_url": {"url": ...}}
        url = url.get("url")
    if not isinstance(url, str):
        raise BadRequest(f"'{where}.image_url' must be a URL.", f"{where}.image_url")
    if not _DATA_URL.match(url):
        raise BadRequest(
            f"'{where}.image_url' must be a data: URL (base64); grok serve fetches no URLs for clients.",
            f"{where}.image_url",
        )
    return url


def _content(content: Any, where: str) -> tuple[str, tuple[str, ...]]:
    """A message's text and images from a string, a list of parts, or null."""
    if content is None:
        return "", ()
    if isinstance(content, str):
        return content, ()
    if not isinstance(content, list):
        raise BadRequest(f"'{where}' must be a string or a list of content parts.", where)
    texts: list[str] = []
    images: list[str] = []
    for i, part in enumerate(content):
        at = f"{where}[{i}]"
        if isinstance(part, str):
            texts.append(part)
            continue
        if not isinstance(part, Mapping):
            raise BadRequest(f"'{at}' must be a content part object.", at)
        kind = part.get("type")
        if kind in _TEXT_PARTS:
            text = part.get("text")
            if not isinstance(text, str):
                raise BadRequest(f"'{at}.text' must be a string.", f"{at}.text")
            texts.append(text)
        elif kind in _IMAGE_PARTS:
            images.append(_image_url(part, at))
        else:
            raise BadRequest(f"'{at}.type' {kind!r} is not supported: send text or image parts.", f"{at}.type")
    return "\n\n".join(texts), tuple(images)


_SYSTEM_ROLES = ("system", "developer")


def _messages(items: Any, name: str) -> tuple[list[str], list[Message]]:
    """System texts and the other messages of a chat ``messages`` list or a Responses ``input``."""
    if not isinstance(items, list) or not items:
        raise BadRequest(f"'{name}' must be a non-empty list of messages.", name)
    system: list[str] = []
    messages: list[Message] = []
    for i, item in enumerate(items):
        at = f"{name}[{i}]"
        if not isinstance(item, Mapping):
            raise BadRequest(f"'{at}' must be a message object.", at)
        kind = item.get("type", "message")
        if kind != "message":
            raise BadRequest(f"'{at}.type' {kind!r} is not supported: send messages.", f"{at}.type")
        role = item.get("role")
        if not isinstance(role, str) or not role:
            raise BadRequest(f"'{at}.role' must be a string.", f"{at}.role")
        text, images = _content(item.get("content"), f"{at}.content")
        if role in _SYSTEM_ROLES:
            if images:
                raise BadRequest(f"'{at}.content': a {role} message cannot carry images.", f"{at}.content")
            if text.strip():
                system.append(text.strip())
        else:
            messages.append(Message(role, text, images))
    return system, messages


def _split(system: list[str], messages: list[Message], name: str) -> tuple[str | None, tuple[Message, ...], Message]:
    if not messages or messages[-1].role != "user":
        raise BadRequest(f"The last message of '{name}' must be from the user.", name)
    last = messages[-1]
    if not last.text.strip() and not last.images:
        raise BadRequest(f"The last message of '{name}' is empty.", name)
    return ("\n\n".join(system) or None), tuple(messages[:-1]), last


def chat_request(body: Mapping[str, Any]) -> Conversation:
    """A POST /v1/chat/completions body."""
    model = _string(body, "model", required=True)
    assert model is not None
    system, messages = _messages(body.get("messages"), "messages")
    instructions, earlier, last = _split(system, messages, "messages")
    options = body.get("stream_options")
    include_usage = False
    if options is not None:
        if not isinstance(options, Mapping):
            raise BadRequest("'stream_options' must be an object.", "stream_options")
        include_usage = _bool(options, "include_usage")
    return Conversation(model, instructions, earlier, last, stream=_bool(body, "stream"), include_usage=include_usage)


def responses_request(body: Mapping[str, Any]) -> Conversation:
    """A POST /v1/responses body: ``input`` as text or as message items."""
    model = _string(body, "model", required=True)
    assert model is not None
    raw = body.get("input")
    if isinstance(raw, str):
        if not raw.strip():
            raise BadRequest("'input' must not be empty.", "input")
        raw = [{"role": "user", "content": raw}]
    system, messages = _messages(raw, "input")
    instructions = _string(body, "instructions")
    if instructions and instructions.strip():
        system.insert(0, instructions.strip())
    joined, earlier, last = _split(system, messages, "input")
    previous = _string(body, "previous_response_id")
    return Conversation(
        model, joined, earlier, last, stream=_bool(body, "stream"), previous_response_id=previous or None
    )


def image_request(body: Mapping[str, Any]) -> ImageRequest:
    """A POST /v1/images/generations body."""
    prompt = _string(body, "prompt", required=True)
    assert prompt is not None
    n = body.get("n", 1)
    if n is None:
        n = 1
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_IMAGES:
        raise BadRequest(f"'n' must be a whole number from 1 to {MAX_IMAGES}.", "n")
    response_format = _string(body, "response_format") or "url"
    if response_format not in ("url", "b64_json"):
        raise BadRequest("'response_format' must be 'url' or 'b64_json'.", "response_format")
    return ImageRequest(prompt, n, response_format, _string(body, "model"))


def attachment(url: str, index: int) -> LocalFile:
    """A data: URL image as a file to upload."""
    match = _DATA_URL.match(url)
    assert match is not None
    try:
        data = base64.b64decode(url[match.end() :], validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(f"Image {index + 1} is not valid base64.") from None
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise BadRequest(f"Image {index + 1} is larger than {MAX_ATTACHMENT_BYTES // 2**20} MB.")
    mime = sniff(data) or (match.group(1) or "application/octet-stream").lower()
    return LocalFile(name=f"image-{index + 1}{file_extension(mime)}", label=f"image {index + 1}", mime=mime, data=data)


# -- what a new grok.com conversation is sent -------------------------------------------------------
def first_message(earlier: Sequence[Message], message: Message) -> str:
    """The prompt that starts a grok.com conversation: the earlier turns, then the new message.

    grok.com keeps its own history, so the transcript is sent once, in the first message; the
    follow-ups of that conversation carry only the new user message.
    """
    if not earlier:
        return message.text
    lines = ["Earlier messages of this conversation:", ""]
    for m in earlier:
        lines += [f"[{m.role}]", m.text.strip(), ""]
    lines += ["[user, now]", message.text]
    return "\n".join(lines)


# -- objects sent back ------------------------------------------------------------------------------
def new_id(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(12)}"


def estimate_tokens(text: str) -> int:
    """grok.com reports no token counts; about four characters per token, as OpenAI's rule of thumb."""
    return math.ceil(len(text) / 4)


def usage(prompt: str, answer: str, reasoning: str = "") -> dict[str, Any]:
    prompt_tokens = estimate_tokens(prompt)
    completion = estimate_tokens(answer) + estimate_tokens(reasoning)
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": prompt_tokens + completion,
        "completion_tokens_details": {"reasoning_tokens": estimate_tokens(reasoning)},
    }


def chat_chunk(
    chunk_id: str, created: int, model: str, delta: dict[str, Any], finish_reason: str | None = None
) -> dict[str, Any]:
    return {
        "id": chunk_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "system_fingerprint": None,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }


def usage_chunk(chunk_id: str, created: int, model: str, used: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": chunk_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [],
        "usage": used,
    }


def chat_completion(
    completion_id: str, created: int, model: str, text: str, reasoning: str, used: dict[str, Any]
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
    if reasoning:
        message["reasoning_content"] = reasoning
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "system_fingerprint": None,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}],
        "usage": used,
    }


def model_object(model_id: str, owned_by: str = "grok.com") -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": owned_by}


@dataclass
class ResponseState:
    """A Responses API ``response`` object as it builds up."""

    id: str
    created: int
    model: str
    instructions: str | None
    previous_response_id: str | None
    text: str = ""
    reasoning: str = ""
    message_id: str = field(default_factory=lambda: new_id("msg_"))
    reasoning_id: str = field(default_factory=lambda: new_id("rs_"))

    def output(self, status: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        if self.reasoning:
            items.append(self.reasoning_item(status))
        items.append(self.message_item(status))
        return items

    def reasoning_item(self, status: str) -> dict[str, Any]:
        return {
            "id": self.reasoning_id,
            "type": "reasoning",
            "status": status,
            "summary": [],
            "content": [{"type": "reasoning_text", "text": self.reasoning}] if self.reasoning else [],
        }

    def message_item(self, status: str) -> dict[str, Any]:
        content = [] if status == "in_progress" else [self.text_part(self.text)]
        return {"id": self.message_id, "type": "message", "status": status, "role": "assistant", "content": content}

    @staticmethod
    def text_part(text: str) -> dict[str, Any]:
        return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}

    def body(self, status: str, *, prompt: str = "", error: dict[str, Any] | None = None) -> dict[str, Any]:
        used = usage(prompt, self.text, self.reasoning) if status == "completed" else None
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created,
            "status": status,
            "error": error,
            "incomplete_details": None,
            "instructions": self.instructions,
            "model": self.model,
            "output": [] if status == "in_progress" else self.output(status),
            "output_text": self.text,
            "parallel_tool_calls": False,
            "previous_response_id": self.previous_response_id,
            "tool_choice": "none",
            "tools": [],
            "usage": None
            if used is None
            else {
                "input_tokens": used["prompt_tokens"],
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": used["completion_tokens"],
                "output_tokens_details": {"reasoning_tokens": used["completion_tokens_details"]["reasoning_tokens"]},
                "total_tokens": used["total_tokens"],
            },
        }


# -- errors -----------------------------------------------------------------------------------------
_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "invalid_request_error",
    429: "rate_limit_error",
}


@dataclass(frozen=True, slots=True)
class ErrorReply:
    status: int
    message: str
    code: str
    param: str | None = None
    retry_after: float | None = None

    def body(self) -> dict[str, Any]:
        kind = _TYPES.get(self.status, "api_error" if self.status != 500 else "server_error")
        return {"error": {"message": self.message, "type": kind, "code": self.code, "param": self.param}}

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        return {"Retry-After": str(max(1, math.ceil(self.retry_after)))}


def error_reply(error: GrokError) -> ErrorReply:
    """The HTTP status and error object for a failure (design.md's exit codes, as HTTP)."""
    message = error.message + (f" {error.hint}" if error.hint and not isinstance(error, BadRequest) else "")
    if isinstance(error, BadRequest):
        return ErrorReply(error.http_status, error.message, error.error_code or "invalid_request", error.param)
    if isinstance(error, UsageError):
        return ErrorReply(400, message, "invalid_request")
    if isinstance(error, RateLimitedError):
        return ErrorReply(429, message, "rate_limited", retry_after=error.retry_after)
    if isinstance(error, BlockedError):
        return ErrorReply(503, message, "blocked")
    if isinstance(error, StreamTimeoutError):
        return ErrorReply(504, message, "timeout")
    if isinstance(error, AuthError):  # grok.com refused the session: the gateway's trouble, not the key's
        return ErrorReply(502, message, "upstream_auth")
    if isinstance(error, NetworkError):
        return ErrorReply(502, message, "network")
    if error.status in (error.status.INTERNAL, error.status.LOCAL):  # this machine's trouble, not grok.com's
        return ErrorReply(500, message, error.code)
    return ErrorReply(502, message, error.code)


def sse(data: Mapping[str, Any] | str, event: str | None = None) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()
