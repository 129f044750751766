"""Everything the fake grok.com remembers: sessions, conversation trees, quotas, uploads, assets.

Handlers run on the server's event-loop thread while tests read and tweak the same objects
from their own thread, so every access goes through :attr:`State.lock` (critical sections are
a few dict operations, never an await).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from grok_cli.protocol.upload import GROK_FILE_LIMIT

from .frames import MODES, conversation_object

__all__ = [
    "DEFAULT_CF_CLEARANCE",
    "DEFAULT_EMAIL",
    "DEFAULT_QUOTA",
    "DEFAULT_SSO",
    "DEFAULT_USER_ID",
    "Asset",
    "Conversation",
    "Session",
    "State",
    "StoredResponse",
    "Upload",
    "make_sso",
]

Json = dict[str, Any]

_JWT_KEY = b"grok-cli fake server"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def make_sso(session_id: str) -> str:
    """An sso value shaped like grok.com's: HS256 JWT whose payload is only ``session_id`` (§2.2)."""
    head = _b64url(b'{"alg":"HS256"}')
    body = _b64url(json.dumps({"session_id": session_id}, separators=(",", ":")).encode())
    sig = _b64url(hmac.new(_JWT_KEY, f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{sig}"


# The built-in account: constant so that a cookie printed by one run works in the next.
DEFAULT_USER_ID = "a6a2aa7e-50d8-5171-a0fe-9b7f2a7dfa8b"
DEFAULT_EMAIL = "fake@example.com"
DEFAULT_SSO = make_sso("ae2376cc-64db-581d-836c-72fe5f2dab85")
# Shaped like a real clearance (<43 chars>-<unix time>-<version>-<more>); any non-empty value passes.
DEFAULT_CF_CLEARANCE = "fAkE0cLeArAnCe0fOr0gRoK0cLi0oFfLiNe0tEsTs0x-1767225600-1.2.1.1-fake.grok.cli.testing"
DEFAULT_DELAY = 0.002  # seconds between frames: streamed, yet fast enough for tests
DEFAULT_UPLOAD_LIMIT = GROK_FILE_LIMIT


def session_cookie(sso: str = DEFAULT_SSO, cf_clearance: str = DEFAULT_CF_CLEARANCE) -> str:
    """A Cookie header the fake accepts for the session of ``sso``."""
    return f"sso={sso}; sso-rw={sso}; cf_clearance={cf_clearance}"

# mode -> (remaining, total, windowSizeSeconds). Totals follow CHY's "Super" tier guesses (§4.5).
DEFAULT_QUOTA: dict[str, tuple[int, int, int]] = {
    "fast": (140, 140, 7200),
    "auto": (50, 50, 7200),
    "expert": (50, 50, 7200),
    "heavy": (20, 20, 7200),
    "build": (20, 20, 7200),
}


@dataclass
class Session:
    user_id: str
    email: str
    blocked: bool = False


@dataclass
class StoredResponse:
    """One node of a conversation tree: the object grok.com would return from load-responses."""

    response_id: str
    sender: str  # "human" | "assistant"
    parent_response_id: str | None
    obj: Json


@dataclass
class Conversation:
    conversation_id: str
    title: str
    create_time: float
    modify_time: float
    temporary: bool
    user_id: str
    starred: bool = False
    deleted: bool = False
    responses: dict[str, StoredResponse] = field(default_factory=dict)  # insertion = creation order

    def as_object(self, *, task_result: bool = True) -> Json:
        return conversation_object(
            self.conversation_id,
            title=self.title,
            create_time=self.create_time,
            modify_time=self.modify_time,
            temporary=self.temporary,
            starred=self.starred,
            task_result=task_result,
        )


@dataclass(frozen=True)
class Upload:
    file_metadata_id: str
    file_name: str
    mime_type: str
    file_uri: str
    size: int

    def metadata(self) -> Json:
        return {
            "fileMetadataId": self.file_metadata_id,
            "fileMimeType": self.mime_type,
            "fileName": self.file_name,
            "fileUri": self.file_uri,
        }


@dataclass(frozen=True)
class Asset:
    """Something the assets origin serves at a relative path."""

    content_type: str
    data: bytes


class State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.sessions: dict[str, Session] = {DEFAULT_SSO: Session(DEFAULT_USER_ID, DEFAULT_EMAIL)}
        self.users_by_email: dict[str, str] = {DEFAULT_EMAIL: DEFAULT_USER_ID}
        self.conversations: dict[str, Conversation] = {}
        self.quota: dict[str, tuple[int, int, int]] = dict(DEFAULT_QUOTA)
        self.modes: list[Json] = copy.deepcopy(MODES)  # what /rest/modes lists and chat accepts
        self.uploads: dict[str, Upload] = {}
        self.assets: dict[str, Asset] = {}
        # Per (conversation-or-"new", prompt): how many chat requests, and which statsig values,
        # so flaky_* and stale_statsig can fail "the first time" and then succeed.
        self.attempts: dict[tuple[str, str], int] = {}
        self.statsigs_seen: dict[tuple[str, str], set[str]] = {}

    # -- sessions --------------------------------------------------------------------------
    def add_session(self, sso: str, email: str = DEFAULT_EMAIL) -> Session:
        with self.lock:
            user_id = self.users_by_email.setdefault(email, str(uuid.uuid4()))
            session = Session(user_id, email)
            self.sessions[sso] = session
            return session

    def session(self, sso: str | None) -> Session | None:
        with self.lock:
            return self.sessions.get(sso) if sso else None

    # -- conversations ---------------------------------------------------------------------
    def new_conversation(self, *, temporary: bool, user_id: str) -> Conversation:
        now = time.time()
        conv = Conversation(str(uuid.uuid4()), "New conversation", now, now, temporary, user_id)
        with self.lock:
            self.conversations[conv.conversation_id] = conv
        return conv

    def live_conversation(self, conversation_id: str) -> Conversation | None:
        """The conversation unless unknown or soft-deleted (both look like 404 to clients)."""
        with self.lock:
            conv = self.conversations.get(conversation_id)
            return conv if conv is not None and not conv.deleted else None

    def add_response(self, conv: Conversation, node: StoredResponse) -> None:
        with self.lock:
            conv.responses[node.response_id] = node
            conv.modify_time = time.time()

    def snapshot(self) -> dict[str, Conversation]:
        with self.lock:
            return copy.deepcopy(self.conversations)

    # -- modes -----------------------------------------------------------------------------
    def mode_list(self) -> list[Json]:
        with self.lock:
            return copy.deepcopy(self.modes)

    def knows_mode(self, mode_id: object) -> bool:
        with self.lock:
            return any(m.get("id") == mode_id for m in self.modes)

    # -- quota -----------------------------------------------------------------------------
    def quota_for(self, mode: str) -> tuple[int, int, int]:
        with self.lock:
            return self.quota.get(mode, DEFAULT_QUOTA["fast"])

    def consume(self, mode: str) -> bool:
        """Take one query of ``mode``; False (nothing taken) when none is left."""
        with self.lock:
            remaining, total, window = self.quota_for(mode)
            if remaining <= 0:
                return False
            self.quota[mode] = (remaining - 1, total, window)
            return True

    def exhaust(self, mode: str) -> None:
        with self.lock:
            _, total, window = self.quota_for(mode)
            self.quota[mode] = (0, total, window)

    # -- retries ---------------------------------------------------------------------------
    def count_attempt(self, key: tuple[str, str], statsig: str) -> tuple[int, frozenset[str]]:
        """Record one attempt; return its 1-based number and the statsig values seen before it."""
        with self.lock:
            n = self.attempts.get(key, 0) + 1
            self.attempts[key] = n
            seen = self.statsigs_seen.setdefault(key, set())
            before = frozenset(seen)
            seen.add(statsig)
            return n, before
