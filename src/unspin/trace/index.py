"""An embedded reference index: one SQLite file (WAL mode), no server.

Layout (format ``unspin-trace-index`` version 1):

``meta(key, value)``                   format marker, version, feature parameters
``docs(id, doc_id, digest, meta, words, text)``   text zlib-compressed; ``id`` never reused
``terms(term, df)``                     document frequency of each hashed feature
``post(term, seq, docs)``               postings: int32 internal ids, one blob per (term, flush)

Writes happen in transactions of at most ``batch`` documents: a crash or an
exception inside :meth:`Index.add_many` rolls back the unfinished batch and
leaves every committed one intact. Adding a ``doc_id`` again with the same text
is a no-op; with different text it replaces the old version (its postings are
discounted and filtered out at query time). One writer and many readers may use
the file at once (SQLite WAL).

Search: hashed spin-robust features (:mod:`unspin.trace.features`) of the query
are looked up, the rarest ones (by document frequency) vote for documents with
IDF weights, and the best candidates are re-ranked by word alignment: the score
of a :class:`Match` is the share of the query's words that appear, in order and
in runs of two or more, in the candidate (0..1).
"""
from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import sqlite3
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..inputs import EXIT_NOT_FOUND, EXIT_UNREADABLE, InputError
from . import features as F

