"""``unspin bench load``: bounded loopback load test of ``unspin serve`` plus report rendering cost.

Starts ``unspin serve`` in a subprocess on a free 127.0.0.1 port, then runs
closed-loop clients (default 10 concurrent, each with one keep-alive
connection) that POST a 500-word text to ``/v1/check`` a fixed number of times.
Reports p50/p95/p99/max latency, throughput and errors (non-200 answers or
connection failures) for three scenarios:

``same text``        every request sends the same 500-word article (what the issue
                     asks); after the first answer the server's report cache serves it.
``distinct texts``   every request sends a different 500-word synthetic spin, so every
                     request runs the engine (cache misses): the engine-bound figure.
``same, no cache``   the same text with the server started with ``--cache 0``.

It also measures ``render_html`` time and size for a 2,000-word article.  No
data files are needed: the texts are built from the bundled example articles.
``--write-docs`` replaces the ``<!-- bench-serve:start -->`` section of
docs/benchmarks.md (and nothing else).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from importlib.resources import files
from pathlib import Path
from typing import Any

from . import json_path



def _example(name: str) -> str:
    return files("unspin").joinpath("examples").joinpath(name).read_text(encoding="utf-8")


def article(words: int, name: str = "spun_article.txt") -> str:
    """The bundled article, repeated paragraph by paragraph, cut at exactly ``words`` words."""
    paras = [p for p in _example(name).split("\n\n") if p.strip()]
    out: list[str] = []
    n = 0
    while n < words:
        for p in paras:
            toks = p.split()
            take = toks[: words - n]
            out.append(" ".join(take))
            n += len(take)
            if n >= words:
                break
    return "\n\n".join(out)


def distinct_texts(count: int, words: int = 500) -> list[str]:
    """``count`` different ~``words``-word spun texts (synthetic spins of the clean example, varied seeds)."""
    import unspin

    spin = unspin.spin if callable(unspin.spin) else unspin.spin.spin
    base = article(words, "clean_article.txt")
    return [spin(base, rate=0.3, style="dictionary", seed=i).text for i in range(count)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``unspin serve`` in a subprocess on a free loopback port."""

    def __init__(self, *extra: str):
        self.port = _free_port()
        cmd = [sys.executable, "-m", "unspin", "serve", "--port", str(self.port), *extra]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        env.pop("UNSPIN_API_KEY", None)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        deadline = time.monotonic() + 90
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stderr.read().decode(errors='replace')[-500:]}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    c.close()
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("server did not come up in 90 s")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(q / 100 * (len(v) - 1)))))
    return v[k]


