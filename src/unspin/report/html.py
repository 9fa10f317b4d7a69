"""Render a :class:`~unspin.report.Report` as one self-contained HTML page.

The page needs nothing from the network: CSS and JavaScript are inline, fonts
are the reader's system fonts, and a Content-Security-Policy forbids any
external request (so a hostile input text cannot make the page phone home
either; every piece of input text is HTML-escaped).

What the page shows:

- the verdict, the calibrated score against the threshold, the word count and
  the matched spinner profile;
- the submitted text with every finding highlighted by confidence band
  (high >= 0.8, medium >= 0.5, low below; the bands differ by colour *and*
  underline style, so they survive colour blindness and black-and-white print);
- next to each paragraph, the restored paragraph with the changes marked;
- hover, click or keyboard focus on a highlight shows the suggestion, the
  alternatives, the confidence and the reason (``n``/``p`` or ``j``/``k`` move
  between findings, ``Esc`` closes); without JavaScript each highlight links to
  its row in the findings table, which carries the same details and is what
  gets printed;
- ``report.source`` (set by the trace feature when an index is used) as the
  source document, its similarity and the word-level edits.

>>> from unspin.report import Finding, Report
>>> text = "The firm mentioned a plan."
>>> r = Report(0.9, 0.5, [Finding(9, 18, "mentioned", "said", ["said", "stated"], 0.91, "spinner swap")],
...            "The firm said a plan.", 5)
>>> page = render_html(r, text)
>>> page.startswith("<!DOCTYPE html>") and 'class="f c-high"' in page and "<ins" in page
True
>>> "http://" in page.replace("http://www.w3.org/2000/svg", "") or "https://" in page
False
"""
from __future__ import annotations

import bisect
import difflib
import html
import json
import math
import re
from typing import Any

__all__ = ["render_html", "report_body", "page", "band", "source_info", "pieces", "CSS"]

#: Confidence bands: (lower bound, css class, label). Findings are reported from ~0.35 up;
#: suggestions are applied to the restored text from 0.5 (see unspin.detect).
BANDS = ((0.8, "high", "high confidence (0.80 or more)"),
         (0.5, "mid", "medium confidence (0.50 to 0.79)"),
         (0.0, "low", "low confidence (below 0.50)"))

KIND_LABELS = {
    "phrase": "known spinner phrase",
    "substitution": "synonym substitution",
    "name": "altered name",
    "tortured": "tortured phrase",
    "profile": "spinner profile",
}

_PARA = re.compile(r"\n[ \t\r\f\v]*\n\s*")


def band(confidence: float) -> str:
    """``"high"``, ``"mid"`` or ``"low"``.

    >>> band(0.95), band(0.5), band(0.2)
    ('high', 'mid', 'low')
    """
    for lo, name, _ in BANDS:
        if confidence >= lo:
            return name
    return "low"


def _esc(s: Any) -> str:
    return html.escape(str(s), quote=True)


def _txt(s: Any) -> str:
    """Escape for element content: quotes need no entity there (reasons quote words a
    lot, and "&#x27;" is six bytes for one)."""
    return html.escape(str(s), quote=False)


def _num(x: Any, fmt: str = ".2f") -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return _esc(x)
    return "–" if math.isnan(v) or math.isinf(v) else format(v, fmt)


# --------------------------------------------------------------------------- data shaping


