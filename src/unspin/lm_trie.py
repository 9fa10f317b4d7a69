"""Pure-numpy reader for the CMU Sphinx binary "Trie Language Model" (``*.lm.bin``).

It loads the trigram model that ships with the ``pocketsphinx`` wheel into flat
numpy arrays so that the engine scores all of a document's candidates in a few
vectorised passes instead of calling ``NGramModel.prob`` once per n-gram
(:meth:`unspin.lm.LanguageModel.batch_logprob`). n-grams are found through hash
tables (:class:`HashIndex`). Decoding and hashing take about 1.5 s, so the arrays
are cached as ``.npy`` files (~350 MB) and memory-mapped on later runs
(:func:`load_cached`).

File layout (little-endian; reimplemented from reading sphinxbase/pocketsphinx
``ngram_model_trie.c``, ``lm_trie.c``, ``lm_trie_quant.c`` and ``bitarr.c``):

* ``b"Trie Language Model"`` (19 bytes, no NUL), ``uint8 order``,
  ``uint32 counts[order]`` (counts include the "blank" middle n-grams that the
  builder inserts so every higher-order n-gram is reachable).
* ``int32`` (legacy quantisation type, always 1), then the quantisation tables,
  ``float32`` in log base 1.0001: for each middle order a 65536-entry prob
  table and a 65536-entry backoff table, then a 65536-entry prob table for the
  highest order.
* ``counts[0] + 1`` unigram records ``{float32 prob, float32 backoff, uint32
  next}`` (the last is a sentinel); ``next`` indexes the first bigram of word
  *w*, which run up to ``unigrams[w + 1].next``.
* The packed n-gram memory. The trie is keyed by the *predicted* word first and
  then the history newest-to-oldest: the bigram entries under unigram *w* are
  histories *h1* (sorted), the trigram entries under bigram (w, h1) are *h2*.
  Each middle (bigram) entry is ``word_bits + 32 + next_bits`` bits, read
  LSB-first from the byte stream: the word id, a 16-bit backoff bin, a 16-bit
  prob bin, then the index of its first trigram (the next entry's pointer ends
  the range). Each longest (trigram) entry is ``word_bits + 16`` bits: the word
  id and a 16-bit prob bin. ``word_bits = bit_length(counts[0])``,
  ``next_bits = bit_length(counts[2])``. Each section has ``(entries + 1) *
  total_bits`` bits rounded up to bytes plus 8 padding bytes.
* ``int32 nbytes`` then ``nbytes`` of NUL-terminated word strings (word ids are
  their positions).

Scoring matches the C library: trigram (w | h2 h1) if stored, else the
(possibly blank) bigram (w | h1) plus backoff(h2 h1), else unigram(w) plus
backoff(h1) plus backoff(h2 h1). All values here are log10.
"""
from __future__ import annotations

import os
import shutil
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MAGIC = b"Trie Language Model"
LOG10_UNIT = float(np.log10(1.0001))  # file stores log base 1.0001
QBITS = 16  # prob/backoff quantisation bits (fixed in sphinxbase)
#: bits per word id in the packed keys below (2**21 words is plenty for 72.5k).
KEY_BITS = 21


