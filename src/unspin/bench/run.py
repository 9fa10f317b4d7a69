"""``unspin bench``: measure detection, localization, restoration and speed.

Sub-benchmarks (all on by default, choose with ``--only a,b``):

``dev``        real spun/original pairs (``pairs.jsonl``) vs ``negatives.jsonl``, three ways:
               ``profile=None`` (honest), leave-one-story-out learned profiles (honest for
               unseen stories) and ``profile="auto"`` (FITTED: the built-in profiles were
               learned from these very pairs).
``clean``      false-positive rate and score distribution on ``clean_news.jsonl``.
``synthetic``  ``unspin.spin`` every style x rate over the held-out clean_news rows
               (0-based line index % 5 == 0); detection vs the unspun originals,
               localization against the gold edits, ERR and damage.
``tortured``   tortured phrases in neutral carrier sentences: flagged / restored / false alarms.
``speed``      words/s of ``check`` on one core vs a tokenizer baseline; import + first-check
               time and peak RSS in a fresh interpreter.

Every table row carries a ``basis`` column saying whether the figure is honest
(held-out) or fitted. Metric definitions: :mod:`unspin.bench.metrics`.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import data as D
from . import json_path
from . import metrics as M

BENCHES = ("dev", "clean", "synthetic", "tortured", "speed")
#: Not in the default run (minutes): ``unspin bench trace`` or ``--only trace``; see unspin.bench.trace.
OPTIONAL_BENCHES = ("trace",)
RATES = (0.05, 0.1, 0.2, 0.3, 0.4)
QUICK_RATES = (0.1, 0.3)
STYLES = ("wordnet", "moby", "phrase", "names", "dictionary")
QUICK_SYNTH_TEXTS = 8
QUICK_CLEAN_TEXTS = 60
QUICK_TORTURED_ROWS = 100
CARRIERS = (
    "In this paper we apply {} to the data set.",
    "The results of {} are shown in Table 2.",
    "We compare {} with two earlier methods.",
    "This section describes {} in more detail.",
)
SPEED_WORDS = 2000


# --------------------------------------------------------------------------- plumbing

@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def markdown(self) -> str:
        out = [f"**{self.title}**", "", "| " + " | ".join(self.columns) + " |",
               "|" + "|".join("---" for _ in self.columns) + "|"]
        for r in self.rows:
            out.append("| " + " | ".join(_fmt(r.get(c, "")) for c in self.columns) + " |")
        return "\n".join(out)


@dataclass
class Section:
    name: str
    title: str
    status: str = "ok"  # ok | skipped | error
    #: Measured on the built-in fallback texts because the data file was missing: the
    #: figures are real but not comparable with a run on the data (see write_bench_docs).
    fallback: bool = False
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def markdown(self) -> str:
        out = [f"### {self.title}", ""]
        if self.status != "ok":
            msg = "; ".join(self.notes)
            out.append(f"_{msg if msg.startswith(self.status) else self.status + ': ' + msg}_")
            return "\n".join(out)
        for t in self.tables:
            out += [t.markdown(), ""]
        for n in self.notes:
            out.append(f"- {n}")
        out.append(f"- wall time: {self.seconds:.1f} s")
        return "\n".join(out)


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if math.isnan(v):
            return "–"
        return f"{v:.3f}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}" if abs(v) >= 10000 else str(v)
    return str(v).replace("|", "\\|")


def _pct(x: float) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f} %"


def _jsonable(x: Any) -> Any:
    if isinstance(x, float):
        return None if math.isnan(x) or math.isinf(x) else x
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, M.PRF):
        return _jsonable(x.to_dict())
    return x


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class Ctx:
    """Shared state: options, data folder, engine handles, error counts."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.quick: bool = args.quick
        self.data_dir = D.resolve_data_dir(args.data)
        self.profile = None if args.profile == "none" else args.profile
        self.mlm: dict[str, Any] = {}  # --mlm: every check() of the quality sections is re-scored by it
        if getattr(args, "mlm", None) is not None:
            from unspin.mlm import load

            self.mlm = {"mlm": load(args.mlm), "mlm_weight": args.mlm_weight}
        self.errors: dict[str, list[str]] = {}
        self._sources: tuple[bool, list[str] | None] | None = None

    # -- engine
    def engine_error(self) -> str | None:
        try:
            import unspin.detect  # noqa: F401
        except Exception as e:  # engine not written yet / broken
            return f"unspin.detect not importable ({type(e).__name__}: {e})"
        return None

    def check(self, text: str, profile: Any, where: str):
        import unspin

        try:
            return unspin.check(text, profile=profile, **self.mlm)
        except Exception as e:
            self.errors.setdefault(where, []).append(f"{type(e).__name__}: {e}")
            if os.environ.get("UNSPIN_BENCH_DEBUG"):
                traceback.print_exc()
            return None

    def error_note(self, where: str) -> list[str]:
        errs = self.errors.get(where) or []
        return [f"{len(errs)} check() call(s) raised and were left out (first: {errs[0]})"] if errs else []

    # -- what the engine says it was tuned on
    def engine_sources(self) -> list[str] | None:
        """``unspin.detect.CALIBRATION_SOURCES`` (+ ``TRAINING_SOURCES`` if declared), else None."""
        if self._sources is None:
            found, srcs = False, []
            try:
                import unspin.detect as det

                for name in ("CALIBRATION_SOURCES", "TRAINING_SOURCES"):
                    if hasattr(det, name):
                        found = True
                        v = getattr(det, name)
                        srcs += [v] if isinstance(v, str) else [str(s) for s in v]
            except Exception:
                pass
            self._sources = (found, srcs)
        found, srcs = self._sources
        return srcs if found else None

    def tuned_on(self, stem: str) -> bool | None:
        """Did the engine declare it was calibrated/trained on data file ``stem``? None = unknown."""
        srcs = self.engine_sources()
        if srcs is None:
            return None
        return any(stem in s for s in srcs)

    def basis(self, base: str, files: tuple[str, ...]) -> str:
        """``base`` plus what calibration says about the data ``files`` this row uses."""
        srcs = self.engine_sources()
        if srcs is None:
            return f"{base}; calibration sources unknown"
        used = [f for f in files if self.tuned_on(f)]
        if used:
            return f"{base}; calibration used {', '.join(used)} (threshold/score fitted)"
        return base


