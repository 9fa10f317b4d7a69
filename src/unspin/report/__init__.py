"""Result types: what unspin found in one document.

Field names here are a public contract (CLI ``--json``, benchmarks and other
tools read them); add fields, never rename them.

>>> f = Finding(4, 15, "secure haven", "safe haven", ["safe haven"], 0.9, "known spinner phrase", "phrase")
>>> Finding.from_dict(f.to_dict()) == f
True
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any


def _calibrated_threshold() -> float:
    try:
        data = json.loads((resources.files("unspin") / "data" / "calibration.json").read_text(encoding="utf-8"))
        return float(data.get("threshold", 0.5))
    except (FileNotFoundError, ValueError):
        return 0.5


#: Default decision threshold on the calibrated score, chosen by scripts/calibrate.py so
#: that at most 1.5 % of clean training texts reach it; see docs/calibration.md.
DEFAULT_THRESHOLD = _calibrated_threshold()


@dataclass(frozen=True)
class Finding:
    """One suspected substitution: ``text == input[start:end]``."""

    start: int
    end: int
    text: str
    suggestion: str | None
    alternatives: list[str]
    confidence: float
    reason: str
    kind: str = "substitution"  # phrase | substitution | name | tortured | profile
    applied: bool = False  # the suggestion was put into Report.restored

    def to_dict(self) -> dict[str, Any]:
        # spelled out: dataclasses.asdict deep-copies field by field, ~10x slower (web responses)
        return {"start": self.start, "end": self.end, "text": self.text, "suggestion": self.suggestion,
                "alternatives": list(self.alternatives), "confidence": self.confidence, "reason": self.reason,
                "kind": self.kind, "applied": self.applied}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Finding":
        return cls(
            start=int(d["start"]), end=int(d["end"]), text=str(d["text"]),
            suggestion=d.get("suggestion"), alternatives=list(d.get("alternatives", [])),
            confidence=float(d["confidence"]), reason=str(d["reason"]),
            kind=str(d.get("kind", "substitution")), applied=bool(d.get("applied", False)),
        )


@dataclass(frozen=True)
class Report:
    """Everything ``unspin.check`` says about one text."""

    score: float
    threshold: float
    findings: list[Finding]
    restored: str
    words: int
    spinner: str | None = None
    spinner_confidence: float = 0.0
    features: dict[str, float] = field(default_factory=dict)
    #: Set by ``check(text, index=...)`` when a source was found: ``doc_id``, ``score`` (0..1),
    #: ``coverage``, ``edits`` (alignment edits with spans in both texts), ``restored`` (exact
    #: restoration from the source), ``meta`` and ``others`` (runner-up matches). ``None`` otherwise.
    source: dict[str, Any] | None = None

    @property
    def is_spun(self) -> bool:
        return self.score >= self.threshold

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "threshold": self.threshold,
            "is_spun": self.is_spun,
            "words": self.words,
            "spinner": self.spinner,
            "spinner_confidence": self.spinner_confidence,
            "findings": [f.to_dict() for f in self.findings],
            "restored": self.restored,
            "features": dict(self.features),
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Report":
        return cls(
            score=float(d["score"]), threshold=float(d["threshold"]),
            findings=[Finding.from_dict(f) for f in d["findings"]],
            restored=str(d["restored"]), words=int(d["words"]),
            spinner=d.get("spinner"), spinner_confidence=float(d.get("spinner_confidence", 0.0)),
            features={k: float(v) for k, v in d.get("features", {}).items()},
            source=d.get("source"),
        )
