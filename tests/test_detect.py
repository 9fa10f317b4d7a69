"""Engine invariants and behaviour (unspin.detect, unspin.report)."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import unspin
from unspin.detect import SPUN_TEXT_NOTE, Engine, _apply
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


def test_profile_findings_count_as_far_as_the_text_is_spun():
    # A profile's rates hold in text its spinner wrote; the document's score is the
    # chance that this text is such a text, so a profile finding's confidence is the
    # product (the score itself keeps the unweighted evidence).
    from unspin.detect import REPORT_CONFIDENCE, _sigmoid, default_engine

    pairs = [("Analysts mentioned the monetary outlook was weak.", "Analysts said the financial outlook was weak."),
             ("The minister mentioned that monetary policy would change.", "The minister said that financial policy would change.")]
    prof = learn_profile(pairs, name="test-spinner")
    eng = default_engine()
    short = "The mayor mentioned that repairs would start in spring."
    long = ("The committee met on Tuesday evening in the town hall. Members discussed the budget, the "
            "new library and the state of the roads, which have suffered after a wet winter. Several "
            "residents asked about parking near the school, and a local teacher spoke about the bus "
            "service. The mayor mentioned that repairs would start in spring, once the contracts are "
            "signed. The next meeting will take place in March.")
    seen = []
    for text in (short, long):
        _, props = eng.proposals(text, profile=prof)
        own = max(_sigmoid(p.logodds) for p in props if p.kind == "profile" and p.suggestion == "said")
        assert own >= 0.5  # confident on its own in both texts ...
        r = eng.check(text, profile=prof)
        said = [f for f in r.findings if f.kind == "profile" and f.suggestion == "said"]
        if r.score * own >= REPORT_CONFIDENCE + 0.01:
            assert len(said) == 1 and said[0].confidence == pytest.approx(r.score * own, abs=2e-3)
            assert said[0].applied == (said[0].confidence >= 0.5)
            assert r.spinner == "test-spinner" or not said[0].applied
        elif r.score * own < REPORT_CONFIDENCE - 0.01:
            assert not said and "mentioned" in r.restored and r.spinner is None
        seen.append((r.score, bool(said)))
    # ... but only the short text, where the one substitution is much of the evidence,
    # reads as spun enough to keep it; in the long one it is dropped
    assert seen[0][1] and not seen[1][1] and seen[0][0] > seen[1][0]


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


# --------------------------------------------------------------------------- check_many

from unspin.detect import default_engine  # noqa: E402

MANY = [
    "",
    "   \n\t  ",
    "Bank",
    "The regulator mentioned the yr had been tough for buying and selling.",
    "Shares rose at the regional financial",
    "institution fined for cash laundering, the watchdog mentioned.",
    "Investors looked for secure sanctuaries as markets fell.",
    "Metro Financial institution mentioned the govt would act today.",
    "counterfeit",
    "consciousness is changing the present day research.",
    "The regulator mentioned the yr had been tough for buying and selling.",  # a duplicate
    "A plain sentence about dogs.\n\nAnother paragraph, also plain.",
]


def _fresh(engine=None):
    """An engine sharing the default's models but none of its per-text caches."""
    base = engine or default_engine()
    return Engine(lm=base.lm, lexicon=base.lexicon)


def _one_by_one(texts, **kw):
    eng = _fresh()
    return [eng.check(t, **kw).to_dict() for t in texts]


def test_check_many_equals_check_one_by_one():
    many = default_engine().check_many(MANY)
    assert len(many) == len(MANY)
    assert [r.to_dict() for r in many] == _one_by_one(MANY)
    # the default engine's check agrees as well
    assert [r.to_dict() for r in many] == [default_engine().check(t).to_dict() for t in MANY]
    spun = many[3]
    assert [(f.text, f.suggestion) for f in spun.findings] == [
        ("mentioned", "said"), ("yr", "year"), ("buying and selling", "trading")]
    assert spun.restored == "The regulator said the year had been tough for trading."
    assert many[0].score == 0.0 and many[0].findings == [] and many[0].restored == ""
    assert many[1].restored == MANY[1] and many[1].words == 0
    assert many[2].words == 1


