from hypothesis import given, strategies as st

from unspin.tokens import sentence_starts, tokenize, words


@given(st.text(max_size=300))
def test_offsets_index_the_text(text):
    for t in tokenize(text):
        assert text[t.start:t.end] == t.text
        assert t.text.strip() == t.text and t.text


def test_words_match_metric_definition():
    assert words("It's a co-op’s “safe haven”, 2024!") == ["it's", "a", "co-op's", "safe", "haven", "2024"]


def test_sentence_starts_after_terminal_punctuation_and_newlines():
    text = "One two. Three four!\nFive six? seven"
    toks = tokenize(text)
    starts = [t.text for t, s in zip(toks, sentence_starts(text, toks)) if s]
    assert starts == ["One", "Three", "Five", "seven"]
