"""Turn a file, bytes or stdin into text that unspin can check.

:func:`read_text` accepts plain text in any encoding, Markdown, HTML and PDF,
and refuses everything else with an :class:`InputError` whose one-line
message says what was wrong and what to do about it.

Exit codes (``InputError.exit_code``, used by the ``unspin`` command):

====  ==================================================================
code  meaning
====  ==================================================================
0     success
1     ``unspin check --fail-on-spun`` and the text was judged spun
2     usage error (bad option or value; printed by argparse)
3     input unreadable: binary, undecodable, empty, too large, a PDF
      without a text layer, a directory, or permission denied
4     input file not found
130   interrupted (Ctrl-C)
====  ==================================================================

Plain text is left alone (only a lone CR, an old Mac line ending, becomes ``\\n``):

>>> doc = read_text(b"The cat sat on the mat.\\r\\nIt was warm.\\rThe end.")
>>> doc.text, doc.kind, doc.encoding
('The cat sat on the mat.\\r\\nIt was warm.\\nThe end.', 'text', 'utf-8')

Legacy encodings are detected:

>>> legacy = "Caf\\u00e9 cr\\u00e8me, \\u201cquoted\\u201d \\u2014 5\\u20ac".encode("cp1252")
>>> doc = read_text(legacy)
>>> doc.text == legacy.decode("cp1252"), doc.encoding
(True, 'cp1252')

Markdown is kept as written (the engine skips its code and link targets):

>>> read_text(b"# Title\\n\\nSee **the** [docs](https://x.org) and `run()`.\\n").text
'# Title\\n\\nSee **the** [docs](https://x.org) and `run()`.\\n'

Binary input is refused with a message that says what to do:

>>> read_text(b"PK\\x03\\x04\\x14\\x00\\x00\\x00", name="report.docx")
Traceback (most recent call last):
    ...
unspin.inputs.InputError: report.docx looks like a binary file (zip archive, e.g. .docx/.odt/.epub); unspin reads plain text, Markdown, HTML and PDF \u2014 convert it to text first
>>> read_text(b"  \\n\\t ")
Traceback (most recent call last):
    ...
unspin.inputs.InputError: <bytes> contains no text; give unspin a file with some prose in it
"""
from __future__ import annotations

import codecs
import html as _html
import io
import os
import re
import sys
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser

__all__ = ["Document", "InputError", "read_text", "MAX_BYTES", "KINDS",
           "EXIT_UNREADABLE", "EXIT_NOT_FOUND"]

#: Largest input accepted by default (20 MB).  unspin holds the whole text in
#: memory and scoring time grows with its length, so a bound keeps a stray
#: ``unspin check /var/log/huge.log`` from eating the machine.
MAX_BYTES = 20 * 1024 * 1024

#: Exit code for input that exists but cannot be read as text.
EXIT_UNREADABLE = 3
#: Exit code for a path that does not exist.
EXIT_NOT_FOUND = 4

KINDS = ("text", "markdown", "html", "pdf")

_SUPPORTED = "unspin reads plain text, Markdown, HTML and PDF"

_EXTENSIONS = {
    ".html": "html", ".htm": "html", ".xhtml": "html", ".shtml": "html",
    ".md": "markdown", ".markdown": "markdown", ".mdown": "markdown", ".mkd": "markdown",
    ".mkdn": "markdown", ".mdwn": "markdown",
    ".pdf": "pdf",
    ".txt": "text", ".text": "text",
}


class InputError(Exception):
    """Input that unspin cannot read; ``str(err)`` is a one-line, user-facing message."""

    def __init__(self, message: str, exit_code: int = EXIT_UNREADABLE):
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Document:
    """Text extracted from one input.

    ``kind`` is what the input was read as (``text``, ``markdown``, ``html`` or
    ``pdf``), ``encoding`` the character encoding it was decoded from (``None``
    for PDF) and ``source`` a display name: the path, ``<stdin>`` or ``<bytes>``.
    """

    text: str
    kind: str
    encoding: str | None
    source: str


