"""Search benchmark: a synthetic 1,000-hour catalog, indexed and queried the way warcast does.

Usage: python bench/search.py [--hours N]

The catalog is made here from one seeded generator: 1,000 one-hour episodes of about 10,000
words each (10 million words), drawn from a vocabulary of 60,000 words with Zipf-like
frequencies (exponent 1.07, as in English speech), where the head is real English function and
common words, the middle the words of the bench script and article set, and the tail invented
names and terms. Cues are 12 words and 4 seconds; speakers take turns. Then it reports:

- build: the full index built from nothing (``SearchIndex.update``), its size on disk;
- update: one episode changed and re-indexed (the others unchanged and skipped);
- queries: latency p50/p95/p99 over a mixed set run twice (the second pass is reported: a
  server keeps its SQLite pages cached): rare words, common words, very common word pairs,
  phrases, prefixes, OR, exclusions, filters (episode, date range, speaker), typos, and
  what the approximate pass serves: a phrase with one word misheard, a sound-alike name.

Results go to bench/results/search.json and search.md. Targets (2 cores): build within
120 s, one-episode update within 1 s, p95 within 10 ms and p99 within 50 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# The warcast checkout whose search is timed: this one, or (--baseline) another one, e.g.
# the previous commit unpacked by git archive, timed on the same index in the same run.
sys.path.insert(0, os.environ.get("BENCH_WARCAST", str(BENCH.parent)))
sys.path.insert(1, str(BENCH))

from report import percentile  # noqa: E402

from warcast.search import IndexedEpisode, Passage, SearchIndex, Source, passages_of  # noqa: E402
from warcast.transcript.model import Cue, Transcript  # noqa: E402

RESULTS = BENCH / "results"
WORDS_PER_HOUR = 10_000
VOCABULARY = 60_000
ZIPF = 1.07
_COMMON_TEXT = """
the of and to a in that is it you was for on are with as i his they be at one have this from or
had by not word but what some we can out other were all there when up use your how said an each
she which do their time if will way about many then them write would like so these her long
make thing see him two has look more day could go come did number sound no most people my over
know water than call first who may down side been now find any new work part take get place
made live where after back little only round man year came show every good me give our under
name very through just form sentence great think say help low line differ turn cause much mean
before move right boy old too same tell does set three want air well also play small end put
home read hand port large spell add even land here must big high such follow act why ask men
change went light kind off need house picture try us again animal point mother world near build
self earth father
"""
COMMON = _COMMON_TEXT.split()
SPEAKERS = ("Dana Reyes", "Samir Okafor", "Lucia Ferreyra", "Nora Halvorsen", "Tom Baker")
TARGETS = {"build_seconds": 120.0, "update_seconds": 1.0, "p95_ms": 10.0, "p99_ms": 50.0}


def vocabulary(rng: random.Random) -> list[str]:
    """Common words first, then the bench's own texts, then invented names and terms."""
    seen = dict.fromkeys(COMMON)
    for source in (BENCH / "script.txt", BENCH / "linking" / "articles.jsonl"):
        for word in re.findall(r"[A-Za-z][a-z]+", source.read_text(encoding="utf-8")):
            seen.setdefault(word.lower())
    words = list(seen)
    syllables = ["ka", "ro", "mi", "te", "su", "va", "lo", "ne", "dri", "sha", "qui", "bor",
                 "zen", "tal", "mar", "vik", "ul", "es", "an", "or"]
    while len(words) < VOCABULARY:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen[word] = None
            words.append(word.capitalize() if rng.random() < 0.3 else word)
    return words


def catalog(hours: int, rng: random.Random) -> tuple[list[IndexedEpisode], list[str]]:
    words = vocabulary(rng)
    weights = [1 / (rank ** ZIPF) for rank in range(1, len(words) + 1)]
    first = dt.date(2007, 1, 1)
    episodes = []
    for n in range(hours):
        drawn = rng.choices(words, weights=weights, k=WORDS_PER_HOUR)
        cues, speaker = [], SPEAKERS[n % 3]
        for c in range(0, len(drawn), 12):
            if rng.random() < 0.08:
                speaker = rng.choice(SPEAKERS)
            start = c / 12 * 4.0
            cues.append(Cue(start, start + 3.9, " ".join(drawn[c:c + 12]), speaker))
        slug = f"episode-{n:04d}"
        passages = (*passages_of(Transcript(tuple(cues))),
                    Passage("title", 0, 0, f"Episode {n}: {' '.join(drawn[:6])}"))
        episodes.append(IndexedEpisode(slug, f"Episode {n}", first + dt.timedelta(days=n * 7),
                                       f"https://pod.example.org/episodes/{slug}/",
                                       f"https://pod.example.org/media/{slug}.mp3", passages))
    return episodes, words


