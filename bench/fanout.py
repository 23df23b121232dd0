"""Transcription fan-out: four short episodes one at a time, on a local process pool, and on
a two-worker Dask cluster on loopback, side by side in one run.

Usage: python bench/fanout.py

The episodes are paragraphs of bench/script.txt spoken by espeak-ng (under a minute each).
Reported into bench/results/fanout.{json,md}: wall time of ``transcribe --force`` (one
process, episodes in turn, every core), ``transcribe --force --all`` (process pool) and
``transcribe --force --all --cluster`` (LocalCluster, 2 workers of 1 thread), the speed-ups
over one at a time, and whether the cluster's transcripts are byte-identical to the pool's.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
sys.path.insert(0, str(BENCH))

import speech  # noqa: E402
from report import write_table  # noqa: E402

from warcast.state import copy_source  # noqa: E402


def make_show(folder: Path) -> Path:
    show = folder / "show"
    copy_source(ROOT / "episodes", show, leave_out=("script.txt", "0001-*", "0002-*"))
    texts = speech.paragraphs()
    for number in range(1, 5):
        text = texts[(number - 1) % len(texts)]
        audio = speech.spoken(text, "en-us", RESULTS / "cache")
        subprocess.run([sys.executable, "-m", "warcast", "--show", str(show), "new",
                        str(audio), "--title", f"Fan-out episode {number}", "--published",
                        f"2026-0{number}-01T09:00:00+00:00", "--quiet"], check=True)
    return show


def timed(show: Path, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "warcast", "--show", str(show), "transcribe",
                    "--force", "--quiet", *args], check=True)
    return time.perf_counter() - started


def transcripts(show: Path) -> dict[str, bytes]:
    return {p.parent.name: p.read_bytes() for p in sorted(show.glob("*/transcript.vtt"))}


def main() -> None:
    from distributed import LocalCluster

    speech.require_tools()
    with tempfile.TemporaryDirectory() as folder:
        show = make_show(Path(folder))
        timed(show)   # warm the caches (model files, audio)
        results: dict[str, object] = {"episodes": 4, "audio_seconds": round(sum(
            speech.duration(p) for p in show.glob("*/audio.*")), 1)}
        results["one_at_a_time_seconds"] = round(timed(show), 2)
        results["pool_seconds"] = round(timed(show, "--all"), 2)
        pooled = transcripts(show)
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
        try:
            results["cluster_seconds"] = round(
                timed(show, "--all", "--cluster", cluster.scheduler_address), 2)
        finally:
            cluster.close()
        results["cluster_identical_to_pool"] = transcripts(show) == pooled
    for name in ("pool", "cluster"):
        results[f"{name}_speedup"] = round(results["one_at_a_time_seconds"]  # type: ignore[operator]
                                           / results[f"{name}_seconds"], 2)  # type: ignore[operator]
    print(write_table(RESULTS, "fanout", "Transcription fan-out (4 episodes)", results))


if __name__ == "__main__":
    main()