def pieces(report: Any, text: str) -> tuple[list[tuple[str, int | None, str]], bool]:
    """Cut ``text`` into ``(original, finding_index or None, restored)`` pieces.

    Overlapping or out-of-range findings are not highlighted (they still appear in
    the findings table).  The second value says whether the pieces rebuild
    ``report.restored`` exactly; when they do not (e.g. a trace restoration that
    rewrote more than the findings) the caller shows a word diff instead.
    """
    out: list[tuple[str, int | None, str]] = []
    fs = report.findings
    # Keep a non-overlapping set, applied and confident findings first, then walk it in text order.
    valid = [i for i in range(len(fs)) if 0 <= fs[i].start < fs[i].end <= len(text)]
    by_start = sorted(valid, key=lambda i: fs[i].start)
    if all(fs[a].end <= fs[b].start for a, b in zip(by_start, by_start[1:])):
        keep = by_start  # the engine's findings never overlap: the usual, linear case
    else:
        starts: list[int] = []  # sorted, disjoint intervals taken so far
        ends: list[int] = []
        keep = []
        for i in sorted(valid, key=lambda i: (not fs[i].applied, -fs[i].confidence, fs[i].start)):
            f = fs[i]
            k = bisect.bisect_left(starts, f.end)  # intervals starting before f ends
            if k and ends[k - 1] > f.start:
                continue
            starts.insert(k, f.start)
            ends.insert(k, f.end)
            keep.append(i)
    pos = 0
    for i in sorted(keep, key=lambda i: fs[i].start):
        f = fs[i]
        if f.start > pos:
            out.append((text[pos:f.start], None, text[pos:f.start]))
        orig = text[f.start:f.end]
        rest = f.suggestion if (f.applied and f.suggestion is not None) else orig
        out.append((orig, i, rest))
        pos = f.end
    if pos < len(text):
        out.append((text[pos:], None, text[pos:]))
    consistent = "".join(p[2] for p in out) == report.restored
    return out, consistent


def _rows(parts: list[tuple[str, int | None, str]]) -> list[list[tuple[str, int | None, str]]]:
    """Group pieces into paragraphs (split at blank lines inside plain pieces)."""
    rows: list[list[tuple[str, int | None, str]]] = [[]]
    for orig, i, rest in parts:
        if i is not None:
            rows[-1].append((orig, i, rest))
            continue
        chunks = _PARA.split(orig)
        for k, chunk in enumerate(chunks):
            if k:
                rows.append([])
            if chunk:
                rows[-1].append((chunk, None, chunk))
    cleaned = []
    for row in rows:
        if not row or all(i is None and not o.strip() for o, i, _ in row):
            continue
        if row[0][1] is None:
            o = row[0][0].lstrip()
            row[0] = (o, None, o)
        if row[-1][1] is None:
            o = row[-1][0].rstrip()
            row[-1] = (o, None, o)
        cleaned.append(row)
    return cleaned


def source_info(report: Any) -> dict[str, Any] | None:
    """``report.source`` as a dict (doc_id, score, edits, ...), or ``None`` when absent.

    The trace feature may attach a dict or an object with ``to_dict()``; both work.
    """
    src = getattr(report, "source", None)
    if src is None:
        return None
    if not isinstance(src, dict):
        if hasattr(src, "to_dict"):
            src = src.to_dict()
        else:
            try:
                from dataclasses import asdict

                src = asdict(src)
            except TypeError:
                src = {"doc_id": str(src)}
    return src if isinstance(src, dict) and src else None


def _edits(src: dict[str, Any]) -> list[dict[str, Any]]:
    edits = src.get("edits")
    if edits is None and isinstance(src.get("alignment"), dict):
        edits = src["alignment"].get("edits")
    if edits is None and isinstance(src.get("alignment"), list):
        edits = src["alignment"]
    out = []
    for e in edits or []:
        if not isinstance(e, dict):
            if hasattr(e, "to_dict"):
                e = e.to_dict()
            elif isinstance(e, (list, tuple)) and len(e) >= 3:
                e = {"op": e[0], "spun": e[1], "source": e[2]}
            else:
                continue
        out.append(e)
    return out


def _edit_texts(e: dict[str, Any], text: str) -> tuple[str, str, str]:
    op = str(e.get("op") or e.get("kind") or e.get("type") or "replace")

    def pick(*names: str) -> str:
        for n in names:
            v = e.get(n)
            if isinstance(v, str):
                return v
        return ""

    spun = pick("spun_text", "spun", "a_text", "text")
    if not spun:
        s, t = e.get("spun_start", e.get("a_start")), e.get("spun_end", e.get("a_end"))
        if isinstance(s, int) and isinstance(t, int) and 0 <= s <= t <= len(text):
            spun = text[s:t]
    source = pick("source_text", "source", "b_text", "original", "orig")
    return op, spun, source


# --------------------------------------------------------------------------- HTML pieces