def test_check_many_on_fresh_engines_shares_no_state_between_texts():
    # with no caches warmed up by single checks, the batch must still agree text by text
    singles = _one_by_one(MANY)
    assert [r.to_dict() for r in _fresh().check_many(MANY)] == singles
    assert [r.to_dict() for r in _fresh().check_many(list(reversed(MANY)))] == singles[::-1]


def test_check_many_finds_no_phrase_across_two_texts():
    texts = ["Shares rose at the regional financial", "institution fined for cash laundering."]
    joined = " ".join(texts)
    whole = default_engine().check(joined)
    assert any(f.text == "financial institution" for f in whole.findings)  # found within one text...
    many = default_engine().check_many(texts)
    assert [r.to_dict() for r in many] == _one_by_one(texts)
    for text, rep in zip(texts, many):  # ... but never across two
        for f in rep.findings:
            assert 0 <= f.start < f.end <= len(text) and text[f.start:f.end] == f.text
            assert "financial institution" not in f.text.lower()
            assert f.suggestion != "bank"


def test_check_many_capitalised_first_word_is_a_sentence_start():
    # after another text, a capitalised first word opens a sentence: no name-like finding
    texts = ["the market said", "Metro bank said the yr had been good.", "Financial institution mentioned it.",
             "secure", "Sanctuaries were scarce."]
    many = default_engine().check_many(texts)
    assert [r.to_dict() for r in many] == _one_by_one(texts)
    assert all(f.kind != "name" or f.start > 0 for r in many for f in r.findings)


def test_check_many_texts_without_separators_and_odd_characters():
    texts = ["yr", "yr", "mentioned", "cash.", "—", "?!", "buying and", "selling", "AI", "cafe\u0301 ya",
             "\u00a0", "The  bank\tsaid\n\n\nthe  money", "x" * 300]
    assert [r.to_dict() for r in default_engine().check_many(texts)] == _one_by_one(texts)


def test_check_many_threshold_and_profile():
    texts = MANY[3:8]
    for kw in ({"threshold": 0.05}, {"threshold": 0.99, "profile": None}, {"profile": None}):
        many = default_engine().check_many(texts, **kw)
        assert [r.to_dict() for r in many] == _one_by_one(texts, **kw)
        if "threshold" in kw:
            assert all(r.threshold == kw["threshold"] for r in many)
    # profile=None: no profile findings
    assert all(f.kind != "profile" for r in default_engine().check_many(texts, profile=None) for f in r.findings)


def test_check_many_empty_and_single():
    assert default_engine().check_many([]) == []
    text = MANY[3]
    (rep,) = default_engine().check_many([text])
    assert rep.to_dict() == unspin.check(text).to_dict()
    assert [r.to_dict() for r in default_engine().check_many(["", " "])] == _one_by_one(["", " "])


def test_check_many_refuses_what_check_refuses():
    """A str was checked character by character; None or bytes among the texts failed deep in the
    tokenizer; a threshold of NaN or 2 gave a verdict fixed in advance."""
    engine = default_engine()
    with pytest.raises(TypeError, match="a list of str, got one str"):
        engine.check_many("The bank said.")
    with pytest.raises(TypeError, match="got NoneType at index 1"):
        engine.check_many(["The bank said.", None])
    with pytest.raises(TypeError, match="got bytes at index 0; decode"):
        engine.check_many([b"The bank said."])
    for bad in (float("nan"), 2, -1):
        with pytest.raises(ValueError, match="threshold must be between 0 and 1"):
            engine.check_many(["The bank said."], threshold=bad)
    # any iterable of str is fine, as before
    assert [r.to_dict() for r in engine.check_many(t for t in MANY[3:5])] == _one_by_one(MANY[3:5])


@pytest.mark.parametrize("bad", [True, False, "0.5", b"0.5"])
def test_threshold_that_is_a_flag_or_a_string_is_refused(bad):
    """float(True) is 1.0 and float("0.5") is 0.5: a flag or an unparsed setting passed by mistake
    silently became the threshold (True: nothing could be judged spun but a score of 1)."""
    with pytest.raises(TypeError, match="threshold must be a number"):
        unspin.check("The bank said.", threshold=bad)
    with pytest.raises(TypeError, match="threshold must be a number"):
        default_engine().check_many(["The bank said."], threshold=bad)


