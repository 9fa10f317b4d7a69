"""Streaming readers: every input record becomes one :class:`Item`, failures included.

Formats: JSONL (plain, ``.gz``, ``.zst``), Parquet (pyarrow), WARC/WET (fastwarc;
``.warc``, ``.warc.gz``, ``.wet``, ...) and folders of PDF/HTML/TXT/MD files (read
with :func:`unspin.inputs.read_text`). A malformed JSONL line is an item too, with
its line number in ``error``, so nothing read is ever silently skipped.
"""
from __future__ import annotations

import io
import json
import os
import re
import zlib
from dataclasses import dataclass
from typing import Any, Callable, Iterator

__all__ = ["Item", "RawChunk", "Shard", "chunk_items", "parse_jsonl_line", "open_shard", "detect_format",
           "FOLDER_EXTENSIONS", "MissingExtra", "record_error"]

#: Document files: what a folder is scanned for, and a single input read as one document.
FOLDER_EXTENSIONS = (".pdf", ".html", ".htm", ".xhtml", ".txt", ".text", ".md", ".markdown")
#: An input whose name says nothing is sniffed: JSONL if its first non-blank line starts with "{".
SNIFF_BYTES = 1 << 20


class MissingExtra(RuntimeError):
    """An optional dependency is needed for this input (message says what to install)."""


@dataclass
class Item:
    """One input record: ``record`` is what gets written out (plus ``unspin_*``), ``text`` what is
    scored; ``error`` (if set) is recorded as ``unspin_error`` instead of a score."""

    record: dict[str, Any]
    text: Any = None
    error: str | None = None
    malformed: bool = False


@dataclass
class RawChunk:
    """Undecoded lines of a JSONL shard: ``data`` (decompressed bytes) or the byte range
    ``[start, end)`` of the (plain) file ``path``; ``first_line`` is the number of the line
    before the chunk, ``records`` how many records it holds, ``tail`` an item after the lines
    (the report of a truncated compressed input)."""

    path: str
    first_line: int
    records: int
    start: int
    end: int
    data: bytes | None = None
    tail: "Item | None" = None
    blank: int = 0  # blank lines in the chunk (skipped, not records; counted for the summary)


_JSON_KINDS = {type(None): "a JSON null", bool: "a JSON boolean", int: "a JSON number", float: "a JSON number",
               str: "a JSON string", list: "a JSON array", dict: "a JSON object"}


def _json_kind(value: Any) -> str:
    return _JSON_KINDS.get(type(value), "a JSON value")


def parse_jsonl_line(line: bytes, lineno: int, text_field: str) -> "Item | None":
    """One JSONL line as an :class:`Item` (``None`` for a blank line); never raises."""
    if line.isspace() or not line:
        return None  # blank lines are not records
    # without its line ending: an unterminated string then reads as one, not as a control character
    line = line.rstrip(b"\r\n")
    try:
        rec = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raw = line.decode("utf-8", "replace")
        return Item({"unspin_line": lineno, "unspin_raw": raw[:100_000]}, None,
                    f"line {lineno}: malformed JSON ({str(exc)[:200]})", malformed=True)
    if not isinstance(rec, dict):
        return Item({"unspin_line": lineno, "value": rec}, None,
                    f"line {lineno}: {_json_kind(rec)}, not an object", malformed=True)
    if text_field not in rec:
        return Item(rec, None, f"line {lineno}: no '{text_field}' field")
    text = rec[text_field]
    if text is None:
        return Item(rec, None, f"line {lineno}: '{text_field}' is null")
    if not isinstance(text, str):  # said in JSON's terms here: score_texts would name the Python type
        return Item(rec, None, f"line {lineno}: '{text_field}' is {_json_kind(text)}, not a string")
    return Item(rec, text)


class StreamDamaged(Exception):
    """A compressed input that cannot be decompressed further (``str``: what went wrong, for the user)."""


def truncated_item(lineno: int, reason: str, partial: bytes = b"") -> "Item":
    """The one error row for the unreadable end of a compressed input: line ``lineno + 1`` on."""
    rec: dict[str, Any] = {"unspin_line": lineno + 1}
    if partial:  # the start of the cut line: kept, like a malformed line's text
        rec["unspin_raw"] = partial.decode("utf-8", "replace")[:100_000]
    return Item(rec, None, f"line {lineno + 1}: {reason}; nothing from here on could be read", malformed=True)


