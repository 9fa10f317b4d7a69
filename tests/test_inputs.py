"""unspin.inputs: every way a file can be text, and every way it can fail."""
from __future__ import annotations

import base64
import gzip
import io
import os
import sys
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unspin import inputs
from unspin.inputs import EXIT_NOT_FOUND, EXIT_UNREADABLE, MAX_BYTES, Document, InputError, read_text


def make_pdf(pages: list[str]) -> bytes:
    """A minimal, valid PDF with one line of Helvetica text per page (empty string: no text)."""
    n = len(pages)
    objs: list[bytes] = []
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, text in enumerate(pages):
        esc = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({esc}) Tj ET".encode("latin-1") if text else b""
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                    f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode())
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for num, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def write(tmp_path, name: str, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return p


# --------------------------------------------------------------------------- plain text & encodings


def test_plain_text_is_left_alone(tmp_path):
    text = "Safe havens, 2024 \u2014 \u201cquoted\u201d text.\n\nSecond paragraph.\n"
    doc = read_text(write(tmp_path, "a.txt", text.encode("utf-8")))
    assert doc == Document(text, "text", "utf-8", str(tmp_path / "a.txt"))


def test_crlf_is_kept_and_a_lone_cr_becomes_a_newline():
    """A restored CRLF file stays CRLF; old Mac line ends become the newline the
    sentence splitter knows."""
    assert read_text(b"one\r\ntwo\rthree").text == "one\r\ntwo\nthree"


def test_utf8_bom_is_stripped():
    doc = read_text(b"\xef\xbb\xbfHello world")
    assert (doc.text, doc.encoding) == ("Hello world", "utf-8-sig")


@pytest.mark.parametrize("enc", ["utf-16", "utf-32"])
def test_utf16_and_utf32_with_bom(enc):
    text = "Gr\u00fc\u00dfe, na\u00efve caf\u00e9 \u2014 \u65e5\u672c"
    doc = read_text(text.encode(enc))
    assert doc.text == text
    assert doc.encoding == enc


@pytest.mark.parametrize("enc", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(enc):
    text = "A plain English sentence saved by a Windows tool without a byte-order mark."
    doc = read_text(text.encode(enc))
    assert doc.text == text
    assert doc.encoding == enc


def test_cp1252_is_decoded_correctly(tmp_path):
    text = ("The caf\u00e9\u2019s \u201cspecial\u201d menu \u2014 cr\u00e8me br\u00fbl\u00e9e and a "
            "na\u00efve r\u00e9sum\u00e9 \u2014 costs 5\u20ac, said the owner.")
    raw = text.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    doc = read_text(write(tmp_path, "legacy.txt", raw))
    assert doc.text == text
    assert doc.encoding == "cp1252"


@pytest.mark.parametrize("text, enc", [
    ("\u041f\u0440\u0438\u0432\u0435\u0442, \u043a\u0430\u043a \u0434\u0435\u043b\u0430? "
     "\u042d\u0442\u043e \u043e\u0431\u044b\u0447\u043d\u044b\u0439 \u0440\u0443\u0441\u0441\u043a\u0438\u0439 "
     "\u0442\u0435\u043a\u0441\u0442 \u0432 \u0441\u0442\u0430\u0440\u043e\u0439 \u043a\u043e\u0434\u0438\u0440\u043e\u0432\u043a\u0435.", "cp1251"),
    ("\u3053\u308c\u306f\u65e5\u672c\u8a9e\u306e\u6587\u7ae0\u3067\u3059\u3002\u53e4\u3044\u6587\u5b57\u30b3\u30fc\u30c9\u3067"
     "\u4fdd\u5b58\u3055\u308c\u307e\u3057\u305f\u3002", "shift_jis"),
])
def test_other_legacy_encodings_are_not_forced_into_cp1252(text, enc):
    assert read_text(text.encode(enc)).text == text


def test_latin1_is_decoded_correctly():
    text = "Gr\u00fc\u00dfe aus M\u00fcnchen: sch\u00f6ne Stra\u00dfe, \u00c4rger und \u00d6l f\u00fcr die K\u00fcche."
    doc = read_text(text.encode("latin-1"))
    assert doc.text == text


def test_short_cp1252_word_prefers_western_reading():
    # cp1250 would read 0xE8 as "\u010d" ("cr\u010dme"); English-language text wants cp1252.
    assert read_text("cr\u00e8me".encode("cp1252")).text == "cr\u00e8me"


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufeff"),
               min_size=1, max_size=200).filter(lambda s: s.strip()))
