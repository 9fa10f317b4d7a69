"""Benchmark metrics on hand-built examples (no engine, no shared data needed),
plus one end-to-end run of ``unspin bench`` on a tiny fake data folder."""
from __future__ import annotations

import json
import math

import pytest

from unspin.bench import data as D
from unspin.bench import metrics as M
from unspin.bench import run as R
from unspin.report import Finding


# ----------------------------------------------------------------- WER / ERR / damage

def test_wer_identical_is_zero():
    assert M.wer("The cat sat on the mat.", "the cat, sat on THE mat") == 0.0


def test_wer_counts_word_edits():
    # one substitution + one deletion over 4 reference words
    assert M.wer("a x c", "a b c d") == pytest.approx(2 / 4)
    assert M.wer([], ["a", "b"]) == 1.0
    assert M.wer("a b c", "") == 1.0 and M.wer("", "") == 0.0


def test_numpy_fallback_matches_primary():
    import random

    rng = random.Random(1)
    for _ in range(50):
        a = [rng.choice("abcde") for _ in range(rng.randint(0, 12))]
        b = [rng.choice("abcde") for _ in range(rng.randint(0, 12))]
        assert M._edit_distance_numpy(a, b) == M.edit_distance(a, b)


ORIG = "The regulator said the bank failed to monitor millions of transactions."
SPUN = "The regulator mentioned the financial institution failed to watch millions of transactions."


def test_err_perfect_restoration_is_one():
    assert M.err(ORIG, SPUN, ORIG) == 1.0


def test_err_no_change_is_zero():
    assert M.err(SPUN, SPUN, ORIG) == 0.0


def test_err_negative_for_damage():
    damaged = SPUN.replace("millions", "thousands")
    assert M.err(damaged, SPUN, ORIG) < 0


def test_err_partial():
    # fix "mentioned"->"said" only: WER falls from 4/11 to 3/11
    part = SPUN.replace("mentioned", "said")
    assert M.wer(SPUN, ORIG) == pytest.approx(4 / 11)
    assert M.err(part, SPUN, ORIG) == pytest.approx(1 - 3 / 4)


def test_err_undefined_without_spinning_and_pooled():
    assert math.isnan(M.err("a b", "a b", "a b"))
    assert M.err_pooled([(ORIG, SPUN, ORIG), ("x y", "x y", "x y")]) == 1.0
    # damage on an unspun document pulls the pooled figure down
    assert M.err_pooled([(ORIG, SPUN, ORIG), ("x z z z z z", "x y", "x y")]) == pytest.approx(1 - 5 / 4)


def test_substitution_labels_and_damage():
    labels = M.substitution_labels(M.words(SPUN), M.words(ORIG))
    spun_w = M.words(SPUN)
    assert [w for w, lab in zip(spun_w, labels) if lab] == ["mentioned", "financial", "institution", "watch"]
    assert M.damage(ORIG, SPUN, ORIG) == 0.0            # only substituted words changed
    assert M.damage(SPUN, SPUN, ORIG) == 0.0            # nothing changed
    bad = "A regulator mentioned the financial institution failed to watch thousands of transactions."
    n_plain = len(spun_w) - sum(labels)                 # 8 plain words; 'The' and 'millions' changed
    assert M.damage(bad, SPUN, ORIG) == pytest.approx(2 / n_plain)
    assert M.damage(bad, SPUN, labels=labels, counts=True) == (2, n_plain)


def test_insert_block_words_count_as_substituted():
    assert M.substitution_labels(["it", "was", "very", "big"], ["it", "was", "big"]) == [False, False, True, False]


# ----------------------------------------------------------------- localization

def test_localization_prf_on_fixture():
    text = "Struggling Metro Financial institution has been fined for poor cash laundering controls."
    orig = "Struggling Metro Bank has been fined for poor money laundering controls."
    labels = M.substitution_labels(M.words(text), M.words(orig))
    assert sum(labels) == 3  # Financial institution, cash
    fi = text.index("Financial institution")
    findings = [
        Finding(fi, fi + len("Financial institution"), "Financial institution", "Bank", ["Bank"], 0.9, "profile", "profile"),
        Finding(0, 10, "Struggling", None, [], 0.3, "lm", "substitution"),  # false alarm
    ]
    prf = M.localization_prf(findings, text, labels)
    assert (prf.tp, prf.fp, prf.fn) == (2, 1, 1)        # missed 'cash'
    assert prf.precision == pytest.approx(2 / 3) and prf.recall == pytest.approx(2 / 3)
    assert prf.f1 == pytest.approx(2 / 3)
    # dict / tuple findings work too, and a finding touching half a word flags it
    assert M.localization_prf([{"start": fi + 3, "end": fi + 5}], text, labels).tp == 1
    assert M.localization_prf([], text, labels).to_dict()["recall"] == 0.0
    assert math.isnan(M.localization_prf([], text, labels).precision)


