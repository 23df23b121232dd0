"""Where everything lives in the published site, as paths and as URLs.

One place decides the public URL of every file, so the feed, the pages and the validator
agree, and so an enclosure URL, once published, stays the same (apps key on it).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path, PurePosixPath

from warcast.episodes import Episode
from warcast.show import Show

FEED_FILE = "feed.xml"


class Layout:
    """Output paths (relative, POSIX) and absolute URLs for one show."""

    def __init__(self, show: Show) -> None:
        self.show = show
        self.base = show.base_url
        self.media_base = show.media_base_url or f"{show.base_url}/media"
        self.media_is_local = show.media_base_url is None

    def url(self, relative: str) -> str:
        """The public URL of a file at ``relative`` in the output folder."""
        return f"{self.base}/{relative}"

    def locate(self, url: str) -> PurePosixPath | None:
        """The output path a URL of this site points to, or None for other URLs."""
        for prefix, folder in ((self.media_base + "/", "media/"), (self.base + "/", "")):
            if url.startswith(prefix) and (folder == "" or self.media_is_local):
                relative = PurePosixPath(folder + url[len(prefix):].split("#")[0].split("?")[0])
                if ".." not in relative.parts:
                    return relative
        return None

    @staticmethod
    def image_name(stem: str, path: Path) -> str:
        """A content-addressed artwork name: apps re-fetch art only when its URL changes."""
        stat = path.stat()
        digest = _image_digest(path, stat.st_size, stat.st_mtime_ns)
        suffix = ".jpg" if path.suffix.lower() in (".jpg", ".jpeg") else path.suffix.lower()
        return f"{stem}-{digest}{suffix}"

    @staticmethod
    def relative(page: str, target: str) -> str:
        """``target`` (an output path) as a link from the page at output path ``page``, so the
        site works wherever it is served (a preview, a CDN, a sub-folder)."""
        import posixpath

        folder = posixpath.dirname(page) or "."
        link = posixpath.relpath(target or ".", folder)
        if target.endswith("/") or target == "":
            link = link.rstrip("/") + "/"
        return "./" if link == "./" or link == "" else link

    def cover(self) -> str:
        return self.image_name("cover", self.show.cover)

    def page(self, episode: Episode) -> str:
        return f"episodes/{episode.slug}/"

    def hosts_audio(self, episode: Episode) -> bool:
        """True when the site's own media folder serves this episode's audio."""
        return self.media_is_local and episode.audio.url is None

    def audio(self, episode: Episode) -> str:
        return f"media/{episode.slug}{episode.audio.suffix}"

    def audio_url(self, episode: Episode) -> str:
        """The enclosure URL: audio served elsewhere (imported) keeps its own URL for good."""
        if episode.audio.url is not None:
            return episode.audio.url
        return f"{self.media_base}/{episode.slug}{episode.audio.suffix}"

    def chapters(self, episode: Episode) -> str:
        return f"episodes/{episode.slug}/chapters.json"

    def transcript(self, episode: Episode, suffix: str) -> str:
        return f"episodes/{episode.slug}/transcript{suffix}"

    def episode_image_url(self, episode: Episode) -> str | None:
        """The episode's own artwork as a URL: published here, or hosted elsewhere."""
        image = self.episode_image(episode)
        return self.url(image) if image else episode.image_url

    def episode_image(self, episode: Episode) -> str | None:
        if episode.image is None:
            return None
        return f"episodes/{episode.slug}/" + self.image_name("cover", episode.image)


def beside_feed(feed_file: Path, feed_url: str):  # type: ignore[no-untyped-def]
    """A locate function for a feed read from disk: URLs under the feed's own folder URL
    map to files beside it (so ``warcast validate public/feed.xml`` checks real sizes)."""
    folder_url = feed_url.rsplit("/", 1)[0] + "/"
    root = feed_file.resolve().parent

    def locate(url: str) -> Path | None:
        if not url.startswith(folder_url):
            return None
        relative = PurePosixPath(url[len(folder_url):].split("#")[0].split("?")[0])
        return None if ".." in relative.parts else root / relative

    return locate


def locate_beside(feed: str, data: bytes):  # type: ignore[no-untyped-def]
    """:func:`beside_feed` for the feed file ``feed`` (bytes ``data``) at the URL its
    ``atom:link rel="self"`` names; None when it names none."""
    from warcast.feed.namespaces import URIS
    from warcast.validation import parse_feed

    link = parse_feed(data, source=feed).find(f"channel/{{{URIS['atom']}}}link[@rel='self']")
    url = link.get("href") if link is not None else None
    return beside_feed(Path(feed), url) if url else None


@functools.lru_cache(maxsize=4096)
def _image_digest(path: Path, _size: int, _mtime: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


class MembersLayout(Layout):
    """URLs of the members' private bundle: every file under ``/members/<token>/``, with a
    placeholder the server replaces by the member's own token in each response."""

    def __init__(self, show: Show, placeholder: str) -> None:
        super().__init__(show)
        self.base = f"{show.base_url}/members/{placeholder}"
        self.media_base = f"{self.base}/media"
        self.media_is_local = True
        self.feed_url = f"{self.base}/{FEED_FILE}"
        self.public_media = show.media_base_url

    def audio_url(self, episode: Episode) -> str:
        """Members-only audio behind the token; public audio hosted elsewhere stays there."""
        if episode.audio.url is None and self.public_media and not episode.members_only:
            return f"{self.public_media}/{episode.slug}{episode.audio.suffix}"
        return super().audio_url(episode)
