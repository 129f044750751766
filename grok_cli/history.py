"""The local history: conversations and their turns in ``history.db`` (SQLite, in the data dir).

Many grok processes may write at once (cron jobs, shell loops), so the database runs in WAL mode
with a busy timeout, and every write is a short ``BEGIN IMMEDIATE`` transaction: writers queue
for the lock up front instead of failing halfway. Nothing here ever sees a credential.

sqlite3 is imported only when a history is opened: `grok --help` never pays for it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grok_cli.errors import LocalError, UsageError

if TYPE_CHECKING:
    import sqlite3

BUSY_TIMEOUT_S = 60.0  # generous: a writer holds the lock for milliseconds, but machines stall
STATUSES = ("complete", "incomplete", "error")
LAST = "last"


class HistoryError(LocalError):
    """The history database cannot be opened, read or written."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    id: str
    title: str | None
    model: str
    private: bool
    created: str
    updated: str
    turns: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "conversation_id": self.id,
            "title": self.title,
            "model": self.model,
            "private": self.private,
            "created": self.created,
            "updated": self.updated,
            "turns": self.turns,
        }


@dataclass(frozen=True, slots=True)
class TurnRecord:
    id: int
    conversation_id: str
    user_response_id: str | None
    response_id: str | None
    parent_response_id: str | None
    prompt: str
    answer: str
    reasoning: str
    images: list[dict[str, Any]]
    web_results: list[dict[str, Any]]
    model: str
    status: str
    error_code: str | None
    error_message: str | None
    started: str
    finished: str | None
    first_token_ms: int | None
    duration_ms: int | None
    instructions: str | None = None  # "" for none; None when not known

    def to_json(self) -> dict[str, Any]:
        return {
            "user_response_id": self.user_response_id,
            "response_id": self.response_id,
            "parent_response_id": self.parent_response_id,
            "instructions": self.instructions,
            "prompt": self.prompt,
            "answer": self.answer,
            "reasoning": self.reasoning,
            "images": self.images,
            "web_results": self.web_results,
            "model": self.model,
            "status": self.status,
            "error": {"code": self.error_code, "message": self.error_message} if self.error_code else None,
            "started": self.started,
            "finished": self.finished,
            "first_token_ms": self.first_token_ms,
            "duration_ms": self.duration_ms,
        }


@dataclass(frozen=True, slots=True)
class SearchHit:
    conversation_id: str
    title: str | None
    response_id: str | None
    started: str
    snippet: str  # highlights between \x02 and \x03

    def to_json(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "title": self.title,
            "response_id": self.response_id,
            "started": self.started,
            "snippet": self.snippet.replace("\x02", "").replace("\x03", ""),
        }


@dataclass(frozen=True, slots=True)
class Continuation:
    """What a follow-up needs from the history: the conversation and the response to reply to."""

    conversation_id: str
    parent_response_id: str | None  # None: no turn with an assistant id was recorded
    model: str
    title: str | None
    private: bool
    instructions: str | None = None  # of the latest turn that recorded them; "" for none


@dataclass(frozen=True, slots=True)
class ImportedTurn:
    """A turn read back from grok.com (a conversation started elsewhere)."""

    user_response_id: str
    response_id: str
    parent_response_id: str | None
    prompt: str
    answer: str
    model: str
    complete: bool
    started: str | None
    finished: str | None


