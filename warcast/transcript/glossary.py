"""The names and rare terms an episode is likely to hold, for Whisper and the respelling pass.

Candidates come from what the publication already wrote: the imported articles (titles, deks,
bodies, tags, authors), the show's hosts, and each episode's guests, title, notes, keywords and
chapters. A candidate is a run of capitalized words that stays capitalized wherever it appears
(so "The" at a sentence start is not one), or an acronym. Each is ranked per episode: terms the
episode itself names first, then terms of the articles that share the most words with it.

The producer sees the list with ``warcast glossary [EPISODE]`` and can write it to
``glossary.txt`` in the show folder (one term a line). That file, once there, is the
glossary: the machine never adds to it or rewrites it without ``--force``, and the terms in
show.toml's ``[transcribe] glossary`` are always included.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass
from pathlib import Path

from warcast.episodes import Episode
from warcast.errors import SourceError
from warcast.files import write_atomic
from warcast.show import Show

GLOSSARY_FILE = "glossary.txt"
MAX_TERMS = 40        # Whisper's prompt holds about 220 tokens; hotwords share it
MAX_WORDS = 4         # "Bab el-Mandeb Strait" and no longer
RELEVANT_SHARE = 0.3  # an article this much less close to the episode than the closest
                      # one lends it no names
_RUN = re.compile(r"(?:[A-Z][\w'’-]*[a-z][\w'’-]*|[A-Z]{2,10}s?\b)"
                  r"(?:\s+(?:(?:el|al|de|la|del|da|bin|van|von)[- ])?[A-Z][\w'’-]*)*")
_WORD = re.compile(r"[A-Za-z][\w'’-]*")
_HEADER = ("# warcast glossary: names and rare terms Whisper should know, one a line.\n"
           "# Edit freely; warcast reads this file and never rewrites it without --force.\n")


@dataclass(frozen=True)
class Glossary:
    """An episode's ranked terms, and where they came from ("file" or "derived")."""

    terms: tuple[str, ...]
    source: str


def terms_of(text: str) -> Counter[str]:
    """Capitalized runs and acronyms in ``text``, counted (possessive ’s dropped)."""
    found: Counter[str] = Counter()
    for match in _RUN.finditer(text):
        words = re.sub(r"['’]s?\b|['’]$", "", match.group()).split()
        for size in range(1, min(MAX_WORDS, len(words)) + 1):
            for start in range(len(words) - size + 1):
                found[" ".join(words[start:start + size])] += 1
    return found


def _lower_words(texts: Iterable[str]) -> set[str]:
    """Words that appear in lower case somewhere: common words, not names."""
    return {w for text in texts for w in _WORD.findall(text) if w.islower()}


def _proper(candidates: Counter[str], common: Set[str]) -> Counter[str]:
    """The candidates none of whose words is a common word (multi-word runs need two uses)."""
    kept: Counter[str] = Counter()
    for term, count in candidates.items():
        words = term.split()
        if any(w.lower() in common for w in words):
            continue
        if len(words) > 1 and count < 2:
            continue
        kept[term] = count
    return kept


def episode_text(episode: Episode) -> str:
    """What the producer wrote about an episode."""
    return "\n".join([episode.title, episode.summary, episode.description_text,
                      " ".join(g.name for g in episode.guests), ", ".join(episode.keywords),
                      *(c.title for c in episode.chapters)])


def _known_to_whisper(show: Show) -> Callable[[str], bool]:
    """Whether Whisper has the word as one token (it spells those right): such words are
    left out unless the episode's keywords name them. Without the model's tokenizer, none is."""
    import json

    from warcast.transcript.whisper import resolve_model

    path = Path(resolve_model(show.transcribe.model)) / "tokenizer.json"
    try:
        vocabulary = json.loads(path.read_text(encoding="utf-8"))["model"]["vocab"]
    except (OSError, ValueError, KeyError, TypeError):
        return lambda _word: False
    # GPT-2's mark of a leading space; a capitalized common word ("Choking" at the start of a
    # headline) is known when its lower-case form is one token
    return lambda word: ("\u0120" + word in vocabulary
                         or (word[1:].islower() and "\u0120" + word.lower() in vocabulary))


def _rare(term: str, known: Callable[[str], bool]) -> bool:
    return any(not known(word) for word in term.replace("-", " ").split())


def derive(show: Show, episode: Episode, articles: list[str],
           known: Callable[[str], bool] | None = None) -> tuple[str, ...]:
    """The ranked terms for ``episode`` from its own text and the articles' (plain texts)."""
    known = known or _known_to_whisper(show)
    own = episode_text(episode)
    library = _library(tuple(articles))
    own_lower = _lower_words([own])
    common = library.common | own_lower
    people = [p.name for p in (*show.hosts, *episode.guests)]
    own_terms = Counter({t: c for t, c in _proper(terms_of(own), common).items()
                         if _rare(t, known)})
    own_terms.update({k: 1 for k in episode.keywords if k[:1].isupper()})
    scores: Counter[str] = Counter()
    # An article's names count by how close the article is to the episode in its words (see
    # _relevance): the names of the articles on the episode's topic come first, and names that
    # are merely frequent across the publication do not come in through loosely related ones.
    for names, weight in zip(library.names, _relevance(own, library), strict=True):
        if weight <= 0.0:
            continue
        for term, count in names.items():
            if _rare(term, known) and not any(w.lower() in own_lower for w in term.split()):
                scores[term] += weight * min(count, 3)
    for term, count in own_terms.items():
        scores[term] += 1000 * count
    ranked = [*people, *sorted((t for t in scores if scores[t] > 0),
                               key=lambda t: (-scores[t], t))]
    return _top(_without_parts(ranked), MAX_TERMS)


