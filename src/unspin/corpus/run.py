"""The ``unspin filter`` runner: chunks, workers, per-shard outputs, manifest, resume, summary.

Each input (a *shard*) is read as a stream and cut into chunks of ``chunk_size``
records (JSONL only at line boundaries, undecoded: byte ranges of a plain file, the
decompressed lines of a .gz/.zst). A worker decodes, scores, encodes and writes its
chunk; the main process only hands out chunks and records finished ones, in order.
A scored chunk is written to ``OUT/.parts/<shard>/<n>.part`` (temporary
name, fsync, atomic rename) and only then recorded in ``OUT/_unspin_manifest.jsonl``.
When every chunk of a shard is done the parts are joined into ``OUT/<shard output>``
(again atomically) and the shard is marked complete. A run killed at any moment
resumes from the manifest: finished chunks are skipped, a chunk that was being
written is redone and its part overwritten, so no record is lost or duplicated.
"""
from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator

from ..inputs import InputError
from .batch import Options, check_field_names, score_texts, warm_engine, without_fields
from .readers import Item, RawChunk, Shard, chunk_items, compression

MANIFEST = "_unspin_manifest.jsonl"
SUMMARY = "_unspin_summary.json"
PARTS = ".parts"
MAX_REPORTED = 20
_TEST_DELAY = float(os.environ.get("UNSPIN_CORPUS_TEST_DELAY", "0") or 0)


@dataclass
class Stats:
    read: int = 0
    written: int = 0
    dropped: int = 0
    errored: int = 0
    malformed: int = 0
    spun: int = 0
    bytes: int = 0
    blank: int = 0  # blank JSONL lines: skipped (not records, not in ``read``), counted to be honest

    def nothing_scored(self) -> bool:
        """Records were read and every one of them got ``unspin_error``."""
        return self.read > 0 and self.errored == self.read

    def add(self, other: "Stats") -> None:
        for k, v in asdict(other).items():
            setattr(self, k, getattr(self, k) + v)


#: Records per resumable chunk. A chunk is also the unit handed to a worker, so at the
#: end of each shard workers idle while the last chunks finish: in full mode (~100
#: records/s per core) 1,000-record chunks left one of 2 workers idle for a fifth of a
#: 5,000-record run; 200 keep them even. Fast mode scores ~3,000 records/s.
FAST_CHUNK, FULL_CHUNK = 1000, 200


@dataclass
class Settings:
    output: str
    options: Options = field(default_factory=Options)
    text_field: str = "text"
    id_field: str = "id"
    drop: bool = False
    workers: int = 1
    chunk_size: int | None = None  # None: FAST_CHUNK or FULL_CHUNK records, by mode
    output_format: str = "auto"  # auto | jsonl | jsonl.gz | jsonl.zst | parquet
    progress: bool | None = None  # None: only on a TTY and outside CI
    keep_text: bool = True

    def __post_init__(self):
        check_field_names(self.options, self.text_field, self.id_field)
        if self.chunk_size is None:
            self.chunk_size = FAST_CHUNK if self.options.fast else FULL_CHUNK

    def fingerprint(self) -> dict[str, Any]:
        """What must not change between a run and its resumption."""
        o = self.options
        return {"fast": o.fast, "threshold": o.threshold, "top_findings": o.top_findings, "restore": o.restore,
                "profile": o.profile, "text_field": self.text_field, "id_field": self.id_field, "drop": self.drop,
                "chunk_size": self.chunk_size, "output_format": self.output_format, "keep_text": self.keep_text}


class ResumeMismatch(ValueError):
    pass


class OutputError(RuntimeError):
    """The output cannot be written (``str``: a one-line message for the user)."""


def _cannot_write(path: str, exc: OSError) -> OutputError:
    return OutputError(f"{path}: cannot write ({exc.strerror or exc}); choose an --output folder you can write to")


@contextlib.contextmanager
def _writing(path: str):
    """An OSError while writing ``path`` (a full disk, say) becomes an :class:`OutputError`."""
    try:
        yield
    except OSError as exc:
        raise _cannot_write(path, exc) from None


