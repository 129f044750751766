"""Pure builders of grok.com NDJSON frames and response objects (protocol doc §5).

Every function returns plain dicts with keys in the order grok.com sends them (the captures
in §5.4 are compact JSON, and a byte-level comparison is easier when order matches).

The two envelopes differ only in where the reply payload lives:
``/new`` nests it under ``result.response`` while ``/responses`` puts it directly under
``result`` (§5.2). Conversation and title lines are always top-level ``result.*``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "MODEL_HASH",
    "DEFAULT_MODE_ID",
    "MODES",
    "conversation_object",
    "conversation_line",
    "dumps",
    "envelope",
    "error_object",
    "final_metadata",
    "iso_micros",
    "iso_millis",
    "llm_info",
    "mode_details",
    "model_response_object",
    "response_object",
    "soft_stop",
    "title_line",
    "token",
    "ui_layout",
    "user_response_object",
    "with_response_id",
]

Json = dict[str, Any]

# The modelHash of the 2026-03 capture; any base64 string would do.
MODEL_HASH = "f54V4nLGp4IcuJf0V+H7yBgHbw0FdgMUlmc0eOqrGR0="

# The /rest/modes catalogue as grok.com answered it on 2026-08-01 (protocol section 9.1): five modes,
# tiers named TIER_*, "auto" the default. Only the ids, names and tiers are from the capture.
MODES: list[Json] = [
    {
        "id": "auto",
        "displayName": "Auto",
        "summary": "Chooses Fast or Expert",
        "availability": {"available": True, "minimumSubscriptionTier": "TIER_FREE"},
    },
    {
        "id": "fast",
        "displayName": "Fast",
        "summary": "Quick responses",
        "availability": {"available": True, "minimumSubscriptionTier": "TIER_FREE"},
    },
    {
        "id": "expert",
        "displayName": "Expert",
        "summary": "Thinks hard",
        "availability": {"available": True, "minimumSubscriptionTier": "TIER_SUPERGROK"},
    },
    {
        "id": "heavy",
        "displayName": "Heavy",
        "summary": "Team of experts",
        "availability": {"available": False, "minimumSubscriptionTier": "TIER_SUPERGROK_HEAVY"},
    },
    {
        "id": "build",
        "displayName": "Build",
        "summary": "Build apps and sites",
        "badge": "Beta",
        "availability": {"available": False, "minimumSubscriptionTier": "TIER_SUPERGROK_PLUS"},
    },
]
DEFAULT_MODE_ID = "auto"

# modeId -> (requestMetadata.model, requestMetadata.mode). Only "auto" is from a capture;
# the rest follow its pattern and CHY's MODEL_MODE_* names.
_MODE_DETAILS: dict[str, tuple[str, str]] = {
    "fast": ("grok-4-fast", "MODEL_MODE_FAST"),
    "auto": ("grok-4-auto", "MODEL_MODE_AUTO"),
    "expert": ("grok-4-expert", "MODEL_MODE_EXPERT"),
    "heavy": ("grok-4-heavy", "MODEL_MODE_HEAVY"),
    "grok-420-computer-use-sa": ("grok-420", "MODEL_MODE_GROK_420"),
    "build": ("grok-4.5-build", "MODEL_MODE_BUILD"),
}


def mode_details(mode: str) -> tuple[str, str]:
    """(model, MODEL_MODE_*) for a modeId; unknown ids map as grok.com did (MODEL_MODE_UNKNOWN)."""
    return _MODE_DETAILS.get(mode, ("grok-4", "MODEL_MODE_UNKNOWN"))


def dumps(obj: Json) -> bytes:
    """One frame on the wire: compact JSON, raw UTF-8 (as in the captures), newline."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def iso_micros(ts: float) -> str:
    """Conversation timestamps carry microseconds: 2026-03-08T09:57:42.225697Z."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_millis(ts: float) -> str:
    """Response timestamps carry milliseconds: 2026-03-08T09:57:42.249Z."""
    return iso_micros(ts)[:-4] + "Z"


def envelope(payload: Json, nested: bool) -> Json:
    """Wrap a reply payload: ``{"result":{"response":p}}`` on /new, ``{"result":p}`` on /responses."""
    return {"result": {"response": payload}} if nested else {"result": payload}


def error_object(code: int, message: str) -> Json:
    """google.rpc-style error, both as an HTTP body and as an in-stream line (§7)."""
    return {"error": {"code": code, "message": message, "details": []}}


def conversation_object(
    conversation_id: str,
    *,
    title: str,
    create_time: float,
    modify_time: float,
    temporary: bool,
    starred: bool = False,
    system_prompt_name: str = "",
    task_result: bool = True,
) -> Json:
    """The conversation object of §5.3; list items omit ``taskResult`` (§4.6)."""
    obj: Json = {
        "conversationId": conversation_id,
        "title": title,
        "starred": starred,
        "createTime": iso_micros(create_time),
        "modifyTime": iso_micros(modify_time),
        "systemPromptName": system_prompt_name,
        "temporary": temporary,
        "mediaTypes": [],
        "workspaces": [],
    }
    if task_result:
        obj["taskResult"] = None
    return obj


def conversation_line(conversation: Json) -> Json:
    """First line of /new."""
    return {"result": {"conversation": conversation}}


def title_line(title: str) -> Json:
    """Last line of /new; always top-level, even though the reply is nested."""
    return {"result": {"title": {"newTitle": title}}}


def response_object(
    *,
    response_id: str,
    message: str,
    sender: str,
    create_time: float,
    parent_response_id: str | None = None,
    partial: bool = False,
    metadata: Json | None = None,
    ui_layout: Json | None = None,
    model: str = "grok-4-auto",
    request_metadata: Json | None = None,
    **overrides: Any,
) -> Json:
    """A response object with every field of the §5.4 (a) capture, in capture order.

    ``overrides`` replace list/scalar fields by their wire name (``generatedImageUrls=[...]``,
    ``streamErrors=[...]``) or add proto-level ones (``thinkingStartTime``, ``error``).
    """
    obj: Json = {"responseId": response_id, "message": message, "sender": sender, "createTime": iso_millis(create_time)}
    if parent_response_id is not None:
        obj["parentResponseId"] = parent_response_id
    obj.update(
        {
            "manual": False,
            "partial": partial,
            "shared": False,
            "query": "",
            "queryType": "",
            "webSearchResults": [],
            "xpostIds": [],
            "xposts": [],
            "generatedImageUrls": [],
            "imageAttachments": [],
            "fileAttachments": [],
            "cardAttachmentsJson": [],
            "fileUris": [],
            "fileAttachmentsMetadata": [],
            "isControl": False,
            "steps": [],
            "imageEditUris": [],
            "mediaTypes": [],
            "webpageUrls": [],
            "metadata": metadata if metadata is not None else {},
        }
    )
    if ui_layout is not None:
        obj["uiLayout"] = ui_layout
    obj.update({"citedWebSearchResults": [], "toolResponses": [], "model": model})
    if request_metadata is not None:
        obj["requestMetadata"] = request_metadata
    obj.update(
        {
            "ragResults": [],
            "citedRagResults": [],
            "searchProductResults": [],
            "connectorSearchResults": [],
            "collectionSearchResults": [],
            "highlightsStories": [],
            "streamErrors": [],
        }
    )
    obj.update(overrides)
    return obj


def user_response_object(
    *,
    response_id: str,
    message: str,
    create_time: float,
    mode: str,
    parent_response_id: str | None = None,
    file_metadata: list[Json] | None = None,
) -> Json:
    """The human turn. On follow-ups it carries parentResponseId and request metadata (§5.4 b)."""
    model, model_mode = mode_details(mode)
    files = file_metadata or []
    extra: Json = {}
    if files:
        extra = {
            "fileAttachments": [f["fileMetadataId"] for f in files],
            "fileUris": [f["fileUri"] for f in files],
            "fileAttachmentsMetadata": files,
        }
    if parent_response_id is None:
        return response_object(
            response_id=response_id, message=message, sender="human", create_time=create_time, model=model, **extra
        )
    return response_object(
        response_id=response_id,
        message=message,
        sender="human",
        create_time=create_time,
        parent_response_id=parent_response_id,
        metadata={"request_metadata": {"mode": mode}},
        model=model,
        request_metadata={"mode": model_mode},
        **extra,
    )


def model_response_object(
    *,
    response_id: str,
    message: str,
    parent_response_id: str,
    create_time: float,
    mode: str,
    trace_id: str,
    effort: str = "LOW",
    **overrides: Any,
) -> Json:
    """The assistant turn as in ``modelResponse``; ``model`` is "grok-3" as grok.com really sent."""
    model, model_mode = mode_details(mode)
    layout = {"reasoningUiLayout": "FUNCTION_CALL", "willThinkLong": False, "effort": effort, "rolloutIds": []}
    metadata = {
        "deepsearchPreset": "",
        "llm_info": {"modelHash": MODEL_HASH},
        "request_metadata": {"effort": effort.lower(), "mode": mode, "model": model},
        "request_trace_id": trace_id,
        "ui_layout": {"effort": effort, "reasoningUiLayout": "FUNCTION_CALL", "willThinkLong": False},
    }
    return response_object(
        response_id=response_id,
        message=message,
        sender="assistant",
        create_time=create_time,
        parent_response_id=parent_response_id,
        metadata=metadata,
        ui_layout=layout,
        model="grok-3",
        request_metadata={"model": model, "mode": model_mode, "effort": effort},
        **overrides,
    )


def with_response_id(payload: Json, response_id: str, *, thinking: bool = False, soft_stop: bool = False) -> Json:
    """Append the trailer every reply frame carries: isThinking, isSoftStop, responseId."""
    out = dict(payload)
    out.update({"isThinking": thinking, "isSoftStop": soft_stop, "responseId": response_id})
    return out


def ui_layout(response_id: str, *, layout: str = "SPLIT", think_long: bool = False, effort: str = "LOW") -> Json:
    """uiLayout frame; the first one introduces the assistant responseId. FUNCTION_CALL lacks steerModelId."""
    body: Json = {"reasoningUiLayout": layout, "willThinkLong": think_long, "effort": effort}
    if layout == "SPLIT":
        body["steerModelId"] = "grok-4"
    body["rolloutIds"] = []
    return with_response_id({"uiLayout": body}, response_id)


def llm_info(response_id: str) -> Json:
    return with_response_id({"llmInfo": {"modelHash": MODEL_HASH}}, response_id)


def token(
    text: str,
    response_id: str,
    *,
    tag: str | None = "final",
    thinking: bool = False,
    step: int | None = None,
    **extra: Any,
) -> Json:
    """A token frame. ``tag=None`` gives the 2025 shape (no messageTag)."""
    out: Json = {"token": text, "isThinking": thinking, "isSoftStop": False}
    if tag is not None:
        out["messageTag"] = tag
    if step is not None:
        out["messageStepId"] = step
    out.update(extra)
    out["responseId"] = response_id
    return out


def soft_stop(response_id: str) -> Json:
    """End of the token stream (no messageTag), before finalMetadata/modelResponse."""
    return {"token": "", "isThinking": False, "isSoftStop": True, "responseId": response_id}


_NO_TOOLS = {
    "imageGen": False,
    "webSearch": False,
    "xSearch": False,
    "xMediaSearch": False,
    "trendsSearch": False,
    "xPostAnalyze": False,
    "videoGen": False,
    "gmailSearch": False,
    "googleCalendarSearch": False,
    "outlookSearch": False,
}


def final_metadata(response_id: str, labels: list[str]) -> Json:
    """Follow-up suggestions, sent when the body asks for them (§4.3, §5.4 a)."""
    suggestions = [
        {
            "properties": {"messageType": "TEXT", "followUpType": "TANGENTIAL"},
            "label": label,
            "toolOverrides": dict(_NO_TOOLS),
        }
        for label in labels
    ]
    body = {"followUpSuggestions": suggestions, "feedbackLabels": [], "toolsUsed": None, "disclaimer": ""}
    return with_response_id({"finalMetadata": body}, response_id)
