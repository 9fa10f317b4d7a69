"""Word-level alignment of a spun copy with its source, with block moves.

The alignment is a list of :class:`Edit` records that turn the spun text into
the source's wording: ``replace`` (a spinner's substitution, one or more words
on either side: "by means of" <-> "through"), ``insert`` (source words the copy
lacks), ``delete`` (copy words the source lacks) and ``move`` (a block that the
copy has at another place). Every edit carries character spans into *both*
texts. Material before the first or after the last shared stretch (page
furniture, a copy that starts mid-article) is marked ``edge`` and left alone by
:attr:`Alignment.restored`.

The copy is first located in the source: maximal runs of >= ANCHOR_K identical words are
chained (in order, non-overlapping, most words covered, shortest source stretch on ties), so an
excerpt from the middle of a page, a passage the page prints twice (a bio under the headline and
again in the body) or furniture at either end cannot pull the alignment to the wrong place; difflib
only compares the gaps between anchors, and blocks the chain leaves out become moves.

>>> a = align("Metro Financial institution mentioned on Monday it was fined.",
...           "Metro Bank said on Monday it was fined.")
>>> [(e.op, e.spun, e.source) for e in a.edits]
[('replace', 'Financial institution mentioned', 'Bank said')]
>>> a.restored
'Metro Bank said on Monday it was fined.'
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher

from ..tokens import Token, tokenize

#: Edge blocks (before the first / after the last equal run) with at most this
#: many words on each side are ordinary substitutions, not page furniture.
EDGE_PHRASE = 4
#: Exact runs of at least this many words anchor the alignment (see :func:`_anchored_opcodes`).
ANCHOR_K = 3
#: A word k-gram seen more often than this in the source starts no anchor run (keeps long pages fast).
ANCHOR_MAX_OCC = 64
#: Anchor chaining: one covered word outweighs this many source words skipped between anchors.
CHAIN_WORD = 1000
#: Shortest unmatched block (in words) considered for a block move.
MIN_MOVE = 4
#: Word-level similarity (difflib ratio) a deleted/inserted block pair needs to be a move.
MOVE_RATIO = 0.5


@dataclass(frozen=True)
class Edit:
    """One difference. ``spun == spun_text[spun_start:spun_end]``, same for ``source``."""

    op: str  # replace | insert | delete | move
    spun_start: int
    spun_end: int
    source_start: int
    source_end: int
    spun: str
    source: str
    #: not a spinner's change: outside the shared stretch (furniture), or an inserted/deleted
    #: passage longer than EDGE_PHRASE words; ``restored`` leaves these alone
    edge: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Alignment:
    """Result of :func:`align`: edits plus summary figures."""

    spun_text: str
    source_text: str
    edits: list[Edit] = field(default_factory=list)
    spun_words: int = 0
    source_words: int = 0
    matched_words: int = 0  # spun words in equal blocks (moves included)
    #: character spans of the shared stretch (first to last equal word) in the spun text and the source
    core_spun: tuple[int, int] = (0, 0)
    core_source: tuple[int, int] = (0, 0)

    @property
    def coverage(self) -> float:
        """Share of the spun copy's words found unchanged in the source."""
        return self.matched_words / self.spun_words if self.spun_words else 0.0

    @property
    def substitutions(self) -> list[Edit]:
        return [e for e in self.edits if e.op == "replace" and not e.edge]

    @property
    def restored(self) -> str:
        """The spun text with the source's wording put back (edge material kept as is)."""
        out: list[str] = []
        pos = 0
        for e in sorted((e for e in self.edits if not e.edge), key=lambda e: (e.spun_start, e.spun_end)):
            if e.spun_start < pos:
                continue
            if e.op in ("replace", "move"):
                out.append(self.spun_text[pos:e.spun_start])
                out.append(e.source)
                pos = e.spun_end
            elif e.op == "delete":
                # Remove the words and the separator before them.
                start = _prev_end(self.spun_text, e.spun_start, pos)
                out.append(self.spun_text[pos:start])
                pos = e.spun_end
            elif e.op == "insert":
                out.append(self.spun_text[pos:e.spun_start])
                sep_start = _prev_end(self.source_text, e.source_start, 0)
                sep = self.source_text[sep_start:e.source_start] or " "
                out.append(sep + e.source)
                pos = e.spun_start
        out.append(self.spun_text[pos:])
        return "".join(out)

    def to_dict(self) -> dict:
        return {"edits": [e.to_dict() for e in self.edits], "spun_words": self.spun_words,
                "core_spun": list(self.core_spun), "core_source": list(self.core_source),
                "source_words": self.source_words, "matched_words": self.matched_words,
                "coverage": self.coverage}


