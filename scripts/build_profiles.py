"""Rebuild the built-in spinner profiles from aligned spun/original pairs.

Usage: python scripts/build_profiles.py [../shared/data/pairs.jsonl]

Only word/phrase mappings and counts are stored (never the texts). Pairs are
grouped into spinner families by the ``notes`` field: WordAI-like dictionary
spinners form ``wordai-like``; other dictionary-style spinners (one or two copies each) are
left out. Figures measured on those same pairs with ``profile="auto"``
are fitted figures; ``unspin bench`` reports leave-one-story-out ones too.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from unspin.profiles import learn_profile

OUT = Path(__file__).resolve().parent.parent / "src" / "unspin" / "data" / "profiles"


def family(row: dict) -> str | None:
    if row.get("style") != "dictionary" or not row.get("spun") or not row.get("orig"):
        return None
    # Only the WordAI-like family has enough coherent examples (13 copies); the other
    # dictionary spinners here are one or two copies each, too few to learn from safely.
    return "wordai-like" if "WordAI" in (row.get("notes") or "") else None


def main(argv: list[str]) -> int:
    src = Path(argv[0] if argv else "../shared/data/pairs.jsonl")
    if not src.exists():
        print(f"build_profiles: {src} not found; pass the path to pairs.jsonl", file=sys.stderr)
        return 2
    rows = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines() if line.strip()]
    groups: dict[str, list[dict]] = {}
    for row in rows:
        fam = family(row)
        if fam:
            groups.setdefault(fam, []).append(row)
    OUT.mkdir(parents=True, exist_ok=True)
    for fam, members in sorted(groups.items()):
        prof = learn_profile([(r["spun"], r["orig"]) for r in members], name=fam,
                             source=f"{len(members)} aligned spun/original news excerpts ({src.name})")
        prof.save(str(OUT / f"{fam}.json"))
        print(f"{fam}: {len(prof)} entries from {len(members)} pairs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
