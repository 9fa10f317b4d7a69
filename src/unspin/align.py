"""Word-level alignment of a spun text with its original.

Used to learn spinner profiles from examples and by the benchmark. Tokens
follow :func:`unspin.tokens.tokenize`; replaced blocks become
:class:`Substitution` records with character spans on both sides.

>>> spun, orig = "Metro Financial institution mentioned on Monday", "Metro Bank said on Monday"
>>> [(s.spun, s.orig) for s in substitutions(spun, orig)]
[('Financial institution mentioned', 'Bank said')]

Word pairs already known (e.g. from other examples) are peeled off block ends:

>>> [(s.spun, s.orig) for s in substitutions(spun, orig, known={("mentioned", "said")})]
[('Financial institution', 'Bank'), ('mentioned', 'said')]
"""
from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from .tokens import Token, tokenize

#: Longest replaced block (in words, either side) kept as one phrase pair; longer
#: blocks are usually revisions or re-ordered clauses, not a spinner's substitution.
MAX_PHRASE = 4


@dataclass(frozen=True)
class Substitution:
    spun_start: int
    spun_end: int
    orig_start: int
    orig_end: int
    spun: str
    orig: str


def _lower(tokens: list[Token]) -> list[str]:
    return [t.lower for t in tokens]


def word_opcodes(spun_words: list[str], orig_words: list[str]):
    """difflib opcodes over word lists (autojunk off: common words matter here)."""
    return SequenceMatcher(None, spun_words, orig_words, autojunk=False).get_opcodes()


def _peel(a: int, b: int, c: int, d: int, sw: list[str], ow: list[str], known) -> list[tuple[int, int, int, int]]:
    """Split block [a,b)x[c,d) by peeling known one-word pairs off either end."""
    head: list[tuple[int, int, int, int]] = []
    tail: list[tuple[int, int, int, int]] = []
    while b - a > 1 and d - c > 1:
        if (sw[a], ow[c]) in known:
            head.append((a, a + 1, c, c + 1)); a += 1; c += 1
        elif (sw[b - 1], ow[d - 1]) in known:
            tail.append((b - 1, b, d - 1, d)); b -= 1; d -= 1
        else:
            break
    if b - a == d - c:
        middle = [(i, i + 1, j, j + 1) for i, j in zip(range(a, b), range(c, d))]
    else:
        middle = [(a, b, c, d)]
    return head + middle + tail[::-1]


def substitutions(spun: str, orig: str, max_phrase: int = MAX_PHRASE, known=frozenset()) -> list[Substitution]:
    """Replaced word blocks between ``spun`` and ``orig``, split into learnable pairs.

    Equal-length blocks are paired word by word (spinners mostly swap one word for
    one word); unequal blocks are kept whole when both sides have at most
    ``max_phrase`` words ("by means of" -> "through"), and dropped otherwise.
    """
    st, ot = tokenize(spun), tokenize(orig)
    sw, ow = _lower(st), _lower(ot)
    out: list[Substitution] = []
    for tag, i1, i2, j1, j2 in word_opcodes(sw, ow):
        if tag != "replace":
            continue
        pieces = _peel(i1, i2, j1, j2, sw, ow, known)
        for a, b, c, d in pieces:
            if b - a > max_phrase or d - c > max_phrase:
                continue
            s0, s1, o0, o1 = st[a].start, st[b - 1].end, ot[c].start, ot[d - 1].end
            out.append(Substitution(s0, s1, o0, o1, spun[s0:s1], orig[o0:o1]))
    return out
