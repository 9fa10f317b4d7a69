"""Engine invariants and behaviour (unspin.detect, unspin.report)."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import unspin
from unspin.detect import Engine, _apply
from unspin.tokens import match_case
from unspin.profiles import learn_profile
from unspin.report import Report

WORDS = ("the bank said money safe havens secure sanctuaries mentioned cash yr govt today in present day "
         "by means of through trading buying and selling risk threat research analysis of a to it "
         "Metro Financial institution Brief Transient America counterfeit consciousness").split()
PUNCT = [" ", " ", " ", ", ", ". ", "\n", " — ", "’s ", " (", ") "]

text_strategy = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(PUNCT)), max_size=40).map(
    lambda parts: "".join(w + p for w, p in parts))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_strategy)
def test_report_invariants(text):
    r = unspin.check(text)
    assert 0.0 <= r.score <= 1.0
    prev_end = 0
    for f in r.findings:
        assert 0 <= f.start < f.end <= len(text)
        assert text[f.start:f.end] == f.text
        assert f.start >= prev_end, "findings sorted and non-overlapping"
        prev_end = f.end
        assert 0.0 <= f.confidence <= 1.0 and f.reason
    # restored differs from the input only inside findings
    pieces, pos = [], 0
    for f in r.findings:
        pieces.append(text[pos:f.start])
        pos = f.end
    pieces.append(text[pos:])
    rest = r.restored
    for piece in pieces:
        idx = rest.find(piece)
        assert idx >= 0
        rest = rest[idx + len(piece):]
    # idempotent JSON round trip
    d = r.to_dict()
    assert Report.from_dict(json.loads(json.dumps(d))).to_dict() == d


def test_restore_equals_check_restored():
    text = "The regulator mentioned the yr had been tough for buying and selling."
    assert unspin.restore(text) == unspin.check(text).restored


def test_profile_learned_from_examples_restores_held_apart_copy():
    pairs = [("Analysts mentioned the monetary outlook was weak.", "Analysts said the financial outlook was weak."),
             ("The minister mentioned that monetary policy would change.", "The minister said that financial policy would change.")]
    prof = learn_profile(pairs, name="test-spinner")
    r = unspin.check("The governor mentioned new monetary rules on Friday.", profile=prof)
    assert "said" in r.restored and "financial" in r.restored
    assert r.spinner == "test-spinner" and r.spinner_confidence > 0


def test_no_profile_still_uses_thesaurus_and_lm():
    r = unspin.check("Investors looked for secure sanctuaries as markets fell.", profile=None)
    assert any("sanctuaries" in f.text for f in r.findings)


def test_match_case_and_apply():
    assert match_case("Yr", "year") == "Year"
    r = unspin.check("")
    assert r.findings == [] and r.restored == "" and r.words == 0
    assert _apply("abc", []) == "abc"


def test_check_rejects_bytes_with_advice():
    with pytest.raises(TypeError, match="decode"):
        unspin.check(b"bytes")  # type: ignore[arg-type]


def test_engine_without_lexicon_uses_profiles_only():
    eng = Engine(lexicon=False or None)
    eng.lexicon = None
    r = eng.check("The regulator mentioned the yr.", profile="auto")
    assert all(f.kind == "profile" for f in r.findings)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_arbitrary_unicode_never_crashes(text):
    r = unspin.check(text)
    assert 0.0 <= r.score <= 1.0
    for f in r.findings:
        assert text[f.start:f.end] == f.text


def test_long_document_is_bounded_and_reports_truncation(monkeypatch):
    from unspin import detect

    monkeypatch.setattr(detect, "MAX_WORDS", 50)
    r = unspin.check("The bank said the money was safe. " * 40)
    assert r.words == 50 and r.features["truncated_at_words"] == 50
    assert r.restored.endswith("safe. ")  # text past the limit is kept, unchanged
