"""Tests of the reverse thesaurus (unspin.lexicon). Uses only the packaged tables."""
from __future__ import annotations

import dataclasses
import math
import time

import pytest

from unspin.lexicon import Candidate, Lexicon, analyses, inflect


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    return Lexicon.load()


def texts(cands):
    return [c.text for c in cands]


def test_load_is_cached_and_fast(lex):
    assert Lexicon.load() is lex
    t = time.perf_counter()
    fresh = Lexicon()
    assert time.perf_counter() - t < 1.0  # ~0.05 s on the dev machine; generous for CI
    assert len(fresh.strings) == fresh.meta["vocab"] > 150_000


def test_candidate_is_frozen():
    c = Candidate("havens", -3.0, "moby")
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.text = "x"  # type: ignore[misc]


@pytest.mark.parametrize("spun, orig", [
    ("sanctuaries", "havens"),
    ("sanctuary", "haven"),
    ("recognizing", "spotting"),
    ("consciousness", "intelligence"),
    ("secure", "safe"),
    ("financial institution", "financial organization"),
    ("financial institutions", "financial organizations"),
    ("safe haven", "sanctuary"),
])
def test_known_reversals(lex, spun, orig):
    assert orig in texts(lex.candidates(spun))


def test_candidates_contract(lex):
    cands = lex.candidates("sanctuaries")
    assert cands and all(isinstance(c, Candidate) for c in cands)
    priors = [c.logprior for c in cands]
    assert priors == sorted(priors, reverse=True)
    assert all(p <= 0 and math.isfinite(p) for p in priors)
    assert {c.source for c in cands} <= {"moby", "wordnet", "moby+wordnet"}
    assert "sanctuaries" not in texts(cands)
    assert len(set(texts(cands))) == len(cands)
    # inflection follows the spun word: plural in, plurals out
    assert "haven" not in texts(cands)


def test_limit_and_select(lex):
    assert len(lex.candidates("attacks", limit=5)) == 5
    full = texts(lex.candidates("attacks", limit=10_000))
    assert len(full) > 60
    assert set(texts(lex.candidates("attacks"))) <= set(full)
    assert set(texts(lex.candidates("attacks", select="prior"))) <= set(full)
    with pytest.raises(ValueError):
        lex.candidates("attacks", limit=3, select="nope")


def test_unknown_and_empty(lex):
    assert lex.candidates("qwzxv") == []
    assert lex.candidates("") == []
    assert lex.candidates("counterfeit qwzxv") == []


def test_logprior_is_channel_mixture(lex):
    # "haven" -> "sanctuary" is a Moby pair: log(0.5 / |moby synonyms of haven|)
    c = next(c for c in lex.candidates("sanctuary", limit=1000) if c.text == "haven")
    i = lex.ids["haven"]
    assert "moby" in c.source
    expected = math.log(0.5 / int(lex._deg[0, i]) + (0.5 / int(lex._deg[1, i]) if "wordnet" in c.source else 0))
    assert c.logprior == pytest.approx(expected, abs=1e-3)


def test_case_and_spacing_normalised(lex):
    assert texts(lex.candidates("  Sanctuaries ")) == texts(lex.candidates("sanctuaries"))


def test_phrase_keys(lex):
    words = "the united states is a safe haven for artificial intelligence research".split()
    spans = lex.phrase_keys(words)
    found = {" ".join(words[i:j]) for i, j in spans}
    assert {"united states", "safe haven", "artificial intelligence"} <= found
    assert all(2 <= j - i <= 4 for i, j in spans)
    for i, j in spans:
        assert lex.candidates(" ".join(words[i:j]), limit=1000)
    assert lex.phrase_keys(["safe", "havens"]) == [(0, 2)]  # plural head
    assert lex.phrase_keys([]) == [] and lex.phrase_keys(["haven"]) == []
    assert all(j - i == 2 for i, j in lex.phrase_keys(words, max_len=2))


def test_phrase_keys_speed(lex):
    words = ("the bank said in the present day that a safe haven for all of the people "
             "who take care of artificial intelligence is not a financial institution ").split() * 80
    words = words[:2000]
    lex.phrase_keys(words)  # builds the key sets once
    t = time.perf_counter()
    for _ in range(10):
        lex.phrase_keys(words)
    assert (time.perf_counter() - t) / 10 < 0.015  # ~1 ms on the dev machine


