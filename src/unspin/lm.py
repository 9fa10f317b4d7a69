"""Context scoring with an n-gram language model.

The default model is the CMU Sphinx US-English trigram model (72.5k words,
2.05M bigrams, 1.67M trigrams, BSD licence) that ships inside the PyPI
``pocketsphinx`` wheel, so nothing is downloaded at run time. It loads in
about 0.03 s (memory-mapped trie) and answers a trigram query in ~0.5 µs.

>>> lm = LanguageModel.default()
>>> lm.logprob("states", ("the", "united")) > lm.logprob("america", ("the", "united"))
True
>>> lm.sequence_logprob(["safe", "havens"]) > lm.sequence_logprob(["secure", "sanctuaries"])
True
"""
from __future__ import annotations

import functools
import itertools
import math
import os
from typing import Sequence

import numpy as np

#: pocketsphinx reports log-probabilities in units of log base 1.0001.
_LOG_UNIT = math.log10(1.0001)
#: Floor for words the model has never seen (log10); about the rarest known word.
UNKNOWN_LOGPROB = -8.0


class LanguageModel:
    """A trigram LM over lower-case words; log10 probabilities.

    Only histories of at most two words are ever passed to the C library:
    pocketsphinx's ``NGramModel.prob`` copies the word list into a buffer sized
    by the word count, which stays inside glibc's minimum allocation only for
    up to three words (see docs/design.md, "Language model").
    """

    order = 3

    def __init__(self, path: str | os.PathLike):
        from pocketsphinx import NGramModel  # imported lazily: the C extension takes ~50 ms

        self.path = os.fspath(path)
        self._model = NGramModel.readfile(self.path)
        self._prob = self._model.prob
        self._cache: dict[tuple[str, ...], float] = {}
        self._trie = None
        self._variants: dict[str, int] = {}

    @classmethod
    @functools.lru_cache(maxsize=1)
    def default(cls) -> "LanguageModel":
        """The trigram model bundled with pocketsphinx (raises ImportError with advice if missing)."""
        try:
            import pocketsphinx
        except ImportError as exc:  # pragma: no cover - dependency of the package
            raise ImportError(
                "unspin needs the 'pocketsphinx' package for its language model: pip install pocketsphinx"
            ) from exc
        path = os.path.join(os.path.dirname(pocketsphinx.__file__), "model", "en-us", "en-us.lm.bin")
        if not os.path.exists(path):  # pragma: no cover
            raise FileNotFoundError(
                f"pocketsphinx is installed but its English LM is missing at {path}; reinstall pocketsphinx"
            )
        return cls(path)

    def logprob(self, word: str, history: Sequence[str] = ()) -> float:
        """log10 P(word | history); history is the preceding words, oldest first."""
        key = (word, *history[-2:]) if history else (word,)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        # pocketsphinx wants the predicted word first, then its history newest-first.
        raw = self._prob([word, *reversed(history[-2:])])
        value = raw * _LOG_UNIT if raw > -536870000 else UNKNOWN_LOGPROB
        if value < UNKNOWN_LOGPROB:
            value = UNKNOWN_LOGPROB
        if len(self._cache) > 500_000:  # bound memory on long corpus runs
            self._cache.clear()
        self._cache[key] = value
        return value

    def sequence_logprob(self, words: Sequence[str], history: Sequence[str] = ()) -> float:
        """Sum of log10 P(w_i | two previous words) over ``words``, continuing ``history``."""
        ctx = list(history[-2:])
        total = 0.0
        for w in words:
            total += self.logprob(w, ctx)
            ctx = [ctx[-1], w] if ctx else [w]
        return total

    def window_logprob(self, left: Sequence[str], middle: Sequence[str], right: Sequence[str]) -> float:
        """log10 P of ``middle`` plus the (up to) two ``right`` words it conditions, given ``left``.

        Comparing this for two different ``middle`` spans with the same context tells
        which one the model prefers there.
        """
        return self.sequence_logprob([*middle, *right[:2]], left[-2:])

    # -- vectorised scoring ------------------------------------------------------------
    @property
    def trie(self):
        """The same model as numpy arrays (:mod:`unspin.lm_trie`), loaded on first use."""
        if self._trie is None:
            from . import lm_trie

            self._trie = lm_trie.load_cached(self.path)
        return self._trie

    def ids(self, words: Sequence[str]) -> np.ndarray:
        """Vocabulary ids (int64) of ``words``; -1 for words the model does not know.

        A British spelling the (American) model lacks gets the id of its American form
        (:func:`american_spellings`): "analyse" and "realise" are not rare words, and read
        as unknown they looked like a spinner's choice next to "study" and "see".
        """
        # map() over dict.get runs at C speed: this is on every token of every document
        out = np.fromiter(map(self.trie.word_index.get, words, itertools.repeat(-1)), dtype=np.int64,
                          count=len(words))
        miss = np.flatnonzero(out < 0).tolist()
        if miss:  # only the unknown words (names, numbers) go through the variants
            variant = self._variant_id
            out[miss] = [variant(words[k]) for k in miss]
        return out

    def _variant_id(self, word: str) -> int:
        cache = self._variants
        got = cache.get(word)
        if got is None:
            if len(cache) > 100_000:  # bounded: unknown words are mostly names and numbers
                cache.clear()
            get = self.trie.word_index.get
            got = -1
            for v in american_spellings(word):
                got = get(v, -1)
                if got >= 0:
                    break
            cache[word] = got
        return got

    def batch_logprob(self, words: np.ndarray, hist1: np.ndarray, hist2: np.ndarray) -> np.ndarray:
        """log10 P(words | hist2 hist1) for arrays of ids, equal to :meth:`logprob` element-wise.

        ``hist1`` is the newest history word; -1 means no (or an unknown) history
        word, which cuts the history there as pocketsphinx does. Unknown predicted
        words (-1) get :data:`UNKNOWN_LOGPROB`.
        """
        from .lm_trie import raw_batch

        words = np.asarray(words, dtype=np.int64)
        unknown = words < 0
        raw = raw_batch(self.trie, np.where(unknown, 0, words), hist1, hist2)
        return np.where(unknown, UNKNOWN_LOGPROB, np.maximum(raw * _LOG_UNIT, UNKNOWN_LOGPROB))

    def unigram_batch(self, words: np.ndarray) -> np.ndarray:
        """log10 P(word) for an array of ids (a table read; equal to :meth:`logprob` with no history)."""
        words = np.asarray(words, dtype=np.int64)
        raw = np.trunc(self.trie.unigram_logprob[np.maximum(words, 0)]).astype(np.int64)
        return np.where(words < 0, UNKNOWN_LOGPROB, np.maximum(raw * _LOG_UNIT, UNKNOWN_LOGPROB))

    def known(self, word: str) -> bool:
        return self.logprob(word) > UNKNOWN_LOGPROB


