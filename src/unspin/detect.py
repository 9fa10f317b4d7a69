"""Detection, localization and restoration: the engine behind :func:`unspin.check`.

How it decides, in one paragraph: every word or short phrase that a spinner
could have produced gets *candidate originals* from two places, a learned
spinner profile ("mentioned" replaced "said" in the examples it learned from)
and a reverse thesaurus ("sanctuaries" is a synonym of "havens"). Each
candidate is put into the sentence and a trigram language model compares the
two wordings in their context. For a profile entry, the log-odds that the span
was substituted are logit(how often that form was a substitution) plus how much
rarer the form is in normal English, plus the LM's preference. For thesaurus
candidates a small logistic model, fitted on synthetic spins, weighs the LM's
preference, the channel prior (how likely a spinner picks that synonym), how
well the observed word fits its context and how common both wordings are; a
second one estimates whether the suggestion is the original, and only findings
likely to be right on both counts are applied to ``restored``. Adjacent
suspicious words are also re-scored jointly, which is how tortured phrases are
found ("counterfeit consciousness" -> "artificial intelligence"). The document
score is a logistic model over how dense and how confident the findings are,
calibrated on synthetic spins of clean news (docs/calibration.md).

>>> r = check("The regulator mentioned the yr had been tough for buying and selling.")
>>> r.restored
'The regulator said the year had been tough for trading.'
>>> [(f.text, f.suggestion) for f in r.findings]
[('mentioned', 'said'), ('yr', 'year'), ('buying and selling', 'trading')]

Text that must be left alone is left alone:

>>> r = check("The central bank said on Tuesday that it would keep interest rates unchanged.")
>>> r.findings, r.restored == "The central bank said on Tuesday that it would keep interest rates unchanged."
([], True)
>>> check("").score
0.0
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from typing import Sequence

from .lm import LanguageModel
from .profiles import Profile, resolve
from .report import DEFAULT_THRESHOLD, Finding, Report
from .tokens import STOPWORDS, Token, match_case, sentence_starts, tokenize

#: Data the document-score calibration was fitted on (the benchmark prints it).
CALIBRATION_SOURCES = "synthetic spins of clean_news.jsonl (index % 5 != 0) and those clean texts"

#: A finding's suggestion is applied to ``Report.restored`` when P(substituted) x
#: P(suggestion is the original) reaches this (``Finding.applied``).
APPLY_CONFIDENCE = 0.5
#: Findings below this confidence are not reported at all.
REPORT_CONFIDENCE = 0.35
#: Safety limit: documents longer than this many words are scored on their first
#: MAX_WORDS words only (time and memory stay bounded; the report says so).
MAX_WORDS = 200_000



@dataclass(frozen=True)
class Params:
    """Search limits and the profile decision weights (natural-log odds units).

    The thesaurus proposals' weights are fitted (calibration.json); these are set by
    hand: candidate counts trade speed for recall (docs/benchmarks.md), the profile
    weights follow the fitted model's scale.
    """

    lm_weight: float = 0.3          # profile proposals: weight per log10 of LM preference, times ln(10);
    #                                 ~ the gain weight the fitted thesaurus model learned (0.6 per log10)
    max_candidates: int = 25        # reverse-thesaurus candidates considered per word
    joint_candidates: int = 16      # per word, for joint two-word re-scoring
    joint_min_pmi: float = 1.0      # a restored pair must be a collocation at least this strong (log10)
    joint_max_spun_pmi: float = 1.0  # ... and the observed pair no stronger than this
    joint_keep: int = 3             # pairs (by collocation strength) given full features
    joint_min_logodds: float = -3.0  # single-word evidence a word needs to join a pair search
    shortlist: int = 4              # candidates per word given full context features


PARAMS = Params()
#: Channel log-prior for leaving a word of a jointly re-scored pair as it is.
KEEP_PRIOR = math.log(0.3)
LN10 = math.log(10.0)
#: Pseudo-count of words added when turning finding counts into densities (see _features).
SHORT_TEXT_PSEUDOWORDS = 40


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


@dataclass
class _Proposal:
    i: int
    j: int
    suggestion: str
    alternatives: list[str]
    logodds: float
    reason: str
    kind: str
    features: dict[str, float] | None = None
    restore_prob: float | None = None  # P(suggestion is the original); None: use the confidence
    profile: str | None = None  # the spinner profile that proposed it


#: Weights of the per-proposal classifier for thesaurus-based proposals, used until
#: scripts/calibrate.py has fitted them (calibration.json "local").
DEFAULT_LOCAL = {"bias": -4.0, "gain_pos": 2.0, "channel": 0.3, "fit_spun": -1.5, "name": -2.5, "mwe": 2.0}
#: Weights of the second model: is the suggestion the original, given a substitution?
DEFAULT_CORRECT = {"bias": -1.0, "gain_pos": 1.0, "mwe": 2.0}


class _Doc:
    """Per-document token view with LM context helpers."""

    def __init__(self, text: str, tokens: list[Token], truncated: bool = False):
        self.text = text
        self.tokens = tokens
        self.truncated = truncated  # the text had more than MAX_WORDS words
        self.lw = [t.lower for t in tokens]
        self.starts = sentence_starts(text, tokens)
        self._left: dict[int, list[str]] = {}
        self.spun_cache: dict[tuple[int, int], tuple[float, float, float]] = {}

    def left(self, i: int) -> list[str]:
        ctx = self._left.get(i)
        if ctx is None:
            ctx = self._left[i] = self._compute_left(i)
        return ctx

    def _compute_left(self, i: int) -> list[str]:
        """Up to two words of history before token i, '<s>' at a sentence start."""
        ctx: list[str] = []
        k = i
        while k > 0 and len(ctx) < 2:
            if self.starts[k]:
                break
            k -= 1
            ctx.insert(0, self.lw[k])
        if len(ctx) < 2 and (k == 0 or self.starts[k]):
            ctx.insert(0, "<s>")
        return ctx[-2:]

    def right(self, j: int) -> list[str]:
        """Up to two words after token j-1, '</s>' where the sentence ends."""
        ctx: list[str] = []
        k = j
        while len(ctx) < 2:
            if k >= len(self.lw) or self.starts[k]:
                ctx.append("</s>")
                break
            ctx.append(self.lw[k])
            k += 1
        return ctx

    def is_name_like(self, i: int) -> bool:
        t = self.tokens[i].text
        return t[:1].isupper() and not self.starts[i]


class Engine:
    """Holds the loaded resources; :func:`check` uses a shared default instance."""

    def __init__(self, lm: LanguageModel | None = None, lexicon=None, params: Params = PARAMS):
        self.lm = lm or LanguageModel.default()
        if lexicon is None:
            try:
                from .lexicon import Lexicon

                lexicon = Lexicon.load()
            except (ImportError, FileNotFoundError):  # pragma: no cover - lexicon ships with the package
                lexicon = None
        self.lexicon = lexicon
        self.params = params
        self.calibration = _load_calibration()

    # -- language-model comparisons ------------------------------------------------
    def gain(self, doc: _Doc, i: int, j: int, cand: Sequence[str]) -> float:
        """log10 preference of the LM for ``cand`` over tokens [i, j) in context."""
        left, right = doc.left(i), doc.right(j)
        return self.lm.window_logprob(left, cand, right) - self._spun_side(doc, i, j)[0]

    def _spun_side(self, doc: _Doc, i: int, j: int) -> tuple[float, float, float]:
        """(window log-prob, context fit, mean unigram log-prob) of the observed span, once per span."""
        key = (i, j)
        got = doc.spun_cache.get(key)
        if got is None:
            lm = self.lm
            spun = doc.lw[i:j]
            got = (lm.window_logprob(doc.left(i), spun, doc.right(j)), self._context_fit(doc, i, j, spun),
                   sum(lm.logprob(w) for w in spun) / len(spun))
            doc.spun_cache[key] = got
        return got

    # -- candidate sources ------------------------------------------------------------
    def _profile_proposals(self, doc: _Doc, profiles: list[Profile]) -> list[_Proposal]:
        out: list[_Proposal] = []
        lw = doc.lw
        p = self.params
        for prof in profiles:
            maxn = prof.max_key_words
            for i in range(len(lw)):
                for n in range(1, maxn + 1):
                    if i + n > len(lw):
                        break
                    key = lw[i] if n == 1 else " ".join(lw[i:i + n])
                    origs = prof.table.get(key)
                    if not origs:
                        continue
                    total = sum(origs.values())
                    ranked_origs = sorted(origs.items(), key=lambda kv: -kv[1])
                    prior = profile_prior(prof, key, self.lm)
                    best = None
                    for orig, count in ranked_origs:
                        g = self.gain(doc, i, i + n, orig.split())
                        lo = prior + math.log(count / total) + p.lm_weight * LN10 * g
                        if best is None or lo > best[0]:
                            best = (lo, orig, count, g)
                    lo, orig, count, g = best
                    alts = [o for o, _ in ranked_origs if o != orig]
                    reason = (f"spinner profile '{prof.name}': '{key}' replaced '{orig}' {count}x in learned "
                              f"examples; the language model {'prefers' if g > 0 else 'does not prefer'} "
                              f"'{orig}' here ({g:+.1f} log10)")
                    out.append(_Proposal(i, i + n, orig, alts, lo, reason, "profile", profile=prof.name))
        return out

    def _word_candidates(self, word: str) -> list:
        """Reverse-thesaurus candidates, best first by channel prior x how common the word is.

        Rare words win on the channel prior alone (few synonyms each), but spinners
        replace ordinary words, so the unigram probability breaks ties. The ranking is
        precomputed at build time (``scripts/build_lexicon.py``), so this is a table slice.
        """
        if self.lexicon is None:
            return []
        return self.lexicon.ranked_candidates(word, self.params.max_candidates)

    def _context_fit(self, doc: _Doc, i: int, j: int, cand: Sequence[str]) -> float:
        """How much the left context predicts ``cand`` beyond its frequency (log10 PMI, first word).

        A word that its neighbours predict ("second quarter", "interest rates") is
        unlikely to be a spinner's pick, however common its synonyms are.
        """
        lm = self.lm
        return lm.logprob(cand[0], doc.left(i)) - lm.logprob(cand[0])

    def _features(self, doc: _Doc, i: int, j: int, cand: Sequence[str], channel: float, kind: str) -> dict[str, float]:
        lm = self.lm
        n_spun = j - i
        window, fit_spun, uni_spun = self._spun_side(doc, i, j)
        g = lm.window_logprob(doc.left(i), cand, doc.right(j)) - window
        return {
            "bias": 1.0,
            "gain": g,
            "gain_pos": max(g, 0.0),
            "channel": channel,
            "fit_spun": fit_spun,
            "fit_cand": self._context_fit(doc, i, j, cand),
            "uni_spun": uni_spun,
            "uni_cand": sum(lm.logprob(w) for w in cand) / len(cand),
            "name": 1.0 if doc.is_name_like(i) else 0.0,
            "multi_spun": float(n_spun > 1),
            "multi_cand": float(len(cand) > 1),
            "joint": float(kind == "tortured"),
            "mwe": float(kind == "tortured" and self.lexicon is not None and self.lexicon.is_mwe(" ".join(cand))),
        }

    def _local_logodds(self, feats: dict[str, float], model: str = "local") -> float:
        """Log-odds from a fitted linear model; joint pairs have their own weights."""
        cal = self.calibration
        w = (feats.get("joint") and cal.get(model + "_joint")) or cal.get(model) \
            or (DEFAULT_LOCAL if model == "local" else DEFAULT_CORRECT)
        return sum(w.get(k, 0.0) * v for k, v in feats.items())

    def _best(self, doc: _Doc, i: int, j: int, cands: list[tuple[str, float]], kind: str):
        """Score every candidate; return (logodds, text, features, ranked texts) or None."""
        scored = []
        for text, channel in cands:
            f = self._features(doc, i, j, text.split(), channel, kind)
            scored.append((self._local_logodds(f), text, f))
        if not scored:
            return None
        scored.sort(key=lambda t: -t[0])
        lo, text, f = scored[0]
        return lo, text, f, [t for _, t, _ in scored]

    def _shortlist(self, doc: _Doc, i: int, cands: list) -> list[tuple[str, float]]:
        """Cheap first pass: one trigram lookup per candidate, keep the best few.

        Full features cost ~10 language-model lookups per candidate; scoring each
        candidate by log P(candidate | two words before) plus its channel prior first
        keeps the per-word cost near one lookup per candidate (profiled: this loop
        dominates check()).
        """
        k = self.params.shortlist
        if len(cands) <= k:
            return [(c.text, c.logprior) for c in cands]
        left = tuple(doc.left(i)[-2:])
        lm = self.lm
        get = lm._cache.get  # hot loop: read the LM cache directly, fall back on a miss
        scored = []
        for c in cands:
            first = c.text.partition(" ")[0]
            v = get((first, *left))
            if v is None:
                v = lm.logprob(first, left)
            scored.append((v + 0.4 * c.logprior / LN10, c.text, c.logprior))
        scored.sort(reverse=True)
        return [(t, prior) for _, t, prior in scored[:k]]

    def _lexicon_proposals(self, doc: _Doc) -> tuple[list[_Proposal], dict[int, list[tuple[str, float]]]]:
        """Single-word reverse-thesaurus proposals, plus each word's ranked candidates for joint scoring."""
        out: list[_Proposal] = []
        ranked: dict[int, list[tuple[str, float]]] = {}
        p = self.params
        for i, w in enumerate(doc.lw):
            if len(w) < 3 or w in STOPWORDS or not w.isalpha():
                continue
            tok = doc.tokens[i].text
            if tok.isupper() and len(tok) > 1:
                continue  # acronyms
            cands = self._word_candidates(w)
            if not cands:
                continue
            shortlist = self._shortlist(doc, i, cands)
            lo, text, f, order = self._best(doc, i, i + 1, shortlist, "substitution")
            # Joint re-scoring uses the context-free ranking: in a tortured phrase the
            # neighbour is spun too, so single-word context scores mislead. Only words
            # with some single-word evidence take part (it bounds the pair search).
            if lo >= p.joint_min_logodds:
                ranked[i] = [(c.text, c.logprior) for c in cands[: p.joint_candidates]
                             if " " not in c.text and c.text not in STOPWORDS]
            kind = "name" if f["name"] else "substitution"
            g = f["gain"]
            reason = (f"unusual word here; '{w}' is a thesaurus synonym of '{text}', which is "
                      f"{10 ** g:.0f}x more likely in this context" if g > 0 else
                      f"'{w}' is a thesaurus synonym of '{text}'")
            out.append(_Proposal(i, i + 1, text, order[1:4], lo, reason, kind, f))
        return out, ranked

    def _phrase_proposals(self, doc: _Doc) -> list[_Proposal]:
        """Multi-word spun forms that are thesaurus entries ("financial institution" -> "bank")."""
        if self.lexicon is None:
            return []
        out: list[_Proposal] = []
        for i, j in self.lexicon.phrase_keys(doc.lw):
            key = " ".join(doc.lw[i:j])
            best = self._best(doc, i, j, [(c.text, c.logprior) for c in self._word_candidates(key)], "phrase")
            if best is None:
                continue
            lo, text, f, order = best
            g = f["gain"]
            reason = (f"'{key}' is a thesaurus rendering of '{text}', {10 ** g:.0f}x more likely here" if g > 0
                      else f"'{key}' is a thesaurus rendering of '{text}'")
            out.append(_Proposal(i, j, text, order[1:4], lo, reason, "phrase", f))
        return out

    def _pair_pmi(self, a: str, b: str) -> float:
        """Collocation strength log10 P(b|a) - log10 P(b): high for terms like 'random forest'."""
        return self.lm.logprob(b, (a,)) - self.lm.logprob(b)

    def _pair_table(self, w1: str, w2: str, left_opts, right_opts) -> list[tuple[float, str, str, float]]:
        """(collocation strength, a, b, channel) for every candidate pair but the observed one.

        The hot loop of joint scoring (hundreds of pairs per position): it reads the LM
        cache directly and calls the model only on a miss; values equal :meth:`_pair_pmi`.
        """
        lm = self.lm
        get = lm._cache.get
        out = []
        for b, lpb in right_opts:
            ub = get((b,))
            if ub is None:
                ub = lm.logprob(b)
            for a, lpa in left_opts:
                if a == w1 and b == w2:
                    continue
                v = get((b, a))
                if v is None:
                    v = lm.logprob(b, (a,))
                out.append((v - ub, a, b, lpa + lpb))
        return out

    def _term_pairs(self, w1: str, w2: str, left_opts, right_opts, limit: int = 2):
        """Candidate pairs that are multi-word entries of the thesauri ("artificial intelligence")."""
        if self.lexicon is None:
            return []
        known = self.lexicon.ids
        out = []
        for a, lpa in left_opts:
            for b, lpb in right_opts:
                if (a, b) == (w1, w2):
                    continue
                phrase = f"{a} {b}"
                if phrase in known or (b.endswith("s") and phrase[:-1] in known):
                    out.append((a, b, lpa + lpb))
                    if len(out) >= limit:
                        return out
        return out

    def _joint_proposals(self, doc: _Doc, ranked: dict[int, list[tuple[str, float]]]) -> list[_Proposal]:
        """Re-score adjacent suspicious words together: tortured phrases swap every word of a term.

        Neither "counterfeit" nor "consciousness" alone looks better as "artificial" or
        "intelligence" when its neighbour is spun too; the pair does, because
        "artificial intelligence" is a strong collocation and "counterfeit
        consciousness" is none. Pairs of candidates are ranked by that collocation
        strength first, and only the best few get full context features.
        """
        out: list[_Proposal] = []
        p = self.params
        for i in sorted(ranked):
            if i + 1 not in ranked or doc.starts[i + 1]:
                continue
            w1, w2 = doc.lw[i], doc.lw[i + 1]
            if not doc.text[doc.tokens[i].end:doc.tokens[i + 1].start].isspace():
                continue  # a comma or dash between them: not one term
            spun_pmi = self._pair_pmi(w1, w2)
            if spun_pmi > p.joint_max_spun_pmi:
                continue  # the observed pair is itself a collocation ("interest rates")
            # Each side may also keep its word: many tortured phrases spin only one
            # word of a term ("liver disappointment" for "liver failure").
            left_opts = [(w1, KEEP_PRIOR), *ranked[i]]
            right_opts = [(w2, KEEP_PRIOR), *ranked[i + 1]]
            pairs = sorted(self._pair_table(w1, w2, left_opts, right_opts), reverse=True)[: p.joint_keep]
            pairs = [x for x in pairs if x[0] >= p.joint_min_pmi]
            # Known multi-word terms among the combinations get scored whatever the LM
            # thinks: a news-trained LM does not know most technical terms.
            seen = {(a, b) for _, a, b, _ in pairs}
            for a, b, channel in self._term_pairs(w1, w2, left_opts, right_opts):
                if (a, b) not in seen:
                    pairs.append((self._pair_pmi(a, b), a, b, channel))
            best = None
            for pmi, a, b, channel in pairs:
                f = self._features(doc, i, i + 2, [a, b], channel, "tortured")
                f["pair_pmi_cand"] = pmi
                f["pair_pmi_spun"] = spun_pmi
                lo = self._local_logodds(f)
                if best is None or lo > best[0]:
                    best = (lo, f"{a} {b}", f)
            if best is None:
                continue
            lo, text, f = best
            known = " (a known term)" if f["mwe"] else ""
            reason = (f"rare collocation; '{text}'{known} is a common pairing of their synonyms "
                      f"and {10 ** f['gain']:.0f}x more likely than '{w1} {w2}' here" if f["gain"] > 0 else
                      f"rare collocation '{w1} {w2}'; '{text}'{known} pairs their synonyms")
            out.append(_Proposal(i, i + 2, text, [], lo, reason, "tortured", f))
        return out

    def proposals(self, text: str, profile="auto") -> tuple[_Doc, list[_Proposal]]:
        """All scored proposals before selection (used by calibration and the benchmark)."""
        tokens = tokenize(text)
        doc = _Doc(text, tokens[:MAX_WORDS], truncated=len(tokens) > MAX_WORDS)
        props = self._profile_proposals(doc, resolve(profile))
        lex, ranked = self._lexicon_proposals(doc)
        props += lex + self._phrase_proposals(doc) + self._joint_proposals(doc, ranked)
        return doc, props

    # -- putting it together ----------------------------------------------------------
    def check(self, text: str, threshold: float | None = None, profile="auto") -> Report:
        threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
        doc, proposals = self.proposals(text, resolve(profile))
        if not doc.tokens:
            return Report(0.0, threshold, [], text, 0)
        chosen = _select(proposals, doc)
        for pr in chosen:
            if pr.features is not None and pr.restore_prob is None:
                pr.restore_prob = _sigmoid(self._local_logodds(pr.features, "correct"))
        kept = [(pr, f) for pr in chosen for f in (self._finding(doc, pr),) if f.confidence >= REPORT_CONFIDENCE]
        findings = [f for _, f in kept]
        restored = _apply(text, findings)
        features = _features(findings, len(doc.tokens))
        score = self._score(features)
        spinner, spinner_conf = _spinner(kept)
        if doc.truncated:
            features["truncated_at_words"] = float(MAX_WORDS)
        return Report(score, threshold, findings, restored, len(doc.tokens), spinner, spinner_conf, features)

    def _finding(self, doc: _Doc, pr: _Proposal) -> Finding:
        start, end = doc.tokens[pr.i].start, doc.tokens[pr.j - 1].end
        span = doc.text[start:end]
        conf = round(_sigmoid(pr.logodds), 4)
        suggestion = match_case(span, pr.suggestion)
        alts = [match_case(span, a) for a in pr.alternatives if a != pr.suggestion]
        restore = conf if pr.restore_prob is None else conf * pr.restore_prob
        return Finding(start, end, span, suggestion, alts, conf, pr.reason, pr.kind, restore >= APPLY_CONFIDENCE)

    def _score(self, features: dict[str, float]) -> float:
        cal = self.calibration
        z = cal["intercept"] + sum(w * features.get(k, 0.0) for k, w in cal["weights"].items())
        return round(_sigmoid(z), 4)