# --------------------------------------------------------------------------- dev

def bench_dev(ctx: Ctx) -> Section:
    sec = Section("dev", "dev: real spun copies (pairs.jsonl) vs negatives.jsonl")
    dd = ctx.data_dir
    if not (D.has_file(dd, "pairs.jsonl") and D.has_file(dd, "negatives.jsonl")):
        sec.status, sec.notes = "skipped", [D.MISSING_MSG]
        return sec
    pairs = D.load_pairs(dd)
    negs = [n["text"] for n in D.load_negatives(dd)]
    aligned = [p for p in pairs if p.aligned]
    other = [p for p in pairs if not p.aligned and p.detection_text]

    modes: list[tuple[str, str, Callable[[Any], Any] | None, Any]] = []
    modes.append(("profile=None", "honest (no profiles)", lambda p: None, None))
    try:
        from unspin.profiles import learn_profile
    except Exception as e:
        learn_profile = None
        sec.notes.append(f"skipped cross-validated (leave-one-story-out) rows: unspin.profiles.learn_profile "
                         f"not available ({type(e).__name__}: {e})")
    if learn_profile is not None:
        cache: dict[str, Any] = {}

        def loso(p: D.Pair | None) -> Any:
            key = "*all*" if p is None else p.story
            if key not in cache:
                train = [(q.spun, q.orig) for q in aligned if p is None or q.story != p.story]
                cache[key] = learn_profile(train, name=f"loso-{key}")
            return cache[key]

        modes.append(("leave-one-story-out profiles", "honest (profile learned on other stories)", loso, "*"))
    modes.append(("profile=auto", "FITTED (profiles learned on these pairs)", lambda p: "auto", "auto"))

    styles = sorted({p.style for p in aligned}, key=lambda s: (s != "dictionary", s))
    det = Table("Detection (positives: spun copies; negatives: negatives.jsonl)",
                ["setting", "style", "pos", "neg", "ROC-AUC", "recall@thr", "FPR@thr", "basis"])
    loc = Table("Localization and restoration (labels from spun↔orig word alignment)",
                ["setting", "style", "pairs", "words", "subst.", "P", "R", "F1", "WER spun", "WER restored",
                 "ERR (pooled)", "ERR (mean/pair)", "damage", "basis"])
    oth = Table("Verbatim copies and rewrites (neither positive nor negative; score of the spun page text)",
                ["id", "style"] + [m[0] for m in modes])
    oth_rows = {p.id: {"id": p.id, "style": p.style} for p in other}
    raw: dict[str, Any] = {}

    for label, base, prof_for, neg_key in modes:
        t0 = time.perf_counter()
        where = f"dev/{label}"
        neg_prof = prof_for(None) if neg_key == "*" else neg_key
        neg_reps = [ctx.check(t, neg_prof, where) for t in negs]
        neg_scores = [r.score for r in neg_reps if r is not None]
        per_pair = []
        for p in aligned:
            r = ctx.check(p.spun, prof_for(p), where)
            if r is None:
                continue
            sw, ow, rw = M.words(p.spun), M.words(p.orig), M.words(r.restored)
            labels = M.substitution_labels(sw, ow)
            per_pair.append({
                "id": p.id, "style": p.style, "score": r.score, "threshold": r.threshold, "is_spun": r.is_spun,
                "prf": M.localization_prf(r.findings, p.spun, labels),
                "d_spun": M.edit_distance(sw, ow), "d_rest": M.edit_distance(rw, ow), "n_orig": len(ow),
                "n_words": len(sw), "n_subst": sum(labels), "err": M.err(rw, sw, ow),
                "damage": M.damage(rw, sw, labels=labels, counts=True), "findings": len(r.findings),
            })
        for p in other:
            r = ctx.check(p.detection_text, prof_for(p), where)
            oth_rows[p.id][label] = None if r is None else f"{r.score:.3f}" + (" (spun)" if r.is_spun else "")
        fitted = neg_key == "auto"
        files = ("pairs", "negatives")
        for st in styles:
            rows = [x for x in per_pair if x["style"] == st]
            pos = [x["score"] for x in rows]
            thr_neg = [r for r in neg_reps if r is not None]
            basis = ctx.basis(base, files)
            if st != "dictionary":
                basis += "; word labels noisy"
            det.rows.append({
                "setting": label, "style": st, "pos": len(pos), "neg": len(neg_scores),
                "ROC-AUC": M.roc_auc(pos, neg_scores),
                "recall@thr": _pct(M.rate_at_threshold([1.0 if x["is_spun"] else 0.0 for x in rows], 0.5)),
                "FPR@thr": _pct(M.rate_at_threshold([1.0 if r.is_spun else 0.0 for r in thr_neg], 0.5)),
                "basis": basis,
            })
            prf = sum((x["prf"] for x in rows), M.PRF())
            dmg_c = sum(x["damage"][0] for x in rows)
            dmg_n = sum(x["damage"][1] for x in rows)
            ds, dr, no = (sum(x[k] for x in rows) for k in ("d_spun", "d_rest", "n_orig"))
            errs = [x["err"] for x in rows if not math.isnan(x["err"])]
            loc.rows.append({
                "setting": label, "style": st, "pairs": len(rows), "words": sum(x["n_words"] for x in rows),
                "subst.": sum(x["n_subst"] for x in rows), "P": prf.precision, "R": prf.recall, "F1": prf.f1,
                "WER spun": ds / no if no else math.nan, "WER restored": dr / no if no else math.nan,
                "ERR (pooled)": 1 - dr / ds if ds else math.nan,
                "ERR (mean/pair)": statistics.fmean(errs) if errs else math.nan,
                "damage": _pct(dmg_c / dmg_n if dmg_n else math.nan),
                "basis": ("FITTED (profiles learned on these pairs)" if fitted else base)
                + ("" if st == "dictionary" else "; word labels noisy"),
            })
        raw[label] = {"negatives": neg_scores,
                      "pairs": [{k: (v.to_dict() if isinstance(v, M.PRF) else v) for k, v in x.items()}
                                for x in per_pair],
                      "seconds": time.perf_counter() - t0}
        sec.notes += ctx.error_note(where)
        _log(f"  dev: {label} done in {time.perf_counter() - t0:.1f}s")

    oth.rows = list(oth_rows.values())
    sec.tables = [det, loc] + ([oth] if oth.rows else [])
    sec.raw = raw
    sec.notes += [
        f"{len(aligned)} aligned pairs over {len({p.story for p in aligned})} stories (story = id minus its "
        "last `-<site>` part); text = the trimmed `spun` field, reference = `orig`.",
        "Recall/FPR use each report's own threshold (`Report.is_spun`). ERR pooled = 1 − Σ d(restored, orig) "
        "/ Σ d(spun, orig) over pairs; damage = share of non-substituted spun words that restoration changed.",
        "Leave-one-story-out: each story's copies are checked with a profile learned (`learn_profile`) from the "
        "pairs of all *other* stories (verbatim/rewrite rows likewise); negatives use a profile learned "
        "from all aligned pairs (they are in no training pair).",
        "A few dev pairs follow a different revision of the original, so some 'substituted' labels are "
        "revisions, not spinning (see pairs.jsonl notes).",
    ]
    return sec