@dataclass
class TrieLM:
    """A trigram LM as flat arrays; log-probabilities are float32 in the file's log-1.0001 units.

    Keys put the predicted word first, as the file does:
    ``bigram_keys[i] = w << 21 | h1`` for P(w | h1) and
    ``trigram_keys[i] = w << 42 | h1 << 21 | h2`` for P(w | h2 h1); both sorted.
    ``bigram_backoff[i]`` is the backoff weight of the word sequence ``h1 w``
    used as a history (ARPA order), so backoff(h2 h1) is found at key
    ``h1 << 21 | h2``. Bigram entries include the builder's "blank" bigrams
    (prob = unigram + backoff, backoff 0) that make trigrams reachable.
    """

    vocab: list[str]
    unigram_logprob: np.ndarray
    unigram_backoff: np.ndarray
    bigram_keys: np.ndarray
    bigram_logprob: np.ndarray
    bigram_backoff: np.ndarray
    trigram_keys: np.ndarray
    trigram_logprob: np.ndarray
    word_index: dict[str, int] = field(repr=False, default_factory=dict)
    bigram_hash: "HashIndex | None" = field(repr=False, default=None)
    trigram_hash: "HashIndex | None" = field(repr=False, default=None)
    # the values again, laid out by hash slot (HashIndex.per_slot): one random read less per lookup
    bigram_slot_logprob: np.ndarray | None = field(repr=False, default=None)
    bigram_slot_backoff: np.ndarray | None = field(repr=False, default=None)
    trigram_slot_logprob: np.ndarray | None = field(repr=False, default=None)

    def __post_init__(self):
        if not self.word_index:
            self.word_index = {w: i for i, w in enumerate(self.vocab)}
        if self.bigram_hash is None:
            self.bigram_hash = HashIndex.build(self.bigram_keys)
        if self.trigram_hash is None:
            self.trigram_hash = HashIndex.build(self.trigram_keys)
        if self.bigram_slot_logprob is None:
            self.bigram_slot_logprob = self.bigram_hash.per_slot(self.bigram_logprob)
        if self.bigram_slot_backoff is None:
            self.bigram_slot_backoff = self.bigram_hash.per_slot(self.bigram_backoff)
        if self.trigram_slot_logprob is None:
            self.trigram_slot_logprob = self.trigram_hash.per_slot(self.trigram_logprob)
        self.bigram_hash._placed = self.trigram_hash._placed = None  # 64 MB not needed any more

    def ids(self, words) -> np.ndarray:
        """Word ids (int64), -1 for words not in the vocabulary."""
        get = self.word_index.get
        return np.fromiter((get(w, -1) for w in words), dtype=np.int64, count=len(words))

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.unigram_logprob, self.unigram_backoff, self.bigram_keys,
                                      self.bigram_logprob, self.bigram_backoff, self.trigram_keys,
                                      self.trigram_logprob))

    def logprob_batch(self, words, hist1, hist2) -> np.ndarray:
        """log10 P(word | hist2 hist1) for arrays of word ids; hist1 is the newest history word.

        A negative id in ``hist1``/``hist2`` means "no such history word" (as with
        unknown words in pocketsphinx: the history is cut there). ``words`` must be
        valid ids.
        """
        return logprob_batch(self, words, hist1, hist2)


_EMPTY = np.uint64(0xFFFFFFFFFFFFFFFF)  # no n-gram key reaches 2**63
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
#: Slots read per probe step (8 x 8 bytes: one cache line).
PROBE_WIDTH = 8