#: British -> American spelling rules (suffix, replacement), longest suffix first, as
#: :func:`american_spellings` tries them. Only for words the LM does not know, so a rule
#: that would misfire on a known word ("promise", "wise") never runs.
_US_RULES = tuple(sorted((
    ("yse", "yze"), ("ysed", "yzed"), ("ysing", "yzing"), ("yses", "yzes"),
    ("isation", "ization"), ("isations", "izations"), ("ise", "ize"), ("ised", "ized"), ("ising", "izing"),
    ("ises", "izes"), ("iser", "izer"), ("isers", "izers"),
    ("our", "or"), ("ours", "ors"), ("oured", "ored"), ("ouring", "oring"), ("ourite", "orite"),
    ("ourites", "orites"), ("ourable", "orable"),
    ("tre", "ter"), ("tres", "ters"), ("ence", "ense"), ("ences", "enses"), ("ogue", "og"), ("ogues", "ogs"),
    ("lled", "led"), ("lling", "ling"), ("ller", "ler"), ("llers", "lers"), ("mme", "m"), ("mmes", "ms"),
), key=lambda r: -len(r[0])))


def american_spellings(word: str) -> list[str]:
    """American forms a British spelling may have, by suffix rules (most specific first).

    >>> american_spellings("analysed"), american_spellings("realise"), american_spellings("colours")
    (['analyzed'], ['realize'], ['colors'])
    >>> american_spellings("travelling"), american_spellings("programme"), american_spellings("metre")
    (['traveling'], ['program'], ['meter'])
    >>> american_spellings("data")
    []
    """
    return [word[: -len(a)] + b for a, b in _US_RULES if word.endswith(a) and len(word) > len(a) + 1]