def profile_prior(prof: Profile, key: str, lm: LanguageModel) -> float:
    """Prior log-odds that ``key`` in a text is this spinner's substitution:
    logit(how often it was one in the profile's examples) + :func:`profile_lift`."""
    return _logit(prof.substitution_rate(key)) + profile_lift(prof, key, lm)


def profile_lift(prof: Profile, key: str, lm: LanguageModel) -> float:
    """log of how much more often ``key`` occurs in the profile's spun text than in normal
    English (LM probability), minus log 4, capped to [-4, 2].

    "may" is common everywhere, so seeing it says little even if the spinner often
    wrote it; "yr" or "privateness" are common only in spun text.
    """
    if not prof.words:
        return 0.0
    expected = prof.words * 10 ** lm.sequence_logprob(key.split())
    lift = math.log((prof.seen.get(key, 0) + 0.5) / (expected + 0.5))
    return min(max(lift - math.log(4.0), -4.0), 2.0)


def _select(proposals: list[_Proposal], doc: _Doc) -> list[_Proposal]:
    """Greedy non-overlapping choice, most confident first; returned in text order."""
    taken = [False] * len(doc.lw)
    chosen: list[_Proposal] = []
    floor = _logit(REPORT_CONFIDENCE)
    for pr in sorted(proposals, key=lambda p: (-p.logodds, p.i)):
        if pr.logodds < floor:
            break
        if any(taken[pr.i:pr.j]):
            continue
        if pr.suggestion == " ".join(doc.lw[pr.i:pr.j]):
            continue
        for k in range(pr.i, pr.j):
            taken[k] = True
        chosen.append(pr)
    chosen.sort(key=lambda p: p.i)
    return chosen