def run_load(port: int, texts: list[str], clients: int, per_client: int, timeout: float = 30.0,
             warmup: int = 1) -> dict[str, Any]:
    """Closed loop: ``clients`` threads, each sends ``per_client`` requests back to back."""
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(clients + 1)

    def body(i: int) -> bytes:
        return json.dumps({"text": texts[i % len(texts)]}).encode()

    warm = json.dumps({"text": texts[-1]}).encode()  # never a measured text unless there is only one

    def client(cid: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        for _ in range(warmup):  # not measured: opens the keep-alive connection, warms every worker process
            try:
                conn.request("POST", "/v1/check", body=warm, headers={"content-type": "application/json"})
                conn.getresponse().read()
            except Exception:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        start_gate.wait()
        for r in range(per_client):
            payload = body(cid * per_client + r)
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/v1/check", body=payload, headers={"content-type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                dt = time.perf_counter() - t0
                ok = resp.status == 200 and data.startswith(b"{")
                with lock:
                    lat.append(dt)
                    if not ok:
                        errors.append(f"HTTP {resp.status}")
            except Exception as exc:  # connection reset, timeout
                with lock:
                    errors.append(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    start_gate.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ms = [x * 1000 for x in lat]
    return {"requests": len(lat) + sum(1 for e in errors if not e.startswith("HTTP")), "errors": len(errors),
            "error_kinds": sorted(set(errors)), "p50_ms": _pct(ms, 50), "p95_ms": _pct(ms, 95),
            "p99_ms": _pct(ms, 99), "max_ms": max(ms) if ms else float("nan"),
            "mean_ms": statistics.fmean(ms) if ms else float("nan"), "rps": len(lat) / wall if wall else 0.0,
            "wall_s": wall}


def render_cost(words: int = 2000, repeats: int = 5) -> dict[str, Any]:
    import unspin
    from unspin.report.html import render_html
    from unspin.report.markdown import render_markdown

    text = article(words)
    report = unspin.check(text)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        page = render_html(report, text, source_name="article.txt")
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    md = render_markdown(report, text)
    md_t = time.perf_counter() - t0
    return {"words": len(text.split()), "findings": len(report.findings), "html_ms": 1000 * statistics.median(times),
            "html_bytes": len(page.encode("utf-8")), "md_ms": 1000 * md_t, "md_bytes": len(md.encode("utf-8"))}


def _f(x: float, nd: int = 1) -> str:
    return "–" if x != x else f"{x:,.{nd}f}"


def markdown(results: list[tuple[str, str, dict[str, Any]]], render: dict[str, Any], args: argparse.Namespace,
             commit: str | None) -> str:
    import datetime as dt

    from unspin import __version__

    ok = lambda r: r["p99_ms"] < 200 and r["errors"] == 0  # noqa: E731
    dist = [r for n, _, r in results if n == "distinct texts" and r["rps"] > 0]
    out = ["## Web server and report (`unspin bench load`)", "",
           f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs shared by server and "
           f"load generator, Python {platform.python_version()}.  ",
           f"Date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; unspin {__version__}"
           f"{f' at commit {commit}' if commit else ''}.  ",
           f"Command: `unspin bench load{' ' + ' '.join(args.argv) if args.argv else ''}`.", "",
           f"**`POST /v1/check`, 500-word text, {args.clients} concurrent closed-loop clients on loopback "
           f"({args.requests} requests each; target: p99 < 200 ms, 0 errors)**", "",
           "| scenario | server | requests | errors | p50 ms | p95 ms | p99 ms | max ms | req/s | target met |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for name, server, r in results:
        out.append(f"| {name} | {server} | {r['requests']} | {r['errors']} | {_f(r['p50_ms'])} | {_f(r['p95_ms'])} | "
                   f"{_f(r['p99_ms'])} | {_f(r['max_ms'])} | {_f(r['rps'])} | {'yes' if ok(r) else '**no**'} |")
    out += ["", "**Report rendering (target: < 1 s and < 500 KB for a 2,000-word article)**", "",
            "| format | words | findings | render ms | size KB | target met |", "|---|---|---|---|---|---|",
            f"| HTML | {render['words']} | {render['findings']} | {_f(render['html_ms'])} | "
            f"{_f(render['html_bytes'] / 1024)} | {'yes' if render['html_ms'] < 1000 and render['html_bytes'] < 500_000 else '**no**'} |",
            f"| Markdown | {render['words']} | {render['findings']} | {_f(render['md_ms'])} | "
            f"{_f(render['md_bytes'] / 1024)} | – |", "",
            "- *same text*: every client sends the same 500-word article (the bundled example, repeated to 500 "
            "words); after the first request the server's report cache (`--cache`, 256 reports by default) answers, "
            "so this measures the HTTP/JSON path.",
            "- *distinct texts*: every request is a different synthetic spin of the bundled clean article, so every "
            "request runs the engine"
            + (f" (measured service time {1000 / dist[0]['rps']:.0f} ms per request = 1 / throughput)" if dist else "")
            + "; with 10 requests in flight the latency is about 10 x the service time, so the 200 ms p99 floor "
            "needs the engine itself to take under ~20 ms per 500 words (or several free cores). `unspin serve` "
            "starts one worker per usable core, at most 2, by default; the single-worker row shows what one "
            "process gives. This machine's 2 cores are shared with the load generator (and other jobs), so "
            "expect run-to-run variation.",
            "- render time excludes `check()` itself (see the speed table above for that); the HTML is "
            "self-contained (inline CSS/JS, no external requests)."]
    return "\n".join(out)


def write_docs(md: str, path: Path) -> None:
    from .run import write_docs as write_section

    write_section(md, path, "bench-serve")


def _commit() -> str | None:
    try:
        root = Path(__file__).resolve().parents[3]
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip() or None
    except Exception:
        return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(prog="unspin bench load", description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=10, help="concurrent clients (default 10)")
    ap.add_argument("--requests", type=int, default=30, help="requests per client per scenario (default 30)")
    ap.add_argument("--words", type=int, default=500, help="words per request text (default 500)")
    ap.add_argument("--workers", type=int, default=None,
                    help="server worker processes (default: as unspin serve, the usable cores up to 2)")
    ap.add_argument("--scenarios", default="same,distinct,nocache,distinct-1w",
                    help="comma-separated subset of same,distinct,nocache,distinct-1w (default: all; "
                         "distinct-1w = distinct texts with a single worker process)")
    ap.add_argument("--write-docs", action="store_true", help="replace the bench-serve section of docs/benchmarks.md")
    ap.add_argument("--docs", default=None, metavar="PATH", help="docs file (default docs/benchmarks.md)")
    ap.add_argument("--json", default=None, metavar="PATH", type=json_path,
                    help="also dump raw numbers as JSON")
    args = ap.parse_args(argv)
    args.argv = argv
    if args.workers is None:
        from ..server import default_workers

        args.workers = default_workers()
    if args.clients < 1 or args.requests < 1 or args.words < 1 or args.workers < 1:
        ap.error("--clients, --requests, --words and --workers must be positive")
    from ..report.cli import serve_extra_missing

    if serve_extra_missing():
        print("unspin bench load needs the 'serve' extra: pip install 'unspin[serve]'", file=sys.stderr)
        return 2
    wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    same = [article(args.words)]
    results: list[tuple[str, str, dict[str, Any]]] = []
    w = f"--workers {args.workers}"
    plan = {"same": ("same text", (w,), same),
            "distinct": ("distinct texts", (w,), None),
            "nocache": ("same text, no cache", (w + " --cache 0",), same),
            "distinct-1w": ("distinct texts", ("--workers 1",), None)}
    for key in wanted:
        if key not in plan:
            ap.error(f"unknown scenario {key!r}")
        name, (flags,), texts = plan[key]
        if texts is None:
            print("building distinct texts ...", file=sys.stderr, flush=True)
            texts = distinct_texts(args.clients * args.requests + 1, args.words)
        srv = Server(*flags.split())
        try:
            print(f"{name}: {args.clients} clients x {args.requests} requests ...", file=sys.stderr, flush=True)
            r = run_load(srv.port, texts, args.clients, args.requests)
        finally:
            srv.stop()
        print(f"  p50 {r['p50_ms']:.1f} ms  p99 {r['p99_ms']:.1f} ms  errors {r['errors']}  {r['rps']:.1f} req/s",
              file=sys.stderr)
        results.append((name, f"`{flags}`", r))
    render = render_cost()
    print(f"render 2,000 words: {render['html_ms']:.1f} ms, {render['html_bytes'] / 1024:.1f} KB", file=sys.stderr)
    md = markdown(results, render, args, _commit())
    print(md)
    if args.json:
        Path(args.json).write_text(json.dumps({"load": [{"scenario": n, "server": s, **r} for n, s, r in results],
                                               "render": render}, indent=2), encoding="utf-8")
    if args.write_docs:
        from .run import docs_path

        path = Path(args.docs) if args.docs else docs_path()
        write_docs(md, path)
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
