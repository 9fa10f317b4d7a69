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

import numpy as np

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
#: Per-proposal features, in the column order of the engine's feature matrices.
FEATURES = ("bias", "gain", "gain_pos", "channel", "fit_spun", "fit_cand", "uni_spun", "uni_cand", "name",
            "multi_spun", "multi_cand", "joint", "mwe")
#: Extra features of jointly re-scored pairs: collocation strength of the candidate and observed pair.
JOINT_FEATURES = ("pair_pmi_cand", "pair_pmi_spun")


class _Doc:
    """Per-document token view: lower-case words, their LM ids and each position's LM context.

    Contexts are arrays over positions so whole batches of candidates are scored in
    one vectorised pass: ``L2, L1`` are the two words before position i (``<s>`` at
    a sentence start, -1 for none), ``R1, R2`` the words after a span ending at j
    (``</s>`` where the sentence ends) and ``NR`` how many of them are scored.
    """

    def __init__(self, text: str, tokens: list[Token], lm: LanguageModel, truncated: bool = False):
        self.text = text
        self.tokens = tokens
        self.truncated = truncated  # the text had more than MAX_WORDS words
        self.lw = [t.lower for t in tokens]
        self.starts = sentence_starts(text, tokens)
        n = len(tokens)
        ids = self.ids = lm.ids(self.lw)
        bos, eos = lm.ids(["<s>", "</s>"]).tolist()
        st = np.array(self.starts, dtype=bool)
        if n:
            st[0] = True
        pad = np.concatenate([[-1, -1], ids, [-1, -1]])  # pad[k + 2] == ids[k]
        st_prev = np.concatenate([[True], st[:-1]])
        self.L1 = np.where(st, bos, pad[1:n + 1])
        self.L2 = np.where(st, -1, np.where(st_prev, bos, pad[:n]))
        # a span ending at j (0..n): the sentence ends there if j == n or token j opens one
        end0 = np.concatenate([st, [True]])
        end1 = np.concatenate([st[1:], [True, True]]) if n else np.array([True])
        self.R1 = np.where(end0, eos, pad[2:n + 3])
        self.R2 = np.where(end1, eos, pad[3:n + 4])
        self.NR = np.where(end0, 1, 2)

    def is_name_like(self, i: int) -> bool:
        t = self.tokens[i].text
        return t[:1].isupper() and not self.starts[i]


@dataclass
class _Cands:
    """One string's reverse-thesaurus candidates as arrays, built once per string and cached."""

    texts: list[str]
    prior: np.ndarray      # channel log-prior of each candidate
    first: np.ndarray      # LM id of each candidate's first word
    flat: np.ndarray       # LM ids of all candidates' words, concatenated
    off: np.ndarray        # where each candidate starts in ``flat``
    lens: np.ndarray       # words per candidate
    tdesc: np.ndarray      # rank in descending text order (the shortlist's tie-break)
    uni_mean: np.ndarray   # mean unigram log10 P over each candidate's words
    uni_first: np.ndarray  # unigram log10 P of each candidate's first word
    joint: list[tuple[str, float]]  # context-free list for joint pair scoring


