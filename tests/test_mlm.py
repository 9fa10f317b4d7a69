"""The optional masked-LM backend (unspin.mlm), with tiny BERT checkpoints built here.

No real model is available offline, so these tests build BERT folders in the Hugging
Face layout (config.json, model.safetensors, tokenizer.json / vocab.txt) with random
weights, and rig the output bias where a test needs the model to prefer a word.
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("safetensors")
pytest.importorskip("tokenizers")

import unspin  # noqa: E402
from unspin.mlm import MaskedLM, MLMError, rescore  # noqa: E402

TEXT = "Investors looked for secure sanctuaries as markets fell."
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
BASE_WORDS = "investors looked for secure as markets fell . the a of".split()


def make_bert(folder: Path, words: list[str], *, favour: tuple[str, ...] = (), hidden: int = 16,
              layers: int = 2, tokenizer_json: bool = True, prefix: str = "bert.", old_ln_names: bool = False,
              head: bool = True, seed: int = 0) -> Path:
    """A tiny BertForMaskedLM checkpoint; ``favour``: vocabulary words the head prefers everywhere."""
    from safetensors.numpy import save_file
    from tokenizers import BertWordPieceTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    vocab = SPECIAL + list(dict.fromkeys(w.lower() for w in words))
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    if tokenizer_json:
        BertWordPieceTokenizer(str(folder / "vocab.txt"), lowercase=True).save(str(folder / "tokenizer.json"))
        (folder / "vocab.txt").unlink()
    V, H, I = len(vocab), hidden, 2 * hidden
    cfg = {"model_type": "bert", "vocab_size": V, "hidden_size": H, "num_hidden_layers": layers,
           "num_attention_heads": 2, "intermediate_size": I, "max_position_embeddings": 128,
           "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu"}
    (folder / "config.json").write_text(json.dumps(cfg), encoding="utf-8")
    rng = np.random.default_rng(seed)

    def r(*shape):
        return (rng.standard_normal(shape) * 0.2).astype(np.float32)

    g, b = ("gamma", "beta") if old_ln_names else ("weight", "bias")
    w = {"embeddings.word_embeddings.weight": r(V, H), "embeddings.position_embeddings.weight": r(128, H),
         "embeddings.token_type_embeddings.weight": r(2, H),
         f"embeddings.LayerNorm.{g}": np.ones(H, np.float32), f"embeddings.LayerNorm.{b}": np.zeros(H, np.float32)}
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for k in ("query", "key", "value"):
            w[p + f"attention.self.{k}.weight"], w[p + f"attention.self.{k}.bias"] = r(H, H), r(H)
        w[p + "attention.output.dense.weight"], w[p + "attention.output.dense.bias"] = r(H, H), r(H)
        w[p + f"attention.output.LayerNorm.{g}"], w[p + f"attention.output.LayerNorm.{b}"] = 1 + r(H), r(H)
        w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"] = r(I, H), r(I)
        w[p + "output.dense.weight"], w[p + "output.dense.bias"] = r(H, I), r(H)
        w[p + f"output.LayerNorm.{g}"], w[p + f"output.LayerNorm.{b}"] = 1 + r(H), r(H)
    w = {prefix + k: v for k, v in w.items()}
    if head:
        bias = np.zeros(V, np.float32)
        for word in favour:
            bias[vocab.index(word.lower())] = 30.0
        bias[vocab.index("[UNK]")] = -30.0 if favour else 0.0
        w.update({"cls.predictions.transform.dense.weight": r(H, H), "cls.predictions.transform.dense.bias": r(H),
                  f"cls.predictions.transform.LayerNorm.{g}": np.ones(H, np.float32),
                  f"cls.predictions.transform.LayerNorm.{b}": np.zeros(H, np.float32),
                  "cls.predictions.bias": bias})
    save_file(w, str(folder / "model.safetensors"))
    return folder


def engine_words() -> list[str]:
    """Every word of TEXT's findings, suggestions and alternatives (the engine without
    profiles): a vocabulary in which the model can read all of them."""
    r = unspin.check(TEXT, profile=None)
    return BASE_WORDS + [w for f in r.findings for s in (f.text, f.suggestion or "", *f.alternatives)
                         for w in s.lower().split()]


@pytest.fixture(scope="module")
def finding():
    """The engine's finding on 'sanctuaries' (without a masked LM), with its candidates."""
    r = unspin.check(TEXT, profile=None)
    f = next(f for f in r.findings if "sanctuaries" in f.text)
    assert f.alternatives, f
    return r, f


