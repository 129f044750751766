"""The SQLite history store: migrations, concurrency, id resolution, continuation and search."""

import sqlite3
import threading

import pytest

from grok_cli import migrations
from grok_cli.errors import UsageError
from grok_cli.history import TurnUpdate, open_history

A = "aaaa1111-0000-4000-8000-000000000001"
B = "aaaa2222-0000-4000-8000-000000000002"
C = "cccc3333-0000-4000-8000-000000000003"


@pytest.fixture
def store(tmp_path):
    h = open_history(tmp_path / "history.db")
    yield h
    h.close()


def turn(h, conv, prompt="p", model="fast", title=None, parent=None):
    return h.start_turn(conversation_id=conv, model=model, title=title, private=False, prompt=prompt,
                        parent_response_id=parent)


def schema(path):
    db = sqlite3.connect(path)
    rows = db.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
    out = sorted(rows)
    db.close()
    return out


def test_every_past_version_migrates_to_the_fresh_schema(tmp_path, monkeypatch):
    fresh = tmp_path / "fresh.db"
    open_history(fresh).close()
    everything = list(migrations.MIGRATIONS)
    for k in range(len(everything)):
        path = tmp_path / f"v{k}.db"
        monkeypatch.setattr(migrations, "MIGRATIONS", everything[:k])
        open_history(path).close()
        monkeypatch.setattr(migrations, "MIGRATIONS", everything)
        open_history(path).close()
        assert schema(path) == schema(fresh)
    db = sqlite3.connect(fresh)
    assert [r[0] for r in db.execute("SELECT name FROM _grok_migrations")] == [m.__name__ for m in everything]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_processes_opening_a_new_database_together_migrate_it_once(tmp_path):
    path = tmp_path / "history.db"
    errors = []

    def open_and_write(n):
        try:
            h = open_history(path)
            turn(h, f"{n:08d}-0000-4000-8000-000000000000")
            h.close()
        except Exception as e:  # noqa: BLE001 - any failure fails the test below
            errors.append(e)

    threads = [threading.Thread(target=open_and_write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    h = open_history(path)
    assert len(h.conversations()) == 8
    assert h.db.execute("SELECT count(*) FROM _grok_migrations").fetchone()[0] == len(migrations.MIGRATIONS)


def test_open_without_create_does_not_make_a_file(tmp_path):
    assert open_history(tmp_path / "none.db", create=False) is None
    assert not (tmp_path / "none.db").exists()


def test_resolve_last_full_prefix_and_unknown(store):
    turn(store, A, title="first")
    turn(store, B, title="second")
    turn(store, C)
    assert store.resolve("last") == C
    assert store.resolve(A) == A and store.resolve(A.upper()) == A
    assert store.resolve("cc") == C
    assert store.resolve("aaaa2") == B
    assert store.resolve("dead") is None
    with pytest.raises(UsageError) as e:
        store.resolve("aaaa")
    assert A in e.value.message and "second" in e.value.message
    with pytest.raises(UsageError):
        store.resolve("  ")


def test_last_on_an_empty_history_is_a_usage_error(store):
    with pytest.raises(UsageError):
        store.resolve("last")


def test_continuation_replies_to_the_latest_recorded_answer(store):
    t1 = turn(store, A, model="expert", title="t")
    store.update_turn(t1, TurnUpdate(answer="a1", response_id="r1", status="complete"))
    t2 = turn(store, A, model="auto", parent="r1")
    store.update_turn(t2, TurnUpdate(answer="", status="error", error_code="auth", error_message="no"))
    cont = store.continuation(A)
    assert (cont.parent_response_id, cont.model, cont.title) == ("r1", "expert", "t")
    assert store.continuation(B) is None
    turn(store, B, model="heavy")
    assert (store.continuation(B).parent_response_id, store.continuation(B).model) == (None, "heavy")


def test_title_is_kept_when_a_follow_up_knows_none(store):
    turn(store, A, title="Named")
    t = turn(store, A, title=None)
    store.update_turn(t, TurnUpdate(answer="x"))
    assert store.conversation(A).title == "Named" and store.conversation(A).turns == 2


def test_search_follows_updates_and_deletes(store):
    t = turn(store, A, prompt="about penguins")
    store.update_turn(t, TurnUpdate(answer="they live in Antarctica"))
    turn(store, B, prompt="about café culture")
    assert [h.conversation_id for h in store.search("antarctica")] == [A]
    assert [h.conversation_id for h in store.search("cafe")] == [B]  # diacritics folded
    assert store.search("penguins antarctica")[0].snippet.count("\x02") >= 1
    assert store.search('NEAR( "AND') == []  # operators are plain words
    store.update_turn(t, TurnUpdate(answer="they live in the south"))
    assert store.search("antarctica") == []
    store.delete(A)
    assert store.search("penguins") == [] and store.conversation(A) is None and store.turns(A) == []
    with pytest.raises(UsageError):
        store.search("   ")


def test_conversations_are_newest_first_with_a_limit(store):
    for conv in (A, B, C):
        turn(store, conv)
    turn(store, A)
    assert [c.id for c in store.conversations()] == [A, C, B]
    assert [c.id for c in store.conversations(2)] == [A, C]


def test_a_conversation_from_grok_com_is_imported_once(store):
    from grok_cli.history import Continuation, ImportedTurn

    cont = Continuation(A, "a2", "auto", "From the browser", False)
    turns = [
        ImportedTurn("u1", "a1", None, "q1", "x1", "auto", True, "2026-03-08T09:57:42.225697Z", None),
        ImportedTurn("u2", "a2", "a1", "q2", "x2", "auto", False, None, "bad time"),
    ]
    assert store.import_conversation(cont, "2026-03-08T09:57:42.225697Z", turns)
    assert not store.import_conversation(cont, None, turns)
    conv = store.conversation(A)
    assert (conv.title, conv.turns, conv.created) == ("From the browser", 2, "2026-03-08T09:57:42.225Z")
    rows = store.turns(A)
    assert [(t.prompt, t.status, t.started) for t in rows] == [
        ("q1", "complete", "2026-03-08T09:57:42.225Z"), ("q2", "incomplete", "2026-03-08T09:57:42.225Z")]
    assert store.continuation(A).parent_response_id == "a2"


def test_each_turn_keeps_its_instructions_and_a_follow_up_gets_the_latest_known(store):
    store.start_turn(conversation_id=A, model="fast", title=None, private=False, prompt="p1",
                     parent_response_id=None, instructions="Answer in French")
    store.start_turn(conversation_id=A, model="fast", title=None, private=False, prompt="p2",
                     parent_response_id=None, instructions="")
    assert [t.instructions for t in store.turns(A)] == ["Answer in French", ""]
    assert store.turns(A)[0].to_json()["instructions"] == "Answer in French"
    assert store.continuation(A).instructions == ""
    # A turn recorded before instructions were kept says nothing about them.
    store.db.execute("UPDATE turns SET instructions = NULL WHERE prompt = 'p2'")
    assert store.continuation(A).instructions == "Answer in French"
    store.db.execute("UPDATE turns SET instructions = NULL")
    assert store.continuation(A).instructions is None


def test_a_history_from_before_the_newest_index_keeps_its_order_counts_and_search(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    everything = list(migrations.MIGRATIONS)
    monkeypatch.setattr(migrations, "MIGRATIONS", everything[:1])
    old = open_history(path)
    for conv in (A, B, C, B):
        old.db.execute("INSERT OR IGNORE INTO conversations VALUES (?, NULL, 'fast', 0, 'x', 'x')", (conv,))
        old.db.execute(
            "INSERT INTO turns (conversation_id, prompt, answer, model, status, started) "
            "VALUES (?, 'p', 'indexed words', 'fast', 'complete', 'x')",
            (conv,),
        )
    old.close()
    monkeypatch.setattr(migrations, "MIGRATIONS", everything)
    h = open_history(path)
    assert [(c.id, c.turns) for c in h.conversations()] == [(B, 2), (C, 1), (A, 1)]
    assert h.resolve("last") == B
    assert len(h.search("indexed words")) == 4
    t = turn(h, A)
    h.update_turn(t, TurnUpdate(answer="fresh", status="complete"))
    assert [(c.id, c.turns) for c in h.conversations(1)] == [(A, 2)] and len(h.search("fresh")) == 1
    h.delete(A)
    assert [c.id for c in h.conversations()] == [B, C] and len(h.search("indexed")) == 3
