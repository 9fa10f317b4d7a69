"""Quality metrics for detection, localization and restoration.

These implement the definitions in ``../shared/data/README.md`` ("How quality
is measured") so that figures are comparable across tools:

* tokens are case-insensitive words (:func:`unspin.tokens.words`),
  punctuation ignored;
* a spun word is *substituted* if the word alignment spun -> original puts it
  in a replaced block (spun words with no counterpart at all count too);
* ``WER(x, orig)`` is the word-level Levenshtein distance divided by the
  number of original words; ``ERR = 1 - WER(restored, orig) / WER(spun, orig)``;
* *damage* is the share of spun words that were **not** substituted but that
  restoration changed anyway.

All functions are pure and take plain strings / lists; none needs the engine.

>>> spun, orig = "The big dog ran home.", "The large dog ran home."
>>> substitution_labels(words(spun), words(orig))
[False, True, False, False, False]
>>> err("The large dog ran home.", spun, orig)
1.0
>>> damage("The large dog walked home.", spun, orig)
0.25
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Iterable, Sequence

from ..tokens import Token, tokenize, words

try:  # optional fast path; the metrics fall back to a numpy DP
    from rapidfuzz.distance import Levenshtein as _RFLevenshtein
except Exception:  # pragma: no cover - depends on the environment
    _RFLevenshtein = None

__all__ = [
    "words", "opcodes", "substitution_labels", "word_map", "labels_from_spans",
    "edit_distance", "wer", "err", "err_pooled", "changed_labels", "damage",
    "PRF", "finding_spans", "flagged_labels", "localization_prf",
    "roc_auc", "rate_at_threshold", "summary_stats",
]


def _as_words(x: "str | Sequence[str]") -> list[str]:
    """Accept either a text (tokenised with :func:`words`) or a word list."""
    return words(x) if isinstance(x, str) else list(x)


# --------------------------------------------------------------------------- alignment

def opcodes(a: Sequence[str], b: Sequence[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib opcodes turning word list ``a`` into ``b`` (no autojunk heuristics).

    >>> opcodes(["a", "b", "c"], ["a", "x", "c"])
    [('equal', 0, 1, 0, 1), ('replace', 1, 2, 1, 2), ('equal', 2, 3, 2, 3)]
    """
    return SequenceMatcher(None, list(a), list(b), autojunk=False).get_opcodes()


def substitution_labels(spun_words: Sequence[str], orig_words: Sequence[str]) -> list[bool]:
    """Per spun word: is it *substituted* (in a replace block, or spun-only)?

    Original words that the spun text simply dropped carry no spun word and
    therefore no label.

    >>> substitution_labels(["safe", "haven", "now"], ["secure", "haven", "now"])
    [True, False, False]
    >>> substitution_labels(["a", "very", "b"], ["a", "b"])   # spun-only word
    [False, True, False]
    >>> substitution_labels(["a", "b"], ["a", "x", "b"])      # dropped word
    [False, False]
    """
    labels = [False] * len(spun_words)
    for tag, i1, i2, _j1, _j2 in opcodes(spun_words, orig_words):
        if tag in ("replace", "delete"):  # "delete" = present in spun only
            for i in range(i1, i2):
                labels[i] = True
    return labels


def word_map(a: Sequence[str], b: Sequence[str]) -> list[int | None]:
    """For each word of ``a``, the index of the equal word in ``b`` (or ``None``).

    >>> word_map(["x", "b", "c"], ["a", "b", "c"])
    [None, 1, 2]
    """
    out: list[int | None] = [None] * len(a)
    for tag, i1, i2, j1, _j2 in opcodes(a, b):
        if tag == "equal":
            for k in range(i2 - i1):
                out[i1 + k] = j1 + k
    return out


def labels_from_spans(text: str, spans: Iterable[tuple[int, int]]) -> list[bool]:
    """Per word of ``text``: does it overlap any character span ``(start, end)``?

    Used to turn gold edits (``Edit.spun_start``/``spun_end``) into word labels.

    >>> labels_from_spans("one two three", [(4, 7)])
    [False, True, False]
    >>> labels_from_spans("one two three", [(5, 5)])   # empty span marks nothing
    [False, False, False]
    """
    return _overlap_labels(tokenize(text), spans)