def test_index_that_is_not_an_index_is_refused_before_checking():
    """index=5 was checked in full, then failed with "'int' object has no attribute 'search'"."""
    with pytest.raises(TypeError, match="index must be an unspin.Index or the path of one, got int"):
        unspin.check("The bank said.", index=5)


def test_check_many_truncation_is_per_text(monkeypatch):
    from unspin import detect

    monkeypatch.setattr(detect, "MAX_WORDS", 12)
    texts = ["The bank said the money was safe. " * 4, "Short one mentioned.", "yr " * 20]
    many = default_engine().check_many(texts)
    assert [r.to_dict() for r in many] == _one_by_one(texts)
    assert [r.words for r in many] == [12, 3, 12]
    assert "truncated_at_words" in many[0].features and "truncated_at_words" not in many[1].features


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(text_strategy, min_size=1, max_size=5))
def test_check_many_equals_check_on_generated_texts(texts):
    assert [r.to_dict() for r in _fresh().check_many(texts)] == _one_by_one(texts)


def test_long_texts_are_scored_in_pieces_with_the_same_result(monkeypatch):
    """Texts longer than PASS_TOKENS are cut at sentence starts; no context crosses a
    sentence start, so the report is the same as scoring the text in one pass."""
    import unspin.detect as detect_mod

    sentences = ["The regulator mentioned the yr had been tough for buying and selling.",
                 "Investors looked for secure sanctuaries as the worldwide group watched.",
                 "The central bank said on Tuesday that it would keep interest rates unchanged.",
                 "A financial institution was fined thousands and thousands of dollars."]
    text = "\n".join(sentences[k % 4] for k in range(40))
    whole = detect_mod.Engine().check(text).to_dict()
    monkeypatch.setattr(detect_mod, "PASS_TOKENS", 37)  # not a multiple of a sentence
    pieces = detect_mod.Engine()
    assert pieces.check(text).to_dict() == whole
    assert [r.to_dict() for r in pieces.check_many([text, sentences[0], text])] == [
        whole, detect_mod.Engine().check(sentences[0]).to_dict(), whole]


def test_pieces_cut_at_sentence_starts():
    from unspin.detect import _pieces

    starts = [True, False, False, True, False, True, False, False, False, True]
    assert _pieces(starts, 4) == [(0, 3), (3, 5), (5, 9), (9, 10)]
    assert _pieces([True] + [False] * 9, 4) == [(0, 4), (4, 8), (8, 10)]  # one long sentence: cut inside
    assert _pieces([], 4) == []


def test_threads_sharing_an_engine_get_the_same_results():
    """Engine caches are shared; concurrent callers must not see half-built state
    (a regression guard: the race it guards against needs unlucky timing)."""
    import sys
    import threading

    from unspin.detect import Engine

    texts = ["The regulator mentioned the yr had been tough for buying and selling.",
             "Investors sought secure sanctuaries while the worldwide group watched the counterfeit consciousness.",
             "A financial institution was fined thousands and thousands of dollars by the watchdog.",
             "The central bank said on Tuesday that it would keep interest rates unchanged."] * 3
    expected = [Engine().check(t).to_dict() for t in texts]
    shared = Engine()
    out: dict[int, dict] = {}

    def work(k):
        out[k] = shared.check(texts[k]).to_dict()

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=work, args=(k,)) for k in range(len(texts))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert [out[k] for k in range(len(texts))] == expected
    assert [shared.check(t).to_dict() for t in texts] == expected  # and nothing wrong was cached


def test_profile_edited_in_place_is_picked_up():
    from unspin.detect import Engine
    from unspin.profiles import Profile

    prof = Profile("p", {"mentioned": {"said": 5}}, {"mentioned": 5}, "", 1, 100)
    eng = Engine()
    text = "The regulator mentioned the figures."
    before = eng.check(text, profile=prof).findings
    prof.seen["mentioned"] = 500  # seen far more often than substituted now
    prof.words = 1000
    after = eng.check(text, profile=prof).findings
    fresh = Engine().check(text, profile=prof).findings
    assert [f.to_dict() for f in after] == [f.to_dict() for f in fresh]
    assert before and [f.text for f in after] != [f.text for f in before]


