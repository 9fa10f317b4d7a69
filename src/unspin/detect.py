"""Detection, localization and restoration: the engine behind :func:`unspin.check`.

How it decides, in one paragraph: every word or short phrase that a spinner
could have produced gets *candidate originals* from two places, a learned
spinner profile ("mentioned" replaced "said" in the examples it learned from)
and a reverse thesaurus ("sanctuaries" is a synonym of "havens"). Each
candidate is put into the sentence and a trigram language model compares the
two wordings in their context. For a profile entry, the log-odds that the span
was substituted are logit(how often that form was a substitution) plus how much
rarer the form is in normal English, plus the LM's preference. For thesaurus
candidates a small logistic model, fitted on synthetic spins, weighs the LM's
preference, the channel prior (how likely a spinner picks that synonym), how
well the observed word fits its context and how common both wordings are; a
second one estimates whether the suggestion is the original, and only findings
likely to be right on both counts are applied to ``restored``. Adjacent
suspicious words are also re-scored jointly, which is how tortured phrases are
found ("counterfeit consciousness" -> "artificial intelligence"). The document
score is a logistic model over how dense and how confident the findings are,
calibrated on synthetic spins of clean news (docs/calibration.md).

>>> r = check("The regulator mentioned the yr had been tough for buying and selling.")
>>> r.restored
'The regulator said the year had been tough for trading.'
>>> [(f.text, f.suggestion) for f in r.findings]
[('mentioned', 'said'), ('yr', 'year'), ('buying and selling', 'trading')]

Text that must be left alone is left alone:

>>> r = check("The central bank said on Tuesday that it would keep interest rates unchanged.")
>>> r.findings, r.restored == "The central bank said on Tuesday that it would keep interest rates unchanged."
([], True)
>>> check("").score
0.0
"""
from __future__ import annotations

import bisect
import contextlib
import copy
import dataclasses
import gc
import itertools
import json
import math
import operator
import re
import threading
from dataclasses import dataclass
from importlib import resources
from typing import Sequence

import numpy as np

from .lexicon import analyses, inflect, singulars
from .lm import LanguageModel
from .profiles import Profile, resolve
from .report import DEFAULT_THRESHOLD, Finding, Report
from .tokens import LINE_BREAK_RE, STOPWORDS, Token, case_like, prose_tokens, sentence_starts, tokenize_upto, word_key

#: Data the document-score calibration was fitted on (the benchmark prints it).
CALIBRATION_SOURCES = "synthetic spins of clean_news.jsonl (index % 5 != 0) and those clean texts"

#: A finding's suggestion is applied to ``Report.restored`` when that is expected to
#: help (:func:`applies`); this is the least joint chance it needs in any case, so the
#: restored text is not filled with long shots (one in four that it is the original).
APPLY_CONFIDENCE = 0.25
#: Findings below this confidence are not reported at all.
REPORT_CONFIDENCE = 0.35
#: Added to the reason of a finding reported only because the document reads as spun (doc_shift).
SPUN_TEXT_NOTE = "; reported because the text as a whole reads as spun"
#: Safety limit: documents longer than this many words are scored on their first
#: MAX_WORDS words only (time and memory stay bounded; the report says so).
MAX_WORDS = 200_000



@dataclass(frozen=True)
class Params:
    """Search limits and the profile decision weights (natural-log odds units).

    The thesaurus proposals' weights are fitted (calibration.json); these are set by
    hand: candidate counts trade speed for recall (docs/benchmarks.md), the profile
    weights follow the fitted model's scale.
    """

    lm_weight: float = 0.3          # profile proposals: weight per log10 of LM preference, times ln(10);
    #                                 ~ the gain weight the fitted thesaurus model learned (0.6 per log10)
    max_candidates: int = 25        # reverse-thesaurus candidates considered per word (known-term search)
    joint_candidates: int = 16      # per word, for joint two-word re-scoring
    joint_min_pmi: float = 1.0      # a restored pair must be a collocation at least this strong (log10)
    joint_max_spun_pmi: float = 1.0  # ... and the observed pair no stronger than this
    joint_keep: int = 3             # pairs (by collocation strength) given full features
    joint_min_logodds: float = -3.0  # single-word evidence a word needs to join a pair search
    shortlist: int = 4              # candidates per word given full context features
    scored_candidates: int = 15     # of those, the first ones scored as single-word readings: the
    #                                 context pass costs per candidate, and the tail (16th-25th)
    #                                 matters for known terms ("irregular" -> "random" is 18th), which
    #                                 keep all 25 (session 10: 6 % fewer instructions, same dev F1)

    def __post_init__(self):
        # 0 would empty every word's cached candidates, the known-term search's 25 with them
        if not 1 <= self.scored_candidates <= self.max_candidates:
            raise ValueError(f"scored_candidates must be 1..max_candidates ({self.max_candidates}), "
                             f"not {self.scored_candidates!r}")


PARAMS = Params()
#: Other readings of a jointly re-scored pair listed as a finding's alternatives.
JOINT_ALTERNATIVES = 4
#: Channel log-prior for leaving a word of a jointly re-scored pair as it is.
KEEP_PRIOR = math.log(0.3)
LN10 = math.log(10.0)
#: Safety limit: tokens scored in one set of vectorised passes (memory grows with it:
#: ~15 scored candidates per word, several arrays each); longer texts are scored in pieces.
PASS_TOKENS = 20_000
#: Safety limit: strings whose candidates stay cached (with their arena rows: up to 15 rows
#: of 56 bytes each, and up to 25 candidates as tuples; ~300 MB at the limit); past it the cache starts again empty.
CANDS_CACHE_LIMIT = 200_000
#: Pseudo-count of words added when turning finding counts into densities (see _features).
SHORT_TEXT_PSEUDOWORDS = 40


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


@dataclass
class _Proposal:
    i: int
    j: int
    suggestion: str
    alternatives: list[str]
    logodds: float
    reason: str
    kind: str
    features: dict[str, float] | None = None
    restore_prob: float | None = None  # P(suggestion is the original); None: use the confidence
    profile: str | None = None  # the spinner profile that proposed it
    shift: float = 0.0  # log-odds added for a text judged spun (reported, not used to apply)


#: Weights of the per-proposal classifier for thesaurus-based proposals, used until
#: scripts/calibrate.py has fitted them (calibration.json "local").
DEFAULT_LOCAL = {"bias": -4.0, "gain_pos": 2.0, "channel": 0.3, "fit_spun": -1.5, "name": -2.5, "mwe": 2.0}
#: Weights of the second model: is the suggestion the original, given a substitution?
DEFAULT_CORRECT = {"bias": -1.0, "gain_pos": 1.0, "mwe": 2.0}
#: Per-proposal features, in the column order of the engine's feature matrices.
FEATURES = ("bias", "gain", "gain_pos", "channel", "fit_spun", "fit_cand", "uni_spun", "uni_cand", "name",
            "multi_spun", "multi_cand", "joint", "mwe")
#: Extra features of jointly re-scored pairs: collocation strength of the candidate and observed
#: pair, and whether the candidate pair is a known technical term (tortured phrases disguise terms
#: of a field; an observed pair that is a term is a collocation, so never gets here).
JOINT_FEATURES = ("pair_pmi_cand", "pair_pmi_spun", "term_cand")
_GAIN, _CHANNEL = FEATURES.index("gain"), FEATURES.index("channel")  # columns of the feature matrix


_TEXT, _FIRST = operator.itemgetter(2), operator.itemgetter(0)  # a Token's text; a string's first character


class _Doc:
    """Per-document token view: lower-case words, their LM ids and each position's LM context.

    Contexts are arrays over positions so whole batches of candidates are scored in
    one vectorised pass: ``L2, L1`` are the two words before position i (``<s>`` at
    a sentence start, -1 for none), ``R1, R2`` the words after a span ending at j
    (``</s>`` where the sentence ends) and ``NR`` how many of them are scored.
    """

    def __init__(self, text: str, tokens: list[Token], lm: LanguageModel, truncated: bool = False):
        self.text = text
        self.tokens = tokens
        self.truncated = truncated  # the text had more than MAX_WORDS words
        # one C-level pass instead of a property call per token (same as Token.lower)
        texts = list(map(_TEXT, tokens))
        self.lw = word_key("\0".join(texts)).split("\0") if tokens else []
        if len(self.lw) != len(tokens):  # a token with NUL in it: do it one by one
            self.lw = [t.lower for t in tokens]
        self.starts = sentence_starts(text, tokens)
        n = len(tokens)
        ids = self.ids = lm.ids(self.lw)
        bos, eos = lm.trie.word_index["<s>"], lm.trie.word_index["</s>"]
        st = np.array(self.starts, dtype=bool)
        if n:
            st[0] = True
        pad = np.concatenate([[-1, -1], ids, [-1, -1]])  # pad[k + 2] == ids[k]
        st_prev = np.concatenate([[True], st[:-1]])
        self.L1 = np.where(st, bos, pad[1:n + 1])
        self.L2 = np.where(st, -1, np.where(st_prev, bos, pad[:n]))
        # a span ending at j (0..n): the sentence ends there if j == n or token j opens one
        end0 = np.concatenate([st, [True]])
        end1 = np.concatenate([st[1:], [True, True]]) if n else np.array([True])
        self.R1 = np.where(end0, eos, pad[2:n + 3])
        self.R2 = np.where(end1, eos, pad[3:n + 4])
        self.NR = np.where(end0, 1, 2)
        # words in a run of capitals (a shouted headline, a text typed in capitals) are
        # ordinary words, not acronyms or names
        first_up = np.fromiter(map(str.isupper, map(_FIRST, texts)), dtype=bool, count=n)
        self.shout = _shouted(text, tokens, texts, first_up)
        # capitalised but not sentence-initial: a name, or a spun capitalised word
        self.name_like = first_up & ~st & ~self.shout
        self._parts: list[_Doc] | None = None  # the texts this view covers, after :meth:`combine`
        self.cid: list[int] | None = None  # per token: first token of its split compound, or -1
        self.base = [0]      # token offset of each part
        self.tid = np.zeros(n, dtype=np.int64)  # part of each token

    @classmethod
    def combine(cls, docs: list["_Doc"]) -> "_Doc":
        """One view over several texts, so their candidates share language-model passes.

        Every text opens with a sentence start, and no context crosses a sentence
        boundary, so each text scores exactly as it would alone; spans that would
        cross from one text into the next are filtered where they are proposed
        (:meth:`same_part`).
        """
        if len(docs) == 1:
            return docs[0]
        out = cls.__new__(cls)
        out.text, out.truncated, out._parts = None, False, docs
        sizes = [len(d.lw) for d in docs]
        out.base = np.concatenate([[0], np.cumsum(sizes)[:-1]]).tolist()
        out.tokens = [t for d in docs for t in d.tokens]
        out.lw = [w for d in docs for w in d.lw]
        out.starts = [x for d in docs for x in d.starts]
        for name in ("ids", "L1", "L2", "name_like", "shout"):
            setattr(out, name, np.concatenate([getattr(d, name) for d in docs]))
        # R arrays have one entry per span end 0..n; a text's end and the next text's
        # first token (a sentence start) have the same right context, so drop one.
        for name in ("R1", "R2", "NR"):
            setattr(out, name, np.concatenate([getattr(d, name)[:-1] for d in docs] + [getattr(docs[-1], name)[-1:]]))
        out.cid = None
        if any(d.cid is not None for d in docs):
            out.cid = [x + b if x >= 0 else -1 for d, b in zip(docs, out.base)
                       for x in (d.cid if d.cid is not None else [-1] * len(d.lw))]
        out.tid = np.repeat(np.arange(len(docs)), sizes)
        out._tids = out.tid.tolist()  # for token-by-token questions (a numpy scalar costs ~0.1 µs)
        return out

    def mark_compounds(self, groups: list[tuple[int, int]]) -> None:
        """Record the token ranges of compounds the engine split at their hyphens."""
        cid = [-1] * len(self.tokens)
        for a, b in groups:
            cid[a:b] = [a] * (b - a)
        self.cid = cid

    def whole_words(self, i: int, j: int) -> bool:
        """Tokens [i, j) do not cut a split compound: they lie inside one, or touch none
        ("loss-making stores": "making stores" is no phrase of the text)."""
        cid = self.cid
        if cid is None:
            return True
        c = cid[i]
        return all(x == c for x in cid[i + 1:j])

    def same_part(self, i: int, j: int) -> bool:
        """Tokens [i, j) all belong to one text."""
        return self._parts is None or self._tids[i] == self._tids[j - 1]

    def gap(self, i: int) -> str | None:
        """The characters between tokens i and i+1 (None if they are in different texts)."""
        if self._parts is None:
            tokens = self.tokens
            return self.text[tokens[i].end:tokens[i + 1].start]
        tids = self._tids
        t = tids[i]
        if t != tids[i + 1]:
            return None
        part = self._parts[t]
        k = i - self.base[t]
        return part.text[part.tokens[k].end:part.tokens[k + 1].start]

    def term_gaps(self, i: int, j: int) -> bool:
        """Tokens [i, j) are written as one term: only white space within a paragraph or a
        hyphen between them (:func:`_term_gap`), so a phrase never swallows punctuation,
        a paragraph break or Markdown between its words ("financial |\\n| institution")."""
        return all(_term_gap(self.gap(k)) for k in range(i, j - 1))

    def space_between(self, i: int) -> bool:
        """Only white space separates tokens i and i+1 (of the same text)."""
        gap = self.gap(i)
        return gap is not None and gap.isspace()


