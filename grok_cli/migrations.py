"""The history database's schema, as an append-only list of migrations.

A migration's name is its version: ``m001_...`` runs before ``m002_...``. A shipped migration is
never edited; a change of schema is a new function at the end. ``history.open_history`` is the
only caller of :func:`migrate`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

Migration = Callable[["sqlite3.Connection"], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            title TEXT,
            model TEXT NOT NULL,
            private INTEGER NOT NULL DEFAULT 0,
            created TEXT NOT NULL,
            updated TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX conversations_updated ON conversations (updated)")
    db.execute(
        """
        CREATE TABLE turns (
            id INTEGER PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            user_response_id TEXT,
            response_id TEXT,
            parent_response_id TEXT,
            prompt TEXT NOT NULL,
            answer TEXT NOT NULL DEFAULT '',
            reasoning TEXT NOT NULL DEFAULT '',
            images TEXT NOT NULL DEFAULT '[]',
            web_results TEXT NOT NULL DEFAULT '[]',
            model TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('complete', 'incomplete', 'error')),
            error_code TEXT,
            error_message TEXT,
            started TEXT NOT NULL,
            finished TEXT,
            first_token_ms INTEGER,
            duration_ms INTEGER
        )
        """
    )
    db.execute("CREATE INDEX turns_conversation ON turns (conversation_id, id)")
    # External-content full-text index over prompts and answers, kept in step by triggers.
    db.execute(
        "CREATE VIRTUAL TABLE turns_fts USING fts5("
        "prompt, answer, content='turns', content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    db.execute(
        """
        CREATE TRIGGER turns_ai AFTER INSERT ON turns BEGIN
            INSERT INTO turns_fts (rowid, prompt, answer) VALUES (new.id, new.prompt, new.answer);
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER turns_ad AFTER DELETE ON turns BEGIN
            INSERT INTO turns_fts (turns_fts, rowid, prompt, answer) VALUES ('delete', old.id, old.prompt, old.answer);
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER turns_au AFTER UPDATE OF prompt, answer ON turns BEGIN
            INSERT INTO turns_fts (turns_fts, rowid, prompt, answer) VALUES ('delete', old.id, old.prompt, old.answer);
            INSERT INTO turns_fts (rowid, prompt, answer) VALUES (new.id, new.prompt, new.answer);
        END
        """
    )


@migration
def m002_turn_instructions(db: sqlite3.Connection) -> None:
    """The instructions (system prompt) a turn was sent with: '' for none, NULL when not known
    (turns recorded before, or read back from grok.com)."""
    db.execute("ALTER TABLE turns ADD COLUMN instructions TEXT")


@migration
def m003_newest_first_and_streamed_answers(db: sqlite3.Connection) -> None:
    """Listing and ``last`` read one index instead of counting every conversation's turns, and an
    answer being streamed is appended to without re-indexing it at every write.

    ``conversations.last_turn`` and ``turn_count`` are kept by triggers on ``turns``. While
    ``turns.streaming`` is 1 the search index holds the turn's prompt with an empty answer; the
    final write clears it and the answer is indexed once, whole.
    """
    db.execute("ALTER TABLE conversations ADD COLUMN last_turn INTEGER")
    db.execute("ALTER TABLE conversations ADD COLUMN turn_count INTEGER NOT NULL DEFAULT 0")
    db.execute(
        """
        UPDATE conversations SET
            last_turn = (SELECT max(t.id) FROM turns t WHERE t.conversation_id = conversations.id),
            turn_count = (SELECT count(*) FROM turns t WHERE t.conversation_id = conversations.id)
        """
    )
    # Scanned backwards, the index gives last_turn DESC, rowid DESC; conversations without a turn last.
    db.execute("CREATE INDEX conversations_newest ON conversations (last_turn)")
    db.execute(
        """
        CREATE TRIGGER turns_count_ai AFTER INSERT ON turns BEGIN
            UPDATE conversations SET last_turn = max(coalesce(last_turn, 0), new.id), turn_count = turn_count + 1
            WHERE id = new.conversation_id;
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER turns_count_ad AFTER DELETE ON turns BEGIN
            UPDATE conversations SET turn_count = turn_count - 1,
                last_turn = (SELECT max(t.id) FROM turns t WHERE t.conversation_id = old.conversation_id)
            WHERE id = old.conversation_id;
        END
        """
    )
    db.execute("ALTER TABLE turns ADD COLUMN streaming INTEGER NOT NULL DEFAULT 0")
    for trigger in ("turns_ai", "turns_ad", "turns_au"):
        db.execute(f"DROP TRIGGER {trigger}")
    # What the index holds for a row: its answer only once it is no longer streaming. The
    # external-content 'delete' must be given exactly what was indexed.
    db.execute(
        """
        CREATE TRIGGER turns_ai AFTER INSERT ON turns BEGIN
            INSERT INTO turns_fts (rowid, prompt, answer)
            VALUES (new.id, new.prompt, CASE WHEN new.streaming THEN '' ELSE new.answer END);
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER turns_ad AFTER DELETE ON turns BEGIN
            INSERT INTO turns_fts (turns_fts, rowid, prompt, answer)
            VALUES ('delete', old.id, old.prompt, CASE WHEN old.streaming THEN '' ELSE old.answer END);
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER turns_au AFTER UPDATE OF prompt, answer, streaming ON turns
        WHEN old.prompt IS NOT new.prompt OR old.streaming IS NOT new.streaming
            OR (NOT new.streaming AND old.answer IS NOT new.answer)
        BEGIN
            INSERT INTO turns_fts (turns_fts, rowid, prompt, answer)
            VALUES ('delete', old.id, old.prompt, CASE WHEN old.streaming THEN '' ELSE old.answer END);
            INSERT INTO turns_fts (rowid, prompt, answer)
            VALUES (new.id, new.prompt, CASE WHEN new.streaming THEN '' ELSE new.answer END);
        END
        """
    )


@migration
def m004_serve_exchanges(db: sqlite3.Connection) -> None:
    """`grok serve`: which grok.com conversation and answer an exchange it served ended with.

    ``key`` is a digest of the messages so far (instructions, user and assistant turns) or
    ``response:`` and a Responses API id; no message text is stored here."""
    db.execute(
        """
        CREATE TABLE serve_exchanges (
            key TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL,
            response_id TEXT NOT NULL,
            created TEXT NOT NULL
        )
        """
    )


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply the missing migrations, each with its bookkeeping row in one IMMEDIATE transaction.

    The applied set is read again inside each transaction, so processes that start together on
    a new database line up behind the write lock instead of running a migration twice.
    """
    db.execute("CREATE TABLE IF NOT EXISTS _grok_migrations (name TEXT PRIMARY KEY, applied TEXT NOT NULL)")
    applied = {row[0] for row in db.execute("SELECT name FROM _grok_migrations")}
    done: list[str] = []
    for fn in MIGRATIONS:
        if fn.__name__ in applied:  # the common case takes no write lock at all
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("SELECT 1 FROM _grok_migrations WHERE name = ?", (fn.__name__,)).fetchone() is None:
                fn(db)
                applied_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                db.execute("INSERT INTO _grok_migrations (name, applied) VALUES (?, ?)", (fn.__name__, applied_at))
                done.append(fn.__name__)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return done
