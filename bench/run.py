"""Run warcast's transcription benchmarks and write bench/results/results.{json,md}.

Usage: python bench/run.py [--quick]

Benchmarks, in the order they run (see bench/README.md for what each one means):
  memory    peak RSS of warcast on long episodes, each in its own process, with the plain
            faster-whisper batched pipeline as the peer; also their speed
  overhead  warcast's default vs a plain faster-whisper script with the same settings,
            interleaved repetitions on the same clip
  speed     audio seconds per wall second of warcast's default
  quality   word error rate per voice, warcast's default vs faster-whisper's plain default
            (also with the episode's title and summary, as ``warcast transcribe`` gives them),
            and glossary names spelled right with and without the glossary
--quick shrinks every benchmark (a one-minute clip, one voice, a ten-minute episode).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import engines
import speech
import wer
from report import Figure, minutes, write

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
CACHE = RESULTS / "cache"
PROBE = BENCH / "probe.py"

OVERHEAD_TARGET = 5.0        # % slower than the plain script, at most
SPEED_TARGET = 35.0          # x real time, at least
MEMORY_TARGET_MB = 1500.0    # peak RSS, below (1 MB = 10^6 bytes)


@dataclass(frozen=True)
class Plan:
    """How much of each benchmark a run does."""

    name: str
    paragraphs: int | None   # of script.txt; None: all (about five minutes)
    voices: tuple[str, ...]
    repetitions: int         # interleaved pairs in the overhead benchmark
    long_minutes: tuple[int, ...]
    peer_minutes: int        # the episode length the plain pipeline's memory is measured on


FULL = Plan("full", None, tuple(speech.VOICES), 5, (60, 120), 60)
QUICK = Plan("quick", 1, ("en-us",), 2, (10,), 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a reduced run of about 2 minutes")
    plan = QUICK if parser.parse_args().quick else FULL
    speech.require_tools()
    started = time.perf_counter()
    text = " ".join(speech.paragraphs(plan.paragraphs))
    clips = {voice: speech.spoken(text, voice, CACHE) for voice in plan.voices}
    details: dict[str, Any] = {"code_under_test": code_under_test(),
                               "clip_seconds": {v: speech.duration(p) for v, p in clips.items()}}
    # Memory first, while this process is still small: a child's peak RSS as the kernel
    # reports it can include the parent's footprint at the moment of the fork.
    long_runs = memory(plan, list(clips.values()), details)
    figures = overhead_and_speed(plan, clips[plan.voices[0]], details)
    figures += quality(text, clips, details) + long_runs
    figures.sort(key=lambda figure: ORDER.index(figure.benchmark))
    if code_under_test() != details["code_under_test"]:
        details["code_under_test_at_end"] = code_under_test()
        log("warning: the code under test changed during the run; see results.json")
    seconds = time.perf_counter() - started
    json_path, md_path = write(RESULTS, plan.name, seconds, figures, details)
    print(md_path.read_text(encoding="utf-8"))
    log(f"wrote {json_path} and {md_path} in {minutes(seconds)}")
    from linking.evaluate import run as linking  # bench/linking/: the passage linker

    linking(quick=plan is QUICK, variants=plan is FULL)
    # Each in a fresh process from a small parent: a child's peak memory as wait4 reports it
    # includes the footprint of the process that forked it, and this one is large by now.
    quick = plan is QUICK
    for script, arguments in (("search.py", ["--hours", "100"] if quick else []),
                              ("load.py", ["--requests", "4000"] if quick else []),
                              ("catalog.py", ["--episodes", "100"] if quick else []),
                              ("importing.py", ["--items", "200"] if quick else []),
                              ("fanout.py", []),
                              ("sound.py", ["--minutes", "1"] if quick else []),
                              ("stats.py", ["--lines", "1000000"] if quick else []),
                              ("names.py", ["--voices", "en-us"] if quick else []),
                              ("accuracy.py", ["--split", "tuning"] if quick
                               else ["--speed"]),
                              ("findability.py", ["--part", "tuning"] if quick else [])):
        log(f"{script}")
        subprocess.run([sys.executable, str(BENCH / script), *arguments], check=True)
    summary()


def summary() -> None:
    """One table of every benchmark's results: results/summary.{md,json}."""
    parts = {}
    for name in ("results", "linking", "search", "load", "catalog", "importing", "fanout",
                 "sound", "accuracy"):
        path = RESULTS / f"{name}.json"
        if path.is_file():
            parts[name] = json.loads(path.read_text(encoding="utf-8"))
    (RESULTS / "summary.json").write_text(json.dumps(parts, indent=2) + "\n", encoding="utf-8")
    lines = ["# warcast benchmarks: every figure of the last run", ""]
    for name, data in parts.items():
        lines += [f"## {name}", "", "| figure | value |", "|---|---|"]
        if name == "results":
            lines += [f"| {f['benchmark']}: {f['figure']} | {f['shown']} |"
                      for f in data.get("figures", [])]
        else:
            lines += [f"| {key} | {value} |" for key, value in _flat(data)]
        lines.append("")
    (RESULTS / "summary.md").write_text("\n".join(lines), encoding="utf-8")
    log(f"wrote {RESULTS / 'summary.md'}")