# --------------------------------------------------------------------------- clean

def bench_clean(ctx: Ctx) -> Section:
    sec = Section("clean", "clean: false positives on clean_news.jsonl")
    if not D.has_file(ctx.data_dir, "clean_news.jsonl"):
        sec.status, sec.notes = "skipped", [D.MISSING_MSG]
        return sec
    rows = D.load_clean(ctx.data_dir)
    idx = list(range(len(rows)))
    if ctx.quick:
        idx = idx[:QUICK_CLEAN_TEXTS]
    where = "clean"
    res = []
    for i in idx:
        r = ctx.check(rows[i]["text"], ctx.profile, where)
        if r is not None:
            res.append((i, r))
    srcs = ctx.engine_sources()
    tuned = ctx.tuned_on("clean_news")
    split_declared = bool(srcs) and any(re.search(r"%\s*5|mod\s*5|held.?out|heldout", s) for s in srcs)
    if tuned is None:
        b_all = b_held = b_rest = "unknown (engine declares no CALIBRATION_SOURCES)"
    elif not tuned:
        b_all = b_held = b_rest = "honest (not used for calibration)"
    else:
        b_all = "FITTED (clean_news used for calibration)"
        b_rest = "FITTED (calibration rows)"
        b_held = ("honest (held-out split idx%5==0)" if split_declared
                  else "probably fitted (calibration used clean_news; split not declared)")
    tab = Table(f"Clean texts, profile={ctx.profile!r}",
                ["subset", "texts", "FPR@thr", "mean", "median", "p90", "p95", "max",
                 "findings/1k words", "basis"])
    for name, sel, basis in (("all", lambda i: True, b_all),
                             ("held-out (idx%5==0)", D.is_heldout, b_held),
                             ("others (idx%5!=0)", lambda i: not D.is_heldout(i), b_rest)):
        sub = [r for i, r in res if sel(i)]
        if not sub:
            continue
        st = M.summary_stats(r.score for r in sub)
        nw = sum(r.words for r in sub)
        tab.rows.append({"subset": name, "texts": len(sub),
                         "FPR@thr": _pct(sum(r.is_spun for r in sub) / len(sub)),
                         "mean": st["mean"], "median": st["median"], "p90": st["p90"], "p95": st["p95"],
                         "max": st["max"], "findings/1k words": 1000 * sum(len(r.findings) for r in sub) / max(nw, 1),
                         "basis": basis})
    kinds: dict[str, int] = {}
    for _, r in res:
        for f in r.findings:
            kinds[f.kind] = kinds.get(f.kind, 0) + 1
    sec.tables = [tab]
    sec.notes.append("engine calibration sources: "
                     + (", ".join(srcs) if srcs else ("none declared" if srcs is not None else "unknown")))
    if kinds:
        sec.notes.append("findings by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    worst = sorted(res, key=lambda x: -x[1].score)[:5]
    sec.notes.append("highest-scoring clean texts: " + ", ".join(f"{rows[i]['id']} ({r.score:.2f})" for i, r in worst))
    if ctx.quick:
        sec.notes.append(f"--quick: first {len(idx)} texts only")
    sec.notes += ctx.error_note(where)
    sec.raw = {"scores": {rows[i]["id"]: r.score for i, r in res},
               "findings": {rows[i]["id"]: len(r.findings) for i, r in res},
               "threshold": res[0][1].threshold if res else None, "sources": srcs}
    return sec


# --------------------------------------------------------------------------- synthetic

def _edit_span(e: Any) -> tuple[int, int]:
    if isinstance(e, dict):
        return int(e["spun_start"]), int(e["spun_end"])
    return int(e.spun_start), int(e.spun_end)


def _spin_fn() -> Callable[..., Any]:
    """The spinner function. Prefer the implementation module: once ``unspin.spin`` (the
    submodule) has been imported, the package attribute of the same name may be the module."""
    try:
        from unspin.spin import spin as fn
        return fn
    except ImportError:
        import unspin

        return unspin.spin


def bench_synthetic(ctx: Ctx) -> Section:
    sec = Section("synthetic", "synthetic: unspin.spin over held-out clean texts")
    spin = _spin_fn()

    if D.has_file(ctx.data_dir, "clean_news.jsonl"):
        rows = D.load_clean(ctx.data_dir)
        texts = [(rows[i]["id"], rows[i]["text"]) for i in D.heldout_indices(len(rows))]
        source = f"clean_news.jsonl rows with 0-based index % {D.HELDOUT_MOD} == 0 ({len(texts)} of {len(rows)})"
        text_basis = "held-out texts (idx%5==0)"
        if ctx.tuned_on("clean_news") and not any(
                re.search(r"%\s*5|mod\s*5|held.?out|heldout", s) for s in (ctx.engine_sources() or [])):
            text_basis = "texts maybe seen in calibration (split not declared)"
    else:
        sec.notes.append(D.MISSING_MSG + " — using the built-in fallback texts")
        sec.fallback = True
        texts = [(f"fallback-{i}", t) for i, t in enumerate(D.FALLBACK_TEXTS)]
        source = f"built-in fallback texts ({len(texts)})"
        text_basis = "held-out (built-in texts)"
    rates = RATES
    if ctx.quick:
        texts, rates = texts[:QUICK_SYNTH_TEXTS], QUICK_RATES
        source += f"; --quick: first {len(texts)} texts, rates {', '.join(map(str, rates))}"
    styles = tuple(ctx.args.styles.split(",")) if ctx.args.styles else STYLES
    where = "synthetic"
    neg = [ctx.check(t, ctx.profile, where) for _, t in texts]
    neg_scores = [r.score for r in neg if r is not None]
    fpr = sum(r.is_spun for r in neg if r is not None) / max(len(neg_scores), 1)
    tab = Table(f"Synthetic spinning, profile={ctx.profile!r} (negatives: the same texts unspun)",
                ["style", "rate", "texts", "subst. share", "ROC-AUC", "recall@thr", "FPR@thr", "P", "R", "F1",
                 "ERR (pooled)", "damage", "basis"])
    raw: dict[str, Any] = {"negatives": neg_scores, "source": source, "runs": {}}
    for style in styles:
        for rate in rates:
            t0 = time.perf_counter()
            pos, hits, n_ok, unchanged = [], 0, 0, 0
            prf, triples, dmg_c, dmg_n, n_sub, n_words = M.PRF(), [], 0, 0, 0, 0
            spin_err = None
            for k, (tid, orig) in enumerate(texts):
                try:
                    sr = spin(orig, rate=rate, style=style, seed=k)
                except Exception as e:
                    spin_err = f"{type(e).__name__}: {e}"
                    break
                r = ctx.check(sr.text, ctx.profile, where)
                if r is None:
                    continue
                n_ok += 1
                labels = M.labels_from_spans(sr.text, [_edit_span(e) for e in sr.edits])
                n_sub += sum(labels)
                n_words += len(labels)
                if sr.text == orig or not sr.edits:
                    unchanged += 1
                else:
                    pos.append(r.score)
                    hits += r.is_spun
                prf = prf + M.localization_prf(r.findings, sr.text, labels)
                triples.append((r.restored, sr.text, orig))
                c, n = M.damage(r.restored, sr.text, labels=labels, counts=True)
                dmg_c, dmg_n = dmg_c + c, dmg_n + n
            if spin_err:
                tab.rows.append({"style": style, "rate": rate, "texts": 0, "basis": f"spin failed: {spin_err}"})
                sec.notes.append(f"style {style!r}: spin() raised ({spin_err}); style skipped")
                break
            row = {"style": style, "rate": rate, "texts": n_ok,
                   "subst. share": n_sub / n_words if n_words else math.nan,
                   "ROC-AUC": M.roc_auc(pos, neg_scores),
                   "recall@thr": _pct(hits / len(pos) if pos else math.nan), "FPR@thr": _pct(fpr),
                   "P": prf.precision, "R": prf.recall, "F1": prf.f1,
                   "ERR (pooled)": M.err_pooled(triples),
                   "damage": _pct(dmg_c / dmg_n if dmg_n else math.nan),
                   "basis": f"{text_basis}; synthetic spinner shares unspin's resources (optimistic)"}
            tab.rows.append(row)
            raw["runs"][f"{style}@{rate}"] = {**{k: v for k, v in row.items() if k != "basis"},
                                              "prf": prf.to_dict(), "positives": pos, "unchanged": unchanged,
                                              "seconds": time.perf_counter() - t0}
            if unchanged:
                sec.notes.append(f"{style}@{rate}: {unchanged} text(s) came out unchanged (left out of "
                                 "detection; still counted for damage)")
        _log(f"  synthetic: {style} done")
    sec.tables = [tab]
    sec.notes += [f"texts: {source}; seed = text position in that list.",
                  "labels: a spun word is substituted iff it overlaps an edit's spun span (gold edits from spin()).",
                  "ERR pooled over texts; damage = share of non-substituted spun words restoration changed."]
    sec.notes += ctx.error_note(where)
    sec.raw = raw
    return sec


# --------------------------------------------------------------------------- tortured

_PAREN = re.compile(r"\s*\([^()]*\)")


def _norm(s: str) -> str:
    """Case/whitespace-normalised text with parenthetical acronyms dropped (the TSV's `expected`
    column had them removed)."""
    return " ".join(_PAREN.sub("", s).split()).lower()


#: A neutral methods paragraph (written for unspin, ~140 words) for each phrase: the
#: sentence carriers alone cannot show whether a phrase is still found, or a term still
#: left alone, inside longer text, where the document's score and density features
#: come into play (a review of a session-8 change found it removed most tortured phrases
#: from abstracts while the sentence figures stayed the same).
PARAGRAPH_CARRIER = (
    "Machine learning methods are now widely used to analyse measurements collected in the laboratory and "
    "in the field. In this study we describe a pipeline for preparing such data, choosing a model and "
    "reporting its accuracy in a transparent way. The measurements were cleaned, normalised and split into "
    "training and test sets before any model was fitted. We then apply {} to the data set and compare the "
    "outcome with two simpler methods that serve as baselines. All experiments were repeated five times with "
    "different random seeds, and we report the mean and the standard deviation of each score. The results "
    "suggest that careful preprocessing matters as much as the choice of method. The code used for the "
    "analysis is available from the authors on request, together with a description of the parameters.")


def _tortured_row(ctx: Ctx, carrier: str, row: dict, where: str) -> dict | None:
    a = carrier.index("{}")
    t_text, e_text = carrier.format(row["tortured"]), carrier.format(row["expected"])
    rt = ctx.check(t_text, ctx.profile, where)
    re_ = ctx.check(e_text, ctx.profile, where)
    if rt is None or re_ is None:
        return None
    t_span, e_span = (a, a + len(row["tortured"])), (a, a + len(row["expected"]))
    over = lambda f, s: f.start < s[1] and f.end > s[0]  # noqa: E731
    return {
        "flagged": any(over(f, t_span) for f in rt.findings),
        "restored": _norm(rt.restored) == _norm(e_text),
        "false_alarm": any(over(f, e_span) for f in re_.findings),
        "carrier_alarm": bool(re_.findings),
        "restored_text": rt.restored,
    }


def bench_tortured(ctx: Ctx) -> Section:
    sec = Section("tortured", "tortured: tortured phrases in neutral carrier sentences")
    if not D.has_file(ctx.data_dir, "tortured_phrases.tsv"):
        sec.status, sec.notes = "skipped", [D.MISSING_MSG]
        return sec
    rows = D.load_tortured(ctx.data_dir)
    if ctx.quick:
        rows = rows[:QUICK_TORTURED_ROWS]
    where = "tortured"
    per = []
    for i, row in enumerate(rows):
        short = _tortured_row(ctx, CARRIERS[i % len(CARRIERS)], row, where)
        para = _tortured_row(ctx, PARAGRAPH_CARRIER, row, where)
        if short is None or para is None:
            continue
        per.append({"i": i, "papers": row["papers"], "tortured": row["tortured"], "expected": row["expected"],
                    **short, "paragraph": {k: v for k, v in para.items() if k != "restored_text"}})
    tab = Table(f"Tortured phrases, profile={ctx.profile!r}",
                ["carrier", "weighting", "rows", "flagged", "restored = expected", "false alarm on expected",
                 "any finding in expected text", "basis"])
    tuned = ctx.tuned_on("tortured")
    basis = ("unknown (engine declares no sources; FITTED if its phrase list came from this file)"
             if tuned is None else "FITTED (engine declares this file as a source)" if tuned
             else "honest as declared (engine's *_SOURCES do not list this file)")
    for carrier, get in (("sentence", lambda x: x), ("paragraph", lambda x: x["paragraph"])):
        for wname, w in (("per row", lambda x: 1), ("weighted by papers", lambda x: max(x["papers"], 1))):
            tw = sum(w(x) for x in per)
            share = lambda k: sum(w(x) for x in per if get(x)[k]) / tw if tw else math.nan  # noqa: E731
            tab.rows.append({"carrier": carrier, "weighting": wname, "rows": len(per), "flagged": _pct(share("flagged")),
                             "restored = expected": _pct(share("restored")),
                             "false alarm on expected": _pct(share("false_alarm")),
                             "any finding in expected text": _pct(share("carrier_alarm")), "basis": basis})
    sec.tables = [tab]
    sec.notes += [
        "sentence carriers (rotated by row index): " + " / ".join(f"`{c}`" for c in CARRIERS),
        f"paragraph carrier: a neutral methods paragraph of {len(PARAGRAPH_CARRIER.split())} words written for "
        "unspin, the phrase in its fourth sentence (`We then apply {} to the data set ...`); the issue's floors are "
        "defined on the sentence carriers.",
        "flagged = some finding overlaps the tortured phrase; restored = restored text equals the carrier "
        "with `expected`, case/whitespace-normalised and with parenthetical acronyms dropped on both sides "
        "(the TSV removed them from `expected`).",
    ]
    bare = ctx.check(PARAGRAPH_CARRIER.format("the method"), ctx.profile, where)
    if bare is not None:  # why "any finding in expected text" says little for the paragraph
        sec.notes.append("the paragraph with `the method` in the slot draws these findings itself: " + (", ".join(
            f"`{f.text}` -> `{f.suggestion}` ({f.confidence:.2f})" for f in bare.findings) or "none"))
    if ctx.quick:
        sec.notes.append(f"--quick: first {len(rows)} rows only")
    sec.notes += ctx.error_note(where)
    sec.raw = {"rows": [{k: v for k, v in x.items()} for x in per]}
    return sec


# --------------------------------------------------------------------------- speed

def _speed_article(ctx: Ctx) -> tuple[str, str]:
    parts: list[str] = []
    n = 0
    if D.has_file(ctx.data_dir, "clean_news.jsonl"):
        for row in D.load_clean(ctx.data_dir):
            parts.append(row["text"])
            n += len(M.words(row["text"]))
            if n >= SPEED_WORDS:
                break
        return "\n\n".join(parts), f"{len(parts)} clean_news texts concatenated"
    k = 0
    while n < SPEED_WORDS:
        t = D.FALLBACK_TEXTS[k % len(D.FALLBACK_TEXTS)]
        parts.append(t)
        n += len(M.words(t))
        k += 1
    text = "\n\n".join(parts)
    try:
        return _spin_fn()(text, rate=0.2, style="dictionary", seed=0).text, \
            "built-in fallback texts, spun (dictionary, rate 0.2)"
    except Exception as e:
        return text, f"built-in fallback texts, unspun (spin failed: {type(e).__name__})"


def _median_time(fn: Callable[[], Any], runs: int, min_time: float = 0.0) -> float:
    """Median seconds per call over ``runs`` measurements (each repeats fn until min_time)."""
    out = []
    for _ in range(runs):
        reps, t0 = 0, time.perf_counter()
        while True:
            fn()
            reps += 1
            el = time.perf_counter() - t0
            if el >= min_time:
                break
        out.append(el / reps)
    return statistics.median(out)


def bench_speed(ctx: Ctx) -> Section:
    sec = Section("speed", "speed: words/s of check() on one core")
    import unspin
    from unspin.tokens import words

    if not D.has_file(ctx.data_dir, "clean_news.jsonl"):
        sec.notes.append(D.MISSING_MSG + " — article built from the built-in fallback texts")
        sec.fallback = True
    article, how = _speed_article(ctx)
    nw = len(words(article))
    runs = 5 if ctx.quick else 7
    prof = ctx.profile
    old_aff = None
    if hasattr(os, "sched_getaffinity"):
        old_aff = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {min(old_aff)})
    distinct = _distinct_texts(ctx)
    try:
        unspin.check(article, profile=prof)  # warm-up (loads resources)
        t_check = _median_time(lambda: unspin.check(article, profile=prof), runs)
        t_base = _median_time(lambda: words(article), runs, min_time=0.2)
        if distinct:
            many = _distinct_speed(distinct, prof)
    finally:
        if old_aff is not None:
            os.sched_setaffinity(0, old_aff)
    check_wps, base_wps = nw / t_check, nw / t_base

    fresh = _fresh_process(article, prof)
    with tempfile.TemporaryDirectory() as td:
        cold = _fresh_process(article, prof, cache_dir=td)
    tab = Table("Throughput (median, one core)", ["measure", "value", "basis"])
    tab.rows += [
        {"measure": f"check() words/s ({nw} words, median of {runs}, profile={prof!r})",
         "value": f"{check_wps:,.0f}", "basis": "measured"},
        {"measure": "baseline: unspin.tokens.words() words/s (same process)", "value": f"{base_wps:,.0f}",
         "basis": "measured"},
        {"measure": "check / baseline ratio", "value": f"{check_wps / base_wps:.2e}", "basis": "measured"},
        {"measure": "check() seconds per 1,000 words", "value": f"{1000 * t_check / nw:.3f}", "basis": "measured"},
    ]
    if distinct:
        tab.rows += [
            {"measure": f"check() words/s, {many['texts']} texts never seen before (avg {many['avg_words']:.0f} "
                        "words), one call each", "value": f"{many['single_wps']:,.0f}", "basis": "measured"},
            {"measure": f"check_many() words/s, same texts in groups of {many['group']}",
             "value": f"{many['batched_wps']:,.0f}", "basis": "measured"},
        ]
    if "error" in fresh:
        sec.notes.append(f"fresh-process measurement failed: {fresh['error']}")
    else:
        tab.rows += [
            {"measure": "fresh process: `import unspin` (s)", "value": f"{fresh['import_s']:.3f}", "basis": "measured"},
            {"measure": "fresh process: first check() incl. resource loading (s)",
             "value": f"{fresh['first_check_s']:.3f}", "basis": "measured"},
            {"measure": "fresh process: peak RSS after first check (MB)", "value": f"{fresh['maxrss_mb']:.1f}",
             "basis": "measured"},
            {"measure": "baseline: bare interpreter peak RSS (MB)", "value": f"{fresh['base_rss_mb']:.1f}",
             "basis": "measured"},
        ]
    if "error" not in cold:
        tab.rows += [
            {"measure": "first run on a machine (empty LM cache): import + first check() (s)",
             "value": f"{cold['import_s'] + cold['first_check_s']:.3f}", "basis": "measured"},
        ]
    sec.tables = [tab]
    sec.notes.append(f"article: {how}, {nw} words; process pinned to one CPU; shared hardware, so compare "
                     "ratios rather than absolute numbers.")
    if distinct:
        sec.notes.append(f"texts never seen before: {many['how']}; the per-word caches were warmed on other "
                         "texts first, as in a long-running process.")
    sec.notes.append("The LM is decoded into numpy arrays once per machine and cached (the first-run row); "
                     "every other row reads the cache.")
    sec.raw = {"words": nw, "check_s": t_check, "check_wps": check_wps, "baseline_wps": base_wps,
               "ratio": check_wps / base_wps, "runs": runs, "fresh": fresh, "cold": cold,
               "distinct": many if distinct else None}
    return sec