def test_any_utf8_text_roundtrips(text):
    doc = read_text(text.encode("utf-8"), kind="text")
    assert doc.text == text
    assert doc.encoding == "utf-8"


UTF8_PROSE = ("\u201cThe caf\u00e9\u2019s owner\u201d \u2014 said the na\u00efve plan was fine. " * 3
              + "The storm damaged the roof of the building on Monday.\n")


@pytest.mark.parametrize("damage", ["cut mid-character", "stray byte", "broken emoji"])
def test_utf8_with_a_few_bad_bytes_stays_utf8(damage):
    """A UTF-8 file cut in the middle of a character (head -c, a byte limit) or with one stray
    byte used to be decoded whole in a legacy encoding (mac_iceland: every \u201c became
    \u201a\u00c4\u00fa), so restore garbled all the correct text. Only the bad bytes are read as cp1252."""
    raw = UTF8_PROSE.encode("utf-8")
    bad = {"cut mid-character": raw + "\u00e9".encode()[:1],
           "stray byte": raw[:40] + b"\xff" + raw[40:],
           "broken emoji": raw[:40] + "\U0001f600".encode()[:2] + raw[40:]}[damage]
    doc = read_text(bad)
    assert doc.encoding == "utf-8"
    assert doc.text.replace("\u00c3", "").replace("\u00ff", "").replace("\u00f0\u0178", "") == UTF8_PROSE


def test_legacy_cjk_is_not_taken_for_damaged_utf8():
    text = "\u8fd9\u662f\u4e00\u4e2a\u4e2d\u6587\u6587\u672c\u3002\u4eca\u5929\u5929\u6c14\u5f88\u597d\u3002" * 3
    for enc in ("gb18030", "gbk"):
        assert read_text(text.encode(enc)).text == text


# --------------------------------------------------------------------------- binary


def test_random_binary_is_refused(tmp_path):
    data = bytes(range(256)) * 8
    with pytest.raises(InputError) as ei:
        read_text(write(tmp_path, "blob.bin", data))
    assert ei.value.exit_code == EXIT_UNREADABLE
    msg = str(ei.value)
    assert "blob.bin" in msg and "binary" in msg and "\n" not in msg


def test_control_characters_without_nul_are_refused():
    data = bytes([1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 16]) * 20 + b"some text"
    with pytest.raises(InputError, match="binary"):
        read_text(data)


def test_gzip_is_refused_with_advice(tmp_path):
    p = write(tmp_path, "article.txt.gz", gzip.compress(b"Hello world " * 100))
    with pytest.raises(InputError) as ei:
        read_text(p)
    msg = str(ei.value)
    assert "gzip" in msg and "decompress" in msg and "article.txt.gz" in msg
    assert ei.value.exit_code == 3


def test_docx_zip_is_refused_with_advice(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = "report.docx"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("word/document.xml", "<w:document>Hello</w:document>")
    with pytest.raises(InputError) as ei:
        read_text(p)
    msg = str(ei.value)
    assert msg.startswith("report.docx looks like a binary file (zip archive")
    assert "plain text, Markdown, HTML and PDF" in msg and "convert it to text first" in msg


@pytest.mark.parametrize("magic, what", [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "PNG"),
    (b"\xff\xd8\xff\xe0" + b"JFIF" * 10, "JPEG"),
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 40, "ELF"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, "Office"),
    (b"{\\rtf1\\ansi Hello}", "RTF"),
    (b"BZh91AY&SY" + b"\x01" * 20, "bzip2"),
])
def test_magic_numbers(magic, what):
    with pytest.raises(InputError, match=what):
        read_text(magic)


