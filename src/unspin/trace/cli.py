"""``unspin index | trace | learn | profiles``: registered through ``unspin.cli.EXTRA_COMMANDS``.

::

    unspin index add refs.db originals/*.txt       # files (doc id = path) or JSONL rows {"id", "text", "meta"}
    unspin index info refs.db
    unspin trace refs.db suspicious.txt [--json] [-k 5] [--restore]
    unspin learn refs.db spun_copies.jsonl --profile wordai-like
    unspin profiles [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ..inputs import EXIT_UNREADABLE, InputError, read_text
from ..profiles import user_dir

COMMANDS = ("index", "trace", "learn", "profiles")

FILE_HELP = "plain text, Markdown, HTML or PDF file, or a .jsonl file of {\"id\", \"text\"} rows; '-' reads stdin"


def add_parser(sub) -> None:
    p = sub.add_parser("index", help="build a reference index of original texts",
                       description="Build or inspect a reference index (one SQLite file).")
    isub = p.add_subparsers(dest="index_command", metavar="ACTION")
    isub.required = True
    a = isub.add_parser("add", help="add documents (idempotent per id)",
                        description="Add documents to INDEX (created if missing). A file's id is its path "
                                    "as given; JSONL rows carry 'id' and 'text' (and optional 'meta').")
    a.add_argument("index", metavar="INDEX")
    a.add_argument("files", nargs="+", metavar="FILE", help=FILE_HELP)
    a.add_argument("--quiet", "-q", action="store_true")
    a = isub.add_parser("info", help="document count, size")
    a.add_argument("index", metavar="INDEX")
    a.add_argument("--json", action="store_true")
    a = isub.add_parser("remove", help="remove documents by id")
    a.add_argument("index", metavar="INDEX")
    a.add_argument("ids", nargs="+", metavar="ID")

    p = sub.add_parser("trace", help="find the source of a (spun) copy in an index",
                       description="Find the documents in INDEX that FILE most likely copies, and show "
                                   "word by word what was changed against the best one.")
    p.add_argument("index", metavar="INDEX")
    p.add_argument("file", metavar="FILE", help="plain text, Markdown, HTML or PDF file; '-' reads stdin")
    p.add_argument("-k", type=int, default=5, help="number of candidate sources to list (default 5)")
    p.add_argument("--json", action="store_true", help="matches, alignment edits and restored text as JSON")
    p.add_argument("--restore", action="store_true", help="print the text with the source's wording put back")
    p.add_argument("--max-edits", type=int, default=50, metavar="N", help="edits to show (default 50, 0 = all)")

    p = sub.add_parser("learn", help="learn a spinner profile from spun copies traced in an index",
                       description="Trace each spun copy to its source in INDEX, align them and add the "
                                   "substitutions to a user spinner profile (created or extended).")
    p.add_argument("index", metavar="INDEX")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="spun copies: text files, or JSONL rows with 'text' (or 'spun'/'spun_text') and "
                        "optional 'id' and 'source_id'")
    p.add_argument("--profile", required=True, metavar="NAME", help="profile to create or extend")
    p.add_argument("--replace", action="store_true", help="start the profile afresh instead of extending it")
    p.add_argument("--min-score", type=float, default=None, metavar="S",
                   help="least trace score to accept a source (default 0.3)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("profiles", help="list spinner profiles (built-in and learned)",
                       description="List spinner profiles: built-in ones and those made by 'unspin learn'.")
    p.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    return {"index": _index, "trace": _trace, "learn": _learn, "profiles": _profiles}[args.command](args)


# --------------------------------------------------------------------------- helpers


def _out(s: str) -> None:
    sys.stdout.write(s if s.endswith("\n") else s + "\n")
    sys.stdout.flush()


def _err(s: str) -> None:
    sys.stderr.write(f"unspin: {s}\n")
    sys.stderr.flush()


def _records(path: str, text_keys=("text",)):
    """Yield (id, text, meta, source_id) from a JSONL file or (path, text, None, None) from a document."""
    if path != "-" and path.lower().endswith((".jsonl", ".ndjson")):
        p = Path(path)
        if not p.exists():
            raise InputError(f"{path}: no such file", 4)
        try:
            fh = open(p, encoding="utf-8-sig")  # (Windows editors start the file with a BOM)
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror}", EXIT_UNREADABLE) from None
        with fh:
            try:
                yield from _jsonl_rows(path, fh, text_keys)
            except UnicodeDecodeError as exc:
                raise InputError(f"{path}: not UTF-8 ({exc.reason}); save the file as UTF-8", EXIT_UNREADABLE) from None
    else:
        doc = read_text(path)
        yield doc.source, doc.text, {"kind": doc.kind}, None


def _jsonl_rows(path: str, lines, text_keys):
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise InputError(f"{path}:{n}: not valid JSON", EXIT_UNREADABLE) from None
        if not isinstance(row, dict):
            raise InputError(f"{path}:{n}: not a JSON object (expected {{\"id\": ..., \"text\": ...}})",
                             EXIT_UNREADABLE)
        text = next((row[k] for k in text_keys if isinstance(row.get(k), str) and row.get(k)), None)
        if text is None:
            raise InputError(f"{path}:{n}: no {' or '.join(repr(k) for k in text_keys)} field", EXIT_UNREADABLE)
        rid = row.get("id")
        if rid is None:  # absent or null: two null ids must not replace each other
            rid = row.get("doc_id")
        if rid is None:
            rid = f"{path}:{n}"
        source_id = row.get("source_id")
        if source_id is not None:
            if isinstance(source_id, bool) or not isinstance(source_id, (str, int)):
                # (a list or object is no id: it reached the database and ended in an internal error)
                raise InputError(f"{path}:{n}: 'source_id' must be a document id (a string), "
                                 f"not {type(source_id).__name__}", EXIT_UNREADABLE)
            source_id = str(source_id)  # ids are stored as strings
        yield str(rid), text, row.get("meta"), source_id


def _open(path: str, readonly: bool = True):
    from .index import Index

    return Index.open(path, readonly=readonly)


# --------------------------------------------------------------------------- commands


def _index(args) -> int:
    from .index import Index

    if args.index_command == "add":
        ix = Index.create(args.index, exist_ok=True)
        t0 = time.perf_counter()
        total = added = 0

        def gen():
            nonlocal total
            # hash(id) -> hash(text) << 64 | file number << 40 | row where it was first given: one
            # int per record (strings and tuples took ~270 MB per million ids)
            first: dict[int, int] = {}

            def where(k: int, row: int, rid: str) -> str:
                f = args.files[k]
                return f if rid == f else f"{f} row {row}"

            for k, f in enumerate(args.files):
                for row, (rid, text, meta, _) in enumerate(_records(f), 1):
                    total += 1
                    h = hash(text) & 0xFFFFFFFFFFFFFFFF
                    seen = first.setdefault(hash(rid), h << 64 | k << 40 | row)
                    if seen >> 64 != h:
                        # the later text replaces the earlier one: say so, or a document is lost unseen
                        _err(f"warning: id {rid!r} is given twice with different texts "
                             f"({where(seen >> 40 & 0xFFFFFF, seen & 0xFFFFFFFFFF, rid)}, {where(k, row, rid)}); "
                             "the later one replaces the earlier in the index")
                    yield rid, text, meta

        try:
            added = ix.add_many(gen())
        except ValueError as exc:
            raise InputError(str(exc), EXIT_UNREADABLE) from None
        finally:
            n = len(ix)
            ix.close()
        if not args.quiet:
            dt = time.perf_counter() - t0
            _out(f"{args.index}: {added} of {total} documents added or updated "
                 f"({total - added} unchanged) in {dt:.1f} s; {n} documents in the index")
        return 0
    if args.index_command == "info":
        with _open(args.index) as ix:
            st = ix.stats()
        if args.json:
            _out(json.dumps(st))
        else:
            _out(f"{st['path']}: {st['documents']} documents, {st['words']} words, {st['terms']} features, "
                 f"{st['bytes'] / 1e6:.1f} MB")
        return 0
    if args.index_command == "remove":
        with _open(args.index, readonly=False) as ix:
            gone = sum(ix.remove(i) for i in args.ids)
        _out(f"{args.index}: removed {gone} of {len(args.ids)}")
        return 0 if gone == len(args.ids) else 1
    return 2  # pragma: no cover


def _line_col(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"{line}:{col}"


def _one_line(s: str) -> str:
    return " ".join(s.split())


def _trace(args) -> int:
    from .align import align
    from .search import SOURCE_MIN_SCORE

    if args.k < 1:
        raise InputError("-k must be at least 1", 2)
    if args.max_edits < 0:
        raise InputError("--max-edits must be 0 (all) or more", 2)
    doc = read_text(args.file)
    with _open(args.index) as ix:
        t0 = time.perf_counter()
        hits = ix.search(doc.text, k=args.k)
        ms = (time.perf_counter() - t0) * 1000
        best = hits[0] if hits else None
        # as check(index=...): a weaker top match is no source, and aligning with it rewrites the
        # text into an unrelated document
        src = ix.get(best.doc_id) if best and best.score >= SOURCE_MIN_SCORE else None
    al = align(doc.text, src) if src is not None else None
    if args.json:
        out = {"file": doc.source, "matches": [m.to_dict() for m in hits], "milliseconds": round(ms, 1),
               "alignment": al.to_dict() if al else None, "restored": al.restored if al else None}
        _out(json.dumps(out, ensure_ascii=False))
        return 0
    if args.restore:
        if al is None:
            _err("no source found; printing the text unchanged")
            _out(doc.text)
        else:
            _out(al.restored)
        return 0
    if not hits:
        _out(f"{doc.source}: no candidate source in {args.index}")
        return 0
    if al is None:
        _out(f"{doc.source}: no source in {args.index} (best match {best.doc_id} covers {best.score:.2f} of the "
             f"words; a source needs {SOURCE_MIN_SCORE:.2f})")
        return 0
    _out(f"{doc.source}: {len(hits)} candidate source{'s' if len(hits) != 1 else ''} ({ms:.0f} ms)")
    for i, m in enumerate(hits, 1):
        _out(f"  {i}. {m.doc_id}  score {m.score:.2f}")
    subs = [e for e in al.edits if not e.edge]
    _out(f"alignment with {best.doc_id}: {al.coverage:.0%} of the words unchanged, {len(subs)} edits"
         + (f" (+{len(al.edits) - len(subs)} at the edges)" if len(al.edits) > len(subs) else ""))
    shown = subs if args.max_edits == 0 else subs[:args.max_edits]
    for e in shown:
        _out(f"  {_line_col(doc.text, e.spun_start):>7}  {e.op:<7} \"{_one_line(e.spun)}\" -> \"{_one_line(e.source)}\"")
    if len(shown) < len(subs):
        _out(f"  ... and {len(subs) - len(shown)} more (--max-edits 0 shows all, --json gives everything)")
    return 0


def _learn(args) -> int:
    from . import learn as L

    try:
        L.check_name(args.profile)
    except ValueError as exc:
        raise InputError(str(exc), 2) from None
    if not args.replace:  # the profile is extended: a damaged one is said before any tracing
        try:
            L.load_learned(args.profile)
        except L.DamagedProfile as exc:
            raise InputError(f"{exc}; add --replace to learn it afresh", EXIT_UNREADABLE) from None
    recs = []
    for f in args.files:
        for rid, text, _meta, source_id in _records(f, ("text", "spun", "spun_text")):
            recs.append((rid, text, source_id))
    if not recs:  # not "none of the 0 copies could be traced": there was nothing to trace
        raise InputError(f"{', '.join(args.files)}: no spun copies to learn from (no JSONL rows)", EXIT_UNREADABLE)
    kw = {} if args.min_score is None else {"min_score": args.min_score}
    with _open(args.index) as ix:
        prof, traced = L.learn(ix, recs, args.profile, source=f"unspin learn {args.index}",
                               extend=not args.replace, **kw)
    found = [t for t in traced if t.doc_id]
    if not found:
        _err(f"none of the {len(traced)} copies could be traced to a source in {args.index}; profile not saved")
        return 1
    path = L.save(prof)
    if args.json:
        _out(json.dumps({"profile": prof.name, "path": str(path), "entries": len(prof), "pairs": prof.pairs,
                         "traced": [t.__dict__ for t in traced]}, ensure_ascii=False))
        return 0
    for t in traced:
        _out(f"  {t.id}: " + (f"source {t.doc_id} (score {t.score:.2f})" if t.doc_id else
                              f"no source (best score {t.score:.2f})"))
    _out(f"profile {prof.name!r}: {len(prof)} entries from {prof.pairs} pairs, saved to {path}")
    return 0


def _profiles(args) -> int:
    from . import learn as L

    rows = L.listing()
    if args.json:
        _out(json.dumps(rows))
        return 0
    if not rows:
        _out("no spinner profiles")
        return 0
    w = max(len(r["name"]) for r in rows)
    for r in rows:
        where = r["path"] or "(shipped with unspin)"
        _out(f"{r['name']:<{w}}  {r['kind']:<8}  {r['entries']:>6} entries  {r['pairs']:>4} pairs  "
             f"{r['words']:>7} words  {where}" + (f"  [{r['source']}]" if r["source"] else ""))
    _out(f"user profiles: {user_dir()}")
    return 0
