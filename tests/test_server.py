"""unspin.server: the JSON API, the HTML app, limits, errors, and schemathesis against the OpenAPI spec."""
from __future__ import annotations

import json
import time

import pytest

pytest.importorskip("fastapi", reason="the 'serve' extra (fastapi) is not installed")
pytest.importorskip("httpx", reason="httpx (test extra) is not installed")

import warnings  # noqa: E402

with warnings.catch_warnings():  # starlette's note that it prefers httpx2 over httpx
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

import unspin  # noqa: E402
from unspin import server  # noqa: E402
from unspin.report import Report  # noqa: E402
from unspin.server import create_app  # noqa: E402

SPUN = ("A regional financial institution based mostly in Ohio moved thousands and thousands of dollars in "
        "shopper cash by means of shell firms in Cyprus, in accordance with courtroom filings made public in "
        "the present day. The financial institution mentioned in a press release that it had cooperated.")


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(warmup=True)) as c:
        yield c


def err(resp, status: int, code: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()["error"]
    assert body["status"] == status and body["message"]
    if code:
        assert body["code"] == code
    return body


# --------------------------------------------------------------------------- JSON API


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["version"] == unspin.__version__ and body["trace"] == "disabled"
    assert body["limits"]["max_words"] == server.DEFAULTS["max_words"]
    assert r.headers["x-content-type-options"] == "nosniff"
    head = client.head("/healthz")  # what load balancers probe with
    assert head.status_code == 200 and head.content == b""


def test_check_matches_the_library(client):
    r = client.post("/v1/check", json={"text": SPUN})
    assert r.status_code == 200
    body = r.json()
    expected = unspin.check(SPUN).to_dict()
    for key in ("score", "threshold", "is_spun", "words", "restored", "spinner"):
        assert body[key] == expected[key], key
    assert [f["text"] for f in body["findings"]] == [f["text"] for f in expected["findings"]]
    assert body["is_spun"] and body["findings"]
    f = body["findings"][0]
    assert SPUN[f["start"]:f["end"]] == f["text"]
    assert "source" in body and body["source"] is None


def test_check_options(client):
    r = client.post("/v1/check", json={"text": SPUN, "threshold": 1.0, "profile": "none"})
    assert r.status_code == 200 and r.json()["threshold"] == 1.0 and r.json()["is_spun"] is False
    assert r.json() == client.post("/v1/check", json={"text": SPUN, "threshold": 1.0, "profile": "none"}).json()


def test_restore(client):
    r = client.post("/v1/restore", json={"text": SPUN})
    assert r.status_code == 200
    body = r.json()
    assert body["restored"] == unspin.restore(SPUN)
    assert body["changes"] > 0 and body["is_spun"] is True


def test_report_formats(client):
    r = client.post("/v1/report", json={"text": SPUN})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert 'class="f c-' in r.text
    r = client.post("/v1/report", json={"text": SPUN, "format": "md"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/markdown")
    assert "## Restored text" in r.text


@pytest.mark.parametrize("payload,where", [
    ({}, "text"),
    ({"text": ""}, "text"),
    ({"text": "   \n "}, "text"),
    ({"text": 5}, "text"),
    ({"text": "hello", "threshold": 2}, "threshold"),
    ({"text": "hello", "profile": "bogus"}, "profile"),
    ({"text": "hello", "surprise": 1}, "surprise"),
])
def test_invalid_requests_are_422_json(client, payload, where):
    body = err(client.post("/v1/check", json=payload), 422, "invalid_request")
    assert where in body["message"]


def test_malformed_json_is_400(client):
    err(client.post("/v1/check", content=b"{not json", headers={"content-type": "application/json"}),
        400, "invalid_json")


@pytest.mark.parametrize("path", ["/v1/check", "/v1/restore"])
def test_a_body_that_is_not_json_is_415_and_says_what_to_send(client, path):
    body = err(client.post(path, content="The regulator mentioned the yr.", headers={"content-type": "text/plain"}),
               415, "unsupported_media_type")
    assert "application/json" in body["message"] and "text/plain" in body["message"]
    # a form post to the API is the same mistake
    err(client.post(path, data={"text": "hello"}), 415, "unsupported_media_type")


@pytest.mark.parametrize("ctype", [None, "text/json", "application/x-json"])
def test_a_json_body_fastapi_does_not_read_as_json_is_415(client, ctype):
    """FastAPI reads a body as JSON only for application/json or application/*+json: with no
    Content-Type (a raw HTTP client) or text/json the body arrived as bytes and the answer was
    422 'Input should be a valid dictionary', which the 415 was made to replace."""
    headers = {} if ctype is None else {"content-type": ctype}
    body = err(client.post("/v1/check", content=json.dumps({"text": "The regulator mentioned the yr."}),
                           headers=headers), 415, "unsupported_media_type")
    assert "application/json" in body["message"]


@pytest.mark.parametrize("ctype", ["application/json; charset=utf-8", "application/vnd.api+json", "Application/JSON"])
def test_json_content_types_with_parameters_or_suffixes_are_read(client, ctype):
    r = client.post("/v1/check", content=json.dumps({"text": "The regulator mentioned the yr."}),
                    headers={"content-type": ctype})
    assert r.status_code == 200, r.text
    err(client.post("/v1/check", content=json.dumps({"txt": "x"}), headers={"content-type": ctype}),
        422, "invalid_request")


def test_unknown_route_and_method(client):
    err(client.get("/v1/nope"), 404)
    err(client.get("/v1/check"), 405)


def test_lone_surrogates_are_a_clear_client_error(client):
    r = client.post("/v1/check", content=b'{"text": "The firm mentioned \\ud800 a plan."}',
                    headers={"content-type": "application/json"})
    err(r, 422, "invalid_request")


def test_trace_without_index_is_404(client):
    body = err(client.post("/v1/trace", json={"text": SPUN}), 404, "no_index")
    assert "--index" in body["message"]


def test_trace_without_the_trace_feature_is_501(monkeypatch, tmp_path):
    monkeypatch.setattr(server, "trace_available", lambda: False)
    app = create_app(index=str(tmp_path / "refs.db"), warmup=False)
    with TestClient(app) as c:
        assert c.get("/healthz").json()["trace"] == "unavailable"
        err(c.post("/v1/trace", json={"text": SPUN}), 501, "trace_unavailable")


def test_bad_index_fails_at_startup(tmp_path):
    if not server.trace_available():
        pytest.skip("trace feature not installed")
    with pytest.raises(server.IndexUnavailable):
        create_app(index=str(tmp_path / "missing.db"), warmup=False)


def test_trace_with_an_index(tmp_path):
    if not server.trace_available():
        pytest.skip("trace feature (unspin.trace) not installed")
    from unspin.trace import Index

    original = SPUN.replace("financial institution", "bank").replace("mentioned", "said")
    ix = Index.create(str(tmp_path / "refs.db"))
    ix.add("story-1", original)
    ix.add("other", "A recipe for bread: flour, water, salt and yeast, kneaded and baked for an hour.")
    ix.close()
    with TestClient(create_app(index=str(tmp_path / "refs.db"), warmup=False)) as c:
        assert c.get("/healthz").json()["trace"] == "enabled"
        r = c.post("/v1/trace", json={"text": SPUN, "k": 2})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["matches"] and body["matches"][0]["doc_id"] == "story-1"
        assert body["report"]["score"] >= 0
        page = c.post("/report", data={"text": SPUN})
        assert page.status_code == 200
        if body["source"]:
            assert 'id="source"' in page.text and "story-1" in page.text


# --------------------------------------------------------------------------- limits


def test_body_size_limit():
    with TestClient(create_app(max_body=2000, warmup=False)) as c:
        err(c.post("/v1/check", json={"text": "word " * 1000}), 413, "body_too_large")

        def chunks():  # no Content-Length: the limit is enforced while streaming
            for _ in range(10):
                yield b"x" * 500

        err(c.post("/v1/check", content=chunks(), headers={"content-type": "application/json"}),
            413, "body_too_large")
        assert c.post("/v1/check", json={"text": "The cat sat."}).status_code == 200


def test_document_length_limits():
    with TestClient(create_app(max_words=20, max_chars=400, warmup=False)) as c:
        body = err(c.post("/v1/check", json={"text": "word " * 30}), 413, "document_too_long")
        assert "20-word limit" in body["message"]
        err(c.post("/v1/check", json={"text": "x" * 500}), 422)  # over max_chars: schema maxLength
        assert c.post("/v1/check", json={"text": "word " * 19}).status_code == 200
        page = c.post("/report", data={"text": "word " * 30})
        assert page.status_code == 413 and "20-word limit" in page.text


def test_timeout_is_503_json(monkeypatch):
    def slow(text, **kw):
        time.sleep(0.5)
        return Report(0.1, 0.5, [], text, 1)

    monkeypatch.setattr(server, "run_check", slow)
    with TestClient(create_app(timeout=0.05, warmup=False, cache=0)) as c:
        r = c.post("/v1/check", json={"text": "slow text"})
        body = err(r, 503, "timeout")
        assert "limit" in body["message"] and r.headers["retry-after"]


def test_engine_error_is_a_plain_500_without_leaking(monkeypatch):
    def broken(text, **kw):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(server, "run_check", broken)
    with TestClient(create_app(warmup=False, cache=0), raise_server_exceptions=False) as c:
        r = c.post("/v1/check", json={"text": "boom"})
        assert r.status_code == 500 and "secret internals" not in r.text


def test_api_key(monkeypatch):
    monkeypatch.setenv("UNSPIN_API_KEY", "s3cret")
    with TestClient(create_app(warmup=False)) as c:
        assert c.get("/healthz").status_code == 200
        err(c.post("/v1/check", json={"text": "The cat sat."}), 401, "unauthorized")
        err(c.post("/v1/check", json={"text": "The cat sat."}, headers={"X-API-Key": "wrong"}), 401)
        assert c.post("/v1/check", json={"text": "The cat sat."}, headers={"X-API-Key": "s3cret"}).status_code == 200
        assert c.post("/v1/restore", json={"text": "The cat sat."},
                      headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert 'name="api_key"' in c.get("/").text
        assert c.post("/report", data={"text": SPUN}).status_code == 401
        assert c.post("/report", data={"text": SPUN, "api_key": "s3cret"}).status_code == 200


def test_loopback_host_check():
    with TestClient(create_app(warmup=False, allowed_hosts=["127.0.0.1", "localhost"]),
                    base_url="http://127.0.0.1:8000") as c:
        assert c.get("/healthz").status_code == 200
        err(c.get("/healthz", headers={"host": "evil.example:8000"}), 400, "bad_host")


def test_no_interactive_docs_that_would_load_a_cdn(client):
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    spec = client.get("/openapi.json").json()
    assert {"/v1/check", "/v1/restore", "/v1/trace", "/v1/report", "/healthz"} <= set(spec["paths"])


# --------------------------------------------------------------------------- HTML app


def test_form_page(client):
    r = client.get("/")
    assert r.status_code == 200 and "<textarea" in r.text and 'type="file"' in r.text
    assert "default-src 'none'" in r.headers["content-security-policy"]


def test_form_paste(client):
    r = client.post("/report", data={"text": SPUN})
    assert r.status_code == 200
    assert 'class="f c-' in r.text and "<ins" in r.text and "Check another text" in r.text


def test_form_upload_html_and_pdf(client):
    page = f"<html><head><title>x</title></head><body><article><p>{SPUN}</p></article></body></html>"
    r = client.post("/report", files={"file": ("story.html", page.encode(), "text/html")})
    assert r.status_code == 200 and "story.html" in r.text and 'class="f c-' in r.text
    from test_inputs import make_pdf

    r = client.post("/report", files={"file": ("story.pdf", make_pdf([SPUN[:150]]), "application/pdf")})
    assert r.status_code == 200 and "story.pdf" in r.text


def test_form_errors_are_pages(client):
    r = client.post("/report", files={"file": ("x.docx", b"PK\x03\x04\x14\x00\x00\x00", "application/zip")})
    assert r.status_code == 422 and "binary" in r.text and "<form" in r.text
    r = client.post("/report", data={"text": "  "})
    assert r.status_code == 422 and "Paste some text" in r.text


# --------------------------------------------------------------------------- schemathesis


schemathesis = pytest.importorskip("schemathesis")
_schema_app = create_app(warmup=False, max_chars=3000)
schema = schemathesis.openapi.from_asgi("/openapi.json", _schema_app)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
          database=None)
def test_openapi_spec_holds(case):
    case.call_and_validate()


# --------------------------------------------------------------------------- load bench plumbing


def test_load_bench_helpers(tmp_path):
    from unspin.bench import load

    assert len(load.article(500).split()) == 500
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# B\n\n<!-- bench:start -->\nengine figures\n<!-- bench:end -->\n", encoding="utf-8")
    load.write_docs("first", docs)
    load.write_docs("second", docs)
    text = docs.read_text(encoding="utf-8")
    assert "engine figures" in text and "second" in text and "first" not in text
    assert text.count("<!-- bench-serve:start -->") == 1
    assert load._pct([1.0, 2.0, 3.0, 4.0], 50) in (2.0, 3.0) and load._pct([5.0], 99) == 5.0


def test_load_bench_against_a_live_server():
    uvicorn = pytest.importorskip("uvicorn")
    import socket
    import threading

    from unspin.bench import load

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(warmup=False), host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    try:
        deadline = time.monotonic() + 30
        while not srv.started and time.monotonic() < deadline:
            time.sleep(0.05)
        r = load.run_load(port, [SPUN], clients=3, per_client=3)
    finally:
        srv.should_exit = True
        th.join(timeout=10)
    assert r["requests"] == 9 and r["errors"] == 0 and r["p99_ms"] >= r["p50_ms"] > 0


# --------------------------------------------------------------------------- batching concurrent checks

import threading  # noqa: E402

CONCURRENT = [
    SPUN,
    "The regulator mentioned the yr had been tough for buying and selling.",
    "The central bank said on Tuesday that it would keep interest rates unchanged.",
    "Investors looked for secure sanctuaries as markets fell.",
    "Shares rose at the regional financial",
    "institution fined for cash laundering, the watchdog mentioned.",
]


def _wait_for(cond, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.002)


def _run_threads(fn, args_list, hold=None, queued=None):
    """Call ``fn(*args)`` for each args from its own thread; returns [(result, exception)].

    With ``hold`` (a batcher), its run lock is held until ``queued()`` requests wait in its
    queue, so they are all taken as one batch.
    """
    out = [None] * len(args_list)

    def work(k, args):
        try:
            out[k] = (fn(*args), None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out[k] = (None, exc)

    threads = [threading.Thread(target=work, args=(k, a), daemon=True) for k, a in enumerate(args_list)]
    if hold is not None:
        hold._run_lock.acquire()
    try:
        for t in threads:
            t.start()
        if hold is not None:
            _wait_for(lambda: len(hold._queue) == queued, f"{queued} queued requests")
    finally:
        if hold is not None:
            hold._run_lock.release()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive(), "a request never got its answer"
    return out


def test_batcher_concurrent_requests_get_their_own_reports(check_many_sizes):
    expected = [unspin.check(t).to_dict() for t in CONCURRENT]
    check_many_sizes.clear()
    b = server._Batcher()
    out = _run_threads(b.check, [(t, None, "auto") for t in CONCURRENT], hold=b, queued=len(CONCURRENT))
    assert [exc for _, exc in out] == [None] * len(CONCURRENT)
    assert [rep.to_dict() for rep, _ in out] == expected
    assert check_many_sizes == [len(CONCURRENT)], "all six were checked in one engine call"
    assert b._queue == [] and not b._run_lock.locked()


def test_batcher_unforced_concurrency(check_many_sizes):
    expected = [unspin.check(t).to_dict() for t in CONCURRENT]
    b = server._Batcher()
    start = threading.Barrier(len(CONCURRENT))

    def go(text):
        start.wait()
        return b.check(text, None, "auto")

    for _ in range(3):
        out = _run_threads(go, [(t,) for t in CONCURRENT])
        assert [exc for _, exc in out] == [None] * len(CONCURRENT)
        assert [rep.to_dict() for rep, _ in out] == expected
    assert b._queue == []


def test_batcher_single_request_uses_run_check(monkeypatch, check_many_sizes):
    calls = []
    real = server.run_check

    def spy(text, **kw):
        calls.append((text, kw))
        return real(text, **kw)

    monkeypatch.setattr(server, "run_check", spy)
    b = server._Batcher()
    rep = b.check(CONCURRENT[1], None, "auto")
    assert rep.to_dict() == unspin.check(CONCURRENT[1]).to_dict()
    assert calls == [(CONCURRENT[1], {"threshold": None, "profile": "auto"})]
    rep = b.check(CONCURRENT[1], 0.9, "none")
    assert calls[-1] == (CONCURRENT[1], {"threshold": 0.9, "profile": None})
    assert rep.to_dict() == unspin.check(CONCURRENT[1], threshold=0.9, profile=None).to_dict()
    assert all(n == 1 for n in check_many_sizes)  # never a combined call for a lone request


def test_batcher_groups_by_threshold_and_profile(check_many_sizes):
    reqs = [(CONCURRENT[0], None, "auto"), (CONCURRENT[1], 0.9, "auto"), (CONCURRENT[2], None, "none"),
            (CONCURRENT[3], None, "auto"), (CONCURRENT[1], None, "none"), (CONCURRENT[5], 0.9, "auto")]
    expected = [unspin.check(t, threshold=thr, profile=None if p == "none" else "auto").to_dict()
                for t, thr, p in reqs]
    check_many_sizes.clear()
    b = server._Batcher()
    out = _run_threads(b.check, reqs, hold=b, queued=len(reqs))
    assert [rep.to_dict() for rep, _ in out] == expected
    assert sorted(check_many_sizes) == [2, 2, 2]


def test_batcher_falls_back_to_one_by_one_when_check_many_fails(monkeypatch, batches_fail):
    expected = [unspin.check(t).to_dict() for t in CONCURRENT]
    combined = batches_fail
    single = []
    real_run = server.run_check
    monkeypatch.setattr(server, "run_check", lambda text, **kw: single.append(text) or real_run(text, **kw))
    b = server._Batcher()
    out = _run_threads(b.check, [(t, None, "auto") for t in CONCURRENT], hold=b, queued=len(CONCURRENT))
    assert [exc for _, exc in out] == [None] * len(CONCURRENT)
    assert [rep.to_dict() for rep, _ in out] == expected
    # each request fell back to its own run_check (in whatever order the threads queued)
    assert combined == [len(CONCURRENT)] and sorted(single) == sorted(CONCURRENT)


def test_batcher_run_check_error_goes_to_its_own_caller_only(monkeypatch, batches_fail):
    poison = "This poison text makes run_check fail."
    texts = CONCURRENT[:3] + [poison] + CONCURRENT[3:]
    expected = {t: unspin.check(t).to_dict() for t in CONCURRENT}

    class Poisoned(Exception):
        pass

    real_run = server.run_check

    def run_check(text, **kw):
        if text == poison:
            raise Poisoned(text)
        return real_run(text, **kw)

    monkeypatch.setattr(server, "run_check", run_check)
    b = server._Batcher()
    out = _run_threads(b.check, [(t, None, "auto") for t in texts], hold=b, queued=len(texts))
    for text, (rep, exc) in zip(texts, out):
        if text == poison:
            assert rep is None and isinstance(exc, Poisoned) and exc.args == (poison,)
        else:
            assert exc is None and rep.to_dict() == expected[text]
    # the batcher is still usable, and a lone failing request gets its own error too
    with pytest.raises(Poisoned):
        b.check(poison, None, "auto")
    assert b.check(CONCURRENT[1], None, "auto").to_dict() == expected[CONCURRENT[1]]


def test_batcher_respects_batch_chars(monkeypatch, check_many_sizes):
    monkeypatch.setattr(server, "BATCH_CHARS", 2 * len(SPUN))
    texts = [SPUN, SPUN.replace("Ohio", "Iowa"), SPUN.replace("Ohio", "Utah"), CONCURRENT[1]]
    expected = [unspin.check(t).to_dict() for t in texts]
    check_many_sizes.clear()
    b = server._Batcher()
    out = _run_threads(b.check, [(t, None, "auto") for t in texts], hold=b, queued=len(texts))
    assert [rep.to_dict() for rep, _ in out] == expected
    # FIFO batches of at most BATCH_CHARS characters: [SPUN, Iowa] then [Utah, short]
    assert check_many_sizes == [2, 2]


def test_api_concurrent_checks_match_sequential_requests(check_many_sizes):
    texts = CONCURRENT + ["Analysts mentioned the monetary outlook was weak.",
                          "The firm moved cash by means of shell firms."]
    with TestClient(create_app(warmup=False, cache=0)) as c:
        sequential = []
        for t in texts:
            r = c.post("/v1/check", json={"text": t})
            assert r.status_code == 200, r.text
            sequential.append(r.json())
        check_many_sizes.clear()
        batcher = c.app.state.engine._batcher

        def post(text):
            return c.post("/v1/check", json={"text": text})

        # all requests queued before any runs: checked as one batch
        out = _run_threads(post, [(t,) for t in texts], hold=batcher, queued=len(texts))
        assert [exc for _, exc in out] == [None] * len(texts)
        assert [r.status_code for r, _ in out] == [200] * len(texts)
        assert [r.json() for r, _ in out] == sequential
        assert check_many_sizes == [len(texts)]
        # and freely concurrent requests, with other options mixed in
        start = threading.Barrier(len(texts))

        def post_free(text, profile):
            start.wait()
            return c.post("/v1/check", json={"text": text, "profile": profile})

        args = [(t, "none" if k % 3 == 0 else "auto") for k, t in enumerate(texts)]
        out = _run_threads(post_free, args)
        for (text, profile), (r, exc) in zip(args, out):
            assert exc is None and r.status_code == 200
            body = r.json()
            want = sequential[texts.index(text)] if profile == "auto" else \
                c.post("/v1/check", json={"text": text, "profile": "none"}).json()
            assert body["score"] == want["score"] and body["findings"] == want["findings"]
            assert body == want
    for body, t in zip(sequential, texts):
        ref = unspin.check(t).to_dict()
        assert body["score"] == ref["score"] and [f["text"] for f in body["findings"]] == \
            [f["text"] for f in ref["findings"]] and body["restored"] == ref["restored"]


def test_api_concurrent_requests_when_check_many_fails(batches_fail):
    texts = CONCURRENT[:4]
    expected = [unspin.check(t).to_dict() for t in texts]
    with TestClient(create_app(warmup=False, cache=0)) as c:
        batcher = c.app.state.engine._batcher
        out = _run_threads(lambda t: c.post("/v1/check", json={"text": t}), [(t,) for t in texts],
                           hold=batcher, queued=len(texts))
        for (r, exc), want in zip(out, expected):
            assert exc is None and r.status_code == 200, r.text
            body = r.json()
            assert body["score"] == want["score"] and body["restored"] == want["restored"]
            assert [f["text"] for f in body["findings"]] == [f["text"] for f in want["findings"]]


def test_a_busy_worker_lets_its_clients_reconnect():
    """With several worker processes (shed_when_busy), a response sent while other checks
    are in flight closes its keep-alive connection, so the client's next connection can
    land on an idle process; an idle worker keeps the connection open."""
    app = create_app(warmup=False, shed_when_busy=True)
    with TestClient(app) as c:
        idle = c.post("/v1/check", json={"text": "The cat sat on the mat."})
        assert idle.status_code == 200 and idle.headers.get("connection") != "close"
        app.state.engine._pending += 1  # another request's check in flight
        try:
            busy = c.post("/v1/check", json={"text": "The dog sat on the rug."})
        finally:
            app.state.engine._pending -= 1
        assert busy.status_code == 200 and busy.headers.get("connection") == "close"
    with TestClient(create_app(warmup=False)) as c:  # one process: nothing to gain by closing
        c.app.state.engine._pending += 1
        assert c.post("/v1/check", json={"text": "The cat sat on the mat."}).headers.get("connection") != "close"


def test_api_key_with_non_ascii_characters(monkeypatch):
    """Header values arrive decoded as Latin-1: a UTF-8 key sent in X-API-Key or as a
    bearer token matches (it never did), a wrong one does not."""
    key = "sch\u00fcssel-\u5bc6"
    monkeypatch.setenv("UNSPIN_API_KEY", key)
    raw = key.encode("utf-8")
    with TestClient(create_app(warmup=False)) as c:
        body = {"text": "The cat sat."}
        assert c.post("/v1/check", json=body, headers=[(b"x-api-key", raw)]).status_code == 200
        assert c.post("/v1/check", json=body, headers=[(b"authorization", b"Bearer " + raw)]).status_code == 200
        err(c.post("/v1/check", json=body, headers=[(b"x-api-key", raw[:-1] + b"x")]), 401)
        assert c.post("/report", data={"text": SPUN, "api_key": key}).status_code == 200