def test_text_starting_with_mz_is_still_text():
    assert read_text(b"MZ Holdings said on Tuesday that profits rose.").text.startswith("MZ Holdings")


# --------------------------------------------------------------------------- HTML

PAGE = """<!DOCTYPE html>
<html><head><title>Bank news</title>
<style>body { color: red; }</style>
<script>var tracking = "do not extract me";</script></head>
<body>
<nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/about">About us</a></nav>
<article>
<h1>Regional bank moved client money offshore</h1>
<p>A regional bank based in Ohio moved millions of dollars in client money through shell
companies in Cyprus, according to court filings made public today.</p>
<p>Thousands of pages of records show that a senior executive approved the transfers
instead of reporting them to regulators, the filings say.</p>
<p>&ldquo;These accounts were treated as safe havens,&rdquo; said a lawyer for the depositors
who brought the case against the bank last year.</p>
</article>
<footer>Copyright 2024 Example News. All rights reserved.</footer>
</body></html>
"""


def test_html_page_gives_main_text_without_tags(tmp_path):
    doc = read_text(write(tmp_path, "page.html", PAGE.encode("utf-8")))
    assert doc.kind == "html"
    assert "moved millions of dollars in client money" in doc.text
    assert "\u201cThese accounts were treated as safe havens,\u201d" in doc.text
    assert "<" not in doc.text and ">" not in doc.text
    assert "tracking" not in doc.text and "color: red" not in doc.text


def test_html_is_sniffed_without_extension():
    doc = read_text(PAGE.encode("utf-8"))
    assert doc.kind == "html"
    assert "<p>" not in doc.text


def test_html_fragment_with_many_tags_is_sniffed():
    frag = "<div><p>One <b>bold</b> claim.</p><p>Two <i>quiet</i> claims.</p><p>Three.</p></div>"
    assert read_text(frag.encode()).kind == "html"


def test_html_falls_back_to_tag_stripper(monkeypatch):
    import trafilatura

    monkeypatch.setattr(trafilatura, "extract", lambda *a, **k: None)
    doc = read_text(PAGE.encode("utf-8"), kind="html")
    assert "moved millions of dollars" in doc.text
    assert "tracking" not in doc.text and "color: red" not in doc.text
    assert "<" not in doc.text
    assert "\u201cThese accounts" in doc.text  # entities unescaped


def test_html_extractor_crash_falls_back(monkeypatch):
    import trafilatura

    def boom(*a, **k):
        raise RuntimeError("lxml exploded")

    monkeypatch.setattr(trafilatura, "extract", boom)
    assert "Cyprus" in read_text(PAGE.encode(), kind="html").text


def test_html_legacy_charset_from_meta():
    page = PAGE.replace("<head>", '<head><meta charset="windows-1252">').replace("today", "today \u2014 caf\u00e9")
    doc = read_text(page.encode("cp1252"), kind="html")
    assert "today \u2014 caf\u00e9" in doc.text


@pytest.mark.parametrize("charset", ["undefined", "unicode_escape", "utf-16", "utf-32-be", "cp037", "ibm500"])
def test_html_meta_charset_that_is_no_page_charset_is_ignored(charset):
    """A page that claims a Python-only codec: "undefined" ended in an internal error, and
    unicode-escape rewrote the text's backslashes; a claimed UTF-16 page has no NULs, and one in
    EBCDIC (cp037) is not the charset its own ASCII meta tag is written in (was "a binary file")."""
    page = (f'<html><head><meta charset="{charset}"></head><body><p>The caf\u00e9 owner said the files are in '
            'C:\\new\\data today, as the storm damaged the roof of the building.</p></body></html>')
    doc = read_text(page.encode("cp1252"), kind="html")
    assert "The caf\u00e9 owner" in doc.text and "C:\\new\\data" in doc.text


