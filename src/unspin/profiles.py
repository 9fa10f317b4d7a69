"""Spinner profiles: substitution tables learned from aligned spun/original pairs.

A commercial spinner applies the same dictionary to every text, so what it did
to one article predicts what it did to the next ("said" -> "mentioned",
"trading" -> "buying and selling", "year" -> "yr"). A profile stores, for each
spun word or phrase, the originals it replaced (with counts) and how often the
spun form was seen at all in spun text, so the engine knows how suspicious a
form is on its own: "yr" is nearly always a substitution, "risk" rarely.

>>> p = learn_profile([("The financial institution mentioned a yr of losses.",
...                      "The bank said a year of losses."),
...                     ("Officials mentioned it.", "Officials said it.")], name="demo")
>>> p.originals("mentioned")
[('said', 2)]
>>> p.originals("financial institution")
[('bank', 1)]
>>> round(p.substitution_rate("yr"), 2)
0.33
>>> Profile.from_dict(p.to_dict()) == p
True
"""
from __future__ import annotations

import functools
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from importlib import resources
from typing import Iterable

from .align import substitutions
from .tokens import words

#: Longest spun key in words; matches align.MAX_PHRASE.
MAX_KEY_WORDS = 4


@dataclass
class Profile:
    """A spinner's learned dictionary. ``table[spun][orig] = count``; ``seen[spun]`` = occurrences."""

    name: str
    table: dict[str, dict[str, int]] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)
    source: str = ""
    pairs: int = 0
    words: int = 0  # words of spun text the counts come from (to compare with normal frequency)

    def originals(self, spun: str) -> list[tuple[str, int]]:
        entry = self.table.get(spun, {})
        return sorted(entry.items(), key=lambda kv: (-kv[1], kv[0]))

    def substitution_rate(self, spun: str, smoothing: float = 2.0) -> float:
        """Share of the times ``spun`` was seen in spun text that it was a substitution."""
        subs = sum(self.table.get(spun, {}).values())
        return subs / (max(self.seen.get(spun, 0), subs) + smoothing)

    @property
    def max_key_words(self) -> int:
        return max((k.count(" ") + 1 for k in self.table), default=0)

    def __len__(self) -> int:
        return len(self.table)

    def merge(self, other: "Profile") -> "Profile":
        table = {k: dict(v) for k, v in self.table.items()}
        for k, v in other.table.items():
            slot = table.setdefault(k, {})
            for o, c in v.items():
                slot[o] = slot.get(o, 0) + c
        seen = Counter(self.seen)
        seen.update(other.seen)
        return Profile(self.name, table, dict(seen), f"{self.source}; {other.source}".strip("; "),
                       self.pairs + other.pairs, self.words + other.words)

    def to_dict(self) -> dict:
        return {"name": self.name, "source": self.source, "pairs": self.pairs, "words": self.words,
                "table": self.table, "seen": self.seen}

    @classmethod
    def from_dict(cls, d: dict) -> "Profile":
        return cls(d["name"], {k: dict(v) for k, v in d["table"].items()},
                   {k: int(v) for k, v in d.get("seen", {}).items()}, d.get("source", ""), int(d.get("pairs", 0)),
                   int(d.get("words", 0)))

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh, ensure_ascii=False, sort_keys=True, indent=0)

    @classmethod
    def load(cls, path: str) -> "Profile":
        with open(path, encoding="utf-8") as fh:
            return cls.from_dict(json.load(fh))


def _is_learnable(spun: str, orig: str) -> bool:
    # Numbers and case-only changes are formatting, not a spinner's synonyms.
    return spun != orig and not any(ch.isdigit() for ch in spun + orig)


def learn_profile(pairs: Iterable[tuple[str, str]], name: str, source: str = "") -> Profile:
    """Learn a profile from (spun_text, original_text) pairs."""
    pairs = list(pairs)
    # Two passes: one-word pairs learned anywhere help split mixed blocks elsewhere.
    known: set[tuple[str, str]] = set()
    for _ in range(2):
        table: dict[str, Counter] = defaultdict(Counter)
        for spun, orig in pairs:
            for sub in substitutions(spun, orig, known=known):
                s, o = " ".join(words(sub.spun)), " ".join(words(sub.orig))
                if s and o and _is_learnable(s, o):
                    table[s][o] += 1
        known = {(s, o) for s, v in table.items() for o in v if " " not in s and " " not in o}
    spun_texts = [words(spun) for spun, _ in pairs]
    n = len(pairs)
    seen = _count_occurrences(spun_texts, set(table))
    return Profile(name, {k: dict(v) for k, v in table.items()}, seen, source, n, sum(map(len, spun_texts)))


def _count_occurrences(docs: list[list[str]], keys: set[str]) -> dict[str, int]:
    seen: Counter = Counter()
    for ws in docs:
        for n in range(1, MAX_KEY_WORDS + 1):
            for i in range(len(ws) - n + 1):
                k = " ".join(ws[i:i + n])
                if k in keys:
                    seen[k] += 1
    return dict(seen)


@functools.lru_cache(maxsize=None)
def builtin(name: str) -> Profile:
    """A profile shipped with unspin (see ``unspin profiles``)."""
    try:
        ref = resources.files("unspin") / "data" / "profiles" / f"{name}.json"
        return Profile.from_dict(json.loads(ref.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise KeyError(f"no built-in spinner profile named {name!r}; available: {', '.join(builtin_names()) or 'none'}") from None


def builtin_names() -> list[str]:
    folder = resources.files("unspin") / "data" / "profiles"
    if not folder.is_dir():
        return []
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))


def resolve(profile) -> list[Profile]:
    """Turn check()'s ``profile`` argument into a list of profiles to use."""
    if profile is None:
        return []
    if isinstance(profile, Profile):
        return [profile]
    if profile == "auto":
        return [builtin(n) for n in builtin_names()]
    if isinstance(profile, str):
        return [builtin(profile)]
    return list(profile)