def _overlap_labels(tokens: Sequence[Token], spans: Iterable[tuple[int, int]]) -> list[bool]:
    spans = sorted((int(s), int(e)) for s, e in spans if int(e) > int(s))
    out = []
    for t in tokens:
        out.append(any(s < t.end and e > t.start for s, e in spans))
    return out


# --------------------------------------------------------------------------- WER / ERR

def edit_distance(hyp: "str | Sequence[str]", ref: "str | Sequence[str]") -> int:
    """Word-level Levenshtein distance (unit costs).

    >>> edit_distance("a b c", "a x c"), edit_distance([], ["a", "b"]), edit_distance("a b", "a b")
    (1, 2, 0)
    """
    h, r = _as_words(hyp), _as_words(ref)
    if _RFLevenshtein is not None:
        return int(_RFLevenshtein.distance(h, r))
    return _edit_distance_numpy(h, r)


def _edit_distance_numpy(h: Sequence[str], r: Sequence[str]) -> int:
    """Row-vectorised Levenshtein DP (fallback when rapidfuzz is absent).

    >>> _edit_distance_numpy(["k", "i", "t", "t", "e", "n"], ["s", "i", "t", "t", "i", "n", "g"])
    3
    >>> _edit_distance_numpy([], ["a"]), _edit_distance_numpy(["a"], [])
    (1, 1)
    """
    import numpy as np

    if not h or not r:
        return max(len(h), len(r))
    vocab: dict[str, int] = {}
    hv = np.array([vocab.setdefault(w, len(vocab)) for w in h], dtype=np.int64)
    rv = np.array([vocab.setdefault(w, len(vocab)) for w in r], dtype=np.int64)
    m = len(rv)
    ar = np.arange(m + 1, dtype=np.int64)
    prev = ar.copy()
    for i, hw in enumerate(hv, start=1):
        cost = (rv != hw).astype(np.int64)
        tmp = np.empty(m + 1, dtype=np.int64)
        tmp[0] = i
        tmp[1:] = np.minimum(prev[1:] + 1, prev[:-1] + cost)
        # cur[j] = min_k<=j tmp[k] + (j - k)  (insertions chain along the row)
        prev = np.minimum.accumulate(tmp - ar) + ar
    return int(prev[-1])


def wer(hyp: "str | Sequence[str]", ref: "str | Sequence[str]") -> float:
    """Word error rate of ``hyp`` against reference ``ref``.

    An empty reference gives 0.0 for an empty hypothesis, else 1.0.

    >>> wer("the cat sat", "the cat sat")
    0.0
    >>> wer(["the", "dog", "sat"], ["the", "cat", "sat"])
    0.3333333333333333
    >>> wer("", ""), wer("x", "")
    (0.0, 1.0)
    """
    h, r = _as_words(hyp), _as_words(ref)
    if not r:
        return 0.0 if not h else 1.0
    return edit_distance(h, r) / len(r)


def err(restored: "str | Sequence[str]", spun: "str | Sequence[str]", orig: "str | Sequence[str]") -> float:
    """Error reduction ``1 - WER(restored, orig) / WER(spun, orig)``.

    1 = perfect restoration, 0 = no useful change, < 0 = restoration did damage.
    ``nan`` when the spun text already equals the original (nothing to restore).

    >>> err("a b c", "a x c", "a b c"), err("a x c", "a x c", "a b c"), err("a x y", "a x c", "a b c")
    (1.0, 0.0, -1.0)
    >>> math.isnan(err("a b", "a b", "a b"))
    True
    """
    r, s, o = _as_words(restored), _as_words(spun), _as_words(orig)
    base = edit_distance(s, o)
    if base == 0:
        return math.nan
    return 1.0 - edit_distance(r, o) / base


