"""Evaluate warcast's linker on the labelled set in bench/linking/ (see README.md there).

Usage: python bench/linking/evaluate.py [--quick] [--no-speed] [--no-variants]
                                        [--embedding MODEL_DIR]

Renders the eight episodes, transcribes them with the real Whisper model (twice: as
``warcast transcribe`` does, with the show's glossary, and plain, without it, where names come
out misheard), links every transcript to the 54 articles and scores the links against the
labels (metrics.py). The threshold is calibrated by leave-one-episode-out cross-validation:
each episode is scored with the threshold fitted on the other seven, and the pooled figures
are the honest ones; the figures at the threshold fitted on all eight are reported beside
them. The alternatives the method was chosen against are scored the same way, and so is the
embedding contender when ``--embedding`` names its model folder (minilm.py). A speed benchmark
(speed.py) links 1,000 synthetic episodes against 10,000 synthetic articles. Results go to
bench/results/linking.json and linking.md. Last, topics.py scores all four sets leaving whole
topics out and then the held-out topics (bench/results/linking-topics.json and .md).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]

import corpus  # noqa: E402
import metrics  # noqa: E402
import speed  # noqa: E402

from warcast.links import Linker, LinkSettings, Ranking, Weighting  # noqa: E402

RESULTS = corpus.ROOT / "bench" / "results"
FIT_PRECISION = 0.9
FIT_FALSE_LINKS = 0.05
"""What a threshold must achieve on the training episodes to be chosen (then: most found)."""
TARGETS: dict[str, tuple[str, float]] = {
    "passage_p1": (">=", 0.9), "false_link_rate": ("<=", 0.1), "time_within_30s": (">=", 0.9),
    "link_precision": (">=", 0.9),
}
GENERAL = {"0003-red-sea-who-pays": "houthis-red-sea-shipping",
           "0005-sanctions-three-ways": "venezuela-sanctions-leverage",
           "0007-sudan-and-the-sahel": "sudan-war-two-generals",
           "0008-ukraine-skies-and-europes-drone-wall": "ukraine-air-defense-layers"}
"""The four general passages (README.md): episode → the broad article that is their right
link; the passage is the first paragraph where it has grade 2."""

DEFAULT = LinkSettings()
_W = DEFAULT.weighting
VARIANTS: dict[str, LinkSettings] = {
    "chosen method": DEFAULT,
    "plain BM25 (no name boost, no fuzzy names)": replace(
        DEFAULT, weighting=Weighting(entity_boost=0.0, fuzzy=1.0)),
    "no fuzzy names": replace(DEFAULT, weighting=replace(_W, fuzzy=1.0)),
    "fuzzy names at 0.9": replace(DEFAULT, weighting=replace(_W, fuzzy=0.9)),
    "no name boost": replace(DEFAULT, weighting=replace(_W, entity_boost=0.0)),
    "name boost 2": replace(DEFAULT, weighting=replace(_W, entity_boost=2.0)),
    "margin 0.3 over the runner-up": replace(DEFAULT, margin=0.3),
    "windows 60 s / hop 30 s": replace(DEFAULT, window=60.0, hop=30.0),
    "windows 45 s / hop 15 s": replace(DEFAULT, window=45.0, hop=15.0),
    "windows 40 s / hop 20 s": replace(DEFAULT, window=40.0, hop=20.0),
    "windows 20 s / hop 10 s": replace(DEFAULT, window=20.0, hop=10.0),
    "trim at 0.5": replace(DEFAULT, trim=0.5),
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
    ranking_counts: dict[int, Counter[str]] = field(default_factory=dict)


Part = tuple[Run, list[int]]
"""A run and the episodes (indexes) of it that a figure is pooled over."""


def prepare(setup: str, settings: LinkSettings, variant: str,
            articles: list, cases: list[corpus.EpisodeCase]) -> Run:
    linker = Linker(articles, settings)
    # Settings that only choose among ranked scores (threshold, mentions, ...) share a ranking.
    ranks = {k: v for k, v in asdict(settings).items() if k in RANK_SETTINGS}
    key = (setup, json.dumps(ranks, sort_keys=True), id(articles), id(cases))
    if key not in _RANKED:
        _RANKED[key] = [linker.rank(c.transcript, c.names) for c in cases]
    return Run(setup, variant, linker, cases, _RANKED[key])


RANK_SETTINGS = ("window", "hop", "background", "glossary_weight", "weighting")
"""The fields of LinkSettings that change a ranking (Linker.rank); the others only choose."""
_RANKED: dict[tuple, list[Ranking]] = {}


def tally(parts: list[Part], threshold: float, clusters: dict[str, str]) -> Counter[str]:
    """Pooled counts over the given episodes at one threshold."""
    counts: Counter[str] = Counter()
    for run, episodes in parts:
        linker = run.linker.with_settings(replace(run.linker.settings, threshold=threshold))
        for e in episodes:
            ranking, case = run.ranked[e], run.cases[e]
            if e not in run.ranking_counts:  # the same at every threshold
                run.ranking_counts[e] = Counter()
                metrics.ranking(ranking, case, run.ranking_counts[e])
            counts += run.ranking_counts[e]
            chosen = [[k.url for k in linker.passage_links(ranking, i)]
                      for i in range(len(ranking.passages))]
            metrics.links(linker.choose(ranking), chosen, ranking, case, counts, clusters)
    return counts


def grid(parts: list[Part], points: int = 0) -> list[float]:
    """Candidate thresholds: midpoints between the passages' best scores (every ``points``-th
    of them, about, when ``points`` is set)."""
    best = sorted({round(float(row.max()), 4) for run, episodes in parts
                   for e in episodes for row in run.ranked[e].scores})
    found = [0.0] + [round((a + b) / 2, 4) for a, b in pairwise(best)]
    if points and len(found) > points:
        step = len(found) / points
        found = [found[int(i * step)] for i in range(points)]
    return found


def fit(parts: list[Part], clusters: dict[str, str], points: int = 0) -> float:
    """The threshold that finds most on ``parts`` while staying precise there."""
    def merit(threshold: float) -> tuple[bool, float, float]:
        s = metrics.summary(tally(parts, threshold, clusters))
        ok = s["link_precision"] >= FIT_PRECISION and s["false_link_rate"] <= FIT_FALSE_LINKS
        found = s["paragraph_recall"] + s["time_within_30s"]
        return ok, found if ok else s["link_precision"] - s["false_link_rate"], -threshold

    return max(grid(parts, points), key=merit)


def evaluate(run: Run, clusters: dict[str, str]) -> dict[str, Any]:
    """Figures at the threshold fitted on all episodes, and leave-one-episode-out."""
    everyone = list(range(len(run.cases)))
    threshold = fit([(run, everyone)], clusters)
    pooled: Counter[str] = Counter()
    folds = []
    for e in everyone:
        folds.append(fit([(run, [i for i in everyone if i != e])], clusters))
        pooled += tally([(run, [e])], folds[-1], clusters)
    return {"setup": run.setup, "variant": run.variant, "threshold": threshold,
            "fitted": metrics.summary(tally([(run, everyone)], threshold, clusters)),
            "loo_thresholds": folds, "loo": metrics.summary(pooled)}


def general_passages(run: Run) -> list[dict[str, Any]]:
    """Did the broad article win the four general passages? (window holding most of each)"""
    rows = []
    for ranking, case in zip(run.ranked, run.cases, strict=True):
        if case.name not in GENERAL:
            continue
        broad = next(url for url in case.episode_links if _slug(url) == GENERAL[case.name])
        p = next(p for p in case.paragraphs if p.grades.get(broad) == 2)
        i = max(range(len(ranking.passages)), key=lambda k: _overlap(ranking.passages[k], p))
        top = [ranking.urls[s] for s in ranking.order(i, 3)]
        rows.append({"episode": case.name, "paragraph": p.index, "broad": _slug(broad),
                     "top3": [_slug(u) for u in top], "broad_first": top[0] == broad})
    return rows


def _overlap(span: Any, p: corpus.Paragraph) -> float:
    return min(span.end, p.end) - max(span.start, p.start)


def _slug(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def public_only(setup: str, articles: list, cases: list, clusters: dict[str, str],
                threshold: float) -> dict[str, Any]:
    """Links when members-only articles are left out (five grade-2 targets are missing)."""
    public = [a for a in articles if not a.members_only]
    run = prepare(setup, replace(DEFAULT, threshold=threshold), "public only", public, cases)
    return metrics.summary(tally([(run, list(range(len(cases))))], threshold, clusters))


def embedding_runs(folder: Path, setup: str, articles: list, cases: list[corpus.EpisodeCase]
                   ) -> list[Run]:
    """The embedding contender (minilm.py), alone and added to BM25. An article's similarity
    is its best chunk's (title and dek, then each body paragraph); links are still trimmed
    with the BM25 cue evidence."""
    import numpy as np
    from minilm import MiniLM

    model = MiniLM(folder)
    base = prepare(setup, DEFAULT, "", articles, cases)
    chunks = [(a.url, text) for a in articles
              for text in (f"{a.title}. {a.dek}", *a.body.split("\n\n"))]
    vectors = model.embed([text for _, text in chunks])
    slot = {url: i for i, url in enumerate(base.ranked[0].urls)}
    mixes: dict[str, Callable[[Any, Any], Any]] = {
        "MiniLM embeddings only": lambda bm25, emb: emb,
        "BM25 + 4 x MiniLM cosine": lambda bm25, emb: bm25 + 4 * emb,
        "BM25 + 8 x MiniLM cosine": lambda bm25, emb: bm25 + 8 * emb,
    }
    runs: dict[str, list[Ranking]] = {name: [] for name in mixes}
    for ranking in base.ranked:
        texts = [" ".join(c.text for c in ranking.cues[p.first:p.last + 1])
                 for p in ranking.passages]
        sims = model.embed(texts) @ vectors.T
        emb = np.zeros(ranking.scores.shape, dtype=np.float32)
        for j, (url, _) in enumerate(chunks):
            emb[:, slot[url]] = np.maximum(emb[:, slot[url]], sims[:, j])
        for name, mix in mixes.items():
            runs[name].append(replace(ranking, scores=mix(ranking.scores, emb)))
    return [Run(setup, name, base.linker, cases, ranked) for name, ranked in runs.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-variants", action="store_true", help="only the chosen method")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed benchmark")
    parser.add_argument("--quick", action="store_true", help="a tenth of the speed benchmark")
    parser.add_argument("--embedding", type=Path, help="folder of all-MiniLM-L6-v2 (minilm.py)")
    args = parser.parse_args()
    _, md_path = run(quick=args.quick, variants=not args.no_variants,
                     speed=not args.no_speed, embedding=args.embedding)
    print(md_path.read_text(encoding="utf-8"))


def run(*, quick: bool = False, variants: bool = True, speed: bool = True,
        embedding: Path | None = None) -> tuple[Path, Path]:
    """The whole evaluation (what ``make bench`` calls); the paths of the two result files."""
    report = run_all(not variants, embedding)
    if speed:
        report["speed"] = run_speed(quick)
    json_path, md_path = write(report)
    log(f"wrote {json_path} and {md_path}")
    import topics  # both sets, whole topics left out, then the held-out topics

    chosen = {name: topics.VARIANTS[name] for name in topics.FINAL}
    log(f"wrote {topics.write(topics.run(final=True, variants=chosen))}")
    return json_path, md_path


def run_all(no_variants: bool = False, embedding: Path | None = None) -> dict[str, Any]:
    """Every setup and variant scored; the default threshold calibrated on both setups."""
    started = time.perf_counter()
    articles, clusters = corpus.articles()
    variants = {"chosen method": DEFAULT} if no_variants else VARIANTS
    results, chosen, cases = [], {}, {}
    for setup in corpus.SETUPS:
        cases[setup] = corpus.cases(setup, log)
        for name, settings in variants.items():
            run = prepare(setup, settings, name, articles, cases[setup])
            results.append(evaluate(run, clusters))
            log(f"{setup:8} {name:44} " + _line(results[-1]))
            chosen.setdefault(setup, run)
        if embedding:
            for run in embedding_runs(embedding, setup, articles, cases[setup]):
                results.append(evaluate(run, clusters))
                log(f"{setup:8} {run.variant:44} " + _line(results[-1]))
    both = [(run, list(range(len(run.cases)))) for run in chosen.values()]
    calibrated = fit(both, clusters)
    report: dict[str, Any] = {
        "settings": asdict(DEFAULT), "calibrated_threshold": calibrated,
        "calibrated_figures": metrics.summary(tally(both, calibrated, clusters)),
        "results": results,
        "general_passages": {s: general_passages(r) for s, r in chosen.items()},
        "public_only": {s: public_only(s, articles, cases[s], clusters, DEFAULT.threshold)
                        for s in corpus.SETUPS},
        "seconds": round(time.perf_counter() - started, 1)}
    if abs(calibrated - DEFAULT.threshold) > 0.05:
        log(f"note: the threshold calibrated on this set alone is {calibrated}; LinkSettings "
            f"has {DEFAULT.threshold}, calibrated on both sets' tuning topics (topics.py)")
    return report


def run_speed(quick: bool) -> dict[str, Any]:
    articles, _ = corpus.articles()
    scale = speed.Scale(1_000, 100) if quick else speed.Scale()
    log(f"speed: {scale.episodes} episodes against {scale.articles} articles")
    figures = speed.run(articles, scale, DEFAULT)
    log(f"speed: {figures}")
    return figures


def _line(result: dict[str, Any]) -> str:
    f, loo = result["fitted"], result["loo"]
    return (f"p1 {f['passage_p1']:.3f} | fitted {result['threshold']:.2f}: prec "
            f"{f['link_precision']:.3f} false {f['false_link_rate']:.3f} rec "
            f"{f['paragraph_recall']:.3f} time {f['time_within_30s']:.3f} | loo: prec "
            f"{loo['link_precision']:.3f} false {loo['false_link_rate']:.3f} "
            f"rec {loo['paragraph_recall']:.3f} time {loo['time_within_30s']:.3f}")


# --- the report -----------------------------------------------------------------------------

MAIN_FIGURES = (
    ("passage_p1", "passage precision@1 (ranking, windows with a related article)"),
    ("passage_p1_strict", "passage precision@1, strict (top is grade 2)"),
    ("passage_p3", "passage precision@3 (ceiling below 1: most have one article)"),
    ("passage_hit3", "passage hit@3"),
    ("passage_ndcg5", "passage nDCG@5"),
    ("paragraph_p1", "paragraph precision@1 (README view, 65 paragraphs)"),
    ("link_precision", "passage links that are right"),
    ("false_link_rate", "false-link rate (paragraphs with no article that get a link)"),
    ("window_false_link_rate", "false-link rate over windows with no related article"),
    ("paragraph_recall", "linked paragraphs that get a right link"),
    ("episode_p1", "episode precision@1"),
    ("episode_p3", "episode precision@3"),
    ("episode_ndcg5", "episode nDCG@5"),
    ("episode_recall", "episode links found (of 32)"),
    ("time_within_30s", "episode link time within 30 s of the first paragraph"),
)


COUNTING = [
    "How figures are counted (metrics.py): a stretch of time (window or link) takes the labels "
    "of every paragraph it overlaps by at least half of the shorter of the two. *Passage* "
    "figures rank all 54 articles for every window that has a related article. *Links right*: "
    "emitted passage links whose article is in their own stretch's labels. *False-link rate*: "
    "of the 38 paragraphs with no article, those that an emitted link overlaps by half (of "
    "the paragraph or of the link); the window-level rate is also shown, but 30-second windows "
    "rarely lack a related paragraph. *Paragraph precision@1* (README view): the top article "
    "of the window overlapping each linked paragraph most. *Time*: an episode link's start "
    "within 30 s of its first labelled paragraph; a missing link is a miss. Thresholds are "
    "fitted to find the most (paragraphs found + time) while links right ≥ 0.9 and false-link "
    "rate ≤ 0.05 on the training episodes.",
]


def write(report: dict[str, Any]) -> tuple[Path, Path]:
    from report import machine

    report["machine"] = machine()
    RESULTS.mkdir(parents=True, exist_ok=True)
    json_path, md_path = RESULTS / "linking.json", RESULTS / "linking.md"
    json_path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    md_path.write_text(markdown(report), encoding="utf-8")
    return json_path, md_path


def markdown(report: dict[str, Any]) -> str:
    chosen = {r["setup"]: r for r in report["results"] if r["variant"] == "chosen method"}
    lines = ["# Linking benchmark", "",
             f"Ran {report['machine']['date']} on {report['machine']['cpu_count']} cores. "
             f"Threshold {report['settings']['threshold']} (calibrated on both setups: "
             f"{report['calibrated_threshold']}). `glossary`: transcripts as "
             "`warcast transcribe` makes them; `plain`: no glossary, names misheard.", "",
             "| figure | glossary, leave-one-out | glossary, fitted | plain, leave-one-out "
             "| plain, fitted | target |", "|---|---|---|---|---|---|"]
    for key, label in MAIN_FIGURES:
        cells = [f"{chosen[s][k][key]:.3f}" for s in corpus.SETUPS for k in ("loo", "fitted")]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {_target(key)} |")
    both = report["calibrated_figures"]
    lines += ["", "Leave-one-out thresholds: " + "; ".join(
        f"{s} {chosen[s]['loo_thresholds']}" for s in corpus.SETUPS) + ".",
        f"Both setups at the calibrated threshold: p@1 {both['passage_p1']:.3f}, links right "
        f"{both['link_precision']:.3f} ({both['links']} links), false-link rate "
        f"{both['false_link_rate']:.3f}, paragraphs found {both['paragraph_recall']:.3f}, "
        f"time within 30 s {both['time_within_30s']:.3f}; windows with no related article: "
        f"{both['empty_windows']}.", "", *COUNTING, ""]
    lines += _alternatives(report["results"]) + _breakdowns(report)
    if "speed" in report:
        lines += ["", "## Speed", "", "| figure | value | target |", "|---|---|---|"]
        s = report["speed"]
        lines += [f"| index {s['articles']} articles | {s['index_seconds']} s | — |",
                  f"| add one article: `Linker.update` with the whole list (hashes every "
                  f"article) | {s['update_with_one_new_article_seconds']} s | — |",
                  f"| add one article: `ArticleIndex.add` | "
                  f"{s['index_add_one_article_seconds']} s | — |",
                  f"| link one new episode (first after indexing) | "
                  f"{s['first_episode_seconds']} s | ≤ 2 s |",
                  f"| relink {s['episodes']} episodes of {s['cues']} cues | "
                  f"{s['relink_all_seconds']} s | ≤ 60 s (for 1,000) |"]
    return "\n".join(lines) + "\n"


def _target(key: str) -> str:
    if key not in TARGETS:
        return "—"
    op, value = TARGETS[key]
    return f"{'≥' if op == '>=' else '≤'} {value}"


def _alternatives(results: list[dict[str, Any]]) -> list[str]:
    lines = ["## Alternatives (leave-one-out unless marked)", "",
             "| setup | variant | p@1 | strict p@1 | nDCG@5 | links right | false links "
             "| paragraphs found | time ≤ 30 s | episode nDCG@5 |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        f, loo = r["fitted"], r["loo"]
        lines.append(
            f"| {r['setup']} | {r['variant']} | {f['passage_p1']:.3f} | "
            f"{f['passage_p1_strict']:.3f} | {f['passage_ndcg5']:.3f} | "
            f"{loo['link_precision']:.3f} | {loo['false_link_rate']:.3f} | "
            f"{loo['paragraph_recall']:.3f} | {loo['time_within_30s']:.3f} | "
            f"{loo['episode_ndcg5']:.3f} |")
    return [*lines, "", "(p@1, strict p@1 and nDCG@5 rank every article, so they do not "
            "depend on the threshold.)"]


def _breakdowns(report: dict[str, Any]) -> list[str]:
    lines = ["", "## General passages (the broad article should rank first)", ""]
    for setup, rows in report["general_passages"].items():
        for row in rows:
            lines.append(f"- {setup} {row['episode']} ¶{row['paragraph']}: broad "
                         f"`{row['broad']}`, top 3 {row['top3']} "
                         f"({'right' if row['broad_first'] else 'WRONG'})")
    lines += ["", "## Public articles only (members-only left out, at the default threshold)",
              ""]
    for setup, s in report["public_only"].items():
        lines.append(f"- {setup}: links right {s['link_precision']:.3f} ({s['links']} links), "
                     f"false-link rate {s['false_link_rate']:.3f}, wrong in the same cluster "
                     f"{s['wrong_in_cluster']}, in another {s['wrong_other_cluster']}")
    return lines


def log(message: str) -> None:
    print(f"[linking] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