def test_technical_terms_are_left_alone():
    """A term of the field as written is not a spinner's work, even when the news LM
    finds the pair rare and a synonym pair likelier ("gradient boosting" vs "bank building")."""
    text = "We trained a gradient boosting model and report the mean squared error on the test set."
    r = unspin.check(text)
    assert [f for f in r.findings if f.confidence >= 0.5] == []
    assert r.restored == text


def test_terms_do_not_hide_a_tortured_phrase_next_to_them():
    """Only proposals touching a term are dropped; the tortured phrase in the same sentence
    is still found."""
    r = unspin.check("We compare counterfeit consciousness with a random forest on the test set.")
    assert any("counterfeit" in f.text for f in r.findings)
    assert not any("forest" in f.text for f in r.findings)


def test_calibration_assignment_refreshes_weights():
    """scripts/calibrate.py refits in rounds by assigning engine.calibration; the
    vectorised passes must then use the new weights, not those loaded at start."""
    e = Engine()
    text = "The secure haven drew thousands and thousands of visitors in the present day."
    before = [f.confidence for f in e.check(text, profile=None).findings]
    fitted = unspin.detect._load_calibration()
    e.calibration = {k: v for k, v in fitted.items() if not k.startswith(("local", "correct"))}  # built-in defaults
    after = [f.confidence for f in e.check(text, profile=None).findings]
    assert before != after
    e.calibration = fitted
    assert [f.confidence for f in e.check(text, profile=None).findings] == before


def test_tortured_term_suggests_the_technical_term():
    """Known terms are searched among all candidates ('random' is far down the list for
    'irregular') and a technical term beats a general collocation ('common ground')."""
    r = unspin.check("The results of the irregular woodland classifier are shown in Table 2.")
    (f,) = [f for f in r.findings if "woodland" in f.text]
    assert f.text == "irregular woodland" and f.suggestion == "random forest"
    assert "known term" in f.reason
    # the pair's other readings are its alternatives: distinct, two words each, neither
    # the suggestion nor the text as written
    assert f.alternatives and len(set(f.alternatives)) == len(f.alternatives)
    assert all(len(a.split()) == 2 and a not in (f.suggestion, f.text) for a in f.alternatives)


@pytest.mark.parametrize("gap", [" ", "\n", "\r\n", "\u00a0", "  "])
def test_terms_are_recognised_across_line_breaks_and_odd_spaces(gap):
    """Hard-wrapped papers break lines inside terms; a term is still a term."""
    text = f"We trained a gradient{gap}boosting model on the features."
    r = unspin.check(text)
    assert not any("boosting" in f.text for f in r.findings)
    assert r.restored == text


def test_a_paragraph_break_ends_a_term():
    from unspin.detect import _term_gap

    assert _term_gap(" ") and _term_gap("\n") and _term_gap("-") and _term_gap("\u2010")
    assert not _term_gap("\n\n") and not _term_gap(", ") and not _term_gap(None)


def test_a_longer_rendering_that_contains_a_term_is_still_reported():
    """'quick time period' (a spinner's 'short term') contains the term 'time period';
    the three-word proposal is not dropped for it."""
    from unspin.detect import _Proposal

    e = default_engine()
    doc = e._doc("The quick time period outlook is weak.")
    props = [_Proposal(1, 4, "short term", [], 1.0, "test", "profile"),
             _Proposal(2, 4, "x y", [], 1.0, "test", "tortured")]
    kept = e._drop_inside_terms(doc, props)
    assert e.lexicon.is_term("time period")
    assert [(p.i, p.j) for p in kept] == [(1, 4)]


def test_a_term_is_proposed_when_only_one_of_its_words_was_spun():
    """'dimensionality' is in no thesaurus, so only its spun neighbour has candidates;
    the pair is still re-scored against the known term 'dimensionality reduction'."""
    e = default_engine()
    doc, props = e.proposals("We apply dimensionality decrease to the data set.", profile=None)
    joint = [p for p in props if p.kind == "tortured"]
    assert [(doc.lw[p.i], doc.lw[p.j - 1], p.suggestion) for p in joint] == \
        [("dimensionality", "decrease", "dimensionality reduction")]


