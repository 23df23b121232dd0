"""The passage linker on real articles (bench/linking/articles.jsonl, through the JSON Lines
importer) and transcripts made from the linking set's episode scripts, with names spelled the
way speech recognition mishears them. No model runs here: the transcripts are built from
Cue and Word objects."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from warcast.articles import Article
from warcast.articles.sources import read_source
from warcast.links import Link, Linker, LinkSettings
from warcast.links.passages import passages
from warcast.transcripts import Cue, Transcript, Word

SET = Path(__file__).resolve().parent.parent / "bench" / "linking"
BASE = "https://warcast.example.org/analysis/"
WORDS_PER_CUE = 12
SECONDS_PER_WORD = 0.4


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    batch = read_source(str(SET / "articles.jsonl"), members_category="Members Only")
    return list(batch.articles)


@pytest.fixture(scope="module")
def linker(articles: list[Article]) -> Linker:
    return Linker(articles)


def paragraph(episode: str, index: int, **misheard: str) -> str:
    """One paragraph of an episode script (without its speaker label), names replaced."""
    script = next(SET.glob(f"show/{episode}-*/script.txt")).read_text(encoding="utf-8")
    text = script.strip().split("\n\n")[index].split("\n", 1)[1].replace("\n", " ")
    for right, wrong in misheard.items():
        text = re.sub(rf"\b{right}\b", wrong, text)
    return text


def transcript(*texts: str, start: float = 0.0) -> Transcript:
    """Cues of twelve words, each word 0.4 s, with a 0.6 s pause between the texts."""
    cues = []
    for text in texts:
        words = text.split()
        for i in range(0, len(words), WORDS_PER_CUE):
            timed = tuple(Word(round(start + k * SECONDS_PER_WORD, 3),
                               round(start + (k + 1) * SECONDS_PER_WORD, 3), word)
                          for k, word in enumerate(words[i:i + WORDS_PER_CUE]))
            cues.append(Cue(timed[0].start, timed[-1].end, " ".join(words[i:i + WORDS_PER_CUE]),
                            words=timed))
            start = timed[-1].end
        start += 0.6
    return Transcript(tuple(cues))


def passage_urls(links: list[Link]) -> list[str]:
    return [link.url.removeprefix(BASE) for link in links if link.level == "passage"]


# 0001: intro, the cricket aside at Providence (Guyana: a trap), espresso and sponsor reads.
INTRO = paragraph("0001", 0)
CRICKET = paragraph("0001", 3) + " " + paragraph("0001", 4)
MEMBERSHIP = paragraph("0001", 7)
ICJ = paragraph("0001", 2, Venezuela="Venezuala", Maduro="Madura", Guyana="Gayana")
OIL = paragraph("0001", 6, Stabroek="Stabrok", Guyana="Gayana")
BRAZIL = paragraph("0001", 9, Essequibo="Esequibo", Roraima="Rorayma")
RUSSIA_VENEZUELA = paragraph("0002", 12)
RUSSIA_SAHEL = paragraph("0002", 3, Wagner="Wagna")


def test_passages_without_an_article_get_no_link(linker: Linker) -> None:
    links = linker.link(transcript(INTRO, CRICKET, MEMBERSHIP))
    assert links == []


def test_misheard_names_still_link(linker: Linker) -> None:
    episode = transcript(ICJ, OIL, BRAZIL)
    assert "Essequibo" not in " ".join(c.text for c in episode.cues)
    assert passage_urls(linker.link(episode)) == [
        "icj-essequibo-case", "guyana-oil-security-partners", "brazil-essequibo-mediator"]


def test_misheard_names_count_as_the_names_they_sound_like(linker: Linker) -> None:
    index = linker.index
    assert index.resolve("stabrok", 0.8) == ("stabroek", 1.0)
    assert index.resolve("esequibo", 0.8) == ("essequibo", 1.0)
    terms = index.query_terms("Off the coast, the Stabrok field and the Haftar Essex Weibo", 0.8)
    assert {"stabroek", "haftar"} <= terms.keys()
    # Ordinary words Whisper wrote in lowercase are never taken for names.
    assert "saudi" not in index.query_terms("a match at the stadium", 0.8)


def test_fuzzy_names_raise_the_right_score(articles: list[Article]) -> None:
    text = transcript(paragraph("0001", 6, Stabroek="Stabrok", ExxonMobil="Exon Mobile"))
    fuzzy, strict = Linker(articles), Linker(articles, LinkSettings(
        weighting=dataclasses.replace(LinkSettings().weighting, fuzzy=1.0)))
    best = [max(k.score for k in linker.link(text)) for linker in (fuzzy, strict)]
    assert best[0] > best[1]


def test_cluster_neighbours_are_not_confused(linker: Linker) -> None:
    venezuela = passage_urls(linker.link(transcript(RUSSIA_VENEZUELA)))
    sahel = passage_urls(linker.link(transcript(RUSSIA_SAHEL)))
    assert venezuela == ["russia-venezuela-military-ties"]
    assert sahel == ["africa-corps-sahel-wagner"]


def test_members_only_articles_are_linked(linker: Linker, articles: list[Article]) -> None:
    links = linker.link(transcript(BRAZIL))
    members = {a.url for a in articles if a.members_only}
    assert [k.url for k in links if k.level == "passage"] == [BASE + "brazil-essequibo-mediator"]
    assert links[0].url in members


def test_episode_links_come_last_at_most_five_each_at_its_first_passage(
        linker: Linker) -> None:
    episode = transcript(INTRO, ICJ, CRICKET, OIL, MEMBERSHIP, BRAZIL, RUSSIA_VENEZUELA,
                         RUSSIA_SAHEL)
    links = linker.link(episode)
    levels = [k.level for k in links]
    assert levels == sorted(levels, key=("passage", "episode").index)
    passage = [k for k in links if k.level == "passage"]
    episode_links = [k for k in links if k.level == "episode"]
    assert [k.start for k in passage] == sorted(k.start for k in passage)
    assert 1 <= len(episode_links) <= 5
    assert [k.score for k in episode_links] == sorted((k.score for k in episode_links),
                                                      reverse=True)
    for link in episode_links:
        first = min((k for k in passage if k.url == link.url), key=lambda k: k.start)
        assert (link.start, link.end) == (first.start, first.end)
        assert link.status == "suggested"
    fewer = linker.with_settings(LinkSettings(max_episode_links=2)).link(episode)
    assert len([k for k in fewer if k.level == "episode"]) == 2


def test_links_are_trimmed_to_the_passage_that_discusses_the_article(linker: Linker) -> None:
    episode = transcript(INTRO, CRICKET, ICJ)
    icj_start = episode.cues[-1].end - len(ICJ.split()) * SECONDS_PER_WORD
    (link, *_) = linker.link(episode)
    assert link.url == BASE + "icj-essequibo-case"
    assert link.start >= icj_start - 1.0


def test_output_is_deterministic(articles: list[Article]) -> None:
    episode = transcript(ICJ, OIL, BRAZIL, RUSSIA_VENEZUELA)
    first = Linker(articles).link(episode)
    assert Linker(articles).link(episode) == first
    assert Linker(list(reversed(articles))).link(episode) == first


def test_cache_key_follows_every_input(articles: list[Article]) -> None:
    episode = transcript(ICJ, OIL)
    linker = Linker(articles)
    key = linker.cache_key(episode)
    assert Linker(list(reversed(articles))).cache_key(episode) == key
    changed = [dataclasses.replace(a, body=a.body + " Updated.") if i == 0 else a
               for i, a in enumerate(articles)]
    assert linker.update(changed) == (1, 0)
    assert linker.cache_key(episode) != key
    assert linker.update(articles) == (1, 0)
    assert linker.cache_key(episode) == key
    assert Linker(articles, LinkSettings(threshold=5.0)).cache_key(episode) != key
    assert linker.cache_key(transcript(ICJ)) != key


def test_adding_an_article_updates_the_index_in_place(articles: list[Article]) -> None:
    episode = transcript(ICJ, OIL, BRAZIL)
    brazil = next(a for a in articles if a.url.endswith("brazil-essequibo-mediator"))
    grown = Linker([a for a in articles if a is not brazil])
    assert BASE + "brazil-essequibo-mediator" not in {k.url for k in grown.link(episode)}
    assert grown.update(articles) == (1, 0)
    assert grown.link(episode) == Linker(articles).link(episode)
    assert grown.update([a for a in articles if a is not brazil]) == (0, 1)
    assert len(grown.index) == len(articles) - 1


def test_passages_are_windows_of_whole_cues() -> None:
    cues = transcript(" ".join(["word"] * 120)).cues  # ten cues of 4.8 s
    spans = passages(cues, window=15.0, hop=7.5)
    assert spans[0].start == cues[0].start and spans[-1].end == cues[-1].end
    for span in spans:
        assert span.start == cues[span.first].start and span.end == cues[span.last].end
        assert span.end - span.start <= 15.0 + 4.8
    assert [s.last for s in spans] == sorted({s.last for s in spans})


def test_empty_transcript_and_empty_archive_link_nothing(articles: list[Article]) -> None:
    assert Linker(articles).link(Transcript(())) == []
    assert Linker([]).link(transcript(ICJ)) == []
