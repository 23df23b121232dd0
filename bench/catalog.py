"""Publish benchmark: a synthetic 1,000-episode back catalog, published cold, unchanged, and
after one new episode; plus warcast's start-up time.

Usage: python bench/catalog.py [--episodes 1000]

The catalog is generated here from one seeded generator: the sample show's settings and cover,
then N episodes, each with ``episode.toml`` (title, number, date, guid, guests, chapters),
``notes.md``, a transcript of about 150 cues (``transcript.vtt``, speakers and sentences drawn
from the bench texts) and a tiny real audio file (two seconds of MP3 made by ffmpeg once and
copied, so no hour of audio is needed). Reported, into bench/results/catalog.{json,md}: wall
time and peak memory (a fresh process each, read with wait4) of a cold publish, a publish
with nothing changed (and whether any output file was rewritten), and a publish after adding
one episode; and the wall time of ``warcast --help`` and ``warcast search``.
Targets (2 cores): cold within 60 s, unchanged within 2 s touching no file, one new episode
within 5 s, start-up within 0.3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from warcast.timecode import stamp

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
TARGETS = {"cold_seconds": 60.0, "unchanged_seconds": 2.0, "one_new_seconds": 5.0,
           "help_seconds": 0.3, "search_seconds": 0.3}
SPEAKERS = ("Nora Halvorsen", "Lucia Ferreyra", "Samir Okafor")


def sentences() -> list[str]:
    text = (BENCH / "script.txt").read_text(encoding="utf-8")
    for line in (BENCH / "linking" / "articles.jsonl").read_text(encoding="utf-8").splitlines():
        text += " " + json.loads(line)["body"]
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if 20 < len(s.strip()) < 160]


def tiny_audio(folder: Path) -> Path:
    target = folder / "tiny.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=2", "-ac", "1", "-ar", "22050", "-c:a",
                    "libmp3lame", "-b:a", "32k", str(target)], check=True)
    return target


def clock(seconds: float) -> str:
    return stamp(round(seconds * 1000))


def make_episode(show: Path, number: int, rng: random.Random, lines: list[str],
                 audio: Path) -> None:
    title = " ".join(rng.choice(lines).split()[:7]).rstrip(",.;:") + f" (part {number})"
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-") + f"-{number}"
    folder = show / f"{number:04d}-{slug}"
    folder.mkdir()
    shutil.copyfile(audio, folder / "audio.mp3")
    day = 1_546_300_800 + number * 2 * 86400   # from 2019, every other day: all in the past
    published = time.strftime("%Y-%m-%dT09:00:00+00:00", time.gmtime(day))
    (folder / "episode.toml").write_text(f'''title = {json.dumps(title)}
number = {number}
published = {published}
guid = "{uuid.UUID(int=rng.getrandbits(128))}"
audio = "audio.mp3"
summary = {json.dumps(rng.choice(lines))}
members_only = false

[[guests]]
name = "{rng.choice(SPEAKERS[1:])}"

[[chapters]]
start = "0:00"
title = "Opening"

[[chapters]]
start = "0:01"
title = {json.dumps(" ".join(rng.choice(lines).split()[:5]))}
''', encoding="utf-8")
    (folder / "notes.md").write_text("\n\n".join(rng.sample(lines, 3)) + "\n", encoding="utf-8")
    cues, start = [], 0.0
    for _ in range(150):
        text = rng.choice(lines)[:80]
        cues.append(f"{clock(start)} --> {clock(start + 0.012)}\n<v {rng.choice(SPEAKERS)}>"
                    f"{text}\n")
        start += 0.013
    (folder / "transcript.vtt").write_text("WEBVTT\n\n" + "\n".join(cues), encoding="utf-8")


def make_catalog(folder: Path, episodes: int) -> Path:
    rng = random.Random(20261126)
    show = folder / "show"
    show.mkdir(parents=True)
    shutil.copyfile(ROOT / "episodes" / "show.toml", show / "show.toml")
    shutil.copyfile(ROOT / "episodes" / "cover.jpg", show / "cover.jpg")
    audio = tiny_audio(folder) if not (folder / "tiny.mp3").exists() else folder / "tiny.mp3"
    lines = sentences()
    for number in range(1, episodes + 1):
        make_episode(show, number, rng, lines, audio)
    return show


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a command in a fresh process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"bench: {' '.join(command)} failed: {child.stderr.read().decode()}")
    return seconds, usage.ru_maxrss * 1024 / 1e6


def snapshot(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1000)
    args = parser.parse_args(argv)
    results: dict[str, object] = {"episodes": args.episodes}
    with tempfile.TemporaryDirectory() as folder:
        show = make_catalog(Path(folder), args.episodes)
        out = Path(folder) / "public"
        warcast = [sys.executable, "-m", "warcast", "--show", str(show)]
        publish = [*warcast, "publish", "--out", str(out), "--quiet"]
        results["cold_seconds"], results["cold_peak_mb"] = timed(publish)
        half = make_catalog(Path(folder) / "half", args.episodes // 2)
        _, results["cold_peak_mb_half_catalog"] = timed(
            [sys.executable, "-m", "warcast", "--show", str(half), "publish", "--out",
             str(Path(folder) / "half-public"), "--quiet"])
        before = snapshot(out)
        results["unchanged_seconds"], _ = timed(publish)
        results["unchanged_rewritten_files"] = sum(
            1 for k, v in snapshot(out).items() if before.get(k) != v)
        make_episode(show, args.episodes + 1, random.Random(1), sentences(),
                     Path(folder) / "tiny.mp3")
        results["one_new_seconds"], results["one_new_peak_mb"] = timed(publish)
        results["help_seconds"], _ = timed([*warcast, "--help"])
        results["search_seconds"], _ = timed([*warcast, "search", "sanctions", "--json"])
    results = {k: round(v, 3) if isinstance(v, float) else v for k, v in results.items()}
    write(results)


def write(results: dict[str, object]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "catalog.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = ["# Publish benchmark", "", f"{results['episodes']} episodes.", "",
             "| figure | value | target | result |", "|---|---|---|---|"]
    for key, value in results.items():
        target = TARGETS.get(key)
        verdict = "—" if target is None else ("pass" if value <= target else "**FAIL**")
        if key == "unchanged_rewritten_files":
            verdict = "pass" if value == 0 else "**FAIL**"
        lines.append(f"| {key} | {value} | {'—' if target is None else f'≤ {target:g}'} | "
                     f"{verdict} |")
    (RESULTS / "catalog.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
