"""``unspin bench corpus``: corpus-filtering throughput (not in the default ``unspin bench`` set).

Generates a corpus of N (default 20,000) documents of 2-5 KB in a temporary folder:
sentences of ``clean_news.jsonl`` (``../shared/data``; the bundled example articles if
absent), every 5th document built from synthetic spins of those texts (``unspin.spin``,
dictionary style, rate 0.3). Measures, in one run on this machine:

* ``--fast`` and full mode docs/s and MB/s on one core (full mode on a subset of 5,000
  documents: per-word caches warm up over a run, as in a real corpus);
* datatrove's ``GopherQualityFilter`` on the same documents (the reference), timed chunk
  by chunk between full mode's chunks, so both rates see the same load on a shared machine;
* ``unspin filter --fast`` end to end (read, score, write) with 1 and 2 workers, and full mode
  with 1 and 2 workers (on the whole corpus unless ``--cli-full-docs`` says otherwise);
* Ray Data local mode (``unspin.integrations.ray.score_dataset``) vs the plain batch function;
* what the ``--fast`` score detects (it decides ``--fast --drop``): ROC-AUC, recall and
  false-positive rate at the default threshold on the held-out clean texts
  (``clean_news.jsonl`` rows with index % 5 == 0) and their synthetic spins, and on the
  real dev pairs against ``negatives.jsonl`` (full mode's figures: ``unspin bench``).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import json_path

_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")


def _log(msg: str) -> None:
    print(f"[bench corpus] {msg}", file=sys.stderr, flush=True)


def _texts(data_dir: Path | None) -> tuple[list[str], str]:
    if data_dir and (data_dir / "clean_news.jsonl").exists():
        with open(data_dir / "clean_news.jsonl", encoding="utf-8") as fh:
            return [json.loads(l)["text"] for l in fh if l.strip()], str(data_dir / "clean_news.jsonl")
    from importlib.resources import files

    return [files("unspin").joinpath("examples", "clean_article.txt").read_text(encoding="utf-8")], "bundled example"


def make_corpus(path: Path, n: int, data_dir: Path | None, seed: int = 0) -> dict:
    from ..spin import spin

    texts, source = _texts(data_dir)
    rng = random.Random(seed)
    clean = [s for t in texts for s in _SPLIT.split(t) if len(s) > 20]
    spun_s = []
    for i, t in enumerate(texts):
        try:
            spun_s += [s for s in _SPLIT.split(spin(t, rate=0.3, style="dictionary", seed=i).text) if len(s) > 20]
        except ValueError:
            continue
    total = 0
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            pool = spun_s if i % 5 == 0 else clean
            target = rng.randint(2000, 5000)
            parts, size = [], 0
            while size < target:
                s = pool[rng.randrange(len(pool))]
                parts.append(s)
                size += len(s) + 1
            text = " ".join(parts)
            total += len(text.encode())
            fh.write(json.dumps({"id": f"doc-{i}", "text": text, "spun": i % 5 == 0}) + "\n")
    return {"docs": n, "bytes": total, "source": source}


def _load(path: Path, limit: int | None = None) -> list[dict]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            out.append(json.loads(line))
            if limit and len(out) >= limit:
                break
    return out


def _rate(docs: list[dict], seconds: float) -> dict:
    b = sum(len(d["text"].encode()) for d in docs)
    return {"docs": len(docs), "MB": b / 1e6, "seconds": seconds, "docs_s": len(docs) / seconds,
            "MB_s": b / 1e6 / seconds}


#: Full mode: the documents after this many are also timed on their own (caches warm).
WARM_DOCS = 1000


def bench_inprocess(docs: list[dict], fast: bool, gopher=None, gopher_on: list[dict] = ()) -> dict:
    """Rate over all ``docs`` from cold per-word caches; for full mode also the rate of
    the documents after the first WARM_DOCS (same run: the steady state of a long run).

    ``gopher`` (a GopherQualityFilter, see :func:`gopher_filter`): timed on each chunk of
    ``gopher_on`` (the same corpus) right after unspin's chunk at the same offset, so the
    two rates compared are measured under the same load of the shared machine, not
    minutes apart (documents past ``docs`` after unspin's run). Returned as ``"gopher"``.
    """
    from ..corpus.batch import Options, score_texts

    opts = Options(fast=fast)
    score_texts([docs[0]["text"]], opts)  # tables loaded once per process (timed separately)
    ours = theirs = 0.0
    t_warm = None
    for k in range(0, len(docs), 250):
        if k == WARM_DOCS:
            t_warm = ours
        t0 = time.perf_counter()
        score_texts([d["text"] for d in docs[k:k + 250]], opts)
        ours += time.perf_counter() - t0
        if gopher is not None and k < len(gopher_on):
            theirs += _time_gopher(gopher, gopher_on[k:min(k + 250, len(docs))])
    out = _rate(docs, ours)
    if not fast and t_warm is not None:
        out["warm"] = _rate(docs[WARM_DOCS:], ours - t_warm)
    if gopher is not None:
        if len(gopher_on) > len(docs):
            theirs += _time_gopher(gopher, gopher_on[len(docs):])
        out["gopher"] = _rate(gopher_on, theirs)
    return out


def gopher_filter():
    """datatrove's GopherQualityFilter, warmed on one text, or a string saying why there is none."""
    try:
        from datatrove.data import Document
        from datatrove.pipeline.filters import GopherQualityFilter

        f = GopherQualityFilter()
        f.filter(Document(text="The central bank kept its rates unchanged on Tuesday.", id="warm"))
        return f
    except Exception as exc:  # missing datatrove or spaCy
        return f"skipped: {type(exc).__name__}: {exc}"


def _time_gopher(f, docs: list[dict]) -> float:
    from datatrove.data import Document

    dd = [Document(text=d["text"], id=d["id"]) for d in docs]
    t0 = time.perf_counter()
    for d in dd:
        f.filter(d)
    return time.perf_counter() - t0


def bench_cli(corpus: Path, out: Path, workers: int, fast: bool, limit_docs: int | None = None) -> dict:
    src = corpus
    if limit_docs:
        src = out.parent / f"subset-{limit_docs}.jsonl"
        if not src.exists():
            with open(corpus, encoding="utf-8") as fh, open(src, "w", encoding="utf-8") as o:
                for i, line in enumerate(fh):
                    if i >= limit_docs:
                        break
                    o.write(line)
    cmd = [sys.executable, "-m", "unspin", "filter", str(src), "-o", str(out), "--workers", str(workers),
           "--no-progress", "--chunk-size", "200" if fast else "10"] + (["--fast"] if fast else [])
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(res.stderr[-2000:])
    summ = json.loads((out / "_unspin_summary.json").read_text())
    return {"docs": summ["read"], "MB": summ["bytes"] / 1e6, "seconds": dt, "docs_s": summ["read"] / dt,
            "MB_s": summ["bytes"] / 1e6 / dt, "decisions": _decisions(out)}


def _decisions(out: Path) -> dict:
    """How the run's drop decisions match the generated labels (``spun`` field)."""
    import gzip

    c = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    for f in sorted(out.iterdir()):
        if f.name.startswith("_unspin") or not f.name.endswith((".jsonl", ".jsonl.gz")):
            continue  # the manifest and summary
        with (gzip.open if f.name.endswith(".gz") else open)(f, "rt", encoding="utf-8") as fh:
            for line in fh:
                d = json.loads(line)
                y, p = bool(d.get("spun")), bool(d.get("unspin_is_spun"))
                c["tp" if y and p else "fn" if y else "fp" if p else "tn"] += 1
    return c


def bench_ray(docs: list[dict]) -> dict | str:
    code = r"""
import json, sys, time
import ray
from unspin.corpus.batch import Options, score_texts
from unspin.integrations.ray import score_dataset
docs = [json.loads(l) for l in open(sys.argv[1])][: int(sys.argv[2])]
for rep in range(2):  # second pass timed: word tables warm, as in the Ray workers' second run
    t0 = time.perf_counter()
    for k in range(0, len(docs), 256):
        score_texts([d["text"] for d in docs[k:k + 256]], Options(fast=True))
    plain = time.perf_counter() - t0
ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, configure_logging=False)
t0 = time.perf_counter()
n = score_dataset(ray.data.from_items(docs), fast=True, batch_size=256).count()
first = time.perf_counter() - t0
t0 = time.perf_counter()
n = score_dataset(ray.data.from_items(docs), fast=True, batch_size=256).count()
second = time.perf_counter() - t0
ray.shutdown()
print("RESULT " + json.dumps({"plain": plain, "ray_first": first, "ray_second": second, "n": n}))
"""
    return code


#: Synthetic spins for the --fast detection table: styles and rates (seed = 1000 + text index).
FAST_STYLES = ("dictionary", "wordnet", "moby", "phrase")
FAST_RATES = (0.1, 0.2, 0.3)


def bench_fast_detection(data_dir: Path | None) -> dict | str:
    """Detection figures of the ``--fast`` score (see the module docstring)."""
    from ..corpus.batch import Options
    from ..corpus.score import default_scorer
    from ..spin import spin
    from .metrics import roc_auc

    if not data_dir or not (data_dir / "clean_news.jsonl").exists():
        return "skipped: clean_news.jsonl not found"
    texts, _ = _texts(data_dir)
    held = [t for i, t in enumerate(texts) if i % 5 == 0]
    scorer, thr = default_scorer(), Options().decision_threshold()
    neg = scorer.score_many(held)

    def row(pos: list[float], negs: list[float]) -> dict:
        return {"pos": len(pos), "neg": len(negs), "auc": roc_auc(pos, negs),
                "recall": sum(p >= thr for p in pos) / len(pos), "fpr": sum(x >= thr for x in negs) / len(negs)}

    out: dict = {"threshold": thr}
    for rate in FAST_RATES:
        spun = []
        for i, t in enumerate(held):
            for style in FAST_STYLES:
                try:
                    spun.append(spin(t, rate=rate, style=style, seed=1000 + i).text)
                except ValueError:
                    continue
        out[f"synthetic {rate:.1f}"] = row(scorer.score_many(spun), neg)
    pairs_file, negs_file = data_dir / "pairs.jsonl", data_dir / "negatives.jsonl"
    if pairs_file.exists() and negs_file.exists():
        with open(pairs_file, encoding="utf-8") as fh:
            dev = [d.get("spun_text") or "" for d in map(json.loads, fh) if d.get("style") == "dictionary"]
        with open(negs_file, encoding="utf-8") as fh:
            real_neg = [d.get("text") or "" for d in map(json.loads, fh)]
        out["dev dictionary"] = row(scorer.score_many([t for t in dev if t]), scorer.score_many(real_neg))
    return out


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def run(n: int, data_dir: Path | None, full_docs: int, gopher_docs: int, ray_docs: int,
        skip_gopher: bool = False, skip_ray: bool = False, repeat: int = 2,
        cli_full_docs: int | None = None) -> tuple[str, dict]:
    raw: dict = {"loadavg_start": _loadavg(), "repeat": repeat, "cli_full_docs": cli_full_docs or n}
    with tempfile.TemporaryDirectory(prefix="unspin-bench-corpus-") as tmp:
        tmp = Path(tmp)
        corpus = tmp / "corpus.jsonl"
        _log(f"generating {n} documents ...")
        raw["corpus"] = make_corpus(corpus, n, data_dir)
        docs = _load(corpus)
        _log("fast mode, in process ...")
        t0 = time.perf_counter()
        from ..corpus.score import default_scorer

        default_scorer()
        raw["fast_tables_s"] = time.perf_counter() - t0
        raw["fast"] = bench_inprocess(docs, fast=True)
        _log("what --fast detects ...")
        raw["fast_detection"] = bench_fast_detection(data_dir)
        gopher = "skipped (--skip-gopher)" if skip_gopher else gopher_filter()
        _log(f"full mode on {full_docs} documents" + ("" if isinstance(gopher, str) else
             f", GopherQualityFilter on {gopher_docs} of them interleaved chunk by chunk") + " ...")
        raw["full"] = bench_inprocess(docs[:full_docs], fast=False,
                                      gopher=None if isinstance(gopher, str) else gopher, gopher_on=docs[:gopher_docs])
        raw["gopher"] = raw["full"].pop("gopher", gopher)
        # 1 and 2 workers alternate, `repeat` times each, and the fastest run of each
        # counts: other jobs on the machine only ever slow a run down, and they hit the
        # 2-worker runs first (both cores busy); every run's time is kept in the JSON.
        # Full mode runs end to end on the whole corpus by default: each worker warms its own
        # per-word caches, a cost a 5,000-document subset does not amortise as a real run does.
        for fast, name, limit in ((True, "fast", None), (False, "full", cli_full_docs if cli_full_docs
                                                                      and cli_full_docs < n else None)):
            for k in range(repeat):
                for w in (1, 2):
                    _log(f"unspin filter{' --fast' if fast else ' (full)'} --workers {w}"
                         + (f" on {limit} documents" if limit else "") + f" (run {k + 1} of {repeat}) ...")
                    res = bench_cli(corpus, tmp / f"out-{name}-{w}-{k}", w, fast, limit_docs=limit)
                    key = f"cli_{name}_w{w}"
                    raw.setdefault(key + "_runs", []).append(round(res["seconds"], 2))
                    if key not in raw or res["seconds"] < raw[key]["seconds"]:
                        raw[key] = res
        if skip_ray:
            raw["ray"] = "skipped (--skip-ray)"
        else:
            _log(f"Ray local mode on {ray_docs} documents ...")
            try:
                res = subprocess.run([sys.executable, "-c", bench_ray(docs), str(corpus), str(ray_docs)],
                                     capture_output=True, text=True, timeout=600,
                                     env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"})
                line = [l for l in res.stdout.splitlines() if l.startswith("RESULT ")]
                raw["ray"] = json.loads(line[0][7:]) if line else f"failed: {res.stderr[-500:]}"
            except Exception as exc:
                raw["ray"] = f"failed: {exc}"
    raw["loadavg_end"] = _loadavg()
    return render(raw), raw


def render(raw: dict) -> str:
    g = raw["gopher"]
    gm = g["MB_s"] if isinstance(g, dict) else None

    def row(name, r, note=""):
        vs = f"{r['MB_s'] / gm:.2f}×" if gm else "–"
        return f"| {name} | {r['docs']:,} | {r['MB']:.1f} | {r['seconds']:.1f} | {r['docs_s']:,.1f} | {r['MB_s']:.3f} | {vs} | {note} |"

    c = raw["corpus"]
    lines = [
        "## Corpus filtering (`unspin bench corpus`)", "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.  ",
        f"Corpus: {c['docs']:,} generated documents, {c['bytes'] / 1e6:.1f} MB (2–5 KB each, every 5th built from "
        f"synthetic dictionary-style spins at rate 0.3), sentences from {Path(c['source']).name}.", "",
        "| what | docs | MB | s | docs/s | MB/s | vs Gopher | note |", "|---|---|---|---|---|---|---|---|",
    ]
    if isinstance(g, dict):
        lines.append(row("datatrove GopherQualityFilter (reference)", g,
                         "1 core, spaCy tokenizer; timed chunk by chunk between the full-mode chunks"))
    else:
        lines.append(f"| datatrove GopherQualityFilter (reference) | | | | | | | {g} |")
    lines.append(row("`--fast`, batch function", raw["fast"], f"1 core; tables built once: {raw['fast_tables_s']:.1f} s"))
    lines.append(row("full (`unspin.check`), batch function", raw["full"], "1 core, subset, from cold caches"))
    if "warm" in raw["full"]:
        lines.append(row(f"  the same run, documents after the first {WARM_DOCS:,}", raw["full"]["warm"],
                         "1 core, per-word caches warm (a long run's steady state)"))
    for w in (1, 2):
        lines.append(row(f"`unspin filter --fast --workers {w}`", raw[f"cli_fast_w{w}"], "end to end: start-up, read, write"))
    for w in (1, 2):
        whole = raw[f"cli_full_w{w}"]["docs"] >= c["docs"]
        lines.append(row(f"`unspin filter --workers {w}` (full)", raw[f"cli_full_w{w}"],
                         "end to end, whole corpus" if whole else "end to end, subset"))
    sf = raw["cli_fast_w2"]["docs_s"] / raw["cli_fast_w1"]["docs_s"]
    sfu = raw["cli_full_w2"]["docs_s"] / raw["cli_full_w1"]["docs_s"]
    rep = raw.get("repeat", 1)
    runs = "; ".join(f"{name} {w} worker{'s' if w > 1 else ''}: " + ", ".join(f"{x:.1f}" for x in raw[f"cli_{name}_w{w}_runs"])
                     for name in ("fast", "full") for w in (1, 2) if f"cli_{name}_w{w}_runs" in raw)
    lines += ["", f"- scaling 1 → 2 workers: `--fast` {sf:.2f}×, full {sfu:.2f}× (target ≥ 1.7×); load average "
                  f"{raw.get('loadavg_start', 'n/a')} at the start, {raw.get('loadavg_end', 'n/a')} at the end "
                  "(anything else running on the cores lowers the 2-worker figures first)."]
    if rep > 1:
        lines.append(f"- `unspin filter` rows: the fastest of {rep} runs each, 1 and 2 workers alternating "
                     f"(seconds of every run: {runs}).")
    if gm:
        warm = raw["full"].get("warm")
        lines.append(f"- `--fast` vs GopherQualityFilter: {raw['fast']['MB_s'] / gm:.1f}× (target ≥ 10×); "
                     f"full mode: {raw['full']['MB_s'] / gm:.2f}× from cold caches"
                     + (f", {warm['MB_s'] / gm:.2f}× once warm" if warm else "") + " (target ≥ 1×).")
    dec = raw["cli_fast_w1"].get("decisions")
    if dec and dec["tp"] + dec["fn"] and dec["fp"] + dec["tn"]:
        lines.append(f"- decisions on this corpus (`--fast --workers 1`): {dec['tp'] / (dec['tp'] + dec['fn']):.1%} of "
                     f"its spun documents flagged, {dec['fp'] / (dec['fp'] + dec['tn']):.2%} of the clean ones "
                     f"(documents are built from sentences of all of clean_news.jsonl, calibration texts included).")
    dfull = raw["cli_full_w1"].get("decisions")
    if dfull and dfull["tp"] + dfull["fn"] and dfull["fp"] + dfull["tn"]:
        lines.append(f"- the same for full mode (`--workers 1`, {raw['cli_full_w1']['docs']:,} documents): "
                     f"{dfull['tp'] / (dfull['tp'] + dfull['fn']):.1%} "
                     f"flagged, {dfull['fp'] / (dfull['fp'] + dfull['tn']):.2%} of the clean ones.")
    det = raw.get("fast_detection")
    if isinstance(det, dict):
        lines += ["", f"**What `--fast` detects** (it decides `--fast --drop`; threshold {det['threshold']}; full "
                      "mode's figures are in the engine section above)", "",
                  "| positives | negatives | ROC-AUC | recall@thr | FPR@thr | basis |", "|---|---|---|---|---|---|"]
        for name, d in det.items():
            if name == "threshold":
                continue
            if name.startswith("synthetic"):
                pos = f"{d['pos']} synthetic spins at rate {name.split()[1]} ({', '.join(FAST_STYLES)})"
                negs = f"{d['neg']} held-out clean texts"
                basis = "held-out texts; weights fitted on spins of the other texts"
            else:
                pos, negs = f"{d['pos']} real dictionary-style spun pages", f"{d['neg']} real clean pages"
                basis = "the built-in profiles were learned from these pairs (fitted through the profile feature)"
            lines.append(f"| {pos} | {negs} | {d['auc']:.3f} | {100 * d['recall']:.1f} % | "
                         f"{100 * d['fpr']:.1f} % | {basis} |")
        lines.append("")
    elif det:
        lines.append(f"- what `--fast` detects: {det}")
    r = raw.get("ray")
    if isinstance(r, dict):
        lines.append(f"- Ray Data local mode (`score_dataset`, `--fast`, {r['n']:,} docs, 1 CPU): "
                     f"{r['ray_first']:.1f} s first run / {r['ray_second']:.1f} s second vs {r['plain']:.1f} s for the "
                     f"plain batch function (overhead {r['ray_second'] - r['plain']:+.1f} s).")
    else:
        lines.append(f"- Ray Data local mode: {r}")
    return "\n".join(lines)


def write_docs(md: str, path: Path) -> None:
    from .run import write_docs as write_section

    write_section(md, path, "bench-corpus")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="unspin bench corpus", description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=20000, help="documents to generate (default 20,000)")
    ap.add_argument("--full-docs", type=int, default=5000,
                    help="subset for full mode in process (default 5,000)")
    ap.add_argument("--cli-full-docs", type=int, default=None, metavar="N",
                    help="documents for the full-mode `unspin filter` runs with 1 and 2 workers (default: the "
                         "whole corpus; each worker warms its own caches, which a short run does not amortise)")
    ap.add_argument("--gopher-docs", type=int, default=5000, help="subset for GopherQualityFilter (default 5,000)")
    ap.add_argument("--ray-docs", type=int, default=5000, help="documents for the Ray comparison (default 5,000)")
    ap.add_argument("--skip-gopher", action="store_true", help="leave out the GopherQualityFilter reference")
    ap.add_argument("--skip-ray", action="store_true", help="leave out the Ray Data comparison")
    ap.add_argument("--repeat", type=int, default=2, choices=range(1, 10), metavar="N",
                    help="runs of each `unspin filter` measurement, 1 and 2 workers alternating; the fastest "
                         "counts (default 2: other jobs on the machine only slow runs down)")
    ap.add_argument("--data", default=None, help="data folder with clean_news.jsonl (default ../shared/data)")
    ap.add_argument("--json", default=None, metavar="PATH", type=json_path,
                    help="also dump raw numbers as JSON")
    ap.add_argument("--write-docs", action="store_true",
                    help="replace the <!-- bench-corpus:start/end --> section of docs/benchmarks.md")
    args = ap.parse_args(argv)
    from . import data as D

    data_dir = D.resolve_data_dir(args.data)
    md, raw = run(args.docs, Path(data_dir) if data_dir else None, args.full_docs, args.gopher_docs, args.ray_docs,
                  skip_gopher=args.skip_gopher, skip_ray=args.skip_ray, repeat=args.repeat,
                  cli_full_docs=args.cli_full_docs)
    print(md)
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=1), encoding="utf-8")
    if args.write_docs:
        from .run import docs_path

        write_docs(md, docs_path())
        _log(f"wrote {docs_path()}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
