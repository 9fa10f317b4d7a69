"""``--fast`` mode: a detection score only, at corpus speed.

The full engine (:func:`unspin.check`) compares every candidate original with the
observed word *in context* (a dozen trigram look-ups per candidate), which is what
makes its findings and restorations good and what makes it slow. For filtering a
crawl only the document score is needed, so this module keeps the two signals of
the engine that do not need context:

* **profile matches**: a learned spinner profile says how often a form ("yr",
  "mentioned", "financial institution") was a substitution in spun text
  (``logit(substitution rate)`` plus the same frequency *lift* the engine uses);
* **rare-synonym words**: a word whose best reverse-thesaurus candidate (the
  engine's precomputed ranking, :meth:`unspin.lexicon.Lexicon.ranked_candidates`)
  is far more frequent than the word itself (unigram LM), e.g. "sanctuaries" for
  "havens". Spinners pick rarer synonyms of ordinary words; writers mostly don't;

and one that needs only the neighbouring word:

* **unseen pairs**: the share of adjacent word pairs, both known to the language
  model, that it never saw together (one hash look-up per pair, vectorised).
  Swapping words one by one breaks collocations ("worldwide group", "secure
  sanctuaries").

Per word type the first two are computed once per process and cached, so a document
costs one regex pass, a ``Counter``, a dict look-up per distinct word and one numpy
pass over its pairs. The densities go through a small logistic model
(``FAST_WEIGHTS``, refitted with ``python -m unspin.corpus.score DATA/clean_news.jsonl``).

>>> s = FastScorer()
>>> s.score("The central bank said on Tuesday that it would keep interest rates unchanged.") < 0.5
True
"""
from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from importlib import resources

import numpy as np

from ..detect import LN10, _logit, _sigmoid, profile_prior
from ..lm_trie import KEY_BITS

__all__ = ["FastScorer", "fast_score", "default_scorer", "FAST_WEIGHTS"]

_WORD = re.compile(r"[a-z]+(?:['\u2019\-][a-z]+)*")
#: Pseudo-words added to the word count before taking densities (as the engine does).
PSEUDOWORDS = 40
#: Unigram log10 gain of the best candidate over the observed word that counts as "rare synonym".
GAIN_LOW, GAIN_HIGH = 1.0, 2.0

#: Logistic weights over the features of :meth:`FastScorer.features`, fitted by :func:`_fit`
#: on clean_news.jsonl rows with index % 5 != 0 (negatives) and synthetic spins of them
#: (positives): styles dictionary/wordnet/moby/phrase at rates 0.05-0.4, and a spin with the
#: built-in profiles' own substitutions (rates 0.1-0.5), so the profile feature gets a weight
#: without fitting on the dev pairs (the profiles themselves were learned from those).
#: Length is not a feature: a long text is not more likely spun (an earlier fit that used
#: log(words) and the dev pairs gave the bundled spun article 0.29 and 60-word texts ~0).
FAST_WEIGHTS: dict[str, float] = {
    "intercept": -4.7678,  # shifted so <= 1.5 % of clean training texts reach DEFAULT_THRESHOLD (0.8118)
    "gain1_per_100w": -0.9167,
    "gain2_per_100w": -0.0223,
    "gain_mass_per_100w": 0.647,
    "profile_per_100w": 0.7291,
    "unseen_pairs_per_100w": 0.1368,
}


def compute_gain(lexicon, lm, w: str) -> float:
    """The per-word feature of the fast score: log10 of how much more frequent the best of
    ``w``'s top reverse-thesaurus candidates is than ``w`` itself (0 if none or not a content word)."""
    from ..tokens import STOPWORDS

    if len(w) < 3 or w in STOPWORDS or not w.isalpha():
        return 0.0
    cands = lexicon.ranked_candidates(w, 4)
    if not cands:
        return 0.0
    lp = lm.logprob
    best = max(lp(c.text.partition(" ")[0]) + 0.4 * c.logprior / LN10 for c in cands)
    return max(0.0, best - lp(w))


@functools.lru_cache(maxsize=1)
def _gain_table() -> dict[str, float]:
    """Words of the lexicon with a positive gain (built by scripts/build_fast_table.py)."""
    try:
        text = (resources.files("unspin") / "data" / "fast_gain.tsv").read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    out = {}
    for line in text.splitlines():
        w, _, g = line.partition("\t")
        out[w] = float(g)
    return out


