"""Benchmarks: start-up of `grok --help` and streaming throughput against the fake grok.com.

    python bench/bench.py [--runs 15] [--tokens 20000]

Start-up is compared with `python -c "import typer"` (the floor for a Typer program), streaming
with curl reading the same REST stream from the same server, and the WebSocket gateway with
the REST transport on the same answer. Streaming throughput is the marginal rate: the extra time
a long answer takes over a one-token answer, so each tool's fixed cost (process start-up, the
request itself) is not counted as streaming. Medians of one run of this script; ratios are what
to compare across machines (bench/README.md has a recorded run).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from grok_cli.testing import FakeGrok

GROK = str(Path(sys.executable).with_name("grok"))


def timed(cmd: list[str], env: dict[str, str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def gateway_floor(srv: FakeGrok, prompt: str, runs: int) -> float:
    """The same gateway answer read by a bare aiohttp WebSocket client: the server's own pace."""
    import asyncio

    import aiohttp

    async def once() -> float:
        url = f"{srv.url.replace('http', 'ws', 1)}/ws/mgw/?uid={srv.user_id}"
        headers = {"cookie": f"{srv.cookie}; x-userid={srv.user_id}", "user-agent": "Mozilla/5.0 Chrome/146.0.0.0"}
        start = time.perf_counter()
        async with aiohttp.ClientSession() as http, http.ws_connect(url, headers=headers) as ws:
            await ws.send_json({"event": {"type": "session.create", "session": {"model": "fast", "x_grok": {}}}})
            async for msg in ws:
                event = json.loads(msg.data)["event"]
                if event["type"] == "conversation.attached":
                    sid = event["conversation"]["id"]
                    chunks = [{"text": {"text": prompt}}]
                    item = {"type": "message", "role": "user", "x_grok": {"input_chunks": chunks}}
                    await ws.send_json({"session_id": sid, "event": {"type": "conversation.item.create", "item": item}})
                    await ws.send_json({"session_id": sid, "event": {"type": "response.create"}})
                elif event["type"] == "response.done":
                    break
        return time.perf_counter() - start

    return statistics.median(asyncio.run(once()) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--tokens", type=int, default=20000)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROK_")}

    typer_floor = timed([sys.executable, "-c", "import typer"], env, args.runs)
    help_time = timed([GROK, "--help"], env, args.runs)
    print(f"start-up: grok --help {help_time * 1000:.0f} ms, import typer {typer_floor * 1000:.0f} ms, "
          f"ratio {help_time / typer_floor:.2f} (goal <= 1.3)")

    if not shutil.which("curl"):
        sys.exit("curl is needed for the streaming comparison")
    prompt = f"scenario:long:{args.tokens} bench"
    short = "scenario:long:1 bench"
    with FakeGrok(delay=0.0) as srv, tempfile.TemporaryDirectory() as home:
        grok_env = {**env, **srv.env(), "GROK_HOME": home}

        def curl(message: str) -> list[str]:
            body = json.dumps({"message": message, "modeId": "fast", "temporary": True, "fileAttachments": []})
            return [
                "curl", "-sS", "-N", "-o", "/dev/null", "-X", "POST", f"{srv.url}/rest/app-chat/conversations/new",
                "-H", "content-type: application/json", "-H", f"cookie: {srv.cookie}",
                "-H", "user-agent: Mozilla/5.0 Chrome/146.0.0.0", "-H", "x-statsig-id: bench-static-value",
                "-H", f"x-xai-request-id: {uuid.uuid4()}", "--data", body,
            ]  # fmt: skip

        runs = max(5, args.runs // 2)
        curl_short, curl_time = timed(curl(short), grok_env, runs), timed(curl(prompt), grok_env, runs)
        grok_short = timed([GROK, "ask", "--no-reasoning", short], grok_env, runs)
        grok_time = timed([GROK, "ask", "--no-reasoning", prompt], grok_env, runs)
        jsonl_time = timed([GROK, "ask", "--jsonl", prompt], grok_env, runs)
        ws_time = timed([GROK, "ask", "--transport", "ws", "--no-reasoning", prompt], grok_env, runs)
        ws_jsonl_time = timed([GROK, "ask", "--transport", "ws", "--jsonl", prompt], grok_env, runs)
        ws_floor = gateway_floor(srv, prompt, runs)
    grok_rate = (args.tokens - 1) / (grok_time - grok_short)
    curl_rate = (args.tokens - 1) / (curl_time - curl_short)
    print(f"streaming {args.tokens} tokens over REST: grok {grok_time * 1000:.0f} ms (1 token: {grok_short * 1000:.0f} ms), "
          f"grok --jsonl {jsonl_time * 1000:.0f} ms, curl {curl_time * 1000:.0f} ms (1 token: {curl_short * 1000:.0f} ms)")
    print(f"throughput: grok {grok_rate:,.0f} tokens/s, curl {curl_rate:,.0f} tokens/s, "
          f"ratio {curl_rate / grok_rate:.2f} (goal <= 1.5); whole-command time ratio {grok_time / curl_time:.2f}")
    print(f"gateway (--transport ws), same {args.tokens} tokens: grok {ws_time * 1000:.0f} ms, "
          f"grok --jsonl {ws_jsonl_time * 1000:.0f} ms, bare aiohttp client {ws_floor * 1000:.0f} ms, "
          f"ratio {ws_time / ws_floor:.2f}; ratio to REST {ws_time / grok_time:.2f} "
          f"({args.tokens / ws_time:,.0f} against {args.tokens / grok_time:,.0f} tokens/s)")


if __name__ == "__main__":
    main()
