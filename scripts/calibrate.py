"""Fit the document-score calibration (logistic regression) and write src/unspin/data/calibration.json.

Usage: python scripts/calibrate.py [../shared/data]

Training data, all generated here, none of it from the benchmark's held-out split:
- negatives: clean_news.jsonl texts whose index % 5 != 0 (human-written news excerpts);
- positives: the same texts spun by ``unspin.spin`` in every style at rates 5-40 %.
The dev pairs and negatives.jsonl are *not* used, so `unspin bench` figures on them are held-out
for the calibration (the built-in profiles are another matter; the benchmark labels those rows).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from unspin.detect import Engine
from unspin.spin import STYLES, spin

OUT = Path(__file__).resolve().parent.parent / "src" / "unspin" / "data" / "calibration.json"
FEATURES = ["findings_per_100w", "confidence_mass_per_100w", "confident_per_100w", "profile_per_100w", "log_words"]
RATES = [0.05, 0.1, 0.2, 0.3, 0.4]


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = 1e-2, iters: int = 50) -> tuple[float, np.ndarray]:
    """Newton-Raphson for L2-regularised logistic regression (intercept unpenalised)."""
    Xb = np.hstack([np.ones((len(X), 1)), X])
    w = np.zeros(Xb.shape[1])
    reg = np.full(Xb.shape[1], l2)
    reg[0] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-Xb @ w))
        grad = Xb.T @ (p - y) + reg * w
        H = (Xb * (p * (1 - p))[:, None]).T @ Xb + np.diag(reg)
        step = np.linalg.solve(H, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return float(w[0]), w[1:]


def main(argv: list[str]) -> int:
    data = Path(argv[0] if argv else "../shared/data")
    src = data / "clean_news.jsonl"
    if not src.exists():
        print(f"calibrate: {src} not found; pass the data folder", file=sys.stderr)
        return 2
    texts = [json.loads(line)["text"] for line in src.read_text(encoding="utf-8").splitlines() if line.strip()]
    train = [t for i, t in enumerate(texts) if i % 5 != 0]
    engine = Engine()
    engine.calibration = {"intercept": 0.0, "weights": {}}
    rows, ys = [], []
    for k, text in enumerate(train):
        rows.append(engine.check(text).features)
        ys.append(0)
        style = STYLES[k % len(STYLES)]
        rate = RATES[k % len(RATES)]
        rows.append(engine.check(spin(text, rate=rate, style=style, seed=k).text).features)
        ys.append(1)
    X = np.array([[r.get(f, 0.0) for f in FEATURES] for r in rows])
    y = np.array(ys, dtype=float)
    mu, sd = X.mean(0), X.std(0) + 1e-9
    b, w = fit_logistic((X - mu) / sd, y)
    # Fold the standardisation into the weights so the engine needs no extra step.
    weights = {f: float(wi / s) for f, wi, s in zip(FEATURES, w, sd)}
    intercept = float(b - sum(wi * m / s for wi, m, s in zip(w, mu, sd)))
    p = 1 / (1 + np.exp(-(intercept + X @ np.array([weights[f] for f in FEATURES]))))
    fpr = float(np.mean(p[y == 0] >= 0.5))
    tpr = float(np.mean(p[y == 1] >= 0.5))
    OUT.write_text(json.dumps({
        "intercept": intercept, "weights": weights,
        "fitted_on": f"{len(train)} clean_news texts (index % 5 != 0) + one synthetic spin of each "
                     f"(styles {', '.join(STYLES)}; rates {RATES})",
        "training_fpr_at_0.5": fpr, "training_tpr_at_0.5": tpr,
    }, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: training FPR {fpr:.3f}, TPR {tpr:.3f} at 0.5")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