def test_no_suggestion_doubles_a_word():
    """Two words restored to the same word ('relapse tree' -> 'drop drop') is never a
    term; such pairs are not candidates (they also inflated the pair's confidence)."""
    for phrase in ("relapse tree", "chief Asia", "display measuring"):
        r = unspin.check(f"In this paper we apply {phrase} to the data set.")
        for f in r.findings:
            words = (f.suggestion or "").lower().split()
            assert len(words) != 2 or words[0] != words[1], f


@pytest.mark.parametrize("verb,phrase", [("apply", "needy variable"), ("describes", "fleecy induction"),
                                         ("apply", "elderly folks")])
def test_a_verb_and_its_object_are_not_read_as_one_term(verb, phrase):
    """Joint re-scoring restores terms, which are noun phrases: 'apply needy' is a verb
    and its object, and reading it as a spun pair ('employ low') was the commonest false
    alarm in scientific text, often hiding the spun term right next to it."""
    from unspin.detect import default_engine

    e = default_engine()
    doc, props = e.proposals(f"In this paper the author {verb} {phrase} to the data set.", profile=None)
    assert verb in doc.lw
    assert not [p for p in props if p.kind == "tortured" and doc.lw[p.i] == verb]
    # participles still modify nouns: "shrouded Markov" is read as one term
    assert not e._verb_only("shrouded") and e._verb_only(verb)


@pytest.mark.parametrize("text", [
    "The World Health Organization declared that the outbreak of severe acute respiratory syndrome was over.",
    "Each participant chose a personal identification number and kept it private.",
    "Patients who reported erectile dysfunction were asked to enter a personal identification number.",
])
def test_thesaurus_contractions_are_not_proposed(text):
    """A thesaurus lists 'sars' for 'severe acute respiratory syndrome', and scientific
    prose writes such expansions out all the time: an expansion is not read as a
    spinner's rendering of its acronym."""
    r = unspin.check(text)
    assert not r.is_spun
    assert not [f for f in r.findings if f.confidence >= 0.5], r.findings


def test_a_term_with_one_word_kept_is_found_beyond_the_candidate_lists():
    """'cord' is not among the candidates the engine keeps for 'string', but 'spinal
    cord' is a known term and the thesauri list 'string' for 'cord': the term search
    with one word kept reads the full reverse thesaurus, in the spun word's inflection."""
    from unspin.detect import default_engine

    e = default_engine()
    assert "cord" not in [t for t, _ in e.lexicon.ranked_texts("string", 25)]
    index = e._term_index()
    found = [(a, b) for a, b, _ in e._far_term_pairs("spinal", "string", ("string",), index)]
    assert ("spinal", "cord") in found
    plural = [(a, b) for a, b, _ in e._far_term_pairs("spinal", "strings", ("strings", "string"), index)]
    assert ("spinal", "cords") in plural and len(plural) == len(set(plural))
    # nothing for a pair of stopwords, and the pair itself is never proposed
    assert e._far_term_pairs("of", "the", ("the",), index) == []
    doc, props = e.proposals("The injury damaged the spinal string of the patient.", profile=None)
    sugg = {p.suggestion for p in props if p.kind == "tortured" and doc.lw[p.i] == "spinal"}
    assert sugg and all(e.lexicon.is_mwe(s) or e.lexicon.is_term(s) for s in sugg)


def test_a_pair_written_in_technical_prose_is_not_read_as_tortured():
    """'emotion recognition' is rare to the news LM, and re-scoring it against pairs of
    its words' synonyms found 'love story'; the pair is written so in the scientific
    prose the term table was built from, which a tortured phrase never is."""
    from unspin.detect import default_engine

    e = default_engine()
    assert e.lexicon.in_prose("emotion", "recognition") and not e.lexicon.in_prose("irregular", "woodland")
    doc, props = e.proposals("In this paper we apply emotion recognition to the data set.", profile=None)
    assert not [p for p in props if p.kind == "tortured" and doc.lw[p.i:p.j] == ["emotion", "recognition"]]
    r = unspin.check("In this paper we apply irregular woodland to the data set.")
    assert any(f.text == "irregular woodland" for f in r.findings)