def _distinct_texts(ctx: Ctx) -> tuple[list[str], list[str], str] | None:
    """(warm-up texts, measured texts, description): clean_news halves, or the fallback texts spun."""
    if D.has_file(ctx.data_dir, "clean_news.jsonl"):
        texts = [row["text"] for row in D.load_clean(ctx.data_dir)]
        half = len(texts) // 2
        return texts[:half], texts[half:], f"the second half of clean_news.jsonl ({len(texts) - half} texts)"
    try:
        spun = [_spin_fn()(t, rate=0.2, style="dictionary", seed=k).text
                for k, t in enumerate(D.FALLBACK_TEXTS * 4)]
    except Exception:
        return None
    return spun[::2], spun[1::2], "synthetic spins of the built-in fallback texts"


def _distinct_speed(distinct: tuple[list[str], list[str], str], prof: Any, group: int = 16) -> dict[str, Any]:
    from unspin.detect import default_engine
    from unspin.tokens import words

    warm, texts, how = distinct
    eng = default_engine()
    # both runs start from the same cache state: cleared, then warmed on other texts
    # (before, the one-by-one run also profited from earlier sections' caches)
    eng.clear_caches()
    eng.check_many(warm, profile=prof)
    nw = sum(len(words(t)) for t in texts)
    t0 = time.perf_counter()
    for t in texts:
        eng.check(t, profile=prof)
    t1 = time.perf_counter()
    eng.clear_caches()
    eng.check_many(warm, profile=prof)
    t2 = time.perf_counter()
    for k in range(0, len(texts), group):
        eng.check_many(texts[k:k + group], profile=prof)
    t3 = time.perf_counter()
    return {"texts": len(texts), "avg_words": nw / max(len(texts), 1), "single_wps": nw / (t1 - t0),
            "batched_wps": nw / (t3 - t2), "group": group, "how": how}


