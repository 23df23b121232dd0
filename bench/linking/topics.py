"""Leave whole topics out: does the linker's calibration carry over to topics it never saw?

Usage: python bench/linking/topics.py [--held-out] [--setups glossary,plain]

The labelled sets (corpus.SETS: ``ours``, the set the linker was first tuned on;
``other``, written for this test with other topics, writers, lengths, styles and voices;
``held``, two more topics written before the second round of tuning; ``held2``, three more
written before the third round's settings were scored) are linked against all their articles
together (95: each set's articles are distractors for the others' episodes).
Every episode belongs to one topic, the cluster it discusses most.

- **Tuning pool**: every topic but :data:`HELD_OUT`. Each setting is scored
  leave-one-topic-out: the threshold is fitted on the episodes of the other topics
  (evaluate.fit) and the held-out topic's episodes are scored at it; the figures are pooled
  over folds and reported per fold, with the worst fold.
- **Held-out topics** (:data:`HELD_OUT`: three topics of the ``other`` set and all of the
  ``held`` and ``held2`` sets, each fixed before the tuning it was kept from): scored only with
  ``--held-out``, once, with the chosen settings and the threshold fitted on the whole tuning
  pool; reported per episode.

Results go to bench/results/linking-topics.json and .md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]

import corpus  # noqa: E402
import evaluate  # noqa: E402
import metrics  # noqa: E402

from warcast.links import LinkSettings  # noqa: E402

HELD_OUT = ("cartels", "space", "caucasus", "myanmar", "india-pakistan", "south-china-sea",
            "great-lakes", "haiti")
"""Topics kept out of all tuning: three of the ``other`` set (chosen when it was written), the
two of the ``held`` set (written before the second round of tuning) and the three of the
``held2`` set (written before the third round's settings were scored)."""
FIGURES = ("passage_p1", "link_precision", "false_link_rate", "paragraph_recall",
           "time_within_30s", "episode_ndcg5", "episode_precision")
POINTS = 60
"""Thresholds tried per fit (spread over the passages' best scores): enough to reach the
best one within a few hundredths, few enough for many folds and variants."""
WORST = {"passage_p1": min, "link_precision": min, "false_link_rate": max,
         "paragraph_recall": min, "time_within_30s": min, "episode_ndcg5": min,
         "episode_precision": min}


def load(setups: tuple[str, ...]) -> tuple[list, dict[str, str], dict[str, list]]:
    """All articles, url → cluster, and per setup every episode case of both sets."""
    articles, clusters = [], {}
    for name in corpus.SETS:
        found, named = corpus.articles(name)
        articles += found
        clusters |= named
    cases = {setup: [c for name in corpus.SETS for c in corpus.cases(setup, evaluate.log, name)]
             for setup in setups}
    for name in corpus.SETS:
        labels = json.loads((corpus.SETS[name] / "labels.json").read_text(encoding="utf-8"))
        SET_OF.update(dict.fromkeys(labels, name))
    return articles, clusters, cases


SET_OF: dict[str, str] = {}
"""Episode folder name → the set (corpus.SETS) it comes from, filled by :func:`load`."""


def topics_out(run: evaluate.Run, clusters: dict[str, str]) -> dict[str, Any]:
    """Leave-one-topic-out over the tuning pool: per fold and pooled."""
    pool = [i for i, c in enumerate(run.cases) if c.topic not in HELD_OUT]
    topics = sorted({run.cases[i].topic for i in pool})
    pooled: Counter[str] = Counter()
    folds = {}
    for topic in topics:
        test = [i for i in pool if run.cases[i].topic == topic]
        threshold = evaluate.fit([(run, [i for i in pool if i not in test])], clusters, POINTS)
        counts = evaluate.tally([(run, test)], threshold, clusters)
        pooled += counts
        folds[topic] = {"threshold": threshold, **metrics.summary(counts)}
    summary = metrics.summary(pooled)
    worst = {key: WORST[key](f[key] for f in folds.values()) for key in FIGURES}
    return {"pooled": summary, "folds": folds, "worst": worst}


def held_out(run: evaluate.Run, clusters: dict[str, str]) -> dict[str, Any]:
    """The held-out topics: the chosen method at the threshold it ships with
    (LinkSettings.threshold, calibrated on the tuning pool of both setups), another variant at
    the threshold fitted on this setup's tuning pool (its scores are on another scale)."""
    test = [i for i, c in enumerate(run.cases) if c.topic in HELD_OUT]
    pool = [i for i, c in enumerate(run.cases) if c.topic not in HELD_OUT]
    threshold = (run.linker.settings.threshold if run.variant in SHIPPED_THRESHOLD
                 else evaluate.fit([(run, pool)], clusters, POINTS))
    episodes = {run.cases[i].name: metrics.summary(evaluate.tally([(run, [i])], threshold,
                                                                  clusters)) for i in test}
    sets = {name: [i for i in test if SET_OF[run.cases[i].name] == name]
            for name in dict.fromkeys(SET_OF[run.cases[i].name] for i in test)}
    return {"threshold": threshold,
            "pooled": metrics.summary(evaluate.tally([(run, test)], threshold, clusters)),
            "sets": {name: metrics.summary(evaluate.tally([(run, found)], threshold, clusters))
                     for name, found in sets.items()},
            "episodes": episodes,
            "worst": {key: WORST[key](e[key] for e in episodes.values()) for key in FIGURES}}


DEFAULT = LinkSettings()
_W = DEFAULT.weighting
SHIPPED_THRESHOLD = ("chosen method", "episode links from passage links only (method 2)",
                     "episode links at the first run, one mention enough (method 4)")
"""Variants scored on the held-out topics at LinkSettings.threshold (fitted on the tuning pool
of both setups together: 3.2265); the others at the threshold fitted on their setup."""
VARIANTS: dict[str, LinkSettings] = {
    **evaluate.VARIANTS,
    "background: median": replace(DEFAULT, background="median"),
    "background: median and spread": replace(DEFAULT, background="spread"),
    "BM25 b 1.0": replace(DEFAULT, weighting=replace(_W, b=1.0)),
    "BM25 b 0.4": replace(DEFAULT, weighting=replace(_W, b=0.4)),
    "spread, b 1.0": replace(DEFAULT, background="spread", weighting=replace(_W, b=1.0)),
    "spread, b 0.4": replace(DEFAULT, background="spread", weighting=replace(_W, b=0.4)),
    "spread, name boost 2": replace(DEFAULT, background="spread",
                                    weighting=replace(_W, entity_boost=2.0)),
    "spread, margin 0.2": replace(DEFAULT, background="spread", margin=0.2),
    "glossary names x2": replace(DEFAULT, glossary_weight=1.0),
    "pivot 0.25": replace(DEFAULT, weighting=replace(_W, pivot=0.25)),
    "pivot 0.5": replace(DEFAULT, weighting=replace(_W, pivot=0.5)),
    "pivot 0.75": replace(DEFAULT, weighting=replace(_W, pivot=0.75)),
    "pivot 1.0": replace(DEFAULT, weighting=replace(_W, pivot=1.0)),
    "spread, glossary names x2": replace(DEFAULT, background="spread", glossary_weight=1.0),
    "spread, glossary names x1.5": replace(DEFAULT, background="spread", glossary_weight=0.5),
    "episode links from passage links only (method 2)": replace(DEFAULT, mention=0.0),
    "episode links at the first run, one mention enough (method 4)": replace(
        DEFAULT, onset=0.0, mentions=1),
    **{f"episode links at the first run of {o} of the strongest's evidence":
       replace(DEFAULT, onset=o) for o in (0.0, 0.25, 0.75)},
    **{f"mentions at {m} of the threshold in {n} passage{'s' * (n > 1)}":
       replace(DEFAULT, mention=m, mentions=n)
       for m in (0.4, 0.5, 0.6, 0.7, 0.8, 0.9) for n in (1, 2, 3)},
}


def run(*, setups: tuple[str, ...] = corpus.SETUPS, final: bool = False,
        variants: dict[str, LinkSettings] | None = None) -> dict[str, Any]:
    articles, clusters, cases = load(setups)
    report: dict[str, Any] = {"held_out_topics": list(HELD_OUT), "results": []}
    for setup in setups:
        for name, settings in (variants or VARIANTS).items():
            r = evaluate.prepare(setup, settings, name, articles, cases[setup])
            row = {"setup": setup, "variant": name, "settings": asdict(settings),
                   "topics_out": topics_out(r, clusters)}
            if final:
                row["held_out"] = held_out(r, clusters)
            report["results"].append(row)
            evaluate.log(f"{setup:8} {name:40} " + line(row))
    return report


def line(row: dict[str, Any]) -> str:
    p, w = row["topics_out"]["pooled"], row["topics_out"]["worst"]
    text = " ".join(f"{k[:12]} {p[k]:.3f}/{w[k]:.3f}" for k in FIGURES)
    if "held_out" in row:
        h = row["held_out"]["pooled"]
        text += " | HELD " + " ".join(f"{k[:12]} {h[k]:.3f}" for k in FIGURES)
    return text


FINAL = ("chosen method", "plain BM25 (no name boost, no fuzzy names)",
         "episode links from passage links only (method 2)",
         "episode links at the first run, one mention enough (method 4)")
"""What the held-out topics are scored with: the chosen settings, and plain BM25 beside it."""
LABELS = {"passage_p1": "passage precision@1", "link_precision": "passage links right",
          "false_link_rate": "false-link rate", "paragraph_recall": "linked paragraphs found",
          "time_within_30s": "episode link within 30 s", "episode_ndcg5": "episode nDCG@5",
          "episode_precision": "episode links right"}


def markdown(report: dict[str, Any]) -> str:
    """The report as Markdown: per setup and variant, pooled and worst fold; held-out topics."""
    lines = ["# Linking with whole topics left out", "",
             f"Held-out topics (never tuned on): {', '.join(report['held_out_topics'])}. "
             "Tuning pool: the other 13 topics (8 of the first set's clusters, one per episode: "
             "the cluster its episode links weigh most; 5 of the second set's; none of the third "
             "set's). Each cell: "
             "pooled over the folds / worst fold.", "",
             "| setup | variant | " + " | ".join(LABELS.values()) + " |",
             "|---|---|" + "---|" * len(LABELS)]
    for row in report["results"]:
        p, w = row["topics_out"]["pooled"], row["topics_out"]["worst"]
        lines.append(f"| {row['setup']} | {row['variant']} | "
                     + " | ".join(f"{p[k]:.3f} / {w[k]:.3f}" for k in LABELS) + " |")
    for row in report["results"]:
        if "held_out" not in row:
            continue
        h = row["held_out"]
        lines += ["", f"## Held-out topics: {row['setup']}, {row['variant']} "
                  f"(threshold {h['threshold']})", "",
                  "| episodes | " + " | ".join(LABELS.values()) + " |",
                  "|---|" + "---|" * len(LABELS),
                  "| all held-out topics | " + " | ".join(f"{h['pooled'][k]:.3f}" for k in LABELS)
                  + " |"]
        for name, f in h.get("sets", {}).items():
            lines.append(f"| set `{name}` | " + " | ".join(f"{f[k]:.3f}" for k in LABELS) + " |")
        for name, e in h["episodes"].items():
            lines.append(f"| {name} | " + " | ".join(f"{e[k]:.3f}" for k in LABELS) + " |")
        lines.append("| worst | " + " | ".join(f"{h['worst'][k]:.3f}" for k in LABELS) + " |")
    folds = next(r for r in report["results"] if r["variant"] == "chosen method")
    lines += ["", "## Folds of the chosen method "
              f"({folds['setup']}; threshold fitted without the topic)", "",
              "| topic | threshold | " + " | ".join(LABELS.values()) + " |",
              "|---|---|" + "---|" * len(LABELS)]
    for topic, f in folds["topics_out"]["folds"].items():
        lines.append(f"| {topic} | {f['threshold']} | "
                     + " | ".join(f"{f[k]:.3f}" for k in LABELS) + " |")
    return "\n".join(lines) + "\n"


def write(report: dict[str, Any]) -> Path:
    path = evaluate.RESULTS / "linking-topics.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    md = path.with_suffix(".md")
    md.write_text(markdown(report), encoding="utf-8")
    return md


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held-out", action="store_true", help="also score the held-out topics")
    parser.add_argument("--setups", default=",".join(corpus.SETUPS))
    parser.add_argument("--only", help="comma-separated variant names (default: all)")
    args = parser.parse_args()
    chosen = {k: v for k, v in VARIANTS.items()
              if not args.only or k in args.only.split(",")}
    if args.held_out and not args.only:
        chosen = {k: v for k, v in chosen.items() if k in FINAL}
    report = run(setups=tuple(args.setups.split(",")), final=args.held_out, variants=chosen)
    md = write(report)
    evaluate.log(f"wrote {md} and its .json")
    print(md.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
