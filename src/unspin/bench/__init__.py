"""Benchmarks for unspin: ``unspin bench`` / ``python -m unspin.bench``.

Metric definitions follow ``../shared/data/README.md``; see :mod:`unspin.bench.metrics`.
Data loading (and the held-out split of clean_news: 0-based index % 5 == 0) is in
:mod:`unspin.bench.data`; the runner is :func:`unspin.bench.run.main`.
"""
from __future__ import annotations

import argparse
import os


def json_path(value: str) -> str:
    """argparse type for ``--json PATH``: refuse a path that cannot be written before the
    benchmark runs (it used to fail only after minutes of measuring)."""
    path = os.path.abspath(os.path.expanduser(value))
    folder = os.path.dirname(path)
    if os.path.isdir(path):
        raise argparse.ArgumentTypeError(f"{value} is a folder; give a file name, e.g. {os.path.join(value, 'bench.json')}")
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(f"folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise argparse.ArgumentTypeError(f"cannot write {value} (permission denied)")
    return value


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks (``unspin bench ...``); see ``--help``."""
    from .run import main as _main

    return _main(argv)


__all__ = ["main", "json_path"]
