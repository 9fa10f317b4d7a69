"""unspin filter / screen: formats, never-lossy accounting, workers, kill-and-resume."""
from __future__ import annotations

import csv
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from importlib.resources import files
from pathlib import Path

import pytest

from unspin.cli import main
from unspin.corpus import Options, score_records, score_texts
from unspin.corpus.score import FastScorer

CLEAN = files("unspin").joinpath("examples", "clean_article.txt").read_text(encoding="utf-8")
SPUN = files("unspin").joinpath("examples", "spun_article.txt").read_text(encoding="utf-8")
SRC = str(Path(__file__).resolve().parent.parent / "src")


def _records(n: int) -> list[dict]:
    return [{"id": f"d{i}", "text": (SPUN if i % 3 == 0 else CLEAN) + f" Note {i}.", "n": i} for i in range(n)]


def _write_jsonl(path: Path, recs: list, extra_lines: dict[int, str] | None = None) -> None:
    lines = [json.dumps(r) for r in recs]
    for at, line in sorted((extra_lines or {}).items(), reverse=True):
        lines.insert(at, line)
    data = ("\n".join(lines) + "\n").encode()
    if path.name.endswith(".gz"):
        data = gzip.compress(data)
    elif path.name.endswith(".zst"):
        import zstandard

        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)


def _read_jsonl(path: Path) -> list[dict]:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    elif path.name.endswith(".zst"):
        import zstandard

        import io

        data = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True).read()
    return [json.loads(line) for line in data.decode().splitlines() if line.strip()]


def test_score_texts_never_raises_and_keeps_order():
    out = score_texts([CLEAN, None, "", 42, b"\xff\xfe", SPUN], Options(fast=True))
    assert len(out) == 6
    assert "unspin_score" in out[0] and "unspin_score" in out[5]
    assert [("unspin_error" in o) for o in out] == [False, True, True, True, True, False]


def test_full_mode_fields_and_fast_agree_on_direction():
    full = score_texts([CLEAN, SPUN], Options(top_findings=2, restore=True))
    assert full[1]["unspin_is_spun"] and not full[0]["unspin_is_spun"]
    assert full[1]["unspin_findings"] > 0 and len(full[1]["unspin_top_findings"]) == 2
    assert "unspin_restored" in full[1]
    s = FastScorer()
    assert s.score(SPUN) > s.score(CLEAN)


def test_iterator_api():
    out = list(score_records(_records(5) + [{"id": "none"}], Options(fast=True), batch_size=2))
    assert [r["id"] for r in out] == ["d0", "d1", "d2", "d3", "d4", "none"]
    assert "unspin_error" in out[-1] and all("unspin_score" in r for r in out[:-1])


def test_jsonl_gz_malformed_lines_counted(tmp_path, capsys):
    src = tmp_path / "crawl.jsonl.gz"
    recs = _records(12) + [{"id": "empty", "text": "  "}, {"id": "num", "text": 5}, {"id": "notext"}]
    _write_jsonl(src, recs, {3: "{not json", 8: "[1, 2]"})
    assert main(["filter", str(src), "--output", str(tmp_path / "out"), "--fast", "--chunk-size", "4"]) == 0
    out = _read_jsonl(tmp_path / "out" / "crawl.jsonl.gz")
    assert len(out) == len(recs) + 2  # one row per input line, malformed ones included
    bad = [r for r in out if "unspin_line" in r]
    assert [r["unspin_line"] for r in bad] == [4, 10]
    assert "malformed JSON" in bad[0]["unspin_error"] and bad[0]["unspin_raw"] == "{not json"
    summary = json.loads((tmp_path / "out" / "_unspin_summary.json").read_text())
    assert summary["read"] == summary["written"] == len(recs) + 2
    assert summary["malformed"] == 2 and summary["errored"] == 5
    err = capsys.readouterr().err
    assert "line 4: malformed JSON" in err and "read 17, written 17" in err
    assert not (tmp_path / "out" / ".parts").exists()


def test_drop_and_threshold_retune(tmp_path):
    src = tmp_path / "data.jsonl"
    _write_jsonl(src, _records(9) + [{"id": "bad", "text": ""}])
    assert main(["filter", str(src), "-o", str(tmp_path / "all"), "--threshold", "0.5"]) == 0
    scored = _read_jsonl(tmp_path / "all" / "data.jsonl")
    assert sum(r.get("unspin_is_spun", False) for r in scored) == 3
    assert main(["filter", str(src), "-o", str(tmp_path / "kept"), "--threshold", "0.5", "--drop"]) == 0
    kept = _read_jsonl(tmp_path / "kept" / "data.jsonl")
    assert len(kept) == 7 and {r["id"] for r in kept} >= {"bad"}  # errors are never dropped
    # re-tuning the decision from the recorded score needs no re-scoring
    assert {r["id"] for r in scored if "unspin_score" in r and r["unspin_score"] < 0.5} | {"bad"} == \
        {r["id"] for r in kept}