def test_html_without_prose_is_empty():
    with pytest.raises(InputError, match="no text"):
        read_text(b"<html><head><script>x=1</script></head><body></body></html>")


# --------------------------------------------------------------------------- Markdown

MD = """---
title: Front matter is not prose
---
# The *big* story

Read [the filing](https://example.org/filing.pdf "PDF") and **all** of the _notes_;
keep snake_case_names and 2*3*4 as they are.

![chart](chart.png)

```python
print("code is not prose")
```

- first point
- second point

> A quoted line.

[ref]: https://example.org
"""


def test_markdown_is_read_as_written_and_its_non_prose_is_skipped(tmp_path):
    """`unspin restore notes.md` must give Markdown back: the text is the file; its code,
    link targets and front matter are no prose for the engine."""
    from unspin.tokens import prose_tokens, tokenize

    doc = read_text(write(tmp_path, "story.md", MD.encode()))
    assert doc.kind == "markdown" and doc.text == MD
    words = {t.text for t in prose_tokens(doc.text, tokenize(doc.text))}
    assert {"big", "story", "filing", "notes", "quoted", "first", "point"} <= words
    for gone in ("Front", "matter", "code", "prose", "https", "example"):
        assert gone not in words, gone


def test_markdown_is_sniffed_from_content():
    assert read_text(b"# Heading\n\nSome [link](http://x.org) here.\n").kind == "markdown"


def test_prose_with_a_hash_is_plain_text():
    doc = read_text(b"We ranked #1 in the survey. It was a *big* day.\n")
    assert doc.kind == "text"
    assert doc.text == "We ranked #1 in the survey. It was a *big* day.\n"


# --------------------------------------------------------------------------- PDF


def test_pdf_with_text_layer(tmp_path):
    p = write(tmp_path, "doc.pdf", make_pdf(["The bank said it moved money.", "Second page text."]))
    doc = read_text(p)
    assert doc.kind == "pdf" and doc.encoding is None
    assert "The bank said it moved money." in doc.text
    first, second = doc.text.split("\n\n")
    assert "Second page text." in second and "Second" not in first


def test_pdf_is_sniffed_without_extension():
    assert read_text(make_pdf(["Hello from a PDF."])).kind == "pdf"


def test_pdf_without_text_layer(tmp_path):
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=200, height=200)
    buf = io.BytesIO()
    w.write(buf)
    with pytest.raises(InputError) as ei:
        read_text(write(tmp_path, "scan.pdf", buf.getvalue()))
    msg = str(ei.value)
    assert "scan.pdf has no text layer (scanned?)" in msg and "OCR" in msg
    assert ei.value.exit_code == 3


def test_pdf_handmade_without_text():
    with pytest.raises(InputError, match="no text layer"):
        read_text(make_pdf([""]))


def test_damaged_pdf():
    with pytest.raises(InputError, match="damaged or unsupported PDF") as ei:
        read_text(b"%PDF-1.4\n this is not really a pdf \x00\x01\x02")
    assert ei.value.exit_code == 3