_FRESH = r"""
import json, os, resource, sys, time
if sys.argv[3] != "-" and hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {int(sys.argv[3])})
t0 = time.perf_counter()
import unspin
t1 = time.perf_counter()
prof = None if sys.argv[2] == "none" else sys.argv[2]
unspin.check(open(sys.argv[1], encoding="utf-8").read(), profile=prof)
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "first_check_s": t2 - t1, "maxrss_kb": _peak_kb()}))
"""

# Peak RSS of this process image: /proc VmHWM is reset by execve, whereas ru_maxrss
# on Linux carries the high-water mark of the (large) benchmarking parent over fork/exec.
_PEAK = r"""
import resource
def _peak_kb():
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""


def _fresh_process(article: str, prof: Any, cache_dir: str | None = None) -> dict[str, Any]:
    """Import + first check in a new process; ``cache_dir``: use that (empty) LM cache folder."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if cache_dir is not None:
        env["UNSPIN_CACHE"] = cache_dir
    cpu = str(min(os.sched_getaffinity(0))) if hasattr(os, "sched_getaffinity") else "-"
    with tempfile.TemporaryDirectory() as td:
        f = Path(td) / "article.txt"
        f.write_text(article, encoding="utf-8")
        try:
            p = subprocess.run([sys.executable, "-c", _PEAK + _FRESH, str(f), "none" if prof is None else str(prof),
                                cpu], capture_output=True, text=True, env=env, timeout=600)
            b = subprocess.run([sys.executable, "-c", _PEAK + "print(_peak_kb())"],
                               capture_output=True, text=True, env=env, timeout=60)
        except Exception as e:
            return {"error": f"{type(e).__name__}: {e}"}
    if p.returncode != 0:
        return {"error": (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]}
    d = json.loads(p.stdout.strip().splitlines()[-1])
    d["maxrss_mb"] = d["maxrss_kb"] / 1024
    d["base_rss_mb"] = int(b.stdout.strip() or 0) / 1024
    return d


