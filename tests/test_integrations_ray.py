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
