"""Chapters as the Podcasting 2.0 JSON chapters file (``application/json+chapters``)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from warcast.episodes import Chapter, Episode

CHAPTERS_MIME = "application/json+chapters"
CHAPTERS_VERSION = "1.2.0"


def is_url(value: str) -> bool:
    """True for absolute http(s) URLs (chapter images may also be files in the episode folder)."""
    return value.startswith(("http://", "https://"))


def chapter_end(episode: Episode, index: int) -> float:
    """Where chapter ``index`` ends: the next chapter's start, or the end of the audio."""
    chapters = episode.chapters
    return chapters[index + 1].start if index + 1 < len(chapters) else episode.audio.duration


def render_chapters(episode: Episode, image_url: dict[str, str],
                    passages: Sequence[tuple[float, float, float, str]] = ()) -> bytes:
    """The JSON chapters document; ``image_url`` maps chapter image file names to URLs.

    A chapter without a link of its own gets the article of the strongest linked passage
    (``(start, end, score, url)``) that starts inside it.
    """
    entries = [_entry(episode, n, chapter, image_url) for n, chapter in
               enumerate(episode.chapters)]
    for n, entry in enumerate(entries):
        if "url" not in entry:
            inside = [(score, url) for start, _end, score, url in passages
                      if episode.chapters[n].start <= start < chapter_end(episode, n)]
            if inside:
                entry["url"] = max(inside)[1]
    document = {"version": CHAPTERS_VERSION, "chapters": entries}
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _entry(episode: Episode, index: int, chapter: Chapter, image_url: dict[str, str]) -> dict:
    entry: dict[str, object] = {"startTime": _number(chapter.start)}
    end = chapter_end(episode, index)
    if end > chapter.start:   # the last chapter of audio of unknown length has no end
        entry["endTime"] = _number(end)
    entry["title"] = chapter.title
    if chapter.image:
        entry["img"] = chapter.image if is_url(chapter.image) else image_url[chapter.image]
    if chapter.url:
        entry["url"] = chapter.url
    return entry


def _number(seconds: float) -> int | float:
    rounded = round(seconds, 3)
    return int(rounded) if rounded == int(rounded) else rounded
