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


def test_options_refuse_bad_values_at_once():
    """A threshold of NaN, 2 or True was taken (every verdict fixed in advance); a bad profile or
    top_findings became an unspin_error on every record instead of an error of the call."""
    for bad in (float("nan"), 2, -1):
        with pytest.raises(ValueError, match="threshold must be between 0 and 1"):
            Options(fast=True, threshold=bad)
    with pytest.raises(TypeError, match="threshold must be a number"):
        Options(threshold=True)
    for bad in (-1, "2", True, 1.5):
        with pytest.raises(ValueError, match="top_findings must be a whole number"):
            Options(top_findings=bad)
    with pytest.raises(KeyError, match="no built-in spinner profile named 'no-such-spinner'"):
        Options(profile="no-such-spinner")
    with pytest.raises(TypeError, match="profile list items"):
        Options(profile=[None])
    assert Options(threshold=0.5, top_findings=2, profile=None).decision_threshold() == 0.5


def test_score_texts_and_records_refuse_a_single_text_or_record():
    """score_texts("...") scored each character as a text; score_records({...}) each key."""
    with pytest.raises(TypeError, match="got one str; pass \\[text\\]"):
        score_texts(CLEAN, Options(fast=True))
    with pytest.raises(TypeError, match="got one dict; pass \\[record\\]"):
        list(score_records({"id": 1, "text": CLEAN}, Options(fast=True)))


def test_score_records_source_failing_midway_loses_no_record_read():
    """The records read before the source raised sat in the batch buffer and were lost."""
    def source():
        yield from _records(3)
        raise OSError("disk gone")

    got = []
    with pytest.raises(OSError, match="disk gone"):
        for rec in score_records(source(), Options(fast=True), batch_size=10):
            got.append(rec)
    assert [r["id"] for r in got] == ["d0", "d1", "d2"] and all("unspin_score" in r for r in got)


def test_score_records_replaces_the_fields_of_an_earlier_run():
    """A record scored again kept the unspin_error / unspin_restored / findings of an earlier
    run beside the new fields: scored and errored at once, or a restored text of another run."""
    old = {"id": 1, "text": CLEAN, "unspin_error": "old failure", "unspin_restored": "old text",
           "unspin_findings": 7, "unspin_top_findings": [{"text": "x"}]}
    (out,) = score_records([old], Options(fast=True))
    assert "unspin_error" not in out and "unspin_restored" not in out and "unspin_top_findings" not in out
    assert out["unspin_findings"] is None and "unspin_score" in out and out["text"] == CLEAN
    # the text field itself is kept even when it is an unspin_* field (re-checking a restored text)
    (again,) = score_records([{"unspin_restored": CLEAN}], Options(fast=True), text_field="unspin_restored")
    assert again["unspin_restored"] == CLEAN and "unspin_score" in again
    # a record that is not a dict says so, rather than "no text"
    none, text = score_records([None, "just a string"], Options(fast=True))
    assert none["unspin_error"] == "record is NoneType, not a dict with a 'text' field"
    assert text["value"] == "just a string" and "record is str" in text["unspin_error"]


def test_a_text_or_id_field_the_run_would_overwrite_is_refused(tmp_path, capsys):
    """--restore with the text in "unspin_restored" wrote the restored text over the input's
    text, and an id field named like an output field lost the ids: refused before reading."""
    src = tmp_path / "in.jsonl"
    _write_jsonl(src, [{"unspin_score": "doc-1", "unspin_restored": CLEAN}])
    out = tmp_path / "out"
    assert main(["filter", str(src), "-o", str(out), "--restore", "--text-field", "unspin_restored"]) == 2
    assert "--text-field 'unspin_restored' is a field this run writes" in capsys.readouterr().err
    assert main(["filter", str(src), "-o", str(out), "--fast", "--text-field", "unspin_restored",
                 "--id-field", "unspin_score"]) == 2
    assert "--id-field 'unspin_score'" in capsys.readouterr().err
    assert not out.exists()
    # an id named like a field this run does not write is still dropped with an earlier run's fields
    assert main(["filter", str(src), "-o", str(out), "--fast", "--id-field", "unspin_top_findings"]) == 2
    assert "--id-field 'unspin_top_findings' is named like an output field" in capsys.readouterr().err
    with pytest.raises(ValueError, match="text_field 'unspin_score'"):
        next(score_records([{"unspin_score": CLEAN}], Options(fast=True), text_field="unspin_score"))
    # fast mode writes no restored text, whatever restore says
    (fast,) = score_records([{"unspin_restored": CLEAN}], Options(fast=True, restore=True),
                            text_field="unspin_restored")
    assert fast["unspin_restored"] == CLEAN
    # without --restore the restored text of an earlier run can be checked again (kept as it is)
    assert main(["filter", str(src), "-o", str(out), "--fast", "--text-field", "unspin_restored"]) == 0
    (rec,) = _read_jsonl(out / "in.jsonl")
    assert rec["unspin_restored"] == CLEAN and isinstance(rec["unspin_score"], float)


