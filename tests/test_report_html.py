"""The HTML and Markdown reports and the ``unspin report`` / ``unspin serve`` commands."""
from __future__ import annotations

import dataclasses
import html
import io
import re
import sys
import time
from importlib.resources import files

import pytest

import unspin
from unspin.cli import main
from unspin.report import Finding, Report
from unspin.report import cli as report_cli
from unspin.report.html import band, pieces, render_html, source_info
from unspin.report.markdown import render_markdown

TEXT = "The firm mentioned a plan.\n\nIts financial institution held the cash <b>safe</b>.\n"


def fake_report(text: str = TEXT, **kw) -> Report:
    i = text.index("mentioned")
    j = text.index("financial institution")
    k = text.index("cash")
    findings = [
        Finding(i, i + 9, "mentioned", "said", ["said", "stated"], 0.91, "known spinner substitution", applied=True),
        Finding(j, j + 21, "financial institution", "bank", ["bank", "lender"], 0.62, "spinner phrase", "phrase",
                applied=True),
        Finding(k, k + 4, "cash", "money", [], 0.4, "thesaurus synonym <i>x</i>", "substitution"),
    ]
    restored = text.replace("mentioned", "said").replace("financial institution", "bank")
    base = dict(score=0.93, threshold=0.5, findings=findings, restored=restored, words=12,
                spinner="wordai-like", spinner_confidence=0.7, features={"lm": 1.5, "nan": float("nan")})
    base.update(kw)
    return Report(**base)


def test_bands():
    assert [band(x) for x in (1.0, 0.8, 0.79, 0.5, 0.49, 0.0)] == ["high", "high", "mid", "mid", "low", "low"]


def test_page_is_self_contained_and_complete():
    page = render_html(fake_report(), TEXT, source_name="a.txt")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # nothing is fetched from anywhere: no external src/href, no @import or url(), a CSP forbidding it
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page
    assert "@media print" in page
    # verdict, score, spinner
    assert "Likely spun" in page and "0.93" in page and "wordai-like" in page and "a.txt" in page
    # highlights by band, each a focusable link to its table row
    assert page.count('<a class="f c-high"') == 1 and page.count('<a class="f c-mid"') == 1
    assert page.count('<a class="f c-low"') == 1
    assert 'href="#f0"' in page and 'id="f0"' in page
    # restored column: applied changes marked, unapplied finding kept
    assert '<ins class="chg" data-i="0" title="was: mentioned">said' in page
    assert '<span class="kept" data-i="2">cash</span>' in page
    # paragraphs are paired side by side
    assert page.count('<div class="cols"><p class="t orig">') == 2


def test_user_text_is_escaped():
    page = render_html(fake_report(), TEXT)
    assert "<b>safe</b>" not in page and "&lt;b&gt;safe&lt;/b&gt;" in page
    assert "<i>x</i>" not in page
    evil = 'Hi </script><script>alert(1)</script> "x" mentioned'
    r = Report(0.9, 0.5, [Finding(evil.index("mentioned"), len(evil), "mentioned", "</script><img src=x>", [],
                                  0.9, "</script>", applied=True)], evil.replace("mentioned", "</script><img src=x>"), 5)
    page = render_html(r, evil)
    assert "<script>alert" not in page and "<img src=x>" not in page
    data = re.search(r'<script type="application/json" id="unspin-data">(.*?)</script>', page, re.S).group(1)
    assert "</" not in data


def test_not_spun_and_no_findings():
    r = Report(0.02, 0.5, [], "Plain text.", 2)
    page = render_html(r, "Plain text.")
    assert "No sign of spinning" in page and "Nothing suspicious was found" in page
    assert 'class="f ' not in page.split("<script>")[0].split("</style>")[1]


def test_inconsistent_restoration_falls_back_to_diff():
    r = fake_report(restored="Something else entirely said.")
    parts, consistent = pieces(r, TEXT)
    assert not consistent
    page = render_html(r, TEXT)
    assert '<ins class="chg">' in page and "said" in page


def test_overlapping_and_out_of_range_findings_do_not_break_the_page():
    r = fake_report()
    extra = [Finding(4, 20, "firm mentioned a", None, [], 0.5, "overlap"),
             Finding(500, 510, "nowhere", "x", [], 0.9, "out of range")]
    r = dataclasses.replace(r, findings=r.findings + extra)
    parts, consistent = pieces(r, TEXT)
    assert consistent and "".join(p[0] for p in parts) == TEXT
    page = render_html(r, TEXT)
    assert 'id="f3"' in page and 'id="f4"' in page  # still listed


