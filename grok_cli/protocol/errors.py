"""Classify grok.com's failures (HTTP answers and in-stream error objects) into GrokErrors.

grok.com reports trouble in many shapes (protocol section 7): a Cloudflare HTML page, gRPC-style
JSON codes (7 permission denied, 8 resource exhausted, 16 unauthenticated), plain text, in-stream
``error`` lines and ``streamErrors`` in the final response. Each maps to one exit status.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from grok_cli.errors import (
    AuthError,
    BlockedError,
    GrokError,
    NetworkError,
    RateLimitedError,
    TransportGoneError,
    UpstreamError,
    UsageError,
)
from grok_cli.protocol.quota import duration
from grok_cli.protocol.upload import Attachment, human_size

_CLOUDFLARE_MARKERS = ("just a moment", "_cf_chl_opt", "challenge-platform", "cf-chl-")
CLOUDFLARE_HINT = (
    "Open grok.com in the browser you signed in with, then run `grok login` again: "
    "cf_clearance is tied to that browser's User-Agent and IP address."
)


class StaleSignatureError(BlockedError):
    """``This page is out of date``: the x-statsig-id is stale; one re-signed retry may pass."""


def _error_object(body: str) -> tuple[int | None, str]:
    try:
        data = json.loads(body)
    except ValueError:
        return None, ""
    if isinstance(data, Mapping):
        err = data.get("error", data)
        if isinstance(err, Mapping):
            code = err.get("code")
            return (code if isinstance(code, int) else None), str(err.get("message") or "")
        if isinstance(err, str):
            return None, err
    return None, ""


def error_message(body: str) -> str:
    """The message of a JSON error answer, else the start of the body itself."""
    _code, message = _error_object(body)
    return message or body.strip()[:200]


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _wait_hint(seconds: float | None) -> str:
    if seconds is None:
        return "Wait a while before trying again; `grok models --quota` shows what is left."
    return f"Try again in {'about ' if seconds >= 90 else ''}{duration(seconds)}."


def rate_limited(message: str, retry_after: float | None) -> RateLimitedError:
    return RateLimitedError(
        f"grok.com's usage limit was reached ({message or 'too many requests'}).",
        _wait_hint(retry_after),
        retry_after=retry_after,
    )


def _by_text(message: str, code: int | None) -> GrokError | None:
    low = message.lower()
    if "update your client" in low:
        return TransportGoneError(
            f"grok.com rejected the request format: {message}",
            "grok.com changed its protocol; update grok-cli (or try --transport ws).",
        )
    if "out of date" in low:
        return StaleSignatureError(
            f"grok.com rejected the request signature as stale: {message}",
            "Run the command again; if it persists, run `grok login` to refresh the session.",
        )
    if "blocked-user" in low or "user is blocked" in low:
        return BlockedError(
            "grok.com says this account is blocked.",
            "Check the account in a browser at grok.com.",
        )
    if "not available in your region" in low:
        return BlockedError(
            "grok.com is not available in this region.",
            "Use a proxy in a supported region (--proxy or HTTPS_PROXY).",
        )
    if "castle" in low:
        return BlockedError(
            "grok.com refused the turn: it wants a Castle anti-bot token (castle_request_token), "
            "which only its web page can mint.",
            "grok cannot make that token. Try again later, or try `--transport rest`.",
        )
    if "anti-bot" in low:
        return BlockedError(
            "grok.com's anti-bot rules rejected the request.",
            "The x-statsig-id signature or this IP address was not accepted; run `grok login` "
            "from a browser on this machine, or set GROK_STATSIG (see docs/protocol-notes.md).",
        )
    if "usage limit" in low or "usage quota" in low or code == 8:
        return rate_limited(message, None)
    return None


def classify_http(status: int, body: str, headers: Mapping[str, str] | None = None) -> GrokError:
    """An error for a non-2xx answer to a grok.com request."""
    headers = headers or {}
    code, message = _error_object(body)
    low_body = body[:4000].lower()
    is_cloudflare = any(m in low_body for m in _CLOUDFLARE_MARKERS) or any(
        k.lower() == "cf-mitigated" for k in headers
    )
    if status == 401 or code == 16:
        detail = message or "unauthenticated"
        return AuthError(f"grok.com rejected the credentials ({detail}).")
    if is_cloudflare:
        return BlockedError(
            "Cloudflare challenged the request: the cf_clearance cookie is missing or expired.",
            CLOUDFLARE_HINT,
        )
    by_text = _by_text(message or body[:500], code)
    if by_text is not None:
        return by_text
    if status == 429:
        return rate_limited(message, _retry_after(headers))
    if status == 403:
        return BlockedError(
            f"grok.com refused the request (HTTP 403{': ' + message if message else ''}).",
            CLOUDFLARE_HINT,
        )
    if status == 404 and code == 5:  # NOT_FOUND in grok.com's own error object
        return UsageError(f"grok.com does not know that conversation ({message or 'not found'}).")
    if status in (404, 405, 410):  # the path itself is gone: grok.com moved this API
        return TransportGoneError(
            f"grok.com no longer answers this request (HTTP {status}).",
            "grok.com changed its protocol; update grok-cli (or try --transport ws).",
        )
    if status >= 500:
        return NetworkError(
            f"grok.com is having trouble (HTTP {status}) and did not recover after retries.",
            "Try again in a few minutes.",
        )
    return UpstreamError(f"grok.com rejected the request (HTTP {status}{': ' + message if message else ''}).")


def classify_stream_error(error: Any) -> GrokError:
    """An error for an ``{"error": ...}`` object or string met inside an HTTP-200 stream."""
    if isinstance(error, Mapping):
        code = error.get("code") if isinstance(error.get("code"), int) else None
        message = str(error.get("message") or "unknown error")
    else:
        code, message = None, str(error)
    if code == 16:
        return AuthError(f"grok.com ended the session during the answer ({message}).")
    if code == 8:
        return rate_limited(message, None)
    by_text = _by_text(message, code)
    if by_text is not None:
        return by_text
    return UpstreamError(f"grok.com reported an error during the answer: {message}")


_STREAM_ERROR_FLAGS = {
    "attachmentFileTooLarge": "an attached file is too large",
    "attachmentImageTooLarge": "an attached image is too large",
    "attachmentTooManyPages": "an attached document has too many pages",
    "attachmentLoadFailed": "an attachment could not be loaded",
    "attachmentModerated": "an attachment was rejected by moderation",
    "userPromptTooLong": "the prompt is too long",
    "beyondContextLength": "the conversation is longer than the model's context",
    "modelNotAvailable": "the model is not available",
    "systemKillSwitch": "the feature is switched off on grok.com",
    "requestCancelled": "the request was cancelled",
}
# What each attachment problem means for the one file it names, and what the user can do.
_ATTACHMENT_PROBLEMS = {
    "attachmentFileTooLarge": ("the file is too large", "Attach a smaller file, or split it."),
    "attachmentImageTooLarge": ("the image is too large", "Attach a scaled-down copy of the image."),
    "attachmentTooManyPages": ("the document has too many pages", "Split the document and attach the parts."),
    "attachmentLoadFailed": (
        "the file could not be loaded",
        "Check that the file opens locally and is in a common format.",
    ),
    "attachmentModerated": ("the file was rejected by moderation", None),
}


def _is_set(item: Mapping[str, Any], flag: str) -> bool:
    # In grok.com's JSON each reason is a details object, often empty ({}), so presence counts.
    return flag in item and item[flag] is not None and item[flag] is not False


def _which_file(details: Mapping[str, Any], attachments: Sequence[Attachment]) -> str | None:
    """The local name of the file a stream error is about, from the details grok.com gives."""
    named = details.get("fileName")
    file_id = details.get("fileMetadataId") or details.get("fileId")
    for a in attachments:
        if (file_id and file_id == a.file_id) or (named and named == a.name):
            return a.described
    if isinstance(named, str) and named:
        return named
    if len(attachments) == 1:
        return attachments[0].described
    return None


def _attachment_error(item: Mapping[str, Any], flag: str, attachments: Sequence[Attachment]) -> UpstreamError:
    details = item[flag] if isinstance(item[flag], Mapping) else {}
    reason, hint = _ATTACHMENT_PROBLEMS[flag]
    limit = details.get("maxSizeBytes")
    pages = details.get("maxPages")
    if isinstance(limit, int) and 0 < limit < 2**53:
        reason += f" (the limit is {human_size(limit)})"
    if isinstance(pages, int) and pages > 0:
        reason += f" (at most {pages} pages)"
    who = _which_file(details, attachments)
    if who is None and attachments:
        who = "one of " + ", ".join(a.described for a in attachments)
    if who is None:
        return UpstreamError(f"grok.com could not finish the answer: {_STREAM_ERROR_FLAGS[flag]}.", hint)
    return UpstreamError(f"grok.com could not use the attached file {who}: {reason}.", hint)


def classify_stream_errors(items: list[Any], attachments: Sequence[Attachment] = ()) -> GrokError | None:
    """An error for ``modelResponse.streamErrors``; None when the list holds nothing.

    ``attachments`` are the files sent with the request, so an attachment problem can name the
    local file it is about.
    """
    for item in items:
        if not item:
            continue
        if not isinstance(item, Mapping):
            return classify_stream_error(item)
        message = str(item.get("message") or "")
        if _is_set(item, "globalRateLimit"):
            return rate_limited(message, None)
        by_text = _by_text(message, None)
        if by_text is not None:
            return by_text
        for flag in _ATTACHMENT_PROBLEMS:
            if _is_set(item, flag):
                return _attachment_error(item, flag, attachments)
        reasons = [text for flag, text in _STREAM_ERROR_FLAGS.items() if _is_set(item, flag)]
        detail = "; ".join(filter(None, [", ".join(reasons), message])) or "unknown stream error"
        return UpstreamError(f"grok.com could not finish the answer: {detail}")
    return None
