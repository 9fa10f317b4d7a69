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
import numbers
import os
import re
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from difflib import SequenceMatcher
from typing import Iterable

from .tokens import Token, tokenize, words

# --------------------------------------------------------------------------- alignment
# Word-level alignment of a spun text with its original, split into learnable pairs.
# (unspin.trace.align does full alignment with block moves for display; this is the
# simpler view profile learning needs.)

#: Longest replaced block (in words, either side) kept as one phrase pair; longer
#: blocks are usually revisions or re-ordered clauses, not a spinner's substitution.
MAX_PHRASE = 4


@dataclass(frozen=True)
class Substitution:
    spun_start: int
    spun_end: int
    orig_start: int
    orig_end: int
    spun: str
    orig: str


def _lower(tokens: list[Token]) -> list[str]:
    return [t.lower for t in tokens]


def word_opcodes(spun_words: list[str], orig_words: list[str]):
    """difflib opcodes over word lists (autojunk off: common words matter here)."""
    return SequenceMatcher(None, spun_words, orig_words, autojunk=False).get_opcodes()


def _peel(a: int, b: int, c: int, d: int, sw: list[str], ow: list[str], known) -> list[tuple[int, int, int, int]]:
    """Split block [a,b)x[c,d) by peeling known one-word pairs off either end."""
    head: list[tuple[int, int, int, int]] = []
    tail: list[tuple[int, int, int, int]] = []
    while b - a > 1 and d - c > 1:
        if (sw[a], ow[c]) in known:
            head.append((a, a + 1, c, c + 1)); a += 1; c += 1
        elif (sw[b - 1], ow[d - 1]) in known:
            tail.append((b - 1, b, d - 1, d)); b -= 1; d -= 1
        else:
            break
    if b - a == d - c:
        middle = [(i, i + 1, j, j + 1) for i, j in zip(range(a, b), range(c, d))]
    else:
        middle = [(a, b, c, d)]
    return head + middle + tail[::-1]


def substitutions(spun: str, orig: str, max_phrase: int = MAX_PHRASE, known=frozenset()) -> list[Substitution]:
    """Replaced word blocks between ``spun`` and ``orig``, split into learnable pairs.

    Equal-length blocks are paired word by word (spinners mostly swap one word for
    one word); unequal blocks are kept whole when both sides have at most
    ``max_phrase`` words ("by means of" -> "through"), and dropped otherwise.

    >>> spun, orig = "Metro Financial institution mentioned on Monday", "Metro Bank said on Monday"
    >>> [(s.spun, s.orig) for s in substitutions(spun, orig)]
    [('Financial institution mentioned', 'Bank said')]

    Word pairs already known (e.g. from other examples) are peeled off block ends:

    >>> [(s.spun, s.orig) for s in substitutions(spun, orig, known={("mentioned", "said")})]
    [('Financial institution', 'Bank'), ('mentioned', 'said')]
    """
    st, ot = tokenize(spun), tokenize(orig)
    sw, ow = _lower(st), _lower(ot)
    out: list[Substitution] = []
    for tag, i1, i2, j1, j2 in word_opcodes(sw, ow):
        if tag != "replace":
            continue
        pieces = _peel(i1, i2, j1, j2, sw, ow, known)
        for a, b, c, d in pieces:
            if b - a > max_phrase or d - c > max_phrase:
                continue
            s0, s1, o0, o1 = st[a].start, st[b - 1].end, ot[c].start, ot[d - 1].end
            out.append(Substitution(s0, s1, o0, o1, spun[s0:s1], orig[o0:o1]))
    return out


#: Longest spun key in words; matches MAX_PHRASE.
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
        return cls(d["name"], {k: {o: _count(c) for o, c in dict(v).items()} for k, v in d["table"].items()},
                   {k: _count(v) for k, v in d.get("seen", {}).items()}, d.get("source", ""),
                   _count(d.get("pairs", 0)), _count(d.get("words", 0)))

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh, ensure_ascii=False, sort_keys=True, indent=0)

    @classmethod
    def load(cls, path: str) -> "Profile":
        with open(path, encoding="utf-8") as fh:
            return cls.from_dict(json.load(fh))


#: The largest count a profile may hold (2**53: exact as a float, which the engine's arithmetic uses).
MAX_COUNT = 2 ** 53


def _count(value) -> int:
    """A count read from a profile file: a whole number >= 0. A hand-edited or damaged file
    (1e400, -5, "many") must fail here, where the message can name the file, not turn the
    engine's scores into NaN."""
    if isinstance(value, bool) or not (isinstance(value, numbers.Integral)  # numpy ints too (from_dict)
                                       or (isinstance(value, float) and value.is_integer())):
        raise ValueError(f"count {value!r} is not a whole number")  # 2.5, "5", true, null, 1e400 (inf)
    n = int(value)
    if n < 0:
        raise ValueError(f"count {value!r} is negative")
    if n > MAX_COUNT:  # a 400-digit JSON integer loaded, then every check failed: int too large to convert to float
        raise ValueError(f"count of {n.bit_length()} bits is too large (at most 2**53)")
    return n


def _is_learnable(spun: str, orig: str) -> bool:
    # Numbers and case-only changes are formatting, not a spinner's synonyms.
    return spun != orig and not any(ch.isdigit() for ch in spun + orig)