def _prev_end(text: str, start: int, floor: int) -> int:
    """Start of the whitespace/punctuation run that precedes ``start`` (not before ``floor``)."""
    i = start
    while i > floor and not (text[i - 1].isalnum() or text[i - 1] == "_"):
        i -= 1
    # Keep sentence punctuation that belongs to the previous word; drop only spaces.
    j = i
    while j < start and not text[j].isspace():
        j += 1
    return j if j < start else i


def _ids(tokens: list[Token], vocab: dict[str, int]) -> list[int]:
    return [vocab.setdefault(t.lower, len(vocab)) for t in tokens]


def align(spun: str, source: str) -> Alignment:
    """Align ``spun`` (a suspected copy) with ``source`` word by word."""
    st, ot = tokenize(spun), tokenize(source)
    vocab: dict[str, int] = {}
    sw, ow = _ids(st, vocab), _ids(ot, vocab)
    ops = _merge_islands(_anchored_opcodes(sw, ow))
    eq = [k for k, op in enumerate(ops) if op[0] == "equal"]
    first_eq, last_eq = (eq[0], eq[-1]) if eq else (len(ops), -1)
    res = Alignment(spun, source, [], len(st), len(ot), sum(i2 - i1 for t, i1, i2, _, _ in ops if t == "equal"))
    if eq:
        a, b = ops[first_eq], ops[last_eq]
        res.core_spun = (st[a[1]].start, st[b[2] - 1].end)
        res.core_source = (ot[a[3]].start, ot[b[4] - 1].end)
        # edge substitutions that are applied extend the core
        for k in (first_eq - 1, last_eq + 1):
            if 0 <= k < len(ops) and ops[k][0] == "replace" and ops[k][2] - ops[k][1] <= EDGE_PHRASE \
                    and ops[k][4] - ops[k][3] <= EDGE_PHRASE:
                _, i1, i2, j1, j2 = ops[k]
                res.core_spun = (min(res.core_spun[0], st[i1].start), max(res.core_spun[1], st[i2 - 1].end))
                res.core_source = (min(res.core_source[0], ot[j1].start), max(res.core_source[1], ot[j2 - 1].end))

    def span(tokens: list[Token], text: str, a: int, b: int, anchor: int) -> tuple[int, int]:
        if b > a:
            return tokens[a].start, tokens[b - 1].end
        # empty: insertion point right after token a-1 (or at the start)
        p = tokens[a - 1].end if a > 0 else 0
        return p, p

    raw: list[tuple[str, int, int, int, int, bool]] = []
    for k, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "equal":
            continue
        edge = False
        if k < first_eq or k > last_eq:
            edge = tag != "replace" or (i2 - i1) > EDGE_PHRASE or (j2 - j1) > EDGE_PHRASE
        elif tag != "replace" and max(i2 - i1, j2 - j1) > EDGE_PHRASE:
            edge = True  # a dropped/added passage (furniture, a paragraph the copy left out), not a spin
        raw.append((tag, i1, i2, j1, j2, edge))

    raw = _find_moves(raw, sw, ow, res)
    edits = []
    for tag, i1, i2, j1, j2, edge in raw:
        s0, s1 = span(st, spun, i1, i2, 0)
        o0, o1 = span(ot, source, j1, j2, 0)
        edits.append(Edit(tag, s0, s1, o0, o1, spun[s0:s1], source[o0:o1], edge))
    edits.sort(key=lambda e: (e.spun_start, e.spun_end, e.source_start))
    res.edits = edits
    return res


