"""The ``unspin`` command: check, restore and spin text from files or stdin.

Mirrors the Python API (:func:`unspin.check`, :func:`unspin.restore`,
:func:`unspin.spin`); ``unspin bench`` runs the benchmark suite.  Exit codes
are listed in :mod:`unspin.inputs` and in ``unspin --help``.

>>> main(["--version"])  # doctest: +ELLIPSIS
unspin ...
0
"""
from __future__ import annotations

import argparse
import bisect
import json
import math
import os
import sys
from typing import Any, Sequence

from .inputs import Document, InputError, read_text

PROG = "unspin"
EXAMPLE_NAME = "examples/spun_article.txt"

EPILOG = """\
exit codes:
  0    success (for check: whether or not the text is spun)
  1    check --fail-on-spun and the text was judged spun
  2    usage error (bad option or value)
  3    input unreadable: binary, undecodable, empty, too large,
       PDF without a text layer, directory, permission denied
  4    input file not found
  70   internal error (a bug: please report it; UNSPIN_DEBUG=1 shows the traceback)
  130  interrupted (Ctrl-C)

FILE may be plain text (any encoding), Markdown, HTML or PDF; '-' reads stdin.
examples:
  unspin check --example            check the bundled spun news article
  unspin check article.txt --json   machine-readable report
  unspin restore article.html > restored.txt
  unspin spin clean.txt --rate 0.3 --seed 1
"""


# --------------------------------------------------------------------------- argument types


def unit_float(name: str):
    def parse(value: str) -> float:
        try:
            x = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number between 0 and 1, not {value!r}") from None
        if not (0.0 <= x <= 1.0) or math.isnan(x):
            raise argparse.ArgumentTypeError(f"{name} must be between 0 and 1, not {value}")
        return x

    return parse


def _int_at_least(minimum: int):
    def parse(value: str) -> int:
        try:
            n = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, not {value!r}") from None
        if n < minimum:
            raise argparse.ArgumentTypeError(f"expected {minimum} or more, not {value}")
        return n

    return parse


#: argparse types shared by every subcommand (corpus, report, trace use them too).
non_negative_int = _int_at_least(0)
positive_int = _int_at_least(1)


def _known_styles() -> tuple[str, ...] | None:
    """Spinner styles offered by :mod:`unspin.spin`, if it publishes a list."""
    import importlib

    try:
        spin_mod = importlib.import_module("unspin.spin")
    except ImportError:
        return None
    for attr in ("STYLES", "SPIN_STYLES", "styles"):
        styles = getattr(spin_mod, attr, None)
        if callable(styles):
            try:
                styles = styles()
            except Exception:
                styles = None
        if isinstance(styles, (list, tuple, set, frozenset, dict)) and styles:
            return tuple(sorted(str(s) for s in styles))
    return None


def _style_help() -> str:
    styles = _known_styles()
    listed = f": {', '.join(styles)}" if styles else ""
    return f"spinner style{listed} (default: dictionary)"


def _style(value: str) -> str:
    styles = _known_styles()
    if styles is not None and value not in styles:
        raise argparse.ArgumentTypeError(f"unknown style {value!r} (choose from {', '.join(styles)})")
    return value


# --------------------------------------------------------------------------- parser


def profile_options(p: argparse.ArgumentParser) -> None:
    """``--threshold``, ``--profile`` and ``--no-profile``: how a text is judged (check, restore, report).

    ``--profile`` and ``--no-profile`` contradict each other; argparse refuses the pair (exit 2)
    rather than letting one silently win. ``--profile`` defaults to None, not "auto", so that
    ``--profile auto --no-profile`` is caught too and the restore hint knows what was typed.
    """
    p.add_argument("--threshold", type=unit_float("threshold"), metavar="T",
                   help="decision threshold on the score, 0-1 (default: the calibrated one)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--profile", metavar="NAME_OR_FILE", default=None,
                       help="spinner profile: a built-in name, a profile JSON file, or 'auto' (all built-in; "
                            "default)")
    which.add_argument("--no-profile", action="store_true",
                       help="ignore known spinner profiles; use only the thesaurus and language model")


def profile_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """``threshold``/``profile`` for unspin.check from :func:`profile_options`; a profile file
    that cannot be used is an input error, reported before the text is read."""
    profile = None if args.no_profile else _profile_arg(args.profile or "auto")
    return {"threshold": args.threshold, "profile": profile}


