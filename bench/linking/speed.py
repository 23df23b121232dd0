"""Speed of the linker at the scale of a large archive, on synthetic data made here.

10,000 articles are made from the set's real article sentences, each with a few invented
names of its own (so the vocabulary grows with the archive, as real names do); 1,000 episodes
of about 40 cues are made from shuffled sentences of three articles each, with speech-style
noise: fillers inserted, words replaced, and some words misspelled as a recognizer mishears
them. Everything comes from one seeded random generator, so every run links the same data.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from warcast.articles import Article
from warcast.links import Linker, LinkSettings
from warcast.transcript.model import Cue, Transcript

SEED = 20260313
SYLLABLES = ("ka", "zo", "ri", "ven", "tal", "mor", "is", "qu", "bel", "dra", "shan", "ot",
             "lu", "fer", "gan", "pi", "sto", "rek", "um", "ya", "hel", "dor", "nix", "ba")
FILLERS = ("um", "uh", "you know", "I mean", "so", "right", "well", "like")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Scale:
    articles: int = 10_000
    episodes: int = 1_000
    cues: int = 40


def sentences(articles: Sequence[Article]) -> list[str]:
    return [s for a in articles for s in _SENTENCE.split(a.body) if len(s.split()) >= 6]


def synthetic_articles(pool: list[str], count: int, rng: random.Random) -> list[Article]:
    made = []
    for n in range(count):
        names = [_name(rng) for _ in range(4)]
        body = []
        for sentence in rng.sample(pool, 12):
            words = sentence.split()
            words[rng.randrange(len(words))] = rng.choice(names)
            body.append(" ".join(words))
        made.append(Article(
            url=f"https://synthetic.example.org/a/{n:05d}",
            title=" ".join(rng.choice(pool).split()[:5] + names[:1]),
            tags=tuple(names[:3]), dek=rng.choice(pool), body="\n\n".join(body)))
    return made


def synthetic_episode(articles: list[Article], cues: int, rng: random.Random) -> Transcript:
    picked = rng.sample(articles, 3)
    lines = [s for a in picked for s in _SENTENCE.split(a.body)]
    rng.shuffle(lines)
    words = [_noisy(word, rng) for line in lines for word in line.split()]
    made, t = [], 0.0
    for i in range(cues):
        text = " ".join(words[i * 12:(i + 1) * 12]) or "um"
        made.append(Cue(round(t, 3), round(t + 4.0, 3), text))
        t += 4.2
    return Transcript(tuple(made))


def _noisy(word: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.05:
        return f"{rng.choice(FILLERS)} {word}"
    if roll < 0.10 and len(word) > 4:  # misheard: one letter changed
        i = rng.randrange(1, len(word) - 1)
        return word[:i] + rng.choice("aeioulnrst") + word[i + 1:]
    return word


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def run(real: Sequence[Article], scale: Scale, settings: LinkSettings) -> dict[str, float]:
    """Timings (seconds) for building, growing and using an archive-sized index."""
    rng = random.Random(SEED)
    articles = synthetic_articles(sentences(real), scale.articles + 1, rng)
    episodes = [synthetic_episode(articles, scale.cues, rng) for _ in range(scale.episodes)]
    started = time.perf_counter()
    linker = Linker(articles[:-1], settings)
    built = time.perf_counter()
    linker.update(articles)
    added = time.perf_counter()
    linker.index.remove(articles[-1].url)
    removed = time.perf_counter()
    linker.index.add(articles[-1])
    again = time.perf_counter()
    first = linker.link(episodes[0])
    one = time.perf_counter()
    links = sum(len(linker.link(episode)) for episode in episodes)
    done = time.perf_counter()
    return {"articles": scale.articles, "episodes": scale.episodes, "cues": scale.cues,
            "index_seconds": round(built - started, 2),
            "update_with_one_new_article_seconds": round(added - built, 4),
            "index_add_one_article_seconds": round(again - removed, 4),
            "first_episode_seconds": round(one - again, 3),
            "relink_all_seconds": round(done - one, 2),
            "per_episode_seconds": round((done - one) / scale.episodes, 4),
            "links_made": links + len(first)}
