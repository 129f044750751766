"""Uploading attachments to grok.com: v2 multipart first, v1 JSON when v2 is refused.

v2 (``/http/upload-file-v2/direct``) is what the web app sends today, so it is tried first. When
grok.com refuses it as an endpoint (404, 405, 410, 501), rejects its form (400, 415, 422), or
answers without a file id (an asynchronous ``uploadId`` only), the same file goes to v1
(``/rest/app-chat/upload-file``, base64 JSON), and the rest of the run uses v1 directly. A file
that is too large is never retried on the other endpoint: both share grok.com's limits.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from grok_cli.attachments import LocalFile
from grok_cli.errors import GrokError, UpstreamError, UsageError
from grok_cli.protocol.errors import classify_http, error_message
from grok_cli.protocol.upload import (
    UPLOAD_V1_PATH,
    UPLOAD_V2_PATH,
    Attachment,
    human_size,
    multipart_body,
    v1_body,
    v1_result,
    v2_result,
    v2_terminal_error,
)
from grok_cli.transport.http import GrokHTTP, RawBody

Progress = Callable[[int, int], None]

TOO_LARGE = 413
_ENDPOINT_REFUSED = frozenset({404, 405, 410, 501})
_FORM_REFUSED = frozenset({400, 415, 422})
_PASSTHROUGH = frozenset({TOO_LARGE}) | _ENDPOINT_REFUSED | _FORM_REFUSED


def _json(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return None


class Refused(Exception):
    """This endpoint would not take the file for a reason the other endpoint may not share."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(status)
        self.status = status
        self.text = text


def _is_too_large(status: int, text: str) -> bool:
    return status == TOO_LARGE or (status >= 400 and "too large" in error_message(text).lower())


def _described(file: LocalFile) -> str:
    return f"{file.label} ({file.mime}, {human_size(file.size)})"


def _too_large(file: LocalFile) -> UpstreamError:
    return UpstreamError(
        f"grok.com refused {_described(file)}: the file is too large.",
        "Attach a smaller file, or split it (text can be sent in parts).",
    )


def _rejected(file: LocalFile, status: int, text: str) -> GrokError:
    """The last endpoint's refusal, naming the file; errors not about the file keep their class."""
    if _is_too_large(status, text):
        return _too_large(file)
    classified = classify_http(status, text)
    if type(classified) not in (UpstreamError, UsageError):
        return classified  # e.g. "update your client": about grok, not about this file
    return UpstreamError(f"grok.com refused {_described(file)}: {error_message(text) or f'HTTP {status}'}.")


class Uploader:
    """One per client: remembers that v2 was refused so later files go straight to v1."""

    def __init__(self, http: GrokHTTP) -> None:
        self._http = http
        self._v2_refused = False

    async def upload(self, file: LocalFile, on_progress: Progress | None = None) -> Attachment:
        if not self._v2_refused:
            try:
                return await self._v2(file, on_progress)
            except Refused:
                self._v2_refused = True
        try:
            return await self._v1(file, on_progress)
        except Refused as e:
            raise _rejected(file, e.status, e.text) from None

    async def _v2(self, file: LocalFile, on_progress: Progress | None) -> Attachment:
        data, content_type = multipart_body(file.name, file.mime, file.data)
        status, text = await self._http.send_body(
            UPLOAD_V2_PATH, RawBody(data, content_type, on_progress), passthrough=_PASSTHROUGH
        )
        if _is_too_large(status, text):
            raise _too_large(file)  # the same limits apply on v1: no second upload
        if status >= 300:
            raise Refused(status, text)
        answer = _json(text)
        reason = v2_terminal_error(answer)
        if reason:
            raise UpstreamError(f"grok.com refused {_described(file)}: {reason}.")
        found = v2_result(answer)
        if found is None:
            raise Refused(status, text)
        return _attachment(file, *found)

    async def _v1(self, file: LocalFile, on_progress: Progress | None) -> Attachment:
        body = json.dumps(v1_body(file.name, file.mime, file.data)).encode()
        status, text = await self._http.send_body(
            UPLOAD_V1_PATH, RawBody(body, "application/json", on_progress), passthrough=_PASSTHROUGH
        )
        if status >= 300:
            raise Refused(status, text)
        found = v1_result(_json(text))
        if found is None:
            raise UpstreamError(
                f"grok.com took {file.label} but sent back no file id.",
                "grok.com may have changed its upload protocol; update grok-cli.",
            )
        return _attachment(file, *found)


def _attachment(file: LocalFile, file_id: str, file_uri: str | None) -> Attachment:
    return Attachment(file.name, file.label, file.mime, file.size, file_id, file_uri, prompt=file.prompt)