def test_load_and_fill_in(tmp_path):
    m = MaskedLM.load(make_bert(tmp_path / "m", BASE_WORDS + ["havens"]))
    assert m.pieces("Investors fell") == [m.tokenizer.token_to_id("investors"), m.tokenizer.token_to_id("fell")]
    (s,) = m.score_many([("Investors looked for secure", "as markets fell.", ["havens", "xyzzy", ""])])
    assert all(x <= 0 for x in s[:2]) and s[2] == -math.inf  # log-probabilities; nothing to score: -inf
    # a batch gives each item what it gets alone (padding is masked out of attention)
    items = [("a", "b", ["havens"]), ("Investors looked for secure", "as markets fell .", ["havens", "the a"])]
    together = m.score_many(items)
    alone = [m.score_many([it])[0] for it in items]
    np.testing.assert_allclose(np.array(sum(together, [])), np.array(sum(alone, [])), rtol=1e-4, atol=1e-4)
    import unspin.mlm as M

    old, M.ROWS_PER_PASS = M.ROWS_PER_PASS, 1  # one row per forward pass: same answers
    try:
        np.testing.assert_allclose(np.array(sum(m.score_many(items), [])), np.array(sum(together, [])), rtol=1e-4)
    finally:
        M.ROWS_PER_PASS = old
    # the context matters
    assert m.score_many([("the", "markets", ["havens"])]) != m.score_many([("investors", "fell", ["havens"])])


def test_vocab_txt_old_names_and_no_prefix_load_alike(tmp_path):
    a = MaskedLM.load(make_bert(tmp_path / "a", BASE_WORDS))
    b = MaskedLM.load(make_bert(tmp_path / "b", BASE_WORDS, tokenizer_json=False, prefix="", old_ln_names=True))
    item = [("investors looked", "markets fell", ["secure", "the a"])]
    np.testing.assert_allclose(a.score_many(item), b.score_many(item), rtol=1e-5)


def test_masked_lm_choice_becomes_the_suggestion(tmp_path, finding):
    report, f = finding
    target = f.alternatives[-1]  # the engine's last choice
    m = make_bert(tmp_path / "m", engine_words(), favour=tuple(target.split()))
    r = unspin.check(TEXT, profile=None, mlm=m)
    g = next(x for x in r.findings if x.start == f.start)
    assert g.suggestion.lower() == target.lower()
    assert g.confidence > f.confidence and "masked LM" in g.reason and target in g.reason
    assert sorted(map(str.lower, [g.suggestion, *g.alternatives])) == sorted(map(str.lower, [f.suggestion, *f.alternatives]))
    assert r.score == report.score  # the calibrated document score is the engine's
    if g.applied:
        assert target.lower() in r.restored.lower()


def test_masked_lm_that_likes_the_text_as_written_withdraws_the_finding(tmp_path, finding):
    _, f = finding
    m = make_bert(tmp_path / "m", engine_words(), favour=("secure", "sanctuaries"))
    r = unspin.check(TEXT, profile=None, mlm=str(m))
    g = [x for x in r.findings if x.start == f.start]
    assert not g or (g[0].confidence < f.confidence and not g[0].applied)
    assert "sanctuaries" in r.restored


def test_text_the_model_cannot_read_is_left_alone(tmp_path, finding):
    # 'sanctuaries' is not in this vocabulary: the text as written is [UNK] to the model,
    # which says nothing about it (P([UNK]) is no evidence that the text was spun)
    report, f = finding
    m = make_bert(tmp_path / "m", BASE_WORDS + f.suggestion.split(), favour=tuple(f.suggestion.split()))
    r = rescore(report, TEXT, MaskedLM.load(m))
    g = next(x for x in r.findings if x.start == f.start)
    assert g == f


def test_tokenizer_saved_with_padding_and_truncation(tmp_path):
    from tokenizers import Tokenizer

    folder = make_bert(tmp_path / "m", BASE_WORDS + ["havens"])
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.enable_truncation(max_length=8)
    tok.enable_padding(length=8)
    tok.save(str(folder / "tokenizer.json"))
    m = MaskedLM.load(folder)
    assert m.pieces("havens") == [m.tokenizer.token_to_id("havens")]
    assert len(m.pieces(" ".join(["investors"] * 20))) == 20


def test_past_the_deadline_findings_stay_as_the_engine_made_them(tmp_path, finding):
    import time

    report, _ = finding
    m = MaskedLM.load(make_bert(tmp_path / "m", engine_words()))
    assert rescore(report, TEXT, m, deadline=time.monotonic() - 1).findings == report.findings
    assert rescore(report, TEXT, m, deadline=time.monotonic() + 60).findings != report.findings


@pytest.mark.parametrize("weight", [float("nan"), float("inf"), -1.0])
def test_weight_must_be_finite_and_not_negative(tmp_path, finding, weight):
    report, _ = finding
    with pytest.raises(ValueError, match="finite number >= 0"):
        rescore(report, TEXT, make_bert(tmp_path / "m", BASE_WORDS), weight=weight)


