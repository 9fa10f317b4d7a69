"""The numpy trie reader must agree with pocketsphinx's own scoring."""
import random
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pocketsphinx")

from unspin import lm_trie  # noqa: E402
from unspin.lm import LanguageModel  # noqa: E402

# raw_batch reproduces the C arithmetic (float32 sums truncated to whole log-1.0001 units), so exact
TOLERANCE = 0.0
EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "unspin" / "examples"


@pytest.fixture(scope="module")
def trie():
    return lm_trie.load_trie(lm_trie.default_path())


@pytest.fixture(scope="module")
def c_prob():
    return LanguageModel.default()._model.prob


def _reference(c_prob, triples):
    # pocketsphinx takes the predicted word first, then its history newest-first
    return np.array([c_prob([w, h1, h2]) for h2, h1, w in triples]) * lm_trie.LOG10_UNIT


def _triples(trie):
    rng = random.Random(1234)
    text = " ".join(p.read_text() for p in sorted(EXAMPLES.glob("*.txt")))
    words = [w for w in re.findall(r"[a-z']+", text.lower()) if w in trie.word_index]
    real = [tuple(words[i - 2:i + 1]) for i in range(2, len(words))]
    shuffled = [tuple(rng.sample(words, 3)) for _ in range(60)]  # mostly backing off
    return rng.sample(real, 200) + shuffled + [("<s>", a, b) for a, b, _ in real[:40]]


def test_header_and_counts(trie):
    assert len(trie.vocab) == 72547 and trie.vocab[trie.word_index["the"]] == "the"
    assert len(trie.bigram_keys) == 2051541 and len(trie.trigram_keys) == 1669623
    assert np.all(np.diff(trie.bigram_keys.astype(np.int64)) > 0)
    assert np.all(np.diff(trie.trigram_keys.astype(np.int64)) > 0)


def test_matches_pocketsphinx_on_text_ngrams(trie, c_prob):
    triples = _triples(trie)
    h2, h1, w = (trie.ids([t[i] for t in triples]) for i in range(3))
    ref = _reference(c_prob, triples)
    np.testing.assert_allclose(trie.logprob_batch(w, h1, h2), ref, rtol=0, atol=TOLERANCE)
    # one- and zero-word histories
    ref1 = np.array([c_prob([t[2], t[1]]) for t in triples]) * lm_trie.LOG10_UNIT
    np.testing.assert_allclose(trie.logprob_batch(w, h1, -1), ref1, rtol=0, atol=TOLERANCE)
    ref0 = np.array([c_prob([t[2]]) for t in triples]) * lm_trie.LOG10_UNIT
    np.testing.assert_allclose(trie.logprob_batch(w, -1, -1), ref0, rtol=0, atol=TOLERANCE)


def test_stored_and_out_of_order_trigrams(trie, c_prob):
    rng = np.random.default_rng(7)
    keys = trie.trigram_keys[rng.integers(0, len(trie.trigram_keys), 100)]
    mask = np.uint64((1 << lm_trie.KEY_BITS) - 1)
    w = (keys >> np.uint64(2 * lm_trie.KEY_BITS)).astype(np.int64)
    h1 = ((keys >> np.uint64(lm_trie.KEY_BITS)) & mask).astype(np.int64)
    h2 = (keys & mask).astype(np.int64)
    triples = [(trie.vocab[c], trie.vocab[b], trie.vocab[a]) for a, b, c in zip(w, h1, h2)]
    # entries in the file's two unsorted trie nodes: the C search misses one of each pair
    triples += [("whips", "and", "bullhorns"), ("teased", "and", "bullhorns"),
                ("coach", "and", "jerri"), ("<s>", "and", "jerri")]
    h2, h1, w = (trie.ids([t[i] for t in triples]) for i in range(3))
    np.testing.assert_allclose(trie.logprob_batch(w, h1, h2), _reference(c_prob, triples), rtol=0, atol=TOLERANCE)


def test_unknown_history_cuts_context(trie):
    the, united, states = trie.ids(["the", "united", "states"])
    assert trie.logprob_batch(states, -1, the)[()] == trie.logprob_batch(states, -1, -1)[()]
    assert trie.logprob_batch(states, united, -1)[()] > trie.logprob_batch(states, -1, -1)[()] + 2