def test_source_section_only_when_present():
    assert source_info(fake_report()) is None
    assert 'id="source"' not in render_html(fake_report(), TEXT)
    src = {"doc_id": "orig-42", "score": 0.87, "coverage": 0.9, "meta": {"title": "Bank story"},
           "edits": [{"op": "replace", "spun_start": 9, "spun_end": 18, "source_start": 9, "source_end": 13,
                      "spun": "mentioned", "source": "said", "edge": False},
                     {"op": "delete", "spun": "menu", "source": "", "edge": True}],
           "restored": "The firm said a plan.", "others": [{"doc_id": "orig-7", "score": 0.2}]}
    r = fake_report()
    r = dataclasses.replace(r, source=src) if hasattr(r, "source") else r
    if not hasattr(r, "source"):  # a Report without the field (trace feature absent): attach it anyway
        object.__setattr__(r, "source", src)
    page = render_html(r, TEXT)
    assert 'id="source"' in page and "orig-42" in page and "0.87" in page and "Bank story" in page
    assert "<del>mentioned</del>" in page and '<ins class="chg">said</ins>' in page
    assert "outside the shared text" in page and "orig-7" in page
    md = render_markdown(r, TEXT)
    assert "## Likely source" in md and "orig\\-42" not in md and "orig-42" in md and "| replace | mentioned | said |" in md


def test_markdown():
    md = render_markdown(fake_report(), TEXT, source_name="a.txt")
    assert md.startswith("# unspin report: a.txt")
    assert "**Likely spun**" in md and "wordai-like" in md
    assert "| 1 | mentioned | said | stated | 0.91 (high) | yes |" in md
    assert "**said** ~~mentioned~~" in md and "**bank** ~~financial institution~~" in md
    assert "\\<b\\>safe\\</b\\>" in md  # markup in the text is escaped


def _article(words: int) -> str:
    base = files("unspin").joinpath("examples").joinpath("spun_article.txt").read_text(encoding="utf-8")
    paras = [p for p in base.split("\n\n") if p.strip()]
    out, n = [], 0
    while n < words:
        for p in paras:
            out.append(p)
            n += len(p.split())
            if n >= words:
                break
    return "\n\n".join(out)


def test_real_report_of_2000_words_is_fast_and_small():
    text = _article(2000)
    report = unspin.check(text)
    assert report.findings
    t0 = time.perf_counter()
    page = render_html(report, text, source_name="article.txt")
    elapsed = time.perf_counter() - t0
    size = len(page.encode("utf-8"))
    assert elapsed < 1.0, elapsed
    assert size < 500_000, size
    # every finding that could be highlighted is, and the restored column rebuilds report.restored
    parts, consistent = pieces(report, text)
    assert consistent
    assert page.count('<a class="f c-') == sum(1 for p in parts if p[1] is not None)
    restored_cols = re.findall(r'<p class="t rest" aria-label="restored">(.*?)</p>', page, re.S)
    plain = [html.unescape(re.sub(r'<span class="sr">.*?</span>|<[^>]+>', "", c)) for c in restored_cols]
    assert " ".join(" ".join(plain).split()) == " ".join(report.restored.split())


# --------------------------------------------------------------------------- CLI


def test_cli_report_html_and_md(tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", "--example", "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "Likely spun" in page and 'class="f c-' in page
    assert "wrote" in capsys.readouterr().err
    md = tmp_path / "r.md"
    assert main(["report", "--example", "-o", str(md)]) == 0  # format follows the extension
    assert md.read_text(encoding="utf-8").startswith("# unspin report")
    assert main(["report", "--example", "--format", "md"]) == 0
    assert "## Restored text" in capsys.readouterr().out
    assert main(["report", "--example", "-o", str(tmp_path / "r.pdf")]) == 0  # HTML, and it says so
    assert "writing an HTML report to" in capsys.readouterr().err
    assert (tmp_path / "r.pdf").read_text(encoding="utf-8").startswith("<!DOCTYPE html")


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_cli_report_from_file_and_errors(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", _Terminal())  # a bare `unspin report` at a terminal is a usage error
    p = tmp_path / "a.txt"
    p.write_text("The cat sat on the mat.\n", encoding="utf-8")
    assert main(["report", str(p)]) == 0
    assert "a.txt" in capsys.readouterr().out
    assert main(["report", str(p), "--example"]) == 2
    assert main(["report"]) == 2
    assert main(["report", str(tmp_path / "missing.txt")]) == 4
    assert main(["report", str(p), "--index", str(tmp_path / "no-such.db")]) == 3
    assert "index" in capsys.readouterr().err
    assert main(["report", str(p), "-o", str(tmp_path / "no-dir" / "r.html")]) == 3


def test_serve_without_the_extra_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setattr(report_cli, "serve_extra_missing", lambda: "fastapi")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "pip install 'unspin[serve]'" in err


def test_serve_help_mentions_loopback_and_key(capsys):
    assert main(["serve", "--help"]) == 0
    out = capsys.readouterr().out
    assert "127.0.0.1" in out and "UNSPIN_API_KEY" in out


def test_serve_rejects_a_busy_port(capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    assert "cannot listen" in capsys.readouterr().err


def test_serve_defaults_to_one_worker_per_core_up_to_two(monkeypatch):
    """--workers left out: serve() picks default_workers(), the usable cores capped at 2."""
    pytest.importorskip("uvicorn", reason="the 'serve' extra (uvicorn) is not installed")
    import os

    import uvicorn

    from unspin import server

    for cores, want in ((1, 1), (2, 2), (16, server.DEFAULT_MAX_WORKERS)):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid, n=cores: set(range(n)), raising=False)
        assert server.default_workers() == want
    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw, app=app))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.delenv("UNSPIN_SERVE_CONFIG", raising=False)
    assert main(["serve", "--port", "0"]) == 0
    assert seen["workers"] == 2 and seen["app"] == "unspin.server:app_from_env"
    seen.clear()
    assert main(["serve", "--port", "0", "--workers", "1"]) == 0
    assert "workers" not in seen and not isinstance(seen["app"], str)


