"""File uploads (protocol section 4.4): request bodies, answers, and the long-prompt rule.

grok.com has two upload endpoints. The web app itself has used the multipart
``/http/upload-file-v2/direct`` since mid-2026 (seen live 2026-07-31: one ``file`` part); the
older JSON ``/rest/app-chat/upload-file`` (base64 content) is what every earlier client used.
grok takes v2 first and falls back to v1 when v2 is refused (transport/upload.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

UPLOAD_V1_PATH = "/rest/app-chat/upload-file"
UPLOAD_V2_PATH = "/http/upload-file-v2/direct"

# grok.com does not publish how long ``message`` may be; it answers an over-long one with a
# ``userPromptTooLong`` stream error. The one client that measured it (orzogc/grok3_api,
# ``messageCharLimit = 40000``) uploads anything longer as a text file, and so does grok.
LONG_PROMPT_LIMIT = 40_000
LONG_PROMPT_FILE_NAME = "prompt.txt"
LONG_PROMPT_MESSAGE = "Follow the instructions in the attached file to respond."


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file grok.com holds for a chat request: what was sent and the id it gave back."""

    name: str  # the file name grok.com knows (the local base name, or stdin.<ext>)
    label: str  # how the user named it: the path given to -f, or "stdin"
    mime: str
    size: int
    file_id: str  # fileMetadataId, the value that goes into fileAttachments
    file_uri: str | None = None  # users/<uid>/<id>/content on the assets host, when told
    prompt: bool = False  # the prompt itself, sent as a file because it was too long

    @property
    def described(self) -> str:
        """How messages name it."""
        return f"{self.name} (the prompt, sent as a file)" if self.prompt else self.label


GROK_FILE_LIMIT = 10 * 1024 * 1024  # grok.com refuses larger files (HTTP 413)


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1024:
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def prompt_is_too_long(prompt: str) -> bool:
    return len(prompt) > LONG_PROMPT_LIMIT


def v1_body(name: str, mime: str, data: bytes) -> dict[str, str]:
    import base64

    return {"fileName": name, "fileMimeType": mime, "content": base64.b64encode(data).decode("ascii")}


def _quoted(value: str) -> str:
    # Browsers percent-encode these three in multipart names (WHATWG form encoding).
    return value.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


def multipart_body(name: str, mime: str, data: bytes, boundary: str | None = None) -> tuple[bytes, str]:
    """The v2 form (one ``file`` part, like the web app's FormData) and its Content-Type."""
    import secrets  # not at the top: every chat imports this module, few upload

    boundary = boundary or "----WebKitFormBoundary" + secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{_quoted(name)}"\r\n'
        f"Content-Type: {mime}\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def v1_result(answer: Any) -> tuple[str, str | None] | None:
    """(fileMetadataId, fileUri) from a v1 answer; None when it carries no id."""
    if not isinstance(answer, Mapping) or not _text(answer.get("fileMetadataId")):
        return None
    return answer["fileMetadataId"], _text(answer.get("fileUri"))


def v2_result(answer: Any) -> tuple[str, str | None] | None:
    """(fileMetadataId, fileUri) from a v2 answer; None when it has none yet.

    Some v2 successes carry only an ``uploadId`` (the file is still being processed) and no
    way to wait for it is known, so the caller treats that like a refusal.
    """
    if not isinstance(answer, Mapping):
        return None
    meta = answer.get("fileMetadata")
    if not isinstance(meta, Mapping):
        return None
    file_id = _text(meta.get("fileMetadataId")) or _text(meta.get("fileId"))
    return (file_id, _text(meta.get("fileUri"))) if file_id else None


def v2_terminal_error(answer: Any) -> str | None:
    """The reason a v2 answer gives for not taking the file (``terminalError``), if any."""
    if not isinstance(answer, Mapping):
        return None
    err = answer.get("terminalError")
    if isinstance(err, Mapping):
        return _text(err.get("message")) or _text(err.get("code")) or "rejected"
    return _text(err)
