from hypothesis import given
from hypothesis import strategies as st

from grok_cli.protocol.render import RenderFilter, strip_markup

CITE = '<grok:render card_id="c1" card_type="citation_card" type="render_inline_citation"><argument name="citation_id">3</argument></grok:render>'
IMAGE = '<grok:render card_id="x1" card_type="generated_image_card" type="render_file"><argument name="file_path">/a.jpg</argument></grok:render>'


def test_citations_become_numbers_and_other_cards_vanish():
    assert strip_markup(f"Paris is big{CITE}. Look:{IMAGE}") == "Paris is big[3]. Look:"


def test_self_closing_elements_are_removed():
    assert strip_markup('a<grok:render card_id="z" type="x"/>b') == "ab"


def test_markup_split_across_tokens_never_leaks():
    text = f"one {CITE} two {IMAGE} three <b>bold</b> <gr"
    for cut_a in range(0, len(text), 7):
        for cut_b in range(cut_a, len(text), 13):
            f = RenderFilter()
            out = f.feed(text[:cut_a]) + f.feed(text[cut_a:cut_b]) + f.feed(text[cut_b:]) + f.flush()
            assert out == "one [3] two  three <b>bold</b> <gr"


def test_an_unfinished_element_at_the_end_is_dropped():
    f = RenderFilter()
    assert f.feed('ok <grok:render card_id="1"><argument') == "ok "
    assert f.flush() == ""


@given(st.lists(st.text(alphabet="ab<>/grok:rendr =\"", max_size=30), max_size=8))
def test_output_never_contains_an_opening_render_tag(pieces):
    f = RenderFilter()
    out = "".join(f.feed(p) for p in pieces) + f.flush()
    assert "<grok:render" not in out