@dataclass(frozen=True)
class _Library:
    """What the glossary needs of the articles, worked out once for every episode."""

    common: frozenset[str]                 # words written in lower case somewhere
    names: list[Counter[str]]              # each article's candidate names, counted
    idf: dict[str, float]                  # each word's inverse document frequency
    vectors: list[dict[str, float]]        # each article's unit TF-IDF vector


@functools.lru_cache(maxsize=1)
def _library(articles: tuple[str, ...]) -> _Library:
    """The articles' words and names, computed once per set of articles (a show's episodes
    share it: 3,000 articles of a million words take about a second)."""
    common = frozenset(_lower_words(articles))
    documents = [_stems(text) for text in articles]
    frequency = Counter(word for document in documents for word in document)
    idf = {word: math.log(len(documents) / count) for word, count in frequency.items()}
    return _Library(common, [_proper(terms_of(text), common) for text in articles], idf,
                    [_vector(document, idf) for document in documents])


def _vector(counts: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    weights = {w: (1.0 + math.log(c)) * idf.get(w, 0.0) for w, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
    return {w: v / norm for w, v in weights.items() if v}


def _stems(text: str) -> Counter[str]:
    """A text's words, lower-cased, possessives and plural s dropped ("refiners" → "refiner")."""
    found: Counter[str] = Counter()
    for word in _WORD.findall(text):
        word = re.sub(r"['’]s?$", "", word.lower())
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        if len(word) >= 3:
            found[word] += 1
    return found


def _relevance(own: str, library: _Library) -> list[float]:
    """How much each article's names count for an episode whose producer wrote ``own``: the
    cosine of the episode's and each article's TF-IDF word vectors (every word, names
    and topic words alike: "teapot refiners", "price cap"), as a share of the closest
    article's, from :data:`RELEVANT_SHARE` (0) to 1, squared."""
    if not library.vectors:
        return []
    episode = _vector(_stems(own), library.idf)
    cosines = [sum(v * vector.get(w, 0.0) for w, v in episode.items())
               for vector in library.vectors]
    best = max(cosines)
    if best <= 0.0:
        return [1.0] * len(cosines)   # nothing in common: every article's names count alike
    return [max(0.0, (c / best - RELEVANT_SHARE) / (1.0 - RELEVANT_SHARE)) ** 2
            for c in cosines]


def _without_parts(terms: list[str]) -> list[str]:
    """Drop a single word already inside a longer term listed before it ("Bab" of "Bab el-…")."""
    seen: set[str] = set()
    out: list[str] = []
    for term in terms:
        words = term.split()
        if len(words) == 1 and term in seen:
            continue
        out.append(term)
        seen.update(words)
    return out


def _top(terms: list[str], count: int) -> tuple[str, ...]:
    return tuple(dict.fromkeys(terms))[:count]


def article_texts(folder: Path) -> list[str]:
    """The imported articles' text (none when no article was imported)."""
    from warcast.articles import open_store
    from warcast.state import ARTICLES_STORE

    if not (folder / ARTICLES_STORE).is_file():
        return []
    with open_store(folder) as store:
        return [" \n".join([a.title, a.dek, a.body, ", ".join(a.tags), ", ".join(a.authors)])
                for a in store.all()]


def read_file(path: Path) -> tuple[str, ...]:
    """The terms of a glossary file: one a line, ``#`` comments and blank lines skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"cannot be read ({exc.__class__.__name__})", path=path,
                          hint="Write it as UTF-8 text, one term a line") from None
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(dict.fromkeys(line for line in lines if line))


def glossary_for(show: Show, episode: Episode, articles: list[str] | None = None) -> Glossary:
    """The terms Whisper gets for ``episode``: the producer's file when there is one."""
    configured = show.transcribe.glossary
    people = tuple(p.name for p in (*show.hosts, *episode.guests))
    path = show.folder / GLOSSARY_FILE
    if path.is_file():
        return Glossary(_top([*people, *configured, *read_file(path)], 10 * MAX_TERMS), "file")
    texts = article_texts(show.folder) if articles is None else articles
    derived = derive(show, episode, texts)
    return Glossary(_top([*people, *configured, *derived], MAX_TERMS + len(configured)),
                    "derived")


def write_glossary(show: Show, episodes: list[Episode], *, force: bool = False) -> Path:
    """Write the derived terms of ``episodes`` to ``glossary.txt`` for the producer to edit."""
    path = show.folder / GLOSSARY_FILE
    if path.exists() and not force:
        raise SourceError("already exists and may hold your edits", path=path,
                          hint="Edit it directly, or run again with --force to replace it")
    texts = article_texts(show.folder)
    terms: list[str] = []
    for episode in episodes:
        terms.extend(derive(show, episode, texts))
    body = "".join(f"{term}\n" for term in dict.fromkeys(terms))
    write_atomic(path, (_HEADER + body).encode("utf-8"))
    return path
