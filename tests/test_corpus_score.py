"""The fast scorer's precomputed per-word table agrees with the function it caches."""
import random

from unspin.corpus.score import FastScorer, _gain_table, compute_gain


def test_precomputed_gains_match_the_definition():
    fs = FastScorer()
    table = _gain_table()
    assert len(table) > 10_000, "src/unspin/data/fast_gain.tsv missing: run scripts/build_fast_table.py"
    rng = random.Random(7)
    sample = rng.sample(sorted(table), 150) + ["the", "bank", "sanctuaries", "mentioned", "qwzxptlk"]
    for w in sample:
        assert abs(fs.word_gain(w) - compute_gain(fs.lexicon, fs.lm, w)) < 0.002, w


def test_fast_score_ranks_spun_above_clean():
    fs = FastScorer()
    clean = "The central bank said on Tuesday that it would keep interest rates unchanged this year."
    spun = "The central financial institution mentioned on Tuesday that it might hold curiosity charges unchanged this yr."
    assert fs.score(spun) > fs.score(clean)
