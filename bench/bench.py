"""Benchmarks: grok against curl and a bare gateway client on one fake grok.com, and the history.

    python bench/bench.py [--runs 7] [--tokens 20000] [--quick]

Every case is a whole process, timed from spawn to exit: wall time, CPU (user + system, from
wait4), time to its first byte of output and peak RSS. The cases run interleaved, round after
round (one run of each case per round), so a machine that gets busier or quieter in the middle
weighs on all of them alike; each figure is the median over the rounds. The Markdown cases run
on a pseudo-terminal. Then the history commands run against databases of 1k, 10k and 100k
conversations. bench/README.md keeps the table of one run and says what each line means.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from history_db import populate  # bench/, the script's own directory

from grok_cli.testing import FakeGrok

GROK = str(Path(sys.executable).with_name("grok"))
GATEWAY_CLIENT = str(Path(__file__).with_name("gateway_client.py"))
PTY_SIZE = (40, 100)  # rows, columns
# A child's peak RSS as wait4 reports it starts at its parent's (this script's, tens of MB):
# GNU time forks it from a small process and reports its own figure.
GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds
    cpu: float  # seconds, user + system
    first: float  # seconds to the first byte on stdout
    rss: int  # peak, KiB (0: unknown)


def run(cmd: list[str], env: dict[str, str], *, pty: bool = False) -> Sample:
    """One process: its stdout read as fast as it comes (a pipe, or a terminal with ``pty``)."""
    rss_file = tempfile.NamedTemporaryFile(prefix="bench-rss-") if GNU_TIME else None
    if rss_file is not None:
        cmd = [GNU_TIME, "-f", "%M", "-o", rss_file.name, *cmd]
    start = time.perf_counter()
    if pty:
        reader, writer = os.openpty()
        fcntl.ioctl(writer, termios.TIOCSWINSZ, struct.pack("HHHH", *PTY_SIZE, 0, 0))
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=writer, stderr=subprocess.DEVNULL)
        os.close(writer)
    else:
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert proc.stdout is not None
        reader = proc.stdout.fileno()
    first = None
    while True:
        try:
            data = os.read(reader, 1 << 16)
        except OSError:  # EIO: the terminal's other side closed
            data = b""
        if not data:
            break
        if first is None:
            first = time.perf_counter() - start
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    rss = 0
    if rss_file is not None:
        rss = int(Path(rss_file.name).read_text().split()[-1])
        rss_file.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if pty:
        os.close(reader)
    else:
        assert proc.stdout is not None
        proc.stdout.close()
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, wall if first is None else first, rss)


def median(samples: list[Sample], field: str) -> float:
    return statistics.median(getattr(s, field) for s in samples)


def stream_cases(srv: FakeGrok, tokens: int, quick: bool) -> dict[str, tuple[list[str], bool]]:
    """name -> (command, on a terminal)."""

    def curl(n: int) -> list[str]:
        body = json.dumps({"message": f"scenario:long:{n} bench", "modeId": "fast", "temporary": True,
                           "fileAttachments": []})
        return [
            "curl", "-sS", "-N", "-X", "POST", f"{srv.url}/rest/app-chat/conversations/new",
            "-H", "content-type: application/json", "-H", f"cookie: {srv.cookie}",
            "-H", "user-agent: Mozilla/5.0 Chrome/146.0.0.0", "-H", "x-statsig-id: bench-static-value",
            "-H", f"x-xai-request-id: {uuid.uuid4()}", "--data", body,
        ]  # fmt: skip

    def ask(n: int, *flags: str, transport: str = "rest") -> list[str]:
        return [GROK, "ask", "--no-reasoning", "--transport", transport, *flags, f"scenario:long:{n} bench"]

    cases = {
        # What any Typer program on curl_cffi pays before it can send a request.
        "import floor 1": ([sys.executable, "-c", "import asyncio, typer; from curl_cffi.requests import AsyncSession"],
                           False),
        "curl 1": (curl(1), False),
        f"curl {tokens}": (curl(tokens), False),
        "grok 1": (ask(1), False),
        f"grok {tokens}": (ask(tokens), False),
        f"grok --jsonl {tokens}": (ask(tokens, "--jsonl"), False),
        "ws floor 1": ([sys.executable, GATEWAY_CLIENT, "scenario:long:1 bench"], False),
        f"ws floor {tokens}": ([sys.executable, GATEWAY_CLIENT, f"scenario:long:{tokens} bench"], False),
        "grok ws 1": (ask(1, transport="ws"), False),
        f"grok ws {tokens}": (ask(tokens, transport="ws"), False),
        "tty plain 1": (ask(1, "--plain"), True),
        f"tty plain {tokens}": (ask(tokens, "--plain"), True),
        "tty md 1": (ask(1), True),
        "tty md 5000": (ask(5000), True),
        f"tty md {tokens}": (ask(tokens), True),
    }
    if not quick:
        cases["tty md 80000"] = (ask(80000), True)
        cases["grok 200000"] = (ask(200000), False)
    return cases


def history_cases() -> dict[str, list[str]]:
    return {
        "list": [GROK, "history", "list"],
        "search": [GROK, "history", "search", "the"],
        "search 2 words": [GROK, "history", "search", "python shell"],
        "show last": [GROK, "history", "show", "last"],
    }


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
        for row in rows
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7, help="rounds; each figure is the median over them")
    parser.add_argument("--tokens", type=int, default=20000)
    parser.add_argument("--quick", action="store_true", help="no 80k/200k-token cases, history up to 10k")
    args = parser.parse_args()
    if not shutil.which("curl"):
        sys.exit("curl is needed for the streaming comparison")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("GROK_", "NO_COLOR", "FORCE_COLOR"))}
    n = args.tokens

    with FakeGrok(delay=0.0) as srv, tempfile.TemporaryDirectory() as tmp:
        env = {**base_env, **srv.env(), "GROK_HOME": str(Path(tmp) / "home"), "BENCH_USER_ID": srv.user_id,
               "TERM": "xterm-256color"}
        cases = stream_cases(srv, n, args.quick)
        samples: dict[str, list[Sample]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, (cmd, pty) in cases.items():
                samples[name].append(run(cmd, env, pty=pty))

        sizes = (1000, 10000) if args.quick else (1000, 10000, 100000)
        homes = {size: Path(tmp) / f"history-{size}" for size in sizes}
        for size, home in homes.items():
            home.mkdir()
            populate(home / "history.db", size)
        queries = history_cases()
        history: dict[tuple[str, int], list[Sample]] = {(q, s): [] for q in queries for s in sizes}
        for _ in range(args.runs):
            for size, home in homes.items():
                for q, cmd in queries.items():
                    history[(q, size)].append(run(cmd, {**env, "GROK_HOME": str(home)}))

    print(report(samples, history, n, sizes, args))


def report(
    samples: dict[str, list[Sample]], history: dict[tuple[str, int], list[Sample]], n: int, sizes: tuple[int, ...],
    args: argparse.Namespace,
) -> str:
    def m(name: str, field: str) -> float:
        return median(samples[name], field)

    def marginal_us(name: str, short: str, tokens: int) -> float:
        """CPU per token beyond a one-token run of the same command, microseconds."""
        return (m(name, "cpu") - m(short, "cpu")) / (tokens - 1) * 1e6

    lines = [f"{args.runs} interleaved rounds, {n} tokens unless named; medians; CPU = user + system"]
    rows = [["case", "wall ms", "CPU ms", "CPU/1k tok", "first byte ms", "peak RSS MB"]]
    short_of = {"import floor": "import floor 1", "curl": "curl 1", "grok": "grok 1", "ws floor": "ws floor 1", "grok ws": "grok ws 1",
                "tty plain": "tty plain 1", "tty md": "tty md 1", "grok --jsonl": "grok 1"}
    for name in samples:
        kind, _, count = name.rpartition(" ")
        tokens = int(count)
        per_k = f"{marginal_us(name, short_of[kind], tokens):.1f}" if tokens > 1 else ""
        rows.append([name, f"{m(name, 'wall') * 1000:.0f}", f"{m(name, 'cpu') * 1000:.0f}", per_k,
                     f"{m(name, 'first') * 1000:.0f}", f"{max(s.rss for s in samples[name]) / 1024:.0f}"])
    lines += ["", table(rows), "", "CPU/1k tok: CPU beyond the one-token run of the same command, per 1000 tokens (ms)."]

    wall_ratio = m(f"grok {n}", "wall") / m(f"curl {n}", "wall")
    grok_us = marginal_us(f"grok {n}", "grok 1", n)
    ws_ratio = m(f"grok ws {n}", "wall") / m(f"ws floor {n}", "wall")
    ttft = (m("grok 1", "first") - m("curl 1", "first")) * 1000
    over_floor = (m("grok 1", "first") - m("import floor 1", "wall")) * 1000
    md_ratio = m(f"tty md {n}", "cpu") / m(f"tty plain {n}", "cpu")
    targets = [
        ("REST wall, grok / curl", f"{wall_ratio:.2f}x", "<= 1.5x", wall_ratio <= 1.5),
        ("REST marginal CPU per token", f"{grok_us:.1f} us", "<= 15 us", grok_us <= 15),
        ("gateway wall, grok / bare client", f"{ws_ratio:.2f}x", "<= 1.3x", ws_ratio <= 1.3),
        ("first byte, grok - curl (1 token)", f"{ttft:.0f} ms", "<= 100 ms", ttft <= 100),
        ("first byte, grok - import floor (1 token)", f"{over_floor:.0f} ms", "", True),
        ("terminal CPU, Markdown / --plain", f"{md_ratio:.2f}x", "<= 2x", md_ratio <= 2),
    ]
    if "grok 200000" in samples:
        rss = max(s.rss for s in samples["grok 200000"]) / 1024
        targets.append(("peak RSS of ask, 200k tokens", f"{rss:.0f} MB", "<= 60 MB", rss <= 60))
    if "tty md 80000" in samples:
        # The CPU per token of each stretch of the same growing block: rising if it were quadratic.
        early = (m(f"tty md {n}", "cpu") - m("tty md 5000", "cpu")) / (n - 5000) * 1e6
        late = (m("tty md 80000", "cpu") - m(f"tty md {n}", "cpu")) / (80000 - n) * 1e6
        targets.append((f"Markdown one block, CPU/token 5k-{n // 1000}k, {n // 1000}k-80k",
                        f"{early:.1f}, {late:.1f} us", "flat", late <= 1.25 * early))
    hrows = [["history command", *(f"{s:,} convs ms" for s in sizes), f"{sizes[-1]:,} / {sizes[0]:,}"]]
    for q in dict.fromkeys(q for q, _ in history):
        walls = [median(history[(q, s)], "wall") for s in sizes]
        hrows.append([q, *(f"{w * 1000:.0f}" for w in walls), f"{walls[-1] / walls[0]:.2f}x"])
        if q in ("list", "search"):
            ratio = walls[-1] / walls[0]
            targets.append((f"history {q} at {sizes[-1]:,} / {sizes[0]:,}", f"{ratio:.2f}x", "<= 1.5x", ratio <= 1.5))
    lines += ["", table(hrows), "", table([["target", "measured", "goal", "met"]]
                                         + [[t, v, g, ("yes" if ok else "NO") if g else ""] for t, v, g, ok in targets])]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
