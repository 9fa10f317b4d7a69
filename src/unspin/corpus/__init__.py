"""Corpus filtering at scale: score JSONL/Parquet/WARC corpora and folders of documents.

Python API:

* :func:`score_texts` -- the one batch scoring function every adapter calls
  (``unspin_*`` fields per text; failures become ``unspin_error``);
* :func:`score_records` -- iterator over records (dicts) with the fields added;
* :func:`fast_score` -- ``--fast`` mode: the detection score only;
* :func:`filter_corpus` -- what ``unspin filter`` runs (outputs, manifest, resume, workers).

Adapters: :mod:`unspin.integrations.ray` (Ray Data ``map_batches``) and
:mod:`unspin.integrations.datatrove` (``UnspinFilter``).
"""
from __future__ import annotations

from .batch import FIELDS, Options, score_records, score_texts

__all__ = ["FIELDS", "Options", "score_records", "score_texts", "fast_score", "filter_corpus"]


def fast_score(text: str, profile="auto") -> float:
    """Detection score only (see :mod:`unspin.corpus.score`)."""
    from .score import fast_score as _fs

    return _fs(text, profile)


def filter_corpus(inputs, output: str, **settings):
    """Score ``inputs`` (paths) into the folder ``output``; keyword arguments as
    :class:`unspin.corpus.run.Settings` (``options=Options(...)``, ``drop``, ``workers``, ...).
    Returns the totals (:class:`unspin.corpus.run.Stats`)."""
    from .run import Settings, run

    return run(list(inputs), Settings(output=output, **settings))
