"""Synthetic article spinner with an exact gold alignment.

Used as a public feature (``unspin.spin``) and as the source of training and
calibration data: every substitution is recorded as an :class:`Edit` with
character spans in both the original and the spun text.

Styles (:data:`STYLES`); ``rate`` is the fraction of eligible content words
(not function words, not numbers) that get substituted:

``wordnet``     sense-blind WordNet: a random synset of the word's part of speech, a random other lemma
``moby``        aggressive Moby Thesaurus: a random entry of the word's full synonym list
``phrase``      stock multi-word renderings ("today" -> "in the present day") both ways, plus
                multi-word thesaurus synonyms
``names``       capitalised words and names mid-sentence ("Bank" -> "Financial institution",
                "the United States" -> "america")
``dictionary``  a WordAI-like mix: mostly single-word Moby/WordNet synonyms, some stock
                phrase renderings, some capitalised words

Casing (Capitalised, ALLCAPS), spacing, punctuation and numbers are preserved;
the same ``seed`` gives the same output.

>>> r = spin("The bank said today that the attack was a big problem.", rate=1.0, style="phrase", seed=1)
>>> r.text
'The financial institution mentioned right this moment that the total war was a large downside.'
>>> spin("He banks at the Bank in the United States.", rate=1.0, style="names").text
'He banks at the Financial institution in america.'
>>> all(r.text[e.spun_start:e.spun_end] == e.spun and r.original[e.orig_start:e.orig_end] == e.orig
...     for e in r.edits)
True
>>> r.unspun() == r.original
True
>>> spin("Nothing changes.", rate=0).text
'Nothing changes.'
"""
from __future__ import annotations

import numbers
import random
import re
from dataclasses import asdict, dataclass, field

from .tokens import match_case, sentence_starts, tokenize

__all__ = ["spin", "SpinResult", "Edit", "STYLES", "STOCK_PHRASES", "STOCK_NAMES", "STOPWORDS"]

STYLES = ("wordnet", "moby", "phrase", "names", "dictionary", "tortured")

# Typical renderings of commercial spinners (original -> spun), seen in real spun news.
STOCK_PHRASES: dict[str, tuple[str, ...]] = {
    "today": ("in the present day", "right this moment", "at present"),
    "through": ("by means of", "by way of"),
    "instead": ("as an alternative", "as a substitute"),
    "content": ("content material",),
    "millions": ("thousands and thousands", "hundreds of thousands"),
    "billions": ("billions and billions",),
    "thousands": ("hundreds", "1000's"),
    "based": ("based mostly",),
    "engage": ("have interaction",),
    "engaged": ("engaged in",),
    "currently": ("at the moment", "at present", "presently"),
    "yesterday": ("the other day",),
    "towards": ("in the direction of",),
    "toward": ("in the direction of",),
    "key": ("important thing",),
    "another": ("one other",),
    "how": ("the way",),
    "said": ("mentioned", "stated"),
    "says": ("says that",),
    "bank": ("financial institution",),
    "banks": ("monetary establishments", "banks and financial institutions"),
    "however": ("nonetheless", "nevertheless"),
    "also": ("additionally",),
    "use": ("make use of",),
    "help": ("assist",),
    "big": ("large", "huge"),
    "because": ("as a result of", "due to the fact"),
    "despite": ("regardless of", "in spite of"),
    "whether": ("whether or not",),
    "during": ("throughout", "all through"),
    "many": ("quite a few", "a lot of"),
    "before": ("earlier than",),
    "need": ("want",),
    "think": ("assume", "suppose"),
    "show": ("present",),
    "shows": ("exhibits", "reveals"),
    "find": ("discover",),
    "recently": ("lately", "not too long ago", "just lately"),
    "probably": ("in all probability", "most likely"),
    "although": ("even supposing", "though"),
    "problem": ("downside", "drawback"),
    "problems": ("issues", "points"),
    "important": ("essential", "vital"),
    "government": ("authorities",),
    "people": ("individuals", "folks"),
    "company": ("firm",),
    "companies": ("corporations", "firms"),
    "technology": ("expertise",),
    "policy": ("coverage",),
    "network": ("community",),
    "customers": ("clients", "prospects"),
    "work": ("work together", "function"),
    "year": ("yr",),
    "years": ("years in the past", "yrs"),
    "ago": ("in the past",),
    "just": ("simply",),
    "then": ("after that",),
    "so": ("so that",),
    "a lot of": ("loads of", "numerous"),
    "in order to": ("with the intention to", "so as to"),
    "as well as": ("in addition to",),
    "a number of": ("a variety of", "quite a lot of"),
    "more than": ("greater than", "over"),
    "at least": ("not less than", "no less than"),
    "for example": ("for instance",),
    "right now": ("proper now",),
    "as soon as": ("as quickly as",),
    "such as": ("similar to", "reminiscent of"),
    "due to": ("as a result of", "owing to"),
    "in fact": ("in reality", "actually"),
}
# Capitalised names and multi-word names as spinners render them.
STOCK_NAMES: dict[str, tuple[str, ...]] = {
    "the united states": ("america",),
    "united states": ("america",),
    "the united kingdom": ("the uk",),
    "bank": ("financial institution",),
    "brief": ("transient",),
    "general": ("basic", "common"),
    "state": ("state of affairs", "nation"),
    "house": ("home",),
    "office": ("workplace",),
    "news": ("information",),
    "times": ("instances", "occasions"),
    "post": ("publish", "put up"),
    "money": ("cash",),
    "world": ("world",),
    "national": ("nationwide",),
}

