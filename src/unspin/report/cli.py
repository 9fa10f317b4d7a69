"""``unspin report`` and ``unspin serve``: explain a check to a person.

``unspin report FILE -o report.html`` writes a self-contained HTML page (or
Markdown with ``--format md`` / an ``.md`` output name).  ``unspin serve``
starts the local web app and JSON API (:mod:`unspin.server`) on
http://127.0.0.1:8000; it needs the optional ``serve`` extra
(``pip install 'unspin[serve]'``).

Exit codes are those of ``unspin check`` (see ``unspin --help``); in addition
``unspin serve`` exits with 2 when the ``serve`` extra is not installed or the
address is in use, and with 3 when ``--index`` cannot be opened.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from typing import Any

COMMANDS = ("report", "serve")

EXIT_MISSING_EXTRA = 2
SERVE_EXTRA_HINT = "pip install 'unspin[serve]'"


# --------------------------------------------------------------------------- shared with unspin.server


def trace_available() -> bool:
    """Is the trace feature (``unspin.trace``, issue 3) installed?"""
    try:
        return importlib.util.find_spec("unspin.trace") is not None
    except (ImportError, ValueError):
        return False


class IndexUnavailable(RuntimeError):
    """``--index`` was given but the trace feature is missing or the index cannot be opened."""


def open_index(path: str) -> Any:
    """Open a trace index read-only-ish via ``unspin.Index.open`` (or ``unspin.trace.Index.open``)."""
    if not trace_available():
        raise IndexUnavailable("--index needs the trace feature (unspin.trace), which this installation lacks")
    if not os.path.exists(path):
        raise IndexUnavailable(f"{path}: no such index; create one with 'unspin index add {path} FILES...'")
    import unspin
    import unspin.trace as trace

    index_cls = getattr(unspin, "Index", None) or getattr(trace, "Index", None)
    if index_cls is None or not hasattr(index_cls, "open"):
        raise IndexUnavailable("unspin.trace has no Index.open(); this version cannot search an index")
    try:
        try:
            return index_cls.open(path, readonly=True)
        except TypeError:  # an Index.open without the readonly option
            return index_cls.open(path)
    except Exception as exc:  # the trace module's own error types
        raise IndexUnavailable(f"{path}: cannot open index ({exc})") from None


def run_check(text: str, *, threshold: float | None = None, profile: str | None = "auto", index: Any = None,
              **mlm: Any):
    """``unspin.check`` with ``index=`` (and ``mlm=``) passed only when in use."""
    import unspin

    if index is not None:
        return unspin.check(text, threshold=threshold, profile=profile, index=index, **mlm)
    return unspin.check(text, threshold=threshold, profile=profile, **mlm)


# --------------------------------------------------------------------------- parsers


def _size(value: str) -> int:
    v = value.strip().upper().replace(" ", "")
    mult = 1
    for suffix, m in (("KB", 1024), ("MB", 1024 ** 2), ("K", 1024), ("M", 1024 ** 2), ("B", 1)):
        if v.endswith(suffix):
            v, mult = v[: -len(suffix)], m
            break
    try:
        n = int(float(v) * mult)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a size such as 2MB or 500KB, not {value!r}") from None
    if n <= 0:
        raise argparse.ArgumentTypeError("size must be positive")
    return n


def _positive(kind):
    def parse(value: str):
        try:
            n = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive number, not {value!r}") from None
        if n <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive number, not {value!r}")
        return n

    return parse


def _port(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, not {value!r}") from None
    if not 0 <= n <= 65535:
        raise argparse.ArgumentTypeError("port must be 0-65535")
    return n


def add_parser(subparsers: Any) -> None:
    from unspin.cli import EPILOG, profile_options

    file_help = "plain text, Markdown, HTML or PDF file; '-' (or no FILE, with text piped in) reads stdin"
    p = subparsers.add_parser(
        "report", help="write a self-contained HTML (or Markdown) report for a text",
        description="Check FILE and write a report a person can read: highlights by confidence, suggestions, "
                    "the restored text side by side. The HTML page is self-contained and works offline.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", nargs="?", metavar="FILE", help=file_help)
    p.add_argument("--example", action="store_true", help="report on the bundled spun example article")
    p.add_argument("-o", "--output", metavar="OUT", help="write to OUT instead of stdout")
    p.add_argument("--format", choices=("html", "md"), default=None,
                   help="html (default) or md; default follows OUT's extension")
    profile_options(p)  # --threshold, --profile, --no-profile: the same as check's
    from unspin.cli import _mlm_options

    _mlm_options(p)
    p.add_argument("--index", metavar="PATH", help="trace index: also show the likely source and its alignment")

    p = subparsers.add_parser(
        "serve", help="local web app and JSON API (needs the 'serve' extra)",
        description="Serve the report view (paste or upload TXT/HTML/PDF) and a JSON API: POST /v1/check, "
                    "/v1/restore, /v1/trace (with --index), GET /healthz, OpenAPI at /openapi.json. "
                    "Listens on loopback only unless --host says otherwise. Set UNSPIN_API_KEY to require "
                    "that key (header 'X-API-Key' or 'Authorization: Bearer KEY').",
        epilog="exit codes: 0 stopped normally; 2 usage error, the 'serve' extra is missing "
               f"({SERVE_EXTRA_HINT}) or the port is in use; 3 --index cannot be opened",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, loopback only)")
    p.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    p.add_argument("--index", metavar="PATH", help="trace index for /v1/trace and the source view")
    from unspin.cli import mlm_weight

    p.add_argument("--mlm", metavar="DIR", help="re-score findings with this local BERT masked LM (unspin.mlm; "
                   "each worker loads it)")
    p.add_argument("--mlm-weight", type=mlm_weight, default=None, metavar="W", help="its evidence weight, >= 0 (default 0.5)")
    p.add_argument("--max-body", type=_size, default=None, metavar="SIZE",
                   help="largest request body, e.g. 5MB (default 5MB)")
    p.add_argument("--max-words", type=_positive(int), default=None, metavar="N",
                   help="longest document in words (default 20000)")
    p.add_argument("--timeout", type=_positive(float), default=None, metavar="SECONDS",
                   help="per-request time limit for checking (default 30)")
    p.add_argument("--workers", type=_positive(int), default=None, metavar="N",
                   help="worker processes (default: the usable cores, at most 2; each loads the models, ~200 MB)")
    p.add_argument("--cache", type=int, default=None, metavar="N",
                   help="remember the last N reports per worker (default 256, 0 = off)")


# --------------------------------------------------------------------------- run


def run(args: argparse.Namespace) -> int:
    if args.command == "report":
        return _report(args)
    return _serve(args)


def _err(msg: str) -> None:
    sys.stderr.write(f"unspin: error: {msg}\n")
    sys.stderr.flush()


def _report(args: argparse.Namespace) -> int:
    from unspin.cli import _load, _load_example, first_run_notice, stdin_by_default

    stdin_by_default(args)
    if args.example and args.file:
        _err("report: give either FILE or --example, not both")
        return 2
    if not args.example and not args.file:
        _err("report: give a FILE, '-' for stdin, or --example")
        return 2
    if _same_file(args.output, None if args.example else args.file):
        # `unspin report article.txt -o article.txt` would replace the text with its report
        _err(f"report: -o {args.output} is the input file; writing the report there would destroy the text; "
             "give another output name (e.g. report.html)")
        return 2
    fmt = args.format
    if fmt is None:
        fmt = "md" if (args.output or "").lower().endswith((".md", ".markdown")) else "html"
    index = None
    if args.index:
        try:
            index = open_index(args.index)
        except IndexUnavailable as exc:
            _err(str(exc))
            return 3
    from unspin.cli import _mlm_kwargs, _warn, profile_kwargs, truncation_note

    if args.format is None and args.output and not args.output.lower().endswith((".md", ".markdown", ".html", ".htm")):
        _warn(f"writing an HTML report to {args.output} (unspin writes HTML, or Markdown with --format md "
              "or an .md name; no other format)")

    mlm = _mlm_kwargs(args)  # a model folder or profile that cannot be used fails before the input is read
    judge = profile_kwargs(args)
    doc = _load_example() if args.example else _load(args.file)
    first_run_notice()
    report = run_check(doc.text, **judge, index=index, **mlm)
    name = os.path.basename(doc.source) if doc.source not in ("<stdin>", "<bytes>") else None
    if name:  # a file name that is not valid UTF-8 (bytes kept as surrogates) cannot go into a UTF-8 page
        name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if fmt == "md":
        from .markdown import render_markdown

        out = render_markdown(report, doc.text, source_name=name)
    else:
        from .html import render_html

        out = render_html(report, doc.text, source_name=name)
    note = truncation_note(report, "checked", "the report covers those alone", "report")
    if note:
        _warn(note)
        out = with_note(out, note, fmt)
    if args.output and args.output != "-":
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(out)
        except OSError as exc:
            _err(f"{args.output}: cannot write ({exc.strerror or exc})")
            return 3
        sys.stderr.write(f"unspin: wrote {args.output} ({'spun' if report.is_spun else 'not spun'}, "
                         f"score {report.score:.2f}, {len(report.findings)} findings)\n")
    else:
        from unspin.cli import _write

        _write(out)
    return 0


def _same_file(output: str | None, source: str | None) -> bool:
    """Is ``output`` (``-o``) the very file ``source`` (FILE) names, under any spelling or link?"""
    if not output or output == "-" or not source or source == "-":
        return False
    try:
        return os.path.samefile(output, source)
    except (OSError, ValueError):  # either does not exist (yet): not the same file
        return False


def with_note(out: str, note: str, fmt: str) -> str:
    """``out`` (a rendered report) with a warning placed where a reader sees it first.

    The renderers know nothing of an input cut at the word limit (it is only in the
    features table), so the note goes in here: in Markdown under the title, in HTML before
    the summary's closing note, else at the top of the report. Unknown layouts keep ``out``
    unchanged; the warning on stderr still says it.
    """
    if fmt == "md":
        title, sep, rest = out.partition("\n")
        return f"{title}\n\n> **Warning:** {note}.\n\n{rest.lstrip(chr(10))}" if sep else out
    import html

    para = f'<p class="score-note" role="alert"><strong>Warning:</strong> {html.escape(note)}.</p>'
    for anchor, before in (('<p class="score-note', True), ('<main id="report" class="report">', False)):
        i = out.find(anchor)
        if i >= 0:
            at = i if before else i + len(anchor)
            return out[:at] + para + out[at:]
    return out


def serve_extra_missing() -> str | None:
    """Name of the first missing package of the ``serve`` extra, or None."""
    for mod in ("fastapi", "uvicorn", "multipart"):
        if importlib.util.find_spec(mod) is None:
            return {"multipart": "python-multipart"}.get(mod, mod)
    return None


def _serve(args: argparse.Namespace) -> int:
    missing = serve_extra_missing()
    if missing:
        _err(f"'unspin serve' needs the optional web dependencies ({missing} is not installed); "
             f"run: {SERVE_EXTRA_HINT}")
        return EXIT_MISSING_EXTRA
    if args.mlm is None and args.mlm_weight is not None:
        _err("--mlm-weight needs --mlm DIR (the masked LM it weighs)")
        return 2
    from unspin import server

    return server.serve(host=args.host, port=args.port, index=args.index, max_body=args.max_body,
                        max_words=args.max_words, timeout=args.timeout, workers=args.workers, cache=args.cache,
                        mlm=args.mlm, mlm_weight=args.mlm_weight)
