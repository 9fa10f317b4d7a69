"""``unspin serve``: the report view as a local web app, plus a JSON API.

Needs the optional ``serve`` extra (``pip install 'unspin[serve]'``: FastAPI,
uvicorn, python-multipart).  :func:`create_app` builds the ASGI app;
:func:`serve` runs it with uvicorn, on loopback (127.0.0.1:8000) by default.

Routes
======

==========================  ============================================================
``GET /``                   paste text or upload a TXT/Markdown/HTML/PDF file
``POST /report``            the form's target: the HTML report page
``POST /v1/check``          ``{"text": ...}`` -> the report as JSON (``Report.to_dict()``)
``POST /v1/restore``        ``{"text": ...}`` -> ``{"restored": ..., "changes": n, ...}``
``POST /v1/report``         ``{"text": ..., "format": "html"|"md"}`` -> the report document
``POST /v1/trace``          ``{"text": ..., "k": 5}`` -> best sources in the ``--index``
                            (404 without ``--index``; 501 when the trace feature is missing)
``GET /healthz``            liveness, version, limits
``GET /openapi.json``       OpenAPI 3 description of the JSON API
==========================  ============================================================

Safety
======

- The server never fetches a URL: it only reads the text or file in the request.
- Limits (all configurable): request body size (413), document length in words
  (413) and in characters (422 on the JSON API: the schema's ``maxLength``, which
  clients and schema-driven tests check; 413 on the form), per-request checking time
  (503 with ``Retry-After``), number of checks waiting at once (503).
- Every API error is JSON: ``{"error": {"status", "code", "message", "details"}}``.
- With ``UNSPIN_API_KEY`` set (or ``create_app(api_key=...)``), every route except
  ``/healthz`` and ``/openapi.json`` needs the key, as ``X-API-Key: KEY`` or
  ``Authorization: Bearer KEY`` (or the form's key field).
- HTML pages carry a Content-Security-Policy that forbids loading anything from
  anywhere; every piece of user text is escaped.
- When bound to loopback, requests must name a loopback host (``Host`` header), which
  stops DNS-rebinding pages from using the local server.
"""
import asyncio
import concurrent.futures
import gc
import hashlib
import hmac
import ipaddress
import json
import math
import os
import socket
import sys
import threading
import time
from collections import OrderedDict
from contextlib import asynccontextmanager
from typing import Any, Literal, Optional

from fastapi import Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.exceptions import HTTPException

from . import __version__
from .inputs import InputError, read_text
from .detect import default_engine
from .report.cli import IndexUnavailable, open_index, run_check, trace_available
from .report.html import CSP, _esc, page, report_body

__all__ = ["create_app", "serve", "DEFAULTS"]

#: Default limits; every one is a :func:`create_app` argument and an ``unspin serve`` option.
DEFAULTS: dict[str, Any] = {
    "max_body": 5 * 1024 * 1024,  # bytes per request (uploads included)
    "max_words": 20_000,          # words per document (~1.5 s of checking on one core)
    "max_chars": 200_000,         # characters per document
    "timeout": 30.0,              # seconds of checking per request
    "cache": 256,                 # reports remembered per process (same text + options)
    "max_pending": 32,            # checks running or waiting at once, per process
}

API_KEY_ENV = "UNSPIN_API_KEY"
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")


# --------------------------------------------------------------------------- errors


