"""Tests of the synthetic spinner (unspin.spin)."""
from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unspin.spin import STOCK_PHRASES, STYLES, Edit, SpinResult, spin

TEXT = ("The Cipher Brief reported today that the United States remains a safe haven for investors. "
        "The Bank of England said millions of people use artificial intelligence, based on content "
        "from 2024 surveys. HOWEVER, experts warn that attacks are increasing quickly; instead, "
        "analysts are recognizing abandoned homes through satellite images.\n\nNew rules start in 2025.")

WORDS = ["the", "bank", "Bank", "said", "today", "safe", "havens", "attack", "attacks", "recognizing",
         "quickly", "BIG", "Brief", "United", "States", "content", "millions", "through", "a lot of",
         "in order to", "2024", "3.5", "co-operate", "don't", "café", "naïve", "...", ",", "—", "\n",
         "Artificial", "intelligence", "happy", "run", "running", "x"]


def check_invariants(r: SpinResult) -> None:
    last_o = last_s = 0
    for e in r.edits:
        assert isinstance(e, Edit)
        assert r.original[e.orig_start:e.orig_end] == e.orig
        assert r.text[e.spun_start:e.spun_end] == e.spun
        assert e.orig != e.spun and e.orig and e.spun
        assert e.orig_start >= last_o and e.spun_start >= last_s  # in order, no overlap
        # the text between edits is untouched
        assert r.original[last_o:e.orig_start] == r.text[last_s:e.spun_start]
        last_o, last_s = e.orig_end, e.spun_end
    assert r.original[last_o:] == r.text[last_s:]
    assert r.unspun() == r.original
    # numbers never change
    assert re.findall(r"\d+", r.text) == re.findall(r"\d+", r.original)
    assert not any(re.search(r"\d", e.orig) for e in r.edits)


@pytest.mark.parametrize("style", STYLES)
def test_styles_spin_and_align(style):
    r = spin(TEXT, rate=0.6, style=style, seed=7)
    assert r.original == TEXT and r.style == style
    assert r.edits, style
    assert r.text != TEXT
    check_invariants(r)


@pytest.mark.parametrize("style", STYLES)
def test_rate_zero_is_identity(style):
    r = spin(TEXT, rate=0, style=style, seed=3)
    assert r.text == TEXT and r.edits == []


def test_deterministic_and_seed_dependent():
    a = spin(TEXT, rate=0.5, seed=11)
    b = spin(TEXT, rate=0.5, seed=11)
    assert a.text == b.text and a.edits == b.edits
    assert any(spin(TEXT, rate=0.5, seed=s).text != a.text for s in range(12, 16))


def test_bad_arguments_are_refused_with_a_lesson():
    """spin(None) returned a SpinResult whose text was None; bytes failed in the tokenizer;
    seed=None was silently the fixed seed "None" (not random, and equal to seed="None");
    rate="0.3" or None gave "'<=' not supported"; rate=True spun everything."""
    for bad in (None, b"The bank said.", 5):
        with pytest.raises(TypeError, match="spin expects str"):
            spin(bad)
    for bad in (None, 1.5, "1", True):
        with pytest.raises(TypeError, match="seed must be an int"):
            spin(TEXT, seed=bad)
    for bad in ("0.3", None, True):
        with pytest.raises(TypeError, match="rate must be a number"):
            spin(TEXT, rate=bad)
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\], not nan"):
        spin(TEXT, rate=float("nan"))
    # huge, negative and numpy ints are seeds like any other
    import numpy as np

    assert spin(TEXT, seed=np.int64(3)).text == spin(TEXT, seed=3).text
    assert spin(TEXT, seed=-5).original == spin(TEXT, seed=10**40).original == TEXT


def test_rate_controls_amount():
    low = spin(TEXT, rate=0.1, style="moby", seed=0)
    high = spin(TEXT, rate=0.9, style="moby", seed=0)
    assert 0 < len(low.edits) < len(high.edits)


def test_casing_preserved():
    r = spin("HOWEVER the Bank said quickly. Attacks happen.", rate=1.0, style="dictionary", seed=2)
    for e in r.edits:
        if e.orig.isupper() and len(e.orig) > 1:
            assert e.spun == e.spun.upper()
        elif e.orig[0].isupper() and " " not in e.orig:
            assert e.spun[0].isupper()
        elif e.orig.islower():
            assert e.spun == e.spun.lower()


def test_names_style_only_touches_capitalised_mid_sentence():
    r = spin("He banks at the Bank in the United States. Banks are big.", rate=1.0, style="names", seed=0)
    assert r.text == "He banks at the Financial institution in america. Banks are big."
    assert [e.orig for e in r.edits] == ["Bank", "the United States"]
    check_invariants(r)


def test_phrase_style_produces_stock_renderings():
    r = spin("Today millions of people use content through apps instead.", rate=1.0, style="phrase", seed=0)
    check_invariants(r)
    stock = {v for vs in STOCK_PHRASES.values() for v in vs}
    assert any(" " in e.spun for e in r.edits)
    assert any(e.spun.lower() in stock for e in r.edits)
    assert r.text.startswith(("In the present day", "Right this moment", "At present"))


def test_wordnet_and_moby_leave_names_and_function_words():
    for style in ("wordnet", "moby"):
        r = spin("The Bank of England and the people of it.", rate=1.0, style=style, seed=1)
        assert {e.orig for e in r.edits} <= {"people"}


def test_to_dict_is_json_ready():
    r = spin(TEXT, rate=0.3, style="dictionary", seed=5)
    d = json.loads(json.dumps(r.to_dict()))
    assert set(d) == {"text", "original", "style", "rate", "seed", "edits"}
    assert d["text"] == r.text and len(d["edits"]) == len(r.edits)
    assert set(d["edits"][0]) == {"orig_start", "orig_end", "spun_start", "spun_end", "orig", "spun"} if r.edits else True


def test_bad_arguments():
    with pytest.raises(ValueError):
        spin("x", style="nope")
    with pytest.raises(ValueError):
        spin("x", rate=1.5)
    assert spin("", rate=1.0).text == ""


def test_package_level_entry_point():
    import unspin

    assert unspin.spin(TEXT, rate=0.4, seed=1).text == spin(TEXT, rate=0.4, seed=1).text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=6)), max_size=40),
    seps=st.lists(st.sampled_from([" ", "  ", ", ", ". ", "\n", "\t", "", " (", ") "]), min_size=40, max_size=40),
    rate=st.floats(0, 1),
    style=st.sampled_from(STYLES),
    seed=st.integers(0, 2**32),
)
def test_spin_invariants_property(parts, seps, rate, style, seed):
    text = "".join(p + s for p, s in zip(parts, seps))
    r = spin(text, rate=rate, style=style, seed=seed)
    check_invariants(r)
    again = spin(text, rate=rate, style=style, seed=seed)
    assert again.text == r.text and again.edits == r.edits
    if rate == 0:
        assert r.text == text


def test_wordnet_style_survives_synsets_that_repeat_the_lemma():
    # WordNet lists "p" twice in one synset (P and p fold together); this used to raise.
    import random

    from unspin.spin import _Spinner

    sp = _Spinner("wordnet", random.Random(0))
    for seed in range(5):
        sp.rng = random.Random(seed)
        assert sp._wordnet("p") in (None,) or isinstance(sp._wordnet("p"), str)
    assert spin("Page p of the report", rate=1.0, style="wordnet", seed=1).text