_HYPHENS = frozenset("-\u2010\u2011")
_HYPHENATED = re.compile(r"[^\W_]-(?=[^\W_])")  # a hyphen inside a word token (tokens.WORD_RE)


def _term_gap(gap: str | None) -> bool:
    """What may stand between the two words of a term: white space within a paragraph
    (hard-wrapped text breaks lines inside terms) or a hyphen."""
    return gap is not None and (gap in _HYPHENS or (gap.isspace() and len(LINE_BREAK_RE.findall(gap)) <= 1))


class _Arena:
    """The candidate rows of every cached string in shared arrays (:class:`_Cands` holds
    where its rows start), so a document's candidates are gathered with one fancy index
    instead of concatenating hundreds of small per-word arrays (profiled: 5 % of corpus
    time went to that). Cleared together with the candidate cache."""

    def __init__(self):
        self.floats = np.zeros((1024, 3))  # per candidate: channel log-prior, mean unigram
        #   log10 P of its words, unigram log10 P of its first word
        self.ints = np.zeros((1024, 4), dtype=np.int64)  # per candidate: LM id of its first word,
        #   where its words start in ``flat``, how many, its rank in descending text order
        self.flat = np.zeros(4096, dtype=np.int64)  # LM ids of the candidates' words
        self.rows = self.nflat = 0

    def add(self, floats: np.ndarray, ints: np.ndarray, flat: np.ndarray) -> int:
        """Append rows (``ints[:, 1]`` relative to ``flat``); returns the first row's index."""
        r0, f0 = self.rows, self.nflat
        self.floats = _grown(self.floats, r0 + len(floats))
        self.ints = _grown(self.ints, r0 + len(ints))
        self.flat = _grown(self.flat, f0 + len(flat))
        self.floats[r0:r0 + len(floats)] = floats
        self.ints[r0:r0 + len(ints)] = ints
        self.ints[r0:r0 + len(ints), 1] += f0
        self.flat[f0:f0 + len(flat)] = flat
        self.rows, self.nflat = r0 + len(floats), f0 + len(flat)
        return r0


def _grown(a: np.ndarray, need: int) -> np.ndarray:
    """``a`` itself if it has ``need`` rows, else a copy with at least twice as many."""
    if need <= len(a):
        return a
    out = np.zeros((max(need, 2 * len(a)), *a.shape[1:]), dtype=a.dtype)
    out[:len(a)] = a
    return out


_MISSING = object()  # not in a cache


@dataclass(eq=False, slots=True)  # identity: looked for among thousands per document; slots: ~10^5 cached
class _Cands:
    """One string's reverse-thesaurus candidates, built once per string and cached; their
    numeric rows live in the engine's :class:`_Arena` from ``row0`` on."""

    texts: tuple[str, ...]
    row0: int
    joint: tuple[tuple[str, float], ...]  # context-free list for joint pair scoring (the top few)
    term_opts: tuple[tuple[str, float], ...]  # all single-word candidates: pairs that form a known term
    # (tuples, not lists, throughout: the cache holds ~10^5 of these and the cyclic GC
    # stops scanning tuples of strings and numbers, never lists)
    _by_form: tuple[dict[str, tuple[int, ...]], frozenset[str]] | None = None  # see by_form()
    _firsts: tuple[tuple[str, float], ...] | None = None  # term_opts that start some known term
    joint_ids: tuple[int, ...] | None = None  # LM ids of ``joint``'s words (Engine._joint_ids)

    def term_firsts(self, index: dict[str, set[str]]) -> tuple[tuple[str, float], ...]:
        """The candidates that are the first word of some known term (``index``: the
        engine's term index, the same for every call), built once."""
        if self._firsts is None:
            self._firsts = tuple(c for c in self.term_opts if c[0] in index)
        return self._firsts

    def by_form(self) -> tuple[dict[str, tuple[int, ...]], frozenset[str]]:
        """Positions in ``term_opts`` by the word and by each of its singulars, and those
        forms as a set (intersections iterate the smaller side), built once: the
        known-term search looks right-hand words up this way, pair after pair."""
        if self._by_form is None:
            idx: dict[str, list[int]] = {}
            for k, (b, _) in enumerate(self.term_opts):
                for form in (b, *singulars(b)):
                    idx.setdefault(form, []).append(k)
            self._by_form = ({f: tuple(ks) for f, ks in idx.items()}, frozenset(idx))
        return self._by_form


#: The candidates of a word that has none: it can only stay (known-term search).
_KEEP_ONLY = _Cands((), 0, (), ())


def _contracts(words: list[str], cand: str) -> bool:
    """True if ``cand`` is the initialism of the phrase ``words``, alone or with some of
    the phrase's own words ("severe acute respiratory syndrome" -> "sars", "personal
    identification number" -> "pin number"). Thesauri list acronyms as synonyms of
    their expansions, and scientific prose writes expansions out all the time; reading
    them as spun was a frequent false alarm. (Other shortenings, "content material" ->
    "content", are real spinner habits and stay.)

    >>> _contracts(["world", "health", "organization"], "who"), _contracts(["visible", "light"], "light")
    (True, False)
    >>> _contracts(["personal", "identification", "number"], "pin number")
    True
    >>> _contracts(["financial", "institution"], "bank"), _contracts(["in", "the", "present", "day"], "today")
    (False, False)
    """
    if len(words) < 2:
        return False
    rest = [c for c in cand.split(" ") if c not in words]  # "pin number": "pin" is new
    return len(rest) == 1 and rest[0] == "".join(w[0] for w in words if w)


def _common(small: frozenset[int], big: dict[int, int]) -> list[int]:
    """Keys in both, sorted, iterating the smaller side."""
    if len(small) <= len(big):
        return sorted(k for k in small if k in big)
    return sorted(k for k in big if k in small)