# --------------------------------------------------------------------------- reading


def read_text(source: "str | os.PathLike[str] | bytes", *, kind: str = "auto",
              max_bytes: int = MAX_BYTES, name: str | None = None) -> Document:
    """Read ``source`` and return its prose as a :class:`Document`.

    ``source`` is a path, ``"-"`` for standard input, or the raw ``bytes``.
    ``kind`` is ``"auto"`` (sniff from the extension and the content) or one of
    :data:`KINDS` to force a reader.  ``name`` overrides the display name used
    in messages and ``Document.source``.  Raises :class:`InputError`.
    """
    if kind != "auto" and kind not in KINDS:
        raise ValueError(f"kind must be 'auto' or one of {', '.join(KINDS)}, not {kind!r}")
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")

    ext = ""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        label = name or "<bytes>"
        _check_size(label, len(data), max_bytes)
    elif isinstance(source, str) and source == "-":
        label = name or "<stdin>"
        data = _read_stdin(label, max_bytes)
    elif isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        label = name or path
        ext = os.path.splitext(path)[1].lower()
        data = _read_path(path, label, max_bytes)
    else:
        raise TypeError(f"source must be a path, '-' or bytes, not {type(source).__name__}")
    if name:
        ext = ext or os.path.splitext(name)[1].lower()

    if not data.strip():
        raise InputError(f"{label} contains no text; give unspin a file with some prose in it")

    # PDF first: it is binary by nature.
    if data.lstrip()[:5] == b"%PDF-" and kind in ("auto", "pdf"):
        return Document(_pdf_text(data, label), "pdf", None, label)
    if kind == "pdf":
        raise InputError(f"{label} is not a PDF (no %PDF- header); drop the PDF option to read it as text")

    text, encoding = _decode(data, label, prefer_html=(kind == "html" or _EXTENSIONS.get(ext) == "html"))

    if kind == "auto":
        kind = _EXTENSIONS.get(ext) or _sniff(text)
        if kind == "pdf":  # .pdf extension but no PDF header: treat it as what it looks like
            kind = _sniff(text)
    if kind == "html":
        text = _html_text(text)
    # Markdown is checked as written, so `unspin restore notes.md` gives Markdown back:
    # its code, link targets and front matter are not prose and the engine skips them
    # (unspin.tokens.prose_tokens); the markup characters are no words anyway.

    if not text.strip():
        what = {"html": "HTML page", "markdown": "Markdown file"}.get(kind, "input")
        raise InputError(f"{label} contains no text (the {what} has no readable prose); "
                         "give unspin a file with some prose in it")
    return Document(text, kind, encoding, label)


def _check_size(label: str, size: int, max_bytes: int, *, streamed: bool = False) -> None:
    if size > max_bytes:
        what = "larger than" if streamed else f"{_human_size(size)}, over"
        raise InputError(
            f"{label} is {what} the {_human_size(max_bytes)} input limit "
            "(unspin keeps the whole text in memory and checking time grows with length); "
            "split it into smaller files")


def _human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    if n >= 1024:
        return f"{n / 1024:.1f} KB".replace(".0 KB", " KB")
    return f"{n} bytes"


def _read_stdin(label: str, max_bytes: int) -> bytes:
    stream = sys.stdin
    if stream is None:
        raise InputError(f"{label} is closed; pass a FILE instead of '-'")
    buf = getattr(stream, "buffer", None)
    if buf is not None:
        data = buf.read(max_bytes + 1)
    else:  # a text stream without bytes underneath (e.g. io.StringIO in tests)
        data = stream.read().encode("utf-8")
    _check_size(label, len(data), max_bytes, streamed=True)
    return data


