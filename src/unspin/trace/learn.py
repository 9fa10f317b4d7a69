"""Learn spinner profiles from spun copies traced to their sources, and keep user profiles.

User profiles live in ``$UNSPIN_HOME/profiles`` if ``UNSPIN_HOME`` is set, else
``$XDG_DATA_HOME/unspin/profiles`` (default ``~/.local/share/unspin/profiles``).
A user profile with the name of a built-in one extends it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..profiles import (DamagedProfile, Profile, builtin, builtin_names, check_name, learn_profile,  # noqa: F401
                        load, load_learned, user_names, user_path)
from .align import align
from .search import SOURCE_MIN_SCORE

def listing() -> list[dict]:
    """Every available profile: name, kind (built-in/user), entries, pairs, words, source, path."""
    out = []
    for n in builtin_names():
        p = builtin(n)
        out.append({"name": n, "kind": "built-in", "entries": len(p), "pairs": p.pairs, "words": p.words,
                    "source": p.source, "path": None})
    for n in user_names():
        path = user_path(n)
        try:
            p = Profile.load(str(path))
        except (OSError, ValueError, KeyError) as exc:
            out.append({"name": n, "kind": "user (unreadable)", "entries": 0, "pairs": 0, "words": 0,
                        "source": f"{type(exc).__name__}: {exc}", "path": str(path)})
            continue
        out.append({"name": n, "kind": "user", "entries": len(p), "pairs": p.pairs, "words": p.words,
                    "source": p.source, "path": str(path)})
    return out


@dataclass
class Traced:
    """One spun copy and what trace found for it."""

    id: str
    doc_id: str | None
    score: float
    spun_core: str = ""
    source_core: str = ""


def trace_pairs(index, records, min_score: float = SOURCE_MIN_SCORE) -> list[Traced]:
    """For ``(id, spun_text[, source_id])`` records: find each source (unless given) and cut both
    texts to their shared stretch, ready for :func:`unspin.profiles.learn_profile`."""
    out = []
    for rec in records:
        rid, text = rec[0], rec[1]
        source_id = rec[2] if len(rec) > 2 else None
        if source_id is not None:
            src = index.get(source_id)
            score = 1.0 if src is not None else 0.0
        else:
            hits = index.search(text, k=1)
            source_id, score = (hits[0].doc_id, hits[0].score) if hits else (None, 0.0)
            src = index.get(source_id) if source_id is not None and score >= min_score else None
        if src is None:
            out.append(Traced(rid, None, score))
            continue
        al = align(text, src)
        (a, b), (c, d) = al.core_spun, al.core_source
        out.append(Traced(rid, source_id, score, text[a:b], src[c:d]))
    return out


def learn(index, records, name: str, source: str = "", extend: bool = True,
          min_score: float = SOURCE_MIN_SCORE) -> tuple[Profile, list[Traced]]:
    """Trace ``records`` in ``index`` and learn (or extend) the profile ``name``; nothing is saved."""
    check_name(name)
    traced = trace_pairs(index, records, min_score)
    pairs = [(t.spun_core, t.source_core) for t in traced if t.doc_id and t.spun_core]
    prof = learn_profile(pairs, name=name, source=source)
    if extend:
        try:
            base = load_learned(name)
        except DamagedProfile as exc:
            raise DamagedProfile(f"{exc}; learn it afresh with extend=False (unspin learn --replace)") from None
        if base is None and name in builtin_names():
            base = builtin(name)
        if base is not None:
            prof = base.merge(prof)
            prof.name = name
    return prof, traced


def save(profile: Profile) -> Path:
    path = user_path(profile.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    profile.save(str(tmp))
    os.replace(tmp, path)  # atomic: a reader never sees half a profile
    return path
