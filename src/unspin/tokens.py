"""Word tokens with character offsets.

A token is a run of word characters with internal apostrophes or hyphens,
the same definition the benchmark metrics use (``../shared/data/README.md``).
Offsets always index the original string, so findings can point back into it.

>>> [t.text for t in tokenize("The Cipher Brief's \u201csafe havens\u201d, 2024.")]
['The', 'Cipher', "Brief's", 'safe', 'havens', '2024']
>>> t = tokenize("co-operate now")[0]
>>> (t.start, t.end, t.lower)
(0, 10, 'co-operate')
>>> tokenize("")
[]
"""
from __future__ import annotations


import bisect
import functools
import itertools
import operator
import re
import unicodedata

import numpy as np
from typing import NamedTuple

# Apostrophes: ASCII and the typographic right quote, which spinners and CMSs both emit.
# Invisible characters do not end a word: soft hyphens, zero-width spaces and joiners, the
# word joiner and BOM (web pages and PDFs put them inside words: "unco\u00admmon"), and
# combining marks (decomposed, NFD, "cafe\u0301"). Split at them, a word's fragments were
# looked up and rewritten on their own ("sub\u00adsequent" -> "sub\u00adnext").
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_MARKS = "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
_IN_WORD = "(?:[" + _INVISIBLE + "]|" + _MARKS + ")+"
WORD_RE = re.compile(r"[^\W_]+(?:(?:['\u2019\-_]|" + _IN_WORD + r")[^\W_]+)*" + _MARKS + "*")  # '_x_' is 'x'
_DROP_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE))
# Texts without such characters (nearly all) are split by the plain pattern: the same
# tokens, 15 % faster (one scan for the characters costs far less).
_PLAIN_WORD_RE = re.compile(r"[^\W_]+(?:['\u2019\-_][^\W_]+)*")
_IN_WORD_CHAR = re.compile("[" + _INVISIBLE + "]|" + _MARKS)
_HAS_MARK = re.compile(_MARKS)


def word_key(s: str) -> str:
    """A word's lower-case form for lookups: typographic apostrophe as ASCII, invisible
    characters dropped, combining marks composed (NFC).

    >>> word_key("Unco\u00admmon"), word_key("Cafe\u0301"), word_key("Brief\u2019s")
    ('uncommon', 'café', "brief's")
    """
    s = s.lower().replace("\u2019", "'")
    if not _IN_WORD_CHAR.search(s):  # nearly always (translate looks up every character)
        return s
    s = s.translate(_DROP_INVISIBLE)
    return unicodedata.normalize("NFC", s) if _HAS_MARK.search(s) else s


# The benchmark's metric definition (../shared/data/README.md): \w+ with internal apostrophes/hyphens.
METRIC_WORD_RE = re.compile(r"\w+(?:['\u2019\-]\w+)*")
# Function words. Spinners rarely swap them from a thesaurus and a language model
# cannot judge such swaps, so the engine leaves them to learned profiles; trace
# uses them as the 'immutables' that survive spinning.
STOPWORDS = frozenset(
    """a an the and or but if then else of to in on at by for with from as is are was were be been being
    it its this that these those he she they we you i me him her them us our your their his my mine
    not no nor so than too very can could will would shall should may might must do does did done
    has have had having there here who whom whose which what when where why how all any both each
    few more most other some such only own same just also into over under again further once about
    against between through during before after above below up down out off one two three""".split()
)

_START, _END = operator.itemgetter(0), operator.itemgetter(1)  # a Token's offsets
#: A sentence ends at ., !, ? or an ellipsis (with closing quotes or brackets) before white
#: space, and at any line break: \n, a lone \r (old Mac text), the Unicode separators.
SENTENCE_END_RE = re.compile(r"[.!?\u2026]['\"\u201d\u2019)\]]*\s+|[\n\r\v\f\x85\u2028\u2029]\s*")
#: One line break, as str.splitlines counts them ("\r\n" is one).
LINE_BREAK_RE = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


