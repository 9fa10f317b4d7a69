"""Trace: find the source of a spun copy in a reference collection, align the two, learn the spinner.

>>> import unspin
>>> idx = unspin.Index.create(":memory:")  # doctest: +SKIP
"""
from __future__ import annotations

from .align import Alignment, Edit, align
from .index import Index, IndexFileError, Match

__all__ = ["Index", "IndexFileError", "Match", "Alignment", "Edit", "align"]