class FastScorer:
    """Context-free detection score; tables are built lazily, once per process and profile."""

    def __init__(self, profile="auto", weights: dict[str, float] | None = None, threshold: float | None = None):
        from ..lexicon import Lexicon
        from ..lm import LanguageModel
        from ..profiles import resolve
        from ..report import DEFAULT_THRESHOLD
        from ..tokens import STOPWORDS

        self.lm = LanguageModel.default()
        self.lexicon = Lexicon.load()
        self.stop = STOPWORDS
        self.weights = dict(FAST_WEIGHTS if weights is None else weights)
        self.threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
        self._gain: dict[str, float] = dict(_gain_table())
        self._single: dict[str, float] = {}
        self._multi: dict[str, list[tuple[tuple[str, ...], float]]] = {}
        floor = _logit(0.35)
        for prof in resolve(profile):
            for key in prof.table:
                lo = profile_prior(prof, key, self.lm)
                if lo < floor:
                    continue
                p = _sigmoid(lo)
                parts = tuple(_WORD.findall(key.lower()))
                if not parts:
                    continue
                if len(parts) == 1:
                    self._single[parts[0]] = max(self._single.get(parts[0], 0.0), p)
                else:
                    self._multi.setdefault(parts[0], []).append((parts, p))

    def word_gain(self, w: str) -> float:
        """log10 of how much more frequent ``w``'s best reverse-thesaurus candidate is (0 if none).

        Read from the precomputed table (``scripts/build_fast_table.py``), which covers every
        word the lexicon has candidates for. Words outside it count 0: on clean news only 27
        of 3,569 such types had a positive value, mostly abbreviations and plurals of names
        ("nhs", "pics"); computing them cost a third of the run time and left ROC-AUC on the
        dev pairs no better (0.961 with, 0.969 without), and this keeps lemmatisation (and
        its import) off the fast path.
        """
        return self._gain.get(w, 0.0)

    def features(self, text: str) -> dict[str, float]:
        return self.features_many([text])[0]

    def features_many(self, texts: list[str]) -> list[dict[str, float]]:
        """:meth:`features` of each text; the pair look-ups of all texts in one pass
        (numpy's per-call cost was half the run time, one text at a time)."""
        docs = [_WORD.findall(t.lower()) for t in texts]
        unseen = self._unseen_pairs(docs)
        return [self._features(words, u) for words, u in zip(docs, unseen)]

    def _features(self, words: list[str], unseen: int) -> dict[str, float]:
        n = len(words)
        per100 = 100.0 / (n + PSEUDOWORDS)
        g1 = g2 = mass = prof = 0.0
        gains, wg, single = self._gain, self.word_gain, self._single
        for w, c in Counter(words).items():
            g = gains.get(w)
            if g is None:
                g = wg(w)
            if g >= GAIN_LOW:
                g1 += c
                mass += c * min(g, 4.0)
                if g >= GAIN_HIGH:
                    g2 += c
            p = single.get(w)
            if p is not None:
                prof += c * p
        multi = self._multi
        if multi:
            for i, w in enumerate(words):
                entries = multi.get(w)
                if entries:
                    for parts, p in entries:
                        if tuple(words[i:i + len(parts)]) == parts:
                            prof += p
        return {"gain1_per_100w": g1 * per100, "gain2_per_100w": g2 * per100,
                "gain_mass_per_100w": mass * per100, "profile_per_100w": prof * per100,
                "unseen_pairs_per_100w": unseen * per100, "words": float(n)}

    def _unseen_pairs(self, docs: list[list[str]]) -> list[int]:
        """Per document: adjacent pairs of words the LM knows that it never saw together."""
        flat = [w for words in docs for w in itertools.chain(words, ("",))]  # "" ends a document
        if not flat:
            return []
        trie = self.lm.trie
        ids = np.fromiter(map(trie.word_index.get, flat, itertools.repeat(-1)), dtype=np.int64, count=len(flat))
        a, b = ids[:-1], ids[1:]
        known = (a >= 0) & (b >= 0)  # never across a document's end ("" is unknown)
        key = (np.maximum(b, 0).astype(np.uint64) << np.uint64(KEY_BITS)) | np.maximum(a, 0).astype(np.uint64)
        _, found = trie.bigram_hash.find_slot(key, known)
        miss = np.concatenate([known & ~found, [False]])
        ends = np.cumsum([len(words) + 1 for words in docs])
        total = np.concatenate([[0], np.cumsum(miss)])
        return np.diff(total[np.concatenate([[0], ends])]).tolist()

    def score(self, text: str) -> float:
        return self.score_many([text])[0]

    def score_many(self, texts: list[str]) -> list[float]:
        """Detection score (0..1) of each text; 0 for a text without words."""
        w = self.weights
        out = []
        for f in self.features_many(texts):
            z = w["intercept"] + sum(w.get(k, 0.0) * v for k, v in f.items() if k != "words")
            out.append(round(_sigmoid(z), 4) if f["words"] else 0.0)
        return out