def queries(words: list[str], episodes: list[IndexedEpisode], rng: random.Random
            ) -> list[tuple[str, str, dict]]:
    """(kind, query, filters): the mixed query set."""
    head, middle, tail = words[:60], words[200:5000], words[20000:]
    texts = [p.text for e in rng.sample(episodes, 50) for p in e.passages if p.kind ==
             "transcript"]
    out: list[tuple[str, str, dict]] = []
    for _ in range(40):
        out.append(("rare word", rng.choice(tail), {}))
        out.append(("common word", rng.choice(middle[:300]), {}))
        out.append(("very common words", f"{rng.choice(head[10:40])} {rng.choice(head[10:40])}",
                    {}))
        out.append(("two words", f"{rng.choice(middle)} {rng.choice(middle)}", {}))
        sample = rng.choice(texts).split()
        at = rng.randrange(0, max(1, len(sample) - 3))
        out.append(("phrase", '"' + " ".join(sample[at:at + 3]) + '"', {}))
        out.append(("prefix", rng.choice(middle)[:4] + "*", {}))
        out.append(("OR", f"{rng.choice(tail)} OR {rng.choice(middle)}", {}))
        out.append(("exclusion", f"{rng.choice(middle)} -{rng.choice(head[10:40])}", {}))
        out.append(("episode filter", rng.choice(middle[:300]),
                    {"episode": rng.choice(episodes).slug}))
        out.append(("date filter", rng.choice(middle[:300]),
                    {"since": dt.date(2010, 1, 1), "until": dt.date(2012, 12, 31)}))
        out.append(("speaker filter", rng.choice(middle[:300]),
                    {"speaker": rng.choice(SPEAKERS)}))
        word = rng.choice(middle[300:3000])
        out.append(("typo", word[:2] + word[3:] if len(word) > 5 else word + "x", {}))
        misheard = list(sample[at:at + 3])
        misheard[1] = misheard[1][:-1] + ("a" if misheard[1][-1:] != "a" else "e")
        out.append(("misheard phrase", '"' + " ".join(misheard) + '"', {}))
        name = rng.choice(tail)
        out.append(("sound-alike name", name[0] + name[1:].replace("c", "k").replace("s", "z")
                    + "h", {}))
        out.append(("most words", f"{rng.choice(middle)} {rng.choice(middle)} "
                    f"{rng.choice(tail)}x", {}))
        out.append(("question", f"what did they say about {rng.choice(middle)} "
                    f"{rng.choice(middle[:300])}", {}))
    return out