def _read_path(path: str, label: str, max_bytes: int) -> bytes:
    try:
        if os.path.isdir(path):
            raise InputError(f"{label} is a directory; give unspin a file (or '-' to read stdin)")
        size = os.path.getsize(path)
        _check_size(label, size, max_bytes)
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputError(f"{label}: no such file; check the path (or use '-' to read stdin)",
                         EXIT_NOT_FOUND) from None
    except PermissionError:
        raise InputError(f"{label}: permission denied; make the file readable (chmod) or copy it somewhere you can read") from None
    except IsADirectoryError:
        raise InputError(f"{label} is a directory; give unspin a file (or '-' to read stdin)") from None
    except OSError as exc:
        raise InputError(f"{label}: cannot read ({exc.strerror or exc}); check the path") from None
    _check_size(label, len(data), max_bytes, streamed=True)  # it grew, or is a pipe / device
    return data


# --------------------------------------------------------------------------- decoding

# (magic, offset, description, advice)
_MAGIC: list[tuple[bytes, int, str, str]] = [
    (b"PK\x03\x04", 0, "zip archive, e.g. .docx/.odt/.epub", "convert it to text first"),
    (b"PK\x05\x06", 0, "zip archive", "unzip it and check the text files inside"),
    (b"\x1f\x8b", 0, "gzip-compressed", "decompress it first (gunzip)"),
    (b"BZh", 0, "bzip2-compressed", "decompress it first (bunzip2)"),
    (b"\xfd7zXZ\x00", 0, "xz-compressed", "decompress it first (unxz)"),
    (b"\x28\xb5\x2f\xfd", 0, "zstd-compressed", "decompress it first (unzstd)"),
    (b"7z\xbc\xaf\x27\x1c", 0, "7-Zip archive", "extract it first"),
    (b"Rar!\x1a\x07", 0, "RAR archive", "extract it first"),
    (b"ustar", 257, "tar archive", "extract it first"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "old Microsoft Office document, e.g. .doc/.xls",
     "convert it to text first"),
    (b"{\\rtf", 0, "RTF document", "save it as plain text first"),
    (b"\x89PNG\r\n\x1a\n", 0, "PNG image", "run OCR on it first"),
    (b"\xff\xd8\xff", 0, "JPEG image", "run OCR on it first"),
    (b"GIF87a", 0, "GIF image", "run OCR on it first"),
    (b"GIF89a", 0, "GIF image", "run OCR on it first"),
    (b"II*\x00", 0, "TIFF image", "run OCR on it first"),
    (b"MM\x00*", 0, "TIFF image", "run OCR on it first"),
    (b"RIFF", 0, "RIFF media file (audio/video/image)", "convert it to text first"),
    (b"OggS", 0, "Ogg media file", "transcribe it first"),
    (b"ID3", 0, "MP3 audio", "transcribe it first"),
    (b"fLaC", 0, "FLAC audio", "transcribe it first"),
    (b"ftyp", 4, "MP4/QuickTime media file", "transcribe it first"),
    (b"\x7fELF", 0, "ELF executable", "give it the document to check, not a program"),
    (b"MZ", 0, "Windows executable", "give it the document to check, not a program"),
    (b"\xcf\xfa\xed\xfe", 0, "Mach-O executable", "give it the document to check, not a program"),
    (b"\xca\xfe\xba\xbe", 0, "Java class or Mach-O binary", "give it the document to check, not a program"),
    (b"\x00asm", 0, "WebAssembly module", "give it the document to check, not a program"),
    (b"SQLite format 3\x00", 0, "SQLite database", "export the text you want to check first"),
]

_BOMS = [  # longest first: the UTF-32-LE BOM starts with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
]

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_OK_CONTROLS = set("\t\n\r\f\v\x1b")


def _binary_error(label: str, what: str, advice: str = "convert it to text first") -> InputError:
    return InputError(f"{label} looks like a binary file ({what}); {_SUPPORTED} \u2014 {advice}")


