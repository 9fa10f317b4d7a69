"""Optional masked-language-model backend: re-score findings with a BERT model you already have.

unspin's own context model is a trigram LM that ships with it and runs anywhere. A
masked language model reads both sides of a span, and one trained on papers (SciBERT,
BioBERT, PubMedBERT) knows the technical prose where tortured phrases hide: that is
the method of the tortured-phrase literature (Martel, Lentschat & Labbé 2024). This
module runs a BERT-architecture masked LM from a *local* Hugging Face folder with numpy
alone (no PyTorch) and uses it to re-rank each finding's suggestions and to update its
confidence (:func:`rescore`). Nothing is ever downloaded: the folder must be on disk.

The folder needs ``config.json`` (``"model_type": "bert"``), ``model.safetensors`` and
``tokenizer.json`` or ``vocab.txt``. Install the extra: ``pip install "unspin[mlm]"``.

>>> import unspin
>>> unspin.check("text", mlm="/no/such/model")
Traceback (most recent call last):
  ...
unspin.mlm.MLMError: masked LM folder not found: /no/such/model (give the folder that holds config.json and model.safetensors of a BERT model saved with save_pretrained)
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

__all__ = ["MaskedLM", "MLMError", "rescore", "load", "check_weight", "MLM_WEIGHT", "CONTEXT_TOKENS",
           "MAX_CANDIDATES"]

#: Weight of the masked LM's evidence in a finding's log-odds: ``weight x clip(Delta)``,
#: where Delta (nats per word piece) is how much more likely the best suggestion is than
#: the text as written. Not fitted: no masked LM can be downloaded on the machines unspin is built
#: on, so this is a cautious guess (half the evidence, at most +-4 in log-odds). Tune it
#: for your model with ``rescore(..., weight=...)`` / ``--mlm-weight``.
MLM_WEIGHT = 0.5
#: Largest |Delta| (nats per piece) counted: one very confident token must not decide alone.
DELTA_CLIP = 8.0
#: Word pieces of context on each side of a span. Safety limit: the cost of a forward
#: pass grows with its length (quadratically in attention); 32 pieces is about two
#: sentences, which is what the trigram LM sees too, and keeps BERT-base near 0.1 s per
#: finding in numpy.
CONTEXT_TOKENS = 32
#: Candidates per finding (the text as written, the suggestion, then alternatives).
MAX_CANDIDATES = 6
#: Safety limit: word pieces a candidate may have (longer ones are not scored).
MAX_PIECES = 8
#: Safety limit: input rows per forward pass (activations of BERT-base: ~30 MB per row at
#: 70 pieces with attention; a long document's findings run in several passes).
ROWS_PER_PASS = 16


class MLMError(ValueError):
    """A masked-LM folder that cannot be used; the message says what to do."""


_NEEDS_EXTRA = 'the masked LM backend needs safetensors and tokenizers: pip install "unspin[mlm]"'


# --------------------------------------------------------------------------- numerics


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): numpy has no erf, scipy is not a dependency
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t
               + 0.254829592) * t * np.exp(-a * a)
    return np.sign(x) * y


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x * np.float32(1 / math.sqrt(2))))


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(np.float32(math.sqrt(2 / math.pi)) * (x + 0.044715 * x ** 3)))


_ACTIVATIONS = {"gelu": _gelu, "gelu_new": _gelu_tanh, "gelu_pytorch_tanh": _gelu_tanh, "relu": lambda x: np.maximum(x, 0)}


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _log_softmax(x: np.ndarray) -> np.ndarray:
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class _Layer:
    qkv: np.ndarray      # [H, 3H] (query, key, value side by side: one matmul)
    qkv_b: np.ndarray
    out: np.ndarray      # [H, H]
    out_b: np.ndarray
    ln1: tuple[np.ndarray, np.ndarray]
    up: np.ndarray       # [H, I]
    up_b: np.ndarray
    down: np.ndarray     # [I, H]
    down_b: np.ndarray
    ln2: tuple[np.ndarray, np.ndarray]


def _weights(path: Path) -> dict[str, np.ndarray]:
    """The checkpoint's tensors by name, float32, with the ``bert.`` prefix and the old
    ``gamma``/``beta`` LayerNorm names normalised away."""
    try:
        from safetensors.numpy import load_file
    except ImportError as exc:
        raise MLMError(_NEEDS_EXTRA) from exc
    try:
        raw = load_file(str(path))
    except Exception as exc:  # bfloat16 (numpy has no such type), a truncated file, ...
        raise MLMError(f"cannot read {path}: {exc} (save the model in float32 or float16 with "
                       "save_pretrained(..., safe_serialization=True))") from exc
    out = {}
    for name, arr in raw.items():
        if name.startswith("bert."):
            name = name[5:]
        name = name.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias")
        out[name] = np.ascontiguousarray(arr, dtype=np.float32)
    return out


def _tokenizer(folder: Path):
    try:
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise MLMError(_NEEDS_EXTRA) from exc
    try:
        if (folder / "tokenizer.json").is_file():
            tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        elif (folder / "vocab.txt").is_file():  # older BERT checkpoints (SciBERT) ship only the vocabulary
            from tokenizers import BertWordPieceTokenizer

            cfg_path = folder / "tokenizer_config.json"
            cfg = json.loads(cfg_path.read_text(encoding="utf-8")) if cfg_path.is_file() else {}
            lower = cfg.get("do_lower_case", True) if isinstance(cfg, dict) else True
            tok = BertWordPieceTokenizer(str(folder / "vocab.txt"), lowercase=bool(lower))
        else:
            raise MLMError(f"{folder}: no tokenizer.json or vocab.txt (copy the tokenizer files saved with the model)")
        # a tokenizer saved with padding or truncation switched on would pad or cut every word
        tok.no_truncation()
        tok.no_padding()
    except MLMError:
        raise
    except Exception as exc:  # a corrupt tokenizer.json or tokenizer_config.json
        raise MLMError(f"{folder}: cannot read the tokenizer ({exc})") from None
    return tok


class MaskedLM:
    """A BERT masked LM run with numpy. Build it with :meth:`load`."""

    def __init__(self, name: str, config: dict[str, Any], weights: dict[str, np.ndarray], tokenizer):
        self.name = name
        self.tokenizer = tokenizer
        self._lock = threading.Lock()  # tokenizers objects are not documented as thread-safe
        try:
            self.heads = int(config["num_attention_heads"])
            n_layers = int(config["num_hidden_layers"])
            self.eps = float(config.get("layer_norm_eps", 1e-12))
            if config.get("position_embedding_type", "absolute") != "absolute":
                raise MLMError(f"{name}: position_embedding_type {config['position_embedding_type']!r} is not "
                               "supported (only 'absolute', the BERT default)")
            act = config.get("hidden_act", "gelu")
            if act not in _ACTIVATIONS:
                raise MLMError(f"{name}: unsupported hidden_act {act!r} (supported: {', '.join(_ACTIVATIONS)})")
            self.act = _ACTIVATIONS[act]
            w = weights
            self.wte = w["embeddings.word_embeddings.weight"]
            self.wpe = w["embeddings.position_embeddings.weight"]
            tte = w.get("embeddings.token_type_embeddings.weight")
            self.tte = tte[0] if tte is not None else np.zeros(self.wte.shape[1], np.float32)
            self.emb_ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
            self.layers = []
            hidden = self.wte.shape[1]
            if self.heads <= 0 or hidden % self.heads:
                raise MLMError(f"{name}: hidden size {hidden} is not a multiple of num_attention_heads {self.heads}")
            for i in range(n_layers):
                p = f"encoder.layer.{i}."
                qkv = [w[p + f"attention.self.{k}.weight"].T for k in ("query", "key", "value")]
                qkv_b = [w[p + f"attention.self.{k}.bias"] for k in ("query", "key", "value")]
                self.layers.append(_Layer(
                    np.ascontiguousarray(np.concatenate(qkv, axis=1)), np.concatenate(qkv_b),
                    np.ascontiguousarray(w[p + "attention.output.dense.weight"].T), w[p + "attention.output.dense.bias"],
                    (w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                    np.ascontiguousarray(w[p + "intermediate.dense.weight"].T), w[p + "intermediate.dense.bias"],
                    np.ascontiguousarray(w[p + "output.dense.weight"].T), w[p + "output.dense.bias"],
                    (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])))
        except KeyError as exc:
            what = "setting" if exc.args[0] in config or "." not in str(exc.args[0]) else "tensor"
            raise MLMError(f"{name}: {what} {exc.args[0]!r} missing: not a BERT checkpoint "
                           "(supported: model_type 'bert', e.g. bert-base-uncased, SciBERT, BioBERT)") from None
        except (TypeError, ValueError, IndexError) as exc:  # config values of the wrong type, odd shapes
            raise MLMError(f"{name}: not a usable BERT checkpoint ({exc})") from None
        try:  # the masked-LM head; a bare BertModel (no head) cannot fill in words
            self.head = np.ascontiguousarray(w["cls.predictions.transform.dense.weight"].T)
            self.head_b = w["cls.predictions.transform.dense.bias"]
            self.head_ln = (w["cls.predictions.transform.LayerNorm.weight"], w["cls.predictions.transform.LayerNorm.bias"])
            self.dec_b = w.get("cls.predictions.bias", w.get("cls.predictions.decoder.bias"))
            if self.dec_b is None:
                raise KeyError("cls.predictions.bias")
        except KeyError:
            raise MLMError(f"{name}: no masked-LM head (cls.predictions.*): use a checkpoint saved from "
                           "BertForMaskedLM or BertForPreTraining, not a bare BertModel") from None
        dec = w.get("cls.predictions.decoder.weight")
        self.dec = (self.wte if dec is None else dec).T  # tied to the embeddings unless stored (a view, no copy)
        self.max_len = self.wpe.shape[0]
        V, H = self.wte.shape
        shapes_ok = (self.wpe.shape[1] == H and self.dec.shape == (H, V) and self.dec_b.shape == (V,)
                     and self.head.shape == (H, H) and all(L.qkv.shape == (H, 3 * H) for L in self.layers))
        if not shapes_ok:
            raise MLMError(f"{name}: tensor shapes do not match a BERT model of hidden size {H}")
        if tokenizer.get_vocab_size() > V:
            raise MLMError(f"{name}: the tokenizer has {tokenizer.get_vocab_size()} entries but the model only "
                           f"{V} embeddings (tokenizer and weights from different models?)")
        if self.max_len < 2 * MAX_PIECES + 4:
            raise MLMError(f"{name}: max_position_embeddings {self.max_len} is too small to score words in context")
        ids = {t: tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[MASK]", "[PAD]")}
        if any(v is None for v in ids.values()):
            raise MLMError(f"{name}: the tokenizer lacks {[t for t, v in ids.items() if v is None]} (a BERT vocabulary has them)")
        self.cls, self.sep, self.mask, self.pad = ids["[CLS]"], ids["[SEP]"], ids["[MASK]"], ids["[PAD]"]

    @classmethod
    def load(cls, path: str | os.PathLike) -> "MaskedLM":
        """Load a BERT masked LM from a local folder (never downloads)."""
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise MLMError(f"masked LM folder not found: {path} (give the folder that holds config.json and "
                           "model.safetensors of a BERT model saved with save_pretrained)")
        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise MLMError(f"{folder}: no config.json (give the folder a model was saved to with save_pretrained)") from None
        except (OSError, ValueError) as exc:
            raise MLMError(f"{folder}/config.json: {exc}") from None
        if not isinstance(config, dict):
            raise MLMError(f"{folder}/config.json: not a JSON object")
        if config.get("model_type") != "bert":
            raise MLMError(f"{folder}: model_type {config.get('model_type')!r} is not supported "
                           "(supported: 'bert', e.g. bert-base-uncased, SciBERT, BioBERT, PubMedBERT)")
        weights = folder / "model.safetensors"
        if not weights.is_file():
            hint = (" It has pytorch_model.bin: convert it once where PyTorch is installed with "
                    "AutoModelForMaskedLM.from_pretrained(folder).save_pretrained(folder)."
                    if (folder / "pytorch_model.bin").is_file() else "")
            raise MLMError(f"{folder}: no model.safetensors.{hint}")
        return cls(folder.name, config, _weights(weights), _tokenizer(folder))

    # ------------------------------------------------------------------ scoring

    def pieces(self, text: str) -> list[int]:
        """Word-piece ids of ``text`` (no special tokens)."""
        with self._lock:
            return list(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def hidden(self, ids: np.ndarray, attend: np.ndarray) -> np.ndarray:
        """Last-layer hidden states, ``[batch, length, hidden]``, for id rows padded on the right."""
        B, T = ids.shape
        x = _layer_norm(self.wte[ids] + self.wpe[:T][None] + self.tte, *self.emb_ln, self.eps)
        bias = np.where(attend, 0.0, -1e9).astype(np.float32)[:, None, None, :]
        h, H = self.heads, x.shape[-1]
        d = H // h
        scale = np.float32(1 / math.sqrt(d))
        for L in self.layers:
            qkv = (x @ L.qkv + L.qkv_b).reshape(B, T, 3, h, d)
            q, k, v = (qkv[:, :, n].transpose(0, 2, 1, 3) for n in range(3))
            s = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            c = (s @ v).transpose(0, 2, 1, 3).reshape(B, T, H)
            x = _layer_norm(c @ L.out + L.out_b + x, *L.ln1, self.eps)
            x = _layer_norm(self.act(x @ L.up + L.up_b) @ L.down + L.down_b + x, *L.ln2, self.eps)
        return x

    def log_probs(self, h: np.ndarray) -> np.ndarray:
        """Log-softmax over the vocabulary for hidden states ``[n, hidden]``."""
        t = _layer_norm(self.act(h @ self.head + self.head_b), *self.head_ln, self.eps)
        return _log_softmax(t @ self.dec + self.dec_b)

    def score_many(self, items: Sequence[tuple[str, str, Sequence[str]]], context: int = CONTEXT_TOKENS,
                   deadline: float | None = None) -> list[list[float]]:
        """For each ``(left, right, candidates)``: how well each candidate fills the gap, as
        the mean log-probability (nats) of its word pieces.

        A candidate of k pieces is scored with k [MASK]s between the contexts (one input row
        per item and length; rows run ROWS_PER_PASS at a time, so memory stays bounded
        however many findings a document has). The mean, not the sum, so that a word the
        vocabulary splits into many pieces (a rare or technical word, often the text as
        written) is not judged unlikely for its length alone. A candidate with no pieces,
        more than MAX_PIECES, an unknown piece ([UNK]), or not reached before ``deadline``
        (``time.monotonic()``) gets -inf: not scored.
        """
        rows: list[tuple[list[int], int]] = []  # (input ids, first mask position)
        wants: list[list[tuple[int, int, list[int]]]] = []  # per row: (item, candidate, piece ids)
        out = [[-math.inf] * len(cands) for _, _, cands in items]
        room = self.max_len - 2 - MAX_PIECES
        unk = self.tokenizer.token_to_id("[UNK]")
        for n, (left, right, cands) in enumerate(items):
            lids = self.pieces(left)[-context:] if context > 0 else []
            rids = self.pieces(right)[:context] if context > 0 else []
            if len(lids) + len(rids) > room:  # short windows only: never past the position table
                lids, rids = lids[-(room // 2):], rids[:room - min(len(lids), room // 2)]
            by_len: dict[int, int] = {}
            for c, cand in enumerate(cands):
                pid = self.pieces(cand)
                if not pid or len(pid) > MAX_PIECES or unk in pid:
                    continue
                r = by_len.get(len(pid))
                if r is None:
                    r = by_len[len(pid)] = len(rows)
                    rows.append(([self.cls, *lids, *([self.mask] * len(pid)), *rids, self.sep], 1 + len(lids)))
                    wants.append([])
                wants[r].append((n, c, pid))
        order = sorted(range(len(rows)), key=lambda r: len(rows[r][0]))  # similar lengths pad least
        for a in range(0, len(order), ROWS_PER_PASS):
            if deadline is not None and time.monotonic() > deadline:
                break
            chunk = order[a:a + ROWS_PER_PASS]
            T = max(len(rows[r][0]) for r in chunk)
            ids = np.full((len(chunk), T), self.pad, dtype=np.int64)
            attend = np.zeros((len(chunk), T), dtype=bool)
            for b, r in enumerate(chunk):
                ids[b, :len(rows[r][0])] = rows[r][0]
                attend[b, :len(rows[r][0])] = True
            k = [len(wants[r][0][2]) for r in chunk]
            pos_b = np.repeat(np.arange(len(chunk)), k)
            pos_t = np.concatenate([rows[r][1] + np.arange(kk) for r, kk in zip(chunk, k)])
            lp = self.log_probs(self.hidden(ids, attend)[pos_b, pos_t])
            at = np.concatenate([[0], np.cumsum(k)])
            for b, r in enumerate(chunk):
                for n, c, pid in wants[r]:
                    out[n][c] = float(lp[at[b] + np.arange(len(pid)), pid].mean())
        return out


_LOADED: dict[str, MaskedLM] = {}
_LOAD_LOCK = threading.Lock()


def load(model: "MaskedLM | str | os.PathLike") -> MaskedLM:
    """A :class:`MaskedLM`, loading a folder path once per process."""
    if isinstance(model, MaskedLM):
        return model
    key = os.path.realpath(os.path.expanduser(os.fspath(model)))
    with _LOAD_LOCK:
        got = _LOADED.get(key)
        if got is None:
            got = _LOADED[key] = MaskedLM.load(model)
        return got


def check_weight(weight: float | str | None) -> float:
    """``weight`` (None: :data:`MLM_WEIGHT`) if it is a usable evidence weight (finite,
    >= 0), else ValueError."""
    if weight is None:
        return MLM_WEIGHT
    try:
        w = float(weight)
    except ValueError:
        w = math.nan
    if not (math.isfinite(w) and w >= 0):
        raise ValueError(f"the masked LM weight must be a finite number >= 0, not {weight!r}")
    return w


def rescore(report, text: str, model: "MaskedLM | str | os.PathLike", weight: float | None = None,
            context: int = CONTEXT_TOKENS, deadline: float | None = None):
    """``report`` (of :func:`unspin.check` on ``text``) with its findings re-scored by a masked LM.

    For each finding the model scores the text as written, the suggestion and the
    alternatives in their context (:meth:`MaskedLM.score_many`; ``weight`` None means
    :data:`MLM_WEIGHT`). The suggestion becomes
    the model's favourite among the engine's candidates (the others follow in its order);
    the confidence moves by ``weight`` x Delta in log-odds, Delta being how many nats per
    word piece likelier that favourite is than the text as written (clipped to
    +-DELTA_CLIP); the reason says so. A finding whose confidence falls below the
    reporting floor is dropped. Whether the suggestion is applied: never when the model
    prefers the text as written; when it scored two or more candidates, by the engine's
    rule (:func:`unspin.detect.applies`) with the model's share among them as P(original);
    otherwise as the engine decided; never for a finding the engine reported only because
    the text reads as spun (``doc_shift``), as in the engine. A finding is left as it is when the model cannot
    score the text as written or any candidate (unknown word pieces, too long, past
    ``deadline``). The document score stays the engine's (it is calibrated; the masked LM
    is not), and the model adds no findings: it only judges the spans the engine found.
    """
    from .detect import REPORT_CONFIDENCE, SPUN_TEXT_NOTE, _apply, _logit, _sigmoid, applies

    weight = check_weight(weight)
    mlm = load(model)
    todo, items = [], []
    for f in report.findings:
        if not f.suggestion:
            continue
        cands, seen = [f.text], {f.text.lower()}
        for c in [f.suggestion, *f.alternatives]:
            if c.lower() not in seen:
                seen.add(c.lower())
                cands.append(c)
        if len(cands) > 1:
            todo.append(f)
            items.append((text[max(0, f.start - 2000):f.start], text[f.end:f.end + 2000], cands[:MAX_CANDIDATES]))
    scores = {id(f): (it[2], sc) for f, it, sc in zip(todo, items, mlm.score_many(items, context, deadline))}
    findings = []
    for f in report.findings:
        got = scores.get(id(f))
        if got is None or not math.isfinite(got[1][0]) or not any(map(math.isfinite, got[1][1:])):
            findings.append(f)  # nothing to compare: left as the engine made it
            continue
        cands, sc = got
        own, alt = sc[0], np.array(sc[1:])
        order = np.argsort(-alt, kind="stable")  # -inf (not scored) last
        best = cands[1 + order[0]]
        delta = float(np.clip(alt[order[0]] - own, -DELTA_CLIP, DELTA_CLIP))
        conf = round(_sigmoid(_logit(f.confidence) + weight * delta), 4)
        if conf < REPORT_CONFIDENCE:
            continue
        finite = alt[np.isfinite(alt)]
        if delta < 0 or SPUN_TEXT_NOTE in f.reason:  # (reported only for a text judged spun: never applied)
            applied = False
        elif len(finite) >= 2:
            applied = applies(conf, float(np.exp(alt[order[0]] - np.logaddexp.reduce(finite))))
        else:
            applied = f.applied
        lowered = {c.lower() for c in cands}
        unscored = [a for a in f.alternatives if a.lower() not in lowered]
        reason = (f"{f.reason}; masked LM {mlm.name}: '{best}' is {abs(delta):.1f} nats per word piece "
                  f"{'likelier' if delta >= 0 else 'less likely'} than '{f.text}' here")
        findings.append(dataclasses.replace(f, suggestion=best, alternatives=[cands[1 + k] for k in order[1:]] + unscored,
                                            confidence=conf, reason=reason, applied=applied))
    return dataclasses.replace(report, findings=findings, restored=_apply(text, findings))
