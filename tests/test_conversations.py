"""Reading grok.com's conversation tree: which response a follow-up replies to, with which mode."""

from grok_cli.conversations import _mode_of, answer_of, latest_assistant, prompt_of, thread

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


def chunk(text, channel, step=None, phase=None):
    meta = {k: v for k, v in (("stepId", step), ("phaseIndex", phase)) if v is not None}
    return {"metadata": meta, "text": {"text": text, "channel": channel}}


ANSWER = "CHANNEL_ASSISTANT_RESPONSE"


def test_a_thread_in_chunk_form_reads_like_the_flat_form():
    bodies = [
        {"responseId": "u1", "inputChunks": [{"text": {"text": "How far "}}, {"text": {"text": "is the Moon?"}}]},
        {
            "responseId": "a1",
            "outputChunks": [  # as grok.com stores them: not in step order
                chunk("km.", ANSWER, 3, 1),
                chunk("Thinking about your request", "CHANNEL_ASSISTANT_NOTETAKER_HEADER", 0, 0),
                chunk("384,400 ", ANSWER, 2, 1),
                chunk("recall", "CHANNEL_REASONING", 1, 0),
                chunk("About ", ANSWER, 2, 0),
                chunk("?", "CHANNEL_SOMETHING_NEW", 4),
            ],
            "webSearchResults": [],
        },
    ]
    (turn,) = thread(NODES[:2], bodies, "a1", "fast")
    assert (turn.prompt, turn.answer) == ("How far is the Moon?", "About 384,400 km.")


def test_chunks_of_any_shape_are_read_or_skipped():
    odd = [None, 5, "text", {"text": "flat"}, chunk(7, ANSWER), chunk("ok", ANSWER, "x", float("nan")),
           {"metadata": [], "text": {"text": "!", "channel": ANSWER}}]  # fmt: skip
    assert answer_of({"outputChunks": odd}) == "ok!"
    assert prompt_of({"inputChunks": odd}) == "ok!"
    assert (answer_of({"outputChunks": {}}), prompt_of({"inputChunks": 3}), answer_of({})) == ("", "", "")
    assert (prompt_of({"message": "m", "inputChunks": odd}), answer_of({"message": "m"})) == ("m", "m")