#: A one-page PDF ("The huge storm damaged many buildings in the city centre.") encrypted with
#: AES-128 and an empty user password (permissions only), made by pypdf with 'cryptography'.
AES_PDF = base64.b64decode(
    "JVBERi0xLjMKJeLjz9MKMSAwIG9iago8PAovVHlwZSAvQ2F0YWxvZwovUGFnZXMgMiAwIFIKPj4KZW5kb2JqCjIgMCBvYmoK"
    "PDwKL1R5cGUgL1BhZ2VzCi9LaWRzIFsgMyAwIFIgXQovQ291bnQgMQo+PgplbmRvYmoKMyAwIG9iago8PAovVHlwZSAvUGFn"
    "ZQovUGFyZW50IDIgMCBSCi9NZWRpYUJveCBbIDAgMCA2MTIgNzkyIF0KL0NvbnRlbnRzIDQgMCBSCi9SZXNvdXJjZXMgPDwK"
    "L0ZvbnQgPDwKL0YxIDUgMCBSCj4+Cj4+Cj4+CmVuZG9iago0IDAgb2JqCjw8Ci9MZW5ndGggMTEyCj4+CnN0cmVhbQoWsHT+"
    "2U9cLYH5joACHD4UanatnLFPdJua3vvFAdRase77Ww/1oXAkBokDU0UYbaP8/bFpPKqC5cM4ReOWfBI18otPja6KDRGPHEYE"
    "zbafy8qFAIwDMpSvfvoe0WpdAJGgJjLrj7PZJaVcSZNYn8WoCmVuZHN0cmVhbQplbmRvYmoKNSAwIG9iago8PAovVHlwZSAv"
    "Rm9udAovU3VidHlwZSAvVHlwZTEKL0Jhc2VGb250IC9IZWx2ZXRpY2EKPj4KZW5kb2JqCjYgMCBvYmoKPDwKL1YgNAovUiA0"
    "Ci9MZW5ndGggMTI4Ci9QIDQyOTQ5NjcyOTIKL0ZpbHRlciAvU3RhbmRhcmQKL08gPDU2NmZhODczZWUzM2M3OTdjZDNiOTA0"
    "ZmRhZGY4MTRhZmEzNGRmOWEzOGY2ZWQ0MWI5ODRlMmM2ZGEyYWE2ZjU+Ci9VIDxiZjM2MDIwODViZGIzMTQ2NmJmYmEwNWJh"
    "NTNjNjFlMzI4YmY0ZTVlNGU3NThhNDE2NDAwNGU1NmZmZmEwMTA4PgovQ0YgPDwKL1N0ZENGIDw8Ci9BdXRoRXZlbnQgL0Rv"
    "Y09wZW4KL0NGTSAvQUVTVjIKL0xlbmd0aCAxNgo+Pgo+PgovU3RtRiAvU3RkQ0YKL1N0ckYgL1N0ZENGCj4+CmVuZG9iagp4"
    "cmVmCjAgNwowMDAwMDAwMDAwIDY1NTM1IGYgCjAwMDAwMDAwMTUgMDAwMDAgbiAKMDAwMDAwMDA2NCAwMDAwMCBuIAowMDAw"
    "MDAwMTIzIDAwMDAwIG4gCjAwMDAwMDAyNTEgMDAwMDAgbiAKMDAwMDAwMDQxNCAwMDAwMCBuIAowMDAwMDAwNDg0IDAwMDAw"
    "IG4gCnRyYWlsZXIKPDwKL1NpemUgNwovUm9vdCAxIDAgUgovSUQgWyA8MDUzNDQwNmY1NmU5ZDI5OWIyMzk1ZTYzNzRkNzBl"
    "Yjc+IDwwNTM0NDA2ZjU2ZTlkMjk5YjIzOTVlNjM3NGQ3MGViNz4gXQovRW5jcnlwdCA2IDAgUgo+PgpzdGFydHhyZWYKNzkx"
    "CiUlRU9GCg==")


def test_aes_encrypted_pdf_says_what_it_needs(tmp_path):
    """pypdf needs the 'cryptography' package for AES; without it every page failed and the
    message was 'no text layer (scanned?); run OCR', which sends the user the wrong way."""
    path = write(tmp_path, "aes.pdf", AES_PDF)
    try:
        import cryptography  # noqa: F401
    except ImportError:
        with pytest.raises(InputError) as ei:
            read_text(path)
        msg = str(ei.value)
        assert "cryptography" in msg and "scanned" not in msg and ei.value.exit_code == 3
    else:
        assert "storm damaged many buildings" in read_text(path).text