def _decode(data: bytes, label: str, prefer_html: bool = False) -> tuple[str, str]:
    """Decode ``data`` to text, refusing binary data.  Returns ``(text, encoding)``."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                raise InputError(f"{label} starts with a {enc.upper()} byte-order mark but is not valid "
                                 f"{enc.upper()}; re-save it as UTF-8") from None
            return _finish(text.lstrip("\ufeff"), label), enc

    for magic, offset, what, advice in _MAGIC:
        if data[offset:offset + len(magic)] == magic:
            if magic == b"MZ" and b"\x00" not in data[:1024]:
                continue  # text that happens to start with "MZ"
            raise _binary_error(label, what, advice)

    if b"\x00" in data:
        enc = _bomless_utf16(data)
        if enc:
            try:
                return _finish(data.decode(enc), label), enc
            except UnicodeDecodeError:
                pass
        raise _binary_error(label, "contains NUL bytes")

    try:
        return _finish(data.decode("utf-8"), label), "utf-8"
    except UnicodeDecodeError:
        pass

    mostly = _mostly_utf8(data)
    if mostly is not None:
        return _finish(mostly, label), "utf-8"

    if prefer_html:
        m = _META_CHARSET.search(data[:4096])
        if m:
            try:
                enc = codecs.lookup(m.group(1).decode("ascii", "replace")).name
                tag = m.group(0)
                if enc in _NO_PAGE_CHARSETS or tag.decode(enc, "replace") != tag.decode("ascii", "replace"):
                    # Python-only codecs (unicode-escape rewrites backslashes, "undefined" always
                    # fails) are no page's charset; nor is one the meta tag itself is not written
                    # in: a page that says UTF-16/32 (it has no NULs) or EBCDIC (cp037, cp500:
                    # everything read as control characters, "a binary file") is ASCII-based,
                    # and browsers ignore such a label
                    raise LookupError(enc)
                return _finish(data.decode(enc), label), enc
            except (LookupError, UnicodeError):
                pass

    western = _western_cp1252(data)
    if western is not None:
        return _finish(western, label), "cp1252"

    from charset_normalizer import from_bytes

    results = from_bytes(data)
    best = results.best()
    if best is not None and best.encoding != "cp1252":
        # Short Western text is often a tie between cp1252 and its Central European
        # cousins (cp1250 turns "crème" into "crčme"); break ties towards cp1252,
        # by far the most common legacy encoding for English-language text.
        for cand in results:
            if ("cp1252" in cand.could_be_from_charset and cand.chaos <= best.chaos + 0.01
                    and cand.coherence >= best.coherence - 0.01):
                best = cand
                break
    if best is None:
        raise InputError(f"{label} is not text in any encoding unspin recognises (or is a binary file); "
                         f"{_SUPPORTED} \u2014 re-save it as UTF-8 text")
    encoding = "cp1252" if "cp1252" in best.could_be_from_charset else best.encoding
    return _finish(str(best), label), encoding


#: Codec names a page may declare that Python knows but no browser reads as a charset.
_NO_PAGE_CHARSETS = frozenset({"undefined", "unicode-escape", "raw-unicode-escape", "charmap", "idna",
                               "punycode", "utf-7"})

_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_NON_ASCII_BYTES = bytes(range(128))


def _mostly_utf8(data: bytes) -> str | None:
    """``data`` as UTF-8 with its few invalid bytes read as cp1252, if it is UTF-8 text with a
    few bytes that are not: a paragraph pasted from a legacy file, a file cut in the middle of
    a character. Decoding all of it in a legacy encoding (what charset detection picks) would
    garble every correct non-ASCII character instead. ``None`` when the valid multi-byte
    characters do not clearly outnumber the stray bytes: legacy text (CJK double-byte, Cyrillic)
    forms valid UTF-8 sequences by chance, but about a third as many as it has invalid bytes.
    """
    # counted first at C speed ("ignore" drops exactly the bytes "surrogateescape" would keep as
    # U+DC80..U+DCFF): legacy text, the usual case here, is then refused without a regex pass
    # over it (findall cost 0.1 s per 4 MB of cp1252)
    valid_only = data.decode("utf-8", "ignore")
    bad = len(data) - len(valid_only.encode("utf-8"))
    ascii_bytes = len(data) - len(data.translate(None, _NON_ASCII_BYTES))
    valid = len(valid_only) - ascii_bytes  # non-ASCII characters decoded from valid sequences
    if valid < 6 or valid < 3 * bad:  # (in trials, short legacy CJK strings reached 5 and 4 to 1)
        return None
    text = data.decode("utf-8", "surrogateescape")  # each invalid byte becomes U+DC80..U+DCFF
    return _ESCAPED_BYTE.sub(lambda m: _cp1252_byte(ord(m.group()) - 0xDC00), text)


def _cp1252_byte(b: int) -> str:
    try:
        return bytes([b]).decode("cp1252")
    except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: undefined in cp1252
        return chr(b)


_WESTERN = frozenset(
    [chr(c) for c in range(0xC0, 0x100) if c not in (0xD7, 0xF7)]
    + list("\u0152\u0153\u0160\u0161\u017d\u017e\u0178\u0192"  # Œœ Šš Žž Ÿ ƒ
           "\u201c\u201d\u2018\u2019\u201a\u201e\u2014\u2013\u2026\u2022\u20ac\u2122"
           "\u00ab\u00bb\u00b0\u00a3\u00a7\u00a9\u00ae\u00a1\u00bf\u00b7\u00a0\u00b4\u00a2\u00a5")
)


def _western_cp1252(data: bytes) -> str | None:
    """``data`` as cp1252 if it reads as mostly-ASCII Western European text, else ``None``.

    charset-normalizer is unreliable on short inputs (a one-line cp1252 note can
    come back as cp775 or cp1250), and cp1252 is by far the commonest legacy
    encoding for English-language text; text in other scripts (Cyrillic, Greek,
    CJK) has mostly non-ASCII bytes or reads as symbols in cp1252 and is left
    to charset-normalizer.
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    non_ascii = [ch for ch in text if ord(ch) > 127]
    letters = sum(1 for ch in text if ch.isalpha())
    if not non_ascii or len(non_ascii) > 0.3 * max(letters, 1):
        return None
    if any(ch not in _WESTERN for ch in non_ascii):
        return None
    return text


