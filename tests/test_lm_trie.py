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


# --------------------------------------------------------------------------- HashIndex

_EMPTY_SLOT = np.uint64(0xFFFFFFFFFFFFFFFF)


def _all_valid(n):
    return np.ones(n, dtype=bool)


def _check_index(keys, idx):
    """Every key is found at its position in ``keys`` (which must be sorted and unique)."""
    rng = np.random.default_rng(0)
    order = rng.permutation(len(keys))
    pos, found = idx.find(keys[order], _all_valid(len(keys)))
    assert found.all()
    np.testing.assert_array_equal(pos, order)


def test_hash_index_finds_every_key_at_its_sorted_position():
    rng = np.random.default_rng(11)
    keys = np.unique(rng.integers(0, 1 << 62, 3000, dtype=np.int64).astype(np.uint64))
    idx = lm_trie.HashIndex.build(keys)
    assert len(idx.slots) >= 4 * len(keys) and len(idx.slots) & (len(idx.slots) - 1) == 0  # load <= 0.25
    assert (idx.slots != _EMPTY_SLOT).sum() == len(keys)
    _check_index(keys, idx)
    # the table holds exactly the keys, each with its own position
    occupied = idx.slots != _EMPTY_SLOT
    np.testing.assert_array_equal(keys[idx.index[occupied]], idx.slots[occupied])


def test_hash_index_absent_and_invalid_queries_are_not_found():
    rng = np.random.default_rng(12)
    keys = np.unique(rng.integers(0, 1 << 40, 2000, dtype=np.int64).astype(np.uint64))
    idx = lm_trie.HashIndex.build(keys)
    absent = np.setdiff1d(np.arange(0, 5000, dtype=np.uint64) * np.uint64(7919), keys)
    assert len(absent) > 4000
    pos, found = idx.find(absent, _all_valid(len(absent)))
    assert not found.any() and pos.shape == absent.shape
    # present keys marked invalid are not looked up; the valid ones still are
    valid = np.arange(len(keys)) % 3 == 0
    pos, found = idx.find(keys, valid)
    np.testing.assert_array_equal(found, valid)
    np.testing.assert_array_equal(pos[valid], np.nonzero(valid)[0])
    pos, found = idx.find(keys, np.zeros(len(keys), dtype=bool))
    assert not found.any()
    # mixed batch: answers keep the query order
    q = np.concatenate([absent[:50], keys[::-40], absent[50:60]])
    pos, found = idx.find(q, _all_valid(len(q)))
    n = len(keys[::-40])
    np.testing.assert_array_equal(found, [False] * 50 + [True] * n + [False] * 10)
    np.testing.assert_array_equal(pos[50:50 + n], np.arange(len(keys))[::-40])


def test_hash_index_empty_query_and_empty_table():
    idx = lm_trie.HashIndex.build(np.arange(10, dtype=np.uint64))
    pos, found = idx.find(np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=bool))
    assert pos.shape == (0,) and found.shape == (0,)
    empty = lm_trie.HashIndex.build(np.zeros(0, dtype=np.uint64))
    assert (empty.slots == _EMPTY_SLOT).all()
    pos, found = empty.find(np.array([0, 1, 12345], dtype=np.uint64), _all_valid(3))
    assert not found.any()


@pytest.mark.parametrize("stride", [1, 1 << lm_trie.KEY_BITS, 1 << (2 * lm_trie.KEY_BITS), 1 << 32])
def test_hash_index_many_consecutive_or_strided_keys(stride):
    # n-gram keys are dense runs (same predicted word, consecutive history ids)
    keys = np.arange(1, 5001, dtype=np.uint64) * np.uint64(stride)
    idx = lm_trie.HashIndex.build(keys)
    _check_index(keys, idx)
    gaps = keys[:-1] + np.uint64(1) if stride > 1 else keys + np.uint64(5000)
    assert not idx.find(gaps, _all_valid(len(gaps)))[1].any()