STOPWORDS = frozenset("""
a about above after again against all am an and any are aren't as at be because been before being
below between both but by can cannot could couldn't did didn't do does doesn't doing don't down during
each few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's
hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself
let's me more most mustn't my myself no nor not of off on once only or other ought our ours ourselves
out over own same shan't she she'd she'll she's should shouldn't so some such than that that's the
their theirs them themselves then there there's these they they'd they'll they're they've this those
through to too under until up very was wasn't we we'd we'll we're we've were weren't what what's when
when's where where's which while who who's whom why why's with won't would wouldn't you you'd you'll
you're you've your yours yourself yourselves also just may might must shall will can't like get got
one two three mr mrs ms dr per via yes
""".split())
_ALPHA = re.compile(r"^[A-Za-z]+(?:-[A-Za-z]+)*$")


@dataclass(frozen=True, slots=True)
class Edit:
    """One substitution: ``original[orig_start:orig_end] == orig`` became
    ``text[spun_start:spun_end] == spun``."""

    orig_start: int
    orig_end: int
    spun_start: int
    spun_end: int
    orig: str
    spun: str


@dataclass
class SpinResult:
    text: str
    original: str
    edits: list[Edit] = field(default_factory=list)
    style: str = "dictionary"
    rate: float = 0.3
    seed: int = 0

    def to_dict(self) -> dict:
        return {"text": self.text, "original": self.original, "style": self.style,
                "rate": self.rate, "seed": self.seed, "edits": [asdict(e) for e in self.edits]}

    def unspun(self) -> str:
        """Apply the edits in reverse to ``text``: gives back ``original``."""
        t = self.text
        for e in reversed(self.edits):
            t = t[:e.spun_start] + e.orig + t[e.spun_end:]
        return t


@dataclass
class _Slot:
    start: int
    end: int
    key: str            # lower-case text of the slot
    first: bool         # opens a sentence
    capital: bool       # capitalised mid-sentence (a name or title word)
    multi: bool         # a multi-word table key