def normalize_time(value: str | None) -> str | None:
    """grok.com's ISO times (micro- or milliseconds) in the history's form; None if unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class TurnUpdate:
    """The fields of a turn row that change while its answer streams."""

    answer: str = ""
    reasoning: str = ""
    images: list[dict[str, Any]] = field(default_factory=list)
    web_results: list[dict[str, Any]] = field(default_factory=list)
    user_response_id: str | None = None
    response_id: str | None = None
    status: str = "incomplete"
    error_code: str | None = None
    error_message: str | None = None
    finished: str | None = None
    first_token_ms: int | None = None
    duration_ms: int | None = None


def fts_query(text: str) -> str:
    """Each word of ``text`` as a quoted FTS5 string, so user text is never FTS5 syntax."""
    words = text.split()
    if not words:
        raise UsageError("The search text is empty.")
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


class History:
    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db = db
        self.path = path

    def close(self) -> None:
        self.db.close()

    def set_busy_timeout(self, seconds: float) -> None:
        """How long a write waits for another process's write lock before SQLITE_BUSY."""
        self.db.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- recording ----------------------------------------------------------------------------
    def start_turn(
        self,
        *,
        conversation_id: str,
        model: str,
        title: str | None,
        private: bool,
        prompt: str,
        parent_response_id: str | None,
        instructions: str = "",
    ) -> int:
        """Insert the conversation if new, touch it, and add a streaming turn with status ``incomplete``."""
        now = now_iso()
        with self._write() as db:
            db.execute(
                """
                INSERT INTO conversations (id, title, model, private, created, updated)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET
                    updated = excluded.updated, model = excluded.model,
                    title = COALESCE(excluded.title, conversations.title)
                """,
                (conversation_id, title, model, int(private), now, now),
            )
            cur = db.execute(
                """
                INSERT INTO turns (conversation_id, parent_response_id, prompt, instructions, model, status, started,
                                   streaming)
                VALUES (?, ?, ?, ?, ?, 'incomplete', ?, 1)
                """,
                (conversation_id, parent_response_id, prompt, instructions, model, now),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid

    def update_turn(
        self,
        turn_id: int,
        update: TurnUpdate,
        *,
        title: str | None = None,
        append_answer: bool = False,
        append_reasoning: bool = False,
        final: bool = True,
    ) -> None:
        """Write what changed. With ``append_answer`` (``append_reasoning``), ``update.answer``
        (``update.reasoning``) is what arrived since the last write, added to the stored text: a
        long answer is not rewritten at every write. A ``final`` write ends the streaming and
        the answer is indexed for search."""
        if update.status not in STATUSES:
            raise ValueError(f"bad status {update.status!r}")
        answer = "answer || ?" if append_answer else "?"
        reasoning = "reasoning || ?" if append_reasoning else "?"
        with self._write() as db:
            db.execute(
                f"""
                UPDATE turns SET answer = {answer}, reasoning = {reasoning}, images = ?, web_results = ?, streaming = ?,
                    user_response_id = COALESCE(?, user_response_id), response_id = COALESCE(?, response_id),
                    status = ?, error_code = ?, error_message = ?, finished = ?, first_token_ms = ?,
                    duration_ms = ?
                WHERE id = ?
                """,
                (
                    update.answer,
                    update.reasoning,
                    json.dumps(update.images, ensure_ascii=False),
                    json.dumps(update.web_results, ensure_ascii=False),
                    0 if final else 1,
                    update.user_response_id,
                    update.response_id,
                    update.status,
                    update.error_code,
                    update.error_message,
                    update.finished,
                    update.first_token_ms,
                    update.duration_ms,
                    turn_id,
                ),
            )
            db.execute(
                """
                UPDATE conversations SET updated = ?, title = COALESCE(?, title)
                WHERE id = (SELECT conversation_id FROM turns WHERE id = ?)
                """,
                (now_iso(), title, turn_id),
            )

    def import_conversation(self, cont: Continuation, created: str | None, turns: list[ImportedTurn]) -> bool:
        """Record a conversation started elsewhere with its earlier turns; False if already known."""
        now = now_iso()
        with self._write() as db:
            if db.execute("SELECT 1 FROM conversations WHERE id = ?", (cont.conversation_id,)).fetchone():
                return False
            first = normalize_time(created) or now
            db.execute(
                "INSERT INTO conversations (id, title, model, private, created, updated) VALUES (?, ?, ?, ?, ?, ?)",
                (cont.conversation_id, cont.title, cont.model, int(cont.private), first, now),
            )
            for t in turns:
                started = normalize_time(t.started) or first
                db.execute(
                    """
                    INSERT INTO turns (conversation_id, user_response_id, response_id, parent_response_id, prompt,
                                       answer, model, status, started, finished)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    (
                        cont.conversation_id,
                        t.user_response_id,
                        t.response_id,
                        t.parent_response_id,
                        t.prompt,
                        t.answer,
                        t.model,
                        "complete" if t.complete else "incomplete",
                        started,
                        normalize_time(t.finished),
                    ),
                )
        return True

    def link_exchange(self, keys: list[str], conversation_id: str, response_id: str) -> None:
        """`grok serve`: these exchange keys end at this grok.com answer (see serve/exchanges.py)."""
        now = now_iso()
        with self._write() as db:
            db.executemany(
                "INSERT OR REPLACE INTO serve_exchanges (key, conversation_id, response_id, created) VALUES (?, ?, ?, ?)",
                [(key, conversation_id, response_id, now) for key in keys],
            )

    def exchange(self, key: str) -> tuple[str, str] | None:
        """The (conversation id, response id) an exchange key ends at."""
        row = self.db.execute(
            "SELECT conversation_id, response_id FROM serve_exchanges WHERE key = ?", (key,)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def delete(self, conversation_id: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM turns WHERE conversation_id = ?", (conversation_id,))
            db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    # -- reading ------------------------------------------------------------------------------
    _CONV_COLUMNS = "c.id, c.title, c.model, c.private, c.created, c.updated, c.turn_count"

    # The conversation whose latest turn started last: turn ids only grow, timestamps can tie.
    # Both columns are in the conversations_newest index (migration m002), read backwards.
    _NEWEST = "c.last_turn DESC, c.rowid DESC"

    @staticmethod
    def _conversation(row: tuple[Any, ...]) -> ConversationRecord:
        return ConversationRecord(row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6])

    def conversations(self, limit: int | None = None) -> list[ConversationRecord]:
        """Newest first (by last activity)."""
        rows = self.db.execute(
            f"SELECT {self._CONV_COLUMNS} FROM conversations c ORDER BY {self._NEWEST} LIMIT ?",
            (-1 if limit is None else limit,),
        )
        return [self._conversation(r) for r in rows]

    def conversation(self, conversation_id: str) -> ConversationRecord | None:
        row = self.db.execute(
            f"SELECT {self._CONV_COLUMNS} FROM conversations c WHERE c.id = ?", (conversation_id,)
        ).fetchone()
        return self._conversation(row) if row else None

    def turns(self, conversation_id: str) -> list[TurnRecord]:
        rows = self.db.execute(
            """
            SELECT id, conversation_id, user_response_id, response_id, parent_response_id, prompt, answer,
                   reasoning, images, web_results, model, status, error_code, error_message, started,
                   finished, first_token_ms, duration_ms, instructions
            FROM turns WHERE conversation_id = ? ORDER BY id
            """,
            (conversation_id,),
        )
        return [
            TurnRecord(*r[:8], json.loads(r[8]), json.loads(r[9]), *r[10:])  # type: ignore[arg-type]
            for r in rows
        ]

    def resolve(self, ref: str) -> str | None:
        """The conversation id for ``last``, a full id or a unique prefix; None when unknown.

        An ambiguous prefix is a usage error that lists the candidates.
        """
        ref = ref.strip().lower()
        if not ref:
            raise UsageError("The conversation id is empty.", "Give an id, a prefix of one, or `last`.")
        if ref == LAST:
            row = self.db.execute(f"SELECT c.id FROM conversations c ORDER BY {self._NEWEST} LIMIT 1").fetchone()
            if row is None:
                raise UsageError("The history has no conversation yet.", 'Start one with: grok ask "..."')
            return str(row[0])
        # A range on the primary key: the ids that start with ``ref`` sort right after it.
        rows = self.db.execute(
            f"SELECT {self._CONV_COLUMNS} FROM conversations c WHERE c.id >= ? AND c.id < ? "
            f"ORDER BY {self._NEWEST} LIMIT 11",
            (ref, ref + "\U0010ffff"),
        ).fetchall()
        exact = [r for r in rows if r[0] == ref]
        if exact or len(rows) == 1:
            return str((exact or rows)[0][0])
        if not rows:
            return None
        listed = "\n".join(f"  {r[0]}  {r[1] or '(untitled)'}" for r in rows[:10])
        more = "\n  ..." if len(rows) > 10 else ""
        raise UsageError(
            f"The id prefix {ref!r} matches several conversations:\n{listed}{more}",
            "Give more characters of the id.",
        )

    def continuation(self, conversation_id: str) -> Continuation | None:
        """The conversation and the latest assistant response recorded for it."""
        conv = self.conversation(conversation_id)
        if conv is None:
            return None
        row = self.db.execute(
            "SELECT response_id, model FROM turns WHERE conversation_id = ? AND response_id IS NOT NULL "
            "ORDER BY id DESC LIMIT 1",
            (conversation_id,),
        ).fetchone()
        instructions = self.db.execute(
            "SELECT instructions FROM turns WHERE conversation_id = ? AND instructions IS NOT NULL "
            "ORDER BY id DESC LIMIT 1",
            (conversation_id,),
        ).fetchone()
        return Continuation(
            conversation_id=conv.id,
            parent_response_id=row[0] if row else None,
            model=row[1] if row else conv.model,
            title=conv.title,
            private=conv.private,
            instructions=instructions[0] if instructions else None,
        )

    def search(self, text: str, limit: int | None = None) -> list[SearchHit]:
        """Turns whose prompt or answer contain every word of ``text``, newest first.

        The newest matches are chosen first and only theirs get a snippet: a common word
        matches a large part of a long history, and a snippet reads the whole text it quotes.
        """
        query = fts_query(text)
        rows = self.db.execute(
            """
            SELECT t.conversation_id, c.title, t.response_id, t.started,
                   snippet(turns_fts, -1, char(2), char(3), '…', 16)
            FROM turns_fts JOIN turns t ON t.id = turns_fts.rowid JOIN conversations c ON c.id = t.conversation_id
            WHERE turns_fts MATCH ? AND turns_fts.rowid IN (
                SELECT rowid FROM turns_fts WHERE turns_fts MATCH ? ORDER BY rowid DESC LIMIT ?
            )
            ORDER BY t.id DESC
            """,
            (query, query, -1 if limit is None else limit),
        )
        return [SearchHit(*r) for r in rows]


@contextmanager
def history_errors(path: Path) -> Iterator[None]:
    """Turn a database failure into a HistoryError naming the file."""
    import sqlite3

    try:
        yield
    except sqlite3.Error as e:
        raise HistoryError(
            f"Cannot use the history database {path}: {e}.",
            "Run with --no-history, or move the file away to start a new history.",
        ) from None


def open_history(path: Path, *, create: bool = True) -> History | None:
    """Open (and create or migrate) the history; None when it does not exist and ``create`` is off."""
    import sqlite3

    from grok_cli.migrations import migrate

    if not path.exists():
        if not create:
            return None
        from grok_cli.files import create_private_file

        try:
            create_private_file(path)
        except OSError as e:
            raise HistoryError(f"Cannot create the history database {path}: {e.strerror}.") from None
    with history_errors(path):
        # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE) so lock waits happen up front.
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable across crashes of grok
        db.execute("PRAGMA foreign_keys = ON")
        try:
            migrate(db)
        except BaseException:
            db.close()
            raise
    return History(db, path)
