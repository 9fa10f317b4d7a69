"""``unspin filter`` (score corpora record by record) and ``unspin screen`` (a folder, one CSV row per file)."""
from __future__ import annotations

import argparse
import csv
import glob
import os
import sys
import time

from ..cli import non_negative_int, positive_int, unit_float

COMMANDS = ("filter", "screen")

FILTER_EPILOG = """\
inputs: JSONL (.jsonl, .jsonl.gz, .jsonl.zst), Parquet, WARC/WET (.warc, .warc.gz, .wet.gz),
or a folder of PDF/HTML/TXT/MD files. Every record gets unspin_score, unspin_is_spun,
unspin_findings (count), unspin_spinner; a record that cannot be scored gets unspin_error
instead (malformed JSON lines keep their line number in unspin_line). Outputs go to
OUTPUT/<input name>; OUTPUT/_unspin_manifest.jsonl lets an interrupted run resume: run the
same command again. The final summary is printed and written to OUTPUT/_unspin_summary.json.

examples:
  unspin filter crawl/*.jsonl.gz --output scored/
  unspin filter data.parquet --output kept/ --drop
  unspin filter CC-MAIN-*.warc.gz --output scored/ --fast --workers 2
"""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fast", action="store_true",
                   help="detection score only (no findings, no restoration; ~300x faster)")
    p.add_argument("--threshold", type=unit_float("threshold"), metavar="T",
                   help="decision threshold for unspin_is_spun / --drop (default: the calibrated one)")
    p.add_argument("--workers", type=positive_int, default=1, metavar="N", help="worker processes (default 1)")
    p.add_argument("--no-profile", action="store_true", help="ignore the built-in spinner profiles")
    p.add_argument("--top-findings", type=non_negative_int, default=0, metavar="N",
                   help="add the N most confident findings with suggestions (full mode)")
    p.add_argument("--progress", dest="progress", action="store_true", default=None,
                   help="show a progress bar (default: only on a terminal)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="never show a progress bar")


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("filter", help="score the documents of a corpus (JSONL, Parquet, WARC, folders)",
                              description="Add unspin_* fields to every record of a corpus; optionally drop spun ones.",
                              epilog=FILTER_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="files (globs allowed) or folders")
    p.add_argument("--output", "-o", required=True, metavar="DIR", help="output folder (created; resumable)")
    p.add_argument("--drop", action="store_true", help="leave out records judged spun (errors are kept)")
    p.add_argument("--text-field", default="text", metavar="NAME", help="field holding the text (default: text)")
    p.add_argument("--id-field", default="id", metavar="NAME", help="field holding the record id (default: id)")
    p.add_argument("--restored", action="store_true", help="add unspin_restored (full mode)")
    p.add_argument("--no-text", action="store_true", help="leave the text field out of the output")
    p.add_argument("--format", default="auto", choices=("auto", "jsonl", "jsonl.gz", "jsonl.zst", "parquet"),
                   help="output format (default: like the input; WARC -> jsonl.gz)")
    p.add_argument("--chunk-size", type=positive_int, default=None, metavar="N",
                   help="records per resumable chunk and per worker task (default 1000 with --fast, "
                        "200 in full mode)")
    _common(p)

    p = subparsers.add_parser("screen", help="screen a folder of PDF/HTML/TXT/MD files: one CSV row per file",
                              description="Score every PDF/HTML/TXT/MD file under the given folders or files; "
                                          "write one CSV row per file (file, score, verdict, findings, top "
                                          "findings with suggestions, error).")
    p.add_argument("inputs", nargs="+", metavar="PATH", help="folders or files")
    p.add_argument("--csv", default="-", metavar="FILE", help="CSV output (default: stdout)")
    _common(p)
    p.set_defaults(top_findings=3)


def _expand(inputs: list[str]) -> list[str]:
    from ..inputs import InputError

    out = []
    for pat in inputs:
        hits = sorted(glob.glob(pat)) if any(c in pat for c in "*?[") else [pat]
        if not hits:
            raise InputError(f"{pat}: no such file", exit_code=4)
        for h in hits:
            if not os.path.exists(h):
                raise InputError(f"{h}: no such file or folder", exit_code=4)
            out.append(h)
    return out


def _options(args):
    from .batch import Options

    return Options(fast=args.fast, threshold=args.threshold, top_findings=0 if args.fast else args.top_findings,
                   restore=bool(getattr(args, "restored", False)) and not args.fast,
                   profile=None if args.no_profile else "auto")


def run(args: argparse.Namespace) -> int:
    from ..inputs import InputError
    from .readers import MissingExtra
    from .run import ResumeMismatch

    try:
        if args.command == "filter":
            return _filter(args)
        return _screen(args)
    except MissingExtra as exc:
        print(f"unspin: error: {exc}", file=sys.stderr)
        return 2
    except ResumeMismatch as exc:
        print(f"unspin: error: {exc}", file=sys.stderr)
        return 2
    except InputError:
        raise


def _filter(args) -> int:
    from .run import Settings, run as run_filter, summary_line

    inputs = _expand(args.inputs)
    out_abs = os.path.abspath(args.output)
    for i in inputs:
        if os.path.abspath(i) == out_abs:
            print("unspin: error: --output must not be one of the inputs", file=sys.stderr)
            return 2
    settings = Settings(output=args.output, options=_options(args), text_field=args.text_field,
                        id_field=args.id_field, drop=args.drop, workers=args.workers, chunk_size=args.chunk_size,
                        output_format=args.format, progress=args.progress, keep_text=not args.no_text)
    t0 = time.perf_counter()
    st = run_filter(inputs, settings)
    print(f"unspin filter: {summary_line(st, time.perf_counter() - t0)} -> {args.output}", file=sys.stderr)
    return 0


CSV_COLUMNS = ("file", "score", "verdict", "findings", "spinner", "top_findings", "error")


def _screen(args) -> int:
    from .readers import Shard
    from .run import Progress, Stats, _Pool, progress_default, summary_line

    inputs = _expand(args.inputs)
    opts = _options(args)
    items = []
    for path in inputs:
        if os.path.isdir(path):
            for it in Shard(path).items():
                it.record["file"] = os.path.join(path, it.record["file"])
                items.append(it)
        else:
            from ..inputs import InputError, read_text
            from .readers import Item

            try:
                doc = read_text(path)
                items.append(Item({"file": path, "kind": doc.kind}, doc.text))
            except InputError as exc:
                items.append(Item({"file": path}, None, str(exc)))
    show = progress_default() if args.progress is None else args.progress
    total = Stats()
    prog = Progress(show, len(items))
    t0 = time.perf_counter()
    pool = _Pool(args.workers)
    size = 8
    futures = []
    for k in range(0, len(items), size):
        chunk = items[k:k + size]
        futures.append((chunk, pool.submit([it.text if it.error is None else None for it in chunk], opts)))
    rows = []
    try:
        for chunk, fut in futures:
            for it, f in zip(chunk, fut.get()):
                total.read += 1
                err = it.error or f.get("unspin_error")
                row = {"file": it.record.get("file"), "error": err or ""}
                if err:
                    total.errored += 1
                else:
                    total.bytes += len(it.text.encode("utf-8", "surrogatepass"))
                    total.spun += int(bool(f["unspin_is_spun"]))
                    row.update(score=f"{f['unspin_score']:.4f}", verdict="spun" if f["unspin_is_spun"] else "not spun",
                               findings="" if f["unspin_findings"] is None else f["unspin_findings"],
                               spinner=f.get("unspin_spinner") or "",
                               top_findings="; ".join(f"{t['text']} -> {t['suggestion'] or '?'} ({t['confidence']:.2f})"
                                                      for t in f.get("unspin_top_findings") or []))
                rows.append(row)
                total.written += 1
            prog.update(total, total.read)
    finally:
        pool.close()
        prog.finish()
    _write_csv(rows, args.csv, inputs)
    print(f"unspin screen: {summary_line(total, time.perf_counter() - t0)}", file=sys.stderr)
    return 0


def _write_csv(rows, dest: str, inputs) -> None:
    fh = sys.stdout if dest == "-" else open(dest, "w", encoding="utf-8", newline="")
    try:
        w = csv.DictWriter(fh, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in CSV_COLUMNS})
    finally:
        if fh is not sys.stdout:
            fh.close()
        else:
            fh.flush()