@dataclass
class HashIndex:
    """Open-addressing hash table (linear probing, load <= 0.25) over sorted n-gram keys.

    A binary search over two million keys costs ~0.5 µs per query (21 dependent
    cache misses); a hash probe costs ~0.05 µs (about 1.5 slots read), which is what
    makes scoring every candidate of a document in context affordable.
    """

    slots: np.ndarray  # uint64 key per slot, _EMPTY where free
    index: np.ndarray  # int32 position of that key in the sorted arrays
    # right after build(): (slot, position in the sorted arrays) of every key, for per_slot
    _placed: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)

    @staticmethod
    def _home(keys: np.ndarray, bits: int) -> np.ndarray:
        # Fibonacci hashing: the top bits of key * 2**64/phi (uint64 arithmetic wraps)
        return ((keys * _GOLDEN) >> np.uint64(64 - bits)).astype(np.int64)

    @classmethod
    def build(cls, keys: np.ndarray) -> "HashIndex":
        keys = np.asarray(keys, dtype=np.uint64)
        # load <= 0.25: probe runs stay short (measured: 26 % faster than at 0.5 for
        # 48 MB more per table)
        bits = max(4, int(np.ceil(np.log2(4 * max(len(keys), 1)))))
        size = 1 << bits
        slots = np.full(size, _EMPTY, dtype=np.uint64)
        index = np.full(size, -1, dtype=np.int32)
        home = cls._home(keys, bits)
        # Linear probing in order of home slot, computed at once instead of probe round by
        # probe round (3x faster on a machine's first run): each key takes the first slot
        # at or after its home that the keys before it left free,
        #   pos_i = max(home_i, pos_{i-1} + 1) = i + cummax(home_j - j, j <= i),
        # so every slot from a key's home to its own is taken (a probe never stops early).
        order = np.argsort(home, kind="stable")
        i = np.arange(len(order))
        pos = np.maximum.accumulate(home[order] - i) + i
        inside = pos < size
        slots[pos[inside]] = keys[order[inside]]
        index[pos[inside]] = order[inside]
        # a run past the last slot wraps round: its keys take the first free slots from 0
        over = order[~inside]
        if len(over):
            free = np.flatnonzero(slots == _EMPTY)[: len(over)]
            slots[free] = keys[over]
            index[free] = over
            pos = np.concatenate([pos[inside], free])
            order = np.concatenate([order[inside], over])
        return cls(slots, index, (pos.astype(np.int32), order.astype(np.int32)))

    def find(self, query: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in the sorted arrays, found) for each query; invalid queries are not found."""
        slot, found = self.find_slot(query, valid)
        return np.where(found, self.index[slot], 0).astype(np.int64), found

    def find_slot(self, query: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(slot holding the key, found) for each query; invalid queries are not found.

        Probes read a window of PROBE_WIDTH consecutive slots at once (one cache line):
        linear probing leaves clusters tens of slots long, and walking them one slot
        per vectorised step would cost tens of numpy passes per batch.
        """
        query = np.asarray(query, dtype=np.uint64)
        valid = np.asarray(valid, dtype=bool)
        mask = len(self.slots) - 1
        bits = mask.bit_length()
        n = len(query)
        if n and np.count_nonzero(valid) * 5 >= 4 * n:
            # nearly all valid: probe every query's home slot in place (no compress and
            # scatter for the ~90 % that the first probe settles)
            slot = self._home(query, bits)
            k = self.slots[slot]
            found = (k == query) & valid
            pos = np.where(found, slot, 0)
            todo = np.flatnonzero(valid & ~found & (k != _EMPTY))
            q, slot = query[todo], (slot[todo] + 1) & mask
            plain = 2
        else:
            pos = np.zeros(n, dtype=np.int64)
            found = np.zeros(n, dtype=bool)
            todo = np.flatnonzero(valid)
            q = query[todo]
            slot = self._home(q, bits)
            plain = 3
        # most keys sit in or next to their home slot: a few plain probes first
        for _ in range(plain):
            if not len(todo):
                break
            k = self.slots[slot]
            hit = k == q
            th = todo[hit]
            pos[th] = slot[hit]
            found[th] = True
            go = np.flatnonzero(~hit & (k != _EMPTY))
            todo, q, slot = todo[go], q[go], (slot[go] + 1) & mask
        step = np.arange(PROBE_WIDTH)
        while len(todo):
            window = (slot[:, None] + step) & mask
            k = self.slots[window]
            hit = k == q[:, None]
            got = hit.any(axis=1)
            pos[todo[got]] = window[got, hit[got].argmax(axis=1)]
            found[todo[got]] = True
            go = ~got & ~(k == _EMPTY).any(axis=1)
            todo, q, slot = todo[go], q[go], (slot[go] + PROBE_WIDTH) & mask
        return pos, found

    def per_slot(self, values: np.ndarray) -> np.ndarray:
        """``values`` (aligned with the sorted keys) laid out by slot, so a lookup reads
        the value next to where it found the key instead of via ``index``."""
        values = np.asarray(values)
        placed = self._placed
        if placed is None:
            return np.where(self.index >= 0, values[np.maximum(self.index, 0)], 0).astype(values.dtype)
        out = np.zeros(len(self.slots), dtype=values.dtype)  # a scatter of n values, not a pass over 4n slots
        out[placed[0]] = values[placed[1]]
        return out


def raw_batch(lm: TrieLM, words, hist1, hist2) -> np.ndarray:
    """Scores in whole log-1.0001 units (int64), exactly as pocketsphinx's ``NGramModel.prob``.

    The C library adds float32 prob and backoff values and truncates the sum to an
    integer; doing the same here makes the two agree bit for bit, so results do not
    depend on which of them answered a query.
    """
    w = np.asarray(words, dtype=np.int64)
    h1 = np.asarray(hist1, dtype=np.int64)
    h2 = np.asarray(hist2, dtype=np.int64)
    w, h1, h2 = np.broadcast_arrays(w, h1, h2)
    shape = w.shape
    w, h1, h2 = w.ravel(), h1.ravel(), h2.ravel()
    has1 = h1 >= 0
    has2 = has1 & (h2 >= 0)  # history is cut at the first unknown word
    uw = w.astype(np.uint64)
    u1 = np.where(has1, h1, 0).astype(np.uint64)
    u2 = np.where(has2, h2, 0).astype(np.uint64)
    kb = np.uint64(KEY_BITS)

    # P(w | h1): bigram if present, else unigram + backoff(h1)
    bpos, bfound = lm.bigram_hash.find_slot((uw << kb) | u1, has1)
    out = lm.bigram_slot_logprob[bpos]
    miss = np.flatnonzero(~bfound)  # the unigram fallback only where no bigram is stored
    if len(miss):
        wm, hm, h1m = w[miss], has1[miss], h1[miss]
        out[miss] = lm.unigram_logprob[wm] + np.where(hm, lm.unigram_backoff[np.where(hm, h1m, 0)], np.float32(0))
    # backoff of the history "h2 h1" (stored under key h1 << 21 | h2), looked up once per
    # run of equal histories: the engine queues a word's candidates one after another in
    # the same context (half its queries), so this saves a third of those lookups
    hkey = np.where(has2, (u1 << kb) | u2, _EMPTY)
    new_run = np.empty(len(hkey), dtype=bool)
    new_run[:1] = True
    np.not_equal(hkey[1:], hkey[:-1], out=new_run[1:])
    first = np.flatnonzero(new_run)
    hpos, hfound = lm.bigram_hash.find_slot(hkey[first], has2[first])
    hist_bo = np.where(hfound, lm.bigram_slot_backoff[hpos], np.float32(0))[np.cumsum(new_run) - 1]
    # P(w | h2 h1): trigram if present (only under a stored bigram), else the above + backoff(h2 h1).
    # (Trigram-first was tried: only ~7 % of the engine's queries are stored trigrams, so it is slower.)
    tpos, tfound = lm.trigram_hash.find_slot((uw << np.uint64(2 * KEY_BITS)) | (u1 << kb) | u2, has2 & bfound)
    units = np.where(tfound, lm.trigram_slot_logprob[tpos], out + hist_bo)
    return np.trunc(units).astype(np.int64).reshape(shape)


