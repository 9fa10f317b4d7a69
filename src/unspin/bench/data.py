"""Load the development data the benchmarks measure on.

The data live outside the repository (``../shared/data``: third-party web
excerpts that must not be copied in). Resolution order for the folder:

1. the ``--data DIR`` option,
2. the ``UNSPIN_DATA`` environment variable,
3. ``../shared/data`` relative to the repository root, then to the CWD.

When none exists, benchmarks that need the folder say
``skipped: ../shared/data not found (pass --data DIR)`` and the synthetic and
speed benchmarks fall back to :data:`FALLBACK_TEXTS` (short texts written for
this module).

>>> story_id("rt-coinbase-wells-southerngazette")
'rt-coinbase-wells'
>>> heldout_indices(12)
[0, 5, 10]
"""
from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

__all__ = [
    "MISSING_MSG", "HELDOUT_MOD", "resolve_data_dir", "story_id", "heldout_indices", "is_heldout",
    "Pair", "load_pairs", "load_negatives", "load_clean", "load_tortured", "has_file",
    "FALLBACK_TEXTS",
]

MISSING_MSG = "skipped: ../shared/data not found (pass --data DIR)"

#: Synthetic-spin benchmark texts: clean_news rows whose 0-based line index
#: ``% HELDOUT_MOD == 0``. Calibration/tuning should use only the other rows.
HELDOUT_MOD = 5


def _repo_root() -> Path | None:
    """The checkout this module lives in (src layout), if any."""
    for p in Path(__file__).resolve().parents:
        if (p / "pyproject.toml").is_file() and (p / "src" / "unspin").is_dir():
            return p
    return None


def resolve_data_dir(arg: str | os.PathLike | None = None) -> Path | None:
    """The data folder to use, or ``None`` if it cannot be found.

    An explicit ``arg`` (``--data``) wins and is never silently replaced by
    another location: if it does not exist, the result is ``None``.

    >>> resolve_data_dir("/nonexistent/dir") is None
    True
    """
    if arg is not None:
        p = Path(arg).expanduser()
        return p if p.is_dir() else None
    env = os.environ.get("UNSPIN_DATA")
    if env:
        p = Path(env).expanduser()
        return p if p.is_dir() else None
    candidates = []
    root = _repo_root()
    if root is not None:
        candidates.append(root.parent / "shared" / "data")
    candidates.append(Path.cwd().parent / "shared" / "data")
    for c in candidates:
        if c.is_dir():
            return c
    return None


def has_file(data_dir: Path | None, name: str) -> bool:
    return data_dir is not None and (Path(data_dir) / name).is_file()


def story_id(pair_id: str) -> str:
    """Pair id minus its last ``-<copying site>`` part (copies of one story share it).

    >>> story_id("fm-cfpb-brighthouse"), story_id("single")
    ('fm-cfpb', 'single')
    """
    return pair_id.rsplit("-", 1)[0] if "-" in pair_id else pair_id


def is_heldout(index: int) -> bool:
    return index % HELDOUT_MOD == 0


def heldout_indices(n: int) -> list[int]:
    """Indices of the held-out clean_news rows (``index % 5 == 0``)."""
    return [i for i in range(n) if is_heldout(i)]