def _mark(orig: str, i: int, f: Any) -> str:
    b = band(f.confidence)
    return (f'<a class="f c-{b}" id="m{i}" href="#f{i}" data-i="{i}" aria-describedby="fs{i}">'
            f'{_esc(orig)}</a>')


def _restored_piece(orig: str, i: int | None, rest: str, f: Any | None) -> str:
    if i is None:
        return _esc(rest)
    if f is not None and f.applied and f.suggestion is not None:
        return (f'<ins class="chg" data-i="{i}" title="was: {_esc(orig)}">{_esc(rest)}'
                f'<span class="sr"> (was: {_esc(orig)})</span></ins>')
    return f'<span class="kept" data-i="{i}">{_esc(rest)}</span>'


def _diff_html(a: str, b: str) -> str:
    """``b`` with the words that differ from ``a`` marked (fallback when pieces do not rebuild b)."""
    ta, tb = re.findall(r"\s+|\S+", a), re.findall(r"\s+|\S+", b)
    out = []
    for op, _, _, j1, j2 in difflib.SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        chunk = _esc("".join(tb[j1:j2]))
        out.append(chunk if op == "equal" or not chunk.strip() else f'<ins class="chg">{chunk}</ins>')
    return "".join(out)


def _verdict(report: Any) -> tuple[str, str]:
    if report.is_spun:
        return "spun", "Likely spun"
    if report.score >= report.threshold * 0.6 and report.findings:
        return "unsure", "Probably not spun"
    return "clean", "No sign of spinning"


