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


def test_unseen_pairs_count_broken_collocations_within_each_text_only():
    fs = FastScorer()
    clean = "The central bank said on Tuesday that it would keep interest rates unchanged this year."
    spun = "The worldwide group looked for secure sanctuaries while curiosity charges rose."
    a, b = fs.features(clean), fs.features(spun)
    assert b["unseen_pairs_per_100w"] > a["unseen_pairs_per_100w"]
    # a batch scores each text as alone: no pair is formed across two texts
    assert fs.features_many([clean, spun, "", clean]) == [a, b, fs.features(""), a]
    assert fs.score_many([spun, "", clean]) == [fs.score(spun), 0.0, fs.score(clean)]


def test_fast_score_is_no_length_prior():
    """An earlier fit scored 60 words of a spun article ~0 and 500 words 0.29: a long
    text is not more likely spun, so length is not a feature."""
    from importlib.resources import files

    fs = FastScorer()
    words = files("unspin").joinpath("examples", "spun_article.txt").read_text(encoding="utf-8").split()
    short, full = fs.score(" ".join(words[:60])), fs.score(" ".join(words))
    assert short > 0.5 and full > 0.5 and abs(short - full) < 0.2


# --------------------------------------------------------------------------- score_texts (full mode)

from unspin.corpus import batch  # noqa: E402
from unspin.corpus.batch import Options, score_texts  # noqa: E402
from unspin.detect import default_engine  # noqa: E402

GOOD = [
    "The regulator mentioned the yr had been tough for buying and selling.",
    "The central bank said on Tuesday that it would keep interest rates unchanged.",
    "Investors looked for secure sanctuaries as markets fell.",
    "Shares rose at the regional financial",
    "institution fined for cash laundering, the watchdog mentioned.",
    "Metro Financial institution mentioned the govt would act today.",
    "A plain sentence about dogs.",
    "Bank",
]
BAD = {None: "no text", b"\xff bytes": "text is not valid UTF-8", "": "empty text", "  \n ": "empty text",
       42: "text field is int, not a string"}
FULL = Options(top_findings=3, restore=True)