_SCORERS: dict[str, FastScorer] = {}


def default_scorer(profile="auto") -> FastScorer:
    """One :class:`FastScorer` per process and profile name (tables are built once)."""
    key = profile if isinstance(profile, str) or profile is None else id(profile)
    key = str(key)
    s = _SCORERS.get(key)
    if s is None:
        s = _SCORERS[key] = FastScorer(profile)
    return s


def fast_score(text: str, profile="auto") -> float:
    """Detection score (0..1) of ``text`` without findings or restoration."""
    return default_scorer(profile).score(text)


FEATURES = ("gain1_per_100w", "gain2_per_100w", "gain_mass_per_100w", "profile_per_100w", "unseen_pairs_per_100w")
#: Share of clean training texts allowed at or above the threshold (as for the engine's score).
TRAIN_FPR = 0.015


def _profile_spin(text: str, rate: float, rng, reverse: dict[str, list[tuple[str, int]]]) -> str:
    """``text`` with a ``rate`` of the words a built-in profile's spinner replaced put in
    its renderings ("said" -> "mentioned"), weighted by how often it wrote each."""
    from ..tokens import match_case, tokenize

    out, pos = [], 0
    for t in tokenize(text):
        opts = reverse.get(t.text.lower())
        if opts and rng.random() < rate:
            forms, counts = zip(*opts)
            out += [text[pos:t.start], match_case(t.text, rng.choices(forms, counts)[0])]
            pos = t.end
    out.append(text[pos:])
    return "".join(out)


def _fit(path: str) -> dict[str, float]:  # pragma: no cover - offline fitting helper
    """Refit FAST_WEIGHTS on a clean JSONL corpus (``text`` field) and synthetic spins of
    it; prints and returns the weights (paste them into FAST_WEIGHTS)."""
    import json
    import random

    from ..fit import fit_logistic
    from ..profiles import resolve
    from ..report import DEFAULT_THRESHOLD
    from ..spin import spin

    texts = [json.loads(line)["text"] for line in open(path, encoding="utf-8") if line.strip()]
    reverse: dict[str, list[tuple[str, int]]] = {}
    for prof in resolve("auto"):
        for form, origs in prof.table.items():
            for orig, count in origs.items():
                if orig != form and " " not in orig:
                    reverse.setdefault(orig.lower(), []).append((form, count))
    s = FastScorer()
    rows, y = [], []
    rng = random.Random(0)
    for i, t in enumerate(texts):
        if i % 5 == 0:
            continue  # the benchmark's held-out split
        rows.append(s.features(t))
        y.append(0)
        spins = []
        for style in ("dictionary", "wordnet", "moby", "phrase"):
            try:
                spins.append(spin(t, rate=rng.choice((0.05, 0.1, 0.2, 0.3, 0.4)), style=style, seed=i).text)
            except ValueError:
                continue
        spins.append(_profile_spin(t, rng.choice((0.1, 0.2, 0.3, 0.5)), rng, reverse))
        rows += [s.features(x) for x in spins]
        y += [1] * len(spins)
    X, y = np.array([[r[k] for k in FEATURES] for r in rows]), np.array(y, dtype=float)
    mu, sd = X.mean(0), X.std(0) + 1e-9
    sw = np.where(y == 1, (y == 0).sum() / (y == 1).sum(), 1.0)  # classes balanced
    b, w = fit_logistic((X - mu) / sd, y, l2=1e-2, weights=sw)
    ws = w / sd
    weights = {"intercept": float(b - ws @ mu), **{k: float(v) for k, v in zip(FEATURES, ws)}}
    # Shift the intercept down so at most TRAIN_FPR of the clean texts reach the threshold.
    z = np.sort(X[y == 0] @ ws + weights["intercept"])
    limit = float(np.log(DEFAULT_THRESHOLD / (1 - DEFAULT_THRESHOLD)))
    weights["intercept"] += min(0.0, limit - z[int(np.ceil((1 - TRAIN_FPR) * len(z))) - 1] - 1e-4)
    weights = {k: round(v, 4) for k, v in weights.items()}
    print(json.dumps(weights, indent=1))
    return weights


if __name__ == "__main__":  # pragma: no cover
    import sys

    _fit(sys.argv[-1])