def report_body(report: Any, text: str, *, source_name: str | None = None) -> str:
    """The report as an HTML fragment (``<main>``), without page chrome."""
    findings = list(report.findings)
    parts, consistent = pieces(report, text)
    applied = sum(1 for f in findings if f.applied and f.suggestion is not None)
    vclass, vlabel = _verdict(report)
    score = max(0.0, min(1.0, float(report.score)))
    thr = max(0.0, min(1.0, float(report.threshold)))
    counts = {name: sum(1 for f in findings if band(f.confidence) == name) for _, name, _ in BANDS}
    h: list[str] = []
    h.append('<main id="report" class="report">')

    # -- summary
    h.append('<section class="summary" aria-label="Summary">')
    h.append(f'<div class="verdict v-{vclass}" role="status"><span class="vlabel">{vlabel}</span>'
             f'<span class="vscore">score {_num(score)} '
             f'{"&ge;" if report.is_spun else "&lt;"} threshold {_num(thr)}</span></div>')
    h.append(f'<div class="bar" role="img" aria-label="score {_num(score)} of 1, threshold {_num(thr)}">'
             f'<div class="fill v-{vclass}" style="width:{score * 100:.1f}%"></div>'
             f'<div class="thr" style="left:{thr * 100:.1f}%" title="threshold {_num(thr)}"></div></div>')
    h.append('<dl class="stats">')
    if source_name:
        h.append(f'<div><dt>Document</dt><dd class="name">{_esc(source_name)}</dd></div>')
    h.append(f'<div><dt>Words</dt><dd>{int(report.words):,}</dd></div>')
    h.append(f'<div><dt>Findings</dt><dd>{len(findings)} '
             f'<span class="muted">({counts["high"]} high, {counts["mid"]} medium, {counts["low"]} low)</span></dd></div>')
    h.append(f'<div><dt>Changes restored</dt><dd>{applied}</dd></div>')
    if report.spinner:
        h.append(f'<div><dt>Spinner profile</dt><dd><strong>{_esc(report.spinner)}</strong> '
                 f'<span class="muted">(confidence {_num(report.spinner_confidence)})</span></dd></div>')
    else:
        h.append('<div><dt>Spinner profile</dt><dd class="muted">none matched</dd></div>')
    src = source_info(report)
    if src:
        h.append(f'<div><dt>Source</dt><dd><a href="#source">{_esc(src.get("doc_id", "?"))}</a>'
                 f' <span class="muted">(similarity {_num(src.get("score"))})</span></dd></div>')
    h.append('</dl>')
    h.append('<p class="score-note muted">The score is a calibrated probability that the text was '
             'machine-spun (run through a synonym-swapping &ldquo;spinner&rdquo;); a finding is a word or '
             'phrase that looks swapped, with its likely original.</p>')
    h.append('</section>')

    # -- legend
    if findings:
        h.append('<section class="legend no-print-break" aria-label="Legend">')
        for _, name, label in BANDS:
            h.append(f'<span class="lg"><span class="f c-{name}">word</span> {label}</span>')
        h.append('<span class="lg"><ins class="chg">word</ins> restored wording</span>')
        h.append('<span class="lg keys muted">Hover, click or Tab to a highlight for details; '
                 '<kbd>n</kbd>/<kbd>p</kbd> next/previous, <kbd>Esc</kbd> closes.</span>')
        h.append('</section>')

    # -- side by side text
    h.append('<section class="texts" aria-label="Submitted and restored text">')
    h.append('<div class="cols head"><h2>Submitted text</h2>'
             f'<h2>Restored text <span class="muted">({applied} change{"s" if applied != 1 else ""})</span></h2></div>')
    if consistent:
        for row in _rows(parts):
            left = "".join(_mark(o, i, findings[i]) if i is not None else _esc(o) for o, i, _ in row)
            right = "".join(_restored_piece(o, i, r, findings[i] if i is not None else None) for o, i, r in row)
            h.append(f'<div class="cols"><p class="t orig">{left}</p>'
                     f'<p class="t rest" aria-label="restored">{right}</p></div>')
    else:
        left = "".join(_mark(o, i, findings[i]) if i is not None else _esc(o) for o, i, _ in parts)
        h.append(f'<div class="cols"><p class="t orig">{left.strip()}</p>'
                 f'<p class="t rest">{_diff_html(text, report.restored).strip()}</p></div>')
    h.append('</section>')

    # -- source alignment
    if src:
        h.append(_source_html(src, text))

    # -- findings table
    h.append('<section id="findings" aria-label="Findings">')
    h.append(f'<h2>Findings <span class="muted">({len(findings)})</span></h2>')
    if not findings:
        h.append('<p class="muted">Nothing suspicious was found.</p>')
    else:
        h.append('<div class="tablewrap"><table class="ft"><thead><tr><th scope="col">#</th>'
                 '<th scope="col">Text</th><th scope="col">Likely original</th><th scope="col">Alternatives</th>'
                 '<th scope="col">Confidence</th><th scope="col">Why</th></tr></thead><tbody>')
        for i in sorted(range(len(findings)), key=lambda k: findings[k].start):
            f = findings[i]
            b = band(f.confidence)
            sugg = _txt(f.suggestion) if f.suggestion else '<span class="muted">?</span>'
            state = "restored" if (f.applied and f.suggestion) else "not applied"
            alts = ", ".join(_txt(a) for a in f.alternatives if a != f.suggestion) or '<span class="muted">–</span>'
            # (the tooltip reads the reason from this row's last cell, whose first node it is)
            h.append(
                f'<tr id="f{i}" class="r-{b}"><td><a href="#m{i}" class="back" '
                f'aria-label="back to finding {i + 1}">{i + 1}</a></td>'
                f'<td><span class="f c-{b} static">{_txt(f.text)}</span></td>'
                f'<td id="fs{i}"><span class="sugg">{sugg}</span> <span class="ms">({state})</span></td>'
                f'<td>{alts}</td>'
                f'<td><span class="conf">{_num(f.confidence)}</span> <span class="ms">{b}</span></td>'
                f'<td>{_txt(f.reason)} <span class="ms">[{_txt(KIND_LABELS.get(f.kind, f.kind))}]</span></td></tr>')
        h.append('</tbody></table></div>')
    h.append('</section>')

    if report.features:
        h.append('<details class="features"><summary>Engine features</summary><table class="kv"><tbody>')
        for k, v in sorted(report.features.items()):
            h.append(f'<tr><th scope="row">{_esc(k)}</th><td>{_num(v, ".4g")}</td></tr>')
        h.append('</tbody></table></details>')

    data = {"findings": [
        {"t": f.text, "s": f.suggestion, "a": [a for a in f.alternatives if a != f.suggestion],
         "c": round(float(f.confidence), 4) if math.isfinite(f.confidence) else None,
         "b": band(f.confidence),
         "k": KIND_LABELS.get(f.kind, f.kind), "ap": bool(f.applied and f.suggestion)}
        for f in findings]}
    payload = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    payload = payload.replace("&", "\\u0026").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    h.append(f'<script type="application/json" id="unspin-data">{payload}</script>')
    h.append('<div id="tip" class="tip" role="status" aria-live="polite" hidden></div>')
    h.append('</main>')
    return "\n".join(h)