@pytest.mark.parametrize("phrase,word", [("functional group", "functional"), ("fuzzy rule", "fuzzy"),
                                         ("synthetic aperture radar", "synthetic")])
def test_a_word_in_a_pair_of_technical_prose_is_left_alone(phrase, word):
    """'functional' next to 'group' is the writer's word (the pair is written so in
    technical prose), however much likelier the news LM finds 'working'."""
    r = unspin.check(f"This section describes {phrase} in more detail.")
    assert not [f for f in r.findings if f.text.lower() == word], r.findings


SPUN_PARAGRAPH = (
    "The central financial institution mentioned on Tuesday that it will maintain rates of interest unchanged, "
    "and the regulator mentioned the yr had been tough for buying and selling. Its chief govt mentioned the "
    "agency would proceed to watch the market in the present day and would take motion if wanted. Buyers "
    "mentioned the choice was anticipated, however the forex fell sharply in opposition to the greenback.")
CLEAN_PARAGRAPH = (
    "The central bank said on Tuesday that it would keep interest rates unchanged, and the regulator said the "
    "year had been difficult for trading. Its chief executive said the agency would continue to monitor the "
    "market and would act if needed.")


def test_a_text_judged_spun_reports_weaker_thesaurus_evidence():
    """In a text judged spun, thesaurus proposals get the fitted doc_shift added to their
    log-odds (the share of substituted words is higher there than in the mixed texts the
    models were fitted on): findings are added, none removed or changed, the score and
    the restored text stay; a text not judged spun is unaffected."""
    e = Engine()
    cal = dict(e.calibration)
    e.calibration = {**cal, "doc_shift": 0.0}
    assert e.doc_shift == 0.0
    base_spun, base_clean = e.check(SPUN_PARAGRAPH), e.check(CLEAN_PARAGRAPH)
    e.calibration = {**cal, "doc_shift": 1.5}
    spun, clean = e.check(SPUN_PARAGRAPH), e.check(CLEAN_PARAGRAPH)
    assert base_spun.is_spun and not base_clean.is_spun
    assert spun.score == base_spun.score and spun.restored == base_spun.restored
    assert (spun.spinner, spun.spinner_confidence) == (base_spun.spinner, base_spun.spinner_confidence)
    key = lambda f: (f.start, f.end, f.suggestion, f.confidence, f.kind, f.applied)  # noqa: E731
    before, after = {key(f) for f in base_spun.findings}, {key(f): f for f in spun.findings}
    assert before < set(after)
    added = [after[k] for k in set(after) - before]
    assert all(f.kind != "profile" and not f.applied and f.reason.endswith(SPUN_TEXT_NOTE) for f in added)
    assert clean.findings == base_clean.findings and clean.restored == base_clean.restored
    # absent from an older calibration file: no shift
    e.calibration = {k: v for k, v in cal.items() if k != "doc_shift"}
    assert e.doc_shift == 0.0


def test_a_pair_keeping_one_word_yields_to_the_pair_that_restores_both():
    """'woodland classifier' -> 'forest classifier' restores 'woodland' as 'irregular
    woodland' -> 'random forest' does, and explains less: it is dropped."""
    from unspin.detect import default_engine

    e = default_engine()
    doc, props = e.proposals("The results of the irregular woodland classifier are shown in Table 2.", profile=None)
    joint = {tuple(doc.lw[p.i:p.j]): p.suggestion for p in props if p.kind == "tortured"}
    assert joint.get(("irregular", "woodland")) == "random forest"
    assert ("woodland", "classifier") not in joint


def test_a_pair_suggestion_is_the_likeliest_reading_not_the_most_suspicious():
    """Among a pair's readings the suggestion follows LM preference x channel prior:
    'safe havens', not 'sound holes' (which the detection score preferred: it learned
    that strong candidate collocations are common in clean text too)."""
    from unspin.detect import default_engine

    doc, props = default_engine().proposals("Investors looked for secure sanctuaries as the markets fell.")
    (pair,) = [p for p in props if p.kind == "tortured" and doc.lw[p.i:p.j] == ["secure", "sanctuaries"]]
    assert pair.suggestion == "safe havens"


