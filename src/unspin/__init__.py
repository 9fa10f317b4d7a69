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
    """
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
    """``check(text).restored``: the most likely original wording."""
    return check(text, **kwargs).restored