def _mixed(n_good=24):
    """Valid texts (some as UTF-8 bytes) interleaved with every kind of bad one."""
    bad = list(BAD)
    out = []
    for k in range(n_good):
        text = GOOD[k % len(GOOD)] if k < len(GOOD) else f"{GOOD[k % len(GOOD)]} Record {k}."
        out.append(text.encode("utf-8") if k % 5 == 4 else text)
        if k % 3 == 0:
            out.append(bad[(k // 3) % len(bad)])
    return out


def _alone(text, opts):
    (fields,) = score_texts([text], opts)
    return fields


def test_score_texts_groups_give_the_same_fields_as_one_by_one(monkeypatch, check_many_sizes):
    monkeypatch.setattr(batch, "GROUP_CHARS", 100)
    texts = _mixed()
    out = score_texts(texts, FULL)
    assert len(out) == len(texts)
    valid = [t for t in texts if t not in BAD]
    assert len(check_many_sizes) > 3 and max(check_many_sizes) > 1, check_many_sizes  # several real groups
    assert sum(check_many_sizes) == len(valid)
    for text, fields in zip(texts, out):
        if text in BAD:
            assert fields == {"unspin_error": BAD[text]}, text
        else:
            assert "unspin_error" not in fields
            assert fields == _alone(text, FULL), text
            assert set(fields) == {"unspin_score", "unspin_is_spun", "unspin_findings", "unspin_tortured",
                                   "unspin_spinner", "unspin_top_findings", "unspin_restored"}
            s = text.decode() if isinstance(text, bytes) else text
            rep = default_engine().check(s)
            assert fields["unspin_score"] == rep.score and fields["unspin_restored"] == rep.restored
    first = out[0]
    assert first["unspin_findings"] == 3 and first["unspin_is_spun"] is True
    assert [f["suggestion"] for f in first["unspin_top_findings"]]


def test_score_texts_one_group_by_default(check_many_sizes):
    texts = _mixed(10)
    out = score_texts(texts, FULL)
    assert check_many_sizes == [sum(1 for t in texts if t not in BAD)]
    check_many_sizes.clear()
    assert out == [_alone(t, FULL) for t in texts]


def test_score_texts_group_boundaries(monkeypatch, check_many_sizes):
    # a group closes once it reaches GROUP_CHARS, so each text over the limit is alone
    monkeypatch.setattr(batch, "GROUP_CHARS", 10)
    texts = GOOD[:4]
    out = score_texts(texts)
    assert check_many_sizes == [1, 1, 1, 1]
    check_many_sizes.clear()
    monkeypatch.setattr(batch, "GROUP_CHARS", len(GOOD[0]) + len(GOOD[1]))
    assert score_texts(texts) == out
    assert check_many_sizes == [2, 2]


def test_score_texts_all_invalid_or_empty_input(check_many_sizes):
    assert score_texts([]) == []
    assert score_texts([None, "", b"\xff bytes"]) == [{"unspin_error": "no text"}, {"unspin_error": "empty text"},
                                                     {"unspin_error": "text is not valid UTF-8"}]
    assert check_many_sizes == []


def test_score_texts_falls_back_to_one_by_one_when_a_group_fails(monkeypatch, batches_fail):
    monkeypatch.setattr(batch, "GROUP_CHARS", 150)
    texts = _mixed(12)
    expected = [_alone(t, FULL) for t in texts]
    out = score_texts(texts, FULL)
    assert batches_fail, "the groups were tried first"
    assert out == expected  # no record lost, every field present


def test_score_texts_a_failing_text_fails_only_its_own_record(monkeypatch):
    monkeypatch.setattr(batch, "GROUP_CHARS", 10_000)
    engine = default_engine()
    real = engine.check_many
    poison = "This poison text breaks the engine."

    def breaks_on_poison(texts, *a, **kw):
        if poison in texts:
            raise RuntimeError("engine bug")
        return real(texts, *a, **kw)

    texts = [GOOD[0], None, poison, GOOD[2], GOOD[3]]
    expected = [_alone(t, Options()) for t in texts]
    monkeypatch.setattr(engine, "check_many", breaks_on_poison)
    out = score_texts(texts)
    assert out[2] == {"unspin_error": "RuntimeError: engine bug"}
    assert out[:2] + out[3:] == expected[:2] + expected[3:]
    assert "unspin_score" in out[0] and out[1] == {"unspin_error": "no text"}


def test_score_texts_fields_errors_are_per_record(monkeypatch):
    # a failure while turning one report into fields loses only that record
    calls = []
    real = batch._fields

    def flaky(rep, opts):
        calls.append(rep)
        if len(calls) == 2:
            raise ValueError("bad report")
        return real(rep, opts)

    monkeypatch.setattr(batch, "_fields", flaky)
    out = score_texts(GOOD[:3])
    assert out[1] == {"unspin_error": "ValueError: bad report"}
    assert "unspin_score" in out[0] and "unspin_score" in out[2]


def test_first_full_mode_call_warms_the_engine_once(monkeypatch):
    # the lazy loads (lemminflect and what it imports, the term indexes) happen before
    # the first group is scored, not in the middle of a corpus run
    from unspin.detect import default_engine

    calls = []
    engine = default_engine()
    monkeypatch.setattr(batch, "_warmed", False)
    monkeypatch.setattr(engine, "warm", lambda: calls.append(1))
    score_texts(["The bank said rates would stay unchanged."], FULL)
    score_texts(["The bank said rates would stay unchanged."], FULL)
    assert calls == [1]
    score_texts(["The bank said rates would stay unchanged."], Options(fast=True))
    assert calls == [1]


def test_a_failing_warm_up_loses_no_record(monkeypatch):
    # e.g. an unreadable user profile makes warm()'s sample check raise: the records are
    # still scored (or carry their own unspin_error), never lost with the batch
    from unspin.detect import default_engine

    def boom():
        raise ValueError("profile file is not JSON")

    monkeypatch.setattr(batch, "_warmed", False)
    monkeypatch.setattr(default_engine(), "warm", boom)
    out = score_texts(["The regulator mentioned the yr had been tough.", ""], FULL)
    assert len(out) == 2 and "unspin_score" in out[0] and "unspin_error" in out[1]