def _slots(text: str) -> list[_Slot]:
    toks = tokenize(text)
    starts = sentence_starts(text, toks)
    lows = [t.lower for t in toks]
    out: list[_Slot] = []
    i = 0
    multi_keys = [k for k in list(STOCK_PHRASES) + list(STOCK_NAMES) if " " in k]
    by_first: dict[str, list[list[str]]] = {}
    for k in sorted(multi_keys, key=lambda k: -len(k.split())):
        ws = k.split()
        by_first.setdefault(ws[0], []).append(ws)
    while i < len(toks):
        t = toks[i]
        matched = None
        for ws in by_first.get(lows[i], ()):
            n = len(ws)
            if lows[i:i + n] == ws and all(re.fullmatch(r"\s+", text[toks[k].end:toks[k + 1].start])
                                           for k in range(i, i + n - 1)):
                matched = n
                break
        if matched:
            key = " ".join(lows[i:i + matched])
            caps = any(toks[k].text[:1].isupper() for k in range(i + 1, i + matched))
            out.append(_Slot(t.start, toks[i + matched - 1].end, key, starts[i], caps, True))
            i += matched
            continue
        w = t.text
        if _ALPHA.match(w) and lows[i] not in STOPWORDS and len(w) > 1:
            out.append(_Slot(t.start, t.end, lows[i], starts[i], w[:1].isupper() and not starts[i], False))
        i += 1
    return out


class _Spinner:
    def __init__(self, style: str, rng: random.Random):
        from .lexicon import Lexicon

        self.lex = Lexicon.load()
        self.style = style
        self.rng = rng

    def _thesaurus(self, key: str, source: str, words: str = "single") -> str | None:
        return self.lex.sample_synonym(key, self.rng, source=source, words=words)

    def _wordnet(self, key: str) -> str | None:
        from .lexicon import analyses, inflect

        rng = self.rng
        readings = [(lemma, tag, {"NOUN": "n", "VERB": "v", "ADJ": "a", "ADV": "r"}[u])
                    for lemma, tag, u in analyses(key)] or [(key, None, None)]
        lemma, tag, pos = readings[rng.randrange(len(readings))]
        # A synset can list the lemma twice (different capitalisations fold together).
        senses = [s for s in self.lex.senses(lemma, pos) if any(x != lemma for x in s)]
        for _ in range(6):
            if not senses:
                return None
            syn = senses[rng.randrange(len(senses))]
            other = [x for x in syn if x != lemma]
            rep = other[rng.randrange(len(other))]
            if tag is not None:
                rep = inflect(rep, tag, -1) or inflect(rep, tag, 15)
            if rep and rep != key:
                return rep
        return None

    def _phrase(self, key: str) -> str | None:
        stock = STOCK_PHRASES.get(key)
        if stock and (self.rng.random() < 0.8 or " " in key):
            return self.rng.choice(stock)
        if " " in key:
            return None
        return self._thesaurus(key, "all", "multi")

    def _name(self, key: str) -> str | None:
        stock = STOCK_NAMES.get(key)
        if stock:
            return self.rng.choice(stock)
        if " " in key:
            return None
        return self._thesaurus(key, "all", "single")

    def replace(self, slot: _Slot) -> str | None:
        style, key, rng = self.style, slot.key, self.rng
        if style == "names":
            if not slot.capital:
                return None
            return self._name(key)
        if slot.capital and style != "dictionary":
            return None  # names are left to the "names" and "dictionary" styles
        if style == "wordnet":
            return None if slot.multi else self._wordnet(key)
        if style == "moby":
            return None if slot.multi else self._thesaurus(key, "moby", "any")
        if style == "phrase":
            return self._phrase(key)
        # dictionary: WordAI-like mix
        if slot.capital:
            return self._name(key) if rng.random() < 0.5 else None
        if slot.multi or (key in STOCK_PHRASES and rng.random() < 0.5):
            return self._phrase(key)
        r = rng.random()
        if r < 0.45:
            rep = self._thesaurus(key, "moby", "single")
        elif r < 0.9:
            rep = self._wordnet(key)
        else:
            rep = self._thesaurus(key, "all", "any")
        return rep or self._thesaurus(key, "all", "single")


def common_synonym(word: str, rng: random.Random) -> str | None:
    """A one-word synonym of ``word`` drawn the way paraphrasing tools pick: sense-blind,
    weighted towards ordinary words (by the square root of their frequency)."""
    from .lexicon import Lexicon
    from .lm import LanguageModel

    lm = LanguageModel.default()
    syns = [w for w in Lexicon.load().synonyms(word, "all") if " " not in w and w != word and lm.known(w)]
    if not syns:
        return None
    return rng.choices(syns, weights=[10 ** (0.5 * lm.logprob(w)) for w in syns])[0]


