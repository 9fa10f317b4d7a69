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
a folder of PDF/HTML/TXT/MD files, or one such file (.pdf .html .htm .txt .md .markdown:
one document, one record). A file with any other name is read as JSON lines only if its
first non-blank line starts with '{'; otherwise it is refused (exit 3) rather than turned
into a row of errors per line. Every record gets unspin_score, unspin_is_spun,
unspin_findings (count), unspin_tortured (how many are word pairs re-read together, as tortured
phrases are), unspin_spinner; a record that cannot be scored gets unspin_error
instead (malformed JSON lines keep their line number in unspin_line; a damaged or cut
.gz/.zst keeps every complete line before the damage and adds one error row for the rest).
Blank lines are not records: the summary lists them apart ("blank lines skipped").
Outputs go to OUTPUT/<input name>; OUTPUT/_unspin_manifest.jsonl lets an interrupted run
resume: run the same command again. The final summary is printed and written to
OUTPUT/_unspin_summary.json.

exit codes:
  0    done (records that could not be scored carry unspin_error; see the summary)
  1    nothing could be scored: records were read and every one got unspin_error
  2    usage error; an optional extra is missing; OUTPUT holds a run with other settings
  3    an input is unreadable or of unknown type; OUTPUT cannot be written
       (an existing file, no permission, disk full)
  4    input not found
  130  interrupted (Ctrl-C; run the same command again to resume)