def test_filter_replaces_the_fields_of_an_earlier_run(tmp_path):
    """`unspin filter` over its own output (re-scoring with another threshold or mode): an
    old unspin_error stayed beside the new score and the record was counted as errored."""
    src = tmp_path / "scored.jsonl"
    _write_jsonl(src, [{"id": "a", "text": CLEAN, "unspin_error": "old failure", "unspin_score": 0.99},
                       {"id": "b", "text": "", "unspin_score": 0.1, "unspin_is_spun": False}])
    assert main(["filter", str(src), "-o", str(tmp_path / "out"), "--fast"]) == 0
    a, b = _read_jsonl(tmp_path / "out" / "scored.jsonl")
    assert "unspin_error" not in a and a["unspin_score"] != 0.99
    assert "unspin_error" in b and "unspin_score" not in b  # no text now: no score of the old run beside it
    summary = json.loads((tmp_path / "out" / "_unspin_summary.json").read_text())
    assert summary["errored"] == 1


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
    assert "text" not in t[0] and t[-1]["unspin_error"] == "'text' is null"
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
    (d / "paper.txt").write_text("The results of the irregular woodland classifier are shown in Table 2. "
                                 "We apply counterfeit consciousness to the detection of faults.")
    out = tmp_path / "s.csv"
    assert main(["screen", str(d), "--csv", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    by = {Path(r["file"]).name: r for r in rows}
    assert set(by) == {"a.txt", "b.md", "c.html", "bad.txt", "paper.txt"}
    assert int(by["paper.txt"]["tortured"]) >= 2 and by["bad.txt"]["tortured"] == ""
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


# --------------------------------------------------------------------------- review fixes


def _one_line_error(err: str) -> str:
    """The single 'unspin: error: ...' line of a failed command (and no traceback)."""
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.startswith("unspin: error:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def no_scoring(monkeypatch):
    """Fail the test if anything gets scored: a bad output must be refused before the work."""
    from unspin.corpus import run as corpus_run

    def boom(*a, **kw):
        raise AssertionError("scored before the output was checked")

    monkeypatch.setattr(corpus_run, "score_texts", boom)


def test_bad_output_paths_fail_first_with_exit_3(tmp_path, capsys, no_scoring):
    src = tmp_path / "c.jsonl"
    _write_jsonl(src, _records(3))
    papers = tmp_path / "papers"
    papers.mkdir()
    (papers / "a.txt").write_text(SPUN)
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    cases = [(["screen", str(papers), "--csv", str(tmp_path)], "is a folder; --csv needs a file name"),
             (["screen", str(papers), "--csv", str(tmp_path / "no" / "dir" / "x.csv")], "cannot write"),
             (["filter", str(src), "-o", str(afile)], "exists and is not a folder"),
             (["filter", str(src), "-o", str(afile / "out")], "cannot create the output folder")]
    for argv, says in cases:
        assert main(argv + ["--fast"]) == 3, argv
        assert says in _one_line_error(capsys.readouterr().err), argv
    assert afile.read_text() == "keep me"
    assert not (tmp_path / "no").exists()


def test_write_errors_during_the_run_are_clean(tmp_path, capsys, monkeypatch):
    from unspin.corpus import run as corpus_run

    src = tmp_path / "c.jsonl"
    _write_jsonl(src, _records(3))

    def disk_full(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(corpus_run, "_fsync_write", disk_full)
    assert main(["filter", str(src), "-o", str(tmp_path / "o"), "--fast"]) == 3
    assert "cannot write (No space left on device)" in _one_line_error(capsys.readouterr().err)
    monkeypatch.undo()
    if os.path.exists("/dev/full"):  # a real ENOSPC while the CSV is written at the end
        (tmp_path / "a.txt").write_text(SPUN)
        assert main(["screen", str(tmp_path / "a.txt"), "--csv", "/dev/full", "--fast"]) == 3
        assert "/dev/full: cannot write" in _one_line_error(capsys.readouterr().err)


def test_screen_keeps_an_existing_csv_until_the_rows_are_ready(tmp_path, capsys):
    (tmp_path / "a.txt").write_text(SPUN)
    out = tmp_path / "s.csv"
    out.write_text("old,content\n" * 50)
    assert main(["screen", str(tmp_path / "a.txt"), "--csv", str(out), "--fast"]) == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 1 and rows[0]["file"].endswith("a.txt") and rows[0]["score"]
    assert "old,content" not in out.read_text()


def test_single_document_file_and_unknown_files(tmp_path, capsys):
    (tmp_path / "spun.txt").write_text(SPUN)
    (tmp_path / "page.html").write_text(f"<html><body><p>{CLEAN}</p></body></html>")
    assert main(["filter", str(tmp_path / "spun.txt"), str(tmp_path / "page.html"), "-o", str(tmp_path / "o"),
                 "--fast"]) == 0
    (doc,) = _read_jsonl(tmp_path / "o" / "spun.jsonl")
    assert doc["file"].endswith("spun.txt") and doc["kind"] == "text" and "unspin_score" in doc
    (page,) = _read_jsonl(tmp_path / "o" / "page.jsonl")
    assert page["kind"] == "html" and "unspin_score" in page
    # no known extension: JSON lines if the first non-blank line starts with "{" ...
    (tmp_path / "records").write_text("\n" + json.dumps({"id": "x", "text": CLEAN}) + "\n")
    assert main(["filter", str(tmp_path / "records"), "-o", str(tmp_path / "o2"), "--fast"]) == 0
    assert [r["id"] for r in _read_jsonl(tmp_path / "o2" / "records.jsonl")] == ["x"]
    capsys.readouterr()
    # ... and refused otherwise, before an output is made, instead of one error row per line
    (tmp_path / "blob").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 40)
    (tmp_path / "notes").write_text("plain prose, not JSON\n" * 3)
    for name in ("blob", "notes"):
        assert main(["filter", str(tmp_path / name), "-o", str(tmp_path / f"o-{name}"), "--fast"]) == 3
        assert "cannot tell what kind of file this is" in _one_line_error(capsys.readouterr().err)
        assert not (tmp_path / f"o-{name}").exists()


def _complete_lines(data: bytes, comp: str) -> list[bytes]:
    """What a tolerant decompressor (zcat) recovers from a cut file: its complete lines."""
    if comp == "gz":
        import zlib

        out = zlib.decompressobj(31).decompress(data)
    else:
        import zstandard

        out = zstandard.ZstdDecompressor().decompressobj().decompress(data)
    return out.split(b"\n")[:-1]


@pytest.mark.parametrize("name", ["cut.jsonl.gz", "cut.jsonl.zst"])
@pytest.mark.parametrize("workers", [1, 2])
def test_truncated_compressed_input_keeps_every_complete_line(tmp_path, capsys, name, workers):
    if name.endswith(".zst"):
        pytest.importorskip("zstandard")
    n = 120  # ~300 KB: several zstd blocks, so a cut frame still has complete blocks to give
    src = tmp_path / name
    _write_jsonl(src, _records(n))
    data = src.read_bytes()
    src.write_bytes(data[:-30])
    complete = _complete_lines(data[:-30], name.rsplit(".", 1)[1])
    assert 0 < len(complete) < n
    assert main(["filter", str(src), "-o", str(tmp_path / "o"), "--fast", "--chunk-size", "7",
                 "--workers", str(workers), "--no-progress"]) == 0
    rows = _read_jsonl(tmp_path / "o" / name)
    assert [r["id"] for r in rows[:-1]] == [json.loads(ln)["id"] for ln in complete]  # none lost
    assert all("unspin_score" in r for r in rows[:-1])
    last = rows[-1]
    assert last["unspin_line"] == len(complete) + 1
    assert last["unspin_error"].startswith(f"line {len(complete) + 1}: the compressed stream ended early")
    summary = json.loads((tmp_path / "o" / "_unspin_summary.json").read_text())
    assert summary["read"] == summary["written"] == len(complete) + 1 and summary["errored"] == 1
    assert f"read {len(complete) + 1}, written {len(complete) + 1}" in capsys.readouterr().err


def test_damaged_gzip_keeps_the_lines_before_the_damage(tmp_path):
    import zlib

    recs = _records(60)
    comp = zlib.compressobj(6, zlib.DEFLATED, 31)  # gzip
    first = comp.compress("".join(json.dumps(r) + "\n" for r in recs[:25]).encode())
    first += comp.flush(zlib.Z_FULL_FLUSH)  # byte-aligned, no back-references across this point
    rest = comp.compress("".join(json.dumps(r) + "\n" for r in recs[25:]).encode()) + comp.flush()
    rest = b"\xff" + rest[1:]  # a reserved deflate block type: zlib stops right here
    src = tmp_path / "bad.jsonl.gz"
    src.write_bytes(first + rest)
    assert len(first + rest) < 1 << 16  # the good and the bad part are decompressed in one step
    assert main(["filter", str(src), "-o", str(tmp_path / "o"), "--fast"]) == 0
    rows = _read_jsonl(tmp_path / "o" / "bad.jsonl.gz")
    assert [r["id"] for r in rows[:-1]] == [f"d{i}" for i in range(25)]
    assert rows[-1]["unspin_line"] == 26 and "unspin_raw" not in rows[-1]
    assert rows[-1]["unspin_error"].startswith("line 26: the compressed data is damaged")


def test_nothing_scored_exits_1(tmp_path, capsys):
    src = tmp_path / "junk.jsonl"
    src.write_text("{broken\nnot json either\n")
    assert main(["filter", str(src), "-o", str(tmp_path / "o"), "--fast"]) == 1
    assert "none of the 2 records could be scored" in _one_line_error(capsys.readouterr().err)
    assert len(_read_jsonl(tmp_path / "o" / "junk.jsonl")) == 2  # the rows are still written
    _write_jsonl(src, [{"id": "ok", "text": CLEAN}], {0: "{broken"})
    assert main(["filter", str(src), "-o", str(tmp_path / "o2"), "--fast"]) == 0  # one scored: success
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.txt").write_bytes(b"\x00\x01\x02" * 50)
    assert main(["screen", str(tmp_path / "bad"), "--csv", str(tmp_path / "s.csv"), "--fast"]) == 1
    assert len(list(csv.DictReader((tmp_path / "s.csv").open()))) == 1
    for cmd in ("filter", "screen"):
        assert main([cmd, "--help"]) == 0
        helptext = capsys.readouterr().out
        assert "exit codes:" in helptext and "1    nothing could be scored" in helptext


def test_jsonl_error_messages_and_blank_lines(tmp_path, capsys):
    src = tmp_path / "e.jsonl"
    lines = ['{"id": "a", "text": null}', "null", '"s"', '{"id": "b"}', '{"id": "c", "text": "cut off',
             '{"id": "d", "text": 5}', "", "   ", "[1]", json.dumps({"id": "ok", "text": CLEAN}), ""]
    src.write_text("\n".join(lines) + "\n")
    assert main(["filter", str(src), "-o", str(tmp_path / "o"), "--fast"]) == 0
    errs = [r.get("unspin_error") for r in _read_jsonl(tmp_path / "o" / "e.jsonl")]
    assert errs == ["line 1: 'text' is null", "line 2: a JSON null, not an object",
                    "line 3: a JSON string, not an object", "line 4: no 'text' field",
                    "line 5: malformed JSON (Unterminated string starting at: line 1 column 21 (char 20))",
                    "line 6: 'text' is a JSON number, not a string", "line 9: a JSON array, not an object", None]
    err = capsys.readouterr().err
    assert "read 8, written 8, dropped 0, errored 7 (malformed lines 4), spun 0; blank lines skipped 3" in err
    assert json.loads((tmp_path / "o" / "_unspin_summary.json").read_text())["blank"] == 3


def test_per_file_errors_and_screen_summary(tmp_path, capsys):
    d = tmp_path / "papers"
    d.mkdir()
    (d / "a.txt").write_text(SPUN)
    os.symlink(tmp_path / "missing.txt", d / "gone.txt")
    assert main(["screen", str(d), "--csv", str(tmp_path / "s.csv"), "--fast"]) == 0
    rows = {Path(r["file"]).name: r for r in csv.DictReader((tmp_path / "s.csv").open())}
    assert "broken symbolic link" in rows["gone.txt"]["error"] and "stdin" not in rows["gone.txt"]["error"]
    summary = capsys.readouterr().err.splitlines()[-1]
    assert summary.startswith("unspin screen: read 2 files, scored 1, errored 1, spun ")
    assert "dropped" not in summary and "malformed" not in summary
    (d / "empty.txt").write_text("")
    assert main(["filter", str(d), "-o", str(tmp_path / "o"), "--fast"]) == 0
    out = {r["file"]: r for r in _read_jsonl(tmp_path / "o" / "papers.jsonl")}
    assert all("stdin" not in r.get("unspin_error", "") for r in out.values())
    assert "unspin_error" in out["gone.txt"] and "unspin_error" in out["empty.txt"]


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_lone_surrogate_in_a_record_is_written(tmp_path, fmt):
    """JSON allows "\\ud800" (a lone surrogate), UTF-8 does not: the record is still written,
    escaped again in JSONL, with U+FFFD in Parquet (whose strings must be UTF-8)."""
    if fmt == "parquet":
        pq = pytest.importorskip("pyarrow.parquet")
    src = tmp_path / "s.jsonl"
    _write_jsonl(src, [{"id": "a", "text": "\ud800 " + CLEAN}, {"id": "b", "text": CLEAN}])  # as \\ud800
    assert main(["filter", str(src), "-o", str(tmp_path / "out"), "--fast", "--format", fmt]) == 0
    if fmt == "jsonl":
        rows = _read_jsonl(tmp_path / "out" / "s.jsonl")
        assert rows[0]["text"].startswith("\ud800 ")  # the same escape read back: nothing altered
    else:
        rows = pq.read_table(tmp_path / "out" / "s.parquet").to_pylist()
        assert rows[0]["text"].startswith("\ufffd ")
    assert [r["id"] for r in rows] == ["a", "b"] and all("unspin_score" in r for r in rows)


def test_renamed_output_does_not_take_another_inputs_name(tmp_path):
    """a/x.jsonl, b/x.jsonl and c/x-2.jsonl: b's output must not be x-2.jsonl, which is c's."""
    paths = []
    for d, name in (("a", "x.jsonl"), ("b", "x.jsonl"), ("c", "x-2.jsonl")):
        (tmp_path / d).mkdir()
        paths.append(tmp_path / d / name)
        _write_jsonl(paths[-1], [{"id": f"{d}{i}", "text": CLEAN} for i in range(2)])
    out = tmp_path / "out"
    assert main(["filter", *map(str, paths), "-o", str(out), "--fast"]) == 0
    ids = sorted(r["id"] for p in out.glob("x*.jsonl") for r in _read_jsonl(p))
    assert ids == ["a0", "a1", "b0", "b1", "c0", "c1"]


def test_output_never_replaces_an_input(tmp_path, capsys):
    """filter data/x.jsonl -o data: the output x.jsonl is the input itself (--no-text would lose the texts)."""
    src = tmp_path / "x.jsonl"
    _write_jsonl(src, _records(2))
    before = src.read_bytes()
    assert main(["filter", str(src), "-o", str(tmp_path), "--fast", "--no-text"]) == 2
    assert src.read_bytes() == before
    err = capsys.readouterr().err
    assert "would replace an input" in err and "Traceback" not in err


def test_resume_refuses_another_input_under_the_same_name(tmp_path, capsys):
    """The manifest's results for x.jsonl are those of a/x.jsonl: b/x.jsonl (or a/x.jsonl changed)
    must not be skipped as done, nor mixed with them."""
    a, b = tmp_path / "a" / "x.jsonl", tmp_path / "b" / "x.jsonl"
    a.parent.mkdir()
    b.parent.mkdir()
    _write_jsonl(a, [{"id": "a0", "text": CLEAN}])
    _write_jsonl(b, [{"id": "b0", "text": CLEAN}, {"id": "b1", "text": CLEAN}])
    out = tmp_path / "out"
    assert main(["filter", str(a), "-o", str(out), "--fast"]) == 0
    assert main(["filter", str(a), "-o", str(out), "--fast"]) == 0  # the same input: resumes (nothing to do)
    capsys.readouterr()
    assert main(["filter", str(b), "-o", str(out), "--fast"]) == 2
    assert f"made from another input ({a})" in capsys.readouterr().err
    _write_jsonl(a, [{"id": "a0", "text": CLEAN}, {"id": "a1", "text": CLEAN}])  # a/x.jsonl grows
    assert main(["filter", str(a), "-o", str(out), "--fast"]) == 2
    assert "before it changed" in capsys.readouterr().err
    assert [r["id"] for r in _read_jsonl(out / "x.jsonl")] == ["a0"]


def test_resume_takes_the_same_input_by_another_path(tmp_path, monkeypatch, capsys):
    """The same file named through a symbolic link to its folder, or relative to another working
    folder, is the same input: the run resumes (it was refused as 'made from another input')."""
    data = tmp_path / "data"
    data.mkdir()
    _write_jsonl(data / "x.jsonl", [{"id": "a0", "text": CLEAN}])
    (tmp_path / "link").symlink_to(data, target_is_directory=True)
    out = tmp_path / "out"
    assert main(["filter", str(tmp_path / "link" / "x.jsonl"), "-o", str(out), "--fast"]) == 0
    assert main(["filter", str(data / "x.jsonl"), "-o", str(out), "--fast"]) == 0
    monkeypatch.chdir(data)
    assert main(["filter", "x.jsonl", "-o", str(out), "--fast"]) == 0
    assert "another input" not in capsys.readouterr().err
    assert [r["id"] for r in _read_jsonl(out / "x.jsonl")] == ["a0"]


def test_unreadable_or_damaged_parquet(tmp_path, capsys):
    """Not Parquet at all: exit 3 naming the file. Damaged inside: the rows before are kept,
    plus one error row (as for a damaged .gz), and the run goes on."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    (tmp_path / "no.parquet").write_text("hello")
    assert main(["filter", str(tmp_path / "no.parquet"), "-o", str(tmp_path / "o1"), "--fast"]) == 3
    err = capsys.readouterr().err
    assert "no.parquet: cannot be read as Parquet" in err and "internal error" not in err
    n = 3000
    pq.write_table(pa.table({"id": list(range(n)), "text": [f"{CLEAN[:200]} {i}" for i in range(n)]}),
                   tmp_path / "d.parquet", row_group_size=500, compression="snappy")
    data = bytearray((tmp_path / "d.parquet").read_bytes())
    data[len(data) // 2: len(data) // 2 + 3000] = b"\xff" * 3000
    (tmp_path / "d.parquet").write_bytes(bytes(data))
    assert main(["filter", str(tmp_path / "d.parquet"), "-o", str(tmp_path / "o2"), "--fast"]) == 0
    rows = pq.read_table(tmp_path / "o2" / "d.parquet").to_pylist()
    assert rows[-1]["unspin_error"].startswith(f"row {len(rows)}: the Parquet data is damaged")
    assert [r["id"] for r in rows[:-1]] == list(range(len(rows) - 1)) and len(rows) > 1


def test_parquet_output_of_fields_with_mixed_types(tmp_path):
    """JSONL fields need not keep one type; Parquet columns must: such a column is written as
    text (JSON for the non-strings), within a chunk and across chunks, instead of exit 70."""
    pq = pytest.importorskip("pyarrow.parquet")
    src = tmp_path / "m.jsonl"
    _write_jsonl(src, [{"id": 1, "text": CLEAN}, {"id": "two", "text": CLEAN, "x": [1]}, {"id": 3, "text": CLEAN}],
                 {3: "[1, 2]", 4: '"a string"'})
    for chunk in ("1", "100"):
        out = tmp_path / f"out{chunk}"
        assert main(["filter", str(src), "-o", str(out), "--fast", "--format", "parquet",
                     "--chunk-size", chunk]) == 0
        rows = pq.read_table(out / "m.parquet").to_pylist()
        assert [r["id"] for r in rows] == ["1", "two", "3", None, None]
        assert [r["value"] for r in rows[3:]] == ["[1, 2]", "a string"]
        assert [r["x"] for r in rows[:2]] == [None, [1]]


@pytest.mark.parametrize("gz", [False, True])
def test_damaged_or_cut_warc_keeps_the_records_before(tmp_path, capsys, gz):
    """Garbage between records: the records before are kept, plus one error row (the run went on
    and the shard was lost, exit 3 with no file name); a cut last record is an error, not a
    shorter text scored as if whole."""
    pytest.importorskip("fastwarc")
    recs = [_warc_record({"WARC-Type": "resource", "WARC-Record-ID": f"<urn:{i}>", "WARC-Target-URI": f"file:///{i}",
                          "Content-Type": "text/plain"}, CLEAN.encode()) for i in range(3)]
    pack = (lambda r: gzip.compress(r)) if gz else (lambda r: r)
    ext = ".warc.gz" if gz else ".warc"
    (tmp_path / f"bad{ext}").write_bytes(pack(recs[0]) + pack(b"GARBAGE\r\n\r\n") + pack(recs[1]))
    cut = b"".join(map(pack, recs))
    (tmp_path / f"cut{ext}").write_bytes(cut[:-(len(recs[2]) // 2 if not gz else 40)])
    assert main(["filter", str(tmp_path / f"bad{ext}"), str(tmp_path / f"cut{ext}"), "-o", str(tmp_path / "out"),
                 "--fast"]) == 0
    bad = _read_jsonl(tmp_path / "out" / "bad.jsonl.gz")
    assert bad[0]["id"] == "<urn:0>" and "unspin_score" in bad[0]
    assert len(bad) == 2 and "the WARC data is damaged" in bad[1]["unspin_error"]
    rows = _read_jsonl(tmp_path / "out" / "cut.jsonl.gz")
    assert [r["id"] for r in rows] == ["<urn:0>", "<urn:1>", "<urn:2>"]
    assert "unspin_score" in rows[1] and "record cut short" in rows[2]["unspin_error"]


def test_screen_non_utf8_file_name_and_named_pipe(tmp_path, capsys):
    """A file name that is not UTF-8 gets its row (bytes escaped) instead of exit 70 and a CSV
    cut half-way; a named pipe called *.txt gets an error row instead of a run that never ends."""
    d = tmp_path / "papers"
    d.mkdir()
    (d / "ok.txt").write_text(CLEAN)
    try:
        (Path(os.fsdecode(bytes(d) + b"/caf\xe9.txt"))).write_text(CLEAN)
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system does not take non-UTF-8 names")
    os.mkfifo(d / "pipe.txt")
    out = tmp_path / "s.csv"
    assert main(["screen", str(d), "--csv", str(out), "--fast"]) == 0
    rows = {Path(r["file"]).name: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert set(rows) == {"ok.txt", "caf\\xe9.txt", "pipe.txt"}
    assert rows["caf\\xe9.txt"]["score"] and rows["ok.txt"]["score"]
    assert "not a regular file" in rows["pipe.txt"]["error"]


def test_screen_reads_a_named_pipe_given_by_name(tmp_path, capsys):
    """`unspin screen <(curl ...)` names a pipe that has a writer: it is read (the check for a
    stray pipe in a folder refused it with 'not a regular file')."""
    import threading

    fifo = tmp_path / "doc.txt"
    os.mkfifo(fifo)

    def write():
        with open(fifo, "w", encoding="utf-8") as fh:
            fh.write(CLEAN)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    out = tmp_path / "s.csv"
    assert main(["screen", str(fifo), "--csv", str(out), "--fast"]) == 0
    writer.join(5)
    (row,) = csv.DictReader(out.open(encoding="utf-8"))
    assert row["score"] and not row["error"]
