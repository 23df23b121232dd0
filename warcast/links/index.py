"""The article index: every article's terms, kept so that one new article is one cheap update.

Each article is analyzed once (:func:`warcast.links.terms.term_counts` over its title, dek,
tags and body, title and tags counting more) and stored by URL with its content hash; the
corpus statistics that BM25 needs (document frequencies, article count, average length) are
counted as articles come and go and only read at query time, so :meth:`ArticleIndex.add` and
:meth:`ArticleIndex.remove` cost the length of one article, never a rebuild. Per-term posting
arrays are rebuilt lazily, only for the terms an update touched.

:meth:`ArticleIndex.score` weighs a batch of query term vectors (the passages of one episode)
against every article at once with numpy. :meth:`ArticleIndex.resolve` maps words of a
transcript that no article uses to the article *name* they most likely are, by sound
(:func:`~warcast.links.terms.sound_key` trigrams, then a similarity check), so "Esequibo",
"Madura" or "Stab Roek" still count as Essequibo, Maduro and Stabroek.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from warcast.articles import Article
from warcast.articles.store import content_hash
from warcast.links import terms as T

FIELD_WEIGHTS: dict[str, float] = {"title": 3.0, "tags": 2.0, "dek": 2.0, "body": 1.0}
"""How much a term counts in each part of an article: the title and tags name its subject."""


@dataclass(frozen=True)
class Weighting:
    """How article terms are weighed (BM25, with names counting extra)."""

    k1: float = 1.2
    b: float = 0.75
    entity_boost: float = 1.0
    """A term that is one of the article's names weighs (1 + entity_boost) times as much."""
    fuzzy: float = 0.8
    """Least similarity (0–1) for a misheard word to count as an article's name; 1 disables."""
    pivot: float = 0.0
    """Length normalization of whole scores: an article with n distinct terms has its scores
    multiplied by (average n / n) ** pivot. A 100-word brief shares fewer words with any
    passage than a 700-word feature, so under one threshold briefs were rarely linked and
    long features too easily; 0 leaves scores as BM25 gives them."""


@dataclass
class _Doc:
    slot: int
    article: Article
    digest: str
    counts: dict[str, float]
    names: frozenset[str]
    length: float


