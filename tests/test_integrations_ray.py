"""Ray Data map_batches adapter, in local mode, in a subprocess with a hard timeout (never hangs CI)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("ray")

SRC = str(Path(__file__).resolve().parent.parent / "src")

SCRIPT = textwrap.dedent("""
    import json, os, sys
    from importlib.resources import files
    import ray
    from unspin.integrations.ray import score_dataset
    clean = files("unspin").joinpath("examples", "clean_article.txt").read_text()
    spun = files("unspin").joinpath("examples", "spun_article.txt").read_text()
    rows = [{"id": i, "text": spun if i % 4 == 0 else clean} for i in range(24)] + [{"id": 99, "text": ""}]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        ds = ray.data.from_items(rows)
        full = score_dataset(ds, batch_size=8, threshold=0.5).take_all()
        fast = score_dataset(ds, fast=True, batch_size=8, drop=True).take_all()
        print("RESULT " + json.dumps({
            "n": len(full), "ids": sorted(r["id"] for r in full),
            "spun": sorted(r["id"] for r in full if r["unspin_is_spun"]),
            "err": [r["id"] for r in full if r["unspin_error"]],
            "fast_n": len(fast)}))
    finally:
        ray.shutdown()
""")


def test_ray_map_batches_local():
    env = {**os.environ, "PYTHONPATH": SRC, "RAY_USAGE_STATS_ENABLED": "0", "RAY_DEDUP_LOGS": "0"}
    try:
        res = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=85)
    except subprocess.TimeoutExpired:
        pytest.fail("Ray run did not finish in 85 s")
    line = [l for l in res.stdout.splitlines() if l.startswith("RESULT ")]
    assert res.returncode == 0 and line, res.stderr[-3000:]
    out = json.loads(line[0][7:])
    assert out["n"] == 25 and out["ids"] == list(range(24)) + [99]  # one row per input row
    assert out["spun"] == [0, 4, 8, 12, 16, 20]
    assert out["err"] == [99]
    assert out["fast_n"] <= 25


def test_score_batch_records_bad_texts_as_errors_in_every_batch_format():
    """No Ray runtime needed: score_batch is a plain function. str() used to turn a number, bytes
    or a missing value (None in pandas becomes NaN) into text ("5", "b'...'", "nan") that was
    scored as if it were the document, with no unspin_error."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from unspin.integrations.ray import score_batch

    text = "The central bank said on Tuesday that it would keep interest rates unchanged."
    out = score_batch({"id": np.arange(5), "text": np.array([text, 5, None, "", b"The bank said."], dtype=object)},
                      fast=True)
    assert list(out["id"]) == [0, 1, 2, 3, 4]
    assert out["unspin_error"] == ["", "text field is int, not a string", "no text", "empty text", ""]
    assert out["unspin_score"][1:4] == [-1.0, -1.0, -1.0] and out["unspin_score"][4] >= 0.0
    assert out["unspin_tortured"] == [-1] * 5  # fast mode counts no findings
    full = score_batch({"text": np.array([text], dtype=object)})  # the column the other corpus outputs have
    assert full["unspin_findings"][0] >= full["unspin_tortured"][0] >= 0
    for batch in (pd.DataFrame({"text": [text, None, float("nan")]}), pa.table({"text": [text, None, None]})):
        got = score_batch(batch, fast=True)
        assert got["unspin_error"] == ["", "no text", "no text"], type(batch)
        assert got["unspin_score"][0] == out["unspin_score"][0]
    empty = score_batch({"text": np.array([], dtype=object)}, fast=True)
    assert all(empty[c] == [] for c in ("unspin_score", "unspin_is_spun", "unspin_error"))
    with pytest.raises(KeyError, match="no column 'text' in the batch \\(columns: body\\); pass text_column="):
        score_batch({"body": np.array([text], dtype=object)}, fast=True)
    assert score_batch({"body": np.array([text], dtype=object)}, text_column="body", fast=True)["unspin_error"] == [""]


def test_score_dataset_refuses_a_bad_option_before_any_task_runs():
    """A threshold of 2 was accepted: every row unspin_is_spun False, with drop=True nothing dropped."""
    from unspin.integrations.ray import score_dataset

    class NoDataset:  # map_batches must not be reached
        def map_batches(self, *a, **k):
            raise AssertionError("reached map_batches")

    for bad in (2, float("nan")):
        with pytest.raises(ValueError, match="threshold must be between 0 and 1"):
            score_dataset(NoDataset(), threshold=bad)
    with pytest.raises(KeyError, match="no built-in spinner profile"):
        score_dataset(NoDataset(), profile="no-such-spinner")
