"""Download-count benchmark: ``warcast stats`` on a synthetic access log of 10 million lines.

Usage: python bench/stats.py [--lines N] [--repeat N]

The log is made here from one seeded generator, in nginx/Apache combined format: 30 days of
requests from 200,000 listeners (address + a user agent from a pool of podcast apps, browsers,
libraries and bots) for 40 episodes, as podcast hosts see them: whole-file GETs, range
requests in pieces, 2-byte probes, HEADs, 404s and feed fetches, and listeners coming back.
Then it counts the downloads with ``warcast.stats.downloads.count_logs`` (DuckDB, every core) and,
side by side in the same run, a plain single-threaded Python reader (``re`` per line, the
same rules, on the first 500,000 lines) for scale.

Results go to bench/results/stats.json and stats.md. Target (2 cores): 10 million lines
within 60 s.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from report import write_table  # noqa: E402

from warcast.stats.accesslogs import FORMATS  # noqa: E402
from warcast.stats.downloads import Target, count_logs  # noqa: E402

RESULTS = BENCH / "results"
TARGET_SECONDS = 60.0
TARGET_LINES = 10_000_000
EPISODES = 40
LISTENERS = 200_000
DAYS = 30
SIZE = 30_000_000            # bytes of each episode file
MINUTE = 500_000             # bytes of its first minute
AGENTS = [
    "AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4_1 like Mac OS X; en_us)",
    "Podcasts/1555.2.1 CFNetwork/1490.0.4 Darwin/23.2.0",
    "Spotify/8.9.10 Android/34 (Pixel 8)",
    "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)",
    "AntennaPod/3.4.0",
    "PocketCasts/1.0 (Pocket Casts - Android - 7.58)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Safari/605.1.15",
    "Castro 2024.4/1384",
    "okhttp/4.12.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
]


def generate(path: Path, lines: int, seed: int = 20) -> None:
    """Write ``lines`` lines of a combined-format log to ``path``."""
    rng = random.Random(seed)
    start = 1_790_000_000
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
              "Dec"]
    agents = [f'"{agent}"' for agent in AGENTS]
    with path.open("w", encoding="utf-8") as out:
        written = 0
        while written < lines:
            listener = rng.randrange(LISTENERS)
            ip = f"10.{listener >> 16}.{(listener >> 8) & 255}.{listener & 255}"
            agent = agents[listener % len(agents)]
            episode = rng.randrange(EPISODES)
            when = start + rng.randrange(DAYS * 86400)
            batch = []
            for _ in range(rng.choice((1, 1, 2, 4, 8))):
                when += rng.randrange(1, 4000)
                kind = rng.random()
                method, status, sent, path_ = "GET", 206, 0, f"/media/episode-{episode}.mp3"
                if kind < 0.05:
                    method, status, sent = "HEAD", 200, 0
                elif kind < 0.15:
                    sent = 2
                elif kind < 0.18:
                    status, sent, path_ = 404, 153, f"/media/missing-{episode}.mp3"
                elif kind < 0.25:
                    status, sent, path_ = 200, 48_000, "/feed.xml"
                elif kind < 0.55:
                    status, sent = 200, SIZE
                else:
                    sent = rng.randrange(100_000, 2_000_000)
                t = time.gmtime(when)
                stamp = (f"{t.tm_mday:02d}/{months[t.tm_mon - 1]}/{t.tm_year}:"
                         f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000")
                batch.append(f'{ip} - - [{stamp}] "{method} {path_} HTTP/1.1" {status} {sent} '
                             f'"-" {agent}\n')
            out.writelines(batch)
            written += len(batch)


def plain_python(path: Path, limit: int) -> tuple[float, int]:
    """Lines per second of a plain Python reader doing the first step (parse + filter)."""
    pattern = re.compile(FORMATS["combined"].pattern)
    kept = 0
    started = time.perf_counter()
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if number >= limit:
                break
            match = pattern.match(line)
            if match and match.group(3) == "GET" and match.group(5) in ("200", "206") \
                    and match.group(6) != "-" and int(match.group(6)) > 2:
                time.strptime(match.group(2), "%d/%b/%Y:%H:%M:%S %z")
                kept += 1
    return limit / (time.perf_counter() - started), kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=TARGET_LINES)
    parser.add_argument("--repeat", type=int, default=3, help="counts of the same log")
    arguments = parser.parse_args()
    lines = arguments.lines
    wanted = [Target(f"episode-{n}.mp3", f"episode-{n}", MINUTE) for n in range(EPISODES)]
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "access.log"
        started = time.perf_counter()
        generate(log, lines)
        generated = time.perf_counter() - started
        runs = []
        for _ in range(arguments.repeat):
            started = time.perf_counter()
            counts = count_logs([log], wanted)
            runs.append(time.perf_counter() - started)
            print(f"counted in {runs[-1]:.1f} s", file=sys.stderr)
        seconds = statistics.median(runs)
        peer_rate, _ = plain_python(log, min(lines, 500_000))
        size = log.stat().st_size
    rate = lines / seconds
    scaled = seconds * TARGET_LINES / lines
    results = {
        "lines": lines, "log_megabytes": round(size / 1e6, 1), "cores": os.cpu_count(),
        "generate_seconds": round(generated, 1),
        "count_seconds_median": round(seconds, 2),
        "count_seconds_min_max": f"{min(runs):.1f} / {max(runs):.1f}",
        "count_seconds_runs": [round(run, 2) for run in runs],
        "lines_per_second": round(rate),
        "seconds_for_10M_lines": round(scaled, 1) if lines != TARGET_LINES else round(seconds, 1),
        "target_seconds_for_10M": TARGET_SECONDS,
        "passed": scaled <= TARGET_SECONDS,
        "plain_python_lines_per_second": round(peer_rate),
        "speed_vs_plain_python": round(rate / peer_rate, 1),
        "downloads": counts.total,
        "excluded": counts.excluded,
    }
    print(write_table(RESULTS, "stats", f"Download counts ({lines:,} log lines)", results,
                      outro="seconds_for_10M_lines (the median count) is measured when lines "
                            "is 10,000,000, scaled linearly otherwise; the machine's load "
                            f"average at the end was {os.getloadavg()[0]:.1f}."))


if __name__ == "__main__":
    main()