def test_clear_caches_forgets_answers_not_results():
    from unspin.detect import Engine

    eng = Engine()
    text = "The regulator mentioned the counterfeit consciousness of the worldwide group."
    before = eng.check(text).to_dict()
    assert eng._cands_cache and eng._arena.rows
    eng.clear_caches()
    assert not eng._cands_cache and eng._arena.rows == 0 and not eng._pairs_cache
    assert eng.check(text).to_dict() == before


def test_candidate_cache_restarting_at_its_limit_keeps_results(monkeypatch):
    from unspin import detect

    texts = ["The regulator mentioned the yr had been tough for buying and selling.",
             "Safe havens for the worldwide group were discussed by the Cipher Transient.",
             "Counterfeit consciousness and irregular woodland classifiers were compared."]
    fresh = [detect.Engine().check(t).to_dict() for t in texts]
    monkeypatch.setattr(detect, "CANDS_CACHE_LIMIT", 5)
    eng = detect.Engine()
    assert [eng.check(t).to_dict() for t in texts * 2] == fresh * 2
    assert len(eng._cands_cache) < 40  # it was restarted along the way


def test_unknown_hyphenated_compounds_are_split_into_their_parts():
    """A spinner swaps the parts of a compound one by one, so an unknown compound is
    scored as its parts; known compounds and those with a number stay whole."""
    doc = Engine()._doc("A machine-mastering and long-term plan for 55-litre tanks.")
    assert [t.text for t in doc.tokens] == ["A", "machine", "mastering", "and", "long-term", "plan", "for",
                                            "55-litre", "tanks"]
    assert doc.text[doc.tokens[2].start:doc.tokens[2].end] == "mastering"  # offsets into the text


def test_a_spun_compound_part_is_found_and_the_hyphen_kept():
    r = unspin.check("In this paper we apply machine-mastering algorithms to the data set.")
    (f,) = [f for f in r.findings if "mastering" in f.text]
    assert f.suggestion.lower() in ("learning", "machine-learning")
    assert "machine-learning" in r.restored or "machine-mastering" in r.restored  # never "machine learning"
    pair = unspin.check("We built a counterfeit-consciousness system for hospitals.")
    assert any(f.suggestion == "artificial-intelligence" for f in pair.findings)


def test_no_pair_or_phrase_cuts_a_split_compound():
    """"loss-making stores": "making stores" is no pair of the text, and "sell-off" is
    no rendering of a single word."""
    for text, bad in (("Profits at the loss-making stores fell.", "making stores"),
                      ("The sell-off hit banks and the last-gasp rally faded.", "sell-off")):
        r = unspin.check(text)
        assert all(f.text != bad for f in r.findings), r.findings


def test_split_compounds_score_the_same_in_groups_and_in_pieces(monkeypatch):
    import unspin.detect as detect_mod

    texts = ["Profits at the loss-making stores fell.",
             "In this paper we apply machine-mastering algorithms to the data set.",
             "The irregular-woodland classifier was trained on the data."]
    alone = [Engine().check(t).to_dict() for t in texts]
    assert [r.to_dict() for r in Engine().check_many(texts)] == alone
    long_text = "\n".join(texts * 12)
    whole = Engine().check(long_text).to_dict()
    monkeypatch.setattr(detect_mod, "PASS_TOKENS", 23)
    assert Engine().check(long_text).to_dict() == whole
    # a sentence longer than a pass is cut inside it, here inside a compound: the piece
    # after the cut still knows the compound, alone or grouped with other texts
    chain = "Intro " + "-".join(["machine", "mastering", "closest", "profound", "learning"] * 20) + " end."
    alone = Engine().check(chain)
    assert Engine().check_many([chain, "x"])[0].to_dict() == alone.to_dict()
    inside = (chain.index("machine"), chain.index(" end."))
    for f in alone.findings:  # inside the compound, or outside it: never across its edge
        assert inside[0] <= f.start and f.end <= inside[1] or f.end <= inside[0] or f.start >= inside[1], f


def test_split_compounds_do_not_pass_the_word_limit(monkeypatch):
    import unspin.detect as detect_mod

    monkeypatch.setattr(detect_mod, "MAX_WORDS", 50)
    r = Engine().check("-".join(["machine", "mastering"] * 100) + ". The end.")
    assert r.words == 50 and r.features["truncated_at_words"] == 50