# --------------------------------------------------------------------------- output

def machine_info(argv: list[str]) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import unspin

    commit = None
    root = D._repo_root()
    if root is not None:
        try:
            commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                                    text=True, timeout=10).stdout.strip() or None
        except Exception:
            pass
    return {
        "cpu": cpu,
        "cpus_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "unspin": getattr(unspin, "__version__", "?"),
        "commit": commit,
        "command": "unspin bench" + ("" if not argv else " " + shlex.join(argv)),
    }


def _header(info: dict[str, Any], data_dir: Path | None) -> list[str]:
    return ["## Benchmark results", "",
            f"Machine: {info['cpu']} ({info['cpus_available']} CPUs available, measured on one), "
            f"Python {info['python']}, {info['platform']}.  ",
            f"Date: {info['date']}; unspin {info['unspin']}"
            + (f" at commit {info['commit']}" if info.get("commit") else "") + ".  ",
            f"Command: `{info['command']}`; data: {data_dir if data_dir else 'not found'}.", "",
            "_basis_: **honest** = the figure comes from data the engine was not fitted on; "
            "**FITTED** = the engine (profiles or calibration) learned from the same data, so the figure "
            "is optimistic.", ""]


def render(sections: list[Section], info: dict[str, Any], data_dir: Path | None) -> str:
    out = _header(info, data_dir)
    for s in sections:
        out += [s.markdown(), ""]
    return "\n".join(out).rstrip() + "\n"