def _tortured(text: str, eligible: list[_Slot], rate: float, rng: random.Random) -> dict[int, str]:
    """Spin both words of strong collocations ("interest rates" -> "curiosity charges").

    This is how tortured phrases arise: a term is rendered word by word. Pairs of
    adjacent content words whose language-model collocation strength
    (log10 P(b|a) - log10 P(b)) is at least 1.5 are candidates; ``rate`` of them are spun.
    """
    from .lm import LanguageModel

    lm = LanguageModel.default()

    def pick(word: str) -> str | None:
        return common_synonym(word, rng)

    pairs = [k for k in range(len(eligible) - 1)
             if text[eligible[k].end:eligible[k + 1].start].isspace()
             and lm.logprob(eligible[k + 1].key, (eligible[k].key,)) - lm.logprob(eligible[k + 1].key) >= 1.5]
    rng.shuffle(pairs)
    chosen: dict[int, str] = {}
    for k in pairs[: round(rate * len(pairs))]:
        if k in chosen or k + 1 in chosen:
            continue
        a, b = pick(eligible[k].key), pick(eligible[k + 1].key)
        if a and b:
            chosen[k] = match_case(text[eligible[k].start:eligible[k].end], a)
            chosen[k + 1] = match_case(text[eligible[k + 1].start:eligible[k + 1].end], b)
    return chosen


def spin(text: str, rate: float = 0.3, style: str = "dictionary", seed: int = 0) -> SpinResult:
    """Substitute a fraction ``rate`` of the eligible words of ``text`` in ``style``;
    deterministic for a given ``seed``. Returns the spun text with its edits."""
    if not isinstance(text, str):  # None came back as a result whose text was None
        raise TypeError(f"spin expects str, got {type(text).__name__}; decode bytes first")
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}, not {style!r}")
    if isinstance(rate, (bool, str, bytes)) or not isinstance(rate, numbers.Real):
        raise TypeError(f"rate must be a number between 0 and 1, got {type(rate).__name__} {rate!r}")
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be in [0, 1], not {rate!r}")
    # The seed is formatted into the generator's seed string, so None would be the fixed seed
    # "None" (not a fresh random spin, as random.seed(None) is) and True would differ from 1.
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int (the same seed gives the same spin), got {type(seed).__name__} "
                        f"{seed!r}; for a different spin each run pass e.g. random.randrange(2**32)")
    result = SpinResult(text=text, original=text, edits=[], style=style, rate=rate, seed=seed)
    if rate == 0.0 or not text:
        return result
    rng = random.Random(f"{seed}:{style}")
    slots = _slots(text)
    if style == "names":
        eligible = [s for s in slots if s.capital]
    elif style in ("wordnet", "moby"):
        eligible = [s for s in slots if not s.capital and not s.multi]
    else:
        eligible = slots
    if style == "tortured":
        eligible = [s for s in slots if not s.capital and not s.multi]
        chosen = _tortured(text, eligible, rate, rng)
        order = []
    else:
        target = round(rate * len(eligible))
        if target == 0:
            return result
        spinner = _Spinner(style, rng)
        order = list(range(len(eligible)))
        rng.shuffle(order)
        chosen = {}
    for k in order:
        if len(chosen) >= target:
            break
        s = eligible[k]
        rep = spinner.replace(s)
        if not rep:
            continue
        orig = text[s.start:s.end]
        rep = rep if (s.capital and not s.first and s.key in STOCK_NAMES and " " in s.key) else match_case(orig, rep)
        if rep == orig:
            continue
        chosen[k] = rep
    pieces: list[str] = []
    edits: list[Edit] = []
    pos = 0
    out_len = 0
    for k in sorted(chosen, key=lambda k: eligible[k].start):
        s, rep = eligible[k], chosen[k]
        gap = text[pos:s.start]
        pieces.append(gap)
        out_len += len(gap)
        edits.append(Edit(s.start, s.end, out_len, out_len + len(rep), text[s.start:s.end], rep))
        pieces.append(rep)
        out_len += len(rep)
        pos = s.end
    pieces.append(text[pos:])
    result.text = "".join(pieces)
    result.edits = edits
    return result