def err_pooled(triples: Iterable[tuple[Any, Any, Any]]) -> float:
    """Corpus-level ERR over ``(restored, spun, orig)`` triples.

    Pools edit distances (``1 - sum d(restored, orig) / sum d(spun, orig)``), so
    long documents weigh more and documents with nothing to restore still
    count any damage done to them.

    >>> err_pooled([("a b c", "a x c", "a b c"), ("p q", "p q", "p q")])
    1.0
    >>> err_pooled([("a b c", "a x c", "a b c"), ("p z", "p q", "p q")])
    0.0
    """
    num = den = 0
    for r, s, o in triples:
        o_w = _as_words(o)
        num += edit_distance(_as_words(r), o_w)
        den += edit_distance(_as_words(s), o_w)
    return math.nan if den == 0 else 1.0 - num / den


def changed_labels(spun: "str | Sequence[str]", restored: "str | Sequence[str]") -> list[bool]:
    """Per spun word: did restoration change it (no equal counterpart in ``restored``)?

    >>> changed_labels("a big dog", "a large dog")
    [False, True, False]
    """
    return [j is None for j in word_map(_as_words(spun), _as_words(restored))]


def damage(restored: "str | Sequence[str]", spun: "str | Sequence[str]", orig: "str | Sequence[str]" = None,
           *, labels: Sequence[bool] | None = None, counts: bool = False) -> "float | tuple[int, int]":
    """Share of NOT-substituted spun words that restoration changed.

    Substitution labels come from the spun -> ``orig`` alignment, or are given
    directly as ``labels`` (e.g. from gold edits). With ``counts=True`` returns
    ``(changed, not_substituted)`` for pooling. ``nan`` if every word was
    substituted.

    >>> damage("a big dog", "a big dog", "a large dog")     # nothing changed
    0.0
    >>> damage("the big cat", "a big dog", "a large dog")   # 'a' damaged; 'dog'->'cat' damaged
    1.0
    >>> damage("a big cat", "a big dog", labels=[False, True, False], counts=True)
    (1, 2)
    """
    s = _as_words(spun)
    if labels is None:
        if orig is None:
            raise TypeError("damage() needs orig or labels")
        labels = substitution_labels(s, _as_words(orig))
    if len(labels) != len(s):
        raise ValueError(f"{len(labels)} labels for {len(s)} spun words")
    ch = changed_labels(s, _as_words(restored))
    keep = [c for c, lab in zip(ch, labels) if not lab]
    n_changed, n = sum(keep), len(keep)
    if counts:
        return n_changed, n
    return math.nan if n == 0 else n_changed / n


# --------------------------------------------------------------------------- localization

