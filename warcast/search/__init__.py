"""Search across the show: find the second where something was said.

Two indexes live in the show folder (derived data, rebuilt by ``warcast index``): the public one,
``search.sqlite``, which never holds a members-only episode, and the members' one,
``search-members.sqlite``, which holds every episode and is only served to members.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from warcast.episodes import Episode, load_episodes
from warcast.lock import locked
from warcast.publish.cache import digest, stamps
from warcast.publish.layout import Layout
from warcast.search.index import (
    IndexedEpisode,
    Passage,
    SearchIndex,
    SearchResult,
    Source,
    UpdateReport,
    check_fts5,
)
from warcast.search.query import parse
from warcast.show import Show, load_show
from warcast.state import MEMBERS_SEARCH_INDEX, SEARCH_INDEX
from warcast.transcript.model import Transcript, passages
from warcast.transcript.transcribe import WORDS_FILE, load_transcript

__all__ = [
    "INDEX_FILE",
    "MEMBERS_INDEX_FILE",
    "IndexedEpisode",
    "Passage",
    "SearchIndex",
    "SearchResult",
    "Source",
    "UpdateReport",
    "index_path",
    "index_show",
    "indexed_episode",
    "parse",
    "passages_of",
    "search_show",
]

INDEX_FILE = SEARCH_INDEX
MEMBERS_INDEX_FILE = MEMBERS_SEARCH_INDEX
PASSAGE_SECONDS = 30.0    # a search unit: up to this long, within one speaker turn
PASSAGE_CHARS = 600


@dataclass(frozen=True)
class IndexReport:
    """What ``index_show`` did to each index."""

    public: UpdateReport
    members: UpdateReport


def index_path(folder: Path, *, members: bool = False) -> Path:
    return folder / (MEMBERS_INDEX_FILE if members else INDEX_FILE)


@locked("index")
def index_show(folder: Path, show: Show | None = None,
               episodes: list[Episode] | None = None) -> IndexReport:
    """Bring both indexes up to date; only changed episodes are re-indexed."""
    check_fts5()
    show = show or load_show(folder)
    episodes = load_episodes(show) if episodes is None else episodes
    layout = Layout(show)
    sources = [_source(show, e, layout) for e in episodes]
    with SearchIndex(index_path(show.folder), create=True) as public:
        public_report = public.update(s for s, e in zip(sources, episodes, strict=True)
                                      if not e.members_only)
    with SearchIndex(index_path(show.folder, members=True), create=True) as members:
        members_report = members.update(sources)
    return IndexReport(public_report, members_report)


def _source(show: Show, episode: Episode, layout: Layout) -> Source:
    """The episode for the index, keyed by the stamps (size, mtime) of its files, as the render
    cache keys them: unchanged episodes are not even read (hashing every transcript and word
    timing file of a large catalog would take seconds)."""
    files = (episode.folder / "episode.toml", episode.folder / "notes.md", episode.transcript,
             episode.folder / WORDS_FILE)
    key = digest(layout.url(layout.page(episode)), layout.audio_url(episode), show.language,
                 PASSAGE_SECONDS, PASSAGE_CHARS, stamps(files))[:32]
    return Source(episode.slug, key, lambda: indexed_episode(show, episode, layout))


def search_show(folder: Path, text: str, *, members: bool = False, **filters: object
                ) -> SearchResult:
    """Search the public (or the members') index of the show in ``folder``; a
    ``speaker:Name`` (or ``speaker:"Full Name"``) in ``text`` keeps that speaker's passages."""
    text, speaker = speaker_filter(text)
    if speaker and not filters.get("speaker"):
        filters["speaker"] = speaker
    with SearchIndex(index_path(folder, members=members)) as index:
        return index.search(text, **filters)  # type: ignore[arg-type]


_SPEAKER = re.compile(r'(?:^|(?<=\s))speaker:(?:"([^"]*)"|(\S+))', re.IGNORECASE)


def speaker_filter(text: str) -> tuple[str, str | None]:
    """The query without its ``speaker:`` term, and the speaker it names (None if none)."""
    found = _SPEAKER.search(text)
    if not found:
        return text, None
    name = " ".join((found.group(1) or found.group(2) or "").split())
    return " ".join((text[:found.start()] + text[found.end():]).split()), name or None


def indexed_episode(show: Show, episode: Episode, layout: Layout) -> IndexedEpisode:
    """What the index holds of an episode: its passages, then title, notes, guests, chapters."""
    passages: list[Passage] = []
    if episode.transcript is not None and episode.transcript.is_file():
        passages.extend(passages_of(load_transcript(episode, show.language)))
    passages.append(Passage("title", 0.0, 0.0, episode.title))
    about = " ".join(filter(None, [episode.description_text,
                                   " ".join(g.name for g in episode.guests),
                                   " ".join(episode.keywords)]))
    if about.strip():
        passages.append(Passage("notes", 0.0, 0.0, about))
    for n, chapter in enumerate(episode.chapters):
        end = episode.chapters[n + 1].start if n + 1 < len(episode.chapters) \
            else episode.audio.duration
        passages.append(Passage("chapter", chapter.start, end, chapter.title))
    return IndexedEpisode(
        slug=episode.slug, title=episode.title, published=episode.published.date(),
        page_url=layout.url(layout.page(episode)), audio_url=layout.audio_url(episode),
        passages=tuple(passages))


def passages_of(transcript: Transcript) -> list[Passage]:
    """The transcript's passages (30 s at most, one speaker), with the offset of each cue."""
    out = []
    for group in passages(transcript, seconds=PASSAGE_SECONDS, chars=PASSAGE_CHARS):
        text, marks = "", []
        for cue in group:
            text += " " if text else ""
            marks.append((len(text), round(cue.start, 3)))
            text += cue.text
        out.append(Passage("transcript", group[0].start, group[-1].end, text,
                           group[0].speaker or "", tuple(marks)))
    return out
