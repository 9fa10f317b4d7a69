import pytest
from hypothesis import given, strategies as st

from unspin.tokens import SENTENCE_END_RE, Token, sentence_starts, tokenize, tokenize_upto, words


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


@given(st.lists(st.sampled_from(list("ab .!?\u2026'\"\u201d\u2019)]\n\t-x,;:") + ["word", "He", "\u2019s"]),
                max_size=40).map("".join))
def test_sentence_starts_matches_its_definition(text):
    """A token opens a sentence iff it is the first, or a sentence-ending run ends in the gap before it."""
    toks = tokenize(text)
    ends = [m.end() for m in SENTENCE_END_RE.finditer(text)]
    expected = [k == 0 or any(toks[k - 1].end < b <= t.start for b in ends) for k, t in enumerate(toks)]
    assert sentence_starts(text, toks) == expected


@given(st.text(alphabet=st.sampled_from(list("ab’'- .\n\u00e9\u4e2d1_")), max_size=200), st.integers(0, 60))
def test_tokenize_upto_is_a_prefix_of_tokenize(text, limit):
    # both of its paths (the split path, and matching one by one for texts much longer
    # than the limit) give tokenize()'s first tokens
    toks, more = tokenize_upto(text, limit)
    full = tokenize(text)
    assert toks == full[:limit] and more == (len(full) > limit)
    assert all(type(t) is Token for t in toks)


def test_prose_tokens_drop_addresses_only():
    from unspin.tokens import prose_tokens

    text = "See HTTP://Example.org/a-b?x=1 (or ftp://h/f), write to a.b+c@mail.example.co.uk now; at 5 @ home."
    kept = [t.text for t in prose_tokens(text, tokenize(text))]
    assert kept == ["See", "or", "write", "to", "now", "at", "5", "home"]
    plain = "No addresses here."
    assert prose_tokens(plain, tokenize(plain)) == tokenize(plain)


@pytest.mark.parametrize("text,kept", [
    # a bare domain with a path, not only scheme:// and www.
    ("details at example.com/cash today, in the U.S. economy", ["details", "at", "today", "in", "the", "U", "S",
                                                               "economy"]),
    # inline code with a backtick inside, and LaTeX-style quotes left alone
    ("Use ``a`b`` then `mentioned yr` to run it. ``quoted'' text",
     ["Use", "then", "to", "run", "it", "quoted", "text"]),
    # CRLF front matter and fences are recognised like LF ones
    ("---\r\ntitle: The yr\r\n---\r\n\r\nx\r\n\r\n```\r\ncode\r\n```\r\n\r\nThe end.\r\n", ["x", "The", "end"]),
    # a divider is not front matter, and a lone fence line is not code to the end
    ("--- a divider ---\nThe text.\n---\nMore text.", ["a", "divider", "The", "text", "More", "text"]),
    ("Intro\n~~~\nThe rest is prose.\n", ["Intro", "The", "rest", "is", "prose"]),
    # reference-link targets; a word glued to an address is part of it
    ("[ref]: docs/worldwide-group.md\nSee x-www.yr.com and O'Brien@x.com now.", ["See", "and", "now"]),
    # HTML comments are not shown, so not prose; an unclosed one at a line start hides the rest
    ("Intro <!-- the yr was\ndifficult --> the end.", ["Intro", "the", "end"]),
    ("A text.\n<!-- draft: cash", ["A", "text"]),
    # an unclosed one hides its paragraph, not the rest of the text
    ("<!-- draft: cash\nyr\n\nThe regulator said.", ["The", "regulator", "said"]),
    # ... with CRLF or lone-CR line breaks too (a lone \r ends a line, as in SENTENCE_END_RE)
    ("<!-- draft: cash\r\nyr\r\n\r\nThe regulator said.", ["The", "regulator", "said"]),
    ("<!-- draft: cash\ryr\r\rThe regulator said.", ["The", "regulator", "said"]),
    ("A text.\r<!-- draft: cash\r\rThe end.", ["A", "text", "The", "end"]),
    ("A text.\n   <!-- draft: cash", ["A", "text"]),
    # an unclosed "<!--" inside a line is shown as written (CommonMark): a text about HTML
    ("A comment opens with <!-- in HTML. The rest is prose.",
     ["A", "comment", "opens", "with", "in", "HTML", "The", "rest", "is", "prose"]),
    ("Open with <!-- and see example.com here.\n<!-- note", ["Open", "with", "and", "see", "here"]),
])
def test_prose_tokens_cases(text, kept):
    from unspin.tokens import prose_tokens

    assert [t.text for t in prose_tokens(text, tokenize(text))] == kept


def test_prose_tokens_long_word_run_with_an_at_sign():
    """One "@" and a long run of word characters (a DNA string) must not make the
    e-mail pattern try every start inside the run (it took 26 s for 100 KB)."""
    from unspin.tokens import prose_tokens

    text = "The sequence is " + "ACGT" * 25000 + ". Contact me@x.org."
    assert [t.text for t in prose_tokens(text, tokenize(text))][-1] == "Contact"


@pytest.mark.parametrize("text,kept", [
    # malformed Markdown that made the patterns quadratic: still prose, and read correctly
    ("`" * 3000 + " The end.", ["The", "end"]),
    ("](" * 2000 + " The end.", ["The", "end"]),
    ("~~~ a\n" * 500 + "The end.", ["a"] * 500 + ["The", "end"]),
    # a link target may hold one level of parentheses; an unclosed fence is no code
    ("See [it](https://en.wikipedia.org/wiki/Foo_(bar)) now.", ["See", "it", "now"]),
    ("````\ncode\n```\nstill code\n````\nprose", ["prose"]),
    # many unclosed "<!--" inside lines: each is prose, none scanned to the end for "-->"
    ("a <!-- " * 40000 + "end", ["a"] * 40000 + ["end"]),
])
def test_prose_tokens_malformed_markdown(text, kept):
    """Backtick runs open inline code only where they start, link targets stop at the
    next parenthesis, fences are matched in one pass: a long run of backticks, of "](" or
    of unclosed fence lines took seconds to minutes (a request froze a server worker)."""
    from unspin.tokens import prose_tokens

    assert [t.text for t in prose_tokens(text, tokenize(text))] == kept


def test_invisible_characters_stay_inside_a_word():
    """Soft hyphens, zero-width characters and decomposed accents do not split a word,
    and are dropped for look-ups (a fragment was rewritten: "sub\u00adsequent" -> "sub\u00adnext")."""
    from unspin.tokens import word_key

    text = "a sub\u00adsequent unco\u200bmmon cafe\u0301 visit"
    toks = tokenize(text)
    assert [t.text for t in toks] == ["a", "sub\u00adsequent", "unco\u200bmmon", "cafe\u0301", "visit"]
    assert [word_key(t.text) for t in toks] == ["a", "subsequent", "uncommon", "caf\u00e9", "visit"]


def test_many_unclosed_comment_markers_on_one_line_are_linear():
    """After an unclosed "<!--", each further marker looked back to the text's start for its
    line (str.rfind from 0): quadratic, 2.5 s for a 2 MB line of markers (0.01 s before the
    paragraph rule), seconds more per check of a long record. (No timing assertion: speed is
    for the benchmarks; a quadratic version makes this test take seconds, not ~0.1 s.)"""
    from unspin.tokens import _html_comments

    text = "word <!-- " * 200_000
    assert _html_comments(text) == []  # all inside a line: prose
    lines = "x\n" + "<!-- note\n" * 50_000  # every marker starts a line: each hides up to the end
    assert _html_comments(lines)[0] == (2, len(lines))