def test_labels_from_edit_spans():
    text = "We use a gentle method here."
    s = text.index("gentle")
    assert M.labels_from_spans(text, [(s, s + 6)]) == [False, False, False, True, False, False]


def test_localization_rejects_mismatched_labels():
    with pytest.raises(ValueError):
        M.localization_prf([], "one two", [True])


# ----------------------------------------------------------------- detection

def test_auc_perfect_ties_and_inverted():
    assert M.roc_auc([0.9, 0.8, 0.7], [0.1, 0.2]) == 1.0
    assert M.roc_auc([0.4, 0.4], [0.4, 0.4, 0.4]) == 0.5
    assert M.roc_auc([0.1], [0.9]) == 0.0
    assert M.roc_auc([0.5, 0.9], [0.5, 0.1]) == pytest.approx(0.875)
    assert math.isnan(M.roc_auc([], [0.3]))


def test_auc_matches_pairwise_definition():
    import random

    rng = random.Random(3)
    pos = [rng.choice([0.1, 0.2, 0.3, 0.5, 0.9]) for _ in range(20)]
    neg = [rng.choice([0.1, 0.2, 0.3, 0.5]) for _ in range(15)]
    pair = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg) / (len(pos) * len(neg))
    assert M.roc_auc(pos, neg) == pytest.approx(pair)


def test_rate_at_threshold():
    assert M.rate_at_threshold([0.2, 0.5, 0.9, 0.1], 0.5) == 0.5
    assert M.rate_at_threshold([0.1], 0.5) == 0.0


# ----------------------------------------------------------------- data helpers

def test_story_id_and_split():
    assert D.story_id("fm-cfpb-realinvest") == "fm-cfpb"
    assert D.heldout_indices(11) == [0, 5, 10]


def test_data_dir_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("UNSPIN_DATA", str(tmp_path))
    assert D.resolve_data_dir() == tmp_path
    assert D.resolve_data_dir(tmp_path / "missing") is None  # explicit --data is never replaced


def test_write_docs_replaces_marked_section(tmp_path):
    p = tmp_path / "docs" / "benchmarks.md"
    R.write_docs("first", p)
    assert "first" in p.read_text()
    p.write_text("# Bench\n\nintro\n\n<!-- bench:start -->\nold\n<!-- bench:end -->\n\ntail\n")
    R.write_docs("new table", p)
    t = p.read_text()
    assert "new table" in t and "old" not in t and t.startswith("# Bench") and t.rstrip().endswith("tail")


def test_unknown_bench_name_is_an_error(capsys):
    assert R.main(["--only", "nonsense"]) == 2


# ----------------------------------------------------------------- end to end (needs the engine)

_FAKE_TEXTS = [
    "The council voted on Tuesday to close the old library and move its books to the community centre. "
    "Residents said the new site would be hard to reach for older people who rely on the bus.",
    "Shares in the energy company fell after it warned that profits would be lower than expected. "
    "The firm blamed a mild winter and higher costs for maintaining its network of pipes.",
    "The home side scored twice in the final ten minutes to win the match and move to the top of the table. "
    "The manager praised his players for their character and their refusal to give up.",
]


def test_main_synthetic_quick_end_to_end(tmp_path, capsys):
    pytest.importorskip("unspin.detect", reason="engine (unspin.detect) not written yet")
    pytest.importorskip("unspin.spin", reason="spinner (unspin.spin) not written yet")
    d = tmp_path / "data"
    d.mkdir()
    with open(d / "clean_news.jsonl", "w", encoding="utf-8") as fh:
        for i in range(6):  # indices 0 and 5 are the held-out texts
            t = _FAKE_TEXTS[i % len(_FAKE_TEXTS)]
            fh.write(json.dumps({"id": f"fake-{i}", "url": "", "topic": "fake", "text": t}) + "\n")
    out = tmp_path / "bench.json"
    rc = R.main(["--only", "synthetic", "--quick", "--data", str(d), "--json", str(out)])
    assert rc == 0
    stdout = capsys.readouterr().out
    assert "synthetic" in stdout and "| style | rate |" in stdout
    res = json.loads(out.read_text())["benchmarks"]["synthetic"]
    assert res["status"] == "ok"
    rows = res["tables"][0]["rows"]
    assert {r["style"] for r in rows} == set(R.STYLES)
    assert all("basis" in r for r in rows)
    assert "2 of 6" in res["raw"]["source"]


