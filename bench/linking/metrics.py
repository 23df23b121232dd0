"""Scoring links against the labels, pooled over episodes (sums of hits and counts).

Gold of a stretch of time (a passage, a link): the union of the labels of the paragraphs it
overlaps by at least half of the shorter of the two (half the paragraph, or half the stretch
when the stretch is the shorter), each article at its highest grade there. So a one-minute
window's gold is the paragraphs it mostly holds, and a ten-second link's gold is the paragraph
it sits in.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from corpus import EpisodeCase, Paragraph

from warcast.links import Link, Ranking
from warcast.links.passages import Passage

TIME_TOLERANCE = 30.0


def gold(start: float, end: float, paragraphs: Iterable[Paragraph]) -> dict[str, int]:
    grades: dict[str, int] = {}
    for p in paragraphs:
        overlap = min(end, p.end) - max(start, p.start)
        if overlap > 0 and overlap >= 0.5 * min(end - start, p.end - p.start):
            for url, grade in p.grades.items():
                grades[url] = max(grade, grades.get(url, 0))
    return grades


def ranking(ranked: Ranking, case: EpisodeCase, tally: Counter[str]) -> None:
    """Unthresholded ranking quality of every window with a non-empty gold, and of every
    linked paragraph through the window that overlaps it most (README view)."""
    for i, span in enumerate(ranked.passages):
        labels = gold(span.start, span.end, case.paragraphs)
        if labels:
            _rank_one([ranked.urls[s] for s in ranked.order(i, 5)], labels, "passage", tally)
    for p in case.paragraphs:
        if p.grades and ranked.passages:
            i = max(range(len(ranked.passages)), key=lambda k: _overlap(ranked.passages[k], p))
            tally["paragraph.ranked"] += 1
            tally["paragraph.p1"] += ranked.urls[ranked.order(i, 1)[0]] in p.grades


def _overlap(span: Passage, p: Paragraph) -> float:
    return min(span.end, p.end) - max(span.start, p.start)


def _rank_one(top: list[str], labels: dict[str, int], level: str, tally: Counter[str]) -> None:
    tally[f"{level}.ranked"] += 1
    tally[f"{level}.p1"] += top[0] in labels if top else 0
    if 2 in labels.values():
        tally[f"{level}.strict_n"] += 1
        tally[f"{level}.strict_p1"] += bool(top) and labels.get(top[0]) == 2
    tally[f"{level}.p3"] += sum(url in labels for url in top[:3]) / 3
    tally[f"{level}.hit3"] += any(url in labels for url in top[:3])
    tally[f"{level}.ndcg5"] += ndcg(top[:5], labels)


def ndcg(top: list[str], labels: dict[str, int]) -> float:
    dcg = sum(labels.get(url, 0) / math.log2(rank + 2) for rank, url in enumerate(top))
    ideal = sum(g / math.log2(rank + 2)
                for rank, g in enumerate(sorted(labels.values(), reverse=True)[:5]))
    return dcg / ideal if ideal else 0.0


def links(found: list[Link], chosen: list[list[str]], ranked: Ranking,
          case: EpisodeCase, tally: Counter[str], clusters: dict[str, str]) -> None:
    """What the thresholded output gets right and wrong, per window, link, paragraph, episode."""
    for span, urls in zip(ranked.passages, chosen, strict=True):
        labels = gold(span.start, span.end, case.paragraphs)
        key = "window.linked" if labels else "window.empty"
        tally[key] += 1
        tally[f"{key}.with_link"] += bool(urls)
        if labels and urls:
            tally["window.top_right"] += urls[0] in labels
    passage = [k for k in found if k.level == "passage"]
    for link in passage:
        labels = gold(link.start, link.end, case.paragraphs)
        tally["link.n"] += 1
        tally["link.right"] += link.url in labels
        if link.url not in labels and labels:
            same = {clusters.get(u) for u in labels} & {clusters.get(link.url)}
            tally["link.wrong_in_cluster" if same else "link.wrong_other_cluster"] += 1
        elif not labels:
            tally["link.on_empty"] += 1
    _paragraphs(passage, case, tally)
    _episode([k for k in found if k.level == "episode"], case, tally)


def _paragraphs(passage: list[Link], case: EpisodeCase, tally: Counter[str]) -> None:
    """README view: a paragraph is claimed by the links that overlap half of it (or that
    lie half inside it)."""
    for p in case.paragraphs:
        claimed = {k.url for k in passage if gold(k.start, k.end, [p]) or _covers(k, p)}
        if p.grades:
            tally["para.linked"] += 1
            tally["para.found"] += bool(claimed & p.grades.keys())
        else:
            tally["para.empty"] += 1
            tally["para.false"] += bool(claimed)


def _covers(link: Link, p: Paragraph) -> bool:
    overlap = min(link.end, p.end) - max(link.start, p.start)
    return overlap > 0 and overlap >= 0.5 * min(link.end - link.start, p.end - p.start)


def _episode(episode: list[Link], case: EpisodeCase, tally: Counter[str]) -> None:
    labels = {url: grade for url, (grade, _) in case.episode_links.items()}
    _rank_one([k.url for k in episode], labels, "episode", tally)
    tally["episode.listed"] += len(episode)
    tally["episode.listed_right"] += sum(k.url in labels for k in episode)
    tally["episode.gold"] += len(labels)
    when = {k.url: k.start for k in episode}
    for url, (_, start) in case.episode_links.items():
        tally["episode.on_time"] += url in when and abs(when[url] - start) <= TIME_TOLERANCE


def summary(t: Counter[str]) -> dict[str, float]:
    """Pooled figures from a tally."""
    def share(a: str, b: str) -> float:
        return round(t[a] / t[b], 3) if t[b] else 0.0

    return {
        "passage_p1": share("passage.p1", "passage.ranked"),
        "passage_p1_strict": share("passage.strict_p1", "passage.strict_n"),
        "passage_p3": share("passage.p3", "passage.ranked"),
        "passage_hit3": share("passage.hit3", "passage.ranked"),
        "passage_ndcg5": share("passage.ndcg5", "passage.ranked"),
        "passages_ranked": t["passage.ranked"],
        "paragraph_p1": share("paragraph.p1", "paragraph.ranked"),
        "linked_p1": share("window.top_right", "window.linked.with_link"),
        "coverage": share("window.linked.with_link", "window.linked"),
        "window_false_link_rate": share("window.empty.with_link", "window.empty"),
        "empty_windows": t["window.empty"],
        "link_precision": share("link.right", "link.n"),
        "links": t["link.n"],
        "wrong_in_cluster": t["link.wrong_in_cluster"],
        "wrong_other_cluster": t["link.wrong_other_cluster"],
        "links_on_empty": t["link.on_empty"],
        "false_link_rate": share("para.false", "para.empty"),
        "paragraph_recall": share("para.found", "para.linked"),
        "episode_p1": share("episode.p1", "episode.ranked"),
        "episode_p3": share("episode.p3", "episode.ranked"),
        "episode_ndcg5": share("episode.ndcg5", "episode.ranked"),
        "episode_precision": share("episode.listed_right", "episode.listed"),
        "episode_recall": share("episode.listed_right", "episode.gold"),
        "time_within_30s": share("episode.on_time", "episode.gold"),
    }