def logprob_batch(lm: TrieLM, words, hist1, hist2) -> np.ndarray:
    """log10 P(word | hist2 hist1), float64 (see :func:`raw_batch`)."""
    return raw_batch(lm, words, hist1, hist2) * LOG10_UNIT


def _read_bits(buf: np.ndarray, bitpos: np.ndarray, nbits: int) -> np.ndarray:
    """Little-endian bit fields (nbits <= 32) starting at bit offsets ``bitpos``.

    ``buf`` must end with 8 bytes of padding (:func:`_padded`): each field is read as the
    8 bytes from its first byte, one unaligned little-endian word (32 bits + up to 7 of
    shift fit), through an overlapping view with a stride of one byte: one gather of
    words, no copy of the buffer.
    """
    byte = (bitpos >> 3).astype(np.int64)
    shift = (bitpos & 7).astype(np.uint64)
    words = np.ndarray(shape=(len(buf) - 7,), dtype="<u8", buffer=buf, strides=(1,))
    return (words[byte] >> shift) & np.uint64((1 << nbits) - 1)


def _padded(section: np.ndarray) -> np.ndarray:
    """The section with the 8 zero bytes :func:`_read_bits` reads past its last field."""
    return np.concatenate([section, np.zeros(8, dtype=np.uint8)])


def _uniform_find(words: list[int], key: int, max_vocab: int) -> int:
    """Index in ``words`` that sphinxbase's interpolation search returns for ``key``, or -1."""
    before_it, before_v, after_it, after_v = -1, 0, len(words), max_vocab
    if key > after_v:
        return -1
    while after_it - before_it > 1:
        width = after_it - before_it - 1
        pivot = before_it + 1 + (((key - before_v) * width) & 0xFFFFFFFF) // (after_v - before_v + 1)
        mid = words[pivot]
        if mid < key:
            before_it, before_v = pivot, mid
        elif mid > key:
            after_it, after_v = pivot, mid
        else:
            return pivot
    return -1


def _reachable(keys: np.ndarray, max_vocab: int) -> np.ndarray:
    """Mask of entries the C lookup can find; only nodes whose entries are out of order are checked."""
    keep = np.ones(len(keys), dtype=bool)
    bad = np.nonzero(keys[1:] <= keys[:-1])[0]
    if len(bad) == 0:
        return keep
    mask = np.uint64((1 << KEY_BITS) - 1)
    parent = keys >> np.uint64(KEY_BITS)
    for p in np.unique(parent[bad]):
        idx = np.nonzero(parent == p)[0]
        words = [int(x) for x in keys[idx] & mask]
        for j, i in enumerate(idx):
            if _uniform_find(words, words[j], max_vocab) != j:
                keep[i] = False
    return keep


def _section_size(entries: int, total_bits: int) -> int:
    return ((1 + entries) * total_bits + 7) // 8 + 8