# ----------------------------------------------------------------- --write-docs without the data

_DOCS = """# Bench

intro

<!-- bench:start -->
## Benchmark results

Date: 2020-01-02 03:04 UTC; unspin 0.0.1 at commit abc1234.  
Command: `unspin bench`; data: /data.

### dev: real spun copies

| a |
|---|
| DEV-FIGURES |

### clean: false positives

CLEAN-FIGURES

### speed: words/s

SPEED-FIGURES
<!-- bench:end -->

tail
"""


def test_write_docs_without_data_leaves_the_docs_alone(tmp_path, capsys):
    p = tmp_path / "benchmarks.md"
    p.write_text(_DOCS, encoding="utf-8")
    rc = R.main(["--only", "dev,clean,tortured", "--data", str(tmp_path / "no-data"), "--write-docs",
                 "--docs", str(p)])
    assert rc == R.EXIT_NOTHING_MEASURED == 4
    assert p.read_text(encoding="utf-8") == _DOCS
    err = capsys.readouterr().err
    assert "unspin bench: error: --write-docs: no benchmark was measured" in err
    assert "--data DIR" in err and "left unchanged" in err
    assert not (tmp_path / "new.md").exists()
    assert R.main(["--only", "dev", "--data", str(tmp_path / "no-data"), "--write-docs",
                   "--docs", str(tmp_path / "new.md")]) == 4
    assert not (tmp_path / "new.md").exists()  # no file full of "skipped" either


def test_write_docs_replaces_only_the_sections_it_measured(tmp_path, monkeypatch, capsys):
    def fake_clean(ctx):
        return R.Section("clean", "clean: false positives", tables=[R.Table("T", ["a"], [{"a": "NEW-CLEAN"}])])

    monkeypatch.setitem(R.RUNNERS, "clean", fake_clean)  # measured; dev finds no data and is skipped
    p = tmp_path / "benchmarks.md"
    p.write_text(_DOCS, encoding="utf-8")
    argv = ["--only", "dev,clean", "--data", str(tmp_path / "no-data"), "--write-docs", "--docs", str(p)]
    assert R.main(argv) == 0
    t = p.read_text(encoding="utf-8")
    assert t.startswith("# Bench\n\nintro\n") and t.rstrip().endswith("tail")
    assert "NEW-CLEAN" in t and "CLEAN-FIGURES" not in t
    assert "DEV-FIGURES" in t and "SPEED-FIGURES" in t and "skipped" not in t
    assert t.count(R.KEPT_MARK) == 2 and "(2020-01-02 03:04 UTC; unspin 0.0.1 at commit abc1234)" in t
    assert t.index("### dev") < t.index("### clean") < t.index("### speed")
    assert "kept the earlier dev, speed" in capsys.readouterr().err
    assert R.main(argv) == 0  # a second run keeps the mark once, with the first run's date
    t2 = p.read_text(encoding="utf-8")
    assert t2.count(R.KEPT_MARK) == 2 and "2020-01-02" in t2


def test_docs_block_keeps_real_figures_over_fallback_texts():
    info = {"cpu": "cpu", "cpus_available": 1, "python": "3", "platform": "p", "date": "today", "unspin": "0",
            "commit": None, "command": "unspin bench"}
    previous = "## Benchmark results\n\n### synthetic: old\n\nREAL-DATA\n"
    fallback = R.Section("synthetic", "synthetic: new", notes=["fallback texts"], fallback=True)
    assert R.docs_block([fallback], info, None, previous)[0] is None
    block, written, kept = R.docs_block([fallback], info, None, None)  # nothing better to keep: write it
    assert written == ["synthetic"] and kept == [] and "fallback texts" in block
    skipped = R.Section("dev", "dev: x", status="skipped", notes=[D.MISSING_MSG])
    block, written, kept = R.docs_block([skipped, fallback], info, None, None)
    assert "skipped" not in block and "Not measured by this run and not in the earlier docs: dev" in block


@pytest.mark.parametrize("sub", [[], ["corpus"], ["trace"], ["load"]])
def test_bench_refuses_an_unwritable_json_path_before_measuring(tmp_path, capsys, sub):
    from unspin.cli import main

    assert main(["bench", *sub, "--json", str(tmp_path / "missing" / "raw.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["bench", *sub, "--json", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
