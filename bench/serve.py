"""Benchmark of `grok serve` against `grok ask`, on the fake grok.com, in one run.

    python bench/serve.py [--runs 9] [--tokens 20000] [--clients 16]

1. Throughput of one long answer: `grok ask` reading it to stdout, and a streaming chat
   completion through `grok serve` read by curl until the server ends it. Both are
   the marginal rate, ``(tokens - 1) / (time for the long answer - time for a one-token
   answer)``, so `grok ask`'s process start-up and the request itself are not counted.
2. Load: ``--clients`` streaming clients at once (`grok serve --concurrency` as many), each
   reading a ``--load-tokens`` answer; every one must end with [DONE]. The server's peak
   resident memory (VmHWM) is read from /proc when the clients are done.

Medians of ``--runs``; bench/README.md has a recorded run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from grok_cli.testing import FakeGrok

GROK = str(Path(sys.executable).with_name("grok"))
KEY = "bench-key"
READY = "grok serve: listening on "


def timed_ask(prompt: str, env: dict[str, str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([GROK, "ask", "--no-reasoning", prompt], env=env, stdout=subprocess.DEVNULL, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def start_serve(env: dict[str, str], clients: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [GROK, "serve", "--port", "0", "--concurrency", str(clients), "--no-history"],
        env={**env, "GROK_SERVE_KEY": KEY},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    if not line.startswith(READY):
        proc.kill()
        sys.exit(f"grok serve did not start: {line.strip()}")
    # Keep reading the request log, so the server never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()  # type: ignore[union-attr]
    return proc, line.removeprefix(READY).strip()


async def stream_once(http, url: str, prompt: str) -> tuple[float, int, bool]:
    """One streaming chat completion: (seconds, chunks, ended with [DONE]). Chunks are counted,
    not parsed, so the client's own JSON decoding is not measured."""
    body = {"model": "fast", "stream": True, "messages": [{"role": "user", "content": prompt}]}
    start = time.perf_counter()
    chunks, done = 0, False
    async with http.post(f"{url}/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"}) as r:
        if r.status != 200:
            return time.perf_counter() - start, 0, False
        async for line in r.content:
            if not line.startswith(b"data: "):
                continue
            data = line[6:].strip()
            if data == b"[DONE]":
                done = True
                break
            chunks += 1
    return time.perf_counter() - start, chunks, done


def serve_time(url: str, prompt: str, runs: int) -> float:
    """A streaming chat completion read to its end by curl, a process of its own like `grok ask`
    (an in-process client would share the interpreter with the fake server)."""
    body = json.dumps({"model": "fast", "stream": True, "messages": [{"role": "user", "content": prompt}]})
    cmd = [
        "curl", "-sS", "-N", "-o", "/dev/null", "-X", "POST", f"{url}/chat/completions",
        "-H", f"authorization: Bearer {KEY}", "-H", "content-type: application/json", "--data", body,
    ]  # fmt: skip
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


async def load(url: str, clients: int, prompt: str) -> tuple[float, int, int]:
    """``clients`` streams at once: (wall seconds, streams that ended with [DONE], chunks)."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=600)) as http:
        start = time.perf_counter()
        results = await asyncio.gather(*(stream_once(http, url, f"{prompt} {i}") for i in range(clients)))
        wall = time.perf_counter() - start
    return wall, sum(done for _, _, done in results), sum(chunks for _, chunks, _ in results)


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--tokens", type=int, default=20000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--load-tokens", type=int, default=2000)
    args = parser.parse_args()
    if not shutil.which("curl"):
        sys.exit("curl is needed to read the single streams")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROK_")}
    prompt, short = f"scenario:long:{args.tokens} bench", "scenario:long:1 bench"

    with FakeGrok(delay=0.0) as srv, tempfile.TemporaryDirectory() as home:
        # REST for both, as bench.py's main figures; the history off for both.
        grok_env = {**env, **srv.env(), "GROK_HOME": home, "GROK_HISTORY": "0", "GROK_TRANSPORT": "rest"}
        ask_short, ask_long = timed_ask(short, grok_env, args.runs), timed_ask(prompt, grok_env, args.runs)
        proc, url = start_serve(grok_env, args.clients)
        try:
            serve_short = serve_time(url, short, args.runs)
            serve_long = serve_time(url, prompt, args.runs)
            idle_rss = peak_rss_mb(proc.pid)
            wall, completed, chunks = asyncio.run(load(url, args.clients, f"scenario:long:{args.load_tokens}"))
            peak = peak_rss_mb(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(30)

    ask_rate = (args.tokens - 1) / (ask_long - ask_short)
    serve_rate = (args.tokens - 1) / (serve_long - serve_short)
    rss = "n/a" if peak is None else f"{peak:.0f} MB (after the single streams: {idle_rss:.0f} MB)"
    print(f"one {args.tokens}-token answer        grok ask              grok serve (SSE)")
    print(f"  time (median of {args.runs})          {ask_long * 1000:7.0f} ms            {serve_long * 1000:7.0f} ms")
    print(f"  one-token answer              {ask_short * 1000:7.0f} ms            {serve_short * 1000:7.0f} ms")
    print(
        f"  throughput                 {ask_rate:10,.0f} tokens/s   {serve_rate:10,.0f} tokens/s"
        f"   (serve / ask {serve_rate / ask_rate:.2f})"
    )
    errors = args.clients - completed
    print(
        f"{args.clients} concurrent streaming clients, {args.load_tokens} tokens each: {wall * 1000:.0f} ms, "
        f"{completed}/{args.clients} ended with [DONE], {errors} error(s), "
        f"{args.clients * args.load_tokens / wall:,.0f} tokens/s in all; peak RSS of grok serve {rss}; "
        f"exit on SIGTERM {code}"
    )
    if errors or code != 0 or chunks < args.clients * args.load_tokens:
        sys.exit(1)


if __name__ == "__main__":
    main()
