"""What an import reads from the old feed: the show, its episodes, and the notes on what was
fixed on the way (each with the places it concerns)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class Notices:
    """What the import changed or could not keep, grouped by what happened."""

    groups: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, message: str, where: str = "feed") -> None:
        self.groups[message].append(where)

    def lines(self, shown: int = 3) -> list[str]:
        """One line per kind of fix: what happened and where (the first few places)."""
        out = []
        for message, places in self.groups.items():
            if places == ["feed"]:
                out.append(message)
                continue
            listed = ", ".join(places[:shown]) + (f" (+{len(places) - shown} more)"
                                                  if len(places) > shown else "")
            out.append(f"{message}: {listed}")
        return out


@dataclass
class SourceEpisode:
    """One item of the old feed, as warcast will keep it."""

    where: str
    guid: str
    title: str
    published: dt.datetime
    audio_url: str
    audio_type: str
    audio_bytes: int
    duration: float
    type: str = "full"
    dated: bool = True   # False: the feed gave no readable date; the import made one up
    number: int | None = None
    season: int | None = None
    season_name: str | None = None
    explicit: bool | None = None
    block: bool = False
    members_only: bool = False   # imported from a private feed: never public here
    feed_xml: str = ""   # podcast: elements warcast does not model, kept as written
    summary: str = ""
    itunes_title: str | None = None   # what Apple shows, when the feed gave a different one
    notes_html: str = ""
    keywords: tuple[str, ...] = ()
    persons: tuple[dict[str, str], ...] = ()
    chapters: tuple[dict[str, object], ...] = ()   # inline (Podlove Simple Chapters)
    chapters_url: str | None = None
    transcripts: tuple[dict[str, str], ...] = ()
    image_url: str | None = None


@dataclass
class SourceShow:
    """The old feed's channel, as warcast will keep it."""

    title: str
    description: str
    author: str
    language: str
    explicit: bool
    type: str
    image_url: str | None
    categories: tuple[tuple[str, str | None], ...]
    owner_name: str
    owner_email: str | None
    copyright: str | None
    link: str | None
    podcast_guid: str | None
    old_feed_url: str | None
    locked: bool
    funding: tuple[tuple[str, str], ...]
    hosts: tuple[dict[str, str], ...]
    keywords: tuple[str, ...]
    medium: str
    complete: bool
    block: bool
    feed_xml: str = ""


@dataclass
class SourceFeed:
    """A whole old feed: its show, its episodes (oldest first) and what was fixed."""

    location: str
    show: SourceShow
    episodes: list[SourceEpisode]
    notices: Notices