def _mlm_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mlm", metavar="DIR",
                   help="re-score the findings with a BERT masked language model you have locally (a Hugging Face "
                        "folder with config.json, model.safetensors and tokenizer.json or vocab.txt, e.g. SciBERT); "
                        "needs pip install 'unspin[mlm]'; nothing is downloaded")
    p.add_argument("--mlm-weight", type=mlm_weight, default=None, metavar="W",
                   help="weight of the masked LM's evidence in a finding's log-odds, >= 0 (default 0.5)")


def mlm_weight(value: str) -> float:
    """``--mlm-weight``: a finite number >= 0 (:func:`unspin.mlm.check_weight`)."""
    from .mlm import check_weight

    try:
        return check_weight(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _mlm_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """``mlm``/``mlm_weight`` for unspin.check from ``--mlm``/``--mlm-weight`` (none without
    ``--mlm``); a model folder that cannot be used is an input error, reported before any work."""
    if args.mlm is None:
        if getattr(args, "mlm_weight", None) is not None:
            raise InputError("--mlm-weight needs --mlm DIR (the masked LM it weighs)", exit_code=2)
        return {}
    from .mlm import MLMError, load

    try:
        return {"mlm": load(args.mlm), "mlm_weight": args.mlm_weight}
    except MLMError as exc:
        raise InputError(f"--mlm: {exc}", exit_code=3 if os.path.isdir(args.mlm) else 4) from None


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Detect, localize and reverse article spinning (synonym-swapped copied text).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    file_help = "plain text, Markdown, HTML or PDF file; '-' (or no FILE, with text piped in) reads stdin"

    p = sub.add_parser("check", help="score a text for spinning and list suspicious spans",
                       description="Score FILE for spinning, list suspicious spans and suggest the original words.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", nargs="?", metavar="FILE", help=file_help)
    p.add_argument("--example", action="store_true", help="check the bundled spun example article instead of FILE")
    p.add_argument("--json", action="store_true", help="print the full report as JSON (all findings)")
    profile_options(p)
    p.add_argument("--max-findings", type=non_negative_int, default=50, metavar="N",
                   help="show at most N findings in the human output (default 50, 0 = all)")
    p.add_argument("--fail-on-spun", action="store_true", help="exit with status 1 when the text is judged spun")
    _mlm_options(p)

    p = sub.add_parser("restore", help="print the text with suspected substitutions reversed",
                       description="Print FILE with suspected spinner substitutions replaced by the likely original "
                                   "words.", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", nargs="?", metavar="FILE", help=file_help)
    p.add_argument("--example", action="store_true", help="restore the bundled spun example article instead of FILE")
    profile_options(p)
    _mlm_options(p)

    p = sub.add_parser("spin", help="spin a text synthetically (for testing detectors)",
                       description="Spin FILE synthetically, e.g. to build test data with a known answer.")
    p.add_argument("file", metavar="FILE", help=file_help)
    p.add_argument("--rate", type=unit_float("rate"), default=0.3,
                   help="share of eligible words to replace, 0-1 (default 0.3)")
    p.add_argument("--style", type=_style, default="dictionary", metavar="STYLE", help=_style_help())
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--json", action="store_true", help="print JSON with the spun text and the gold edits")

    for mod in _extra_commands():
        mod.add_parser(sub)

    p = sub.add_parser("bench", help="run the benchmarks (arguments are passed through)", add_help=False,
                       description="Run the unspin benchmarks; see 'unspin bench --help'.")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the benchmark runner")
    return parser


#: Modules that add subcommands: each has ``add_parser(subparsers)`` (whose parser sets
#: ``command``) and ``run(args) -> int``. Capabilities register themselves here so this
#: file does not grow with every feature.
EXTRA_COMMANDS: tuple[str, ...] = ("unspin.trace.cli", "unspin.report.cli", "unspin.corpus.cli")


def _extra_commands():
    import importlib

    return [importlib.import_module(name) for name in EXTRA_COMMANDS]


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``unspin`` command; returns the process exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "bench":  # pass everything through untouched, even --help
            return _bench(argv[1:])
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
            return _dispatch(parser, args)
        except SystemExit as exc:  # --help, --version, usage errors (parser.error)
            return _exit_status(exc.code)
    except InputError as exc:
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        try:
            sys.stderr.write("\n")
        except Exception:
            pass
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except MemoryError:
        _error("out of memory; give unspin a smaller input (split it into parts)")
        return 3
    except OSError as exc:  # e.g. permission denied or an I/O error half-way through a file
        if isinstance(exc, FileNotFoundError) and getattr(exc, "filename", None):
            _error(f"no such file or directory: {exc.filename}")
            return 4
        if getattr(exc, "filename", None):
            _error(f"{exc.strerror or exc}: {exc.filename}; check the path and its permissions, then run again")
        else:
            _error(f"{exc.strerror or exc}")
        return 3
    except Exception as exc:  # a bug: say so in one line, keep the traceback for a report
        if os.environ.get("UNSPIN_DEBUG"):
            raise
        _error(f"internal error ({type(exc).__name__}: {exc}); this is a bug in unspin: please report it "
               "with the command you ran (set UNSPIN_DEBUG=1 to see the traceback)")
        return EXIT_INTERNAL


#: Exit status for an unexpected internal error (EX_SOFTWARE in sysexits.h).
EXIT_INTERNAL = 70


def _profile_arg(value: str):
    """'auto', a built-in or learned (``unspin learn``) profile name, or a path to a profile
    saved with Profile.save. The user profiles it stands for are read here, so that a damaged
    one is an input error (exit 3) naming the file, not an internal error in the engine."""
    from .profiles import Profile, builtin_names, user_names

    if value == "auto":
        for name in user_names():  # "auto" uses every learned profile
            _user_profile_readable(name)
        return value
    if value in user_names():  # a learned profile shadows a built-in one of the same name
        _user_profile_readable(value)
        return value
    if value in builtin_names():
        return value
    try:
        return Profile.load(value)
    except FileNotFoundError:
        learned = ", ".join(user_names())
        raise InputError(f"no spinner profile {value!r}: not a built-in one ({', '.join(builtin_names())})"
                         + (f", not a learned one ({learned})" if learned else "")
                         + " and no such file; 'unspin profiles' lists them", exit_code=4) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{value} is not a spinner profile file ({exc}); make one with unspin.profiles.learn_profile",
                         exit_code=3) from None


def _user_profile_readable(name: str) -> None:
    """Raise an InputError (exit 3) if the learned profile ``name`` cannot be read."""
    from .profiles import DamagedProfile, load_learned

    try:
        load_learned(name)
    except DamagedProfile as exc:
        raise InputError(f"{exc}; delete or fix that file, or leave it out with --profile NAME or --no-profile",
                         exit_code=3) from None


def _exit_status(code: Any) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    return 1


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.command == "bench":  # only reached via e.g. "unspin --x bench"; normally handled in main
        return _bench(args.args)
    for mod in _extra_commands():
        if getattr(mod, "COMMANDS", ()) and args.command in mod.COMMANDS:
            return mod.run(args)
    if args.command in ("check", "restore"):
        stdin_by_default(args)
        if args.example and args.file:
            parser.error(f"{args.command}: give either FILE or --example, not both")
        if not args.example and not args.file:
            parser.error(f"{args.command}: give a FILE, '-' for stdin, or --example")
    judged = args.command in ("check", "restore")
    mlm = _mlm_kwargs(args) if judged else {}  # a bad model folder or profile fails before the input is read
    judge = profile_kwargs(args) if judged else {}
    doc = _load_example() if getattr(args, "example", False) else _load(args.file)
    if judged:
        first_run_notice()

    import unspin

    if args.command == "check":
        report = unspin.check(doc.text, **judge, **mlm)
        if args.json:
            _write(json.dumps(report.to_dict()) + "\n")
        else:
            _write(format_report(report, doc, max_findings=args.max_findings, color=_use_color(sys.stdout),
                                 restore_hint=_restore_hint(args)))
        return 1 if (args.fail_on_spun and report.is_spun) else 0

    if args.command == "restore":
        # unspin.check rather than unspin.restore (= check(...).restored): the report also
        # says whether the input was cut at the word limit, which must not pass unnoticed.
        report = unspin.check(doc.text, **judge, **mlm)
        note = truncation_note(report, "restored", "the rest is printed unchanged", "restore")
        if note:
            _warn(note)
        restored = report.restored
        # end with a line break, in the text's own style (a CRLF file stays CRLF)
        _write(restored if restored.endswith("\n") else restored + ("\r\n" if "\r\n" in restored else "\n"))
        return 0

    if args.command == "spin":
        try:
            result = _spin_api()(doc.text, rate=args.rate, style=args.style, seed=args.seed)
        except (ValueError, KeyError) as exc:
            # Styles could not be validated up front (unspin.spin publishes no list):
            # an error that names the style is a usage error, anything else a bug.
            if _known_styles() is None and ("style" in str(exc).lower() or args.style in str(exc)):
                parser.error(f"argument --style: {exc.args[0] if exc.args else exc}")
            raise
        if not result.edits and args.rate > 0:  # not silently the input back
            _warn(f"nothing was spun: style {args.style!r} found no word it can replace in this text"
                  + (" at this rate (try a higher --rate)" if args.rate < 1 else ""))
        if args.json:
            _write(json.dumps(result.to_dict()) + "\n")
        else:
            text = result.text
            _write(text if text.endswith("\n") else text + "\n")
        return 0

    parser.error(f"unknown command {args.command!r}")  # pragma: no cover - argparse rejects it first
    return 2  # pragma: no cover


def _spin_api():
    """``unspin.spin``, the function.

    Importing the ``unspin.spin`` submodule rebinds the package attribute
    ``unspin.spin`` to the module, so after the first call it may be the
    module rather than the function; accept either.
    """
    import types

    import unspin

    fn = unspin.spin
    if isinstance(fn, types.ModuleType):
        fn = fn.spin
    return fn


def _bench(argv: list[str]) -> int:
    try:
        from . import bench
    except ImportError as exc:
        if exc.name and exc.name.startswith("unspin.bench"):
            _error("the benchmark suite (unspin.bench) is not part of this installation; "
                   "run 'unspin bench' from a source checkout")
            return 2
        raise
    try:
        status = bench.main(list(argv))
    except SystemExit as exc:  # --help and usage errors of the sub-benchmarks' parsers
        status = exc.code
    return _exit_status(status)


def first_run_notice() -> None:
    """At a terminal, say why the first run on a machine is slower (the language model is
    decoded into a cache once, a few seconds); in pipes and CI nothing is printed."""
    if not _isatty(sys.stderr):
        return
    try:
        from .lm_trie import cache_ready

        if not cache_ready():
            sys.stderr.write(f"{PROG}: preparing the language model for this machine "
                             "(once: a few seconds; later runs start in about 1 s)\n")
            sys.stderr.flush()
    except Exception:  # a notice must never stop the command (e.g. pocketsphinx missing: said later)
        pass


def stdin_by_default(args: argparse.Namespace) -> None:
    """No FILE and no --example, with text piped in (``cat a.txt | unspin check``):
    read stdin, as ftfy and most filters do. At a terminal the usage error stays, so
    a bare ``unspin check`` does not sit waiting for typed input."""
    # (an empty FILE, e.g. an unset "$FILE", is a usage error, not a request for stdin)
    if args.file is None and not getattr(args, "example", False) and sys.stdin is not None \
            and not _isatty(sys.stdin):
        args.file = "-"


def _load(path: str) -> Document:
    if path == "-" and sys.stdin is not None and _isatty(sys.stdin):
        sys.stderr.write(f"{PROG}: reading text from stdin; finish with Ctrl-D (Ctrl-Z Enter on Windows)\n")
        sys.stderr.flush()
    return read_text(path)


def _load_example() -> Document:
    from importlib.resources import files

    data = files("unspin").joinpath("examples").joinpath("spun_article.txt").read_bytes()
    return read_text(data, name=EXAMPLE_NAME)


# --------------------------------------------------------------------------- output


_COLORS = {"red": "31", "green": "32", "yellow": "33", "dim": "2", "bold": "1"}


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _use_color(stream: Any) -> bool:
    """ANSI colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    return _isatty(stream)


def _paint(text: str, color: str | None, on: bool) -> str:
    if not on or not color:
        return text
    codes = ";".join(_COLORS[c] for c in color.split("+"))
    return f"\x1b[{codes}m{text}\x1b[0m"


def _line_starts(text: str) -> list[int]:
    starts = [0]
    pos = text.find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return starts


def _line_col(starts: list[int], offset: int) -> tuple[int, int]:
    i = bisect.bisect_right(starts, offset) - 1
    return i + 1, offset - starts[i] + 1


def _one_line(s: str) -> str:
    return " ".join(s.split()) if any(c in s for c in "\n\r\t") else s


def format_report(report: Any, doc: Document, *, max_findings: int = 50, color: bool = False,
                  restore_hint: str | None = None) -> str:
    """Human-readable rendering of a :class:`unspin.Report` for ``doc``.

    ``restore_hint`` is the arguments to suggest for ``unspin restore`` when the text is spun.
    """
    lines: list[str] = []
    n = len(report.findings)
    verdict = _paint("spun", "red+bold", color) if report.is_spun else _paint("not spun", "green+bold", color)
    cmp = ">=" if report.is_spun else "<"
    lines.append(f"{doc.source}: {verdict}  (score {report.score:.2f} {cmp} threshold {report.threshold:.2f}; "
                 f"{report.words} words, {n} finding{'s' if n != 1 else ''})")
    note = truncation_note(report, "checked", "the score and findings cover those alone", "check")
    if note:
        lines.append(_paint(f"warning: {note}", "yellow+bold", color))
    if report.spinner and report.is_spun:
        lines.append(f"spinner: {report.spinner} (confidence {report.spinner_confidence:.2f})")
    starts = _line_starts(doc.text)
    shown = report.findings if max_findings == 0 else report.findings[:max_findings]
    width = 0
    locs = []
    for f in shown:
        line, col = _line_col(starts, f.start)
        loc = f"{line}:{col}"
        locs.append(loc)
        width = max(width, len(loc))
    for f, loc in zip(shown, locs):
        spun = _paint(f'"{_one_line(f.text)}"', "red", color)
        sugg = _paint(_one_line(f.suggestion), "green", color) if f.suggestion else _paint("?", "dim", color)
        detail = _paint(f"({f.confidence:.2f}, {f.reason})", "dim", color)
        lines.append(f"{loc.ljust(width)}  {spun} -> {sugg}  {detail}")
    if len(shown) < n:
        lines.append(_paint(f"... and {n - len(shown)} more (--max-findings 0 shows all, --json gives everything)",
                            "dim", color))
    if report.is_spun and n and restore_hint:
        lines.append(_paint(f"restore the likely original text with: {PROG} restore {restore_hint}", "dim", color))
    return "\n".join(lines) + "\n"


def truncation_note(report: Any, done: str, rest: str, command: str) -> str | None:
    """What a person must know when a long input was cut short, or None when all of it was read.

    The engine reads at most ``unspin.detect.MAX_WORDS`` words (a safety limit that keeps time
    and memory bounded) and records a cut only in ``features["truncated_at_words"]``, which the
    human output would otherwise never show: "200000 words" reads like the whole text.
    """
    n = (getattr(report, "features", None) or {}).get("truncated_at_words")
    if not n:
        return None
    n = int(n)
    return (f"only the first {n} words were {done}; {rest} (unspin reads at most {n} words of a text, "
            f"to keep time and memory bounded). Split the text into parts of at most {n} words "
            f"and run 'unspin {command}' on each")


def _restore_hint(args: argparse.Namespace) -> str | None:
    """``unspin restore`` arguments that restore what check just showed: the same input and
    the same options that change the findings (profile, threshold, masked LM)."""
    import shlex

    if getattr(args, "example", False):
        target = "--example"
    elif args.file == "-":
        return None  # stdin is gone; the user knows what they piped in
    else:
        target = shlex.quote(args.file)
    opts: list[str] = []
    if args.no_profile:
        opts.append("--no-profile")
    elif args.profile is not None:
        opts += ["--profile", args.profile]
    if args.threshold is not None:
        opts += ["--threshold", repr(args.threshold)]
    if getattr(args, "mlm", None) is not None:
        opts += ["--mlm", args.mlm]
        if args.mlm_weight is not None:
            opts += ["--mlm-weight", repr(args.mlm_weight)]
    return " ".join([target] + [shlex.quote(o) for o in opts])


def _write(s: str) -> None:
    """``s`` on stdout as UTF-8 whatever the locale says (a cp1252 or ASCII console, a
    Windows pipe): the output is the text, so it must not fail on a character the locale
    lacks. Bytes go out as they are (a restored CRLF file is not translated again), and a
    file name that is not valid UTF-8 is written back as its own bytes, as ``ls`` does."""
    buf = getattr(sys.stdout, "buffer", None)
    if buf is None:  # a text-only stream (e.g. io.StringIO in tests)
        sys.stdout.write(s)
        sys.stdout.flush()
        return
    try:
        data = s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte
        data = s.encode("utf-8", "replace")
    sys.stdout.flush()  # anything written through the text layer goes first
    buf.write(data)
    buf.flush()


def _error(message: str) -> None:
    _stderr(f"{PROG}: error: {message}\n")


def _warn(message: str) -> None:
    """A problem that did not stop the command, on stderr so stdout stays the result."""
    _stderr(f"{PROG}: warning: {message}\n")


def _stderr(line: str) -> None:
    try:
        sys.stderr.write(line)
        sys.stderr.flush()
    except Exception:
        pass


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except Exception:
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