# ---- --write-docs: a run only replaces the sections it measured

#: First line of a section carried over from an earlier run (added once; a later
#: measurement of that section replaces the whole section, this line included).
KEPT_MARK = "_kept from an earlier run"


def read_docs_block(path: Path, section: str = "bench") -> str | None:
    """The text between ``<!-- SECTION:start -->`` and ``<!-- SECTION:end -->`` in ``path``, if any."""
    if not path.is_file():
        return None
    cur = path.read_text(encoding="utf-8")
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    i, j = cur.find(start), cur.find(end)
    return cur[i + len(start):j] if i >= 0 and j > i else None


def _split_block(block: str) -> tuple[str, dict[str, str]]:
    """(header, {benchmark name: its ``### name: ...`` section}) of a rendered bench block."""
    parts = re.split(r"(?m)^(?=### )", block)
    named: dict[str, str] = {}
    for part in parts[1:]:
        name = part[4:].split("\n", 1)[0].split(":", 1)[0].strip()
        named[name] = part.strip()
    return parts[0], named


def _kept(section_md: str, old_header: str) -> str:
    """An earlier run's section, marked (once) with the date of the run that measured it."""
    if KEPT_MARK in section_md:
        return section_md
    m = re.search(r"(?m)^Date: (.*?)\.?\s*$", old_header)
    when = f" ({m.group(1)})" if m else ""
    heading, _, rest = section_md.partition("\n")
    return f"{heading}\n\n{KEPT_MARK}{when}; not measured by the command above._\n\n{rest.lstrip()}"


def _measured(sec: Section, previous: dict[str, str]) -> bool:
    """Does this run's ``sec`` replace what the docs hold? Not when it was skipped or
    failed, nor when it fell back to built-in texts while the docs have the real-data figures."""
    return sec.status == "ok" and not (sec.fallback and sec.name in previous)


def docs_block(sections: list[Section], info: dict[str, Any], data_dir: Path | None,
               previous: str | None) -> tuple[str | None, list[str], list[str]]:
    """The new bench block for the docs, the names written from this run, the names kept.

    Sections this run did not measure (data not found, a section that raised, or one not
    chosen with ``--only``) keep their earlier text, so a run without ``../shared/data`` never
    replaces real figures with "skipped". The block is None when nothing was measured.
    """
    old_header, old = _split_block(previous) if previous else ("", {})
    ran = {s.name: s for s in sections}
    body: list[str] = []
    written: list[str] = []
    kept: list[str] = []
    missing: list[str] = []
    for name in list(BENCHES + OPTIONAL_BENCHES) + [n for n in old if n not in BENCHES + OPTIONAL_BENCHES]:
        sec = ran.get(name)
        if sec is not None and _measured(sec, old):
            body += [sec.markdown(), ""]
            written.append(name)
        elif name in old:
            body += [_kept(old[name], old_header), ""]
            kept.append(name)
        elif sec is not None:
            missing.append(name)
    if not written:
        return None, written, kept
    out = _header(info, data_dir)
    if missing:
        out += [f"Not measured by this run and not in the earlier docs: {', '.join(missing)} "
                "(the command's output says why).", ""]
    return "\n".join(out + body).rstrip() + "\n", written, kept


def docs_path() -> Path:
    root = D._repo_root()
    return (root if root is not None else Path.cwd()) / "docs" / "benchmarks.md"


def write_docs(text: str, path: Path, section: str = "bench") -> None:
    """Replace the ``<!-- SECTION:start -->`` … ``<!-- SECTION:end -->`` part of ``path``
    (creating the file or the markers if missing); each benchmark owns one section."""
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    block = f"{start}\n{text.rstrip()}\n{end}"
    if path.exists():
        cur = path.read_text(encoding="utf-8")
        i, j = cur.find(start), cur.find(end)
        if i >= 0 and j > i:
            new = cur[:i] + block + cur[j + len(end):]
        else:
            new = cur.rstrip() + "\n\n" + block + "\n"
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        new = ("# Benchmarks\n\nGenerated by `unspin bench --write-docs`; everything between the markers "
               "is rewritten on each run.\n\n" + block + "\n")
    path.write_text(new, encoding="utf-8")


RUNNERS: dict[str, Callable[[Ctx], Section]] = {
    "dev": bench_dev, "clean": bench_clean, "synthetic": bench_synthetic,
    "tortured": bench_tortured, "speed": bench_speed,
    "trace": lambda ctx: __import__("unspin.bench.trace", fromlist=["bench_trace"]).bench_trace(ctx),
}


#: ``--write-docs`` with nothing measured (e.g. no data folder): the docs stay as they were.
EXIT_NOTHING_MEASURED = 4

EPILOG = f"""\
exit codes:
  0  success
  1  a benchmark raised (its section says so)
  2  usage error (bad option or benchmark name)
  {EXIT_NOTHING_MEASURED}  --write-docs, but nothing was measured (e.g. data folder not found); docs unchanged
"""

