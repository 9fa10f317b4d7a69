"""One batch scoring function that every corpus adapter calls.

:func:`score_texts` turns a list of texts into a list of ``unspin_*`` field dicts,
one per text, never raising for a bad text: a text that cannot be scored (not a
string, empty, too large) gets ``unspin_error`` instead. The score is always
recorded; ``unspin_is_spun`` is the separate decision at ``threshold``, so a
threshold can be re-tuned later without re-scoring. (The threshold also decides
which texts get the spun-document prior, so the findings of a text near it can
differ at another threshold; its score cannot.)

>>> [sorted(r) for r in score_texts(["The cat sat on the mat."], Options(fast=True))]
[['unspin_findings', 'unspin_is_spun', 'unspin_score', 'unspin_spinner', 'unspin_tortured']]
>>> score_texts([None], Options(fast=True))[0]["unspin_error"]
'no text'
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator

__all__ = ["Options", "score_texts", "score_records", "check_field_names", "FIELDS", "MAX_TEXT_CHARS"]

#: Output fields (``unspin_error`` only on failed records, ``unspin_restored`` and
#: ``unspin_top_findings`` only on request). ``unspin_tortured``: how many findings are word
#: pairs re-read together (kind "tortured": "counterfeit consciousness" -> "artificial
#: intelligence"), what a research-integrity screen looks for; None in fast mode.
FIELDS = ("unspin_score", "unspin_is_spun", "unspin_findings", "unspin_tortured", "unspin_spinner",
          "unspin_top_findings", "unspin_restored", "unspin_error")
#: Texts longer than this (characters) are refused per record, like ``inputs.MAX_BYTES`` for files.
MAX_TEXT_CHARS = 20 * 1024 * 1024


@dataclass(frozen=True)
class Options:
    """How to score: ``fast`` (score only), decision ``threshold`` (default: the calibrated one),
    ``top_findings`` (add up to N findings with suggestions), ``restore`` (add the restored text),
    ``profile`` (as for :func:`unspin.check`)."""

    fast: bool = False
    threshold: float | None = None
    top_findings: int = 0
    restore: bool = False
    profile: str | None = "auto"

    def __post_init__(self):
        # Checked once here, not per record: a bad option would otherwise become an
        # unspin_error on every record (or, for the threshold, a verdict fixed in advance).
        from .. import _check_threshold
        from ..profiles import resolve

        _check_threshold(self.threshold)
        if isinstance(self.top_findings, bool) or not isinstance(self.top_findings, int) or self.top_findings < 0:
            raise ValueError(f"top_findings must be a whole number >= 0 (0: none), not {self.top_findings!r}")
        if self.profile != "auto":  # "auto" is resolved on first use (it reads the learned profiles)
            resolve(self.profile)  # an unknown name is a KeyError listing the profiles there are

    def decision_threshold(self) -> float:
        from ..report import DEFAULT_THRESHOLD

        return DEFAULT_THRESHOLD if self.threshold is None else float(self.threshold)


#: Full-mode texts are checked together (:meth:`unspin.detect.Engine.check_many`) in
#: groups of about this many characters: sharing the language-model passes saves
#: their fixed cost per text, and the bound keeps a group's memory small.
GROUP_CHARS = 200_000


def _validate(text: Any) -> str | dict[str, Any]:
    """The text to score, or the ``unspin_error`` record for a text that cannot be scored."""
    if text is None:
        return {"unspin_error": "no text"}
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            return {"unspin_error": "text is not valid UTF-8"}
    if not isinstance(text, str):
        return {"unspin_error": f"text field is {type(text).__name__}, not a string"}
    if not text.strip():
        return {"unspin_error": "empty text"}
    if len(text) > MAX_TEXT_CHARS:
        return {"unspin_error": f"text too large ({len(text)} characters, limit {MAX_TEXT_CHARS})"}
    return text


def _fields(rep: Any, opts: Options) -> dict[str, Any]:
    out: dict[str, Any] = {"unspin_score": rep.score, "unspin_is_spun": rep.is_spun,
                           "unspin_findings": len(rep.findings),
                           "unspin_tortured": sum(f.kind == "tortured" for f in rep.findings),
                           "unspin_spinner": rep.spinner}
    if opts.top_findings:
        top = sorted(rep.findings, key=lambda f: -f.confidence)[: opts.top_findings]
        out["unspin_top_findings"] = [{"text": f.text, "suggestion": f.suggestion, "confidence": f.confidence,
                                       "start": f.start, "end": f.end} for f in top]
    if opts.restore:
        out["unspin_restored"] = rep.restored
    return out


def _guarded(fn, *args) -> dict[str, Any]:
    try:
        return fn(*args)
    except MemoryError:
        return {"unspin_error": "out of memory scoring this text"}
    except Exception as exc:  # a bug must not lose the record; it is reported on it
        return {"unspin_error": f"{type(exc).__name__}: {exc}"[:500]}


def _fast_fields(score: float, thr: float) -> dict[str, Any]:
    return {"unspin_score": score, "unspin_is_spun": score >= thr, "unspin_findings": None,
            "unspin_tortured": None, "unspin_spinner": None}


def _fast_one(text: str, opts: Options, thr: float) -> dict[str, Any]:
    from .score import default_scorer

    return _fast_fields(default_scorer(opts.profile).score(text), thr)


def _fast_group(texts: list[str], opts: Options, thr: float) -> list[dict[str, Any]]:
    from .score import default_scorer

    try:
        scores = default_scorer(opts.profile).score_many(texts)
    except Exception:  # score one by one, so one bad text cannot fail its neighbours
        return [_guarded(_fast_one, t, opts, thr) for t in texts]
    return [_fast_fields(s, thr) for s in scores]


_warmed = False


def warm_engine() -> None:
    """Load the engine's lazily loaded parts now, once per process. A failure here (say,
    an unreadable user profile) is left to the checks themselves, which record it on
    each record instead of losing the batch."""
    global _warmed
    if _warmed:
        return
    _warmed = True
    from ..detect import default_engine

    try:
        default_engine().warm()
    except Exception:  # noqa: BLE001 - see the docstring
        pass


def _full_group(texts: list[str], opts: Options, thr: float) -> list[dict[str, Any]]:
    from ..detect import default_engine

    engine = default_engine()
    warm_engine()  # a corpus run pays the lazy loads (lemminflect, indexes) once, up front
    try:
        reports = engine.check_many(texts, threshold=thr, profile=opts.profile)
    except Exception:  # score one by one, so one bad text cannot fail its neighbours
        return [_guarded(lambda t: _fields(engine.check(t, threshold=thr, profile=opts.profile), opts), t)
                for t in texts]
    return [_guarded(_fields, r, opts) for r in reports]


def score_texts(texts: Iterable[Any], opts: Options = Options()) -> list[dict[str, Any]]:
    """``unspin_*`` fields for each text, in order; failures become ``unspin_error``."""
    from ..detect import gc_paused

    _refuse_single(texts, "score_texts", "texts", "[text]")

    with gc_paused():  # also around building the output fields (see gc_paused)
        return _score_texts(texts, opts)


def _score_texts(texts: Iterable[Any], opts: Options) -> list[dict[str, Any]]:
    thr = opts.decision_threshold()
    out: list[Any] = [_guarded(_validate, t) for t in texts]  # e.g. decoding huge bytes
    todo = [k for k, t in enumerate(out) if isinstance(t, str)]
    if opts.fast:
        for k, fields in zip(todo, _fast_group([out[k] for k in todo], opts, thr)):
            out[k] = fields
        return out
    group: list[int] = []
    size = 0
    for n, k in enumerate(todo):
        group.append(k)
        size += len(out[k])
        if size >= GROUP_CHARS or n == len(todo) - 1:
            for kk, fields in zip(group, _full_group([out[x] for x in group], opts, thr)):
                out[kk] = fields
            group, size = [], 0
    return out


def check_field_names(opts: Options, text_field: str, id_field: str | None = None,
                      how: tuple[str, str] = ("text_field", "id_field")) -> None:
    """Refuse a text field named like a field this scoring writes (the output would
    replace the input's text), and an id field named like any ``unspin_*`` output field
    (those of an earlier run are dropped from each record, the id with them). Re-checking
    a restored text with ``text_field="unspin_restored"`` is fine unless ``restore`` writes
    that field again. ``how``: the two options' names as the caller spells them.

    >>> check_field_names(Options(), "unspin_restored")
    >>> check_field_names(Options(restore=True), "unspin_restored")
    Traceback (most recent call last):
    ...
    ValueError: text_field 'unspin_restored' is a field this run writes (unspin_score, unspin_is_spun, unspin_findings, unspin_tortured, unspin_spinner, unspin_restored, unspin_error), so the output would replace it; rename that field in the input first
    """
    extra = not opts.fast  # fast mode writes neither restored text nor findings
    written = [f for f in FIELDS if not (f == "unspin_restored" and not (opts.restore and extra))
               and not (f == "unspin_top_findings" and not (opts.top_findings and extra))]
    if text_field in written:
        raise ValueError(f"{how[0]} {text_field!r} is a field this run writes ({', '.join(written)}), so the "
                         "output would replace it; rename that field in the input first")
    if id_field in FIELDS:
        raise ValueError(f"{how[1]} {id_field!r} is named like an output field ({', '.join(FIELDS)}), which "
                         "are dropped from records scored again; rename that field in the input first")


def without_fields(record: dict, text_field: str = "text") -> dict:
    """``record`` without the ``unspin_*`` fields of an earlier run (an old unspin_error or
    restored text beside new fields would contradict them); the text field is kept, whatever
    its name. The record itself when it has none (the common case: no copy).

    >>> without_fields({"id": 1, "unspin_score": 0.9, "unspin_error": "x"})
    {'id': 1}
    """
    stale = [k for k in FIELDS if k in record and k != text_field]
    return {k: v for k, v in record.items() if k not in stale} if stale else record


def _refuse_single(items: Any, fn: str, what: str, fix: str) -> None:
    """A single str, bytes or dict passed where an iterable of them belongs was silently taken
    apart (one record per character, or per key)."""
    if isinstance(items, (str, bytes, dict)):
        raise TypeError(f"{fn} expects an iterable of {what}, got one {type(items).__name__}; pass {fix}")


def score_records(records: Iterable[dict], opts: Options = Options(), *, text_field: str = "text",
                  batch_size: int = 64) -> Iterator[dict]:
    """Iterator API: yield each record (a new dict) with the ``unspin_*`` fields added.

    >>> out = list(score_records([{"id": 1, "text": "A plain sentence about dogs."}, {"id": 2}],
    ...                          Options(fast=True)))
    >>> [r["id"] for r in out], "unspin_error" in out[1]
    ([1, 2], True)
    """
    _refuse_single(records, "score_records", "records (dicts)", "[record]")
    check_field_names(opts, text_field)
    buf: list[dict] = []

    def flush():
        fields = score_texts([r.get(text_field) if isinstance(r, dict) else None for r in buf], opts)
        for r, f in zip(buf, fields):
            if not isinstance(r, dict):
                yield {"value": r, "unspin_error": f"record is {type(r).__name__}, not a dict with a {text_field!r} field"}
                continue
            yield {**without_fields(r, text_field), **f}

    it = iter(records)
    while True:
        try:
            rec = next(it)
        except StopIteration:
            break
        except Exception:
            # the records read before the source failed are scored and handed out first:
            # the error still propagates, but no record that was read is lost with it
            yield from flush()
            raise
        buf.append(rec)
        if len(buf) >= batch_size:
            yield from flush()
            buf = []
    if buf:
        yield from flush()