def load_trie(path: str | os.PathLike) -> TrieLM:
    """Read a sphinxbase trigram ``.lm.bin`` (trie format) into numpy arrays."""
    data = np.fromfile(os.fspath(path), dtype=np.uint8)
    raw = memoryview(data)
    if bytes(raw[: len(MAGIC)]) != MAGIC:
        raise ValueError(f"{path}: not a sphinx 'Trie Language Model' file")
    off = len(MAGIC)
    order = data[off]
    off += 1
    if order != 3:
        raise NotImplementedError(f"only trigram models are supported (order={order})")
    counts = struct.unpack_from("<3I", raw, off)
    off += 12
    off += 4  # legacy quantisation type
    n1 = counts[0]
    table = np.frombuffer(raw, dtype="<f4", count=3 * (1 << QBITS), offset=off).astype(np.float32)
    off += table.nbytes
    mid_prob_bins, mid_bo_bins, long_prob_bins = (table[i << QBITS:(i + 1) << QBITS]
                                                   for i in range(3))

    uni = np.frombuffer(raw, dtype=np.dtype([("p", "<f4"), ("bo", "<f4"), ("next", "<u4")]),
                        count=n1 + 1, offset=off)
    off += uni.nbytes
    unigram_logprob = uni["p"][:n1].astype(np.float32)
    unigram_backoff = uni["bo"][:n1].astype(np.float32)
    uni_next = uni["next"].astype(np.int64)

    word_bits = int(n1).bit_length()
    next_bits = int(counts[2]).bit_length()
    mid_bits = word_bits + 2 * QBITS + next_bits
    long_bits = word_bits + QBITS
    mid_size = _section_size(counts[1], mid_bits)
    long_size = _section_size(counts[2], long_bits)
    mid = _padded(data[off:off + mid_size])
    off += mid_size
    lng = _padded(data[off:off + long_size])
    off += long_size

    (nchars,) = struct.unpack_from("<i", raw, off)
    off += 4
    vocab = bytes(raw[off:off + nchars]).decode("utf-8", "replace").split("\0")[:n1]
    if len(vocab) != n1:
        raise ValueError(f"{path}: expected {n1} words, found {len(vocab)}")

    # The header counts come from the builder's estimate of blank n-grams and can
    # exceed what it really inserted (by 6 bigrams for en-us.lm.bin): the sections
    # are sized by the header, the real extent is given by the pointers.
    n2 = int(uni_next[n1])
    # bigrams: entry i lies under unigram w where next[w] <= i < next[w + 1]
    base = np.arange(n2 + 1, dtype=np.int64) * mid_bits
    h1 = _read_bits(mid, base[:-1], word_bits)
    bo_code = _read_bits(mid, base[:-1] + word_bits, QBITS).astype(np.int64)
    p_code = _read_bits(mid, base[:-1] + word_bits + QBITS, QBITS).astype(np.int64)
    tri_next = _read_bits(mid, base + word_bits + 2 * QBITS, next_bits).astype(np.int64)
    n3 = int(tri_next[n2])
    if n2 > counts[1] or n3 > counts[2] or np.any(np.diff(uni_next) < 0) or np.any(np.diff(tri_next) < 0):
        raise ValueError(f"{path}: inconsistent trie pointers")
    bw = np.repeat(np.arange(n1, dtype=np.uint64), np.diff(uni_next))
    kb = np.uint64(KEY_BITS)
    bigram_keys = (bw << kb) | h1
    # trigrams: entry j lies under bigram i where tri_next[i] <= j < tri_next[i + 1]
    tpar = np.repeat(np.arange(n2, dtype=np.int64), np.diff(tri_next))
    tbase = np.arange(n3, dtype=np.int64) * long_bits
    h2 = _read_bits(lng, tbase, word_bits)
    t_code = _read_bits(lng, tbase + word_bits, QBITS).astype(np.int64)
    trigram_keys = (bigram_keys[tpar] << kb) | h2

    # The builder can leave a node's entries out of order (2 trigram nodes in
    # en-us.lm.bin); the C library's interpolation search then misses some of
    # them, so keep exactly the entries it can reach.
    keep_b = _reachable(bigram_keys, n1)
    keep_t = _reachable(trigram_keys, n1)
    bigram_keys, p_code, bo_code = bigram_keys[keep_b], p_code[keep_b], bo_code[keep_b]
    trigram_keys, t_code = trigram_keys[keep_t], t_code[keep_t]
    order_b = np.argsort(bigram_keys, kind="stable")
    order_t = np.argsort(trigram_keys, kind="stable")
    bigram_keys, p_code, bo_code = bigram_keys[order_b], p_code[order_b], bo_code[order_b]
    trigram_keys, t_code = trigram_keys[order_t], t_code[order_t]
    if np.any(bigram_keys[1:] == bigram_keys[:-1]) or np.any(trigram_keys[1:] == trigram_keys[:-1]):
        raise ValueError(f"{path}: duplicate n-grams")
    return TrieLM(
        vocab=vocab,
        unigram_logprob=unigram_logprob,
        unigram_backoff=unigram_backoff,
        bigram_keys=bigram_keys,
        bigram_logprob=mid_prob_bins[p_code],
        bigram_backoff=mid_bo_bins[bo_code],
        trigram_keys=trigram_keys,
        trigram_logprob=long_prob_bins[t_code],
    )