def _flat(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in (data.items() if isinstance(data, dict) else []):
        if isinstance(value, dict):
            out += _flat(value, f"{prefix}{key}.")
        elif not isinstance(value, list):
            out.append((f"{prefix}{key}", value))
    return out


ORDER = ["overhead", "speed", "quality", "glossary", "memory"]


def code_under_test() -> dict[str, str]:
    """The commit and a hash of warcast/transcript/whisper.py (it may have uncommitted
    changes)."""
    commit = subprocess.run(["git", "-C", str(BENCH), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    source = BENCH.parent / "warcast" / "transcript" / "whisper.py"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12] if source.exists() else ""
    return {"commit": commit or "unknown", "whisper_py_sha256": digest}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- memory ---------------------------------------------------------------------------------

def memory(plan: Plan, clips: list[Path], details: dict[str, Any]) -> list[Figure]:
    """Peak RSS and speed of warcast (and of the plain pipeline) on long episodes."""
    unit = speech.joined(clips, CACHE)
    figures, runs = [], {}
    for length in plan.long_minutes:
        episode = speech.looped(unit, length, CACHE)
        try:
            engines_here = ("warcast", "plain") if length == plan.peer_minutes else ("warcast",)
            for engine in engines_here:
                log(f"memory: {engine} on a {length}-minute episode")
                runs[f"{engine} {length} min"] = probe(engine, episode)
        finally:
            episode.unlink()
        figures += memory_figures(length, runs, plan.peer_minutes)
    details["memory"] = runs
    return figures


def probe(engine: str, episode: Path) -> dict[str, Any]:
    """Run probe.py in a child process; its result plus the child's peak RSS from wait4."""
    child = subprocess.Popen([sys.executable, str(PROBE), engine, str(episode)],
                             stdout=subprocess.PIPE, text=True)
    output = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"bench: probe.py {engine} {episode.name} exited {child.returncode}")
    result = json.loads(output)
    result["peak_rss_mb"] = round(usage.ru_maxrss * 1024 / 1e6, 1)  # ru_maxrss is in KiB
    result["speed"] = round(result["audio_seconds"] / result["wall_seconds"], 1)
    log(f"  peak {result['peak_rss_mb']} MB, {result['speed']}x real time")
    return result


def memory_figures(length: int, runs: dict[str, Any], peer_minutes: int) -> list[Figure]:
    ours = runs[f"warcast {length} min"]
    rss, speed = ours["peak_rss_mb"], ours["speed"]
    shown, peer = f"{rss:.0f} MB", {}
    if length == peer_minutes:
        plain = runs[f"plain {length} min"]["peak_rss_mb"]
        peer = {"name": "plain batched pipeline", "value": plain, "ratio": round(rss / plain, 2)}
        shown += f" (plain pipeline {plain:.0f} MB, ratio {rss / plain:.2f})"
    return [
        Figure("memory", f"peak RSS, {length}-minute episode", rss, "MB", shown,
               f"< {MEMORY_TARGET_MB:.0f} MB", rss < MEMORY_TARGET_MB, peer),
        Figure("speed", f"warcast default, {length}-minute episode", speed, "x",
               f"{speed:.1f}x real time", f"≥ {SPEED_TARGET:.0f}x", speed >= SPEED_TARGET),
    ] + ([Figure("speed", f"plain batched pipeline, {length}-minute episode",
                 runs[f"plain {length} min"]["speed"], "x",
                 f"{runs[f'plain {length} min']['speed']:.1f}x real time")]
         if peer else [])


# --- overhead and speed ---------------------------------------------------------------------

def overhead_and_speed(plan: Plan, clip: Path, details: dict[str, Any]) -> list[Figure]:
    """Interleaved runs of warcast and the plain script on one clip; medians compared."""
    options, _ = engines.warcast_model()
    model = engines.plain_model()
    contenders = {"warcast": lambda: engines.warcast(clip, options),
                  "plain": lambda: engines.plain_batched(clip, model)}
    for name, run in contenders.items():
        log(f"overhead: warm-up {name}")
        run()
    walls: dict[str, list[float]] = {name: [] for name in contenders}
    for repetition in range(1, plan.repetitions + 1):
        for name, run in contenders.items():
            walls[name].append(run().wall_seconds)
            log(f"overhead: {name} {repetition}/{plan.repetitions}: {walls[name][-1]:.2f} s")
    audio = speech.duration(clip)
    ours, plain = statistics.median(walls["warcast"]), statistics.median(walls["plain"])
    percent = (ours / plain - 1) * 100
    details["overhead"] = {"clip": clip.name, "audio_seconds": audio, "wall_seconds": walls}
    length = f"{audio:.0f}-second clip" if audio < 90 else f"{audio / 60:.1f}-minute clip"
    return [
        Figure("overhead", f"warcast default vs plain batched script, {length}", percent, "%",
               f"{percent:+.1f} % ({ours:.2f} s vs {plain:.2f} s, median of "
               f"{plan.repetitions})", f"≤ {OVERHEAD_TARGET:.0f} %", percent <= OVERHEAD_TARGET,
               {"name": "plain batched script", "value": plain, "ratio": round(ours / plain, 3)}),
        Figure("speed", f"warcast default, {length}", audio / ours, "x",
               f"{audio / ours:.1f}x real time", f"≥ {SPEED_TARGET:.0f}x",
               audio / ours >= SPEED_TARGET),
    ]


# --- quality --------------------------------------------------------------------------------

def quality(text: str, clips: dict[str, Path], details: dict[str, Any]) -> list[Figure]:
    """WER per voice of warcast's default and faster-whisper's plain default; glossary names."""
    default, _ = engines.warcast_model()
    glossary, _ = engines.warcast_model(engines.GLOSSARY)
    model = engines.plain_model()
    described = engines.context()
    figures, per_voice = [], {}
    totals = {"warcast": 0, "plain": 0, "context": 0, "both": 0, "words": 0, "with": 0,
              "without": 0, "names": 0}
    for voice, clip in clips.items():
        log(f"quality: {voice}")
        runs = {"warcast": engines.warcast(clip, default),
                "plain": engines.plain_default(clip, model),
                "glossary": engines.warcast(clip, glossary),
                "context": engines.warcast(clip, default, described),
                "both": engines.warcast(clip, glossary, described)}
        reference = wer.normalize(text)
        edits = {name: wer.edits(reference, wer.normalize(run.text)) for name, run in runs.items()}
        without, names = wer.names_spelled(text, runs["warcast"].text, engines.GLOSSARY)
        with_glossary, _ = wer.names_spelled(text, runs["glossary"].text, engines.GLOSSARY)
        for key, value in (("warcast", edits["warcast"]), ("plain", edits["plain"]),
                           ("context", edits["context"]), ("both", edits["both"]),
                           ("words", len(reference)), ("with", with_glossary),
                           ("without", without), ("names", names)):
            totals[key] += value
        per_voice[voice] = {
            "words": len(reference), "edits": edits,
            "speed": {name: round(run.speed, 1) for name, run in runs.items()},
            "glossary_names": {"occurrences": names, "without": without, "with": with_glossary},
            "transcripts": {name: run.text for name, run in runs.items()}}
        figures += wer_figures(speech.VOICES[voice], edits["warcast"], edits["plain"],
                               len(reference), judged=len(clips) == 1)
    details["quality"] = per_voice
    if len(clips) > 1:
        figures += wer_figures("all voices", totals["warcast"], totals["plain"], totals["words"])
    # what ``warcast transcribe`` gives Whisper: the title and summary, and the glossary too
    figures += wer_figures("all voices, title and summary", totals["context"], totals["plain"],
                           totals["words"], judged=False)
    figures += wer_figures("all voices, glossary, title and summary", totals["both"],
                           totals["plain"], totals["words"], judged=False)
    return figures + glossary_figures(totals["without"], totals["with"], totals["names"])


def wer_figures(label: str, ours: int, plain: int, words: int,
                judged: bool = True) -> list[Figure]:
    """WER against the plain default. With several voices the target applies to all of them
    together (per voice, a figure to read, not a verdict: espeak voices vary a lot)."""
    a, b = 100 * ours / words, 100 * plain / words
    return [
        Figure("quality", f"WER {label}, warcast default", a, "%",
               f"{a:.1f} % (plain default {b:.1f} %, {a - b:+.1f} points)",
               f"≤ {b:.1f} % (plain default)" if judged else "—",
               (ours <= plain) if judged else None,
               {"name": "faster-whisper plain default", "value": b,
                "ratio": round(a / b, 2) if b else None}),
    ]


def glossary_figures(without: int, with_glossary: int, names: int) -> list[Figure]:
    return [
        Figure("glossary", "names spelled right, without glossary", without, "names",
               f"{without}/{names}"),
        Figure("glossary", "names spelled right, with glossary", with_glossary, "names",
               f"{with_glossary}/{names}", f"≥ {without}/{names} (without)",
               with_glossary >= without),
    ]


if __name__ == "__main__":
    main()