def test_hash_index_long_collision_cluster_with_wraparound():
    # 3,000 keys whose home slots all lie in the last 64 slots of the table: one
    # cluster thousands of slots long that wraps around the end of the table
    n, bits = 3000, 14  # HashIndex.build sizes the table at 2**14 for 3,000 keys (load <= 0.25)
    cand = np.arange(1, 1_200_000, dtype=np.uint64)
    home = lm_trie.HashIndex._home(cand, bits)
    near_end = cand[home >= (1 << bits) - 64]
    assert len(near_end) > n + 100
    keys = np.sort(near_end[:n])
    idx = lm_trie.HashIndex.build(keys)
    assert len(idx.slots) == 1 << bits
    # the cluster really wraps: some keys sit at the start of the table
    assert (idx.slots[:100] != _EMPTY_SLOT).all()
    _check_index(keys, idx)
    # absent keys hashing into the same cluster walk it to its end and are not found
    absent = near_end[n:]
    pos, found = idx.find(absent, _all_valid(len(absent)))
    assert not found.any()
    # a mix of both, with some queries switched off
    q = np.concatenate([keys[:500], absent])
    valid = _all_valid(len(q))
    valid[::7] = False
    pos, found = idx.find(q, valid)
    expect = np.concatenate([np.ones(500, dtype=bool), np.zeros(len(absent), dtype=bool)]) & valid
    np.testing.assert_array_equal(found, expect)
    np.testing.assert_array_equal(pos[:500][valid[:500]], np.arange(500)[valid[:500]])


def test_hash_index_on_the_model_keys(trie):
    rng = np.random.default_rng(5)
    for keys, idx in ((trie.bigram_keys, trie.bigram_hash), (trie.trigram_keys, trie.trigram_hash)):
        sample = rng.integers(0, len(keys), 20_000)
        pos, found = idx.find(keys[sample], _all_valid(len(sample)))
        assert found.all()
        np.testing.assert_array_equal(pos, sample)
        # neighbours of stored keys that are not stored themselves
        near = keys[sample] + np.uint64(1)
        j = np.minimum(np.searchsorted(keys, near), len(keys) - 1)
        stored = keys[j] == near
        assert (~stored).sum() > 1000
        pos, found = idx.find(near, _all_valid(len(near)))
        np.testing.assert_array_equal(found, stored)
        np.testing.assert_array_equal(pos[stored], j[stored])


# --------------------------------------------------------------------------- raw_batch shapes


def test_raw_batch_scalar_inputs_give_0d_results_equal_to_pocketsphinx(trie, c_prob):
    the, united, states, unknown = *trie.ids(["the", "united", "states"]), -1
    cases = [(states, united, the, ["states", "united", "the"]),
             (states, united, unknown, ["states", "united"]),
             (states, unknown, unknown, ["states"]),
             (united, the, trie.word_index["<s>"], ["united", "the", "<s>"])]
    for w, h1, h2, words in cases:
        for args in ((int(w), int(h1), int(h2)), (np.int64(w), np.int64(h1), np.int64(h2)),
                     (np.array(w), np.array(h1), np.array(h2))):
            got = lm_trie.raw_batch(trie, *args)
            assert isinstance(got, np.ndarray) and got.shape == () and got.dtype == np.int64
            assert int(got) == c_prob(words), words


def test_raw_batch_broadcasts_and_keeps_shape(trie, c_prob):
    words = ["states", "bank", "america", "said"]
    hist = ["united", "the", "of", "<s>", "qwzxptlk"]
    w = trie.ids(words)[:, None]             # (4, 1)
    h1 = trie.ids(hist)[None, :]             # (1, 5)
    the = trie.word_index["the"]
    got = lm_trie.raw_batch(trie, w, h1, the)
    assert got.shape == (4, 5)
    for a, word in enumerate(words):
        for b, h in enumerate(hist):
            # pocketsphinx cuts the history at an unknown word
            ref = c_prob([word, h, "the"]) if h in trie.word_index else c_prob([word])
            assert got[a, b] == ref, (word, h)
    np.testing.assert_array_equal(lm_trie.raw_batch(trie, w.ravel(), -1, -1),
                                  [c_prob([x]) for x in words])
    assert lm_trie.raw_batch(trie, np.zeros(0, np.int64), np.zeros(0, np.int64), -1).shape == (0,)