def _source_html(src: dict[str, Any], text: str) -> str:
    h = ['<section id="source" aria-label="Source">', "<h2>Likely source</h2>", '<dl class="stats">']
    h.append(f'<div><dt>Document</dt><dd><strong>{_esc(src.get("doc_id", "?"))}</strong></dd></div>')
    if src.get("score") is not None:
        h.append(f'<div><dt>Similarity</dt><dd>{_num(src.get("score"))}</dd></div>')
    if isinstance(src.get("coverage"), (int, float)):
        h.append(f'<div><dt>Coverage</dt><dd>{_num(100 * src["coverage"], ".0f")} %</dd></div>')
    for k, v in list(src.items()) + list((src.get("meta") or {}).items() if isinstance(src.get("meta"), dict) else []):
        if k in ("doc_id", "score", "edits", "alignment", "restored", "coverage", "meta", "others") \
                or isinstance(v, (dict, list)) or v is None:
            continue
        h.append(f'<div><dt>{_esc(str(k).replace("_", " "))}</dt><dd>{_esc(v)}</dd></div>')
    others = [o for o in (src.get("others") or []) if isinstance(o, dict)]
    if others:
        h.append('<div><dt>Other candidates</dt><dd>'
                 + ", ".join(f'{_esc(o.get("doc_id", "?"))} ({_num(o.get("score"))})' for o in others[:10])
                 + '</dd></div>')
    h.append("</dl>")
    edits = [e for e in _edits(src) if str(e.get("op") or e.get("kind") or e.get("type") or "") not in ("equal", "keep")]
    if edits:
        limit = 500
        h.append(f'<p class="muted">{len(edits)} word-level edit{"s" if len(edits) != 1 else ""} between this text '
                 f'and the source{f" (first {limit} shown)" if len(edits) > limit else ""}.</p>')
        h.append('<div class="tablewrap"><table class="ft"><thead><tr><th scope="col">Edit</th>'
                 '<th scope="col">This text</th><th scope="col">Source</th></tr></thead><tbody>')
        for e in edits[:limit]:
            op, spun, source = _edit_texts(e, text)
            if e.get("edge"):
                op += " (outside the shared text)"
            h.append(f'<tr><td>{_esc(op)}</td><td><del>{_esc(spun)}</del></td><td><ins class="chg">{_esc(source)}'
                     '</ins></td></tr>')
        h.append("</tbody></table></div>")
    h.append("</section>")
    return "\n".join(h)


