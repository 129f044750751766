"""Request bodies for the chat endpoints, in the 2026 ``modeId`` form (protocol section 4).

grok.com rejects bodies that carry ``modelName`` ("Please update your client"), so no builder
here ever writes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from grok_cli.protocol.upload import LONG_PROMPT_MESSAGE, Attachment

NEW_CONVERSATION_PATH = "/rest/app-chat/conversations/new"

# What a desktop browser reports; grok.com has required the block since 2026-06.
_DEVICE_ENV = {
    "darkModeEnabled": False,
    "devicePixelRatio": 1,
    "screenWidth": 1920,
    "screenHeight": 1080,
    "viewportWidth": 1920,
    "viewportHeight": 980,
}


def responses_path(conversation_id: str) -> str:
    return f"/rest/app-chat/conversations/{conversation_id}/responses"


@dataclass(frozen=True, slots=True)
class ChatRequest:
    prompt: str
    mode: str
    conversation_id: str | None = None  # set for a follow-up
    parent_response_id: str | None = None  # the assistant response replied to
    temporary: bool = False
    disable_search: bool = False
    file_ids: tuple[str, ...] = field(default_factory=tuple)
    image_count: int = 2
    # toolOverrides {"imageGen": true}: make grok.com draw instead of deciding for itself. The key
    # is grok.com's own (it lists it in every follow-up suggestion); forcing it true is inferred.
    force_image_generation: bool = False
    # What was uploaded for this turn (names, ids, MIME types), for the history and for
    # naming a file grok.com rejects; the ids are also in file_ids.
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    # Custom instructions (a system prompt), "" for none. grok.com keeps no instructions with a
    # conversation, so every turn carries them again.
    instructions: str = ""

    @property
    def message(self) -> str:
        """What goes into ``message``: the prompt, or an instruction when it went as a file."""
        return LONG_PROMPT_MESSAGE if any(a.prompt for a in self.attachments) else self.prompt

    @property
    def is_follow_up(self) -> bool:
        return self.conversation_id is not None

    @property
    def path(self) -> str:
        return responses_path(self.conversation_id) if self.conversation_id else NEW_CONVERSATION_PATH


def with_attachments(req: ChatRequest, attachments: Sequence[Attachment]) -> ChatRequest:
    """The request with these uploads attached (``prompt`` stays what the user asked)."""
    if not attachments:
        return req
    return replace(
        req,
        file_ids=req.file_ids + tuple(a.file_id for a in attachments),
        attachments=req.attachments + tuple(attachments),
    )


def chat_body(req: ChatRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message": req.message,
        "modeId": req.mode,
        "fileAttachments": list(req.file_ids),
        "imageAttachments": [],
        "disableSearch": req.disable_search,
        "enableImageGeneration": True,
        "returnImageBytes": False,
        "returnRawGrokInXaiRequest": False,
        "enableImageStreaming": True,
        "imageGenerationCount": req.image_count,
        "forceConcise": False,
        "toolOverrides": {"imageGen": True} if req.force_image_generation else {},
        "enableSideBySide": True,
        "sendFinalMetadata": True,
        "disableTextFollowUps": False,
        "responseMetadata": {},
        "disableMemory": False,
        "forceSideBySide": False,
        "isAsyncChat": False,
        "disableSelfHarmShortCircuit": False,
        "collectionIds": [],
        "disabledConnectorIds": [],
        "deviceEnvInfo": dict(_DEVICE_ENV),
    }
    if req.instructions:
        # The body field of the web app's custom-instructions setting (section 4.3); sent only
        # when set, as no capture of the 2026 body shows it empty.
        body["customInstructions"] = req.instructions
    if req.is_follow_up:
        if not req.parent_response_id:
            raise ValueError("a follow-up needs the parent assistant response id")
        body["parentResponseId"] = req.parent_response_id
        body["metadata"] = {"request_metadata": {"mode": req.mode}}
        body["disableArtifact"] = False
        body["isFromGrokFiles"] = False
        body["skipCancelCurrentInflightRequests"] = False
        body["isRegenRequest"] = False
    else:
        body["temporary"] = req.temporary
    return body