def test_synonyms(lex):
    assert "sanctuaries" in lex.synonyms("havens", "moby")
    assert "spotting" in lex.synonyms("recognizing")
    wn = set(lex.synonyms("bank", "wordnet"))
    assert "banking company" in wn
    assert wn <= set(lex.synonyms("bank", "all"))
    assert "bank" not in wn
    assert lex.synonyms("qwzxv") == []


def test_known_and_mwe(lex):
    assert lex.is_known("haven") and lex.is_known("havens") and lex.is_known("sanctuaries")
    assert not lex.is_known("qwzxv")
    assert lex.is_mwe("artificial intelligence")
    assert lex.is_mwe("financial institution") and lex.is_mwe("financial institutions")
    assert lex.is_mwe("Safe Haven")
    assert not lex.is_mwe("haven")
    assert not lex.is_mwe("counterfeit consciousness")


def test_senses(lex):
    senses = lex.senses("bank", "n")
    assert ["depository financial institution", "bank", "banking concern", "banking company"] in senses
    assert all(any(x == "bank" for x in s) for s in senses)
    assert lex.senses("bank", "r") == [] and lex.senses("qwzxv") == []


def test_morphology_helpers():
    assert ("recognize", "VBG", "VERB") in analyses("recognizing")
    assert analyses("haven") == ()
    assert inflect("spot", "VBG") == "spotting"
    assert inflect("haven", "NNS") == "havens"
    assert inflect("take care of", "VBD") == "took care of"
    assert inflect("retreat", "NNS", 3) == "retreats"   # WordNet knows it as a noun
    assert inflect("protect", "NNS", 2) is None          # a verb only