def test_finding_to_dict_has_every_field():
    """Finding.to_dict is spelled out for speed; it must still equal dataclasses.asdict."""
    from dataclasses import asdict

    from unspin.report import Finding

    f = Finding(3, 9, "secure", "safe", ["sound", "sure"], 0.91, "reason", "substitution", True)
    assert f.to_dict() == asdict(f)


def test_cli_report_profile_options(tmp_path, capsys):
    assert main(["report", "--example", "--format", "md", "--profile", "wordai-like"]) == 0
    assert "Spinner profile: **wordai-like**" in capsys.readouterr().out
    assert main(["report", "--example", "--format", "md", "--no-profile"]) == 0
    assert "Spinner profile: none matched" in capsys.readouterr().out
    assert main(["report", "--example", "--profile", str(tmp_path / "missing.json")]) == 4
    assert "no spinner profile" in capsys.readouterr().err
    assert main(["report", "--example", "--profile", "wordai-like", "--no-profile"]) == 2
    assert "not allowed with" in capsys.readouterr().err


def test_cli_report_says_when_only_part_of_the_text_was_checked(tmp_path, capsys, monkeypatch):
    import unspin.detect

    monkeypatch.setattr(unspin.detect, "MAX_WORDS", 50)  # the bundled article has ~300 words
    assert main(["report", "--example", "--format", "md"]) == 0
    out, err = capsys.readouterr()
    head = out.split("## Findings")[0]
    assert "> **Warning:** only the first 50 words were checked" in head and "parts of at most 50 words" in head
    assert err.startswith("unspin: warning: only the first 50 words were checked")
    page_path = tmp_path / "r.html"
    assert main(["report", "--example", "-o", str(page_path)]) == 0
    page = page_path.read_text(encoding="utf-8")
    assert page.index("only the first 50 words were checked") < page.index('class="score-note muted"')
    assert "only the first 50 words" in capsys.readouterr().err


def test_report_note_placement_keeps_unknown_layouts():
    assert report_cli.with_note("<p>other layout</p>", "a note", "html") == "<p>other layout</p>"
    assert report_cli.with_note("# t\n\nbody\n", "a <note>", "md") == "# t\n\n> **Warning:** a <note>.\n\nbody\n"
    assert "a &lt;note&gt;" in report_cli.with_note('<main id="report" class="report"></main>', "a <note>", "html")


def test_cli_report_of_a_file_whose_name_is_not_utf8(tmp_path, capsys):
    """The page names the file; a name with bytes that are no UTF-8 used to make writing the
    UTF-8 page fail (exit 70). The name is shown with a replacement character instead."""
    import os

    if sys.platform == "win32" or os.fsencode("\udce9") != b"\xe9":
        pytest.skip("needs a POSIX file system with surrogate-escaped names")
    p = os.path.join(str(tmp_path), os.fsdecode(b"caf\xe9.txt"))
    with open(p, "w", encoding="utf-8") as fh:
        fh.write("The cat sat on the mat.\n")
    out = tmp_path / "r.html"
    assert main(["report", p, "-o", str(out)]) == 0
    assert "caf\ufffd.txt" in out.read_text(encoding="utf-8")


def test_cli_report_refuses_to_overwrite_its_input(tmp_path, capsys, monkeypatch):
    """`unspin report a.txt -o a.txt` (a slip of the keyboard) used to replace the text
    with its report; the input must survive under any spelling of its name."""
    p = tmp_path / "a.txt"
    text = "The cat sat on the mat.\n"
    p.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for out in (str(p), "a.txt", "./a.txt"):
        assert main(["report", str(p), "-o", out]) == 2
        err = capsys.readouterr().err
        assert "input file" in err and "\n" == err[-1] and err.count("\n") == 1
    (tmp_path / "link.txt").symlink_to(p)
    assert main(["report", "link.txt", "-o", "a.txt"]) == 2
    assert p.read_text(encoding="utf-8") == text
    assert main(["report", str(p), "-o", "r.html"]) == 0  # another name is fine