CSS = r"""
:root{--bg:#ffffff;--fg:#1b1b1f;--muted:#4d5260;--line:#d5d8de;--panel:#f5f6f8;
--hi-bg:#ffd9d6;--hi-bd:#a1221b;--mid-bg:#ffe6ad;--mid-bd:#7a4a00;--lo-bg:#dde6ff;--lo-bd:#2d4ea8;
--ins-bg:#d2f1da;--ins-fg:#0b3a1c;--ins-bd:#1d7138;--spun:#a1221b;--clean:#1d7138;--unsure:#7a4a00;--focus:#1754d1;
--tip-bg:#1b1b1f;--tip-fg:#ffffff}
@media (prefers-color-scheme:dark){:root{--bg:#15161a;--fg:#e9e9ec;--muted:#b2b6c2;--line:#3a3d46;--panel:#1f2127;
--hi-bg:#5e1f1b;--hi-bd:#ff8a80;--mid-bg:#553d00;--mid-bd:#ffc857;--lo-bg:#22335e;--lo-bd:#9db6ff;
--ins-bg:#17432a;--ins-fg:#d7ffe4;--ins-bd:#6fd397;--spun:#d9453b;--clean:#2e8b4f;--unsure:#a86a00;--focus:#8fb3ff;
--tip-bg:#f1f1f4;--tip-fg:#15161a}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif}
a{color:var(--focus)}
.wrap{max-width:1280px;margin:0 auto;padding:0 20px 40px}
header.top{display:flex;flex-wrap:wrap;gap:8px 20px;align-items:baseline;justify-content:space-between;
padding:14px 20px;border-bottom:1px solid var(--line);background:var(--panel)}
header.top .brand{font-weight:700;font-size:1.15rem;letter-spacing:.01em}
header.top .brand a{color:inherit;text-decoration:none}
header.top .meta{color:var(--muted);font-size:.9rem}
h1{font-size:1.4rem;margin:18px 0 6px}
h2{font-size:1.1rem;margin:0 0 8px}
.muted{color:var(--muted)}
.ms{color:var(--muted);font-size:.85em}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.summary{margin:18px 0 10px;padding:16px 18px;border:1px solid var(--line);border-radius:10px;background:var(--panel)}
.verdict{display:flex;flex-wrap:wrap;align-items:baseline;gap:6px 16px}
.vlabel{display:inline-block;padding:3px 12px;border-radius:999px;color:#fff;font-weight:700;font-size:1.15rem}
.v-spun .vlabel,.fill.v-spun{background:var(--spun)}
.v-clean .vlabel,.fill.v-clean{background:var(--clean)}
.v-unsure .vlabel,.fill.v-unsure{background:var(--unsure)}
.vscore{font-variant-numeric:tabular-nums;font-size:1.05rem}
.bar{position:relative;height:10px;margin:12px 0 8px;border-radius:5px;background:var(--line);max-width:520px}
.bar .fill{height:100%;border-radius:5px}
.bar .thr{position:absolute;top:-4px;width:3px;height:18px;margin-left:-1px;background:var(--fg)}
.stats{display:flex;flex-wrap:wrap;gap:8px 28px;margin:8px 0 0}
.stats>div{min-width:0}
.stats dt{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.stats dd{margin:0;overflow-wrap:anywhere}
.score-note{margin:10px 0 0;font-size:.9rem;max-width:80ch}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;margin:12px 0;font-size:.9rem;align-items:center}
.f{color:inherit;text-decoration:none;border-radius:3px;padding:0 1px;border-bottom:2px solid transparent;
-webkit-print-color-adjust:exact;print-color-adjust:exact}
a.f{cursor:pointer}
.c-high{background:var(--hi-bg);border-bottom:3px solid var(--hi-bd)}
.c-mid{background:var(--mid-bg);border-bottom:2px dashed var(--mid-bd)}
.c-low{background:var(--lo-bg);border-bottom:2px dotted var(--lo-bd)}
ins.chg{background:var(--ins-bg);color:var(--ins-fg);text-decoration:none;border-bottom:2px solid var(--ins-bd);
border-radius:3px;padding:0 1px;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.kept{border-bottom:1px dotted var(--muted)}
.active{outline:2px solid var(--focus);outline-offset:1px}
a:focus-visible,button:focus-visible,textarea:focus-visible,input:focus-visible,select:focus-visible,
summary:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.texts{margin:16px 0 24px}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:0 28px}
.cols.head{position:sticky;top:0;background:var(--bg);padding:8px 0 4px;border-bottom:1px solid var(--line);z-index:2}
.cols.head h2{margin:0}
.t{margin:10px 0;white-space:pre-wrap;overflow-wrap:anywhere;font-family:Georgia,"Iowan Old Style",
"Times New Roman",serif;font-size:1.05rem;line-height:1.7}
.t.rest{padding-left:16px;border-left:3px solid var(--line)}
#source,#findings{margin:24px 0}
.tablewrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
thead th{background:var(--panel);position:sticky;top:0}
tr:target{background:var(--panel);outline:2px solid var(--focus)}
.conf{font-variant-numeric:tabular-nums;font-weight:600}
.sugg{font-weight:600}
.features{margin:16px 0;font-size:.9rem}
.features table{width:auto}
kbd{font:inherit;font-size:.85em;border:1px solid var(--line);border-radius:4px;padding:0 4px;background:var(--panel)}
.tip{position:absolute;z-index:10;max-width:min(420px,92vw);padding:10px 12px;border-radius:8px;
background:var(--tip-bg);color:var(--tip-fg);box-shadow:0 6px 24px rgba(0,0,0,.28);font-size:.92rem;line-height:1.45}
.tip .tw{font-weight:700;font-size:1.02rem}
.tip .ta{margin-top:4px}
.tip .tr{margin-top:6px;opacity:.92}
.tip .tm{margin-top:6px;font-size:.82rem;opacity:.85}
.tip .pin{float:right;font-size:.75rem;opacity:.75}
del{text-decoration:line-through}
footer{margin-top:28px;padding-top:12px;border-top:1px solid var(--line);color:var(--muted);font-size:.85rem}
.form{margin:18px 0;padding:16px 18px;border:1px solid var(--line);border-radius:10px;background:var(--panel)}
.form textarea{width:100%;min-height:220px;padding:10px;font:1rem/1.5 Georgia,serif;color:var(--fg);
background:var(--bg);border:1px solid var(--muted);border-radius:6px}
.form .row{display:flex;flex-wrap:wrap;gap:12px 24px;align-items:center;margin-top:12px}
.form label{font-weight:600}
.form input,.form select{font:inherit;color:var(--fg);background:var(--bg);border:1px solid var(--muted);border-radius:6px;padding:4px 6px}
button{font:inherit;font-weight:700;color:#fff;background:var(--focus);border:0;border-radius:6px;padding:8px 18px;cursor:pointer}
.error{padding:10px 14px;border-radius:8px;border:2px solid var(--spun);background:var(--hi-bg);color:var(--fg);margin:14px 0}
@media (max-width:800px){.cols{grid-template-columns:1fr}.cols.head h2+h2{display:none}
.t.rest{border-left-width:3px;margin-top:0}.t.rest::before{content:"Restored: ";font-weight:700;font-family:system-ui,sans-serif;font-size:.85rem}}
@media print{
:root{--bg:#fff;--fg:#000;--muted:#333;--line:#999;--panel:#fff}
body{font-size:10.5pt;background:#fff;color:#000}
header.top{background:#fff;padding:0 0 6px}
.wrap{max-width:none;padding:0}
.tip,.legend .keys,.form,nav,.noprint{display:none!important}
.cols.head{position:static}
.cols{gap:0 14px}
.t{font-size:10.5pt;line-height:1.5;margin:6px 0}
a{color:#000;text-decoration:none}
thead th{position:static}
tr,.cols{break-inside:avoid}
details.features{display:none}
.active,a.f:focus,a.f:focus-visible{outline:none!important}
.summary{break-inside:avoid}
#findings{break-before:auto}
}
"""

