"""``unspin bench trace``: source retrieval among >= 100,000 distractors, alignment, profile learning.

What is indexed (all generated in memory from ``../shared/data``; nothing is written to the repo):

* the originals of the dev pairs (``pairs.jsonl`` ``orig_text``, one document per distinct text);
* the 303 ``clean_news.jsonl`` texts (the sources of the synthetic queries);
* N distractors (default 100,000) built from clean_news: each takes a contiguous 20-60 % window
  of one text's sentences and splices in 2-5 runs of 1-3 sentences from other random texts;
  30 % of the pieces come from synthetic spins of the texts (``unspin.spin``, dictionary/wordnet,
  rate 0.1-0.5). Distractors thus share whole sentences and quotes with the true sources, which
  is harder than unrelated web pages.

Queries: every dev spun copy (``spun_text``: page start as stored, furniture included; every style)
and synthetic spins of the held-out clean_news texts (index % 5 == 0) at rates 0.1/0.3/0.5,
styles dictionary and wordnet. Baseline: MinHash-LSH (datasketch, 5-word shingles, 112 permutations
in 14 bands x 8 rows -- datatrove's defaults) over the same documents, in the same run.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from . import data as D
from . import json_path
from . import metrics as M

_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")
SYN_RATES = (0.1, 0.3, 0.5)
SYN_STYLES = ("dictionary", "wordnet")


def _log(msg: str) -> None:
    print(f"[bench trace] {msg}", file=sys.stderr, flush=True)


def _sentences(text: str) -> list[str]:
    return [s for s in _SPLIT.split(text) if s.strip()]


def _spin():
    import importlib

    return importlib.import_module("unspin.spin").spin


def distractors(clean: list[str], n: int, seed: int = 0):
    """Yield ``(doc_id, text)`` distractors (see the module docstring)."""
    spin = _spin()
    rng = random.Random(seed)
    plain = [_sentences(t) for t in clean]
    spun = []
    for i, t in enumerate(clean):
        style = SYN_STYLES[i % 2]
        spun.append(_sentences(spin(t, rate=rng.choice((0.1, 0.2, 0.3, 0.4, 0.5)), style=style, seed=1000 + i).text))
    pools = [p for p in (plain, spun)]

    def pick():
        return pools[1 if rng.random() < 0.3 else 0][rng.randrange(len(clean))]

    for j in range(n):
        ss = pick()
        w = max(1, int(len(ss) * rng.uniform(0.2, 0.6)))
        st = rng.randrange(0, len(ss) - w + 1)
        doc = ss[st:st + w]
        for _ in range(rng.randint(2, 5)):
            o = pick()
            k = rng.randint(1, 3)
            s0 = rng.randrange(len(o))
            doc[rng.randint(0, len(doc)):0] = o[s0:s0 + k]
        yield f"distractor-{j}", " ".join(doc)


def _rank(hits, ok) -> int | None:
    for r, h in enumerate(hits, 1):
        if ok(h.doc_id):
            return r
    return None


def _agg(ranks: list[int | None]) -> dict:
    n = len(ranks)
    return {"n": n, "recall@1": sum(r == 1 for r in ranks) / n if n else math.nan,
            "recall@5": sum(r is not None and r <= 5 for r in ranks) / n if n else math.nan,
            "MRR": sum(1 / r for r in ranks if r) / n if n else math.nan}


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return math.nan
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def _shingles(text: str, n: int = 5) -> set[bytes]:
    w = M._as_words(text)
    return {" ".join(w[i:i + n]).encode() for i in range(max(1, len(w) - n + 1))}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(data_dir: Path | None, n_distractors: int = 100_000, minhash: bool = True, workdir: str | None = None,
        seed: int = 0, align_only: bool = False):
    """Returns ``(tables, notes, raw)``; tables are ``(title, columns, rows)``.

    ``align_only``: index only the dev originals and the clean_news texts (no distractors), skip
    the retrieval, speed and MinHash parts and report restoration and profile learning (seconds,
    not minutes). With the source found in both runs, the restoration figures are those of the
    full run; profile learning traces its training copies in the small index instead."""
    if align_only:
        n_distractors, minhash = 0, False
    from unspin.profiles import learn_profile
    from unspin.trace import Index, align
    from unspin.trace.learn import trace_pairs

    if data_dir is None or not D.has_file(data_dir, "pairs.jsonl") or not D.has_file(data_dir, "clean_news.jsonl"):
        raise FileNotFoundError(D.MISSING_MSG)
    pairs = D.load_pairs(data_dir)
    clean = D.load_clean(data_dir)
    clean_texts = [r["text"] for r in clean]
    tables, notes, raw = [], [], {}

    tmp = tempfile.mkdtemp(prefix="unspin-trace-", dir=workdir)
    path = os.path.join(tmp, "bench.db")
    ix = Index.create(path)

    # sources
    orig_docs: dict[str, str] = {}
    for p in pairs:
        if p.orig_text and p.orig_text not in orig_docs.values():
            orig_docs[f"orig:{p.story}:{len(orig_docs)}"] = p.orig_text
    ix.add_many(list(orig_docs.items()) + [(f"clean:{i}", t) for i, t in enumerate(clean_texts)])

    # distractors, with a latency checkpoint at 10 % of them
    _log(f"generating and indexing {n_distractors:,} distractors ...")
    spin = _spin()
    syn_queries = []
    for i in D.heldout_indices(len(clean_texts)):
        for style in SYN_STYLES:
            for rate in SYN_RATES:
                syn_queries.append((f"clean:{i}", style, rate, spin(clean_texts[i], rate=rate, style=style,
                                                                      seed=7 + i).text))
    gen = distractors(clean_texts, n_distractors, seed) if n_distractors else iter(())
    first = max(1, n_distractors // 10) if n_distractors else 0
    t0 = time.perf_counter()
    import itertools

    ix.add_many(itertools.islice(gen, first))
    t_first = time.perf_counter() - t0
    probe = [q[3] for q in syn_queries[::6]] + [p.spun_text for p in pairs if p.spun_text][:10]
    if align_only:
        probe = []
    lat_small = []
    for q in probe:
        t = time.perf_counter(); ix.search(q, k=5); lat_small.append((time.perf_counter() - t) * 1000)
    t1 = time.perf_counter()
    ix.add_many(gen)
    build_s = max(1e-9, t_first + (time.perf_counter() - t1))
    n_docs = len(ix)
    stats = ix.stats()
    _log(f"indexed {n_docs:,} documents in {build_s:.1f} s")

    # queries
    dev_ranks: dict[str, list] = {}
    lat, lat_cand = [], []
    top_hits: dict[str, str] = {}
    for p in pairs:
        q = p.spun_text or p.spun
        if not q:
            continue
        t = time.perf_counter(); hits = ix.search(q, k=5); lat.append((time.perf_counter() - t) * 1000)
        r = _rank(hits, lambda d, s=p.story: d.startswith(f"orig:{s}:"))
        dev_ranks.setdefault(p.style, []).append(r)
        if hits:
            top_hits[p.id] = hits[0].doc_id
    syn_ranks: dict[str, list] = {}
    for src, style, rate, q in ([] if align_only else syn_queries):
        t = time.perf_counter(); hits = ix.search(q, k=5); lat.append((time.perf_counter() - t) * 1000)
        syn_ranks.setdefault(f"{style} {rate:.0%}", []).append(_rank(hits, lambda d, s=src: d == s))
    for q in probe[:20]:
        t = time.perf_counter(); ix.candidates(q); lat_cand.append((time.perf_counter() - t) * 1000)

    rows = []
    all_dev = [r for v in dev_ranks.values() for r in v]
    for style in sorted(dev_ranks):
        rows.append({"queries": f"dev {style}", **_agg(dev_ranks[style])})
    rows.append({"queries": "dev, all styles", **_agg(all_dev)})
    for key in syn_ranks:
        rows.append({"queries": f"synthetic {key}", **_agg(syn_ranks[key])})
    rows.append({"queries": "synthetic, all", **_agg([r for v in syn_ranks.values() for r in v])})
    for r in rows:
        r["method"] = "unspin trace"
    raw["trace"] = rows

    # MinHash-LSH baseline
    mh_rows = []
    if minhash:
        try:
            from datasketch import MinHash, MinHashLSH
        except ImportError:
            notes.append("MinHash-LSH baseline skipped: `pip install datasketch` to run it")
            MinHash = None
        if MinHash is not None:
            _log("MinHash-LSH baseline ...")
            lsh = MinHashLSH(num_perm=112, params=(14, 8))
            sigs = {}
            t = time.perf_counter()
            allsrc = list(orig_docs.items()) + [(f"clean:{i}", x) for i, x in enumerate(clean_texts)]
            for doc_id, text in itertools.chain(allsrc, distractors(clean_texts, n_distractors, seed)):
                m = MinHash(num_perm=112, seed=1)
                m.update_batch(list(_shingles(text)))
                lsh.insert(doc_id, m)
                sigs[doc_id] = m
            mh_build = time.perf_counter() - t

            def mh_search(q):
                m = MinHash(num_perm=112, seed=1)
                m.update_batch(list(_shingles(q)))
                c = lsh.query(m)
                return sorted(c, key=lambda d: -m.jaccard(sigs[d]))[:5]

            class H:  # noqa: D401 - tiny adapter
                def __init__(self, d):
                    self.doc_id = d
            mlat = []
            mdev: dict[str, list] = {}
            for p in pairs:
                q = p.spun_text or p.spun
                if not q:
                    continue
                t = time.perf_counter(); hs = [H(d) for d in mh_search(q)]; mlat.append((time.perf_counter() - t) * 1000)
                mdev.setdefault(p.style, []).append(_rank(hs, lambda d, s=p.story: d.startswith(f"orig:{s}:")))
            msyn = []
            for src, style, rate, q in syn_queries:
                t = time.perf_counter(); hs = [H(d) for d in mh_search(q)]; mlat.append((time.perf_counter() - t) * 1000)
                msyn.append(_rank(hs, lambda d, s=src: d == s))
            mh_rows = [{"method": "MinHash-LSH", "queries": f"dev {s}", **_agg(v)} for s, v in sorted(mdev.items())]
            mh_rows.append({"method": "MinHash-LSH", "queries": "dev, all styles",
                            **_agg([r for v in mdev.values() for r in v])})
            mh_rows.append({"method": "MinHash-LSH", "queries": "synthetic, all", **_agg(msyn)})
            raw["minhash"] = {"rows": mh_rows, "build_s": mh_build, "p50_ms": _pct(mlat, .5),
                              "p95_ms": _pct(mlat, .95)}
            del sigs, lsh
    if not align_only:
        tables.append(("Source retrieval (recall of the true source)", ["method", "queries", "n", "recall@1",
                                                                        "recall@5", "MRR"], rows + mh_rows))

    jac = []
    for p in pairs:
        if p.aligned:
            a, b = _shingles(p.spun), _shingles(p.orig)
            jac.append(len(a & b) / len(a | b))
    notes.append(f"median word-5-gram Jaccard of dev spun copy vs original: {statistics.median(jac):.2f} "
                 "(MinHash-LSH at 14x8 bands needs roughly 0.7 to collide)")

    # speed / size
    n_q = len(lat)
    k10 = first + len(orig_docs) + len(clean_texts)
    speed = [{"figure": "documents indexed", "value": n_docs},
             {"figure": "build, documents/s (one core, incl. feature extraction + zlib)", "value": n_distractors / build_s},
             {"figure": "index bytes (SQLite file + WAL)", "value": stats["bytes"]},
             {"figure": "index bytes per document", "value": stats["bytes"] / n_docs},
             {"figure": f"query latency p50, ms ({n_q} queries, k=5, rerank 20)", "value": _pct(lat, .5)},
             {"figure": "query latency p95, ms", "value": _pct(lat, .95)},
             {"figure": f"query latency p50 / p95 at {k10:,} documents, ms (same probe set)",
              "value": f"{_pct(lat_small, .5):.1f} / {_pct(lat_small, .95):.1f}"},
             {"figure": "first stage (feature lookup + voting) p50, ms", "value": _pct(lat_cand, .5)},
             {"figure": "peak RSS of the benchmark process, MB", "value": _rss_mb()}]
    if raw.get("minhash"):
        mh = raw["minhash"]
        speed += [{"figure": "MinHash-LSH build, documents/s", "value": n_docs / mh["build_s"]},
                  {"figure": "MinHash-LSH query latency p50 / p95, ms",
                   "value": f"{mh['p50_ms']:.1f} / {mh['p95_ms']:.1f}"}]
    p95_small, p95_big = _pct(lat_small, .95), _pct(lat, .95)
    grow = max(0.0, p95_big - p95_small) / max(1, n_docs - k10) * (1_000_000 - n_docs)
    notes.append(f"1M-document projection: the first stage reads posting lists of the query's rarest features, "
                 f"which grow linearly with the collection; extrapolating p95 linearly from {k10:,} to {n_docs:,} "
                 f"documents gives about {p95_big + grow:.0f} ms at 1M (rerank cost does not grow)")
    if not align_only:
        tables.append(("Index build, size and query speed", ["figure", "value"], speed))
        raw["speed"] = speed
    else:
        notes.pop()  # no latency to project

    # restoration with the source found (dictionary dev pairs)
    triples, exact, per_pair = [], [], []
    for p in pairs:
        if p.style != "dictionary" or not p.aligned:
            continue
        d = top_hits.get(p.id)
        if not d or not d.startswith(f"orig:{p.story}:"):
            continue
        al = align(p.spun, ix.get(d))
        triples.append((al.restored, p.spun, p.orig))
        exact.append(M.err(al.restored, p.spun, p.orig))
        per_pair.append({"pair": p.id, "ERR": exact[-1], "coverage": al.coverage})
    rest = [{"pairs": len(triples), "ERR (pooled)": M.err_pooled(triples) if triples else math.nan,
             "ERR (median pair)": statistics.median(exact) if exact else math.nan,
             "WER spun": statistics.mean(M.wer(s, o) for _, s, o in triples) if triples else math.nan,
             "WER restored": statistics.mean(M.wer(r, o) for r, _, o in triples) if triples else math.nan}]
    tables.append(("Restoration from the traced source (dictionary dev pairs, `Alignment.restored`)",
                   ["pairs", "ERR (pooled)", "ERR (median pair)", "WER spun", "WER restored"], rest))
    raw["restoration"] = rest
    raw["restoration_pairs"] = per_pair

    # profile learning: leave one story out within the dictionary family
    _log("profile learning before/after ...")
    import unspin

    dict_pairs = [p for p in pairs if p.style == "dictionary" and p.aligned]
    before, after = [], []
    per_story = []
    for story in sorted({p.story for p in dict_pairs}):
        test = [p for p in dict_pairs if p.story == story]
        train = [(p.id, p.spun_text or p.spun) for p in pairs if p.style == "dictionary" and p.story != story]
        traced = trace_pairs(ix, train)
        prof = learn_profile([(t.spun_core, t.source_core) for t in traced if t.doc_id], name="learned")
        for p in test:
            r0 = unspin.check(p.spun, profile=None).restored
            r1 = unspin.check(p.spun, profile=prof).restored
            before.append((r0, p.spun, p.orig))
            after.append((r1, p.spun, p.orig))
        per_story.append((story, len(test), sum(bool(t.doc_id) for t in traced), len(train), len(prof)))
    prow = [{"profile": "none (thesaurus + LM only)", "pairs": len(before), "ERR (pooled)": M.err_pooled(before),
             "damage": statistics.mean(M.damage(r, s, o) for r, s, o in before)},
            {"profile": "learned by trace from the other stories' copies", "pairs": len(after),
             "ERR (pooled)": M.err_pooled(after), "damage": statistics.mean(M.damage(r, s, o) for r, s, o in after)}]
    tables.append(("Profile learning: `check` ERR on held-apart copies of the dictionary spinner family "
                   "(leave one story out; honest)", ["profile", "pairs", "ERR (pooled)", "damage"], prow))
    notes.append("profile learning: each story's copies are restored with a profile learned only from the other "
                 f"stories' dictionary copies, each traced to its source in the {'small' if align_only else '100k'} index "
                 "(not from the gold "
                 "alignment); traced/offered per fold: "
                 + ", ".join(f"{s} {a}/{b} ({e} entries)" for s, _, a, b, e in per_story))
    raw["profiles"] = prow
    ix.close()
    for s in ("", "-wal", "-shm"):
        try:
            os.remove(path + s)
        except OSError:
            pass
    os.rmdir(tmp)
    if align_only:
        notes.insert(0, f"--align-only: index of the {len(orig_docs)} dev originals + {len(clean_texts)} clean_news "
                        f"texts, no distractors; dev top hits right for {sum(r == 1 for r in all_dev)}/{len(all_dev)} "
                        "copies; retrieval, speed and MinHash parts skipped (run without --align-only for those)")
        return tables, notes, raw
    notes.insert(0, f"index: {len(orig_docs)} dev originals + {len(clean_texts)} clean_news texts + "
                    f"{n_distractors:,} distractors = {n_docs:,} documents; distractors are sentence-level "
                    "recombinations of clean_news (a 20-60 % window of one text plus 2-5 runs of 1-3 sentences "
                    "from others; 30 % of pieces from synthetic dictionary/wordnet spins at 10-50 %)")
    notes.insert(1, f"queries: {sum(len(v) for v in dev_ranks.values())} dev spun copies (page text as stored, "
                    f"all styles) and {len(syn_queries)} synthetic spins of the {len(syn_queries) // 6} held-out "
                    "clean_news texts; a dev hit is any indexed original of the same story")
    return tables, notes, raw


def markdown(tables, notes, info: str, seconds: float) -> str:
    from .run import Table

    out = ["### trace: source retrieval, alignment, profile learning", "", info, ""]
    for title, cols, rows in tables:
        out += [Table(title, cols, rows).markdown(), ""]
    out += [f"- {n}" for n in notes]
    out.append(f"- wall time: {seconds:.0f} s")
    return "\n".join(out) + "\n"


def write_docs(md: str, path: Path) -> None:
    from .run import write_docs as write_section

    write_section(md, path, "bench-trace")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="unspin bench trace", description=__doc__.split("\n\n")[0])
    ap.add_argument("--distractors", type=int, default=100_000, help="distractor documents (default 100,000)")
    ap.add_argument("--data", default=None, metavar="DIR", help="data folder (default ../shared/data)")
    ap.add_argument("--no-minhash", action="store_true", help="skip the MinHash-LSH baseline")
    ap.add_argument("--align-only", action="store_true",
                    help="quick: no distractors; only restoration (alignment ERR) and profile learning")
    ap.add_argument("--per-pair", action="store_true", help="also print the restoration ERR of every pair")
    ap.add_argument("--write-docs", action="store_true",
                    help="replace the <!-- bench-trace:start/end --> section of docs/benchmarks.md")
    ap.add_argument("--docs", default=None, metavar="PATH")
    ap.add_argument("--json", default=None, metavar="PATH", type=json_path,
                    help="also dump raw numbers as JSON")
    args = ap.parse_args(argv)
    data_dir = D.resolve_data_dir(args.data)
    t0 = time.perf_counter()
    try:
        tables, notes, raw = run(data_dir, args.distractors, not args.no_minhash, align_only=args.align_only)
    except FileNotFoundError as exc:
        print(f"### trace\n\n_{exc}_\n")
        return 0
    from .run import machine_info

    mi = machine_info(["trace"] + list(argv or []))
    info = (f"Machine: {mi['cpu']}, Python {mi['python']}; one process, one core. Command: "
            f"`unspin bench trace{' ' + ' '.join(argv) if argv else ''}`; date {mi['date']}.")
    md = markdown(tables, notes, info, time.perf_counter() - t0)
    print(md, flush=True)
    if args.per_pair:
        for r in raw.get("restoration_pairs", []):
            print(f"{r['pair']:48s} ERR {r['ERR']:.3f}  coverage {r['coverage']:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=1, default=str), encoding="utf-8")
    if args.write_docs and args.align_only:
        _log("--write-docs ignored with --align-only (the docs section holds the full run)")
    elif args.write_docs:
        from .run import docs_path

        p = Path(args.docs) if args.docs else docs_path()
        write_docs(md, p)
        _log(f"wrote {p}")
    return 0


def bench_trace(ctx) -> "object":
    """Runner for ``unspin bench --only trace`` (quick: 10,000 distractors; the full run is ``unspin bench trace``)."""
    from .run import Section, Table

    n = 10_000 if getattr(ctx.args, "quick", False) else 100_000
    sec = Section("trace", "trace: source retrieval among distractors")
    if ctx.data_dir is None:
        sec.status, sec.notes = "skipped", [D.MISSING_MSG]
        return sec
    tables, notes, raw = run(ctx.data_dir, n, True)
    sec.tables = [Table(t, c, r) for t, c, r in tables]
    sec.notes, sec.raw = notes, raw
    return sec
