"""Precompute the ``--fast`` scorer's per-word table (src/unspin/data/fast_gain.tsv).

Usage: python scripts/build_fast_table.py   (after scripts/build_lexicon.py)

For every single word of the lexicon's precomputed candidate table, the fast scorer
needs "how much more frequent is this word's best reverse-thesaurus candidate" (see
``unspin.corpus.score.word_gain``). Computing it lazily cost each worker process
~100 us per new word type; with the table a worker starts warm, which is what lets
``unspin filter --fast --workers 2`` scale. Only words with a positive value are
stored; a table word that is absent has value 0.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from unspin.corpus.score import compute_gain
from unspin.lexicon import Lexicon
from unspin.lm import LanguageModel

OUT = Path(__file__).resolve().parent.parent / "src" / "unspin" / "data" / "fast_gain.tsv"


def main() -> int:
    lex, lm = Lexicon.load(), LanguageModel.default()
    lex._cand_row("the")  # loads the table's extra strings
    V = len(lex.strings)
    rows = []
    for uid in np.asarray(lex._ck).tolist():
        w = lex.strings[uid] if uid < V else lex._extra[uid - V]
        if " " in w:
            continue
        g = compute_gain(lex, lm, w)
        if g > 0:
            rows.append(f"{w}\t{g:.3f}")
    OUT.write_text("\n".join(sorted(rows)) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(rows)} words with a positive gain")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
