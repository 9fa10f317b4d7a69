import pytest

from unspin.lm import UNKNOWN_LOGPROB, LanguageModel


@pytest.fixture(scope="module")
def lm():
    return LanguageModel.default()


def test_context_changes_probability(lm):
    assert lm.logprob("states", ["the", "united"]) > lm.logprob("states") + 2


def test_unknown_word_gets_floor(lm):
    assert lm.logprob("qwzxptlk") == UNKNOWN_LOGPROB
    assert not lm.known("qwzxptlk") and lm.known("bank")


def test_only_two_history_words_are_used(lm):
    # a longer history must not reach the C library (see docs/design.md)
    assert lm.logprob("states", ["in", "the", "united"]) == lm.logprob("states", ["the", "united"])


def test_window_prefers_original_collocation(lm):
    assert lm.window_logprob(["<s>", "investors"], ["safe", "havens"], ["such", "as"]) > \
        lm.window_logprob(["<s>", "investors"], ["secure", "sanctuaries"], ["such", "as"])


# --------------------------------------------------------------------------- vectorised scoring

import itertools  # noqa: E402

import numpy as np  # noqa: E402

UNKNOWN = "qwzxptlk"
# frequent and rare words, sentence markers, an unknown word and a word with an apostrophe
VOCAB = ["the", "united", "states", "of", "america", "bank", "said", "<s>", "</s>", UNKNOWN, "zyuganov's"]


def test_ids_maps_words_to_the_trie_vocabulary(lm):
    ids = lm.ids(VOCAB)
    assert ids.dtype == np.int64 and ids.shape == (len(VOCAB),)
    for word, i in zip(VOCAB, ids.tolist()):
        if word == UNKNOWN:
            assert i == -1
        else:
            assert i >= 0 and lm.trie.vocab[i] == word
    assert lm.ids([]).shape == (0,) and lm.ids([]).dtype == np.int64
    assert lm.ids(("bank", "bank")).tolist() == [lm.trie.word_index["bank"]] * 2
    assert lm.ids(["The", "BANK"]).tolist() == [-1, -1]  # the model is lower-case


def test_batch_logprob_equals_scalar_logprob_for_all_trigrams(lm):
    triples = list(itertools.product(VOCAB, repeat=3))  # (h2, h1, w), oldest first
    h2, h1, w = (lm.ids([t[k] for t in triples]) for k in range(3))
    got = lm.batch_logprob(w, h1, h2)
    assert got.shape == (len(triples),) and got.dtype == np.float64
    want = np.array([lm.logprob(c, [a, b]) for a, b, c in triples])
    mismatches = [(t, g, x) for t, g, x in zip(triples, got.tolist(), want.tolist()) if g != x]
    assert not mismatches, mismatches[:5]
    assert got.min() == UNKNOWN_LOGPROB  # unknown predicted words are floored, not -inf


def test_batch_logprob_short_histories_equal_scalar_logprob(lm):
    pairs = list(itertools.product(VOCAB, repeat=2))  # (h1, w)
    h1, w = lm.ids([p[0] for p in pairs]), lm.ids([p[1] for p in pairs])
    want1 = [lm.logprob(b, [a]) for a, b in pairs]
    assert lm.batch_logprob(w, h1, -1).tolist() == want1
    assert lm.batch_logprob(w, h1, np.full(len(w), -1)).tolist() == want1
    ids = lm.ids(VOCAB)
    want0 = [lm.logprob(x) for x in VOCAB]
    assert lm.batch_logprob(ids, -1, -1).tolist() == want0
    assert lm.batch_logprob(ids, np.full(len(ids), -1), -1).tolist() == want0


