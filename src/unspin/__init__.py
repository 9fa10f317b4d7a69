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
__all__ = ["check", "restore", "spin", "Finding", "Report", "DEFAULT_THRESHOLD", "__version__"]


def check(text: str, *, threshold: float | None = None, profile: "str | object | None" = "auto") -> Report:
    """Score ``text`` for spinning, list suspicious spans and restore them.

    ``profile`` is a spinner profile name, a :class:`unspin.profiles.Profile`,
    ``"auto"`` (built-in profiles) or ``None`` (thesaurus + language model only).
    """
    from .detect import check as _check

    return _check(text, threshold=threshold, profile=profile)


def restore(text: str, **kwargs) -> str:
    """``check(text).restored``: the most likely original wording."""
    return check(text, **kwargs).restored
