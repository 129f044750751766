"""Reading grok.com's conversation tree: which response a follow-up replies to, with which mode."""

from grok_cli.conversations import _mode_of, latest_assistant, thread

NODES = [
    {"responseId": "u1", "sender": "human"},
    {"responseId": "a1", "sender": "assistant", "parentResponseId": "u1"},
    {"responseId": "u2", "sender": "human", "parentResponseId": "a1"},
    {"responseId": "a2", "sender": "assistant", "parentResponseId": "u2"},
]


def test_latest_assistant_is_the_newest_by_create_time():
    bodies = [
        {"responseId": "a1", "createTime": "2026-03-08T10:13:55.945Z"},
        {"responseId": "a2", "createTime": "2026-03-08T09:00:00.000Z"},
    ]
    assert latest_assistant(NODES, bodies)[0] == "a1"


def test_latest_assistant_falls_back_to_tree_order():
    assert latest_assistant(NODES, [])[0] == "a2"
    assert latest_assistant([{"responseId": "u1", "sender": "human"}], []) is None
    assert latest_assistant(None, None) is None


def test_mode_comes_from_the_response_metadata():
    assert _mode_of({"metadata": {"request_metadata": {"mode": "expert"}}}) == "expert"
    assert _mode_of({"metadata": {"request_metadata": {"mode": "new-mode-2027"}}}) == "new-mode-2027"
    assert _mode_of({"requestMetadata": {"mode": "MODEL_MODE_AUTO"}}) == "auto"
    assert _mode_of({"requestMetadata": {"mode": "MODEL_MODE_UNKNOWN"}}) is None
    assert _mode_of({}) is None


def test_thread_follows_parents_from_the_chosen_answer_and_skips_other_branches():
    nodes = NODES + [
        {"responseId": "u3", "sender": "human", "parentResponseId": "a1"},  # a branch off a1
        {"responseId": "a3", "sender": "assistant", "parentResponseId": "u3"},
    ]
    bodies = [
        {"responseId": "u1", "message": "q1", "createTime": "2026-03-08T10:00:00.123456Z"},
        {"responseId": "a1", "message": 'x<grok:render card_id="c" card_type="citation_card" type="render_inline_citation">'
         '<argument name="citation_id">1</argument></grok:render>', "metadata": {"request_metadata": {"mode": "auto"}}},
        {"responseId": "u3", "message": "q3"},
        {"responseId": "a3", "message": "a3 text", "partial": True},
    ]
    turns = thread(nodes, bodies, "a3", "fast")
    assert [(t.user_response_id, t.response_id, t.parent_response_id) for t in turns] == [
        ("u1", "a1", None), ("u3", "a3", "a1")]
    assert [t.prompt for t in turns] == ["q1", "q3"] and turns[0].answer == "x[1]"
    assert [t.model for t in turns] == ["auto", "fast"] and [t.complete for t in turns] == [True, False]