def test_batch_logprob_unknown_words(lm):
    the, united, states, bos = lm.ids(["the", "united", "states", "<s>"]).tolist()
    # unknown predicted word: the floor, whatever the history
    got = lm.batch_logprob(np.array([-1, -1, -1]), np.array([united, -1, bos]), np.array([the, -1, -1]))
    assert got.tolist() == [UNKNOWN_LOGPROB] * 3 == [lm.logprob(UNKNOWN, ["the", "united"]),
                                                      lm.logprob(UNKNOWN), lm.logprob(UNKNOWN, ["<s>"])]
    # unknown newest history word: the history is cut there (plain unigram)
    got = lm.batch_logprob(np.array([states]), np.array([-1]), np.array([the]))
    assert got[0] == lm.logprob("states", ["the", UNKNOWN]) == lm.logprob("states")
    # unknown oldest history word: the bigram remains
    got = lm.batch_logprob(np.array([states]), np.array([united]), np.array([-1]))
    assert got[0] == lm.logprob("states", [UNKNOWN, "united"]) == lm.logprob("states", ["united"])
    assert got[0] > lm.logprob("states") + 1


def test_batch_logprob_sentence_start_history(lm):
    words = ["the", "bank", "states", "said", "</s>", UNKNOWN]
    bos, the = lm.ids(["<s>", "the"]).tolist()
    w = lm.ids(words)
    assert lm.batch_logprob(w, bos, -1).tolist() == [lm.logprob(x, ["<s>"]) for x in words]
    assert lm.batch_logprob(w, the, bos).tolist() == [lm.logprob(x, ["<s>", "the"]) for x in words]
    # "the" is far more likely to open a sentence than "said"
    first = lm.batch_logprob(lm.ids(["the", "said"]), bos, -1)
    assert first[0] > first[1]


def test_batch_logprob_does_not_modify_its_inputs(lm):
    w = lm.ids(["states", UNKNOWN, "bank"])
    h1 = lm.ids(["united", "the", UNKNOWN])
    h2 = lm.ids(["the", "<s>", "of"])
    copies = [a.copy() for a in (w, h1, h2)]
    lm.batch_logprob(w, h1, h2)
    for a, b in zip((w, h1, h2), copies):
        np.testing.assert_array_equal(a, b)


def test_batch_logprob_accepts_lists(lm):
    w, h1, h2 = lm.ids(["states", "bank"]).tolist(), lm.ids(["united", "the"]).tolist(), [-1, -1]
    assert lm.batch_logprob(w, h1, h2).tolist() == [lm.logprob("states", ["united"]), lm.logprob("bank", ["the"])]


def test_batch_logprob_scalar_inputs(lm):
    the, united, states = lm.ids(["the", "united", "states"]).tolist()
    assert float(lm.batch_logprob(states, united, the)) == lm.logprob("states", ["the", "united"])


def test_unigram_batch_equals_scalar_logprob(lm):
    ids = lm.ids(VOCAB)
    got = lm.unigram_batch(ids)
    assert got.shape == ids.shape
    assert got.tolist() == [lm.logprob(x) for x in VOCAB]
    assert got[VOCAB.index(UNKNOWN)] == UNKNOWN_LOGPROB
    assert got.tolist() == lm.batch_logprob(ids, -1, -1).tolist()
    # a larger sample of the vocabulary, and repeated ids
    rng = np.random.default_rng(2)
    sample = rng.integers(0, len(lm.trie.vocab), 300)
    sample = np.concatenate([sample, sample[:20], [-1, -1]])
    words = [lm.trie.vocab[i] if i >= 0 else UNKNOWN for i in sample.tolist()]
    assert lm.unigram_batch(sample).tolist() == [lm.logprob(x) for x in words]
    assert lm.unigram_batch(np.zeros(0, dtype=np.int64)).shape == (0,)
    assert float(lm.unigram_batch(np.int64(-1))) == UNKNOWN_LOGPROB


def test_batch_logprob_on_real_text_matches_sequence_logprob(lm):
    words = ("<s> the central bank said on tuesday that it would keep interest rates unchanged "
             "as inflation eased qwzxptlk in the united states </s>").split()
    ids = lm.ids(words)
    h1 = np.concatenate([[-1], ids[:-1]])
    h2 = np.concatenate([[-1, -1], ids[:-2]])
    got = lm.batch_logprob(ids[1:], h1[1:], h2[1:])
    assert got.tolist() == [lm.logprob(w, words[max(0, k - 1):k + 1]) for k, w in enumerate(words[1:])]
    assert abs(got.sum() - lm.sequence_logprob(words[1:], ["<s>"])) < 1e-9
