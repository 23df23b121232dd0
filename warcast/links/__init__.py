"""Links: which of the publication's articles an episode discusses, and where.

:class:`Linker` reads an episode's transcript (Whisper's words, errors and all) and returns
*passage links* (a stretch of the episode, the article it discusses, a score) and at most
:attr:`LinkSettings.max_episode_links` *episode links* (the articles the episode discusses
most, each at the time it first comes up). A passage that discusses no article (intro,
sponsor read, banter, an aside) gets no link: a link is made only above a threshold
calibrated on ``bench/linking``, where a wrong link costs more than a missing one.
Members-only articles are linked like the others; showing only their title and dek is the
caller's business.

The method, chosen by measurement (``bench/linking/evaluate.py`` on the first labelled set,
``bench/linking/topics.py`` on two sets with whole topics left out; results in
``bench/results/linking.md`` and ``linking-topics.md``):

1. The transcript is cut into 30-second windows of whole cues every 15 seconds
   (:mod:`~warcast.links.passages`); minute-long windows rank as well but stretch links over
   the banter next to a topic.
2. Words become light stems; a capitalized word no article uses that sounds like one of the
   articles' names (a misheard "Stabrok", "Esequibo", "Hafta") counts as that name
   (:meth:`~warcast.links.index.ArticleIndex.query_terms`).
3. Every window is ranked against every article with BM25 (query weights scaled to unit
   length, so scores compare across windows), where an article's names (people, places,
   organisations: capitalized mid-sentence, or tags) weigh double: they tell apart the
   articles of one topic cluster, which share the cluster's common words.
4. A window links to its best article when the score clears :attr:`LinkSettings.threshold`;
   a second article only when it scores nearly as well.
5. Each link is trimmed to the cues that carry its evidence (cue scores, unnormalized, so a
   cue that merely says "Russia" counts less than one naming Wagner and Bamako); links to one
   article that overlap or nearly touch are merged; the articles with the most linked
   evidence (score × seconds) become the episode links. A passage also *mentions* its best
   article when that scores 0.6 of the threshold (:attr:`LinkSettings.mention`): an episode
   link starts at the first passage that links or mentions its article, and a mentioned
   article no passage links is an episode link too, by the evidence of its mentions (a
   100-word brief has few terms, so even the passage that discusses it may score under the
   threshold; misheard names do the same to any article). Chosen with whole topics left out
   (bench/linking/topics.py): episode links within 30 s 0.894 → 0.915 with the glossary,
   0.851 → 0.936 with names misheard (worst fold 0.333 → 0.667), passage links unchanged.

``title`` and ``notes`` of :meth:`Linker.link` are accepted for callers but change nothing:
favouring articles that match them gained nothing on the set (measured at 0.1, 0.25, 0.5).
Three options were measured with topics left out and are off because each did worse there:
scores set against each article's level over the episode (:attr:`LinkSettings.background`),
length normalization by distinct terms (:attr:`Weighting.pivot`) and the episode's glossary
names weighing more (``names``, :attr:`LinkSettings.glossary_weight`). Three more, for where
an episode link starts and which mentions make one, did no better on the held-out topics
(bench/linking/README.md): starting at the first run of links and mentions with half the
strongest run's evidence (:attr:`LinkSettings.onset`, off; one more link in time on the
tuning topics, the same on the held-out ones), moving the start back over passages that still
score for the article (worse on the tuning topics; removed) and two mentioning passages for
an article no passage links (:attr:`LinkSettings.mentions` = 2, off; fewer wrong episode
links, one held-out link lost in both setups).

Links are a pure function of the transcript, the articles and the settings, in a fixed
order (ties broken by URL): :meth:`Linker.cache_key` hashes exactly those, so a caller can
skip an unchanged episode. Adding an article (:meth:`Linker.update`) analyzes that article
only; see :mod:`~warcast.links.index`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from warcast.articles import Article
from warcast.links.index import ArticleIndex, Weighting
from warcast.links.passages import Passage, passages
from warcast.links.ranking import Ranking
from warcast.transcript.model import Transcript

METHOD_VERSION = "4"
"""Changes whenever the same inputs could give different links."""

LEVELS = ("passage", "episode")
STATUSES = ("suggested", "pinned", "rejected")


@dataclass(frozen=True)
class Link:
    """One article linked from an episode, at a passage or for the whole episode."""

    url: str
    title: str
    level: str
    """"passage" or "episode"."""
    start: float
    """Seconds: where the passage starts, or where the article first comes up."""
    end: float
    """Seconds: where the passage ends (for an episode link, its first passage's end)."""
    score: float
    status: str = "suggested"
    """"suggested" (made here), "pinned" or "rejected" (an editor's decision)."""
    members_only: bool = False
    """The article is for members only (as it was when linked), so public output shows it by
    title only, marked, even where the article store is not at hand."""


@dataclass(frozen=True)
class LinkSettings:
    """How passages are cut, scored and linked; part of the cache key."""

    window: float = 30.0
    hop: float = 15.0
    threshold: float = 3.2265
    """Least passage score for a link, calibrated on the tuning topics of bench/linking (13
    topics of two sets, transcripts with and without a glossary; bench/linking/topics.py)."""
    margin: float = 0.0
    """Least lead of the best article over the runner-up for the best to be linked."""
    second: float = 0.9
    """A further article is linked when it scores at least this share of the best."""
    max_passage_links: int = 2
    max_episode_links: int = 5
    trim: float = 0.3
    """A link starts at the first cue (and ends at the last) scoring this share of the best."""
    join: float = 10.0
    """Links to one article less than this many seconds apart are merged into one."""
    mention: float = 0.6
    """A passage *mentions* its best article when that article scores at least this share of
    :attr:`threshold` there (0: no mentions; episode links come from passage links only). An
    episode link starts at the first passage that links or mentions its article, and an
    article with no passage link is an episode link when :attr:`mentions` passages mention it:
    evidence spread over an episode counts even when no single passage clears the threshold
    (a short brief has few terms to match, so its best passage scores low)."""
    onset: float = 0.0
    """An episode link starts at the first run of its article's links and mentions (those
    less than :attr:`join` apart) whose evidence is at least this share of the strongest
    run's (0: the first run, however slight): a passing mention in the intro or in another
    topic's discussion is not where the article's discussion starts."""
    mentions: int = 1
    """Least passages that must mention an article with no passage link for it to be an
    episode link (windows overlap: two neighbours are about 45 seconds of talk)."""
    background: str = ""
    """How a passage's score for an article is set against the same article's scores over the
    rest of the episode: "" (not at all), "median" (minus the article's median passage score
    in this episode), "spread" (that, divided by the article's spread of scores there)."""
    glossary_weight: float = 0.0
    """A term of one of the episode's glossary names weighs (1 + this) times as much."""
    weighting: Weighting = field(default_factory=Weighting)


class Linker:
    """Links transcripts to a set of articles; build once, link many episodes.

    Example::

        with open_store(show_folder) as store:
            linker = Linker(store.all())
        transcript = load_transcript(episode, show.language)
        key = linker.cache_key(transcript)      # skip the episode if this is unchanged
        links = linker.link(transcript, title=episode.title)
    """

    def __init__(self, articles: Sequence[Article], settings: LinkSettings = LinkSettings()
                 ) -> None:
        self.settings = settings
        self.index = ArticleIndex(articles)

    def update(self, articles: Sequence[Article]) -> tuple[int, int]:
        """Make the articles exactly ``articles``: only new, changed and gone ones are
        (re-)indexed. Returns (added or changed, removed)."""
        wanted = {article.url for article in articles}
        removed = [url for url, _ in self.index.digests() if url not in wanted]
        for url in removed:
            self.index.remove(url)
        return sum(self.index.add(article) for article in articles), len(removed)

    def cache_key(self, transcript: Transcript, *, title: str = "", notes: str = "",
                  names: Sequence[str] = ()) -> str:
        """A hash of everything :meth:`link` depends on: same key, same links. (``title`` and
        ``notes`` are accepted like :meth:`link` accepts them; links do not depend on them.)"""
        data = {"method": METHOD_VERSION, "settings": asdict(self.settings),
                "articles": self.index.digests(), "names": sorted(set(names)),
                "cues": [[c.start, c.end, c.text] for c in transcript.cues]}
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def with_settings(self, settings: LinkSettings) -> Linker:
        """The same articles (the index is shared, not copied) under other settings."""
        other = copy.copy(self)
        other.settings = settings
        return other

    def link(self, transcript: Transcript, *, title: str = "", notes: str = "",
             names: Sequence[str] = ()) -> list[Link]:
        """Passage links in time order, then episode links best first. ``names`` is the
        episode's glossary (:func:`warcast.transcript.glossary.glossary_for`): said in a
        passage, they count :attr:`LinkSettings.glossary_weight` more."""
        return self.choose(self.rank(transcript, names))

    def rank(self, transcript: Transcript, names: Sequence[str] = ()) -> Ranking:
        """Every passage and cue scored against every article (what :meth:`choose` reads)."""
        cues = transcript.cues
        spans = passages(cues, self.settings.window, self.settings.hop)
        fuzzy = self.settings.weighting.fuzzy
        vectors = [self.index.query_terms(cue.text, fuzzy) for cue in cues]
        if names and self.settings.glossary_weight:
            vectors = _weigh_names(vectors, names, 1 + self.settings.glossary_weight)
        scores, cue_scores = self.index.score(
            [[_sum(vectors, span) for span in spans], vectors], self.settings.weighting,
            normalize=(True, False))
        urls = [a.url if a else "" for a in map(self.index.article, range(self.index.slots))]
        return Ranking(cues, spans, _against_background(scores, self.settings.background),
                       cue_scores, urls)

    def choose(self, ranking: Ranking) -> list[Link]:
        """The links a ranking makes: passage links in time order, then episode links."""
        found = [self.passage_links(ranking, i) for i in range(len(ranking.passages))]
        merged = _merge([link for links in found for link in links], self.settings.join)
        return merged + self._episode_links(merged, self._mentions(ranking))

    def passage_links(self, ranking: Ranking, passage: int) -> list[Link]:
        """The links one passage makes: its best article if clear, and close seconds."""
        s = self.settings
        order = ranking.order(passage, s.max_passage_links + 1)
        best = ranking.score(passage, order[0]) if order else 0.0
        runner_up = ranking.score(passage, order[1]) if len(order) > 1 else 0.0
        if best < s.threshold or best - runner_up < s.margin * best:
            return []
        links = []
        for slot in order[: s.max_passage_links]:
            score = ranking.score(passage, slot)
            if score < s.threshold or score < s.second * best:
                break
            article = self.index.article(slot)
            assert article is not None
            start, end = ranking.evidence(passage, slot, s.trim)
            links.append(Link(article.url, article.title, "passage", start, end,
                              round(score, 4), members_only=article.members_only))
        return links

    def _mentions(self, ranking: Ranking) -> tuple[list[Link], dict[str, int]]:
        """The passages whose best article scores :attr:`LinkSettings.mention` of the
        threshold there, as links (trimmed like passage links, merged per article), and how
        many passages mention each article."""
        s = self.settings
        found: list[Link] = []
        if not s.mention:
            return found, {}
        for i in range(len(ranking.passages)):
            order = ranking.order(i, 1)
            if not order or ranking.score(i, order[0]) < s.mention * s.threshold:
                continue
            article = self.index.article(order[0])
            assert article is not None
            start, end = ranking.evidence(i, order[0], s.trim)
            found.append(Link(article.url, article.title, "passage", start, end,
                              round(ranking.score(i, order[0]), 4),
                              members_only=article.members_only))
        count: dict[str, int] = {}
        for link in found:
            count[link.url] = count.get(link.url, 0) + 1
        return _merge(found, s.join), count

    def _episode_links(self, links: list[Link],
                       mentions: tuple[list[Link], dict[str, int]] = ([], {})) -> list[Link]:
        """The articles with the most linked evidence, each where its discussion starts (see
        :attr:`LinkSettings.onset`); articles no passage links but that enough passages
        mention, by the evidence of their mentions."""
        weight: dict[str, float] = {}
        found: dict[str, list[Link]] = {}
        for link in links:
            weight[link.url] = weight.get(link.url, 0.0) + link.score * (link.end - link.start)
            found.setdefault(link.url, []).append(link)
        mentioned, count = mentions
        extra: dict[str, float] = {}
        for link in mentioned:
            if link.url in weight:
                found[link.url].append(link)
            elif count[link.url] >= self.settings.mentions:
                extra[link.url] = extra.get(link.url, 0.0) + link.score * (link.end - link.start)
                found.setdefault(link.url, []).append(link)
        weight |= extra
        best = sorted(weight, key=lambda url: (-weight[url], url))
        return [replace(self._onset(found[url]), level="episode",
                        score=round(weight[url] / 60.0, 4))
                for url in best[: self.settings.max_episode_links]]

    def _onset(self, found: list[Link]) -> Link:
        """Where an article's discussion starts: the first link or mention of the first run
        (links and mentions less than :attr:`LinkSettings.join` apart) whose evidence (score
        × seconds) is at least :attr:`LinkSettings.onset` of the strongest run's."""
        runs: list[tuple[Link, float, float]] = []  # (first link, end, evidence)
        for link in sorted(found, key=lambda k: (k.start, -k.score)):
            evidence = link.score * (link.end - link.start)
            if runs and link.start <= runs[-1][1] + self.settings.join:
                first, end, total = runs[-1]
                runs[-1] = (first, max(end, link.end), total + evidence)
            else:
                runs.append((link, link.end, evidence))
        strongest = max(total for _, _, total in runs)
        return next(first for first, _, total in runs
                    if total >= self.settings.onset * strongest)


MIN_BACKGROUND = 4
"""Fewer passages than this: too few to tell an article's background level in the episode."""


def _against_background(scores: Any, how: str) -> Any:
    """Passage scores relative to each article's level over the whole episode (see
    :attr:`LinkSettings.background`): most of an episode's passages do not discuss a given
    article, so its median score there is what the article scores on talk that is not about
    it. A long article, or one that shares the episode's common words, scores high on such
    talk; measured against that level it no longer clears the threshold on banter."""
    import numpy as np

    if not how or scores.shape[0] < MIN_BACKGROUND:
        return scores
    level = np.median(scores, axis=0, keepdims=True)
    shifted = scores - level
    if how == "spread":
        spread = np.median(np.abs(shifted), axis=0, keepdims=True)
        shifted = shifted / (spread + SPREAD_FLOOR)
    return shifted.astype(np.float32)


SPREAD_FLOOR = 0.25
"""Added to an article's spread of passage scores, so an article no passage touches does
not turn a tiny score into a large one."""


def _weigh_names(vectors: list[dict[str, float]], names: Sequence[str], factor: float
                 ) -> list[dict[str, float]]:
    """Query vectors where the terms of the glossary's names weigh ``factor`` times as much."""
    from warcast.links.terms import terms

    named = {term for name in names for term in terms(name)}
    return [{t: w * factor if t in named else w for t, w in v.items()} for v in vectors]


def _sum(vectors: list[dict[str, float]], span: Passage) -> dict[str, float]:
    total: dict[str, float] = {}
    for i in span.cues:
        for term, weight in vectors[i].items():
            total[term] = total.get(term, 0.0) + weight
    return total


def _merge(links: list[Link], join: float) -> list[Link]:
    """Links to one article that overlap, or are less than ``join`` seconds apart, become one
    (the union of times, the best score)."""
    by_url: dict[str, list[Link]] = {}
    for link in sorted(links, key=lambda k: (k.url, k.start)):
        runs = by_url.setdefault(link.url, [])
        if runs and link.start <= runs[-1].end + join:
            last = runs[-1]
            runs[-1] = replace(last, end=max(last.end, link.end), score=max(last.score, link.score))
        else:
            runs.append(link)
    merged = [link for runs in by_url.values() for link in runs]
    return sorted(merged, key=lambda k: (k.start, -k.score, k.url))


__all__ = ["LEVELS", "METHOD_VERSION", "STATUSES", "ArticleIndex", "Link", "LinkSettings",
           "Linker", "Ranking", "Weighting"]