JS = r"""
(function(){
var el=document.getElementById('unspin-data');if(!el)return;
var data=JSON.parse(el.textContent).findings;
var tip=document.getElementById('tip');
var marks=Array.prototype.slice.call(document.querySelectorAll('a.f[data-i]'));
var pinned=null,current=null;
function esc(s){return String(s).replace(/[&<>"']/g,function(c){return{'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c];});}
function mark(i,on){var els=document.querySelectorAll('[data-i="'+i+'"]');for(var k=0;k<els.length;k++){els[k].classList.toggle('active',on);}}
function show(target,pin){
  var i=+target.getAttribute('data-i'),f=data[i];if(!f)return;
  if(current!==null&&current!==i)mark(current,false);
  current=i;mark(i,true);
  var h='';
  if(pin)h+='<span class="pin">pinned &middot; Esc to close</span>';
  h+='<div class="tw">&ldquo;'+esc(f.t)+'&rdquo; &rarr; '+(f.s?esc(f.s):'?')+'</div>';
  if(f.a&&f.a.length)h+='<div class="ta">also possible: '+f.a.map(esc).join(', ')+'</div>';
  var row=document.getElementById('f'+i),why=row&&row.cells[5]&&row.cells[5].firstChild;
  if(why&&why.nodeType===3)h+='<div class="tr">'+esc(why.nodeValue.trim())+'</div>';
  h+='<div class="tm">confidence '+(f.c===null?'?':f.c.toFixed(2))+' ('+f.b+') &middot; '+esc(f.k)+' &middot; '+(f.ap?'restored':'not applied')+'</div>';
  tip.innerHTML=h;tip.hidden=false;
  var r=target.getBoundingClientRect(),tw=tip.offsetWidth,vw=document.documentElement.clientWidth;
  var left=Math.max(8,Math.min(window.scrollX+r.left,window.scrollX+vw-tw-8));
  var top=window.scrollY+r.bottom+6;
  if(r.bottom+tip.offsetHeight+12>window.innerHeight&&r.top>tip.offsetHeight+12)top=window.scrollY+r.top-tip.offsetHeight-6;
  tip.style.left=left+'px';tip.style.top=top+'px';
}
function hide(){if(current!==null)mark(current,false);current=null;pinned=null;tip.hidden=true;}
document.addEventListener('mouseover',function(e){if(pinned)return;var t=e.target.closest&&e.target.closest('[data-i]');if(t&&!t.closest('.tip'))show(t,false);});
document.addEventListener('mouseout',function(e){if(pinned)return;var t=e.target.closest&&e.target.closest('[data-i]');if(t&&!(e.relatedTarget&&t.contains(e.relatedTarget)))hide();});
document.addEventListener('focusin',function(e){var t=e.target;if(t.matches&&t.matches('a.f[data-i]')){pinned=null;show(t,false);}});
document.addEventListener('click',function(e){
  var t=e.target.closest&&e.target.closest('[data-i]');
  if(t&&!t.closest('#findings')){e.preventDefault();if(pinned===t){hide();return;}pinned=t;show(t,true);return;}
  if(pinned&&!(e.target.closest&&e.target.closest('.tip')))hide();
});
function go(d){if(!marks.length)return;var i=marks.indexOf(document.activeElement);i=i<0?(d>0?0:marks.length-1):(i+d+marks.length)%marks.length;marks[i].focus();marks[i].scrollIntoView({block:'center'});}
document.addEventListener('keydown',function(e){
  if(e.key==='Escape'){hide();return;}
  var tg=e.target.tagName;if(tg==='TEXTAREA'||tg==='INPUT'||tg==='SELECT'||e.ctrlKey||e.metaKey||e.altKey)return;
  if(e.key==='n'||e.key==='j'){e.preventDefault();go(1);}
  else if(e.key==='p'||e.key==='k'){e.preventDefault();go(-1);}
});
window.addEventListener('resize',function(){if(current!==null&&pinned)show(pinned,true);else if(current!==null)hide();});
})();
"""

