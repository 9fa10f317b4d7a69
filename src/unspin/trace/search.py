"""Second-stage scoring of trace candidates, and the check() hook.

:func:`similarity` is the share of the query's words that a longest common
subsequence with the candidate covers in runs of at least :data:`MIN_RUN`
words: stray function words matched by chance do not count, a synonym swap
costs only the swapped word.

>>> similarity("Metro Financial institution mentioned on Monday it was fined".split(),
...            "Metro Bank said on Monday it was fined by the regulator")
0.556
"""
from __future__ import annotations

from ..tokens import WORD_RE

MIN_RUN = 2
#: A top match needs at least this score to be reported as the source by ``check(index=...)``.
SOURCE_MIN_SCORE = 0.3

try:  # rapidfuzz: bit-parallel LCS in C
    from rapidfuzz.distance import LCSseq as _LCS
except ImportError:  # pragma: no cover
    _LCS = None


def _ids(a: list[str], vocab: dict[str, int]) -> list[int]:
    return [vocab.setdefault(w.lower(), len(vocab)) for w in a]


def similarity(query_words: list[str], source: str) -> float:
    """Share of ``query_words`` matched in order in ``source`` (runs of >= MIN_RUN words), rounded to 3 places."""
    if not query_words:
        return 0.0
    vocab: dict[str, int] = {}
    a = _ids(query_words, vocab)
    b = _ids(WORD_RE.findall(source), vocab)
    if _LCS is not None:
        blocks = [(op.src_end - op.src_start) for op in _LCS.opcodes(a, b) if op.tag == "equal"]
    else:  # pragma: no cover
        from difflib import SequenceMatcher

        blocks = [m.size for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()]
    return round(sum(n for n in blocks if n >= MIN_RUN) / len(a), 3)


def trace(text: str, index, k: int = 5) -> dict | None:
    """Best source of ``text`` in ``index`` with the alignment, as the ``Report.source`` dict (or None)."""
    from .align import align

    hits = index.search(text, k=k)
    if not hits or hits[0].score < SOURCE_MIN_SCORE:
        return None
    best = hits[0]
    src = index.get(best.doc_id)
    al = align(text, src)
    return {"doc_id": best.doc_id, "score": best.score, "meta": best.meta,
            "coverage": al.coverage, "edits": [e.to_dict() for e in al.edits], "restored": al.restored,
            "others": [{"doc_id": m.doc_id, "score": m.score} for m in hits[1:]]}