FORMAT = "unspin-trace-index"
VERSION = "1"
#: Largest document accepted (characters).
MAX_DOC_CHARS = 1_000_000
#: Query features looked up at most (rarest first).
MAX_QUERY_TERMS = 400
#: Candidates re-ranked by alignment.
RERANK = 20
_SQL_VARS = 900
_HEADER = b"SQLite format 3\x00"
_SCHEMA = (
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE docs(id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL UNIQUE, "
    "digest BLOB NOT NULL, meta TEXT, words INTEGER NOT NULL, text BLOB NOT NULL)",
    "CREATE TABLE terms(term INTEGER PRIMARY KEY, df INTEGER NOT NULL)",
    "CREATE TABLE post(term INTEGER NOT NULL, seq INTEGER NOT NULL, docs BLOB NOT NULL, "
    "PRIMARY KEY(term, seq)) WITHOUT ROWID",
)


class IndexFileError(InputError):
    """The index file is missing, corrupt, or not an unspin index."""


@dataclass(frozen=True)
class Match:
    """A search hit: ``score`` (0..1) is the share of query words found in order in the document."""

    doc_id: str
    score: float
    votes: float = 0.0  # first-stage feature score (IDF-weighted shared features)
    meta: dict | None = field(default=None, compare=False)

    def to_dict(self) -> dict:
        return {"doc_id": self.doc_id, "score": self.score, "votes": self.votes, "meta": self.meta}


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class Index:
    """A reference collection to trace spun copies back to. Use :meth:`open` / :meth:`create`."""

    def __init__(self, conn: sqlite3.Connection, path: str, readonly: bool = False):
        self._conn = conn
        self.path = path
        self.readonly = readonly
        self._pending: list[tuple[int, np.ndarray]] = []

    # ------------------------------------------------------------------ opening

    @classmethod
    def create(cls, path: "str | os.PathLike", exist_ok: bool = False) -> "Index":
        """Create a new index file (``exist_ok``: open it if it already is an unspin index)."""
        p = Path(path)
        if p.exists() and p.stat().st_size > 0:
            if exist_ok:
                return cls.open(p)
            raise IndexFileError(f"{p}: already exists (use Index.open to add to it)", EXIT_UNREADABLE)
        if p.is_dir():
            raise IndexFileError(f"{p}: is a directory", EXIT_UNREADABLE)
        try:
            conn = sqlite3.connect(str(p), isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise IndexFileError(f"{p}: cannot create index: {exc}", EXIT_UNREADABLE) from None
        cls._pragmas(conn)
        with _tx(conn):
            for stmt in _SCHEMA:
                conn.execute(stmt)
            conn.executemany("INSERT INTO meta VALUES(?, ?)", [
                ("format", FORMAT), ("version", VERSION), ("features", json.dumps(F.SAMPLE, sort_keys=True)),
                ("seq", "0")])
        return cls(conn, str(p))

    @classmethod
    def open(cls, path: "str | os.PathLike", readonly: bool = False) -> "Index":
        """Open an existing index; clear :class:`IndexFileError` if missing, corrupt or foreign."""
        p = Path(path)
        if not p.exists():
            raise IndexFileError(f"{p}: no such index file (create one with 'unspin index add {p} FILES')",
                                 EXIT_NOT_FOUND)
        if p.is_dir():
            raise IndexFileError(f"{p}: is a directory, not an index file", EXIT_UNREADABLE)
        try:
            with open(p, "rb") as fh:
                head = fh.read(16)
        except OSError as exc:
            raise IndexFileError(f"{p}: cannot read: {exc.strerror}", EXIT_UNREADABLE) from None
        if head != _HEADER:
            raise IndexFileError(f"{p}: not an unspin index (not a SQLite database)", EXIT_UNREADABLE)
        try:
            uri = f"file:{p.resolve()}?mode={'ro' if readonly else 'rw'}"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            cls._pragmas(conn, readonly)
            rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            msg = str(exc)
            if "no such table" in msg:
                raise IndexFileError(f"{p}: a SQLite database but not an unspin index", EXIT_UNREADABLE) from None
            raise IndexFileError(f"{p}: corrupt or unreadable index ({msg})", EXIT_UNREADABLE) from None
        if rows.get("format") != FORMAT:
            raise IndexFileError(f"{p}: a SQLite database but not an unspin index", EXIT_UNREADABLE)
        if rows.get("version") != VERSION:
            raise IndexFileError(f"{p}: unspin index version {rows.get('version')}, this unspin reads {VERSION}",
                                 EXIT_UNREADABLE)
        if rows.get("features") != json.dumps(F.SAMPLE, sort_keys=True):
            raise IndexFileError(f"{p}: built with other feature settings; rebuild it", EXIT_UNREADABLE)
        try:
            conn.execute("SELECT count(*) FROM docs").fetchone()
        except sqlite3.DatabaseError as exc:
            raise IndexFileError(f"{p}: corrupt index ({exc})", EXIT_UNREADABLE) from None
        return cls(conn, str(p), readonly)

    @staticmethod
    def _pragmas(conn: sqlite3.Connection, readonly: bool = False) -> None:
        conn.execute("PRAGMA busy_timeout = 10000")
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA cache_size = -65536")

    def close(self) -> None:
        """Close; a writer first folds the write-ahead log back into the main file."""
        if not self.readonly:
            try:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass  # readers still active: SQLite checkpoints later
        self._conn.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __len__(self) -> int:
        return self._conn.execute("SELECT count(*) FROM docs").fetchone()[0]

    def __contains__(self, doc_id: str) -> bool:
        return self._conn.execute("SELECT 1 FROM docs WHERE doc_id = ?", (doc_id,)).fetchone() is not None

    # ------------------------------------------------------------------ writing

    def add(self, doc_id: str, text: str, meta: dict | None = None) -> bool:
        """Add one document; ``False`` if the same ``doc_id`` with the same text is already there."""
        return self.add_many([(doc_id, text, meta)]) == 1

    def add_many(self, records: Iterable, batch: int = 20000) -> int:
        """Add ``(doc_id, text[, meta])`` tuples or ``{"id", "text", "meta"}`` dicts; returns how many were new
        or changed. Each batch of ``batch`` records is one transaction."""
        if self.readonly:
            raise IndexFileError(f"{self.path}: opened read-only", EXIT_UNREADABLE)
        added = 0
        it = iter(records)
        while True:
            n, seen = self._add_batch(it, batch)
            added += n
            if seen < batch:
                return added

    def _add_batch(self, it, batch: int) -> tuple[int, int]:
        conn = self._conn
        added = seen = 0
        postings: list[tuple[int, np.ndarray]] = []
        dfdelta: dict[int, int] = {}
        with _tx(conn):
            for rec in itertools.islice(it, batch):
                seen += 1
                doc_id, text, meta = _record(rec)
                dg = _digest(text)
                old = conn.execute("SELECT id, digest, text FROM docs WHERE doc_id = ?", (doc_id,)).fetchone()
                if old is not None:
                    if old[1] == dg:
                        continue
                    for t in F.all_features(zlib.decompress(old[2]).decode("utf-8", "surrogatepass")).tolist():
                        dfdelta[t] = dfdelta.get(t, 0) - 1
                    conn.execute("DELETE FROM docs WHERE id = ?", (old[0],))
                feats = F.all_features(text)
                cur = conn.execute(
                    "INSERT INTO docs(doc_id, digest, meta, words, text) VALUES(?, ?, ?, ?, ?)",
                    (doc_id, dg, json.dumps(meta, ensure_ascii=False) if meta is not None else None,
                     len(F.WORD_RE.findall(text)), zlib.compress(text.encode("utf-8", "surrogatepass"), 6)))
                if len(feats):  # a text with nothing to index ("hello", "!!!") has no postings
                    postings.append((cur.lastrowid, feats))
                added += 1
            if postings:
                self._flush(postings, dfdelta)
            elif dfdelta:
                self._update_df(dfdelta)
        return added, seen

    def _flush(self, postings: list[tuple[int, np.ndarray]], dfdelta: dict[int, int]) -> None:
        conn = self._conn
        seq = int(conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0]) + 1
        conn.execute("UPDATE meta SET value = ? WHERE key = 'seq'", (str(seq),))
        terms = np.concatenate([f for _, f in postings])
        docs = np.concatenate([np.full(len(f), i, dtype=np.int32) for i, f in postings])
        order = np.lexsort((docs, terms))
        terms, docs = terms[order], docs[order]
        cut = np.flatnonzero(np.diff(terms)) + 1
        starts = np.concatenate([[0], cut])
        ends = np.concatenate([cut, [len(terms)]])
        uterms = terms[starts].tolist()
        conn.executemany("INSERT INTO post(term, seq, docs) VALUES(?, ?, ?)",
                         ((t, seq, docs[a:b].tobytes()) for t, a, b in zip(uterms, starts.tolist(), ends.tolist())))
        counts = (ends - starts).tolist()
        for t, c in zip(uterms, counts):
            dfdelta[t] = dfdelta.get(t, 0) + c
        self._update_df(dfdelta)

    def _update_df(self, dfdelta: dict[int, int]) -> None:
        self._conn.executemany(
            "INSERT INTO terms(term, df) VALUES(?, ?) ON CONFLICT(term) DO UPDATE SET df = df + excluded.df",
            ((t, d) for t, d in dfdelta.items() if d))

    def remove(self, doc_id: str) -> bool:
        """Remove a document (its postings are discounted and ignored from now on)."""
        with _tx(self._conn):
            old = self._conn.execute("SELECT id, text FROM docs WHERE doc_id = ?", (doc_id,)).fetchone()
            if old is None:
                return False
            feats = F.all_features(zlib.decompress(old[1]).decode("utf-8", "surrogatepass")).tolist()
            self._update_df({t: -1 for t in feats})
            self._conn.execute("DELETE FROM docs WHERE id = ?", (old[0],))
        return True

    # ------------------------------------------------------------------ reading

    def get(self, doc_id: str) -> str | None:
        row = self._conn.execute("SELECT text FROM docs WHERE doc_id = ?", (doc_id,)).fetchone()
        return None if row is None else zlib.decompress(row[0]).decode("utf-8", "surrogatepass")

    def meta(self, doc_id: str) -> dict | None:
        row = self._conn.execute("SELECT meta FROM docs WHERE doc_id = ?", (doc_id,)).fetchone()
        return None if row is None or row[0] is None else json.loads(row[0])

    def doc_ids(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT doc_id FROM docs ORDER BY id")]

    def stats(self) -> dict[str, Any]:
        c = self._conn
        return {"path": self.path, "documents": len(self),
                "words": c.execute("SELECT coalesce(sum(words), 0) FROM docs").fetchone()[0],
                "terms": c.execute("SELECT count(*) FROM terms").fetchone()[0],
                "posting_rows": c.execute("SELECT count(*) FROM post").fetchone()[0],
                "bytes": _file_bytes(self.path)}

    def candidates(self, text: str, n: int = RERANK) -> list[tuple[int, float]]:
        """First stage: ``(internal id, votes)`` of the ``n`` documents sharing the most rare features."""
        feats = F.all_features(text)
        if not len(feats):
            return []
        c = self._conn
        ndocs = max(1, c.execute("SELECT coalesce(max(id), 1) FROM docs").fetchone()[0])
        dfs: list[tuple[int, int]] = []
        fl = feats.tolist()
        for a in range(0, len(fl), _SQL_VARS):
            part = fl[a:a + _SQL_VARS]
            dfs += c.execute(f"SELECT term, df FROM terms WHERE term IN ({','.join('?' * len(part))}) AND df > 0",
                             part).fetchall()
        if not dfs:
            return []
        dfs.sort(key=lambda x: x[1])
        dfs = dfs[:MAX_QUERY_TERMS]
        weight = {t: math.log(1.0 + ndocs / df) for t, df in dfs}
        ids_parts, w_parts = [], []
        tl = list(weight)
        for a in range(0, len(tl), _SQL_VARS):
            part = tl[a:a + _SQL_VARS]
            for term, blob in c.execute(f"SELECT term, docs FROM post WHERE term IN ({','.join('?' * len(part))})",
                                        part):
                arr = np.frombuffer(blob, dtype=np.int32)
                ids_parts.append(arr)
                w_parts.append(np.full(len(arr), weight[term], dtype=np.float32))
        if not ids_parts:
            return []
        ids = np.concatenate(ids_parts)
        ws = np.concatenate(w_parts)
        uniq, inv = np.unique(ids, return_inverse=True)
        votes = np.bincount(inv, weights=ws)
        take = min(len(uniq), n * 2)  # some may be deleted documents
        top = np.argpartition(-votes, take - 1)[:take] if take < len(uniq) else np.arange(len(uniq))
        top = top[np.argsort(-votes[top])]
        return [(int(uniq[i]), float(votes[i])) for i in top]

    def search(self, text: str, k: int = 5, rerank: int = RERANK) -> list[Match]:
        """The ``k`` documents ``text`` most likely copies from, best first."""
        from .search import similarity

        cands = self.candidates(text, rerank)
        if not cands:
            return []
        votes = dict(cands)
        ids = [i for i, _ in cands]
        rows = self._conn.execute(
            f"SELECT id, doc_id, meta, text FROM docs WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall()
        rows.sort(key=lambda r: -votes[r[0]])
        rows = rows[:rerank]
        qwords = F.WORD_RE.findall(text)
        out = []
        for rid, doc_id, meta, blob in rows:
            src = zlib.decompress(blob).decode("utf-8", "surrogatepass")
            out.append(Match(doc_id, similarity(qwords, src), votes[rid], json.loads(meta) if meta else None))
        out.sort(key=lambda m: (-m.score, -m.votes))
        return out[:k]


def _record(rec) -> tuple[str, str, dict | None]:
    if isinstance(rec, dict):
        doc_id, text, meta = rec.get("id", rec.get("doc_id")), rec.get("text"), rec.get("meta")
    else:
        rec = tuple(rec)
        if len(rec) not in (2, 3):
            raise ValueError(f"a record is (doc_id, text) or (doc_id, text, meta), not {len(rec)} items")
        doc_id, text, meta = (rec + (None,))[:3]
    if doc_id is None or not isinstance(text, str):
        raise ValueError("each record needs a doc_id and a text string")
    if len(text) > MAX_DOC_CHARS:
        raise ValueError(f"document {doc_id!r} is longer than {MAX_DOC_CHARS:,} characters")
    return str(doc_id), text, meta


class _tx:
    """BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any exception (autocommit connection)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, et, ev, tb):
        if et is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")
        return False


def _file_bytes(path: str) -> int:
    return sum(os.path.getsize(path + s) for s in ("", "-wal", "-shm") if os.path.exists(path + s))