def _bomless_utf16(data: bytes) -> str | None:
    """Guess UTF-16 without a BOM: mostly-ASCII text has a NUL in every other byte."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    half = len(data) // 2
    if odd.count(0) > 0.6 * half and even.count(0) < 0.1 * half:
        return "utf-16-le"
    if even.count(0) > 0.6 * half and odd.count(0) < 0.1 * half:
        return "utf-16-be"
    return None


def _finish(text: str, label: str) -> str:
    """Reject decoded text that is mostly control characters. Line endings are kept
    (a restored CRLF file stays CRLF), except a lone CR (old Mac files) becomes a
    newline, the only line break the sentence splitter knows besides CRLF."""
    if text:
        controls = sum(1 for ch in text if ch not in _OK_CONTROLS and unicodedata.category(ch) == "Cc")
        if controls > max(2, 0.02 * len(text)):
            raise _binary_error(label, f"{controls} control characters in {len(text)}")
    return _LONE_CR.sub("\n", text)


_LONE_CR = re.compile(r"\r(?!\n)")


# --------------------------------------------------------------------------- sniffing

_HTML_START = re.compile(r"\A\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.I | re.S)
_HTML_TAG = re.compile(r"</?(?:html|head|body|p|div|span|a|br|h[1-6]|ul|ol|li|table|tr|td|th|article|section|"
                       r"header|footer|nav|main|script|style|meta|link|title|img|em|strong|b|i|blockquote|pre|"
                       r"code|form|input|button|figure|aside)\b[^>]*>", re.I)
_MD_SIGNALS = [
    re.compile(r"^#{1,6}\s+\S", re.M),                     # ATX heading
    re.compile(r"(?<!!)\[[^\]\n]+\]\([^)\s]+(?:\s+\"[^\"]*\")?\)"),  # [text](url)
    re.compile(r"^\s*```", re.M),                          # code fence
    re.compile(r"(\*\*|__)(?=\S)[^\n]+?(?<=\S)\1"),         # **strong**
    re.compile(r"^\s{0,3}[-*+]\s+\S", re.M),               # bullet list
    re.compile(r"^\s{0,3}>\s", re.M),                      # block quote
]


def _sniff(text: str) -> str:
    head = text[:4096]
    if _HTML_START.match(head) or re.search(r"<html[\s>]|<body[\s>]", head, re.I):
        return "html"
    tags = len(_HTML_TAG.findall(text[:65536]))
    words = len(re.findall(r"\w+", text[:65536])) or 1
    if tags >= 5 and tags >= 0.03 * words:
        return "html"
    if sum(1 for rx in _MD_SIGNALS if rx.search(text)) >= 2:
        return "markdown"
    return "text"


# --------------------------------------------------------------------------- HTML

_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
               "section", "article", "header", "footer", "blockquote", "pre", "hr", "dd", "dt",
               "figcaption", "main", "aside", "nav", "title", "td", "th"}
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object",
              "nav", "footer", "aside"}  # (the fallback only: site menus and footers are no prose)


class _TagStripper(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):  # noqa: ANN001
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):  # noqa: ANN001
        if not self.skip:
            self.parts.append(data)


def _strip_tags(markup: str) -> str:
    parser = _TagStripper()
    try:
        parser.feed(markup)
        parser.close()
        raw = "".join(parser.parts)
    except Exception:  # pragma: no cover - HTMLParser is forgiving; belt and braces
        raw = _html.unescape(re.sub(r"<[^>]*>", " ", markup))
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in raw.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def _html_text(markup: str) -> str:
    """Main text of an HTML page (trafilatura), else every visible text node."""
    text = None
    try:
        import trafilatura

        text = trafilatura.extract(markup, include_comments=False, favor_recall=True)
    except Exception:  # extraction is best-effort; fall back below
        text = None
    if text and text.strip():
        return text.strip() + "\n"
    return _strip_tags(markup)


# --------------------------------------------------------------------------- PDF


def _pdf_text(data: bytes, label: str) -> str:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed-but-readable PDFs are common
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except DependencyError:
                raise
            except Exception:
                ok = 0
            if not ok:
                raise InputError(f"{label} is an encrypted PDF; remove the password (e.g. qpdf --decrypt) first")
        pages = []
        for page in reader.pages:
            try:
                pages.append((page.extract_text() or "").strip())
            except DependencyError:  # the same on every page: not "no text layer"
                raise
            except Exception:  # one bad page should not lose the rest
                pages.append("")
    except InputError:
        raise
    except DependencyError:
        # AES-encrypted (often with an empty password, to set permissions only): pypdf
        # decrypts AES with the 'cryptography' package, which unspin does not require
        raise InputError(f"{label} is an AES-encrypted PDF, which needs the 'cryptography' package to read: "
                         "pip install cryptography (or remove the encryption, e.g. qpdf --decrypt)") from None
    except (PdfReadError, Exception) as exc:  # pypdf raises assorted errors on damaged files
        raise InputError(f"{label} is a damaged or unsupported PDF ({type(exc).__name__}); "
                         "re-export it or convert it to text first") from None
    text = "\n\n".join(p for p in pages if p)
    if not text.strip():
        raise InputError(f"{label} has no text layer (scanned?); run OCR first (e.g. ocrmypdf) "
                         "or convert it to text")
    return text.replace("\r\n", "\n").replace("\r", "\n") + "\n"