def prepare_output(outdir: str) -> None:
    """Create the output folder, or say why it cannot be one, before any scoring."""
    if os.path.exists(outdir) and not os.path.isdir(outdir):
        raise OutputError(f"{outdir} exists and is not a folder; --output needs a folder "
                          "(a new or existing one) to write one output file per input into")
    try:
        os.makedirs(outdir, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{outdir}: cannot create the output folder ({exc.strerror or exc}); "
                          "choose an --output folder you can write to") from None


# --------------------------------------------------------------------------- output naming and writing


def _base_name(path: str) -> str:
    name = os.path.basename(os.path.normpath(path))
    low = name.lower()
    for suf in (".gz", ".zst", ".zstd"):
        if low.endswith(suf):
            name, low = name[: -len(suf)], low[: -len(suf)]
    for suf in (".jsonl", ".ndjson", ".json", ".parquet", ".pq", ".warc", ".wet", ".arc"):
        if low.endswith(suf):
            return name[: -len(suf)]
    return name


def output_name(shard: Shard, fmt: str) -> str:
    """Output file name for a shard: same format and compression as the input where possible."""
    base = _base_name(shard.path)
    if shard.format == "document":  # paper.pdf -> paper.jsonl
        base = os.path.splitext(base)[0] or base
    if fmt == "auto":
        if shard.format == "parquet":
            fmt = "parquet"
        elif shard.format == "jsonl":
            comp = compression(shard.path)
            fmt = "jsonl" + (f".{comp}" if comp else "")
        elif shard.format == "warc":
            fmt = "jsonl.gz"
        else:
            fmt = "jsonl"
    return f"{base}.{fmt}"


def _unique_names(shards: list[Shard], fmt: str) -> list[str]:
    names, seen = [], collections.Counter()
    taken = {output_name(s, fmt) for s in shards}
    for s in shards:
        n = output_name(s, fmt)
        seen[n] += 1
        if seen[n] > 1:  # two inputs with the same base name in different folders
            stem, dot, ext = n.partition(".")
            k = seen[n]
            while f"{stem}-{k}{dot}{ext}" in taken:  # not the name of another input's output (x-2.jsonl)
                k += 1
            seen[n] = k
            n = f"{stem}-{k}{dot}{ext}"
            taken.add(n)
        names.append(n)
    return names