def _exact_runs(sw: list[int], ow: list[int], k: int = ANCHOR_K) -> list[tuple[int, int, int]]:
    """Maximal runs of >= ``k`` identical words, ``(spun_start, source_start, length)``.

    Found through the source's word k-grams; a k-gram that occurs more than
    :data:`ANCHOR_MAX_OCC` times in the source starts no run (it can still lie inside one)."""
    if len(sw) < k or len(ow) < k:
        return []
    pos: dict[tuple[int, ...], list[int]] = {}
    for j in range(len(ow) - k + 1):
        pos.setdefault(tuple(ow[j:j + k]), []).append(j)
    runs: list[list[int]] = []  # [i0, j0, n]
    active: dict[int, int] = {}  # diagonal j - i -> index of the run that reached i - 1
    for i in range(len(sw) - k + 1):
        hits = pos.get(tuple(sw[i:i + k]), ())
        nxt: dict[int, int] = {}
        for j in hits:
            d = j - i
            r = active.get(d)
            if r is not None:
                runs[r][2] += 1
                nxt[d] = r
            elif len(hits) <= ANCHOR_MAX_OCC:
                runs.append([i, j, k])
                nxt[d] = len(runs) - 1
        active = nxt
    return [tuple(r) for r in runs]


def _chain(runs: list[tuple[int, int, int]], n_source: int) -> list[tuple[int, int, int]]:
    """The in-order, non-overlapping subset of ``runs`` that covers the most words.

    Unlike difflib's longest-block-first recursion, one long block repeated elsewhere in the source
    (a bio, a standfirst, a caption printed twice) cannot pull the whole alignment to the wrong place:
    the chain keeps the copy of it that agrees with everything else. Among chains covering as many
    words, the one spanning the shortest stretch of the source wins (each covered word is worth
    :data:`CHAIN_WORD` skipped source words), so a repeated passage does not make it hop."""
    if not runs:
        return []
    runs = sorted(runs)
    by_end = sorted(range(len(runs)), key=lambda r: runs[r][0] + runs[r][2])
    size = n_source + 1
    neg = -(1 << 62)
    tree_v = [neg] * (size + 1)  # Fenwick tree: prefix max over source end of (value + source end)
    tree_r = [-1] * (size + 1)

    def put(key: int, val: int, r: int) -> None:
        key += 1
        while key <= size:
            if val > tree_v[key]:
                tree_v[key], tree_r[key] = val, r
            key += key & -key

    def best(key: int) -> tuple[int, int]:
        key += 1
        v, r = neg, -1
        while key > 0:
            if tree_v[key] > v:
                v, r = tree_v[key], tree_r[key]
            key -= key & -key
        return v, r

    # value = CHAIN_WORD * covered words - source words from the chain's first to its last word
    value = [0] * len(runs)
    pred = [-1] * len(runs)
    e = 0
    for r, (i0, j0, n) in enumerate(runs):
        while e < len(by_end) and runs[by_end[e]][0] + runs[by_end[e]][2] <= i0:
            q = by_end[e]
            put(runs[q][1] + runs[q][2], value[q] + runs[q][1] + runs[q][2], q)
            e += 1
        value[r] = n * CHAIN_WORD - n
        v, p = best(j0)
        if p != -1 and v - j0 + n * CHAIN_WORD - n > value[r]:
            value[r], pred[r] = v - j0 + n * CHAIN_WORD - n, p
    r = max(range(len(runs)), key=lambda x: (value[x], -x))
    out = []
    while r != -1:
        out.append(runs[r])
        r = pred[r]
    return out[::-1]


