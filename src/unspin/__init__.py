"""unspin: detect, localize and reverse article spinning.

>>> import unspin
>>> r = unspin.check("The cat sat on the mat.")
>>> r.is_spun, r.findings
(False, [])
"""
from __future__ import annotations

from .report import DEFAULT_THRESHOLD, Finding, Report
# Imported eagerly: the submodule ``unspin.spin`` would otherwise shadow the function.
from .spin import spin

__version__ = "0.1.0"
__all__ = ["check", "restore", "spin", "Finding", "Report", "DEFAULT_THRESHOLD", "__version__",
           "Index", "Match", "align", "Alignment"]

# Trace API (unspin.trace), imported on first use so ``import unspin`` stays fast.
_TRACE_NAMES = {"Index", "Match", "Alignment"}


def align(spun: str, source: str) -> "object":
    """Word-level alignment of ``spun`` with its ``source``: :func:`unspin.trace.align.align`."""
    from .trace.align import align as _align

    return _align(spun, source)


def __getattr__(name: str):
    if name in _TRACE_NAMES:
        from . import trace as _trace

        return getattr(_trace, name)
    raise AttributeError(f"module 'unspin' has no attribute {name!r}")


def check(text: str, *, threshold: float | None = None, profile: "str | object | None" = "auto",
          index: "object | None" = None, mlm: "object | None" = None, mlm_weight: float | None = None) -> Report:
    """Score ``text`` for spinning, list suspicious spans and restore them.

    ``profile`` is a spinner profile name, a :class:`unspin.profiles.Profile`,
    ``"auto"`` (built-in profiles plus those learned with ``unspin learn``) or
    ``None`` (thesaurus + language model only).
    ``index`` (an :class:`unspin.Index` or a path to one): also look for the source
    of ``text`` there and put it, with the word alignment, in ``Report.source``.
    ``mlm`` (a :class:`unspin.mlm.MaskedLM` or the path of a local BERT model folder):
    re-score the findings with that masked language model (:func:`unspin.mlm.rescore`;
    ``mlm_weight`` overrides its evidence weight). Optional: ``pip install "unspin[mlm]"``.
    ``threshold`` is a probability, between 0 and 1; ``None`` is the calibrated default:

    >>> check("The cat sat on the mat.", threshold=2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: threshold must be between 0 and 1 (...), not 2; leave it None for the calibrated default
    """
    _check_threshold(threshold)  # before the engine loads: a bad value fails at once
    if index is not None and not (isinstance(index, (str, bytes)) or hasattr(index, "__fspath__")
                                  or hasattr(index, "search")):  # was: 'int' object has no attribute 'search'
        raise TypeError(f"index must be an unspin.Index or the path of one, got {type(index).__name__} {index!r:.80}")
    from .detect import check as _check

    report = _check(text, threshold=threshold, profile=profile)
    if mlm is not None:
        from .mlm import rescore

        report = rescore(report, text, mlm, weight=mlm_weight)
    if index is not None:
        import dataclasses

        from .trace.search import trace as _trace_source

        if isinstance(index, (str, bytes)) or hasattr(index, "__fspath__"):
            from .trace import Index as _Index

            with _Index.open(index, readonly=True) as ix:
                source = _trace_source(text, ix)
        else:
            source = _trace_source(text, index)
        report = dataclasses.replace(report, source=source)
    return report


def restore(text: str, **kwargs) -> str:
    """``check(text).restored``: the most likely original wording.

    Takes the keyword arguments of :func:`check` and refuses the same values:

    >>> restore("The cat sat on the mat.", threshold=float("nan"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: threshold must be between 0 and 1 (...), not nan; leave it None for the calibrated default
    """
    return check(text, **kwargs).restored


def _check_threshold(threshold: object) -> None:
    """Refuse a threshold the engine would accept silently: any score is >= -1 and none is >= 2,
    so out of [0, 1] (or NaN, which no score reaches) the verdict would be fixed in advance.
    The CLI refuses these values too (``--threshold``)."""
    if threshold is None:
        return
    # float() would take True as 1.0 and "0.5" as 0.5: a flag or an unparsed setting passed by
    # mistake, which must not become a verdict threshold without a word.
    if isinstance(threshold, (bool, str, bytes)):
        raise TypeError(f"threshold must be a number between 0 and 1, or None for the calibrated default; "
                        f"got {type(threshold).__name__} {threshold!r}")
    try:
        x = float(threshold)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:  # same exception type as before the check existed
        raise type(exc)(f"threshold must be a number between 0 and 1, or None for the calibrated default; "
                        f"got {threshold!r}") from None
    if not 0.0 <= x <= 1.0:  # also catches NaN: every comparison with it is False
        raise ValueError(f"threshold must be between 0 and 1 (the report is spun when its score >= threshold), "
                         f"not {threshold!r}; leave it None for the calibrated default")