def _matvec(F: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``F @ w`` without BLAS. OpenBLAS runs a product this large on several threads,
    which then busy-wait after it: in corpus mode one process used 24 % more CPU than
    wall time, taken from the other workers of ``--workers N`` and ``serve``. numpy's
    own einsum loop stays on one core and is as fast for 17 columns."""
    return np.einsum("ij,j->i", F, w)


def _ragged(items: list[Sequence[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(flat, offsets, lengths) of a list of id sequences."""
    lens = np.fromiter((len(x) for x in items), dtype=np.int64, count=len(items))
    off = np.zeros(len(items), dtype=np.int64)
    if len(items) > 1:
        np.cumsum(lens[:-1], out=off[1:])
    flat = np.fromiter((w for x in items for w in x), dtype=np.int64, count=int(lens.sum()))
    return flat, off, lens


def _group_topk(counts: np.ndarray, key1: np.ndarray, key2: np.ndarray, k: int) -> np.ndarray:
    """Rows of contiguous groups (``counts`` rows each): each group's first ``k`` rows by
    (key1, key2) ascending, in that order, group after group.

    Groups are small (at most a word's candidate list), so they are padded into a
    matrix and sorted row by row: cheaper than one global sort by (group, keys).
    """
    if not len(counts):
        return np.zeros(0, dtype=np.int64)
    base = np.concatenate([[0], np.cumsum(counts)[:-1]])
    col = np.arange(int(counts.max()))
    valid = col[None, :] < counts[:, None]
    idx = np.where(valid, base[:, None] + col[None, :], 0)
    a = np.where(valid, key1[idx], np.inf)
    b = np.where(valid, key2[idx], np.iinfo(np.int64).max)
    order = np.lexsort((b, a), axis=1)[:, :k]
    return np.take_along_axis(idx, order, 1)[np.take_along_axis(valid, order, 1)]


@contextlib.contextmanager
def gc_paused():
    """Pause the cyclic garbage collector for a block of scoring work.

    Scoring allocates many short-lived containers (freed by reference counting
    anyway), and the collections they trigger kept rescanning the engine's
    long-lived caches (measured: 22 % of corpus time). Cycles made meanwhile are
    collected once it is back on. Nested use is fine.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


#: Capitalised words in a row that make a text "shouted" rather than a string of
#: acronyms ("FBI and CIA" has no run; "US FBI" is two acronyms).
SHOUT_RUN = 3


def _shouted(text: str, tokens: list[Token], texts: list[str] | None = None,
             first_up: np.ndarray | None = None) -> np.ndarray:
    """Per token: part of a run of at least :data:`SHOUT_RUN` all-capital words of two or
    more letters with only white space between them. One-letter capitals ("A"), numbers and
    capitals after a digit ("4G") continue a run but do not count; punctuation ends one ("FBI, CIA, NSA, DOD" is a list of
    acronyms, not a shouted sentence). Such words are checked as the words they are, not
    skipped as acronyms. ``texts``, ``first_up`` (the tokens' texts; whether each one's first
    character is a capital): if the caller has them.

    >>> from unspin.tokens import tokenize
    >>> t = "MILITANTS FIND A SECURE SANCTUARY IN 2024 ELECTION YEAR"
    >>> [w.text for w, s in zip(tokenize(t), _shouted(t, tokenize(t))) if not s]  # all but the number
    ['2024']
    >>> t = "the FBI and CIA said US FBI agents; the FBI, CIA, NSA, DOD and DOE"
    >>> bool(_shouted(t, tokenize(t)).any())
    False
    """
    texts = [t.text for t in tokens] if texts is None else texts
    n = len(texts)
    if first_up is None:
        first_up = np.fromiter((t[:1].isupper() for t in texts), dtype=bool, count=n)
    idx = [i for i in np.flatnonzero(first_up).tolist() if texts[i].isupper()]  # few: capitalised words only
    out = np.zeros(n, dtype=bool)
    if len(idx) < SHOUT_RUN:  # the common case: nothing to look for
        return out
    # A loop over the capitalised tokens only (a news text has a few acronyms; a vectorised
    # pass over every token cost ~90 µs per document on the corpus path).
    run: list[int] = []
    longs, prev = 0, -2
    for i in idx:
        if not (run and all(texts[k].isdigit() or texts[k].isupper() for k in range(prev + 1, i))
                and all(text[tokens[k - 1].end:tokens[k].start].isspace() for k in range(prev + 1, i + 1))):
            if longs >= SHOUT_RUN:
                out[run] = True
            run, longs = [], 0
        run.append(i)
        longs += len(texts[i]) > 1
        prev = i
    if longs >= SHOUT_RUN:
        out[run] = True
    return out


def _pieces(starts: list[bool], size: int) -> list[tuple[int, int]]:
    """Cut positions 0..len(starts) into ranges of at most ``size`` (at least one sentence
    each where possible), each beginning at a sentence start when there is one to cut at."""
    out, a, n = [], 0, len(starts)
    while a < n:
        b = min(a + size, n)
        if b < n:
            cut = next((k for k in range(b, a, -1) if starts[k]), None)
            b = cut if cut is not None else b  # one sentence longer than size: cut inside it
        out.append((a, b))
        a = b
    return out


class _Queries:
    """Language-model queries collected from several scorers and answered in one
    vectorised pass (each pass has a fixed numpy cost of ~0.1 ms, so a document
    gets a handful of passes, not one per scorer)."""

    def __init__(self):
        self._w: list[np.ndarray] = []
        self._h1: list[np.ndarray] = []
        self._h2: list[np.ndarray] = []
        self._n = 0
        self.vals = np.zeros(0)

    def add(self, w, h1, h2) -> slice:
        """Queue log10 P(w | h2 h1) for arrays of ids; returns where the answers will be."""
        w = np.asarray(w, dtype=np.int64)
        n = len(w)
        self._w.append(w)
        self._h1.append(np.broadcast_to(np.asarray(h1, dtype=np.int64), (n,)))
        self._h2.append(np.broadcast_to(np.asarray(h2, dtype=np.int64), (n,)))
        self._n += n
        return slice(self._n - n, self._n)

    def run(self, lm: LanguageModel) -> None:
        if self._n:
            self.vals = lm.batch_logprob(np.concatenate(self._w), np.concatenate(self._h1),
                                         np.concatenate(self._h2))

    def __getitem__(self, sl: slice) -> np.ndarray:
        return self.vals[sl]


@dataclass
class _Window:
    """Where a batch of window scores lies in a :class:`_Queries` pass."""

    rows: np.ndarray   # the row each query belongs to
    first: np.ndarray  # the query of each row's first middle word
    m: int
    sl: slice

    def result(self, q: _Queries) -> tuple[np.ndarray, np.ndarray]:
        """(window log10 P per row, log10 P(first middle word | left context) per row)."""
        vals = q[self.sl]
        return np.bincount(self.rows, weights=vals, minlength=self.m), vals[self.first]


class _Spun:
    """The observed spans' (window log-prob, context fit, mean unigram log-prob), each span scored once."""

    def __init__(self, engine: "Engine", doc: _Doc, I: np.ndarray, J: np.ndarray):
        self.engine, self.doc = engine, doc
        keys = np.unique(I * (len(doc.lw) + 1) + J)
        self.keys = keys
        self.I, self.J = keys // (len(doc.lw) + 1), keys % (len(doc.lw) + 1)
        self.values: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def plan(self, q: _Queries) -> None:
        doc, I, J = self.doc, self.I, self.J
        self.win = self.engine._window(q, doc, I, J, doc.ids, I, J - I)

    def finish(self, q: _Queries) -> None:
        I, J = self.I, self.J
        win, first = self.win.result(q)
        uni = self.engine.lm.unigram_batch(self.doc.ids)
        csum = np.concatenate([[0.0], np.cumsum(uni)])
        self.values = (win, first - uni[I], (csum[J] - csum[I]) / np.maximum(J - I, 1))

    def rows(self, I: np.ndarray, J: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        k = np.searchsorted(self.keys, I * (len(self.doc.lw) + 1) + J)
        return tuple(v[k] for v in self.values)


class Engine:
    """Holds the loaded resources; :func:`check` uses a shared default instance."""

    def __init__(self, lm: LanguageModel | None = None, lexicon=None, params: Params = PARAMS):
        self.lm = lm or LanguageModel.default()
        if lexicon is None:
            try:
                from .lexicon import Lexicon

                lexicon = Lexicon.load()
            except (ImportError, FileNotFoundError):  # pragma: no cover - lexicon ships with the package
                lexicon = None
        self.lexicon = lexicon
        self.params = params
        self.calibration = _load_calibration()
        self._cands_cache: dict[str, _Cands | None] = {}
        self._arena = _Arena()  # the cached candidates' rows
        self._text_ids: dict[str, list[int]] = {}
        self._pairs_cache: dict[tuple[str, str], list] = {}
        self._mwe_cache: dict[str, bool] = {}
        self._tech_cache: dict[str, bool] = {}
        self._compound_cache: dict[str, bool] = {}
        self._noun_cache: dict[tuple[str, str], bool] = {}
        self._verb_cache: dict[str, bool] = {}
        self._rev_cache: dict[str, tuple] = {}
        self._half_cache: dict[tuple[str, str, bool], tuple] = {}
        self._prose_cache: dict[tuple[str, str], bool] = {}
        self._term_ids_cache: dict[tuple, frozenset[int]] = {}
        self._firsts_by_second: dict[str, set[str]] | None = None
        self._profile_cache: dict[int, tuple] = {}
        self._lock = threading.RLock()
        self._seconds: dict[str, set[str]] | None = None
        self._firsts: frozenset[str] | None = None

    @property
    def calibration(self) -> dict:
        """The fitted models (calibration.json). Assigning a new dict also refreshes the
        weight vectors the vectorised passes use (scripts/calibrate.py refits in rounds)."""
        return self._calibration

    @calibration.setter
    def calibration(self, cal: dict) -> None:
        weights = {m: self._weight_vector(m, cal) for m in ("local", "local_joint", "correct", "correct_joint")}
        lock = getattr(self, "_lock", None) or contextlib.nullcontext()
        with lock:  # a check running in another thread sees the old models or the new, never a mix
            self._calibration, self._weights = cal, weights

    def _weight_vector(self, model: str, cal: dict) -> np.ndarray:
        base = model.removesuffix("_joint")
        w = (model.endswith("_joint") and cal.get(model)) or cal.get(base) \
            or (DEFAULT_LOCAL if base == "local" else DEFAULT_CORRECT)
        return np.array([w.get(k, 0.0) for k in FEATURES + JOINT_FEATURES])

    # -- language-model passes ----------------------------------------------------------
    def _window(self, q: "_Queries", doc: _Doc, I: np.ndarray, J: np.ndarray, flat: np.ndarray,
                off: np.ndarray, lens: np.ndarray) -> "_Window":
        """Plan, for each row, tokens [I, J) replaced by the middle ``flat[off:off+lens]``:
        log10 P of the middle plus the (up to) two right-context words it conditions,
        given the left context (:meth:`LanguageModel.window_logprob`, vectorised).

        Comparing this for two middles of the same span tells which one the model
        prefers there. The queries go into ``q``; :meth:`_Window.result` reads them.
        """
        m = len(I)
        if m == 0:
            return _Window(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool), 0, q.add(*(np.zeros(0),) * 3))
        width = int(lens.max())
        seq = np.full((m, width + 4), -1, dtype=np.int64)
        seq[:, 0], seq[:, 1] = doc.L2[I], doc.L1[I]
        col = np.arange(width)
        inside = col[None, :] < lens[:, None]
        seq[:, 2:2 + width] = np.where(inside, flat[np.minimum(off[:, None] + col[None, :], len(flat) - 1)], -1)
        rows = np.arange(m)
        nr = doc.NR[J]
        seq[rows, 2 + lens] = doc.R1[J]
        seq[rows, 3 + lens] = np.where(nr == 2, doc.R2[J], -1)
        r, c = np.nonzero(np.arange(2, width + 4)[None, :] < (2 + lens + nr)[:, None])
        c += 2
        return _Window(r, c == 2, m, q.add(seq[r, c], seq[r, c - 1], seq[r, c - 2]))

    def _feature_matrix(self, doc: _Doc, I, J, win, first, spun, lens, channel, uni_cand, uni_first,
                        kind: str) -> np.ndarray:
        """Rows of FEATURES (+ JOINT_FEATURES, zero here) for candidates replacing spans [I, J).

        ``win, first`` are the candidates' window results, ``spun`` the observed
        spans' (window, context fit, mean unigram) rows (:class:`_Spun`).
        """
        s_win, s_fit, s_uni = spun
        g = win - s_win
        F = np.zeros((len(I), len(FEATURES) + len(JOINT_FEATURES)))
        F[:, 0] = 1.0
        F[:, 1] = g
        F[:, 2] = np.maximum(g, 0.0)
        F[:, 3] = channel
        F[:, 4] = s_fit
        F[:, 5] = first - uni_first  # how much the left context predicts the candidate
        F[:, 6] = s_uni
        F[:, 7] = uni_cand
        F[:, 8] = doc.name_like[I]
        F[:, 9] = (J - I) > 1
        F[:, 10] = lens > 1
        F[:, 11] = kind == "tortured"
        return F

    # -- what to score ------------------------------------------------------------------
    def _profile_hits(self, doc: _Doc, profiles: list[Profile]) -> list:
        """(profile, i, j, key, originals by count) for every profile key in the text."""
        lw = doc.lw
        n = len(lw)
        hits = []
        for prof in profiles:
            table, prefixes, _ = self._profile_state(prof)
            for i, key in enumerate(lw):
                if key in table:
                    hits.append((prof, i, i + 1, key))
                j = i + 1
                while key in prefixes and j < n:
                    key = key + " " + lw[j]
                    j += 1
                    # (what stands between the words is looked at only for a hit: rare)
                    if key in table and doc.same_part(i, j) and doc.whole_words(i, j) and doc.term_gaps(i, j):
                        hits.append((prof, i, j, key))
        return hits

    def _lexicon_entries(self, doc: _Doc) -> tuple[list[int], list[_Cands]]:
        """Content words with reverse-thesaurus candidates (positions and candidates)."""
        if self.lexicon is None:
            return [], []
        cache, lw = self._cands_cache, doc.lw
        # per-token work at C speed (map, identity tests): this runs on every token
        ents = list(map(cache.get, lw, itertools.repeat(_MISSING)))
        if _MISSING in ents:  # identity comparisons: _Cands compares by identity
            # Short words, function words and non-words get no candidates (cached as None).
            self._cands([w for w in dict.fromkeys(lw) if w not in cache
                         and not (len(w) < 3 or w in STOPWORDS or not w.isalpha())])
            for w in lw:
                if w not in cache:
                    cache[w] = None
            ents = list(map(cache.__getitem__, lw))
        has = np.fromiter(map(operator.is_not, ents, itertools.repeat(None)), dtype=bool, count=len(ents))
        tokens, shout = doc.tokens, doc.shout
        found = [i for i in np.flatnonzero(has).tolist()
                 if not (len(tokens[i].text) > 1 and tokens[i].text.isupper() and not shout[i])]  # acronyms
        return found, [ents[i] for i in found]

    def _phrase_entries(self, doc: _Doc) -> tuple[list[tuple[int, int]], list[_Cands]]:
        """Multi-word spun forms that are thesaurus entries ("financial institution" -> "bank")."""
        if self.lexicon is None:
            return [], []
        # not the parts of a split compound either: "sell-off" is no rendering of "market"
        cid = doc.cid
        spans = [(i, j) for i, j in self.lexicon.phrase_keys(doc.lw)
                 if doc.same_part(i, j) and (cid is None or max(cid[i:j]) < 0)]
        entries = self._cands([" ".join(doc.lw[i:j]) for i, j in spans])
        found = [(sp, e) for sp, e in zip(spans, entries) if e is not None and doc.term_gaps(*sp)]
        return [sp for sp, _ in found], [e for _, e in found]

    def _pair_starts(self, doc: _Doc, positions: list[int]) -> list[int]:
        """Positions i where words i and i+1, both with candidates, could be one spun term."""
        have = set(positions)
        return [i for i in positions if i + 1 in have and self._may_pair(doc, i)]

    def _may_pair(self, doc: _Doc, i: int) -> bool:
        """Words i and i+1 could be one spun term: same sentence, only space between (or
        the hyphen of a compound, :meth:`_split_compounds`; a comma or dash: not one
        term), word i not a verb (:meth:`_verb_only`), and the pair
        not written so in genuine technical prose (:meth:`_in_prose`)."""
        if doc.starts[i + 1]:
            return False
        cid = doc.cid  # (doc.whole_words(i, i + 2), inline: this runs for every candidate pair)
        if cid is None:
            if not doc.space_between(i):
                return False
        elif cid[i] != cid[i + 1] or (cid[i] < 0 and not doc.space_between(i)):
            return False
        lw = doc.lw
        return not self._verb_only(lw[i]) and not self._in_prose(lw[i], lw[i + 1])

    def _in_prose(self, w1: str, w2: str) -> bool:
        """The pair is written so in the scientific prose the term table was built from
        (:meth:`unspin.lexicon.Lexicon.in_prose`): genuine writing, not a tortured phrase.
        The news LM finds such pairs rare ("emotion recognition"), and re-scoring them
        against pairs of their synonyms ("love story") was a frequent false alarm."""
        got = self._prose_cache.get((w1, w2))
        if got is None:
            got = self._prose_cache[(w1, w2)] = self.lexicon is not None and self.lexicon.in_prose(w1, w2)
        return got

    def _verb_only(self, word: str) -> bool:
        """:meth:`unspin.lexicon.Lexicon.verb_only`, cached. Joint re-scoring restores
        terms, which are noun phrases; a verb and its object ("apply needy" in "we apply
        needy variable") is none, and reading it as one ("employ low") was the commonest
        false alarm on scientific text, often hiding the real term next to it."""
        got = self._verb_cache.get(word)
        if got is None:
            got = self._verb_cache[word] = self.lexicon is not None and self.lexicon.verb_only(word)
        return got

    def _half_pair_starts(self, doc: _Doc, positions: list[int]) -> list[int]:
        """Positions i where one of words i, i+1 has candidates and the other, which has
        none, can be part of a known term on that side ("dimensionality decrease" ->
        "dimensionality reduction"): tortured phrases often keep the technical word of a
        term and spin the common one, and the technical word is in no thesaurus."""
        if self.lexicon is None:
            return []
        have = set(positions)
        firsts, seconds = self._term_index(), self._term_seconds()
        lw, n, out = doc.lw, len(doc.lw), []
        for i in positions:
            for k, other_first in ((i - 1, True), (i + 1, False)):
                if not 0 <= k < n or k in have:
                    continue
                a = min(i, k)
                w = lw[k]
                if (w in firsts if other_first else w in seconds) and w not in STOPWORDS \
                        and self._may_pair(doc, a):
                    out.append(a)
        return sorted(set(out))

    # -- scoring --------------------------------------------------------------------------
    def _stack(self, I: np.ndarray, J: np.ndarray, entries: list[_Cands]) -> dict:
        """Every candidate of every span [I, J) as one set of arrays (group = span index)."""
        arena = self._arena
        counts = np.fromiter(map(len, (e.texts for e in entries)), dtype=np.int64, count=len(entries))
        row0 = np.fromiter((e.row0 for e in entries), dtype=np.int64, count=len(entries))
        grp = np.repeat(np.arange(len(entries)), counts)
        base = np.concatenate([[0], np.cumsum(counts)[:-1]])
        local = np.arange(len(grp)) - base[grp]
        rows = row0[grp] + local
        floats, ints = arena.floats[rows], arena.ints[rows]
        return {
            "counts": counts, "grp": grp, "local": local, "I": I, "J": J,
            "prior": floats[:, 0], "uni_mean": floats[:, 1], "uni_first": floats[:, 2],
            "first": ints[:, 0], "off": ints[:, 1], "lens": ints[:, 2], "tdesc": ints[:, 3],
            "flat": arena.flat[:arena.nflat],
        }

    def _shortlist_queries(self, q: "_Queries", doc: _Doc, st: dict) -> slice:
        """Plan the cheap first pass: log P(candidate's first word | two words before)."""
        I = st["I"][st["grp"]]
        return q.add(st["first"], doc.L1[I], doc.L2[I])

    def _shortlist(self, st: dict, v: np.ndarray, k: int) -> np.ndarray:
        """Rows kept by the first pass: each span's best ``k`` by that log-probability plus
        the channel prior, in that order (ties: text, descending), or all of a short list.

        Full features cost ~10 language-model lookups per candidate, this one (profiled:
        scoring every candidate in full was the hot loop of check()).
        """
        grp, local = st["grp"], st["local"]
        score = v + 0.4 * st["prior"] / LN10
        big = st["counts"][grp] > k
        return _group_topk(st["counts"], np.where(big, -score, 0.0), np.where(big, st["tdesc"], local), k)

    def _rank_rows(self, st: dict, sel: np.ndarray, F: np.ndarray, weights: str
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Log-odds of the scored rows, the rows sorted by span and then best first
        (stable), and where each span's rows start in that order (every span has some)."""
        lo = _matvec(F, self._weights[weights])
        counts = np.bincount(st["grp"][sel], minlength=len(st["counts"]))  # sel is in group order
        order = _group_topk(counts, -lo, np.arange(len(sel)), int(counts.max()) if len(counts) else 0)
        return lo, order, np.concatenate([[0], np.cumsum(counts)])

    def _doc(self, text: str) -> _Doc:
        tokens, truncated = tokenize_upto(text, MAX_WORDS)
        tokens = prose_tokens(text, tokens)  # never rewrite a URL's or an e-mail address's words
        groups: list[tuple[int, int]] = []
        if "-" in text:
            tokens, groups = self._split_compounds(tokens, text)
            if len(tokens) > MAX_WORDS:  # "a-a-a-..." must not get past the limit
                tokens, truncated = tokens[:MAX_WORDS], True
                groups = [(a, min(b, MAX_WORDS)) for a, b in groups if a < MAX_WORDS]
        doc = _Doc(text, tokens, self.lm, truncated=truncated)
        if groups:
            doc.mark_compounds(groups)
        return doc

    def _split_compounds(self, tokens: list[Token], text: str) -> tuple[list[Token], list[tuple[int, int]]]:
        """Hyphenated words that neither thesaurus nor the language model knows, as
        their parts, and where each split one now lies ([first, end) token ranges).

        A spinner swaps the parts of a compound one by one ("machine-mastering" for
        "machine-learning", "K-closest" for "K-nearest"), and only the parts have
        synonyms. Known compounds ("long-term", "well-known") stay whole: they are
        thesaurus entries in their own right; so do those with a number ("55-litre").
        """
        if not tokens:
            return tokens, []
        # the tokens with a hyphen, found from the text (a scan of every token cost more)
        starts = list(map(_FIRST, tokens))
        hyph = []
        for m in _HYPHENATED.finditer(text, 0, tokens[-1][1]):
            k = bisect.bisect_right(starts, m.start()) - 1
            if k >= 0 and m.start() < tokens[k][1] and (not hyph or hyph[-1] != k):
                hyph.append(k)  # (a hyphen in a dropped token, e.g. inside a URL, is no compound)
        if not hyph:
            return tokens, []
        out: list[Token] = []
        groups: list[tuple[int, int]] = []
        done = 0
        for k in hyph:
            t = tokens[k]
            if self._whole_compound(t.text):
                continue
            out += tokens[done:k]
            first, pos = len(out), t.start
            for part in t.text.split("-"):
                out.append(Token(pos, pos + len(part), part))
                pos += len(part) + 1
            groups.append((first, len(out)))
            done = k + 1
        return (tokens, []) if not done else (out + tokens[done:], groups)

    def _whole_compound(self, word: str) -> bool:
        low = word.lower()
        got = self._compound_cache.get(low)
        if got is None:
            got = self._compound_cache[low] = bool(
                any(c.isdigit() for c in low) or low in self.lm.trie.word_index
                or (self.lexicon is not None and self.lexicon.is_known(low)))
        return got

    def proposals(self, text: str, profile="auto", floor: float = -math.inf) -> tuple[_Doc, list[_Proposal]]:
        """Scored proposals before selection: all of them (used by calibration), or only
        thesaurus proposals with log-odds >= ``floor`` (check() skips what it cannot report)."""
        with self._lock:
            doc = self._doc(text)
            return doc, self._propose_docs([doc], resolve(profile), floor)[0]

    def _propose(self, doc: _Doc, profiles: list[Profile], floor: float, shift: float = 0.0) -> list[_Proposal]:
        """Proposals for a (possibly combined, :meth:`_Doc.combine`) document: profile
        proposals with log-odds >= ``floor``, thesaurus ones >= ``floor - shift``.

        The language model is queried in four vectorised passes per document (each
        pass has a fixed numpy cost, so scorers share them): (1) the observed spans,
        the thesaurus shortlist, phrase and profile candidates; (2) the shortlisted
        single-word candidates; (3) candidate pairs for joint re-scoring; (4) their
        context windows.
        """
        p = self.params
        # Bound the per-string caches on long corpus runs (only between documents:
        # the scorers below rely on entries they just added).
        if len(self._cands_cache) > CANDS_CACHE_LIMIT:
            self._clear_cands()
        for cache, limit in self._bounded_caches():
            if len(cache) > limit:
                cache.clear()
        hits = self._profile_hits(doc, profiles)
        positions, lex_entries = self._lexicon_entries(doc)
        phr_spans, phr_entries = self._phrase_entries(doc)
        pair_starts = sorted(set(self._pair_starts(doc, positions)) | set(self._half_pair_starts(doc, positions)))
        # every span any scorer looks at, as arrays (lists of tuples convert slowly)
        pos = np.array(positions, dtype=np.int64)
        phr_ij = np.array(phr_spans, dtype=np.int64).reshape(-1, 2)
        hit_ij = np.array([(i, j) for _, i, j, _ in hits], dtype=np.int64).reshape(-1, 2)
        idx = np.array(pair_starts, dtype=np.int64)
        spun = _Spun(self, doc, np.concatenate([pos, phr_ij[:, 0], hit_ij[:, 0], idx]),
                     np.concatenate([pos + 1, phr_ij[:, 1], hit_ij[:, 1], idx + 2]))
        # pass 1
        q = _Queries()
        spun.plan(q)
        lex = phr = None
        if lex_entries:
            lex = self._stack(pos, pos + 1, lex_entries)
            lex["entries"] = lex_entries
            sl_short = self._shortlist_queries(q, doc, lex)
        if phr_entries:
            phr = self._stack(phr_ij[:, 0], phr_ij[:, 1], phr_entries)
            phr_win = self._window(q, doc, phr["I"][phr["grp"]], phr["J"][phr["grp"]], phr["flat"], phr["off"],
                                   phr["lens"])
        keys = [self._profile_key(prof, key) for prof, _, _, key in hits]  # once per hit: both uses below
        prof_rows = [(i, j, orig) for (_, i, j, _), (ranked, _, _) in zip(hits, keys) for orig, _ in ranked]
        prof_I = np.array([r[0] for r in prof_rows], dtype=np.int64)
        prof_J = np.array([r[1] for r in prof_rows], dtype=np.int64)
        prof_win = self._window(q, doc, prof_I, prof_J,
                                *_ragged([self._word_ids(r[2]) for r in prof_rows]))
        sl_pmi = q.add(doc.ids[idx + 1], doc.ids[idx], np.full(len(idx), -1))
        q.run(self.lm)
        spun.finish(q)

        props = self._profile_proposals(hits, keys, prof_win.result(q)[0] - spun.rows(prof_I, prof_J)[0], floor)
        floor -= shift  # thesaurus proposals may be shifted for a text judged spun (_report)
        ranked: dict[int, _Cands] = {}
        if lex is not None:
            # pass 2
            sel = self._shortlist(lex, q[sl_short], p.shortlist)
            q2 = _Queries()
            I, J = lex["I"][lex["grp"][sel]], lex["J"][lex["grp"][sel]]
            win = self._window(q2, doc, I, J, lex["flat"], lex["off"][sel], lex["lens"][sel])
            q2.run(self.lm)
            F = self._feature_matrix(doc, I, J, *win.result(q2), spun.rows(I, J), lex["lens"][sel],
                                     lex["prior"][sel], lex["uni_mean"][sel], lex["uni_first"][sel], "substitution")
            props += self._lexicon_proposals(doc, lex, sel, F, ranked, floor)
        if phr is not None:
            I, J = phr["I"][phr["grp"]], phr["J"][phr["grp"]]
            F = self._feature_matrix(doc, I, J, *phr_win.result(q), spun.rows(I, J), phr["lens"], phr["prior"],
                                     phr["uni_mean"], phr["uni_first"], "phrase")
            props += self._phrase_proposals(doc, phr, phr_entries, F, floor)
        spun_pmi = dict(zip(pair_starts, (q[sl_pmi] - self.lm.unigram_batch(doc.ids[idx + 1])).tolist()))
        props += self._joint_proposals(doc, ranked, spun_pmi, spun, floor)
        return self._drop_prose_words(doc, self._drop_inside_terms(doc, props))

    def _drop_prose_words(self, doc: _Doc, props: list[_Proposal]) -> list[_Proposal]:
        """Drop single-word thesaurus proposals for a word that forms, with a neighbour
        (neither a stopword), a pair written so in genuine technical prose
        (:meth:`_in_prose`): "segmentation" in "segmentation method" is the writer's
        word, however much likelier the news LM finds "division". Likewise a thesaurus
        phrase proposal on two words that stand side by side so in technical prose
        ("computed tomography" is not the spinner's "cat"; "financial institution" for
        "bank" is not in that prose and stays).
        Profile proposals (a spinner's learned habits) are kept."""
        lw, n = doc.lw, len(doc.lw)

        def prose(a: int) -> bool:  # tokens a, a+1
            return (0 <= a < n - 1 and lw[a] not in STOPWORDS and lw[a + 1] not in STOPWORDS
                    and doc.space_between(a) and self._in_prose(lw[a], lw[a + 1]))

        return [p for p in props
                if not ((p.kind in ("substitution", "name") and p.j - p.i == 1 and (prose(p.i - 1) or prose(p.i)))
                        or (p.kind == "phrase" and p.j - p.i == 2 and prose(p.i)))]

    def _drop_inside_terms(self, doc: _Doc, props: list[_Proposal]) -> list[_Proposal]:
        """Drop thesaurus proposals whose every word belongs to a technical term as
        written ("gradient boosting", "principal component analysis").

        The news-trained LM finds such terms rare and their words' synonyms likelier
        ("bank building"), which made them the main false alarm in scientific text. A
        spinner that rewrites a word rarely lands on a term of the field, so a term
        seen in the text is taken as written. A word or pair next to a term counts as
        part of it; a longer phrase only if all its words are in terms ("quick time
        period" stays: the spinner's rendering of "short term" merely contains the term
        "time period"). Only the proposals' neighbourhoods are looked up, so this costs
        a few dict probes per proposal.
        """
        if not props or self.lexicon is None:
            return props
        lw, n = doc.lw, len(doc.lw)
        firsts = self._term_firsts()
        memo: dict[int, bool] = {}

        def term_at(k: int) -> bool:  # tokens k, k+1 form a known term (white space or a hyphen between)
            got = memo.get(k)
            if got is None:  # the cheap tests first: most words start no term
                got = memo[k] = (0 <= k < n - 1 and lw[k] in firsts
                                 and self._is_tech_term(f"{lw[k]} {lw[k + 1]}") and _term_gap(doc.gap(k)))
            return got

        def in_term(t: int) -> bool:
            return term_at(t - 1) or term_at(t)

        def inside(p: _Proposal) -> bool:
            i, j = p.i, p.j
            if j - i == 1:  # a word or pair next to or in a term: part of it
                return term_at(i - 1) or term_at(i)
            if j - i == 2:
                return term_at(i - 1) or term_at(i) or term_at(i + 1)
            return all(in_term(t) for t in range(i, j))  # a longer phrase: only if all of it

        return [p for p in props if not inside(p)]

    def _term_firsts(self) -> frozenset[str]:
        """First words of the technical terms (a cheap filter before the term lookup)."""
        if self._firsts is None:
            self._firsts = frozenset(t.partition(" ")[0] for t in self.lexicon.terms)
        return self._firsts

    def _term_seconds(self) -> dict[str, set[str]]:
        """The two-word terms (thesaurus entries and technical terms) by second word: the
        first words each second word follows, built on first use."""
        if self._firsts_by_second is None:
            by: dict[str, set[str]] = {}
            for a, bs in self._term_index().items():
                for b in bs:
                    by.setdefault(b, set()).add(a)
            self._firsts_by_second = by  # published complete
        return self._firsts_by_second

    def _noun_phrase(self, a: str, b: str) -> bool:
        """A thesaurus entry "a b" that reads as a noun phrase: a WordNet noun, or a Moby
        entry whose first word cannot be a verb. Tortured phrases disguise terms, which
        are nouns; Moby also lists verb phrases ("nurse resentment" for "begrudge"),
        and preferring one gave "bosom malignancy" -> "nurse resentment"."""
        got = self._noun_cache.get((a, b))
        if got is None:
            lex = self.lexicon
            got = self._noun_cache[(a, b)] = bool(lex.pos_bits(f"{a} {b}") & 1) or not lex.pos_bits(a) & 2
        return got

    def _is_tech_term(self, phrase: str) -> bool:
        got = self._tech_cache.get(phrase)
        if got is None:
            got = self._tech_cache[phrase] = self.lexicon.is_term(phrase)
        return got

    def _word_ids(self, text: str) -> tuple[int, ...]:
        got = self._text_ids.get(text)
        if got is None:  # a tuple: the GC stops scanning it, unlike a list (~10^5 cached)
            get = self.lm.trie.word_index.get
            got = self._text_ids[text] = tuple(get(w, -1) for w in text.split())
        return got

    def _profile_proposals(self, hits: list, keys: list, gains_arr: np.ndarray,
                           floor: float = -math.inf) -> list[_Proposal]:
        """One proposal per profile key found: the original (of those the profile saw it
        replace) with the best log-odds = prior + log share + weighted LM preference.
        Keys whose best is below ``floor`` (what check() cannot report; a little slack
        for the rounding of confidences) are skipped before their explanation is built:
        in a long corpus run most profile keys are ordinary words left as written."""
        floor -= 1e-3
        p = self.params
        gains = gains_arr.tolist()
        out: list[_Proposal] = []
        k = 0
        for (prof, i, j, key), (ranked, total, prior) in zip(hits, keys):
            best = None
            for orig, count in ranked:
                g = gains[k]
                k += 1
                lo = prior + math.log(count / total) + p.lm_weight * LN10 * g
                if best is None or lo > best[0]:
                    best = (lo, orig, count, g)
            lo, orig, count, g = best
            if lo < floor:
                continue
            alts = [o for o, _ in ranked if o != orig]
            reason = (f"spinner profile '{prof.name}': '{key}' replaced '{orig}' {count}x in learned "
                      f"examples; the language model {'prefers' if g > 0 else 'does not prefer'} "
                      f"'{orig}' here ({g:+.1f} log10)")
            out.append(_Proposal(i, j, orig, alts, lo, reason, "profile", profile=prof.name))
        return out

    def _lexicon_proposals(self, doc: _Doc, st: dict, sel: np.ndarray, F: np.ndarray,
                           ranked: dict[int, _Cands], floor: float) -> list[_Proposal]:
        """Single-word reverse-thesaurus proposals (log-odds >= ``floor``); fills ``ranked``
        with the words that take part in joint re-scoring."""
        p = self.params
        lo, order, starts = self._rank_rows(st, sel, F, "local")
        local_sel = st["local"][sel]
        best_rows = order[starts[:-1]]
        best_lo = lo[best_rows]
        I, entries = st["I"].tolist(), st["entries"]
        # Joint re-scoring uses the context-free ranking: in a tortured phrase the
        # neighbour is spun too, so single-word context scores mislead. Only words
        # with some single-word evidence take part (it bounds the pair search).
        for k in np.nonzero(best_lo >= p.joint_min_logodds)[0].tolist():
            ranked[I[k]] = entries[k]
        out: list[_Proposal] = []
        for k in np.nonzero(best_lo >= floor)[0].tolist():
            i, e = I[k], entries[k]
            rows = order[starts[k]:starts[k + 1]].tolist()
            rows.sort(key=lambda r: -(F[r, _GAIN] * LN10 + F[r, _CHANNEL]))
            best = rows[0]
            text = e.texts[local_sel[best]]
            f = dict(zip(FEATURES, F[best].tolist()))
            kind = "name" if f["name"] else "substitution"
            g = f["gain"]
            w = doc.lw[i]
            reason = (f"unusual word here; '{w}' is a thesaurus synonym of '{text}', which is "
                      f"{10 ** g:.0f}x more likely in this context" if g > 0 else
                      f"'{w}' is a thesaurus synonym of '{text}'")
            alts = [e.texts[local_sel[r]] for r in rows[1:4]]
            out.append(_Proposal(i, i + 1, text, alts, float(best_lo[k]), reason, kind, f))
        return out

    def _phrase_proposals(self, doc: _Doc, st: dict, entries: list[_Cands], F: np.ndarray,
                          floor: float) -> list[_Proposal]:
        lo, order, starts = self._rank_rows(st, np.arange(len(st["grp"])), F, "local")
        local = st["local"]
        out: list[_Proposal] = []
        for k, (i, j, e) in enumerate(zip(st["I"].tolist(), st["J"].tolist(), entries)):
            rows = order[starts[k]:starts[k + 1]].tolist()
            if lo[rows[0]] < floor:  # best first: nothing of this span can be reported
                continue
            words = doc.lw[i:j]
            rows = [r for r in rows if not _contracts(words, e.texts[int(local[r])])]
            if not rows or lo[rows[0]] < floor:
                continue
            best = rows[0]
            text = e.texts[int(local[best])]
            f = dict(zip(FEATURES, F[best].tolist()))
            g = f["gain"]
            key = " ".join(words)
            reason = (f"'{key}' is a thesaurus rendering of '{text}', {10 ** g:.0f}x more likely here" if g > 0
                      else f"'{key}' is a thesaurus rendering of '{text}'")
            alts = [e.texts[int(local[r])] for r in rows[1:4]]
            out.append(_Proposal(i, j, text, alts, float(lo[best]), reason, "phrase", f))
        return out

    def _joint_proposals(self, doc: _Doc, ranked: dict[int, _Cands], spun_pmi: dict[int, float],
                         spun: "_Spun", floor: float = -math.inf) -> list[_Proposal]:
        """Re-score adjacent suspicious words together: tortured phrases swap every word of a term.

        Neither "counterfeit" nor "consciousness" alone looks better as "artificial" or
        "intelligence" when its neighbour is spun too; the pair does, because
        "artificial intelligence" is a strong collocation and "counterfeit
        consciousness" is none. Pairs of candidates are ranked by that collocation
        strength first (:meth:`_pair_searches`), and only the best few get full
        context features.
        """
        p = self.params
        # the observed pair must not itself be a collocation ("interest rates")
        keep = [(i, spun_pmi[i]) for i in sorted(ranked)
                if i in spun_pmi and i + 1 in ranked and spun_pmi[i] <= p.joint_max_spun_pmi]
        searches = self._pair_searches([(doc.lw[i], doc.lw[i + 1], ranked[i], ranked[i + 1]) for i, _ in keep])
        rows = [(i, s, pmi, a, b, ch) for (i, s), pairs in zip(keep, searches) for pmi, a, b, ch in pairs]
        # one side kept, the other word without candidates: only known terms are targets
        for i, s in spun_pmi.items():
            if s > p.joint_max_spun_pmi or (i in ranked) == (i + 1 in ranked):
                continue
            w1, w2 = doc.lw[i], doc.lw[i + 1]
            key = (w1, w2, i in ranked)  # the candidates follow from the words, as for full pairs
            got = self._half_cache.get(key)
            if got is None:
                lc = ranked.get(i) or _KEEP_ONLY
                rc = ranked.get(i + 1) or _KEEP_ONLY
                got = self._half_cache[key] = tuple((self._pair_pmi(a, b), a, b, ch)
                                                    for a, b, ch in self._term_pairs(w1, w2, lc, rc))
            rows += [(i, s, pmi, a, b, ch) for pmi, a, b, ch in got]
        if not rows:
            return []
        I = np.array([r[0] for r in rows], dtype=np.int64)
        J = I + 2
        ab = np.array([w for r in rows for w in (*self._word_ids(r[3]), *self._word_ids(r[4]))], dtype=np.int64)
        uni = self.lm.unigram_batch(ab)
        q = _Queries()
        win = self._window(q, doc, I, J, ab, np.arange(0, len(ab), 2), np.full(len(rows), 2))
        q.run(self.lm)
        F = self._feature_matrix(doc, I, J, *win.result(q), spun.rows(I, J), np.full(len(rows), 2),
                                 np.array([r[5] for r in rows]), (uni[0::2] + uni[1::2]) / 2, uni[0::2], "tortured")
        phrases = [f"{r[3]} {r[4]}" for r in rows]
        F[:, 12] = list(map(self._is_mwe, phrases))
        F[:, 13] = [r[2] for r in rows]
        F[:, 14] = [r[1] for r in rows]
        F[:, 15] = list(map(self._is_tech_term, phrases))
        lo = _matvec(F, self._weights["local_joint"]).tolist()
        # A pair that is a known term explains the text better than a mere collocation
        # the news LM prefers, and a technical term better than a general one: tortured
        # phrases disguise terms of a field ("random forest", not WordNet's "common
        # ground", for "irregular woodland"). Only the suggestion follows this order;
        # the confidence that the pair was spun is the best pair's score, as before.
        known = [(F[k, 15] > 0, F[k, 12] > 0 and self._noun_phrase(r[3], r[4])) for k, r in enumerate(rows)]
        # Among a span's readings the suggestion is the likeliest original: LM preference
        # in context times the channel prior (noisy channel). The detection score ranks
        # readings by how suspicious the *span* looks, which is not the same question
        # (it learned that a strong candidate collocation is common in clean text too,
        # and chose "sound holes" over "safe havens" for "secure sanctuaries").
        fit = (F[:, _GAIN] * LN10 + F[:, _CHANNEL]).tolist()
        best: dict[int, int] = {}   # the suggestion
        top: dict[int, float] = {}  # the evidence that the pair was spun at all: its best score
        readings: dict[int, list[int]] = {}  # every reading of a span, for the alternatives
        for k, r in enumerate(rows):
            b = best.get(r[0])
            if b is None or (known[k], fit[k]) > (known[b], fit[b]):
                best[r[0]] = k
            top[r[0]] = max(top.get(r[0], -math.inf), lo[k])
            readings.setdefault(r[0], []).append(k)
        # A pair that keeps one word and restores the other as an overlapping pair does,
        # which restores both, is part of that pair's reading ("woodland classifier" ->
        # "forest classifier" beside "irregular woodland" -> "random forest"): it is
        # dropped, and the neighbour gets its confidence if that is higher (the same
        # evidence that the shared word was spun), so the span is never lost.
        lw = doc.lw
        sugg = {i: (rows[k][3], rows[k][4]) for i, k in best.items()}

        def both(i: int) -> bool:
            return i in sugg and sugg[i][0] != lw[i] and sugg[i][1] != lw[i + 1]

        def subsumed(i: int) -> int | None:
            """The neighbour whose reading contains this pair's, if any."""
            a, b = sugg[i]
            if b == lw[i + 1] and a != lw[i] and both(i - 1) and sugg[i - 1][1] == a:  # i restored, i+1 kept
                return i - 1
            if a == lw[i] and b != lw[i + 1] and both(i + 1) and sugg[i + 1][0] == b:  # i+1 restored, i kept
                return i + 1
            return None

        merged = {i: n for i in best for n in (subsumed(i),) if n is not None}
        for i, n in merged.items():  # its evidence for the shared word goes to the neighbour
            top[n] = max(top[n], top[i])
        best = {i: k for i, k in best.items() if i not in merged}
        out: list[_Proposal] = []
        names = FEATURES + JOINT_FEATURES
        for i, k in best.items():
            if top[i] < floor:  # as for single words: what check() cannot report is not built
                continue
            f = dict(zip(names, F[k].tolist()))
            text = f"{rows[k][3]} {rows[k][4]}"
            w1, w2 = doc.lw[i], doc.lw[i + 1]
            known_term = " (a known term)" if any(known[k]) else ""
            reason = (f"rare collocation; '{text}'{known_term} is a common pairing of their synonyms "
                      f"and {10 ** f['gain']:.0f}x more likely than '{w1} {w2}' here" if f["gain"] > 0 else
                      f"rare collocation '{w1} {w2}'; '{text}'{known_term} pairs their synonyms")
            others = sorted(readings[i], key=lambda x: (known[x], fit[x]), reverse=True)
            alts = list(dict.fromkeys(f"{rows[x][3]} {rows[x][4]}" for x in others))
            alts = [t for t in alts if t not in (text, f"{w1} {w2}")][:JOINT_ALTERNATIVES]
            out.append(_Proposal(i, i + 2, text, alts, top[i], reason, "tortured", f))
        return out

    def _cands(self, keys: list[str]) -> list[_Cands | None]:
        """Reverse-thesaurus candidates of each key, best first by channel prior x how
        common the word is, as arrays (cached per string across documents).

        Rare words win on the channel prior alone (few synonyms each), but spinners
        replace ordinary words, so the unigram probability breaks ties. The ranking is
        precomputed at build time (``scripts/build_lexicon.py``), so this is a table
        slice; the keys a document adds to the cache are converted together.
        """
        cache = self._cands_cache
        missing = [k for k in dict.fromkeys(keys) if k not in cache]
        if missing:
            self._add_cands(missing)
        return [cache[k] for k in keys]

    def _add_cands(self, keys: list[str]) -> None:
        n, lex = self.params.max_candidates, self.lexicon
        full = [lex.ranked_texts(k, n) if lex is not None else [] for k in keys]
        lists = [cands[: self.params.scored_candidates] for cands in full]  # the arena rows: scored alone
        items = [self._word_ids(text) for cands in lists for text, _ in cands]
        if not items:
            for key in keys:
                self._cands_cache[key] = None
            return
        flat_all, off_all, lens_all = _ragged(items)
        uni = self.lm.unigram_batch(flat_all)
        csum = np.concatenate([[0.0], np.cumsum(uni)])
        uni_mean_all = (csum[off_all + lens_all] - csum[off_all]) / np.maximum(lens_all, 1)
        tdesc_all = np.empty(len(items), dtype=np.int64)
        prior_all = np.fromiter((lp for cands in lists for _, lp in cands), dtype=np.float64, count=len(items))
        row0 = self._arena.add(np.column_stack([prior_all, uni_mean_all, uni[off_all]]),
                               np.column_stack([flat_all[off_all], off_all, lens_all, tdesc_all]), flat_all)
        ints = self._arena.ints
        k0 = 0
        for key, cands, every in zip(keys, lists, full):
            if not cands:
                self._cands_cache[key] = None
                continue
            m = len(cands)
            texts = tuple(t for t, _ in cands)
            tdesc = np.empty(m, dtype=np.int64)
            tdesc[sorted(range(m), key=texts.__getitem__, reverse=True)] = np.arange(m)
            ints[row0 + k0:row0 + k0 + m, 3] = tdesc
            # the candidates' own tuples, not copies: these lists live in a cache of 200k keys
            term_opts = tuple(c for c in every if " " not in c[0] and c[0] not in STOPWORDS)
            joint = tuple(c for c in every[: self.params.joint_candidates] if " " not in c[0] and c[0] not in STOPWORDS)
            self._cands_cache[key] = _Cands(texts, row0 + k0, joint, term_opts)
            k0 += m

    def _profile_state(self, prof: Profile) -> tuple[dict, set[str], dict]:
        """Per-profile caches: the keys that have originals, every proper word prefix of
        the multi-word keys, and per key (originals by count, their total, prior
        log-odds) once computed. Rebuilt when the profile's size, number of seen keys,
        word or pair count changes (a Profile changed in place otherwise, e.g. one count
        edited, needs a new Engine or a copy); the entry holds the profile itself, so
        its id cannot be reused while cached."""
        stamp = (len(prof.table), len(prof.seen), prof.words, prof.pairs)
        got = self._profile_cache.get(id(prof))
        if got is None or got[0] is not prof or got[1] != stamp:
            prefixes = set()
            for key in prof.table:
                parts = key.split(" ")
                prefixes.update(" ".join(parts[:n]) for n in range(1, len(parts)))
            if len(self._profile_cache) > 64:
                self._profile_cache.clear()
            table = {k: v for k, v in prof.table.items() if v}
            got = self._profile_cache[id(prof)] = (prof, stamp, table, prefixes, {})
        return got[2], got[3], got[4]

    def _profile_key(self, prof: Profile, key: str) -> tuple[list[tuple[str, int]], int, float]:
        """(originals by count, their total, prior log-odds) of a profile key, cached."""
        keys = self._profile_state(prof)[2]
        got = keys.get(key)
        if got is None:
            ranked = sorted(prof.table[key].items(), key=lambda kv: -kv[1])
            got = keys[key] = (ranked, sum(c for _, c in ranked), profile_prior(prof, key, self.lm))
        return got

    def _term_index(self) -> dict[str, set[str]]:
        """Two-word thesaurus entries and technical terms by first word, built on first
        use (~0.1 s)."""
        if self._seconds is None:
            seconds: dict[str, set[str]] = {}
            for t in itertools.chain(self.lexicon.ids, self.lexicon.terms):
                a, sep, b = t.partition(" ")
                if sep and " " not in b:
                    seconds.setdefault(a, set()).add(b)
            self._seconds = seconds  # published complete
        return self._seconds

    def _term_pairs(self, w1: str, w2: str, lc: "_Cands", rc: "_Cands", limit: int = 2):
        """Pairs of candidates (each word may also stay) that form a known term: a
        multi-word thesaurus entry ("artificial intelligence") or a technical term
        ("random forest"), technical terms first, then in candidate order; at most
        ``limit``. The observed pair itself is not returned."""
        if self.lexicon is None:
            return []
        second_words = self._term_index()
        right, forms = rc.by_form()
        w2_forms = (w2, *singulars(w2))
        out = []
        for a, lpa in ((w1, KEEP_PRIOR), *lc.term_firsts(second_words)):
            seconds = second_words.get(a)
            if not seconds:
                continue
            # (set methods, not generator expressions: this runs ~12 times per new word pair)
            if not seconds.isdisjoint(w2_forms) and a != w1 and a != w2:  # keep the right-hand word
                out.append((-1, a, w2, lpa + KEEP_PRIOR))
            if seconds.isdisjoint(forms):
                continue
            hits = sorted({k for x in seconds & forms for k in right[x]})
            for k in hits:  # in candidate order
                b, lpb = rc.term_opts[k]
                if a != b:
                    out.append((k, a, b, lpa + lpb))
        # One side kept, the other restored to a word the candidate lists do not reach
        # (they keep ~25 of up to 400): the term narrows the search enough to allow every
        # reverse-thesaurus original ("spinal string": "cord" is not among the candidates
        # of "string", but "spinal cord" is a term and the thesauri list "string" for "cord").
        seen = {(a, b) for _, a, b, _ in out}
        for a, b, ch in self._far_term_pairs(w1, w2, w2_forms, second_words):
            if (a, b) not in seen:
                seen.add((a, b))
                out.append((len(out) + 1000, a, b, ch))
        if len(out) > 1:
            out.sort(key=lambda t: not self._is_tech_term(f"{t[1]} {t[2]}"))  # stable: order kept otherwise
        return [(a, b, ch) for _, a, b, ch in out[:limit]]

    def _far_term_pairs(self, w1: str, w2: str, w2_forms: tuple[str, ...], second_words: dict[str, set[str]]):
        """(a, b, channel) known terms with one of w1, w2 kept and the other any of its
        reverse-thesaurus originals, best channel prior first. Intersections of string
        ids, smaller side iterated: most pairs have no hit, so no string is built."""
        lex, out = self.lexicon, []
        if w1 not in STOPWORDS and w2 not in STOPWORDS:
            left = self._term_word_ids(w1, False)  # w1 kept: the second words it starts terms with
            if left:
                for tag, rev in self._rev_ids(w2):
                    for o in _common(left, rev):
                        b = lex.strings[o]
                        b = inflect(b, tag) if tag else b
                        if b and b != w1 and b != w2:
                            out.append((lex.channel_logprior(o, rev[o]) + KEEP_PRIOR, w1, b))
            right = self._term_word_ids(w2_forms, True)  # w2 kept: the first words of its terms
            if right:
                tag, rev = self._rev_ids(w1)[0]  # as written: a first word is not inflected
                for o in _common(right, rev):
                    a = lex.strings[o]
                    if a != w2:
                        out.append((lex.channel_logprior(o, rev[o]) + KEEP_PRIOR, a, w2))
        out.sort(key=lambda t: (-t[0], t[1], t[2]))
        best: dict[tuple[str, str], float] = {}
        for ch, a, b in out:  # one per pair (a lemma and the word itself can both reach it)
            best.setdefault((a, b), ch)
        return [(a, b, ch) for (a, b), ch in best.items()]

    def _rev_ids(self, word: str) -> tuple[tuple[str | None, dict[int, int]], ...]:
        """((penn tag or None, {string id: source bits}), ...): the reverse-thesaurus
        originals of ``word`` as written (tag None, first) and of each of its lemmas, cached."""
        got = self._rev_cache.get(word)
        if got is None:
            got = self._rev_cache[word] = tuple(
                (tag, self.lexicon.reverse_ids(key))
                for key, tag in ((word, None), *((lemma, t) for lemma, t, _ in analyses(word))))
        return got

    def _term_word_ids(self, key, first: bool) -> frozenset[int]:
        """String ids of the second words of the terms ``key`` starts (``first`` False),
        or of the first words of the terms that end in one of the forms ``key``."""
        got = self._term_ids_cache.get((key, first))
        if got is None:
            words = self._term_firsts_of(key) if first else self._term_index().get(key, ())
            ids = self.lexicon.ids
            got = self._term_ids_cache[(key, first)] = frozenset(ids[w] for w in words if w in ids)
        return got

    def _term_firsts_of(self, forms: tuple[str, ...]) -> set[str]:
        """First words of the known terms whose second word is one of ``forms``."""
        by, got = self._term_seconds(), set()
        for f in forms:
            got |= by.get(f, set())
        return got

    def _pair_searches(self, jobs: list[tuple[str, str, _Cands, _Cands]]) -> list[tuple[tuple[float, str, str, float], ...]]:
        """For each adjacent word pair, the candidate pairs worth full features:
        (collocation strength, a, b, channel), strongest first.

        Each side may also keep its word: many tortured phrases spin only one word
        of a term ("liver disappointment" for "liver failure"). All combinations are
        ranked by collocation strength log10 P(b|a) - log10 P(b) (hundreds per pair,
        one vectorised pass for the whole document); only the best few that form a
        collocation are kept. Known multi-word terms among the combinations are kept
        whatever the LM thinks: a news-trained LM does not know most technical terms.
        The result depends on the two words only, so it is cached across documents.
        """
        p = self.params
        results: list = [None] * len(jobs)
        todo = []
        for k, (w1, w2, lc, rc) in enumerate(jobs):
            hit = self._pairs_cache.get((w1, w2))
            if hit is not None:
                results[k] = hit
                continue
            left = [(w1, KEEP_PRIOR), *lc.joint]
            right = [(w2, KEEP_PRIOR), *rc.joint]
            todo.append((k, w1, w2, left, right, lc, rc))
        if todo:
            # every pair's left x right combinations, built in one vectorised pass
            wid = self.lm.trie.word_index.get
            la: list[int] = []
            rb: list[int] = []
            na, nb = [], []
            for _, w1, w2, left, right, lc, rc in todo:
                la.append(wid(w1, -1))
                la += self._joint_ids(lc)
                rb.append(wid(w2, -1))
                rb += self._joint_ids(rc)
                na.append(len(left))
                nb.append(len(right))
            na_, nb_ = np.array(na, dtype=np.int64), np.array(nb, dtype=np.int64)
            sizes = na_ * nb_
            pair = np.repeat(np.arange(len(todo)), sizes)
            r = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            A = np.array(la, dtype=np.int64)[np.repeat(np.cumsum(na_) - na_, sizes) + r // nb_[pair]]
            B = np.array(rb, dtype=np.int64)[np.repeat(np.cumsum(nb_) - nb_, sizes) + r % nb_[pair]]
            pmi_all = self.lm.batch_logprob(B, A, -1) - self.lm.unigram_batch(B)
            bounds = np.cumsum(sizes)[:-1]
            for (k, w1, w2, left, right, lc, rc), pmi in zip(todo, np.split(pmi_all, bounds)):
                nb = len(right)
                pairs = []
                for r in np.nonzero(pmi >= p.joint_min_pmi)[0].tolist():
                    (a, lpa), (b, lpb) = left[r // nb], right[r % nb]
                    if (a == w1 and b == w2) or a == b:  # unchanged, or a doubled word ("drop drop")
                        continue
                    pairs.append((float(pmi[r]), a, b, lpa + lpb))
                pairs = sorted(pairs, reverse=True)[: p.joint_keep]
                seen = {(a, b) for _, a, b, _ in pairs}
                # known terms are looked for among all candidates, not only the top few
                # the LM search affords ("irregular" -> "random" is 18th of 25)
                for a, b, channel in self._term_pairs(w1, w2, lc, rc):
                    if (a, b) not in seen:
                        pairs.append((self._pair_pmi(a, b), a, b, channel))
                self._pairs_cache[(w1, w2)] = results[k] = tuple(pairs)
        return results

    def _joint_ids(self, c: _Cands) -> tuple[int, ...]:
        """LM ids of ``c.joint``'s words, computed once per cached string."""
        if c.joint_ids is None:
            wid = self.lm.trie.word_index.get
            c.joint_ids = tuple(wid(a, -1) for a, _ in c.joint)
        return c.joint_ids

    def _pair_pmi(self, a: str, b: str) -> float:
        """Collocation strength log10 P(b|a) - log10 P(b): high for terms like 'random forest'."""
        return self.lm.logprob(b, (a,)) - self.lm.logprob(b)

    def _is_mwe(self, phrase: str) -> bool:
        got = self._mwe_cache.get(phrase)
        if got is None:
            got = self._mwe_cache[phrase] = self.lexicon is not None and self.lexicon.is_mwe(phrase)
        return got

    def _local_logodds(self, feats: dict[str, float], model: str = "local") -> float:
        """Log-odds from a fitted linear model; joint pairs have their own weights."""
        cal = self.calibration
        w = (feats.get("joint") and cal.get(model + "_joint")) or cal.get(model) \
            or (DEFAULT_LOCAL if model == "local" else DEFAULT_CORRECT)
        return sum(w.get(k, 0.0) * v for k, v in feats.items())

    # -- putting it together ----------------------------------------------------------
    def check(self, text: str, threshold: float | None = None, profile="auto") -> Report:
        return self.check_many([text], threshold, profile)[0]

    def _bounded_caches(self) -> tuple[tuple[dict, int], ...]:
        """The per-string caches besides the candidates' and their size limits."""
        return ((self._text_ids, 500_000), (self._pairs_cache, 200_000), (self._mwe_cache, 200_000),
                (self._tech_cache, 200_000), (self._verb_cache, 200_000), (self._compound_cache, 100_000),
                (self._noun_cache, 100_000),
                (self._rev_cache, 20_000),  # ~3-8 KB each
                (self._term_ids_cache, 100_000), (self._half_cache, 200_000), (self._prose_cache, 500_000))

    def _clear_cands(self) -> None:
        self._cands_cache.clear()
        self._arena = _Arena()  # the rows of the strings just dropped

    def clear_caches(self) -> None:
        """Forget every per-string answer computed so far, the engine's and the lexicon's
        (results do not change; the next texts are as slow as on a fresh engine whose
        tables are loaded). Benchmarks use it to start equal."""
        with self._lock:
            self._clear_cands()
            self._profile_cache.clear()
            for cache, _ in self._bounded_caches():
                cache.clear()
            if self.lexicon is not None:
                self.lexicon.clear_caches()

    def warm(self) -> None:
        """Load everything that is otherwise loaded on first use (the LM arrays, the
        phrase and term indexes, lemminflect's tables: ~0.5 s in all), so that no
        request of a long-running process pays for it."""
        self.lm.trie
        if self.lexicon is not None:
            analyses("sanctuaries")
            inflect("haven", "NNS")
            with self._lock:
                self._term_index()
                self._term_firsts()
                self._term_seconds()
        self.check("The regulator mentioned the yr had been tough for buying and selling, "
                   "and the counterfeit consciousness of the worldwide group was noted.")

    def check_many(self, texts: Sequence[str], threshold: float | None = None, profile="auto") -> list[Report]:
        """:meth:`check` for several texts at once; the results are the same as one by one.

        The texts share the language-model passes, whose fixed cost dominates for
        short texts (corpus chunks and concurrent web requests use this).
        """
        from . import _check_threshold

        # Refused here, not deep in the tokenizer: a str would be checked character by
        # character, a None or bytes among the texts failed with an unrelated TypeError.
        if isinstance(texts, (str, bytes)):
            raise TypeError(f"check_many expects a list of str, got one {type(texts).__name__}; "
                            "use check(text) for a single text")
        texts = list(texts)
        for k, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"check_many expects str texts, got {type(t).__name__} at index {k}; "
                                "decode bytes first (unspin.inputs.read_text handles files and unknown encodings)")
        _check_threshold(threshold)  # as unspin.check: out of [0, 1] or NaN the verdict is fixed in advance
        # One caller at a time: the caches are shared and bounded between documents,
        # and under the GIL threads gain nothing from running the passes side by side.
        with self._lock, gc_paused():
            return self._check_many(texts, threshold, profile)

    def _check_many(self, texts: Sequence[str], threshold: float | None, profile) -> list[Report]:
        threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
        docs = [self._doc(t) for t in texts]
        # thesaurus proposals are built down to the floor minus the spun-document shift (see _report)
        props = self._propose_docs(docs, resolve(profile), floor=_logit(REPORT_CONFIDENCE),
                                   shift=max(self.doc_shift, 0.0))
        return [self._report(d, pr, threshold) for d, pr in zip(docs, props)]

    @property
    def doc_shift(self) -> float:
        """Log-odds added to every thesaurus proposal of a document judged spun
        (calibration.json ``doc_shift``, fitted by scripts/calibrate.py; 0 if absent)."""
        return float(self._calibration.get("doc_shift", 0.0))

    def _propose_docs(self, docs: list[_Doc], profiles: list[Profile], floor: float,
                      shift: float = 0.0) -> list[list[_Proposal]]:
        """Proposals for each document (token indices into it), scored PASS_TOKENS at a time.

        Short documents are combined (:meth:`_Doc.combine`); a longer one is cut at
        sentence starts into pieces scored like separate texts, so the memory of the
        vectorised passes stays bounded (a 200,000-word text took 1.3 GB in one pass).
        Contexts never cross a sentence start, so only a thesaurus or profile phrase
        spanning a cut (across a sentence boundary) can be lost.
        """
        units: list[tuple[int, int, _Doc]] = []  # (document, token offset, what to score)
        for k, d in enumerate(docs):
            if len(d.tokens) <= PASS_TOKENS:
                if d.tokens:
                    units.append((k, 0, d))
                continue
            for a, b in _pieces(d.starts, PASS_TOKENS):
                piece = _Doc(d.text, d.tokens[a:b], self.lm)
                if d.cid is not None:  # a compound cut by the piece's start is a compound from its token 0
                    piece.cid = [max(x - a, 0) if x >= 0 else -1 for x in d.cid[a:b]]
                units.append((k, a, piece))
        out: list[list[_Proposal]] = [[] for _ in docs]
        group: list[tuple[int, int, _Doc]] = []
        size = 0
        for n, unit in enumerate(units):
            group.append(unit)
            size += len(unit[2].tokens)
            if size < PASS_TOKENS and n < len(units) - 1 and size + len(units[n + 1][2].tokens) <= PASS_TOKENS:
                continue
            combined = _Doc.combine([u[2] for u in group])
            for pr in self._propose(combined, profiles, floor, shift):
                t = int(combined.tid[pr.i])
                k, offset, _ = group[t]
                move = offset - combined.base[t]
                pr.i, pr.j = pr.i + move, pr.j + move
                out[k].append(pr)
            group, size = [], 0
        return out

    def _report(self, doc: _Doc, proposals: list[_Proposal], threshold: float) -> Report:
        text = doc.text
        if not doc.tokens:
            return Report(0.0, threshold, [], text, 0)
        kept = self._kept(doc, proposals)
        features = _features([f for _, f in kept], len(doc.tokens))
        score = self._score(features)
        if score < 1.0 and any(pr.kind == "profile" for pr, _ in kept):
            # the other proposals are the same objects: their findings are reused
            kept = self._kept(doc, _profile_presence(proposals, score), reuse={id(pr): f for pr, f in kept})
        spinner, spinner_conf = _spinner(kept)  # from the findings the report shows
        shift = self.doc_shift
        if shift and score >= threshold:
            # The thesaurus models were fitted on clean and spun texts together, so their
            # log-odds carry that mixture's share of substituted words. In a text judged
            # spun the share is higher: a word's prior moves by a fitted constant, and
            # weaker evidence ("mentioned" where "said" is 800x likelier) is reported.
            # The document's score keeps the unshifted evidence (no feedback). Profile
            # proposals already assume a spun text (their rates come from spun examples).
            # It widens what is reported, not what is rewritten: the findings already
            # made stay as they are, new ones are added only where there were none,
            # and a suggestion is applied on the unshifted evidence alone (on the dev
            # pairs, letting shifted proposals displace profile ones, or applying on
            # the shifted confidence, made restoration worse).
            floor = _logit(REPORT_CONFIDENCE)
            kept = self._kept(doc, [dataclasses.replace(pr, logodds=pr.logodds + shift, shift=shift,
                                                        reason=pr.reason + SPUN_TEXT_NOTE)
                                    for pr in proposals if pr.features is not None and pr.logodds < floor],
                              first=kept)
        findings = [f for _, f in kept]
        restored = _apply(text, findings)
        if doc.truncated:
            features["truncated_at_words"] = float(MAX_WORDS)
        return Report(score, threshold, findings, restored, len(doc.tokens), spinner, spinner_conf, features)

    def _kept(self, doc: _Doc, proposals: list[_Proposal], first: Sequence[tuple[_Proposal, Finding]] = (),
              reuse: dict[int, Finding] | None = None) -> list[tuple[_Proposal, Finding]]:
        """The chosen proposals (:func:`_select`) reportable as findings, with them, in
        text order; ``first``: findings already made, kept as they are; ``reuse``: findings
        made earlier for some of these very proposals (by id)."""
        made = dict(reuse or {})
        made.update((id(pr), f) for pr, f in first)
        out = []
        for pr in _select(proposals, doc, [pr for pr, _ in first]):
            f = made.get(id(pr))
            if f is None:
                if pr.features is not None and pr.restore_prob is None:
                    pr.restore_prob = _sigmoid(self._local_logodds(pr.features, "correct"))
                f = self._finding(doc, pr)
                if f.confidence < REPORT_CONFIDENCE:
                    continue
            out.append((pr, f))
        return out

    def _finding(self, doc: _Doc, pr: _Proposal) -> Finding:
        start, end = doc.tokens[pr.i].start, doc.tokens[pr.j - 1].end
        span = doc.text[start:end]
        conf = round(_sigmoid(pr.logodds), 4)
        case = case_like(span)
        suggestion = case(pr.suggestion)
        if pr.j - pr.i > 1 and suggestion is not None:
            gaps = [doc.gap(k) for k in range(pr.i, pr.j - 1)]
            words = suggestion.split(" ")
            if "-" in gaps and len(words) == len(gaps) + 1:  # "actual-time" -> "real-time"
                suggestion = "".join(w + (g if g == "-" else " ") for w, g in zip(words, gaps)) + words[-1]
        alts = [case(a) for a in pr.alternatives if a != pr.suggestion]
        local = conf if not pr.shift else _sigmoid(pr.logodds - pr.shift)
        return Finding(start, end, span, suggestion, alts, conf, pr.reason, pr.kind,
                       applies(local, 1.0 if pr.restore_prob is None else pr.restore_prob))

    def _score(self, features: dict[str, float]) -> float:
        cal = self.calibration
        z = cal["intercept"] + sum(w * features.get(k, 0.0) for k, w in cal["weights"].items())
        return round(_sigmoid(z), 4)


def profile_prior(prof: Profile, key: str, lm: LanguageModel) -> float:
    """Prior log-odds that ``key`` in a text is this spinner's substitution:
    logit(how often it was one in the profile's examples) + :func:`profile_lift`."""
    return _logit(prof.substitution_rate(key)) + profile_lift(prof, key, lm)


def profile_lift(prof: Profile, key: str, lm: LanguageModel) -> float:
    """log of how much more often ``key`` occurs in the profile's spun text than in normal
    English (LM probability), minus log 4, capped to [-4, 2].

    "may" is common everywhere, so seeing it says little even if the spinner often
    wrote it; "yr" or "privateness" are common only in spun text.
    """
    if not prof.words:
        return 0.0
    expected = prof.words * 10 ** lm.sequence_logprob(key.split())
    lift = math.log((prof.seen.get(key, 0) + 0.5) / (expected + 0.5))
    return min(max(lift - math.log(4.0), -4.0), 2.0)


def applies(p_substituted: float, p_original: float) -> bool:
    """Whether to apply a suggestion: P(the span was substituted) times P(the suggestion
    is the original, given that) outweighs the chance the span is the writer's own
    wording, and reaches :data:`APPLY_CONFIDENCE`.

    A wrong guess on a substituted word costs nothing (the word was wrong already);
    changing a word the writer chose does. So a span that is almost surely substituted
    is restored with its likeliest original even when that original is uncertain, and
    an uncertain span only with a near-certain original:

    >>> applies(0.9, 0.4), applies(0.6, 0.9), applies(0.6, 0.6), applies(0.99, 0.2)
    (True, True, False, False)
    """
    joint = p_substituted * p_original
    return joint >= APPLY_CONFIDENCE and joint >= 1.0 - p_substituted


def _profile_presence(proposals: list[_Proposal], score: float) -> list[_Proposal]:
    """Profile proposals weighted by the document's score.

    A profile's rates were learned from texts that spinner did spin, so they say how
    likely a word is its substitution *given* the text is its output; on its own a
    clean paper's "analysis" would be "research" at 0.89. The document's calibrated
    score is the chance that it is spun at all, so a profile proposal's probability
    becomes score x its own (the score keeps the unweighted evidence: no feedback).
    """
    out = []
    for pr in proposals:
        if pr.kind == "profile":
            pr = copy.copy(pr)  # (dataclasses.replace re-runs __init__: slower, same result)
            pr.logodds = _logit(score * _sigmoid(pr.logodds))
        out.append(pr)
    return out


def _select(proposals: list[_Proposal], doc: _Doc, first: Sequence[_Proposal] = ()) -> list[_Proposal]:
    """Greedy non-overlapping choice, most confident first; returned in text order.
    ``first``: already chosen (non-overlapping), kept whatever the others' confidence."""
    taken = [False] * len(doc.lw)
    chosen: list[_Proposal] = list(first)
    for pr in chosen:
        for k in range(pr.i, pr.j):
            taken[k] = True
    floor = _logit(REPORT_CONFIDENCE)
    for pr in sorted(proposals, key=lambda p: (-p.logodds, p.i)):
        if pr.logodds < floor:
            break
        if any(taken[pr.i:pr.j]):
            continue
        if pr.suggestion == " ".join(doc.lw[pr.i:pr.j]):
            continue
        for k in range(pr.i, pr.j):
            taken[k] = True
        chosen.append(pr)
    chosen.sort(key=lambda p: p.i)
    return chosen


def _apply(text: str, findings: list[Finding]) -> str:
    """Put confident suggestions in place; every other character is kept."""
    parts: list[str] = []
    pos = 0
    for f in findings:
        if f.suggestion is None or not f.applied:
            continue
        parts.append(text[pos:f.start])
        parts.append(f.suggestion)
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts)


def _features(findings: list[Finding], n_words: int) -> dict[str, float]:
    # Densities shrink towards zero for short texts: one odd phrase in a headline is no verdict.
    per100 = 100.0 / (n_words + SHORT_TEXT_PSEUDOWORDS)
    # A function word swapped per a profile ("may" for "could") is restored, but it is
    # too common in ordinary prose to count as evidence that the document was spun.
    evidence = [f for f in findings if not (f.kind == "profile" and f.text.lower() in STOPWORDS)]
    conf = [f.confidence for f in evidence]
    return {
        "findings_per_100w": len(evidence) * per100,
        "confidence_mass_per_100w": sum(conf) * per100,
        "confident_per_100w": sum(1 for c in conf if c >= 0.8) * per100,
        "profile_per_100w": sum(f.confidence for f in evidence if f.kind == "profile") * per100,
        "log_words": math.log1p(n_words),
    }


def _spinner(kept: list[tuple[_Proposal, Finding]]) -> tuple[str | None, float]:
    """The profile that explains most of the findings, with the share (of confidence) it explains."""
    counts: dict[str, float] = {}
    for pr, f in kept:
        if pr.profile is not None and f.applied:  # conf >= 0.5: profile proposals carry P(original) in it
            counts[pr.profile] = counts.get(pr.profile, 0.0) + f.confidence
    if not counts:
        return None, 0.0
    name = max(counts, key=counts.get)
    return name, round(counts[name] / sum(f.confidence for _, f in kept), 4)


def _load_calibration() -> dict:
    try:
        ref = resources.files("unspin") / "data" / "calibration.json"
        return json.loads(ref.read_text(encoding="utf-8"))
    except FileNotFoundError:
        # Uncalibrated fallback: about 2 confident findings per 100 words -> 0.5.
        return {"intercept": -3.0, "weights": {"confidence_mass_per_100w": 1.5}}


_ENGINE: Engine | None = None


def default_engine() -> Engine:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = Engine()
    return _ENGINE


def check(text: str, threshold: float | None = None, profile="auto") -> Report:
    """See :func:`unspin.check`."""
    if not isinstance(text, str):
        raise TypeError(f"unspin.check expects str, got {type(text).__name__}; decode bytes first "
                        "(unspin.inputs.read_text handles files and unknown encodings)")
    return default_engine().check(text, threshold=threshold, profile=profile)