def test_forcing_pdf_on_text():
    with pytest.raises(InputError, match="not a PDF"):
        read_text(b"plain words", kind="pdf")


# --------------------------------------------------------------------------- empty, missing, size, stdin


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n  "])
def test_empty_input(tmp_path, data):
    with pytest.raises(InputError) as ei:
        read_text(write(tmp_path, "empty.txt", data))
    assert "empty.txt contains no text" in str(ei.value)
    assert ei.value.exit_code == 3


def test_missing_file(tmp_path):
    p = tmp_path / "nope.txt"
    with pytest.raises(InputError) as ei:
        read_text(p)
    assert str(p) in str(ei.value) and "no such file" in str(ei.value)
    assert ei.value.exit_code == EXIT_NOT_FOUND == 4


def test_directory(tmp_path):
    with pytest.raises(InputError) as ei:
        read_text(tmp_path)
    assert str(tmp_path) in str(ei.value) and "is a directory" in str(ei.value)
    assert ei.value.exit_code == 3


def test_permission_denied(tmp_path, monkeypatch):
    p = write(tmp_path, "secret.txt", b"hidden words")

    def deny(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(inputs, "open", deny, raising=False)
    with pytest.raises(InputError) as ei:
        read_text(p)
    assert str(p) in str(ei.value) and "permission denied" in str(ei.value)
    assert ei.value.exit_code == 3


def test_oversized_file(tmp_path):
    p = write(tmp_path, "big.txt", b"word " * 1000)
    with pytest.raises(InputError) as ei:
        read_text(p, max_bytes=1024)
    msg = str(ei.value)
    assert "big.txt" in msg and "input limit" in msg and "memory" in msg
    assert ei.value.exit_code == 3
    assert read_text(p, max_bytes=5000).text.startswith("word word")


def test_oversized_bytes_and_default_limit():
    assert MAX_BYTES == 20 * 1024 * 1024
    with pytest.raises(InputError, match="input limit"):
        read_text(b"x" * 11, max_bytes=10)


def _fake_stdin(monkeypatch, data: bytes):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_stdin(monkeypatch):
    text = "R\u00e9sum\u00e9 of the caf\u00e9 owner \u2014 \u201cquoted\u201d and 5\u20ac."
    _fake_stdin(monkeypatch, text.encode("cp1252"))
    doc = read_text("-")
    assert doc.text == text and doc.source == "<stdin>"


def test_stdin_too_large(monkeypatch):
    _fake_stdin(monkeypatch, b"a" * 100)
    with pytest.raises(InputError, match="<stdin> is larger than the 50 bytes input limit"):
        read_text("-", max_bytes=50)


def test_stdin_text_stream_without_buffer(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("words from a StringIO"))
    assert read_text("-").text == "words from a StringIO"


def test_pathlike_and_name(tmp_path):
    p = write(tmp_path, "x.txt", b"hello")
    assert read_text(os.fspath(p)).source == str(p)
    assert read_text(b"hello", name="given.txt").source == "given.txt"


def test_bad_arguments():
    with pytest.raises(ValueError):
        read_text(b"hi", kind="docx")
    with pytest.raises(TypeError):
        read_text(12)  # type: ignore[arg-type]


def test_html_fallback_skips_menus_and_footers(monkeypatch):
    """When trafilatura finds no main text, every visible node is read, but not a site's
    navigation, footer or sidebar (a reviewer saw "Home" flagged as a spun word)."""
    import unspin.inputs as inputs

    monkeypatch.setattr(inputs, "_html_text", lambda markup: inputs._strip_tags(markup))
    page = (b"<html><body><nav><a href='/'>Home</a> | <a>News</a></nav><p>The bridge opens next month.</p>"
            b"<aside>Related: cats</aside><footer>Copyright 2026</footer></body></html>")
    text = read_text(page, kind="html").text
    assert "bridge opens" in text
    assert not any(w in text for w in ("Home", "News", "cats", "Copyright"))