def test_addresses_are_never_rewritten():
    text = ("Visit https://example.com/cash/firms-mentioned or www.firms.com/cash, or email "
            "cash@firms.com: the firms mentioned cash.")
    r = unspin.check(text)
    for address in ("https://example.com/cash/firms-mentioned", "www.firms.com/cash", "cash@firms.com"):
        assert address in r.restored
        a = text.index(address)
        assert not any(f.start < a + len(address) and a < f.end for f in r.findings)
    assert r.findings  # the prose around them is still checked


def test_a_pair_suggestion_prefers_noun_phrases_to_verb_phrases():
    """Moby lists verb phrases too ("nurse resentment" for "begrudge"); tortured phrases
    disguise terms, which are nouns."""
    r = unspin.check("Patients with bosom malignancy were included in the study.")
    (f,) = [f for f in r.findings if f.text == "bosom malignancy"]
    assert f.suggestion.startswith("breast"), f


def test_a_phrase_never_swallows_punctuation_or_markup():
    """A spinner's phrase ("financial institution", "by means of") is matched only with
    white space (or a hyphen) between its words: across a table cell, a list item or
    brackets, restoring it deleted the markup ("| financial |\\n| institution |" -> "| bank |")."""
    from importlib.resources import files

    spun = files("unspin").joinpath("examples", "spun_article.txt").read_text(encoding="utf-8")
    for tail in ("| Harlow | financial |\n| institution | regulator |", "a financial\n- institution regulator",
                 "examiner (financial) institution, said", "by means, of course, of shell firms"):
        text = spun + "\n\n" + tail + "\n"
        r = unspin.check(text)
        assert r.is_spun
        for f in r.findings:
            if f.end > len(spun):
                assert not any(c in f.text for c in "|\n(),-"), f
        assert all(r.restored.count(c) == text.count(c) for c in "|\n(),-")  # no markup deleted
    hard = unspin.check(spun + "\n\nThe financial\ninstitution mentioned the yr had been tough.\n")
    assert any(f.text == "financial\ninstitution" for f in hard.findings)  # a wrapped line is still one phrase


def test_line_endings_do_not_change_the_findings():
    """A lone \r (old Mac text) or a Unicode line separator ends a line as \n does: with \r
    only, a heading ran into the next sentence and the findings' confidences changed."""
    text = "Title here\n\nThe regulator mentioned the yr had been hard.\nIt said so."
    def key(t):
        r = unspin.check(t)
        return round(r.score, 4), [(f.text, f.suggestion, f.confidence, f.applied) for f in r.findings]
    want = key(text)
    assert want[1]  # the text has findings to compare
    for sep in ("\r\n", "\r", "\u2028"):
        assert key(text.replace("\n", sep)) == want, repr(sep)


@pytest.mark.parametrize("text, shouted", [
    # a capital after a digit continues a run without counting (b44909a had no test of it)
    ("THE 4G NETWORK IS DOWN", ["THE", "NETWORK", "IS", "DOWN"]),
    ("ONE 4G UNIT", []),  # two that count: no run
    # anything but white space between tokens ends a run
    ("ABC/DEF/GHI", []),
    ("U.S.-CHINA TRADE TALKS", ["CHINA", "TRADE", "TALKS"]),
    ("the FBI, CIA, NSA, DOD and DOE", []),
    # one-letter words alone are no run
    ("I A I A I", []),
])
def test_shouted_runs(text, shouted):
    from unspin.detect import _shouted
    from unspin.tokens import tokenize

    toks = tokenize(text)
    assert [t.text for t, s in zip(toks, _shouted(text, toks)) if s] == shouted


def test_params_refuse_a_scored_candidate_count_outside_the_candidate_list():
    """scored_candidates=0 emptied every word's cached candidates, and with them the 25 the
    known-term search reads; more than max_candidates cannot be scored."""
    import dataclasses

    from unspin.detect import PARAMS

    for bad in (0, PARAMS.max_candidates + 1):
        with pytest.raises(ValueError, match="scored_candidates must be"):
            dataclasses.replace(PARAMS, scored_candidates=bad)
    assert dataclasses.replace(PARAMS, scored_candidates=1).scored_candidates == 1