def sources(episodes: list[IndexedEpisode]) -> list[Source]:
    """Episodes keyed as ``warcast index`` keys them: a digest of their files' bytes (here the
    text they hold), so the timing includes reading every episode's key."""
    out = []
    for episode in episodes:
        data = "\n".join([episode.title, *(p.text for p in episode.passages)]).encode()
        out.append(Source(episode.slug, hashlib.sha256(data).hexdigest(),
                          lambda episode=episode: episode))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=1000)
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="Another warcast checkout to time on the same index, side by side")
    parser.add_argument("--time", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.time:   # a child: time one checkout's search, print the timings
        print(json.dumps(time_queries(*args.time)))
        return
    rng = random.Random(20261125)
    started = time.perf_counter()
    episodes, words = catalog(args.hours, rng)
    made = time.perf_counter() - started
    total_words = sum(len(p.text.split()) for e in episodes for p in e.passages)
    print(f"[bench] catalog: {len(episodes)} episodes, {total_words:,} words in {made:.0f} s",
          file=sys.stderr)
    results: dict[str, object] = {"episodes": len(episodes), "words": total_words}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "search.sqlite"
        index = SearchIndex(path, create=True)
        t = time.perf_counter()
        index.update(sources(episodes))
        results["build_seconds"] = round(time.perf_counter() - t, 1)
        index.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        results["size_mb"] = round(path.stat().st_size / 1e6, 1)
        print(f"[bench] build {results['build_seconds']} s, {results['size_mb']} MB",
              file=sys.stderr)
        changed = list(episodes)
        victim = changed[len(changed) // 2]
        changed[len(changed) // 2] = IndexedEpisode(
            victim.slug, victim.title + " (corrected)", victim.published, victim.page_url,
            victim.audio_url, (*victim.passages[:-2], Passage("title", 0, 0, "corrected")))
        t = time.perf_counter()
        report = index.update(sources(changed))
        results["update_seconds"] = round(time.perf_counter() - t, 3)
        assert (report.updated, report.unchanged) == (1, len(episodes) - 1), report
        mixed = queries(words, episodes, rng)
        index.close()
        asked = Path(folder) / "queries.json"
        asked.write_text(json.dumps([(k, t, {n: str(v) for n, v in f.items()})
                                     for k, t, f in mixed]))
        codes = {"after": str(BENCH.parent)}
        if args.baseline:
            codes = {"before": str(args.baseline.resolve()), **codes}
        timed: dict[str, dict[str, list[float]]] = {}
        for _ in range(2):   # alternated, the second round kept: both see the same load
            for name, code in codes.items():
                done = subprocess.run(
                    [sys.executable, __file__, "--time", str(path), str(asked)],
                    env={**os.environ, "BENCH_WARCAST": code}, capture_output=True,
                    text=True, check=True)
                timed[name] = json.loads(done.stdout)
        for name, timings in timed.items():
            figures = _latency(timings)
            if name == "after":
                results.update(figures)
            else:
                results["before"] = figures
    write(results)


def _latency(timings: dict[str, list[float]]) -> dict[str, object]:
    every = [ms for values in timings.values() for ms in values]
    out: dict[str, object] = {"queries": len(every)}
    for name, share in (("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99)):
        out[name] = round(percentile(every, share), 2)
    out["by_kind"] = {kind: {"p50_ms": round(statistics.median(v), 2),
                             "p95_ms": round(percentile(v, 0.95), 2),
                             "max_ms": round(max(v), 2)} for kind, v in timings.items()}
    return out


def time_queries(path: Path, asked: Path) -> dict[str, list[float]]:
    """Each query's time in ms on the index at ``path``, second of two passes (a server keeps
    its SQLite pages cached)."""
    index = SearchIndex(path)
    timings: dict[str, list[float]] = {}
    mixed = json.loads(asked.read_text())
    for attempt in range(2):
        for kind, text, raw in mixed:
            filters = {n: (v if n in ("episode", "speaker") else dt.date.fromisoformat(v))
                       for n, v in raw.items()}
            t = time.perf_counter()
            index.search(text, limit=10, **filters)
            if attempt:
                timings.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
    index.close()
    return timings


def write(results: dict[str, object]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "search.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = ["# Search benchmark", "",
             f"{results['episodes']} episodes, {results['words']:,} words, "
             f"{results['queries']} timed queries (2nd pass).", "",
             "| figure | value | target | result |", "|---|---|---|---|"]
    for key, label, unit in (("build_seconds", "full build", "s"), ("size_mb", "index size", "MB"),
                             ("update_seconds", "one-episode update", "s"),
                             ("p50_ms", "query p50", "ms"), ("p95_ms", "query p95", "ms"),
                             ("p99_ms", "query p99", "ms")):
        target = TARGETS.get(key)
        verdict = "—" if target is None else ("pass" if results[key] <= target else "**FAIL**")
        shown = "—" if target is None else f"≤ {target:g} {unit}"
        lines.append(f"| {label} | {results[key]} {unit} | {shown} | {verdict} |")
    before: dict = results.get("before", {})  # type: ignore[assignment]
    if before:
        lines += ["", "Side by side on the same index, in the same run (--baseline): before "
                  f"p50 {before['p50_ms']} ms, p95 {before['p95_ms']} ms, p99 "
                  f"{before['p99_ms']} ms; after p50 {results['p50_ms']} ms, p95 "
                  f"{results['p95_ms']} ms, p99 {results['p99_ms']} ms."]
    lines += ["", "| query kind | p50 ms | p95 ms | max ms | before: p95 ms |",
              "|---|---|---|---|---|"]
    for kind, row in results["by_kind"].items():  # type: ignore[union-attr]
        old = before.get("by_kind", {}).get(kind, {}).get("p95_ms", "—") if before else "—"
        lines.append(f"| {kind} | {row['p50_ms']} | {row['p95_ms']} | {row['max_ms']} | "
                     f"{old} |")
    (RESULTS / "search.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