examples:
  unspin filter crawl/*.jsonl.gz --output scored/
  unspin filter data.parquet --output kept/ --drop
  unspin filter CC-MAIN-*.warc.gz --output scored/ --fast --workers 2
"""

SCREEN_EPILOG = """\
A file that cannot be read keeps its row, with the reason in the error column.

exit codes:
  0    done (files that could not be scored have their error in the CSV)
  1    nothing could be scored: files were read and every one has an error
  2    usage error; an optional extra is missing
  3    the --csv file cannot be written (a folder, a missing folder, no permission)
  4    input not found
  130  interrupted (Ctrl-C)

examples:
  unspin screen papers/ --csv screening.csv
  unspin screen paper.pdf notes.md
"""

#: Exit status when records were read but none could be scored (documented in the epilogs).
EXIT_NOTHING_SCORED = 1
EXIT_CANNOT_WRITE = 3


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fast", action="store_true",
                   help="detection score only (no findings, no restoration; ~20x faster, lower recall: "
                        "see README and docs/benchmarks.md)")
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
                                          "findings with suggestions, error).",
                              epilog=SCREEN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    from .run import OutputError, ResumeMismatch

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
    except OutputError as exc:
        print(f"unspin: error: {exc}", file=sys.stderr)
        return EXIT_CANNOT_WRITE
    except InputError:
        raise


def _filter(args) -> int:
    from .batch import check_field_names
    from .run import Settings, run as run_filter, summary_line

    inputs = _expand(args.inputs)
    out_abs = os.path.abspath(args.output)
    for i in inputs:
        if os.path.abspath(i) == out_abs:
            print("unspin: error: --output must not be one of the inputs", file=sys.stderr)
            return 2
    opts = _options(args)
    try:  # (Settings checks this too, with the API's names for the two fields)
        check_field_names(opts, args.text_field, args.id_field, ("--text-field", "--id-field"))
    except ValueError as exc:
        print(f"unspin: error: {exc}", file=sys.stderr)
        return 2
    settings = Settings(output=args.output, options=opts, text_field=args.text_field,
                        id_field=args.id_field, drop=args.drop, workers=args.workers, chunk_size=args.chunk_size,
                        output_format=args.format, progress=args.progress, keep_text=not args.no_text)
    t0 = time.perf_counter()
    st = run_filter(inputs, settings)
    print(f"unspin filter: {summary_line(st, time.perf_counter() - t0)} -> {args.output}", file=sys.stderr)
    if st.nothing_scored():
        print(f"unspin: error: none of the {st.read} records could be scored (see unspin_error in "
              f"{args.output}); check that the inputs are what they seem and --text-field names the text",
              file=sys.stderr)
        return EXIT_NOTHING_SCORED
    return 0


CSV_COLUMNS = ("file", "score", "verdict", "findings", "tortured", "spinner", "top_findings", "error")


def _screen(args) -> int:
    from .readers import Shard, read_document
    from .run import Progress, Stats, _Pool, progress_default

    inputs = _expand(args.inputs)
    csv_out = _CsvOut(args.csv)  # before any work: a bad --csv fails now, not after the scoring
    try:
        opts = _options(args)
        items = []
        for path in inputs:
            if os.path.isdir(path):
                for it in Shard(path).items():
                    it.record["file"] = os.path.join(path, it.record["file"])
                    items.append(it)
            else:
                items.append(read_document(path, path))
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
                        row.update(score=f"{f['unspin_score']:.4f}",
                                   verdict="spun" if f["unspin_is_spun"] else "not spun",
                                   findings="" if f["unspin_findings"] is None else f["unspin_findings"],
                                   tortured="" if f.get("unspin_tortured") is None else f["unspin_tortured"],
                                   spinner=f.get("unspin_spinner") or "",
                                   top_findings="; ".join(
                                       f"{t['text']} -> {t['suggestion'] or '?'} ({t['confidence']:.2f})"
                                       for t in f.get("unspin_top_findings") or []))
                    rows.append(row)
                    total.written += 1
                prog.update(total, total.read)
        finally:
            pool.close()
            prog.finish()
        csv_out.write(rows)
    finally:
        csv_out.close()
    print(f"unspin screen: {screen_summary(total, time.perf_counter() - t0)}", file=sys.stderr)
    if total.nothing_scored():
        print(f"unspin: error: none of the {total.read} files could be scored (see the error column)",
              file=sys.stderr)
        return EXIT_NOTHING_SCORED
    return 0


def screen_summary(st, seconds: float | None = None) -> str:
    """What applies to screen: files, not lines, and nothing is dropped."""
    s = f"read {st.read} files, scored {st.read - st.errored}, errored {st.errored}, spun {st.spun}"
    if seconds:
        s += f"; {st.read / seconds:,.1f} files/s"
    return s


def _csv_text(value):
    """``value`` as UTF-8 can write it: a file name that is not UTF-8 (its bytes kept as lone
    surrogates by Python) is shown with its bytes escaped, "caf\\xe9.txt"."""
    if not isinstance(value, str):
        return value
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        pass
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        return value.encode("utf-8", "backslashreplace").decode("utf-8")


class _CsvOut:
    """The --csv destination, opened before the work (so a bad path fails at once) in append
    mode (so an existing file is not emptied if the run then fails); rows replace its content
    only at the end. A file this run created is removed again if nothing was written."""

    def __init__(self, dest: str):
        from .run import OutputError

        self.dest = dest
        self.fh = None
        self.created = False
        self.done = False
        if dest == "-":
            return
        if os.path.isdir(dest):
            raise OutputError(f"{dest} is a folder; --csv needs a file name, e.g. "
                              f"{os.path.join(dest, 'screening.csv')}")
        self.created = not os.path.exists(dest)
        try:
            self.fh = open(dest, "a", encoding="utf-8", newline="")
        except OSError as exc:
            raise OutputError(f"{dest}: cannot write ({exc.strerror or exc}); choose a --csv file in a folder "
                              "that exists and you can write to") from None

    def write(self, rows) -> None:
        from .run import OutputError

        fh = sys.stdout if self.fh is None else self.fh
        try:
            if self.fh is not None and os.path.isfile(self.dest):
                fh.seek(0)
                fh.truncate(0)  # (append mode: writes then start at the new end, 0)
            w = csv.DictWriter(fh, fieldnames=CSV_COLUMNS, extrasaction="ignore")
            w.writeheader()
            for r in rows:
                w.writerow({c: _csv_text(r.get(c, "")) for c in CSV_COLUMNS})
            fh.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:  # e.g. disk full
            raise OutputError(f"{self.dest}: cannot write ({exc.strerror or exc})") from None
        self.done = True

    def close(self) -> None:
        if self.fh is None:
            return
        try:
            self.fh.close()
        except OSError as exc:
            if self.done:  # the rows did not all reach the file
                from .run import OutputError

                raise OutputError(f"{self.dest}: cannot write ({exc.strerror or exc})") from None
        if self.created and not self.done:
            try:
                os.remove(self.dest)
            except OSError:
                pass