def learn_profile(pairs: Iterable[tuple[str, str]], name: str, source: str = "") -> Profile:
    """Learn a profile from (spun_text, original_text) pairs."""
    pairs = list(pairs)
    # A two-character string unpacks as a pair of one-letter texts and was learned from
    # ("ab" -> 'a' replaced 'b'); None or bytes failed deep in the tokenizer.
    for k, pair in enumerate(pairs):
        if (isinstance(pair, (str, bytes)) or not isinstance(pair, (tuple, list)) or len(pair) != 2
                or not all(isinstance(x, str) for x in pair)):
            raise TypeError(f"learn_profile expects (spun_text, original_text) pairs of str; item {k} is "
                            f"{type(pair).__name__} {pair!r:.80}")
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__} {name!r}")
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


_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def user_dir() -> Path:
    """Where learned profiles are kept: ``$UNSPIN_HOME/profiles``, else the XDG data dir."""
    home = os.environ.get("UNSPIN_HOME")
    if home:
        return Path(home).expanduser() / "profiles"
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "unspin" / "profiles"


def check_name(name: str) -> str:
    if not _NAME_RE.match(name or ""):
        raise ValueError(f"invalid profile name {name!r}: use letters, digits, '.', '_' or '-' (max 64)")
    return name


def user_path(name: str) -> Path:
    return user_dir() / f"{check_name(name)}.json"


def user_names() -> list[str]:
    d = user_dir()
    return sorted(p.stem for p in d.glob("*.json")) if d.is_dir() else []


_LOADED: dict[str, tuple[int, int, Profile]] = {}


def load(name: str) -> Profile:
    """A user profile if one exists under ``name``, else the built-in one (KeyError if neither).

    A user profile is read again only when its file changes (size or modification
    time), so repeated checks reuse one object and the engine's per-profile caches.
    """
    p = user_path(name)
    try:
        st = p.stat()
    except OSError:
        return builtin(name)
    key = str(p)
    got = _LOADED.get(key)
    if got is None or got[:2] != (st.st_mtime_ns, st.st_size):
        got = _LOADED[key] = (st.st_mtime_ns, st.st_size, Profile.load(key))
    return got[2]


class DamagedProfile(ValueError):
    """A learned profile file that exists but cannot be read (the message names the file)."""


_BROKEN: dict[str, tuple[tuple[int, int], str]] = {}  # damaged learned profiles: path -> ((mtime, size), why)


def load_learned(name: str) -> Profile | None:
    """The learned profile ``name``, or ``None`` if there is no such file.

    A file that cannot be read raises :class:`DamagedProfile` naming it: one without
    "name" or "table", or whose name is no profile name ("my farm.json"), is damaged, not
    absent. An unchanged damaged file is not read and parsed again (a 3 MB one cost 90 ms
    on every check)."""
    path = user_dir() / f"{name}.json"  # (not user_path: it refuses a name that is no profile name)
    try:
        st = path.stat()
    except OSError:
        return None
    stamp = (st.st_mtime_ns, st.st_size)
    got = _BROKEN.get(str(path))
    if got is None or got[0] != stamp:
        try:
            return load(name)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            got = _BROKEN[str(path)] = (stamp, f"{type(exc).__name__}: {exc}")
    raise DamagedProfile(f"learned spinner profile {name!r} ({path}) is damaged and cannot be read ({got[1]})")


def _load_for_auto(name: str) -> Profile | None:
    """The profile ``name`` for "auto": a damaged learned file is skipped with a warning (the
    built-in profile it would shadow is used instead), since one bad file should not fail
    every check of a library user or a server (the CLI refuses it up front)."""
    try:
        learned = load_learned(name)
    except DamagedProfile as exc:
        shadowed = name in builtin_names()
        warnings.warn(f"skipping {exc}; " + ("using the built-in one of that name; " if shadowed else "")
                      + "delete or fix that file", RuntimeWarning, stacklevel=3)
        return builtin(name) if shadowed else None
    return learned if learned is not None else builtin(name)


def resolve(profile) -> list[Profile]:
    """Turn check()'s ``profile`` argument into a list of profiles to use.

    ``"auto"`` means every built-in profile plus every profile the user learned
    (``unspin learn``); a user profile shadows a built-in one of the same name.
    """
    if profile is None or (isinstance(profile, str) and profile.lower() == "none"):  # as serve's and bench's "none"
        return []
    if isinstance(profile, Profile):
        return [profile]
    if profile == "auto":  # exactly: a learned profile may be named "Auto"
        names = dict.fromkeys(builtin_names() + user_names())
        return [p for p in map(_load_for_auto, names) if p is not None]
    if isinstance(profile, str):
        return [load(profile)]
    # Anything else must be several profiles; checked here, where the message can say what a
    # profile is (a str among them failed deep in the engine: 'str' object has no attribute 'table').
    if isinstance(profile, (bytes, dict)) or not hasattr(profile, "__iter__"):
        raise TypeError(f"profile must be a profile name, a Profile, a list of them, 'auto' or None; "
                        f"got {type(profile).__name__} {profile!r:.80}")
    out = []
    for p in profile:
        if isinstance(p, str):
            out += resolve(p)  # a name ("auto" too) in a list means what it means alone
        elif isinstance(p, Profile):
            out.append(p)
        else:
            raise TypeError(f"profile list items must be Profile objects or profile names, "
                            f"got {type(p).__name__} {p!r:.80}")
    return out
