"""Benchmarks: start-up of `grok --help` and streaming throughput against the fake grok.com.

    python bench/bench.py [--runs 15] [--tokens 20000]

Start-up is compared with `python -c "import typer"` (the floor for a Typer program), streaming
with curl reading the same stream from the same server. Medians of one run of this script;
ratios are what to compare across machines.
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
    with FakeGrok(delay=0.0) as srv, tempfile.TemporaryDirectory() as home:
        grok_env = {**env, **srv.env(), "GROK_HOME": home}
        body = json.dumps({"message": prompt, "modeId": "fast", "temporary": True, "fileAttachments": []})
        curl = [
            "curl", "-sS", "-N", "-o", "/dev/null", "-X", "POST", f"{srv.url}/rest/app-chat/conversations/new",
            "-H", "content-type: application/json", "-H", f"cookie: {srv.cookie}",
            "-H", "user-agent: Mozilla/5.0 Chrome/146.0.0.0", "-H", "x-statsig-id: bench-static-value",
            "-H", f"x-xai-request-id: {uuid.uuid4()}", "--data", body,
        ]
        runs = max(3, args.runs // 3)
        curl_time = timed(curl, grok_env, runs)
        grok_time = timed([GROK, "ask", "--no-reasoning", prompt], grok_env, runs)
        jsonl_time = timed([GROK, "ask", "--jsonl", prompt], grok_env, runs)
    print(f"streaming {args.tokens} tokens: grok {grok_time * 1000:.0f} ms, grok --jsonl {jsonl_time * 1000:.0f} ms, "
          f"curl {curl_time * 1000:.0f} ms, ratio {grok_time / curl_time:.2f} (goal <= 1.5)")


if __name__ == "__main__":
    main()