def _jsonl(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                yield json.loads(line)


@dataclass(frozen=True)
class Pair:
    """One row of pairs.jsonl. ``spun``/``orig`` are ``None`` for verbatim/rewrite rows."""

    id: str
    style: str
    spun: str | None
    orig: str | None
    spun_text: str | None
    orig_text: str | None
    notes: str = ""

    @property
    def story(self) -> str:
        return story_id(self.id)

    @property
    def aligned(self) -> bool:
        """Has trimmed ``spun``/``orig`` excerpts (usable for localization/restoration)."""
        return bool(self.spun) and bool(self.orig)

    @property
    def detection_text(self) -> str | None:
        """The text a detector should score: the trimmed excerpt, else the page start."""
        return self.spun or self.spun_text


def load_pairs(data_dir: Path) -> list[Pair]:
    return [Pair(id=d["id"], style=d.get("style", ""), spun=d.get("spun"), orig=d.get("orig"),
                 spun_text=d.get("spun_text"), orig_text=d.get("orig_text"), notes=d.get("notes") or "")
            for d in _jsonl(Path(data_dir) / "pairs.jsonl")]


def load_negatives(data_dir: Path) -> list[dict]:
    return list(_jsonl(Path(data_dir) / "negatives.jsonl"))


def load_clean(data_dir: Path) -> list[dict]:
    """clean_news.jsonl rows in file order (the order defines the held-out split)."""
    return list(_jsonl(Path(data_dir) / "clean_news.jsonl"))


def load_tortured(data_dir: Path) -> list[dict]:
    """Rows ``{"tortured", "expected", "papers"}`` of tortured_phrases.tsv."""
    out = []
    with open(Path(data_dir) / "tortured_phrases.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            t, e = (row.get("tortured") or "").strip(), (row.get("expected") or "").strip()
            if not t or not e:
                continue
            try:
                papers = int(row.get("papers") or 1)
            except ValueError:
                papers = 1
            out.append({"tortured": t, "expected": e, "papers": papers})
    return out


#: Small original texts (written for this module, no third-party content) used by
#: the synthetic and speed benchmarks when ../shared/data is absent.
FALLBACK_TEXTS: list[str] = [
    "The town council voted on Tuesday to close the old library on the high street and move its "
    "collection to the community centre next year. Members said the building needed repairs that "
    "would cost more than the council could afford. Several residents spoke against the plan at the "
    "meeting, arguing that older people who rely on the library would find the new site hard to reach. "
    "The council leader promised that a free bus service would run twice a day and that opening hours "
    "would be longer than before. A final decision on the future of the empty building is expected "
    "in the spring, after a public consultation.",
    "Shares in the regional energy company fell sharply after it warned that profits would be lower "
    "than expected this year. The firm blamed a mild winter, which reduced demand for gas, and higher "
    "costs for maintaining its network. Analysts said the warning was not a surprise, but investors had "
    "hoped for a stronger second half. The chief executive told reporters that the company would cut "
    "spending on new projects and focus on improving the service it already provides. He added that "
    "the dividend would be kept at the same level, which helped the shares recover some of their losses "
    "by the end of the day.",
    "The home side scored twice in the final ten minutes to win the match and move to the top of the "
    "table. The visitors had taken the lead early in the first half when their captain headed in a "
    "corner, and they defended well for most of the game. The manager said after the match that his "
    "players had shown great character and never stopped believing they could turn the result around. "
    "The next game is away from home on Saturday against a team that has not lost since the start of "
    "the season, and tickets for the travelling fans have already sold out.",
    "Scientists at the university have developed a simple test that can detect the disease in its early "
    "stages using a small sample of blood. The researchers said the method is cheaper and faster than "
    "current tests, which often require a visit to a hospital. In a study of several hundred patients, "
    "the new test correctly identified most of the cases that were later confirmed by other methods. "
    "The team now plans a larger trial with doctors in different parts of the country. They hope the "
    "test could be widely available within five years if the results are confirmed.",
    "Heavy rain caused flooding in several villages overnight, forcing dozens of families to leave their "
    "homes. Emergency services worked through the night to rescue people trapped by rising water, and a "
    "school was opened as a shelter. The main road into the valley remains closed, and drivers have been "
    "told to avoid the area until the water level falls. Local officials said it was the worst flooding "
    "in the region for more than twenty years. Forecasters expect the weather to improve later in the "
    "week, but more rain is possible at the weekend.",
    "The government has announced new rules that will require landlords to improve the energy "
    "efficiency of the homes they rent out. Under the plan, properties must reach a minimum standard "
    "before a new tenancy can begin. Ministers said the change would lower bills for millions of "
    "tenants and help the country meet its climate targets. Landlord groups warned that some owners "
    "might sell their properties rather than pay for the work, which could reduce the number of homes "
    "available to rent. The rules will be introduced gradually over the next four years.",
    "A small bakery in the old market has become an unlikely success story after a video of its owner "
    "went viral online. The clip shows her explaining how she makes bread using a recipe passed down from "
    "her grandmother. Since it was posted, customers have queued outside the shop every morning, and "
    "she has had to hire three new members of staff. She said she was grateful for the attention but "
    "wanted the business to stay small and personal. The bakery now opens an hour earlier to keep up "
    "with demand.",
    "The museum will reopen next month after a two-year renovation that cost several million pounds. "
    "Visitors will find new galleries, a larger cafe and improved access for people with disabilities. "
    "The director said the aim was to make the collection more welcoming to families and to young people "
    "who might not usually visit a museum. Entry will remain free, although some special exhibitions "
    "will charge a fee. The first of these will display paintings that have not been shown to the public "
    "for more than a century.",
]
