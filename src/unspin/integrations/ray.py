"""Ray Data adapter (``pip install 'unspin[ray]'``): score a dataset with ``map_batches``.

Uses a plain function, not an actor pool: an actor pool sized to every CPU was seen to
hang on a 2-core machine. Each Ray worker process builds the scoring tables once.

>>> import ray  # doctest: +SKIP
>>> ds = ray.data.from_items([{"id": 1, "text": "..."}])  # doctest: +SKIP
>>> score_dataset(ds, fast=True).take_all()  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

from ..corpus.batch import Options, check_field_names, score_texts

__all__ = ["score_batch", "score_dataset"]

_COLUMNS = ("unspin_score", "unspin_is_spun", "unspin_findings", "unspin_tortured", "unspin_spinner", "unspin_error")


def score_batch(batch: dict[str, Any], *, text_column: str = "text", fast: bool = False,
                threshold: float | None = None, profile: str | None = "auto") -> dict[str, Any]:
    """A ``map_batches`` function (``batch_format="numpy"``): the batch with ``unspin_*`` columns added.

    Every row gets every column (``None`` where it does not apply), so blocks stay uniform.
    A text that is not a string gets ``unspin_error``, as in :func:`unspin.corpus.score_texts`.
    """
    opts = Options(fast=fast, threshold=threshold, profile=profile)
    check_field_names(opts, text_column, how=("text_column", ""))
    if hasattr(batch, "to_pydict"):  # a pyarrow Table (batch_format="pyarrow"): its cells are not str
        batch = batch.to_pydict()
    try:
        texts = batch[text_column]
    except KeyError:
        raise KeyError(f"no column {text_column!r} in the batch (columns: {', '.join(map(str, batch))}); "
                       f"pass text_column=") from None
    # Passed as they are: str() made a number, b"..." or a missing value (None, pandas' NaN)
    # into text ("5", "b'...'", "nan") that was scored as if it were the document.
    fields = score_texts([None if isinstance(t, float) and t != t else t for t in texts], opts)
    out = dict(batch)
    for col in _COLUMNS:
        out[col] = [f.get(col) for f in fields]
    out["unspin_score"] = [(-1.0 if v is None else float(v)) for v in out["unspin_score"]]  # float column
    out["unspin_is_spun"] = [bool(v) for v in out["unspin_is_spun"]]
    out["unspin_findings"] = [(-1 if v is None else int(v)) for v in out["unspin_findings"]]
    out["unspin_tortured"] = [(-1 if v is None else int(v)) for v in out["unspin_tortured"]]
    out["unspin_spinner"] = [v or "" for v in out["unspin_spinner"]]
    out["unspin_error"] = [v or "" for v in out["unspin_error"]]
    return out


def score_dataset(ds, *, text_column: str = "text", fast: bool = False, threshold: float | None = None,
                  profile: str | None = "auto", batch_size: int = 256, drop: bool = False):
    """``ds.map_batches(score_batch, ...)``; with ``drop=True`` spun rows are filtered out (errors kept).

    Columns: ``unspin_score`` (-1.0 on error), ``unspin_is_spun``, ``unspin_findings`` and
    ``unspin_tortured`` (-1 in fast mode or on error), ``unspin_spinner`` ("" if none),
    ``unspin_error`` ("" if none).
    """
    # a bad value fails here, not in every Ray task
    check_field_names(Options(fast=fast, threshold=threshold, profile=profile), text_column, how=("text_column", ""))
    out = ds.map_batches(score_batch, batch_format="numpy", batch_size=batch_size,
                         fn_kwargs={"text_column": text_column, "fast": fast, "threshold": threshold,
                                    "profile": profile})
    if drop:
        out = out.filter(lambda row: not row["unspin_is_spun"])
    return out