def test_rescore_weight_zero_keeps_confidences(tmp_path, finding):
    report, f = finding
    m = MaskedLM.load(make_bert(tmp_path / "m", engine_words(), seed=3))
    r = rescore(report, TEXT, m, weight=0.0)
    assert [x.confidence for x in r.findings] == [x.confidence for x in report.findings]
    assert any("masked LM" in x.reason for x in r.findings)  # re-scored, with no weight
    assert [(x.start, x.end) for x in r.findings] == [(x.start, x.end) for x in report.findings]


@pytest.mark.parametrize("breakage, message", [
    ("missing", "folder not found"),
    ("no-config", "no config.json"),
    ("gpt2", "model_type 'gpt2' is not supported"),
    ("bin-only", "pytorch_model.bin: convert it once"),
    ("no-head", "no masked-LM head"),
    ("no-tokenizer", "no tokenizer.json or vocab.txt"),
    ("bad-tokenizer", "cannot read the tokenizer"),
    ("config-list", "not a JSON object"),
    ("heads", "not a multiple of num_attention_heads"),
    ("vocab", "tokenizer and weights from different models"),
    ("relative", "position_embedding_type 'relative_key' is not supported"),
])
def test_unusable_folders_explain_themselves(tmp_path, breakage, message):
    folder = tmp_path / "m"
    if breakage != "missing":
        make_bert(folder, BASE_WORDS, head=breakage != "no-head")
    if breakage == "no-config":
        (folder / "config.json").unlink()
    elif breakage == "gpt2":
        (folder / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    elif breakage == "bin-only":
        (folder / "model.safetensors").rename(folder / "pytorch_model.bin")
    elif breakage == "no-tokenizer":
        (folder / "tokenizer.json").unlink()
    elif breakage == "bad-tokenizer":
        (folder / "tokenizer.json").write_text("{not json")
    elif breakage == "config-list":
        (folder / "config.json").write_text("[1, 2]")
    elif breakage in ("heads", "relative"):
        cfg = json.loads((folder / "config.json").read_text())
        cfg.update({"num_attention_heads": 3} if breakage == "heads" else {"position_embedding_type": "relative_key"})
        (folder / "config.json").write_text(json.dumps(cfg))
    elif breakage == "vocab":
        make_bert(tmp_path / "big", BASE_WORDS + ["extra", "words", "here"])
        (tmp_path / "big" / "tokenizer.json").replace(folder / "tokenizer.json")
    with pytest.raises(MLMError, match=message):
        MaskedLM.load(folder)


def test_cli_mlm_option(tmp_path):
    art = tmp_path / "a.txt"
    art.write_text(TEXT + "\n", encoding="utf-8")
    model = make_bert(tmp_path / "m", engine_words())
    run = lambda *a: subprocess.run([sys.executable, "-m", "unspin", *a], capture_output=True, text=True)  # noqa: E731
    ok = run("check", str(art), "--json", "--no-profile", "--mlm", str(model))
    assert ok.returncode == 0, ok.stderr
    rep = json.loads(ok.stdout)
    assert any("masked LM" in f["reason"] for f in rep["findings"])
    assert run("restore", str(art), "--mlm", str(model), "--mlm-weight", "0").returncode == 0
    html = run("report", str(art), "--mlm", str(model), "-o", str(tmp_path / "r.html"))
    assert html.returncode == 0, html.stderr
    assert "masked LM" in (tmp_path / "r.html").read_text(encoding="utf-8")
    missing = run("check", str(art), "--mlm", str(tmp_path / "nope"))
    assert missing.returncode == 4 and missing.stderr.count("\n") == 1 and "folder not found" in missing.stderr
    assert run("check", str(art), "--mlm-weight", "0.3").returncode == 2  # a weight for no model
    assert run("check", str(art), "--mlm", str(model), "--mlm-weight", "nan").returncode == 2
    (model / "config.json").write_text("{}")
    bad = run("check", str(art / "missing-input"), "--mlm", str(model))  # the model folder is judged first
    assert bad.returncode == 3 and "not supported" in bad.stderr and "Traceback" not in bad.stderr


def test_server_rescores_with_the_model(tmp_path):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from unspin.server import create_app

    model = make_bert(tmp_path / "m", engine_words())
    with TestClient(create_app(warmup=False, mlm=str(model))) as c:
        r = c.post("/v1/check", json={"text": TEXT, "profile": "none"})
        assert r.status_code == 200
        assert any("masked LM" in f["reason"] for f in r.json()["findings"])
    with pytest.raises(MLMError, match="folder not found"):
        create_app(warmup=False, mlm=str(tmp_path / "nope"))


def test_bench_measures_what_a_model_adds(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "tortured_phrases.tsv").write_text(
        "tortured\texpected\tpapers\nirregular woodland\trandom forest\t3\nsecure sanctuaries\tsafe havens\t1\n",
        encoding="utf-8")
    model = make_bert(tmp_path / "m", BASE_WORDS + ["random", "forest"], favour=("random", "forest"))
    run = subprocess.run([sys.executable, "-m", "unspin", "bench", "--only", "tortured", "--quick", "--data", str(data),
                          "--mlm", str(model)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "--mlm" in run.stdout and "| per row | 2 |" in run.stdout and "re-scored by the masked LM m" in run.stdout
    bad = subprocess.run([sys.executable, "-m", "unspin", "bench", "--only", "tortured", "--mlm", str(tmp_path / "x")],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "folder not found" in bad.stderr


def test_forward_pass_matches_a_plain_loop(tmp_path):
    """The vectorised pass against the BERT equations written out token by token and head by head."""
    from safetensors.numpy import load_file

    folder = make_bert(tmp_path / "m", BASE_WORDS, layers=1, seed=5)
    m = MaskedLM.load(folder)
    w = {k[5:] if k.startswith("bert.") else k: v for k, v in load_file(str(folder / "model.safetensors")).items()}
    ids = [m.cls, *m.pieces("investors looked for"), m.mask, m.sep]
    H, heads = 16, 2
    d = H // heads

    def ln(v, g, b):
        return (v - v.mean()) / np.sqrt(v.var() + 1e-12) * g + b

    def gelu(v):
        return 0.5 * v * (1 + np.array([math.erf(x / math.sqrt(2)) for x in v]))

    e = w["embeddings.word_embeddings.weight"]
    x = [ln(e[t] + w["embeddings.position_embeddings.weight"][i] + w["embeddings.token_type_embeddings.weight"][0],
            w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"]) for i, t in enumerate(ids)]
    p = "encoder.layer.0."
    lin = {k: (w[p + f"attention.self.{k}.weight"], w[p + f"attention.self.{k}.bias"]) for k in ("query", "key", "value")}
    q, k_, v = ([W @ xi + b for xi in x] for W, b in (lin["query"], lin["key"], lin["value"]))
    out = []
    for i in range(len(ids)):
        ctx = []
        for h in range(heads):
            sl = slice(h * d, (h + 1) * d)
            s = np.array([q[i][sl] @ k_[j][sl] / math.sqrt(d) for j in range(len(ids))])
            a = np.exp(s - s.max()) / np.exp(s - s.max()).sum()
            ctx.append(sum(a[j] * v[j][sl] for j in range(len(ids))))
        c = np.concatenate(ctx)
        y = ln(w[p + "attention.output.dense.weight"] @ c + w[p + "attention.output.dense.bias"] + x[i],
               w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        f = w[p + "output.dense.weight"] @ gelu(w[p + "intermediate.dense.weight"] @ y + w[p + "intermediate.dense.bias"])
        out.append(ln(f + w[p + "output.dense.bias"] + y, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]))
    pos = ids.index(m.mask)
    t = ln(gelu(w["cls.predictions.transform.dense.weight"] @ out[pos] + w["cls.predictions.transform.dense.bias"]),
           w["cls.predictions.transform.LayerNorm.weight"], w["cls.predictions.transform.LayerNorm.bias"])
    logits = e @ t + w["cls.predictions.bias"]  # the decoder is tied to the word embeddings
    expect = logits - np.logaddexp.reduce(logits)
    arr = np.array([ids])
    got = m.log_probs(m.hidden(arr, np.ones_like(arr, dtype=bool))[0, pos][None])[0]
    np.testing.assert_allclose(got, expect, atol=2e-4)


def test_matches_transformers_when_installed(tmp_path):
    """Cross-check the numpy forward pass with Hugging Face's BertForMaskedLM (needs torch)."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    folder = make_bert(tmp_path / "m", BASE_WORDS + ["havens"])
    ours = MaskedLM.load(folder)
    theirs = transformers.BertForMaskedLM.from_pretrained(str(folder), local_files_only=True).eval()
    ids = np.array([[ours.cls, *ours.pieces("investors looked for"), ours.mask, *ours.pieces("as markets fell"), ours.sep]])
    with torch.no_grad():
        logits = theirs(input_ids=torch.tensor(ids)).logits[0].numpy()
    pos = int(np.flatnonzero(ids[0] == ours.mask)[0])
    expect = logits[pos] - np.logaddexp.reduce(logits[pos])
    got = ours.log_probs(ours.hidden(ids, np.ones_like(ids, dtype=bool))[0, pos][None])[0]
    np.testing.assert_allclose(got, expect, atol=1e-4)