_ARRAYS = ("unigram_logprob", "unigram_backoff", "bigram_keys", "bigram_logprob", "bigram_backoff",
           "trigram_keys", "trigram_logprob", "bigram_slot_logprob", "bigram_slot_backoff", "trigram_slot_logprob")
_HASHES = ("bigram_hash", "trigram_hash")
#: Bump when the cached layout or the decoding changes: old caches are then ignored.
CACHE_VERSION = 5


def cache_dir() -> Path:
    """``$UNSPIN_CACHE``, else ``$XDG_CACHE_HOME/unspin``, else ``~/.cache/unspin``.

    (Not under ``$UNSPIN_HOME``, which holds learned profiles: the cache is derived
    data, shared by every profile home on the machine.)
    """
    own = os.environ.get("UNSPIN_CACHE")
    if own:
        return Path(own).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "unspin"


def _cache_folder(path: str | os.PathLike, cache: str | os.PathLike | None) -> Path:
    st = os.stat(path)
    root = Path(cache) if cache is not None else cache_dir()
    return root / f"lm-v{CACHE_VERSION}-{st.st_size}-{int(st.st_mtime)}"


def cache_ready(path: str | os.PathLike | None = None, cache: str | os.PathLike | None = None) -> bool:
    """Whether :func:`load_cached` will find the decoded arrays (else this is the first
    run on the machine, which takes a few seconds more)."""
    try:
        return (_cache_folder(path or default_path(), cache) / "vocab.txt").exists()
    except OSError:
        return False


def load_cached(path: str | os.PathLike, cache: str | os.PathLike | None = None) -> TrieLM:
    """:func:`load_trie`, memory-mapped from a cache of decoded arrays when one exists.

    The cache is keyed by the model file's size and modification time and written
    atomically (a temporary folder renamed into place), so concurrent first runs
    and interrupted writes cannot leave a half-written cache behind. When the
    cache folder cannot be written, the model is decoded in memory every time
    (correct, just 0.4 s slower to start).
    """
    folder = _cache_folder(path, cache)
    root = folder.parent
    if (folder / "vocab.txt").exists():
        try:
            # np.asarray drops the memmap subclass (same memory): its __getitem__ is slow
            load = lambda name: np.asarray(np.load(folder / f"{name}.npy", mmap_mode="r"))  # noqa: E731
            arrays = {k: load(k) for k in _ARRAYS}
            hashes = {k: HashIndex(load(f"{k}_slots"), load(f"{k}_index")) for k in _HASHES}
            vocab = (folder / "vocab.txt").read_text(encoding="utf-8").split("\n")
            if len(vocab) == len(arrays["unigram_logprob"]):
                return TrieLM(vocab=vocab, **arrays, **hashes)
        except (OSError, ValueError, EOFError):
            pass  # unreadable or damaged cache: fall through and rebuild it
    lm = load_trie(path)
    tmp = None
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=root))
        for k in _ARRAYS:
            np.save(tmp / f"{k}.npy", getattr(lm, k))
        for k in _HASHES:
            np.save(tmp / f"{k}_slots.npy", getattr(lm, k).slots)
            np.save(tmp / f"{k}_index.npy", getattr(lm, k).index)
        (tmp / "vocab.txt").write_text("\n".join(lm.vocab), encoding="utf-8")
        try:
            if folder.exists():  # a damaged cache (we only get here if it failed to load)
                shutil.rmtree(folder, ignore_errors=True)
            os.rename(tmp, folder)
        except OSError:  # another process won the race
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError:  # e.g. a full disk: leave no partial folder behind
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return lm


def default_path() -> str:
    import importlib.util

    spec = importlib.util.find_spec("pocketsphinx")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("pocketsphinx is not installed")
    return os.path.join(list(spec.submodule_search_locations)[0], "model", "en-us", "en-us.lm.bin")