@dataclass(frozen=True)
class PRF:
    """Counts of a binary labelling; precision/recall/F1 derive from them.

    >>> p = PRF(tp=3, fp=1, fn=3)
    >>> (p.precision, p.recall, round(p.f1, 3))
    (0.75, 0.5, 0.6)
    >>> (PRF(1, 0, 0) + PRF(0, 1, 1)).tp
    1
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else math.nan

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else math.nan

    @property
    def f1(self) -> float:
        d = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / d if d else math.nan

    def __add__(self, other: "PRF") -> "PRF":
        return PRF(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    def to_dict(self) -> dict[str, float]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn,
                "precision": self.precision, "recall": self.recall, "f1": self.f1}


def finding_spans(findings: Iterable[Any]) -> list[tuple[int, int]]:
    """Character spans of findings given as ``Finding`` objects, dicts or ``(start, end)``.

    >>> finding_spans([(1, 3), {"start": 5, "end": 9}])
    [(1, 3), (5, 9)]
    """
    out = []
    for f in findings:
        if isinstance(f, dict):
            out.append((int(f["start"]), int(f["end"])))
        elif isinstance(f, (tuple, list)):
            out.append((int(f[0]), int(f[1])))
        else:
            out.append((int(f.start), int(f.end)))
    return out


def flagged_labels(findings: Iterable[Any], text: str) -> list[bool]:
    """Per word of ``text``: does it overlap some finding's character span?

    >>> flagged_labels([(4, 9)], "the safe haven")   # 'safe' only: 'haven' starts at 9
    [False, True, False]
    """
    return _overlap_labels(tokenize(text), finding_spans(findings))


def localization_prf(findings: Iterable[Any], spun_text: str, labels: Sequence[bool]) -> PRF:
    """Word-level P/R/F1 of "word lies inside a finding's span" vs ``labels``.

    ``labels`` has one entry per word of ``spun_text`` (as tokenised by
    :func:`unspin.tokens.tokenize`). A word counts as flagged if any character
    of it falls inside a finding.

    >>> text = "Struggling Metro Financial institution was fined"
    >>> labels = [False, False, True, True, False, False]
    >>> r = localization_prf([(17, 38)], text, labels)
    >>> (r.tp, r.fp, r.fn, r.precision, r.recall)
    (2, 0, 0, 1.0, 1.0)
    >>> localization_prf([(0, 10), (17, 26)], text, labels).to_dict()["f1"]
    0.5
    """
    flagged = flagged_labels(findings, spun_text)
    if len(flagged) != len(labels):
        raise ValueError(f"{len(labels)} labels for {len(flagged)} words")
    tp = sum(1 for f, lab in zip(flagged, labels) if f and lab)
    fp = sum(1 for f, lab in zip(flagged, labels) if f and not lab)
    fn = sum(1 for f, lab in zip(flagged, labels) if lab and not f)
    return PRF(tp, fp, fn)


# --------------------------------------------------------------------------- detection

def roc_auc(scores_pos: Iterable[float], scores_neg: Iterable[float]) -> float:
    """Rank-based ROC-AUC (Mann-Whitney U), ties count one half.

    ``nan`` when either class is empty.

    >>> roc_auc([0.9, 0.8], [0.1, 0.2])
    1.0
    >>> roc_auc([0.5, 0.5], [0.5, 0.5])
    0.5
    >>> roc_auc([0.1], [0.9])
    0.0
    >>> roc_auc([0.3, 0.7], [0.3, 0.1])
    0.875
    """
    import numpy as np

    pos = np.asarray(list(scores_pos), dtype=float)
    neg = np.asarray(list(scores_neg), dtype=float)
    n1, n0 = len(pos), len(neg)
    if n1 == 0 or n0 == 0:
        return math.nan
    allv = np.concatenate([pos, neg])
    order = np.argsort(allv, kind="mergesort")
    sv = allv[order]
    ranks = np.empty(len(allv), dtype=float)
    i = 0
    while i < len(sv):  # average ranks over tie groups (1-based)
        j = i
        while j + 1 < len(sv) and sv[j + 1] == sv[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    u = ranks[:n1].sum() - n1 * (n1 + 1) / 2.0
    return float(u / (n1 * n0))


def rate_at_threshold(scores: Iterable[float], threshold: float) -> float:
    """Share of scores ``>= threshold`` (recall on positives, FPR on negatives).

    >>> rate_at_threshold([0.2, 0.5, 0.9], 0.5)
    0.6666666666666666
    >>> math.isnan(rate_at_threshold([], 0.5))
    True
    """
    s = list(scores)
    return math.nan if not s else sum(1 for x in s if x >= threshold) / len(s)


def summary_stats(values: Iterable[float]) -> dict[str, float]:
    """min / median / p90 / p95 / p99 / max / mean of a score list (nearest-rank percentiles).

    >>> summary_stats([0.0, 1.0])["median"]
    0.5
    >>> summary_stats([])["n"]
    0
    """
    import numpy as np

    v = np.asarray(list(values), dtype=float)
    if len(v) == 0:
        return {"n": 0}
    q = lambda p: float(np.percentile(v, p))  # noqa: E731
    return {"n": int(len(v)), "min": float(v.min()), "median": q(50), "p90": q(90),
            "p95": q(95), "p99": q(99), "max": float(v.max()), "mean": float(v.mean())}
