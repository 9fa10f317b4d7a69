"""Spin-robust retrieval features (hashed, 63-bit) for the trace index.

A dictionary spinner swaps content words but leaves the *immutables* alone:
function words, numbers and most names (DSpin, Zhang et al. 2014). Three
feature families are hashed into one inverted index:

``imm``   4-grams over the sequence of immutables (content words skipped);
          survives one-for-one synonym swaps anywhere in the gap.
``name``  names/numbers and pairs of consecutive ones ("metro", "2016", "fca 2016").
``word``  plain word 3-grams: catches verbatim or lightly spun stretches.

``imm`` and ``word`` are down-sampled by hash (the same rule at index and query
time keeps matches consistent) to keep the postings small.

>>> f = features("The bank said on Monday that it was fined 16m by the FCA.")
>>> sorted(f) == ["imm", "name", "word"]
True
>>> g = features("The financial institution mentioned on Monday that it was fined 16m by the FCA.")
>>> bool(np.array_equal(g["name"], f["name"]))
True
"""
from __future__ import annotations

import zlib

import numpy as np

from ..tokens import STOPWORDS, WORD_RE


#: Keep one in SAMPLE[family] features (by hash); 1 keeps all.
SAMPLE = {"imm": 2, "name": 1, "word": 3}
_SALT = {"imm": 0x9E3779B97F4A7C15, "name": 0xC2B2AE3D27D4EB4F, "name2": 0x165667B19E3779F9,
         "word": 0x27D4EB2F165667C5}
_M1, _M2, _M3, _M4 = (np.uint64(x) for x in (0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x9E3779B97F4A7C15,
                                              0x94D049BB133111EB))
_MASK63 = np.uint64(0x7FFFFFFFFFFFFFFF)
_cache: dict[str, int] = {}


def _word_hash(w: str) -> int:
    h = _cache.get(w)
    if h is None:
        b = w.encode("utf-8", "surrogatepass")
        h = (zlib.crc32(b) << 32) | zlib.adler32(b)
        if len(_cache) < 2_000_000:
            _cache[w] = h
    return h


def _mix(h: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        h = h ^ (h >> np.uint64(33))
        h = h * _M1
        h = h ^ (h >> np.uint64(33))
        h = h * _M2
        h = h ^ (h >> np.uint64(33))
    return h


def _ngrams(ids: np.ndarray, n: int, salt: int) -> np.ndarray:
    if len(ids) < n:
        if len(ids) == 0:
            return np.zeros(0, dtype=np.uint64)
        n = len(ids)
    with np.errstate(over="ignore"):
        h = np.full(len(ids) - n + 1, np.uint64(salt), dtype=np.uint64)
        for k in range(n):
            h = _mix(h ^ ids[k:len(ids) - n + 1 + k]) * _M3 + np.uint64(k + 1)
    return _mix(h)


def _sample(h: np.ndarray, family: str) -> np.ndarray:
    m = SAMPLE[family]
    if m > 1:
        h = h[(h >> np.uint64(40)) % np.uint64(m) == 0]
    return h


_tok_cache: dict[str, tuple[int, int]] = {}


def _token_info(t: str) -> tuple[int, int]:
    """(hash of the lower-cased word, kind): kind 0 content word, 1 stopword, 2 name or number."""
    info = _tok_cache.get(t)
    if info is None:
        w = t.lower().replace("\u2019", "'")
        if w in STOPWORDS:
            kind = 1
        elif t[0].isupper() or any(c.isdigit() for c in t):
            kind = 2
        else:
            kind = 0
        info = (_word_hash(w), kind)
        if len(_tok_cache) < 2_000_000:
            _tok_cache[t] = info
    return info


def features(text: str) -> dict[str, np.ndarray]:
    """Unique hashed features of ``text`` per family, as int64 arrays."""
    infos = [_token_info(t) for t in WORD_RE.findall(text)]
    n = len(infos)
    ids = np.fromiter((i[0] for i in infos), dtype=np.uint64, count=n)
    kinds = np.fromiter((i[1] for i in infos), dtype=np.int8, count=n)
    imm = ids[kinds > 0]
    name_idx = np.flatnonzero(kinds == 2)
    out = {"imm": _sample(_ngrams(imm, 4, _SALT["imm"]), "imm")}
    names = ids[name_idx]
    uni = _ngrams(names, 1, _SALT["name"]) if len(names) else names
    adj = np.flatnonzero(np.diff(name_idx) == 1) if len(name_idx) > 1 else np.zeros(0, dtype=np.int64)
    if len(adj):
        pa, pb = ids[name_idx[adj]], ids[name_idx[adj + 1]]
        with np.errstate(over="ignore"):
            bi = _mix(_mix(pa ^ np.uint64(_SALT["name2"])) * _M4 + pb)
        uni = np.concatenate([uni, bi])
    out["name"] = uni
    out["word"] = _sample(_ngrams(ids, 3, _SALT["word"]), "word")
    return {k: np.unique((v & _MASK63).astype(np.int64)) for k, v in out.items()}


def all_features(text: str) -> np.ndarray:
    f = features(text)
    return np.unique(np.concatenate(list(f.values())))