# --------------------------------------------------------------------------- load_cached

_CACHE_FILES = {f"{k}.npy" for k in lm_trie._ARRAYS} | {
    f"{k}_{part}.npy" for k in lm_trie._HASHES for part in ("slots", "index")} | {"vocab.txt"}


def _assert_same_model(got, ref):
    assert got.vocab == ref.vocab
    assert got.word_index == ref.word_index
    for name in lm_trie._ARRAYS:
        a, b = getattr(got, name), getattr(ref, name)
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    for name in lm_trie._HASHES:
        np.testing.assert_array_equal(getattr(got, name).slots, getattr(ref, name).slots, err_msg=name)
        np.testing.assert_array_equal(getattr(got, name).index, getattr(ref, name).index, err_msg=name)


def _assert_scores_like(got, ref):
    rng = np.random.default_rng(3)
    k = rng.integers(0, len(ref.trigram_keys), 2000)
    keys = ref.trigram_keys[k]
    mask = np.uint64((1 << lm_trie.KEY_BITS) - 1)
    w = (keys >> np.uint64(2 * lm_trie.KEY_BITS)).astype(np.int64)
    h1 = ((keys >> np.uint64(lm_trie.KEY_BITS)) & mask).astype(np.int64)
    h2 = rng.permutation((keys & mask).astype(np.int64))  # mostly backing off
    for a, b in ((h1, keys & mask), (h1, h2), (-1, -1)):
        b = np.asarray(b).astype(np.int64)
        np.testing.assert_array_equal(lm_trie.raw_batch(got, w, a, b), lm_trie.raw_batch(ref, w, a, b))


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory, trie):
    """A cache written by a real first :func:`load_cached` (one full decode)."""
    root = tmp_path_factory.mktemp("lm-cache")
    first = lm_trie.load_cached(lm_trie.default_path(), cache=root)
    _assert_same_model(first, trie)
    return root


@pytest.fixture
def decode_spy(monkeypatch, trie):
    """Replace the decoder by one that counts calls and returns the already decoded model."""
    calls = []

    def fake_load_trie(path):
        calls.append(path)
        return trie

    monkeypatch.setattr(lm_trie, "load_trie", fake_load_trie)
    return calls


def _copy_cache(cache_root, dest):
    import shutil

    (folder,) = cache_root.iterdir()
    shutil.copytree(folder, dest / folder.name)
    return dest / folder.name


def test_load_cached_writes_a_versioned_cache_folder(cache_root):
    import os

    folders = list(cache_root.iterdir())
    assert len(folders) == 1, "no temporary folder may be left behind"
    folder = folders[0]
    st = os.stat(lm_trie.default_path())
    assert folder.name == f"lm-v{lm_trie.CACHE_VERSION}-{st.st_size}-{int(st.st_mtime)}"
    assert folder.name.startswith(f"lm-v{lm_trie.CACHE_VERSION}-")
    assert {p.name for p in folder.iterdir()} == _CACHE_FILES
    assert all((folder / name).stat().st_size > 0 for name in _CACHE_FILES)


def test_load_cached_second_call_reads_the_cache(cache_root, trie, monkeypatch):
    def no_decode(path):
        raise AssertionError("a valid cache must not be decoded again")

    monkeypatch.setattr(lm_trie, "load_trie", no_decode)
    again = lm_trie.load_cached(lm_trie.default_path(), cache=str(cache_root))  # str path works too
    _assert_same_model(again, trie)
    assert not isinstance(again.bigram_keys, np.memmap)  # plain arrays (fast indexing), memory-mapped data
    _assert_scores_like(again, trie)
    assert len(list(cache_root.iterdir())) == 1


@pytest.mark.parametrize("damage", ["short_vocab", "missing_npy", "missing_hash_npy", "truncated_npy",
                                    "header_only_npy", "missing_vocab"])