def test_inflections_match_lemminflect(lex):
    """The per-lemma inflection table answers as lemminflect's getInflection does (the
    table is only a faster way to ask it), dictionary words and out-of-vocabulary ones."""
    from lemminflect import getInflection

    from unspin.lexicon import UPOS_TAGS, _inflections

    words = [w for w in lex.strings[:: max(1, len(lex.strings) // 3000)] if w.isalpha()]
    words += ["be", "go", "good", "well", "data", "criterion", "xqztle", "retreat", "cHILD", "gO"]
    tags = [t for ts in UPOS_TAGS.values() for t in ts]
    for w in words:
        for t in tags:
            assert _inflections(w, t) == tuple(getInflection(w, t, inflect_oov=True)), (w, t)


def test_lemmas_match_lemminflect(lex):
    """The direct reading of lemminflect's tables answers as getAllLemmas does, including
    capitalised words (which go through lemminflect itself)."""
    from lemminflect import getAllLemmas

    from unspin.lexicon import _all_lemmas, _lemminflect_tables

    assert _lemminflect_tables() is not None  # else the fast path is silently off
    words = [w for w in lex.strings[:: max(1, len(lex.strings) // 5000)] if w.isalpha()]
    for w in words + ["Banks", "USA", "was", "better", "xqztles", "children", "iPhones", "cHILDREN", "gO"]:
        assert _all_lemmas(w) == tuple((u, tuple(ls)) for u, ls in getAllLemmas(w).items()), w

# ----------------------------------------------------------------------------- ranked candidates
RANK_SAMPLE = ("sanctuaries recognizing consciousness secure attacks havens bank banks financial "
               "institution enormous huge quickly rapidly stated declared companies firms purchased "
               "bought essential crucial significant important examine investigate happier "
               "largest utilised utilized").split()
RANK_PHRASES = ["safe haven", "financial institution", "financial institutions", "artificial intelligence",
                "united states", "take care", "safe havens"]


def test_ranked_candidates_table_present(lex):
    info = lex.meta["candidates"]
    assert lex.rank_top == info["top"] >= 20
    assert info["keys"] > 100_000 and info["bytes"] < 16e6


@pytest.mark.parametrize("spun", RANK_SAMPLE + RANK_PHRASES)
def test_ranked_candidates_match_slow_path(lex, spun):
    assert lex._cand_row(spun) is not None, "key missing from the precomputed table"
    fast = lex.ranked_candidates(spun)
    slow = lex.rank_candidates(spun, lex.rank_top)
    assert texts(fast) == texts(slow)
    assert [c.source for c in fast] == [c.source for c in slow]
    assert [c.logprior for c in fast] == pytest.approx([c.logprior for c in slow], abs=0.005)


def test_ranked_candidates_examples(lex):
    assert "havens" in texts(lex.ranked_candidates("sanctuaries"))
    assert "spotting" in texts(lex.ranked_candidates("recognizing"))
    assert "sanctuary" in texts(lex.ranked_candidates("safe haven"))
    assert lex.ranked_candidates("qwzxv") == [] and lex.ranked_candidates("") == []
    assert texts(lex.ranked_candidates("  Sanctuaries ")) == texts(lex.ranked_candidates("sanctuaries"))
    assert len(lex.ranked_candidates("attacks", 5)) == 5
    assert texts(lex.ranked_candidates("attacks", 5)) == texts(lex.ranked_candidates("attacks"))[:5]
    # deeper than the table: computed
    assert texts(lex.ranked_candidates("attacks", 40))[: lex.rank_top] == texts(lex.ranked_candidates("attacks"))
    out = lex.ranked_candidates("sanctuaries")
    out.clear()  # callers get a copy
    assert lex.ranked_candidates("sanctuaries")


def test_ranked_candidates_fallback(lex):
    # a (made-up) key outside the table is computed with the same formula
    word = "sanctuarying"
    assert lex._cand_row(word) is None
    assert texts(lex.ranked_candidates(word)) == texts(lex.rank_candidates(word))


def test_ranked_candidates_speed():
    fresh = Lexicon()
    words = RANK_SAMPLE * 4
    t = time.perf_counter()
    for w in RANK_SAMPLE:
        fresh.ranked_candidates(w)   # first lookups (decode the rows)
    first = (time.perf_counter() - t) / len(RANK_SAMPLE)
    t = time.perf_counter()
    for w in words:
        fresh.ranked_candidates(w)
    again = (time.perf_counter() - t) / len(words)
    assert first < 2e-3 and again < 2e-5  # ~15 us and ~0.3 us on the dev machine


def test_technical_terms_table(lex):
    """The packaged term table: two lower-case words per entry, counts and source counts
    as build_terms.py selects them (>= 3 occurrences in >= 2 packages)."""
    terms = lex.terms
    assert len(terms) > 5_000
    lines = [ln for ln in (lex.data_dir / "terms.tsv").read_text(encoding="utf-8").splitlines()
             if not ln.startswith("#")]
    assert len(lines) == len(terms)
    for ln in lines[:: max(1, len(lines) // 500)]:
        term, count, sources = ln.split("\t")
        a, b = term.split(" ")
        assert a.isalpha() and b.isalpha() and term == term.lower()
        assert int(count) >= 3 and int(sources) >= 2


def test_is_term(lex):
    assert lex.is_term("random forest") and lex.is_term("Random  Forests")  # normalised, plural head
    assert lex.is_term("gradient boosting")
    assert not lex.is_term("irregular woodland")  # a tortured rendering is not a term
    assert not lex.is_term("random")  # one word
    assert not lex.is_term("principal component analysis")  # the table holds pairs


def test_terms_missing_file_is_empty(tmp_path, lex):
    """While the tables are being rebuilt the term file may be absent: no terms, no error."""
    import shutil

    for f in lex.data_dir.iterdir():
        if f.name != "terms.tsv":
            shutil.copy(f, tmp_path / f.name)
    other = Lexicon(tmp_path)
    assert other.terms == {} and not other.is_term("random forest")


def test_prose_bigrams_table_is_sorted_keys_and_absent_table_means_unseen(tmp_path):
    import shutil

    import numpy as np

    from unspin.lexicon import DATA_DIR, Lexicon, pair_hash

    table = np.load(DATA_DIR / "bigrams.npy", mmap_mode="r")
    assert table.dtype == np.uint64 and len(table) > 100_000
    assert bool(np.all(table[1:] > table[:-1])), "sorted and unique (binary search)"
    assert Lexicon.load().in_prose("random", "forest")
    # a data folder without the table (an older build) answers False instead of failing
    d = tmp_path / "lex"
    shutil.copytree(DATA_DIR, d, ignore=shutil.ignore_patterns("bigrams.npy"))
    lx = Lexicon(d)
    assert not lx.in_prose("random", "forest")
    assert pair_hash("random", "forest") != pair_hash("random", "forests")