class APIError(HTTPException):
    """An HTTP error with a machine-readable ``code``."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None,
                 details: Any = None):
        super().__init__(status_code=status, detail=message, headers=headers)
        self.code = code
        self.details = details


_DEFAULT_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                  405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type",
                  422: "invalid_request", 429: "too_many_requests", 501: "not_implemented",
                  503: "unavailable"}


def _error_body(status: int, code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"status": status, "code": code, "message": message, "details": details}}


def _error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None,
                    details: Any = None) -> JSONResponse:
    return JSONResponse(_error_body(status, code, message, details), status_code=status, headers=headers)


class ErrorInfo(BaseModel):
    status: int
    code: str = Field(description="stable machine-readable error code, e.g. 'document_too_long'")
    message: str = Field(description="one-line explanation for a person")
    details: Optional[Any] = None


class ErrorResponse(BaseModel):
    error: ErrorInfo


def _json_media_type(ctype: str) -> bool:
    """Does FastAPI read a body with this Content-Type as JSON (application/json, application/*+json,
    any parameters)? Anything else, and no Content-Type at all, reaches the endpoint as bytes."""
    mt = ctype.split(";")[0].strip().lower()
    return mt == "application/json" or (mt.startswith("application/") and mt.endswith("+json"))


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {400: "Bad request", 401: "Missing or wrong API key", 404: "Not available on this server",
            413: "Request body or document too large", 415: "Body is not JSON", 422: "Invalid request",
            501: "Feature not installed", 503: "Busy or timed out; retry later"}
    return {c: {"model": ErrorResponse, "description": text.get(c, "Error")} for c in codes}


# --------------------------------------------------------------------------- models


class FindingOut(BaseModel):
    start: int = Field(description="character offset of the span in the submitted text")
    end: int
    text: str = Field(description="the suspicious span, text[start:end]")
    suggestion: Optional[str] = Field(description="most likely original wording")
    alternatives: list[str]
    confidence: float = Field(ge=0, le=1)
    reason: str
    kind: str = Field(description="phrase | substitution | name | tortured | profile")
    applied: bool = Field(description="the suggestion was put into `restored`")


class ReportOut(BaseModel):
    score: float = Field(ge=0, le=1, description="calibrated probability that the text was machine-spun")
    threshold: float
    is_spun: bool
    words: int
    spinner: Optional[str] = None
    spinner_confidence: float = 0.0
    findings: list[FindingOut]
    restored: str
    features: dict[str, Optional[float]] = {}
    source: Optional[dict[str, Any]] = Field(
        default=None, description="likely source (doc_id, score, edits, ...) when the server has an --index")


class RestoreOut(BaseModel):
    restored: str
    changes: int = Field(description="number of substitutions reversed")
    score: float
    is_spun: bool


class MatchOut(BaseModel):
    doc_id: str
    score: float
    meta: Optional[dict[str, Any]] = None


class TraceOut(BaseModel):
    matches: list[MatchOut]
    source: Optional[dict[str, Any]] = None
    report: ReportOut


class HealthOut(BaseModel):
    status: Literal["ok"]
    version: str
    trace: Literal["enabled", "disabled", "unavailable"]
    limits: dict[str, int | float]


def _clean_text(v: str) -> str:
    # Lone surrogates (legal in JSON "\ud800" escapes) cannot be encoded in the response;
    # replace them one-for-one so every character offset stays valid.
    if any("\ud800" <= c <= "\udfff" for c in v):
        v = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in v)
    return v


def _models(max_chars: int):
    text_field = Field(min_length=1, max_length=max_chars, pattern=r"\S",
                       description=f"the document to check (plain text, at most {max_chars:,} characters)")

    class _Base(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        text: str = text_field

        _clean = field_validator("text")(lambda cls, v: _clean_text(v))

    class CheckRequest(_Base):
        threshold: Optional[float] = Field(default=None, ge=0, le=1,
                                           description="decision threshold (default: the calibrated one)")
        profile: Literal["auto", "none"] = Field(
            default="auto", description="'auto': use the built-in spinner profiles; 'none': thesaurus + LM only")

    class RestoreRequest(_Base):
        profile: Literal["auto", "none"] = "auto"

    class ReportRequest(CheckRequest):
        format: Literal["html", "md"] = "html"

    class TraceRequest(_Base):
        k: int = Field(default=5, ge=1, le=20, description="how many candidate sources to return")

        @field_validator("k", mode="before")
        @classmethod
        def _whole_float(cls, v):  # JSON Schema's integer includes 4.0
            return int(v) if isinstance(v, float) and v.is_integer() else v

    return CheckRequest, RestoreRequest, ReportRequest, TraceRequest


# --------------------------------------------------------------------------- middleware


class LimitsMiddleware:
    """Body-size limit (413 JSON), loopback Host check and security headers, as plain ASGI.

    ``busy``: when given and true at the moment a response starts, the response asks
    the client to reconnect (``Connection: close``). With several worker processes a
    keep-alive connection pins its client to one process; when ten connections opened
    at once landed seven on one worker, that worker did 80 % of the work and p99 latency
    went from ~160 to 265 ms. A worker that still has checks in flight lets its clients
    go, and the next connection lands on a process that is free to accept it.
    """

    def __init__(self, app, max_body: int, allowed_hosts: tuple[str, ...] | None = None, busy=None):
        self.app = app
        self.max_body = max_body
        self.allowed_hosts = allowed_hosts
        self.busy = busy

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict((k.lower(), v) for k, v in scope.get("headers") or [])
        if self.allowed_hosts is not None:
            host = headers.get(b"host", b"").decode("latin-1").strip().lower()
            name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
            if name not in self.allowed_hosts:
                return await _send_json(send, 400, "bad_host",
                                        "this server only answers requests addressed to a loopback host name")
        cl = headers.get(b"content-length")
        if cl is not None:
            try:
                n = int(cl)
            except ValueError:
                return await _send_json(send, 400, "bad_request", "invalid Content-Length header")
            if n > self.max_body:
                return await _send_json(send, 413, "body_too_large",
                                        f"request body is {n:,} bytes, over the {self.max_body:,}-byte limit")
        # Read the whole (bounded) body first, so an oversized stream without Content-Length
        # is refused with a clean 413 before any handler sees it; then replay it.
        chunks: list[bytes] = []
        seen = 0
        more = True
        while more:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            if msg["type"] != "http.request":
                continue
            body = msg.get("body", b"")
            seen += len(body)
            if seen > self.max_body:
                return await _send_json(send, 413, "body_too_large",
                                        f"request body is over the {self.max_body:,}-byte limit")
            chunks.append(body)
            more = msg.get("more_body", False)
        replayed = False

        async def replay_receive():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        async def send_with_headers(msg):
            if msg["type"] == "http.response.start":
                hs = list(msg.get("headers") or [])
                names = {k.lower() for k, _ in hs}
                extra = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                         (b"x-frame-options", b"DENY"), (b"cache-control", b"no-store")]
                ctype = dict((k.lower(), v) for k, v in hs).get(b"content-type", b"")
                if ctype.startswith(b"text/html"):
                    extra.append((b"content-security-policy", CSP.encode()))
                if self.busy is not None and self.busy():
                    extra.append((b"connection", b"close"))
                hs += [(k, v) for k, v in extra if k not in names]
                msg = dict(msg, headers=hs)
            await send(msg)

        await self.app(scope, replay_receive, send_with_headers)


async def _send_json(send, status: int, code: str, message: str) -> None:
    body = json.dumps(_error_body(status, code, message)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"x-content-type-options", b"nosniff"), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


# --------------------------------------------------------------------------- engine access


#: A batch of concurrent requests is checked together up to about this many characters.
BATCH_CHARS = 200_000
#: Threads that may wait for a batch; checks themselves run one batch at a time.
POOL_THREADS = 16


class _Batcher:
    """Checks requests that are waiting at the same moment in one engine call.

    The engine's language-model passes have a fixed cost per call, so ten
    concurrent 500-word requests checked together (:meth:`unspin.detect.Engine.check_many`,
    same results as one by one) finish sooner than ten calls in a row. One worker
    thread takes everything queued (up to BATCH_CHARS) whenever it is free; a
    request that arrives alone is checked alone, with no added delay. Waiting
    request threads block on their own future (no polling: they would compete
    with the worker for the interpreter lock).
    """

    def __init__(self):
        self._queue: list[tuple[str, float | None, str, concurrent.futures.Future]] = []
        self._cond = threading.Condition()
        self._run_lock = threading.Lock()  # held while a batch is taken and checked
        self._worker: threading.Thread | None = None

    def check(self, text: str, threshold: float | None, profile: str):
        fut: concurrent.futures.Future = concurrent.futures.Future()
        with self._cond:
            self._queue.append((text, threshold, profile, fut))
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._loop, name="unspin-batcher", daemon=True)
                self._worker.start()
            self._cond.notify()
        return fut.result()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
            with self._run_lock:
                with self._cond:
                    batch, size = [], 0
                    while self._queue and (not batch or size + len(self._queue[0][0]) <= BATCH_CHARS):
                        batch.append(self._queue.pop(0))
                        size += len(batch[-1][0])
                try:
                    outcomes = self._execute(batch)
                except BaseException as exc:  # never leave a request of the batch waiting
                    outcomes = [(f, None, exc) for *_, f in batch]
            # answered after the lock is released, so a caller sees the batcher idle
            for fut, report, exc in outcomes:
                if fut.done():
                    continue
                if exc is not None:
                    fut.set_exception(exc)
                else:
                    fut.set_result(report)

    @staticmethod
    def _execute(batch) -> list[tuple[concurrent.futures.Future, Any, BaseException | None]]:
        groups: dict[tuple, list] = {}
        for item in batch:
            groups.setdefault((item[1], item[2]), []).append(item)
        outcomes = []
        for (threshold, profile), items in groups.items():
            prof = None if profile == "none" else "auto"
            reports = None
            if len(items) > 1:
                try:
                    reports = default_engine().check_many([t for t, *_ in items], threshold=threshold, profile=prof)
                except Exception:  # fall back to one by one, so each request gets its own outcome
                    reports = None
                if reports is not None and len(reports) != len(items):
                    reports = None
            for k, (text, _, _, fut) in enumerate(items):
                if reports is not None:
                    outcomes.append((fut, reports[k], None))
                    continue
                try:
                    outcomes.append((fut, run_check(text, threshold=threshold, profile=prof), None))
                except Exception as exc:  # delivered to the waiting request
                    outcomes.append((fut, None, exc))
        return outcomes


class _Engine:
    """Runs checks in a bounded thread pool with a timeout and an LRU cache of reports;
    concurrent checks are batched (:class:`_Batcher`)."""

    def __init__(self, *, index_path: str | None, timeout: float, cache: int, max_pending: int, rescore=None):
        self.index_path = index_path
        self.rescore = rescore  # (report, text) -> report: the masked-LM pass, if any
        self.timeout = timeout
        self.cache_size = max(0, cache)
        self.max_pending = max_pending
        self._cache: OrderedDict[tuple, Any] = OrderedDict()
        self._inflight: dict[tuple, concurrent.futures.Future] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._pending = 0
        self._batcher = _Batcher()

    def index(self):
        if self.index_path is None:
            return None
        ix = getattr(self._local, "index", None)
        if ix is None:  # one connection per worker thread
            ix = self._local.index = open_index(self.index_path)
        return ix

    def _check_sync(self, text: str, threshold: float | None, profile: str):
        """Cached ``check``; concurrent requests for the same text share one computation."""
        key = (hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), threshold, profile)
        with self._lock:
            if self.cache_size:
                hit = self._cache.get(key)
                if hit is not None:
                    self._cache.move_to_end(key)
                    return hit
            fut = self._inflight.get(key)
            owner = fut is None
            if owner:
                fut = self._inflight[key] = concurrent.futures.Future()
        if not owner:
            return fut.result()
        try:
            if self.index_path is None:
                report = self._batcher.check(text, threshold, profile)
            else:  # with source tracing: not batched; each thread has its own index connection,
                # and the engine serialises the checks themselves
                report = run_check(text, threshold=threshold, profile=None if profile == "none" else "auto",
                                   index=self.index())
            if self.rescore is not None:
                report = self.rescore(report, text)
        except BaseException as exc:
            fut.set_exception(exc)
            with self._lock:
                self._inflight.pop(key, None)
            raise
        with self._lock:
            self._inflight.pop(key, None)
            if self.cache_size:
                self._cache[key] = report
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        fut.set_result(report)
        return report

    async def run(self, fn, *args):
        if self._pending >= self.max_pending:
            raise APIError(503, "busy", f"{self._pending} checks are already waiting; retry in a moment",
                           headers={"Retry-After": "1"})
        self._pending += 1
        try:
            if self._pool is None:  # (re)created lazily: an app can go through several lifespans
                self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=POOL_THREADS,
                                                                   thread_name_prefix="unspin-check")
            fut = self._pool.submit(fn, *args)
            try:
                return await asyncio.wait_for(asyncio.wrap_future(fut), self.timeout)
            except asyncio.TimeoutError:
                fut.cancel()
                raise APIError(503, "timeout", f"checking took longer than the {self.timeout:g} s limit; "
                               "send a shorter text", headers={"Retry-After": "5"}) from None
        finally:
            self._pending -= 1

    async def check(self, text: str, threshold: float | None = None, profile: str = "auto"):
        return await self.run(self._check_sync, text, threshold, profile)

    def shutdown(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def _finite(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {str(k): _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def _report_dict(report: Any) -> dict[str, Any]:
    d = report.to_dict()
    d.setdefault("source", getattr(report, "source", None))
    return _finite(d)


# --------------------------------------------------------------------------- app


def create_app(*, index: str | None = None, max_body: int | None = None, max_words: int | None = None,
               max_chars: int | None = None, timeout: float | None = None, api_key: str | None = None,
               cache: int | None = None, max_pending: int | None = None,
               allowed_hosts: tuple[str, ...] | list[str] | None = None, warmup: bool = True,
               mlm: str | None = None, mlm_weight: float | None = None, shed_when_busy: bool = False) -> FastAPI:
    """Build the unspin web app.

    ``index`` is a trace index path (enables ``/v1/trace`` and the source view;
    raises :class:`~unspin.report.cli.IndexUnavailable` if it cannot be opened).
    Limits default to :data:`DEFAULTS`.  ``api_key`` defaults to the
    ``UNSPIN_API_KEY`` environment variable (unset or empty: no key needed).
    ``allowed_hosts``: accepted ``Host`` names (``None``: any).  ``warmup``
    loads the models at startup so the first request is not slow. ``mlm``: a local
    BERT masked-LM folder that re-scores every report's findings (:mod:`unspin.mlm`;
    loaded here, so a folder that cannot be used fails at startup). ``shed_when_busy``:
    a response sent while other checks are in flight closes its connection (for
    several worker processes; see :class:`LimitsMiddleware`).
    """
    max_body = int(max_body or DEFAULTS["max_body"])
    max_words = int(max_words or DEFAULTS["max_words"])
    max_chars = int(max_chars or max(DEFAULTS["max_chars"], 10 * max_words))
    timeout = float(timeout or DEFAULTS["timeout"])
    cache = DEFAULTS["cache"] if cache is None else int(cache)
    max_pending = int(max_pending or DEFAULTS["max_pending"])
    if api_key is None:
        api_key = os.environ.get(API_KEY_ENV) or None

    if index is None:
        trace_state = "disabled"
    elif not trace_available():
        trace_state = "unavailable"
        index = None
    else:
        ix = open_index(index)  # fail early, clearly; workers open their own connections
        if hasattr(ix, "close"):
            ix.close()
        trace_state = "enabled"

    rescorer = None
    if mlm is not None:
        from .mlm import check_weight, load, rescore

        model, weight = load(mlm), check_weight(mlm_weight)

        def rescorer(report, text):
            # findings not reached within the request's time limit are left as the engine
            # made them (the request has been answered 503 by then anyway)
            return rescore(report, text, model, weight=weight, deadline=time.monotonic() + timeout)

    engine = _Engine(index_path=index, timeout=timeout, cache=cache, max_pending=max_pending, rescore=rescorer)
    CheckRequest, RestoreRequest, ReportRequest, TraceRequest = _models(max_chars)
    limits = {"max_body_bytes": max_body, "max_words": max_words, "max_chars": max_chars, "timeout_s": timeout}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if warmup:
            try:
                await engine.run(default_engine().warm)
            except Exception:  # pragma: no cover - a broken engine shows up on the first request instead
                pass
            # The loaded tables live as long as the server: keep them out of the cyclic
            # garbage collector's full collections, which otherwise rescan them and show
            # up as latency spikes of tens of milliseconds.
            gc.freeze()
        yield
        engine.shutdown()

    app = FastAPI(
        title="unspin", version=__version__, lifespan=lifespan,
        description="Detect and reverse article spinning. The server only reads the text you send; "
                    "it never fetches URLs.",
        docs_url=None, redoc_url=None, openapi_url="/openapi.json",
    )
    app.state.engine = engine
    app.state.limits = limits
    app.state.trace = trace_state
    app.add_middleware(LimitsMiddleware, max_body=max_body,
                       allowed_hosts=tuple(h.lower() for h in allowed_hosts) if allowed_hosts else None,
                       busy=(lambda: engine._pending > 0) if shed_when_busy else None)

    # -- errors as JSON
    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException):
        code = getattr(exc, "code", None) or _DEFAULT_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return _error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None),
                               details=getattr(exc, "details", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        details = [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", "")),
                    "type": str(e.get("type", ""))} for e in exc.errors()]
        if any(d["type"] == "json_invalid" for d in details):
            return _error_response(400, "invalid_json", "the request body is not valid JSON", details=details)
        ctype = request.headers.get("content-type", "")
        if request.url.path.startswith("/v1/") and not _json_media_type(ctype) \
                and any(d["loc"][:1] == ["body"] and d["type"] != "missing" for d in details):
            # FastAPI reads a body of another type (or with no Content-Type) as no JSON at all:
            # say what to send instead of "Input should be a valid dictionary"
            what = f"not {ctype.split(';')[0].strip()}" if ctype.strip() else "and the request has no Content-Type"
            return _error_response(415, "unsupported_media_type",
                                   f"the API takes JSON, {what}: send "
                                   "Content-Type: application/json and a body like {\"text\": \"...\"}",
                                   details=details)
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(x for x in first["loc"] if x != "body") or "body"
        return _error_response(422, "invalid_request", f"{where}: {first['msg']}", details=details)

    # -- auth
    key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description=f"needed only when the server has {API_KEY_ENV} set")

    def _key_ok(given: str | None, header: bool = False) -> bool:
        if not given:
            return False
        # HTTP header values arrive decoded as Latin-1: compare the bytes the client sent
        # (a non-ASCII key, sent as UTF-8, never matched its re-encoding)
        raw = given.encode("latin-1", "replace") if header else given.encode()
        return hmac.compare_digest(raw, api_key.encode())

    def require_key(request: Request, x_api_key: Optional[str] = Depends(key_header)) -> None:
        if not api_key:
            return
        auth = request.headers.get("authorization", "")
        bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        if not (_key_ok(x_api_key, header=True) or _key_ok(bearer, header=True)):
            raise APIError(401, "unauthorized", f"this server needs an API key: send 'X-API-Key: KEY' "
                           f"or 'Authorization: Bearer KEY' (the server's {API_KEY_ENV})",
                           headers={"WWW-Authenticate": "Bearer"})

    # The key scheme is declared (and checked) only when a key is configured, so the
    # OpenAPI spec tells clients exactly what this server needs.
    auth = [Depends(require_key)] if api_key else []

    def _limit(text: str) -> None:
        if len(text) > max_chars:
            raise APIError(413, "document_too_long",
                           f"document has {len(text):,} characters, over the {max_chars:,}-character limit")
        words = len(text.split())
        if words > max_words:
            raise APIError(413, "document_too_long",
                           f"document has {words:,} words, over the {max_words:,}-word limit; split it")
        if not text.strip():
            raise APIError(422, "empty_text", "text contains no words")

    # -- JSON API
    @app.get("/healthz", response_model=HealthOut, tags=["meta"], summary="Liveness and limits")
    async def healthz():
        return {"status": "ok", "version": __version__, "trace": trace_state, "limits": limits}

    # load balancers and uptime monitors often probe with HEAD (left out of the schema:
    # same answer as GET without a body)
    app.add_api_route("/healthz", healthz, methods=["HEAD"], include_in_schema=False)

    @app.post("/v1/check", response_model=ReportOut, tags=["api"], dependencies=auth,
              summary="Score a text for spinning; findings with likely originals; restored text",
              responses=_errors(400, 401, 413, 415, 422, 503))
    async def v1_check(req: CheckRequest):
        _limit(req.text)
        report = await engine.check(req.text, req.threshold, req.profile)
        return JSONResponse(_report_dict(report))

    @app.post("/v1/restore", response_model=RestoreOut, tags=["api"], dependencies=auth,
              summary="The text with suspected substitutions reversed",
              responses=_errors(400, 401, 413, 415, 422, 503))
    async def v1_restore(req: RestoreRequest):
        _limit(req.text)
        report = await engine.check(req.text, None, req.profile)
        return {"restored": report.restored, "score": _finite(report.score), "is_spun": report.is_spun,
                "changes": sum(1 for f in report.findings if f.applied and f.suggestion is not None)}

    @app.post("/v1/report", tags=["api"], dependencies=auth,
              summary="The report as a self-contained HTML page or as Markdown",
              responses={200: {"content": {"text/html": {"schema": {"type": "string"}},
                                           "text/markdown": {"schema": {"type": "string"}}},
                               "description": "the report document"},
                         **_errors(400, 401, 413, 415, 422, 503)})
    async def v1_report(req: ReportRequest):
        _limit(req.text)
        report = await engine.check(req.text, req.threshold, req.profile)
        if req.format == "md":
            from .report.markdown import render_markdown

            return Response(render_markdown(report, req.text), media_type="text/markdown; charset=utf-8")
        from .report.html import render_html

        return HTMLResponse(render_html(report, req.text))

    @app.post("/v1/trace", response_model=TraceOut, tags=["api"], dependencies=auth,
              summary="Find the likely source of a text in the server's --index",
              responses=_errors(400, 401, 404, 413, 415, 422, 501, 503))
    async def v1_trace(req: TraceRequest):
        if trace_state == "disabled":
            raise APIError(404, "no_index", "this server has no reference index; "
                           "start it with 'unspin serve --index PATH' to trace sources")
        if trace_state == "unavailable":
            raise APIError(501, "trace_unavailable",
                           "this unspin installation has no trace feature (unspin.trace); upgrade unspin")
        _limit(req.text)

        def work():
            matches = engine.index().search(req.text, k=req.k)
            return matches, engine._check_sync(req.text, None, "auto")

        matches, report = await engine.run(work)
        out = []
        for m in matches:
            d = m.to_dict() if hasattr(m, "to_dict") else {"doc_id": m.doc_id, "score": m.score}
            out.append({"doc_id": str(d.get("doc_id")), "score": _finite(float(d.get("score", 0.0))),
                        "meta": d.get("meta") if isinstance(d.get("meta"), dict) else None})
        rd = _report_dict(report)
        return JSONResponse(_finite({"matches": out, "source": rd.get("source"), "report": rd}))

    # -- HTML app
    need_key = bool(api_key)

    def form_html(text: str = "", error: str | None = None, compact: bool = False) -> str:
        key_row = ('<label for="api_key">API key</label> <input type="password" id="api_key" name="api_key" '
                   'autocomplete="off" required>') if need_key else ""
        err = f'<div class="error" role="alert">{_esc(error)}</div>' if error else ""
        intro = "" if compact else (
            "<h1>Check a text for spinning</h1><p class=\"muted\">Paste an article or upload a TXT, Markdown, "
            f"HTML or PDF file (up to {max_words:,} words). Nothing leaves this computer.</p>")
        return (f'{intro}{err}<form class="form" method="post" action="/report" enctype="multipart/form-data">'
                '<label for="text">Text</label>'
                f'<textarea id="text" name="text" spellcheck="false" placeholder="Paste the text here">{_esc(text)}'
                '</textarea><div class="row"><span><label for="file">or upload a file</label> '
                '<input type="file" id="file" name="file" accept=".txt,.text,.md,.markdown,.html,.htm,.pdf,'
                'text/plain,text/html,text/markdown,application/pdf"></span>'
                '<span><label for="profile">Spinner profiles</label> <select id="profile" name="profile">'
                '<option value="auto">use built-in profiles</option>'
                '<option value="none">thesaurus and language model only</option></select></span>'
                f'{key_row}<button type="submit" id="submit">Check text</button></div></form>')

    nav = '<a href="/">unspin</a>'

    def html_page(body: str, status: int = 200, title: str = "unspin") -> HTMLResponse:
        return HTMLResponse(page(title, body, nav=nav, meta="local, offline checker"), status_code=status)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index_page():
        return html_page(form_html())

    @app.post("/report", response_class=HTMLResponse, include_in_schema=False)
    async def report_page(text: str = Form(default=""), profile: str = Form(default="auto"),
                          api_key_field: str = Form(default="", alias="api_key"),
                          file: Optional[UploadFile] = File(default=None)):
        if need_key and not _key_ok(api_key_field):
            return html_page(form_html(text, "Wrong or missing API key."), 401)
        name = None
        try:
            if file is not None and file.filename:
                data = await file.read()
                name = os.path.basename(file.filename)
                doc = await engine.run(lambda: read_text(data, name=name, max_bytes=max_body))
                text = doc.text
            text = _clean_text(text.replace("\r\n", "\n"))
            if not text.strip():
                return html_page(form_html(text, "Paste some text or choose a file first."), 422)
            _limit(text)
            report = await engine.check(text, None, "none" if profile == "none" else "auto")
        except InputError as exc:
            return html_page(form_html("", str(exc)), 422)
        except APIError as exc:
            return html_page(form_html(text if len(text) < 1_000_000 else "", exc.detail), exc.status_code)
        body = report_body(report, text, source_name=name)
        again = ('<nav class="noprint" style="margin-top:14px"><a href="/">&larr; Check another text</a></nav>')
        return html_page(again + body, title=f"unspin report{': ' + name if name else ''}")

    return app


def app_from_env() -> FastAPI:
    """App factory for ``uvicorn --factory`` (multi-worker ``unspin serve``): options from the environment."""
    cfg = json.loads(os.environ.get("UNSPIN_SERVE_CONFIG") or "{}")
    return create_app(**cfg)


# --------------------------------------------------------------------------- serve


def _is_loopback(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


#: Most worker processes ``unspin serve`` starts by default. Checking is CPU-bound and
#: the GIL keeps one process on one core; two processes keep p99 latency under 200 ms
#: for ten concurrent 500-word requests on a 2-core machine (docs/benchmarks.md), one
#: does not. Each process holds ~200 MB of its own besides the shared memory-mapped
#: tables, so more are opt-in (``--workers``).
DEFAULT_MAX_WORKERS = 2


def default_workers() -> int:
    """Worker processes when ``--workers`` is not given: the usable cores, at most
    :data:`DEFAULT_MAX_WORKERS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, DEFAULT_MAX_WORKERS))


def serve(*, host: str = "127.0.0.1", port: int = 8000, index: str | None = None, max_body: int | None = None,
          max_words: int | None = None, timeout: float | None = None, workers: int | None = None,
          cache: int | None = None, log_level: str = "info", mlm: str | None = None,
          mlm_weight: float | None = None) -> int:
    """Run the app with uvicorn until interrupted; returns an exit status (see ``unspin serve --help``).
    ``workers=None`` means :func:`default_workers`."""
    import uvicorn

    if workers is None:
        workers = default_workers()

    def err(msg: str) -> None:
        sys.stderr.write(f"unspin: error: {msg}\n")

    if index is not None:
        if not trace_available():
            sys.stderr.write("unspin: warning: --index given but this installation has no trace feature; "
                             "/v1/trace will answer 501\n")
        else:
            try:
                ix = open_index(index)
                if hasattr(ix, "close"):
                    ix.close()
            except IndexUnavailable as exc:
                err(str(exc))
                return 3
    if mlm is not None:  # fail before listening, clearly (each worker loads its own copy; this one is dropped)
        from .mlm import MaskedLM, MLMError

        try:
            MaskedLM.load(mlm)
        except MLMError as exc:
            err(f"--mlm: {exc}")
            return 3 if os.path.isdir(mlm) else 4
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:  # a clear message instead of uvicorn's traceback-ish log when the port is taken
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host.strip("[]"), port))
    except OSError as exc:
        err(f"cannot listen on {host}:{port} ({exc.strerror or exc}); choose another --port")
        return 2
    loopback = _is_loopback(host)
    if not loopback:
        sys.stderr.write(f"unspin: warning: listening on {host}, reachable from other machines"
                         f"{'' if os.environ.get(API_KEY_ENV) else f'; set {API_KEY_ENV} to require a key'}\n")
    allowed = (list(_LOOPBACK_NAMES) + [host.lower()]) if loopback else None
    cfg = {"index": index, "max_body": max_body, "max_words": max_words, "timeout": timeout, "cache": cache,
           "allowed_hosts": allowed, "mlm": mlm, "mlm_weight": mlm_weight, "shed_when_busy": workers > 1}
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    sys.stderr.write(f"unspin: serving on http://{shown}:{port}/ (API: /v1/check, spec: /openapi.json); "
                     "Ctrl-C stops\n")
    common = dict(host=host.strip("[]"), port=port, log_level=log_level, timeout_keep_alive=5,
                  server_header=False, proxy_headers=False)
    if workers > 1:
        os.environ["UNSPIN_SERVE_CONFIG"] = json.dumps(cfg)
        uvicorn.run("unspin.server:app_from_env", factory=True, workers=workers, **common)
    else:
        uvicorn.run(create_app(**cfg), **common)
    return 0
