"""Logistic regression for the offline fits (``scripts/calibrate.py``, the ``--fast``
weights in :mod:`unspin.corpus.score`); nothing on the checking path uses it.

>>> import numpy as np
>>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0.0, 0.0, 1.0, 1.0])
>>> b, w = fit_logistic(X, y)
>>> bool(w[0] > 0 and b < 0)
True
"""
from __future__ import annotations

import numpy as np


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = 1e-2, iters: int = 50,
                 weights: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Newton-Raphson for L2-regularised logistic regression (intercept unpenalised),
    optionally with per-row ``weights``; returns (intercept, weights)."""
    Xb = np.hstack([np.ones((len(X), 1)), X])
    sw = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    w = np.zeros(Xb.shape[1])
    reg = np.full(Xb.shape[1], l2)
    reg[0] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-Xb @ w))
        grad = Xb.T @ ((p - y) * sw) + reg * w
        H = (Xb * (p * (1 - p) * sw)[:, None]).T @ Xb + np.diag(reg)
        step = np.linalg.solve(H, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return float(w[0]), w[1:]