class Token(NamedTuple):
    """A word: character offsets into the text and the text itself.

    (A named tuple rather than a dataclass: tokenizing is on the hot path and a
    tuple is built in about half the time.)
    """

    start: int
    end: int
    text: str

    @property
    def lower(self) -> str:
        return word_key(self.text)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into word tokens (punctuation and spaces are skipped).

    >>> tokenize("Safe havens, too.")
    [Token(start=0, end=4, text='Safe'), Token(start=5, end=11, text='havens'), Token(start=13, end=16, text='too')]
    """
    return _split_tokens(text)


_SPLIT_RE = re.compile("(" + WORD_RE.pattern + ")")
_PLAIN_SPLIT_RE = re.compile("(" + _PLAIN_WORD_RE.pattern + ")")


def _word_re(text: str) -> "tuple[re.Pattern[str], re.Pattern[str]]":
    """(finder, splitter) for ``text``: the plain patterns unless it has invisible
    characters or combining marks."""
    return (WORD_RE, _SPLIT_RE) if _IN_WORD_CHAR.search(text) else (_PLAIN_WORD_RE, _PLAIN_SPLIT_RE)


def _split_tokens(text: str) -> list[Token]:
    # split() alternates gaps and words at C speed; running sums of their lengths are
    # the offsets (a quarter faster than a match object per word, on every document)
    parts = _word_re(text)[1].split(text)
    ends = list(itertools.accumulate(map(len, parts)))
    return list(map(tuple.__new__, itertools.repeat(Token), zip(ends[0::2], ends[1::2], parts[1::2])))


def tokenize_upto(text: str, limit: int) -> tuple[list[Token], bool]:
    """The first ``limit`` tokens of ``text`` and whether there were more (the rest is
    never materialised: a 20 MB text has millions of tokens).

    >>> tokenize_upto("Safe havens, too.", 2)
    ([Token(start=0, end=4, text='Safe'), Token(start=5, end=11, text='havens')], True)
    """
    if len(text) > 8 * limit:  # maybe far more words than wanted: stop matching at the limit
        make = Token._make
        find = _word_re(text)[0]
        toks = [make((m.start(), m.end(), m.group())) for m in itertools.islice(find.finditer(text), limit + 1)]
    else:
        toks = _split_tokens(text)
    return toks[:limit], len(toks) > limit


def words(text: str) -> list[str]:
    """Lower-cased word tokens, as the metrics count them.

    >>> words("Safe  havens -- SAFE haven's!")
    ['safe', 'havens', 'safe', "haven's"]
    """
    return [m.group().lower().replace("\u2019", "'") for m in METRIC_WORD_RE.finditer(text)]


#: Top-level domains a bare address may end in ("example.com/cash", "nature.org").
_TLDS = ("com|org|net|edu|gov|mil|int|info|biz|io|ai|app|dev|co|uk|us|ca|au|de|fr|es|it|nl|be|ch|at|"
         "se|no|dk|fi|pl|cz|ru|cn|jp|kr|in|br|mx|za|nz|ie|eu")
#: What is not prose, wherever it appears: web and e-mail addresses ("example.com/cash" is
#: no spun "money"), code (Markdown fences and `inline code`), Markdown link targets, HTML
#: comments and front matter. Their words are never proposed or rewritten, so Markdown can be checked
#: and restored as written. Each entry: (what, a cheap test the text must pass for the
#: pattern to match anywhere, the pattern).
_NON_PROSE_PARTS: tuple[tuple[str, object, str], ...] = (
    # front matter: a first line of --- or +++, then "key: value" lines, then the closing line
    ("front matter", lambda t: t.startswith(("---", "+++")),
     r"\A(?:---|\+\+\+)[ \t]*\r?\n(?=[\w-]+[ \t]*:).*?\r?\n(?:---|\+\+\+|\.\.\.)[ \t]*(?:\r?\n|\Z)"),
    # (fenced code: :func:`_fenced_code`)
    # a backtick run opens only where it starts, at its full length (the regex engine otherwise
    # tried every start and length inside a long run: quadratic, 9 s for 40,000 backticks)
    ("inline code", lambda t: "`" in t, r"(?<!`)(?P<tick>`+)(?!`)[^`\n](?:[^\n]*?[^`\n])??(?P=tick)(?!`)"),
    # one level of parentheses inside ("wiki/Foo_(bar)"); a scan stops at the next "(" or ")",
    # not at the end of the line as "[^)\n]*" did from every "](" (quadratic)
    ("link target", lambda t: "](" in t, r"\]\((?:[^()\n]|\([^()\n]*\))*\)"),
    ("reference link", lambda t: "]:" in t, r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S+"),
    # (HTML comments: :func:`_html_comments`)
    ("web address", lambda t: "://" in t or "www." in t or "WWW." in t,
     r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"'()\[\]]+"),
    ("bare domain", re.compile(r"\.(?:" + _TLDS + r")\b", re.I).search,
     r"(?<![\w.@/-])[\w-]+(?:\.[\w-]+)*\.(?:" + _TLDS + r")\b(?:/[^\s<>\"'()\[\]]*)?(?![\w@-])"),
    # e-mail: the local part starts after a non-address character, so a long run of word
    # characters is tried once (without it, one "@" made a 100 KB token quadratic)
    ("e-mail address", lambda t: "@" in t, r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+"),
)
_NON_PROSE_FLAGS = re.I | re.M | re.S


@functools.lru_cache(maxsize=256)
def _non_prose(present: tuple[bool, ...]) -> "re.Pattern[str]":
    """The alternatives of :data:`_NON_PROSE_PARTS` a text can match. Trying all of them at every
    position cost 0.5 ms per 3.5 KB document (6 % of a check); most prose needs none."""
    return re.compile("|".join(p for (_, _, p), on in zip(_NON_PROSE_PARTS, present) if on), _NON_PROSE_FLAGS)


_FENCE_LINE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})(.*)$", re.M)
_CLOSER_REST = re.compile(r"[`~]*[ \t]*\r?")


def _fenced_code(text: str) -> list[tuple[int, int]]:
    r"""Fenced code blocks, only with their closing fence (a lone ``` or ~~~ line in plain
    text is a divider): an opening fence line of n >= 3 backticks or tildes, to the first
    later fence line of the same character, at least as long and with nothing after it;
    failing that, the longest shorter one that still reaches 3. In one pass over the fence
    lines (as a regex, every opener without a closer scanned to the end of the text).

    >>> t = "a\n```py\ncash = 1\n```\nb\n~~~ x\n"
    >>> [t[a:b] for a, b in _fenced_code(t)]
    ['```py\ncash = 1\n```']
    """
    lines = [(m.start(), m.end(), m.group(1)[0], len(m.group(1)), _CLOSER_REST.fullmatch(m.group(2)) is not None)
             for m in _FENCE_LINE.finditer(text)]
    # for each line and fence character: the longest closing fence from that line on
    best = [{"`": 0, "~": 0} for _ in range(len(lines) + 1)]
    for i in range(len(lines) - 1, -1, -1):
        best[i] = dict(best[i + 1])
        _, _, ch, n, closes = lines[i]
        if closes and n > best[i][ch]:
            best[i][ch] = n
    spans = []
    i = 0
    while i < len(lines):
        start, _, ch, n, _ = lines[i]
        need = min(n, best[i + 1][ch])
        if need < 3:  # no closing fence for it: not code
            i += 1
            continue
        j = i + 1
        while not (lines[j][2] == ch and lines[j][4] and lines[j][3] >= need):
            j += 1
        spans.append((start, lines[j][1]))
        i = j + 1
    return spans


#: A line break ("\r\n", "\n" or a lone "\r", as tokens.SENTENCE_END_RE reads them), then a
#: line of nothing but spaces or tabs: where a paragraph ends.
_BLANK_LINE = re.compile(r"(?:\r\n|\r(?!\n)|\n)[ \t]*[\r\n]")


def _html_comments(text: str) -> list[tuple[int, int]]:
    r"""HTML comments, which Markdown does not show: ``<!-- ... -->``, and an unclosed one that
    starts a line (up to three spaces in), to the end of its paragraph. CommonMark would hide
    the rest of the text, but one stray ``<!--`` must not take a whole article out of the
    check (an easy way to hide it from the detector). An unclosed ``<!--`` inside a line is
    shown as written, e.g. in a text about HTML, so it stays prose. In one pass: after the
    first unclosed one there is no ``-->`` left to look for (a regex scanned to the end from
    every ``<!--``).

    >>> t = "a <!-- b --> c <!-- d\n<!-- e\nf\n\ng"
    >>> [t[a:b] for a, b in _html_comments(t)]
    ['<!-- b -->', '<!-- e\nf']
    """
    spans = []
    i, closed = 0, True  # closed: a "-->" may still follow
    line_start, seen = 0, 0  # the start of the line holding text[seen], found without going back
    while (a := text.find("<!--", i)) >= 0:
        b = text.find("-->", a + 4) if closed else -1
        if b >= 0:
            spans.append((a, b + 3))
            i = b + 3
            continue
        closed = False  # none after this one either
        # only the part not looked at yet: an rfind back to the text's start for every marker
        # was quadratic (a 2 MB line of "<!--" took seconds)
        line_start = max(line_start, text.rfind("\n", seen, a) + 1, text.rfind("\r", seen, a) + 1)
        seen = a
        if a - line_start <= 3 and not text[line_start:a].strip(" "):
            m = _BLANK_LINE.search(text, a)
            i = m.start() if m else len(text)
            spans.append((a, i))
        else:
            i = a + 4
    return spans


def prose_tokens(text: str, tokens: list[Token]) -> list[Token]:
    """``tokens`` without those inside addresses, code, link targets, HTML comments and
    front matter (:data:`_NON_PROSE_PARTS`).

    >>> text = "Mail cash@firms.com or see [the docs](docs/cash.md), https://example.com/cash and `run()` now."
    >>> [t.text for t in prose_tokens(text, tokenize(text))]
    ['Mail', 'or', 'see', 'the', 'docs', 'and', 'now']
    """
    present = tuple(bool(test(text)) for _, test, _ in _NON_PROSE_PARTS)
    fences = "```" in text or "~~~" in text
    comments = "<!--" in text
    if not (any(present) or fences or comments):
        return tokens
    spans = [(m.start(), m.end()) for m in _non_prose(present).finditer(text)] if any(present) else []
    if fences or comments:
        merged: list[tuple[int, int]] = []
        extra = (_fenced_code(text) if fences else []) + (_html_comments(text) if comments else [])
        for a, b in sorted(spans + extra):  # disjoint, in order (code may hold an address)
            if merged and a < merged[-1][1]:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        spans = merged
    if not spans:
        return tokens
    starts = [a for a, _ in spans]
    out = []
    for t in tokens:
        k = bisect.bisect_right(starts, t.start) - 1  # the last span starting at or before the token
        if (k < 0 or t.start >= spans[k][1]) and (k + 1 >= len(spans) or starts[k + 1] >= t.end):
            out.append(t)  # overlaps no span ("x-www.yr.com": the word "x-www" is part of it)
    return out


def sentence_starts(text: str, tokens: list[Token]) -> list[bool]:
    """For each token, whether it opens a sentence (or a line/paragraph).

    Capitalisation at a sentence start says nothing about whether a word is a
    name, so detectors need this.

    >>> toks = tokenize("He left. Then Bank of America called.\\nNews")
    >>> [t.text for t, s in zip(toks, sentence_starts("He left. Then Bank of America called.\\nNews", toks)) if s]
    ['He', 'Then', 'News']
    """
    if not tokens:
        return []
    # A token opens a sentence if a sentence-ending run ends in the gap before it
    # (such a run is punctuation and space only, so it lies wholly in that gap).
    # only the stretch between the first and last token matters (a piece of a long text)
    bounds = np.fromiter((m.end() for m in SENTENCE_END_RE.finditer(text, tokens[0].end, tokens[-1].start)),
                         dtype=np.int64)
    n = len(tokens)
    starts = np.fromiter(map(_START, tokens), dtype=np.int64, count=n)
    prev_end = np.empty(n, dtype=np.int64)
    prev_end[0] = -1
    prev_end[1:] = np.fromiter(map(_END, itertools.islice(tokens, n - 1)), dtype=np.int64, count=n - 1)
    nxt = np.append(bounds, np.iinfo(np.int64).max)[np.searchsorted(bounds, prev_end, side="right")]
    out = nxt <= starts  # the first boundary after the previous token comes before this one
    out[0] = True
    return out.tolist()


def match_case(template: str, word: str) -> str:
    """Give ``word`` the capitalisation style of ``template`` (ALLCAPS, Capitalised or as is).

    >>> match_case("Financial institution", "bank"), match_case("GOVT", "executive"), match_case("yr", "year")
    ('Bank', 'EXECUTIVE', 'year')
    """
    return case_like(template)(word)


def _as_is(word: str) -> str:
    return word


def _capitalised(word: str) -> str:
    return word[:1].upper() + word[1:]


def _titled(words: str) -> str:
    """Every word capitalised but inner function words ("Bank of England")."""
    parts = words.split(" ")
    return " ".join(w if k and w in STOPWORDS else _capitalised(w) for k, w in enumerate(parts))


def case_like(template: str):
    """:func:`match_case` for ``template`` as a function of the word (computed once, for
    a finding's suggestion and all its alternatives). A Title Case span of two or more
    words (a headline, a name) gets a Title Case suggestion.

    >>> case_like("Cipher Transient")("brief"), case_like("NASA")("agency"), case_like("1999")("x")
    ('Brief', 'AGENCY', 'x')
    >>> case_like("Counterfeit Consciousness")("artificial intelligence"), case_like("Financial institution")("bank")
    ('Artificial Intelligence', 'Bank')
    """
    letters = [c for c in template if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return str.upper
    if letters and letters[0].isupper():
        heads = [w[0] for w in template.split() if w[:1].isalpha()]
        return _titled if len(heads) > 1 and all(c.isupper() for c in heads) else _capitalised
    return _as_is