#: Content-Security-Policy for report pages: nothing may be loaded from anywhere.
CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
       "base-uri 'none'; form-action 'self'")


def page(title: str, body: str, *, nav: str = "", meta: str = "", script: bool = True) -> str:
    """Wrap ``body`` (trusted HTML) into a complete self-contained page."""
    from unspin import __version__

    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        f"<meta name=\"generator\" content=\"unspin {_esc(__version__)}\">\n"
        f"<title>{_esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"<header class=\"top\"><div class=\"brand\">{nav or 'unspin'}</div>"
        f"<div class=\"meta\">{meta}</div></header>\n"
        f"<div class=\"wrap\">\n{body}\n"
        f"<footer>Generated by unspin {_esc(__version__)}, offline. Highlights are suggestions from a statistical "
        "model: check each one against the context before relying on it.</footer>\n</div>\n"
        + (f"<script>{JS}</script>\n" if script else "")
        + "</body>\n</html>\n"
    )


def render_html(report: Any, text: str, *, title: str | None = None, source_name: str | None = None,
                nav: str = "") -> str:
    """A complete, self-contained HTML page for ``report`` on ``text`` (the checked input).

    ``source_name`` (a file name) is shown in the summary; ``nav`` is trusted HTML for
    the top bar (the web app puts a link back to its form there).
    """
    heading = "unspin report" + (f": {source_name}" if source_name else "")
    meta = _esc(f"{'spun' if report.is_spun else 'not spun'} · score {_num(report.score)}")
    return page(title or heading, report_body(report, text, source_name=source_name),
                nav=nav or "unspin report", meta=meta)
