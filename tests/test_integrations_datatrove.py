"""datatrove UnspinFilter in a LocalPipelineExecutor on a small JSONL corpus (subprocess, hard timeout)."""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
from importlib.resources import files
from pathlib import Path

import pytest

pytest.importorskip("datatrove")

SRC = str(Path(__file__).resolve().parent.parent / "src")
CLEAN = files("unspin").joinpath("examples", "clean_article.txt").read_text(encoding="utf-8")
SPUN = files("unspin").joinpath("examples", "spun_article.txt").read_text(encoding="utf-8")

SCRIPT = textwrap.dedent("""
    import sys
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from unspin.integrations.datatrove import UnspinFilter
    src, out, rejected, logs = sys.argv[1:5]
    ex = LocalPipelineExecutor(pipeline=[
        JsonlReader(src),
        UnspinFilter(threshold=0.5, batch_size=4, exclusion_writer=JsonlWriter(rejected)),
        JsonlWriter(out),
    ], tasks=1, workers=1, logging_dir=logs)
    ex.run()
    print("DONE")
""")


def _read(folder: Path) -> list[dict]:
    rows = []
    for p in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(p, "rt") as fh:
            rows += [json.loads(l) for l in fh if l.strip()]
    return rows


def test_unspin_filter_local_pipeline(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    with open(src / "docs.jsonl", "w") as fh:
        for i in range(12):
            fh.write(json.dumps({"id": f"d{i}", "text": SPUN if i % 3 == 0 else CLEAN}) + "\n")
    env = {**os.environ, "PYTHONPATH": SRC}
    args = [str(src), str(tmp_path / "out"), str(tmp_path / "rejected"), str(tmp_path / "logs")]
    try:
        res = subprocess.run([sys.executable, "-c", SCRIPT, *args], env=env, capture_output=True, text=True,
                             timeout=85)
    except subprocess.TimeoutExpired:
        pytest.fail("datatrove pipeline did not finish in 85 s")
    assert res.returncode == 0 and "DONE" in res.stdout, res.stderr[-3000:]
    kept, dropped = _read(tmp_path / "out"), _read(tmp_path / "rejected")
    assert sorted(d["id"] for d in dropped) == ["d0", "d3", "d6", "d9"]
    assert len(kept) == 8 and all(not d["metadata"]["unspin_is_spun"] for d in kept)
    assert all(0 <= d["metadata"]["unspin_score"] < 0.5 for d in kept)
    assert all(d["metadata"]["unspin_score"] >= 0.5 for d in dropped)


def test_filter_batch_replaces_the_metadata_of_an_earlier_run():
    """No executor needed. A document filtered again kept the unspin_error / unspin_findings of an
    earlier run beside the new score: scored and errored at once, or a full-mode count in a fast run."""
    from datatrove.data import Document

    from unspin.integrations.datatrove import UnspinFilter

    old = {"unspin_error": "old failure", "unspin_findings": 5, "unspin_score": 0.99, "source": "crawl-1"}
    docs = [Document(text=CLEAN, id="a", metadata=dict(old)), Document(text="", id="b", metadata=dict(old))]
    assert UnspinFilter(fast=True, batch_size=2).filter_batch(docs) == [True, True]
    assert set(docs[0].metadata) == {"source", "unspin_score", "unspin_is_spun"}
    assert docs[0].metadata["unspin_score"] < 0.5
    # an error now: the old score goes, the error is the new one, the document is kept
    assert docs[1].metadata == {"source": "crawl-1", "unspin_error": "empty text"}


def test_filter_refuses_a_bad_threshold_when_made():
    """threshold=2 was accepted: nothing could be judged spun, so nothing was ever dropped."""
    from unspin.integrations.datatrove import UnspinFilter

    with pytest.raises(ValueError, match="threshold must be between 0 and 1"):
        UnspinFilter(threshold=2)