def _trim_chain(anchors: list[tuple[int, int, int]], n_spun: int) -> list[tuple[int, int, int]]:
    """Drop a stray phrase at either end of the chain: a group of anchors covering fewer than
    2 * ANCHOR_K words that sits more than 2 * EDGE_PHRASE source words away from the rest, amid
    copy words that match nothing (between it and the rest, plus beyond it to the copy's end) at
    least three times as many as its own and more than 2 * EDGE_PHRASE -- a phrase the page
    furniture happens to share with the source. The edge gap it leaves is still compared word by
    word (:func:`_grow_edge`), so a genuine end of the copy keeps its substitutions."""
    def cut(a, b, matched: int, outer: int) -> bool:
        gi, gj = b[0] - (a[0] + a[2]) + outer, b[1] - (a[1] + a[2])
        return gj > 2 * EDGE_PHRASE and gi > 2 * EDGE_PHRASE and gi >= 3 * matched

    for k in range(1, len(anchors)):  # head group
        m = sum(a[2] for a in anchors[:k])
        if m >= 2 * ANCHOR_K:
            break
        if cut(anchors[k - 1], anchors[k], m, anchors[0][0]):
            anchors = anchors[k:]
            break
    for k in range(len(anchors) - 1, 0, -1):  # tail group
        m = sum(a[2] for a in anchors[k:])
        if m >= 2 * ANCHOR_K:
            break
        if cut(anchors[k - 1], anchors[k], m, n_spun - (anchors[-1][0] + anchors[-1][2])):
            anchors = anchors[:k]
            break
    return anchors


def _anchored_opcodes(sw: list[int], ow: list[int]):
    """difflib-style opcodes for ``sw`` -> ``ow``, anchored on the best chain of exact word runs.

    The chain fixes where the copy sits in the source (an excerpt from the middle of a page, a
    copy with furniture at either end); difflib only fills the gaps between anchors. Before the
    first and after the last anchor the copy's words are compared with the adjacent stretch of the
    source only (room for edge substitutions); the rest of the source there is one insert block."""
    anchors = _trim_chain(_chain(_exact_runs(sw, ow), len(ow)), len(sw))
    if not anchors:
        return SequenceMatcher(None, sw, ow, autojunk=False).get_opcodes()
    ops: list[tuple[str, int, int, int, int]] = []

    def gap(i1: int, i2: int, j1: int, j2: int) -> list[tuple[str, int, int, int, int]]:
        if i1 == i2 and j1 == j2:
            return []
        return [(tag, i1 + a1, i1 + a2, j1 + b1, j1 + b2) for tag, a1, a2, b1, b2
                in SequenceMatcher(None, sw[i1:i2], ow[j1:j2], autojunk=False).get_opcodes()]

    i0, j0, _ = anchors[0]
    lead = max(0, j0 - (2 * i0 + EDGE_PHRASE)) if i0 else j0
    head = _grow_edge(gap(0, i0, lead, j0)[::-1])[::-1]
    if lead:
        head.insert(0, ("insert", 0, 0, 0, lead))
    ops += head
    pi = pj = None
    for i, j, n in anchors:
        if pi is not None:
            ops += gap(pi, i, pj, j)
        ops.append(("equal", i, i + n, j, j + n))
        pi, pj = i + n, j + n
    rest = len(sw) - pi
    tail = min(len(ow), pj + 2 * rest + EDGE_PHRASE) if rest else pj
    ops += _grow_edge(gap(pi, len(sw), pj, tail))
    if tail < len(ow):
        ops.append(("insert", len(sw), len(sw), tail, len(ow)))
    # merge neighbours with the same tag (difflib never emits two equal blocks in a row)
    out: list[list] = []
    for o in ops:
        if out and out[-1][0] == o[0] and o[0] in ("equal", "insert") and out[-1][2] == o[1] \
                and out[-1][4] == o[3]:
            out[-1][2], out[-1][4] = o[2], o[4]
        else:
            out.append(list(o))
    return [tuple(o) for o in out]


