import json

from hypothesis import given, settings
from hypothesis import strategies as st

from grok_cli.protocol.framing import LineSplitter, parse_line


def frames(data: bytes, chunk_sizes: list[int]) -> list[dict]:
    splitter, out, pos = LineSplitter(), [], 0
    for size in chunk_sizes:
        for line in splitter.feed(data[pos : pos + size]):
            out += parse_line(line)[0]
        pos += size
    for line in splitter.feed(data[pos:]) + splitter.flush():
        out += parse_line(line)[0]
    return out


def test_lines_split_anywhere_are_reassembled():
    objs = [{"result": {"token": f"t{i}", "s": "a}{b\"c"}} for i in range(5)]
    data = b"".join(json.dumps(o).encode() + b"\n" for o in objs)
    for cut in range(1, len(data)):
        assert frames(data, [cut]) == objs


def test_blank_lines_data_prefix_and_done_marker_are_tolerated():
    data = b'\n\ndata: {"a": 1}\r\n\n[DONE]\ndata: [DONE]\n{"b": 2}'
    assert frames(data, []) == [{"a": 1}, {"b": 2}]


def test_several_objects_on_one_line_are_split_by_brace_depth():
    line = '{"a": "x}{y"}{"b": {"c": [1, {"d": 2}]}}  {"e": "\\"}"}'
    objs, skipped = parse_line(line)
    assert objs == [{"a": "x}{y"}, {"b": {"c": [1, {"d": 2}]}}, {"e": '"}'}]
    assert skipped == 0


def test_garbage_is_skipped_and_counted_not_raised():
    assert parse_line(b"<html>oops</html>") == ([], 1)
    assert parse_line(b'{"a": 1}{"broken": ') == ([{"a": 1}], 1)
    assert parse_line(b"42") == ([], 1)
    assert parse_line(b"\xff\xfe{") == ([], 1)


def test_a_json_array_of_objects_yields_the_objects():
    assert parse_line('[{"a": 1}, 2]') == ([{"a": 1}], 1)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300), st.lists(st.integers(min_value=0, max_value=40), max_size=10))
def test_no_input_can_crash_the_framer(data, cuts):
    result = frames(data, cuts)
    assert all(isinstance(o, dict) for o in result)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.dictionaries(st.text(max_size=5), st.one_of(st.text(max_size=20), st.integers()), max_size=4),
        max_size=6,
    ),
    st.lists(st.integers(min_value=1, max_value=30), max_size=20),
)
def test_any_valid_stream_round_trips_whatever_the_chunking(objs, cuts):
    data = b"".join(json.dumps(o).encode() + b"\n" for o in objs)
    assert frames(data, cuts) == objs


def test_numbers_json_cannot_carry_are_read_as_nothing():
    # Written back out by --jsonl, the history or grok serve, NaN and Infinity are not JSON.
    objects, skipped = parse_line('{"a": NaN, "b": -Infinity, "c": 1e999, "d": 1.5, "e": [Infinity]}')
    assert objects == [{"a": None, "b": None, "c": None, "d": 1.5, "e": [None]}] and skipped == 0


_LINE = st.one_of(
    st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=8)), max_size=3).map(json.dumps),
    st.text(alphabet='{}[]",: \r\tdat1\\', max_size=30),
)


@given(st.lists(_LINE, max_size=12))
def test_many_lines_parsed_at_once_give_what_each_line_gives(lines):
    from grok_cli.protocol.framing import parse_lines

    lines = [line.replace("\n", "") for line in lines]
    expected = [obj for line in lines for obj in parse_line(line)[0]]
    assert parse_lines("\n".join(lines)) == expected


def test_complete_lines_are_decoded_once_a_chunk_and_a_split_character_waits():
    splitter = LineSplitter()
    data = '{"t": "é"}\n{"t": "ü"}\n'.encode()
    cut = data.index("ü".encode()) + 1  # inside the two bytes of ü
    assert splitter.complete(data[:cut]) == '{"t": "é"}'
    assert splitter.complete(data[cut:]) == '{"t": "ü"}'
    assert splitter.complete(b'{"x": 1}') == "" and splitter.flush() == [b'{"x": 1}']