def _split_lines(blocks: Iterator[bytes]) -> Iterator[bytes]:
    """Lines (with their ``\\n``) of a stream of blocks; every complete line before a
    :class:`StreamDamaged` is yielded first, and the exception gets the cut line as ``partial``."""
    rest = b""
    try:
        for block in blocks:
            data = rest + block if rest else block
            start = 0
            while True:
                i = data.find(b"\n", start)
                if i < 0:
                    break
                yield data[start:i + 1]
                start = i + 1
            rest = data[start:]
    except StreamDamaged as exc:
        exc.partial = rest
        raise
    if rest:
        yield rest


def record_error(exc: BaseException, path: str | None = None) -> str:
    """A reading error as a per-record message: the command-line advice of
    :func:`unspin.inputs.read_text` ("or use '-' to read stdin") means nothing in a row."""
    if path is not None and os.path.islink(path) and not os.path.exists(path):
        return f"{path}: broken symbolic link (its target does not exist)"
    msg = str(exc)
    msg = re.sub(r"\s*\(or (?:use )?'-' to read stdin\)", "", msg)
    return msg


def chunk_items(chunk: RawChunk, text_field: str) -> list["Item"]:
    """Decode a :class:`RawChunk` (in a worker): the items :meth:`Shard.items` would give."""
    data = chunk.data
    if data is None:
        with open(chunk.path, "rb") as fh:
            fh.seek(chunk.start)
            data = fh.read(chunk.end - chunk.start)
    out = []
    lineno = chunk.first_line
    for line in io.BytesIO(data):
        lineno += 1
        it = parse_jsonl_line(line, lineno, text_field)
        if it is not None:
            out.append(it)
    if chunk.tail is not None:
        out.append(chunk.tail)
    return out


def detect_format(path: str) -> str:
    """``jsonl``, ``parquet``, ``warc``, ``document`` (one PDF/HTML/TXT/MD file) or ``folder``, by
    name; a name that says nothing is sniffed (:func:`_sniff`), and an unrecognised file raises
    :class:`unspin.inputs.InputError` instead of being read as JSONL line by line."""
    p = path.lower()
    if os.path.isdir(path):
        return "folder"
    for suf in (".gz", ".zst", ".zstd"):
        if p.endswith(suf):
            p = p[: -len(suf)]
    if p.endswith((".jsonl", ".json", ".ndjson")):
        return "jsonl"
    if p.endswith((".parquet", ".pq")):
        return "parquet"
    if p.endswith((".warc", ".wet", ".arc")):
        return "warc"
    if p == path.lower() and p.endswith(FOLDER_EXTENSIONS):  # (a compressed document is not one)
        return "document"
    if ".warc" in p or ".wet" in p:
        return "warc"
    return _sniff(path)