def _apply(text: str, findings: list[Finding]) -> str:
    """Put confident suggestions in place; every other character is kept."""
    parts: list[str] = []
    pos = 0
    for f in findings:
        if f.suggestion is None or not f.applied:
            continue
        parts.append(text[pos:f.start])
        parts.append(f.suggestion)
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts)


def _features(findings: list[Finding], n_words: int) -> dict[str, float]:
    # Densities shrink towards zero for short texts: one odd phrase in a headline is no verdict.
    per100 = 100.0 / (n_words + SHORT_TEXT_PSEUDOWORDS)
    # A function word swapped per a profile ("may" for "could") is restored, but it is
    # too common in ordinary prose to count as evidence that the document was spun.
    evidence = [f for f in findings if not (f.kind == "profile" and f.text.lower() in STOPWORDS)]
    conf = [f.confidence for f in evidence]
    return {
        "findings_per_100w": len(evidence) * per100,
        "confidence_mass_per_100w": sum(conf) * per100,
        "confident_per_100w": sum(1 for c in conf if c >= 0.8) * per100,
        "profile_per_100w": sum(f.confidence for f in evidence if f.kind == "profile") * per100,
        "log_words": math.log1p(n_words),
    }


def _spinner(kept: list[tuple[_Proposal, Finding]]) -> tuple[str | None, float]:
    """The profile that explains most of the findings, with the share (of confidence) it explains."""
    counts: dict[str, float] = {}
    for pr, f in kept:
        if pr.profile is not None and f.confidence >= APPLY_CONFIDENCE:
            counts[pr.profile] = counts.get(pr.profile, 0.0) + f.confidence
    if not counts:
        return None, 0.0
    name = max(counts, key=counts.get)
    return name, round(counts[name] / sum(f.confidence for _, f in kept), 4)


def _load_calibration() -> dict:
    try:
        ref = resources.files("unspin") / "data" / "calibration.json"
        return json.loads(ref.read_text(encoding="utf-8"))
    except FileNotFoundError:
        # Uncalibrated fallback: about 2 confident findings per 100 words -> 0.5.
        return {"intercept": -3.0, "weights": {"confidence_mass_per_100w": 1.5}}


_ENGINE: Engine | None = None


def default_engine() -> Engine:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = Engine()
    return _ENGINE


def check(text: str, threshold: float | None = None, profile="auto") -> Report:
    """See :func:`unspin.check`."""
    if not isinstance(text, str):
        raise TypeError(f"unspin.check expects str, got {type(text).__name__}; decode bytes first "
                        "(unspin.inputs.read_text handles files and unknown encodings)")
    return default_engine().check(text, threshold=threshold, profile=profile)