def _grow_edge(seq):
    """Opcodes of an edge gap, ordered from the outermost anchor outwards: keep difflib's matches
    while the copy and the source differ only by short substitutions (<= EDGE_PHRASE words a
    side). A longer mismatch (furniture, or the text the other side goes on with) ends the shared
    stretch: whatever lies beyond it -- stray one- or two-word matches included -- is folded into
    one block with it, which :func:`align` then marks as edge."""
    keep = 0
    for n, (tag, i1, i2, j1, j2) in enumerate(seq):
        if tag == "equal":
            keep = n + 1
        elif n == len(seq) - 1 or (i2 - i1 <= EDGE_PHRASE and j2 - j1 <= EDGE_PHRASE):
            continue
        else:
            break
    else:
        return list(seq)
    out, rest = list(seq[:keep]), seq[keep:]
    i1, i2 = min(o[1] for o in rest), max(o[2] for o in rest)
    j1, j2 = min(o[3] for o in rest), max(o[4] for o in rest)
    out.append(("replace" if i1 < i2 and j1 < j2 else "insert" if i1 == i2 else "delete", i1, i2, j1, j2))
    return out


def _merge_islands(ops):
    """Fold a one-word equal block into its neighbours when one of them is a pure insert/delete:
    "make use of" -> "use" is one phrase replacement, not two deletions around a match."""
    ops = [list(o) for o in ops]
    changed = True
    while changed:
        changed = False
        for k in range(1, len(ops) - 1):
            tag, i1, i2, j1, j2 = ops[k]
            if tag != "equal" or i2 - i1 != 1:
                continue
            left, right = ops[k - 1], ops[k + 1]
            if left[0] == "equal" or right[0] == "equal":
                continue
            if left[0] == "replace" and right[0] == "replace":
                continue
            ops[k - 1:k + 2] = [["replace", left[1], right[2], left[3], right[4]]]
            changed = True
            break
    out = []
    for o in ops:
        if o[0] == "replace" and (o[1] == o[2] or o[3] == o[4]):
            o[0] = "insert" if o[1] == o[2] else "delete"
        out.append(tuple(o))
    return out


def _find_moves(raw, sw, ow, res: Alignment):
    """Pair interior delete blocks with insert blocks elsewhere that hold similar words."""
    dels = [r for r in raw if r[0] in ("delete", "replace") and r[2] - r[1] >= MIN_MOVE]
    ins = [r for r in raw if r[0] in ("insert", "replace") and r[4] - r[3] >= MIN_MOVE]
    if not dels or not ins:
        return raw
    used_ins: set[int] = set()
    moved: dict[int, tuple] = {}
    for d in dels:
        best, best_ratio = None, MOVE_RATIO
        a = sw[d[1]:d[2]]
        for k, r in enumerate(ins):
            if k in used_ins or r is d:
                continue
            b = ow[r[3]:r[4]]
            if 2 * min(len(a), len(b)) / (len(a) + len(b)) < best_ratio:
                continue
            sm = SequenceMatcher(None, a, b, autojunk=False)
            ratio = sm.ratio()
            if ratio >= best_ratio:
                best, best_ratio = k, ratio
        if best is not None:
            used_ins.add(best)
            moved[id(d)] = ins[best]
    if not moved:
        return raw
    moved_ins = {id(r) for r in moved.values()}
    out = []
    for r in raw:
        tag, i1, i2, j1, j2, edge = r
        if id(r) in moved:
            m = moved[id(r)]
            out.append(("move", i1, i2, m[3], m[4], False))
            if tag == "replace":  # the source side of this block still is an insertion
                out.append(("insert", i2, i2, j1, j2, edge))
            n = SequenceMatcher(None, sw[i1:i2], ow[m[3]:m[4]], autojunk=False)
            res.matched_words += sum(b.size for b in n.get_matching_blocks())
        elif id(r) in moved_ins:
            if tag == "replace":  # spun side stays a deletion
                out.append(("delete", i1, i2, j1, j1, edge))
        else:
            out.append(r)
    return out