def _sniff(path: str) -> str:
    from ..inputs import InputError

    what = ("name JSON lines .jsonl (or .jsonl.gz/.zst), Parquet .parquet, WARC/WET .warc(.gz)/.wet(.gz), "
            "or a document .txt/.md/.html/.pdf")
    try:
        head = b""
        with open(path, "rb") as fh:
            for block in _decompressed(fh, compression(path)):
                head += block
                if len(head) >= SNIFF_BYTES or head.lstrip():
                    break
    except MissingExtra:
        raise
    except StreamDamaged as exc:
        raise InputError(f"{path}: cannot tell what kind of file this is ({exc}); {what}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    head = head.lstrip().removeprefix(b"\xef\xbb\xbf").lstrip()  # blank lines, a UTF-8 BOM
    if not head or head.startswith(b"{"):
        return "jsonl"  # JSON lines (an empty file: no records)
    raise InputError(f"{path}: cannot tell what kind of file this is (not JSON lines: it does not start "
                     f"with '{{'); {what}")


def _gunzip(d, data: bytes, block: int) -> Iterator[bytes]:
    """Decompress ``data`` with the zlib object ``d``, at most ``block`` bytes out per call
    (a highly compressed input). zlib gives nothing of a call that fails, so on damage the
    piece is replayed in small steps from a copy of ``d``: everything before the damage is kept."""
    snapshot, given = d.copy(), 0
    buf = data
    try:
        while True:
            out = d.decompress(buf, block)
            if out:
                given += len(out)
                yield out
            buf = d.unconsumed_tail
            if d.eof or (not buf and len(out) < block):
                return
    except zlib.error as exc:
        err = exc
    salvaged = bytearray()
    for k in range(len(data)):  # the replay, byte by byte: only on damage, so its cost does not matter
        try:
            salvaged += snapshot.decompress(data[k:k + 1])
        except zlib.error:
            break
    if len(salvaged) > given:
        yield bytes(salvaged[given:])
    raise err


def _decompressed(fh, comp: str | None, block: int = 1 << 18) -> Iterator[bytes]:
    """Blocks of the decompressed content of the binary file ``fh``. Unlike
    :class:`gzip.GzipFile` and zstandard's stream reader, everything that could be decompressed
    is given before a damaged or cut stream raises :class:`StreamDamaged` (the stream
    reader of zstandard even ends silently at a cut frame). Concatenated gzip members and
    zstd frames are read one after the other, as the outputs of ``unspin filter`` are made."""
    if comp is None:
        while True:
            data = fh.read(block)
            if not data:
                return
            yield data
    if comp == "gz":
        def new():
            return zlib.decompressobj(31)  # gzip container; checks the CRC and length of each member
        errors: tuple = (zlib.error,)
    else:
        zstd = _zstd()
        dctx = zstd.ZstdDecompressor()

        def new():
            return dctx.decompressobj()
        errors = (zstd.ZstdError,)
    d = new()
    started = False  # has the current member/frame received any input?
    while True:
        data = fh.read(block // 4)  # compressed input in small pieces: bounded output per step
        if not data:
            break
        while data:
            if not started:
                data = data.lstrip(b"\0") if comp == "gz" else data  # gzip allows zero padding
                if not data:
                    break
                started = True
            try:
                if comp == "gz":
                    yield from _gunzip(d, data, block)
                else:
                    out = d.decompress(data)
                    if out:
                        yield out
            except errors as exc:
                raise StreamDamaged(f"the compressed data is damaged ({exc})") from None
            if d.eof:  # the member/frame is complete: what follows is the next one (or padding)
                data = d.unused_data
                d, started = new(), False
            else:
                data = b""
    if started:
        raise StreamDamaged("the compressed stream ended early (file truncated?)")


def compression(path: str) -> str | None:
    p = path.lower()
    if p.endswith(".gz"):
        return "gz"
    if p.endswith((".zst", ".zstd")):
        return "zst"
    return None


def _zstd():
    try:
        import zstandard
    except ImportError:
        raise MissingExtra("reading/writing .zst needs the 'zstandard' package: pip install 'unspin[corpus]'") from None
    return zstandard


class _Counting(io.RawIOBase):
    """Wraps a binary file and remembers how many (compressed) bytes were read: progress/ETA."""

    def __init__(self, fh):
        self.fh = fh
        self.pos = 0

    def readable(self):
        return True

    def readinto(self, b):
        n = self.fh.readinto(b)
        self.pos += n or 0
        return n

    def close(self):
        self.fh.close()
        super().close()


class Shard:
    """One input (a file or a folder): ``items()`` streams it, ``fraction()`` says how far it is."""

    def __init__(self, path: str, text_field: str = "text", id_field: str = "id"):
        self.path = path
        self.format = detect_format(path)
        self.text_field = text_field
        self.id_field = id_field
        self._raw: _Counting | None = None
        self._frac: Callable[[], float] = lambda: 0.0
        if self.format == "folder":
            self.size = 0
        else:
            self.size = os.path.getsize(path)

    def fraction(self) -> float:
        try:
            return min(1.0, self._frac())
        except Exception:
            return 0.0

    def items(self) -> Iterator[Item]:
        fn = {"jsonl": self._jsonl, "parquet": self._parquet, "warc": self._warc, "folder": self._folder,
              "document": self._document}
        return fn[self.format]()

    # -- JSONL
    def _open_raw(self) -> "_Counting":
        from ..inputs import InputError

        try:
            raw = _Counting(open(self.path, "rb"))
        except OSError as exc:  # e.g. permission denied: the user's to fix, not a traceback
            raise InputError(f"{self.path}: cannot read ({exc.strerror or exc})") from None
        self._raw = raw
        self._frac = lambda: raw.pos / max(self.size, 1)
        return raw

    def _lines(self, raw: "_Counting") -> Iterator[bytes]:
        """The shard's lines; a damaged or cut .gz/.zst raises :class:`StreamDamaged` (with the cut
        line as ``partial``) only after every complete line before the damage."""
        comp = compression(self.path)
        if comp is None:
            return iter(io.BufferedReader(raw, 1 << 20))
        return _split_lines(_decompressed(raw, comp))

    def _jsonl(self) -> Iterator[Item]:
        tf = self.text_field
        with self._open_raw() as raw:
            lineno = 0
            try:
                for line in self._lines(raw):
                    lineno += 1
                    it = parse_jsonl_line(line, lineno, tf)
                    if it is not None:
                        yield it
            except StreamDamaged as exc:  # truncated .gz/.zst: keep what was read, report the rest
                yield truncated_item(lineno, str(exc), getattr(exc, "partial", b""))

    def jsonl_chunks(self, size: int) -> Iterator["RawChunk"]:
        """Cut a JSONL shard into chunks of ``size`` records *without parsing them*.

        Only line boundaries are found here (cheap); decoding, scoring and writing are done by
        whoever gets the chunk (:func:`chunk_items`). A plain file gives byte ranges (the worker
        reads them itself), a compressed one the decompressed lines. Chunks hold exactly the
        records :meth:`items` would group together, line numbers kept; blank lines after a
        chunk's last record belong to it (so trailing ones are counted too, in ``blank``).
        """
        comp = compression(self.path)
        with self._open_raw() as raw:
            lineno = first = 0
            pos = start = 0
            n = blank = 0
            buf: list[bytes] = []

            def cut(tail: "Item | None" = None) -> RawChunk:
                return RawChunk(self.path, first, n + (tail is not None), start, pos,
                                b"".join(buf) if comp else None, tail=tail, blank=blank)

            try:
                for line in self._lines(raw):
                    if line.isspace():
                        blank += 1  # not a record
                    elif n >= size:  # the chunk is full: it ends before this record
                        yield cut()
                        first, start, n, blank, buf = lineno, pos, 0, 0, []
                    lineno += 1
                    pos += len(line)
                    if comp:
                        buf.append(line)
                    if not line.isspace():
                        n += 1
            except StreamDamaged as exc:  # damaged .gz/.zst: the report is one more record
                tail = truncated_item(lineno, str(exc), getattr(exc, "partial", b""))
                if n >= size:  # (in a chunk of its own if this one is full)
                    yield cut()
                    first, start, n, blank, buf = lineno, pos, 0, 0, []
                yield cut(tail)
                return
            if n or blank:
                yield cut()

    # -- Parquet
    def _parquet(self) -> Iterator[Item]:
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise MissingExtra("reading Parquet needs pyarrow: pip install 'unspin[corpus]'") from None
        import pyarrow as pa

        from ..inputs import InputError

        try:
            pf = pq.ParquetFile(self.path)
        except (pa.ArrowException, OSError) as exc:  # not Parquet at all, or cut before its footer
            raise InputError(f"{self.path}: cannot be read as Parquet ({exc}); is it a .parquet file, "
                             "and complete?") from None
        total = max(pf.metadata.num_rows, 1)
        done = [0]
        self._frac = lambda: done[0] / total
        tf = self.text_field
        try:
            for batch in pf.iter_batches(batch_size=1024):
                for rec in batch.to_pylist():
                    done[0] += 1
                    if tf not in rec:
                        yield Item(rec, None, f"no '{tf}' column")
                    elif rec[tf] is None:
                        yield Item(rec, None, f"'{tf}' is null")
                    else:
                        yield Item(rec, rec[tf])
        except (pa.ArrowException, OSError) as exc:  # damaged data: keep the rows before, as for a .gz
            row = done[0] + 1
            yield Item({"unspin_row": row}, None, f"row {row}: the Parquet data is damaged ({exc}); "
                       "nothing from here on could be read", malformed=True)

    # -- WARC / WET
    def _warc(self) -> Iterator[Item]:
        try:
            from fastwarc.warc import ArchiveIterator, WarcRecordType
        except ImportError:
            raise MissingExtra("reading WARC/WET needs fastwarc: pip install 'unspin[corpus]'") from None
        from ..inputs import InputError, read_text

        raw = open(self.path, "rb")  # fastwarc needs a seekable stream; it detects gzip itself
        self._frac = lambda: raw.tell() / max(self.size, 1)
        wanted = WarcRecordType.response | WarcRecordType.conversion | WarcRecordType.resource
        tf, idf = self.text_field, self.id_field
        records = ArchiveIterator(raw, record_types=wanted, parse_http=True)
        try:
            while True:
                try:
                    r = next(records)
                except StopIteration:
                    return
                except OSError as exc:  # fastwarc: "Invalid WARC header" (not WARC, or damaged here)
                    yield Item({idf: None, tf: None}, None, f"the WARC data is damaged ({exc}); nothing from "
                               "here on could be read (is it a WARC/WET file, and complete?)", malformed=True)
                    return
                h = r.headers
                rec: dict[str, Any] = {idf: h.get("WARC-Record-ID"), "url": h.get("WARC-Target-URI"),
                                       "warc_type": h.get("WARC-Type"), "warc_date": h.get("WARC-Date")}
                try:
                    payload = r.reader.read()
                except Exception as exc:
                    yield Item({**rec, tf: None}, None, f"cannot read record payload ({exc})")
                    continue
                cut = ("no Content-Length header" if h.get("Content-Length") is None else  # (WARC requires one)
                       f"{len(payload)} of {r.content_length} bytes" if len(payload) < r.content_length else None)
                if cut:  # a cut file's last record: not scored as if it were whole
                    yield Item({**rec, tf: None}, None, f"record cut short ({cut}; file truncated?)")
                    continue
                kind = "auto"
                if r.record_type == WarcRecordType.conversion:
                    kind = "text"
                else:
                    ctype = ""
                    if r.http_headers is not None:
                        ctype = (r.http_headers.get("Content-Type") or "").lower()
                        if r.http_headers.status_code and r.http_headers.status_code >= 300:
                            yield Item({**rec, tf: None}, None, f"HTTP status {r.http_headers.status_code}")
                            continue
                    else:
                        ctype = (h.get("Content-Type") or "").lower()
                    if "html" in ctype:
                        kind = "html"
                    elif "pdf" in ctype:
                        kind = "pdf"
                try:
                    text = read_text(payload, kind=kind, name=rec["url"] or "record").text
                except InputError as exc:
                    yield Item({**rec, tf: None}, None, str(exc))
                    continue
                yield Item({**rec, tf: text}, text)
        finally:
            raw.close()

    # -- folders
    def files(self) -> list[str]:
        out = []
        for root, dirs, names in os.walk(self.path):
            dirs.sort()
            for n in sorted(names):
                if n.lower().endswith(FOLDER_EXTENSIONS) and not n.startswith("."):
                    out.append(os.path.join(root, n))
        return out

    def _folder(self) -> Iterator[Item]:
        files = self.files()
        done = [0]
        self._frac = lambda: done[0] / max(len(files), 1)
        for f in files:
            done[0] += 1
            yield read_document(f, os.path.relpath(f, self.path), found=True)

    # -- one document
    def _document(self) -> Iterator[Item]:
        yield read_document(self.path, self.path)
        self._frac = lambda: 1.0


def read_document(path: str, name: str, found: bool = False) -> Item:
    """One PDF/HTML/TXT/MD file as an :class:`Item` (``file`` is ``name``); never raises.
    ``found``: the file was found in a folder, not named by the user, so only a regular file
    is read (a named pipe given by name, e.g. ``unspin screen <(curl ...)``, has a writer)."""
    from ..inputs import InputError, read_text

    rec: dict[str, Any] = {"file": name}
    if found and os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path):
        # a named pipe (or device) called *.txt in a folder: reading it would wait for a writer, for ever
        return Item(rec, None, f"{path} is not a regular file (a named pipe or a device); nothing read")
    try:
        doc = read_text(path)
    except InputError as exc:
        return Item(rec, None, record_error(exc, path))
    except Exception as exc:  # never lose a file to an unexpected reader error
        return Item(rec, None, f"{type(exc).__name__}: {exc}")
    rec["kind"] = doc.kind
    return Item(rec, doc.text)


def open_shard(path: str, text_field: str = "text", id_field: str = "id") -> Shard:
    return Shard(path, text_field, id_field)
