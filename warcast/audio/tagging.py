"""From the show model to audio tags: which values go into each episode's file.

``tags`` knows how to write ID3 frames and MP4 atoms; this module decides what they say
(title, show, number, date, notes, cover, feed URL, guid, chapters with links).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from warcast.audio.artwork import image_info
from warcast.audio.masters import derives
from warcast.audio.tags import Artwork, TagChange, TagChapter, TagSet, write_tags
from warcast.episodes import Episode, load_episodes, select
from warcast.errors import SourceError
from warcast.feed.chapters import chapter_end, is_url
from warcast.lock import locked
from warcast.publish.layout import Layout
from warcast.show import Show, load_show


@locked("tag")
def tag_show(folder: Path, selectors: tuple[str, ...] = (), *,
             dry_run: bool = False) -> Iterator[tuple[Episode, list[TagChange] | None]]:
    """Tag the chosen episodes of the show in ``folder`` (all when none are named).

    Audio served from elsewhere (``audio_url``) is what listeners get, so a local copy of it
    is not tagged; nor is a master (publish tags the audio it derives from it): such
    episodes come back with None instead of changes.
    """
    show = load_show(folder)
    episodes = select(load_episodes(show), selectors)
    layout = Layout(show)
    cover = _artwork(show.cover)
    for episode in episodes:
        if episode.audio.path is None or episode.audio.url is not None \
                or derives(episode.audio, show.audio):
            yield episode, None
            continue
        yield episode, write_tags(episode.audio.path, episode_tags(show, episode, layout, cover),
                                  dry_run=dry_run)


def episode_tags(show: Show, episode: Episode, layout: Layout,
                 cover: Artwork | None = None) -> TagSet:
    """The tags one episode's audio should carry."""
    image = _artwork(episode.image) if episode.image else cover
    return TagSet(
        title=episode.title,
        artist=show.author,
        album=show.title,
        published=episode.published,
        track=episode.number,
        season=episode.season,
        description=episode.summary,
        long_description=episode.description_text,
        cover=image,
        feed_url=show.feed_url,
        guid=episode.guid,
        episode_url=None if episode.members_only else layout.url(layout.page(episode)),
        copyright=show.copyright,
        category=show.categories[0].name,
        keywords=episode.keywords,
        chapters=tuple(_chapter(episode, n) for n in range(len(episode.chapters))),
    )


def cover_artwork(show: Show) -> Artwork:
    """The show's cover as tag artwork."""
    return _artwork(show.cover)


def _chapter(episode: Episode, index: int) -> TagChapter:
    chapter = episode.chapters[index]
    image = None
    if chapter.image and not is_url(chapter.image):
        image = _artwork(episode.folder / chapter.image)
    return TagChapter(
        start_ms=round(chapter.start * 1000),
        end_ms=round(chapter_end(episode, index) * 1000),
        title=chapter.title,
        url=chapter.url,
        image=image,
    )


def _artwork(path: Path) -> Artwork:
    data = path.read_bytes()
    info = image_info(data)
    if info is None:
        raise SourceError("is not a PNG or JPEG image", path=path, hint="Export it as JPEG")
    return Artwork(data, info.mime)