def _fsync_write(path: str, data: bytes) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"  # unique: never two writers on one temporary file
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _json_line(rec: dict) -> bytes:
    line = json.dumps(rec, ensure_ascii=False, default=str)
    try:
        return line.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (JSON "\ud800", a non-UTF-8 file name): kept escaped
        return json.dumps(rec, default=str).encode("ascii")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _valid_utf8(value: Any) -> Any:
    """``value`` with lone surrogates replaced by U+FFFD: Parquet strings must be UTF-8, and a
    JSONL line may hold "\\ud800" (JSON output keeps it, escaped: :func:`_json_line`)."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_valid_utf8(k): _valid_utf8(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_valid_utf8(v) for v in value]
    return value


def _encode_part(records: list[dict], name: str) -> bytes:
    if name.endswith(".parquet"):
        import io

        import pyarrow as pa
        import pyarrow.parquet as pq

        buf = io.BytesIO()
        keys: dict[str, None] = {}
        for r in records:  # from_pylist takes the columns of the first row only
            keys.update(dict.fromkeys(r))
        rows = [{k: r.get(k) for k in keys} for r in records]
        try:
            table = pa.Table.from_pylist(rows) if records else pa.table({})
        except (UnicodeEncodeError, pa.ArrowException, OverflowError):
            # a lone surrogate, or a field of different types in different records: column by column
            table = pa.table({k: _column(pa, [r[k] for r in rows]) for k in keys})
        pq.write_table(table, buf)
        return buf.getvalue()
    body = b"".join(_json_line(r) + b"\n" for r in records)
    if name.endswith(".gz"):
        import gzip

        return gzip.compress(body, compresslevel=6, mtime=0)
    if name.endswith(".zst"):
        from .readers import _zstd

        return _zstd().ZstdCompressor(level=3).compress(body)
    return body


def _as_text(values: list) -> list:
    """A column of mixed values as text: strings as they are, anything else as JSON."""
    return [v if v is None or isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)
            for v in values]


def _column(pa, values: list):
    """One Parquet column; one whose values have different types ("id" a number in one JSONL
    record, a string in another; a malformed line's "value") becomes text, not a failed run."""
    try:
        return pa.array(_valid_utf8(values))
    except (pa.ArrowException, OverflowError):
        return pa.array(_valid_utf8(_as_text(values)), pa.string())


def _join_parts(parts: list[str], dest: str) -> None:
    """Concatenate parts (gzip members and zstd frames concatenate; Parquet is re-written)."""
    tmp = dest + ".tmp"
    if dest.endswith(".parquet"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        tables = [pq.read_table(p) for p in parts]
        tables = [t for t in tables if t.num_columns]
        try:
            table = pa.concat_tables(tables, promote_options="permissive") if tables else pa.table({})
        except pa.ArrowException:  # a column of one type in one part, another in the next: text
            types: dict[str, set] = {}
            for t in tables:
                for f in t.schema:
                    types.setdefault(f.name, set()).add(f.type)
            mixed = [k for k, ts in types.items() if len(ts - {pa.null()}) > 1]
            for k in mixed:
                tables = [t.set_column(t.schema.get_field_index(k), k,
                                       pa.array(_as_text(t[k].to_pylist()), pa.string()))
                          if k in t.column_names else t for t in tables]
            table = pa.concat_tables(tables, promote_options="permissive")
        pq.write_table(table, tmp)
    else:
        with open(tmp, "wb") as out:
            for p in parts:
                with open(p, "rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
    os.replace(tmp, dest)


# --------------------------------------------------------------------------- manifest


def input_identity(shard: Shard) -> dict[str, Any]:
    """What tells a resumed run that an input is the one the manifest's entries were made from
    (the real path: the same file reached through a symbolic link, or from another working
    folder, is the same input)."""
    path = os.path.realpath(shard.path)
    if shard.format == "folder":
        files = shard.files()
        return {"path": path, "files": len(files), "size": sum(os.path.getsize(f) for f in files
                                                                 if os.path.isfile(f))}
    st = os.stat(shard.path)
    return {"path": path, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


class Manifest:
    """Append-only JSON lines: a header with the settings, ``input`` (which input an output name
    is made from), ``chunk`` and ``complete`` entries."""

    def __init__(self, outdir: str, settings: Settings):
        self.path = os.path.join(outdir, MANIFEST)
        self.outdir = outdir
        self.chunks: dict[tuple[str, int], Stats] = {}
        self.complete: dict[str, Stats] = {}
        self.inputs: dict[str, dict] = {}  # output name -> the input it was made from (input_identity)
        fp = settings.fingerprint()
        if os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as fh:
                lines = fh.read().split("\n")
            for line in lines:
                if not line.strip():
                    continue
                try:
                    e = json.loads(line)
                except ValueError:
                    continue  # a line cut by a kill: that chunk is redone
                if e.get("type") == "header" and e.get("settings") != fp:
                    raise ResumeMismatch(
                        f"{settings.output} holds a run with different settings ({e.get('settings')}); "
                        "use the same options to resume, or a new --output")
                if e.get("type") == "chunk":
                    self.chunks[(e["shard"], e["chunk"])] = Stats(**e["stats"])
                elif e.get("type") == "complete":
                    self.complete[e["shard"]] = Stats(**e["stats"])
                elif e.get("type") == "input":
                    self.inputs.setdefault(e["shard"], e["input"])
            self._fh = open(self.path, "a", encoding="utf-8")
            if lines and lines[-1] != "":  # half-written last line: start a fresh one
                self._fh.write("\n")
        else:
            self._fh = open(self.path, "a", encoding="utf-8")
            self.append({"type": "header", "settings": fp})

    def check_inputs(self, shards: list[Shard], names: list[str]) -> None:
        """Resume only from the same inputs: the chunks and outputs recorded under a name are those
        of the input that had it (another file with the same base name, or the same file changed
        since, would be skipped as done or mixed with it)."""
        for shard, name in zip(shards, names):
            ident = input_identity(shard)
            prev = self.inputs.get(name)
            if prev is None:
                self.append({"type": "input", "shard": name, "input": ident})
                self.inputs[name] = ident
            elif prev != ident:
                what = (f"{shard.path} as it was before it changed (its size or time differs)"
                        if prev.get("path") == ident["path"] else f"another input ({prev.get('path')}), not {shard.path}")
                raise ResumeMismatch(f"{self.outdir} holds {name} made from {what}; use a new --output, "
                                     "or delete this one to start over")

    def append(self, entry: dict) -> None:
        self._fh.write(json.dumps(entry) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()


# --------------------------------------------------------------------------- scoring in workers


def _worker_init() -> None:
    import gc
    import signal

    # Everything inherited from the parent (the warmed tables) lives as long as this
    # worker process: keep it out of the cyclic GC, whose full collections would rescan
    # it and, by writing to every object's header, copy the shared pages (Python's
    # gc.freeze documentation recommends this for forked workers).
    gc.freeze()

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    if sys.platform.startswith("linux"):  # die with the parent: no orphan still writing parts
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except Exception:
            pass


def _score_chunk(args: tuple[list[Any], Options]) -> list[dict]:
    texts, opts = args
    return score_texts(texts, opts)


def _process_chunk(chunk: RawChunk | list[Item], part: str, name: str,
                   settings: Settings) -> tuple[Stats, list[str]]:
    """The whole of one chunk, in a worker: decode, score, build the rows, encode, write the part.

    Only the chunk's statistics and error lines go back to the main process, which records
    finished chunks in the manifest, in order.
    """
    items = chunk_items(chunk, settings.text_field) if isinstance(chunk, RawChunk) else chunk
    fields = score_texts([it.text if it.error is None else None for it in items], settings.options)
    recs, st, errors = _finish_chunk(items, fields, settings)
    if isinstance(chunk, RawChunk):
        st.blank = chunk.blank
    try:
        _fsync_write(part, _encode_part(recs, name))
    except OSError as exc:  # e.g. disk full: reaches the main process as a clean error
        raise _cannot_write(part, exc) from None
    return st, errors


def _warm_up(opts: Options) -> None:
    """Build the scoring tables and import the lazy modules once, before forking workers:
    they inherit them instead of each paying the start-up (~1 s) again."""
    try:
        if opts.fast:  # the fast scorer's tables
            score_texts(["The central bank said on Tuesday that it would keep interest rates unchanged."], opts)
        else:  # the engine's lazily loaded tables (it checks a sample text itself)
            warm_engine()
    except Exception:
        pass


class _Pool:
    """Bounded in-order pipeline: in-process for one worker, a process pool otherwise."""

    def __init__(self, workers: int, warm: Options | None = None):
        self.workers = workers
        self.pool = None
        if workers > 1:
            import multiprocessing as mp

            method = "fork" if sys.platform.startswith("linux") else "spawn"
            if warm is not None and method == "fork":
                _warm_up(warm)
            ctx = mp.get_context(method)
            self.pool = ctx.Pool(workers, initializer=_worker_init)

    def apply(self, fn, *args):
        if self.pool is None:
            return _Done(fn(*args))
        return self.pool.apply_async(fn, args)

    def submit(self, texts: list[Any], opts: Options):
        return self.apply(_score_chunk, (texts, opts))

    def close(self, terminate: bool = False) -> None:
        if self.pool is not None:
            if terminate:
                self.pool.terminate()
            else:
                self.pool.close()
            self.pool.join()


class _Done:
    def __init__(self, value):
        self.value = value

    def get(self):
        return self.value

    def ready(self) -> bool:
        return True


# --------------------------------------------------------------------------- progress


class Progress:
    def __init__(self, enabled: bool, total_bytes: int, stream=None):
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.total = total_bytes
        self.t0 = time.perf_counter()
        self.last = 0.0

    def update(self, stats: Stats, done_bytes: float, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self.last < 0.5:
            return
        self.last = now
        dt = max(now - self.t0, 1e-9)
        rate = stats.read / dt
        mbs = stats.bytes / dt / 1e6
        frac = done_bytes / self.total if self.total else 0.0
        eta = (dt / frac - dt) if frac > 0.001 else float("nan")
        eta_s = "--:--" if eta != eta else f"{int(eta // 60):02d}:{int(eta % 60):02d}"
        bar = ("#" * int(20 * min(frac, 1.0))).ljust(20)
        self.stream.write(f"\r[{bar}] {100 * frac:5.1f}%  {stats.read} docs  {rate:,.0f} docs/s  {mbs:.2f} MB/s  "
                          f"ETA {eta_s}  spun {stats.spun}  errors {stats.errored} ")
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def progress_default(stream=None) -> bool:
    stream = stream or sys.stderr
    if os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


# --------------------------------------------------------------------------- the run


def _chunks(shard: Shard, size: int) -> Iterator[RawChunk | list[Item]]:
    """A shard's chunks of ``size`` records: undecoded for JSONL (the workers decode them),
    lists of items for the other formats."""
    if shard.format == "jsonl":
        yield from shard.jsonl_chunks(size)
        return
    buf: list[Item] = []
    for it in shard.items():
        buf.append(it)
        if len(buf) >= size:
            yield buf
            buf = []
    if buf:
        yield buf


def _finish_chunk(items: list[Item], fields: list[dict], settings: Settings) -> tuple[list[dict], Stats, list[str]]:
    st = Stats()
    out: list[dict] = []
    errors: list[str] = []
    tf = settings.text_field
    for it, f in zip(items, fields):
        st.read += 1
        base = without_fields(it.record, tf)  # a file filtered before: its old fields go
        if it.error is not None:
            rec = {**base, "unspin_error": it.error}
        else:
            rec = {**base, **f}
            if isinstance(it.text, str):
                st.bytes += len(it.text.encode("utf-8", "surrogatepass"))
        if not settings.keep_text and tf in rec:
            del rec[tf]
        if "unspin_error" in rec:
            st.errored += 1
            st.malformed += int(it.malformed)
            ident = rec.get(settings.id_field) or rec.get("file") or ""
            errors.append(f"{ident}: {rec['unspin_error']}" if ident else rec["unspin_error"])
        elif rec.get("unspin_is_spun"):
            st.spun += 1
            if settings.drop:
                st.dropped += 1
                continue
        out.append(rec)
        st.written += 1
    return out, st, errors


def run(inputs: list[str], settings: Settings, log=None) -> Stats:
    """Score every input into ``settings.output``; returns the totals (resumed chunks included)."""
    log = log or (lambda m: print(m, file=sys.stderr, flush=True))
    outdir = settings.output
    shards = [Shard(p, settings.text_field, settings.id_field) for p in inputs]  # unrecognised input: before output
    names = _unique_names(shards, settings.output_format)
    sources = {os.path.realpath(p) for p in inputs}
    for shard, name in zip(shards, names):
        if os.path.realpath(os.path.join(outdir, name)) in sources:  # e.g. filter data/x.jsonl -o data
            raise InputError(f"{shard.path}: its output {os.path.join(outdir, name)} would replace an input; "
                             "choose another --output folder", exit_code=2)
    prepare_output(outdir)
    try:
        manifest = Manifest(outdir, settings)
    except OSError as exc:
        raise _cannot_write(os.path.join(outdir, MANIFEST), exc) from None
    try:
        with _writing(manifest.path):
            manifest.check_inputs(shards, names)
    except BaseException:
        manifest.close()
        raise
    total = Stats()
    show = progress_default() if settings.progress is None else settings.progress
    prog = Progress(show, sum(s.size or 1 for s in shards))
    reported = [0]

    def report(errors: list[str], shard: Shard) -> None:
        for e in errors:
            reported[0] += 1
            if reported[0] <= MAX_REPORTED:
                if show:
                    sys.stderr.write("\r\x1b[K")
                log(f"unspin: {shard.path}: {e}")
            elif reported[0] == MAX_REPORTED + 1:
                log("unspin: more record errors; see unspin_error in the output and the summary")

    pool = _Pool(settings.workers, warm=settings.options)
    done_bytes = 0.0
    try:
        for shard, name in zip(shards, names):
            dest = os.path.join(outdir, name)
            partdir = os.path.join(outdir, PARTS, name)
            if name in manifest.complete:
                total.add(manifest.complete[name])
                shutil.rmtree(partdir, ignore_errors=True)
                done_bytes += shard.size or 1
                continue
            with _writing(partdir):
                os.makedirs(partdir, exist_ok=True)
                for f in os.listdir(partdir):  # half-written parts of a killed run
                    if f.endswith(".tmp"):  # (a worker of the killed run died with it)
                        os.remove(os.path.join(partdir, f))
            shard_stats = Stats()
            pending: collections.deque = collections.deque()
            n_chunks = 0

            def drain(block: bool) -> None:
                while pending and (block or len(pending) >= 2 * settings.workers or pending[0][1].ready()):
                    ci, fut = pending.popleft()
                    st, errs = fut.get()  # the worker has written and fsynced the part
                    with _writing(manifest.path):
                        manifest.append({"type": "chunk", "shard": name, "chunk": ci, "stats": asdict(st)})
                    if _TEST_DELAY:
                        time.sleep(_TEST_DELAY)  # tests: make a run slow enough to be killed midway
                    report(errs, shard)
                    shard_stats.add(st)
                    total.add(st)
                    prog.update(total, done_bytes + shard.fraction() * (shard.size or 1))

            for ci, chunk in enumerate(_chunks(shard, settings.chunk_size)):
                n_chunks = ci + 1
                part = os.path.join(partdir, f"{ci:06d}.part")
                prev = manifest.chunks.get((name, ci))
                if prev is not None and os.path.exists(part):
                    shard_stats.add(prev)
                    total.add(prev)
                    continue
                pending.append((ci, pool.apply(_process_chunk, chunk, part, name, settings)))
                drain(False)
            drain(True)
            parts = [os.path.join(partdir, f"{ci:06d}.part") for ci in range(n_chunks)]
            with _writing(dest):
                if n_chunks == 0:
                    if dest.endswith(".parquet"):
                        _empty_parquet(dest)
                    else:
                        _fsync_write(dest, _encode_part([], name))
                else:
                    _join_parts(parts, dest)
            with _writing(manifest.path):
                manifest.append({"type": "complete", "shard": name, "stats": asdict(shard_stats)})
            shutil.rmtree(partdir, ignore_errors=True)
            done_bytes += shard.size or 1
        prog.update(total, done_bytes, force=True)
    except BaseException:
        pool.close(terminate=True)
        prog.finish()
        manifest.close()
        raise
    pool.close()
    prog.finish()
    manifest.close()
    try:
        os.rmdir(os.path.join(outdir, PARTS))
    except OSError:
        pass
    with _writing(os.path.join(outdir, SUMMARY)):
        with open(os.path.join(outdir, SUMMARY), "w", encoding="utf-8") as fh:
            json.dump({**asdict(total), "inputs": inputs, "outputs": names, "settings": settings.fingerprint()},
                      fh, indent=1)
    return total


def _empty_parquet(dest: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({}), dest)


def summary_line(st: Stats, seconds: float | None = None) -> str:
    """``read`` counts records (a malformed line is one; a blank line is not, and is listed
    apart when there were any)."""
    s = (f"read {st.read}, written {st.written}, dropped {st.dropped}, errored {st.errored} "
         f"(malformed lines {st.malformed}), spun {st.spun}")
    if st.blank:
        s += f"; blank lines skipped {st.blank}"
    if seconds:
        s += f"; {st.read / seconds:,.1f} docs/s, {st.bytes / seconds / 1e6:.2f} MB/s"
    return s