def test_load_cached_damaged_cache_falls_back_to_decoding(cache_root, tmp_path, trie, decode_spy, damage):
    folder = _copy_cache(cache_root, tmp_path)
    if damage == "short_vocab":
        words = (folder / "vocab.txt").read_text(encoding="utf-8").split("\n")
        (folder / "vocab.txt").write_text("\n".join(words[:-10]), encoding="utf-8")
    elif damage == "missing_npy":
        (folder / "bigram_logprob.npy").unlink()
    elif damage == "missing_hash_npy":
        (folder / "trigram_hash_slots.npy").unlink()
    elif damage == "truncated_npy":  # header intact, data cut short
        p = folder / "trigram_keys.npy"
        p.write_bytes(p.read_bytes()[:4096])
    elif damage == "header_only_npy":
        p = folder / "unigram_backoff.npy"
        p.write_bytes(p.read_bytes()[:40])
    elif damage == "missing_vocab":
        (folder / "vocab.txt").unlink()
    lm = lm_trie.load_cached(lm_trie.default_path(), cache=tmp_path)
    assert len(decode_spy) == 1
    _assert_same_model(lm, trie)
    _assert_scores_like(lm, trie)
    # the damaged cache was replaced: the next process reads it without decoding
    again = lm_trie.load_cached(lm_trie.default_path(), cache=tmp_path)
    assert len(decode_spy) == 1
    _assert_same_model(again, trie)


def test_load_cached_empty_npy_file_falls_back_to_decoding(cache_root, tmp_path, trie, decode_spy):
    folder = _copy_cache(cache_root, tmp_path)
    (folder / "bigram_keys.npy").write_bytes(b"")
    lm = lm_trie.load_cached(lm_trie.default_path(), cache=tmp_path)
    assert len(decode_spy) == 1
    _assert_same_model(lm, trie)


def test_load_cached_empty_cache_folder_is_written_by_first_call(tmp_path, trie, decode_spy):
    root = tmp_path / "does" / "not" / "exist"
    lm = lm_trie.load_cached(lm_trie.default_path(), cache=root)
    assert len(decode_spy) == 1 and lm is trie
    (folder,) = root.iterdir()
    assert folder.name.startswith(f"lm-v{lm_trie.CACHE_VERSION}-") and {p.name for p in folder.iterdir()} == _CACHE_FILES
    # and the next call reads what was written
    again = lm_trie.load_cached(lm_trie.default_path(), cache=root)
    assert len(decode_spy) == 1
    _assert_same_model(again, trie)


@pytest.mark.parametrize("where", ["file", "below_file"])
def test_load_cached_unwritable_cache_still_returns_a_working_model(tmp_path, trie, decode_spy, where):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("I am a file")
    cache = blocker if where == "file" else blocker / "sub"
    lm = lm_trie.load_cached(lm_trie.default_path(), cache=cache)
    assert len(decode_spy) == 1
    _assert_same_model(lm, trie)
    assert blocker.read_text() == "I am a file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder"]
    the, united, states = lm.ids(["the", "united", "states"])
    assert lm.logprob_batch(states, united, the)[()] > lm.logprob_batch(states, -1, -1)[()]


def test_load_cached_ignores_other_cache_versions(tmp_path, trie, decode_spy):
    import os

    st = os.stat(lm_trie.default_path())
    old = tmp_path / f"lm-v1-{st.st_size}-{int(st.st_mtime)}"
    old.mkdir()
    (old / "vocab.txt").write_text("stale")
    lm = lm_trie.load_cached(lm_trie.default_path(), cache=tmp_path)
    assert len(decode_spy) == 1
    _assert_same_model(lm, trie)
    assert (old / "vocab.txt").read_text() == "stale"
    assert len(list(tmp_path.glob(f"lm-v{lm_trie.CACHE_VERSION}-*"))) == 1


def test_cache_dir_environment(monkeypatch, tmp_path):
    from pathlib import Path as P

    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "own"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert lm_trie.cache_dir() == tmp_path / "own"
    monkeypatch.delenv("UNSPIN_CACHE")
    assert lm_trie.cache_dir() == tmp_path / "xdg" / "unspin"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert lm_trie.cache_dir() == P.home() / ".cache" / "unspin"
