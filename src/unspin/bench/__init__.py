"""Benchmarks for unspin: ``unspin bench`` / ``python -m unspin.bench``.

Metric definitions follow ``../shared/data/README.md``; see :mod:`unspin.bench.metrics`.
Data loading (and the held-out split of clean_news: 0-based index % 5 == 0) is in
:mod:`unspin.bench.data`; the runner is :func:`unspin.bench.run.main`.
"""
from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks (``unspin bench ...``); see ``--help``."""
    from .run import main as _main

    return _main(argv)


__all__ = ["main"]
