"""Streaming readers: every input record becomes one :class:`Item`, failures included.

Formats: JSONL (plain, ``.gz``, ``.zst``), Parquet (pyarrow), WARC/WET (fastwarc;
``.warc``, ``.warc.gz``, ``.wet``, ...) and folders of PDF/HTML/TXT/MD files (read
with :func:`unspin.inputs.read_text`). A malformed JSONL line is an item too, with
its line number in ``error``, so nothing read is ever silently skipped.
"""
from __future__ import annotations

import gzip
import io
import json
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterator

__all__ = ["Item", "RawChunk", "Shard", "chunk_items", "parse_jsonl_line", "open_shard", "detect_format", "FOLDER_EXTENSIONS", "MissingExtra"]

FOLDER_EXTENSIONS = (".pdf", ".html", ".htm", ".xhtml", ".txt", ".text", ".md", ".markdown")


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


def parse_jsonl_line(line: bytes, lineno: int, text_field: str) -> "Item | None":
    """One JSONL line as an :class:`Item` (``None`` for a blank line); never raises."""
    if line.isspace() or not line:
        return None  # blank lines are not records
    try:
        rec = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raw = line.decode("utf-8", "replace").rstrip("\n")
        return Item({"unspin_line": lineno, "unspin_raw": raw[:100_000]}, None,
                    f"line {lineno}: malformed JSON ({str(exc)[:200]})", malformed=True)
    if not isinstance(rec, dict):
        return Item({"unspin_line": lineno, "value": rec}, None,
                    f"line {lineno}: JSON {type(rec).__name__}, not an object", malformed=True)
    if text_field not in rec:
        return Item(rec, None, f"no '{text_field}' field (line {lineno})")
    return Item(rec, rec[text_field])


def truncated_item(lineno: int, exc: BaseException) -> "Item":
    return Item({"unspin_line": lineno + 1}, None,
                f"line {lineno + 1}: input ends in a damaged or truncated block ({exc})", malformed=True)


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
    if p.endswith((".warc", ".wet", ".arc")) or ".warc" in p or ".wet" in p:
        return "warc"
    return "jsonl"


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
        fn = {"jsonl": self._jsonl, "parquet": self._parquet, "warc": self._warc, "folder": self._folder}
        return fn[self.format]()

    # -- JSONL
    def _open_binary(self):
        raw = _Counting(open(self.path, "rb"))
        self._raw = raw
        self._frac = lambda: raw.pos / max(self.size, 1)
        comp = compression(self.path)
        buffered = io.BufferedReader(raw, 1 << 20)
        if comp == "gz":
            return gzip.GzipFile(fileobj=buffered)
        if comp == "zst":
            return _zstd().ZstdDecompressor().stream_reader(buffered, read_across_frames=True)
        return buffered

    def _jsonl(self) -> Iterator[Item]:
        tf = self.text_field
        with self._open_binary() as fh:
            stream = io.BufferedReader(fh, 1 << 20) if not isinstance(fh, io.BufferedReader) else fh
            lineno = 0
            try:
                for line in stream:
                    lineno += 1
                    it = parse_jsonl_line(line, lineno, tf)
                    if it is not None:
                        yield it
            except (OSError, EOFError) as exc:  # truncated .gz/.zst: keep what was read, report the rest
                yield truncated_item(lineno, exc)

    def jsonl_chunks(self, size: int) -> Iterator["RawChunk"]:
        """Cut a JSONL shard into chunks of ``size`` records *without parsing them*.

        Only line boundaries are found here (cheap); decoding, scoring and writing are done by
        whoever gets the chunk (:func:`chunk_items`). A plain file gives byte ranges (the worker
        reads them itself), a compressed one the decompressed lines. Chunks hold exactly the
        records :meth:`items` would group together, blank lines not counted, line numbers kept.
        """
        comp = compression(self.path)
        with self._open_binary() as fh:
            stream = io.BufferedReader(fh, 1 << 20) if not isinstance(fh, io.BufferedReader) else fh
            lineno = first = 0
            pos = start = 0
            n = 0
            buf: list[bytes] = []
            try:
                for line in stream:
                    lineno += 1
                    pos += len(line)
                    if comp:
                        buf.append(line)
                    if line.isspace():
                        continue  # blank lines are not records
                    n += 1
                    if n >= size:
                        yield RawChunk(self.path, first, n, start, pos, b"".join(buf) if comp else None)
                        first, start, n, buf = lineno, pos, 0, []
            except (OSError, EOFError) as exc:  # truncated .gz/.zst: the report is one more record
                yield RawChunk(self.path, first, n + 1, start, pos, b"".join(buf) if comp else None,
                               tail=truncated_item(lineno, exc))
                return
            if n:
                yield RawChunk(self.path, first, n, start, pos, b"".join(buf) if comp else None)

    # -- Parquet
    def _parquet(self) -> Iterator[Item]:
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise MissingExtra("reading Parquet needs pyarrow: pip install 'unspin[corpus]'") from None
        pf = pq.ParquetFile(self.path)
        total = max(pf.metadata.num_rows, 1)
        done = [0]
        self._frac = lambda: done[0] / total
        tf = self.text_field
        for batch in pf.iter_batches(batch_size=1024):
            for rec in batch.to_pylist():
                done[0] += 1
                if tf not in rec:
                    yield Item(rec, None, f"no '{tf}' column")
                else:
                    yield Item(rec, rec[tf])

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
        try:
            for r in ArchiveIterator(raw, record_types=wanted, parse_http=True):
                h = r.headers
                rec: dict[str, Any] = {idf: h.get("WARC-Record-ID"), "url": h.get("WARC-Target-URI"),
                                       "warc_type": h.get("WARC-Type"), "warc_date": h.get("WARC-Date")}
                try:
                    payload = r.reader.read()
                except Exception as exc:
                    yield Item({**rec, tf: None}, None, f"cannot read record payload ({exc})")
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
        from ..inputs import InputError, read_text

        files = self.files()
        done = [0]
        self._frac = lambda: done[0] / max(len(files), 1)
        for f in files:
            done[0] += 1
            rel = os.path.relpath(f, self.path)
            rec = {"file": rel}
            try:
                doc = read_text(f)
            except InputError as exc:
                yield Item(rec, None, str(exc))
                continue
            except Exception as exc:  # never lose a file to an unexpected reader error
                yield Item(rec, None, f"{type(exc).__name__}: {exc}")
                continue
            rec["kind"] = doc.kind
            yield Item(rec, doc.text)


def open_shard(path: str, text_field: str = "text", id_field: str = "id") -> Shard:
    return Shard(path, text_field, id_field)