def _concat(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _ragged(items: list[Sequence[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(flat, offsets, lengths) of a list of id sequences."""
    lens = np.fromiter((len(x) for x in items), dtype=np.int64, count=len(items))
    off = np.zeros(len(items), dtype=np.int64)
    if len(items) > 1:
        np.cumsum(lens[:-1], out=off[1:])
    flat = np.fromiter((w for x in items for w in x), dtype=np.int64, count=int(lens.sum()))
    return flat, off, lens


def _group_order(group: np.ndarray, *keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows sorted by group, then by ``keys`` (ascending, first key most significant),
    and each sorted row's rank within its group."""
    order = np.lexsort((*reversed(keys), group))
    g = group[order]
    first = np.concatenate([[True], g[1:] != g[:-1]]) if len(g) else np.zeros(0, dtype=bool)
    starts = np.nonzero(first)[0]
    rank = np.arange(len(g)) - np.repeat(starts, np.diff(np.append(starts, len(g))))
    return order, rank


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
        self._weights = {m: self._weight_vector(m) for m in ("local", "local_joint", "correct", "correct_joint")}
        self._cands_cache: dict[str, _Cands | None] = {}
        self._pairs_cache: dict[tuple[str, str], list] = {}
        self._mwe_cache: dict[str, bool] = {}

    def _weight_vector(self, model: str) -> np.ndarray:
        cal = self.calibration
        base = model.removesuffix("_joint")
        w = (model.endswith("_joint") and cal.get(model)) or cal.get(base) \
            or (DEFAULT_LOCAL if base == "local" else DEFAULT_CORRECT)
        return np.array([w.get(k, 0.0) for k in FEATURES + JOINT_FEATURES])

    # -- language-model comparisons ------------------------------------------------
    def _unigram(self, ids: np.ndarray) -> np.ndarray:
        return self.lm.batch_logprob(ids, -1, -1)

    def _windows(self, doc: _Doc, I: np.ndarray, J: np.ndarray, flat: np.ndarray, off: np.ndarray,
                 lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each row, tokens [I, J) replaced by the middle ``flat[off:off+lens]``:
        log10 P of the middle plus the (up to) two right-context words it conditions,
        given the left context, and log10 P(first middle word | left context).

        Comparing the first value for two middles of the same span tells which one
        the model prefers there (:meth:`LanguageModel.window_logprob`, vectorised).
        """
        m = len(I)
        if m == 0:
            return np.zeros(0), np.zeros(0)
        width = int(lens.max())
        seq = np.full((m, width + 4), -1, dtype=np.int64)
        seq[:, 0], seq[:, 1] = doc.L2[I], doc.L1[I]
        col = np.arange(width)
        inside = col[None, :] < lens[:, None]
        seq[:, 2:2 + width] = np.where(inside, flat[np.minimum(off[:, None] + col[None, :], len(flat) - 1)], -1)
        rows = np.arange(m)
        nr = doc.NR[J]
        seq[rows, 2 + lens] = doc.R1[J]
        seq[rows, 3 + lens] = np.where(nr == 2, doc.R2[J], -1)
        total = 2 + lens + nr
        r, c = np.nonzero(np.arange(2, width + 4)[None, :] < total[:, None])
        c += 2
        vals = self.lm.batch_logprob(seq[r, c], seq[r, c - 1], seq[r, c - 2])
        return np.bincount(r, weights=vals, minlength=m), vals[c == 2]

    def _spun(self, doc: _Doc, I: np.ndarray, J: np.ndarray):
        """(window log-prob, context fit, mean unigram log-prob) of the observed spans."""
        win, first = self._windows(doc, I, J, doc.ids, I, J - I)
        uni = self._unigram(doc.ids)
        csum = np.concatenate([[0.0], np.cumsum(uni)])
        return win, first - uni[I], (csum[J] - csum[I]) / (J - I)

    def _feature_matrix(self, doc: _Doc, I, J, flat, off, lens, channel, uni_cand, uni_first,
                        kind: str) -> np.ndarray:
        """Rows of FEATURES (+ JOINT_FEATURES, zero here) for candidates replacing spans [I, J)."""
        win, first = self._windows(doc, I, J, flat, off, lens)
        s_win, s_fit, s_uni = self._spun(doc, I, J)
        g = win - s_win
        m = len(I)
        F = np.zeros((m, len(FEATURES) + len(JOINT_FEATURES)))
        F[:, 0] = 1.0
        F[:, 1] = g
        F[:, 2] = np.maximum(g, 0.0)
        F[:, 3] = channel
        F[:, 4] = s_fit
        F[:, 5] = first - uni_first
        F[:, 6] = s_uni
        F[:, 7] = uni_cand
        F[:, 8] = [doc.is_name_like(i) for i in I.tolist()]
        F[:, 9] = (J - I) > 1
        F[:, 10] = lens > 1
        F[:, 11] = kind == "tortured"
        return F

    # -- candidate sources ------------------------------------------------------------
    def _cands(self, key: str) -> _Cands | None:
        """Reverse-thesaurus candidates of ``key``, best first by channel prior x how common
        the word is, as arrays (cached per string across documents).

        Rare words win on the channel prior alone (few synonyms each), but spinners
        replace ordinary words, so the unigram probability breaks ties. The ranking is
        precomputed at build time (``scripts/build_lexicon.py``), so this is a table slice.
        """
        got = self._cands_cache.get(key, False)
        if got is not False:
            return got
        cands = self.lexicon.ranked_candidates(key, self.params.max_candidates) if self.lexicon else []
        out = None
        if cands:
            texts = [c.text for c in cands]
            words = [t.split() for t in texts]
            flat, off, lens = _ragged([self.lm.ids(w).tolist() for w in words])
            uni = self._unigram(flat)
            csum = np.concatenate([[0.0], np.cumsum(uni)])
            tdesc = np.empty(len(texts), dtype=np.int64)
            tdesc[sorted(range(len(texts)), key=texts.__getitem__, reverse=True)] = np.arange(len(texts))
            joint = [(c.text, c.logprior) for c in cands[: self.params.joint_candidates]
                     if " " not in c.text and c.text not in STOPWORDS]
            out = _Cands(texts, np.array([c.logprior for c in cands]), flat[off], flat, off, lens, tdesc,
                         (csum[off + lens] - csum[off]) / lens, uni[off], joint)
        if len(self._cands_cache) > 200_000:  # bound memory on long corpus runs
            self._cands_cache.clear()
        self._cands_cache[key] = out
        return out

    def _profile_proposals(self, doc: _Doc, profiles: list[Profile]) -> list[_Proposal]:
        lw = doc.lw
        p = self.params
        hits = []  # (profile, i, j, key, ranked originals)
        for prof in profiles:
            maxn = prof.max_key_words
            for i in range(len(lw)):
                for n in range(1, maxn + 1):
                    if i + n > len(lw):
                        break
                    key = lw[i] if n == 1 else " ".join(lw[i:i + n])
                    origs = prof.table.get(key)
                    if origs:
                        hits.append((prof, i, i + n, key, sorted(origs.items(), key=lambda kv: -kv[1])))
        if not hits:
            return []
        rows = [(i, j, orig) for _, i, j, _, ranked in hits for orig, _ in ranked]
        I = np.array([r[0] for r in rows], dtype=np.int64)
        J = np.array([r[1] for r in rows], dtype=np.int64)
        flat, off, lens = _ragged([self.lm.ids(r[2].split()).tolist() for r in rows])
        gains = (self._windows(doc, I, J, flat, off, lens)[0] - self._spun(doc, I, J)[0]).tolist()
        out: list[_Proposal] = []
        k = 0
        for prof, i, j, key, ranked in hits:
            total = sum(c for _, c in ranked)
            prior = profile_prior(prof, key, self.lm)
            best = None
            for orig, count in ranked:
                g = gains[k]
                k += 1
                lo = prior + math.log(count / total) + p.lm_weight * LN10 * g
                if best is None or lo > best[0]:
                    best = (lo, orig, count, g)
            lo, orig, count, g = best
            alts = [o for o, _ in ranked if o != orig]
            reason = (f"spinner profile '{prof.name}': '{key}' replaced '{orig}' {count}x in learned "
                      f"examples; the language model {'prefers' if g > 0 else 'does not prefer'} "
                      f"'{orig}' here ({g:+.1f} log10)")
            out.append(_Proposal(i, j, orig, alts, lo, reason, "profile", profile=prof.name))
        return out

    def _score_cands(self, doc: _Doc, spans: list[tuple[int, int]], entries: list[_Cands], kind: str,
                     shortlist: int | None = None):
        """Score each span's candidates in one vectorised pass.

        With ``shortlist``, a cheap first pass keeps each span's best few candidates
        by log P(candidate | two words before) plus its channel prior: full features
        cost ~10 language-model lookups per candidate, this one lookup (profiled:
        this was the hot loop of check()). Returns, per span, (row of the best
        candidate, rows ranked by log-odds), the feature matrix and the log-odds.
        """
        counts = np.array([len(e.texts) for e in entries], dtype=np.int64)
        grp = np.repeat(np.arange(len(entries)), counts)
        base = np.concatenate([[0], np.cumsum(counts)[:-1]])
        local = np.arange(len(grp)) - base[grp]
        I0 = np.array([s[0] for s in spans], dtype=np.int64)
        J0 = np.array([s[1] for s in spans], dtype=np.int64)
        prior = _concat([e.prior for e in entries], np.float64)
        lens = _concat([e.lens for e in entries], np.int64)
        flat = _concat([e.flat for e in entries], np.int64)
        flat_base = np.concatenate([[0], np.cumsum([len(e.flat) for e in entries])[:-1]])
        off = _concat([e.off for e in entries], np.int64) + flat_base[grp]
        if shortlist is not None:
            first = _concat([e.first for e in entries], np.int64)
            tdesc = _concat([e.tdesc for e in entries], np.int64)
            I = I0[grp]
            v = self.lm.batch_logprob(first, doc.L1[I], doc.L2[I]) + 0.4 * prior / LN10
            big = counts[grp] > shortlist
            order, rank = _group_order(grp, np.where(big, -v, 0.0), np.where(big, tdesc, local))
            sel = order[rank < shortlist]
        else:
            sel = np.arange(len(grp))
        g = grp[sel]
        F = self._feature_matrix(doc, I0[g], J0[g], flat, off[sel], lens[sel], prior[sel],
                                 _concat([e.uni_mean for e in entries], np.float64)[sel],
                                 _concat([e.uni_first for e in entries], np.float64)[sel], kind)
        lo = F @ self._weights["local"]
        order, rank = _group_order(g, -lo, np.arange(len(g)))
        ranked: list[list[int]] = [[] for _ in entries]
        for r in order.tolist():
            ranked[g[r]].append(r)
        return ranked, sel, grp, local, F, lo

    def _lexicon_proposals(self, doc: _Doc) -> tuple[list[_Proposal], dict[int, list[tuple[str, float]]]]:
        """Single-word reverse-thesaurus proposals, plus each word's ranked candidates for joint scoring."""
        out: list[_Proposal] = []
        ranked: dict[int, list[tuple[str, float]]] = {}
        if self.lexicon is None:
            return out, ranked
        p = self.params
        spans, entries = [], []
        for i, w in enumerate(doc.lw):
            if len(w) < 3 or w in STOPWORDS or not w.isalpha():
                continue
            tok = doc.tokens[i].text
            if tok.isupper() and len(tok) > 1:
                continue  # acronyms
            e = self._cands(w)
            if e is not None:
                spans.append((i, i + 1))
                entries.append(e)
        if not entries:
            return out, ranked
        order, sel, grp, local, F, lo = self._score_cands(doc, spans, entries, "substitution", p.shortlist)
        local_sel = local[sel].tolist()
        lo_l = lo.tolist()
        for k, ((i, _), e) in enumerate(zip(spans, entries)):
            rows = order[k]
            best = rows[0]
            text = e.texts[local_sel[best]]
            # Joint re-scoring uses the context-free ranking: in a tortured phrase the
            # neighbour is spun too, so single-word context scores mislead. Only words
            # with some single-word evidence take part (it bounds the pair search).
            if lo_l[best] >= p.joint_min_logodds:
                ranked[i] = e.joint
            f = dict(zip(FEATURES, F[best].tolist()))
            kind = "name" if f["name"] else "substitution"
            g = f["gain"]
            w = doc.lw[i]
            reason = (f"unusual word here; '{w}' is a thesaurus synonym of '{text}', which is "
                      f"{10 ** g:.0f}x more likely in this context" if g > 0 else
                      f"'{w}' is a thesaurus synonym of '{text}'")
            alts = [e.texts[local_sel[r]] for r in rows[1:4]]
            out.append(_Proposal(i, i + 1, text, alts, lo_l[best], reason, kind, f))
        return out, ranked

    def _phrase_proposals(self, doc: _Doc) -> list[_Proposal]:
        """Multi-word spun forms that are thesaurus entries ("financial institution" -> "bank")."""
        if self.lexicon is None:
            return []
        spans, entries = [], []
        for i, j in self.lexicon.phrase_keys(doc.lw):
            e = self._cands(" ".join(doc.lw[i:j]))
            if e is not None:
                spans.append((i, j))
                entries.append(e)
        if not entries:
            return []
        order, sel, grp, local, F, lo = self._score_cands(doc, spans, entries, "phrase")
        out: list[_Proposal] = []
        for k, ((i, j), e) in enumerate(zip(spans, entries)):
            rows = order[k]
            best = rows[0]
            text = e.texts[int(local[sel[best]])]
            f = dict(zip(FEATURES, F[best].tolist()))
            g = f["gain"]
            key = " ".join(doc.lw[i:j])
            reason = (f"'{key}' is a thesaurus rendering of '{text}', {10 ** g:.0f}x more likely here" if g > 0
                      else f"'{key}' is a thesaurus rendering of '{text}'")
            alts = [e.texts[int(local[sel[r]])] for r in rows[1:4]]
            out.append(_Proposal(i, j, text, alts, float(lo[best]), reason, "phrase", f))
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

    def _pair_searches(self, jobs: list[tuple[str, str, list, list]]) -> list[list[tuple[float, str, str, float]]]:
        """For each adjacent word pair, the candidate pairs worth full features:
        (collocation strength, a, b, channel), strongest first.

        Each side may also keep its word: many tortured phrases spin only one word
        of a term ("liver disappointment" for "liver failure"). All combinations are
        ranked by collocation strength log10 P(b|a) - log10 P(b) (hundreds per pair,
        one vectorised pass for the whole document); only the best few that form a
        collocation are kept. Known multi-word terms among the combinations are kept
        whatever the LM thinks: a news-trained LM does not know most technical terms.
        The result depends on the two words only, so it is cached across documents.
        """
        p = self.params
        results: list = [None] * len(jobs)
        todo = []
        for k, (w1, w2, lo_list, ro_list) in enumerate(jobs):
            hit = self._pairs_cache.get((w1, w2))
            if hit is not None:
                results[k] = hit
                continue
            left = [(w1, KEEP_PRIOR), *lo_list]
            right = [(w2, KEEP_PRIOR), *ro_list]
            todo.append((k, w1, w2, left, right))
        if todo:
            a_ids, b_ids, sizes = [], [], []
            for _, _, _, left, right in todo:
                la = self.lm.ids([a for a, _ in left])
                rb = self.lm.ids([b for b, _ in right])
                a_ids.append(np.repeat(la, len(rb)))
                b_ids.append(np.tile(rb, len(la)))
                sizes.append(len(la) * len(rb))
            A, B = np.concatenate(a_ids), np.concatenate(b_ids)
            pmi_all = self.lm.batch_logprob(B, A, -1) - self._unigram(B)
            bounds = np.cumsum(sizes)[:-1]
            for (k, w1, w2, left, right), pmi in zip(todo, np.split(pmi_all, bounds)):
                nb = len(right)
                pairs = []
                for r in np.nonzero(pmi >= p.joint_min_pmi)[0].tolist():
                    (a, lpa), (b, lpb) = left[r // nb], right[r % nb]
                    if a == w1 and b == w2:
                        continue
                    pairs.append((float(pmi[r]), a, b, lpa + lpb))
                pairs = sorted(pairs, reverse=True)[: p.joint_keep]
                seen = {(a, b) for _, a, b, _ in pairs}
                for a, b, channel in self._term_pairs(w1, w2, left, right):
                    if (a, b) not in seen:
                        pairs.append((self._pair_pmi(a, b), a, b, channel))
                if len(self._pairs_cache) > 200_000:
                    self._pairs_cache.clear()
                self._pairs_cache[(w1, w2)] = results[k] = pairs
        return results

    def _pair_pmi(self, a: str, b: str) -> float:
        """Collocation strength log10 P(b|a) - log10 P(b): high for terms like 'random forest'."""
        return self.lm.logprob(b, (a,)) - self.lm.logprob(b)

    def _is_mwe(self, phrase: str) -> bool:
        got = self._mwe_cache.get(phrase)
        if got is None:
            got = self._mwe_cache[phrase] = self.lexicon is not None and self.lexicon.is_mwe(phrase)
        return got

    def _joint_proposals(self, doc: _Doc, ranked: dict[int, list[tuple[str, float]]]) -> list[_Proposal]:
        """Re-score adjacent suspicious words together: tortured phrases swap every word of a term.

        Neither "counterfeit" nor "consciousness" alone looks better as "artificial" or
        "intelligence" when its neighbour is spun too; the pair does, because
        "artificial intelligence" is a strong collocation and "counterfeit
        consciousness" is none. Pairs of candidates are ranked by that collocation
        strength first (:meth:`_pair_searches`), and only the best few get full
        context features.
        """
        p = self.params
        starts = [i for i in sorted(ranked) if i + 1 in ranked and not doc.starts[i + 1]
                  # a comma or dash between them: not one term
                  and doc.text[doc.tokens[i].end:doc.tokens[i + 1].start].isspace()]
        if not starts:
            return []
        idx = np.array(starts, dtype=np.int64)
        w2 = doc.ids[idx + 1]
        spun_pmi = (self.lm.batch_logprob(w2, doc.ids[idx], -1) - self._unigram(w2)).tolist()
        # the observed pair must not itself be a collocation ("interest rates")
        keep = [(i, s) for i, s in zip(starts, spun_pmi) if s <= p.joint_max_spun_pmi]
        searches = self._pair_searches([(doc.lw[i], doc.lw[i + 1], ranked[i], ranked[i + 1]) for i, _ in keep])
        rows = [(i, s, pmi, a, b, ch) for (i, s), pairs in zip(keep, searches) for pmi, a, b, ch in pairs]
        if not rows:
            return []
        I = np.array([r[0] for r in rows], dtype=np.int64)
        ab = self.lm.ids([w for r in rows for w in (r[3], r[4])])
        uni = self._unigram(ab)
        F = self._feature_matrix(doc, I, I + 2, ab, np.arange(0, len(ab), 2), np.full(len(rows), 2),
                                 np.array([r[5] for r in rows]), (uni[0::2] + uni[1::2]) / 2, uni[0::2], "tortured")
        F[:, 12] = [self._is_mwe(f"{r[3]} {r[4]}") for r in rows]
        F[:, 13] = [r[2] for r in rows]
        F[:, 14] = [r[1] for r in rows]
        lo = (F @ self._weights["local_joint"]).tolist()
        best: dict[int, int] = {}
        for k, r in enumerate(rows):
            if r[0] not in best or lo[k] > lo[best[r[0]]]:
                best[r[0]] = k
        out: list[_Proposal] = []
        names = FEATURES + JOINT_FEATURES
        for i, k in best.items():
            f = dict(zip(names, F[k].tolist()))
            text = f"{rows[k][3]} {rows[k][4]}"
            w1, w2 = doc.lw[i], doc.lw[i + 1]
            known = " (a known term)" if f["mwe"] else ""
            reason = (f"rare collocation; '{text}'{known} is a common pairing of their synonyms "
                      f"and {10 ** f['gain']:.0f}x more likely than '{w1} {w2}' here" if f["gain"] > 0 else
                      f"rare collocation '{w1} {w2}'; '{text}'{known} pairs their synonyms")
            out.append(_Proposal(i, i + 2, text, [], lo[k], reason, "tortured", f))
        return out

    def proposals(self, text: str, profile="auto") -> tuple[_Doc, list[_Proposal]]:
        """All scored proposals before selection (used by calibration and the benchmark)."""
        tokens = tokenize(text)
        doc = _Doc(text, tokens[:MAX_WORDS], self.lm, truncated=len(tokens) > MAX_WORDS)
        props = self._profile_proposals(doc, resolve(profile))
        lex, ranked = self._lexicon_proposals(doc)
        props += lex + self._phrase_proposals(doc) + self._joint_proposals(doc, ranked)
        return doc, props

    def _local_logodds(self, feats: dict[str, float], model: str = "local") -> float:
        """Log-odds from a fitted linear model; joint pairs have their own weights."""
        cal = self.calibration
        w = (feats.get("joint") and cal.get(model + "_joint")) or cal.get(model) \
            or (DEFAULT_LOCAL if model == "local" else DEFAULT_CORRECT)
        return sum(w.get(k, 0.0) * v for k, v in feats.items())

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
