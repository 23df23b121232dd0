"""Evaluate warcast's linker on the labelled set in bench/linking/ (see README.md there).

Usage: python bench/linking/evaluate.py [--quick] [--no-speed] [--variants]

Renders the eight episodes, transcribes them with the real Whisper model (twice: as
``warcast transcribe`` does, with the show's glossary, and plain, without it), links every
transcript to the 54 articles and scores the links against the labels (metrics.py). The
threshold is calibrated by leave-one-episode-out cross-validation: each episode is scored
with the threshold fitted on the other seven, and the pooled figures are the honest ones; the
figures at the threshold fitted on all eight are reported beside them. ``--variants`` also
scores the alternatives the method was chosen against. A speed benchmark (speed.py) links
1,000 synthetic episodes against 10,000 synthetic articles. Results go to
bench/results/linking.json and linking.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus
import metrics

from warcast.links import Linker, LinkSettings, Ranking, Weighting

RESULTS = corpus.ROOT / "bench" / "results"
TARGETS = {"passage_p1": 0.9, "false_link_rate": 0.1, "time_within_30s": 0.9}
"""At least (p1, time) or at most (false links), from the brief."""
FIT_PRECISION = 0.9
FIT_FALSE_LINKS = 0.05
"""What a threshold must achieve on the training episodes to be chosen (then: most found)."""

DEFAULT = LinkSettings()
VARIANTS: dict[str, LinkSettings] = {
    "chosen method": DEFAULT,
    "no fuzzy names": replace(DEFAULT, weighting=replace(DEFAULT.weighting, fuzzy=1.0)),
    "fuzzy names at 0.7": replace(DEFAULT, weighting=replace(DEFAULT.weighting, fuzzy=0.7)),
    "fuzzy names at 0.9": replace(DEFAULT, weighting=replace(DEFAULT.weighting, fuzzy=0.9)),
    "no name boost": replace(DEFAULT, weighting=replace(DEFAULT.weighting, entity_boost=0.0)),
    "plain BM25 (neither)": replace(DEFAULT, weighting=Weighting(entity_boost=0.0, fuzzy=1.0)),
    "windows 30 s / hop 15 s": replace(DEFAULT, window=30.0, hop=15.0),
    "windows 20 s / hop 10 s": replace(DEFAULT, window=20.0, hop=10.0),
    "windows 30 s / hop 10 s": replace(DEFAULT, window=30.0, hop=10.0),
    "windows 40 s / hop 20 s": replace(DEFAULT, window=40.0, hop=20.0),
    "windows 45 s / hop 15 s": replace(DEFAULT, window=45.0, hop=15.0),
    "windows 90 s / hop 45 s": replace(DEFAULT, window=90.0, hop=45.0),
    "no trimming": replace(DEFAULT, trim=0.0),
}


@dataclass
class Run:
    """One setup (transcripts) and one variant (settings), ranked once per episode."""

    setup: str
    variant: str
    linker: Linker
    cases: list[corpus.EpisodeCase]
    ranked: list[Ranking]


def prepare(setup: str, settings: LinkSettings, variant: str,
            articles: list, cases: list[corpus.EpisodeCase]) -> Run:
    linker = Linker(articles, settings)
    return Run(setup, variant, linker, cases, [linker.rank(c.transcript) for c in cases])


def tally(run: Run, threshold: float, episodes: list[int], clusters: dict[str, str]
          ) -> Counter[str]:
    """Pooled counts over the given episodes at one threshold."""
    linker = run.linker.with_settings(replace(run.linker.settings, threshold=threshold))
    counts: Counter[str] = Counter()
    for e in episodes:
        ranking, case = run.ranked[e], run.cases[e]
        metrics.ranking(ranking, case, counts)
        chosen = [[k.url for k in linker.passage_links(ranking, i)]
                  for i in range(len(ranking.passages))]
        metrics.links(linker.choose(ranking), chosen, ranking, case, counts, clusters)
    return counts


def grid(run: Run) -> list[float]:
    """Candidate thresholds: midpoints between the windows' best scores."""
    best = sorted({round(float(row.max()), 4) for r in run.ranked for row in r.scores})
    return [0.0] + [round((a + b) / 2, 4) for a, b in pairwise(best)]


def fit(run: Run, episodes: list[int], clusters: dict[str, str]) -> float:
    """The threshold that finds most on ``episodes`` while staying precise there."""
    def merit(threshold: float) -> tuple[bool, float, float]:
        s = metrics.summary(tally(run, threshold, episodes, clusters))
        ok = s["link_precision"] >= FIT_PRECISION and s["false_link_rate"] <= FIT_FALSE_LINKS
        found = s["paragraph_recall"] + s["time_within_30s"]
        return ok, found if ok else s["link_precision"] - s["false_link_rate"], -threshold

    return max(grid(run), key=merit)


def evaluate(run: Run, clusters: dict[str, str]) -> dict[str, Any]:
    """Figures at the threshold fitted on all episodes, and leave-one-episode-out."""
    everyone = list(range(len(run.cases)))
    threshold = fit(run, everyone, clusters)
    fitted = metrics.summary(tally(run, threshold, everyone, clusters))
    pooled: Counter[str] = Counter()
    folds = []
    for e in everyone:
        held = fit(run, [i for i in everyone if i != e], clusters)
        folds.append(held)
        pooled += tally(run, held, [e], clusters)
    return {"setup": run.setup, "variant": run.variant, "threshold": threshold,
            "fitted": fitted, "loo_thresholds": folds, "loo": metrics.summary(pooled)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", action="store_true", help="also score the alternatives")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed benchmark")
    parser.add_argument("--quick", action="store_true", help="a smaller speed benchmark")
    args = parser.parse_args()
    started = time.perf_counter()
    articles, clusters = corpus.articles()
    variants = VARIANTS if args.variants else {"chosen method": DEFAULT}
    results = []
    for setup in corpus.SETUPS:
        cases = corpus.cases(setup, log)
        for name, settings in variants.items():
            result = evaluate(prepare(setup, settings, name, articles, cases), clusters)
            log(f"{setup:8} {name:26} " + _line(result))
            results.append(result)
    print(json.dumps(results, indent=1))
    log(f"done in {time.perf_counter() - started:.0f} s")


def _line(result: dict[str, Any]) -> str:
    f, loo = result["fitted"], result["loo"]
    return (f"p1 {f['passage_p1']:.3f} strict {f['passage_p1_strict']:.3f} "
            f"ndcg {f['passage_ndcg5']:.3f} | t {result['threshold']:.3f}: prec "
            f"{f['link_precision']:.3f} false {f['false_link_rate']:.3f} cov "
            f"{f['paragraph_recall']:.3f} time {f['time_within_30s']:.3f} | loo: prec "
            f"{loo['link_precision']:.3f} false {loo['false_link_rate']:.3f} "
            f"cov {loo['paragraph_recall']:.3f} time {loo['time_within_30s']:.3f} "
            f"ep-p1 {loo['episode_p1']:.3f}")


def log(message: str) -> None:
    print(f"[linking] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()

_ = asdict  # used by the report writer