#: The sections whose checks go through Ctx.check (so --mlm re-scores them).
MLM_SECTIONS = ("dev", "clean", "synthetic", "tortured")


def build_parser() -> argparse.ArgumentParser:
    from unspin.cli import mlm_weight

    ap = argparse.ArgumentParser(prog="unspin bench", description=__doc__.split("\n\n")[0], epilog=EPILOG,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=None,
                    help=f"comma-separated subset of: {', '.join(BENCHES)} (default: all)")
    ap.add_argument("--quick", action="store_true",
                    help=f"smoke run: {QUICK_SYNTH_TEXTS} synthetic texts at rates {QUICK_RATES}, first "
                         f"{QUICK_CLEAN_TEXTS} clean texts, first {QUICK_TORTURED_ROWS} tortured rows, 5 speed runs")
    ap.add_argument("--data", default=None, metavar="DIR",
                    help="data folder (default: $UNSPIN_DATA, else ../shared/data from the repo root or CWD)")
    ap.add_argument("--json", default=None, metavar="PATH", type=json_path,
                    help="also dump raw numbers as JSON")
    ap.add_argument("--write-docs", action="store_true",
                    help="update the <!-- bench:start/end --> section of docs/benchmarks.md: the benchmarks "
                         "this run measured replace theirs; the others (data not found, failed, or left out "
                         "by --only) keep their earlier text, marked as such; when nothing was measured the "
                         f"file is left alone and the exit status is {EXIT_NOTHING_MEASURED}")
    ap.add_argument("--docs", default=None, metavar="PATH", help="docs file for --write-docs")
    ap.add_argument("--profile", default="auto",
                    help="profile for clean/synthetic/tortured/speed: 'auto' (default), 'none', or a built-in name")
    ap.add_argument("--styles", default=None, help=f"synthetic spin styles (default: {','.join(STYLES)})")
    ap.add_argument("--mlm", default=None, metavar="DIR",
                    help="re-score every check of the quality sections with this local BERT masked LM "
                         "(unspin.mlm; measure what your model adds)")
    ap.add_argument("--mlm-weight", type=mlm_weight, default=None, metavar="W",
                    help="the masked LM's evidence weight (default: unspin.mlm.MLM_WEIGHT)")
    return ap


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "trace":  # unspin bench trace [--distractors N] [--write-docs] ...
        from .trace import main as trace_main

        return trace_main(argv[1:])
    if argv and argv[0] == "load":  # unspin bench load: loopback load test of unspin serve (not in the default set)
        from .load import main as load_main

        return load_main(argv[1:])
    if argv and argv[0] == "corpus":  # unspin bench corpus: corpus-filtering throughput (not in the default set)
        from .corpus import main as corpus_main

        return corpus_main(argv[1:])
    args = build_parser().parse_args(argv)
    only = BENCHES if not args.only else tuple(x.strip() for x in args.only.split(",") if x.strip())
    bad = [x for x in only if x not in BENCHES + OPTIONAL_BENCHES]
    if bad:
        print(f"unknown benchmark(s): {', '.join(bad)} (choose from {', '.join(BENCHES + OPTIONAL_BENCHES)})",
              file=sys.stderr)
        return 2
    if args.mlm is None and args.mlm_weight is not None:
        print("unspin bench: --mlm-weight needs --mlm DIR", file=sys.stderr)
        return 2
    try:
        ctx = Ctx(args)
    except ImportError as e:
        print(f"unspin bench: {e}", file=sys.stderr)
        return 2
    except ValueError as e:  # unspin.mlm.MLMError: a model folder that cannot be used
        print(f"unspin bench: --mlm: {e}", file=sys.stderr)
        return 2
    if args.data is not None and ctx.data_dir is None:
        _log(f"--data {args.data}: not a directory")
    _log(f"data: {ctx.data_dir or 'not found'}")
    eng = ctx.engine_error()
    sections: list[Section] = []
    for name in BENCHES + OPTIONAL_BENCHES:
        if name not in only:
            continue
        t0 = time.perf_counter()
        if eng:
            sec = Section(name, name, status="skipped", notes=[f"skipped: {eng}"])
        else:
            _log(f"running {name} ...")
            try:
                sec = RUNNERS[name](ctx)
            except Exception as e:
                traceback.print_exc()
                sec = Section(name, name, status="error", notes=[f"{type(e).__name__}: {e}"])
        sec.seconds = time.perf_counter() - t0
        if ctx.mlm and name in MLM_SECTIONS:
            from unspin.mlm import check_weight

            sec.notes.append(f"findings re-scored by the masked LM {ctx.mlm['mlm'].name} "
                             f"(weight {check_weight(ctx.mlm['mlm_weight'])}; unspin.mlm)")
        if sec.status != "ok":
            _log(f"{name}: {'; '.join(sec.notes)}")
        sections.append(sec)

    info = machine_info(argv)
    md = render(sections, info, ctx.data_dir)
    print(md, flush=True)
    if args.json:
        dump = {"machine": info, "data": str(ctx.data_dir) if ctx.data_dir else None,
                "benchmarks": {s.name: {"status": s.status, "title": s.title, "notes": s.notes,
                                        "seconds": s.seconds,
                                        "tables": [{"title": t.title, "columns": t.columns, "rows": t.rows}
                                                   for t in s.tables],
                                        "raw": s.raw} for s in sections}}
        Path(args.json).write_text(json.dumps(_jsonable(dump), indent=1, default=str), encoding="utf-8")
    if args.write_docs:
        path = Path(args.docs) if args.docs else docs_path()
        block, written, kept = docs_block(sections, info, ctx.data_dir, read_docs_block(path))
        if block is None:
            why = ("see the notes above" if ctx.data_dir is not None else
                   f"data folder {args.data or '../shared/data'} not found: pass --data DIR or set $UNSPIN_DATA")
            print(f"unspin bench: error: --write-docs: no benchmark was measured on the data ({why}); "
                  f"{path} left unchanged", file=sys.stderr)
            return EXIT_NOTHING_MEASURED
        write_docs(block, path)
        _log(f"wrote {path}: {', '.join(written)}"
             + (f"; kept the earlier {', '.join(kept)} (not measured by this run)" if kept else ""))
    return 1 if any(s.status == "error" for s in sections) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