def test_parquet_and_zst(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    recs = _records(7) + [{"id": "n", "text": None, "n": 99}]
    pq.write_table(pa.Table.from_pylist(recs), tmp_path / "docs.parquet")
    _write_jsonl(tmp_path / "docs2.jsonl.zst", recs[:4])
    assert main(["filter", str(tmp_path / "docs.parquet"), str(tmp_path / "docs2.jsonl.zst"),
                 "-o", str(tmp_path / "out"), "--fast", "--chunk-size", "3", "--no-text"]) == 0
    t = pq.read_table(tmp_path / "out" / "docs.parquet").to_pylist()
    assert [r["id"] for r in t] == [r["id"] for r in recs]
    assert "text" not in t[0] and t[-1]["unspin_error"] == "no text"
    z = _read_jsonl(tmp_path / "out" / "docs2.jsonl.zst")
    assert [r["id"] for r in z] == ["d0", "d1", "d2", "d3"]


def _warc_record(headers: dict[str, str], payload: bytes) -> bytes:
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Content-Length: {len(payload)}\r\n\r\n"
    return head.encode() + payload + b"\r\n\r\n"


def test_warc_and_wet(tmp_path):
    pytest.importorskip("fastwarc")
    html = f"<html><head><title>t</title></head><body><article><p>{SPUN}</p></article></body></html>".encode()
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html
    notfound = b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\n<html>gone</html>"
    data = _warc_record({"WARC-Type": "warcinfo", "WARC-Record-ID": "<urn:uuid:0>"}, b"software: test\r\n")
    data += _warc_record({"WARC-Type": "response", "WARC-Record-ID": "<urn:uuid:1>",
                          "WARC-Target-URI": "http://a.example/", "Content-Type": "application/http; msgtype=response"},
                         http)
    data += _warc_record({"WARC-Type": "response", "WARC-Record-ID": "<urn:uuid:2>",
                          "WARC-Target-URI": "http://a.example/x", "Content-Type": "application/http; msgtype=response"},
                         notfound)
    (tmp_path / "crawl.warc.gz").write_bytes(gzip.compress(data))
    wet = _warc_record({"WARC-Type": "conversion", "WARC-Record-ID": "<urn:uuid:3>",
                        "WARC-Target-URI": "http://b.example/", "Content-Type": "text/plain"}, CLEAN.encode())
    (tmp_path / "crawl.wet").write_bytes(wet)
    assert main(["filter", str(tmp_path / "crawl.warc.gz"), str(tmp_path / "crawl.wet"),
                 "-o", str(tmp_path / "out"), "--fast"]) == 0
    w = _read_jsonl(tmp_path / "out" / "crawl.jsonl.gz")
    assert [r["url"] for r in w] == ["http://a.example/", "http://a.example/x"]
    assert "secure sanctuaries" in w[0]["text"] and "unspin_score" in w[0]
    assert "404" in w[1]["unspin_error"]
    # the two inputs share a base name: the second output gets a suffix, nothing is overwritten
    wet_out = [p for p in (tmp_path / "out").iterdir() if p.name.startswith("crawl-2")]
    assert len(wet_out) == 1
    assert _read_jsonl(wet_out[0])[0]["url"] == "http://b.example/"


def test_workers_give_identical_output(tmp_path):
    src = tmp_path / "w.jsonl"
    _write_jsonl(src, _records(40))
    for n in (1, 2):
        assert main(["filter", str(src), "-o", str(tmp_path / f"o{n}"), "--fast", "--workers", str(n),
                     "--chunk-size", "6", "--no-progress"]) == 0
    assert (tmp_path / "o1" / "w.jsonl").read_bytes() == (tmp_path / "o2" / "w.jsonl").read_bytes()


def test_resume_with_other_settings_is_refused(tmp_path, capsys):
    src = tmp_path / "r.jsonl"
    _write_jsonl(src, _records(3))
    assert main(["filter", str(src), "-o", str(tmp_path / "o"), "--fast"]) == 0
    assert main(["filter", str(src), "-o", str(tmp_path / "o"), "--fast", "--drop"]) == 2
    assert "different settings" in capsys.readouterr().err


def test_kill_midway_and_resume(tmp_path):
    """SIGKILL a run after some chunks, resume it: every record exactly once, in order."""
    n = 300
    src = tmp_path / "big.jsonl.gz"
    _write_jsonl(src, _records(n), {50: "{broken"})
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "unspin", "filter", str(src), "-o", str(out), "--fast", "--chunk-size", "7"]
    env = {**os.environ, "PYTHONPATH": SRC, "UNSPIN_CORPUS_TEST_DELAY": "0.05"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    manifest = out / "_unspin_manifest.jsonl"
    deadline = time.time() + 60
    try:
        while time.time() < deadline:
            if manifest.exists() and manifest.read_text().count('"chunk"') >= 5:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "run finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not (out / "big.jsonl.gz").exists()
    env["UNSPIN_CORPUS_TEST_DELAY"] = "0"
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    rows = _read_jsonl(out / "big.jsonl.gz")
    ids = [r.get("id") for r in rows if "id" in r]
    assert ids == [f"d{i}" for i in range(n)]  # none lost, none duplicated, order kept
    assert len(rows) == n + 1 and sum("unspin_line" in r for r in rows) == 1
    summary = json.loads((out / "_unspin_summary.json").read_text())
    assert summary["read"] == summary["written"] == n + 1 and summary["malformed"] == 1


def test_screen_folder_csv(tmp_path):
    d = tmp_path / "papers"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text(SPUN)
    (d / "b.md").write_text("# Title\n\n" + CLEAN)
    (d / "sub" / "c.html").write_text(f"<html><body><p>{CLEAN}</p></body></html>")
    (d / "bad.txt").write_bytes(b"\x00\x01\x02\x03" * 50)
    (d / "ignored.bin").write_bytes(b"x")
    out = tmp_path / "s.csv"
    assert main(["screen", str(d), "--csv", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    by = {Path(r["file"]).name: r for r in rows}
    assert set(by) == {"a.txt", "b.md", "c.html", "bad.txt"}
    assert by["a.txt"]["verdict"] == "spun" and " -> " in by["a.txt"]["top_findings"]
    assert by["b.md"]["verdict"] == "not spun"
    assert by["bad.txt"]["error"] and not by["bad.txt"]["score"]


def test_missing_input_exit_code(tmp_path):
    assert main(["filter", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "o")]) == 4


@pytest.mark.parametrize("name", ["raw.jsonl", "raw.jsonl.gz"])
def test_worker_chunks_decode_like_the_stream(tmp_path, name):
    """Workers decode undecoded chunks (byte ranges / lines): same items, line numbers, grouping."""
    from unspin.corpus.readers import Shard, chunk_items

    src = tmp_path / name
    _write_jsonl(src, _records(23), {0: "", 4: "{broken", 9: "   ", 10: "[1, 2]", 17: ""})
    if name.endswith(".gz"):  # and a truncated tail: reported as one more record
        data = src.read_bytes()
        src.write_bytes(data[: len(data) - 30])
    shard = Shard(str(src))
    stream = [(it.record, it.error, it.malformed) for it in shard.items()]
    for size in (1, 4, 7, 100):
        chunks = list(Shard(str(src)).jsonl_chunks(size))
        got = [chunk_items(c, "text") for c in chunks]
        assert [len(g) for g in got] == [c.records for c in chunks]
        assert all(len(g) == size for g in got[:-1]) and 0 < len(got[-1]) <= size
        assert [(it.record, it.error, it.malformed) for g in got for it in g] == stream


def test_two_workers_gz_with_malformed_lines(tmp_path):
    src = tmp_path / "m.jsonl.gz"
    _write_jsonl(src, _records(30), {3: "{broken", 12: ""})
    for n in (1, 2):
        assert main(["filter", str(src), "-o", str(tmp_path / f"o{n}"), "--fast", "--workers", str(n),
                     "--chunk-size", "4", "--no-progress"]) == 0
    a, b = (_read_jsonl(tmp_path / f"o{n}" / "m.jsonl.gz") for n in (1, 2))
    assert a == b and len(a) == 31 and a[3]["unspin_line"] == 4


def test_default_chunk_size_follows_the_mode():
    # full mode is ~30x slower per record: smaller chunks keep workers evenly loaded
    from unspin.corpus.batch import Options
    from unspin.corpus.run import FAST_CHUNK, FULL_CHUNK, Settings

    assert Settings("out", Options(fast=True)).chunk_size == FAST_CHUNK
    assert Settings("out", Options(fast=False)).chunk_size == FULL_CHUNK < FAST_CHUNK
    assert Settings("out", Options(fast=False), chunk_size=7).chunk_size == 7
