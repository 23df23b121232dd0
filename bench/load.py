"""Load run: many concurrent clients against ``warcast serve`` on loopback, members' feeds and
search. Bounded in count and time; nothing leaves the machine.

Usage: python bench/load.py [--clients 200] [--requests 20000] [--seconds 60] [--workers 2]

The sample show is published into a temporary folder with 200 members; the server runs with
``--workers`` processes. Each client keeps one HTTP/1.1 connection and sends requests one after
another: 80 % a member's private feed (each client its own member), 20 % a members' search.
Reported: requests, errors (anything but 200), throughput and latency p50/p95/p99, into
bench/results/load.json and load.md. Target (2 cores): zero errors, p99 under 100 ms at 200
concurrent clients. The load generator shares the two cores with the server, so the figures
are a floor for what the server alone would do.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from report import percentile, write_table

from warcast.state import copy_source

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
QUERIES = ("Essequibo", "Houthis", "Red Sea shipping", "Maduro", "Guyana oil", "insurance",
           "border dispute", "drones")
P99_TARGET_MS = 100.0


def prepare(folder: Path, members: int) -> tuple[Path, Path, list[str]]:
    show, out = folder / "show", folder / "public"
    copy_source(ROOT / "episodes", show, leave_out=("script.txt",))
    warcast = [sys.executable, "-m", "warcast", "--show", str(show)]
    subprocess.run([*warcast, "publish", "--out", str(out), "--quiet"], check=True)
    csv = folder / "members.csv"
    csv.write_text("email\n" + "".join(f"member{n}@example.org\n" for n in range(members)))
    listing = subprocess.run([*warcast, "members", "import", str(csv)], check=True,
                             capture_output=True, text=True).stdout.splitlines()[1:]
    tokens = [line.split(",")[1].split("/members/")[1].split("/")[0] for line in listing]
    return show, out, tokens


async def client(port: int, token: str, deadline: float, budget: list[int],
                 latencies: list[float], errors: list[str], rng: random.Random) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while budget[0] > 0 and time.monotonic() < deadline:
            budget[0] -= 1
            if rng.random() < 0.8:
                path = f"/members/{token}/feed.xml"
            else:
                query = rng.choice(QUERIES).replace(" ", "%20")
                path = f"/members/{token}/api/search?q={query}&limit=5"
            started = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            await writer.drain()
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            status = status_line.split(b" ")[1:2]
            if status != [b"200"]:
                errors.append(status_line.decode("latin-1").strip())
    except (OSError, asyncio.IncompleteReadError) as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        writer.close()


async def load(port: int, tokens: list[str], clients: int, requests: int, seconds: float
               ) -> tuple[list[float], list[str], float]:
    rng = random.Random(7)
    latencies: list[float] = []
    errors: list[str] = []
    budget = [requests]
    started = time.monotonic()
    await asyncio.gather(*(client(port, tokens[n % len(tokens)], started + seconds, budget,
                                  latencies, errors, random.Random(rng.random()))
                           for n in range(clients)))
    return latencies, errors, time.monotonic() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        show, out, tokens = prepare(Path(folder), args.clients)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "warcast", "--show", str(show), "serve", "--out", str(out),
             "--port", str(port), "--workers", str(args.workers)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
        try:
            _wait_for(port)
            asyncio.run(load(port, tokens, args.clients, 2 * args.clients, 10))   # warm-up
            latencies, errors, seconds = asyncio.run(
                load(port, tokens, args.clients, args.requests, args.seconds))
        finally:
            server.terminate()
            server.wait(timeout=20)
    results = {"clients": args.clients, "workers": args.workers, "requests": len(latencies),
               "errors": len(errors), "error_examples": sorted(set(errors))[:5],
               "seconds": round(seconds, 2),
               "requests_per_second": round(len(latencies) / seconds, 1),
               "p50_ms": round(percentile(latencies, 0.5), 2),
               "p95_ms": round(percentile(latencies, 0.95), 2),
               "p99_ms": round(percentile(latencies, 0.99), 2)}
    passed = results["errors"] == 0 and results["p99_ms"] < P99_TARGET_MS
    print(write_table(
        RESULTS, "load", "Load run (members' feeds and search)", results,
        intro=f"{args.clients} concurrent clients, {args.workers} server workers, "
              f"{results['requests']} requests in {results['seconds']} s.",
        outro=f"Target: zero errors and p99 < {P99_TARGET_MS:g} ms: "
              f"{'pass' if passed else 'FAIL'}."))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("bench: the server did not start")


if __name__ == "__main__":
    main()
