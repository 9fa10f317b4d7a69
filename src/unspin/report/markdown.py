"""Render a :class:`~unspin.report.Report` as Markdown (``unspin report --format md``).

The Markdown mirrors the HTML report: verdict and score, spinner profile, the
source when the trace feature attached one, the findings table, and the restored
text with every applied change shown as ``**original** ~~spun~~``.

>>> from unspin.report import Finding, Report
>>> text = "The firm mentioned a plan."
>>> r = Report(0.9, 0.5, [Finding(9, 18, "mentioned", "said", ["said"], 0.91, "spinner swap", applied=True)],
...            "The firm said a plan.", 5)
>>> md = render_markdown(r, text)
>>> "**Likely spun**" in md and "The firm **said** ~~mentioned~~ a plan." in md
True
"""
from __future__ import annotations

import math
import re
from typing import Any

from .html import KIND_LABELS, _edit_texts, _edits, band, pieces, source_info

__all__ = ["render_markdown"]

_SPECIAL = re.compile(r"([\\`*_~\[\]<>|#])")


def _md(s: Any) -> str:
    """Escape Markdown/HTML-significant characters in running text."""
    return _SPECIAL.sub(r"\\\1", str(s))


def _cell(s: Any) -> str:
    return _md(" ".join(str(s).split())) or "–"


def _num(x: Any) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    return "–" if not math.isfinite(v) else f"{v:.2f}"


def render_markdown(report: Any, text: str, *, source_name: str | None = None) -> str:
    """The report as a Markdown document."""
    findings = list(report.findings)
    applied = sum(1 for f in findings if f.applied and f.suggestion is not None)
    verdict = "Likely spun" if report.is_spun else "Not spun"
    out = [f"# unspin report{': ' + _md(source_name) if source_name else ''}", ""]
    out.append(f"**{verdict}**: score {_num(report.score)} "
               f"{'≥' if report.is_spun else '<'} threshold {_num(report.threshold)}  ")
    out.append(f"{report.words:,} words · {len(findings)} finding{'s' if len(findings) != 1 else ''} · "
               f"{applied} change{'s' if applied != 1 else ''} restored  ")
    if report.spinner:
        out.append(f"Spinner profile: **{_md(report.spinner)}** (confidence {_num(report.spinner_confidence)})")
    else:
        out.append("Spinner profile: none matched")
    out.append("")

    src = source_info(report)
    if src:
        out += ["## Likely source", "", f"**{_md(src.get('doc_id', '?'))}** (similarity {_num(src.get('score'))})", ""]
        edits = [e for e in _edits(src)
                 if str(e.get("op") or e.get("kind") or e.get("type") or "") not in ("equal", "keep")]
        if edits:
            out += ["| edit | this text | source |", "|---|---|---|"]
            for e in edits[:500]:
                op, spun, source = _edit_texts(e, text)
                out.append(f"| {_cell(op)} | {_cell(spun)} | {_cell(source)} |")
            if len(edits) > 500:
                out.append(f"\n… and {len(edits) - 500} more edits")
            out.append("")

    out += ["## Findings", ""]
    if not findings:
        out += ["Nothing suspicious was found.", ""]
    else:
        out += ["| # | text | likely original | alternatives | confidence | applied | why |",
                "|---|---|---|---|---|---|---|"]
        for n, f in enumerate(sorted(findings, key=lambda f: f.start), 1):
            alts = ", ".join(a for a in f.alternatives if a != f.suggestion)
            out.append(f"| {n} | {_cell(f.text)} | {_cell(f.suggestion or '?')} | {_cell(alts)} | "
                       f"{_num(f.confidence)} ({band(f.confidence)}) | {'yes' if f.applied else 'no'} | "
                       f"{_cell(f.reason)} ({_cell(KIND_LABELS.get(f.kind, f.kind))}) |")
        out.append("")

    out += ["## Restored text", ""]
    parts, consistent = pieces(report, text)
    if consistent:
        body = []
        for orig, i, rest in parts:
            if i is not None and findings[i].applied and findings[i].suggestion is not None:
                body.append(f"**{_md(rest)}** ~~{_md(orig)}~~")
            else:
                body.append(_md(rest))
        out.append("".join(body).strip())
    else:
        out.append(_md(report.restored).strip())
    out.append("")
    return "\n".join(out)