class ArticleIndex:
    """Articles by URL, with the term statistics to rank them against passages."""

    def __init__(self, articles: Iterable[Article] = ()) -> None:
        self._docs: dict[str, _Doc] = {}
        self._slots: list[_Doc | None] = []
        self._postings: dict[str, dict[int, float]] = defaultdict(dict)
        self._named: dict[str, dict[int, bool]] = defaultdict(dict)
        self._arrays: dict[str, tuple[Any, Any, Any]] = {}
        self._name_grams: dict[str, set[str]] = defaultdict(set)
        self._name_refs: Counter[str] = Counter()
        self._resolved: dict[str, tuple[str, float] | None] = {}
        self._total_length = 0.0
        self._lengths: Any = None
        self._distinct: Any = None
        for article in articles:
            self.add(article)

    def __len__(self) -> int:
        return len(self._docs)

    @property
    def slots(self) -> int:
        """Size of the score vectors :meth:`score` returns (removed articles leave gaps)."""
        return len(self._slots)

    def article(self, slot: int) -> Article | None:
        doc = self._slots[slot]
        return doc.article if doc else None

    def digests(self) -> list[tuple[str, str]]:
        """(url, content hash) of every article, sorted: what a cache key depends on."""
        return sorted((url, doc.digest) for url, doc in self._docs.items())

    def add(self, article: Article) -> bool:
        """Add or replace one article; False when it is already there unchanged."""
        digest = content_hash(article)
        old = self._docs.get(article.url)
        if old is not None and old.digest == digest:
            return False
        if old is not None:
            self.remove(article.url)
        counts, names = _analyze(article)
        doc = _Doc(len(self._slots), article, digest, counts, names, sum(counts.values()))
        self._slots.append(doc)
        self._docs[article.url] = doc
        self._total_length += doc.length
        for term, count in counts.items():
            self._postings[term][doc.slot] = count
            self._named[term][doc.slot] = term in names
            self._arrays.pop(term, None)
        self._count_names(names, +1)
        return True

    def remove(self, url: str) -> bool:
        """Forget the article at ``url``; False when there is none."""
        doc = self._docs.pop(url, None)
        if doc is None:
            return False
        self._slots[doc.slot] = None
        self._total_length -= doc.length
        self._lengths = None
        self._distinct = None
        for term in doc.counts:
            del self._postings[term][doc.slot]
            del self._named[term][doc.slot]
            self._arrays.pop(term, None)
            if not self._postings[term]:
                del self._postings[term], self._named[term]
        self._count_names(doc.names, -1)
        return True

    def _count_names(self, names: frozenset[str], step: int) -> None:
        """Keep the sound index of names (what misheard words are matched to) up to date."""
        for name in names:
            self._name_refs[name] += step
            if self._name_refs[name] <= 0:
                del self._name_refs[name]
                for gram in _name_grams(name):
                    self._name_grams[gram].discard(name)
            elif step > 0 and self._name_refs[name] == 1:
                for gram in _name_grams(name):
                    self._name_grams[gram].add(name)
        self._resolved.clear()

    def knows(self, term: str) -> bool:
        return term in self._postings

    def idf(self, term: str) -> float:
        df = len(self._postings.get(term, ()))
        n = len(self._docs)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def query_terms(self, text: str, threshold: float) -> dict[str, float]:
        """The terms of transcript ``text`` that articles use, as weights: 1 for a known
        term; for a name no article uses (alone, or joined with the next name: "Essex
        Weibo"), the similarity of the article name it sounds like, if close enough."""
        found: dict[str, float] = {}
        spoken = list(T.spoken_words(text))
        i = 0
        while i < len(spoken):
            word, named = spoken[i]
            term, weight, used = T.stem(word), 1.0, 1
            if not self.knows(term):
                term, weight, used = self._guess(spoken, i, threshold) if named else ("", 0, 1)
            if term:
                found[term] = found.get(term, 0.0) + weight
            i += used
        return found

    def _guess(self, spoken: list[tuple[str, bool]], i: int, threshold: float
               ) -> tuple[str, float, int]:
        """The name that the unknown name at ``spoken[i]`` (or it and the next name, joined)
        sounds like: (name, similarity, words used), or ("", 0, 1)."""
        guesses = [(self.resolve(T.stem(spoken[i][0]), threshold), 1)]
        if i + 1 < len(spoken) and spoken[i + 1][1]:
            guesses.append((self.resolve(spoken[i][0] + spoken[i + 1][0], threshold), 2))
        best, used = max(guesses, key=lambda guess: guess[0][1] if guess[0] else 0.0)
        return (best[0], best[1], used) if best else ("", 0.0, 1)

    def resolve(self, word: str, threshold: float) -> tuple[str, float] | None:
        """The article name a word no article uses most likely is, with its similarity."""
        if word in self._resolved:
            return self._resolved[word]
        found = None
        key = T.sound_key(word)
        if len(key) >= 5 and threshold < 1.0:
            candidates = Counter(name for gram in T.trigrams(key)
                                 for name in self._name_grams.get(gram, ()))
            best = sorted(candidates.items(), key=lambda item: (-item[1], item[0]))[:8]
            scored = [(_similarity(key, T.sound_key(name)), name) for name, _ in best]
            similarity, name = max(scored, default=(0.0, ""))
            found = (name, similarity) if similarity >= threshold else None
        self._resolved[word] = found
        return found

    def score(self, batches: Sequence[Sequence[dict[str, float]]], weighting: Weighting, *,
              normalize: Sequence[bool]) -> list[Any]:
        """BM25 scores of each batch of queries: a queries × article slots array per batch.
        Where ``normalize`` says so, each query's weights are scaled to unit length first, so
        long and short passages score alike. The article weights are gathered once for all."""
        import numpy as np

        vocabulary = sorted({t for queries in batches for q in queries for t in q
                             if t in self._postings})
        column = {term: i for i, term in enumerate(vocabulary)}
        idf = [self.idf(term) for term in vocabulary]
        weights = self._article_weights(vocabulary, weighting) if vocabulary else None
        results = []
        for queries, unit in zip(batches, normalize, strict=True):
            q = np.zeros((len(queries), len(vocabulary)), dtype=np.float32)
            for row, query in enumerate(queries):
                for term, weight in query.items():
                    if term in column:
                        tf = 1 + math.log(weight) if weight >= 1 else weight
                        q[row, column[term]] = tf * idf[column[term]]
            if unit:
                norms = np.linalg.norm(q, axis=1, keepdims=True)
                q /= np.where(norms > 0, norms, 1)
            results.append(q @ weights if weights is not None
                           else np.zeros((len(queries), len(self._slots)), dtype=np.float32))
        return results

    def _article_weights(self, vocabulary: list[str], weighting: Weighting) -> Any:
        """The BM25 term weights of every article for ``vocabulary``: terms × slots."""
        import numpy as np

        if self._lengths is None or len(self._lengths) != len(self._slots):
            self._lengths = np.array([d.length if d else 0.0 for d in self._slots],
                                     dtype=np.float32)
        lengths = self._lengths
        average = self._total_length / max(len(self._docs), 1)
        rows, slots, tfs, named = [], [], [], []
        for i, term in enumerate(vocabulary):
            s, tf, nm = self._term_arrays(term)
            rows.append(np.full(len(s), i, dtype=np.int32))
            slots.append(s)
            tfs.append(tf)
            named.append(nm)
        s, tf, nm = np.concatenate(slots), np.concatenate(tfs), np.concatenate(named)
        k1, b = weighting.k1, weighting.b
        weight = tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths[s] / average))
        weight *= 1 + weighting.entity_boost * nm
        if weighting.pivot:
            weight *= self._pivots(weighting.pivot)[s]
        matrix = np.zeros((len(vocabulary), len(self._slots)), dtype=np.float32)
        matrix[np.concatenate(rows), s] = weight
        return matrix

    def _pivots(self, pivot: float) -> Any:
        """Per slot, (average distinct terms / the article's distinct terms) ** pivot."""
        import numpy as np

        if self._distinct is None or len(self._distinct) != len(self._slots):
            self._distinct = np.array([len(d.counts) if d else 0 for d in self._slots],
                                      dtype=np.float32)
        present = self._distinct > 0
        average = float(self._distinct[present].mean()) if present.any() else 1.0
        return np.where(present, (average / np.maximum(self._distinct, 1)) ** pivot, 0.0
                        ).astype(np.float32)

    def _term_arrays(self, term: str) -> tuple[Any, Any, Any]:
        import numpy as np

        if term not in self._arrays:
            postings = self._postings[term]
            slots = sorted(postings)
            self._arrays[term] = (
                np.array(slots, dtype=np.int32),
                np.array([postings[s] for s in slots], dtype=np.float32),
                np.array([self._named[term][s] for s in slots], dtype=np.float32))
        return self._arrays[term]


def _analyze(article: Article) -> tuple[dict[str, float], frozenset[str]]:
    """An article's weighted term counts and its names."""
    fields = {"title": article.title, "tags": " ".join(article.tags), "dek": article.dek,
              "body": article.body}
    counts: Counter[str] = Counter()
    for name, text in fields.items():
        for term, count in T.term_counts(text).items():
            counts[term] += FIELD_WEIGHTS[name] * count
    names = T.entities((article.title, article.dek, article.body), article.tags)
    return dict(sorted(counts.items())), names & counts.keys()


def _name_grams(name: str) -> set[str]:
    return T.trigrams(T.sound_key(name)) if len(name) >= 4 else set()


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()
